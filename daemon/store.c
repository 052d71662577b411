/* The daemon's telemetry store: SQLite (WAL) with Gorilla chunks, a durable
 * head, one writer thread doing group commit, compaction, downsampling and
 * retention. See store.h for the promises. */
#include "daemon/store.h"
#include "daemon/sql.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#define NREAD         4
#define COMPACT_SLICE 256 /* heads compacted per round between group commits */
#define FULL_EVERY    64  /* wal rows between full passes: at least, and per 128 series */

typedef struct sample {
    int64_t t;
    double v;
} sample;

typedef struct series {
    int64_t id;
    char *name;
    bool created_in_txn;
    bool ready;          /* in the store's list of heads holding a full chunk */
    bool has_chunk;      /* chunk_max_t is valid */
    int64_t chunk_max_t; /* newest timestamp in chunks: samples at or before it are skipped */
    sample *head;        /* samples not yet in chunks, ascending, unique timestamps */
    size_t nhead, headcap;
    int64_t head_lo, head_hi; /* head[0].t and head[nhead-1].t when nhead > 0 */
    /* Wal rows holding head samples, in two spans: A from wal_min (0: empty
     * head), samples up to wal_a_tmax; B from wal_b (0: not open), samples
     * up to wal_b_tmax. Once compaction moves every sample up to
     * wal_a_tmax into chunks, B becomes A, so that wal_min follows a head
     * that keeps receiving samples and only idle heads are logged again. */
    int64_t wal_min, wal_a_tmax, wal_b, wal_b_tmax;
    bool wal_split; /* open B at the next append */
    int64_t *txn_t; /* timestamps added by the open transaction, ascending */
    size_t ntxn, txncap;
} series;

/* A write's samples encoded by the request thread (sorted), used as the
 * wal record when the writer keeps all of them. */
typedef struct preenc {
    uint8_t *blob; /* NULL: not encoded (too many samples, out of memory) */
    size_t len;
} preenc;

typedef struct pending {
    hrd_write *w;
    size_t nw;
    preenc *pre;  /* [nw] or NULL */
    series **ser; /* [nw] or NULL: the committed series of each write, NULL if not found */
    bool maintain;
    hrd_write_result res;
    int rc;
    hr_error err;
    bool done;
    struct pending *next;
} pending;

/* What a committed transaction adds to the in-memory heads. */
typedef struct txn_add {
    series *ser;
    const int64_t *t;
    const double *v;
    size_t n;
} txn_add;

struct hrd_store {
    hrd_store_opts o;
    char *path;
    sqlite3 *wdb, *adb, *rdb[NREAD];
    bool rbusy[NREAD];
    pthread_mutex_t mu, amu, rmu;
    pthread_cond_t qcond, dcond, rcond;
    pending *qhead, *qtail;
    bool stop, started;
    pthread_t writer;
    hr_map byname; /* name -> series* (mutated by the writer under mu) */
    series **all;  /* every series, for maintenance */
    size_t nall, allcap;
    size_t txn_first; /* all[txn_first..nall) were created by the open transaction */
    hr_vec adds;      /* txn_add, writer only */
    hr_vec walbuf;    /* bytes of the wal row being built, writer only */
    int64_t wal_last; /* newest wal row id */
    int64_t wal_full; /* wal_last at the last full compaction pass */
    int64_t wal_del;  /* wal rows below it were deleted */
    hr_vec ready;     /* series* whose head holds a full chunk, writer only */
    hrd_store_stats st;
};

