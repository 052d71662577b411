/* headroom/forecast.h - the forecasting engine: one interface for every model.
 *
 * A model is created by name from a registry (hr_model_new), fitted on a
 * series of finite values (hr_model_fit), asked for h steps ahead with any
 * set of quantile levels (hr_model_forecast), and updated online with one
 * new observation (hr_model_update), in O(1) for the state-space models,
 * without refitting. hr_model_info reports in-sample fit criteria.
 *
 * Thread-safety: a model object has one owner at a time; distinct model
 * objects may be used concurrently from different threads (the library keeps
 * no global mutable state).
 */
#ifndef HEADROOM_FORECAST_H
#define HEADROOM_FORECAST_H

#include "common.h"
#include "error.h"

#define HR_MAX_PERIODS    4
#define HR_MAX_QUANTILES  32
#define HR_MODEL_SPEC_MAX 64

/* ---- forecasts ----------------------------------------------------------------- */

typedef struct hr_forecast {
    size_t h;                        /* steps ahead */
    size_t nq;                       /* number of quantile levels */
    double levels[HR_MAX_QUANTILES]; /* quantile levels, strictly ascending in (0,1) */
    double *mean;                    /* [h] point forecast (mean, or median for combos) */
    double *q;                       /* [h*nq]; quantile j at step i is q[i*nq + j] */
    bool has_quantiles;              /* false: the model gave points only (q is NaN);
                                        calibrate (hr_calib_apply) to fill it */
} hr_forecast;

/* Allocate a forecast for h steps and the given levels (copied, must be
 * strictly ascending in (0,1), at most HR_MAX_QUANTILES; nq may be 0). Values
 * start as NaN. HR_EINVAL names the bad level. */
HR_EXPORT int hr_forecast_init(hr_forecast *f, size_t h, const double *levels, size_t nq,
                               hr_error *err);
HR_EXPORT void hr_forecast_release(hr_forecast *f);
/* Quantile j at step i (no bounds check beyond assert). */
static inline double hr_forecast_q(const hr_forecast *f, size_t i, size_t j)
{
    return f->q[i * f->nq + j];
}
/* Parse "0.05,0.5,0.95" into levels (ascending, deduplicated check).
 * Returns the count or HR_EPARSE naming the bad item. */
HR_EXPORT int hr_parse_levels(const char *s, double *levels, size_t max, hr_error *err);

/* ---- models ---------------------------------------------------------------------- */

typedef struct hr_model hr_model;

/* Options common to every model; zero-initialise then set what you need. */
typedef struct hr_model_opts {
    size_t periods[HR_MAX_PERIODS]; /* seasonal periods, ascending; nperiods 0 = none */
    size_t nperiods;
    /* Model-specific specification, e.g. ETS "ZZZ" (auto), "AAdA", "MNM";
     * theta "std" or "opt"; combo "ets,theta,snaive". Empty = model default. */
    char spec[HR_MODEL_SPEC_MAX];
    size_t horizon;   /* expected forecast horizon; models that validate out of
                         sample (auto) size their validation windows with it
                         (0 = twice the shortest period, or 12) */
    uint64_t seed;    /* for simulated intervals and any randomness (0 = fixed default) */
    size_t sim_paths; /* sample paths for simulated intervals (0 = 1000) */
} hr_model_opts;

/* In-sample fit criteria. Fields that do not apply are NaN (or 0 for counts). */
typedef struct hr_fit_info {
    size_t nobs;   /* observations used */
    int nparams;   /* estimated parameters, including initial states */
    double loglik; /* log-likelihood (concentrated as in Hyndman et al. for ETS) */
    double aic, aicc, bic;
    double mse; /* in-sample one-step-ahead mean squared error */
    double mae;
    double sigma2; /* innovation variance estimate */
    char desc[64]; /* the fitted form, e.g. "ETS(M,Ad,M)", "Theta(opt, theta=2.31)" */
} hr_fit_info;

/* Create a model by registry name ("naive", "snaive", "naive2", "ets",
 * "theta", "mstl", "combo", "auto", ...). `opts` may be NULL. Free with
 * hr_model_free. HR_ENOTFOUND for an unknown name, HR_EINVAL for a bad spec
 * (err says which). */
HR_EXPORT int hr_model_new(const char *name, const hr_model_opts *opts, hr_model **out,
                           hr_error *err);
HR_EXPORT void hr_model_free(hr_model *m); /* NULL-safe */

/* Fit on y[0..n). Values must be finite (fill gaps first): HR_EDATA names
 * the first bad index. HR_EDATA also when n is too short for the model. */
HR_EXPORT int hr_model_fit(hr_model *m, const double *y, size_t n, hr_error *err);

/* Forecast h steps after the last observation. `out` must have been set up
 * with hr_forecast_init(out, h, ...) (its h must equal the h asked for).
 * Quantiles are monotone in the level at every step. HR_ESTATE if unfitted. */
HR_EXPORT int hr_model_forecast(const hr_model *m, size_t h, hr_forecast *out, hr_error *err);

/* Add one observation after the fitted data and move the forecast origin,
 * without re-estimating parameters. O(1) for state-space models. */
HR_EXPORT int hr_model_update(hr_model *m, double y);

HR_EXPORT int hr_model_info(const hr_model *m, hr_fit_info *out);
HR_EXPORT const char *hr_model_name(const hr_model *m);
/* True when the model produces its own quantiles (else they come from
 * conformal calibration). */
HR_EXPORT bool hr_model_has_intervals(const hr_model *m);

/* Registry listing: fills up to `max` names and one-line summaries (either
 * array may be NULL) and returns the total count. */
HR_EXPORT size_t hr_model_list(const char **names, const char **summaries, size_t max);

/* ---- seasonality ----------------------------------------------------------------- */

/* Sample autocorrelation at lags 0..max_lag (acf[0] = 1). HR_EDATA if n <= max_lag. */
HR_EXPORT int hr_acf(const double *y, size_t n, size_t max_lag, double *acf);

/* M4's seasonality test: true when |acf(m)| exceeds the 90 % limit
 * 1.645 * sqrt((1 + 2*sum_{k<m} acf(k)^2) / n). False when n < 3m or m < 2. */
HR_EXPORT bool hr_seasonality_test(const double *y, size_t n, size_t m);

/* Detect seasonal periods among candidates (ACF peaks confirmed by the
 * periodogram). Writes up to `max` periods, ascending; returns the count. */
HR_EXPORT int hr_detect_periods(const double *y, size_t n, const size_t *candidates, size_t ncand,
                                size_t *periods, size_t max);

/* Candidate seasonal periods, in steps, for data sampled every `step_sec`
 * seconds: one day and one week, each kept when it is a whole number of
 * steps >= 2 (5-minute data: 288 and 2016; hourly: 24 and 168). Returns the
 * count written (at most `max`, ascending); 0 for step_sec <= 0. Pass the
 * result to hr_detect_periods to keep those the data show. */
HR_EXPORT int hr_candidate_periods(int64_t step_sec, size_t *periods, size_t max);

/* Classical multiplicative decomposition (centred moving average of order m,
 * as R's decompose(type = "multiplicative")): writes the m seasonal indices,
 * normalised to mean 1, aligned so that index[i % m] belongs to y[i]. */
HR_EXPORT int hr_decompose_mult(const double *y, size_t n, size_t m, double *index);

#endif
