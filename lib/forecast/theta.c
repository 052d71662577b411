/* The Theta method (Assimakopoulos & Nikolopoulos 2000) as the M4 benchmark
 * runs it, and the optimised Theta method (OTM) of Fiorucci, Pellegrini,
 * Louzada, Petropoulos & Koehler, "Models for optimising the theta method
 * and their relationship to state space models", IJF 32 (2016).
 *
 * Both work on the seasonally adjusted series x (M4: seasonality test at
 * m = opts.periods[0], classical multiplicative indices; additive ones for
 * series that are not strictly positive; none without a period) and use
 * the state-space form of Fiorucci et al. (their eq. for the theta model):
 *   mu_t  = l_{t-1} + w [ (1-a)^{t-1} A_n + (1 - (1-a)^t)/a B_n ],  w = 1 - 1/theta
 *   l_t   = a x_t + (1-a) l_{t-1}
 *   x^_{n+h|n} = l_n + w [ (1-a)^n A_n + ((h-1) + (1 - (1-a)^{n+1})/a) B_n ]
 * with A_n, B_n the least-squares intercept and slope of x on t = 1..n.
 *
 * "std" (default): theta = 2. This is exactly M4's Theta.classic: SES with
 * alpha and initial level fitted by least squares on the theta line
 * 2x - (A + Bt), combined 50/50 with the line. The in-sample errors of the
 * combination are half the SES errors on the theta line, and the two initial
 * levels correspond one to one, so the least-squares fits coincide; the
 * algebra is in tests/data/theta/README.md. (M4 also clips negative
 * forecasts to 0; this library serves series of any sign and does not.)
 * "opt": theta >= 1 estimated as well (OTM). Either spec may add
 * ",alpha=V" (0 < V <= 1) and "std" may add ",theta=V" (V >= 1) to fix them.
 *
 * Estimation: for a given alpha, the one-step errors are affine in the
 * initial level and in w, so those are solved by least squares (w clamped
 * to [0, WMAX]); alpha in [1e-4, 0.9999] (forecast::ets's bounds, which M4's
 * ses() uses) is found by a grid then hr__nelder_mead, minimising the MSE.
 *
 * Intervals: the equivalent SES-with-drift model (Hyndman & Billah 2003),
 * sd_h = sigma sqrt(1 + (h-1) a^2), sigma^2 the in-sample one-step MSE of x,
 * Gaussian, then reseasonalised (multiplicative indices scale the sd).
 *
 * Update is O(1) and equals a refit with the parameters (l_0, a, theta) and
 * the seasonal indices held: the level recursion, (1-a)^n, and the running
 * sums that give A_n and B_n. */
#include "forecast/internal.h"
#include "forecast/optim.h"
#include "forecast/stl.h"

#include <headroom/util.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALPHA_LO 1e-4
#define ALPHA_HI 0.9999
#define WMAX     0.999 /* theta <= 1000 */

typedef struct theta_state {
    bool opt;         /* estimate theta */
    double fix_alpha; /* > 0: fixed */
    double fix_theta; /* > 0: fixed (std) */
    hr__deseason ds;
    /* parameters */
    double alpha, w, l0;
    /* state after n adjusted observations */
    size_t n;
    double level, qn; /* l_n and (1-alpha)^n */
    double sx, stx;   /* sum x_t, sum t x_t (t from 1) */
    double sse_x;     /* one-step squared errors, adjusted scale */
    double sse, sae;  /* the same in the original scale */
} theta_state;

static int parse_spec(theta_state *st, const char *spec, hr_error *err)
{
    const char *p = spec;
    for (size_t item = 0; *spec; item++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        double v;
        if (item == 0 && len == 3 && strncmp(p, "std", 3) == 0) {
            st->opt = false;
        } else if (item == 0 && len == 3 && strncmp(p, "opt", 3) == 0) {
            st->opt = true;
        } else if (len > 6 && strncmp(p, "alpha=", 6) == 0 &&
                   hr_parse_double(p + 6, len - 6, &v) == 0 && v > 0 && v <= 1) {
            st->fix_alpha = v;
        } else if (len > 6 && strncmp(p, "theta=", 6) == 0 &&
                   hr_parse_double(p + 6, len - 6, &v) == 0 && v >= 1 && v <= 1000) {
            st->fix_theta = v;
        } else {
            return hr_error_set(err, HR_EINVAL,
                                "theta: spec \"%s\": item %zu (\"%.*s\") is not std, opt, "
                                "alpha=(0,1] or theta=[1,1000]",
                                spec, item + 1, (int)len, p);
        }
        if (!e) break;
        p = e + 1;
    }
    if (st->opt && st->fix_theta > 0)
        return hr_error_set(err, HR_EINVAL, "theta: spec \"%s\": opt estimates theta", spec);
    return 0;
}

