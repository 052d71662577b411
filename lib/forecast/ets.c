/* ETS: exponential smoothing state space models (Hyndman, Koehler, Ord &
 * Snyder 2008), mirroring R's forecast::ets.
 *
 * Forms: error A/M, trend N/A/Ad, season N/A/M on the first seasonal
 * period of the options. opts.spec is R's code with Z for "choose": "ZZZ"
 * (the default), "ANN", "AAdA", "MAdM", "AZN", ... A damped trend is
 * written "Ad"; a trend "Z" tries N, A and Ad. Multiplicative trends are
 * not offered (R's default allow.multiplicative.trend = FALSE).
 *
 * Selection: every allowed candidate is estimated (ets_fit.c) and the one
 * with the lowest AICc is kept, as R's ets() does. Excluded, as in R with
 * restrict = TRUE: additive error with multiplicative season; multiplicative
 * error or season unless every value is > 0; in automatic mode, seasons
 * longer than 24. Further, a seasonal form needs two full seasons and every
 * form needs n > (its parameter count) + 4 (R's threshold for "tiny data").
 * An explicit form that the data cannot support is reduced (season dropped,
 * then damping, then trend); below ETS(A,N,N)'s minimum (n <= 6) the model
 * is simple exponential smoothing with l0 = y_1 and alpha minimising the
 * one-step squared error (R's HoltWinters fallback). A constant series under
 * the automatic spec gives ETS(A,N,N) with alpha = 0.99999 (R's ses()).
 *
 * Intervals: Gaussian with the exact variances of Hyndman et al. (2008,
 * ch. 6) for class 1 (additive error; N/A/Ad trend; N/A season) and class 2
 * (multiplicative error; same components); simulated sample paths
 * (opts.sim_paths, seeded by opts.seed) for the multiplicative-season forms.
 *
 * Online update: one step of the recursions, O(1) with the seasonal ring
 * buffer. The parameters stay fixed; the in-sample sums run on, so info()
 * reports the criteria of the fitted parameters over every observation seen
 * (fit + updates): exactly what a fixed-parameter smoothing of the whole
 * series gives. */
#include "forecast/ets.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETS_Z (-1) /* "choose" in a parsed spec */

typedef struct ets_impl {
    int req_error, req_trend, req_season, req_damped; /* ETS_Z = choose */
    size_t m;                                         /* first seasonal period, 1 when none */
    /* fitted */
    hr__ets_fit fit; /* fit.x0 owned, room for 2 + m */
    bool tiny;       /* SES fallback: criteria not reported */
    double l, b;     /* current level and trend */
    double *seas;    /* ring of m seasonal states; seas[pos] is next */
    size_t pos;
    hr__ets_sums sums; /* over every observation seen */
} ets_impl;

/* ---- spec ------------------------------------------------------------------------ */

static int parse_spec(ets_impl *st, const char *spec, hr_error *err)
{
    const char *p = spec[0] ? spec : "ZZZ";
    const char *s = p;
    switch (*s++) {
    case 'A':
        st->req_error = HR__ETS_A;
        break;
    case 'M':
        st->req_error = HR__ETS_M;
        break;
    case 'Z':
        st->req_error = ETS_Z;
        break;
    default:
        goto bad;
    }
    st->req_damped = 0;
    switch (*s++) {
    case 'N':
        st->req_trend = HR__ETS_N;
        break;
    case 'A':
        st->req_trend = HR__ETS_A;
        break;
    case 'Z':
        st->req_trend = ETS_Z, st->req_damped = ETS_Z;
        break;
    case 'M':
        return hr_error_set(err, HR_EINVAL,
                            "ets: spec \"%s\": multiplicative trend is not supported", p);
    default:
        goto bad;
    }
    if (*s == 'd') {
        if (st->req_trend != HR__ETS_A) goto bad;
        st->req_damped = 1;
        s++;
    }
    switch (*s++) {
    case 'N':
        st->req_season = HR__ETS_N;
        break;
    case 'A':
        st->req_season = HR__ETS_A;
        break;
    case 'M':
        st->req_season = HR__ETS_M;
        break;
    case 'Z':
        st->req_season = ETS_Z;
        break;
    default:
        goto bad;
    }
    if (*s) goto bad;
    if (st->req_error == HR__ETS_A && st->req_season == HR__ETS_M)
        return hr_error_set(err, HR_EINVAL,
                            "ets: spec \"%s\": additive error with multiplicative season is "
                            "excluded (unstable)",
                            p);
    return 0;
bad:
    return hr_error_set(err, HR_EINVAL,
                        "ets: bad spec \"%s\" (want error A/M/Z, trend N/A/Ad/Z, season "
                        "N/A/M/Z, e.g. \"ZZZ\", \"AAdA\", \"MNM\")",
                        p);
}

