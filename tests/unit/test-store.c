/* The daemon's store on a real SQLite file: round trips through the head
 * and chunks, idempotent retries, reopen, downsampling and retention with a
 * test clock, limits, concurrent writers, fleet objects, tokens, journal. */
#include "testutil.h"

#include "daemon/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hr-test-store-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static hrd_store *open_store(size_t chunk, int64_t raw_ret, int64_t (*now)(void *), void *ud)
{
    hrd_store_opts o = {.dir = dir,
                        .chunk_samples = chunk,
                        .raw_retention_sec = raw_ret,
                        .maintain_sec = 3600,
                        .max_series = 50,
                        .now = now,
                        .now_ud = ud};
    hrd_store *s = NULL;
    hr_error err = {0};
    if (hrd_store_open(&o, &s, &err) != 0) print_error("open: %s\n", err.msg);
    assert_non_null(s);
    return s;
}

static void read_all(hrd_store *s, const char *name, hr_vec *t, hr_vec *v)
{
    hr_vec_init(t, sizeof(int64_t), 0);
    hr_vec_init(v, sizeof(double), 0);
    bool more = true;
    hr_error err = {0};
    assert_int_equal(hrd_store_read(s, name, INT64_MIN, INT64_MAX, 1000000, t, v, &more, &err), 0);
    assert_false(more);
}

static void test_round_trip(void **state)
{
    (void)state;
    hrd_store *s = open_store(10, 0, NULL, NULL);
    /* 95 samples, written unsorted in 3 writes; duplicates and a retry. */
    int64_t t[95];
    double v[95];
    for (int i = 0; i < 95; i++) {
        int k = (i * 37) % 95; /* a permutation */
        t[i] = 1000 + 300 * k;
        v[i] = k == 5 ? NAN : k * 0.5 - 3;
    }
    hr_error err = {0};
    hrd_write_result r;
    /* The first write is out of order inside itself: it is sorted. */
    int64_t t1[40];
    double v1[40];
    for (int i = 0; i < 40; i++) t1[i] = 1000 + 300 * (39 - i), v1[i] = (39 - i) * 0.5 - 3;
    v1[39 - 5] = NAN;
    hrd_write w = {"cpu.host1", "{\"host\":\"h1\"}", t1, v1, 40};
    assert_int_equal(hrd_store_write(s, &w, 1, &r, &err), 0);
    assert_int_equal(r.stored, 40);
    assert_int_equal(r.skipped, 0);
    /* The whole set again: the first 40 are skipped (idempotent retry). */
    hrd_write w2 = {"cpu.host1", NULL, t, v, 95};
    assert_int_equal(hrd_store_write(s, &w2, 1, &r, &err), 0);
    assert_int_equal(r.stored, 55);
    assert_int_equal(r.skipped, 40);
    hr_vec rt, rv;
    read_all(s, "cpu.host1", &rt, &rv);
    assert_int_equal(rt.len, 95);
    for (size_t i = 0; i < 95; i++) {
        assert_int_equal(((int64_t *)rt.data)[i], 1000 + 300 * (int64_t)i);
        double want = i == 5 ? NAN : (double)i * 0.5 - 3;
        double got = ((double *)rv.data)[i];
        if (i == 5)
            assert_true(isnan(got));
        else
            assert_near(got, want, 0);
    }
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    /* A range and a limit with more. */
    hr_vec_init(&rt, sizeof(int64_t), 0);
    hr_vec_init(&rv, sizeof(double), 0);
    bool more = false;
    assert_int_equal(
        hrd_store_read(s, "cpu.host1", 1000 + 300 * 20, 1000 + 300 * 60, 30, &rt, &rv, &more, &err),
        0);
    assert_int_equal(rt.len, 30);
    assert_true(more);
    assert_int_equal(((int64_t *)rt.data)[0], 1000 + 300 * 20);
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    assert_int_equal(hrd_store_read(s, "nosuch", 0, 1, 10, &rt, &rv, &more, &err), HR_ENOTFOUND);
    hrd_store_stats st;
    hrd_store_get_stats(s, &st);
    assert_int_equal(st.samples_stored, 95);
    assert_int_equal(st.samples_skipped, 40);
    assert_int_equal(st.series, 1);
    /* Compaction moves whole chunks of 10 out of the head after a write,
     * keeping at least 5 (the out-of-order window). */
    assert_int_equal(st.head_samples, 95 % 10);
    assert_int_equal(st.chunk_samples, 90);
    hrd_store_close(s);

    /* Reopened: the same samples, and the newest timestamp still known. */
    s = open_store(10, 0, NULL, NULL);
    read_all(s, "cpu.host1", &rt, &rv);
    assert_int_equal(rt.len, 95);
    assert_int_equal(((int64_t *)rt.data)[94], 1000 + 300 * 94);
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    assert_int_equal(hrd_store_write(s, &w2, 1, &r, &err), 0);
    assert_int_equal(r.skipped, 95);
    json_t *list = NULL;
    assert_int_equal(hrd_store_list_series(s, NULL, 10, &list, &err), 0);
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(list, 0), "labels"), "host")),
                        "h1");
    json_decref(list);
    hrd_store_close(s);
}

