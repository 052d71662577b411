/* Fleet objects (tenants, clients, workloads, profiles, SLAs...), control
 * modes, hashed tokens and the action journal, on the store's admin
 * connection. Each call is one statement (sql_run), one synchronous
 * (synchronous=FULL) transaction. */
#include "daemon/sql.h"
#include "daemon/store.h"

#include <stdarg.h>
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

/* Called for each row of a query; a negative return stops it. */
typedef int (*row_fn)(sqlite3_stmt *st, void *ud, hr_error *err);

/* Run one statement on the admin connection: bind the arguments in order
 * as `types` says ('t' a string, 'i' an int64_t), call `row` (may be NULL)
 * for every row. Returns the number of rows the statement changed (0 for a
 * query) and, when `rowid` is not NULL, the id of the row inserted;
 * HR_EEXIST when a constraint refuses it, HR_EIO naming `what`, or what
 * `row` returned. */
static int64_t sql_run(hrd_store *s, const char *sql, const char *what, row_fn row, void *ud,
                       int64_t *rowid, hr_error *err, const char *types, ...)
{
    sqlite3 *db = hrd__store_admin_db(s);
    sqlite3_stmt *st = NULL;
    int64_t rc = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = hrd__sql_error(err, db, what);
        goto out;
    }
    va_list ap;
    va_start(ap, types);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 't')
            sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
    }
    va_end(ap);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (row && (rc = row(st, ud, err)) < 0) goto out;
    if (step == SQLITE_CONSTRAINT)
        rc = hr_error_set(err, HR_EEXIST, "%s: already exists", what);
    else if (step != SQLITE_DONE)
        rc = hrd__sql_error(err, db, what);
    else
        rc = sqlite3_changes(db);
    if (rc >= 0 && rowid) *rowid = sqlite3_last_insert_rowid(db);
out:
    sqlite3_finalize(st);
    hrd__store_admin_unlock(s);
    return rc;
}

