#!/usr/bin/env bash
# Usage errors exit 2 naming the option and value; bad data exits 1 with
# FILE:LINE:COL; --help is a manual page.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
series="$HR_TEST_DATA/cli/series/m4-H2-train.txt"
m4="$HR_TEST_DATA/m4"

# expect CODE PATTERN -- ARGS...: the exit code and a stderr line.
expect() {
    local code=$1 pat=$2
    shift 3
    set +e
    "$HR_BIN" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    set -e
    [[ $rc -eq $code ]] || fail "headroom $*: exit $rc, expected $code ($(cat "$tmp/err"))"
    grep -Eq -- "$pat" "$tmp/err" || fail "headroom $*: stderr lacks /$pat/: $(cat "$tmp/err")"
}

expect 2 '--horizon: "abc" is not an integer' -- forecast -i "$series" --horizon abc
expect 2 '--horizon: "0" is not an integer' -- forecast -i "$series" -H 0
expect 2 '--horizon is required' -- forecast -i "$series"
expect 2 '--model: unknown model "bogus"' -- forecast -i "$series" -H 4 -m bogus
expect 2 '--format: "xml"' -- forecast -i "$series" -H 4 -m naive -f xml
expect 2 '--quantiles: "1.5" is not a quantile level' -- forecast -i "$series" -H 4 -q 0.1,1.5
expect 2 '--season: "1" is not a period' -- forecast -i "$series" -H 4 -s 1
expect 2 'unknown option "--bogus"' -- forecast --bogus
expect 2 'option --input needs a value' -- forecast --input
expect 2 'exactly one of --input' -- forecast -H 4
expect 2 '--m4 needs --output' -- forecast --m4 "$m4/Hourly-train-sample20.csv" -H 4 -m naive
expect 2 '--jobs: "0"' -- forecast --m4 x.csv -H 4 -o y.csv -j 0
expect 2 '--models: unknown model "bogus"' -- backtest --m4 a --test b --models naive,bogus
expect 2 '--m4 needs --test' -- backtest --m4 "$m4/Hourly-train-sample20.csv"
expect 2 '--origins: "-1"' -- backtest -i "$series" -H 4 -K -1
expect 2 '--calibrate: "sometimes"' -- backtest -i "$series" -H 4 --calibrate sometimes
expect 2 'unknown command "frobnicate"' -- frobnicate

# Bad data: exit 1, "headroom: FILE:LINE:COL: what".
printf '1\n2\nx3\n4\n' >"$tmp/bad.txt"
expect 1 "^headroom: $tmp/bad.txt:3:1: " -- forecast -i "$tmp/bad.txt" -H 2 -m naive
printf 'timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:05:00,abc\n' >"$tmp/bad.csv"
expect 1 "^headroom: $tmp/bad.csv:3:[0-9]+: " -- forecast -i "$tmp/bad.csv" -H 2 -m naive
expect 1 "^headroom: $tmp/none.csv: " -- forecast -i "$tmp/none.csv" -H 2 -m naive
# An M4 file with a bad number.
printf '"V1","V2","V3"\n"H1","3","4x"\n' >"$tmp/bad-m4.csv"
expect 1 "^headroom: $tmp/bad-m4.csv:2:[0-9]+: " -- forecast --m4 "$tmp/bad-m4.csv" -H 2 -m naive -o "$tmp/o.csv"
[[ ! -e "$tmp/o.csv" ]] || fail "output written despite bad input"

# --spec: MODEL=SPEC, and the spec is checked by the model.
expect 2 '--spec: "bad" is not MODEL=SPEC' -- backtest --m4 "$m4/Hourly-train-sample20.csv" \
    --test "$m4/Hourly-test-sample20.csv" --spec bad
expect 2 '--spec auto=origins=99: auto: origins="99" must be 1..8' -- forecast -i "$series" -H 2 \
    --spec auto=origins=99
expect 2 '--spec nosuch=x: unknown model "nosuch"' -- forecast -i "$series" -H 2 --spec nosuch=x

# --help: a manual page on stdout, exit 0.
for cmd in forecast backtest; do
    "$HR_BIN" "$cmd" --help >"$tmp/help"
    for sec in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT "EXIT STATUS" EXAMPLES; do
        grep -q "^$sec\$" "$tmp/help" || fail "$cmd --help lacks $sec"
    done
    grep -q "snaive" "$tmp/help" || fail "$cmd --help does not list the models"
    grep -q "default" "$tmp/help" || fail "$cmd --help states no defaults"
done
"$HR_BIN" --help | grep -q 'forecast' || fail "headroom --help lists no forecast"
echo "usage: ok"
