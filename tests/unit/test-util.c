/* Arena, vector, hash map and hr_read_file: growth, limits (HR_ELIMIT),
 * overflow checks, deletion in open addressing, many keys. */
#include "testutil.h"

#include <errno.h>
#include <stdalign.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>

#include <headroom/series.h>
#include <headroom/util.h>

static void test_arena_basic(void **state)
{
    (void)state;
    hr_arena a;
    hr_arena_init(&a, 256, 0);
    char *p[100];
    for (int i = 0; i < 100; i++) {
        p[i] = hr_arena_alloc(&a, (size_t)i + 1);
        assert_non_null(p[i]);
        assert_true((uintptr_t)p[i] % alignof(max_align_t) == 0);
        memset(p[i], i, (size_t)i + 1);
    }
    /* Earlier allocations survive later ones (no block was moved). */
    for (int i = 0; i < 100; i++)
        for (int j = 0; j <= i; j++) assert_int_equal((unsigned char)p[i][j], i);
    /* A request larger than a block gets its own block. */
    char *big = hr_arena_alloc(&a, 10000);
    assert_non_null(big);
    memset(big, 0xab, 10000);
    int *z = hr_arena_calloc(&a, 50, sizeof(int));
    for (int i = 0; i < 50; i++) assert_int_equal(z[i], 0);
    char *s = hr_arena_strndup(&a, "hello, world", 5);
    assert_string_equal(s, "hello");
    assert_string_equal(hr_arena_strndup(&a, "ab\0cd", 5), "ab");
    assert_non_null(hr_arena_alloc(&a, 0)); /* a unique, valid pointer */
    hr_arena_release(&a);
    assert_null(a.head);
    hr_arena_release(&a); /* twice is fine */
    hr_arena_release(NULL);
}

static void test_arena_limit(void **state)
{
    (void)state;
    hr_arena a;
    size_t al = alignof(max_align_t);
    hr_arena_init(&a, 128, 10 * al);
    for (int i = 0; i < 10; i++) assert_non_null(hr_arena_alloc(&a, al));
    assert_int_equal(a.used_bytes, 10 * al);
    assert_null(hr_arena_alloc(&a, 1)); /* limit reached */
    hr_arena_reset(&a);
    assert_int_equal(a.used_bytes, 0);
    assert_non_null(a.head);
    assert_non_null(hr_arena_alloc(&a, 10 * al));
    assert_null(hr_arena_alloc(&a, 1));
    hr_arena_release(&a);

    hr_arena_init(&a, 0, 0);
    assert_int_equal(a.block_size, 8192); /* default */
    assert_null(hr_arena_alloc(&a, SIZE_MAX));
    assert_null(hr_arena_alloc(&a, SIZE_MAX - 8));
    assert_null(hr_arena_calloc(&a, SIZE_MAX / 2, 3)); /* n * size overflows */
    assert_null(hr_arena_calloc(&a, (size_t)1 << 33, (size_t)1 << 32));
    assert_int_equal(a.used_bytes, 0);
    hr_arena_release(&a);
}

static void test_vec(void **state)
{
    (void)state;
    hr_vec v;
    hr_vec_init(&v, sizeof(int64_t), 0);
    for (int64_t i = 0; i < 100000; i++) assert_int_equal(hr_vec_push(&v, &i), 0);
    assert_int_equal(v.len, 100000);
    assert_true(v.cap >= v.len);
    assert_true(*(int64_t *)hr_vec_at(&v, 99999) == 99999);
    assert_true(*(int64_t *)hr_vec_at(&v, 12345) == 12345);
    assert_null(hr_vec_at(&v, 100000));
    size_t n = 0;
    int64_t *data = hr_vec_steal(&v, &n);
    assert_int_equal(n, 100000);
    assert_true(data[777] == 777);
    free(data);
    assert_int_equal(v.len, 0);
    assert_null(v.data);
    assert_int_equal(v.elem_size, sizeof(int64_t)); /* reusable */
    hr_vec_release(&v);

    /* Limit: push past max_len fails, capacity never exceeds it. */
    hr_vec_init(&v, sizeof(int), 10);
    for (int i = 0; i < 10; i++) assert_int_equal(hr_vec_push(&v, &i), 0);
    int x = 10;
    assert_int_equal(hr_vec_push(&v, &x), HR_ELIMIT);
    assert_int_equal(v.len, 10);
    assert_true(v.cap <= 10);
    assert_int_equal(hr_vec_reserve(&v, 11), HR_ELIMIT);
    assert_int_equal(*(int *)hr_vec_at(&v, 9), 9);
    hr_vec_release(&v);

    /* Overflow in n * elem_size. */
    hr_vec_init(&v, 16, 0);
    assert_int_equal(hr_vec_reserve(&v, SIZE_MAX / 8), HR_ENOMEM);
    assert_int_equal(hr_vec_reserve(&v, 4), 0);
    assert_true(v.cap >= 4);
    hr_vec_release(&v);
    hr_vec_init(&v, 0, 0);
    assert_int_equal(hr_vec_push(&v, &x), HR_EINVAL);
    hr_vec_release(&v);
    hr_vec_release(NULL);
}

