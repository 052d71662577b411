#!/usr/bin/env bash
# headroom forecast --m4: the batch contract (header, one row per series in
# input order, 48 finite values each, atomic output, fallback warning, same
# result on 1 and 2 threads).
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
train="$HR_TEST_DATA/m4/Hourly-train-sample20.csv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$HR_BIN" forecast --m4 "$train" --horizon 48 --season 24 --model snaive -o "$tmp/out.csv" \
    --jobs 2 2>"$tmp/err"
[[ -s "$tmp/out.csv" ]] || fail "no output file"
[[ ! -s "$tmp/err" ]] || fail "unexpected stderr: $(cat "$tmp/err")"
# No temporary file left next to the output.
[[ $(ls "$tmp" | grep -c 'out.csv.tmp') -eq 0 ]] || fail "temporary file left behind"

want_header="id$(for k in $(seq 1 48); do printf ',F%d' "$k"; done)"
[[ "$(head -1 "$tmp/out.csv")" == "$want_header" ]] || fail "bad header: $(head -1 "$tmp/out.csv")"
rows=$(($(wc -l <"$tmp/out.csv") - 1))
series=$(($(wc -l <"$train") - 1))
[[ $rows -eq $series && $rows -eq 20 ]] || fail "$rows rows for $series series"
# Ids in input order.
diff <(tail -n +2 "$train" | cut -d, -f1 | tr -d '"') <(tail -n +2 "$tmp/out.csv" | cut -d, -f1) ||
    fail "ids out of order"
# 48 finite numbers per row.
awk -F, 'NR > 1 { if (NF != 49) { print "row " NR ": " NF " fields"; bad = 1 }
                  for (i = 2; i <= NF; i++)
                      if ($i !~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) {
                          print "row " NR " field " i ": " $i; bad = 1 } }
         END { exit bad }' "$tmp/out.csv" || fail "non-finite or malformed values"
# Seasonal naive on H2 repeats the last day: 3077, 2710, 2449 (M4 sample README).
[[ "$(sed -n 2p "$tmp/out.csv" | cut -d, -f1-4)" == "H2,3077,2710,2449" ]] ||
    fail "H2 forecast: $(sed -n 2p "$tmp/out.csv" | cut -d, -f1-4)"
[[ "$(sed -n 2p "$tmp/out.csv" | cut -d, -f2)" == "$(sed -n 2p "$tmp/out.csv" | cut -d, -f26)" ]] ||
    fail "H2: F1 != F25"

# One thread gives the same file.
"$HR_BIN" forecast --m4 "$train" -H 48 -s 24 -m snaive -o "$tmp/out1.csv" -j 1
cmp "$tmp/out.csv" "$tmp/out1.csv" || fail "--jobs 1 and --jobs 2 differ"

# A season longer than the 700 training values: snaive fails on every
# series, which fall back to naive (the last value repeated), counted.
"$HR_BIN" forecast --m4 "$train" -H 48 -s 2000 -m snaive -o "$tmp/fb.csv" 2>"$tmp/err"
grep -q "snaive failed on 20 of 20 series" "$tmp/err" || fail "no fallback warning: $(cat "$tmp/err")"
last=$(sed -n 2p "$train" | tr ',' '\n' | grep -v '^$' | tail -1 | tr -d '"')
[[ "$(sed -n 2p "$tmp/fb.csv" | cut -d, -f2)" == "$last" ]] || fail "fallback is not naive"
[[ $(($(wc -l <"$tmp/fb.csv") - 1)) -eq 20 ]] || fail "fallback rows"

# Without --season the M4 ids give it (H: 24): same forecasts.
"$HR_BIN" forecast --m4 "$train" -H 48 -m snaive -o "$tmp/inferred.csv"
cmp "$tmp/out.csv" "$tmp/inferred.csv" || fail "season not inferred from the ids"

# An existing output is replaced whole.
printf 'stale\n' >"$tmp/out1.csv"
"$HR_BIN" forecast --m4 "$train" -H 48 -s 24 -m snaive -o "$tmp/out1.csv"
cmp "$tmp/out.csv" "$tmp/out1.csv" || fail "output not replaced"
echo "m4-batch: ok"
