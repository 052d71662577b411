/* The NAB scorer: row weights from windows, the probationary period, the
 * corpus-wide threshold sweep and the normalisation (null 0, perfect 100).
 *
 * Each non-probationary row is kept as (score, unweighted weight u, window
 * id). A row inside a window has u = S(x)/S(-1) with x = -(R - i + 1)/w and
 * weight A_TP u; elsewhere u = S(x) with x = (i - R_prev)/(w_prev - 1) after
 * a window (S = -1 before the first) and weight A_FP u. */
#include <headroom/anomaly.h>
#include <headroom/util.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define NAB_MAX_ROWS ((size_t)1 << 31)

typedef struct nab_row {
    double score;
    double u;    /* unweighted weight */
    int32_t win; /* global window id, -1 outside windows */
} nab_row;

struct hr_nab_scorer {
    hr_nab_profile prof[HR_NAB_MAX_PROFILES];
    size_t nprof;
    nab_row *rows; /* non-probationary rows of every file */
    size_t nrows, cap;
    size_t nwin;        /* windows of every file (N_w) */
    size_t nwin_scored; /* windows with at least one non-probationary row */
};

size_t hr_nab_probation(size_t n)
{
    size_t p = (size_t)floor(0.15 * (double)n);
    return p < 750 ? p : 750;
}

double hr_nab_sigmoid(double x)
{
    if (x > 3.0) return -1.0;
    return 2.0 / (1.0 + exp(5.0 * x)) - 1.0;
}

int hr_nab_scorer_new(const hr_nab_profile *profiles, size_t nprofiles, hr_nab_scorer **out,
                      hr_error *err)
{
    if (!profiles || !out || nprofiles == 0 || nprofiles > HR_NAB_MAX_PROFILES)
        return hr_error_set(err, HR_EINVAL, "nab scorer: need 1 to %d profiles",
                            HR_NAB_MAX_PROFILES);
    hr_nab_scorer *s = calloc(1, sizeof *s);
    if (!s) return hr_error_set(err, HR_ENOMEM, "nab scorer: out of memory");
    memcpy(s->prof, profiles, nprofiles * sizeof *profiles);
    s->nprof = nprofiles;
    *out = s;
    return 0;
}

void hr_nab_scorer_free(hr_nab_scorer *s)
{
    if (!s) return;
    free(s->rows);
    free(s);
}

/* First index with t[i] >= v. */
static size_t lower_bound(const int64_t *t, size_t n, int64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int grow(hr_nab_scorer *s, size_t extra)
{
    if (extra > NAB_MAX_ROWS - s->nrows) return HR_ELIMIT;
    size_t need = s->nrows + extra;
    if (need <= s->cap) return 0;
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < need) cap *= 2;
    nab_row *r = realloc(s->rows, cap * sizeof *r);
    if (!r) return HR_ENOMEM;
    s->rows = r;
    s->cap = cap;
    return 0;
}

/* Row indices [L, R] of each window, checked sorted and disjoint. */
static int map_windows(const char *key, const int64_t *t, size_t n, const hr_nab_window *w,
                       size_t nw, size_t *lr, hr_error *err)
{
    for (size_t k = 0; k < nw; k++) {
        size_t l = lower_bound(t, n, w[k].start), r = lower_bound(t, n, w[k].end);
        char a[32];
        if (l == n || t[l] != w[k].start || r == n || t[r] != w[k].end) {
            int64_t miss = (l == n || t[l] != w[k].start) ? w[k].start : w[k].end;
            if (hr_time_format(miss, a, sizeof a) < 0)
                snprintf(a, sizeof a, "%lld", (long long)miss);
            return hr_error_set(err, HR_EDATA, "%s: window %zu: no row has the timestamp %s", key,
                                k + 1, a);
        }
        if (r < l || (k > 0 && l <= lr[2 * k - 1]))
            return hr_error_set(err, HR_EDATA, "%s: window %zu is empty or overlaps window %zu",
                                key, k + 1, k);
        lr[2 * k] = l;
        lr[2 * k + 1] = r;
    }
    return 0;
}

int hr_nab_scorer_add(hr_nab_scorer *s, const char *key, const int64_t *t, const double *scores,
                      size_t n, const hr_nab_window *w, size_t nw, hr_error *err)
{
    if (!s || !key || !t || !scores || n == 0 || (nw && !w))
        return hr_error_set(err, HR_EINVAL, "nab scorer: bad arguments");
    if (nw > HR_NAB_MAX_WINDOWS || s->nwin + nw > INT32_MAX)
        return hr_error_set(err, HR_ELIMIT, "%s: too many windows", key);
    for (size_t i = 0; i < n; i++) {
        if (!(scores[i] >= 0 && scores[i] <= 1))
            return hr_error_set(err, HR_EDATA, "%s: row %zu: anomaly score %g is outside [0, 1]",
                                key, i + 1, scores[i]);
        if (i > 0 && t[i] < t[i - 1])
            return hr_error_set(err, HR_EDATA, "%s: row %zu: timestamps go backwards", key, i + 1);
    }
    size_t *lr = nw ? malloc(2 * nw * sizeof *lr) : NULL;
    if (nw && !lr) return hr_error_set(err, HR_ENOMEM, "%s: out of memory", key);
    int rc = map_windows(key, t, n, w, nw, lr, err);
    size_t prob = hr_nab_probation(n);
    if (rc == 0 && (rc = grow(s, n - prob)) < 0) hr_error_set(err, rc, "%s: too many rows", key);
    if (rc < 0) {
        free(lr);
        return rc;
    }
    double smax = hr_nab_sigmoid(-1.0);
    size_t k = 0; /* next window */
    bool after = false;
    size_t rp = 0, wp = 0; /* previous window's right edge and width */
    for (size_t i = 0; i < n; i++) {
        double u;
        int32_t win = -1;
        if (k < nw && i >= lr[2 * k]) {
            size_t l = lr[2 * k], r = lr[2 * k + 1], width = r - l + 1;
            u = hr_nab_sigmoid(-(double)(r - i + 1) / (double)width) / smax;
            win = (int32_t)(s->nwin + k);
            if (i == r) {
                after = true;
                rp = r;
                wp = width;
                k++;
            }
        } else if (after) {
            /* A one-row window has no width to scale by: x = +inf, S = -1. */
            u = wp > 1 ? hr_nab_sigmoid((double)(i - rp) / (double)(wp - 1)) : -1.0;
        } else {
            u = -1.0;
        }
        if (i >= prob) s->rows[s->nrows++] = (nab_row){scores[i], u, win};
    }
    for (size_t j = 0; j < nw; j++) s->nwin_scored += lr[2 * j + 1] >= prob;
    s->nwin += nw;
    free(lr);
    return 0;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = ((const nab_row *)a)->score, y = ((const nab_row *)b)->score;
    return (x < y) - (x > y);
}

