/* daemon/store.h - the daemon's durable store: SQLite in WAL mode.
 *
 * Telemetry: each series is a row of `series`; its samples live in Gorilla
 * chunks (include/headroom/store.h) in `chunks`, and the newest ones in an
 * in-memory head per series, made durable by the `wal` table.
 * Writes go through one writer thread that commits every queued write in a
 * single transaction (group commit, synchronous=FULL) holding one wal row
 * (a Gorilla record per series written): hrd_store_write returns only once
 * its samples are on disk, so an acknowledged sample survives kill -9 and
 * power loss. After each group, heads holding 1.5 x `chunk_samples` move
 * whole chunks of their oldest samples into `chunks`, keeping at least
 * chunk_samples / 2 newest ones; wal rows no head needs are deleted (a
 * head lets go of its old rows as it is compacted), and heads that pin
 * rows older than `wal_keep_rows` (idle ones) are logged again (a
 * checkpoint). On open, the wal is replayed into the heads.
 *
 * Samples may arrive in any order while they are newer than the series'
 * newest compacted sample (the head, at least chunk_samples / 2 samples, is
 * the out-of-order window). A sample
 * whose timestamp is already stored (a retry) or that is at or before the
 * newest compacted sample is skipped and counted, never an error.
 *
 * Maintenance (run by the writer thread every `maintain_sec`): raw samples
 * older than `raw_retention_sec` are downsampled to hourly means and the
 * raw chunks deleted; hourly points older than `hourly_retention_sec` are
 * deleted (0 = keep forever).
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef HRD_STORE_H
#define HRD_STORE_H

#include <headroom/headroom.h>

#include <jansson.h>

#define HRD_SERIES_NAME_MAX HR_SERIES_KEY_MAX
#define HRD_HOURLY_STEP     3600

typedef struct hrd_store hrd_store;

typedef struct hrd_store_opts {
    const char *dir;              /* created if missing (0700) */
    size_t chunk_samples;         /* samples per chunk (0 = 120) */
    int64_t raw_retention_sec;    /* 0 = keep raw samples forever */
    int64_t hourly_retention_sec; /* 0 = keep hourly points forever */
    double maintain_sec;          /* maintenance period of the writer (0 = 60) */
    size_t max_series;            /* 0 = 1,000,000 */
    size_t wal_keep_rows;         /* checkpoint heads pinning older wal rows (0 = 4096) */
    /* Wall clock for retention (NULL = time(NULL)); tests pass their own. */
    int64_t (*now)(void *ud);
    void *now_ud;
} hrd_store_opts;

/* Open (creating the schema) and start the writer thread. HR_EIO names the
 * file and SQLite's message. */
int hrd_store_open(const hrd_store_opts *o, hrd_store **out, hr_error *err);
/* Stop the writer after the writes already queued and close. NULL-safe. */
void hrd_store_close(hrd_store *s);

/* One series' samples in a write. */
typedef struct hrd_write {
    const char *series; /* validated by the caller: hr_series_key_ok */
    const char *labels; /* JSON object text or NULL; stored when the series is created */
    int64_t *t;         /* sorted in place by hrd_store_write */
    double *v;
    size_t n;
} hrd_write;

typedef struct hrd_write_result {
    size_t stored;  /* samples stored */
    size_t skipped; /* samples already stored, or older than their series' chunks */
} hrd_write_result;

/* Store the writes and wait until they are durable. All or nothing: on
 * failure nothing of this call is stored. HR_ELIMIT past max_series (err
 * names the series), HR_EIO. */
int hrd_store_write(hrd_store *s, hrd_write *w, size_t nw, hrd_write_result *res, hr_error *err);

/* Samples of `series` with from <= t <= to in time order, at most `limit`
 * (hourly means for the downsampled past, raw samples after it). *more is
 * set when samples beyond the limit exist. HR_ENOTFOUND for an unknown
 * series. t and v are hr_vec of int64_t and double, initialised by the
 * caller. */
int hrd_store_read(hrd_store *s, const char *series, int64_t from, int64_t to, size_t limit,
                   hr_vec *t, hr_vec *v, bool *more, hr_error *err);

/* Series names in order, after `after` (NULL or "" = from the start), at
 * most `limit`: a JSON array of {"name", "labels", "samples"}. */
int hrd_store_list_series(hrd_store *s, const char *after, size_t limit, json_t **out,
                          hr_error *err);

/* Run compaction, downsampling and retention now (the writer also does it
 * periodically); waits for it. */
int hrd_store_maintain(hrd_store *s, hr_error *err);

