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
/* Append one value (amortised O(1)): HR_ENOMEM, or HR_ELIMIT past
 * HR_SERIES_MAX_LEN. */
HR_EXPORT int hr_series_append(hr_series *s, double v);
/* Initialise `s` as a copy of values[0..n) (n may be 0). HR_EINVAL for a
 * negative step or NULL values with n > 0, HR_ELIMIT past
 * HR_SERIES_MAX_LEN. `s` is written only on success. */
HR_EXPORT int hr_series_from_array(hr_series *s, const char *name, int64_t start, int64_t step,
                                   const double *values, size_t n);
/* Initialise dst as a deep copy of src (name, start, step, values). */
HR_EXPORT int hr_series_copy(hr_series *dst, const hr_series *src);
/* Number of NaN values. */
HR_EXPORT size_t hr_series_count_gaps(const hr_series *s);

typedef enum hr_agg { HR_AGG_MEAN, HR_AGG_MAX, HR_AGG_LAST, HR_AGG_SUM } hr_agg;

/* Resample to `new_step` seconds. Upsampling is not supported here (new_step
 * must be a multiple of step; HR_EINVAL otherwise). Bucket k covers
 * [start + k*new_step, start + (k+1)*new_step) with the output start aligned
 * down to a multiple of new_step. NaNs inside a bucket are ignored; an
 * all-NaN bucket gives NaN (HR_AGG_SUM included). HR_EINVAL also for an
 * index-only input (step 0); HR_ERANGE if the time range overflows. An
 * empty input gives an empty output. `out` is initialised by the call
 * (name copied) and written only on success. */
HR_EXPORT int hr_series_resample(const hr_series *in, int64_t new_step, hr_agg agg, hr_series *out,
                                 hr_error *err);

typedef enum hr_fill {
    HR_FILL_NONE,     /* leave NaN */
    HR_FILL_PREVIOUS, /* carry the last value forward (leading gaps: next value) */
    HR_FILL_LINEAR,   /* linear interpolation (edges: nearest value) */
    HR_FILL_ZERO,     /* 0 */
    HR_FILL_SEASONAL, /* value one `period` earlier (or later at the start), else linear */
} hr_fill;

/* Fill gaps (NaN values) in place. `period` is used by HR_FILL_SEASONAL
 * only (HR_EINVAL if 0). Seasonal filling walks forward: a gap takes
 * values[i - period] (which may itself have been filled), or, for
 * i < period, values[i + period]; what is left is filled as HR_FILL_LINEAR.
 * HR_FILL_NONE never fails. Any other policy: HR_EDATA (series untouched)
 * if every value is NaN, the empty series included. */
HR_EXPORT int hr_series_fill_gaps(hr_series *s, hr_fill policy, size_t period, hr_error *err);

/* ---- readers ------------------------------------------------------------------
 * Every reader reports bad input as HR_EPARSE with "file:line:col: what",
 * using `name` (the path) in messages; line and column are 1-based, the
 * column a byte offset, and the offending text is quoted (cut at 40 bytes,
 * control bytes as \xNN), e.g. `x.csv:17:21: value "12,5" is not a number`.
 * The *_parse variants read from memory (used by the fuzz targets); `name`
 * (NULL = "<input>") then only labels the messages. The *_read variants add
 * HR_EIO / HR_ELIMIT from hr_read_file (files over 1 GiB are refused).
 * NaN/inf text and numbers outside double range are HR_EPARSE too. CRLF
 * line ends and a leading UTF-8 BOM are accepted. Values read are finite
 * (the NAB reader marks missing steps NaN).
 * Limits: at most HR_SERIES_MAX_LEN values per series (HR_ELIMIT).
 * `out` is written only on success and then owns everything. */
#define HR_SERIES_MAX_LEN ((size_t)100000000)
/* The NAB reader refuses files whose missing steps (NaN gaps it would make)
 * add up to more than this (HR_ELIMIT): a few rows far apart must not make
 * a huge series. */
#define HR_SERIES_MAX_GAP_STEPS ((size_t)10000000)

/* NAB layout: header "timestamp,value", then "YYYY-MM-DD HH:MM:SS,<number>"
 * (any hr_time_parse format; cells may be double-quoted). Timestamps must
 * be strictly increasing (a repeat is "duplicate timestamp"); the step is
 * the most common difference (ties: the smaller), so at least two rows are
 * needed; missing steps become NaN gaps and a timestamp off the grid
 * start + k*step is an error naming its line. Blank lines are errors. The
 * series is named after the last component of `name`. */