static int count_fn(const char *key, void *value, void *ud)
{
    (void)key;
    size_t *sum = ud;
    *sum += (size_t)(uintptr_t)value;
    return 0;
}

static int stop_fn(const char *key, void *value, void *ud)
{
    (void)key;
    (void)value;
    int *calls = ud;
    return ++*calls == 3 ? 42 : 0;
}

static void test_map_basic(void **state)
{
    (void)state;
    hr_map m;
    hr_map_init(&m, 0);
    assert_null(hr_map_get(&m, "a"));
    assert_false(hr_map_has(&m, "a"));
    assert_int_equal(hr_map_del(&m, "a", NULL), HR_ENOTFOUND);
    void *old = (void *)1;
    char key[8] = "alpha";
    assert_int_equal(hr_map_put(&m, key, (void *)10, &old), 0);
    assert_null(old);
    key[0] = 'X'; /* keys are copied */
    assert_ptr_equal(hr_map_get(&m, "alpha"), (void *)10);
    assert_null(hr_map_get(&m, "Xlpha"));
    assert_int_equal(hr_map_put(&m, "alpha", (void *)11, &old), 0);
    assert_ptr_equal(old, (void *)10);
    assert_int_equal(m.len, 1);
    /* A NULL value is stored and distinguishable from absence with has(). */
    assert_int_equal(hr_map_put(&m, "", NULL, NULL), 0);
    assert_true(hr_map_has(&m, ""));
    assert_null(hr_map_get(&m, ""));
    assert_int_equal(hr_map_del(&m, "alpha", &old), 0);
    assert_ptr_equal(old, (void *)11);
    assert_false(hr_map_has(&m, "alpha"));
    assert_int_equal(hr_map_put(&m, NULL, NULL, NULL), HR_EINVAL);
    hr_map_release(&m);
    hr_map_release(NULL);
}

static void test_map_many(void **state)
{
    (void)state;
    const size_t n = under_valgrind() ? 20000 : 100000;
    hr_map m;
    hr_map_init(&m, 0);
    char k[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(k, sizeof k, "key-%zu", i);
        assert_int_equal(hr_map_put(&m, k, (void *)(uintptr_t)(i + 1), NULL), 0);
    }
    assert_int_equal(m.len, n);
    assert_true(m.cap >= n + n / 3); /* load factor <= 3/4 */
    for (size_t i = 0; i < n; i++) {
        snprintf(k, sizeof k, "key-%zu", i);
        assert_ptr_equal(hr_map_get(&m, k), (void *)(uintptr_t)(i + 1));
    }
    size_t sum = 0;
    assert_int_equal(hr_map_foreach(&m, count_fn, &sum), 0);
    assert_int_equal(sum, n * (n + 1) / 2);
    int calls = 0;
    assert_int_equal(hr_map_foreach(&m, stop_fn, &calls), 42);
    assert_int_equal(calls, 3);
    /* Delete every odd key: the probe runs are repaired (backward shift), so
     * every even key stays reachable and no deleted key is found. */
    for (size_t i = 1; i < n; i += 2) {
        snprintf(k, sizeof k, "key-%zu", i);
        void *old = NULL;
        assert_int_equal(hr_map_del(&m, k, &old), 0);
        assert_ptr_equal(old, (void *)(uintptr_t)(i + 1));
    }
    assert_int_equal(m.len, n / 2);
    for (size_t i = 0; i < n; i++) {
        snprintf(k, sizeof k, "key-%zu", i);
        if (i % 2) {
            assert_false(hr_map_has(&m, k));
            assert_int_equal(hr_map_del(&m, k, NULL), HR_ENOTFOUND);
        } else {
            assert_ptr_equal(hr_map_get(&m, k), (void *)(uintptr_t)(i + 1));
        }
    }
    /* No tombstones: every occupied slot holds a live key. */
    size_t live = 0;
    assert_int_equal(hr_map_foreach(&m, count_fn, &live), 0);
    size_t want = 0;
    for (size_t i = 0; i < n; i += 2) want += i + 1;
    assert_int_equal(live, want);
    /* Re-insert the odd keys into the same table. */
    size_t cap = m.cap;
    for (size_t i = 1; i < n; i += 2) {
        snprintf(k, sizeof k, "key-%zu", i);
        assert_int_equal(hr_map_put(&m, k, (void *)(uintptr_t)(i + 1), NULL), 0);
    }
    assert_int_equal(m.cap, cap);
    for (size_t i = 0; i < n; i++) {
        snprintf(k, sizeof k, "key-%zu", i);
        assert_ptr_equal(hr_map_get(&m, k), (void *)(uintptr_t)(i + 1));
    }
    hr_map_release(&m);
}