static int ets_init(struct hr_model *m, hr_error *err)
{
    ets_impl *st = calloc(1, sizeof *st);
    if (!st) return hr_error_set(err, HR_ENOMEM, "out of memory");
    m->impl = st;
    int rc = parse_spec(st, m->opts.spec, err);
    if (rc < 0) goto fail;
    st->m = m->opts.nperiods ? m->opts.periods[0] : 1;
    if (st->req_season == HR__ETS_A || st->req_season == HR__ETS_M) {
        if (st->m < 2) {
            rc = hr_error_set(err, HR_EINVAL,
                              "ets: spec \"%s\" is seasonal but no seasonal period is set",
                              m->opts.spec);
            goto fail;
        }
        if (st->m > HR__ETS_MAX_SEASON) {
            rc = hr_error_set(err, HR_ELIMIT, "ets: season %zu exceeds the limit %d", st->m,
                              HR__ETS_MAX_SEASON);
            goto fail;
        }
    }
    if (st->m > HR__ETS_MAX_SEASON) st->m = 1; /* auto mode: no season anyway */
    st->fit.x0 = calloc(2 + st->m, sizeof(double));
    st->seas = calloc(st->m, sizeof(double));
    if (!st->fit.x0 || !st->seas) {
        rc = hr_error_set(err, HR_ENOMEM, "out of memory");
        goto fail;
    }
    return 0;
fail:
    free(st->fit.x0);
    free(st->seas);
    free(st);
    m->impl = NULL;
    return rc;
}

static void ets_release(struct hr_model *m)
{
    ets_impl *st = m->impl;
    if (st) {
        free(st->fit.x0);
        free(st->seas);
    }
    free(st);
    m->impl = NULL;
}

/* ---- fitting ----------------------------------------------------------------------- */

/* Can this form be estimated on n values (see the file comment)? */
static bool form_fits(const hr__ets_form *f, size_t m, size_t n)
{
    if (f->season != HR__ETS_N && (m < 2 || n < 2 * m)) return false;
    return n > (size_t)hr__ets_nparams(f, f->season != HR__ETS_N ? m : 1) + 4;
}

/* Run the fitted form over y from its initial state: the current state
 * and the sums. Returns 0 or -1 if the path leaves the domain. */
static int replay(ets_impl *st, const double *y, size_t n, double *fitted)
{
    const hr__ets_fit *ft = &st->fit;
    size_t m = ft->form.season != HR__ETS_N ? ft->m : 1;
    hr__ets_load_state(&ft->form, m, ft->x0, &st->l, &st->b, st->seas);
    st->pos = 0;
    memset(&st->sums, 0, sizeof st->sums);
    if (hr__ets_run(&ft->form, &ft->par, y, n, &st->l, &st->b, st->seas, m, &st->pos, &st->sums,
                    fitted, true) < 0)
        return -1;
    for (size_t k = 0; k < m && ft->form.season != HR__ETS_N; k++)
        if (!isfinite(st->seas[k])) return -1;
    return 0;
}

/* Simple exponential smoothing with l0 = y[0] and alpha minimising the
 * one-step squared error (golden section on [1e-4, 0.9999]). */
static void fit_tiny(ets_impl *st, const double *y, size_t n)
{
    double lo = 1e-4, hi = 0.9999, alpha = 0.5;
    if (n > 2) {
        const double g = (sqrt(5.0) - 1) / 2;
        for (int it = 0; it < 60; it++) {
            double a1 = hi - g * (hi - lo), a2 = lo + g * (hi - lo), f1 = 0, f2 = 0;
            double l1 = y[0], l2 = y[0];
            for (size_t t = 1; t < n; t++) {
                f1 += (y[t] - l1) * (y[t] - l1);
                f2 += (y[t] - l2) * (y[t] - l2);
                l1 += a1 * (y[t] - l1);
                l2 += a2 * (y[t] - l2);
            }
            if (f1 <= f2)
                hi = a2;
            else
                lo = a1;
        }
        alpha = (lo + hi) / 2;
    }
    hr__ets_fit *ft = &st->fit;
    ft->form = (hr__ets_form){.error = HR__ETS_A, .trend = HR__ETS_N, .season = HR__ETS_N};
    ft->m = 1;
    ft->par = (hr__ets_par){.alpha = alpha, .phi = 1};
    ft->x0[0] = y[0];
    ft->nparams = 1;
    st->tiny = true;
    st->l = y[0];
    st->b = 0;
    st->pos = 0;
    memset(&st->sums, 0, sizeof st->sums);
    hr__ets_run(&ft->form, &ft->par, y + 1, n - 1, &st->l, &st->b, st->seas, 1, &st->pos, &st->sums,
                NULL, true);
}

