/* Anomalies, detection cursors and annotations in the store (anomaly.h).
 * The annotations table is created by store.c: (id, at = start, series,
 * body = {"start", "end", "text"}). */
#include "daemon/anomaly.h"
#include "daemon/sql.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

static const char *schema =
    "CREATE TABLE IF NOT EXISTS anomalies(id INTEGER PRIMARY KEY, series TEXT NOT NULL,"
    " t INTEGER NOT NULL, score REAL NOT NULL, observed REAL, expected REAL, lo REAL, hi REAL,"
    " detector TEXT NOT NULL, reason TEXT NOT NULL, suppressed TEXT, detected INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS anomalies_series ON anomalies(series, t);"
    "CREATE TABLE IF NOT EXISTS anomaly_cursors(key TEXT PRIMARY KEY, t INTEGER NOT NULL)"
    " WITHOUT ROWID;";

int hrd_anomaly_schema(hrd_store *s, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    int rc = hrd__sql_exec(db, schema, err);
    hrd__store_admin_unlock(s);
    return rc;
}

/* A single int64 from a query with one text parameter: 0, HR_ENOTFOUND or HR_EIO. */
static int one_int(hrd_store *s, const char *sql, const char *a, int64_t *out, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = HR_ENOTFOUND;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = hrd__sql_error(err, db, "anomalies");
    } else {
        sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            *out = sqlite3_column_int64(st, 0);
            rc = 0;
        } else if (step != SQLITE_ROW && step != SQLITE_DONE) {
            rc = hrd__sql_error(err, db, "anomalies");
        }
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}

int hrd_anomaly_cursor(hrd_store *s, const char *key, int64_t *t, hr_error *err)
{
    return one_int(s, "SELECT t FROM anomaly_cursors WHERE key = ?", key, t, err);
}

int hrd_anomaly_last_alerted(hrd_store *s, const char *series, int64_t *t, hr_error *err)
{
    return one_int(s, "SELECT max(t) FROM anomalies WHERE series = ? AND suppressed IS NULL",
                   series, t, err);
}

static void bind_num(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static int insert_recs(sqlite3 *db, const hrd_anomaly_rec *recs, size_t n, hr_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO anomalies(series, t, score, observed, expected, lo, hi,"
                           " detector, reason, suppressed, detected)"
                           " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return hrd__sql_error(err, db, "anomalies");
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const hrd_anomaly_rec *a = &recs[i];
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, a->series, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, a->t);
        sqlite3_bind_double(st, 3, a->score);
        bind_num(st, 4, a->observed);
        bind_num(st, 5, a->expected);
        bind_num(st, 6, a->lo);
        bind_num(st, 7, a->hi);
        sqlite3_bind_text(st, 8, a->detector, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, a->reason, -1, SQLITE_STATIC);
        if (a->suppressed[0])
            sqlite3_bind_text(st, 10, a->suppressed, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 10);
        sqlite3_bind_int64(st, 11, (int64_t)time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE) rc = hrd__sql_error(err, db, "anomalies");
    }
    sqlite3_finalize(st);
    return rc;
}

int hrd_anomaly_commit(hrd_store *s, const hrd_anomaly_rec *recs, size_t nrec,
                       const hrd_anomaly_mark *marks, size_t nmark, hr_error *err)
{
    if (!nrec && !nmark) return 0;
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = hrd__sql_exec(db, "BEGIN IMMEDIATE", err);
    if (rc < 0) goto out;
    if ((rc = insert_recs(db, recs, nrec, err)) < 0) goto rollback;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO anomaly_cursors(key, t) VALUES(?, ?)", -1,
                           &st, NULL) != SQLITE_OK) {
        rc = hrd__sql_error(err, db, "anomaly cursor");
        goto rollback;
    }
    for (size_t i = 0; i < nmark; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, marks[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, marks[i].t);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = hrd__sql_error(err, db, "anomaly cursor");
            goto rollback;
        }
    }
    rc = hrd__sql_exec(db, "COMMIT", err);
    if (rc == 0) goto out;
rollback:
    hrd__sql_exec(db, "ROLLBACK", NULL);
out:
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}

static json_t *num_or_null(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
                                                       : json_real(sqlite3_column_double(st, col));
}

