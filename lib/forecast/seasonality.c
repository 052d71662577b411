/* Seasonality tools: the sample ACF, the M4 seasonality test, the classical
 * (R decompose) seasonal indices, and the detection of seasonal periods.
 *
 * Definitions follow the M4 benchmark code (Mcompetitions/M4-methods,
 * "Benchmarks and Evaluation.R"): acf is R's acf (mean-centred, divided by
 * the lag-0 sum over all n points), the test is
 *   |acf(m)| > 1.645 * sqrt((1 + 2 * sum_{k=1}^{m-1} acf(k)^2) / n)
 * and the seasonal indices are those of decompose(type = "multiplicative").
 * One difference: R's acf stops at lag 10*log10(n), so M4's test answers
 * FALSE whenever m exceeds that (for m = 24, when n < 252); here the ACF is
 * always computed up to m, so such series can test seasonal.
 *
 * hr_detect_periods (documented at the function) combines an ACF peak test
 * with a periodogram check, in the spirit of AUTOPERIOD (Vlachos, Yu &
 * Castelli, SDM 2005), deterministically. */
#include "forecast/stl.h"

#include <headroom/forecast.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TCRIT          1.645      /* one-sided 95 % normal quantile used by M4 (a 90 % limit) */
#define MAX_CANDIDATES 64         /* hr_detect_periods: candidate list limit */
#define MAX_FFT        (1u << 26) /* hr_detect_periods: largest transform (points) */

int hr_acf(const double *y, size_t n, size_t max_lag, double *acf)
{
    if (!y || !acf) return HR_EINVAL;
    if (n <= max_lag) return HR_EDATA;
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += y[i];
    mean /= (double)n;
    double d0 = 0;
    for (size_t i = 0; i < n; i++) d0 += (y[i] - mean) * (y[i] - mean);
    acf[0] = 1.0;
    for (size_t k = 1; k <= max_lag; k++) {
        double s = 0;
        for (size_t i = 0; i + k < n; i++) s += (y[i] - mean) * (y[i + k] - mean);
        /* A constant series has no autocorrelation to speak of: 0, not NaN. */
        acf[k] = d0 > 0 ? s / d0 : 0.0;
    }
    return 0;
}

bool hr_seasonality_test(const double *y, size_t n, size_t m)
{
    if (!y || m < 2 || n / 3 < m) return false;
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += y[i];
    mean /= (double)n;
    double d0 = 0;
    for (size_t i = 0; i < n; i++) d0 += (y[i] - mean) * (y[i] - mean);
    if (!(d0 > 0) || !isfinite(d0)) return false;
    double sum2 = 0, rm = 0;
    for (size_t k = 1; k <= m; k++) {
        double s = 0;
        for (size_t i = 0; i + k < n; i++) s += (y[i] - mean) * (y[i + k] - mean);
        double r = s / d0;
        if (k < m)
            sum2 += r * r;
        else
            rm = r;
    }
    double limit = TCRIT * sqrt((1 + 2 * sum2) / (double)n);
    return fabs(rm) > limit;
}

/* Classical decomposition (R's decompose): centred moving average of order
 * m (weights 1/2m at both ends when m is even), ratios (or differences) to
 * it, averaged per cycle position, normalised to mean 1 (or 0). */
