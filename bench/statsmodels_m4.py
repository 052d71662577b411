#!/usr/bin/python3
"""Reference run on M4 (Hourly) with statsmodels, for bench/run.sh.

Fits, on every training series of an M4 wide CSV and for the horizon of the
matching test series:
  - naive2: the M4 benchmark (seasonality test at 90 %, classical
    multiplicative decomposition as R's decompose(), naive on the adjusted
    series, reseasonalised);
  - ets:    statsmodels ETSModel(error="add", trend="add", damped_trend=True,
            seasonal="add", seasonal_periods=m), maximum likelihood (fit());
  - theta:  statsmodels ThetaModel(y, period=m).fit() (its defaults:
            deseasonalise after the seasonality test, method "auto");
and scores them with the M4 definitions: sMAPE, MASE (scale: in-sample
seasonal naive at lag m, lag 1 when n <= m), OWA against naive2 (means over
the same series). Seconds per series are measured around fit + forecast in
the worker process.

Usage: statsmodels_m4.py TRAIN.csv TEST.csv [--season 24] [--jobs 2] [--json]
"""
import argparse
import csv
import json
import math
import sys
import time
import warnings
from multiprocessing import Pool

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel

# statsmodels sets "always" filters for its warnings on import: override after.
warnings.simplefilter("ignore")


def read_m4(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return [(r[0], np.array([float(v) for v in r[1:] if v != ""])) for r in rows[1:]]


def acf(x, nlags):
    x = np.asarray(x, float) - np.mean(x)
    d = np.dot(x, x)
    return np.array([1.0] + [np.dot(x[k:], x[:-k]) / d for k in range(1, nlags + 1)])


def seasonality_test(y, m):
    """M4's R SeasonalityTest: |acf(m)| > 1.645 sqrt((1 + 2 sum_{k<m} acf_k^2) / n)."""
    if len(y) < 3 * m:
        return False
    r = acf(y, m)
    limit = 1.645 / math.sqrt(len(y)) * math.sqrt(1 + 2 * np.sum(r[1:m] ** 2))
    return abs(r[m]) > limit


def decompose_mult(y, m):
    """Seasonal indices as R's decompose(type = "multiplicative"); index[i % m] belongs to y[i]."""
    n = len(y)
    if m % 2 == 0:
        w = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        w = np.ones(m) / m
    half = len(w) // 2
    trend = np.full(n, np.nan)
    for t in range(half, n - half):
        trend[t] = np.dot(w, y[t - half:t + half + 1])
    ratio = y / trend
    fig = np.array([np.nanmean(ratio[i::m]) for i in range(m)])
    return fig / fig.mean()


def naive2(y, h, m):
    if m > 1 and seasonality_test(y, m):
        idx = decompose_mult(y, m)
        si = idx[np.arange(len(y)) % m]
        last = y[-1] / si[-1]
        return last * idx[(len(y) + np.arange(h)) % m]
    return np.full(h, y[-1])


def ets(y, h, m):
    res = ETSModel(y, error="add", trend="add", damped_trend=True, seasonal="add",
                   seasonal_periods=m).fit(disp=False)
    return np.asarray(res.forecast(h))


def theta(y, h, m):
    return np.asarray(ThetaModel(y, period=m).fit().forecast(h))


MODELS = {"naive2": naive2, "ets": ets, "theta": theta}


def smape(y, f):
    return np.mean(200 * np.abs(y - f) / (np.abs(y) + np.abs(f)))


def mase_scale(x, m):
    if len(x) <= m:
        m = 1
    return np.mean(np.abs(x[m:] - x[:-m]))


def work(args):
    name, y, actual, m = args
    warnings.simplefilter("ignore")
    h = len(actual)
    out = {}
    scale = mase_scale(y, m)
    for model, fn in MODELS.items():
        t0 = time.perf_counter()
        f = fn(y, h, m)
        sec = time.perf_counter() - t0
        if not np.all(np.isfinite(f)):
            raise RuntimeError(f"{model} gave a non-finite forecast on {name}")
        out[model] = (smape(actual, f), np.mean(np.abs(actual - f)) / scale, sec)
    return name, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--season", type=int, default=24)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    train, test = read_m4(a.train), read_m4(a.test)
    assert [t[0] for t in train] == [t[0] for t in test], "train and test ids differ"
    tasks = [(n, y, t[1], a.season) for (n, y), t in zip(train, test)]
    if a.jobs > 1:
        with Pool(a.jobs) as pool:
            res = pool.map(work, tasks, chunksize=1)
    else:
        res = [work(t) for t in tasks]
    agg = {}
    for model in MODELS:
        v = np.array([r[1][model] for r in res])
        agg[model] = {"smape": float(v[:, 0].mean()), "mase": float(v[:, 1].mean()),
                      "seconds_per_series": float(v[:, 2].mean())}
    b = agg["naive2"]
    for model in MODELS:
        g = agg[model]
        g["owa"] = 0.5 * (g["smape"] / b["smape"] + g["mase"] / b["mase"])
    import statsmodels

    doc = {"series": len(res), "horizon": len(test[0][1]), "season": a.season, "jobs": a.jobs,
           "statsmodels": statsmodels.__version__, "models": agg}
    if a.json:
        json.dump(doc, sys.stdout, indent=2)
        print()
    else:
        print(f"statsmodels {statsmodels.__version__}: {len(res)} series, {a.jobs} processes")
        for model, g in agg.items():
            print(f"{model:8s} sMAPE {g['smape']:8.4f} MASE {g['mase']:7.4f} "
                  f"OWA {g['owa']:6.4f} s/series {g['seconds_per_series']:.4f}")


if __name__ == "__main__":
    main()
