#!/usr/bin/env bash
# headroom serve: ingestion throughput through the line-protocol endpoint
# (batches of 1,000, durable before the answer) against plain SQLite inserts
# of the same samples, request latency, storage bytes per sample, reading a
# 30-day 5-minute series, resident memory. Prints figures; asserts nothing.
#   bench/serve.sh BUILD/headroom SHARED_DATA_DIR [SERIES] [BATCHES] [CLIENTS]
# BENCH_SERVE=PATH picks the client (default: bench-serve beside HEADROOM),
# to run one build's daemon with another's client.
# Values are PlanetLab CPU traces (SHARED_DATA_DIR/planetlab/20110303).
set -euo pipefail
usage="usage: bench/serve.sh HEADROOM SHARED_DATA_DIR [SERIES] [BATCHES] [CLIENTS]"
hr=${1:?$usage}
shared=${2:?$usage}
series=${3:-10000}
batches=${4:-3000}
clients=${5:-8}
traces="$shared/planetlab/20110303"
[[ -d "$traces" ]] || { echo "bench: $traces not found" >&2; exit 1; }
bench=${BENCH_SERVE:-"$(dirname "$hr")/bench-serve"} # the client (override to pair builds)
tmp=$(mktemp -d)
pid=
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

echo "headroom serve benchmark: $series series (PlanetLab CPU traces), $batches batches of 1,000 lines, $clients clients"
echo "machine: $(nproc) online CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
tok=$("$hr" token create --data "$tmp/d" --scope admin)
"$hr" serve --data "$tmp/d" --listen 127.0.0.1:0 --port-file "$tmp/port" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
port=$(cat "$tmp/port")

cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; } # user + system ticks, all threads
ticks=$(getconf CLK_TCK)
c0=$(cpu)
"$bench" ingest "$port" "$tok" "$series" "$batches" "$clients" "$traces"
c1=$(cpu)
awk -v c="$((c1 - c0))" -v hz="$ticks" -v n="$((batches * 1000))" \
    'BEGIN { printf "daemon CPU during ingest: %.1f s, %.2f us per sample (budget at 300 k/s on 2 cores: 6.67)\n", c / hz, c / hz * 1e6 / n }'
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "daemon RSS after ingest ($series series): $((rss / 1024)) MiB"

metrics=$(curl -sf -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/metrics")
m() { echo "$metrics" | awk -v k="$1" '$1 == k {print $2}'; }
stored=$(m headroom_samples_stored_total)
cb=$(m headroom_chunk_bytes); cs=$(m headroom_chunk_samples); hs=$(m headroom_head_samples)
commits=$(m headroom_commits_total)
skipped=$(m headroom_samples_skipped_total)
awk -v s="$stored" -v c="$commits" -v k="$skipped" 'BEGIN { printf "group commits: %d for %d samples stored, %d skipped (%.0f samples per fsync)\n", c, s, k, s / c }'
awk -v b="$cb" -v n="$cs" -v h="$hs" 'BEGIN { printf "chunks: %.3f bytes/sample (%d samples in chunks, %d in the head)\n", b / n, n, h }'

# A 30-day, 5-minute series (8,640 samples) through the JSON endpoint, then reads.
python3 - "$tmp/month.json" <<'PY'
import json, math, sys
t0 = 1700000000
s = [[t0 + 300 * i, round(50 + 30 * math.sin(2 * math.pi * i / 288) + (i * 7919 % 100) / 10, 1)]
     for i in range(8640)]
json.dump({"series": "month.cpu", "samples": s}, open(sys.argv[1], "w"))
PY
curl -sf -o /dev/null -H "Authorization: Bearer $tok" --data-binary @"$tmp/month.json" \
    "http://127.0.0.1:$port/api/v1/samples"
"$bench" read "$port" "$tok" month.cpu 200

# Forecasts for 200 series (auto model), then memory again.
t0=$(date +%s.%N)
for i in $(seq 0 199); do
    curl -sf -o /dev/null -H "Authorization: Bearer $tok" \
        "http://127.0.0.1:$port/api/v1/series/cpu.usage,host=h$(printf %05d "$i")/forecast?horizon=12"
done
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "forecast (auto, h=12): %.1f ms per series over 200 series\n", (b - a) * 1000 / 200 }'
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "daemon RSS after 200 forecasts: $((rss / 1024)) MiB"
db=$(du -sb "$tmp/d" | cut -f1)
awk -v d="$db" -v s="$stored" 'BEGIN { printf "data directory: %.1f MiB, %.2f bytes/sample all included (WAL, head, indexes)\n", d / 1048576, d / (s + 8640) }'
kill -TERM "$pid"; wait "$pid"; pid=

"$bench" sqlite "$tmp" "$series" "$batches" "$traces"
db=$(du -sb "$tmp/baseline.db"* | awk '{s += $1} END {print s}')
awk -v d="$db" -v s="$((batches * 1000))" 'BEGIN { printf "baseline database: %.2f bytes/sample\n", d / s }'