static void fit_constant(ets_impl *st, const double *y, size_t n)
{
    hr__ets_fit *ft = &st->fit;
    ft->form = (hr__ets_form){.error = HR__ETS_A, .trend = HR__ETS_N, .season = HR__ETS_N};
    ft->m = 1;
    ft->par = (hr__ets_par){.alpha = 0.99999, .phi = 1};
    ft->x0[0] = y[0];
    ft->nparams = hr__ets_nparams(&ft->form, 1);
    replay(st, y, n, NULL);
}

typedef struct cand_list {
    hr__ets_form f[16];
    size_t n;
} cand_list;

static void add_candidates(const ets_impl *st, size_t n, bool positive, cand_list *cl)
{
    static const int errs[] = {HR__ETS_A, HR__ETS_M};
    static const int trends[][2] = {{HR__ETS_N, 0}, {HR__ETS_A, 0}, {HR__ETS_A, 1}};
    static const int seasons[] = {HR__ETS_N, HR__ETS_A, HR__ETS_M};
    cl->n = 0;
    for (size_t i = 0; i < 2; i++) {
        if (st->req_error != ETS_Z && st->req_error != errs[i]) continue;
        for (size_t j = 0; j < 3; j++) {
            if (st->req_trend != ETS_Z &&
                (st->req_trend != trends[j][0] || st->req_damped != trends[j][1]))
                continue;
            for (size_t k = 0; k < 3; k++) {
                int s = seasons[k];
                if (st->req_season != ETS_Z && st->req_season != s) continue;
                if (st->req_season == ETS_Z && s != HR__ETS_N && st->m > HR__ETS_MAX_AUTO_SEASON)
                    continue;
                if (errs[i] == HR__ETS_A && s == HR__ETS_M) continue;
                if (!positive && (errs[i] == HR__ETS_M || s == HR__ETS_M)) continue;
                hr__ets_form f = {errs[i], trends[j][0], s, trends[j][1] != 0};
                if (!form_fits(&f, st->m, n)) continue;
                cl->f[cl->n++] = f;
            }
        }
    }
}

/* An explicit form the data cannot carry: the nearest simpler one. */
static bool reduce_explicit(const ets_impl *st, size_t n, cand_list *cl)
{
    hr__ets_form f = {st->req_error, st->req_trend, st->req_season, st->req_damped == 1};
    for (int step = 0; step < 4; step++) {
        if (form_fits(&f, st->m, n)) {
            cl->f[0] = f;
            cl->n = 1;
            return true;
        }
        if (f.season != HR__ETS_N)
            f.season = HR__ETS_N;
        else if (f.damped)
            f.damped = false;
        else if (f.trend != HR__ETS_N)
            f.trend = HR__ETS_N;
    }
    return false;
}

static int check_positive(const ets_impl *st, const double *y, size_t n, bool *positive,
                          hr_error *err)
{
    *positive = true;
    for (size_t t = 0; t < n; t++) {
        if (y[t] > 0) continue;
        *positive = false;
        if (st->req_error == HR__ETS_M || st->req_season == HR__ETS_M)
            return hr_error_set(err, HR_EDATA,
                                "ets: multiplicative error or season needs values > 0; value %zu "
                                "is %g",
                                t + 1, y[t]);
        break;
    }
    return 0;
}

