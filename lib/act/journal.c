/* The action journal: SQLite in WAL mode, synchronous=FULL, one transaction
 * per state change (durable when hr_journal_update returns). */
#include "act/internal.h"

#include <headroom/util.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/banned.h"

#define SCHEMA_VERSION 1
#define LIST_LIMIT     100000

struct hr_journal {
    sqlite3 *db;
    char path[512];
};

static const char *const state_names[HR_ACT_STATE_COUNT_] = {
    "pending", "running", "done", "failed", "canceled", "undone",
};

const char *hr_act_state_name(hr_act_state s)
{
    return (unsigned)s < HR_ACT_STATE_COUNT_ ? state_names[s] : "?";
}

int hr_act_state_parse(const char *name, hr_act_state *out)
{
    for (int i = 0; name && i < HR_ACT_STATE_COUNT_; i++)
        if (!strcmp(name, state_names[i])) {
            *out = (hr_act_state)i;
            return 0;
        }
    return HR_ENOTFOUND;
}

bool hr_act_state_final(hr_act_state s)
{
    return s == HR_ACT_DONE || s == HR_ACT_FAILED || s == HR_ACT_CANCELED || s == HR_ACT_UNDONE;
}

void hr_action_release(hr_action *a)
{
    if (!a) return;
    free(a->params);
    free(a->result);
    a->params = a->result = NULL;
}

void hr_action_list_free(hr_action *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) hr_action_release(&v[i]);
    free(v);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int db_error(hr_journal *j, hr_error *err, const char *what)
{
    return hr_error_set(err, HR_EIO, "%s: %s: %s", j->path, what, sqlite3_errmsg(j->db));
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS hr_act_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS hr_act_action("
    " id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    " host TEXT NOT NULL, target TEXT NOT NULL, plan TEXT NOT NULL, stage INTEGER NOT NULL,"
    " params TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,"
    " max_attempts INTEGER NOT NULL, timeout_ms INTEGER NOT NULL,"
    " started_ms INTEGER NOT NULL, next_ms INTEGER NOT NULL, progress REAL NOT NULL,"
    " result TEXT, error TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS hr_act_action_open ON hr_act_action(state, stage, id);"
    "CREATE TABLE IF NOT EXISTS hr_act_event("
    " id INTEGER PRIMARY KEY, action_id INTEGER NOT NULL REFERENCES hr_act_action(id),"
    " at_ms INTEGER NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL,"
    " progress REAL NOT NULL, message TEXT);"
    "CREATE INDEX IF NOT EXISTS hr_act_event_action ON hr_act_event(action_id, id);"
    "INSERT OR IGNORE INTO hr_act_meta(key, value) VALUES('schema_version', '1');";

static int check_version(hr_journal *j, hr_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(j->db, "SELECT value FROM hr_act_meta WHERE key='schema_version'", -1,
                           &st, NULL) != SQLITE_OK)
        return db_error(j, err, "reading the schema version");
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        int64_t ver = 0;
        if (!v || hr_parse_int64_z(v, &ver) != 0 || ver > SCHEMA_VERSION)
            rc = hr_error_set(err, HR_ENOTSUP, "%s: journal schema version \"%s\" is not %d",
                              j->path, v ? v : "", SCHEMA_VERSION);
    }
    sqlite3_finalize(st);
    return rc;
}

