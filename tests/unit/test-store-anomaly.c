/* Anomalies in the daemon without HTTP: the anomaly tables (commit, list
 * filters and pages, cursors, reopen), annotations, a detection pass with
 * a move of the control loop suppressing what follows it, and the
 * per-token rate limiter on a virtual clock. */
#include "testutil.h"

#include "daemon/alerts.h"
#include "daemon/anomaly.h"
#include "daemon/ratelimit.h"

#include <time.h>
#include <unistd.h>

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hr-test-anomaly-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static hrd_store *open_store(void)
{
    hrd_store_opts o = {.dir = dir, .maintain_sec = 3600, .max_series = 50};
    hrd_store *s = NULL;
    hr_error err = {0};
    if (hrd_store_open(&o, &s, &err) != 0) print_error("open: %s\n", err.msg);
    assert_non_null(s);
    assert_int_equal(hrd_anomaly_schema(s, &err), 0);
    return s;
}

static hrd_anomaly_rec rec(const char *series, int64_t t, double obs, const char *sup)
{
    hrd_anomaly_rec r = {.series = series,
                         .t = t,
                         .score = 0.9,
                         .observed = obs,
                         .expected = 10,
                         .lo = NAN,
                         .hi = 12,
                         .detector = "cusum"};
    snprintf(r.reason, sizeof r.reason, "cusum: %g", obs);
    snprintf(r.suppressed, sizeof r.suppressed, "%s", sup);
    return r;
}

static void test_tables(void **state)
{
    (void)state;
    hrd_store *s = open_store();
    hr_error err = {0};
    int64_t t = 0;
    assert_int_equal(hrd_anomaly_cursor(s, "a", &t, &err), HR_ENOTFOUND);
    hrd_anomaly_rec r[3] = {rec("a", 100, 50, ""), rec("b", 150, 60, ""),
                            rec("a", 200, 70, "maintenance")};
    hrd_anomaly_mark m[2] = {{"a", 250}, {"b", 160}};
    assert_int_equal(hrd_anomaly_commit(s, r, 3, m, 2, &err), 0);
    assert_int_equal(hrd_anomaly_cursor(s, "a", &t, &err), 0);
    assert_int_equal(t, 250);
    /* the suppressed anomaly at 200 does not count as alerted */
    assert_int_equal(hrd_anomaly_last_alerted(s, "a", &t, &err), 0);
    assert_int_equal(t, 100);
    assert_int_equal(hrd_anomaly_last_alerted(s, "c", &t, &err), HR_ENOTFOUND);
    hrd_store_close(s);

    s = open_store(); /* everything survives a reopen */
    json_t *l = NULL;
    assert_int_equal(hrd_anomaly_list(s, NULL, INT64_MIN, INT64_MAX, 0, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 3);
    json_t *a2 = json_array_get(l, 2);
    assert_string_equal(json_string_value(json_object_get(a2, "series")), "a");
    assert_int_equal(json_integer_value(json_object_get(a2, "time")), 200);
    assert_string_equal(json_string_value(json_object_get(a2, "suppressed")), "maintenance");
    assert_near(json_real_value(json_object_get(a2, "observed")), 70, 0);
    json_t *iv = json_object_get(a2, "interval");
    assert_true(json_is_null(json_array_get(iv, 0))); /* NaN is stored as null */
    assert_near(json_real_value(json_array_get(iv, 1)), 12, 0);
    assert_true(json_is_null(json_object_get(json_array_get(l, 0), "suppressed")));
    int64_t id1 = (int64_t)json_integer_value(json_object_get(json_array_get(l, 0), "id"));
    json_decref(l);
    /* by series, by time, after an id, limited */
    assert_int_equal(hrd_anomaly_list(s, "a", INT64_MIN, INT64_MAX, 0, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 2);
    json_decref(l);
    assert_int_equal(hrd_anomaly_list(s, NULL, 120, 180, 0, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "series")), "b");
    json_decref(l);
    assert_int_equal(hrd_anomaly_list(s, NULL, INT64_MIN, INT64_MAX, id1, 1, &l, &err), 0);
    assert_int_equal(json_array_size(l), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "time")), 150);
    json_decref(l);

    /* annotations */
    int64_t x = hrd_annotation_add(s, 10, 20, NULL, "everything", &err);
    int64_t y = hrd_annotation_add(s, 30, 40, "a", "just a", &err);
    assert_true(x > 0 && y > x);
    assert_int_equal(hrd_annotation_list(s, 0, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 2);
    assert_true(json_is_null(json_object_get(json_array_get(l, 0), "series")));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 1), "end")), 40);
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 1), "text")), "just a");
    json_decref(l);
    /* the ones that can still cover a sample after 25; all, newest first */
    assert_int_equal(hrd_annotation_active(s, 25, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "id")), y);
    json_decref(l);
    assert_int_equal(hrd_annotation_active(s, INT64_MIN, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "id")), y);
    json_decref(l);
    assert_int_equal(hrd_annotation_delete(s, x, &err), 1);
    assert_int_equal(hrd_annotation_delete(s, x, &err), 0);
    assert_int_equal(hrd_annotation_list(s, 0, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 1);
    json_decref(l);
    hrd_store_close(s);
}