static json_t *anomaly_json(sqlite3_stmt *st)
{
    const char *sup = (const char *)sqlite3_column_text(st, 10);
    return json_pack(
        "{s:I, s:s, s:I, s:f, s:o, s:o, s:[o, o], s:s, s:s, s:o, s:I}", "id",
        (json_int_t)sqlite3_column_int64(st, 0), "series", (const char *)sqlite3_column_text(st, 1),
        "time", (json_int_t)sqlite3_column_int64(st, 2), "score", sqlite3_column_double(st, 3),
        "observed", num_or_null(st, 4), "expected", num_or_null(st, 5), "interval",
        num_or_null(st, 6), num_or_null(st, 7), "detector",
        (const char *)sqlite3_column_text(st, 8), "reason",
        (const char *)sqlite3_column_text(st, 9), "suppressed",
        sup ? json_string(sup) : json_null(), "detected", (json_int_t)sqlite3_column_int64(st, 11));
}

/* Step a prepared statement (NULL: preparing failed), appending row(st)
 * per row; finalise it, release the database and hand the array over. */
static int collect(hrd_store *s, sqlite3 *db, sqlite3_stmt *st, json_t *(*row)(sqlite3_stmt *),
                   const char *what, json_t **out, hr_error *err)
{
    json_t *arr = json_array();
    int rc = 0, step = SQLITE_DONE;
    if (!st)
        rc = hrd__sql_error(err, db, what);
    else
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            json_t *o = row(st);
            if (o) json_array_append_new(arr, o);
        }
    if (rc == 0 && step != SQLITE_DONE) rc = hrd__sql_error(err, db, what);
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    if (rc == 0 && !arr) rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", what);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

static sqlite3_int64 limit64(size_t limit)
{
    return limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit;
}

int hrd_anomaly_list(hrd_store *s, const char *series, int64_t from, int64_t to, int64_t after,
                     size_t limit, json_t **out, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, series, t, score, observed, expected, lo, hi, detector,"
                           " reason, suppressed, detected FROM anomalies WHERE id > ?1"
                           " AND (?2 IS NULL OR series = ?2) AND t >= ?3 AND t <= ?4"
                           " ORDER BY id LIMIT ?5",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, after);
        if (series)
            sqlite3_bind_text(st, 2, series, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 2);
        sqlite3_bind_int64(st, 3, from);
        sqlite3_bind_int64(st, 4, to);
        sqlite3_bind_int64(st, 5, limit64(limit));
    }
    return collect(s, db, st, anomaly_json, "anomalies", out, err);
}

/* ---- annotations ------------------------------------------------------------------ */

int64_t hrd_annotation_add(hrd_store *s, int64_t start, int64_t end, const char *series,
                           const char *text, hr_error *err)
{
    json_t *b = json_pack("{s:I, s:I, s:s}", "start", (json_int_t)start, "end", (json_int_t)end,
                          "text", text);
    char *body = b ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(b);
    if (!body) return hr_error_set(err, HR_ENOMEM, "annotation: out of memory");
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int64_t id;
    if (sqlite3_prepare_v2(db, "INSERT INTO annotations(at, series, body) VALUES(?, ?, ?)", -1, &st,
                           NULL) != SQLITE_OK) {
        id = hrd__sql_error(err, db, "annotations");
    } else {
        sqlite3_bind_int64(st, 1, start);
        if (series)
            sqlite3_bind_text(st, 2, series, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 2);
        sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
        id = sqlite3_step(st) == SQLITE_DONE ? sqlite3_last_insert_rowid(db)
                                             : hrd__sql_error(err, db, "annotations");
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    free(body);
    return id;
}

static json_t *annotation_json(sqlite3_stmt *st)
{
    json_t *b = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
    const char *ser = (const char *)sqlite3_column_text(st, 1);
    json_t *o =
        json_pack("{s:I, s:O, s:O, s:o, s:O}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                  "start", json_object_get(b, "start"), "end", json_object_get(b, "end"), "series",
                  ser ? json_string(ser) : json_null(), "text", json_object_get(b, "text"));
    json_decref(b);
    return o;
}

int hrd_annotation_list(hrd_store *s, int64_t after, size_t limit, json_t **out, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, series, body FROM annotations WHERE id > ? ORDER BY id"
                           " LIMIT ?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, after);
        sqlite3_bind_int64(st, 2, limit64(limit));
    }
    return collect(s, db, st, annotation_json, "annotations", out, err);
}

int hrd_annotation_active(hrd_store *s, int64_t min_end, size_t limit, json_t **out, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, series, body FROM annotations"
                           " WHERE json_extract(body, '$.end') >= ? ORDER BY id DESC LIMIT ?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, min_end);
        sqlite3_bind_int64(st, 2, limit64(limit));
    }
    return collect(s, db, st, annotation_json, "annotations", out, err);
}

int hrd_annotation_delete(hrd_store *s, int64_t id, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(db, "DELETE FROM annotations WHERE id = ?", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = hrd__sql_error(err, db, "annotations");
    } else {
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db)
                                             : hrd__sql_error(err, db, "annotations");
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}