int hr_journal_open(const char *path, hr_journal **out, hr_error *err)
{
    if (!path || !*path || !out) return hr_error_set(err, HR_EINVAL, "journal: no path");
    hr_journal *j = calloc(1, sizeof *j);
    if (!j) return hr_error_set(err, HR_ENOMEM, "%s: out of memory", path);
    snprintf(j->path, sizeof j->path, "%s", path);
    int rc = 0;
    if (sqlite3_open_v2(path, &j->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = db_error(j, err, "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(j->db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(j->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL,
                     &msg) != SQLITE_OK ||
        sqlite3_exec(j->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        rc = hr_error_set(err, HR_EIO, "%s: %s", path, msg ? msg : "cannot set up the journal");
        sqlite3_free(msg);
        goto out;
    }
    rc = check_version(j, err);
out:
    if (rc) {
        hr_journal_close(j);
        return rc;
    }
    *out = j;
    return 0;
}

void hr_journal_close(hr_journal *j)
{
    if (!j) return;
    sqlite3_close(j->db);
    free(j);
}

static bool params_ok(const char *p)
{
    if (!p) return true;
    size_t n = strlen(p);
    if (n > HR_ACT_MAX_PARAMS) return false;
    json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
    bool ok = json_is_object(v);
    json_decref(v);
    return ok;
}

static int check_spec(const hr_action *s, hr_error *err)
{
    if (!s->key[0] || !s->kind[0])
        return hr_error_set(err, HR_EINVAL, "journal: an action needs a key and a kind");
    if (strnlen(s->key, sizeof s->key) >= sizeof s->key ||
        strnlen(s->kind, sizeof s->kind) >= sizeof s->kind ||
        strnlen(s->host, sizeof s->host) >= sizeof s->host ||
        strnlen(s->target, sizeof s->target) >= sizeof s->target)
        return hr_error_set(err, HR_EINVAL, "journal: action \"%.40s\": a field is too long",
                            s->key);
    if (!params_ok(s->params))
        return hr_error_set(err, HR_EINVAL, "journal: action \"%s\": params are not a JSON object",
                            s->key);
    if (s->max_attempts < 0 || s->timeout_ms < 0)
        return hr_error_set(err, HR_EINVAL, "journal: action \"%s\": negative limits", s->key);
    return 0;
}

static int find_id(hr_journal *j, const char *key, int64_t *id, hr_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db, "SELECT id FROM hr_act_action WHERE key=?1", -1, &st, NULL) !=
        SQLITE_OK)
        return db_error(j, err, "looking up a key");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int s = sqlite3_step(st), rc;
    if (s == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = 1;
    } else {
        rc = s == SQLITE_DONE ? 0 : db_error(j, err, "looking up a key");
    }
    sqlite3_finalize(st);
    return rc;
}

