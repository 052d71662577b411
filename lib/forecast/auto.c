/* "auto": per-series model choice by rolling-origin validation, with the
 * best candidates combined and the intervals calibrated conformally.
 *
 * Fit on y[0..n):
 *   1. Candidates (table below: the default ones, or those named in the
 *      spec) are instantiated for the series' periods.
 *      With one period p given, the weekly multiple 7p is tried as well when
 *      the data hold at least two such cycles and the autocorrelation at 7p
 *      passes M4's 90 % test: demand driven by people cycles by the day and
 *      by the week (hourly: 24 and 168; 5-minute telemetry: 288 and 2016).
 *   2. Each candidate is fitted at V origins (n - H, n - 2H, ...; H the
 *      horizon hint) and scored on the H values after each origin with
 *      sMAPE/100 + MASE (both scale-free, so one series' score is not
 *      dominated by either), summed over origins.
 *   3. The K best are refitted on all data; the forecast is the mean of
 *      their point forecasts (combining the best few is more robust than
 *      betting on one: M4's finding, Makridakis et al. 2020).
 *   4. Intervals: normalised split conformal. On the V*H validation points
 *      the scores |y - m| / w are collected, with m the combined validation
 *      forecast and w its half-width of the members' mean 90 % interval; the
 *      interval for central coverage c is m +- r_c * w, r_c the
 *      ceil((N+1)c)-th smallest score (Vovk et al.; Lei et al. 2018), and
 *      beyond what N points can resolve, r_0.9 * z_c / z_0.9.
 *
 * Defaults (V = 2, K = 2, the candidate list) were fixed from the design
 * above and the M4 practice of validating on the last horizon, not tuned to
 * a benchmark file. spec: "origins=V;top=K;candidates=a,b,...". */
#include "forecast/internal.h"

#include <headroom/util.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum period_use {
    P_NONE, /* only for non-seasonal data */
    P_BASE, /* the base period; only for seasonal data */
    P_WEEK, /* the weekly (longest) period; only when there is one */
    P_BOTH, /* base and weekly periods; only for seasonal data */
    P_OPT,  /* the base period if there is one, else non-seasonal */
};

enum default_use {
    ON,          /* a default candidate */
    NONSEASONAL, /* a default candidate for non-seasonal data only */
    OFF,         /* only when named in spec "candidates=..." */
};

typedef struct cand_tmpl {
    const char *label;
    const char *model;
    enum period_use periods;
    bool log;         /* fit on log(y); needs y > 0 */
    const char *spec; /* the member's spec */
    enum default_use use;
} cand_tmpl;

/* The seasonal ETS is off by default: it costs about ten times the rest
 * together (some 30 parameters by maximum likelihood per origin) for a gain
 * within selection noise on M4 Hourly (docs/BENCHMARKS.md). */
/* clang-format off */
static const cand_tmpl candidates[] = {
    {"snaive",   "snaive", P_BASE, false, "",      ON},
    {"snaive-w", "snaive", P_WEEK, false, "",      ON},
    {"naive2",   "naive2", P_BASE, false, "",      ON},
    {"mstl-log", "mstl",   P_BOTH, true,  "theta", ON},
    {"theta",    "theta",  P_OPT,  false, "std",   ON},
    {"ets",      "ets",    P_OPT,  false, "ZZZ",   NONSEASONAL},
    {"naive",    "naive",  P_NONE, false, "",      ON},
};
/* clang-format on */
#define NCAND       (sizeof candidates / sizeof candidates[0])
#define MAX_ORIGINS 8
#define MAX_TOP     4

/* The interval levels asked of every member: median and the 90 % band. */
static const double member_levels[] = {0.05, 0.5, 0.95};
static const double Z90 = 1.6448536269514722;

typedef struct member {
    const cand_tmpl *t;
    hr_model *m;
    double score;
    bool ok;
} member;

typedef struct auto_state {
    size_t origins, top;
    bool explicit_list; /* spec named the candidates: exactly cand_on[] */
    bool cand_on[NCAND];
    /* fitted */
    member sel[MAX_TOP];
    size_t nsel;
    double base_period, week_period; /* 0 if unused */
    size_t h_valid;
    double *scores; /* validation conformity scores, sorted */
    size_t nscores;
    double scores_all[NCAND]; /* validation score per candidate (NAN = not run) */
    char desc[64];
} auto_state;