static const char *schema =
    "CREATE TABLE IF NOT EXISTS series(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " labels TEXT, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS wal(id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS chunks(series_id INTEGER NOT NULL, res INTEGER NOT NULL,"
    " t_min INTEGER NOT NULL, t_max INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY(series_id, res, t_min)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS objects(kind TEXT NOT NULL, name TEXT NOT NULL,"
    " body TEXT NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY(kind, name)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS modes(fleet TEXT PRIMARY KEY, mode TEXT NOT NULL,"
    " updated INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tokens(hash TEXT PRIMARY KEY, scope TEXT NOT NULL,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS forecasts(id INTEGER PRIMARY KEY, series TEXT NOT NULL,"
    " made INTEGER NOT NULL, body TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS plans(id INTEGER PRIMARY KEY, created INTEGER NOT NULL,"
    " status TEXT NOT NULL, body TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS journal(id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
    " kind TEXT NOT NULL, body TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS alerts(id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
    " subject TEXT NOT NULL, state TEXT NOT NULL, opened INTEGER NOT NULL, resolved INTEGER,"
    " body TEXT NOT NULL, sent_state TEXT, attempts INTEGER NOT NULL DEFAULT 0,"
    " next_try INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS alerts_open ON alerts(kind, subject, state);"
    "CREATE TABLE IF NOT EXISTS annotations(id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
    " series TEXT, body TEXT NOT NULL);";

/* ---- small helpers ------------------------------------------------------------------- */

int hrd__sql_error(hr_error *err, sqlite3 *db, const char *what)
{
    return hr_error_set(err, HR_EIO, "database: %s: %s", what, sqlite3_errmsg(db));
}

int hrd__sql_exec(sqlite3 *db, const char *sql, hr_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    int rc = hr_error_set(err, HR_EIO, "database: %s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return rc;
}

static int64_t store_now(const hrd_store *s)
{
    return s->o.now ? s->o.now(s->o.now_ud) : (int64_t)time(NULL);
}

static int open_db(const char *path, sqlite3 **out, hr_error *err)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        int rc = hr_error_set(err, HR_EIO, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 10000);
    int rc = hrd__sql_exec(db,
                           "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                           " PRAGMA foreign_keys=OFF; PRAGMA cache_size=-16000;"
                           " PRAGMA journal_size_limit=67108864;",
                           err);
    if (rc < 0) {
        hr_error_prefix(err, "%s", path);
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

static series *series_new(int64_t id, const char *name)
{
    series *ser = calloc(1, sizeof *ser);
    if (!ser) return NULL;
    ser->name = strdup(name);
    if (!ser->name) {
        free(ser);
        return NULL;
    }
    ser->id = id;
    return ser;
}

static void series_free(series *ser)
{
    if (!ser) return;
    free(ser->name);
    free(ser->head);
    free(ser->txn_t);
    free(ser);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 8;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem) return HR_ENOMEM;
        nc *= 2;
    }
    void *np = realloc(*p, nc * elem);
    if (!np) return HR_ENOMEM;
    *p = np;
    *cap = nc;
    return 0;
}

/* Binary search for t in a sorted array of n timestamps (stride bytes). */
static bool find_t(const void *base, size_t n, size_t stride, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t x;
        memcpy(&x, (const char *)base + mid * stride, sizeof x);
        if (x == t) return true;
        if (x < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Late samples are usually close to the newest: gallop back from the end
 * of the head (touching its last cache lines), then search the window. */
static bool head_has(const series *ser, int64_t t)
{
    size_t n = ser->nhead;
    if (n == 0 || t < ser->head_lo || t > ser->head_hi) return false;
    size_t step = 1;
    while (step < n && ser->head[n - step].t > t) step *= 2;
    size_t lo = step < n ? n - step : 0, hi = n - step / 2;
    return find_t(ser->head + lo, hi - lo, sizeof(sample), t);
}

/* Insert t into the open transaction's sorted timestamps. */
static int txn_insert(series *ser, int64_t t)
{
    if (grow((void **)&ser->txn_t, &ser->txncap, ser->ntxn + 1, sizeof(int64_t)) < 0)
        return HR_ENOMEM;
    size_t i = ser->ntxn;
    while (i > 0 && ser->txn_t[i - 1] > t) {
        ser->txn_t[i] = ser->txn_t[i - 1];
        i--;
    }
    ser->txn_t[i] = t;
    ser->ntxn++;
    return 0;
}

/* Merge sorted samples (timestamps not in the head) into the head. */
static int head_merge(series *ser, const int64_t *t, const double *v, size_t n)
{
    if (grow((void **)&ser->head, &ser->headcap, ser->nhead + n, sizeof(sample)) < 0)
        return HR_ENOMEM;
    size_t i = ser->nhead, j = n, k = ser->nhead + n;
    while (j > 0) {
        if (i > 0 && ser->head[i - 1].t > t[j - 1])
            ser->head[--k] = ser->head[--i];
        else
            --k, --j, ser->head[k] = (sample){t[j], v[j]};
    }
    ser->nhead += n;
    ser->head_lo = ser->head[0].t;
    ser->head_hi = ser->head[ser->nhead - 1].t;
    return 0;
}

/* Samples up to tmax of `ser` were logged in wal row `row` (before they
 * are merged into the head). */
static void wal_track_add(series *ser, int64_t row, int64_t tmax)
{
    if (ser->nhead == 0) {
        ser->wal_min = row, ser->wal_a_tmax = tmax;
        ser->wal_b = 0, ser->wal_split = false;
    } else if (ser->wal_b) {
        if (tmax > ser->wal_b_tmax) ser->wal_b_tmax = tmax;
    } else if (ser->wal_split) {
        ser->wal_b = row, ser->wal_b_tmax = tmax;
        ser->wal_split = false;
    } else if (tmax > ser->wal_a_tmax) {
        ser->wal_a_tmax = tmax;
    }
}

/* Append a wal record: series id (8 bytes LE), blob length (4 bytes LE),
 * a Gorilla chunk of the samples. */
static int wal_record(hr_vec *buf, int64_t id, const int64_t *t, const double *v, size_t n)
{
    for (size_t off = 0; off < n; off += HR_CHUNK_MAX_SAMPLES) {
        size_t k = n - off < HR_CHUNK_MAX_SAMPLES ? n - off : HR_CHUNK_MAX_SAMPLES;
        uint8_t *blob;
        size_t len;
        int rc = hr_chunk_encode(t + off, v + off, k, &blob, &len);
        if (rc < 0) return rc;
        uint8_t hdr[12];
        for (int b = 0; b < 8; b++) hdr[b] = (uint8_t)((uint64_t)id >> (8 * b));
        for (int b = 0; b < 4; b++) hdr[8 + b] = (uint8_t)(len >> (8 * b));
        rc = hr_vec_reserve(buf, buf->len + sizeof hdr + len);
        if (rc == 0) {
            memcpy((uint8_t *)buf->data + buf->len, hdr, sizeof hdr);
            memcpy((uint8_t *)buf->data + buf->len + sizeof hdr, blob, len);
            buf->len += sizeof hdr + len;
        }
        free(blob);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Append a record whose chunk is already encoded. */
static int wal_record_blob(hr_vec *buf, int64_t id, const uint8_t *blob, size_t len)
{
    uint8_t hdr[12];
    for (int b = 0; b < 8; b++) hdr[b] = (uint8_t)((uint64_t)id >> (8 * b));
    for (int b = 0; b < 4; b++) hdr[8 + b] = (uint8_t)(len >> (8 * b));
    int rc = hr_vec_reserve(buf, buf->len + sizeof hdr + len);
    if (rc < 0) return rc;
    memcpy((uint8_t *)buf->data + buf->len, hdr, sizeof hdr);
    memcpy((uint8_t *)buf->data + buf->len + sizeof hdr, blob, len);
    buf->len += sizeof hdr + len;
    return 0;
}

static int insert_wal(hrd_store *s, const hr_vec *buf, int64_t *row, hr_error *err)
{
    sqlite3_stmt *st;
    /* Ids keep growing even when every row was deleted (an automatic
     * rowid would start again at 1). */
    if (sqlite3_prepare_v2(s->wdb,
                           "INSERT INTO wal(id, data)"
                           " SELECT max(?1, coalesce(max(id), 0) + 1), ?2 FROM wal",
                           -1, &st, NULL))
        return hrd__sql_error(err, s->wdb, "wal insert");
    sqlite3_bind_int64(st, 1, s->wal_last + 1);
    sqlite3_bind_blob64(st, 2, buf->data, buf->len, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : hrd__sql_error(err, s->wdb, "wal insert");
    sqlite3_finalize(st);
    if (rc == 0) *row = sqlite3_last_insert_rowid(s->wdb);
    return rc;
}

/* Register a series in the indexes (caller holds mu). */
static int index_series(hrd_store *s, series *ser)
{
    if (grow((void **)&s->all, &s->allcap, s->nall + 1, sizeof(series *)) < 0) return HR_ENOMEM;
    int rc = hr_map_put(&s->byname, ser->name, ser, NULL);
    if (rc < 0) return rc;
    s->all[s->nall++] = ser;
    return 0;
}

/* ---- loading ---------------------------------------------------------------------- */

static int load(hrd_store *s, hr_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(s->wdb, "SELECT id, name FROM series ORDER BY id", -1, &st, NULL))
        return hrd__sql_error(err, s->wdb, "loading series");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        series *ser =
            series_new(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
        if (!ser || index_series(s, ser) < 0) {
            series_free(ser);
            sqlite3_finalize(st);
            return hr_error_set(err, HR_ENOMEM, "out of memory loading series");
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return hrd__sql_error(err, s->wdb, "loading series");
    /* Newest compacted timestamp per series, then the wal replayed. */
    if (sqlite3_prepare_v2(s->wdb,
                           "SELECT s.name, max(c.t_max), sum(length(c.data)), sum(c.n)"
                           " FROM chunks c JOIN series s ON s.id = c.series_id GROUP BY s.id",
                           -1, &st, NULL))
        return hrd__sql_error(err, s->wdb, "loading chunks");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        series *ser = hr_map_get(&s->byname, (const char *)sqlite3_column_text(st, 0));
        if (!ser) continue;
        ser->has_chunk = true;
        ser->chunk_max_t = sqlite3_column_int64(st, 1);
        s->st.chunk_bytes += (uint64_t)sqlite3_column_int64(st, 2);
        s->st.chunk_samples += (uint64_t)sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return hrd__sql_error(err, s->wdb, "loading chunks");
    hr_map byid;
    hr_map_init(&byid, 0);
    for (size_t i = 0; i < s->nall; i++) {
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)s->all[i]->id);
        if (hr_map_put(&byid, key, s->all[i], NULL) < 0) {
            hr_map_release(&byid);
            return hr_error_set(err, HR_ENOMEM, "out of memory");
        }
    }
    if (sqlite3_prepare_v2(s->wdb, "SELECT id, data FROM wal ORDER BY id", -1, &st, NULL)) {
        hr_map_release(&byid);
        return hrd__sql_error(err, s->wdb, "loading the wal");
    }
    int r = 0;
    int64_t *tt = NULL;
    double *vv = NULL;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t row = sqlite3_column_int64(st, 0);
        const uint8_t *d = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1), pos = 0;
        if (!s->wal_last) s->wal_del = row;
        s->wal_last = row;
        while (r == 0 && pos < len) {
            if (len - pos < 12) {
                r = hr_error_set(err, HR_EPARSE, "wal row %lld: truncated record", (long long)row);
                break;
            }
            uint64_t id = 0;
            uint32_t bl = 0;
            for (int b = 0; b < 8; b++) id |= (uint64_t)d[pos + (size_t)b] << (8 * b);
            for (int b = 0; b < 4; b++) bl |= (uint32_t)d[pos + 8 + (size_t)b] << (8 * b);
            pos += 12;
            if (bl > len - pos) {
                r = hr_error_set(err, HR_EPARSE, "wal row %lld: truncated record", (long long)row);
                break;
            }
            char key[24];
            snprintf(key, sizeof key, "%lld", (long long)id);
            series *ser = hr_map_get(&byid, key);
            size_t n = 0;
            free(tt);
            free(vv);
            tt = NULL, vv = NULL;
            r = hr_chunk_decode(d + pos, bl, HR_CHUNK_MAX_SAMPLES, &tt, &vv, &n, err);
            pos += bl;
            if (r < 0) {
                hr_error_prefix(err, "wal row %lld", (long long)row);
                break;
            }
            if (!ser) continue;
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                if (ser->has_chunk && tt[i] <= ser->chunk_max_t) continue;
                if (head_has(ser, tt[i]) || (k && tt[k - 1] == tt[i])) continue;
                tt[k] = tt[i], vv[k] = vv[i], k++;
            }
            if (k == 0) continue;
            int64_t tmax = tt[0];
            for (size_t i = 1; i < k; i++) tmax = tt[i] > tmax ? tt[i] : tmax;
            wal_track_add(ser, row, tmax);
            if (head_merge(ser, tt, vv, k) < 0) r = hr_error_set(err, HR_ENOMEM, "out of memory");
            s->st.head_samples += k;
        }
    }
    free(tt);
    free(vv);
    sqlite3_finalize(st);
    hr_map_release(&byid);
    if (r < 0) return r;
    if (rc != SQLITE_DONE) return hrd__sql_error(err, s->wdb, "loading the wal");
    s->st.series = s->nall;
    return 0;
}

/* ---- writing (the writer thread) ----------------------------------------------------- */

static int cmp_sample(const void *a, const void *b)
{
    const sample *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* Sort a write by time (stable for equal times is not needed: the first of
 * equal timestamps is kept, and which one that is does not matter). */
static int sort_write(hrd_write *w)
{
    bool sorted = true;
    for (size_t i = 1; i < w->n && sorted; i++) sorted = w->t[i - 1] <= w->t[i];
    if (sorted) return 0;
    sample *tmp = malloc(w->n * sizeof *tmp);
    if (!tmp) return HR_ENOMEM;
    for (size_t i = 0; i < w->n; i++) tmp[i] = (sample){w->t[i], w->v[i]};
    qsort(tmp, w->n, sizeof *tmp, cmp_sample);
    for (size_t i = 0; i < w->n; i++) {
        w->t[i] = tmp[i].t;
        w->v[i] = tmp[i].v;
    }
    free(tmp);
    return 0;
}

/* Count the series a pending write would create (for the max_series check). */
static size_t new_series(hrd_store *s, const pending *p)
{
    size_t k = 0;
    for (size_t i = 0; i < p->nw; i++) {
        if (hr_map_get(&s->byname, p->w[i].series)) continue;
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) dup = !strcmp(p->w[j].series, p->w[i].series);
        if (!dup) k++;
    }
    return k;
}

static int write_one(hrd_store *s, sqlite3_stmt *ins_series, hrd_write *w, const preenc *pre,
                     series *known, pending *p, hr_error *err)
{
    series *ser = known ? known : hr_map_get(&s->byname, w->series);
    if (!ser) {
        sqlite3_stmt *st = ins_series;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, w->series, -1, SQLITE_STATIC);
        if (w->labels)
            sqlite3_bind_text(st, 2, w->labels, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 2);
        sqlite3_bind_int64(st, 3, store_now(s));
        if (sqlite3_step(st) != SQLITE_DONE) return hrd__sql_error(err, s->wdb, "new series");
        ser = series_new(sqlite3_last_insert_rowid(s->wdb), w->series);
        if (!ser) return hr_error_set(err, HR_ENOMEM, "out of memory");
        ser->created_in_txn = true;
        pthread_mutex_lock(&s->mu);
        int rc = index_series(s, ser);
        pthread_mutex_unlock(&s->mu);
        if (rc < 0) {
            series_free(ser);
            return hr_error_set(err, rc, "series %s: cannot index", w->series);
        }
    }
    if (!pre && sort_write(w) < 0) return hr_error_set(err, HR_ENOMEM, "out of memory");
    size_t kept = 0;
    for (size_t i = 0; i < w->n; i++) {
        int64_t t = w->t[i];
        if (ser->has_chunk && t <= ser->chunk_max_t) continue; /* older than the chunks */
        if (kept && w->t[kept - 1] == t) continue;             /* repeated in this write */
        if (head_has(ser, t) || find_t(ser->txn_t, ser->ntxn, sizeof(int64_t), t)) continue;
        if (txn_insert(ser, t) < 0) return hr_error_set(err, HR_ENOMEM, "out of memory");
        w->t[kept] = t;
        w->v[kept] = w->v[i];
        kept++;
    }
    p->res.skipped += w->n - kept;
    p->res.stored += kept;
    if (kept == 0) return 0;
    txn_add a = {ser, w->t, w->v, kept};
    int rc = pre && pre->blob && kept == w->n
                 ? wal_record_blob(&s->walbuf, ser->id, pre->blob, pre->len)
                 : wal_record(&s->walbuf, ser->id, w->t, w->v, kept);
    if (rc < 0 || hr_vec_push(&s->adds, &a) < 0)
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    return 0;
}

/* After COMMIT of wal row `row`: move the added samples into the heads. */
static void apply_adds(hrd_store *s, int64_t row)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->adds.len; i++) {
        txn_add *a = hr_vec_at(&s->adds, i);
        wal_track_add(a->ser, row, a->t[a->n - 1]);
        if (head_merge(a->ser, a->t, a->v, a->n) == 0) s->st.head_samples += a->n;
        a->ser->ntxn = 0;
        if (!a->ser->ready && a->ser->nhead >= s->o.chunk_samples + s->o.chunk_samples / 2 &&
            hr_vec_push(&s->ready, &a->ser) == 0)
            a->ser->ready = true;
    }
    for (size_t i = s->txn_first; i < s->nall; i++) s->all[i]->created_in_txn = false;
    s->st.series = s->nall;
    if (row) s->wal_last = row;
    pthread_mutex_unlock(&s->mu);
    s->adds.len = 0;
}

