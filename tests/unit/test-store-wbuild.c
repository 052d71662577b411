/* A request's samples grouped by series (daemon/wbuild.c): names interned
 * through the open-addressing table across its growth, the series limit,
 * the key check once per series, and the grouped write read back from a
 * real store. */
#include "testutil.h"

#include "daemon/wbuild.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hr-test-wbuild-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static const char *name_of(const wbuild *b, size_t si)
{
    const wser *w = hr_vec_at(&b->sers, si);
    return (const char *)b->names.data + w->name_off;
}

/* 5,000 series, 3 samples each, arriving interleaved: every name maps to
 * one index (the table grows from 1,024 slots to 16,384 on the way), kept
 * byte for byte, with its count. */
static void test_interning(void **state)
{
    (void)state;
    wbuild b;
    hrd_wb_init(&b);
    char name[64];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5000; i++) {
            snprintf(name, sizeof name, "cpu.usage,host=h%05d", i);
            long si = hrd_wb_series(&b, name);
            assert_int_equal(si, i);
            assert_int_equal(hrd_wb_add(&b, si, 100 * round, i), 0);
        }
    }
    assert_int_equal(b.sers.len, 5000);
    assert_int_equal(b.samples.len, 15000);
    assert_true(b.nslots >= 2 * 5000);
    for (int i = 0; i < 5000; i += 499) {
        snprintf(name, sizeof name, "cpu.usage,host=h%05d", i);
        assert_string_equal(name_of(&b, (size_t)i), name);
        assert_int_equal(((wser *)hr_vec_at(&b.sers, (size_t)i))->n, 3);
    }
    /* A prefix of a name, and a name the table has not seen. */
    assert_int_equal(hrd_wb_series(&b, "cpu.usage,host=h0000"), 5000);
    assert_int_equal(hrd_wb_series(&b, "cpu.usage,host=h00000"), 0);
    hrd_wb_release(&b);
}

static void test_emit_and_limits(void **state)
{
    (void)state;
    wbuild b;
    hrd_wb_init(&b);
    hr_error err = {0};
    hrd_wb_ctx c = {&b, &err, "line"};
    assert_int_equal(hrd_wb_emit(&c, "ok.series", 1, 10, 1.5), 0);
    assert_int_equal(hrd_wb_emit(&c, "ok.series", 2, 20, 2.5), 0);
    assert_int_equal(hrd_wb_emit(&c, "bad\nname", 7, 10, 1), HR_EPARSE);
    assert_non_null(strstr(err.msg, "line 7"));
    assert_non_null(strstr(err.msg, "not a series name"));
    hrd_wb_release(&b);
    /* MAX_SERIES_PER_REQUEST series, then one more. */
    hrd_wb_init(&b);
    char name[32];
    for (unsigned i = 0; i < MAX_SERIES_PER_REQUEST; i++) {
        snprintf(name, sizeof name, "s%u", i);
        assert_true(hrd_wb_series(&b, name) >= 0);
    }
    assert_int_equal(hrd_wb_series(&b, "one.more"), HR_ELIMIT);
    assert_int_equal(hrd_wb_series(&b, "s99999"), 99999);
    hrd_wb_release(&b);
}

/* Samples added out of series order are stored grouped, each series in
 * time order, through one hrd_store_write. */
static void test_store(void **state)
{
    (void)state;
    hrd_store_opts o = {.dir = dir, .maintain_sec = 3600};
    hrd_store *s = NULL;
    hr_error err = {0};
    assert_int_equal(hrd_store_open(&o, &s, &err), 0);
    wbuild b;
    hrd_wb_init(&b);
    char name[32];
    for (int k = 0; k < 40; k++) {
        int i = (k * 7) % 10; /* series visited in a scrambled order */
        snprintf(name, sizeof name, "m%d", i);
        long si = hrd_wb_series(&b, name);
        assert_true(si >= 0);
        assert_int_equal(hrd_wb_add(&b, si, 1000 - k, 10 * i + k), 0);
    }
    hrd_write_result r;
    assert_int_equal(hrd_wb_store(s, &b, &r, &err), 0);
    assert_int_equal(r.stored, 40);
    hrd_wb_release(&b);
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "m%d", i);
        hr_vec t, v;
        hr_vec_init(&t, sizeof(int64_t), 0);
        hr_vec_init(&v, sizeof(double), 0);
        bool more;
        assert_int_equal(hrd_store_read(s, name, INT64_MIN, INT64_MAX, 100, &t, &v, &more, &err),
                         0);
        assert_int_equal(t.len, 4);
        for (size_t j = 0; j < t.len; j++) {
            int64_t tj = ((int64_t *)t.data)[j];
            int k = (int)(1000 - tj);
            assert_int_equal((k * 7) % 10, i);
            assert_near(((double *)v.data)[j], 10 * i + k, 0);
            if (j) assert_true(tj > ((int64_t *)t.data)[j - 1]);
        }
        hr_vec_release(&t);
        hr_vec_release(&v);
    }
    hrd_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interning),
        cmocka_unit_test(test_emit_and_limits),
        cmocka_unit_test_setup_teardown(test_store, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