static int parse_spec(auto_state *st, const char *spec, hr_error *err)
{
    st->origins = 2;
    st->top = 2;
    st->explicit_list = false;
    if (!spec || !*spec) return 0;
    char buf[HR_MODEL_SPEC_MAX];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) return hr_error_set(err, HR_EINVAL, "auto: spec item \"%s\" is not key=value", kv);
        *eq = '\0';
        const char *val = eq + 1;
        int64_t v;
        if (!strcmp(kv, "origins") || !strcmp(kv, "top")) {
            size_t max = !strcmp(kv, "origins") ? MAX_ORIGINS : MAX_TOP;
            if (hr_parse_int64_z(val, &v) < 0 || v < 1 || (size_t)v > max)
                return hr_error_set(err, HR_EINVAL, "auto: %s=\"%s\" must be 1..%zu", kv, val, max);
            if (!strcmp(kv, "origins"))
                st->origins = (size_t)v;
            else
                st->top = (size_t)v;
        } else if (!strcmp(kv, "candidates")) {
            st->explicit_list = true;
            char list[HR_MODEL_SPEC_MAX];
            snprintf(list, sizeof list, "%s", val);
            char *s2 = NULL;
            for (char *c = strtok_r(list, ",", &s2); c; c = strtok_r(NULL, ",", &s2)) {
                size_t i = 0;
                while (i < NCAND && strcmp(candidates[i].label, c)) i++;
                if (i == NCAND)
                    return hr_error_set(err, HR_EINVAL, "auto: unknown candidate \"%s\"", c);
                st->cand_on[i] = true;
            }
        } else {
            return hr_error_set(err, HR_EINVAL, "auto: unknown spec key \"%s\"", kv);
        }
    }
    return 0;
}

static int auto_init(struct hr_model *m, hr_error *err)
{
    auto_state *st = calloc(1, sizeof *st);
    if (!st) return hr_error_set(err, HR_ENOMEM, "out of memory");
    int rc = parse_spec(st, m->opts.spec, err);
    if (rc < 0) {
        free(st);
        return rc;
    }
    m->impl = st;
    return 0;
}

static void release_members(auto_state *st)
{
    for (size_t i = 0; i < st->nsel; i++) hr_model_free(st->sel[i].m);
    st->nsel = 0;
    free(st->scores);
    st->scores = NULL;
    st->nscores = 0;
}

static void auto_release(struct hr_model *m)
{
    auto_state *st = m->impl;
    if (st) release_members(st);
    free(st);
    m->impl = NULL;
}

/* Build the member's options; false when the candidate does not apply. */
static bool cand_opts(const struct hr_model *m, const auto_state *st, const cand_tmpl *t,
                      hr_model_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = m->opts.seed;
    o->sim_paths = m->opts.sim_paths;
    o->horizon = m->opts.horizon;
    snprintf(o->spec, sizeof o->spec, "%s", t->spec);
    switch (t->periods) {
    case P_NONE:
        return st->base_period == 0;
    case P_BASE:
        if (st->base_period == 0) return false;
        o->periods[o->nperiods++] = (size_t)st->base_period;
        return true;
    case P_WEEK:
        if (st->week_period == 0) return false;
        o->periods[o->nperiods++] = (size_t)st->week_period;
        return true;
    case P_BOTH:
        if (st->base_period == 0) return false;
        o->periods[o->nperiods++] = (size_t)st->base_period;
        if (st->week_period > 0) o->periods[o->nperiods++] = (size_t)st->week_period;
        return true;
    case P_OPT:
        if (st->base_period > 0) o->periods[o->nperiods++] = (size_t)st->base_period;
        return true;
    }
    return false;
}

/* A member's forecast as point and 90 % half-width, back in the data scale
 * (exp of the log-scale median and quantiles when `expo`). */
static int to_member(const hr_forecast *f, bool expo, double *mean, double *w)
{
    for (size_t i = 0; i < f->h; i++) {
        double mu = f->mean[i], lo = mu, hi = mu;
        if (f->has_quantiles) {
            lo = hr_forecast_q(f, i, 0);
            hi = hr_forecast_q(f, i, 2);
            if (expo) mu = hr_forecast_q(f, i, 1);
        }
        if (expo) {
            if (hi > 700 || mu > 700) return HR_ERANGE;
            mu = exp(mu);
            lo = exp(lo);
            hi = exp(hi);
        }
        if (!isfinite(mu) || !isfinite(lo) || !isfinite(hi)) return HR_ERANGE;
        mean[i] = mu;
        w[i] = fmax(0.5 * (hi - lo), 0);
    }
    return 0;
}

