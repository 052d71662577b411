#!/usr/bin/env bash
# headroom nab score on the five-file fixture: the shipped numenta outputs
# (NAB's <detector>_<file> layout), a fixed threshold, mirrored layout, and
# errors naming the file.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
F="$HR_TEST_DATA/nab-score"
args=(--data "$F/data" --labels "$F/combined_windows.json" --profiles "$F/profiles.json")

"$HR_BIN" nab score "${args[@]}" --results "$F/results/numenta" >"$tmp/out"
cat "$tmp/out"
grep -q '^standard  *score   53.4775  threshold 1 ' "$tmp/out" || fail "numenta standard"
grep -q '^reward_low_FN_rate  *score   55.6517 ' "$tmp/out" || fail "numenta low FN"
[[ $(wc -l <"$tmp/out") -eq 3 ]] || fail "three profiles"

# Fixed threshold 1.1: nothing detected, the null detector's 0.
"$HR_BIN" nab score "${args[@]}" --results "$F/results/numenta" --threshold 1.1 >"$tmp/null"
[[ $(grep -c ' score    0.0000 ' "$tmp/null") -eq 3 ]] || fail "null score"

# Mirrored layout (what headroom detect --nab writes): RESULTS/<category>/<file>.
mkdir -p "$tmp/res"
(cd "$F/results/numenta" && for d in */; do
    mkdir -p "$tmp/res/$d"
    for f in "$d"numenta_*; do cp "$f" "$tmp/res/$d${f#"$d"numenta_}"; done
done)
"$HR_BIN" nab score "${args[@]}" --results "$tmp/res" >"$tmp/out2"
cmp "$tmp/out" "$tmp/out2" || fail "mirrored layout differs"

# A result file one row short: the error names it and both counts.
f=$(ls "$tmp"/res/realAWSCloudwatch/iio*)
sed -i '$d' "$f"
if "$HR_BIN" nab score "${args[@]}" --results "$tmp/res" 2>"$tmp/err"; then fail "short file accepted"; fi
grep -q "iio_us-east-1_i-a2eb1cd9_NetworkIn.csv: 1242 result rows for 1243 data rows" "$tmp/err" || fail "$(cat "$tmp/err")"
# Missing option: usage error (exit 2).
set +e
"$HR_BIN" nab score --data "$F/data" 2>/dev/null
[[ $? -eq 2 ]] || fail "usage exit code"
set -e
echo ok
