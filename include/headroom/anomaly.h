/* headroom/anomaly.h - streaming anomaly detection, root cause, suppression,
 * and the Numenta Anomaly Benchmark (NAB) scorer.
 *
 * Thread-safety: every object here has one owner at a time; distinct objects
 * may be used from different threads (no global mutable state).
 */
#ifndef HEADROOM_ANOMALY_H
#define HEADROOM_ANOMALY_H

#include "common.h"
#include "error.h"

/* ==== NAB scorer ==================================================================
 * A re-implementation of NAB's scorer (nab/sweeper.py, scorer.py,
 * optimizer.py at commit ea702d7): per-row weights from the labelled
 * windows and a cost profile, a probationary period of
 * min(floor(0.15 n), 750) rows that is never scored, one detection
 * threshold per profile for the whole corpus chosen by a sweep over every
 * distinct score, and normalisation from the null detector (0) to the
 * perfect one (100). See tests/data/nab-score/README.md and
 * docs/ARCHITECTURE.md for the rules in full. */

#define HR_NAB_MAX_PROFILES   16
#define HR_NAB_MAX_FILES      100000 /* label keys per labels file */
#define HR_NAB_MAX_WINDOWS    100000 /* windows per data file */
#define HR_NAB_MAX_JSON_BYTES ((size_t)64 << 20)

/* A cost profile (profiles.json "CostMatrix"). tn is read but, as in NAB,
 * never used. */
typedef struct hr_nab_profile {
    char name[64];
    double tp, fp, fn, tn;
} hr_nab_profile;

/* Parse NAB's profiles.json: an object of profiles, each an object with a
 * "CostMatrix" object holding the numbers tpWeight, fpWeight, fnWeight and
 * tnWeight (finite, >= 0; other keys ignored). Writes up to `max` profiles
 * in file order and returns their count. HR_EPARSE (syntax, missing or
 * mistyped key: err names the file, line and column or the profile),
 * HR_ELIMIT (more than `max` profiles or a name of 64 bytes or more,
 * input over HR_NAB_MAX_JSON_BYTES), HR_EINVAL for NULL arguments. */
HR_EXPORT int hr_nab_profiles_parse(const char *buf, size_t len, const char *name,
                                    hr_nab_profile *out, size_t max, hr_error *err);
/* As hr_nab_profiles_parse on a file (HR_EIO if it cannot be read). */
HR_EXPORT int hr_nab_profiles_read(const char *path, hr_nab_profile *out, size_t max,
                                   hr_error *err);

/* One labelled window: both ends inclusive, Unix seconds (fractions of a
 * second in the labels are dropped). */
typedef struct hr_nab_window {
    int64_t start, end;
} hr_nab_window;

typedef struct hr_nab_labels hr_nab_labels;

/* Parse combined_windows.json: an object mapping "<category>/<file>.csv"
 * to a list of [start, end] pairs of timestamp strings (hr_time_parse
 * formats). In each list start <= end, and windows are sorted and do not
 * overlap (HR_EPARSE naming the key otherwise). Limits HR_NAB_MAX_FILES,
 * HR_NAB_MAX_WINDOWS, HR_NAB_MAX_JSON_BYTES (HR_ELIMIT). Free with
 * hr_nab_labels_free. */
HR_EXPORT int hr_nab_labels_parse(const char *buf, size_t len, const char *name,
                                  hr_nab_labels **out, hr_error *err);
HR_EXPORT int hr_nab_labels_read(const char *path, hr_nab_labels **out, hr_error *err);
HR_EXPORT void hr_nab_labels_free(hr_nab_labels *l); /* NULL-safe */
/* Number of files (keys), in file order. */
HR_EXPORT size_t hr_nab_labels_count(const hr_nab_labels *l);
/* Key i ("realAWSCloudwatch/x.csv"); NULL if i is out of range. */
HR_EXPORT const char *hr_nab_labels_key(const hr_nab_labels *l, size_t i);
/* Windows of key i: count, and *w points into `l` (valid until freed). */
HR_EXPORT size_t hr_nab_labels_windows(const hr_nab_labels *l, size_t i, const hr_nab_window **w);
/* Index of `key`, or HR_ENOTFOUND. */
HR_EXPORT int hr_nab_labels_find(const hr_nab_labels *l, const char *key);

/* Probationary rows of a file of n rows: min(floor(0.15 n), 750). */
HR_EXPORT size_t hr_nab_probation(size_t n);
/* NAB's scaled sigmoid: 2 / (1 + exp(5x)) - 1 for x <= 3, else -1. */
HR_EXPORT double hr_nab_sigmoid(double x);

/* Results of reading one detector's output file: the anomaly_score column. */
/* Parse a NAB results CSV: a header naming an "anomaly_score" column (any
 * other columns are ignored, e.g. timestamp, value, label, raw_score), then
 * one row per data row. Scores must be numbers in [0, 1] (NaN, text and
 * values outside are HR_EPARSE naming line and column). *scores is a
 * malloc'd array (free it) of *n values; both are written only on success. */