static int add_event(hr_journal *j, int64_t id, int64_t now, const char *state, int32_t attempt,
                     double progress, const char *message, hr_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db,
                           "INSERT INTO hr_act_event(action_id, at_ms, state, attempt, progress,"
                           " message) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(j, err, "journaling an event");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, attempt);
    sqlite3_bind_double(st, 5, progress);
    if (message) sqlite3_bind_text(st, 6, message, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(j, err, "journaling an event");
    sqlite3_finalize(st);
    return rc;
}

static int begin(hr_journal *j, hr_error *err)
{
    return sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
               ? 0
               : db_error(j, err, "starting a transaction");
}

static int finish(hr_journal *j, int rc, hr_error *err)
{
    if (rc) {
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(j, err, "committing");
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

static int insert(hr_journal *j, const hr_action *s, int64_t now, int64_t *id, hr_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db,
                           "INSERT INTO hr_act_action(key, kind, host, target, stage, params,"
                           " state, attempts, max_attempts, timeout_ms, started_ms, next_ms,"
                           " progress, result, error, created_ms, updated_ms, plan) VALUES(?1,"
                           " ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?8, 0, 0, 0, NULL, '', ?9,"
                           " ?9, ?10)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(j, err, "journaling an action");
    sqlite3_bind_text(st, 1, s->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->target, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, s->stage);
    sqlite3_bind_text(st, 6, s->params ? s->params : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, s->max_attempts);
    sqlite3_bind_int64(st, 8, s->timeout_ms);
    sqlite3_bind_int64(st, 9, now);
    sqlite3_bind_text(st, 10, s->plan, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(j, err, "journaling an action");
    sqlite3_finalize(st);
    if (!rc) *id = sqlite3_last_insert_rowid(j->db);
    return rc;
}

int hr_journal_add(hr_journal *j, const hr_action *spec, int64_t *id, hr_error *err)
{
    if (!j || !spec || !id) return hr_error_set(err, HR_EINVAL, "journal: no action");
    int rc = check_spec(spec, err);
    if (rc) return rc;
    if ((rc = begin(j, err))) return rc;
    int64_t got = 0;
    rc = find_id(j, spec->key, &got, err);
    if (rc == 1) {
        finish(j, 0, err);
        *id = got;
        return 1;
    }
    int64_t now = wall_ms();
    if (!rc) rc = insert(j, spec, now, &got, err);
    if (!rc) rc = add_event(j, got, now, "pending", 0, 0, "journaled", err);
    rc = finish(j, rc, err);
    if (!rc) *id = got;
    return rc;
}

#define SELECT_COLS                                                                                \
    "SELECT id, key, kind, host, target, stage, params, state, attempts, max_attempts,"            \
    " timeout_ms, started_ms, next_ms, progress, result, error, plan FROM hr_act_action "

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t) return NULL;
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, t, n);
        s[n] = 0;
    }
    return s;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static int read_row(sqlite3_stmt *st, hr_action *a)
{
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, a->key, sizeof a->key);
    copy_col(st, 2, a->kind, sizeof a->kind);
    copy_col(st, 3, a->host, sizeof a->host);
    copy_col(st, 4, a->target, sizeof a->target);
    a->stage = sqlite3_column_int(st, 5);
    a->params = dup_col(st, 6);
    const char *state = (const char *)sqlite3_column_text(st, 7);
    if (hr_act_state_parse(state, &a->state) != 0) a->state = HR_ACT_FAILED;
    a->attempts = sqlite3_column_int(st, 8);
    a->max_attempts = sqlite3_column_int(st, 9);
    a->timeout_ms = sqlite3_column_int64(st, 10);
    a->started_ms = sqlite3_column_int64(st, 11);
    a->next_ms = sqlite3_column_int64(st, 12);
    a->progress = sqlite3_column_double(st, 13);
    a->result = dup_col(st, 14);
    copy_col(st, 15, a->error, sizeof a->error);
    copy_col(st, 16, a->plan, sizeof a->plan);
    if (!a->params || (sqlite3_column_type(st, 14) != SQLITE_NULL && !a->result)) {
        hr_action_release(a);
        return HR_ENOMEM;
    }
    return 0;
}

static int get_one(hr_journal *j, const char *where, int64_t id, const char *key, hr_action *out,
                   hr_error *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, SELECT_COLS "WHERE %s", where);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(j, err, "reading an action");
    if (key)
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st), rc;
    if (s == SQLITE_ROW) {
        hr_action a;
        rc = read_row(st, &a);
        if (rc)
            hr_error_set(err, rc, "%s: out of memory", j->path);
        else
            *out = a;
    } else if (s == SQLITE_DONE) {
        rc = key ? hr_error_set(err, HR_ENOTFOUND, "%s: no action with key \"%s\"", j->path, key)
                 : hr_error_set(err, HR_ENOTFOUND, "%s: no action %lld", j->path, (long long)id);
    } else {
        rc = db_error(j, err, "reading an action");
    }
    sqlite3_finalize(st);
    return rc;
}

int hr_journal_get(hr_journal *j, int64_t id, hr_action *out, hr_error *err)
{
    if (!j || !out) return hr_error_set(err, HR_EINVAL, "journal: no output");
    return get_one(j, "id=?1", id, NULL, out, err);
}

int hr_journal_find(hr_journal *j, const char *key, hr_action *out, hr_error *err)
{
    if (!j || !out || !key) return hr_error_set(err, HR_EINVAL, "journal: no key");
    return get_one(j, "key=?1", 0, key, out, err);
}

