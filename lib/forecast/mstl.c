/* MSTL forecasting (Bandara, Hyndman & Bergmeir, "MSTL: a seasonal-trend
 * decomposition algorithm for time series with multiple seasonal
 * patterns", 2021; as R's forecast::stlf on an mstl fit).
 *
 * Fit: decompose with hr__mstl (periods from opts.periods; a period p is
 * dropped unless n > 2p, as forecast::mstl drops p >= n/2); fit a
 * non-seasonal model, created through the public API, on the seasonally
 * adjusted series (trend + remainder). spec names it: "theta" (default),
 * "ets" or "naive", optionally with its own spec after a colon
 * ("theta:opt"). Forecast: that model's forecast plus, for every period,
 * the last cycle of the seasonal component repeated (seasonal naive of the
 * component). Quantiles: the adjusted model's, shifted by the seasonal
 * forecast (the seasonal components are treated as known).
 *
 * Update, O(1) beyond the adjusted model's own update: that model gets
 * y - (the seasonal forecast for this step), and each component's ring of
 * its last cycle rolls on by one. */
#include "forecast/internal.h"
#include "forecast/stl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSTL_ITERATE 2 /* forecast::mstl's default */

typedef struct mstl_state {
    char sub[16];  /* adjusted-series model name */
    hr_model *adj; /* fitted on the adjusted series */
    size_t nper;   /* periods kept at the last fit */
    size_t per[HR_MAX_PERIODS];
    double *ring[HR_MAX_PERIODS]; /* last cycle of each component */
    size_t pos[HR_MAX_PERIODS];   /* ring index of the next step */
} mstl_state;

static void free_rings(mstl_state *st)
{
    for (size_t k = 0; k < HR_MAX_PERIODS; k++) {
        free(st->ring[k]);
        st->ring[k] = NULL;
    }
    st->nper = 0;
}

static int mstl_init(struct hr_model *m, hr_error *err)
{
    const char *spec = m->opts.spec[0] ? m->opts.spec : "theta";
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    static const char *const allowed[] = {"theta", "ets", "naive"};
    bool ok = false;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        ok |= strlen(allowed[i]) == len && strncmp(allowed[i], spec, len) == 0;
    if (!ok)
        return hr_error_set(err, HR_EINVAL,
                            "mstl: spec \"%s\": the adjusted-series model must be theta, ets or "
                            "naive (optionally \"name:spec\")",
                            spec);
    mstl_state *st = calloc(1, sizeof *st);
    if (!st) return hr_error_set(err, HR_ENOMEM, "out of memory");
    memcpy(st->sub, spec, len);
    hr_model_opts o = {
        .seed = m->opts.seed, .sim_paths = m->opts.sim_paths, .horizon = m->opts.horizon};
    if (colon) snprintf(o.spec, sizeof o.spec, "%s", colon + 1);
    int rc = hr_model_new(st->sub, &o, &st->adj, err);
    if (rc == 0 && !hr_model_has_intervals(st->adj))
        rc = hr_error_set(err, HR_EINVAL, "mstl: model %s gives no intervals", st->sub);
    if (rc < 0) {
        hr_model_free(st->adj);
        free(st);
        return rc;
    }
    m->impl = st;
    return 0;
}