/* After ROLLBACK: forget series created in the transaction and the
 * transaction's timestamps. */
static void undo_txn(hrd_store *s)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->adds.len; i++) ((txn_add *)hr_vec_at(&s->adds, i))->ser->ntxn = 0;
    size_t k = 0;
    for (size_t i = 0; i < s->nall; i++) {
        series *ser = s->all[i];
        if (ser->created_in_txn) {
            hr_map_del(&s->byname, ser->name, NULL);
            series_free(ser);
            continue;
        }
        s->all[k++] = ser;
    }
    s->nall = k;
    pthread_mutex_unlock(&s->mu);
    s->adds.len = 0;
}

static void commit_group(hrd_store *s, pending *list)
{
    sqlite3_stmt *ins_series = NULL;
    hr_error err = {0};
    s->walbuf.len = 0;
    s->txn_first = s->nall;
    int rc = hrd__sql_exec(s->wdb, "BEGIN IMMEDIATE", &err);
    if (rc == 0 &&
        sqlite3_prepare_v2(s->wdb, "INSERT INTO series(name, labels, created) VALUES(?,?,?)", -1,
                           &ins_series, NULL))
        rc = hrd__sql_error(&err, s->wdb, "prepare");
    size_t nwrites = 0;
    for (pending *p = list; p && rc == 0; p = p->next) {
        if (p->maintain) continue;
        nwrites++;
        size_t fresh = s->nall + p->nw > s->o.max_series ? new_series(s, p) : 0;
        if (fresh && s->nall + fresh > s->o.max_series) {
            p->rc = hr_error_set(&p->err, HR_ELIMIT, "series: limit of %zu series reached",
                                 s->o.max_series);
            continue;
        }
        for (size_t i = 0; i < p->nw && rc == 0; i++)
            rc = write_one(s, ins_series, &p->w[i], p->pre ? &p->pre[i] : NULL,
                           p->ser ? p->ser[i] : NULL, p, &err);
    }
    sqlite3_finalize(ins_series);
    int64_t row = 0;
    if (rc == 0 && s->walbuf.len) rc = insert_wal(s, &s->walbuf, &row, &err);
    if (rc == 0 && nwrites)
        rc = hrd__sql_exec(s->wdb, "COMMIT", &err);
    else if (rc == 0)
        rc = hrd__sql_exec(s->wdb, "ROLLBACK", &err);
    if (rc == 0) {
        apply_adds(s, row);
        pthread_mutex_lock(&s->mu);
        s->st.commits += nwrites ? 1 : 0;
        for (pending *p = list; p; p = p->next) {
            if (p->maintain || p->rc) continue;
            s->st.samples_stored += p->res.stored;
            s->st.samples_skipped += p->res.skipped;
        }
        pthread_mutex_unlock(&s->mu);
        return;
    }
    sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
    undo_txn(s);
    for (pending *p = list; p; p = p->next) {
        if (p->maintain || p->rc) continue;
        p->rc = rc;
        p->err = err;
        p->res = (hrd_write_result){0};
    }
}

