/* daemon/anomaly.h - streaming anomaly detection over every stored series
 * (anomaly.c), the anomalies and annotations it keeps (store_anomalies.c).
 *
 * Each series matching anomaly.match, up to anomaly.max_series of them
 * (in the order they are first seen), has a detector of lib/anomaly
 * (anomaly.detector, "ensemble") fed its samples in time order: a pass reads, for every series, the
 * samples after the newest one fed (its cursor) through hrd_store_read.
 * A score >= anomaly.threshold is an anomaly: stored with its reason and,
 * unless an annotation covers it (a maintenance window, or a move of the
 * control loop within anomaly.settle), it raises the alert ("anomaly",
 * SERIES), one open alert per series while anomalies follow each other
 * within anomaly.alert_window (of sample time). Anomalies and cursors are
 * committed in one transaction; after a restart each detector is rebuilt
 * by re-feeding the anomaly.replay seconds before its cursor, silently, so
 * nothing already judged is judged (or alerted) again.
 *
 * Samples that arrive later than the cursor of their series (out of order
 * by more than a pass) are not fed.
 *
 * Thread-safety: one hrd_anomaly is used by one thread (the alerts
 * thread); the store functions may be called from any thread.
 */
#ifndef HRD_ANOMALY_H
#define HRD_ANOMALY_H

#include "daemon/server.h"

#include <headroom/anomaly.h>

typedef struct hrd_anomaly hrd_anomaly;

/* Create the tables if missing and check anomaly.detector. HR_ENOTFOUND /
 * HR_EINVAL for a bad detector (err names it), HR_EIO. */
int hrd_anomaly_new(hrd_store *st, const hrd_config *c, hrd_anomaly **out, hr_error *err);
/* New anomaly.* settings (a new detector applies to series seen after). */
void hrd_anomaly_reload(hrd_anomaly *a, const hrd_config *c);
/* One pass over every series, feeding at most `budget` samples in all.
 * Returns the anomalies found (>= 0); *more is set when the budget ran out
 * before every series was up to date. HR_EIO when the store fails. */
int hrd_anomaly_pass(hrd_anomaly *a, size_t budget, bool *more, hr_error *err);
/* For /metrics. */
typedef struct hrd_anomaly_stats {
    uint64_t samples, found, passes; /* fed, anomalies, passes run */
    uint64_t series;                 /* series with a detector */
    double pass_seconds;             /* wall time spent in passes */
} hrd_anomaly_stats;
void hrd_anomaly_get_stats(hrd_anomaly *a, hrd_anomaly_stats *st);
void hrd_anomaly_free(hrd_anomaly *a); /* NULL-safe */

/* ---- the store (store_anomalies.c) ------------------------------------------------ */

/* One anomaly: NaN for expected/lo/hi when the detector had none. */
typedef struct hrd_anomaly_rec {
    const char *series;
    int64_t t;
    double score, observed, expected, lo, hi;
    const char *detector;
    char reason[256];
    char suppressed[HR_SUPPRESS_TEXT_MAX]; /* "" when not suppressed */
} hrd_anomaly_rec;

/* Create the anomaly tables if missing. */
int hrd_anomaly_schema(hrd_store *s, hr_error *err);
/* The cursor of `key` (a series, or "" for the journal): 0 and *t, or
 * HR_ENOTFOUND. */
int hrd_anomaly_cursor(hrd_store *s, const char *key, int64_t *t, hr_error *err);
/* A cursor to set. */
typedef struct hrd_anomaly_mark {
    const char *key;
    int64_t t;
} hrd_anomaly_mark;
/* Store anomalies and set cursors, in one transaction. */
int hrd_anomaly_commit(hrd_store *s, const hrd_anomaly_rec *recs, size_t nrec,
                       const hrd_anomaly_mark *marks, size_t nmark, hr_error *err);
/* Newest time of an anomaly of `series` that was not suppressed:
 * 0 and *t, or HR_ENOTFOUND. */
int hrd_anomaly_last_alerted(hrd_store *s, const char *series, int64_t *t, hr_error *err);
/* Anomalies with id > after, of `series` (NULL = all), from <= t <= to, in
 * id order (detection order: time order within a series), at most limit:
 * a JSON array of {"id", "series", "time", "score", "observed", "expected",
 * "interval": [lo, hi], "detector", "reason", "suppressed", "detected"}. */
int hrd_anomaly_list(hrd_store *s, const char *series, int64_t from, int64_t to, int64_t after,
                     size_t limit, json_t **out, hr_error *err);

/* Annotations: [start, end] (Unix seconds) with a text, for one series or
 * (series NULL) for all. Returns the new id (> 0). */
int64_t hrd_annotation_add(hrd_store *s, int64_t start, int64_t end, const char *series,
                           const char *text, hr_error *err);
/* Annotations with id > after, at most limit: [{"id", "start", "end",
 * "series" (or null), "text"}]. */
int hrd_annotation_list(hrd_store *s, int64_t after, size_t limit, json_t **out, hr_error *err);
/* Annotations ending at or after min_end, newest first, at most limit
 * (as hrd_annotation_list). */
int hrd_annotation_active(hrd_store *s, int64_t min_end, size_t limit, json_t **out, hr_error *err);
/* 1 if deleted, 0 if there was none. */
int hrd_annotation_delete(hrd_store *s, int64_t id, hr_error *err);

#endif
