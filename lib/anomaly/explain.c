/* Root cause ranking and suppression annotations. */
#include <headroom/anomaly.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* ---- root cause ---------------------------------------------------------------- */

typedef struct rank_ctx {
    hr_rca_item item;
    double key; /* deviation in the aggregate's direction; -inf for NaN */
} rank_ctx;

static int cmp_rank(const void *a, const void *b)
{
    const rank_ctx *x = a, *y = b;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    return (x->item.child > y->item.child) - (x->item.child < y->item.child);
}

int hr_anomaly_explain(double agg_observed, double agg_expected, const double *child_observed,
                       const double *child_expected, size_t n, hr_rca_item *out, hr_error *err)
{
    if (n && (!child_observed || !child_expected || !out))
        return hr_error_set(err, HR_EINVAL, "explain: children missing");
    if (!isfinite(agg_observed) || !isfinite(agg_expected))
        return hr_error_set(err, HR_EINVAL, "explain: the aggregate's values must be finite");
    if (n == 0) return 0;
    rank_ctx *r = malloc(n * sizeof *r);
    if (!r) return hr_error_set(err, HR_ENOMEM, "explain: out of memory");
    double total = agg_observed - agg_expected;
    double dir = total < 0 ? -1.0 : 1.0;
    for (size_t i = 0; i < n; i++) {
        double o = child_observed[i], e = child_expected[i], dev = o - e;
        bool ok = isfinite(dev);
        r[i].item = (hr_rca_item){i, o, e, ok ? dev : NAN, ok && total != 0 ? dev / total : NAN};
        r[i].key = ok ? dir * dev : -INFINITY;
    }
    qsort(r, n, sizeof *r, cmp_rank);
    for (size_t i = 0; i < n; i++) out[i] = r[i].item;
    free(r);
    return 0;
}

/* ---- suppression ---------------------------------------------------------------- */

typedef struct annotation {
    int64_t start, end;
    char text[HR_SUPPRESS_TEXT_MAX];
} annotation;

struct hr_suppressor {
    annotation *a;
    size_t n, max;
};

int hr_suppress_new(size_t max, hr_suppressor **out)
{
    if (!out || max == 0 || max > HR_SUPPRESS_MAX) return HR_EINVAL;
    hr_suppressor *s = calloc(1, sizeof *s);
    if (!s) return HR_ENOMEM;
    s->max = max;
    *out = s;
    return 0;
}

void hr_suppress_free(hr_suppressor *s)
{
    if (!s) return;
    free(s->a);
    free(s);
}

int hr_suppress_add_window(hr_suppressor *s, int64_t start, int64_t end, const char *text)
{
    if (!s || end < start) return HR_EINVAL;
    if (s->n == s->max) return HR_ELIMIT;
    annotation *a = realloc(s->a, (s->n + 1) * sizeof *a);
    if (!a) return HR_ENOMEM;
    s->a = a;
    annotation *x = &a[s->n++];
    x->start = start;
    x->end = end;
    size_t len = text ? strnlen(text, HR_SUPPRESS_TEXT_MAX - 1) : 0;
    if (len) memcpy(x->text, text, len);
    x->text[len] = '\0';
    return 0;
}

int hr_suppress_add_action(hr_suppressor *s, int64_t t, int64_t settle_sec, const char *text)
{
    if (settle_sec < 0 || t > INT64_MAX - settle_sec) return HR_EINVAL;
    return hr_suppress_add_window(s, t, t + settle_sec, text);
}

const char *hr_suppress_check(const hr_suppressor *s, int64_t t)
{
    const annotation *best = NULL;
    for (size_t i = 0; s && i < s->n; i++)
        if (s->a[i].start <= t && t <= s->a[i].end && (!best || s->a[i].start >= best->start))
            best = &s->a[i];
    return best ? best->text : NULL;
}

bool hr_suppress_apply(const hr_suppressor *s, int64_t t, hr_anomaly_reason *why)
{
    const char *text = hr_suppress_check(s, t);
    if (why) why->suppressed = text;
    return text != NULL;
}
