#!/usr/bin/python3
"""Generate the ETS test fixtures with statsmodels (run once; the outputs are
committed). Needs /usr/bin/python3 with statsmodels 0.13.5 and the shared data
set (../shared/data relative to the repository, or $HR_SHARED_DATA).

    /usr/bin/python3 tests/data/ets/make-fixtures.py

Writes, next to this script:
  m4-h2.txt, m4-h10.txt      M4 hourly series H2 and H10 (700 values each),
                             from m4-hourly-sample/Hourly-train-sample20.csv
  nab-ec2-cpu-5f5533.txt     the first 600 values of NAB
                             realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv
  case-*.txt                 one statsmodels reference per (series, form)

Each case file holds "key value..." lines:
  series  file name of the series
  form    error trend season ("A"/"M", "N"/"A"/"Ad", "N"/"A"/"M")
  m       seasonal period (1 = none)
  par     alpha beta gamma phi (beta/gamma 0 and phi 1 when absent)
  x0      initial state in R's order: l, [b], [s_0, s_-1, ..., s_-(m-1)]
  reference  where llf/fitted/forecast come from (below)
  llf     log-likelihood of `par`/`x0`, statsmodels' definition (with constants)
  sm_fit_llf  statsmodels' log-likelihood at its own optimum (= llf for the
          forms without a multiplicative season)
  fitted  one-step fitted values (n numbers)
  forecast point forecasts, h = 48
The parameters are statsmodels' own maximum-likelihood estimates
(ETSModel.fit, L-BFGS-B, its default start) with R's box bounds on the
smoothing parameters (alpha, beta, gamma in [1e-4, 0.9999], phi in
[0.8, 0.98]); the C test compares its own fit against sm_fit_llf.

Reference values. For every case a numpy replica of the recursions is first
checked against statsmodels (fitted values and forecasts to 1e-12 relative,
llf to 1e-9) using statsmodels' own update of a multiplicative season,
s_t = s_{t-m} + gamma (y_t - yhat_t) / l_t. That is not the update of
Hyndman et al. (2008) and R, s_t = s_{t-m} (1 + gamma e_t), which headroom
mirrors. So for the forms without a multiplicative season the fixture values
are statsmodels' own; for the multiplicative-season forms they come from the
same replica with the book's update (the only line that differs).

statsmodels numbers its initial seasonal states initial_seasonal.0 = s_{-1}
(the latest before the first observation) ... initial_seasonal.{m-1} =
s_{-m}; R (and headroom) call the same states s_0 ... s_-(m-1), so x0 is the
statsmodels vector as it is.
"""
import csv
import os
import sys

import numpy as np
import statsmodels
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get(
    "HR_SHARED_DATA", os.path.join(HERE, "..", "..", "..", "..", "shared", "data"))
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/data"


def write_series(name, values):
    with open(os.path.join(HERE, name), "w") as f:
        f.write("\n".join(values) + "\n")
    return np.array([float(v) for v in values])


def load():
    series = {}
    path = os.path.join(SHARED, "m4-hourly-sample", "Hourly-train-sample20.csv")
    with open(path) as f:
        for row in csv.reader(f):
            if row[0] in ("H2", "H10"):
                vals = [v for v in row[1:] if v != ""]
                name = "m4-%s.txt" % row[0].lower()
                series[name] = write_series(name, vals)
    path = os.path.join(SHARED, "nab", "data", "realAWSCloudwatch",
                        "ec2_cpu_utilization_5f5533.csv")
    with open(path) as f:
        rows = list(csv.reader(f))[1:601]
    series["nab-ec2-cpu-5f5533.txt"] = write_series("nab-ec2-cpu-5f5533.txt",
                                                    [r[1] for r in rows])
    return series


CASES = [
    # (case name, series, error, trend, damped, season, m)
    ("h2-aada", "m4-h2.txt", "add", "add", True, "add", 24),
    ("h2-madm", "m4-h2.txt", "mul", "add", True, "mul", 24),
    ("h10-mnm", "m4-h10.txt", "mul", None, False, "mul", 24),
    ("h10-aaa", "m4-h10.txt", "add", "add", False, "add", 24),
    ("nab-ann", "nab-ec2-cpu-5f5533.txt", "add", None, False, None, 1),
    ("nab-aadn", "nab-ec2-cpu-5f5533.txt", "add", "add", True, None, 1),
    ("nab-mnn", "nab-ec2-cpu-5f5533.txt", "mul", None, False, None, 1),
]


