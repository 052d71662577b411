/* STL: Seasonal-Trend decomposition by Loess (Cleveland, Cleveland, McRae &
 * Terpenning, Journal of Official Statistics 6, 1990), a port of the
 * algorithm of the netlib Fortran (stl.f: stlstp, stlss, stless, stlest,
 * stlfts, stlma, stlrwt) that R's stats::stl and statsmodels' STL also port.
 *
 * Inner loop, `inner` times: detrend; smooth each cycle-subseries with loess
 * (extended one point at each end); low-pass filter the result (moving
 * averages of lengths np, np, 3, then loess); seasonal = smoothed cycle -
 * low-pass; deseasonalise; trend = loess of the deseasonalised series.
 * Outer loop, `outer` times: bisquare robustness weights from the remainder
 * (6 * median |remainder|, the median taken correctly as statsmodels does,
 * not with the original's partial-sort slip) and the inner loop again.
 *
 * Positions inside the loess routines are 1-based, as in the Fortran, so
 * that the arithmetic (h, distances, the degree-1 correction) is the same. */
#include "forecast/stl.h"

#include <headroom/error.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t nextodd(size_t v)
{
    return v % 2 ? v : v + 1;
}

static size_t default_trend(size_t np, size_t ns)
{
    double v = ceil(1.5 * (double)np / (1.0 - 1.5 / (double)ns));
    return nextodd((size_t)v);
}

void hr__stl_defaults_sm(hr__stl_params *p, size_t period)
{
    memset(p, 0, sizeof *p);
    p->period = period;
    p->seasonal = 7;
    p->trend = default_trend(period, 7);
    p->low_pass = nextodd(period + 1);
    p->seasonal_deg = p->trend_deg = p->low_pass_deg = 1;
    p->seasonal_jump = p->trend_jump = p->low_pass_jump = 1;
    p->inner = 5;
    p->outer = 0;
}

void hr__stl_defaults_r(hr__stl_params *p, size_t period, size_t swindow)
{
    memset(p, 0, sizeof *p);
    p->period = period;
    p->seasonal = swindow;
    /* Periodic: R sets s.window = 10n + 1 before the trend default, so the
     * trend window is left to hr__stl, which knows n. */
    p->trend = swindow ? default_trend(period, swindow) : 0;
    p->low_pass = nextodd(period);
    p->seasonal_deg = 0;
    p->trend_deg = p->low_pass_deg = 1;
    p->seasonal_jump = swindow ? (swindow + 9) / 10 : 1;
    p->trend_jump = (p->trend + 9) / 10;
    p->low_pass_jump = (p->low_pass + 9) / 10;
    p->inner = 2;
    p->outer = 0;
}

/* Loess fit at position xs (1-based) from y[nleft..nright] (1-based, i.e.
 * y[j - 1]) with tricube weights; w is scratch indexed like y. Returns false
 * when every weight is zero. (stlest) */
static bool est(const double *y, size_t n, size_t len, int ideg, double xs, double *ys,
                size_t nleft, size_t nright, double *w, const double *rw)
{
    double range = (double)n - 1.0;
    double h = fmax(xs - (double)nleft, (double)nright - xs);
    if (len > n) h += (double)((len - n) / 2);
    double h9 = 0.999 * h, h1 = 0.001 * h, a = 0;
    for (size_t j = nleft; j <= nright; j++) {
        w[j - 1] = 0;
        double r = fabs((double)j - xs);
        if (r <= h9) {
            if (r <= h1) {
                w[j - 1] = 1;
            } else {
                double u = r / h;
                u = 1 - u * u * u;
                w[j - 1] = u * u * u;
            }
            if (rw) w[j - 1] *= rw[j - 1];
            a += w[j - 1];
        }
    }
    if (a <= 0) return false;
    for (size_t j = nleft; j <= nright; j++) w[j - 1] /= a;
    if (h > 0 && ideg > 0) {
        a = 0;
        for (size_t j = nleft; j <= nright; j++) a += w[j - 1] * (double)j;
        double b = xs - a, c = 0;
        for (size_t j = nleft; j <= nright; j++) c += w[j - 1] * ((double)j - a) * ((double)j - a);
        if (sqrt(c) > 0.001 * range) {
            b /= c;
            for (size_t j = nleft; j <= nright; j++) w[j - 1] *= b * ((double)j - a) + 1.0;
        }
    }
    double s = 0;
    for (size_t j = nleft; j <= nright; j++) s += w[j - 1] * y[j - 1];
    *ys = s;
    return true;
}

/* Loess smoothing of y[0..n) into ys with window len, degree ideg, every
 * njump points and linear interpolation between. (stless) */