/* ---- compaction, downsampling, retention ----------------------------------------------- */

/* Write t/v as chunks of at most `per` samples at resolution res. */
static int write_chunks(hrd_store *s, sqlite3_stmt *ins, int64_t id, int res, const int64_t *t,
                        const double *v, size_t n, size_t per)
{
    for (size_t off = 0; off < n; off += per) {
        size_t k = n - off < per ? n - off : per;
        uint8_t *blob;
        size_t len;
        if (hr_chunk_encode(t + off, v + off, k, &blob, &len) < 0) return HR_ENOMEM;
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, id);
        sqlite3_bind_int(ins, 2, res);
        sqlite3_bind_int64(ins, 3, t[off]);
        sqlite3_bind_int64(ins, 4, t[off + k - 1]);
        sqlite3_bind_int64(ins, 5, (int64_t)k);
        sqlite3_bind_blob(ins, 6, blob, (int)len, SQLITE_STATIC);
        int rc = sqlite3_step(ins);
        sqlite3_bind_null(ins, 6);
        free(blob);
        if (rc != SQLITE_DONE) return HR_EIO;
        pthread_mutex_lock(&s->mu);
        s->st.chunk_bytes += len;
        s->st.chunk_samples += k;
        pthread_mutex_unlock(&s->mu);
    }
    return 0;
}

typedef struct compact_job {
    series *ser;
    size_t take;     /* head samples moved into chunks */
    bool relog;      /* the rest logged again in a checkpoint wal row */
    bool promote;    /* every sample of wal span A leaves the head: B becomes A */
    int64_t wal_min; /* the head's oldest wal row after the job (without relog) */
} compact_job;

/* Wal rows between full passes. A full pass deletes the wal rows no head
 * needs: often enough that each deletion is small, at least every quarter
 * of wal_keep_rows rows, scanning the series at a bounded cost. */
static size_t full_every(const hrd_store *s)
{
    size_t every = s->nall / 128 > FULL_EVERY ? s->nall / 128 : FULL_EVERY;
    return every > s->o.wal_keep_rows / 4 + 1 ? s->o.wal_keep_rows / 4 + 1 : every;
}

/* Move full chunks out of the heads (all of a head when `all_before` is
 * past its first sample, so that downsampling sees every old sample), log
 * again the heads that pin wal rows older than wal_keep_rows, and delete
 * the wal rows no head needs any more. One transaction. */
