#!/usr/bin/env bash
# headroom serve: configuration file and flags, tokens, ingest and read back
# over HTTP, SIGHUP reload, graceful SIGTERM, restart with the data intact.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$tmp/log" ]] && cat "$tmp/log" >&2; exit 1; }

"$HR_BIN" serve --help | grep -q -- '--listen ADDR:PORT' || fail "serve --help"
"$HR_BIN" --help | grep -q '^  serve ' || fail "serve not in the command list"

# Usage errors and configuration errors name what is wrong.
set +e
"$HR_BIN" serve --bogus 2>"$tmp/err"; rc=$?
[[ $rc -eq 2 ]] || fail "unknown option: exit $rc"
printf 'listen: 127.0.0.1:0\nstorage:\n  chunk_size: 7\n' >"$tmp/bad.yaml"
"$HR_BIN" serve --config "$tmp/bad.yaml" --data "$tmp/d" 2>"$tmp/err"; rc=$?
[[ $rc -eq 1 ]] || fail "bad config: exit $rc"
grep -q "bad.yaml:3:3: unknown key \"storage.chunk_size\"" "$tmp/err" || fail "bad config message: $(cat "$tmp/err")"
printf 'threads: lots\n' >"$tmp/bad2.yaml"
"$HR_BIN" serve --config "$tmp/bad2.yaml" 2>"$tmp/err"; rc=$?
grep -q 'bad2.yaml:1:10: threads: bad value "lots"' "$tmp/err" || fail "bad value message: $(cat "$tmp/err")"
"$HR_BIN" token create --data "$tmp/d" --scope root 2>"$tmp/err"; rc=$?
[[ $rc -eq 2 ]] && grep -q '"root" is not one of' "$tmp/err" || fail "bad scope"
"$HR_BIN" serve --listen 127.0.0.1:99999 --data "$tmp/d" 2>"$tmp/err"; rc=$?
[[ $rc -eq 1 ]] && grep -q '"99999" is not a port' "$tmp/err" || fail "bad port: $(cat "$tmp/err")"
set -e

