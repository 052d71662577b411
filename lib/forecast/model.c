/* The model registry and the public model API: argument checks, state
 * checks and quantile post-processing shared by every model. */
#include "forecast/internal.h"

#include <headroom/util.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Every model, in the order `headroom forecast --help` lists them. */
static const struct hr_model_ops *const registry[] = {
    &hr__naive_ops, &hr__snaive_ops, &hr__naive2_ops, &hr__theta_ops,
    &hr__ets_ops,   &hr__mstl_ops,   &hr__combo_ops,  &hr__auto_ops,
};
#define NREG (sizeof registry / sizeof registry[0])

size_t hr_model_list(const char **names, const char **summaries, size_t max)
{
    for (size_t i = 0; i < NREG && i < max; i++) {
        if (names) names[i] = registry[i]->name;
        if (summaries) summaries[i] = registry[i]->summary;
    }
    return NREG;
}

int hr_model_new(const char *name, const hr_model_opts *opts, hr_model **out, hr_error *err)
{
    if (!name || !out) return hr_error_set(err, HR_EINVAL, "model name missing");
    const struct hr_model_ops *ops = NULL;
    for (size_t i = 0; i < NREG; i++)
        if (strcmp(registry[i]->name, name) == 0) ops = registry[i];
    if (!ops) return hr_error_set(err, HR_ENOTFOUND, "unknown model \"%s\"", name);

    hr_model *m = calloc(1, sizeof *m);
    if (!m) return hr_error_set(err, HR_ENOMEM, "out of memory");
    m->ops = ops;
    if (opts) m->opts = *opts;
    m->opts.spec[HR_MODEL_SPEC_MAX - 1] = '\0';
    if (m->opts.nperiods > HR_MAX_PERIODS) {
        free(m);
        return hr_error_set(err, HR_EINVAL, "model %s: at most %d seasonal periods", name,
                            HR_MAX_PERIODS);
    }
    for (size_t i = 0; i < m->opts.nperiods; i++) {
        if (m->opts.periods[i] < 2 || (i && m->opts.periods[i] <= m->opts.periods[i - 1])) {
            free(m);
            return hr_error_set(err, HR_EINVAL,
                                "model %s: seasonal periods must be >= 2 and ascending", name);
        }
    }
    if (m->opts.sim_paths == 0) m->opts.sim_paths = 1000;
    int rc = ops->init(m, err);
    if (rc < 0) {
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void hr_model_free(hr_model *m)
{
    if (!m) return;
    if (m->ops && m->ops->release) m->ops->release(m);
    free(m);
}

int hr_model_fit(hr_model *m, const double *y, size_t n, hr_error *err)
{
    if (!m || (!y && n)) return hr_error_set(err, HR_EINVAL, "model or data missing");
    if (n == 0) return hr_error_set(err, HR_EDATA, "%s: empty series", m->ops->name);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i]))
            return hr_error_set(err, HR_EDATA, "%s: value %zu is not finite (fill gaps first)",
                                m->ops->name, i + 1);
    m->fitted = false;
    int rc = m->ops->fit(m, y, n, err);
    if (rc < 0) return rc;
    m->fitted = true;
    m->nobs = n;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int hr_model_forecast(const hr_model *m, size_t h, hr_forecast *out, hr_error *err)
{
    if (!m || !out) return hr_error_set(err, HR_EINVAL, "model or forecast missing");
    if (!m->fitted) return hr_error_set(err, HR_ESTATE, "%s: not fitted", m->ops->name);
    if (h == 0 || out->h != h)
        return hr_error_set(err, HR_EINVAL, "%s: horizon %zu does not match the forecast (%zu)",
                            m->ops->name, h, out->h);
    for (size_t i = 0; i < h * out->nq; i++) out->q[i] = NAN;
    out->has_quantiles = false;
    int rc = m->ops->forecast(m, out, err);
    if (rc < 0) return rc;
    for (size_t i = 0; i < h; i++)
        if (!isfinite(out->mean[i]))
            return hr_error_set(err, HR_ECONVERGE, "%s: non-finite forecast at step %zu",
                                m->ops->name, i + 1);
    if (m->ops->has_intervals && out->nq) {
        /* Monotone quantiles: sorting each step's row is the rearrangement
         * of Chernozhukov et al., which never worsens the pinball loss. */
        for (size_t i = 0; i < h; i++)
            qsort(out->q + i * out->nq, out->nq, sizeof(double), cmp_double);
        out->has_quantiles = true;
    }
    return 0;
}

int hr_model_update(hr_model *m, double y)
{
    if (!m) return HR_EINVAL;
    if (!m->fitted) return HR_ESTATE;
    if (!isfinite(y)) return HR_EDATA;
    if (!m->ops->update) return HR_ENOTSUP;
    int rc = m->ops->update(m, y);
    if (rc == 0) m->nobs++;
    return rc;
}

