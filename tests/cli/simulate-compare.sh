#!/usr/bin/env bash
# headroom simulate --compare: the table, the JSON array, and the HTML report
# (self-contained: the vendored uPlot inline, the figures and series as data).
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}" "${HR_SRC:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
day="$HR_TEST_DATA/sim/planetlab-20110303"
pair="$HR_TEST_DATA/sim/pair"
"$HR_BIN" simulate --compare -t "$day" -t "$pair/" --policies dvfs,lr-mmt,predictive -j 2 \
    --report "$tmp/r.html" >"$tmp/table" 2>"$tmp/err"
[[ $(wc -l <"$tmp/table") -eq 7 ]] || fail "table rows: $(cat "$tmp/table")"
grep -Eq '^planetlab-20110303 +lr-mmt +163\.47722 +27859 +5\.8579 +0\.0793 ' "$tmp/table" ||
    fail "lr-mmt row: $(cat "$tmp/table")"
grep -Eq '^planetlab-20110303 +dvfs +802\.75449 +0 ' "$tmp/table" || fail "dvfs row"
grep -Eq '^pair +predictive ' "$tmp/table" || fail "pair day label"
grep -q "report written to $tmp/r.html" "$tmp/err" || fail "no report message"
python3 - "$tmp/r.html" "$tmp/table" "$HR_SRC/third_party/uplot" <<'PY'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
# self-contained: uPlot and its CSS inline, byte for byte; nothing to fetch
for f in ("uPlot.iife.min.js", "uPlot.min.css"):
    assert open(f"{sys.argv[3]}/{f}", encoding="utf-8").read() in html, f
assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=|<link[^>]*href=|@import|url\(http", html)
m = re.search(r'<script type="application/json" id="hr-data">(.*?)</script>', html, re.S)
assert m, "no data block"
d = json.loads(m.group(1))
assert d["days"] == ["planetlab-20110303", "pair"] and d["policies"] == ["dvfs", "lr-mmt", "predictive"]
assert d["watch_host"] == 1
rows = {}
for line in open(sys.argv[2]).read().splitlines()[1:]:
    f = line.split()
    rows[(f[0], f[1])] = (float(f[2]), int(f[3]))
for di, day in enumerate(d["days"]):
    for pi, pol in enumerate(d["policies"]):
        r = d["runs"][di][pi]
        e, mig = rows[(day, pol)]
        assert abs(r["energy_kwh"] - e) < 1e-5 and r["migrations"] == mig, (day, pol, r["energy_kwh"], e)
        n = len(r["hours"])
        assert n == (287 if di == 0 else 3), (day, n)
        for k in ("active_hosts", "host_demand", "host_fc_mean", "host_fc_lo", "host_fc_hi"):
            assert len(r[k]) == n, k
        assert all(b > a for a, b in zip(r["hours"], r["hours"][1:]))
lr, pr = d["runs"][0][1], d["runs"][0][2]
assert max(lr["active_hosts"]) <= 800 and min(lr["active_hosts"]) > 0
# the predictive run forecasts host 1: a band that holds the mean, and most
# rounds' demand within [0, 1.2]
fc = [(lo, m, hi) for lo, m, hi in zip(pr["host_fc_lo"], pr["host_fc_mean"], pr["host_fc_hi"]) if m is not None]
assert len(fc) > 200, len(fc)
assert all(lo <= m + 1e-12 and m <= hi + 1e-12 for lo, m, hi in fc)
assert all(v is None for v in lr["host_fc_mean"]), "a baseline has no forecast"
dem = [v for v in pr["host_demand"] if v is not None]
assert len(dem) == 287 and all(0 <= v <= 1.2 for v in dem) and max(dem) > 0.3
assert "Predictive against LR-MMT per day" in html and ">met<" in html
assert "new uPlot(" in html
PY
# JSON array: one object per (day, policy)
"$HR_BIN" simulate --compare -t "$pair" --policies thr-mmt,npa --hosts 4 --json >"$tmp/j" 2>/dev/null
python3 - "$tmp/j" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
assert [(x["day"], x["policy"]) for x in a] == [("pair", "thr-mmt"), ("pair", "npa")], a
assert a[0]["migrations"] == 1 and a[0]["param"] == 0.8 and "param" not in a[1]
PY
set +e
"$HR_BIN" simulate --compare -t "$pair" --policies thr-mmt,bogus 2>"$tmp/e"; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q 'unknown policy "bogus"' "$tmp/e" || fail "bad policy rc=$rc"
set +e
"$HR_BIN" simulate --compare -t "$pair" --policies thr-mmt,lr-mmt --param 0.7 2>"$tmp/e"; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q -- "--param is for one policy" "$tmp/e" || fail "--param rc=$rc"
set +e
"$HR_BIN" simulate -t "$pair" -t "$day" -p dvfs 2>"$tmp/e"; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q -- "need --compare" "$tmp/e" || fail "two traces rc=$rc"
echo "simulate-compare: ok"
