#!/usr/bin/env bash
# `make run`: the daemon demo. `headroom serve` on its embedded defaults
# (127.0.0.1:8080, data in ./headroom-demo-data) with a demo fleet (a tenant,
# an SLA, one workload per PlanetLab VM trace) whose telemetry is a PlanetLab
# day replayed through the line-protocol API in accelerated time (10 minutes
# of trace a second), the control loop every second in predictive mode on
# the sim driver (a simulated datacenter: docs/daemon.md), and the dashboard
# URL with a token printed. Ctrl-C stops it cleanly.
#   scripts/serve-demo.sh BUILD/headroom [TRACE_DIR]
# TRACE_DIR: PlanetLab files (one value per line, 288 lines); default the
# shared data set when present, else the three bundled in tests/data.
# Environment: HEADROOM_DEMO_DATA (data directory), HEADROOM_DEMO_LISTEN
# (ADDR:PORT, default 127.0.0.1:8080), HEADROOM_DEMO_VMS (default 8),
# HEADROOM_DEMO_STEPS (trace steps replayed, default 288).
set -euo pipefail
hr=${1:?usage: scripts/serve-demo.sh HEADROOM [TRACE_DIR]}
src="$(cd "$(dirname "$0")/.." && pwd)"
traces=${2:-}
if [[ -z "$traces" ]]; then
    traces="$src/../shared/data/planetlab/20110303"
    [[ -d "$traces" ]] || traces="$src/tests/data/planetlab"
fi
data=${HEADROOM_DEMO_DATA:-./headroom-demo-data}
listen=${HEADROOM_DEMO_LISTEN:-127.0.0.1:8080}
nvms=${HEADROOM_DEMO_VMS:-8}
nsteps=${HEADROOM_DEMO_STEPS:-288}
rm -rf "$data"
tok=$("$hr" token create --data "$data" --scope admin)
# The loop: a round a second, each 600 s of simulated time (two trace steps,
# the pace of the replay below).
printf 'loop:\n  interval: 1s\n  sim_step: 600s\n  driver: sim\n' >"$data/demo.yaml"
"$hr" serve --config "$data/demo.yaml" --data "$data" --listen "$listen" \
    --port-file "$data/port" &
pid=$!
stop() {
    trap - INT TERM
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "headroom demo: stopped"
    exit 0
}
trap stop INT TERM
for _ in $(seq 100); do [[ -s "$data/port" ]] && break; sleep 0.05; done
[[ -s "$data/port" ]] || { echo "demo: the daemon did not start" >&2; exit 1; }
url="http://${listen%:*}:$(cat "$data/port")"
curl -sf "$url/healthz" >/dev/null || { echo "demo: the daemon does not answer" >&2; exit 1; }
api() { curl -sf -o /dev/null -H "Authorization: Bearer $tok" "$@"; }

# The demo fleet: nvms VMs from the trace directory.
mapfile -t files < <(find "$traces" -maxdepth 1 -type f ! -name README.md | sort | head -n "$nvms")
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
echo "               plan      curl -H 'Authorization: Bearer $tok' $url/api/v1/plan"
echo "               replaying a PlanetLab day of ${#files[@]} VMs; the loop plans and acts"
echo "               every second (predictive mode, sim driver); Ctrl-C stops"
echo

# Replay: step k of every trace at now - (288 - k) * 300 s, two steps a second.
now=$(date +%s)
paste -d' ' "${files[@]}" | head -n "$nsteps" | awk -v now="$now" -v n="${#files[@]}" '{
    t = now - (288 - NR) * 300
    for (i = 1; i <= n; i++) printf "vm.cpu,vm=vm%d value=%s %d\n", i - 1, $i, t
    printf "\n"
}' | while IFS= read -r line; do
    if [[ -z "$line" ]]; then
        api --data-binary @"$data/.batch" "$url/api/v1/write?precision=s" || true
        : >"$data/.batch"
        sleep 0.5
    else
        printf '%s\n' "$line" >>"$data/.batch"
    fi
done
plan=$(curl -sf -H "Authorization: Bearer $tok" "$url/api/v1/journal?limit=1000" |
    grep -o '"kind": *"plan"' | wc -l) || plan=0
echo "headroom demo: replay done ($plan plans carried out, in the journal); the daemon keeps"
echo "               running (Ctrl-C stops)"
wait "$pid"