static int mstl_fit(struct hr_model *m, const double *y, size_t n, hr_error *err)
{
    mstl_state *st = m->impl;
    free_rings(st);
    size_t per[HR_MAX_PERIODS], np = 0;
    for (size_t k = 0; k < m->opts.nperiods; k++)
        if (n / 2 > m->opts.periods[k]) per[np++] = m->opts.periods[k];
    if (n > SIZE_MAX / sizeof(double) / (np + 1))
        return hr_error_set(err, HR_ERANGE, "mstl: series too long");
    double *deseas = malloc((np + 1) * n * sizeof(double));
    if (!deseas) return hr_error_set(err, HR_ENOMEM, "out of memory");
    double *seas = deseas + n;
    int rc = hr__mstl(y, n, per, np, MSTL_ITERATE, seas, deseas);
    if (rc < 0) {
        hr_error_set(err, rc, "mstl: decomposition failed");
        goto out;
    }
    rc = hr_model_fit(st->adj, deseas, n, err);
    if (rc < 0) goto out;
    for (size_t k = 0; k < np; k++) {
        st->ring[k] = malloc(per[k] * sizeof(double));
        if (!st->ring[k]) {
            rc = hr_error_set(err, HR_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(st->ring[k], seas + k * n + (n - per[k]), per[k] * sizeof(double));
        st->per[k] = per[k];
        st->pos[k] = 0;
        st->nper = k + 1;
    }
out:
    free(deseas);
    if (rc < 0) free_rings(st);
    return rc;
}

/* Sum of the seasonal forecasts i steps after the next one. */
static double seasonal_at(const mstl_state *st, size_t i)
{
    double s = 0;
    for (size_t k = 0; k < st->nper; k++) s += st->ring[k][(st->pos[k] + i) % st->per[k]];
    return s;
}

static int mstl_forecast(const struct hr_model *m, hr_forecast *out, hr_error *err)
{
    const mstl_state *st = m->impl;
    hr_forecast a;
    int rc = hr_forecast_init(&a, out->h, out->levels, out->nq, err);
    if (rc < 0) return rc;
    rc = hr_model_forecast(st->adj, out->h, &a, err);
    if (rc == 0) {
        for (size_t i = 0; i < out->h; i++) {
            double s = seasonal_at(st, i);
            out->mean[i] = a.mean[i] + s;
            for (size_t j = 0; j < out->nq; j++) out->q[i * out->nq + j] = a.q[i * a.nq + j] + s;
        }
    }
    hr_forecast_release(&a);
    return rc;
}

static int mstl_update(struct hr_model *m, double y)
{
    mstl_state *st = m->impl;
    int rc = hr_model_update(st->adj, y - seasonal_at(st, 0));
    if (rc < 0) return rc;
    for (size_t k = 0; k < st->nper; k++) st->pos[k] = (st->pos[k] + 1) % st->per[k];
    return 0;
}

static int mstl_info(const struct hr_model *m, hr_fit_info *fi)
{
    const mstl_state *st = m->impl;
    hr_fit_info a;
    int rc = hr_model_info(st->adj, &a);
    if (rc < 0) return rc;
    /* In-sample errors of the adjusted model are those of the whole
     * forecast, the in-sample seasonal components being taken as known. */
    fi->nparams = a.nparams;
    fi->mse = a.mse;
    fi->mae = a.mae;
    fi->sigma2 = a.sigma2;
    char periods[48] = "none";
    size_t off = 0;
    for (size_t k = 0; k < st->nper && off < sizeof periods; k++) {
        int w = snprintf(periods + off, sizeof periods - off, "%s%zu", k ? "," : "", st->per[k]);
        if (w < 0) break;
        off += (size_t)w;
    }
    char buf[sizeof periods + sizeof a.desc + 16];
    snprintf(buf, sizeof buf, "MSTL(%s; %s)", periods, a.desc);
    size_t len = strlen(buf); /* cut to fit, the inner description last */
    if (len >= sizeof fi->desc) len = sizeof fi->desc - 1;
    memcpy(fi->desc, buf, len);
    fi->desc[len] = '\0';
    return 0;
}

static void mstl_release(struct hr_model *m)
{
    mstl_state *st = m->impl;
    if (st) {
        free_rings(st);
        hr_model_free(st->adj);
    }
    free(st);
    m->impl = NULL;
}

const struct hr_model_ops hr__mstl_ops = {
    .name = "mstl",
    .summary = "MSTL decomposition; adjusted series by theta (default), ets or naive",
    .has_intervals = true,
    .init = mstl_init,
    .fit = mstl_fit,
    .forecast = mstl_forecast,
    .update = mstl_update,
    .info = mstl_info,
    .release = mstl_release,
};