static char *json_text(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

/* Rows whose column 0 is JSON text: appended to the array ud. */
static int row_json(sqlite3_stmt *st, void *ud, hr_error *err)
{
    json_t *j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    if (!j) return hr_error_set(err, HR_EIO, "database: stored JSON unreadable");
    json_array_append_new(ud, j);
    return 0;
}

int hrd_obj_put(hrd_store *s, const char *kind, const char *name, const json_t *body, bool create,
                hr_error *err)
{
    char *text = json_text(body);
    if (!text) return hr_error_set(err, HR_ENOMEM, "out of memory");
    int64_t n = sql_run(
        s,
        create ? "INSERT INTO objects(kind, name, body, updated) VALUES(?1,?2,?3,?4)"
               : "UPDATE objects SET body = ?3, updated = ?4 WHERE kind = ?1 AND name = ?2",
        "storing an object", NULL, NULL, NULL, err, "ttti", kind, name, text, (int64_t)time(NULL));
    free(text);
    if (n == HR_EEXIST) return hr_error_set(err, HR_EEXIST, "%s/%s already exists", kind, name);
    if (n == 0 && !create) return hr_error_set(err, HR_ENOTFOUND, "%s/%s not found", kind, name);
    return n < 0 ? (int)n : 0;
}

int hrd_obj_get(hrd_store *s, const char *kind, const char *name, json_t **out, hr_error *err)
{
    json_t *arr = json_array();
    int64_t n = sql_run(s, "SELECT body FROM objects WHERE kind = ? AND name = ?",
                        "reading an object", row_json, arr, NULL, err, "tt", kind, name);
    int rc = n < 0 ? (int)n
             : !json_array_size(arr)
                 ? hr_error_set(err, HR_ENOTFOUND, "%s/%s not found", kind, name)
                 : 0;
    if (rc == 0) *out = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    return rc;
}

int hrd_obj_delete(hrd_store *s, const char *kind, const char *name, hr_error *err)
{
    int64_t n = sql_run(s, "DELETE FROM objects WHERE kind = ? AND name = ?", "deleting an object",
                        NULL, NULL, NULL, err, "tt", kind, name);
    if (n == 0) return hr_error_set(err, HR_ENOTFOUND, "%s/%s not found", kind, name);
    return n < 0 ? (int)n : 0;
}

/* The array rows were collected in, into *out, unless the query failed. */
static int take_rows(json_t *arr, int64_t n, json_t **out, hr_error *err)
{
    if (n >= 0 && !arr) n = hr_error_set(err, HR_ENOMEM, "out of memory");
    if (n < 0) {
        json_decref(arr);
        return (int)n;
    }
    *out = arr;
    return 0;
}

int hrd_obj_list(hrd_store *s, const char *kind, const char *after, size_t limit, json_t **out,
                 hr_error *err)
{
    json_t *arr = json_array();
    int64_t n =
        sql_run(s, "SELECT body FROM objects WHERE kind = ? AND name > ? ORDER BY name LIMIT ?",
                "listing objects", row_json, arr, NULL, err, "tti", kind, after ? after : "",
                (int64_t)limit);
    return take_rows(arr, n, out, err);
}

/* Column 0 of the first row as text into the buffer ud (a struct text_buf). */
typedef struct text_buf {
    char *buf;
    size_t size;
    bool found;
} text_buf;

static int row_text(sqlite3_stmt *st, void *ud, hr_error *err)
{
    (void)err;
    text_buf *t = ud;
    snprintf(t->buf, t->size, "%s", (const char *)sqlite3_column_text(st, 0));
    t->found = true;
    return 0;
}

int hrd_mode_get(hrd_store *s, const char *fleet, char *mode, size_t size, hr_error *err)
{
    char m[32];
    text_buf t = {m, sizeof m, false};
    int64_t n = sql_run(s, "SELECT mode FROM modes WHERE fleet = ?", "reading a mode", row_text, &t,
                        NULL, err, "t", fleet);
    if (n < 0) return (int)n;
    snprintf(mode, size, "%s", t.found ? m : "observe");
    return 0;
}

int hrd_mode_set(hrd_store *s, const char *fleet, const char *mode, hr_error *err)
{
    if (strcmp(mode, "observe") && strcmp(mode, "reactive") && strcmp(mode, "predictive"))
        return hr_error_set(err, HR_EINVAL,
                            "mode: \"%s\" is not one of observe, reactive, predictive", mode);
    int64_t n =
        sql_run(s, "INSERT OR REPLACE INTO modes(fleet, mode, updated) VALUES(?,?,?)",
                "setting a mode", NULL, NULL, NULL, err, "tti", fleet, mode, (int64_t)time(NULL));
    return n < 0 ? (int)n : 0;
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
    int64_t n =
        sql_run(s, "INSERT INTO tokens(hash, scope, created) VALUES(?,?,?)", "storing a token",
                NULL, NULL, NULL, err, "tti", h, scope, (int64_t)time(NULL));
    if (n < 0) return (int)n;
    memcpy(tok, t, sizeof t);
    return 0;
}

int hrd_token_check(hrd_store *s, const char *tok)
{
    char h[65], scope[16];
    if (strlen(tok) != 64 || token_hash(tok, h) < 0) return 0;
    text_buf t = {scope, sizeof scope, false};
    if (sql_run(s, "SELECT scope FROM tokens WHERE hash = ?", "checking a token", row_text, &t,
                NULL, NULL, "t", h) < 0 ||
        !t.found)
        return 0;
    return hrd_scope_rank(scope);
}

/* ---- journal, forecasts, plans ------------------------------------------------------ */

/* Insert (now, a, JSON body) into one of the append-only tables; returns
 * the row id. */
static int64_t append_row(hrd_store *s, const char *sql, const char *a, const json_t *body,
                          hr_error *err)
{
    char *text = json_text(body);
    if (!text) return hr_error_set(err, HR_ENOMEM, "out of memory");
    int64_t id = 0;
    int64_t n =
        sql_run(s, sql, "append", NULL, NULL, &id, err, "itt", (int64_t)time(NULL), a, text);
    free(text);
    return n < 0 ? n : id;
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

static int row_journal(sqlite3_stmt *st, void *ud, hr_error *err)
{
    (void)err;
    json_t *b = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
    json_array_append_new(
        ud, json_pack("{s:I, s:I, s:s, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0), "at",
                      (json_int_t)sqlite3_column_int64(st, 1), "kind",
                      (const char *)sqlite3_column_text(st, 2), "body", b ? b : json_null()));
    return 0;
}

int hrd_journal_list(hrd_store *s, int64_t after, size_t limit, json_t **out, hr_error *err)
{
    json_t *arr = json_array();
    int64_t n =
        sql_run(s, "SELECT id, at, kind, body FROM journal WHERE id > ? ORDER BY id LIMIT ?",
                "journal list", row_journal, arr, NULL, err, "ii", after, (int64_t)limit);
    return take_rows(arr, n, out, err);
}

int64_t hrd_plan_save(hrd_store *s, int64_t id, const char *status, const json_t *body,
                      hr_error *err)
{
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text) return hr_error_set(err, HR_ENOMEM, "plan: out of memory");
    int64_t nid = 0, n;
    if (id > 0)
        n = sql_run(s, "UPDATE plans SET status = ?, body = ? WHERE id = ?", "saving a plan", NULL,
                    NULL, NULL, err, "tti", status, text, id);
    else
        n = sql_run(s, "INSERT INTO plans(created, status, body) VALUES(?, ?, ?)", "saving a plan",
                    NULL, NULL, &nid, err, "itt", (int64_t)time(NULL), status, text);
    free(text);
    if (n == 0 && id > 0)
        return hr_error_set(err, HR_ENOTFOUND, "plan %lld: not found", (long long)id);
    return n < 0 ? n : id > 0 ? id : nid;
}
