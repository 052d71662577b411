#!/usr/bin/python3
"""Generate the seasonality fixtures (statsmodels 0.13.5). Run from this
directory:  /usr/bin/python3 gen.py
Input: M4 Hourly series from ../m4/Hourly-train-sample20.csv.
Output, one "kind,name,values..." line each (repr of the doubles):
  y,<case>,...     the input series of the case
  acf,<case>,...   statsmodels.tsa.stattools.acf(y, nlags=30, fft=False)
  idx,<case>,...   seasonal_decompose(y, model, period).seasonal[:period]
Cases: h2-acf (H2, first 300 values), h2-mult24 (H2, all 700, m = 24),
h4-mult7 (H4, first 301 values, m = 7: the odd-order filter),
h6-add24 (H6, first 480 values with value 11 set to 0, additive, m = 24)."""
import csv
import numpy as np
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf


def series(sid):
    with open("../m4/Hourly-train-sample20.csv") as f:
        for row in csv.reader(f):
            if row[0] == sid:
                return np.array([float(v) for v in row[1:] if v != ""])
    raise KeyError(sid)


def line(f, kind, name, vals):
    f.write(kind + "," + name + "," + ",".join(repr(float(v)) for v in vals) + "\n")


with open("seasonality.csv", "w") as f:
    y = series("H2")[:300]
    line(f, "y", "h2-acf", y)
    line(f, "acf", "h2-acf", acf(y, nlags=30, fft=False))
    cases = [("h2-mult24", series("H2"), "multiplicative", 24),
             ("h4-mult7", series("H4")[:301], "multiplicative", 7)]
    y6 = series("H6")[:480].copy()
    y6[10] = 0.0
    cases.append(("h6-add24", y6, "additive", 24))
    for name, y, model, m in cases:
        line(f, "y", name, y)
        line(f, "idx", name, seasonal_decompose(y, model=model, period=m).seasonal[:m])