int hr_model_info(const hr_model *m, hr_fit_info *out)
{
    if (!m || !out) return HR_EINVAL;
    if (!m->fitted) return HR_ESTATE;
    hr__fit_info_clear(out);
    out->nobs = m->nobs;
    return m->ops->info ? m->ops->info(m, out) : 0;
}

const char *hr_model_name(const hr_model *m)
{
    return m ? m->ops->name : NULL;
}

bool hr_model_has_intervals(const hr_model *m)
{
    return m && m->ops->has_intervals;
}

void hr__fit_info_clear(hr_fit_info *fi)
{
    memset(fi, 0, sizeof *fi);
    fi->loglik = fi->aic = fi->aicc = fi->bic = NAN;
    fi->mse = fi->mae = fi->sigma2 = NAN;
}

/* ---- forecasts ------------------------------------------------------------------ */

int hr_forecast_init(hr_forecast *f, size_t h, const double *levels, size_t nq, hr_error *err)
{
    if (!f || h == 0) return hr_error_set(err, HR_EINVAL, "forecast horizon must be >= 1");
    if (nq > HR_MAX_QUANTILES)
        return hr_error_set(err, HR_EINVAL, "at most %d quantile levels", HR_MAX_QUANTILES);
    if (h > SIZE_MAX / sizeof(double) / (nq + 1))
        return hr_error_set(err, HR_ERANGE, "forecast horizon %zu too large", h);
    for (size_t j = 0; j < nq; j++) {
        if (!(levels[j] > 0 && levels[j] < 1))
            return hr_error_set(err, HR_EINVAL, "quantile level %g is not in (0,1)", levels[j]);
        if (j && !(levels[j] > levels[j - 1]))
            return hr_error_set(err, HR_EINVAL, "quantile levels must ascend (%g after %g)",
                                levels[j], levels[j - 1]);
    }
    memset(f, 0, sizeof *f);
    f->mean = malloc(h * sizeof(double));
    f->q = malloc((nq ? h * nq : 1) * sizeof(double));
    if (!f->mean || !f->q) {
        free(f->mean);
        free(f->q);
        memset(f, 0, sizeof *f);
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    f->h = h;
    f->nq = nq;
    for (size_t j = 0; j < nq; j++) f->levels[j] = levels[j];
    for (size_t i = 0; i < h; i++) f->mean[i] = NAN;
    for (size_t i = 0; i < h * nq; i++) f->q[i] = NAN;
    return 0;
}

void hr_forecast_release(hr_forecast *f)
{
    if (!f) return;
    free(f->mean);
    free(f->q);
    memset(f, 0, sizeof *f);
}

int hr_parse_levels(const char *s, double *levels, size_t max, hr_error *err)
{
    size_t n = 0;
    const char *p = s;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        double v;
        if (hr_parse_double(p, len, &v) < 0 || !(v > 0 && v < 1))
            return hr_error_set(err, HR_EPARSE,
                                "quantile \"%.*s\" (item %zu) is not a number in (0,1)", (int)len,
                                p, n + 1);
        if (n == max) return hr_error_set(err, HR_ELIMIT, "more than %zu quantile levels", max);
        if (n && !(v > levels[n - 1]))
            return hr_error_set(err, HR_EPARSE, "quantile %g (item %zu) does not ascend", v, n + 1);
        levels[n++] = v;
        p = e ? e + 1 : NULL;
    }
    return (int)n;
}

void hr__forecast_gaussian(hr_forecast *out, const double *sd)
{
    for (size_t j = 0; j < out->nq; j++) {
        double z = hr_norm_ppf(out->levels[j]);
        for (size_t i = 0; i < out->h; i++) out->q[i * out->nq + j] = out->mean[i] + z * sd[i];
    }
}

int hr__forecast_from_paths(hr_forecast *out, const double *paths, size_t npaths)
{
    double *col = malloc(npaths * sizeof(double));
    if (!col) return HR_ENOMEM;
    for (size_t i = 0; i < out->h; i++) {
        for (size_t p = 0; p < npaths; p++) col[p] = paths[p * out->h + i];
        qsort(col, npaths, sizeof(double), cmp_double);
        for (size_t j = 0; j < out->nq; j++)
            out->q[i * out->nq + j] = hr_quantile_sorted(col, npaths, out->levels[j]);
    }
    free(col);
    return 0;
}

/* ---- PRNG: xoshiro256** (Blackman & Vigna), seeded by splitmix64 ---------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void hr__rng_seed(hr__rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t hr__rng_next(hr__rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double hr__rng_uniform(hr__rng *r)
{
    return (double)(hr__rng_next(r) >> 11) * 0x1.0p-53;
}

double hr__rng_normal(hr__rng *r)
{
    /* Inversion: exact to the ppf's precision and branch-free in the count of
     * draws, so a seed gives the same paths whatever the platform. */
    double u;
    do u = hr__rng_uniform(r);
    while (u <= 0.0);
    return hr_norm_ppf(u);
}