static int64_t test_clock(void *ud)
{
    return *(int64_t *)ud;
}

static void test_downsampling(void **state)
{
    (void)state;
    /* Three days of 5-minute samples; raw kept for one day. */
    const int64_t t0 = 1700006400; /* a whole hour */
    const size_t n = 3 * 288;
    int64_t *t = malloc(n * sizeof *t);
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) t[i] = t0 + 300 * (int64_t)i, v[i] = (double)(i % 24);
    int64_t now = t0 + 3 * 86400;
    hrd_store *s = open_store(50, 86400, test_clock, &now);
    hr_error err = {0};
    hrd_write w = {"mem", NULL, t, v, n};
    hrd_write_result r;
    assert_int_equal(hrd_store_write(s, &w, 1, &r, &err), 0);
    assert_int_equal(hrd_store_maintain(s, &err), 0);
    hr_vec rt, rv;
    read_all(s, "mem", &rt, &rv);
    /* 48 hourly means, then the last day raw (288 samples). */
    assert_int_equal(rt.len, 48 + 288);
    const int64_t *ts = rt.data;
    const double *vs = rv.data;
    for (size_t h = 0; h < 48; h++) {
        assert_int_equal(ts[h], t0 + 3600 * (int64_t)h);
        /* hour h holds samples 12h..12h+11: values (12h+k) % 24 */
        double sum = 0;
        for (size_t k = 0; k < 12; k++) sum += (double)((12 * h + k) % 24);
        assert_near(vs[h], sum / 12, 1e-12);
    }
    for (size_t i = 0; i < 288; i++) {
        assert_int_equal(ts[48 + i], t0 + 2 * 86400 + 300 * (int64_t)i);
        assert_near(vs[48 + i], (double)((576 + i) % 24), 0);
    }
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    /* A day later, a second pass: the hourly chunk is extended, not doubled. */
    now += 86400;
    assert_int_equal(hrd_store_maintain(s, &err), 0);
    read_all(s, "mem", &rt, &rv);
    assert_int_equal(rt.len, 72);
    for (size_t h = 1; h < 72; h++)
        assert_int_equal(((int64_t *)rt.data)[h] - ((int64_t *)rt.data)[h - 1], 3600);
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    hrd_store_stats st;
    hrd_store_get_stats(s, &st);
    assert_int_equal(st.chunk_samples, 72);
    hrd_store_close(s);
    free(t);
    free(v);
}

static void test_limits(void **state)
{
    (void)state;
    hrd_store *s = open_store(0, 0, NULL, NULL);
    hr_error err = {0};
    int64_t t = 1;
    double v = 2;
    char names[60][16];
    hrd_write w[60];
    for (int i = 0; i < 60; i++) {
        snprintf(names[i], sizeof names[i], "s%02d", i);
        w[i] = (hrd_write){names[i], NULL, &t, &v, 1};
    }
    /* 60 new series against a limit of 50: refused whole. */
    assert_int_equal(hrd_store_write(s, w, 60, NULL, &err), HR_ELIMIT);
    assert_non_null(strstr(err.msg, "limit of 50 series"));
    hrd_store_stats st;
    hrd_store_get_stats(s, &st);
    assert_int_equal(st.series, 0);
    assert_int_equal(st.samples_stored, 0);
    assert_int_equal(hrd_store_write(s, w, 50, NULL, &err), 0);
    hrd_store_get_stats(s, &st);
    assert_int_equal(st.series, 50);
    /* Repeated timestamps inside one write: one of them is kept. */
    int64_t rt3[4] = {9, 5, 9, 7};
    double rv3[4] = {1, 2, 3, 4};
    hrd_write rep = {"rep", NULL, rt3, rv3, 4};
    hrd_write_result r;
    assert_int_equal(hrd_store_write(s, &rep, 1, &r, &err), HR_ELIMIT); /* still 50 series */
    hrd_write reuse = {"s00", NULL, rt3, rv3, 4};
    assert_int_equal(hrd_store_write(s, &reuse, 1, &r, &err), 0);
    assert_int_equal(r.stored, 3);
    assert_int_equal(r.skipped, 1);
    assert_true(hr_series_key_ok("a.b:c-d_9"));
    assert_false(hr_series_key_ok(""));
    assert_false(hr_series_key_ok("a b"));
    assert_true(hr_series_key_ok("disk.free,path=/var"));
    assert_false(hr_series_key_ok("/a"));
    assert_false(hr_series_key_ok("a?b"));
    hrd_store_close(s);
}