static int ets_fit(struct hr_model *m, const double *y, size_t n, hr_error *err)
{
    ets_impl *st = m->impl;
    bool positive;
    int rc = check_positive(st, y, n, &positive, err);
    if (rc < 0) return rc;
    st->tiny = false;

    bool all_auto = st->req_error == ETS_Z && st->req_trend == ETS_Z && st->req_season == ETS_Z;
    bool constant = true;
    for (size_t t = 1; t < n && constant; t++) constant = y[t] == y[0];
    if (constant && all_auto) {
        fit_constant(st, y, n);
        return 0;
    }

    cand_list cl;
    add_candidates(st, n, positive, &cl);
    bool is_explicit = st->req_error != ETS_Z && st->req_trend != ETS_Z && st->req_season != ETS_Z;
    if (cl.n == 0 && is_explicit) reduce_explicit(st, n, &cl);
    if (cl.n == 0) {
        /* Partly automatic specs reduce through ETS(error,N,N) too. */
        hr__ets_form f = {st->req_error == HR__ETS_M && positive ? HR__ETS_M : HR__ETS_A, HR__ETS_N,
                          HR__ETS_N, false};
        if (form_fits(&f, st->m, n)) cl.f[cl.n++] = f;
    }

    double *own = st->fit.x0, *scratch = malloc((2 + st->m) * sizeof(double));
    if (!scratch) return hr_error_set(err, HR_ENOMEM, "out of memory");
    hr__ets_fit best = {.aicc = INFINITY};
    for (int pass = 0; pass < 2 && !isfinite(best.aicc); pass++) {
        for (size_t i = 0; i < cl.n; i++) {
            hr__ets_fit cand = {.x0 = scratch};
            rc = hr__ets_estimate(y, n, &cl.f[i], st->m, &cand);
            if (rc == HR_ENOMEM) {
                free(scratch);
                return hr_error_set(err, rc, "out of memory");
            }
            if (rc < 0 || !(cand.aicc < best.aicc)) continue;
            /* Keep it only if its path stays finite from end to end. */
            st->fit = cand;
            if (replay(st, y, n, NULL) < 0) continue;
            best = cand;
            memcpy(own, scratch, hr__ets_nstate(&cand.form, cand.m) * sizeof(double));
        }
        if (!isfinite(best.aicc)) {
            /* Every candidate failed: fall back to ETS(A,N,N). */
            cl.n = 0;
            hr__ets_form f = {HR__ETS_A, HR__ETS_N, HR__ETS_N, false};
            if (form_fits(&f, st->m, n)) cl.f[cl.n++] = f;
        }
    }
    free(scratch);
    st->fit = best;
    st->fit.x0 = own;
    if (!isfinite(best.aicc) || replay(st, y, n, NULL) < 0) fit_tiny(st, y, n);
    return 0;
}

int hr__ets_set_fixed(hr_model *m, const hr__ets_form *f, const hr__ets_par *par, const double *x0,
                      const double *y, size_t n, double *fitted, hr_error *err)
{
    if (!m || strcmp(m->ops->name, "ets") != 0 || !f || !par || !x0 || !y || n == 0)
        return hr_error_set(err, HR_EINVAL, "ets: bad fixed fit");
    ets_impl *st = m->impl;
    if (f->season != HR__ETS_N && st->m < 2)
        return hr_error_set(err, HR_EINVAL, "ets: seasonal form without a seasonal period");
    size_t sm = f->season != HR__ETS_N ? st->m : 1;
    st->fit.form = *f;
    st->fit.m = sm;
    st->fit.par = *par;
    if (!f->damped) st->fit.par.phi = 1;
    if (f->trend == HR__ETS_N) st->fit.par.beta = 0;
    if (f->season == HR__ETS_N) st->fit.par.gamma = 0;
    memcpy(st->fit.x0, x0, hr__ets_nstate(f, sm) * sizeof(double));
    st->fit.nparams = hr__ets_nparams(f, sm);
    st->tiny = false;
    if (replay(st, y, n, fitted) < 0)
        return hr_error_set(err, HR_EDATA, "ets: the recursions left the domain");
    m->fitted = true;
    m->nobs = n;
    return 0;
}

int hr__ets_get_fit(const hr_model *m, hr__ets_fit *out)
{
    if (!m || strcmp(m->ops->name, "ets") != 0 || !m->fitted || !out) return HR_EINVAL;
    const ets_impl *st = m->impl;
    *out = st->fit;
    return 0;
}

/* ---- online update ------------------------------------------------------------------ */

