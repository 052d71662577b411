/* headroom/util.h - arena, growable vector, hash map, time, checked parsing.
 *
 * Small building blocks used by every subsystem. None of them prints or
 * exits. Unless stated, objects are not thread-safe: one owner at a time.
 */
#ifndef HEADROOM_UTIL_H
#define HEADROOM_UTIL_H

#include "common.h"
#include "error.h"

/* ---- checked number parsing -------------------------------------------------
 * Locale-independent. The whole span [s, s+len) must be the number: leading
 * or trailing garbage, empty input, overflow and (for doubles) NaN/Inf are
 * errors. Leading/trailing ASCII spaces are NOT accepted (callers trim).
 * Hex and spans of 128 bytes or more are refused. Underflow to a subnormal
 * or zero is accepted. Returns 0 and writes *out, or HR_EPARSE / HR_ERANGE. */
HR_EXPORT int hr_parse_double(const char *s, size_t len, double *out);
HR_EXPORT int hr_parse_int64(const char *s, size_t len, int64_t *out);
HR_EXPORT int hr_parse_uint64(const char *s, size_t len, uint64_t *out);
/* NUL-terminated conveniences. */
HR_EXPORT int hr_parse_double_z(const char *s, double *out);
HR_EXPORT int hr_parse_int64_z(const char *s, int64_t *out);

/* ---- time -------------------------------------------------------------------
 * Timestamps are int64 Unix seconds (UTC). */

/* Parse an ISO 8601 timestamp: "YYYY-MM-DD", "YYYY-MM-DD[T| ]HH:MM[:SS[.frac]]"
 * with optional "Z" or "+HH:MM"/"-HH:MM"/"+HHMM"/"+HH" offset (no offset =
 * UTC), or plain (optionally negative) Unix seconds: a span of digits is
 * always Unix seconds. Years 0000-9999 (proleptic Gregorian); 't'/'z' and a
 * ',' before the fraction are accepted. Fractional seconds are truncated.
 * The whole span must be the timestamp (no surrounding spaces).
 * HR_EPARSE for bad syntax; HR_ERANGE for a field out of range (month 13,
 * Feb 30 outside leap years, hour 24, second 60: no leap seconds, offset
 * past 23:59) or Unix seconds outside int64. *out_unix is written only on
 * success. */
HR_EXPORT int hr_time_parse(const char *s, size_t len, int64_t *out_unix);

/* Format as "YYYY-MM-DD HH:MM:SS" (UTC, NAB's layout) into buf (>= 20 bytes).
 * Returns the length written (19), HR_EINVAL if buf is too small, or
 * HR_ERANGE if t is outside years 0000-9999. */
HR_EXPORT int hr_time_format(int64_t t, char *buf, size_t size);

/* Monotonic clock in nanoseconds and in seconds (CLOCK_MONOTONIC).
 * Thread-safe. */
HR_EXPORT uint64_t hr_clock_ns(void);
HR_EXPORT double hr_clock_sec(void);

/* ---- arena ------------------------------------------------------------------
 * Bump allocator for per-request / per-round data; everything is freed at
 * once by hr_arena_release (or rewound with hr_arena_reset). `limit_bytes`
 * caps the total handed out, counted in max_align_t-rounded sizes (0 = no
 * cap); past it allocations return NULL. `block_size` 0 picks 8192 bytes;
 * a request larger than half a block gets a block of its own. */
typedef struct hr_arena_block hr_arena_block;
typedef struct hr_arena {
    hr_arena_block *head;
    size_t block_size;
    size_t used_bytes;  /* bytes handed out */
    size_t limit_bytes; /* 0 = unlimited */
} hr_arena;

HR_EXPORT void hr_arena_init(hr_arena *a, size_t block_size, size_t limit_bytes);
/* Aligned to max_align_t; NULL on overflow, limit or OOM. Size 0 gives a
 * distinct pointer (counted as one alignment unit). */