static int classical(const double *y, size_t n, size_t m, bool mult, double *index)
{
    if (!y || !index) return HR_EINVAL;
    if (m < 2 || n / 2 < m) return HR_EDATA;
    size_t half = m / 2;
    double *fig = calloc(2 * m, sizeof(double));
    if (!fig) return HR_ENOMEM;
    double *cnt = fig + m;
    for (size_t i = half; i + half < n; i++) {
        double s = 0;
        if (m % 2 == 0) {
            s = 0.5 * y[i - half];
            for (size_t j = i - half + 1; j < i + half; j++) s += y[j];
            s += 0.5 * y[i + half];
        } else {
            for (size_t j = i - half; j <= i + half; j++) s += y[j];
        }
        double trend = s / (double)m;
        fig[i % m] += mult ? y[i] / trend : y[i] - trend;
        cnt[i % m] += 1;
    }
    double mean = 0;
    for (size_t k = 0; k < m; k++) {
        fig[k] /= cnt[k]; /* n >= 2m: every position has at least one value */
        mean += fig[k] / (double)m;
    }
    int rc = 0;
    for (size_t k = 0; k < m && rc == 0; k++) {
        double v = mult ? fig[k] / mean : fig[k] - mean;
        if (!isfinite(v) || (mult && !(v > 0))) rc = HR_EDATA;
        fig[k] = v;
    }
    if (rc == 0) memcpy(index, fig, m * sizeof(double));
    free(fig);
    return rc;
}

int hr_decompose_mult(const double *y, size_t n, size_t m, double *index)
{
    return classical(y, n, m, true, index);
}

/* ---- classical deseasonalisation for naive2 and theta ----------------------------- */

void hr__deseason_release(hr__deseason *d)
{
    free(d->idx);
    d->idx = NULL;
    d->m = 0;
}

int hr__deseason_fit(hr__deseason *d, const double *y, size_t n, size_t m)
{
    hr__deseason_release(d);
    if (!hr_seasonality_test(y, n, m)) return 0;
    double *idx = malloc(m * sizeof(double));
    if (!idx) return HR_ENOMEM;
    bool positive = true;
    for (size_t i = 0; i < n && positive; i++) positive = y[i] > 0;
    int rc = classical(y, n, m, positive, idx);
    if (rc < 0) {
        free(idx);
        return rc == HR_ENOMEM ? rc : 0; /* unusable indices: leave unadjusted */
    }
    d->idx = idx;
    d->m = m;
    d->mult = positive;
    return 0;
}

/* ---- period detection ----------------------------------------------------------------- */