/* Fit a candidate on x[0..n) and forecast h steps into mean[h], w[h]. With
 * `keep`, the fitted model is handed back instead of freed. `logbuf` has
 * room for n values. */
static int run_member(const struct hr_model *m, const auto_state *st, const cand_tmpl *t,
                      const double *x, size_t n, size_t h, hr_model **keep, double *mean, double *w,
                      double *logbuf)
{
    hr_model_opts o;
    if (!cand_opts(m, st, t, &o)) return HR_ENOTSUP;
    const double *y = x;
    if (t->log) {
        for (size_t i = 0; i < n; i++) {
            if (!(x[i] > 0)) return HR_EDATA;
            logbuf[i] = log(x[i]);
        }
        y = logbuf;
    }
    hr_model *mm = NULL;
    hr_forecast f = {0};
    int rc = hr_model_new(t->model, &o, &mm, NULL);
    if (rc < 0) return rc;
    rc = hr_model_fit(mm, y, n, NULL);
    if (rc == 0) rc = hr_forecast_init(&f, h, member_levels, 3, NULL);
    if (rc == 0) rc = hr_model_forecast(mm, h, &f, NULL);
    if (rc == 0) rc = to_member(&f, t->log, mean, w);
    hr_forecast_release(&f);
    if (rc == 0 && keep)
        *keep = mm;
    else
        hr_model_free(mm);
    return rc;
}

/* MASE scale of the training part: mean |y_t - y_{t-m}| (m = 1 when the
 * data are shorter than a season), never 0. */
static double mase_scale(const double *y, size_t n, size_t m)
{
    if (m == 0 || n <= m) m = 1;
    double s = 0;
    for (size_t t = m; t < n; t++) s += fabs(y[t] - y[t - m]);
    s = n > m ? s / (double)(n - m) : 0;
    if (s > 0) return s;
    double a = 0;
    for (size_t t = 0; t < n; t++) a += fabs(y[t]);
    return a > 0 ? a / (double)n : 1.0;
}

