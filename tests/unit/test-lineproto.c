/* InfluxDB line protocol: series keys, value types, timestamps and
 * precision, escapes, and errors naming the line. */
#include "testutil.h"

#include <headroom/store.h>
#include <headroom/util.h>

#define MAXS 16
struct got {
    size_t n;
    char key[MAXS][HR_LP_KEY_MAX];
    size_t line[MAXS];
    int64_t t[MAXS];
    double v[MAXS];
};

static int emit(void *ud, const char *key, size_t line, int64_t t, double v)
{
    struct got *g = ud;
    if (g->n == MAXS) return HR_ELIMIT;
    snprintf(g->key[g->n], HR_LP_KEY_MAX, "%s", key);
    g->line[g->n] = line;
    g->t[g->n] = t;
    g->v[g->n] = v;
    g->n++;
    return 0;
}

static int parse(const char *text, const char *prec, struct got *g, hr_error *err)
{
    memset(g, 0, sizeof *g);
    return hr_lineproto_parse(text, strlen(text), prec, 777, emit, g, err);
}

static void test_good(void **state)
{
    (void)state;
    struct got g;
    hr_error err = {0};
    const char *text =
        "# comment\n"
        "cpu,zone=eu,host=a usage=12.5,idle=3i,ok=t,name=\"x y, z\" 1700000000123456789\r\n"
        "\n"
        "mem value=-1e3\n"
        "disk,path=/var\\ log free=7u,up=FALSE -1\n"
        "net\\,if,dev=eth\\=0 rx=0.25 1700000000000000000";
    assert_int_equal(parse(text, NULL, &g, &err), 7);
    assert_string_equal(g.key[0], "cpu.usage,host=a,zone=eu");
    assert_int_equal(g.t[0], 1700000000);
    assert_near(g.v[0], 12.5, 0);
    assert_int_equal(g.line[0], 2);
    assert_string_equal(g.key[1], "cpu.idle,host=a,zone=eu");
    assert_near(g.v[1], 3, 0);
    assert_string_equal(g.key[2], "cpu.ok,host=a,zone=eu");
    assert_near(g.v[2], 1, 0);
    assert_string_equal(g.key[3], "mem");
    assert_int_equal(g.t[3], 777); /* no timestamp: now */
    assert_near(g.v[3], -1000, 0);
    assert_string_equal(g.key[4], "disk.free,path=/var log");
    assert_int_equal(g.t[4], -1); /* -1 ns rounds down to -1 s */
    assert_string_equal(g.key[5], "disk.up,path=/var log");
    assert_near(g.v[5], 0, 0);
    assert_string_equal(g.key[6], "net,if.rx,dev=eth=0");
    assert_int_equal(g.line[6], 6);
    /* Precision. */
    assert_int_equal(parse("m v=1 1700000000123", "ms", &g, &err), 1);
    assert_int_equal(g.t[0], 1700000000);
    assert_string_equal(g.key[0], "m.v");
    assert_int_equal(parse("m v=1 1700000000", "s", &g, &err), 1);
    assert_int_equal(g.t[0], 1700000000);
    assert_int_equal(parse("m v=1 1700000000000001", "us", &g, &err), 1);
    assert_int_equal(g.t[0], 1700000000);
    assert_int_equal(parse("", NULL, &g, &err), 0);
    assert_int_equal(parse("m s=\"only a string\"", NULL, &g, &err), 0);
}

static void test_bad(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"cpu", "line 1: missing fields after \"cpu\""},
        {"cpu usage=abc", "line 1: bad field value \"abc\""},
        {"ok v=1\ncpu usage=nan", "line 2: bad field value \"nan\""},
        {"cpu usage=inf", "bad field value \"inf\""},
        {"cpu usage=1 12x", "line 1: bad timestamp \"12x\""},
        {"cpu usage=", "empty value of field \"usage\""},
        {"cpu,host usage=1", "bad tag \"host\""},
        {"cpu,host= usage=1", "empty tag value for \"host\""},
        {"cpu =1", "bad field \"\""},
        {"cpu usage=1,", "trailing comma after \"usage\""},
        {"cpu s=\"open", "unterminated string"},
        {"cpu usage=12j", "bad field value \"12j\""},
        {"cpu usage=1.5i", "bad integer value \"1.5i\""},
        {"cpu usage=-1u", "bad integer value \"-1u\""},
        {"  cpu usage=1", "leading whitespace"},
        {",a=b v=1", "missing measurement"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct got g;
        hr_error err = {0};
        int rc = parse(cases[i].text, NULL, &g, &err);
        if (rc != HR_EPARSE || !strstr(err.msg, cases[i].want)) {
            print_error("case %zu (%s): rc %d, message \"%s\"\n", i, cases[i].text, rc, err.msg);
            fail();
        }
    }
    struct got g;
    hr_error err = {0};
    assert_int_equal(parse("m v=1", "h", &g, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "precision"));
    /* Key too long. */
    char big[700];
    memset(big, 'a', sizeof big);
    memcpy(big + 600, " v=1", 5);
    assert_int_equal(parse(big, NULL, &g, &err), HR_EPARSE);
    assert_non_null(strstr(err.msg, "too long"));
    /* The callback's error stops the parse. */
    char many[400] = "";
    for (int i = 0; i < 20; i++) strncat(many, "m v=1\n", sizeof many - strlen(many) - 1);
    assert_int_equal(parse(many, NULL, &g, &err), HR_ELIMIT);
}

/* Numbers read by the fast paths and by strtod must be the same doubles,
 * bit for bit; so must timestamps near the fast path's 18-digit bound. */
static void test_numbers(void **state)
{
    (void)state;
    static const char *vals[] = {"0.1",
                                 "-0.3",
                                 "12.5",
                                 "007",
                                 "-0",
                                 "0.000000000000001",
                                 "123456789012345",
                                 "1234567890123456",
                                 "9007199254740993",
                                 "5.",
                                 ".5",
                                 "1e3",
                                 "2.675",
                                 "99.99",
                                 "-123.456789012345"};
    struct got g;
    hr_error err = {0};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "m v=%s 1", vals[i]);
        assert_int_equal(parse(line, "s", &g, &err), 1);
        double want;
        assert_int_equal(hr_parse_double(vals[i], strlen(vals[i]), &want), 0);
        if (memcmp(&g.v[0], &want, sizeof want)) {
            print_error("%s: read %.17g, strtod %.17g\n", vals[i], g.v[0], want);
            fail();
        }
    }
    assert_int_equal(parse("m v=1 999999999999999999", "ns", &g, &err), 1);
    assert_int_equal(g.t[0], 999999999);
    assert_int_equal(parse("m v=1 -1000000000000000001", "ns", &g, &err), 1);
    assert_int_equal(g.t[0], -1000000001);
    assert_int_equal(parse("m v=1 9223372036854775807", "s", &g, &err), 1);
    assert_int_equal(g.t[0], INT64_MAX);
    assert_int_equal(parse("m v=1 9223372036854775808", "s", &g, &err), HR_EPARSE);
    assert_int_equal(parse("m v=1 +5", "s", &g, &err), 1);
    assert_int_equal(g.t[0], 5);
    assert_int_equal(parse("m v=1 -", "s", &g, &err), HR_EPARSE);
    assert_int_equal(parse("m v=- 1", "s", &g, &err), HR_EPARSE);
    assert_int_equal(parse("m v=1.2.3 1", "s", &g, &err), HR_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