/* In-place iterative radix-2 FFT (forward, no scaling); n a power of two. */
static void fft(double *re, double *im, size_t n)
{
    for (size_t i = 1, j = 0; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (size_t len = 2; len <= n; len <<= 1) {
        double ang = -2 * M_PI / (double)len;
        for (size_t k = 0; k < len / 2; k++) {
            /* Twiddles computed directly (not by recurrence) to keep rounding flat. */
            double wr = cos(ang * (double)k), wi = sin(ang * (double)k);
            for (size_t i = k; i < n; i += len) {
                size_t j = i + len / 2;
                double xr = re[j] * wr - im[j] * wi, xi = re[j] * wi + im[j] * wr;
                re[j] = re[i] - xr;
                im[j] = im[i] - xi;
                re[i] += xr;
                im[i] += xi;
            }
        }
    }
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* A candidate period p (with n >= 3p) is accepted when both hold:
 *  1. ACF peak: on the linearly detrended series, acf(p) exceeds the M4
 *     limit 1.645 sqrt((1 + 2 sum_{k<p} acf(k)^2) / n), and acf(p) >= acf(k)
 *     for every k in [p - d, p + d], where d is the largest period already
 *     accepted (candidates go in ascending order), capped at p/2, or
 *     max(1, p/10) when none is. With d = 24, a weekly candidate 168 must
 *     beat the daily harmonics at lags 144 and 192: a daily cycle alone makes
 *     acf(168) a local maximum, but not higher than acf(144).
 *  2. Periodogram: the largest periodogram value within one Fourier bin of
 *     frequency 1/p exceeds s^2 ln(n / 0.02), s^2 the detrended variance:
 *     the level that the largest of the n/2 periodogram ordinates of white
 *     noise with that variance exceeds with probability 1 % (the analytic
 *     counterpart of AUTOPERIOD's permutation threshold).
 * Periods are written ascending; the return value is the number written. */
int hr_detect_periods(const double *y, size_t n, const size_t *candidates, size_t ncand,
                      size_t *periods, size_t max)
{
    if (!y || (ncand && !candidates) || (max && !periods)) return HR_EINVAL;
    if (ncand > MAX_CANDIDATES) return HR_ELIMIT;
    size_t cand[MAX_CANDIDATES], nc = 0;
    for (size_t i = 0; i < ncand; i++)
        if (candidates[i] >= 2 && candidates[i] <= n / 3) cand[nc++] = candidates[i];
    if (nc == 0 || max == 0) return 0;
    qsort(cand, nc, sizeof cand[0], cmp_size);
    size_t maxlag = cand[nc - 1] + cand[nc - 1] / 2; /* < n since p <= n/3 */

    size_t nfft = 1;
    while (nfft < 2 * n) {
        if (nfft >= MAX_FFT) return HR_ELIMIT;
        nfft <<= 1;
    }
    double *re = calloc(nfft, sizeof(double)), *im = calloc(nfft, sizeof(double));
    double *pg = malloc((nfft / 2 + 1) * sizeof(double));
    double *acf = malloc((maxlag + 1) * sizeof(double));
    int rc = 0;
    if (!re || !im || !pg || !acf) {
        rc = HR_ENOMEM;
        goto out;
    }
    /* Least-squares line on t = 0..n-1, removed. */
    double tbar = (double)(n - 1) / 2, ybar = 0, sty = 0, stt = 0;
    for (size_t i = 0; i < n; i++) ybar += y[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        sty += ((double)i - tbar) * (y[i] - ybar);
        stt += ((double)i - tbar) * ((double)i - tbar);
    }
    double slope = stt > 0 ? sty / stt : 0;
    for (size_t i = 0; i < n; i++) re[i] = y[i] - ybar - slope * ((double)i - tbar);

    fft(re, im, nfft);
    for (size_t k = 0; k < nfft; k++) {
        double p2 = re[k] * re[k] + im[k] * im[k];
        if (k <= nfft / 2) pg[k] = p2 / (double)n;
        re[k] = p2;
        im[k] = 0;
    }
    /* Wiener-Khinchin: the transform of the power spectrum of the padded
     * series (padding >= n) is nfft times the autocovariance sums. */
    fft(re, im, nfft);
    if (!(re[0] > 0)) goto out; /* a straight line: no seasonality */
    for (size_t k = 0; k <= maxlag; k++) acf[k] = re[k] / re[0];
    double s2 = re[0] / (double)nfft / (double)n;
    double thresh = s2 * log((double)n / 0.02);

    double sum2 = 0; /* sum_{k<p} acf(k)^2, k >= 1, grown as p ascends */
    size_t lag = 1, nout = 0, last = 0;
    for (size_t c = 0; c < nc && nout < max; c++) {
        size_t p = cand[c];
        if (c && p == cand[c - 1]) continue;
        for (; lag < p; lag++) sum2 += acf[lag] * acf[lag];
        double limit = TCRIT * sqrt((1 + 2 * sum2) / (double)n);
        size_t d = last ? (last < p / 2 ? last : p / 2) : (p / 10 > 1 ? p / 10 : 1);
        bool peak = acf[p] > limit;
        for (size_t k = p - d; k <= p + d && peak; k++) peak = acf[p] >= acf[k];
        if (!peak) continue;
        double f0 = (double)nfft / (double)p, w = (double)nfft / (double)n;
        size_t k0 = f0 - w > 1 ? (size_t)ceil(f0 - w) : 1;
        size_t k1 = (size_t)floor(f0 + w);
        if (k1 > nfft / 2) k1 = nfft / 2;
        double best = 0;
        for (size_t k = k0; k <= k1; k++)
            if (pg[k] > best) best = pg[k];
        if (!(best > thresh)) continue;
        periods[nout++] = p;
        last = p;
    }
    rc = (int)nout;
out:
    free(re);
    free(im);
    free(pg);
    free(acf);
    return rc;
}