int hr_journal_list(hr_journal *j, bool only_open, size_t limit, hr_action **out, size_t *n,
                    hr_error *err)
{
    if (!j || !out || !n) return hr_error_set(err, HR_EINVAL, "journal: no output");
    if (limit == 0 || limit > LIST_LIMIT) limit = LIST_LIMIT;
    const char *sql = only_open ? SELECT_COLS "WHERE state IN ('pending', 'running') ORDER BY "
                                              "stage, id LIMIT ?1"
                                : SELECT_COLS "ORDER BY stage, id LIMIT ?1";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(j, err, "listing actions");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)limit);
    hr_action *v = NULL;
    size_t len = 0, cap = 0;
    int rc = 0, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 16;
            hr_action *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = HR_ENOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        if ((rc = read_row(st, &v[len]))) break;
        len++;
    }
    if (!rc && s != SQLITE_DONE) rc = db_error(j, err, "listing actions");
    if (rc == HR_ENOMEM) hr_error_set(err, rc, "%s: out of memory", j->path);
    sqlite3_finalize(st);
    if (rc) {
        hr_action_list_free(v, len);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int hr_journal_update(hr_journal *j, const hr_action *a, const char *message, hr_error *err)
{
    if (!j || !a) return hr_error_set(err, HR_EINVAL, "journal: no action");
    if (a->result && strlen(a->result) > HR_ACT_MAX_RESULT)
        return hr_error_set(err, HR_ELIMIT, "journal: action %lld: result over %d bytes",
                            (long long)a->id, HR_ACT_MAX_RESULT);
    int rc = begin(j, err);
    if (rc) return rc;
    sqlite3_stmt *st = NULL;
    int64_t now = wall_ms();
    if (sqlite3_prepare_v2(j->db,
                           "UPDATE hr_act_action SET state=?2, attempts=?3, started_ms=?4,"
                           " next_ms=?5, progress=?6, result=?7, error=?8, updated_ms=?9"
                           " WHERE id=?1",
                           -1, &st, NULL) != SQLITE_OK) {
        return finish(j, db_error(j, err, "updating an action"), err);
    }
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_text(st, 2, hr_act_state_name(a->state), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, a->attempts);
    sqlite3_bind_int64(st, 4, a->started_ms);
    sqlite3_bind_int64(st, 5, a->next_ms);
    sqlite3_bind_double(st, 6, a->progress);
    if (a->result)
        sqlite3_bind_text(st, 7, a->result, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 7);
    sqlite3_bind_text(st, 8, a->error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_error(j, err, "updating an action");
    else if (sqlite3_changes(j->db) != 1)
        rc = hr_error_set(err, HR_ENOTFOUND, "%s: no action %lld", j->path, (long long)a->id);
    sqlite3_finalize(st);
    if (!rc)
        rc = add_event(j, a->id, now, hr_act_state_name(a->state), a->attempts, a->progress,
                       message, err);
    return finish(j, rc, err);
}

int hr_journal_events(hr_journal *j, int64_t id, size_t *count, hr_error *err)
{
    if (!j || !count) return hr_error_set(err, HR_EINVAL, "journal: no output");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db, "SELECT count(*) FROM hr_act_event WHERE action_id=?1", -1, &st,
                           NULL) != SQLITE_OK)
        return db_error(j, err, "counting events");
    sqlite3_bind_int64(st, 1, id);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        *count = (size_t)sqlite3_column_int64(st, 0);
    else
        rc = db_error(j, err, "counting events");
    sqlite3_finalize(st);
    return rc;
}

int hr__journal_min_failed_stage(hr_journal *j, const char *plan, int64_t *out, hr_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db,
                           "SELECT min(stage) FROM hr_act_action WHERE plan=?1 AND state='failed'",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(j, err, "reading a plan");
    sqlite3_bind_text(st, 1, plan, -1, SQLITE_STATIC);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(st, 0);
    else
        rc = db_error(j, err, "reading a plan");
    sqlite3_finalize(st);
    return rc;
}