HR_EXPORT int hr_series_read_csv(const char *path, hr_series *out, hr_error *err);
HR_EXPORT int hr_series_parse_csv(const char *buf, size_t len, const char *name, hr_series *out,
                                  hr_error *err);

/* The NAB file row by row, for detectors and the NAB scorer, which work by
 * row index. Same layout, cell rules and messages as hr_series_read_csv,
 * but nothing is put on a grid: timestamps must be non-decreasing (a
 * repeat is allowed: two NAB files repeat 2014-03-09 03:00:00 twelve times
 * at a DST change; an earlier one is "timestamp ... is earlier than ...")
 * and every row is kept, in order. One data row is enough; a header alone
 * is "no data rows after the header". */
typedef struct hr_csv_rows {
    size_t len;       /* rows */
    int64_t *t;       /* [len] Unix seconds of each row (owned) */
    double *values;   /* [len] finite values (owned) */
    char *text;       /* owned: every row's timestamp text, NUL-terminated, back to back */
    size_t *text_off; /* [len] offset of row i's timestamp text in `text` */
} hr_csv_rows;

/* Row i's timestamp exactly as written in the file (without quotes). */
static inline const char *hr_csv_rows_time_text(const hr_csv_rows *r, size_t i)
{
    return r->text + r->text_off[i];
}
HR_EXPORT int hr_series_read_csv_rows(const char *path, hr_csv_rows *out, hr_error *err);
HR_EXPORT int hr_series_parse_csv_rows(const char *buf, size_t len, const char *name,
                                       hr_csv_rows *out, hr_error *err);
/* Free everything; the struct is zeroed. NULL-safe. */
HR_EXPORT void hr_csv_rows_release(hr_csv_rows *r);

/* PlanetLab layout: one number per line, no header; the series gets the
 * given start and step (PlanetLab: 300 s; HR_EINVAL if step < 0) and is
 * named after the last component of `name`. Blank lines (a trailing one
 * too) and an empty file are errors; the last line need not end in LF. */
HR_EXPORT int hr_series_read_lines(const char *path, int64_t start, int64_t step, hr_series *out,
                                   hr_error *err);
HR_EXPORT int hr_series_parse_lines(const char *buf, size_t len, const char *name, int64_t start,
                                    int64_t step, hr_series *out, hr_error *err);

/* A list of series (owns them). */
typedef struct hr_series_set {
    size_t len, cap;
    hr_series *items;
} hr_series_set;

/* Release every series and the array; NULL-safe. */
HR_EXPORT void hr_series_set_release(hr_series_set *set);
/* Index of the first series named `name` (linear search), HR_ENOTFOUND, or
 * HR_EINVAL for a NULL name. */
HR_EXPORT int hr_series_set_find(const hr_series_set *set, const char *name);

/* M4 wide CSV: header "V1","V2",...; each row a quoted id then quoted values,
 * short rows padded with empty unquoted cells (trailing only: a value after
 * an empty cell is an error). Every series gets step 0, start 0 and its id as
 * name. The header must be V1..Vn in order (n >= 2). Cells may also be
 * unquoted; "" in a quoted cell is a quote; a quoted empty cell counts as
 * empty; quoted cells cannot span lines. Rows shorter or longer than the
 * header, bad numbers, unterminated quotes, duplicate or empty ids, rows
 * without values, blank lines, a missing header, a header alone and an
 * empty file are errors. `out` is initialised. */
HR_EXPORT int hr_m4_read(const char *path, hr_series_set *out, hr_error *err);
HR_EXPORT int hr_m4_parse(const char *buf, size_t len, const char *name, hr_series_set *out,
                          hr_error *err);

/* Read a whole file into a NUL-terminated heap buffer (free() it), with a
 * size limit (0 = none). Opened with O_CLOEXEC; works for pipes and /proc
 * files of unknown size. HR_EIO (err names the path and strerror,
 * err->sys_errno is set; a directory is EISDIR), HR_ELIMIT (file larger
 * than limit_bytes) or HR_ENOMEM. *out and *len are written only on
 * success; len may be NULL. */
HR_EXPORT int hr_read_file(const char *path, size_t limit_bytes, char **out, size_t *len,
                           hr_error *err);

/* Write buf[0..len) to `path` atomically: a temporary file beside it is
 * written, fsync'ed, given mode 0666 & ~umask and renamed over `path`, and
 * the directory is fsync'ed. On failure `path` is untouched and the
 * temporary file removed. HR_EIO names the path and the failed step. */
HR_EXPORT int hr_write_file_atomic(const char *path, const void *buf, size_t len, hr_error *err);

#endif