static int compact(hrd_store *s, int64_t all_before, bool full, hr_error *err)
{
    size_t cs = s->o.chunk_samples;
    int64_t old = s->wal_last - (int64_t)s->o.wal_keep_rows;
    hr_vec jobs;
    hr_vec_init(&jobs, sizeof(compact_job), 0);
    /* A full pass looks at every series (checkpoints, wal truncation, the
     * downsampling cutoff); otherwise only the heads known to be full. */
    size_t nscan = full ? s->nall : s->ready.len;
    series **scan = full ? s->all : s->ready.data;
    /* Between group commits, at most COMPACT_SLICE heads (a stall of a few
     * ms): the others stay ready for the next rounds. */
    size_t budget = all_before == INT64_MIN ? COMPACT_SLICE : SIZE_MAX;
    hr_vec later;
    hr_vec_init(&later, sizeof(series *), 0);
    for (size_t i = 0; i < nscan; i++) {
        series *ser = scan[i];
        if (ser->nhead == 0) continue;
        /* Full chunks, keeping at least cs/2 newest samples in the head:
         * the out-of-order window. */
        size_t keep = cs / 2, take = ser->nhead > keep ? (ser->nhead - keep) / cs * cs : 0;
        compact_job j = {ser, take, false, false, ser->wal_min};
        if (ser->head_lo < all_before) j.take = ser->nhead; /* head_lo: no cache miss */
        if (j.take && budget == 0) {
            if (hr_vec_push(&later, &ser) < 0) {
                hr_vec_release(&jobs);
                hr_vec_release(&later);
                return hr_error_set(err, HR_ENOMEM, "out of memory");
            }
            j.take = 0;
        } else if (j.take) {
            budget--;
        }
        j.promote = j.take && ser->wal_b && ser->wal_a_tmax <= ser->head[j.take - 1].t;
        if (j.promote) j.wal_min = ser->wal_b;
        j.relog = full && j.take < ser->nhead && j.wal_min <= old;
        if ((j.take || j.relog) && hr_vec_push(&jobs, &j) < 0) {
            hr_vec_release(&jobs);
            hr_vec_release(&later);
            return hr_error_set(err, HR_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < s->ready.len; i++) (*(series **)hr_vec_at(&s->ready, i))->ready = false;
    s->ready.len = 0;
    /* (a push that fails leaves the series to its next write) */
    for (size_t i = 0; i < later.len; i++) {
        series *ser = *(series **)hr_vec_at(&later, i);
        if (hr_vec_push(&s->ready, &ser) == 0) ser->ready = true;
    }
    hr_vec_release(&later);
    if (jobs.len == 0 && !full) return 0; /* (a full pass also deletes wal rows) */
    sqlite3_stmt *ins = NULL, *del = NULL;
    int rc = hrd__sql_exec(s->wdb, "BEGIN IMMEDIATE", err);
    if (rc == 0 &&
        (sqlite3_prepare_v2(s->wdb,
                            "INSERT OR REPLACE INTO chunks(series_id, res, t_min, t_max, n, data)"
                            " VALUES(?,?,?,?,?,?)",
                            -1, &ins, NULL) ||
         sqlite3_prepare_v2(s->wdb, "DELETE FROM wal WHERE id < ?", -1, &del, NULL)))
        rc = hrd__sql_error(err, s->wdb, "prepare");
    s->walbuf.len = 0;
    int64_t *t = NULL;
    double *v = NULL;
    for (size_t k = 0; k < jobs.len && rc == 0; k++) {
        compact_job *j = hr_vec_at(&jobs, k);
        series *ser = j->ser;
        size_t n = ser->nhead;
        int64_t *nt = realloc(t, n * sizeof *t);
        if (nt) t = nt;
        double *nv = nt ? realloc(v, n * sizeof *v) : NULL;
        if (nv) v = nv;
        if (!nt || !nv) {
            rc = hr_error_set(err, HR_ENOMEM, "out of memory");
            break;
        }
        for (size_t i = 0; i < n; i++) t[i] = ser->head[i].t, v[i] = ser->head[i].v;
        rc = write_chunks(s, ins, ser->id, 0, t, v, j->take, cs);
        if (rc == 0 && j->relog)
            rc = wal_record(&s->walbuf, ser->id, t + j->take, v + j->take, n - j->take);
        if (rc < 0 && !err->msg[0]) hrd__sql_error(err, s->wdb, "compaction");
    }
    free(t);
    free(v);
    int64_t row = 0;
    if (rc == 0 && s->walbuf.len) rc = insert_wal(s, &s->walbuf, &row, err);
    /* The oldest wal row still needed once this commits. */
    int64_t keep = row ? row : s->wal_last + 1;
    size_t jk = 0;
    for (size_t i = 0; rc == 0 && full && i < s->nall; i++) {
        series *ser = s->all[i];
        compact_job *j = jk < jobs.len ? hr_vec_at(&jobs, jk) : NULL;
        bool is_job = j && j->ser == ser;
        if (is_job) jk++;
        if (ser->nhead == 0 || (is_job && (j->take == ser->nhead || j->relog))) continue;
        int64_t need = is_job ? j->wal_min : ser->wal_min;
        if (need < keep) keep = need;
    }
    /* At most 2 full_every() rows per pass: catching up (after a restart,
     * or once heads start to let go of the first rows) is spread out. */
    int64_t cap = 2 * (int64_t)full_every(s);
    if (keep - s->wal_del > cap) keep = s->wal_del + cap;
    if (rc == 0 && full) {
        sqlite3_bind_int64(del, 1, keep);
        if (sqlite3_step(del) != SQLITE_DONE) rc = hrd__sql_error(err, s->wdb, "wal truncation");
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    if (rc == 0) rc = hrd__sql_exec(s->wdb, "COMMIT", err);
    if (rc < 0) {
        sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
        hr_vec_release(&jobs);
        return rc;
    }
    pthread_mutex_lock(&s->mu);
    for (size_t k = 0; k < jobs.len; k++) {
        compact_job *j = hr_vec_at(&jobs, k);
        series *ser = j->ser;
        if (j->take) {
            ser->has_chunk = true;
            ser->chunk_max_t = ser->head[j->take - 1].t;
        }
        memmove(ser->head, ser->head + j->take, (ser->nhead - j->take) * sizeof(sample));
        ser->nhead -= j->take;
        s->st.head_samples -= j->take;
        if (ser->nhead) ser->head_lo = ser->head[0].t;
        if (j->relog) {
            ser->wal_min = row, ser->wal_a_tmax = ser->head_hi;
            ser->wal_b = 0, ser->wal_split = false;
        } else if (j->take) {
            if (j->promote) {
                ser->wal_min = ser->wal_b, ser->wal_a_tmax = ser->wal_b_tmax;
                ser->wal_b = 0;
            }
            if (ser->nhead == 0) ser->wal_min = 0, ser->wal_b = 0;
            ser->wal_split = ser->nhead && !ser->wal_b;
        }
    }
    if (row) s->wal_last = row;
    if (full) s->wal_full = s->wal_last, s->wal_del = keep;
    pthread_mutex_unlock(&s->mu);
    hr_vec_release(&jobs);
    return 0;
}

/* Chunks of one series and resolution overlapping [from, to], decoded and
 * appended to t/v (vectors of int64_t / double). */
static int read_chunks(sqlite3 *db, int64_t id, int res, int64_t from, int64_t to, hr_vec *t,
                       hr_vec *v, hr_vec *rowkeys, hr_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT t_min, data FROM chunks WHERE series_id = ? AND res = ?"
                           " AND t_min <= ? AND t_max >= ? ORDER BY t_min",
                           -1, &st, NULL))
        return hrd__sql_error(err, db, "reading chunks");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, res);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, from);
    int rc, r = 0;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t key = sqlite3_column_int64(st, 0);
        if (rowkeys && hr_vec_push(rowkeys, &key) < 0) r = HR_ENOMEM;
        hr_chunk_iter it;
        r = hr_chunk_iter_init(&it, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                               HR_CHUNK_MAX_SAMPLES, err);
        int64_t ts;
        double vs;
        while (r >= 0 && (r = hr_chunk_iter_next(&it, &ts, &vs, err)) == 1) {
            if (ts < from || ts > to) continue;
            if (hr_vec_push(t, &ts) < 0 || hr_vec_push(v, &vs) < 0)
                r = hr_error_set(err, HR_ELIMIT, "series: too many samples in the range");
        }
        if (r < 0) {
            hr_error_prefix(err, "series %lld chunk at %lld", (long long)id, (long long)key);
        } else {
            r = 0;
        }
    }
    if (r == 0 && rc != SQLITE_DONE) r = hrd__sql_error(err, db, "reading chunks");
    sqlite3_finalize(st);
    return r;
}