/* Deletion inside a full cluster that wraps around the end of the table:
 * the shifted entries must stay reachable. */
static void test_map_churn(void **state)
{
    (void)state;
    hr_map m;
    hr_map_init(&m, 0);
    char k[32];
    unsigned seed = 12345;
    bool present[512] = {false};
    for (int round = 0; round < 20000; round++) {
        seed = seed * 1103515245u + 12345u;
        unsigned i = (seed >> 8) % 512;
        snprintf(k, sizeof k, "%u", i);
        if (present[i]) {
            assert_int_equal(hr_map_del(&m, k, NULL), 0);
        } else {
            assert_int_equal(hr_map_put(&m, k, (void *)(uintptr_t)(i + 1), NULL), 0);
        }
        present[i] = !present[i];
        if (round % 997 == 0) {
            for (unsigned j = 0; j < 512; j++) {
                snprintf(k, sizeof k, "%u", j);
                assert_int_equal(hr_map_has(&m, k), present[j]);
            }
        }
    }
    size_t live = 0;
    for (unsigned j = 0; j < 512; j++) live += present[j];
    assert_int_equal(m.len, live);
    hr_map_release(&m);
}

static void test_map_limit(void **state)
{
    (void)state;
    hr_map m;
    hr_map_init(&m, 3);
    assert_int_equal(hr_map_put(&m, "a", (void *)1, NULL), 0);
    assert_int_equal(hr_map_put(&m, "b", (void *)2, NULL), 0);
    assert_int_equal(hr_map_put(&m, "c", (void *)3, NULL), 0);
    assert_int_equal(hr_map_put(&m, "d", (void *)4, NULL), HR_ELIMIT);
    assert_false(hr_map_has(&m, "d"));
    /* Replacing an existing key is not growth. */
    assert_int_equal(hr_map_put(&m, "c", (void *)33, NULL), 0);
    assert_int_equal(hr_map_del(&m, "a", NULL), 0);
    assert_int_equal(hr_map_put(&m, "d", (void *)4, NULL), 0);
    assert_int_equal(m.len, 3);
    hr_map_release(&m);
}

static void test_read_file(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    hr_error err = {0};
    const char *path = test_data("m4/Hourly-test-sample20.csv");
    assert_int_equal(hr_read_file(path, 0, &buf, &len, &err), 0);
    assert_int_equal(len, strlen(buf)); /* NUL-terminated, no NUL inside */
    assert_memory_equal(buf, "\"V1\",\"V2\"", 9);
    size_t full = len;
    free(buf);
    /* Limit: exactly the size is fine, one byte less is HR_ELIMIT. */
    assert_int_equal(hr_read_file(path, full, &buf, &len, &err), 0);
    assert_int_equal(len, full);
    free(buf);
    buf = (char *)1;
    assert_int_equal(hr_read_file(path, full - 1, &buf, &len, &err), HR_ELIMIT);
    assert_ptr_equal(buf, (char *)1);
    assert_non_null(strstr(err.msg, "Hourly-test-sample20.csv"));
    /* A pipe-like file of unknown size: /proc/self/status has st_size 0. */
    if (access("/proc/self/status", R_OK) == 0) {
        assert_int_equal(hr_read_file("/proc/self/status", 0, &buf, &len, &err), 0);
        assert_true(len > 0);
        assert_non_null(strstr(buf, "Name:"));
        free(buf);
        assert_int_equal(hr_read_file("/proc/self/status", 10, &buf, &len, &err), HR_ELIMIT);
    }
    assert_int_equal(hr_read_file("/nonexistent/x.csv", 0, &buf, &len, &err), HR_EIO);
    assert_int_equal(err.sys_errno, ENOENT);
    assert_string_equal(err.msg, "/nonexistent/x.csv: cannot open: No such file or directory");
    assert_int_equal(hr_read_file(test_data("m4"), 0, &buf, &len, &err), HR_EIO);
    assert_int_equal(err.sys_errno, EISDIR);
}

