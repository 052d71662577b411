/* Forecast accuracy with the M4 competition's definitions (see metrics.h). */
#include <headroom/metrics.h>

#include <math.h>
#include <string.h>

double hr_smape(const double *y, const double *f, size_t h)
{
    if (h == 0) return NAN;
    double s = 0;
    for (size_t i = 0; i < h; i++) {
        double d = fabs(y[i]) + fabs(f[i]);
        if (d > 0) s += 200.0 * fabs(y[i] - f[i]) / d;
    }
    return s / (double)h;
}

double hr_mase_scale(const double *x, size_t n, size_t m)
{
    if (n < 2) return NAN;
    if (m == 0 || n <= m) m = 1;
    double s = 0;
    for (size_t t = m; t < n; t++) s += fabs(x[t] - x[t - m]);
    return s / (double)(n - m);
}

double hr_mase(const double *y, const double *f, size_t h, double scale)
{
    if (h == 0) return NAN;
    double s = 0;
    for (size_t i = 0; i < h; i++) s += fabs(y[i] - f[i]);
    return s / (double)h / scale;
}

double hr_msis(const double *y, const double *lo, const double *hi, size_t h, double alpha,
               double scale)
{
    if (h == 0 || !(alpha > 0 && alpha < 1)) return NAN;
    double s = 0;
    for (size_t i = 0; i < h; i++) {
        s += hi[i] - lo[i];
        if (y[i] < lo[i]) s += 2.0 / alpha * (lo[i] - y[i]);
        if (y[i] > hi[i]) s += 2.0 / alpha * (y[i] - hi[i]);
    }
    return s / (double)h / scale;
}

double hr_coverage(const double *y, const double *lo, const double *hi, size_t h)
{
    if (h == 0) return NAN;
    size_t in = 0;
    for (size_t i = 0; i < h; i++) in += (y[i] >= lo[i] && y[i] <= hi[i]);
    return (double)in / (double)h;
}

double hr_pinball(const double *y, const double *q, size_t h, double tau)
{
    if (h == 0) return NAN;
    double s = 0;
    for (size_t i = 0; i < h; i++) {
        double d = y[i] - q[i];
        s += d >= 0 ? tau * d : (tau - 1.0) * d;
    }
    return s / (double)h;
}

double hr_owa(double smape, double mase, double smape_naive2, double mase_naive2)
{
    if (!(smape_naive2 > 0) || !(mase_naive2 > 0)) return NAN;
    return 0.5 * (smape / smape_naive2 + mase / mase_naive2);
}

/* Index of `level` in f->levels, or -1. */
static int find_level(const hr_forecast *f, double level)
{
    for (size_t j = 0; j < f->nq; j++)
        if (fabs(f->levels[j] - level) <= 1e-9) return (int)j;
    return -1;
}

int hr_eval_forecast(const double *train, size_t n, size_t m, const double *actual,
                     const hr_forecast *f, double alpha, hr_eval *out, hr_error *err)
{
    if (!train || !actual || !f || !out || !f->mean || f->h == 0)
        return hr_error_set(err, HR_EINVAL, "evaluation: missing argument");
    if (!(alpha > 0 && alpha < 1))
        return hr_error_set(err, HR_EINVAL, "evaluation: alpha %g is not in (0,1)", alpha);
    if (n < 2) return hr_error_set(err, HR_EDATA, "evaluation: needs 2 training values");
    size_t h = f->h;
    for (size_t i = 0; i < h; i++)
        if (!isfinite(actual[i]))
            return hr_error_set(err, HR_EDATA, "evaluation: actual value %zu is not finite", i + 1);
    double scale = hr_mase_scale(train, n, m);
    hr_eval e = {NAN, NAN, NAN, NAN, NAN};
    e.smape = hr_smape(actual, f->mean, h);
    e.mase = hr_mase(actual, f->mean, h, scale);
    if (f->has_quantiles && f->nq) {
        double pin = 0;
        for (size_t j = 0; j < f->nq; j++)
            for (size_t i = 0; i < h; i++) {
                double d = actual[i] - f->q[i * f->nq + j];
                pin += d >= 0 ? f->levels[j] * d : (f->levels[j] - 1.0) * d;
            }
        e.pinball = pin / (double)(h * f->nq);
        int jl = find_level(f, alpha / 2), jh = find_level(f, 1 - alpha / 2);
        if (jl >= 0 && jh >= 0) {
            double width = 0, pen = 0;
            size_t in = 0;
            for (size_t i = 0; i < h; i++) {
                double lo = f->q[i * f->nq + (size_t)jl], hi = f->q[i * f->nq + (size_t)jh];
                width += hi - lo;
                if (actual[i] < lo) pen += 2.0 / alpha * (lo - actual[i]);
                if (actual[i] > hi) pen += 2.0 / alpha * (actual[i] - hi);
                in += (actual[i] >= lo && actual[i] <= hi);
            }
            e.msis = (width + pen) / (double)h / scale;
            e.coverage = (double)in / (double)h;
        }
    }
    *out = e;
    return 0;
}

void hr_metrics_acc_init(hr_metrics_acc *acc)
{
    memset(acc, 0, sizeof *acc);
}

void hr_metrics_acc_add(hr_metrics_acc *acc, const hr_eval *e)
{
    const double v[5] = {e->smape, e->mase, e->msis, e->coverage, e->pinball};
    acc->n++;
    for (size_t k = 0; k < 5; k++)
        if (!isnan(v[k])) {
            acc->sum[k] += v[k];
            acc->cnt[k]++;
        }
}

void hr_metrics_acc_mean(const hr_metrics_acc *acc, hr_eval *out)
{
    double v[5];
    for (size_t k = 0; k < 5; k++) v[k] = acc->cnt[k] ? acc->sum[k] / (double)acc->cnt[k] : NAN;
    out->smape = v[0];
    out->mase = v[1];
    out->msis = v[2];
    out->coverage = v[3];
    out->pinball = v[4];
}