static int theta_init(struct hr_model *m, hr_error *err)
{
    theta_state *st = calloc(1, sizeof *st);
    if (!st) return hr_error_set(err, HR_ENOMEM, "out of memory");
    int rc = parse_spec(st, m->opts.spec, err);
    if (rc < 0) {
        free(st);
        return rc;
    }
    m->impl = st;
    return 0;
}

/* Least-squares line of x on t = 1..n (B = 0 when n < 2). */
static void trend_line(const double *x, size_t n, double *a, double *b)
{
    double tbar = ((double)n + 1) / 2, xbar = 0, stt = 0, stx = 0;
    for (size_t i = 0; i < n; i++) xbar += x[i];
    xbar /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double dt = (double)(i + 1) - tbar;
        stt += dt * dt;
        stx += dt * (x[i] - xbar);
    }
    *b = stt > 0 ? stx / stt : 0;
    *a = xbar - tbar * *b;
}

typedef struct fit_ctx {
    const double *x;
    size_t n;
    double A, B;
    bool free_w;     /* solve w too */
    double w_fixed;  /* else this w */
    double *r, *c;   /* scratch [n] */
    double delta, w; /* last solution: l0 = x[0] + delta */
} fit_ctx;

/* MSE at alpha with the initial level (and w) profiled out. */
static double profiled_mse(const double *pa, void *ud)
{
    fit_ctx *cx = ud;
    double alpha = pa[0], q = 1 - alpha;
    if (!(alpha > 0 && alpha <= 1)) return INFINITY;
    /* Errors with l0 = x[0]: e_t = r_t - q^{t-1} delta - w c_t. */
    double lev = cx->x[0], d = 1, qt = q; /* d = q^{t-1}, qt = q^t */
    double sdd = 0, sdc = 0, scc = 0, sdr = 0, scr = 0;
    for (size_t i = 0; i < cx->n; i++) {
        double r = cx->x[i] - lev, c = d * cx->A + (1 - qt) / alpha * cx->B;
        cx->r[i] = r;
        cx->c[i] = c;
        sdd += d * d;
        sdc += d * c;
        scc += c * c;
        sdr += d * r;
        scr += c * r;
        lev = alpha * cx->x[i] + q * lev;
        d *= q;
        qt *= q;
    }
    double w = cx->w_fixed;
    if (cx->free_w) {
        double det = sdd * scc - sdc * sdc;
        if (det > 1e-12 * sdd * scc) w = (sdd * scr - sdc * sdr) / det;
        if (!(w >= 0)) w = 0; /* also catches NaN */
        if (w > WMAX) w = WMAX;
    }
    double delta = (sdr - w * sdc) / sdd, sse = 0;
    d = 1;
    for (size_t i = 0; i < cx->n; i++) {
        double e = cx->r[i] - d * delta - w * cx->c[i];
        sse += e * e;
        d *= q;
    }
    cx->delta = delta;
    cx->w = w;
    return sse / (double)cx->n;
}

static double estimate_alpha(fit_ctx *cx)
{
    static const double grid[] = {1e-4, 0.001, 0.01, 0.05, 0.1, 0.2,  0.3,  0.4,
                                  0.5,  0.6,   0.7,  0.8,  0.9, 0.95, 0.99, 0.9999};
    double best = INFINITY, a = 0.5;
    for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++) {
        double v = profiled_mse(&grid[i], cx);
        if (v < best) {
            best = v;
            a = grid[i];
        }
    }
    double lo = ALPHA_LO, hi = ALPHA_HI, f, x = a;
    hr__nm_opts o = {.max_evals = 400, .ftol = 1e-15, .init_step = 0.05};
    if (hr__nelder_mead(profiled_mse, cx, &x, 1, &lo, &hi, &o, &f) > 0 && f <= best) a = x;
    return a;
}

/* Run the model over x from l0 with fixed A, B (the fit's in-sample
 * errors); sets the level and error sums. */
static void filter_fit(theta_state *st, const double *x, const double *y, size_t n, double A,
                       double B)
{
    double a = st->alpha, q = 1 - a, lev = st->l0, d = 1, qt = q;
    st->sse_x = st->sse = st->sae = 0;
    for (size_t i = 0; i < n; i++) {
        double mu = lev + st->w * (d * A + (1 - qt) / a * B), e = x[i] - mu;
        double ey = y[i] - hr__deseason_readj(&st->ds, mu, i);
        st->sse_x += e * e;
        st->sse += ey * ey;
        st->sae += fabs(ey);
        lev = a * x[i] + q * lev;
        d *= q;
        qt *= q;
    }
    st->level = lev;
    st->qn = d;
}

static void current_line(const theta_state *st, double *A, double *B)
{
    double n = (double)st->n, xbar = st->sx / n;
    *B = st->n >= 2 ? 6.0 / (n * n - 1) * (2.0 / n * st->stx - (1 + n) * xbar) : 0;
    *A = xbar - (n + 1) / 2 * *B;
}

