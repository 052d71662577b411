/* Fleet objects (tenants, clients, workloads, profiles, SLAs...), control
 * modes, hashed tokens and the action journal, on the store's admin
 * connection. Each call is one synchronous (synchronous=FULL) transaction. */
#include "daemon/sql.h"
#include "daemon/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <sqlite3.h>

static const char *const kinds[] = {"tenants", "clients", "workloads", "profiles",
                                    "slas",    "sites",   "hosts",     "services"};

bool hrd_kind_ok(const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kind, kinds[i])) return true;
    return false;
}

/* Prepare on the admin connection (locked by the caller). */
static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st, hr_error *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return hrd__sql_error(err, db, "prepare");
    return 0;
}

int hrd_obj_put(hrd_store *s, const char *kind, const char *name, const json_t *body, bool create,
                hr_error *err)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) return hr_error_set(err, HR_ENOMEM, "out of memory");
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc =
        prep(db,
             create ? "INSERT INTO objects(kind, name, body, updated) VALUES(?1,?2,?3,?4)"
                    : "UPDATE objects SET body = ?3, updated = ?4 WHERE kind = ?1 AND name = ?2",
             &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
        int step = sqlite3_step(st);
        if (step == SQLITE_CONSTRAINT)
            rc = hr_error_set(err, HR_EEXIST, "%s/%s already exists", kind, name);
        else if (step != SQLITE_DONE)
            rc = hrd__sql_error(err, db, "storing an object");
        else if (!create && sqlite3_changes(db) == 0)
            rc = hr_error_set(err, HR_ENOTFOUND, "%s/%s not found", kind, name);
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    free(text);
    return rc;
}

int hrd_obj_get(hrd_store *s, const char *kind, const char *name, json_t **out, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = prep(db, "SELECT body FROM objects WHERE kind = ? AND name = ?", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            json_t *j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
            if (j)
                *out = j;
            else
                rc = hr_error_set(err, HR_EIO, "%s/%s: stored JSON unreadable", kind, name);
        } else if (step == SQLITE_DONE) {
            rc = hr_error_set(err, HR_ENOTFOUND, "%s/%s not found", kind, name);
        } else {
            rc = hrd__sql_error(err, db, "reading an object");
        }
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}

int hrd_obj_delete(hrd_store *s, const char *kind, const char *name, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = prep(db, "DELETE FROM objects WHERE kind = ? AND name = ?", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = hrd__sql_error(err, db, "deleting an object");
        else if (sqlite3_changes(db) == 0)
            rc = hr_error_set(err, HR_ENOTFOUND, "%s/%s not found", kind, name);
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}

int hrd_obj_list(hrd_store *s, const char *kind, const char *after, size_t limit, json_t **out,
                 hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = prep(db, "SELECT body FROM objects WHERE kind = ? AND name > ? ORDER BY name LIMIT ?",
                  &st, err);
    json_t *arr = json_array();
    if (rc == 0) {
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, after ? after : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)limit);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            json_t *j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
            if (j) json_array_append_new(arr, j);
        }
        if (step != SQLITE_DONE) rc = hrd__sql_error(err, db, "listing objects");
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

int hrd_mode_get(hrd_store *s, const char *fleet, char *mode, size_t size, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = prep(db, "SELECT mode FROM modes WHERE fleet = ?", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, fleet, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            snprintf(mode, size, "%s", (const char *)sqlite3_column_text(st, 0));
        else if (step == SQLITE_DONE)
            snprintf(mode, size, "observe");
        else
            rc = hrd__sql_error(err, db, "reading a mode");
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}

int hrd_mode_set(hrd_store *s, const char *fleet, const char *mode, hr_error *err)
{
    if (strcmp(mode, "observe") && strcmp(mode, "reactive") && strcmp(mode, "predictive"))
        return hr_error_set(err, HR_EINVAL,
                            "mode: \"%s\" is not one of observe, reactive, predictive", mode);
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = prep(db, "INSERT OR REPLACE INTO modes(fleet, mode, updated) VALUES(?,?,?)", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, fleet, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, mode, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE) rc = hrd__sql_error(err, db, "setting a mode");
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}

/* ---- tokens ------------------------------------------------------------------------ */

int hrd_scope_rank(const char *scope)
{
    if (!strcmp(scope, "read")) return 1;
    if (!strcmp(scope, "write")) return 2;
    if (!strcmp(scope, "admin")) return 3;
    return 0;
}

static int token_hash(const char *tok, char hex[65])
{
    uint8_t d[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, tok, strlen(tok), d) < 0) return HR_EIO;
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return 0;
}

