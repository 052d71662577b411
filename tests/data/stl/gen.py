#!/usr/bin/python3
"""Generate the STL fixtures from statsmodels.tsa.seasonal.STL (0.13.5).

Input: the first 336 training values (14 days) of M4 series H2 and H4,
read from ../m4/Hourly-train-sample20.csv. Run from this directory:
    /usr/bin/python3 gen.py
Each output file: line 1 "#" then the STL parameters
(period,seasonal,trend,low_pass,seasonal_deg,trend_deg,low_pass_deg,
seasonal_jump,trend_jump,low_pass_jump,inner,outer), then one line per
observation: y,seasonal,trend (repr of the doubles)."""
import csv
import numpy as np
from statsmodels.tsa.seasonal import STL


def series(sid, n):
    with open("../m4/Hourly-train-sample20.csv") as f:
        for row in csv.reader(f):
            if row[0] == sid:
                return np.array([float(v) for v in row[1:] if v != ""][:n])
    raise KeyError(sid)


CASES = [
    # name, series, kwargs to STL, robust -> outer iterations
    ("h2-default", "H2", dict(period=24), None),
    ("h4-deg0-jumps", "H4",
     dict(period=24, seasonal=11, seasonal_deg=0, trend_deg=0, low_pass_deg=1,
          seasonal_jump=2, trend_jump=5, low_pass_jump=3), None),
    ("h2-robust", "H2", dict(period=24, seasonal=9, robust=True), None),
]

for name, sid, kw, _ in CASES:
    y = series(sid, 336)
    mod = STL(y, **kw)
    c = mod.config
    robust = c["robust"]
    inner, outer = (2, 15) if robust else (5, 0)
    res = mod.fit(inner_iter=inner, outer_iter=outer)
    with open(f"stl-{name}.csv", "w") as f:
        f.write("# %d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n" % (
            c["period"], c["seasonal"], c["trend"], c["low_pass"], c["seasonal_deg"],
            c["trend_deg"], c["low_pass_deg"], c["seasonal_jump"], c["trend_jump"],
            c["low_pass_jump"], inner, outer))
        for v, s, t in zip(y, res.seasonal, res.trend):
            f.write("%r,%r,%r\n" % (float(v), float(s), float(t)))