def replica(y, err, trend, season, m, par, x0, seasonal_rule):
    """The ETS recursions in numpy (Hyndman et al. 2008, table 2.3, in the
    error-correction form of R's etscalc.c). seasonal_rule picks the update
    of a multiplicative season: "book" s_t = s_{t-m} (1 + gamma e_t), as R;
    "statsmodels" s_t = s_{t-m} + gamma (y_t - yhat_t) / l_t, which is what
    statsmodels 0.13.5 computes. Returns (fitted, llf as statsmodels
    defines it, 48 point forecasts from the final state)."""
    a, b, g, phi = par
    l = x0[0]
    bb = x0[1] if trend else 0.0
    seas = list(x0[1 + (1 if trend else 0):][::-1]) if season else [0.0]
    n = len(y)
    fitted = np.empty(n)
    for t in range(n):
        j = t % m if season else 0
        q = l + phi * bb
        s = seas[j]
        yh = q + s if season == "add" else q * s if season == "mul" else q
        fitted[t] = yh
        e = (y[t] - yh) / yh if err == "mul" else y[t] - yh
        p = y[t] - s if season == "add" else y[t] / s if season == "mul" else y[t]
        lnew = q + a * (p - q)
        bb = phi * bb + b * (p - q)
        if season == "add":
            seas[j] = s + g * (y[t] - q - s)
        elif season == "mul":
            if seasonal_rule == "book":
                seas[j] = s * (1 + g * e)
            else:
                seas[j] = s + g * (y[t] - yh) / lnew
        l = lnew
    res = (y - fitted) / fitted if err == "mul" else y - fitted
    llf = -n / 2 * (np.log(2 * np.pi * np.mean(res ** 2)) + 1)
    if err == "mul":
        llf -= np.sum(np.log(np.abs(fitted)))
    fc = np.empty(48)
    phih = 0.0
    for i in range(48):
        phih += phi ** (i + 1)
        q = l + phih * bb
        s = seas[(n + i) % m] if season else 0.0
        fc[i] = q + s if season == "add" else q * s if season == "mul" else q
    return fitted, llf, fc


def fmt(xs):
    return " ".join(repr(float(x)) for x in xs)


def main():
    series = load()
    for name, sfile, err, trend, damped, season, m in CASES:
        y = series[sfile]
        kw = dict(error=err, trend=trend, damped_trend=damped, seasonal=season)
        if season:
            kw["seasonal_periods"] = m
        # R's box for the smoothing parameters (statsmodels' default lower
        # bound is looser and its optimum then leaves R's search region).
        bounds = {"smoothing_level": (1e-4, 0.9999)}
        if trend:
            bounds["smoothing_trend"] = (1e-4, 0.9999)
        if season:
            bounds["smoothing_seasonal"] = (1e-4, 0.9999)
        if damped:
            bounds["damping_trend"] = (0.8, 0.98)
        model = ETSModel(y, bounds=bounds, **kw)
        res = model.fit(disp=False, maxiter=5000)
        p = dict(zip(model.param_names, res.params))
        par = [p["smoothing_level"], p.get("smoothing_trend", 0.0),
               p.get("smoothing_seasonal", 0.0), p.get("damping_trend", 1.0)]
        x0 = [p["initial_level"]]
        if trend:
            x0.append(p["initial_trend"])
        if season:
            x0 += [p["initial_seasonal.%d" % k] for k in range(m)]
        sm = model.smooth(res.params)
        sm_fitted = np.asarray(sm.fittedvalues)
        sm_fc = np.asarray(sm.forecast(48))
        sm_llf = float(model.loglike(res.params))
        # The replica with statsmodels' rule must reproduce statsmodels...
        f1, l1, c1 = replica(y, err, trend, season, m, par, x0, "statsmodels")
        assert np.max(np.abs(f1 - sm_fitted) / np.abs(sm_fitted)) < 1e-12, name
        assert abs(l1 - sm_llf) < 1e-9 * abs(sm_llf), name
        assert np.max(np.abs(c1 - sm_fc) / np.abs(sm_fc)) < 1e-12, name
        # ...and with R's (the book's) rule it gives the reference; the two
        # differ only for a multiplicative season.
        fitted, llf, fc = replica(y, err, trend, season, m, par, x0, "book")
        if season != "mul":
            assert np.array_equal(fitted, f1) and llf == l1, name
            fitted, llf, fc = sm_fitted, sm_llf, sm_fc
        code = (("A" if err == "add" else "M") + " " +
                ("N" if not trend else "Ad" if damped else "A") + " " +
                ("N" if not season else "A" if season == "add" else "M"))
        with open(os.path.join(HERE, "case-%s.txt" % name), "w") as f:
            f.write("# statsmodels %s ETSModel(%s, bounds=%r).fit(); numpy %s\n" %
                    (statsmodels.__version__, ", ".join("%s=%r" % kv for kv in kw.items()),
                     bounds,
                     np.__version__))
            f.write("series %s\n" % sfile)
            f.write("form %s\n" % code)
            f.write("m %d\n" % m)
            f.write("par %s\n" % fmt(par))
            f.write("x0 %s\n" % fmt(x0))
            f.write("reference %s\n" % ("statsmodels" if season != "mul" else
                                          "replica-book (statsmodels differs, see README)"))
            f.write("llf %r\n" % float(llf))
            f.write("sm_fit_llf %r\n" % sm_llf)
            f.write("fitted %s\n" % fmt(fitted))
            f.write("forecast %s\n" % fmt(fc))
        print(name, code, "sm llf", sm_llf, "reference llf", llf, file=sys.stderr)


if __name__ == "__main__":
    main()