int hrd_token_create(hrd_store *s, const char *scope, char tok[65], hr_error *err)
{
    if (!hrd_scope_rank(scope))
        return hr_error_set(err, HR_EINVAL, "scope: \"%s\" is not one of read, write, admin",
                            scope);
    uint8_t raw[32];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return hr_error_set(err, HR_EIO, "token: no randomness available");
    char t[65], h[65];
    for (int i = 0; i < 32; i++) snprintf(t + 2 * i, 3, "%02x", raw[i]);
    if (token_hash(t, h) < 0) return hr_error_set(err, HR_EIO, "token: hashing failed");
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = prep(db, "INSERT INTO tokens(hash, scope, created) VALUES(?,?,?)", &st, err);
    if (rc == 0) {
        sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE) rc = hrd__sql_error(err, db, "storing a token");
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    if (rc == 0) memcpy(tok, t, sizeof t);
    return rc;
}

int hrd_token_check(hrd_store *s, const char *tok)
{
    char h[65];
    if (strlen(tok) != 64 || token_hash(tok, h) < 0) return 0;
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rank = 0;
    if (prep(db, "SELECT scope FROM tokens WHERE hash = ?", &st, NULL) == 0) {
        sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            rank = hrd_scope_rank((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rank;
}

/* ---- journal -------------------------------------------------------------------------- */

/* Insert (a, b, JSON body) with the current time into one of the
 * append-only tables; returns the row id. */
static int64_t append_row(hrd_store *s, const char *sql, const char *a, const json_t *body,
                          hr_error *err)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) return hr_error_set(err, HR_ENOMEM, "out of memory");
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int64_t id = prep(db, sql, &st, err);
    if (id == 0) {
        sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
        sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            id = hrd__sql_error(err, db, "append");
        else
            id = sqlite3_last_insert_rowid(db);
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    free(text);
    return id;
}

int64_t hrd_forecast_save(hrd_store *s, const char *series, const json_t *body, hr_error *err)
{
    return append_row(s, "INSERT INTO forecasts(made, series, body) VALUES(?,?,?)", series, body,
                      err);
}

int64_t hrd_journal_append(hrd_store *s, const char *kind, const json_t *body, hr_error *err)
{
    return append_row(s, "INSERT INTO journal(at, kind, body) VALUES(?,?,?)", kind, body, err);
}

int hrd_journal_list(hrd_store *s, int64_t after, size_t limit, json_t **out, hr_error *err)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int rc = prep(db, "SELECT id, at, kind, body FROM journal WHERE id > ? ORDER BY id LIMIT ?",
                  &st, err);
    json_t *arr = json_array();
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, after);
        sqlite3_bind_int64(st, 2, (int64_t)limit);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            json_t *b = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
            json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:o}", "id",
                                                 (json_int_t)sqlite3_column_int64(st, 0), "at",
                                                 (json_int_t)sqlite3_column_int64(st, 1), "kind",
                                                 (const char *)sqlite3_column_text(st, 2), "body",
                                                 b ? b : json_null()));
        }
        if (step != SQLITE_DONE) rc = hrd__sql_error(err, db, "journal list");
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

/* ---- plans ------------------------------------------------------------------------- */

int64_t hrd_plan_save(hrd_store *s, int64_t id, const char *status, const json_t *body,
                      hr_error *err)
{
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text) return hr_error_set(err, HR_ENOMEM, "plan: out of memory");
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int64_t out = 0;
    int rc = prep(db,
                  id > 0 ? "UPDATE plans SET status = ?2, body = ?3 WHERE id = ?1"
                         : "INSERT INTO plans(created, status, body) VALUES(?4, ?2, ?3)",
                  &st, err);
    if (rc == 0) {
        if (id > 0) sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
        if (id <= 0) sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = hrd__sql_error(err, db, "saving a plan");
        else if (id > 0 && sqlite3_changes(db) == 0)
            rc = hr_error_set(err, HR_ENOTFOUND, "plan %lld: not found", (long long)id);
        else
            out = id > 0 ? id : sqlite3_last_insert_rowid(db);
    }
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    free(text);
    return rc < 0 ? rc : out;
}
