/* The detector registry and the public detector API: argument and order
 * checks shared by every detector. */
#include "anomaly/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static const struct hr_detector_ops *const registry[] = {
    &hr__ensemble_detector, &hr__residual_detector, &hr__ewma_detector,
    &hr__cusum_detector,    &hr__bocpd_detector,    &hr__gaussian_detector,
};
#define NREG (sizeof registry / sizeof registry[0])

size_t hr_detector_list(const char **names, const char **summaries, size_t max)
{
    for (size_t i = 0; i < NREG && i < max; i++) {
        if (names) names[i] = registry[i]->name;
        if (summaries) summaries[i] = registry[i]->summary;
    }
    return NREG;
}

int hr_detector_new(const char *name, const hr_detector_opts *opts, hr_detector **out,
                    hr_error *err)
{
    if (!name || !out) return hr_error_set(err, HR_EINVAL, "detector name missing");
    const char *colon = strchr(name, ':');
    size_t len = colon ? (size_t)(colon - name) : strlen(name);
    const struct hr_detector_ops *ops = NULL;
    for (size_t i = 0; i < NREG; i++)
        if (strlen(registry[i]->name) == len && !memcmp(registry[i]->name, name, len))
            ops = registry[i];
    if (!ops) return hr_error_set(err, HR_ENOTFOUND, "unknown detector \"%.*s\"", (int)len, name);
    if (colon && strlen(colon + 1) >= HR_DETECTOR_PARAMS_MAX)
        return hr_error_set(err, HR_ELIMIT, "%s: parameters longer than %d bytes", ops->name,
                            HR_DETECTOR_PARAMS_MAX - 1);
    if (colon && ops != &hr__ensemble_detector)
        return hr_error_set(err, HR_EINVAL, "%s: takes no parameters", ops->name);
    hr_detector *d = calloc(1, sizeof *d);
    if (!d) return hr_error_set(err, HR_ENOMEM, "out of memory");
    d->ops = ops;
    d->last_t = INT64_MIN;
    hr_detector_opts o = {0};
    if (opts) o = *opts;
    o.model[HR_DETECTOR_SPEC_MAX - 1] = '\0';
    int rc = ops->init(d, &o, colon ? colon + 1 : "", err);
    if (rc < 0) {
        free(d);
        return rc;
    }
    *out = d;
    return 0;
}

void hr_detector_free(hr_detector *d)
{
    if (!d) return;
    d->ops->release(d);
    free(d);
}

int hr_detector_feed(hr_detector *d, int64_t t, double value, double *score, hr_anomaly_reason *why)
{
    if (!d || !score || isinf(value) || t < d->last_t) return HR_EINVAL;
    hr_anomaly_reason r;
    if (isnan(value))
        hr__reason_plain(&r, d->ops->name, value, 0.0);
    else {
        int rc = d->ops->feed(d, t, value, &r);
        if (rc < 0) return rc;
    }
    d->last_t = t;
    d->n++;
    if (!(r.score >= 0)) r.score = 0; /* NaN guard */
    if (r.score > 1) r.score = 1;
    *score = r.score;
    if (why) *why = r;
    return 0;
}

const char *hr_detector_name(const hr_detector *d)
{
    return d ? d->ops->name : NULL;
}

size_t hr_detector_state_bytes(const hr_detector *d)
{
    return d ? sizeof *d + d->ops->state_bytes(d) : 0;
}

double hr__tail2(double z)
{
    return erfc(fabs(z) / M_SQRT2);
}

void hr__reason_plain(hr_anomaly_reason *why, const char *det, double x, double score)
{
    *why = (hr_anomaly_reason){det, score, NAN, NAN, NAN, x, NULL};
}