static int ets_update(struct hr_model *m, double y)
{
    ets_impl *st = m->impl;
    const hr__ets_fit *ft = &st->fit;
    size_t sm = ft->form.season != HR__ETS_N ? ft->m : 1;
    double l = st->l, b = st->b, keep = st->seas[st->pos];
    size_t pos = st->pos;
    hr__ets_sums s = st->sums;
    if (hr__ets_run(&ft->form, &ft->par, &y, 1, &l, &b, st->seas, sm, &pos, &s, NULL, true) < 0 ||
        !isfinite(st->seas[st->pos])) {
        st->seas[st->pos] = keep;
        return HR_EDATA;
    }
    st->l = l;
    st->b = b;
    st->pos = pos;
    st->sums = s;
    return 0;
}

/* ---- forecasting -------------------------------------------------------------------- */

static double sigma2_of(const ets_impl *st)
{
    const hr__ets_sums *s = &st->sums;
    if (s->n == 0) return 0;
    double np = st->fit.nparams;
    return (double)s->n > np ? s->sse_e / ((double)s->n - np) : s->sse_e / (double)s->n;
}

static void point_forecasts(const ets_impl *st, double *mean, size_t h)
{
    const hr__ets_fit *ft = &st->fit;
    size_t sm = ft->form.season != HR__ETS_N ? ft->m : 1;
    double phi = ft->par.phi, phih = 0, pw = 1;
    for (size_t i = 0; i < h; i++) {
        pw *= phi;
        phih += pw; /* phi + phi^2 + ... + phi^(i+1) */
        double q = ft->form.trend != HR__ETS_N ? st->l + phih * st->b : st->l;
        double s = st->seas[(st->pos + i) % sm];
        mean[i] = ft->form.season == HR__ETS_A ? q + s : ft->form.season == HR__ETS_M ? q * s : q;
    }
}

/* c_j = alpha + beta (phi + ... + phi^j) + gamma [j mod m == 0], j >= 1. */
static void fill_cj(const ets_impl *st, double *c, size_t h)
{
    const hr__ets_fit *ft = &st->fit;
    double phij = 0, pw = 1;
    for (size_t j = 1; j < h; j++) {
        pw *= ft->par.phi;
        phij += pw;
        double v = ft->par.alpha;
        if (ft->form.trend != HR__ETS_N) v += ft->par.beta * phij;
        if (ft->form.season != HR__ETS_N && j % ft->m == 0) v += ft->par.gamma;
        c[j] = v;
    }
}

/* Class 1: v_h = sigma^2 (1 + sum_{j<h} c_j^2). */
static void var_class1(const ets_impl *st, double s2, const double *c, double *var, size_t h)
{
    double acc = 1;
    for (size_t i = 0; i < h; i++) {
        if (i > 0) acc += c[i] * c[i];
        var[i] = s2 * acc;
    }
}

/* Class 2: theta_1 = mu_1^2, theta_h = mu_h^2 + sigma^2 sum_{j<h} c_j^2
 * theta_{h-j}; v_h = (1 + sigma^2) theta_h - mu_h^2. */
static void var_class2(double s2, const double *mu, const double *c, double *theta, double *var,
                       size_t h)
{
    for (size_t i = 0; i < h; i++) {
        double th = mu[i] * mu[i];
        for (size_t j = 1; j <= i; j++) th += s2 * c[j] * c[j] * theta[i - j];
        theta[i] = th;
        var[i] = (1 + s2) * th - mu[i] * mu[i];
    }
}

