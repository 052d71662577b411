/* Timestamps: ISO 8601 forms, offsets, leap years, range checks, Unix
 * seconds, formatting. Expected values were computed independently with
 * GNU date, e.g. `date -u -d "2014-04-10T07:15:00+05:30" +%s`. */
#include "testutil.h"

#include <headroom/util.h>

static int64_t parse(const char *s)
{
    int64_t t = INT64_MIN;
    int rc = hr_time_parse(s, strlen(s), &t);
    if (rc != 0) {
        print_error("hr_time_parse(\"%s\") = %d\n", s, rc);
        fail();
    }
    return t;
}

static void test_iso(void **state)
{
    (void)state;
    assert_true(parse("2014-04-10 07:15:00") == 1397114100);
    assert_true(parse("2014-04-10T07:15:00") == 1397114100);
    assert_true(parse("2014-04-10t07:15:00") == 1397114100);
    assert_true(parse("2014-04-10T07:15:00Z") == 1397114100);
    assert_true(parse("2014-04-10T07:15Z") == 1397114100);
    assert_true(parse("2014-04-10 07:15") == 1397114100);
    assert_true(parse("2014-04-10T07:15:00+05:30") == 1397094300);
    assert_true(parse("2014-04-10T07:15:00+0530") == 1397094300);
    assert_true(parse("2014-04-10T07:15:00-08:00") == 1397142900);
    assert_true(parse("2014-04-10T07:15:00-0800") == 1397142900);
    assert_true(parse("2014-04-10T07:15:00-08") == 1397142900);
    assert_true(parse("2014-04-10") == 1397088000);
    /* Fractional seconds are truncated (NAB windows use ".000000"). */
    assert_true(parse("2014-04-10 07:15:00.000000") == 1397114100);
    assert_true(parse("2014-04-10 07:15:00.999") == 1397114100);
    assert_true(parse("2014-04-10T07:15:00,5Z") == 1397114100);
    assert_true(parse("2014-04-10 00:04:00") == 1397088240);
    assert_true(parse("1969-12-31 23:59:59") == -1);
    assert_true(parse("1900-03-01") == -2203891200LL);
    assert_true(parse("0000-01-01") == -62167219200LL);
    assert_true(parse("9999-12-31 23:59:59") == 253402300799LL);
}

static void test_leap(void **state)
{
    (void)state;
    assert_true(parse("2000-02-29") == 951782400);        /* divisible by 400 */
    assert_true(parse("2024-02-29T23:59") == 1709251140); /* divisible by 4 */
    assert_true(parse("1600-02-29 12:00:00") == -11670955200LL);
    assert_true(parse("2016-12-31 23:59:59") == 1483228799);
    int64_t t = 5;
    assert_int_equal(hr_time_parse("1900-02-29", 10, &t), HR_ERANGE); /* century */
    assert_int_equal(hr_time_parse("2023-02-29", 10, &t), HR_ERANGE);
    assert_int_equal(hr_time_parse("2024-02-30", 10, &t), HR_ERANGE);
    assert_true(t == 5);
}

static void test_unix(void **state)
{
    (void)state;
    assert_true(parse("1234567890") == 1234567890);
    assert_true(parse("0") == 0);
    assert_true(parse("-86401") == -86401);
    assert_true(parse("9223372036854775807") == INT64_MAX);
    int64_t t;
    assert_int_equal(hr_time_parse("9223372036854775808", 19, &t), HR_ERANGE);
}

