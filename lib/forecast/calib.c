/* Split-conformal intervals from rolling-origin errors (see backtest.h). */
#include <headroom/backtest.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void hr_calib_release(hr_calib *cal)
{
    if (!cal) return;
    free(cal->sorted);
    memset(cal, 0, sizeof *cal);
}

int hr_calib_fit(hr_calib *cal, const double *errors, size_t n_origins, size_t h, bool absolute,
                 hr_error *err)
{
    if (!cal || !errors || n_origins == 0 || h == 0)
        return hr_error_set(err, HR_EINVAL, "calibration: no errors to calibrate from");
    if (n_origins > SIZE_MAX / sizeof(double) / h)
        return hr_error_set(err, HR_ERANGE, "calibration: too many errors");
    double *s = malloc(n_origins * h * sizeof(double));
    if (!s) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (size_t k = 0; k < n_origins; k++)
        for (size_t i = 0; i < h; i++) {
            double e = errors[k * h + i];
            if (!isfinite(e)) {
                free(s);
                return hr_error_set(err, HR_EDATA,
                                    "calibration: error at origin %zu, step %zu is not finite",
                                    k + 1, i + 1);
            }
            s[i * n_origins + k] = absolute ? fabs(e) : e;
        }
    for (size_t i = 0; i < h; i++) qsort(s + i * n_origins, n_origins, sizeof(double), cmp_double);
    cal->h = h;
    cal->n = n_origins;
    cal->absolute = absolute;
    cal->sorted = s;
    return 0;
}

int hr_calib_from_backtest(hr_calib *cal, const hr_backtest *bt, bool absolute, hr_error *err)
{
    if (!bt || !bt->actual || bt->norigins == 0)
        return hr_error_set(err, HR_EINVAL, "calibration: empty backtest");
    size_t kh = bt->norigins * bt->h;
    double *e = malloc(kh * sizeof(double));
    if (!e) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (size_t i = 0; i < kh; i++) e[i] = bt->actual[i] - bt->mean[i];
    int rc = hr_calib_fit(cal, e, bt->norigins, bt->h, absolute, err);
    free(e);
    return rc;
}

/* The k-th smallest (1-based) of step i, k clamped to [1, n]. */
static double order_stat(const hr_calib *cal, size_t i, double k)
{
    size_t n = cal->n;
    size_t kk = k < 1 ? 1 : k > (double)n ? n : (size_t)k;
    return cal->sorted[i * n + kk - 1];
}

double hr_calib_offset(const hr_calib *cal, size_t i, double tau)
{
    if (!cal || !cal->sorted || !(tau > 0 && tau < 1)) return NAN;
    if (i >= cal->h) i = cal->h - 1;
    double n1 = (double)cal->n + 1.0;
    /* (n+1) tau is often an integer that rounding moves by an ulp (20 * 0.95):
     * nudge it back before taking ceil/floor. */
    const double eps = 1e-9;
    if (cal->absolute) {
        double a = fabs(2.0 * tau - 1.0);
        if (a == 0) return 0;
        double r = order_stat(cal, i, ceil(n1 * a - eps));
        return tau > 0.5 ? r : -r;
    }
    return order_stat(cal, i, tau >= 0.5 ? ceil(n1 * tau - eps) : floor(n1 * tau + eps));
}

int hr_calib_apply(const hr_calib *cal, hr_forecast *f, hr_error *err)
{
    if (!cal || !cal->sorted || !f || !f->mean)
        return hr_error_set(err, HR_EINVAL, "calibration: not fitted");
    for (size_t i = 0; i < f->h; i++)
        for (size_t j = 0; j < f->nq; j++)
            f->q[i * f->nq + j] = f->mean[i] + hr_calib_offset(cal, i, f->levels[j]);
    f->has_quantiles = true;
    return 0;
}
