#!/usr/bin/env bash
# headroom serve scraping Prometheus exposition endpoints listed in the
# configuration (libcurl): samples stored with job=JOB, up=1/0 per scrape,
# a failing target counted, configuration errors named, SIGHUP reload.
set -euo pipefail
: "${HR_BIN:?}"
tmp=$(mktemp -d)
pid= web=
cleanup() {
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
    [[ -n "$web" ]] && kill "$web" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$tmp/log" ]] && cat "$tmp/log" >&2; exit 1; }

# An exporter: a static metrics file served by Python's http.server.
mkdir "$tmp/www"
cat >"$tmp/www/metrics" <<'M'
# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.25
node_cpu_seconds_total{cpu="0",mode="idle"} 1234.5
M
wport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$wport" --bind 127.0.0.1 --directory "$tmp/www" >/dev/null 2>&1 &
web=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$wport/metrics" >/dev/null && break; sleep 0.05; done

# Configuration errors name the file, line and column.
printf 'scrape:\n  - job: x\n    interval: 1s\n' >"$tmp/bad.yaml"
set +e
"$HR_BIN" serve --config "$tmp/bad.yaml" --data "$tmp/d" 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q 'bad.yaml:2:5: scrape\[0\]: url is required' "$tmp/err" || fail "no url: $(cat "$tmp/err")"
printf 'scrape:\n  - url: ftp://x/metrics\n' >"$tmp/bad.yaml"
set +e
"$HR_BIN" serve --config "$tmp/bad.yaml" --data "$tmp/d" 2>"$tmp/err"
set -e
grep -q 'bad.yaml:2:10: scrape\[0\].url: bad value "ftp://x/metrics"' "$tmp/err" || fail "bad url: $(cat "$tmp/err")"

tok=$("$HR_BIN" token create --data "$tmp/d" --scope read)
cat >"$tmp/cfg.yaml" <<Y
scrape:
  - url: http://127.0.0.1:$wport/metrics
    job: node
    interval: 1s
  - url: http://127.0.0.1:$wport/nosuch
    job: broken
    interval: 1s
Y
"$HR_BIN" serve --config "$tmp/cfg.yaml" --data "$tmp/d" --listen 127.0.0.1:0 --port-file "$tmp/port" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$tmp/port")"
auth=(-H "Authorization: Bearer $tok")
get() { curl -sf "${auth[@]}" "$url/api/v1/series/$1/samples"; }
for _ in $(seq 60); do
    n=$(get "up,job=node" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["samples"]))' 2>/dev/null || echo 0)
    [[ $n -ge 2 ]] && break
    sleep 0.1
done
[[ $n -ge 2 ]] || fail "no scrapes of node"
get "node_load1,job=node" | python3 -c '
import json, sys
s = json.load(sys.stdin)["samples"]
assert s and all(v == 0.25 for _, v in s), s'
get "node_cpu_seconds_total,cpu=0,job=node,mode=idle" | grep -q '1234.5' || fail "labelled series"
get "up,job=node" | python3 -c 'import json,sys; assert all(v == 1 for _, v in json.load(sys.stdin)["samples"])' || fail "up node"
get "up,job=broken" | python3 -c 'import json,sys; s=json.load(sys.stdin)["samples"]; assert s and all(v == 0 for _, v in s)' || fail "up broken"
grep -q 'scrape broken: .*/nosuch: HTTP status 404' "$tmp/log" || fail "failure not logged"
m=$(curl -sf "${auth[@]}" "$url/metrics")
echo "$m" | grep -Eq '^headroom_scrapes_total\{job="node",result="ok"\} [1-9]' || fail "ok counter"
echo "$m" | grep -Eq '^headroom_scrapes_total\{job="broken",result="failed"\} [1-9]' || fail "failed counter"

# Reload without the broken target.
head -4 "$tmp/cfg.yaml" >"$tmp/cfg2.yaml"
mv "$tmp/cfg2.yaml" "$tmp/cfg.yaml"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q 'configuration reloaded' "$tmp/log" && break; sleep 0.05; done
curl -sf "${auth[@]}" "$url/metrics" | grep -q 'job="broken"' && fail "broken still scraped after reload"
kill -TERM "$pid"
wait "$pid"
pid=
echo "serve-scrape: ok"