struct wctx {
    hrd_store *s;
    int id;
    size_t acked;
};

static void *writer(void *arg)
{
    struct wctx *c = arg;
    char name[16];
    snprintf(name, sizeof name, "w%d", c->id);
    for (int b = 0; b < 50; b++) {
        int64_t t[20];
        double v[20];
        for (int i = 0; i < 20; i++) t[i] = b * 20 + i, v[i] = c->id + i;
        hrd_write w = {name, NULL, t, v, 20};
        hrd_write_result r;
        if (hrd_store_write(c->s, &w, 1, &r, NULL) == 0) c->acked += r.stored;
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    hrd_store *s = open_store(64, 0, NULL, NULL);
    pthread_t th[4];
    struct wctx c[4];
    for (int i = 0; i < 4; i++) {
        c[i] = (struct wctx){s, i, 0};
        pthread_create(&th[i], NULL, writer, &c[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    hrd_store_stats st;
    hrd_store_get_stats(s, &st);
    print_message("4 writers x 50 writes: %llu commits\n", (unsigned long long)st.commits);
    assert_true(st.commits <= 200);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(c[i].acked, 1000);
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        hr_vec rt, rv;
        read_all(s, name, &rt, &rv);
        assert_int_equal(rt.len, 1000);
        hr_vec_release(&rt);
        hr_vec_release(&rv);
    }
    hrd_store_close(s);
}

static int64_t wal_rows(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/headroom.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM wal", -1, &st, NULL), 0);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_out_of_order_and_wal(void **state)
{
    (void)state;
    hrd_store_opts o = {.dir = dir, .chunk_samples = 100, .maintain_sec = 3600, .wal_keep_rows = 4};
    hrd_store *s = NULL;
    hr_error err = {0};
    assert_int_equal(hrd_store_open(&o, &s, &err), 0);
    /* One sample of "quiet" pins the first wal row. */
    int64_t qt = 50;
    double qv = 5;
    hrd_write q = {"quiet", NULL, &qt, &qv, 1};
    hrd_write_result r;
    assert_int_equal(hrd_store_write(s, &q, 1, &r, &err), 0);
    /* "busy": 3 samples per write, newest first, every other write late
     * by one step but still inside the head (out of order). */
    for (int k = 0; k < 20; k++) {
        int64_t t[3];
        double v[3];
        int64_t base = k % 2 ? 100 * (k - 1) + 50 : 100 * (k + 1);
        for (int i = 0; i < 3; i++) t[i] = base + 30 - 10 * i, v[i] = (double)t[i] / 10;
        hrd_write w = {"busy", NULL, t, v, 3};
        assert_int_equal(hrd_store_write(s, &w, 1, &r, &err), 0);
        assert_int_equal(r.stored, 3);
    }
    hr_vec rt, rv;
    read_all(s, "busy", &rt, &rv);
    assert_int_equal(rt.len, 60);
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    /* 90 more: the head holds 150, a chunk of the oldest 100 is compacted. */
    int64_t t40[90];
    double v40[90];
    for (int i = 0; i < 90; i++) t40[i] = 5000 + 10 * i, v40[i] = (double)t40[i] / 10;
    hrd_write w40 = {"busy", NULL, t40, v40, 90};
    assert_int_equal(hrd_store_write(s, &w40, 1, &r, &err), 0);
    hrd_store_stats st;
    hrd_store_get_stats(s, &st);
    assert_int_equal(st.chunk_samples, 100);
    /* A late sample older than the compacted chunks is skipped. */
    int64_t lt = 0;
    double lv = 1;
    hrd_write late = {"busy", NULL, &lt, &lv, 1};
    assert_int_equal(hrd_store_write(s, &late, 1, &r, &err), 0);
    assert_int_equal(r.skipped, 1);
    read_all(s, "busy", &rt, &rv);
    size_t n = rt.len;
    for (size_t i = 1; i < n; i++)
        assert_true(((int64_t *)rt.data)[i] > ((int64_t *)rt.data)[i - 1]);
    for (size_t i = 0; i < n; i++)
        assert_near(((double *)rv.data)[i], (double)((int64_t *)rt.data)[i] / 10, 0);
    assert_int_equal(n, 150);
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    /* The checkpoint logged "quiet" again: the wal stays short. */
    print_message("wal rows after 22 writes: %lld\n", (long long)wal_rows());
    assert_true(wal_rows() <= 6);
    hrd_store_close(s);
    assert_int_equal(hrd_store_open(&o, &s, &err), 0);
    read_all(s, "quiet", &rt, &rv);
    assert_int_equal(rt.len, 1);
    assert_near(((double *)rv.data)[0], 5, 0);
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    read_all(s, "busy", &rt, &rv);
    assert_int_equal(rt.len, 150);
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    hrd_store_close(s);
}

/* Samples per record of every wal row (records: series id 8 bytes, length
 * 4 bytes, a Gorilla chunk), appended to `counts`. */
static void wal_record_sizes(hr_vec *counts)
{
    char path[300];
    snprintf(path, sizeof path, "%s/headroom.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT data FROM wal ORDER BY id", -1, &st, NULL), 0);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const uint8_t *d = sqlite3_column_blob(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        for (size_t pos = 0; pos + 12 <= len;) {
            size_t bl = 0;
            for (int b = 0; b < 4; b++) bl |= (size_t)d[pos + 8 + (size_t)b] << (8 * b);
            int64_t *t = NULL;
            double *v = NULL;
            size_t n = 0;
            assert_int_equal(hr_chunk_decode(d + pos + 12, bl, 1000, &t, &v, &n, NULL), 0);
            free(t);
            free(v);
            assert_int_equal(hr_vec_push(counts, &n), 0);
            pos += 12 + bl;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* A series written steadily, one sample per write: its wal rows follow the
 * head as it is compacted, so it is never logged again (every wal record
 * holds the one sample of its write), the wal stays short, and every
 * sample survives reopening. */
static void test_wal_follows_head(void **state)
{
    (void)state;
    hrd_store_opts o = {.dir = dir, .chunk_samples = 10, .maintain_sec = 3600, .wal_keep_rows = 64};
    hrd_store *s = NULL;
    hr_error err = {0};
    assert_int_equal(hrd_store_open(&o, &s, &err), 0);
    size_t max_rows = 0;
    for (int k = 0; k < 300; k++) {
        int64_t t = 1000 + 10 * k;
        double v = 0.5 * k;
        hrd_write w = {"steady", NULL, &t, &v, 1};
        hrd_write_result r;
        assert_int_equal(hrd_store_write(s, &w, 1, &r, &err), 0);
        assert_int_equal(r.stored, 1);
        size_t rows = (size_t)wal_rows();
        if (rows > max_rows) max_rows = rows;
        if (k % 100 != 99) continue;
        hrd_store_close(s);
        assert_int_equal(hrd_store_open(&o, &s, &err), 0);
        hr_vec rt, rv;
        read_all(s, "steady", &rt, &rv);
        assert_int_equal(rt.len, (size_t)k + 1);
        for (size_t i = 0; i < rt.len; i++) {
            assert_int_equal(((int64_t *)rt.data)[i], 1000 + 10 * (int64_t)i);
            assert_near(((double *)rv.data)[i], 0.5 * (double)i, 0);
        }
        hr_vec_release(&rt);
        hr_vec_release(&rv);
    }
    hrd_store_close(s);
    hr_vec counts;
    hr_vec_init(&counts, sizeof(size_t), 0);
    wal_record_sizes(&counts);
    print_message("wal: at most %zu rows, %zu records at the end\n", max_rows, counts.len);
    assert_true(counts.len > 0);
    for (size_t i = 0; i < counts.len; i++) assert_int_equal(*(size_t *)hr_vec_at(&counts, i), 1);
    /* The oldest row needed lags the head by at most two compactions of 10
     * samples (25 rows), plus the rows a full pass (every 17 rows) has not
     * deleted yet. */
    assert_true(max_rows <= 25 + 17);
    hr_vec_release(&counts);
}

static int64_t wal_max_id(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/headroom.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM wal", -1, &st, NULL),
                     0);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Once maintenance moved every head into chunks, the wal is empty; the
 * next rows still get growing ids (an automatic rowid would start at 1
 * again, behind the store's count), and a reopen finds every sample. */
static void test_wal_ids_grow(void **state)
{
    (void)state;
    int64_t now = 1700000000 + 30 * 86400;
    hrd_store *s = open_store(10, 86400, test_clock, &now);
    hr_error err = {0};
    for (int k = 0; k < 5; k++) {
        int64_t t = 1700000000 + 300 * k;
        double v = k;
        hrd_write w = {"old", NULL, &t, &v, 1};
        assert_int_equal(hrd_store_write(s, &w, 1, NULL, &err), 0);
    }
    assert_int_equal(wal_max_id(), 5);
    assert_int_equal(hrd_store_maintain(s, &err), 0);
    assert_int_equal(wal_rows(), 0);
    int64_t t = now - 60;
    double v = 42;
    hrd_write w = {"new", NULL, &t, &v, 1};
    assert_int_equal(hrd_store_write(s, &w, 1, NULL, &err), 0);
    assert_int_equal(wal_max_id(), 6);
    hrd_store_close(s);
    s = open_store(10, 86400, test_clock, &now);
    hr_vec rt, rv;
    read_all(s, "new", &rt, &rv);
    assert_int_equal(rt.len, 1);
    assert_near(((double *)rv.data)[0], 42, 0);
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    read_all(s, "old", &rt, &rv);
    assert_int_equal(rt.len, 1); /* the hourly mean of the 5 samples */
    assert_near(((double *)rv.data)[0], 2, 1e-12);
    hr_vec_release(&rt);
    hr_vec_release(&rv);
    hrd_store_close(s);
}

static void test_objects(void **state)
{
    (void)state;
    hrd_store *s = open_store(0, 0, NULL, NULL);
    hr_error err = {0};
    json_t *b = json_pack("{s:s, s:i}", "name", "acme", "priority", 3);
    assert_int_equal(hrd_obj_put(s, "tenants", "acme", b, true, &err), 0);
    assert_int_equal(hrd_obj_put(s, "tenants", "acme", b, true, &err), HR_EEXIST);
    assert_int_equal(hrd_obj_put(s, "tenants", "zeta", b, false, &err), HR_ENOTFOUND);
    json_t *got = NULL;
    assert_int_equal(hrd_obj_get(s, "tenants", "acme", &got, &err), 0);
    assert_true(json_equal(got, b));
    json_decref(got);
    assert_int_equal(hrd_obj_put(s, "tenants", "beta", b, true, &err), 0);
    json_t *list = NULL;
    assert_int_equal(hrd_obj_list(s, "tenants", "acme", 10, &list, &err), 0);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    assert_int_equal(hrd_obj_delete(s, "tenants", "acme", &err), 0);
    assert_int_equal(hrd_obj_delete(s, "tenants", "acme", &err), HR_ENOTFOUND);
    json_decref(b);
    char mode[32];
    assert_int_equal(hrd_mode_get(s, "default", mode, sizeof mode, &err), 0);
    assert_string_equal(mode, "observe");
    assert_int_equal(hrd_mode_set(s, "default", "predictive", &err), 0);
    assert_int_equal(hrd_mode_set(s, "default", "chaos", &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "\"chaos\""));
    assert_int_equal(hrd_mode_get(s, "default", mode, sizeof mode, &err), 0);
    assert_string_equal(mode, "predictive");
    char tok[65];
    assert_int_equal(hrd_token_create(s, "write", tok, &err), 0);
    assert_int_equal(strlen(tok), 64);
    assert_int_equal(hrd_token_check(s, tok), 2);
    tok[0] = tok[0] == 'a' ? 'b' : 'a';
    assert_int_equal(hrd_token_check(s, tok), 0);
    assert_int_equal(hrd_token_create(s, "root", tok, &err), HR_EINVAL);
    json_t *a = json_pack("{s:s}", "action", "migrate");
    assert_true(hrd_journal_append(s, "action", a, &err) == 1);
    assert_true(hrd_journal_append(s, "action", a, &err) == 2);
    json_decref(a);
    json_t *fc = json_pack("{s:s}", "model", "auto");
    assert_true(hrd_forecast_save(s, "cpu", fc, &err) == 1);
    json_decref(fc);
    assert_int_equal(hrd_journal_list(s, 1, 10, &list, &err), 0);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    hrd_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_downsampling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_and_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_follows_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_ids_grow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_objects, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