/* Hourly means of raw samples before `cutoff` (aligned to the hour), the
 * rest kept raw. */
static int downsample_series(hrd_store *s, series *ser, int64_t cutoff, hr_error *err)
{
    hr_vec t, v, keys, ht, hv;
    hr_vec_init(&t, sizeof(int64_t), 0);
    hr_vec_init(&v, sizeof(double), 0);
    hr_vec_init(&keys, sizeof(int64_t), 0);
    hr_vec_init(&ht, sizeof(int64_t), 0);
    hr_vec_init(&hv, sizeof(double), 0);
    sqlite3_stmt *del = NULL, *ins = NULL;
    int rc = read_chunks(s->wdb, ser->id, 0, INT64_MIN, cutoff - 1, &t, &v, &keys, err);
    if (rc < 0 || keys.len == 0) goto out;
    /* The samples at or after the cutoff in those chunks stay raw. */
    hr_vec rt, rv;
    hr_vec_init(&rt, sizeof(int64_t), 0);
    hr_vec_init(&rv, sizeof(double), 0);
    int64_t last_key = *(int64_t *)hr_vec_at(&keys, keys.len - 1);
    rc = read_chunks(s->wdb, ser->id, 0, cutoff, INT64_MAX, &rt, &rv, NULL, err);
    /* (only the last old chunk can reach past the cutoff: drop newer chunks' samples) */
    size_t keep = 0;
    if (rc == 0) {
        sqlite3_stmt *q;
        int64_t tmax = cutoff - 1;
        if (sqlite3_prepare_v2(s->wdb,
                               "SELECT t_max FROM chunks WHERE series_id=? AND res=0 AND t_min=?",
                               -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, ser->id);
            sqlite3_bind_int64(q, 2, last_key);
            if (sqlite3_step(q) == SQLITE_ROW) tmax = sqlite3_column_int64(q, 0);
            sqlite3_finalize(q);
        }
        while (keep < rt.len && ((int64_t *)rt.data)[keep] <= tmax) keep++;
    }
    /* Existing last hourly chunk, merged if short. */
    int64_t hlast = INT64_MIN, hkey = 0;
    size_t hn = 0;
    if (rc == 0) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(s->wdb,
                               "SELECT t_min, t_max, n FROM chunks WHERE series_id=? AND"
                               " res=3600 ORDER BY t_min DESC LIMIT 1",
                               -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, ser->id);
            if (sqlite3_step(q) == SQLITE_ROW) {
                hkey = sqlite3_column_int64(q, 0);
                hlast = sqlite3_column_int64(q, 1);
                hn = (size_t)sqlite3_column_int64(q, 2);
            }
            sqlite3_finalize(q);
        }
        if (hn && hn < s->o.chunk_samples)
            rc =
                read_chunks(s->wdb, ser->id, HRD_HOURLY_STEP, hkey, INT64_MAX, &ht, &hv, NULL, err);
        else
            hn = 0;
    }
    const int64_t *ts = t.data;
    const double *vs = v.data;
    for (size_t i = 0; rc == 0 && i < t.len;) {
        int64_t b = ts[i] - ((ts[i] % HRD_HOURLY_STEP) + HRD_HOURLY_STEP) % HRD_HOURLY_STEP;
        double sum = 0;
        size_t cnt = 0;
        for (; i < t.len && ts[i] < b + HRD_HOURLY_STEP; i++)
            if (isfinite(vs[i])) sum += vs[i], cnt++;
        if (b <= hlast) continue; /* late data for an hour already downsampled */
        double mean = cnt ? sum / (double)cnt : NAN;
        if (hr_vec_push(&ht, &b) < 0 || hr_vec_push(&hv, &mean) < 0) rc = HR_ENOMEM;
    }
    if (rc == 0 &&
        (sqlite3_prepare_v2(s->wdb, "DELETE FROM chunks WHERE series_id=? AND res=? AND t_min=?",
                            -1, &del, NULL) ||
         sqlite3_prepare_v2(s->wdb,
                            "INSERT OR REPLACE INTO chunks(series_id, res, t_min, t_max, n, data)"
                            " VALUES(?,?,?,?,?,?)",
                            -1, &ins, NULL)))
        rc = hrd__sql_error(err, s->wdb, "prepare");
    for (size_t k = 0; rc == 0 && k < keys.len + (hn ? 1 : 0); k++) {
        sqlite3_reset(del);
        sqlite3_bind_int64(del, 1, ser->id);
        sqlite3_bind_int(del, 2, k < keys.len ? 0 : HRD_HOURLY_STEP);
        sqlite3_bind_int64(del, 3, k < keys.len ? *(int64_t *)hr_vec_at(&keys, k) : hkey);
        if (sqlite3_step(del) != SQLITE_DONE) rc = hrd__sql_error(err, s->wdb, "downsampling");
    }
    if (rc == 0)
        rc = write_chunks(s, ins, ser->id, HRD_HOURLY_STEP, ht.data, hv.data, ht.len,
                          s->o.chunk_samples);
    if (rc == 0 && keep)
        rc = write_chunks(s, ins, ser->id, 0, rt.data, rv.data, keep, s->o.chunk_samples);
    hr_vec_release(&rt);
    hr_vec_release(&rv);
out:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    hr_vec_release(&t);
    hr_vec_release(&v);
    hr_vec_release(&keys);
    hr_vec_release(&ht);
    hr_vec_release(&hv);
    return rc < 0 ? (err->msg[0] ? rc : hr_error_set(err, rc, "downsampling failed")) : 0;
}

static int maintain(hrd_store *s, hr_error *err)
{
    int64_t now = store_now(s);
    int64_t cutoff = INT64_MIN;
    if (s->o.raw_retention_sec > 0) {
        int64_t c = now - s->o.raw_retention_sec;
        cutoff = c - ((c % HRD_HOURLY_STEP) + HRD_HOURLY_STEP) % HRD_HOURLY_STEP;
    }
    int rc = compact(s, cutoff, true, err);
    if (rc < 0 || s->o.raw_retention_sec <= 0) goto retention;
    /* Recomputed byte counts after the rewrite below. */
    rc = hrd__sql_exec(s->wdb, "BEGIN IMMEDIATE", err);
    for (size_t i = 0; rc == 0 && i < s->nall; i++)
        rc = downsample_series(s, s->all[i], cutoff, err);
    if (rc == 0) rc = hrd__sql_exec(s->wdb, "COMMIT", err);
    if (rc < 0) sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
retention:
    if (rc == 0 && s->o.hourly_retention_sec > 0) {
        char sql[160];
        snprintf(sql, sizeof sql, "DELETE FROM chunks WHERE res = %d AND t_max < %lld",
                 HRD_HOURLY_STEP, (long long)(now - s->o.hourly_retention_sec));
        rc = hrd__sql_exec(s->wdb, sql, err);
    }
    if (rc == 0 && (s->o.raw_retention_sec > 0 || s->o.hourly_retention_sec > 0)) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(s->wdb, "SELECT sum(length(data)), sum(n) FROM chunks", -1, &q,
                               NULL) == SQLITE_OK) {
            if (sqlite3_step(q) == SQLITE_ROW) {
                pthread_mutex_lock(&s->mu);
                s->st.chunk_bytes = (uint64_t)sqlite3_column_int64(q, 0);
                s->st.chunk_samples = (uint64_t)sqlite3_column_int64(q, 1);
                pthread_mutex_unlock(&s->mu);
            }
            sqlite3_finalize(q);
        }
    }
    if (rc == 0) sqlite3_wal_checkpoint_v2(s->wdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc;
}

