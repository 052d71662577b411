#!/usr/bin/env bash
# headroom backtest --report: a self-contained, well-formed HTML file with a
# chart per series, no NaN, every input string escaped.
set -euo pipefail
: "${HR_BIN:?}" "${HR_TEST_DATA:?}"
m4="$HR_TEST_DATA/m4"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$HR_BIN" backtest --m4 "$m4/Hourly-train-sample20.csv" --test "$m4/Hourly-test-sample20.csv" \
    -s 24 --models naive,snaive --calibrate auto --report "$tmp/r.html" >/dev/null
[[ -s "$tmp/r.html" ]] || fail "no report"
grep -q '<svg' "$tmp/r.html" || fail "no svg"
grep -qi 'nan\|inf[^o]' "$tmp/r.html" && fail "NaN or Inf in the report"
[[ $(grep -c '<figure>' "$tmp/r.html") -eq 12 ]] || fail "expected 12 series charts (default)"
grep -q '<figcaption>H2</figcaption>' "$tmp/r.html" || fail "H2 chart"
grep -Eq '<(script|link|img)' "$tmp/r.html" && fail "external or scripted content"
grep -q 'http://www.w3.org/2000/svg' "$tmp/r.html" || fail "svg namespace"
grep -Eq 'https?://[^w]' "$tmp/r.html" && fail "network reference"

# --report-series, and escaping: a series file named with HTML specials.
mkdir "$tmp/d"
cp "$HR_TEST_DATA/cli/series/m4-H2-train.txt" "$tmp/d/a<b&c\".txt"
"$HR_BIN" backtest --input "$tmp/d" -H 48 -K 2 -s 24 --models snaive,naive \
    --report "$tmp/e.html" --report-series 1 >/dev/null
[[ $(grep -c '<figure>' "$tmp/e.html") -eq 1 ]] || fail "--report-series 1"
grep -q 'a&lt;b&amp;c&quot;.txt' "$tmp/e.html" || fail "name not escaped"
grep -q 'a<b' "$tmp/e.html" && fail "raw name in the report"

# Every SVG is well-formed XML and the document parses as HTML.
python3 - "$tmp/r.html" "$tmp/e.html" <<'PY'
import re, sys, xml.etree.ElementTree as ET
from html.parser import HTMLParser
for path in sys.argv[1:]:
    s = open(path, encoding="utf-8").read()
    assert s.startswith("<!DOCTYPE html>") and s.rstrip().endswith("</html>")
    svgs = re.findall(r"<svg.*?</svg>", s, re.S)
    assert svgs, path
    for sv in svgs:
        root = ET.fromstring(sv)
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert texts, "no axis labels"
    HTMLParser().feed(s)
PY
echo "report: ok"
