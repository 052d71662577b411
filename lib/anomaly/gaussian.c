/* NAB's windowedGaussian detector (nab/detectors/gaussian/
 * windowedGaussian_detector.py), ported to reproduce its published outputs:
 * the score of x is 1 - Q(|x - mean| / std), the normal tail beyond x,
 * with mean and std (population, numpy's pairwise summation) of a window of
 * up to 6,400 past values; once full, the window slides by 100 values at a
 * time. A zero std is replaced by 1e-6; the first sample scores 0. */
#include "anomaly/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define WG_WINDOW 6400
#define WG_STEP   100

typedef struct wg {
    double win[WG_WINDOW];
    size_t nwin;
    double buf[WG_STEP];
    size_t nbuf;
    double mean, std;
} wg;

/* numpy's pairwise summation (numpy/core/src/umath/loops_utils.h). */
static double pairwise_sum(const double *a, size_t n)
{
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8], res;
        size_t i;
        for (i = 0; i < 8; i++) r[i] = a[i];
        for (i = 8; i < n - (n % 8); i += 8)
            for (size_t k = 0; k < 8; k++) r[k] += a[i + k];
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

/* pairwise_sum of (a[i] - m)^2, the squares made where they are added (the
 * same additions in the same order, without an array of squares). */
static double pairwise_sq(const double *a, size_t n, double m)
{
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++) res += (a[i] - m) * (a[i] - m);
        return res;
    }
    if (n <= 128) {
        double r[8], res;
        size_t i;
        for (i = 0; i < 8; i++) r[i] = (a[i] - m) * (a[i] - m);
        for (i = 8; i < n - (n % 8); i += 8)
            for (size_t k = 0; k < 8; k++) r[k] += (a[i + k] - m) * (a[i + k] - m);
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += (a[i] - m) * (a[i] - m);
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sq(a, n2, m) + pairwise_sq(a + n2, n - n2, m);
}

static void update_window(wg *w)
{
    w->mean = pairwise_sum(w->win, w->nwin) / (double)w->nwin;
    w->std = sqrt(pairwise_sq(w->win, w->nwin, w->mean) / (double)w->nwin);
    if (w->std == 0.0) w->std = 0.000001;
}

/* NAB's normalProbability: P(X > x) for x >= mean, mirrored below it. */
static double normal_probability(double x, double mean, double std)
{
    if (x < mean) x = 2 * mean - x;
    double z = (x - mean) / std;
    return 0.5 * erfc(z / sqrt(2.0));
}

static int wg_init(hr_detector *d, const hr_detector_opts *opts, const char *params, hr_error *err)
{
    (void)opts, (void)params;
    wg *w = calloc(1, sizeof *w);
    if (!w) return hr_error_set(err, HR_ENOMEM, "gaussian: out of memory");
    w->std = 1;
    d->impl = w;
    return 0;
}

static int wg_feed(hr_detector *d, int64_t t, double x, hr_anomaly_reason *why)
{
    (void)t;
    wg *w = d->impl;
    double score = 0.0, lo = NAN, hi = NAN, mean = NAN;
    if (w->nwin > 0) {
        score = 1 - normal_probability(x, w->mean, w->std);
        mean = w->mean;
        lo = w->mean - 1.959963984540054 * w->std;
        hi = w->mean + 1.959963984540054 * w->std;
    }
    if (w->nwin < WG_WINDOW) {
        w->win[w->nwin++] = x;
        update_window(w);
    } else {
        w->buf[w->nbuf++] = x;
        if (w->nbuf == WG_STEP) {
            memmove(w->win, w->win + WG_STEP, (WG_WINDOW - WG_STEP) * sizeof *w->win);
            memcpy(w->win + WG_WINDOW - WG_STEP, w->buf, sizeof w->buf);
            w->nbuf = 0;
            update_window(w);
        }
    }
    *why = (hr_anomaly_reason){"gaussian", score, mean, lo, hi, x, NULL};
    return 0;
}

static size_t wg_bytes(const hr_detector *d)
{
    (void)d;
    return sizeof(wg);
}

static void wg_release(hr_detector *d)
{
    free(d->impl);
}

const struct hr_detector_ops hr__gaussian_detector = {
    .name = "gaussian",
    .summary = "NAB's windowedGaussian (baseline): normal tail over a 6400-value window",
    .init = wg_init,
    .feed = wg_feed,
    .state_bytes = wg_bytes,
    .release = wg_release,
};