static int theta_fit(struct hr_model *m, const double *y, size_t n, hr_error *err)
{
    theta_state *st = m->impl;
    size_t period = m->opts.nperiods ? m->opts.periods[0] : 0;
    if (hr__deseason_fit(&st->ds, y, n, period) < 0)
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    if (n > SIZE_MAX / sizeof(double) / 3) return hr_error_set(err, HR_ERANGE, "theta: too long");
    double *x = malloc(3 * n * sizeof(double));
    if (!x) return hr_error_set(err, HR_ENOMEM, "out of memory");
    st->sx = st->stx = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = hr__deseason_adj(&st->ds, y[i], i);
        st->sx += x[i];
        st->stx += (double)(i + 1) * x[i];
    }
    fit_ctx cx = {.x = x, .n = n, .r = x + n, .c = x + 2 * n};
    trend_line(x, n, &cx.A, &cx.B);
    cx.free_w = st->opt;
    cx.w_fixed = st->fix_theta > 0 ? 1 - 1 / st->fix_theta : 0.5;
    double a = st->fix_alpha > 0 ? st->fix_alpha : estimate_alpha(&cx);
    profiled_mse(&a, &cx); /* the initial level and w at the chosen alpha */
    st->alpha = a;
    st->w = cx.w;
    st->l0 = x[0] + cx.delta;
    filter_fit(st, x, y, n, cx.A, cx.B);
    st->n = n;
    free(x);
    if (!isfinite(st->level) || !isfinite(st->sse_x))
        return hr_error_set(err, HR_ECONVERGE, "theta: non-finite fit");
    return 0;
}

/* Adjusted-scale one-step forecast h steps after the current origin. */
static double point(const theta_state *st, double A, double B, size_t h)
{
    double a = st->alpha;
    return st->level + st->w * (st->qn * A + ((double)(h - 1) + (1 - st->qn * (1 - a)) / a) * B);
}

static int theta_update(struct hr_model *m, double y)
{
    theta_state *st = m->impl;
    double A, B;
    current_line(st, &A, &B);
    size_t t = st->n;
    double x = hr__deseason_adj(&st->ds, y, t), mu = point(st, A, B, 1);
    double e = x - mu, ey = y - hr__deseason_readj(&st->ds, mu, t);
    st->sse_x += e * e;
    st->sse += ey * ey;
    st->sae += fabs(ey);
    st->level = st->alpha * x + (1 - st->alpha) * st->level;
    st->qn *= 1 - st->alpha;
    st->n++;
    st->sx += x;
    st->stx += (double)st->n * x;
    return 0;
}

static int theta_forecast(const struct hr_model *m, hr_forecast *out, hr_error *err)
{
    const theta_state *st = m->impl;
    double A, B;
    current_line(st, &A, &B);
    double sigma = sqrt(st->sse_x / (double)st->n), a2 = st->alpha * st->alpha;
    double *sd = malloc(out->h * sizeof(double));
    if (!sd) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (size_t i = 0; i < out->h; i++) {
        size_t t = st->n + i;
        out->mean[i] = hr__deseason_readj(&st->ds, point(st, A, B, i + 1), t);
        sd[i] = sigma * sqrt(1 + (double)i * a2) * hr__deseason_scale(&st->ds, t);
    }
    hr__forecast_gaussian(out, sd);
    free(sd);
    return 0;
}

static int theta_info(const struct hr_model *m, hr_fit_info *fi)
{
    const theta_state *st = m->impl;
    double n = (double)st->n;
    /* alpha, initial level, theta when estimated, the seasonal indices. */
    fi->nparams = (st->fix_alpha > 0 ? 0 : 1) + 1 + (st->opt ? 1 : 0) + (int)st->ds.m;
    fi->mse = st->sse / n;
    fi->mae = st->sae / n;
    fi->sigma2 = st->sse_x / n; /* adjusted scale: the one the intervals use */
    double theta = 1 / (1 - st->w);
    snprintf(fi->desc, sizeof fi->desc, "Theta(%s, theta=%.3g, alpha=%.3g%s)",
             st->opt ? "opt" : "std", theta, st->alpha,
             st->ds.m ? (st->ds.mult ? ", mult" : ", add") : "");
    return 0;
}

static void theta_release(struct hr_model *m)
{
    theta_state *st = m->impl;
    if (st) hr__deseason_release(&st->ds);
    free(st);
    m->impl = NULL;
}

const struct hr_model_ops hr__theta_ops = {
    .name = "theta",
    .summary = "Theta method: \"std\" (M4 benchmark, theta 2) or \"opt\" (optimised theta)",
    .has_intervals = true,
    .init = theta_init,
    .fit = theta_fit,
    .forecast = theta_forecast,
    .update = theta_update,
    .info = theta_info,
    .release = theta_release,
};
