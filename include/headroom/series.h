/* headroom/series.h - regular time series, resampling, gap filling, readers.
 *
 * A series is regular: values[i] is the observation at start + i*step.
 * Gaps are NaN. `step` is in seconds; 0 means "index only" (e.g. M4 series,
 * which carry no timestamps).
 */
#ifndef HEADROOM_SERIES_H
#define HEADROOM_SERIES_H

#include "common.h"
#include "error.h"

typedef struct hr_series {
    char *name;     /* owned, may be NULL */
    int64_t start;  /* Unix seconds of values[0] (0 when step == 0) */
    int64_t step;   /* seconds between values, > 0; 0 = index only */
    size_t len;     /* number of values */
    size_t cap;     /* allocated values */
    double *values; /* owned; NaN marks a gap */
} hr_series;

/* Initialise an empty series. `name` is copied (may be NULL). */
HR_EXPORT int hr_series_init(hr_series *s, const char *name, int64_t start, int64_t step);
/* Free the values and name; the struct can be re-initialised. NULL-safe. */
HR_EXPORT void hr_series_release(hr_series *s);
HR_EXPORT int hr_series_append(hr_series *s, double v);
/* Initialise `s` as a copy of values[0..n). */
HR_EXPORT int hr_series_from_array(hr_series *s, const char *name, int64_t start, int64_t step,
                                   const double *values, size_t n);
HR_EXPORT int hr_series_copy(hr_series *dst, const hr_series *src);
/* Number of NaN values. */
HR_EXPORT size_t hr_series_count_gaps(const hr_series *s);

typedef enum hr_agg { HR_AGG_MEAN, HR_AGG_MAX, HR_AGG_LAST, HR_AGG_SUM } hr_agg;

/* Resample to `new_step` seconds. Upsampling is not supported here (new_step
 * must be a multiple of step; HR_EINVAL otherwise). Bucket k covers
 * [start + k*new_step, start + (k+1)*new_step) with the output start aligned
 * down to a multiple of new_step. NaNs inside a bucket are ignored; an
 * all-NaN bucket gives NaN. `out` is initialised by the call. */
HR_EXPORT int hr_series_resample(const hr_series *in, int64_t new_step, hr_agg agg,
                                 hr_series *out, hr_error *err);

typedef enum hr_fill {
    HR_FILL_NONE,     /* leave NaN */
    HR_FILL_PREVIOUS, /* carry the last value forward (leading gaps: next value) */
    HR_FILL_LINEAR,   /* linear interpolation (edges: nearest value) */
    HR_FILL_ZERO,     /* 0 */
    HR_FILL_SEASONAL, /* value one `period` earlier (or later at the start), else linear */
} hr_fill;

/* Fill gaps in place. `period` is used by HR_FILL_SEASONAL only.
 * HR_EDATA if the series has no finite value at all. */
HR_EXPORT int hr_series_fill_gaps(hr_series *s, hr_fill policy, size_t period, hr_error *err);

/* ---- readers ------------------------------------------------------------------
 * Every reader reports bad input as HR_EPARSE with "file:line:col: what",
 * using `name` (the path) in messages. The *_parse variants read from memory
 * (used by the fuzz targets); `name` then only labels the messages.
 * Limits: at most HR_SERIES_MAX_LEN values per series. */
#define HR_SERIES_MAX_LEN ((size_t)100000000)
/* The NAB reader refuses files whose missing steps (NaN gaps it would make)
 * add up to more than this (HR_ELIMIT): a few rows far apart must not make
 * a huge series. */
#define HR_SERIES_MAX_GAP_STEPS ((size_t)10000000)

/* NAB layout: header "timestamp,value", then "YYYY-MM-DD HH:MM:SS,<number>"
 * (any hr_time_parse format). Timestamps must be strictly increasing; the
 * step is the most common difference; missing steps become NaN gaps and a
 * timestamp off the grid is an error. CRLF accepted. */
HR_EXPORT int hr_series_read_csv(const char *path, hr_series *out, hr_error *err);
HR_EXPORT int hr_series_parse_csv(const char *buf, size_t len, const char *name,
                                  hr_series *out, hr_error *err);

/* PlanetLab layout: one number per line, no header; the series gets the
 * given start and step (PlanetLab: 300 s). Blank lines are errors. */
HR_EXPORT int hr_series_read_lines(const char *path, int64_t start, int64_t step,
                                   hr_series *out, hr_error *err);
HR_EXPORT int hr_series_parse_lines(const char *buf, size_t len, const char *name, int64_t start,
                                    int64_t step, hr_series *out, hr_error *err);

/* A list of series (owns them). */
typedef struct hr_series_set {
    size_t len, cap;
    hr_series *items;
} hr_series_set;

HR_EXPORT void hr_series_set_release(hr_series_set *set);
/* Index of the series named `name`, or HR_ENOTFOUND. */
HR_EXPORT int hr_series_set_find(const hr_series_set *set, const char *name);

/* M4 wide CSV: header "V1","V2",...; each row a quoted id then quoted values,
 * short rows padded with empty unquoted cells (trailing only: a value after
 * an empty cell is an error). Every series gets step 0, start 0 and its id as
 * name. Rows longer than the header, bad numbers, unterminated quotes,
 * duplicate ids and an empty file are errors. `out` is initialised. */
HR_EXPORT int hr_m4_read(const char *path, hr_series_set *out, hr_error *err);
HR_EXPORT int hr_m4_parse(const char *buf, size_t len, const char *name, hr_series_set *out,
                          hr_error *err);

/* Read a whole file into a NUL-terminated heap buffer (free() it), with a
 * size limit. HR_EIO (err names the path and strerror) or HR_ELIMIT. */
HR_EXPORT int hr_read_file(const char *path, size_t limit_bytes, char **out, size_t *len,
                           hr_error *err);

#endif