typedef struct hrd_store_stats {
    uint64_t samples_stored, samples_skipped, commits, series;
    uint64_t head_samples; /* not yet in chunks */
    uint64_t chunk_bytes, chunk_samples;
    uint64_t db_bytes;
} hrd_store_stats;
void hrd_store_get_stats(hrd_store *s, hrd_store_stats *st);

/* ---- fleet objects, modes, tokens, journal (store_objects.c) -------------------- */

/* Kinds of named objects kept as JSON documents. */
bool hrd_kind_ok(const char *kind);
/* Create (HR_EEXIST if present) or replace (create=false; HR_ENOTFOUND if
 * absent) the object; `body` is stored as compact JSON. */
int hrd_obj_put(hrd_store *s, const char *kind, const char *name, const json_t *body, bool create,
                hr_error *err);
int hrd_obj_get(hrd_store *s, const char *kind, const char *name, json_t **out, hr_error *err);
int hrd_obj_delete(hrd_store *s, const char *kind, const char *name, hr_error *err);
/* Objects after `after`, at most `limit`, as a JSON array of bodies. */
int hrd_obj_list(hrd_store *s, const char *kind, const char *after, size_t limit, json_t **out,
                 hr_error *err);

/* Control mode of a fleet ("observe", "reactive", "predictive"); a fleet
 * not set yet is "observe". */
int hrd_mode_get(hrd_store *s, const char *fleet, char *mode, size_t size, hr_error *err);
int hrd_mode_set(hrd_store *s, const char *fleet, const char *mode, hr_error *err);

/* Tokens: only SHA-256 hashes are stored. Scopes: "read", "write", "admin"
 * (each implies the ones before it). hrd_token_create writes the token
 * (64 hex characters + NUL) into tok[65]. */
int hrd_token_create(hrd_store *s, const char *scope, char tok[65], hr_error *err);
/* The scope rank of a token (1 read, 2 write, 3 admin) or 0 if unknown. */
int hrd_token_check(hrd_store *s, const char *tok);
int hrd_scope_rank(const char *scope);

/* Append an entry to the action journal, durably (synchronous commit);
 * returns its id (> 0). */
int64_t hrd_journal_append(hrd_store *s, const char *kind, const json_t *body, hr_error *err);
int hrd_journal_list(hrd_store *s, int64_t after, size_t limit, json_t **out, hr_error *err);

/* Keep a forecast (the API's JSON answer) of `series`; returns its id. */
int64_t hrd_forecast_save(hrd_store *s, const char *series, const json_t *body, hr_error *err);

/* Insert a plan (id <= 0; returns its new id) or replace plan `id`'s status
 * and body (returns id; HR_ENOTFOUND if absent). store_objects.c. */
int64_t hrd_plan_save(hrd_store *s, int64_t id, const char *status, const json_t *body,
                      hr_error *err);

/* ---- alerts (store_alerts.c) ------------------------------------------------------ */

/* Open an alert of `kind` about `subject` (one open alert per pair: an open
 * one gets the new body). Returns its id, 1 in *is_new when it was opened
 * now. Every state change is queued for the webhook. */
int64_t hrd_alert_raise(hrd_store *s, const char *kind, const char *subject, const json_t *body,
                        bool *is_new, hr_error *err);
/* Resolve the open alert of (kind, subject), if any: 1 if one was, 0 if none. */
int hrd_alert_resolve(hrd_store *s, const char *kind, const char *subject, hr_error *err);
/* Alerts with id > after, newest state, `state` "open", "resolved" or NULL
 * (all); a JSON array. */
int hrd_alert_list(hrd_store *s, const char *state, int64_t after, size_t limit, json_t **out,
                   hr_error *err);
/* Alerts whose current state was not delivered yet, due at `now`, fewer
 * than `max_attempts` tries: a JSON array of the alert objects. */
int hrd_alert_undelivered(hrd_store *s, int64_t now, int max_attempts, size_t limit, json_t **out,
                          hr_error *err);
/* Record a delivery of `state`, or a failed try (attempts, next try time). */
int hrd_alert_delivered(hrd_store *s, int64_t id, const char *state, hr_error *err);
int hrd_alert_failed(hrd_store *s, int64_t id, int attempts, int64_t next_try, hr_error *err);
/* Open alerts per kind, for /metrics: calls fn(kind, count). */
int hrd_alert_open_counts(hrd_store *s, void (*fn)(void *ud, const char *kind, int64_t n),
                          void *ud);

/* The database handle for store_objects.c (one connection, serialised). */
struct sqlite3;
struct sqlite3 *hrd__store_admin_db(hrd_store *s);
void hrd__store_admin_unlock(hrd_store *s);

#endif