HR_EXPORT int hr_nab_results_parse(const char *buf, size_t len, const char *name, double **scores,
                                   size_t *n, hr_error *err);
HR_EXPORT int hr_nab_results_read(const char *path, double **scores, size_t *n, hr_error *err);

typedef struct hr_nab_scorer hr_nab_scorer;

/* Result of scoring a corpus under one profile. */
typedef struct hr_nab_result {
    double threshold;      /* chosen (or given) threshold; 1.1 = no detections */
    double raw;            /* corpus raw score at that threshold */
    double score;          /* normalised: 100 (raw - null) / (perfect - null) */
    size_t tp, fp, fn, tn; /* rows (non-probationary) by NAB's per-row count */
    size_t windows;        /* N_w: windows of every file added */
} hr_nab_result;

/* An empty corpus for the given profiles (copied; 1..HR_NAB_MAX_PROFILES).
 * Free with hr_nab_scorer_free. */
HR_EXPORT int hr_nab_scorer_new(const hr_nab_profile *profiles, size_t nprofiles,
                                hr_nab_scorer **out, hr_error *err);
HR_EXPORT void hr_nab_scorer_free(hr_nab_scorer *s); /* NULL-safe */
/* Add one file: its n rows' timestamps (non-decreasing; repeats allowed),
 * the detector's score per row and the file's windows. A window's left row
 * L is the first row whose timestamp equals its start, R the first row
 * equal to its end (HR_EDATA naming `key` if either is missing). Scores
 * must lie in [0, 1] (HR_EDATA naming the row otherwise). n >= 1. */
HR_EXPORT int hr_nab_scorer_add(hr_nab_scorer *s, const char *key, const int64_t *t,
                                const double *scores, size_t n, const hr_nab_window *w, size_t nw,
                                hr_error *err);
/* NAB's threshold optimisation for profile `p` (index into the profiles
 * given at creation): the candidate with the best corpus raw score, the
 * highest threshold on a tie. HR_EINVAL for a bad index, HR_EDATA when no
 * window was added (the normalisation is then undefined). */
HR_EXPORT int hr_nab_scorer_optimize(const hr_nab_scorer *s, size_t p, hr_nab_result *out,
                                     hr_error *err);
/* The score at a fixed threshold (rows with score >= threshold detect). */
HR_EXPORT int hr_nab_scorer_at(const hr_nab_scorer *s, size_t p, double threshold,
                               hr_nab_result *out, hr_error *err);

/* ==== streaming detectors ==========================================================
 * A detector is fed one sample at a time (timestamp, value) and returns a
 * score in [0, 1] for it at once: a score never depends on later samples.
 * Work per sample is O(1) and memory is bounded (hr_detector_state_bytes):
 * fixed when the detector is created, but for the ensemble's list of the
 * value patterns seen (at most 1,728 bytes with the default buckets), and
 * except for the "gaussian" baseline, whose window is NAB's 6,400 values
 * (O(window) per sample).
 *
 * Registered detectors (hr_detector_list):
 *   gaussian  NAB's windowedGaussian, a faithful port (the baseline)
 *   ewma      robust EWMA level with a MAD-like scale and a time-of-day profile
 *   residual  one-step forecast residuals (Holt level/trend + daily profile,
 *             or a model of the forecasting engine) scored by tail probability
 *   cusum     two-sided CUSUM on standardised residuals (level shifts)
 *   bocpd     Bayesian online change point detection (Adams & MacKay 2007),
 *             Normal-Gamma model, run length truncated at a fixed maximum
 *   ensemble  the default, used for NAB: a CUSUM record (the CUSUM of the
 *             forecast residual over the larger of its own recent maximum
 *             and its maximum at the same time of day, +-40 min, on earlier
 *             days; multiplied by 0.8 when no new value pattern came in
 *             the last 50 samples), pattern novelty (values in 8 buckets
 *             over the range seen, a burst of never-seen 3-bucket patterns
 *             scored by Numenta's likelihood step), the range rule of NAB's
 *             numenta detector (a value beyond the range seen so far by
 *             10 % of it scores 1) and a 200-sample hold-off (scores
 *             halved) after a score of 0.55 or more; reasons name "cusum",
 *             "pattern" or "range" (interval: the range seen, widened by
 *             10 %)
 *
 * Samples: timestamps must not decrease (repeats are fine); a NaN value is a
 * missing sample (score 0, state unchanged); an infinite value is
 * HR_EINVAL. */

typedef struct hr_detector hr_detector;

#define HR_DETECTOR_SPEC_MAX   64
#define HR_DETECTOR_PARAMS_MAX 256 /* bytes of "name:params", params included */

typedef struct hr_detector_opts {
    /* Engine model for "residual" ("" = the built-in Holt + daily profile;
     * e.g. "naive", "ets"): fitted on the first `warmup` values, then
     * hr_model_update + a one-step forecast per sample. */
    char model[HR_DETECTOR_SPEC_MAX];
    size_t warmup; /* samples before any score (0 = the detector's default) */
} hr_detector_opts;

