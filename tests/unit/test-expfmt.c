/* Prometheus text exposition: keys, escapes, special values, timestamps,
 * the scrape target's label, errors naming the line with nothing emitted. */
#include "testutil.h"

#include <headroom/store.h>

#define MAXS 16
struct got {
    size_t n;
    char key[MAXS][HR_LP_KEY_MAX];
    int64_t t[MAXS];
    double v[MAXS];
};

static int emit(void *ud, const char *key, size_t line, int64_t t, double v)
{
    struct got *g = ud;
    (void)line;
    if (g->n == MAXS) return HR_ELIMIT;
    snprintf(g->key[g->n], HR_LP_KEY_MAX, "%s", key);
    g->t[g->n] = t;
    g->v[g->n] = v;
    g->n++;
    return 0;
}

static void test_good(void **state)
{
    (void)state;
    const char *text = "# HELP node_cpu_seconds_total Seconds.\n"
                       "# TYPE node_cpu_seconds_total counter\n"
                       "node_cpu_seconds_total{mode=\"idle\",cpu=\"0\"} 1234.5\n"
                       "up 1 1700000000123\r\n"
                       "\n"
                       "weird{path=\"C:\\\\x\",msg=\"a \\\"q\\\"\"} NaN\n"
                       "temp{ } +Inf\n"
                       "neg -Inf -1\n";
    struct got g = {0};
    hr_error err = {0};
    assert_int_equal(hr_expfmt_parse(text, strlen(text), "job=node", 99, emit, &g, &err), 5);
    assert_string_equal(g.key[0], "node_cpu_seconds_total,cpu=0,job=node,mode=idle");
    assert_int_equal(g.t[0], 99);
    assert_near(g.v[0], 1234.5, 0);
    assert_string_equal(g.key[1], "up,job=node");
    assert_int_equal(g.t[1], 1700000000);
    assert_string_equal(g.key[2], "weird,job=node,msg=a \"q\",path=C:\\x");
    assert_true(isnan(g.v[2]));
    assert_true(isinf(g.v[3]) && g.v[3] > 0);
    assert_int_equal(g.t[4], -1); /* -1 ms rounds down */
    assert_true(isinf(g.v[4]) && g.v[4] < 0);
    /* a target's own job label wins over the scrape job */
    memset(&g, 0, sizeof g);
    assert_int_equal(hr_expfmt_parse("x{job=\"mine\"} 1", 15, "job=node", 0, emit, &g, &err), 1);
    assert_string_equal(g.key[0], "x,job=mine");
}

static void test_bad(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"up", "line 1: missing value after \"up\""},
        {"ok 1\nup abc", "line 2: bad value \"abc\""},
        {"up{a=\"1\" 1", "expected , or } after label \"a\""},
        {"up{a=1} 1", "expected =\" after label \"a\""},
        {"up{a=\"1} 1", "unterminated label value"},
        {"9up 1", "bad metric name"},
        {"up 1 12x", "bad timestamp \"12x\""},
        {"up 1 2 3", "trailing text \"3\""},
        {"up{=\"1\"} 1", "bad label name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct got g = {0};
        hr_error err = {0};
        int rc = hr_expfmt_parse(cases[i].text, strlen(cases[i].text), NULL, 0, emit, &g, &err);
        if (rc != HR_EPARSE || !strstr(err.msg, cases[i].want) || g.n) {
            print_error("case %zu: rc %d \"%s\" n %zu\n", i, rc, err.msg, g.n);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
