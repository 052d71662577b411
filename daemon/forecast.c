/* Forecasting a stored series: the newest samples on their median step,
 * gaps filled linearly, seasonal periods detected among a day and a week,
 * the model (falling back to naive when it cannot fit). Shared by the API
 * and the alert evaluator. */
#include "daemon/forecast.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Put irregular samples on a grid of `step` from the first sample (the last
 * sample of a slot wins), gaps filled linearly. */
static int regularise(const int64_t *t, const double *v, size_t n, int64_t step, hr_series *out,
                      hr_error *err)
{
    uint64_t span = (uint64_t)(t[n - 1] - t[0]) / (uint64_t)step + 1;
    if (span > 10 * n + 1000)
        return hr_error_set(err, HR_EDATA, "samples too sparse for a step of %" PRId64 " s", step);
    double *y = malloc(span * sizeof *y);
    if (!y) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (size_t i = 0; i < span; i++) y[i] = NAN;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = ((uint64_t)(t[i] - t[0]) + (uint64_t)step / 2) / (uint64_t)step;
        if (k < span && isfinite(v[i])) y[k] = v[i];
    }
    int rc = hr_series_from_array(out, NULL, t[0], step, y, span);
    free(y);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    rc = hr_series_fill_gaps(out, HR_FILL_LINEAR, 0, err);
    if (rc < 0) hr_series_release(out);
    return rc;
}

void hrd_fc_release(hrd_fc *fc)
{
    if (fc) hr_forecast_release(&fc->f);
}

int hrd_forecast(hrd_store *st, const char *name, size_t h, const double *levels, size_t nq,
                 size_t history, const char *model, hrd_fc *out, hr_error *err)
{
    hr_vec t, v;
    hr_vec_init(&t, sizeof(int64_t), 0);
    hr_vec_init(&v, sizeof(double), 0);
    hr_series s = {0};
    hr_model *m = NULL;
    hrd_fc fc;
    memset(&fc, 0, sizeof fc);
    bool more;
    int rc = hrd_store_read(st, name, INT64_MIN, INT64_MAX, 100000000, &t, &v, &more, err);
    if (rc < 0) goto out;
    size_t n = t.len, off = n > history ? n - history : 0;
    const int64_t *ts = (const int64_t *)t.data + off;
    const double *vs = (const double *)v.data + off;
    n -= off;
    if (n < 8) {
        rc = hr_error_set(err, HR_EDATA, "%zu samples, at least 8 are needed to forecast", n);
        goto out;
    }
    int64_t *d = malloc((n - 1) * sizeof *d);
    if (!d) {
        rc = hr_error_set(err, HR_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 1; i < n; i++) d[i - 1] = ts[i] - ts[i - 1];
    qsort(d, n - 1, sizeof *d, cmp_i64);
    int64_t step = d[(n - 1) / 2];
    free(d);
    if (step <= 0) {
        rc = hr_error_set(err, HR_EDATA, "no regular step");
        goto out;
    }
    if ((rc = regularise(ts, vs, n, step, &s, err)) < 0) goto out;
    hr_model_opts mo = {.horizon = h};
    size_t cand[HR_MAX_PERIODS];
    int nc = hr_candidate_periods(step, cand, HR_MAX_PERIODS);
    if (nc > 0)
        mo.nperiods = (size_t)hr_detect_periods(s.values, s.len, cand, (size_t)nc, mo.periods,
                                                HR_MAX_PERIODS);
    snprintf(fc.used, sizeof fc.used, "%s", model);
    rc = hr_model_new(model, &mo, &m, err);
    if (rc == HR_ENOTFOUND) {
        rc = HR_EINVAL;
        hr_error_prefix(err, "model");
        goto out;
    }
    if (rc == 0) rc = hr_model_fit(m, s.values, s.len, err);
    if (rc < 0 && strcmp(model, "naive")) {
        hr_model_free(m);
        m = NULL;
        snprintf(fc.used, sizeof fc.used, "naive");
        hr_model_opts no = {.horizon = h};
        rc = hr_model_new("naive", &no, &m, NULL);
        if (rc == 0) rc = hr_model_fit(m, s.values, s.len, err);
    }
    if (rc == 0) rc = hr_forecast_init(&fc.f, h, levels, nq, err);
    if (rc == 0) rc = hr_model_forecast(m, h, &fc.f, err);
    if (rc < 0) {
        if (rc != HR_ENOMEM) rc = HR_EDATA;
        goto out;
    }
    hr_fit_info fi = {0};
    hr_model_info(m, &fi);
    snprintf(fc.desc, sizeof fc.desc, "%s", fi.desc);
    fc.step = step;
    fc.origin = s.start + (int64_t)(s.len - 1) * step;
    fc.history = s.len;
    fc.nperiods = mo.nperiods;
    memcpy(fc.periods, mo.periods, sizeof fc.periods);
    *out = fc;
    memset(&fc, 0, sizeof fc);
out:
    hr_forecast_release(&fc.f);
    hr_model_free(m);
    hr_series_release(&s);
    hr_vec_release(&t);
    hr_vec_release(&v);
    return rc;
}
