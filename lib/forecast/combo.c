/* "combo": the mean or median of several models' forecasts.
 *
 * spec: "[mean:|median:]model,model,..." (default "mean:ets,theta,snaive").
 * Every member gets this model's periods and options. Point forecasts are
 * the mean (or median) of the members'; quantiles are the same statistic of
 * the members' quantiles at each level (quantile averaging, "Vincentization",
 * Lichtendahl et al. 2013), which keeps the combined band no wider than its
 * widest member. A member that cannot be fitted on the series is dropped
 * (at least one must remain); hr_fit_info.desc lists the members used. */
#include "forecast/internal.h"

#include <headroom/util.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MEMBERS 8

typedef struct combo_state {
    bool median;
    size_t nnames;
    char names[MAX_MEMBERS][24];
    hr_model *members[MAX_MEMBERS];
    size_t nmembers;
} combo_state;

static int combo_init(struct hr_model *m, hr_error *err)
{
    combo_state *st = calloc(1, sizeof *st);
    if (!st) return hr_error_set(err, HR_ENOMEM, "out of memory");
    const char *spec = m->opts.spec[0] ? m->opts.spec : "mean:ets,theta,snaive";
    if (!strncmp(spec, "mean:", 5)) {
        spec += 5;
    } else if (!strncmp(spec, "median:", 7)) {
        st->median = true;
        spec += 7;
    }
    const char *p = spec;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len >= sizeof st->names[0] || st->nnames == MAX_MEMBERS ||
            !strncmp(p, "combo", len) || !strncmp(p, "auto", len)) {
            size_t item = st->nnames + 1;
            free(st);
            return hr_error_set(err, HR_EINVAL,
                                "combo: member \"%.*s\" (item %zu) is empty, too long, "
                                "nested or one too many (max %d)",
                                (int)len, p, item, MAX_MEMBERS);
        }
        memcpy(st->names[st->nnames], p, len);
        st->names[st->nnames++][len] = '\0';
        p = e ? e + 1 : p + len;
    }
    if (st->nnames == 0) {
        free(st);
        return hr_error_set(err, HR_EINVAL, "combo: no member models in \"%s\"", m->opts.spec);
    }
    m->impl = st;
    return 0;
}

static void drop_members(combo_state *st)
{
    for (size_t i = 0; i < st->nmembers; i++) hr_model_free(st->members[i]);
    st->nmembers = 0;
}

static void combo_release(struct hr_model *m)
{
    combo_state *st = m->impl;
    if (st) drop_members(st);
    free(st);
    m->impl = NULL;
}

static int combo_fit(struct hr_model *m, const double *y, size_t n, hr_error *err)
{
    combo_state *st = m->impl;
    drop_members(st);
    hr_model_opts o = m->opts;
    o.spec[0] = '\0';
    hr_error last = {0};
    for (size_t i = 0; i < st->nnames; i++) {
        hr_model *mm = NULL;
        int rc = hr_model_new(st->names[i], &o, &mm, &last);
        if (rc == HR_ENOTFOUND || rc == HR_EINVAL)
            return hr_error_set(err, rc, "combo: %s", hr_error_message(&last));
        if (rc == 0) rc = hr_model_fit(mm, y, n, &last);
        if (rc < 0) {
            hr_model_free(mm);
            continue;
        }
        st->members[st->nmembers++] = mm;
    }
    if (st->nmembers == 0)
        return hr_error_set(err, HR_EDATA, "combo: no member could be fitted: %s",
                            hr_error_message(&last));
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double stat(double *v, size_t k, bool median)
{
    if (!median) {
        double s = 0;
        for (size_t i = 0; i < k; i++) s += v[i];
        return s / (double)k;
    }
    qsort(v, k, sizeof(double), cmp_double);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

static int combo_forecast(const struct hr_model *m, hr_forecast *out, hr_error *err)
{
    const combo_state *st = m->impl;
    size_t h = out->h, nq = out->nq, k = st->nmembers;
    hr_forecast *fs = calloc(k, sizeof *fs);
    if (!fs) return hr_error_set(err, HR_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++) {
        rc = hr_forecast_init(&fs[i], h, out->levels, nq, err);
        if (rc == 0) rc = hr_model_forecast(st->members[i], h, &fs[i], err);
        if (rc == 0 && nq && !fs[i].has_quantiles)
            rc = hr_error_set(err, HR_ENOTSUP, "combo: member %s has no intervals",
                              hr_model_name(st->members[i]));
    }
    if (rc == 0) {
        double v[MAX_MEMBERS];
        for (size_t t = 0; t < h; t++) {
            for (size_t i = 0; i < k; i++) v[i] = fs[i].mean[t];
            out->mean[t] = stat(v, k, st->median);
            for (size_t j = 0; j < nq; j++) {
                for (size_t i = 0; i < k; i++) v[i] = fs[i].q[t * nq + j];
                out->q[t * nq + j] = stat(v, k, st->median);
            }
        }
    }
    for (size_t i = 0; i < k; i++) hr_forecast_release(&fs[i]);
    free(fs);
    return rc;
}

static int combo_update(struct hr_model *m, double y)
{
    combo_state *st = m->impl;
    for (size_t i = 0; i < st->nmembers; i++) {
        int rc = hr_model_update(st->members[i], y);
        if (rc < 0) return rc;
    }
    return 0;
}

static int combo_info(const struct hr_model *m, hr_fit_info *fi)
{
    const combo_state *st = m->impl;
    int off = snprintf(fi->desc, sizeof fi->desc, "Combo-%s(", st->median ? "median" : "mean");
    for (size_t i = 0; i < st->nmembers; i++) {
        hr_fit_info sub;
        if (hr_model_info(st->members[i], &sub) == 0) fi->nparams += sub.nparams;
        if (off > 0 && (size_t)off < sizeof fi->desc)
            off += snprintf(fi->desc + off, sizeof fi->desc - (size_t)off, "%s%s", i ? "," : "",
                            hr_model_name(st->members[i]));
    }
    if (off > 0 && (size_t)off < sizeof fi->desc)
        snprintf(fi->desc + off, sizeof fi->desc - (size_t)off, ")");
    return 0;
}

const struct hr_model_ops hr__combo_ops = {
    .name = "combo",
    .summary = "mean or median of several models (spec \"median:ets,theta,snaive\")",
    .has_intervals = true,
    .init = combo_init,
    .fit = combo_fit,
    .forecast = combo_forecast,
    .update = combo_update,
    .info = combo_info,
    .release = combo_release,
};