static int simulate(const struct hr_model *m, const ets_impl *st, double s2, hr_forecast *out)
{
    const hr__ets_fit *ft = &st->fit;
    size_t h = out->h, np = m->opts.sim_paths, sm = ft->form.season != HR__ETS_N ? ft->m : 1;
    if (np > SIZE_MAX / sizeof(double) / h) return HR_ERANGE;
    double *paths = malloc(np * h * sizeof(double));
    double *ring = malloc(sm * sizeof(double));
    if (!paths || !ring) {
        free(paths);
        free(ring);
        return HR_ENOMEM;
    }
    hr__rng rng;
    hr__rng_seed(&rng, m->opts.seed);
    double sigma = sqrt(s2);
    const hr__ets_par *par = &ft->par;
    for (size_t p = 0; p < np; p++) {
        double l = st->l, b = st->b;
        for (size_t k = 0; k < sm; k++) ring[k] = st->seas[(st->pos + k) % sm];
        size_t j = 0;
        for (size_t i = 0; i < h; i++) {
            double q = ft->form.trend != HR__ETS_N ? l + par->phi * b : l;
            double s = ring[j], yhat = q, pr;
            if (ft->form.season == HR__ETS_A) yhat = q + s;
            if (ft->form.season == HR__ETS_M) yhat = q * s;
            double e = sigma * hr__rng_normal(&rng);
            double y = ft->form.error == HR__ETS_M ? yhat * (1 + e) : yhat + e;
            pr = ft->form.season == HR__ETS_A ? y - s : ft->form.season == HR__ETS_M ? y / s : y;
            double d = pr - q;
            l = q + par->alpha * d;
            b = par->phi * b + par->beta * d;
            if (ft->form.season != HR__ETS_N) {
                double tt = ft->form.season == HR__ETS_A ? y - q : y / q;
                ring[j] = s + par->gamma * (tt - s);
            }
            if (++j == sm) j = 0;
            if (!isfinite(y) || !isfinite(l) || !isfinite(b)) {
                /* A path that left the domain: hold it at the point forecast. */
                y = out->mean[i];
                l = st->l, b = st->b;
            }
            paths[p * h + i] = y;
        }
    }
    int rc = hr__forecast_from_paths(out, paths, np);
    free(paths);
    free(ring);
    return rc;
}

static int ets_forecast(const struct hr_model *m, hr_forecast *out, hr_error *err)
{
    const ets_impl *st = m->impl;
    size_t h = out->h;
    point_forecasts(st, out->mean, h);
    for (size_t i = 0; i < h; i++)
        if (!isfinite(out->mean[i]))
            return hr_error_set(err, HR_ECONVERGE, "ets: non-finite forecast at step %zu", i + 1);
    if (out->nq == 0) return 0;
    double s2 = sigma2_of(st);
    const hr__ets_fit *ft = &st->fit;
    int rc;
    if (ft->form.season == HR__ETS_M) {
        rc = simulate(m, st, s2, out);
        if (rc < 0) return hr_error_set(err, rc, "ets: simulation: %s", hr_strerror(rc));
        return 0;
    }
    if (h > SIZE_MAX / sizeof(double) / 3)
        return hr_error_set(err, HR_ERANGE, "ets: horizon %zu too large", h);
    double *c = calloc(3 * h, sizeof(double));
    if (!c) return hr_error_set(err, HR_ENOMEM, "out of memory");
    double *var = c + h, *theta = c + 2 * h;
    fill_cj(st, c, h);
    if (ft->form.error == HR__ETS_A)
        var_class1(st, s2, c, var, h);
    else
        var_class2(s2, out->mean, c, theta, var, h);
    for (size_t i = 0; i < h; i++) var[i] = isfinite(var[i]) && var[i] > 0 ? sqrt(var[i]) : 0.0;
    hr__forecast_gaussian(out, var);
    free(c);
    return 0;
}

/* ---- criteria ----------------------------------------------------------------------- */

static int ets_info(const struct hr_model *m, hr_fit_info *fi)
{
    const ets_impl *st = m->impl;
    const hr__ets_fit *ft = &st->fit;
    const hr__ets_sums *s = &st->sums;
    fi->nparams = ft->nparams;
    if (s->n) {
        fi->mse = s->sse_raw / (double)s->n;
        fi->mae = s->sae_raw / (double)s->n;
        fi->sigma2 = sigma2_of(st);
    }
    if (!st->tiny && s->n) {
        double lik = hr__ets_lik(&ft->form, s), np = ft->nparams + 1, n = (double)s->n;
        fi->loglik = -0.5 * lik;
        fi->aic = lik + 2 * np;
        fi->bic = lik + log(n) * np;
        fi->aicc = n - np - 1 > 0 ? fi->aic + 2 * np * (np + 1) / (n - np - 1) : NAN;
    }
    const char *tr = ft->form.trend == HR__ETS_N ? "N" : ft->form.damped ? "Ad" : "A";
    static const char code[] = "NAM";
    snprintf(fi->desc, sizeof fi->desc, "ETS(%c,%s,%c)", code[ft->form.error], tr,
             code[ft->form.season]);
    return 0;
}

const struct hr_model_ops hr__ets_ops = {
    .name = "ets",
    .summary = "exponential smoothing state space (ETS, AICc selection as R's ets)",
    .has_intervals = true,
    .init = ets_init,
    .fit = ets_fit,
    .forecast = ets_forecast,
    .update = ets_update,
    .info = ets_info,
    .release = ets_release,
};