static void *writer_main(void *arg)
{
    hrd_store *s = arg;
    double next_maint = hr_clock_sec() + s->o.maintain_sec;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->qhead && !s->stop && hr_clock_sec() < next_maint) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
            pthread_cond_timedwait(&s->qcond, &s->mu, &ts);
        }
        if (!s->qhead && s->stop) break;
        pending *list = s->qhead;
        s->qhead = s->qtail = NULL;
        pthread_mutex_unlock(&s->mu);

        bool want_maint = hr_clock_sec() >= next_maint;
        for (pending *p = list; p; p = p->next) want_maint |= p->maintain;
        commit_group(s, list);
        hr_error merr = {0};
        int mrc = 0;
        if (want_maint) {
            mrc = maintain(s, &merr);
            next_maint = hr_clock_sec() + s->o.maintain_sec;
        } else {
            bool full = s->wal_last - s->wal_full >= (int64_t)full_every(s);
            mrc = compact(s, INT64_MIN, full, &merr);
        }
        pthread_mutex_lock(&s->mu);
        for (pending *p = list; p; p = p->next) {
            if (p->maintain) {
                p->rc = mrc;
                p->err = merr;
            }
            p->done = true;
        }
        pthread_cond_broadcast(&s->dcond);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static int submit(hrd_store *s, pending *p)
{
    pthread_mutex_lock(&s->mu);
    if (s->stop) {
        pthread_mutex_unlock(&s->mu);
        return hr_error_set(&p->err, HR_ESTATE, "store: shutting down");
    }
    if (s->qtail)
        s->qtail->next = p;
    else
        s->qhead = p;
    s->qtail = p;
    pthread_cond_signal(&s->qcond);
    while (!p->done) pthread_cond_wait(&s->dcond, &s->mu);
    pthread_mutex_unlock(&s->mu);
    return p->rc;
}

/* In the calling thread: sort each write and encode its wal chunk, so that
 * the writer thread has less to do. A NULL result (out of memory) leaves
 * the writer to do it all. */
static preenc *pre_encode(hrd_write *w, size_t nw)
{
    preenc *pre = calloc(nw ? nw : 1, sizeof *pre);
    if (!pre) return NULL;
    for (size_t i = 0; i < nw; i++) {
        hrd_write *x = &w[i];
        if (sort_write(x) < 0) {
            free(pre);
            return NULL;
        }
        bool repeats = false;
        for (size_t j = 1; j < x->n && !repeats; j++) repeats = x->t[j] == x->t[j - 1];
        /* with repeats the writer drops them and encodes what it keeps */
        if (repeats || x->n > HR_CHUNK_MAX_SAMPLES || x->n == 0) continue;
        if (hr_chunk_encode(x->t, x->v, x->n, &pre[i].blob, &pre[i].len) < 0) pre[i].blob = NULL;
    }
    return pre;
}

static void pre_free(preenc *pre, size_t nw)
{
    if (!pre) return;
    for (size_t i = 0; i < nw; i++) free(pre[i].blob);
    free(pre);
}

/* In the calling thread: look the series up, so that the writer thread
 * does not. Only committed series are kept (they live until close; one
 * created by an open transaction may be rolled back and freed). NULL (out
 * of memory) leaves the writer to look them all up. */
static series **pre_lookup(hrd_store *s, const hrd_write *w, size_t nw)
{
    series **ser = malloc((nw ? nw : 1) * sizeof *ser);
    if (!ser) return NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < nw; i++) {
        ser[i] = hr_map_get(&s->byname, w[i].series);
        if (ser[i] && ser[i]->created_in_txn) ser[i] = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    return ser;
}

int hrd_store_write(hrd_store *s, hrd_write *w, size_t nw, hrd_write_result *res, hr_error *err)
{
    pending p = {.w = w, .nw = nw, .pre = pre_encode(w, nw), .ser = pre_lookup(s, w, nw)};
    int rc = submit(s, &p);
    pre_free(p.pre, nw);
    free(p.ser);
    if (rc < 0) {
        if (err) *err = p.err;
        return rc;
    }
    if (res) *res = p.res;
    return 0;
}

