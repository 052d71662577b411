#!/usr/bin/env bash
# The dashboard in headless Chromium, driven over the DevTools protocol
# (--remote-debugging-pipe, no extra packages): the page loads without
# network access beyond the daemon, shows the fleet and the workload's real
# numbers (a PlanetLab day), draws its chart, and a mode switch made in the
# page round-trips through the API. Skipped (exit 0, saying so) when
# chromium is not installed.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
chrome=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$chrome" ]]; then
    echo "dashboard: SKIPPED (no chromium)"
    exit 0
fi
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

tok=$("$HR_BIN" token create --data "$tmp/d" --scope admin)
"$HR_BIN" serve --data "$tmp/d" --listen 127.0.0.1:0 --port-file "$tmp/port" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$tmp/port")"
auth=(-H "Authorization: Bearer $tok")

# Without a token the page is refused like any endpoint.
[[ $(curl -s -o /dev/null -w '%{http_code}' "$url/dashboard") == 401 ]] || fail "dashboard without token"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$url/dashboard?access_token=$tok") == 200 ]] || fail "dashboard with token"
# access_token in the query works for the page only.
[[ $(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/series?access_token=$tok") == 401 ]] || fail "query token elsewhere"

pl="$HR_TEST_DATA/planetlab/planetlab1_fit_vutbr_cz_nyu_d"
awk '{ printf "vm.cpu,host=vutbr value=%s %d\n", $1, 1299110400 + 300 * (NR - 1) }' "$pl" |
    curl -sf "${auth[@]}" --data-binary @- "$url/api/v1/write?precision=s"
curl -sf "${auth[@]}" -d '{"name":"acme"}' "$url/api/v1/tenants" >/dev/null
curl -sf "${auth[@]}" -d '{"name":"web","tenant":"acme","series":"vm.cpu,host=vutbr"}' \
    "$url/api/v1/workloads" >/dev/null
last=$(tail -n 1 "$pl")

python3 - "$chrome" "$url" "$tok" "$tmp" "$last" <<'PY'
import json, os, subprocess, sys, time
chrome, url, tok, tmp, last = sys.argv[1:6]

# DevTools over a pipe: Chromium reads commands on fd 3, writes on fd 4.
to_r, to_w = os.pipe()
from_r, from_w = os.pipe()
args = [chrome, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
        f"--user-data-dir={tmp}/chrome", "--no-first-run", "--disable-extensions", "about:blank"]
p = subprocess.Popen(["bash", "-c", f'exec "$0" "$@" 3<&{to_r} 4>&{from_w}'] + args,
                     pass_fds=(to_r, from_w), stdout=subprocess.DEVNULL,
                     stderr=open(f"{tmp}/chrome.log", "w"))
os.close(to_r)
os.close(from_w)
buf = b""
ids = iter(range(1, 10**9))

def call(method, params=None, session=None):
    global buf
    mid = next(ids)
    msg = {"id": mid, "method": method, "params": params or {}}
    if session:
        msg["sessionId"] = session
    os.write(to_w, json.dumps(msg).encode() + b"\0")
    while True:
        while b"\0" not in buf:
            chunk = os.read(from_r, 1 << 16)
            if not chunk:
                raise SystemExit("chromium closed the pipe")
            buf += chunk
        raw, buf = buf.split(b"\0", 1)
        m = json.loads(raw)
        if m.get("id") == mid:
            if "error" in m:
                raise SystemExit(f"{method}: {m['error']}")
            return m["result"]

def js(expr, session):
    r = call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session)
    return r["result"].get("value")

def wait(expr, session, secs=30):
    t0 = time.time()
    while time.time() - t0 < secs:
        v = js(expr, session)
        if v:
            return v
        time.sleep(0.1)
    status = js("document.getElementById('status').textContent", session)
    raise SystemExit(f"timed out waiting for {expr}: status {status}")

try:
    target = call("Target.createTarget", {"url": f"{url}/dashboard?access_token={tok}"})["targetId"]
    s = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    wait("document.getElementById('status') && document.getElementById('status').textContent === 'ready'", s)
    assert "access_token" not in js("location.href", s), "token left in the URL"
    assert js("document.getElementById('fleet-summary').textContent", s) == "1 tenants, 1 workloads"
    card = js("document.querySelector('.card h3').textContent", s)
    assert card == "web (vm.cpu,host=vutbr)", card
    nums = js("document.querySelector('.card .nums').textContent", s)
    want = float(last)
    shown = f"{want:.0f}" if abs(want) >= 100 else f"{want:.2f}"
    assert nums.startswith(f"last {shown}  |  next p50 "), nums
    assert float(js("document.querySelector('.card .nums').dataset.last", s)) == want
    assert js("document.querySelectorAll('.uplot canvas').length", s) >= 1, "no chart"
    # The loop (every 300 s by default) has not run a round yet.
    assert "no plan yet" in js("document.getElementById('plan').textContent", s)
    # The anomalies panel: a table or "none", not an error.
    an = js("[document.getElementById('anomalies').className, document.getElementById('anomalies').textContent]", s)
    assert an[0] != "msg" and (an[1] == "none" or an[1].startswith("time (UTC)")), an
    # The mode switch, made in the page.
    js("document.getElementById('mode').value = 'predictive';"
       "document.getElementById('apply-mode').click(); true", s)
    wait("document.getElementById('mode-now').textContent.startsWith('mode: predictive')", s)
    print("dashboard page: ready, numbers and chart shown, mode switched")
finally:
    try:
        call("Browser.close")
    except SystemExit:
        pass
    p.wait(timeout=10)
PY
mode=$(curl -sf "${auth[@]}" "$url/api/v1/fleets/default/mode" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mode"])')
[[ $mode == predictive ]] || fail "mode after the page's switch: $mode"
kill -TERM "$pid"
wait "$pid"
pid=
echo "dashboard: ok"
