/* Regular time series: lifecycle, resampling, gap filling, series sets. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static char *dup_name(const char *name, int *rc)
{
    *rc = 0;
    if (!name) return NULL;
    size_t n = strlen(name);
    char *d = malloc(n + 1);
    if (!d) {
        *rc = HR_ENOMEM;
        return NULL;
    }
    memcpy(d, name, n + 1);
    return d;
}

int hr_series_init(hr_series *s, const char *name, int64_t start, int64_t step)
{
    if (!s || step < 0) return HR_EINVAL;
    int rc;
    char *n = dup_name(name, &rc);
    if (rc < 0) return rc;
    *s = (hr_series){.name = n, .start = step ? start : 0, .step = step};
    return 0;
}

void hr_series_release(hr_series *s)
{
    if (!s) return;
    free(s->name);
    free(s->values);
    *s = (hr_series){0};
}

int hr_series_append(hr_series *s, double v)
{
    if (s->len == s->cap) {
        int rc = hr__series_reserve(s, s->len + 1);
        if (rc < 0) return rc;
    }
    s->values[s->len++] = v;
    return 0;
}

int hr_series_from_array(hr_series *s, const char *name, int64_t start, int64_t step,
                         const double *values, size_t n)
{
    if (!s || (n && !values)) return HR_EINVAL;
    if (n > HR_SERIES_MAX_LEN) return HR_ELIMIT;
    hr_series t;
    int rc = hr_series_init(&t, name, start, step);
    if (rc < 0) return rc;
    if (n) {
        t.values = malloc(n * sizeof(double));
        if (!t.values) {
            hr_series_release(&t);
            return HR_ENOMEM;
        }
        memcpy(t.values, values, n * sizeof(double));
        t.len = t.cap = n;
    }
    *s = t;
    return 0;
}

int hr_series_copy(hr_series *dst, const hr_series *src)
{
    if (!dst || !src) return HR_EINVAL;
    return hr_series_from_array(dst, src->name, src->start, src->step, src->values, src->len);
}

size_t hr_series_count_gaps(const hr_series *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->len; i++) n += isnan(s->values[i]) != 0;
    return n;
}

/* floor(a / b) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

int hr_series_resample(const hr_series *in, int64_t new_step, hr_agg agg, hr_series *out,
                       hr_error *err)
{
    if (!in || !out) return hr_error_set(err, HR_EINVAL, "resample: no series");
    if (in->step <= 0) return hr_error_set(err, HR_EINVAL, "resample: series has no time step");
    if (new_step <= 0 || new_step % in->step != 0)
        return hr_error_set(err, HR_EINVAL,
                            "resample: new step %lld s is not a positive multiple of %lld s",
                            (long long)new_step, (long long)in->step);
    if ((unsigned)agg > HR_AGG_SUM)
        return hr_error_set(err, HR_EINVAL, "resample: unknown aggregation %d", (int)agg);
    int64_t ostart = floor_div(in->start, new_step) * new_step;
    /* Offset of values[0] into its bucket, in input steps (exact: start and
     * ostart differ by less than new_step, and new_step is a multiple of
     * step, but start need not be on the step grid of ostart). */
    int64_t lead = in->start - ostart; /* 0 <= lead < new_step */
    size_t nb = 0;
    if (in->len) {
        /* Index of the last value's bucket: (lead + (len-1)*step) / new_step. */
        int64_t last;
        if (__builtin_mul_overflow((int64_t)(in->len - 1), in->step, &last) ||
            __builtin_add_overflow(last, lead, &last) || last > INT64_MAX - new_step)
            return hr_error_set(err, HR_ERANGE, "resample: time range overflows");
        nb = (size_t)(last / new_step) + 1;
    }
    hr_series o;
    int rc = hr_series_init(&o, in->name, ostart, new_step);
    if (rc < 0) return hr_error_set(err, rc, "resample: out of memory");
    if (nb && (rc = hr__series_reserve(&o, nb)) < 0) {
        hr_series_release(&o);
        return hr_error_set(err, rc, "resample: cannot allocate %zu values", nb);
    }
    size_t i = 0;
    for (size_t k = 0; k < nb; k++) {
        int64_t bucket_end = (int64_t)(k + 1) * new_step; /* relative to ostart */
        double acc = NAN;
        size_t cnt = 0;
        for (; i < in->len && lead + (int64_t)i * in->step < bucket_end; i++) {
            double v = in->values[i];
            if (isnan(v)) continue;
            if (cnt == 0)
                acc = v;
            else if (agg == HR_AGG_MAX)
                acc = v > acc ? v : acc;
            else if (agg == HR_AGG_LAST)
                acc = v;
            else
                acc += v;
            cnt++;
        }
        if (agg == HR_AGG_MEAN && cnt) acc /= (double)cnt;
        o.values[o.len++] = acc;
    }
    *out = o;
    return 0;
}