int hrd_store_maintain(hrd_store *s, hr_error *err)
{
    pending p = {.maintain = true};
    int rc = submit(s, &p);
    if (rc < 0 && err) *err = p.err;
    return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

static int reader_get(hrd_store *s)
{
    pthread_mutex_lock(&s->rmu);
    for (;;) {
        for (int i = 0; i < NREAD; i++) {
            if (!s->rbusy[i]) {
                s->rbusy[i] = true;
                pthread_mutex_unlock(&s->rmu);
                return i;
            }
        }
        pthread_cond_wait(&s->rcond, &s->rmu);
    }
}

static void reader_put(hrd_store *s, int i)
{
    pthread_mutex_lock(&s->rmu);
    s->rbusy[i] = false;
    pthread_cond_signal(&s->rcond);
    pthread_mutex_unlock(&s->rmu);
}

int hrd_store_read(hrd_store *s, const char *name, int64_t from, int64_t to, size_t limit,
                   hr_vec *tv, hr_vec *vv, bool *more, hr_error *err)
{
    /* The head first, then the chunks (see store.h: a compaction between
     * the two shows samples twice, never zero times; duplicates dropped). */
    pthread_mutex_lock(&s->mu);
    series *ser = hr_map_get(&s->byname, name);
    if (!ser || ser->created_in_txn) {
        pthread_mutex_unlock(&s->mu);
        return hr_error_set(err, HR_ENOTFOUND, "series %s: not found", name);
    }
    int64_t id = ser->id;
    hr_vec ht, hv;
    hr_vec_init(&ht, sizeof(int64_t), 0);
    hr_vec_init(&hv, sizeof(double), 0);
    int rc = 0;
    for (size_t i = 0; i < ser->nhead && rc == 0; i++) {
        if (ser->head[i].t < from || ser->head[i].t > to) continue;
        if (hr_vec_push(&ht, &ser->head[i].t) < 0 || hr_vec_push(&hv, &ser->head[i].v) < 0)
            rc = hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    pthread_mutex_unlock(&s->mu);
    hr_vec ct, cv;
    hr_vec_init(&ct, sizeof(int64_t), HR_SERIES_MAX_LEN);
    hr_vec_init(&cv, sizeof(double), HR_SERIES_MAX_LEN);
    int r = reader_get(s);
    /* One read transaction: hourly and raw chunks from the same snapshot. */
    if (rc == 0) rc = hrd__sql_exec(s->rdb[r], "BEGIN", err);
    if (rc == 0) rc = read_chunks(s->rdb[r], id, HRD_HOURLY_STEP, from, to, &ct, &cv, NULL, err);
    if (rc == 0) rc = read_chunks(s->rdb[r], id, 0, from, to, &ct, &cv, NULL, err);
    sqlite3_exec(s->rdb[r], "COMMIT", NULL, NULL, NULL);
    reader_put(s, r);
    for (size_t i = 0; rc == 0 && i < ht.len; i++) {
        if (hr_vec_push(&ct, hr_vec_at(&ht, i)) < 0 || hr_vec_push(&cv, hr_vec_at(&hv, i)) < 0)
            rc = hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    bool have = false, over = false;
    int64_t last = 0;
    const int64_t *ts = ct.data;
    const double *vs = cv.data;
    for (size_t i = 0; rc == 0 && i < ct.len; i++) {
        if (have && ts[i] <= last) continue;
        if (tv->len >= limit) {
            over = true;
            break;
        }
        if (hr_vec_push(tv, &ts[i]) < 0 || hr_vec_push(vv, &vs[i]) < 0)
            rc = hr_error_set(err, HR_ENOMEM, "out of memory");
        have = true;
        last = ts[i];
    }
    hr_vec_release(&ht);
    hr_vec_release(&hv);
    hr_vec_release(&ct);
    hr_vec_release(&cv);
    if (rc == 0 && more) *more = over;
    return rc;
}

int hrd_store_list_series(hrd_store *s, const char *after, size_t limit, json_t **out,
                          hr_error *err)
{
    int r = reader_get(s);
    sqlite3 *db = s->rdb[r];
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, labels FROM series WHERE name > ? ORDER BY name LIMIT ?",
                           -1, &st, NULL)) {
        rc = hrd__sql_error(err, db, "listing series");
        reader_put(s, r);
        return rc;
    }
    sqlite3_bind_text(st, 1, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    json_t *arr = json_array();
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *labels = (const char *)sqlite3_column_text(st, 1);
        json_t *lj = labels ? json_loads(labels, 0, NULL) : NULL;
        json_array_append_new(arr, json_pack("{s:s, s:o}", "name", sqlite3_column_text(st, 0),
                                             "labels", lj ? lj : json_object()));
    }
    if (step != SQLITE_DONE) rc = hrd__sql_error(err, db, "listing series");
    sqlite3_finalize(st);
    reader_put(s, r);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

void hrd_store_get_stats(hrd_store *s, hrd_store_stats *st)
{
    pthread_mutex_lock(&s->mu);
    *st = s->st;
    pthread_mutex_unlock(&s->mu);
    struct stat sb;
    char p[4200];
    st->db_bytes = 0;
    if (stat(s->path, &sb) == 0) st->db_bytes += (uint64_t)sb.st_size;
    snprintf(p, sizeof p, "%s-wal", s->path);
    if (stat(p, &sb) == 0) st->db_bytes += (uint64_t)sb.st_size;
}

/* ---- open / close --------------------------------------------------------------------- */

sqlite3 *hrd__store_admin_db(hrd_store *s)
{
    pthread_mutex_lock(&s->amu);
    return s->adb;
}

void hrd__store_admin_unlock(hrd_store *s)
{
    pthread_mutex_unlock(&s->amu);
}

int hrd_store_open(const hrd_store_opts *o, hrd_store **out, hr_error *err)
{
    if (!o || !o->dir || !o->dir[0]) return hr_error_set(err, HR_EINVAL, "store: no directory");
    if (mkdir(o->dir, 0700) != 0 && errno != EEXIST)
        return hr_error_set(err, HR_EIO, "%s: cannot create: %s", o->dir, strerror(errno));
    hrd_store *s = calloc(1, sizeof *s);
    if (!s) return hr_error_set(err, HR_ENOMEM, "out of memory");
    s->o = *o;
    if (!s->o.chunk_samples) s->o.chunk_samples = 120;
    if (s->o.chunk_samples > HR_CHUNK_MAX_SAMPLES) s->o.chunk_samples = HR_CHUNK_MAX_SAMPLES;
    if (s->o.maintain_sec <= 0) s->o.maintain_sec = 60;
    if (!s->o.max_series) s->o.max_series = 1000000;
    if (!s->o.wal_keep_rows) s->o.wal_keep_rows = 4096;
    s->o.dir = NULL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->amu, NULL);
    pthread_mutex_init(&s->rmu, NULL);
    pthread_cond_init(&s->qcond, NULL);
    pthread_cond_init(&s->dcond, NULL);
    pthread_cond_init(&s->rcond, NULL);
    hr_map_init(&s->byname, 0);
    hr_vec_init(&s->adds, sizeof(txn_add), 0);
    hr_vec_init(&s->walbuf, 1, 0);
    hr_vec_init(&s->ready, sizeof(series *), 0);
    size_t plen = strlen(o->dir) + sizeof "/headroom.db";
    s->path = malloc(plen);
    int rc = s->path ? 0 : hr_error_set(err, HR_ENOMEM, "out of memory");
    if (rc == 0) snprintf(s->path, plen, "%s/headroom.db", o->dir);
    if (rc == 0) rc = open_db(s->path, &s->wdb, err);
    if (rc == 0) rc = hrd__sql_exec(s->wdb, schema, err);
    if (rc == 0) rc = open_db(s->path, &s->adb, err);
    for (int i = 0; i < NREAD && rc == 0; i++) rc = open_db(s->path, &s->rdb[i], err);
    if (rc == 0) rc = load(s, err);
    if (rc == 0 && pthread_create(&s->writer, NULL, writer_main, s) != 0)
        rc = hr_error_set(err, HR_EIO, "store: cannot start the writer thread");
    if (rc < 0) {
        hrd_store_close(s);
        return rc;
    }
    s->started = true;
    *out = s;
    return 0;
}

void hrd_store_close(hrd_store *s)
{
    if (!s) return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_signal(&s->qcond);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->writer, NULL);
    }
    for (size_t i = 0; i < s->nall; i++) series_free(s->all[i]);
    free(s->all);
    hr_map_release(&s->byname);
    hr_vec_release(&s->adds);
    hr_vec_release(&s->walbuf);
    hr_vec_release(&s->ready);
    sqlite3_close(s->wdb);
    sqlite3_close(s->adb);
    for (int i = 0; i < NREAD; i++) sqlite3_close(s->rdb[i]);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->amu);
    pthread_mutex_destroy(&s->rmu);
    pthread_cond_destroy(&s->qcond);
    pthread_cond_destroy(&s->dcond);
    pthread_cond_destroy(&s->rcond);
    free(s->path);
    free(s);
}
