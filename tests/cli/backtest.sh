#!/usr/bin/env bash
# headroom backtest: the M4 table and JSON (reference figures of the M4
# sample README), rolling origins on a file and on a directory.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
m4="$HR_TEST_DATA/m4"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$HR_BIN" backtest --m4 "$m4/Hourly-train-sample20.csv" --test "$m4/Hourly-test-sample20.csv" \
    --season 24 --models naive,snaive >"$tmp/table"
cat "$tmp/table"
grep -q '^# 20 series, 20 forecasts, horizon 48, season 24' "$tmp/table" || fail "summary line"
head -2 "$tmp/table" | tail -1 | grep -Eq '^model +sMAPE +MASE +OWA +cov90 +MSIS +s/series' ||
    fail "header"
# sMAPE and MASE to 4 decimals (M4 sample README).
grep -Eq '^naive +18\.1149 +3\.6335 ' "$tmp/table" || fail "naive row"
grep -Eq '^snaive +5\.6458 +1\.1638 ' "$tmp/table" || fail "snaive row"
[[ $(wc -l <"$tmp/table") -eq 4 ]] || fail "expected 2 model rows"
# Without --season, M4 ids give it (H: 24): the same table.
"$HR_BIN" backtest --m4 "$m4/Hourly-train-sample20.csv" --test "$m4/Hourly-test-sample20.csv" \
    --models naive,snaive | grep -v 's/series' | cut -c1-40 >"$tmp/t2"
grep -v 's/series' "$tmp/table" | cut -c1-40 | diff - "$tmp/t2" || fail "season not inferred"

"$HR_BIN" backtest --m4 "$m4/Hourly-train-sample20.csv" --test "$m4/Hourly-test-sample20.csv" \
    -s 24 --models snaive,naive --json --jobs 2 >"$tmp/json"
python3 - "$tmp/json" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))
assert d["series"] == 20 and d["horizon"] == 48 and d["season"] == [24], d
ms = {m["model"]: m for m in d["models"]}
assert [m["model"] for m in d["models"]] == ["snaive", "naive"], d["models"]
assert abs(ms["snaive"]["smape"] - 5.6458) < 5e-5 and abs(ms["snaive"]["mase"] - 1.1638) < 5e-5
assert abs(ms["naive"]["smape"] - 18.1149) < 5e-5 and abs(ms["naive"]["mase"] - 3.6335) < 5e-5
for m in d["models"]:
    assert 0.5 < m["coverage90"] <= 1.0, m
    assert m["msis"] > 0 and m["seconds_per_series"] >= 0 and m["fallbacks"] == 0, m
    assert m["intervals"] == "model", m
    if d["baseline"] == "naive2":
        assert m["owa"] > 0
    else:
        assert m["owa"] is None
PY

# Conformal intervals on request replace the model's own.
"$HR_BIN" backtest --m4 "$m4/Hourly-train-sample20.csv" --test "$m4/Hourly-test-sample20.csv" \
    -s 24 --models naive --calibrate always --json >"$tmp/cal"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["models"][0]; assert m["intervals"]=="conformal" and 0.8 < m["coverage90"] < 0.97, m' "$tmp/cal"

# Rolling origins on one file: 3 origins of 48 steps on H2's training data.
series="$HR_TEST_DATA/cli/series"
"$HR_BIN" backtest --input "$series/m4-H2-train.txt" -H 48 -K 3 -s 24 --models snaive >"$tmp/one"
grep -q '^# 1 series, 3 forecasts, horizon 48, season 24' "$tmp/one" || fail "file mode: $(cat "$tmp/one")"
grep -Eq '^snaive +[0-9]+\.[0-9]{4} ' "$tmp/one" || fail "file mode row"
# A directory: both files, 2 origins each.
"$HR_BIN" backtest --input "$series" -H 24 -K 2 --step 12 --models naive --json >"$tmp/dir"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["series"]==2 and d["forecasts"]==4 and d["season"]==[], d' "$tmp/dir"
# Too short for the origins asked: bad data, exit 1, naming the file.
set +e
"$HR_BIN" backtest --input "$series/m4-H2-train.txt" -H 48 -K 100 --models naive 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "too short: exit $rc"
grep -q "m4-H2-train.txt: 700 values are too few for 100 origins" "$tmp/err" || fail "$(cat "$tmp/err")"
echo "backtest: ok"