HR_EXPORT void *hr_arena_alloc(hr_arena *a, size_t size);
HR_EXPORT void *hr_arena_calloc(hr_arena *a, size_t n, size_t size);
/* Copy of at most len bytes of s (stops at a NUL), NUL-terminated. */
HR_EXPORT char *hr_arena_strndup(hr_arena *a, const char *s, size_t len);
/* Keep the first (oldest) block for reuse, free the rest; used_bytes = 0. */
HR_EXPORT void hr_arena_reset(hr_arena *a);
/* Free every block. NULL-safe; the arena may be used again after it. */
HR_EXPORT void hr_arena_release(hr_arena *a);

/* ---- growable vector ----------------------------------------------------------
 * Untyped vector of fixed-size elements with an element-count limit. */
typedef struct hr_vec {
    void *data;
    size_t len, cap;
    size_t elem_size;
    size_t max_len; /* 0 = unlimited; push past it returns HR_ELIMIT */
} hr_vec;

HR_EXPORT void hr_vec_init(hr_vec *v, size_t elem_size, size_t max_len);
HR_EXPORT void hr_vec_release(hr_vec *v);
/* Capacity >= n: HR_ELIMIT if n > max_len, HR_ENOMEM on OOM or if
 * n * elem_size overflows, HR_EINVAL if elem_size is 0. */
HR_EXPORT int hr_vec_reserve(hr_vec *v, size_t n);
/* Append (amortised O(1), capacity doubles, capped at max_len): HR_ELIMIT
 * when len == max_len, else as hr_vec_reserve. */
HR_EXPORT int hr_vec_push(hr_vec *v, const void *elem); /* copies elem_size bytes */
HR_EXPORT void *hr_vec_at(const hr_vec *v, size_t i);   /* NULL if i >= len */
/* Hand the buffer to the caller (free() it; NULL if nothing was ever
 * reserved) and reset the vector to empty, keeping elem_size and max_len. */
HR_EXPORT void *hr_vec_steal(hr_vec *v, size_t *len);

/* ---- hash map -----------------------------------------------------------------
 * String keys (copied) to void* values, open addressing with linear probing,
 * load factor <= 3/4, grows by doubling. Deletion shifts the rest of the
 * probe run back (no tombstones). `max_entries` limits growth (0 =
 * unlimited; putting a new key past it -> HR_ELIMIT; replacing is fine).
 * A NULL key is HR_EINVAL (put/del) or absent (get/has). */
typedef struct hr_map_slot hr_map_slot;
typedef struct hr_map {
    hr_map_slot *slots;
    size_t cap, len, max_entries;
} hr_map;

HR_EXPORT void hr_map_init(hr_map *m, size_t max_entries);
/* Frees the keys; values are the caller's (use hr_map_foreach first).
 * NULL-safe; the map may be used again after it. */
HR_EXPORT void hr_map_release(hr_map *m);
/* Insert or replace. If `old` is non-NULL it receives the replaced value or NULL.
 * HR_ENOMEM, HR_ELIMIT, HR_EINVAL. */
HR_EXPORT int hr_map_put(hr_map *m, const char *key, void *value, void **old);
HR_EXPORT void *hr_map_get(const hr_map *m, const char *key); /* NULL if absent */
HR_EXPORT bool hr_map_has(const hr_map *m, const char *key);
HR_EXPORT int hr_map_del(hr_map *m, const char *key, void **old); /* HR_ENOTFOUND */
/* Calls fn for each entry in unspecified order; stops early if fn returns non-zero
 * and returns that value. fn must not modify the map. */
HR_EXPORT int hr_map_foreach(const hr_map *m, int (*fn)(const char *key, void *value, void *ud),
                             void *ud);

/* ---- numerics -------------------------------------------------------------- */
/* Standard normal quantile (Wichura AS241, |rel err| < 1e-15) and CDF. */
HR_EXPORT double hr_norm_ppf(double p);
HR_EXPORT double hr_norm_cdf(double x);
/* Quantile of sorted data with linear interpolation (type 7, as numpy/R). */
HR_EXPORT double hr_quantile_sorted(const double *sorted, size_t n, double p);
/* Median of x (copied, x is not modified); NaN if n == 0. */
HR_EXPORT double hr_median(const double *x, size_t n);

#endif
