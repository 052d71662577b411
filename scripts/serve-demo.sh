#!/usr/bin/env bash
# The daemon demo: `headroom serve` on its embedded defaults (127.0.0.1:8080)
# with a demo fleet (a tenant, an SLA, one workload per PlanetLab VM trace)
# whose telemetry is a PlanetLab day replayed through the line-protocol API
# in accelerated time (300 s of trace per 0.1 s), the fleet in predictive
# mode, and the dashboard URL with a token printed. Ctrl-C stops it cleanly.
#   scripts/serve-demo.sh BUILD/headroom [TRACE_DIR]
# TRACE_DIR: PlanetLab files (one value per line, 288 lines); default the
# shared data set when present, else the three bundled in tests/data.
# The control loop (lib/loop.c) is not wired into the daemon yet: the mode is
# recorded, plans answer 503.
set -euo pipefail
hr=${1:?usage: scripts/serve-demo.sh HEADROOM [TRACE_DIR]}
src="$(cd "$(dirname "$0")/.." && pwd)"
traces=${2:-}
if [[ -z "$traces" ]]; then
    traces="$src/../shared/data/planetlab/20110303"
    [[ -d "$traces" ]] || traces="$src/tests/data/planetlab"
fi
data=${HEADROOM_DEMO_DATA:-./headroom-demo-data}
rm -rf "$data"
tok=$("$hr" token create --data "$data" --scope admin)
"$hr" serve --data "$data" &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; exit 0; }
trap stop INT TERM
url=http://127.0.0.1:8080
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.05; done
curl -sf "$url/healthz" >/dev/null || { echo "demo: the daemon did not start" >&2; exit 1; }
api() { curl -sf -o /dev/null -H "Authorization: Bearer $tok" "$@"; }

# The demo fleet: 8 VMs from the trace directory.
mapfile -t files < <(find "$traces" -maxdepth 1 -type f ! -name README.md | sort | head -n 8)
api -d '{"name":"demo"}' "$url/api/v1/tenants"
api -d '{"name":"gold","class":"latency","priority":1,"target_quantile":0.95,"max_violation":0.01}' \
    "$url/api/v1/slas"
for i in "${!files[@]}"; do
    api -d "{\"name\":\"vm$i\",\"tenant\":\"demo\",\"sla\":\"gold\",\"series\":\"vm.cpu,vm=vm$i\"}" \
        "$url/api/v1/workloads"
done
api -X PUT -d '{"mode":"predictive"}' "$url/api/v1/fleets/default/mode"
echo
echo "headroom demo: dashboard $url/dashboard?access_token=$tok"
echo "               token     $tok"
echo "               replaying a PlanetLab day of ${#files[@]} VMs; Ctrl-C stops"
echo

# Replay: step k of every trace at now - (288 - k) * 300 s, 10 steps a second.
now=$(date +%s)
paste -d' ' "${files[@]}" | awk -v now="$now" -v n="${#files[@]}" '{
    t = now - (288 - NR) * 300
    for (i = 1; i <= n; i++) printf "vm.cpu,vm=vm%d value=%s %d\n", i - 1, $i, t
    printf "\n"
}' | while IFS= read -r line; do
    if [[ -z "$line" ]]; then
        api --data-binary @"$data/.batch" "$url/api/v1/write?precision=s" || true
        : >"$data/.batch"
        sleep 0.1
    else
        printf '%s\n' "$line" >>"$data/.batch"
    fi
done
echo "headroom demo: replay done; the daemon keeps running (Ctrl-C stops)"
wait "$pid"