static void write_series(hrd_store *s, const char *name, int64_t t0, size_t lo, size_t hi)
{
    int64_t *t = calloc(hi - lo, sizeof *t);
    double *v = calloc(hi - lo, sizeof *v);
    assert_non_null(t);
    assert_non_null(v);
    for (size_t i = lo; i < hi; i++) {
        t[i - lo] = t0 + 5 * (int64_t)i;
        v[i - lo] = i == 500 ? 100 : i == 750 ? 200 : 10 + 0.5 * sin((double)i * 0.7);
    }
    hrd_write w = {.series = name, .t = t, .v = v, .n = hi - lo};
    hrd_write_result res;
    hr_error err = {0};
    assert_int_equal(hrd_store_write(s, &w, 1, &res, &err), 0);
    assert_int_equal(res.stored, hi - lo);
    free(t);
    free(v);
}

/* A plan of the loop moved workload "web" at `at`: its series' spike at
 * at + 500 s is expected (suppressed), the one at at + 1750 s is not. */
static void test_pass_after_move(void **state)
{
    (void)state;
    hrd_store *s = open_store();
    hr_error err = {0};
    json_t *wl = json_pack("{s:s, s:s}", "name", "web", "series", "vm.web");
    assert_int_equal(hrd_obj_put(s, "workloads", "web", wl, true, &err), 0);
    json_decref(wl);
    json_t *plan =
        json_pack("{s:i, s:s, s:[{s:s, s:s, s:s, s:s}]}", "id", 7, "status", "applied", "actions",
                  "kind", "migrate", "workload", "web", "from", "h1", "to", "h2");
    int64_t before = (int64_t)time(NULL);
    assert_true(hrd_journal_append(s, "plan", plan, &err) > 0);
    json_decref(plan);
    int64_t at = (int64_t)time(NULL);
    write_series(s, "vm.web", before - 2000, 0, 800);

    hrd_config c;
    hrd_config_defaults(&c);
    c.anomaly_settle_sec = 900;
    hrd_anomaly *a = NULL;
    assert_int_equal(hrd_anomaly_new(s, &c, &a, &err), 0);
    bool more = true;
    assert_int_equal(hrd_anomaly_pass(a, 1000000, &more, &err), 2);
    assert_false(more);

    json_t *l = NULL;
    assert_int_equal(hrd_annotation_list(s, 0, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 1);
    json_t *an = json_array_get(l, 0);
    assert_string_equal(json_string_value(json_object_get(an, "series")), "vm.web");
    assert_string_equal(json_string_value(json_object_get(an, "text")), "loop: plan 7 migrate web");
    int64_t start = (int64_t)json_integer_value(json_object_get(an, "start"));
    assert_true(start >= before && start <= at);
    assert_int_equal(json_integer_value(json_object_get(an, "end")), start + 900);
    json_decref(l);

    assert_int_equal(hrd_anomaly_list(s, "vm.web", INT64_MIN, INT64_MAX, 0, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 2);
    json_t *x = json_array_get(l, 0), *y = json_array_get(l, 1);
    assert_int_equal(json_integer_value(json_object_get(x, "time")), before - 2000 + 2500);
    assert_string_equal(json_string_value(json_object_get(x, "suppressed")),
                        "loop: plan 7 migrate web");
    assert_int_equal(json_integer_value(json_object_get(y, "time")), before - 2000 + 3750);
    assert_true(json_is_null(json_object_get(y, "suppressed")));
    assert_string_equal(json_string_value(json_object_get(y, "detector")), "range");
    assert_near(json_real_value(json_object_get(y, "observed")), 200, 0);
    json_decref(l);

    /* one alert, for the unexpected spike */
    assert_int_equal(hrd_alert_list(s, NULL, 0, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 1);
    json_t *al = json_array_get(l, 0);
    assert_string_equal(json_string_value(json_object_get(al, "kind")), "anomaly");
    assert_string_equal(json_string_value(json_object_get(al, "subject")), "vm.web");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(al, "body"), "time")),
                     before - 2000 + 3750);
    json_decref(l);

    /* nothing new: nothing found, no second annotation from the same plan */
    assert_int_equal(hrd_anomaly_pass(a, 1000000, &more, &err), 0);
    assert_int_equal(hrd_annotation_list(s, 0, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 1);
    json_decref(l);
    hrd_anomaly_stats st;
    hrd_anomaly_get_stats(a, &st);
    assert_int_equal(st.series, 1);
    assert_int_equal(st.samples, 800);
    assert_int_equal(st.found, 2);
    assert_int_equal(st.passes, 2);
    assert_true(st.pass_seconds > 0);
    hrd_anomaly_free(a);

    /* a new detector after a restart goes on from the cursor: the budget
     * stops it part way, the next pass finishes */
    a = NULL;
    assert_int_equal(hrd_anomaly_new(s, &c, &a, &err), 0);
    write_series(s, "vm.web", before - 2000, 800, 900);
    assert_int_equal(hrd_anomaly_pass(a, 60, &more, &err), 0);
    assert_true(more);
    assert_int_equal(hrd_anomaly_pass(a, 60, &more, &err), 0);
    assert_false(more);
    hrd_anomaly_get_stats(a, &st);
    assert_int_equal(st.samples, 100);
    assert_int_equal(hrd_anomaly_list(s, "vm.web", INT64_MIN, INT64_MAX, 0, 10, &l, &err), 0);
    assert_int_equal(json_array_size(l), 2);
    json_decref(l);
    hrd_anomaly_free(a);

    /* an unknown detector is refused, naming the key */
    snprintf(c.anomaly_detector, sizeof c.anomaly_detector, "nosuch");
    a = NULL;
    assert_int_equal(hrd_anomaly_new(s, &c, &a, &err), HR_ENOTFOUND);
    assert_null(a);
    assert_non_null(strstr(err.msg, "anomaly.detector"));
    hrd_store_close(s);
}

/* anomaly.match picks the series, anomaly.max_series caps the detectors. */
static void test_match_and_cap(void **state)
{
    (void)state;
    hrd_store *s = open_store();
    write_series(s, "vm.a", 1000, 0, 300);
    write_series(s, "vm.b", 1000, 0, 200);
    write_series(s, "host.c", 1000, 0, 100);
    hrd_config c;
    hrd_config_defaults(&c);
    snprintf(c.anomaly_match, sizeof c.anomaly_match, "vm.*");
    c.anomaly_max_series = 1;
    hrd_anomaly *a = NULL;
    hr_error err = {0};
    assert_int_equal(hrd_anomaly_new(s, &c, &a, &err), 0);
    bool more;
    assert_int_equal(hrd_anomaly_pass(a, 1000000, &more, &err), 0);
    hrd_anomaly_stats st;
    hrd_anomaly_get_stats(a, &st);
    assert_int_equal(st.series, 1);
    assert_int_equal(st.samples, 300); /* vm.a (name order); vm.b finds it full; host.c no match */
    hrd_anomaly_free(a);
    hrd_store_close(s);
}

static void test_ratelimit(void **state)
{
    (void)state;
    hrd_ratelimit *rl = NULL;
    assert_int_equal(hrd_ratelimit_new(2, &rl), 0);
    double wait = -1;
    /* 2 per second, bursts of 3 */
    for (int i = 0; i < 3; i++) assert_true(hrd_ratelimit_take(rl, "tok-a", 2, 3, 100.0, &wait));
    assert_false(hrd_ratelimit_take(rl, "tok-a", 2, 3, 100.0, &wait));
    assert_near(wait, 0.5, 1e-12);
    assert_true(hrd_ratelimit_take(rl, "tok-b", 2, 3, 100.0, &wait)); /* its own bucket */
    assert_false(hrd_ratelimit_take(rl, "tok-a", 2, 3, 100.25, &wait));
    assert_near(wait, 0.25, 1e-12);
    assert_true(hrd_ratelimit_take(rl, "tok-a", 2, 3, 100.5, &wait));
    /* burst 0: one second's worth */
    assert_true(hrd_ratelimit_take(rl, "tok-b", 2, 0, 110.0, &wait));
    assert_true(hrd_ratelimit_take(rl, "tok-b", 2, 0, 110.0, &wait));
    assert_false(hrd_ratelimit_take(rl, "tok-b", 2, 0, 110.0, &wait));
    /* off */
    for (int i = 0; i < 10; i++) assert_true(hrd_ratelimit_take(rl, "tok-b", 0, 0, 110.0, &wait));
    /* a third key past max_keys: the buckets start again, full */
    assert_true(hrd_ratelimit_take(rl, "tok-c", 2, 3, 110.0, &wait));
    assert_true(hrd_ratelimit_take(rl, "tok-b", 2, 3, 110.0, &wait));
    hrd_ratelimit_free(rl);
    hrd_ratelimit_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pass_after_move, setup, teardown),
        cmocka_unit_test_setup_teardown(test_match_and_cap, setup, teardown),
        cmocka_unit_test(test_ratelimit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
