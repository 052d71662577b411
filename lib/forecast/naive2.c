/* Naive2, the M4 benchmark (Makridakis, Spiliotis & Assimakopoulos 2020):
 * when the M4 seasonality test at m = opts.periods[0] is positive, divide
 * by the classical multiplicative seasonal indices (R's decompose), forecast
 * the last seasonally adjusted value, and multiply the indices back; else
 * (no period, test negative, fewer than 3m values) plain naive. Series that
 * are not strictly positive get the additive classical indices instead
 * (M4's data never needs this).
 *
 * Intervals: Gaussian in the adjusted scale with the random-walk growth,
 * sd_h = sigma * sqrt(h), sigma^2 the mean squared one-step residual of the
 * adjusted series; multiplicative indices scale the sd with the mean.
 *
 * Update is O(1): the indices stay as fitted, the new value is adjusted with
 * the index of its position. */
#include "forecast/internal.h"
#include "forecast/stl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct naive2_state {
    hr__deseason ds;
    size_t t;    /* position of the next observation */
    double last; /* last adjusted value */
    double sse, sae;
    size_t nres;
} naive2_state;

static int naive2_init(struct hr_model *m, hr_error *err)
{
    if (m->opts.spec[0])
        return hr_error_set(err, HR_EINVAL, "naive2: takes no spec (got \"%s\")", m->opts.spec);
    naive2_state *st = calloc(1, sizeof *st);
    if (!st) return hr_error_set(err, HR_ENOMEM, "out of memory");
    m->impl = st;
    return 0;
}

static int naive2_fit(struct hr_model *m, const double *y, size_t n, hr_error *err)
{
    naive2_state *st = m->impl;
    size_t period = m->opts.nperiods ? m->opts.periods[0] : 0;
    if (hr__deseason_fit(&st->ds, y, n, period) < 0)
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    st->sse = st->sae = 0;
    st->nres = 0;
    double prev = hr__deseason_adj(&st->ds, y[0], 0);
    for (size_t t = 1; t < n; t++) {
        double x = hr__deseason_adj(&st->ds, y[t], t), e = x - prev;
        st->sse += e * e;
        st->sae += fabs(e);
        st->nres++;
        prev = x;
    }
    st->last = prev;
    st->t = n;
    return 0;
}

static int naive2_update(struct hr_model *m, double y)
{
    naive2_state *st = m->impl;
    double x = hr__deseason_adj(&st->ds, y, st->t), e = x - st->last;
    st->sse += e * e;
    st->sae += fabs(e);
    st->nres++;
    st->last = x;
    st->t++;
    return 0;
}

static int naive2_forecast(const struct hr_model *m, hr_forecast *out, hr_error *err)
{
    const naive2_state *st = m->impl;
    double sigma = st->nres ? sqrt(st->sse / (double)st->nres) : 0.0;
    double *sd = malloc(out->h * sizeof(double));
    if (!sd) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (size_t i = 0; i < out->h; i++) {
        size_t t = st->t + i;
        out->mean[i] = hr__deseason_readj(&st->ds, st->last, t);
        sd[i] = sigma * sqrt((double)(i + 1)) * hr__deseason_scale(&st->ds, t);
    }
    hr__forecast_gaussian(out, sd);
    free(sd);
    return 0;
}

static int naive2_info(const struct hr_model *m, hr_fit_info *fi)
{
    const naive2_state *st = m->impl;
    fi->nparams = (int)st->ds.m; /* the seasonal indices */
    if (st->nres) {
        fi->mse = fi->sigma2 = st->sse / (double)st->nres;
        fi->mae = st->sae / (double)st->nres;
    }
    if (st->ds.m)
        snprintf(fi->desc, sizeof fi->desc, "Naive2(m=%zu, %s)", st->ds.m,
                 st->ds.mult ? "multiplicative" : "additive");
    else
        snprintf(fi->desc, sizeof fi->desc, "Naive2(not seasonal)");
    return 0;
}

static void naive2_release(struct hr_model *m)
{
    naive2_state *st = m->impl;
    if (st) hr__deseason_release(&st->ds);
    free(st);
    m->impl = NULL;
}

const struct hr_model_ops hr__naive2_ops = {
    .name = "naive2",
    .summary = "M4 Naive2: naive on the classically deseasonalised series",
    .has_intervals = true,
    .init = naive2_init,
    .fit = naive2_fit,
    .forecast = naive2_forecast,
    .update = naive2_update,
    .info = naive2_info,
    .release = naive2_release,
};