tok=$("$HR_BIN" token create --data "$tmp/d" --scope admin)
[[ ${#tok} -eq 64 ]] || fail "token length"
# Only the hash is stored.
! grep -q "$tok" "$tmp/d/headroom.db" || fail "token stored in clear"

cat >"$tmp/cfg.yaml" <<YAML
listen: 127.0.0.1:8080   # overridden by --listen
data: $tmp/d
threads: 2
storage:
  chunk_samples: 60
  raw_retention: 30d
YAML
start() {
    rm -f "$tmp/port"
    "$HR_BIN" serve --config "$tmp/cfg.yaml" --listen 127.0.0.1:0 --port-file "$tmp/port" \
        2>>"$tmp/log" &
    pid=$!
    for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
    [[ -s "$tmp/port" ]] || fail "no port file"
    url="http://127.0.0.1:$(cat "$tmp/port")"
}
start
grep -q "serving on http://127.0.0.1:$(cat "$tmp/port") (data in $tmp/d)" "$tmp/log" || fail "start message"
curl -sf "$url/healthz" | grep -q '"ok"' || fail "healthz"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/series") == 401 ]] || fail "no token: not 401"
auth=(-H "Authorization: Bearer $tok")

# A PlanetLab day through the line protocol, read back exactly.
pl="$HR_TEST_DATA/planetlab/planetlab1_fit_vutbr_cz_nyu_d"
awk '{ printf "planetlab,host=vutbr cpu=%s %d\n", $1, 1299110400 + 300 * (NR - 1) }' "$pl" >"$tmp/lp"
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" --data-binary @"$tmp/lp" \
    "$url/api/v1/write?precision=s")
[[ $code == 204 ]] || fail "line protocol write: $code"
curl -sf "${auth[@]}" "$url/api/v1/series/planetlab.cpu,host=vutbr/samples" >"$tmp/read"
python3 - "$tmp/read" "$pl" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want = [float(x) for x in open(sys.argv[2])]
got = d["samples"]
assert len(got) == len(want) == 288, len(got)
for i, (t, v) in enumerate(got):
    assert t == 1299110400 + 300 * i and v == want[i], (i, t, v)
assert d["next"] is None
PY
curl -sf "${auth[@]}" "$url/metrics" | grep -q '^headroom_samples_stored_total 288$' || fail "metrics count"

# SIGHUP: a good reload applies, a bad one is refused and the server goes on.
printf 'rate_limit_rps: 1000\n' >>"$tmp/cfg.yaml"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q 'configuration reloaded' "$tmp/log" && break; sleep 0.05; done
grep -q "configuration reloaded from $tmp/cfg.yaml" "$tmp/log" || fail "reload"
cp "$tmp/cfg.yaml" "$tmp/cfg.good"
printf 'rate_limit_rps: -5\n' >>"$tmp/cfg.yaml"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q 'reload refused' "$tmp/log" && break; sleep 0.05; done
grep -q 'reload refused: .*cfg.yaml:8:17: rate_limit_rps: bad value "-5"' "$tmp/log" || fail "bad reload: $(cat "$tmp/log")"
cp "$tmp/cfg.good" "$tmp/cfg.yaml"
curl -sf "$url/healthz" >/dev/null || fail "alive after a bad reload"

# SIGTERM: a clean stop; the data are there after a restart.
kill -TERM "$pid"
wait "$pid" || fail "exit status after SIGTERM"
pid=
grep -q 'SIGTERM: stopping' "$tmp/log" && grep -q 'headroom: stopped' "$tmp/log" || fail "stop messages"
start
n=$(curl -sf "${auth[@]}" "$url/api/v1/series/planetlab.cpu,host=vutbr/samples" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["samples"]))')
[[ $n == 288 ]] || fail "after restart: $n samples"
# The same address twice: the second start fails and says so.
set +e
"$HR_BIN" serve --listen "127.0.0.1:$(cat "$tmp/port")" --data "$tmp/d2" 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q 'cannot serve on' "$tmp/err" || fail "address in use: $rc $(cat "$tmp/err")"
kill -TERM "$pid"
wait "$pid"
pid=

# max_connections: with 2 idle connections open, a third is closed unanswered;
# once one closes, requests are served again (a thread per connection).
printf 'data: %s\nmax_connections: 2\n' "$tmp/d" >"$tmp/cfg.yaml"
start
python3 - "$(cat "$tmp/port")" <<'PY' || fail "max_connections"
import socket, sys, time
port = int(sys.argv[1])
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
time.sleep(0.3)
third = socket.create_connection(("127.0.0.1", port))
third.settimeout(5)
third.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
try:
    got = third.recv(100)
except ConnectionResetError:
    got = b""
assert got == b"", got
idle[0].close()
time.sleep(0.3)
ok = socket.create_connection(("127.0.0.1", port))
ok.settimeout(5)
ok.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
assert ok.recv(100).startswith(b"HTTP/1.1 200"), "served again"
PY
kill -TERM "$pid"
wait "$pid"
pid=

# TLS when a certificate is configured (GnuTLS through libmicrohttpd).
if command -v openssl >/dev/null; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=localhost -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
    printf 'data: %s\ntls:\n  cert: %s\n  key: %s\n' "$tmp/d" "$tmp/cert.pem" "$tmp/key.pem" \
        >"$tmp/cfg.yaml"
    start
    grep -q "serving on https://127.0.0.1:$(cat "$tmp/port")" "$tmp/log" || fail "https message"
    n=$(curl -sfk "${auth[@]}" "https://127.0.0.1:$(cat "$tmp/port")/api/v1/series" |
        python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
    [[ $n == 1 ]] || fail "https read: $n series"
    kill -TERM "$pid"
    wait "$pid"
    pid=
fi
echo "serve: ok"