static void finish(const hr_nab_scorer *s, const hr_nab_profile *p, double thr, double raw,
                   hr_nab_result *out)
{
    hr_nab_result r = {.threshold = thr, .raw = raw, .windows = s->nwin};
    double null = -(double)s->nwin * p->fn, perfect = (double)s->nwin * p->tp;
    r.score = 100.0 * (raw - null) / (perfect - null);
    for (size_t i = 0; i < s->nrows; i++) {
        bool det = s->rows[i].score >= thr, in = s->rows[i].win >= 0;
        r.tp += det && in;
        r.fp += det && !in;
        r.fn += !det && in;
        r.tn += !det && !in;
    }
    *out = r;
}

static int check(const hr_nab_scorer *s, size_t p, hr_nab_result *out, hr_error *err)
{
    if (!s || !out || p >= s->nprof) return hr_error_set(err, HR_EINVAL, "nab: bad profile");
    if (s->nwin == 0)
        return hr_error_set(err, HR_EDATA, "nab: no labelled windows, the score is undefined");
    const hr_nab_profile *pr = &s->prof[p];
    if (!(pr->tp + pr->fn > 0))
        return hr_error_set(err, HR_EDATA, "nab: profile \"%s\" has tpWeight + fnWeight = 0",
                            pr->name);
    return 0;
}

int hr_nab_scorer_at(const hr_nab_scorer *s, size_t p, double threshold, hr_nab_result *out,
                     hr_error *err)
{
    int rc = check(s, p, out, err);
    if (rc < 0) return rc;
    const hr_nab_profile *pr = &s->prof[p];
    double *best = malloc((s->nwin ? s->nwin : 1) * sizeof *best);
    if (!best) return hr_error_set(err, HR_ENOMEM, "nab: out of memory");
    for (size_t k = 0; k < s->nwin; k++) best[k] = NAN;
    double raw = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        const nab_row *r = &s->rows[i];
        if (r->score < threshold) continue;
        if (r->win < 0)
            raw += pr->fp * r->u;
        else if (isnan(best[r->win]) || pr->tp * r->u > best[r->win])
            best[r->win] = pr->tp * r->u;
    }
    size_t detected = 0;
    for (size_t k = 0; k < s->nwin; k++)
        if (!isnan(best[k])) {
            raw += best[k];
            detected++;
        }
    free(best);
    /* Every scorable window without a detection counts -A_FN. */
    raw -= pr->fn * (double)(s->nwin_scored - detected);
    finish(s, pr, threshold, raw, out);
    return 0;
}

int hr_nab_scorer_optimize(const hr_nab_scorer *s, size_t p, hr_nab_result *out, hr_error *err)
{
    int rc = check(s, p, out, err);
    if (rc < 0) return rc;
    const hr_nab_profile *pr = &s->prof[p];
    nab_row *rows = malloc((s->nrows ? s->nrows : 1) * sizeof *rows);
    double *best = malloc(s->nwin * sizeof *best);
    if (!rows || !best) {
        free(rows);
        free(best);
        return hr_error_set(err, HR_ENOMEM, "nab: out of memory");
    }
    if (s->nrows) memcpy(rows, s->rows, s->nrows * sizeof *rows);
    qsort(rows, s->nrows, sizeof *rows, cmp_desc);
    for (size_t k = 0; k < s->nwin; k++) best[k] = NAN;
    /* Threshold 1.1: nothing detected, every scorable window missed. */
    double raw = -pr->fn * (double)s->nwin_scored;
    double best_raw = raw, best_thr = 1.1;
    for (size_t i = 0; i < s->nrows;) {
        double thr = rows[i].score;
        for (; i < s->nrows && rows[i].score == thr; i++) {
            const nab_row *r = &rows[i];
            double wgt = (r->win < 0 ? pr->fp : pr->tp) * r->u;
            if (r->win < 0) {
                raw += wgt;
            } else if (isnan(best[r->win])) {
                raw += wgt + pr->fn;
                best[r->win] = wgt;
            } else if (wgt > best[r->win]) {
                raw += wgt - best[r->win];
                best[r->win] = wgt;
            }
        }
        if (raw > best_raw) {
            best_raw = raw;
            best_thr = thr;
        }
    }
    free(rows);
    free(best);
    finish(s, pr, best_thr, best_raw, out);
    return 0;
}