static void ess(const double *y, size_t n, size_t len, int ideg, size_t njump, const double *rw,
                double *ys, double *res)
{
    if (n < 2) {
        ys[0] = y[0];
        return;
    }
    size_t newnj = njump < n - 1 ? njump : n - 1;
    size_t nleft = 1, nright = n;
    if (len >= n) {
        for (size_t i = 1; i <= n; i += newnj)
            if (!est(y, n, len, ideg, (double)i, &ys[i - 1], 1, n, res, rw)) ys[i - 1] = y[i - 1];
    } else if (newnj == 1) {
        size_t nsh = (len + 1) / 2;
        nleft = 1;
        nright = len;
        for (size_t i = 1; i <= n; i++) {
            if (i > nsh && nright != n) {
                nleft++;
                nright++;
            }
            if (!est(y, n, len, ideg, (double)i, &ys[i - 1], nleft, nright, res, rw))
                ys[i - 1] = y[i - 1];
        }
    } else {
        size_t nsh = (len + 1) / 2;
        nleft = 1;
        nright = len;
        for (size_t i = 1; i <= n; i += newnj) {
            if (i >= nsh) {
                if (i >= n - nsh + 1) {
                    nleft = n - len + 1;
                    nright = n;
                } else {
                    nleft = i - nsh + 1;
                    nright = len + i - nsh;
                }
            }
            if (!est(y, n, len, ideg, (double)i, &ys[i - 1], nleft, nright, res, rw))
                ys[i - 1] = y[i - 1];
        }
    }
    if (newnj == 1) return;
    for (size_t i = 1; i + newnj <= n; i += newnj) {
        double delta = (ys[i + newnj - 1] - ys[i - 1]) / (double)newnj;
        for (size_t j = i + 1; j < i + newnj; j++) ys[j - 1] = ys[i - 1] + delta * (double)(j - i);
    }
    size_t k = ((n - 1) / newnj) * newnj + 1;
    if (k != n) {
        if (!est(y, n, len, ideg, (double)n, &ys[n - 1], nleft, nright, res, rw))
            ys[n - 1] = y[n - 1];
        if (k != n - 1) {
            double delta = (ys[n - 1] - ys[k - 1]) / (double)(n - k);
            for (size_t j = k + 1; j < n; j++) ys[j - 1] = ys[k - 1] + delta * (double)(j - k);
        }
    }
}

/* Moving average of length len over x[0..n): ave[0..n-len]. (stlma) */
static void ma(const double *x, size_t n, size_t len, double *ave)
{
    double flen = (double)len, v = 0;
    for (size_t i = 0; i < len; i++) v += x[i];
    ave[0] = v / flen;
    for (size_t j = 1, k = len, m = 0; j <= n - len; j++, k++, m++) {
        v = v - x[m] + x[k];
        ave[j] = v / flen;
    }
}

/* Cycle-subseries smoothing, each subseries extended by one point at both
 * ends: season has n + 2 np values. (stlss) */