static void test_error(void **state)
{
    (void)state;
    hr_error err = {0};
    assert_string_equal(hr_error_message(&err), "success");
    assert_string_equal(hr_strerror(HR_ENOMEM), "out of memory");
    assert_string_equal(hr_strerror(HR_ELIMIT), "size limit reached");
    assert_string_equal(hr_strerror(12345), "unknown error");
    for (int c = HR_OK; c >= HR_ECANCELED; c--)
        assert_string_not_equal(hr_strerror(c), "unknown error");
    assert_int_equal(hr_error_set(&err, HR_EINVAL, "bad %s %d", "x", 3), HR_EINVAL);
    assert_int_equal(err.code, HR_EINVAL);
    assert_string_equal(err.msg, "bad x 3");
    assert_int_equal(hr_error_setpos(&err, HR_EPARSE, "t.csv", 17, 21, "value \"%s\"", "12,5"),
                     HR_EPARSE);
    assert_string_equal(err.msg, "t.csv:17:21: value \"12,5\"");
    hr_error_setpos(&err, HR_EPARSE, "t.csv", 17, 0, "x");
    assert_string_equal(err.msg, "t.csv:17: x");
    hr_error_setpos(&err, HR_EPARSE, NULL, 0, 0, "x");
    assert_string_equal(err.msg, "<input>: x");
    hr_error_prefix(&err, "series %s", "H2");
    assert_string_equal(err.msg, "series H2: <input>: x");
    assert_string_equal(hr_error_message(&err), "series H2: <input>: x");
    /* An empty message falls back to the code's description. */
    hr_error e2 = {.code = HR_EDATA};
    hr_error_prefix(&e2, "H4");
    assert_string_equal(e2.msg, "H4: data unusable for this operation");
    /* Long messages are cut, never overflowed. */
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hr_error_set(&err, HR_EPARSE, "%s", big);
    assert_int_equal(strlen(err.msg), HR_ERROR_MSG_MAX - 1);
    hr_error_prefix(&err, "%s", big);
    assert_int_equal(strlen(err.msg), HR_ERROR_MSG_MAX - 1);
    hr_error_setpos(&err, HR_EPARSE, big, 1, 1, "%s", big);
    assert_int_equal(strlen(err.msg), HR_ERROR_MSG_MAX - 1);
    /* NULL err: the code is still returned. */
    assert_int_equal(hr_error_set(NULL, HR_EIO, "x"), HR_EIO);
    assert_int_equal(hr_error_setpos(NULL, HR_EIO, "f", 1, 1, "x"), HR_EIO);
    hr_error_prefix(NULL, "x");
    assert_string_equal(hr_error_message(NULL), "unknown error");
}

/* Atomic writes: the content lands whole, replaces the old file, leaves no
 * temporary file behind, and a failure leaves the target untouched. */
static void test_write_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/hr-atomic-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], bad[300];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    hr_error err = {0};
    assert_int_equal(hr_write_file_atomic(path, "first\n", 6, &err), 0);
    assert_int_equal(hr_write_file_atomic(path, "second\n", 7, &err), 0);
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(hr_read_file(path, 0, &buf, &len, &err), 0);
    assert_int_equal(len, 7);
    assert_string_equal(buf, "second\n");
    free(buf);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
    /* A missing directory: HR_EIO naming the path, nothing written. */
    snprintf(bad, sizeof bad, "%s/no/such/dir/x", dir);
    assert_int_equal(hr_write_file_atomic(bad, "x", 1, &err), HR_EIO);
    assert_non_null(strstr(err.msg, bad));
    /* Only out.csv is in the directory: no temporary file left over. */
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') {
            assert_string_equal(e->d_name, "out.csv");
            files++;
        }
    closedir(d);
    assert_int_equal(files, 1);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_atomic), cmocka_unit_test(test_arena_basic),
        cmocka_unit_test(test_arena_limit),  cmocka_unit_test(test_vec),
        cmocka_unit_test(test_map_basic),    cmocka_unit_test(test_map_many),
        cmocka_unit_test(test_map_churn),    cmocka_unit_test(test_map_limit),
        cmocka_unit_test(test_read_file),    cmocka_unit_test(test_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
