#!/usr/bin/env bash
# headroom serve's memory with anomaly detection (issue 7; the per-series
# state of issue 4's detectors): the same ingestion (SERIES series, SAMPLES
# samples each 300 s apart, PlanetLab traces via bench-serve) into daemons
# that differ only in the anomaly block: detection off, then an ensemble
# detector on every series (anomaly.max_series 0). RSS from
# /proc/PID/status after the ingestion, once a whole detection pass has
# covered every series, then after 200 forecasts. Prints figures; asserts
# nothing. The ingestion benchmark (bench/serve.sh) stores 60 samples a
# series; 288 (a day) write every time-of-day slot of the detectors.
#   bench/serve-anomaly.sh BUILD/headroom SHARED_DATA_DIR [SERIES] [SAMPLES]
set -euo pipefail
usage="usage: bench/serve-anomaly.sh HEADROOM SHARED_DATA_DIR [SERIES] [SAMPLES]"
hr=${1:?$usage}
shared=${2:?$usage}
series=${3:-10000}
samples=${4:-288}
traces="$shared/planetlab/20110303"
[[ -d "$traces" ]] || { echo "bench: $traces not found" >&2; exit 1; }
bench="$(dirname "$hr")/bench-serve"
tmp=$(mktemp -d)
pid=
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

rss() { echo $(($(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024)); }
metric() { curl -sf -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/metrics" | awk -v k="$1" '$1 == k {print $2}'; }

run() { # name, then the anomaly block's lines
    local name=$1 d="$tmp/$1"
    shift
    printf 'anomaly:\n' >"$tmp/$name.yaml"
    for l in "$@"; do printf '  %s\n' "$l" >>"$tmp/$name.yaml"; done
    tok=$("$hr" token create --data "$d" --scope admin)
    "$hr" serve --config "$tmp/$name.yaml" --data "$d" --listen 127.0.0.1:0 \
        --port-file "$tmp/$name.port" 2>"$tmp/$name.log" &
    pid=$!
    for _ in $(seq 100); do [[ -s "$tmp/$name.port" ]] && break; sleep 0.05; done
    port=$(cat "$tmp/$name.port")
    "$bench" ingest "$port" "$tok" "$series" $(((series * samples + 999) / 1000)) 8 "$traces" >/dev/null
    local after_ingest followed=0 passes p0
    after_ingest=$(rss)
    if [[ "$name" != off ]]; then # wait for a whole pass after every series has a detector
        for _ in $(seq 600); do
            followed=$(metric headroom_anomaly_series)
            [[ "$followed" -ge "$series" ]] && break
            sleep 0.5
        done
        p0=$(metric headroom_anomaly_passes_total)
        for _ in $(seq 600); do
            passes=$(metric headroom_anomaly_passes_total)
            [[ "$passes" -ge $((p0 + 2)) ]] && break
            sleep 0.5
        done
    fi
    local detect=$(rss)
    for i in $(seq 0 199); do
        curl -sf -o /dev/null -H "Authorization: Bearer $tok" \
            "http://127.0.0.1:$port/api/v1/series/cpu.usage,host=h$(printf %05d "$i")/forecast?horizon=12"
    done
    printf '%-10s series with a detector %6s   RSS MiB: after ingest %4s, after a whole pass %4s, after 200 forecasts %4s\n' \
        "$name" "$followed" "$after_ingest" "$detect" "$(rss)"
    kill -TERM "$pid"; wait "$pid" || true; pid=
}

echo "headroom serve RSS with anomaly detection: $series series x $samples samples (PlanetLab CPU traces)"
run off "interval: 0"
run ensemble "interval: 1s" "max_series: 0"