/* Why a sample scored what it did. `detector` names the detector (for the
 * ensemble: the member that contributed most); `expected` and [lo, hi] are
 * its expected value and central interval (NaN when it has none, e.g. before
 * warm-up), `observed` the value fed. */
typedef struct hr_anomaly_reason {
    const char *detector; /* static string */
    double score;         /* = the returned score */
    double expected, lo, hi;
    double observed;
    const char *suppressed; /* NULL, or the annotation that makes it expected
                               (hr_suppress_apply; owned by the suppressor) */
} hr_anomaly_reason;

/* Create a detector by name (NULL opts = defaults). HR_ENOTFOUND for an
 * unknown name, HR_EINVAL for bad options. Free with hr_detector_free.
 *
 * Developer option: "ensemble:key=value,key=value" overrides the
 * ensemble's constants (the keys and their defaults are listed in
 * lib/anomaly/ensemble.c and docs/BENCHMARKS.md; used to run the grids of
 * bench/nab_cv.py from committed code). HR_EINVAL for an unknown key, a
 * value that is not a number or out of its range, or parameters given to
 * another detector; HR_ELIMIT past HR_DETECTOR_PARAMS_MAX - 1 bytes. */
HR_EXPORT int hr_detector_new(const char *name, const hr_detector_opts *opts, hr_detector **out,
                              hr_error *err);
HR_EXPORT void hr_detector_free(hr_detector *d); /* NULL-safe */
/* Feed one sample: *score gets its score in [0, 1]; `why` (may be NULL)
 * its reason. HR_EINVAL for an infinite value or a timestamp earlier than
 * the previous one, HR_ENOMEM when the ensemble's list of patterns seen
 * cannot grow (the state is then unchanged). */
HR_EXPORT int hr_detector_feed(hr_detector *d, int64_t t, double value, double *score,
                               hr_anomaly_reason *why);
HR_EXPORT const char *hr_detector_name(const hr_detector *d);
/* Bytes of state held for the series (the object and everything it owns). */
HR_EXPORT size_t hr_detector_state_bytes(const hr_detector *d);
/* Registry listing, as hr_model_list. */
HR_EXPORT size_t hr_detector_list(const char **names, const char **summaries, size_t max);

/* ==== root cause ===================================================================
 * Given an aggregate (a host's CPU, a region's demand) that deviates from
 * its expected value at some time, and the observed and expected values of
 * the series beneath it at that time, rank the children by their
 * contribution to the deviation. */

typedef struct hr_rca_item {
    size_t child; /* index into the inputs */
    double observed, expected;
    double deviation; /* observed - expected */
    double share;     /* deviation / the aggregate's deviation (NaN if that is 0) */
} hr_rca_item;

/* Fill out[0..n) with every child, ranked: first those that deviate in the
 * direction of the aggregate's deviation (agg_observed - agg_expected),
 * largest first, then the others. Children with a NaN value rank last with
 * NaN figures. The shares of an additive aggregate sum to 1. HR_EINVAL for
 * NULL arrays with n > 0 or a non-finite aggregate. */
HR_EXPORT int hr_anomaly_explain(double agg_observed, double agg_expected,
                                 const double *child_observed, const double *child_expected,
                                 size_t n, hr_rca_item *out, hr_error *err);

/* ==== suppression ===================================================================
 * Annotations that the control loop fills: maintenance windows and its own
 * actions (a migration, a resize), after which the signal is expected to
 * move. A detection inside one is marked expected, not an alarm. */

#define HR_SUPPRESS_MAX      100000 /* annotations per set */
#define HR_SUPPRESS_TEXT_MAX 64     /* bytes kept of an annotation's text */

typedef struct hr_suppressor hr_suppressor;

/* An empty set holding at most `max` annotations (1..HR_SUPPRESS_MAX).
 * Free with hr_suppress_free. */
HR_EXPORT int hr_suppress_new(size_t max, hr_suppressor **out);
HR_EXPORT void hr_suppress_free(hr_suppressor *s); /* NULL-safe */
/* A maintenance window [start, end] (Unix seconds, inclusive) with a short
 * text (copied, cut at HR_SUPPRESS_TEXT_MAX - 1 bytes). HR_EINVAL if
 * end < start, HR_ELIMIT past `max`. */
HR_EXPORT int hr_suppress_add_window(hr_suppressor *s, int64_t start, int64_t end,
                                     const char *text);
/* An action of the loop at time t whose effect settles within settle_sec:
 * the window [t, t + settle_sec]. */
HR_EXPORT int hr_suppress_add_action(hr_suppressor *s, int64_t t, int64_t settle_sec,
                                     const char *text);
/* The text of an annotation covering t (the latest-starting one), or NULL.
 * Linear in the number of annotations. */
HR_EXPORT const char *hr_suppress_check(const hr_suppressor *s, int64_t t);
/* Mark a detection: when t is covered, why->suppressed gets the annotation's
 * text and true is returned; the score itself is kept (the detector has
 * learnt the sample either way). */
HR_EXPORT bool hr_suppress_apply(const hr_suppressor *s, int64_t t, hr_anomaly_reason *why);

#endif
