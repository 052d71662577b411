/* headroom/backtest.h - rolling-origin evaluation and conformal intervals.
 *
 * Rolling origin (Tashman 2000): for K origins t_1 < ... < t_K, the model
 * sees y[0..t_k) and forecasts y[t_k .. t_k + h). The last origin is n - h
 * (its window ends with the data) and origins are `step` apart:
 *     t_k = n - h - (K - k) * step,   k = 1..K.
 * At each origin the model is either refitted from scratch on y[0..t_k)
 * (refit = true), or fitted once at t_1 and moved between origins with
 * hr_model_update, one observation at a time, without re-estimation
 * (refit = false; a model without an online update is refitted instead).
 *
 * Conformal calibration (split conformal, Vovk et al.; Lei et al. 2018):
 * the rolling-origin errors e = actual - forecast at each horizon step form a
 * calibration set of K values per step, from which hr_calib_apply sets the
 * quantiles of a new forecast, with the finite-sample (K + 1) correction.
 *
 * Thread-safety: functions touch only their arguments.
 */
#ifndef HEADROOM_BACKTEST_H
#define HEADROOM_BACKTEST_H

#include "common.h"
#include "error.h"
#include "forecast.h"

#define HR_BACKTEST_MAX_ORIGINS 100000

typedef struct hr_backtest_opts {
    size_t horizon;       /* h >= 1 */
    size_t origins;       /* K >= 1 */
    size_t step;          /* distance between origins; 0 = horizon */
    bool refit;           /* refit at every origin (else online updates) */
    const double *levels; /* quantile levels to ask the model for (may be NULL) */
    size_t nq;
} hr_backtest_opts;

/* The result. Arrays are owned; free with hr_backtest_release. */
typedef struct hr_backtest {
    size_t h, norigins, nq;
    double levels[HR_MAX_QUANTILES];
    size_t *origin;     /* [K] training length t_k at each origin */
    double *actual;     /* [K*h] actual[k*h + i] = y[t_k + i] */
    double *mean;       /* [K*h] point forecasts */
    double *q;          /* [K*h*nq] quantile j: q[(k*h + i)*nq + j]; NaN without intervals */
    bool has_quantiles; /* the model gave its own quantiles */
    /* Per horizon step i, over the K origins: */
    double *mae;   /* [h] mean |e| */
    double *rmse;  /* [h] sqrt(mean e^2) */
    double *bias;  /* [h] mean e (e = actual - forecast) */
    double *smape; /* [h] mean sMAPE (percent) */
} hr_backtest;

/* Run a rolling-origin evaluation of the (created, possibly unfitted) model
 * `m` on y[0..n). The model is left fitted at the last origin. Needs
 * t_1 >= 1: HR_EDATA when n is too short for K origins (err says how many
 * values are needed). Model errors are passed through, prefixed with the
 * origin. `out` is initialised by the call. */
HR_EXPORT int hr_backtest_run(hr_model *m, const double *y, size_t n, const hr_backtest_opts *opts,
                              hr_backtest *out, hr_error *err);
HR_EXPORT void hr_backtest_release(hr_backtest *bt); /* NULL-safe */

/* Largest K <= want such that K origins `step` apart (0 = h) leave at least
 * min_train values before the first one; 0 if not even one fits. */
HR_EXPORT size_t hr_backtest_max_origins(size_t n, size_t h, size_t step, size_t min_train,
                                         size_t want);

/* ---- conformal calibration ------------------------------------------------------ */

/* Per-step calibration sets. Owned arrays; free with hr_calib_release. */
typedef struct hr_calib {
    size_t h;       /* steps calibrated */
    size_t n;       /* errors per step */
    bool absolute;  /* symmetric intervals from |e| (else signed quantiles) */
    double *sorted; /* [h*n] step i's errors, ascending, at sorted[i*n ...] */
} hr_calib;

/* Build from errors err_[k*h + i] = actual - forecast, k < n_origins. With
 * `absolute` the scores are |e| and intervals are symmetric around the
 * point forecast; otherwise the signed errors' own quantiles are used, which
 * also corrects a biased forecast. HR_EINVAL on zero sizes, HR_EDATA on a
 * non-finite error. `cal` is initialised by the call. */
HR_EXPORT int hr_calib_fit(hr_calib *cal, const double *errors, size_t n_origins, size_t h,
                           bool absolute, hr_error *err);
/* Same, from a backtest's actual - mean. */
HR_EXPORT int hr_calib_from_backtest(hr_calib *cal, const hr_backtest *bt, bool absolute,
                                     hr_error *err);
HR_EXPORT void hr_calib_release(hr_calib *cal); /* NULL-safe */

/* The error quantile that hr_calib_apply adds to the point forecast at step
 * i for level tau (tau in (0,1)). With n errors per step:
 *   signed:   tau >= 1/2: the ceil((n+1) tau)-th smallest error,
 *             tau <  1/2: the floor((n+1) tau)-th smallest error;
 *   absolute: sign(tau - 1/2) times the ceil((n+1)|2 tau - 1|)-th smallest |e|
 *             (0 at tau = 1/2);
 * an order past n (or below 1) is clamped to the extreme error: with n <
 * 1/min(tau, 1-tau) - 1 errors the interval cannot reach its nominal level,
 * and it is as wide as the data allow. Steps past cal->h use the last step. */
HR_EXPORT double hr_calib_offset(const hr_calib *cal, size_t i, double tau);

/* Fill f->q (every level, every step) as f->mean[i] + hr_calib_offset(i,
 * level) and set f->has_quantiles. Replaces quantiles the model gave.
 * HR_EINVAL when cal is empty. */
HR_EXPORT int hr_calib_apply(const hr_calib *cal, hr_forecast *f, hr_error *err);

#endif