static void ss(const double *y, size_t n, const hr__stl_params *p, size_t ns, int isdeg,
               const double *rw, double *season, double *w1, double *w2, double *w3, double *w4)
{
    size_t np = p->period;
    for (size_t j = 1; j <= np; j++) {
        size_t k = (n - j) / np + 1;
        for (size_t i = 1; i <= k; i++) w1[i - 1] = y[(i - 1) * np + j - 1];
        if (rw)
            for (size_t i = 1; i <= k; i++) w3[i - 1] = rw[(i - 1) * np + j - 1];
        const double *r3 = rw ? w3 : NULL;
        ess(w1, k, ns, isdeg, p->seasonal_jump, r3, w2 + 1, w4);
        size_t nright = ns < k ? ns : k;
        if (!est(w1, k, ns, isdeg, 0.0, &w2[0], 1, nright, w4, r3)) w2[0] = w2[1];
        size_t nleft = k + 1 > ns ? k - ns + 1 : 1;
        if (!est(w1, k, ns, isdeg, (double)(k + 1), &w2[k + 1], nleft, k, w4, r3))
            w2[k + 1] = w2[k];
        for (size_t m = 1; m <= k + 2; m++) season[(m - 1) * np + j - 1] = w2[m - 1];
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Bisquare robustness weights from the remainder, cmad = 6 * median|r|.
 * (stlrwt) */
static void robustness(const double *y, size_t n, const double *fit, double *rw, double *scratch)
{
    for (size_t i = 0; i < n; i++) scratch[i] = fabs(y[i] - fit[i]);
    qsort(scratch, n, sizeof(double), cmp_double);
    size_t mid1 = n / 2 + 1, mid2 = n - mid1 + 1; /* 1-based middle pair */
    double cmad = 3.0 * (scratch[mid1 - 1] + scratch[mid2 - 1]);
    double c9 = 0.999 * cmad, c1 = 0.001 * cmad;
    for (size_t i = 0; i < n; i++) {
        double r = fabs(y[i] - fit[i]);
        if (r <= c1) {
            rw[i] = 1;
        } else if (r <= c9) {
            double u = r / cmad;
            u = 1 - u * u;
            rw[i] = u * u;
        } else {
            rw[i] = 0;
        }
    }
}

/* The inner loop (stlstp); work holds 5 columns of n + 2 np. */
static void inner_loop(const double *y, size_t n, const hr__stl_params *p, size_t ns, int isdeg,
                       size_t nt, size_t nl, const double *rw, double *season, double *trend,
                       double *work)
{
    size_t np = p->period, col = n + 2 * np;
    double *w1 = work, *w2 = work + col, *w3 = work + 2 * col, *w4 = work + 3 * col,
           *w5 = work + 4 * col;
    for (size_t it = 0; it < p->inner; it++) {
        for (size_t i = 0; i < n; i++) w1[i] = y[i] - trend[i];
        ss(w1, n, p, ns, isdeg, rw, w2, w3, w4, w5, season);
        /* Low-pass: moving averages np, np, 3 of the extended cycle. */
        ma(w2, col, np, w3);
        ma(w3, col - np + 1, np, w1);
        ma(w1, col - 2 * np + 2, 3, w3);
        ess(w3, n, nl, p->low_pass_deg, p->low_pass_jump, NULL, w1, w5);
        for (size_t i = 0; i < n; i++) season[i] = w2[np + i] - w1[i];
        for (size_t i = 0; i < n; i++) w1[i] = y[i] - season[i];
        ess(w1, n, nt, p->trend_deg, p->trend_jump, rw, trend, w3);
    }
}

int hr__stl(const double *y, size_t n, const hr__stl_params *p, double *seasonal, double *trend)
{
    if (!y || !p || !seasonal || !trend) return HR_EINVAL;
    if (p->period < 2 || p->inner < 1 || p->seasonal_deg < 0 || p->seasonal_deg > 1 ||
        p->trend_deg < 0 || p->trend_deg > 1 || p->low_pass_deg < 0 || p->low_pass_deg > 1 ||
        !p->seasonal_jump || !p->trend_jump || !p->low_pass_jump)
        return HR_EINVAL;
    if (n / 2 < p->period) return HR_EDATA;
    size_t np = p->period;
    if (n > (SIZE_MAX / sizeof(double) - 2 * np) / 6) return HR_ERANGE;
    bool periodic = p->seasonal == 0;
    size_t ns = periodic ? 10 * n + 1 : nextodd(p->seasonal < 3 ? 3 : p->seasonal);
    int isdeg = periodic ? 0 : p->seasonal_deg;
    size_t nt = p->trend ? nextodd(p->trend < 3 ? 3 : p->trend) : default_trend(np, ns);
    size_t nl = nextodd(p->low_pass < 3 ? 3 : p->low_pass);
    size_t col = n + 2 * np;
    double *work = malloc((5 * col + 3 * n) * sizeof(double));
    if (!work) return HR_ENOMEM;
    double *s = work + 5 * col, *t = s + n, *rw = t + n;
    for (size_t i = 0; i < n; i++) t[i] = 0;
    inner_loop(y, n, p, ns, isdeg, nt, nl, NULL, s, t, work);
    for (size_t k = 0; k < p->outer; k++) {
        for (size_t i = 0; i < n; i++) work[i] = s[i] + t[i];
        robustness(y, n, work, rw, work + col);
        inner_loop(y, n, p, ns, isdeg, nt, nl, rw, s, t, work);
    }
    if (periodic) {
        /* R's stl: the periodic seasonal is the mean of each cycle position. */
        for (size_t j = 0; j < np; j++) {
            double sum = 0;
            size_t cnt = 0;
            for (size_t i = j; i < n; i += np) {
                sum += s[i];
                cnt++;
            }
            for (size_t i = j; i < n; i += np) s[i] = sum / (double)cnt;
        }
    }
    memcpy(seasonal, s, n * sizeof(double));
    memcpy(trend, t, n * sizeof(double));
    free(work);
    return 0;
}

int hr__mstl(const double *y, size_t n, const size_t *periods, size_t nper, size_t iterate,
             double *seasonal, double *deseas)
{
    if (!y || (nper && (!periods || !seasonal)) || !deseas || iterate < 1) return HR_EINVAL;
    for (size_t k = 0; k < nper; k++)
        if (periods[k] < 2 || n / 2 <= periods[k] || (k && periods[k] <= periods[k - 1]))
            return HR_EDATA;
    memcpy(deseas, y, n * sizeof(double));
    if (nper == 0) return 0;
    if (n > SIZE_MAX / sizeof(double) / 2) return HR_ERANGE;
    double *trend = malloc(2 * n * sizeof(double));
    if (!trend) return HR_ENOMEM;
    double *tmp = trend + n;
    for (size_t i = 0; i < nper * n; i++) seasonal[i] = 0;
    int rc = 0;
    for (size_t it = 0; it < iterate && rc == 0; it++) {
        for (size_t k = 0; k < nper && rc == 0; k++) {
            double *s = seasonal + k * n;
            for (size_t t = 0; t < n; t++) deseas[t] += s[t];
            hr__stl_params p;
            hr__stl_defaults_r(&p, periods[k], 7 + 4 * (k + 1));
            rc = hr__stl(deseas, n, &p, tmp, trend);
            if (rc < 0) break;
            memcpy(s, tmp, n * sizeof(double));
            for (size_t t = 0; t < n; t++) deseas[t] -= s[t];
        }
    }
    free(trend);
    return rc;
}
