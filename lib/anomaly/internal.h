/* Library-internal interface of the detectors: the detector vtable. Each
 * detector lives in lib/anomaly/<name>.c and exports one
 * `const struct hr_detector_ops hr__<name>_detector`, listed in
 * detector.c's table. */
#ifndef HR_ANOMALY_INTERNAL_H
#define HR_ANOMALY_INTERNAL_H

#include <headroom/anomaly.h>

struct hr_detector {
    const struct hr_detector_ops *ops;
    int64_t last_t;
    size_t n;   /* samples fed (NaN included) */
    void *impl; /* the detector's own state */
};

struct hr_detector_ops {
    const char *name;
    const char *summary;
    /* Validate the options and allocate d->impl. `params` is the text
     * after "name:" in the spec given to hr_detector_new ("" when none;
     * only the ensemble reads it); neither pointer is kept. */
    int (*init)(struct hr_detector *d, const hr_detector_opts *opts, const char *params,
                hr_error *err);
    /* One finite sample; fills *why (score included, in [0, 1]). 0, or
     * HR_ENOMEM with the state unchanged. */
    int (*feed)(struct hr_detector *d, int64_t t, double x, hr_anomaly_reason *why);
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
