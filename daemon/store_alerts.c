/* Alerts in the store: one open alert per (kind, subject), every state
 * change queued for the webhook (sent_state != state), tries counted. */
#include "daemon/sql.h"
#include "daemon/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

static json_t *row_json(sqlite3_stmt *st)
{
    json_t *b = json_loads((const char *)sqlite3_column_text(st, 6), 0, NULL);
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:I, s:o, s:o, s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0),
        "kind", (const char *)sqlite3_column_text(st, 1), "subject",
        (const char *)sqlite3_column_text(st, 2), "state", (const char *)sqlite3_column_text(st, 3),
        "opened", (json_int_t)sqlite3_column_int64(st, 4), "resolved",
        sqlite3_column_type(st, 5) == SQLITE_NULL
            ? json_null()
            : json_integer((json_int_t)sqlite3_column_int64(st, 5)),
        "body", b ? b : json_null(), "attempts", (json_int_t)sqlite3_column_int64(st, 7));
    return o;
}

#define COLS "id, kind, subject, state, opened, resolved, body, attempts"

int64_t hrd_alert_raise(hrd_store *s, const char *kind, const char *subject, const json_t *body,
                        bool *is_new, hr_error *err)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) return hr_error_set(err, HR_ENOMEM, "out of memory");
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *q = NULL, *w = NULL;
    int64_t id = 0;
    bool fresh = false;
    if (sqlite3_prepare_v2(
            db, "SELECT id FROM alerts WHERE kind = ? AND subject = ? AND state = 'open'", -1, &q,
            NULL) != SQLITE_OK) {
        id = hrd__sql_error(err, db, "alerts");
        goto out;
    }
    sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, subject, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) {
        id = sqlite3_column_int64(q, 0);
        if (sqlite3_prepare_v2(db, "UPDATE alerts SET body = ? WHERE id = ?", -1, &w, NULL)) {
            id = hrd__sql_error(err, db, "alerts");
            goto out;
        }
        sqlite3_bind_text(w, 1, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(w, 2, id);
    } else {
        fresh = true;
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO alerts(kind, subject, state, opened, body)"
                               " VALUES(?, ?, 'open', ?, ?)",
                               -1, &w, NULL)) {
            id = hrd__sql_error(err, db, "alerts");
            goto out;
        }
        sqlite3_bind_text(w, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(w, 2, subject, -1, SQLITE_STATIC);
        sqlite3_bind_int64(w, 3, (int64_t)time(NULL));
        sqlite3_bind_text(w, 4, text, -1, SQLITE_STATIC);
    }
    if (sqlite3_step(w) != SQLITE_DONE)
        id = hrd__sql_error(err, db, "alerts");
    else if (fresh)
        id = sqlite3_last_insert_rowid(db);
out:
    sqlite3_finalize(q);
    sqlite3_finalize(w);
    hrd__store_admin_unlock(s);
    free(text);
    if (id > 0 && is_new) *is_new = fresh;
    return id;
}

/* One statement with text/int parameters; returns changes or an error. */
static int exec1(hrd_store *s, const char *sql, const char *a, const char *b, int64_t x, int64_t y,
                 hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = hrd__sql_error(err, db, "alerts");
    } else {
        int n = sqlite3_bind_parameter_count(st);
        if (n >= 1) sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
        if (n >= 2) sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
        if (n >= 3) sqlite3_bind_int64(st, 3, x);
        if (n >= 4) sqlite3_bind_int64(st, 4, y);
        rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db)
                                             : hrd__sql_error(err, db, "alerts");
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}

int hrd_alert_resolve(hrd_store *s, const char *kind, const char *subject, hr_error *err)
{
    return exec1(s,
                 "UPDATE alerts SET state = 'resolved', resolved = ?3, attempts = 0, next_try = 0"
                 " WHERE kind = ?1 AND subject = ?2 AND state = 'open'",
                 kind, subject, (int64_t)time(NULL), 0, err);
}

int hrd_alert_delivered(hrd_store *s, int64_t id, const char *state, hr_error *err)
{
    int rc = exec1(s, "UPDATE alerts SET sent_state = ?1, attempts = 0, next_try = 0 WHERE id = ?3",
                   state, NULL, id, 0, err);
    return rc < 0 ? rc : 0;
}

int hrd_alert_failed(hrd_store *s, int64_t id, int attempts, int64_t next_try, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "UPDATE alerts SET attempts = ?, next_try = ? WHERE id = ?", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = hrd__sql_error(err, db, "alerts");
    } else {
        sqlite3_bind_int(st, 1, attempts);
        sqlite3_bind_int64(st, 2, next_try);
        sqlite3_bind_int64(st, 3, id);
        if (sqlite3_step(st) != SQLITE_DONE) rc = hrd__sql_error(err, db, "alerts");
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}

static int list(hrd_store *s, const char *sql, const char *state, int64_t a, int64_t b,
                int64_t limit, json_t **out, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    json_t *arr = json_array();
    int rc = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = hrd__sql_error(err, db, "alerts");
    } else {
        if (state)
            sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 1);
        sqlite3_bind_int64(st, 2, a);
        sqlite3_bind_int64(st, 3, b);
        sqlite3_bind_int64(st, 4, limit);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) json_array_append_new(arr, row_json(st));
        if (step != SQLITE_DONE) rc = hrd__sql_error(err, db, "alerts");
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

int hrd_alert_list(hrd_store *s, const char *state, int64_t after, size_t limit, json_t **out,
                   hr_error *err)
{
    return list(s,
                "SELECT " COLS " FROM alerts WHERE (?1 IS NULL OR state = ?1) AND id > ?2"
                " AND ?3 = ?3 ORDER BY id LIMIT ?4",
                state, after, 0, (int64_t)limit, out, err);
}

int hrd_alert_undelivered(hrd_store *s, int64_t now, int max_attempts, size_t limit, json_t **out,
                          hr_error *err)
{
    return list(s,
                "SELECT " COLS " FROM alerts WHERE ?1 IS NULL AND (sent_state IS NULL OR"
                " sent_state != state) AND next_try <= ?2 AND attempts < ?3 ORDER BY id LIMIT ?4",
                NULL, now, max_attempts, (int64_t)limit, out, err);
}

int hrd_alert_open_counts(hrd_store *s, void (*fn)(void *ud, const char *kind, int64_t n), void *ud)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT kind, count(*) FROM alerts WHERE state = 'open' GROUP BY kind",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            fn(ud, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
    } else {
        rc = HR_EIO;
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}
