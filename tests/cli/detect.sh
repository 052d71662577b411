#!/usr/bin/env bash
# headroom detect: one file (row count, order, timestamps kept), --nab
# mirroring paths and scored by 'nab score', the gaussian port against NAB's
# output, --explain on an aggregate of real series, --annotations.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
F="$HR_TEST_DATA/nab-score"
dst="$F/data/realAWSCloudwatch/ec2_disk_write_bytes_1ef3de.csv"

# One file: one row per input row, timestamps and values as given (the DST repeat too).
"$HR_BIN" detect --input "$dst" -o "$tmp/one.csv"
[[ "$(head -1 "$tmp/one.csv")" == "timestamp,value,anomaly_score" ]] || fail "header"
[[ $(wc -l <"$tmp/one.csv") -eq $(wc -l <"$dst") ]] || fail "row count"
cmp <(cut -d, -f1 "$dst" | tail -n +2) <(cut -d, -f1 "$tmp/one.csv" | tail -n +2) || fail "timestamps"
awk -F, 'NR > 1 && ($3 < 0 || $3 > 1) { exit 1 }' "$tmp/one.csv" || fail "score outside [0,1]"
[[ $(grep -c '^2014-03-09 03:00:00,' "$tmp/one.csv") -eq 12 ]] || fail "DST repeats"

# --reasons adds the reason columns.
"$HR_BIN" detect -i "$dst" -o "$tmp/r.csv" --reasons
[[ "$(head -1 "$tmp/r.csv")" == "timestamp,value,anomaly_score,detector,expected,lo,hi" ]] || fail "reasons header"

# --nab mirrors the tree; the gaussian port scores what NAB's own output scores.
"$HR_BIN" detect --nab "$F/data" -o "$tmp/wg" -d gaussian -j 2
[[ -f "$tmp/wg/artificialNoAnomaly/art_daily_no_noise.csv" ]] || fail "mirrored path"
args=(--data "$F/data" --labels "$F/combined_windows.json" --profiles "$F/profiles.json")
"$HR_BIN" nab score "${args[@]}" --results "$tmp/wg" >"$tmp/mine"
"$HR_BIN" nab score "${args[@]}" --results "$F/results/windowedGaussian" >"$tmp/theirs"
cmp "$tmp/mine" "$tmp/theirs" || fail "gaussian port scores differently: $(cat "$tmp/mine" "$tmp/theirs")"

# Bad input: unsorted rows name the line; a missing file; unknown detector.
printf 'timestamp,value\n2014-01-01 00:05:00,1\n2014-01-01 00:00:00,2\n' >"$tmp/bad.csv"
if "$HR_BIN" detect -i "$tmp/bad.csv" -o "$tmp/x.csv" 2>"$tmp/err"; then fail "unsorted accepted"; fi
grep -q 'bad.csv:3:1: timestamp 2014-01-01 00:00:00 is earlier' "$tmp/err" || fail "$(cat "$tmp/err")"
[[ ! -e "$tmp/x.csv" ]] || fail "output written on error"
set +e
"$HR_BIN" detect -i "$tmp/bad.csv" -o "$tmp/x.csv" -d nosuch 2>/dev/null
[[ $? -eq 2 ]] || fail "unknown detector exit code"
set -e

# --explain: three real CPU series on one clock, the aggregate their sum; a
# 25-point surge added to child b at one row must rank b first.
python3 - "$F/data" "$tmp" <<'PY'
import os, sys
src, out = sys.argv[1], sys.argv[2]
files = ["realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv",
         "artificialWithAnomaly/art_daily_jumpsup.csv",
         "realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv"]
cols = [[l.split(",") for l in open(os.path.join(src, f)).read().splitlines()[1:1201]] for f in files]
ts = [r[0] for r in cols[0]]
vals = [[float(r[1]) for r in c] for c in cols]
vals[2] = [v / 1e6 for v in vals[2]]   # bytes -> MB, same order as the others
vals[1][1000] += 25.0
os.makedirs(os.path.join(out, "children"))
for name, v in zip("abc", vals):
    with open(os.path.join(out, "children", name + ".csv"), "w") as f:
        f.write("timestamp,value\n" + "".join("%s,%r\n" % (t, x) for t, x in zip(ts, v)))
with open(os.path.join(out, "agg.csv"), "w") as f:
    f.write("timestamp,value\n" + "".join("%s,%r\n" % (t, sum(x)) for t, *x in zip(ts, *vals)))
print(ts[1000])
PY
at=$(sed -n 1002p "$tmp/agg.csv" | cut -d, -f1)
"$HR_BIN" detect --explain --aggregate "$tmp/agg.csv" --children "$tmp/children" --at "$at" >"$tmp/ex"
cat "$tmp/ex"
head -1 "$tmp/ex" | grep -q "^# aggregate .*agg.csv at $at: observed" || fail "explain header"
[[ "$(sed -n 2p "$tmp/ex")" == "rank,child,observed,expected,deviation,share" ]] || fail "explain columns"
[[ "$(sed -n 3p "$tmp/ex" | cut -d, -f1,2)" == "1,b.csv" ]] || fail "b not first"
awk -F, 'NR == 3 && !($5 > 20 && $6 > 0.5) { exit 1 }' "$tmp/ex" || fail "b's deviation/share"
# Without --at: the aggregate's strongest anomaly.
"$HR_BIN" detect --explain --aggregate "$tmp/agg.csv" --children "$tmp/children" -o "$tmp/ex2"
[[ $(wc -l <"$tmp/ex2") -eq 5 ]] || fail "explain rows"

# --annotations: rows inside a maintenance window score 0 and say why.
printf '# maintenance\n2014-03-09 00:00:00,2014-03-09 06:00:00,kernel update\n' >"$tmp/ann.csv"
"$HR_BIN" detect -i "$dst" -o "$tmp/s.csv" --reasons --annotations "$tmp/ann.csv"
grep '^2014-03-09 03:00:00,' "$tmp/s.csv" | head -1 | grep -q ',0,suppressed: kernel update,' || fail "suppressed row"
printf '2014-03-09 06:00:00,2014-03-09 00:00:00,backwards\n' >"$tmp/ann2.csv"
if "$HR_BIN" detect -i "$dst" -o "$tmp/s2.csv" --annotations "$tmp/ann2.csv" 2>"$tmp/err"; then fail "bad annotation"; fi
grep -q 'ann2.csv:1:1: the window ends before it starts' "$tmp/err" || fail "$(cat "$tmp/err")"
echo ok