static void test_bad(void **state)
{
    (void)state;
    const char *parse_err[] = {"",
                               "2014-4-10",
                               "2014-04-10 7:15",
                               "2014/04/10",
                               "2014-04-10 07:15:00 ",
                               " 2014-04-10",
                               "2014-04-10X07:15",
                               "2014-04-10T",
                               "2014-04-10T07",
                               "2014-04-10T07:15:00.",
                               "2014-04-10T07:15:00+5",
                               "2014-04-10T07:15:00+05:3",
                               "2014-04-10T07:15:00Zx",
                               "2014-04-10T07:15:00 Z",
                               "2014-04-10Z",
                               "12.5",
                               "-",
                               "abc"};
    for (size_t i = 0; i < sizeof parse_err / sizeof parse_err[0]; i++) {
        int64_t t;
        int rc = hr_time_parse(parse_err[i], strlen(parse_err[i]), &t);
        if (rc != HR_EPARSE) {
            print_error("\"%s\" gave %d, expected HR_EPARSE\n", parse_err[i], rc);
            fail();
        }
    }
    const char *range_err[] = {"2014-13-01",
                               "2014-00-10",
                               "2014-04-00",
                               "2014-04-31",
                               "2014-04-10 24:00:00",
                               "2014-04-10 23:60",
                               "2014-04-10 23:59:60",
                               "2014-04-10T07:15:00+24:00",
                               "2014-04-10T07:15:00+05:60"};
    for (size_t i = 0; i < sizeof range_err / sizeof range_err[0]; i++) {
        int64_t t;
        int rc = hr_time_parse(range_err[i], strlen(range_err[i]), &t);
        if (rc != HR_ERANGE) {
            print_error("\"%s\" gave %d, expected HR_ERANGE\n", range_err[i], rc);
            fail();
        }
    }
    int64_t t;
    assert_int_equal(hr_time_parse(NULL, 0, &t), HR_EPARSE);
    /* Only the given span is read. */
    assert_int_equal(hr_time_parse("2014-04-10,5", 10, &t), 0);
    assert_true(t == 1397088000);
}

static void test_format(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(hr_time_format(1397114100, buf, sizeof buf), 19);
    assert_string_equal(buf, "2014-04-10 07:15:00");
    assert_int_equal(hr_time_format(-1, buf, sizeof buf), 19);
    assert_string_equal(buf, "1969-12-31 23:59:59");
    assert_int_equal(hr_time_format(-86401, buf, sizeof buf), 19);
    assert_string_equal(buf, "1969-12-30 23:59:59");
    assert_int_equal(hr_time_format(951782400, buf, sizeof buf), 19);
    assert_string_equal(buf, "2000-02-29 00:00:00");
    assert_int_equal(hr_time_format(-62167219200LL, buf, sizeof buf), 19);
    assert_string_equal(buf, "0000-01-01 00:00:00");
    assert_int_equal(hr_time_format(253402300799LL, buf, sizeof buf), 19);
    assert_string_equal(buf, "9999-12-31 23:59:59");
    assert_int_equal(hr_time_format(253402300800LL, buf, sizeof buf), HR_ERANGE);
    assert_int_equal(hr_time_format(-62167219201LL, buf, sizeof buf), HR_ERANGE);
    assert_int_equal(hr_time_format(0, buf, 19), HR_EINVAL);
    assert_int_equal(hr_time_format(0, buf, 20), 19);
    assert_string_equal(buf, "1970-01-01 00:00:00");
    /* Round trip over four centuries of days, at a varying time of day. */
    for (int64_t t = -62167219200LL; t < 253402300799LL; t += 86400LL * 37 + 3599) {
        int64_t back;
        assert_int_equal(hr_time_format(t, buf, sizeof buf), 19);
        assert_int_equal(hr_time_parse(buf, 19, &back), 0);
        if (back != t) {
            print_error("%lld -> %s -> %lld\n", (long long)t, buf, (long long)back);
            fail();
        }
    }
}

static void test_clock(void **state)
{
    (void)state;
    uint64_t a = hr_clock_ns();
    double s = hr_clock_sec();
    uint64_t b = hr_clock_ns();
    assert_true(b >= a);
    assert_true(s >= (double)a * 1e-9 - 1e-6 && s <= (double)b * 1e-9 + 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso), cmocka_unit_test(test_leap),   cmocka_unit_test(test_unix),
        cmocka_unit_test(test_bad), cmocka_unit_test(test_format), cmocka_unit_test(test_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
