#!/usr/bin/env bash
# headroom forecast on one series: formats, future timestamps, quantile
# levels (defaults plus the given ones, monotone), conformal intervals.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
nab="$HR_TEST_DATA/cli/series/ec2_cpu_utilization_24ae8d.csv"
lines="$HR_TEST_DATA/cli/series/m4-H2-train.txt"

# NAB CSV: the last row is 2014-02-28 14:25:00, the step 5 minutes.
"$HR_BIN" forecast --input "$nab" --horizon 4 --season 288 --model snaive --format csv >"$tmp/f.csv"
cat "$tmp/f.csv"
[[ "$(head -1 "$tmp/f.csv")" == "step,timestamp,mean,q0.05,q0.5,q0.95" ]] || fail "csv header"
[[ $(wc -l <"$tmp/f.csv") -eq 5 ]] || fail "csv rows"
[[ "$(sed -n 2p "$tmp/f.csv" | cut -d, -f1,2)" == "1,2014-02-28 14:30:00" ]] || fail "timestamp 1"
[[ "$(sed -n 5p "$tmp/f.csv" | cut -d, -f1,2)" == "4,2014-02-28 14:45:00" ]] || fail "timestamp 4"
# snaive at 288: step 1 repeats the value one day before it.
day_before=$(grep -F '2014-02-27 14:30:00,' "$nab" | cut -d, -f2)
[[ "$(sed -n 2p "$tmp/f.csv" | cut -d, -f3)" == "$day_before" ]] || fail "snaive mean"

# One value per line: no timestamp column; extra levels merged and sorted.
"$HR_BIN" forecast -i "$lines" -H 48 -s 24 -m snaive -q 0.99,0.1 -f csv >"$tmp/l.csv"
[[ "$(head -1 "$tmp/l.csv")" == "step,mean,q0.05,q0.1,q0.5,q0.95,q0.99" ]] || fail "levels: $(head -1 "$tmp/l.csv")"
[[ "$(sed -n 2p "$tmp/l.csv" | cut -d, -f1,2)" == "1,3077" ]] || fail "H2 snaive"
awk -F, 'NR > 1 { for (i = 4; i <= NF; i++) if ($i + 0 < $(i - 1) + 0) bad = 1 } END { exit bad }' \
    "$tmp/l.csv" || fail "quantiles not monotone"

# JSON, with conformal intervals replacing the model's.
"$HR_BIN" forecast -i "$nab" -H 6 -s 288 -m naive -f json --calibrate always >"$tmp/f.json"
python3 - "$tmp/f.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["model"] == "naive" and d["horizon"] == 6 and d["intervals"] == "conformal", d
assert d["levels"] == [0.05, 0.5, 0.95], d["levels"]
steps = d["forecast"]
assert [s["step"] for s in steps] == list(range(1, 7))
assert steps[0]["timestamp"] == "2014-02-28 14:30:00"
for s in steps:
    q = s["quantiles"]
    assert q["0.05"] <= q["0.5"] <= q["0.95"], s
    assert q["0.05"] < q["0.95"], s  # real noise: a band of positive width
PY

# Table: a comment line naming the model, then one row per step.
"$HR_BIN" forecast -i "$lines" -H 3 -m naive >"$tmp/t"
head -1 "$tmp/t" | grep -q '^# naive: Naive, 700 values, horizon 3, intervals: model' || fail "table head"
[[ $(wc -l <"$tmp/t") -eq 5 ]] || fail "table rows"

# -o writes the same bytes as stdout.
"$HR_BIN" forecast -i "$lines" -H 3 -m naive -o "$tmp/o"
cmp "$tmp/t" "$tmp/o" || fail "-o differs from stdout"
# No --season: the daily period of 5-minute data (288 steps) is detected
# from the data (NAB file with two gaps; 14 days, a clear daily cycle is not
# guaranteed, so use a series built from a real one: the PlanetLab day
# repeated over 4 days with timestamps).
python3 - "$HR_TEST_DATA" "$tmp/daily.csv" <<'PY'
import os, sys, glob, datetime
src = sorted(glob.glob(os.path.join(sys.argv[1], "planetlab", "*")))
src = [f for f in src if not f.endswith("README.md")][0]
vals = [int(l) for l in open(src)]
with open(sys.argv[2], "w") as f:
    f.write("timestamp,value\n")
    t0 = datetime.datetime(2011, 3, 3)
    for i in range(4 * 288):
        t = t0 + datetime.timedelta(seconds=300 * i)
        f.write(f"{t:%Y-%m-%d %H:%M:%S},{vals[i % 288]}\n")
PY
"$HR_BIN" forecast -i "$tmp/daily.csv" -H 3 -m snaive >"$tmp/d.out" 2>"$tmp/d.err"
grep -q "seasonal period detected: 288 steps" "$tmp/d.err" || fail "no daily period detected: $(cat "$tmp/d.err")"
echo "forecast: ok"
