#!/usr/bin/env bash
# headroom agent: real /proc and cgroup readings (memory total exact, CPU
# in range, a QEMU-named process found), pushed to a real daemon and read
# back; usage and connection errors.
set -euo pipefail
: "${HR_BIN:?}"
tmp=$(mktemp -d)
pid= qpid=
cleanup() {
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
    [[ -n "$qpid" ]] && kill "$qpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$HR_BIN" agent --help | grep -q -- '--interval SEC' || fail "agent --help"
set +e
"$HR_BIN" agent --url http://127.0.0.1:1 2>"$tmp/err"; rc=$?
[[ $rc -eq 2 ]] && grep -q 'a write token is needed' "$tmp/err" || fail "no token: $rc"
"$HR_BIN" agent --print --interval 0.5 2>"$tmp/err"; rc=$?
[[ $rc -eq 2 ]] && grep -q -- '--interval: "0.5" is not in \[1, 86400\]' "$tmp/err" || fail "interval"
set -e

# A process named like QEMU (comm "qemu-system-x86").
cp "$(command -v sleep)" "$tmp/qemu-system-x86_64"
"$tmp/qemu-system-x86_64" 60 &
qpid=$!
"$HR_BIN" agent --print --interval 1 --count 1 --host test-host >"$tmp/lp"
cat "$tmp/lp"
python3 - "$tmp/lp" "$qpid" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
mem = {}
for l in lines:
    m = re.match(r"^(\w+),(\S+) (\S+) (\d+)$", l)
    assert m, l
    if m.group(1) == "host":
        assert "host=test-host" in m.group(2), l
        for kv in m.group(3).split(","):
            k, v = kv.split("=")
            mem[k] = float(v)
total = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal:"))) * 1024
assert mem["mem_total_bytes"] == total, (mem, total)
assert 0 < mem["mem_available_bytes"] <= total
assert mem["mem_used_bytes"] == total - mem["mem_available_bytes"]
assert 0 <= mem["cpu_percent"] <= 100
assert any(l.startswith("cgroup,host=test-host,cgroup=/ cpu_cores=") for l in lines), "root cgroup"
q = [l for l in lines if l.startswith(f"qemu,host=test-host,pid={sys.argv[2]},name=qemu-system-x86 ")]
assert q, "qemu process"
rss = float(re.search(r"rss_bytes=([0-9.e+]+)", q[0]).group(1))
assert rss > 0
PY

# Pushed to a daemon and read back.
tok=$("$HR_BIN" token create --data "$tmp/d" --scope write)
"$HR_BIN" serve --data "$tmp/d" --listen 127.0.0.1:0 --port-file "$tmp/port" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$tmp/port")"
HEADROOM_TOKEN=$tok "$HR_BIN" agent --url "$url" --interval 1 --count 2 --host test-host ||
    fail "agent push"
rtok=$("$HR_BIN" token create --data "$tmp/d" --scope read)
curl -sf -H "Authorization: Bearer $rtok" "$url/api/v1/series/host.mem_total_bytes,host=test-host/samples" |
    python3 -c 'import json,sys; s=json.load(sys.stdin)["samples"]; assert len(s) == 2 and s[0][1] > 0, s'
curl -sf -H "Authorization: Bearer $rtok" "$url/api/v1/series?limit=1000" |
    python3 -c 'import json,sys; n=[i["name"] for i in json.load(sys.stdin)["items"]]; assert any(x.startswith("cgroup.cpu_cores,cgroup=/,") for x in n), n'
kill -TERM "$pid"
wait "$pid"
pid=
# The daemon is gone: the push fails, the agent says so and exits 1.
set +e
"$HR_BIN" agent --url "$url" --token "$tok" --interval 1 --count 1 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q 'kept for the next round' "$tmp/err" || fail "dead daemon: $rc $(cat "$tmp/err")"
echo "agent: ok"
