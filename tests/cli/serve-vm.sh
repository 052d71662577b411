#!/usr/bin/env bash
# The control loop's act driver live-migrates a micro-VM: two network
# namespaces stand for two hosts of fleet "vms" (h1: 1 core, h2: 4 cores), a
# `headroom vm` guest runs on h1 and is registered as a workload with its
# directory; its CPU series says 1.5 cores, more than h1 has. predictive
# mode: the loop plans a migration to h2 with its reason, lib/act journals and
# carries it out (the QEMU process now runs in h2's namespace, the workload's
# stored host is h2); the next rounds plan nothing and say why. Needs root,
# QEMU, ip and the test guest (else exit 77: skipped).
set -euo pipefail
: "${HR_BIN:?}"
skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "serve-vm needs root (network namespaces, QEMU in them)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v ip >/dev/null || skip "ip (iproute2) is not installed"
tag=$$
a="hrsv${tag}a" b="hrsv${tag}b"
tmp=$(mktemp -d)
export HEADROOM_VM_DIR="$tmp/vms"
pid=
cleanup() {
    [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
    for f in "$HEADROOM_VM_DIR"/*/qemu.pid "$HEADROOM_VM_DIR"/*/gen*/qemu.pid; do
        [[ -f $f ]] && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$tmp/log" ]] && tail -20 "$tmp/log" >&2; exit 1; }
jq_() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

ip netns add "$a"
ip netns add "$b"
ip link add "v${tag}a" netns "$a" type veth peer name "v${tag}b" netns "$b"
ip -n "$a" addr add 10.204.0.1/24 dev "v${tag}a"
ip -n "$b" addr add 10.204.0.2/24 dev "v${tag}b"
for n in "$a" "$b"; do ip -n "$n" link set lo up; done
ip -n "$a" link set "v${tag}a" up
ip -n "$b" link set "v${tag}b" up

out=$("$HR_BIN" vm create g1 --memory 128 --netns "$a" --json 2>"$tmp/err") ||
    skip "no VM here: $(tail -1 "$tmp/err")"
src=$(echo "$out" | jq_ 'd["pid"]')
grep -q "$a" <(ip netns identify "$src") || fail "QEMU not in netns $a"

printf 'loop:\n  interval: 1s\n  driver: act\n' >"$tmp/cfg.yaml"
tok=$("$HR_BIN" token create --data "$tmp/d" --scope admin)
"$HR_BIN" serve --config "$tmp/cfg.yaml" --data "$tmp/d" --listen 127.0.0.1:0 \
    --port-file "$tmp/port" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
[[ -s "$tmp/port" ]] || fail "the daemon did not start"
url="http://127.0.0.1:$(cat "$tmp/port")"
auth=(-H "Authorization: Bearer $tok")
api() { curl -sf "${auth[@]}" "$@"; }
wait_plan() { # wait_plan PYTHON-CONDITION: until the plan of fleet vms satisfies it (60 s at most)
    for _ in $(seq 600); do
        p=$(curl -s "${auth[@]}" "$url/api/v1/fleets/vms/plan")
        [[ $(echo "$p" | jq_ "$1" 2>/dev/null) == True ]] && return
        sleep 0.1
    done
    fail "plan never met $1: $p"
}

api -o /dev/null -d "{\"name\":\"h1\",\"fleet\":\"vms\",\"cpus\":1,\"mem_bytes\":1073741824,\"netns\":\"$a\"}" "$url/api/v1/hosts"
api -o /dev/null -d "{\"name\":\"h2\",\"fleet\":\"vms\",\"cpus\":4,\"mem_bytes\":4294967296,\"netns\":\"$b\"}" "$url/api/v1/hosts"
api -o /dev/null -d "{\"name\":\"g1\",\"fleet\":\"vms\",\"host\":\"h1\",\"vm\":\"$HEADROOM_VM_DIR/g1\",
    \"series\":\"qemu.cpu_cores,vm=g1\",\"mem_series\":\"qemu.rss_bytes,vm=g1\"}" "$url/api/v1/workloads"
now=$(date +%s)
for i in $(seq 0 11); do
    printf 'qemu,vm=g1 cpu_cores=%s,rss_bytes=%d %d\n' "1.$((4 + i % 3))" $((140 * 1048576)) $((now - 300 * (11 - i)))
done | api --data-binary @- "$url/api/v1/write?precision=s"
api -o /dev/null -X PUT -d '{"mode":"predictive"}' "$url/api/v1/fleets/vms/mode"

wait_plan 'd["status"] == "applied" and len(d["actions"]) == 1 and d["actions"][0]["kind"] == "migrate"'
echo "$p" | jq_ 'd["actions"][0]["reason"], d["actions"][0]["state"]' | tr '\n' ' '
echo
[[ $(echo "$p" | jq_ 'd["actions"][0]["from"], d["actions"][0]["to"], d["actions"][0]["state"]' | tr '\n' ' ') == "h1 h2 done " ]] ||
    fail "migration: $p"
echo "$p" | jq_ 'd["actions"][0]["reason"]' | grep -q "^host h1 cpu p90 1\.[0-9]* > 1 cores: to h2" || fail "reason: $p"
jid=$(echo "$p" | jq_ 'd["actions"][0]["journal_id"]')
# lib/act's journal: vm.migrate, done, with its figures.
/usr/bin/python3 - "$tmp/d/act-journal.db" "$jid" <<'PY' || fail "act journal"
import json, sqlite3, sys
kind, target, state, result = sqlite3.connect(sys.argv[1]).execute(
    "SELECT kind, target, state, result FROM hr_act_action WHERE id = ?", (int(sys.argv[2]),)).fetchone()
assert (kind, target, state) == ("vm.migrate", "g1", "done"), (kind, target, state)
r = json.loads(result)
assert r["status"] == "completed" and r["bytes"] > 1000000, r
PY
# The VM runs in h2's namespace now; its workload says host h2.
dst=$("$HR_BIN" vm ls --json | jq_ 'd[0]["pid"]')
[[ $dst != "$src" ]] && grep -q "$b" <(ip netns identify "$dst") || fail "QEMU $dst not in netns $b"
! kill -0 "$src" 2>/dev/null || [[ $(awk '{print $3}' /proc/"$src"/stat) == Z ]] || fail "source QEMU still runs"
[[ $(api "$url/api/v1/workloads/g1" | jq_ 'd["host"]') == h2 ]] || fail "stored host"
# Nothing more to do: the next plan is empty and says why.
wait_plan 'd["status"] == "applied" and not d["actions"]'
echo "$p" | jq_ 'd["summary"]' | grep -q "^no action: 1 workloads on 2 hosts; no host over capacity" ||
    fail "summary: $p"

kill -TERM "$pid"
wait "$pid" || fail "daemon exit"
pid=
grep -q "loop:" "$tmp/log" && fail "loop errors logged: $(grep loop: "$tmp/log")"
"$HR_BIN" vm stop g1
echo "serve-vm: ok"
