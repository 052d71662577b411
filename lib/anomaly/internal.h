/* Library-internal interface of the detectors: the detector vtable. Each
 * detector lives in lib/anomaly/<name>.c and exports one
 * `const struct hr_detector_ops hr__<name>_detector`, listed in
 * detector.c's table. */
#ifndef HR_ANOMALY_INTERNAL_H
#define HR_ANOMALY_INTERNAL_H

#include <headroom/anomaly.h>

struct hr_detector {
    const struct hr_detector_ops *ops;
    hr_detector_opts opts;
    int64_t last_t;
    size_t n;   /* samples fed (NaN included) */
    void *impl; /* the detector's own state */
    /* Developer parameters: the text after "name:" in the spec given to
     * hr_detector_new ("" when none); only the ensemble reads them. */
    char params[HR_DETECTOR_PARAMS_MAX];
};

struct hr_detector_ops {
    const char *name;
    const char *summary;
    /* Validate d->opts and allocate d->impl. */
    int (*init)(struct hr_detector *d, hr_error *err);
    /* One finite sample; fills *why (score included, in [0, 1]). */
    void (*feed)(struct hr_detector *d, int64_t t, double x, hr_anomaly_reason *why);
    /* Bytes held in impl. */
    size_t (*state_bytes)(const struct hr_detector *d);
    void (*release)(struct hr_detector *d); /* NULL-safe on a half-built impl */
};

/* Two-sided normal tail probability P(|Z| >= |z|). */
double hr__tail2(double z);
/* Reason with no expectation (NaN) and the given score. */
void hr__reason_plain(hr_anomaly_reason *why, const char *det, double x, double score);

extern const struct hr_detector_ops hr__gaussian_detector;
extern const struct hr_detector_ops hr__ewma_detector;
extern const struct hr_detector_ops hr__residual_detector;
extern const struct hr_detector_ops hr__cusum_detector;
extern const struct hr_detector_ops hr__bocpd_detector;
extern const struct hr_detector_ops hr__ensemble_detector;

#endif
