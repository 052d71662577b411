#!/usr/bin/python3
"""Generate the Theta fixtures (statsmodels 0.13.5, numpy, scipy).

Run from this directory:  /usr/bin/python3 gen.py
Input: M4 Hourly series H2 and H10 (700 training values) from
../m4/Hourly-train-sample20.csv. Output theta-<id>.csv:
    a,<alpha_std>,<alpha_opt>,<theta_opt>,<alpha_sm>
    y,<value>            (700 lines: the input)
    f,<std>,<opt>,<sm>   (48 lines: forecasts)
std: statsmodels ThetaModel (deseasonalize, period 24, method "auto",
     which is multiplicative for positive data, theta 2) forecast, but with alpha_std, the M4
     estimate (see README.md), in place of statsmodels' own alpha.
opt: the optimised theta method (Fiorucci et al. 2016), estimated here
     independently by a 3-parameter Nelder-Mead on the in-sample MSE.
sm:  statsmodels ThetaModel with its own alpha (for the record only)."""
import csv
import numpy as np
from scipy.optimize import minimize, minimize_scalar
from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults
from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

H = 48
LO, HI = 1e-4, 0.9999  # forecast::ets bounds for alpha, as used by M4's ses()


def series(sid):
    with open("../m4/Hourly-train-sample20.csv") as f:
        for row in csv.reader(f):
            if row[0] == sid:
                return np.array([float(v) for v in row[1:] if v != ""])
    raise KeyError(sid)


def ses_sse_profiled(z, alpha):
    """SSE of SES on z with the initial level chosen optimally (closed form:
    the one-step errors are affine in the initial level)."""
    q = 1 - alpha
    lev = 0.0
    r = np.empty_like(z)
    for t, v in enumerate(z):
        r[t] = v - lev
        lev = alpha * v + q * lev
    d = q ** np.arange(len(z))
    l0 = np.dot(d, r) / np.dot(d, d)
    e = r - d * l0
    return float(np.dot(e, e))


def m4_theta_alpha(x):
    """M4 Theta.classic: lm on t = 1..n, theta line 2 = 2x - line0, ses()
    with alpha and initial level minimising the SSE."""
    n = len(x)
    t = np.arange(1, n + 1, dtype=float)
    b, a = np.polyfit(t, x, 1)
    z = 2 * x - (a + b * t)
    res = minimize_scalar(lambda al: ses_sse_profiled(z, al), bounds=(LO, HI),
                          method="bounded", options={"xatol": 1e-12})
    return float(res.x)


def otm(x, h):
    """Optimised theta method, state-space form of Fiorucci et al. (2016)."""
    n = len(x)
    t = np.arange(1, n + 1, dtype=float)
    B = 6.0 / (n * n - 1) * (2.0 / n * np.dot(t, x) - (1 + n) * x.mean())
    A = x.mean() - (n + 1) / 2.0 * B

    def run(p):
        l0, alpha, theta = p
        if not (LO <= alpha <= HI and theta >= 1):
            return np.inf, None
        q = 1 - alpha
        w = 1 - 1 / theta
        lev, sse = l0, 0.0
        for i in range(n):
            mu = lev + w * (q ** i * A + (1 - q ** (i + 1)) / alpha * B)
            sse += (x[i] - mu) ** 2
            lev = alpha * x[i] + q * lev
        return sse / n, lev

    best = None
    for a0 in (0.1, 0.5, 0.9):
        for th0 in (1.5, 2.0, 3.0):
            r = minimize(lambda p: run(p)[0], [x[0], a0, th0], method="Nelder-Mead",
                         options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000,
                                  "maxfev": 40000})
            if best is None or r.fun < best.fun:
                best = r
    l0, alpha, theta = best.x
    lev = run(best.x)[1]
    q, w = 1 - alpha, 1 - 1 / theta
    f = [lev + w * (q ** n * A + ((k - 1) + (1 - q ** (n + 1)) / alpha) * B)
         for k in range(1, h + 1)]
    return alpha, theta, np.array(f)


for sid in ("H2", "H10"):
    y = series(sid)
    n = len(y)
    # method="auto", not "multiplicative": statsmodels 0.13.5's
    # _deseasonalize_data turns any method other than "auto" into "add".
    mod = ThetaModel(y, period=24, method="auto")
    res = mod.fit()
    assert mod.method.startswith("mul")
    season = res._seasonal
    x = y / season[np.arange(n) % 24]
    alpha_std = m4_theta_alpha(x)
    es = ExponentialSmoothing(x, initial_level=x[0], initialization_method="known")
    one_step = float(np.asarray(es.smooth([alpha_std]).forecast(1))[0])
    res_std = ThetaModelResults(res._b0, alpha_std, None, one_step, season, False, mod)
    f_std = np.asarray(res_std.forecast(H, theta=2))
    f_sm = np.asarray(res.forecast(H, theta=2))
    alpha_opt, theta_opt, f_opt_x = otm(x, H)
    f_opt = f_opt_x * season[(n + np.arange(H)) % 24]
    with open(f"theta-{sid}.csv", "w") as f:
        f.write("a,%r,%r,%r,%r\n" % (alpha_std, alpha_opt, theta_opt, float(res._alpha)))
        for v in y:
            f.write("y,%r\n" % float(v))
        for i in range(H):
            f.write("f,%r,%r,%r\n" % (float(f_std[i]), float(f_opt[i]), float(f_sm[i])))
    print(sid, "alpha_std", alpha_std, "alpha_sm", float(res._alpha), "alpha_opt", alpha_opt,
          "theta_opt", theta_opt, "max rel diff std vs sm-own",
          float(np.max(np.abs(f_std - f_sm) / np.abs(f_sm))))