static double score_window(const double *actual, const double *f, size_t h, double scale)
{
    double sm = 0, ae = 0;
    for (size_t i = 0; i < h; i++) {
        double d = fabs(actual[i]) + fabs(f[i]);
        sm += d > 0 ? 2 * fabs(actual[i] - f[i]) / d : 0;
        ae += fabs(actual[i] - f[i]);
    }
    return (sm + ae / scale) / (double)h;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Choose the periods the candidates use (see the top of the file). */
static void choose_periods(const struct hr_model *m, auto_state *st, const double *y, size_t n)
{
    st->base_period = st->week_period = 0;
    if (m->opts.nperiods == 0) return;
    size_t p = m->opts.periods[0];
    if (n < 2 * p) return;
    st->base_period = (double)p;
    if (m->opts.nperiods > 1) {
        size_t q = m->opts.periods[m->opts.nperiods - 1];
        if (n >= 2 * q) st->week_period = (double)q;
    } else if (n >= 3 * 7 * p && hr_seasonality_test(y, n, 7 * p)) {
        st->week_period = (double)(7 * p);
    }
}

static size_t valid_horizon(const struct hr_model *m, const auto_state *st)
{
    if (m->opts.horizon) return m->opts.horizon;
    return st->base_period > 0 ? 2 * (size_t)st->base_period : 12;
}

static bool candidate_enabled(const auto_state *st, const cand_tmpl *t, size_t c)
{
    if (st->explicit_list) return st->cand_on[c];
    return t->use == ON || (t->use == NONSEASONAL && st->base_period == 0);
}

typedef struct fit_scratch {
    double *vmean, *vw; /* [NCAND][origins*H] validation forecasts */
    double *logbuf;     /* n */
} fit_scratch;

static int validate(const struct hr_model *m, auto_state *st, const double *y, size_t n, size_t H,
                    size_t V, fit_scratch *sc)
{
    for (size_t c = 0; c < NCAND; c++) {
        st->scores_all[c] = NAN;
        if (!candidate_enabled(st, &candidates[c], c)) continue;
        double total = 0;
        size_t o;
        for (o = 1; o <= V; o++) {
            size_t end = n - o * H;
            double *mean = sc->vmean + (c * V + (o - 1)) * H, *w = sc->vw + (c * V + (o - 1)) * H;
            if (run_member(m, st, &candidates[c], y, end, H, NULL, mean, w, sc->logbuf) < 0) break;
            total += score_window(y + end, mean, H, mase_scale(y, end, (size_t)st->base_period));
        }
        if (o > V && isfinite(total)) st->scores_all[c] = total / (double)V;
    }
    return 0;
}

static int auto_fit(struct hr_model *m, const double *y, size_t n, hr_error *err)
{
    auto_state *st = m->impl;
    release_members(st);
    choose_periods(m, st, y, n);
    size_t H = valid_horizon(m, st);
    size_t longest = (size_t)fmax(st->base_period, st->week_period);
    size_t min_train = longest ? 2 * longest : 8;
    size_t V = st->origins;
    while (V > 0 && (n < V * H || n - V * H < min_train)) V--;
    st->h_valid = H;

    fit_scratch sc = {0};
    int rc = 0;
    if (V > 0) {
        sc.vmean = malloc(NCAND * V * H * sizeof(double));
        sc.vw = malloc(NCAND * V * H * sizeof(double));
    }
    sc.logbuf = malloc(n * sizeof(double));
    if ((V > 0 && (!sc.vmean || !sc.vw)) || !sc.logbuf) {
        rc = hr_error_set(err, HR_ENOMEM, "out of memory");
        goto out;
    }
    size_t order[NCAND], nord = 0;
    if (V > 0) {
        validate(m, st, y, n, H, V, &sc);
        for (size_t c = 0; c < NCAND; c++)
            if (isfinite(st->scores_all[c])) order[nord++] = c;
        /* stable selection sort by score: ties keep the table's order */
        for (size_t i = 0; i < nord; i++)
            for (size_t j = i + 1; j < nord; j++)
                if (st->scores_all[order[j]] < st->scores_all[order[i]]) {
                    size_t t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
    }
    if (nord == 0) {
        /* Too short to validate: the first applicable of a robust default order. */
        static const char *const fallback[] = {"ets", "theta", "naive"};
        for (size_t f = 0; f < 3; f++)
            for (size_t c = 0; c < NCAND; c++)
                if (!strcmp(candidates[c].label, fallback[f]) && !candidates[c].log)
                    order[nord++] = c;
        V = 0;
    }

    /* Refit the K best on all data; a candidate that fails now is skipped. */
    double *tmp_mean = malloc(H * sizeof(double)), *tmp_w = malloc(H * sizeof(double));
    if (!tmp_mean || !tmp_w) {
        free(tmp_mean);
        free(tmp_w);
        rc = hr_error_set(err, HR_ENOMEM, "out of memory");
        goto out;
    }
    size_t want = V > 0 ? st->top : 1;
    for (size_t i = 0; i < nord && st->nsel < want; i++) {
        const cand_tmpl *t = &candidates[order[i]];
        hr_model *mm = NULL;
        if (run_member(m, st, t, y, n, H, &mm, tmp_mean, tmp_w, sc.logbuf) < 0) continue;
        st->sel[st->nsel].t = t;
        st->sel[st->nsel].m = mm;
        st->sel[st->nsel].score = V > 0 ? st->scores_all[order[i]] : NAN;
        st->sel[st->nsel].ok = true;
        st->nsel++;
    }
    free(tmp_mean);
    free(tmp_w);
    if (st->nsel == 0) {
        rc =
            hr_error_set(err, HR_EDATA, "auto: no candidate model could be fitted (%zu values)", n);
        goto out;
    }

    /* Conformity scores of the combination on the validation windows, using
     * the members that were selected and validated. */
    if (V > 0) {
        st->scores = malloc(V * H * sizeof(double));
        if (!st->scores) {
            rc = hr_error_set(err, HR_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t o = 1; o <= V; o++) {
            const double *actual = y + n - o * H;
            for (size_t i = 0; i < H; i++) {
                double mu = 0, w = 0;
                for (size_t k = 0; k < st->nsel; k++) {
                    size_t c = (size_t)(st->sel[k].t - candidates);
                    mu += sc.vmean[(c * V + (o - 1)) * H + i];
                    w += sc.vw[(c * V + (o - 1)) * H + i];
                }
                mu /= (double)st->nsel;
                w /= (double)st->nsel;
                if (w > 0) st->scores[st->nscores++] = fabs(actual[i] - mu) / w;
            }
        }
        qsort(st->scores, st->nscores, sizeof(double), cmp_double);
    }

    {
        int off = snprintf(st->desc, sizeof st->desc, "Auto(");
        for (size_t k = 0; k < st->nsel && off > 0 && (size_t)off < sizeof st->desc; k++)
            off += snprintf(st->desc + off, sizeof st->desc - (size_t)off, "%s%s", k ? "+" : "",
                            st->sel[k].t->label);
        if (off > 0 && (size_t)off < sizeof st->desc)
            snprintf(st->desc + off, sizeof st->desc - (size_t)off, ")");
    }
out:
    free(sc.vmean);
    free(sc.vw);
    free(sc.logbuf);
    if (rc < 0) release_members(st);
    return rc;
}

/* Conformal radius for central coverage c (in units of the 90 % half-width). */
static double radius(const auto_state *st, double c)
{
    size_t N = st->nscores;
    double zc = hr_norm_ppf(0.5 + 0.5 * c);
    if (N == 0) return zc / Z90;
    double k = ceil((double)(N + 1) * c);
    if (k <= (double)N) return st->scores[(size_t)k - 1 > 0 ? (size_t)k - 1 : 0];
    double k90 = ceil((double)(N + 1) * 0.9);
    double r90 = k90 <= (double)N ? st->scores[(size_t)k90 - 1] : 1.0;
    return r90 * zc / Z90;
}

static int auto_forecast(const struct hr_model *m, hr_forecast *out, hr_error *err)
{
    const auto_state *st = m->impl;
    size_t h = out->h;
    int rc = 0;
    double *mu = calloc(h, sizeof(double)), *w = calloc(h, sizeof(double));
    double *mm = malloc(h * sizeof(double)), *ww = malloc(h * sizeof(double));
    hr_forecast f = {0};
    if (!mu || !w || !mm || !ww) {
        rc = hr_error_set(err, HR_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < st->nsel; k++) {
        rc = hr_forecast_init(&f, h, member_levels, 3, err);
        if (rc == 0) rc = hr_model_forecast(st->sel[k].m, h, &f, err);
        if (rc == 0) rc = to_member(&f, st->sel[k].t->log, mm, ww);
        hr_forecast_release(&f);
        if (rc < 0) {
            if (err) hr_error_prefix(err, "auto member %s", st->sel[k].t->label);
            goto out;
        }
        for (size_t i = 0; i < h; i++) {
            mu[i] += mm[i] / (double)st->nsel;
            w[i] += ww[i] / (double)st->nsel;
        }
    }
    for (size_t i = 0; i < h; i++) out->mean[i] = mu[i];
    for (size_t j = 0; j < out->nq; j++) {
        double tau = out->levels[j];
        double r = tau == 0.5 ? 0 : radius(st, fabs(2 * tau - 1));
        double sign = tau < 0.5 ? -1 : 1;
        for (size_t i = 0; i < h; i++) out->q[i * out->nq + j] = mu[i] + sign * r * w[i];
    }
out:
    free(mu);
    free(w);
    free(mm);
    free(ww);
    return rc;
}

static int auto_update(struct hr_model *m, double y)
{
    auto_state *st = m->impl;
    for (size_t k = 0; k < st->nsel; k++) {
        if (st->sel[k].t->log && !(y > 0)) return HR_EDATA;
        int rc = hr_model_update(st->sel[k].m, st->sel[k].t->log ? log(y) : y);
        if (rc < 0) return rc;
    }
    return 0;
}

static int auto_info(const struct hr_model *m, hr_fit_info *fi)
{
    const auto_state *st = m->impl;
    int np = 0;
    for (size_t k = 0; k < st->nsel; k++) {
        hr_fit_info sub;
        if (hr_model_info(st->sel[k].m, &sub) == 0) np += sub.nparams;
    }
    fi->nparams = np;
    snprintf(fi->desc, sizeof fi->desc, "%s", st->desc);
    return 0;
}

const struct hr_model_ops hr__auto_ops = {
    .name = "auto",
    .summary =
        "rolling-origin validation over the candidates, mean of the best two, conformal intervals",
    .has_intervals = true,
    .init = auto_init,
    .fit = auto_fit,
    .forecast = auto_forecast,
    .update = auto_update,
    .info = auto_info,
    .release = auto_release,
};
