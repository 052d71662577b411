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
#define PEAK_RATIO     10.0       /* hr_detect_periods: spectral peak over the local median */

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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* z = y - (centred moving average of order p, R decompose's filter) over
 * the points where it is defined; returns the length, n - 2 * (p / 2). */
static size_t ma_residual(const double *y, size_t n, size_t p, double *z)
{
    size_t half = p / 2, nz = n - 2 * half;
    double s = 0;
    for (size_t j = 0; j < 2 * half + 1; j++) s += y[j];
    for (size_t i = half; i + half < n; i++) {
        if (i > half) s += y[i + half] - y[i - half - 1];
        double ma = p % 2 ? s : s - 0.5 * (y[i - half] + y[i + half]);
        z[i - half] = y[i] - ma / (double)p;
    }
    return nz;
}

/* Median of v[0..n) (sorted in place); 0 when n == 0. */
static double median_inplace(double *v, size_t n)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Periodogram test for p: pg[0..nfft/2] of the n-point series padded to
 * nfft; bg is scratch of nfft/2 + 1. See hr_detect_periods. */
static bool spectral_peak(const double *pg, size_t n, size_t nfft, size_t p, double *bg)
{
    double f0 = (double)nfft / (double)p, w = (double)nfft / (double)n, peak = 0;
    size_t nb = 0;
    for (size_t k = 1; k <= nfft / 2; k++) {
        double fk = (double)k;
        if (fk >= f0 - w && fk <= f0 + w) {
            if (pg[k] > peak) peak = pg[k];
        } else if (fk >= f0 / 2 && fk <= 2 * f0) {
            bg[nb++] = pg[k];
        }
    }
    if (nb < 3) { /* too few neighbours: the whole spectrum */
        nb = 0;
        for (size_t k = 1; k <= nfft / 2; k++) bg[nb++] = pg[k];
    }
    return peak > PEAK_RATIO * median_inplace(bg, nb);
}

/* ACF test for p on z[0..nz) (the series less its moving average of order
 * p); re, im are scratch of nfft points. See hr_detect_periods. */
static bool acf_hill(const double *z, size_t nz, size_t p, size_t d, double *re, double *im,
                     size_t nfft)
{
    double mean = 0;
    for (size_t i = 0; i < nz; i++) mean += z[i] / (double)nz;
    for (size_t i = 0; i < nfft; i++) {
        re[i] = i < nz ? z[i] - mean : 0;
        im[i] = 0;
    }
    fft(re, im, nfft);
    for (size_t k = 0; k < nfft; k++) {
        re[k] = re[k] * re[k] + im[k] * im[k];
        im[k] = 0;
    }
    /* Wiener-Khinchin: with padding >= nz the transform of the power is
     * nfft times the lagged sums sum_i z_i z_{i+k}. */
    fft(re, im, nfft);
    double r0 = re[0];
    if (!(r0 > 0)) return false;
    double sum2 = 0;
    for (size_t k = 1; k < p; k++) sum2 += (re[k] / r0) * (re[k] / r0);
    if (!(re[p] / r0 > TCRIT * sqrt((1 + 2 * sum2) / (double)nz))) return false;
    /* Hill on the unbiased ACF (lag sums over n - k; the biased one leans
     * left by about p^2 / (4 pi^2 n) lags): acf(p) above both ends of the
     * window, and the window's maximum within max(1, p/20) lags of p (the
     * top of a long cycle is flat, and sampling noise moves its maximum). */
    size_t tol = p / 20 > 1 ? p / 20 : 1, arg = p - d;
    for (size_t k = p - d; k <= p + d; k++)
        if (re[k] / (double)(nz - k) > re[arg] / (double)(nz - arg)) arg = k;
    double ap = re[p] / (double)(nz - p);
    if (!(ap > re[p - d] / (double)(nz - p + d) && ap > re[p + d] / (double)(nz - p - d)))
        return false;
    if (arg + tol < p || arg > p + tol) return false;
    return true;
}

/* A candidate period p (with n >= 3p) is accepted when both hold:
 *  1. Periodogram: on y less its least-squares line (zero-padded to nfft >=
 *     2n), the largest periodogram value within one Fourier bin (of the
 *     unpadded series) of frequency 1/p exceeds PEAK_RATIO = 10 times the
 *     median over the neighbouring frequencies [1/(2p), 2/p]. Against a
 *     locally flat spectrum an ordinate passes with probability about
 *     exp(-10 ln 2) = 0.001; comparing with the neighbours, not with white
 *     noise, keeps red spectra (trends, random walks) from passing.
 *  2. ACF: on z = y less its centred moving average of order p (R
 *     decompose's filter; removes what varies more slowly than p, e.g. a
 *     weekly step when testing p = 24), acf(p) exceeds the M4 limit
 *     1.645 sqrt((1 + 2 sum_{k<p} acf(k)^2) / nz), and p is on a hill of
 *     the unbiased acf over [p - d, p + d]: higher than at both ends, with
 *     the window's maximum within max(1, p/20) lags of p. d is the largest
 *     period already accepted (candidates go in ascending order) capped at
 *     p/2, else max(1, p/10). With d = 24 a weekly candidate must beat the
 *     daily harmonics at lags 144 and 192: a daily cycle alone makes
 *     acf(168) a local maximum, but not higher than acf(144).
 * On simulated hourly series (n = 1008, 200 seeds each; tests/unit/
 * test-seasonality.c has a few): daily + weekly sines found 200/200, a
 * weekly step + daily sine 200/200; a daily sine on a random walk gave a
 * spurious 168 in 5/200, white noise nothing, a random walk 1/200.
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
    size_t nfft = 1;
    while (nfft < 2 * n) {
        if (nfft >= MAX_FFT) return HR_ELIMIT;
        nfft <<= 1;
    }
    double *re = malloc(nfft * sizeof(double)), *im = malloc(nfft * sizeof(double));
    double *z = malloc(n * sizeof(double)), *pg = malloc((nfft / 2 + 1) * sizeof(double));
    double *bg = malloc((nfft / 2 + 1) * sizeof(double));
    int rc = 0;
    if (!re || !im || !z || !pg || !bg) {
        rc = HR_ENOMEM;
        goto out;
    }
    /* Periodogram of y less its least-squares line, padded to nfft. */
    double tbar = (double)(n - 1) / 2, ybar = 0, sty = 0, stt = 0;
    for (size_t i = 0; i < n; i++) ybar += y[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        sty += ((double)i - tbar) * (y[i] - ybar);
        stt += ((double)i - tbar) * ((double)i - tbar);
    }
    double slope = stt > 0 ? sty / stt : 0;
    for (size_t i = 0; i < nfft; i++) {
        re[i] = i < n ? y[i] - ybar - slope * ((double)i - tbar) : 0;
        im[i] = 0;
    }
    fft(re, im, nfft);
    for (size_t k = 0; k <= nfft / 2; k++) pg[k] = (re[k] * re[k] + im[k] * im[k]) / (double)n;

    size_t nout = 0, last = 0;
    for (size_t c = 0; c < nc && nout < max; c++) {
        size_t p = cand[c];
        if (c && p == cand[c - 1]) continue;
        if (!spectral_peak(pg, n, nfft, p, bg)) continue;
        size_t d = last ? (last < p / 2 ? last : p / 2) : (p / 10 > 1 ? p / 10 : 1);
        size_t nz = ma_residual(y, n, p, z);
        if (!acf_hill(z, nz, p, d, re, im, nfft)) continue;
        periods[nout++] = p;
        last = p;
    }
    rc = (int)nout;
out:
    free(re);
    free(im);
    free(z);
    free(pg);
    free(bg);
    return rc;
}

int hr_candidate_periods(int64_t step_sec, size_t *periods, size_t max)
{
    static const int64_t spans[] = {86400, 7 * 86400}; /* a day, a week */
    int n = 0;
    if (step_sec <= 0 || !periods) return 0;
    for (size_t i = 0; i < sizeof spans / sizeof spans[0] && (size_t)n < max; i++)
        if (spans[i] % step_sec == 0 && spans[i] / step_sec >= 2)
            periods[n++] = (size_t)(spans[i] / step_sec);
    return n;
}
