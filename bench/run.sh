#!/usr/bin/env bash
# M4 Hourly benchmark: headroom's models against statsmodels, same series,
# same metrics, same number of cores. Prints figures; asserts nothing.
#   bench/run.sh BUILD/headroom SHARED_DATA_DIR [--quick]
# --quick (or BENCH_QUICK=1): the 20-series sample instead of the 207 series.
# BENCH_JOBS (default 2): headroom --jobs and the statsmodels process pool.
set -euo pipefail
hr=${1:?usage: bench/run.sh HEADROOM SHARED_DATA_DIR [--quick]}
shared=${2:?usage: bench/run.sh HEADROOM SHARED_DATA_DIR [--quick]}
quick=${BENCH_QUICK:-0}
[[ "${3:-}" == "--quick" ]] && quick=1
jobs=${BENCH_JOBS:-2}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3

if [[ "$quick" == 1 ]]; then
    train="$shared/m4-hourly-sample/Hourly-train-sample20.csv"
    test="$shared/m4-hourly-sample/Hourly-test-sample20.csv"
else
    train="$shared/m4-hourly/Hourly-train-even.csv"
    test="$shared/m4-hourly/Hourly-test-even.csv"
fi
for f in "$hr" "$train" "$test"; do
    [[ -e "$f" ]] || { echo "bench: $f not found" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "M4 Hourly benchmark: $(basename "$train"), horizon 48, season 24, $jobs cores each"
echo "machine: $(nproc) online CPUs, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
echo "headroom: every registered model (--calibrate never: point forecasts and the"
echo "models' own intervals only, as statsmodels' fit + forecast)"
t0=$(date +%s.%N)
"$hr" backtest --m4 "$train" --test "$test" --horizon 48 --season 24 --calibrate never \
    --jobs "$jobs" --json >"$tmp/hr.json"
echo "headroom: auto with the seasonal ETS among its candidates (opt-in)"
"$hr" backtest --m4 "$train" --test "$test" --horizon 48 --season 24 --calibrate never \
    --jobs "$jobs" --json --models auto \
    --spec auto=candidates=snaive,snaive-w,naive2,mstl-log,theta,ets >"$tmp/hr-ets.json"
echo "headroom: ETS(A,Ad,A), the form statsmodels fits below"
"$hr" backtest --m4 "$train" --test "$test" --horizon 48 --season 24 --calibrate never \
    --jobs "$jobs" --json --models ets --spec ets=AAdA >"$tmp/hr-aada.json"
t1=$(date +%s.%N)
echo "statsmodels: naive2, ETSModel(A,Ad,A) by ML, ThetaModel(period 24); $jobs processes"
"$py" "$here/statsmodels_m4.py" "$train" "$test" --season 24 --jobs "$jobs" --json >"$tmp/sm.json"
t2=$(date +%s.%N)

"$py" - "$tmp/hr.json" "$tmp/sm.json" "$t0" "$t1" "$t2" "$tmp/hr-ets.json" "$tmp/hr-aada.json" <<'PY'
import json, math, sys
hr = json.load(open(sys.argv[1]))
sm = json.load(open(sys.argv[2]))
t0, t1, t2 = map(float, sys.argv[3:6])
for path, label in ((sys.argv[6], "auto+ets"), (sys.argv[7], "ets-AAdA")):
    for m in json.load(open(path))["models"]:
        m["model"] = label
        hr["models"].append(m)
ref = sm["models"]["naive2"]  # the M4 Naive2, the OWA baseline for every row

def owa(m):
    return 0.5 * (m["smape"] / ref["smape"] + m["mase"] / ref["mase"])

def fmt(v, spec):
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)

print()
print(f"{hr['series']} series (statsmodels {sm['statsmodels']})")
print(f"{'system':12s} {'model':8s} {'sMAPE':>8s} {'MASE':>7s} {'OWA':>7s} {'cov90':>6s} {'s/series':>10s}")
rows = {}
for m in hr["models"]:
    rows[("headroom", m["model"])] = m
for name, m in sm["models"].items():
    rows[("statsmodels", name)] = m
for (system, name), m in rows.items():
    m["owa_ref"] = owa(m)
    print(f"{system:12s} {name:8s} {fmt(m['smape'], '8.3f')} {fmt(m['mase'], '7.3f')} "
          f"{fmt(m['owa_ref'], '7.3f')} {fmt(m.get('coverage90'), '6.3f')} "
          f"{fmt(m['seconds_per_series'], '10.6f')}")
print(f"\nOWA: against statsmodels_m4.py's Naive2 on the same series (M4 definitions).")
if hr.get("baseline") == "naive2":
    n2 = rows[("headroom", "naive2")]
    print(f"headroom's own naive2: sMAPE {n2['smape']:.4f} MASE {n2['mase']:.4f} "
          f"(reference {ref['smape']:.4f} / {ref['mase']:.4f})")
print(f"wall time: headroom {t1 - t0:.1f} s, statsmodels {t2 - t1:.1f} s")

def ratio(a, b):
    ha, sb = rows.get(("headroom", a)), rows.get(("statsmodels", b))
    if not ha or not sb:
        print(f"headroom {a} vs statsmodels {b}: n/a ({a} not registered)")
        return
    speed = ha["seconds_per_series"] / sb["seconds_per_series"]
    faster = f" ({1 / speed:.0f}x faster)" if 0 < speed < 1 else ""
    print(f"headroom {a:8s} vs statsmodels {b:5s}: OWA ratio {ha['owa_ref'] / sb['owa_ref']:.3f} "
          f"(< 1: headroom more accurate), seconds/series ratio {speed:.4f}{faster}")

print()
ratio("auto", "ets")
ratio("auto+ets", "ets")
ratio("ets-AAdA", "ets")
ratio("ets", "ets")
ratio("theta", "theta")
PY

echo
echo "ETS online update and automatic fit (bench/bench-ets.c)"
"$(dirname "$hr")/bench-ets" "$shared/m4-hourly-sample/Hourly-train-sample20.csv" \
    "$shared/m4-hourly-sample/Hourly-test-sample20.csv"
bench/nab.sh "$hr" "$shared"
bench/roadef.sh "$hr" "$shared"
bench/act.sh "$hr" "$shared"
bench/sim.sh "$hr" "$shared"

echo
echo "headroom serve: ingestion, reads, storage, memory (bench/serve.sh)"
"$here/serve.sh" "$hr" "$shared"

echo
echo "headroom serve: memory with anomaly detection on every series (bench/serve-anomaly.sh)"
"$here/serve-anomaly.sh" "$hr" "$shared"
