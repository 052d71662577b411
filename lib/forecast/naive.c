/* Naive (random walk) and seasonal naive forecasts, with the textbook
 * Gaussian intervals (Hyndman & Athanasopoulos, FPP3 5.5):
 *   naive:   sd_h = sigma * sqrt(h)
 *   snaive:  sd_h = sigma * sqrt(floor((h-1)/m) + 1)
 * where sigma^2 is the mean squared one-step (resp. one-season) residual.
 * The online update is O(1): a ring buffer of the last m values and running
 * sums of the squared residuals. */
#include "forecast/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct naive_state {
    size_t m;     /* 1 for naive, the season for snaive */
    double *ring; /* last m observations; ring[(pos + k) % m] is the k-th oldest */
    size_t pos;   /* index of the oldest value */
    double sse;   /* sum of squared residuals y_t - y_{t-m} */
    size_t nres;  /* residual count */
    double sae;
} naive_state;

static int naive_init_m(struct hr_model *m, size_t season, hr_error *err)
{
    naive_state *st = calloc(1, sizeof *st);
    if (!st) return hr_error_set(err, HR_ENOMEM, "out of memory");
    st->m = season;
    st->ring = calloc(season, sizeof(double));
    if (!st->ring) {
        free(st);
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    m->impl = st;
    return 0;
}

static int naive_init(struct hr_model *m, hr_error *err)
{
    return naive_init_m(m, 1, err);
}

static int snaive_init(struct hr_model *m, hr_error *err)
{
    if (m->opts.nperiods == 0)
        return hr_error_set(err, HR_EINVAL, "snaive: a seasonal period is required (--season)");
    /* With several periods the longest one repeats every shorter one too. */
    return naive_init_m(m, m->opts.periods[m->opts.nperiods - 1], err);
}

static void push(naive_state *st, double y)
{
    st->ring[st->pos] = y;
    st->pos = (st->pos + 1) % st->m;
}

static int naive_fit(struct hr_model *m, const double *y, size_t n, hr_error *err)
{
    naive_state *st = m->impl;
    if (n < st->m)
        return hr_error_set(err, HR_EDATA, "%s: needs at least %zu values, got %zu", m->ops->name,
                            st->m, n);
    st->sse = st->sae = 0;
    st->nres = 0;
    for (size_t t = st->m; t < n; t++) {
        double e = y[t] - y[t - st->m];
        st->sse += e * e;
        st->sae += fabs(e);
        st->nres++;
    }
    st->pos = 0;
    for (size_t k = 0; k < st->m; k++) st->ring[k] = y[n - st->m + k];
    return 0;
}

static int naive_update(struct hr_model *m, double y)
{
    naive_state *st = m->impl;
    double e = y - st->ring[st->pos]; /* the oldest value is y_{t-m} */
    st->sse += e * e;
    st->sae += fabs(e);
    st->nres++;
    push(st, y);
    return 0;
}

static int naive_forecast(const struct hr_model *m, hr_forecast *out, hr_error *err)
{
    const naive_state *st = m->impl;
    double sigma = st->nres ? sqrt(st->sse / (double)st->nres) : 0.0;
    double *sd = malloc(out->h * sizeof(double));
    if (!sd) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (size_t i = 0; i < out->h; i++) {
        out->mean[i] = st->ring[(st->pos + i % st->m) % st->m];
        sd[i] = sigma * sqrt((double)(i / st->m + 1));
    }
    hr__forecast_gaussian(out, sd);
    free(sd);
    return 0;
}

static int naive_info(const struct hr_model *m, hr_fit_info *fi)
{
    const naive_state *st = m->impl;
    fi->nparams = 0;
    if (st->nres) {
        fi->mse = fi->sigma2 = st->sse / (double)st->nres;
        fi->mae = st->sae / (double)st->nres;
    }
    if (st->m == 1)
        snprintf(fi->desc, sizeof fi->desc, "Naive");
    else
        snprintf(fi->desc, sizeof fi->desc, "SNaive(m=%zu)", st->m);
    return 0;
}

static void naive_release(struct hr_model *m)
{
    naive_state *st = m->impl;
    if (st) free(st->ring);
    free(st);
    m->impl = NULL;
}

const struct hr_model_ops hr__naive_ops = {
    .name = "naive",
    .summary = "random walk: the last value repeated",
    .has_intervals = true,
    .init = naive_init,
    .fit = naive_fit,
    .forecast = naive_forecast,
    .update = naive_update,
    .info = naive_info,
    .release = naive_release,
};

const struct hr_model_ops hr__snaive_ops = {
    .name = "snaive",
    .summary = "seasonal naive: the last season repeated (longest period)",
    .has_intervals = true,
    .init = snaive_init,
    .fit = naive_fit,
    .forecast = naive_forecast,
    .update = naive_update,
    .info = naive_info,
    .release = naive_release,
};
