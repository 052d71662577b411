#!/usr/bin/env bash
# Anomalies in the daemon, on a real server over loopback sockets:
#  - NAB's art_daily_jumpsup (a daily cycle whose level jumps up; copied under
#    tests/data/serve-anomaly) is ingested up to just after its jump: the
#    anomaly appears in GET /api/v1/anomalies inside NAB's labelled window,
#    with its reason; the list paginates and filters;
#  - a generated series (a sine of amplitude 0.5 around 10 every 5 s, spikes
#    of 100 and 200 at rows 400 and 650, 1250 s apart) opens one anomaly
#    alert for two anomalies (de-duplicated within anomaly.alert_window);
#    the same series under a maintenance annotation covering the first
#    spike stores it as suppressed and alerts only for the second;
#  - every webhook delivery carries a valid HMAC-SHA256 signature;
#  - after kill -9 and a restart the anomalies are the same and nothing is
#    sent again;
#    the detector goes on from its cursor: a third spike (400, row 1500,
#    4250 s after the second) is one new anomaly and a new alert;
#  - the per-token rate limit answers 429 with Retry-After to one token
#    while another still gets 200.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
tmp=$(mktemp -d)
pid= hook=
cleanup() {
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
    [[ -n "$hook" ]] && kill "$hook" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$tmp/log" ]] && tail -20 "$tmp/log" >&2; exit 1; }
py=python3
secret='s3cret-for-the-test'
t0=1700000000

# The webhook receiver: one JSON line per request with the headers and body.
hport=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$py - "$hport" "$tmp/hook.log" <<'PY' &
import http.server, json, sys
port, log = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        rec = {"sig": self.headers.get("X-Headroom-Signature"),
               "ts": self.headers.get("X-Headroom-Timestamp"), "body": body.decode()}
        with open(log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
hook=$!

admin=$("$HR_BIN" token create --data "$tmp/d" --scope admin)
reader=$("$HR_BIN" token create --data "$tmp/d" --scope read)
other=$("$HR_BIN" token create --data "$tmp/d" --scope read)
config() { # extra YAML lines
    cat >"$tmp/cfg.yaml" <<Y
anomaly:
  interval: 1s
  alert_window: 1h
alerts:
  webhook: http://127.0.0.1:$hport/hook
  webhook_secret: $secret
$1
Y
}
start() {
    rm -f "$tmp/port"
    "$HR_BIN" serve --config "$tmp/cfg.yaml" --data "$tmp/d" --listen 127.0.0.1:0 \
        --port-file "$tmp/port" 2>>"$tmp/log" &
    pid=$!
    for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
    [[ -s "$tmp/port" ]] || fail "the daemon did not start"
    url="http://127.0.0.1:$(cat "$tmp/port")"
}
stop() { kill -TERM "$pid"; wait "$pid" || fail "exit status $?"; pid=; }
api() { curl -sf -H "Authorization: Bearer $admin" "$@"; }
code() { curl -s -o "$tmp/out" -w '%{http_code}' "$@"; }
passes() { api "$url/metrics" | awk '$1 == "headroom_anomaly_passes_total" {print $2}'; }
settle() { # wait for two more anomaly passes (all ingested samples judged)
    local p0
    p0=$(passes)
    for _ in $(seq 40); do (($(passes) >= p0 + 2)) && return 0; sleep 0.3; done
    fail "anomaly passes do not run"
}

config ""
start

# Series: art_daily_jumpsup up to 2014-04-11 09:30; gen.spiky and gen.maint rows 0..699.
$py - "$HR_TEST_DATA/serve-anomaly/art_daily_jumpsup.csv" "$tmp" "$t0" <<'PY'
import calendar, csv, json, math, sys, time
src, tmp, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [(calendar.timegm(time.strptime(t, "%Y-%m-%d %H:%M:%S")), float(v))
        for t, v in list(csv.reader(open(src)))[1:]]
cut = calendar.timegm(time.strptime("2014-04-11 09:30:00", "%Y-%m-%d %H:%M:%S"))
json.dump({"series": "nab.jumpsup", "samples": [[t, v] for t, v in rows if t <= cut]},
          open(tmp + "/jumps.json", "w"))
json.dump(dict(rows), open(tmp + "/jumps.values", "w"))
def gen(lo, hi):
    out = []
    for i in range(lo, hi):
        v = 10 + 0.5 * math.sin(i * 0.7)
        v = {400: 100.0, 650: 200.0, 1500: 400.0}.get(i, v)
        out.append([t0 + 5 * i, v])
    return out
json.dump([{"series": s, "samples": gen(0, 700)} for s in ("gen.spiky", "gen.maint")],
          open(tmp + "/gen1.json", "w"))
json.dump({"series": "gen.spiky", "samples": gen(700, 1600)}, open(tmp + "/gen2.json", "w"))
PY
# The maintenance window over gen.maint's first spike (t0 + 2000), before its samples.
api -d "{\"series\":\"gen.maint\",\"start\":$((t0 + 1990)),\"end\":$((t0 + 2010)),\"text\":\"maintenance\"}" \
    "$url/api/v1/annotations" >"$tmp/ann.json" || fail "annotation"
[[ $(code -H "Authorization: Bearer $admin" -d '{"start":5,"end":1,"text":"x"}' "$url/api/v1/annotations") == 422 ]] ||
    fail "annotation ending before its start accepted"
[[ $(code -H "Authorization: Bearer $reader" -d '{"start":1,"end":5,"text":"x"}' "$url/api/v1/annotations") == 403 ]] ||
    fail "a read token may not annotate"
[[ $(code -H "Authorization: Bearer $admin" -d '{"end":5,"text":"x"}' "$url/api/v1/annotations") == 422 ]] &&
    grep -q '"field":"start"' "$tmp/out" || fail "annotation without start: $(cat "$tmp/out")"
[[ $(code -H "Authorization: Bearer $admin" -d '{"start":1,"end":5,"text":"x","series":"a b"}' "$url/api/v1/annotations") == 422 ]] &&
    grep -q '"field":"series"' "$tmp/out" || fail "annotation of a bad series: $(cat "$tmp/out")"
[[ $(code -H "Authorization: Bearer $admin" -d '{"start":1,' "$url/api/v1/annotations") == 400 ]] &&
    grep -q '"code":"bad_json"' "$tmp/out" || fail "bad JSON: $(cat "$tmp/out")"
# a second annotation, removed again: the list and DELETE
api -d '{"start":"2001-01-01T00:00:00Z","end":"2001-01-02T00:00:00Z","text":"old"}' "$url/api/v1/annotations" >"$tmp/ann2.json"
id2=$($py -c 'import json,sys; a=json.load(open(sys.argv[1])); assert a["series"] is None and a["start"] == 978307200, a; print(a["id"])' "$tmp/ann2.json") ||
    fail "ISO annotation: $(cat "$tmp/ann2.json")"
[[ $(code -X DELETE -H "Authorization: Bearer $admin" "$url/api/v1/annotations/$id2") == 204 ]] || fail "delete"
[[ $(code -X DELETE -H "Authorization: Bearer $admin" "$url/api/v1/annotations/$id2") == 404 ]] || fail "delete twice"
api "$url/api/v1/annotations" | $py -c '
import json, sys
d = json.load(sys.stdin)
assert [(a["series"], a["text"]) for a in d["items"]] == [("gen.maint", "maintenance")] and d["next"] is None, d' ||
    fail "annotation list"
api --data-binary @"$tmp/jumps.json" "$url/api/v1/samples" || fail "ingest nab"
api --data-binary @"$tmp/gen1.json" "$url/api/v1/samples" || fail "ingest gen"
settle

# The level shift: an anomaly inside NAB's window, with its reason.
api "$url/api/v1/anomalies?series=nab.jumpsup&limit=1000" >"$tmp/nab.json"
$py - "$tmp/nab.json" "$tmp/jumps.values" <<'PY' || fail "nab anomaly: $(cat "$tmp/nab.json")"
import json, sys
d, values = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
lo, hi = 1397146500, 1397267100  # 2014-04-10 16:15:00 .. 2014-04-12 01:45:00 (labels)
inside = [a for a in d["items"] if lo <= a["time"] <= hi]
assert d["next"] is None and len(inside) >= 1, d
a = inside[0]
assert a["series"] == "nab.jumpsup" and a["score"] >= 0.55 and a["score"] <= 1, a
assert a["detector"] in ("range", "cusum"), a
assert a["observed"] == values[str(a["time"])], (a, values[str(a["time"])])
l, h = a["interval"]
assert l < h and not (l <= a["observed"] <= h), a  # outside its interval
assert a["reason"].startswith(a["detector"] + ":") and "%.6g" % a["observed"] in a["reason"], a
assert a["suppressed"] is None, a
# the jump is up: the value is above what was expected
assert a["observed"] > h, a
PY

# The generated series: the two spikes, the first suppressed on gen.maint.
api "$url/api/v1/anomalies?series=gen.spiky" >"$tmp/spiky.json"
api "$url/api/v1/anomalies?series=gen.maint" >"$tmp/maint.json"
$py - "$tmp/spiky.json" "$tmp/maint.json" "$t0" <<'PY' || fail "generated anomalies"
import json, sys
s, m, t0 = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
assert [(a["time"], a["observed"], a["detector"]) for a in s["items"]] == \
    [(t0 + 2000, 100.0, "range"), (t0 + 3250, 200.0, "range")], s
assert [a["suppressed"] for a in s["items"]] == [None, None], s
assert [(a["time"], a["suppressed"]) for a in m["items"]] == \
    [(t0 + 2000, "maintenance"), (t0 + 3250, None)], m
PY

# Pagination and filters: pages of 1 chain through `next` to the whole list.
api "$url/api/v1/anomalies?limit=1000" >"$tmp/all.json"
$py - "$tmp/all.json" "$url" "$admin" "$t0" <<'PY' || fail "pagination"
import json, sys, urllib.request
full, url, tok, t0 = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], int(sys.argv[4])
def get(q):
    r = urllib.request.Request(url + "/api/v1/anomalies?" + q, headers={"Authorization": "Bearer " + tok})
    return json.load(urllib.request.urlopen(r))
ids, cur = [], None
while True:
    p = get("limit=1" + ("&cursor=%d" % cur if cur else ""))
    ids += [a["id"] for a in p["items"]]
    if p["next"] is None:
        break
    assert p["next"] == p["items"][-1]["id"], p
    cur = p["next"]
assert ids == [a["id"] for a in full["items"]] and len(ids) >= 5, (ids, full)
w = get("from=%d&to=%d" % (t0 + 2500, t0 + 3500))["items"]
assert sorted((a["series"], a["time"]) for a in w) == [("gen.maint", t0 + 3250), ("gen.spiky", t0 + 3250)], w
assert get("series=none.such")["items"] == []
PY
for q in "limit=0" "cursor=x" "from=yesterday" "from=20&to=10" "series=a%20b"; do
    [[ $(code -H "Authorization: Bearer $reader" "$url/api/v1/anomalies?$q") == 400 ]] || fail "$q accepted"
    grep -q '"code":"invalid_field"' "$tmp/out" || fail "$q: $(cat "$tmp/out")"
done
[[ $(code "$url/api/v1/anomalies") == 401 ]] || fail "anomalies without a token"
# The OpenAPI document describes the list and every field of its items.
api "$url/api/v1/openapi.json" >"$tmp/openapi.json"
$py - "$tmp/openapi.json" "$tmp/all.json" <<'PY' || fail "openapi"
import json, sys
d, items = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["items"]
get = d["paths"]["/api/v1/anomalies"]["get"]
assert {p["name"] for p in get["parameters"]} == {"series", "from", "to", "limit", "cursor"}, get
props = d["components"]["schemas"]["Anomaly"]["properties"]
assert items and all(set(a) == set(props) for a in items), (set(items[0]), set(props))
assert {"get", "post"} <= set(d["paths"]["/api/v1/annotations"]), d["paths"]["/api/v1/annotations"]
PY

# Alerts: one per series (two anomalies of gen.spiky within the window make
# one), none for the suppressed spike; each delivery signed.
waitfor() { # seconds, python condition over D (the deliveries, bodies parsed)
    for _ in $(seq $(($1 * 10))); do
        $py -c "import json,sys,os; D=[dict(r, a=json.loads(r['body'])) for r in map(json.loads, open('$tmp/hook.log'))] if os.path.exists('$tmp/hook.log') else []; sys.exit(0 if ($2) else 1)" && return 0
        sleep 0.1
    done
    return 1
}
waitfor 20 "{d['a']['subject'] for d in D if d['a']['kind'] == 'anomaly' and d['a']['state'] == 'open'} >= {'gen.spiky', 'gen.maint', 'nab.jumpsup'}" ||
    fail "anomaly alerts not delivered: $(cat "$tmp/hook.log" 2>/dev/null)"
api "$url/api/v1/alerts?state=all&limit=1000" >"$tmp/alerts.json"
$py - "$tmp/hook.log" "$tmp/alerts.json" "$secret" "$t0" <<'PY' || fail "alerts"
import hashlib, hmac, json, sys, time
log, al, secret, t0 = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3].encode(), int(sys.argv[4])
D = [json.loads(l) for l in open(log)]
for d in D:
    want = "sha256=" + hmac.new(secret, d["body"].encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(d["sig"], want), d
    body = json.loads(d["body"])
    assert str(body["sent_at"]) == d["ts"] and abs(int(d["ts"]) - time.time()) < 120, d
A = [json.loads(d["body"]) for d in D]
spiky = [a for a in al["items"] if a["subject"] == "gen.spiky"]
assert len(spiky) == 1 and spiky[0]["state"] == "open" and spiky[0]["kind"] == "anomaly", spiky
assert spiky[0]["body"]["time"] == t0 + 3250 and spiky[0]["body"]["detector"] == "range", spiky
maint = [a for a in al["items"] if a["subject"] == "gen.maint"]
assert len(maint) == 1 and maint[0]["body"]["time"] == t0 + 3250, maint  # not the suppressed one
opens = [a for a in A if a["subject"] == "gen.spiky" and a["state"] == "open"]
assert len(opens) == 1 and opens[0]["body"]["time"] in (t0 + 2000, t0 + 3250), A
nab = [a for a in A if a["subject"] == "nab.jumpsup" and a["state"] == "open"]
assert nab and 1397146500 <= nab[-1]["body"]["time"] <= 1397267100, nab
PY
# The signature checks with openssl too (an independent HMAC).
if command -v openssl >/dev/null; then
    head -1 "$tmp/hook.log" | $py -c 'import json,sys; r=json.loads(sys.stdin.read()); open(sys.argv[1],"w").write(r["body"]); print(r["sig"])' "$tmp/b1" >"$tmp/s1"
    [[ "sha256=$(openssl dgst -sha256 -hmac "$secret" -r "$tmp/b1" | cut -d' ' -f1)" == "$(cat "$tmp/s1")" ]] ||
        fail "openssl does not verify the signature"
fi

# Restart after kill -9, now with a per-token rate limit: nothing judged
# again, nothing sent again.
api "$url/api/v1/anomalies?limit=1000" >"$tmp/before.json"
sent=$(wc -l <"$tmp/hook.log")
kill -KILL "$pid"
wait "$pid" || true
pid=
config "rate_limit:
  per_token_rps: 5
  per_token_burst: 5"
start
sleep 0.3
settle
sleep 1.2 # a delivery round after the passes
api "$url/api/v1/anomalies?limit=1000" >"$tmp/after.json"
cmp -s "$tmp/before.json" "$tmp/after.json" || fail "anomalies changed over a restart"
[[ $(wc -l <"$tmp/hook.log") == "$sent" ]] || fail "deliveries after a restart: $(tail -n +$((sent + 1)) "$tmp/hook.log")"

# The detector goes on from its cursor: the third spike only.
sleep 1
api --data-binary @"$tmp/gen2.json" "$url/api/v1/samples" || fail "ingest gen2"
sleep 1
settle
sleep 1
api "$url/api/v1/anomalies?series=gen.spiky" >"$tmp/spiky2.json"
$py - "$tmp/spiky2.json" "$t0" <<'PY' || fail "after restart: $(cat "$tmp/spiky2.json")"
import json, sys
s, t0 = json.load(open(sys.argv[1])), int(sys.argv[2])
assert [(a["time"], a["observed"]) for a in s["items"]] == \
    [(t0 + 2000, 100.0), (t0 + 3250, 200.0), (t0 + 7500, 400.0)], s
PY
waitfor 10 "any(d['a']['subject'] == 'gen.spiky' and d['a']['state'] == 'open' and d['a']['body']['time'] == $t0 + 7500 for d in D)" ||
    fail "no new alert for the third spike: $(tail -n +$((sent + 1)) "$tmp/hook.log")"
waitfor 5 "sum(d['a']['subject'] == 'gen.spiky' and d['a']['state'] == 'resolved' for d in D) == 1" ||
    fail "the first gen.spiky alert did not resolve"

# Rate limit per token: 5 at once, then 5 per second; another token is not affected.
n=0 c=200
while [[ $c == 200 ]] && ((n < 30)); do
    c=$(code -D "$tmp/hdr" -H "Authorization: Bearer $other" "$url/api/v1/anomalies?limit=1")
    n=$((n + 1))
done
[[ $c == 429 ]] && ((n >= 6)) || fail "no 429 after the burst: $c after $n requests"
grep -qi '^Retry-After: [1-9]' "$tmp/hdr" || fail "no Retry-After: $(cat "$tmp/hdr")"
grep -q '"code":"rate_limited"' "$tmp/out" || fail "429 body: $(cat "$tmp/out")"
[[ $(code -H "Authorization: Bearer $reader" "$url/api/v1/anomalies?limit=1") == 200 ]] ||
    fail "another token was limited too"
sleep 1.1
[[ $(code -H "Authorization: Bearer $other" "$url/api/v1/anomalies?limit=1") == 200 ]] ||
    fail "the bucket does not refill"
stop
echo "serve-anomaly: ok"
