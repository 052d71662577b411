/* Rolling-origin evaluation of a model on one series (see backtest.h). */
#include <headroom/backtest.h>
#include <headroom/metrics.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hr_backtest_release(hr_backtest *bt)
{
    if (!bt) return;
    free(bt->origin);
    free(bt->actual);
    free(bt->mean);
    free(bt->q);
    free(bt->mae);
    free(bt->rmse);
    free(bt->bias);
    free(bt->smape);
    memset(bt, 0, sizeof *bt);
}

size_t hr_backtest_max_origins(size_t n, size_t h, size_t step, size_t min_train, size_t want)
{
    if (step == 0) step = h;
    if (min_train == 0) min_train = 1;
    if (h == 0 || n < h || n - h < min_train) return 0;
    size_t room = (n - h - min_train) / step + 1; /* origins that fit */
    return room < want ? room : want;
}

static int alloc_result(hr_backtest *bt, size_t K, size_t h, size_t nq, hr_error *err)
{
    memset(bt, 0, sizeof *bt);
    if (K > HR_BACKTEST_MAX_ORIGINS || h > SIZE_MAX / sizeof(double) / K / (nq + 1))
        return hr_error_set(err, HR_ELIMIT, "backtest: %zu origins x %zu steps is too many", K, h);
    size_t kh = K * h;
    bt->origin = calloc(K, sizeof(size_t));
    bt->actual = malloc(kh * sizeof(double));
    bt->mean = malloc(kh * sizeof(double));
    bt->q = malloc((nq ? kh * nq : 1) * sizeof(double));
    bt->mae = calloc(h, sizeof(double));
    bt->rmse = calloc(h, sizeof(double));
    bt->bias = calloc(h, sizeof(double));
    bt->smape = calloc(h, sizeof(double));
    if (!bt->origin || !bt->actual || !bt->mean || !bt->q || !bt->mae || !bt->rmse || !bt->bias ||
        !bt->smape) {
        hr_backtest_release(bt);
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    bt->h = h;
    bt->norigins = K;
    bt->nq = nq;
    return 0;
}

/* Bring the model to origin t: refit, or update from `*at` to t. */
static int move_to(hr_model *m, const double *y, size_t t, size_t *at, bool refit, hr_error *err)
{
    if (!refit && *at > 0 && *at <= t) {
        size_t s = *at;
        for (; s < t; s++) {
            int rc = hr_model_update(m, y[s]);
            if (rc == HR_ENOTSUP) break;
            if (rc < 0)
                return hr_error_set(err, rc, "%s: update at value %zu: %s", hr_model_name(m), s + 1,
                                    hr_strerror(rc));
        }
        if (s == t) {
            *at = t;
            return 0;
        }
    }
    int rc = hr_model_fit(m, y, t, err);
    if (rc < 0) return rc;
    *at = t;
    return 0;
}

static void summarise(hr_backtest *bt)
{
    size_t h = bt->h, K = bt->norigins;
    for (size_t i = 0; i < h; i++) {
        double sa = 0, s2 = 0, sb = 0, ss = 0;
        for (size_t k = 0; k < K; k++) {
            double y = bt->actual[k * h + i], f = bt->mean[k * h + i], e = y - f;
            sa += fabs(e);
            s2 += e * e;
            sb += e;
            ss += hr_smape(&y, &f, 1);
        }
        bt->mae[i] = sa / (double)K;
        bt->rmse[i] = sqrt(s2 / (double)K);
        bt->bias[i] = sb / (double)K;
        bt->smape[i] = ss / (double)K;
    }
}

int hr_backtest_run(hr_model *m, const double *y, size_t n, const hr_backtest_opts *o,
                    hr_backtest *out, hr_error *err)
{
    if (!m || !y || !o || !out) return hr_error_set(err, HR_EINVAL, "backtest: missing argument");
    size_t h = o->horizon, K = o->origins, step = o->step ? o->step : o->horizon;
    if (h == 0 || K == 0)
        return hr_error_set(err, HR_EINVAL, "backtest: horizon and origins must be >= 1");
    if (o->nq > HR_MAX_QUANTILES)
        return hr_error_set(err, HR_EINVAL, "backtest: at most %d quantile levels",
                            HR_MAX_QUANTILES);
    if (K > HR_BACKTEST_MAX_ORIGINS || step > (SIZE_MAX - h) / K)
        return hr_error_set(err, HR_ELIMIT, "backtest: %zu origins is too many", K);
    size_t need = h + (K - 1) * step + 1;
    if (n < need)
        return hr_error_set(err, HR_EDATA,
                            "backtest: %zu origins %zu apart with horizon %zu need at least %zu "
                            "values, the series has %zu",
                            K, step, h, need, n);
    hr_backtest bt;
    hr_forecast f;
    int rc = alloc_result(&bt, K, h, o->nq, err);
    if (rc < 0) return rc;
    rc = hr_forecast_init(&f, h, o->levels, o->nq, err);
    if (rc < 0) {
        hr_backtest_release(&bt);
        return rc;
    }
    for (size_t j = 0; j < o->nq; j++) bt.levels[j] = o->levels[j];
    bt.has_quantiles = o->nq > 0;
    size_t at = 0;
    for (size_t k = 0; k < K; k++) {
        size_t t = n - h - (K - 1 - k) * step;
        rc = move_to(m, y, t, &at, o->refit, err);
        if (rc == 0) rc = hr_model_forecast(m, h, &f, err);
        if (rc < 0) {
            hr_error_prefix(err, "origin %zu (after %zu values)", k + 1, t);
            goto out;
        }
        bt.origin[k] = t;
        memcpy(bt.actual + k * h, y + t, h * sizeof(double));
        memcpy(bt.mean + k * h, f.mean, h * sizeof(double));
        if (o->nq) memcpy(bt.q + k * h * o->nq, f.q, h * o->nq * sizeof(double));
        if (!f.has_quantiles) bt.has_quantiles = false;
    }
    summarise(&bt);
    *out = bt;
    hr_forecast_release(&f);
    return 0;
out:
    hr_forecast_release(&f);
    hr_backtest_release(&bt);
    return rc;
}