static bool gap(double v)
{
    return isnan(v);
}

/* Linear interpolation across interior gaps; edge gaps take the nearest value. */
static void fill_linear(double *v, size_t n)
{
    size_t prev = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (gap(v[i])) continue;
        if (prev == SIZE_MAX) {
            for (size_t j = 0; j < i; j++) v[j] = v[i];
        } else if (i - prev > 1) {
            double a = v[prev], b = v[i], span = (double)(i - prev);
            for (size_t j = prev + 1; j < i; j++) v[j] = a + (b - a) * (double)(j - prev) / span;
        }
        prev = i;
    }
    for (size_t j = prev + 1; j < n; j++) v[j] = v[prev];
}

int hr_series_fill_gaps(hr_series *s, hr_fill policy, size_t period, hr_error *err)
{
    if (!s) return hr_error_set(err, HR_EINVAL, "fill: no series");
    if ((unsigned)policy > HR_FILL_SEASONAL)
        return hr_error_set(err, HR_EINVAL, "fill: unknown policy %d", (int)policy);
    if (policy == HR_FILL_SEASONAL && period == 0)
        return hr_error_set(err, HR_EINVAL, "fill: seasonal filling needs a period");
    if (policy == HR_FILL_NONE) return 0;
    double *v = s->values;
    size_t n = s->len, first = 0;
    while (first < n && gap(v[first])) first++;
    if (first == n)
        return hr_error_set(err, HR_EDATA, "%s%sno value to fill gaps from", s->name ? s->name : "",
                            s->name ? ": " : "");
    switch (policy) {
    case HR_FILL_PREVIOUS:
        for (size_t i = 0; i < first; i++) v[i] = v[first];
        for (size_t i = first + 1; i < n; i++)
            if (gap(v[i])) v[i] = v[i - 1];
        break;
    case HR_FILL_ZERO:
        for (size_t i = 0; i < n; i++)
            if (gap(v[i])) v[i] = 0;
        break;
    case HR_FILL_LINEAR:
        fill_linear(v, n);
        break;
    case HR_FILL_SEASONAL:
        for (size_t i = 0; i < n; i++) {
            if (!gap(v[i])) continue;
            if (i >= period && !gap(v[i - period]))
                v[i] = v[i - period];
            else if (i < period && i + period < n && !gap(v[i + period]))
                v[i] = v[i + period];
        }
        fill_linear(v, n);
        break;
    default:
        break;
    }
    return 0;
}

void hr_series_set_release(hr_series_set *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->len; i++) hr_series_release(&set->items[i]);
    free(set->items);
    *set = (hr_series_set){0};
}

int hr_series_set_find(const hr_series_set *set, const char *name)
{
    if (!set || !name) return HR_EINVAL;
    for (size_t i = 0; i < set->len && i <= INT32_MAX; i++)
        if (set->items[i].name && strcmp(set->items[i].name, name) == 0) return (int)i;
    return HR_ENOTFOUND;
}
