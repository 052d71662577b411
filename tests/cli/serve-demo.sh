#!/usr/bin/env bash
# `make run` (scripts/serve-demo.sh) on the three bundled PlanetLab traces,
# 12 trace steps, an ephemeral port: it prints the dashboard URL and a token,
# the loop plans in predictive mode on the sim driver, and Ctrl-C (SIGINT to
# its process group, as a terminal sends it) stops the daemon cleanly.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
src="$(cd "$(dirname "$0")/../.." && pwd)"
tmp=$(mktemp -d)
pg=
cleanup() {
    [[ -n "$pg" ]] && kill -9 -- "-$pg" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$tmp/out" >&2; exit 1; }
jq_() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

set -m # the demo in a process group of its own, SIGINT not ignored
HEADROOM_DEMO_DATA="$tmp/d" HEADROOM_DEMO_LISTEN=127.0.0.1:0 HEADROOM_DEMO_STEPS=12 \
    "$src/scripts/serve-demo.sh" "$HR_BIN" "$HR_TEST_DATA/planetlab" >"$tmp/out" 2>&1 &
pg=$!
set +m
for _ in $(seq 200); do grep -q "token " "$tmp/out" && break; sleep 0.05; done
url=$(grep -o 'http://[^ ]*/dashboard' "$tmp/out" | sed 's|/dashboard||') || fail "no dashboard URL"
tok=$(awk '$1 == "token" { print $2 }' "$tmp/out")
[[ ${#tok} == 64 ]] || fail "no token"
grep -q "dashboard $url/dashboard?access_token=$tok" "$tmp/out" || fail "dashboard line"
auth=(-H "Authorization: Bearer $tok")
[[ $(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$url/dashboard") == 200 ]] || fail "page"
# The loop plans in predictive mode over the 3 workloads once they reported.
for _ in $(seq 100); do
    p=$(curl -sf "${auth[@]}" "$url/api/v1/plan") && break
    sleep 0.1
done
[[ -n "${p:-}" ]] || fail "no plan"
[[ $(echo "$p" | jq_ 'd["mode"], d["policy"], d["driver"]' | tr '\n' ' ') == "predictive predictive sim " ]] ||
    fail "plan: $p"
[[ $(curl -sf "${auth[@]}" "$url/api/v1/workloads" | jq_ 'len(d["items"])') == 3 ]] || fail "fleet"
for _ in $(seq 200); do grep -q "replay done" "$tmp/out" && break; sleep 0.05; done
grep -q "replay done" "$tmp/out" || fail "replay"
[[ $(curl -sf "${auth[@]}" "$url/api/v1/series/vm.cpu,vm=vm2/samples" | jq_ 'len(d["samples"])') == 12 ]] ||
    fail "samples"
# Ctrl-C
kill -INT -- "-$pg"
rc=0
wait "$pg" || rc=$?
pg=
[[ $rc == 0 ]] || fail "exit status $rc"
grep -q "headroom: SIGINT: stopping" "$tmp/out" || fail "daemon not stopped by SIGINT"
grep -q "headroom: stopped" "$tmp/out" || fail "daemon did not stop cleanly"
grep -q "headroom demo: stopped" "$tmp/out" || fail "demo stop"
curl -s -m 1 "$url/healthz" >/dev/null && fail "still answering"
echo "serve-demo: ok"
