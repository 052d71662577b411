/* headroom/metrics.h - forecast accuracy with the M4 competition's definitions.
 *
 * Point accuracy (Makridakis et al., IJF 36(1) 2020; the M4-methods code):
 *   sMAPE = mean_i 200 |y_i - f_i| / (|y_i| + |f_i|)            (percent, 0..200)
 *   MASE  = mean_i |y_i - f_i| / scale
 *   scale = mean_{t>m} |x_t - x_{t-m}| over the training data x[0..n), with
 *           m = the seasonal period, and m = 1 when n <= m
 *   OWA   = (sMAPE / sMAPE_naive2 + MASE / MASE_naive2) / 2, where each term is
 *           the mean over the SAME set of series (not a mean of ratios).
 * Interval accuracy for a central (1 - alpha) interval [lo, hi]:
 *   MSIS  = mean_i [(hi_i - lo_i) + 2/alpha (lo_i - y_i)[y_i < lo_i]
 *                                 + 2/alpha (y_i - hi_i)[y_i > hi_i]] / scale
 *   coverage = fraction of steps with lo_i <= y_i <= hi_i
 * Quantile accuracy: the pinball loss at level tau,
 *   rho_tau(y, q) = tau (y - q) if y >= q, else (1 - tau)(q - y).
 *
 * Every function is pure and thread-safe. A step where |y| + |f| == 0 adds 0
 * to sMAPE (R's M4 code would give NaN; it never happens on M4, whose values
 * are positive).
 */
#ifndef HEADROOM_METRICS_H
#define HEADROOM_METRICS_H

#include "common.h"
#include "error.h"
#include "forecast.h"

/* sMAPE in percent over h steps; NaN when h == 0. */
HR_EXPORT double hr_smape(const double *y, const double *f, size_t h);

/* The MASE scale of training data x[0..n) at seasonal period m (m = 0 is
 * taken as 1; m = 1 is used when n <= m). NaN when fewer than 2 values. */
HR_EXPORT double hr_mase_scale(const double *x, size_t n, size_t m);

/* MASE over h steps with a scale from hr_mase_scale. A zero scale gives
 * +Inf (or NaN when the errors are zero too), as the definition implies. */
HR_EXPORT double hr_mase(const double *y, const double *f, size_t h, double scale);

/* MSIS of the central (1 - alpha) interval [lo, hi] over h steps. */
HR_EXPORT double hr_msis(const double *y, const double *lo, const double *hi, size_t h,
                         double alpha, double scale);

/* Fraction of the h steps with lo <= y <= hi. */
HR_EXPORT double hr_coverage(const double *y, const double *lo, const double *hi, size_t h);

/* Mean pinball loss at level tau over h steps. */
HR_EXPORT double hr_pinball(const double *y, const double *q, size_t h, double tau);

/* OWA from the mean sMAPE and MASE of a method and of Naive2 over the same
 * series. NaN when a Naive2 term is 0 or NaN. */
HR_EXPORT double hr_owa(double smape, double mase, double smape_naive2, double mase_naive2);

/* ---- one forecast against its actuals -------------------------------------------- */

/* Accuracy of one forecast. Fields that do not apply are NaN. */
typedef struct hr_eval {
    double smape; /* percent */
    double mase;
    double msis;     /* of the central (1 - alpha) interval */
    double coverage; /* of the same interval, in [0, 1] */
    double pinball;  /* mean over every quantile level and step */
} hr_eval;

/* Evaluate forecast `f` (its mean, and its quantiles when f->has_quantiles)
 * against actual[0..f->h), with the MASE scale from train[0..n) at season m.
 * The interval is [q(alpha/2), q(1 - alpha/2)]; those two levels must be
 * among f->levels (within 1e-9), else msis and coverage are NaN. alpha in
 * (0, 1). HR_EINVAL on a bad argument, HR_EDATA when n < 2 or an actual
 * value is not finite. */
HR_EXPORT int hr_eval_forecast(const double *train, size_t n, size_t m, const double *actual,
                               const hr_forecast *f, double alpha, hr_eval *out, hr_error *err);

/* Means of hr_eval fields over many forecasts (series). Each field is
 * averaged over the evaluations where it is not NaN; `n` counts every
 * evaluation added. Add in a fixed order for bit-reproducible sums. */
typedef struct hr_metrics_acc {
    size_t n;
    double sum[5];
    size_t cnt[5];
} hr_metrics_acc;

HR_EXPORT void hr_metrics_acc_init(hr_metrics_acc *acc);
HR_EXPORT void hr_metrics_acc_add(hr_metrics_acc *acc, const hr_eval *e);
/* The means (NaN for a field never set). */
HR_EXPORT void hr_metrics_acc_mean(const hr_metrics_acc *acc, hr_eval *out);

#endif
