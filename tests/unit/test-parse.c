/* Checked number parsing (lib/util/parse.c) and the numeric helpers
 * (lib/util/mathx.c): accepted and refused spans, overflow, locale. */
#include "testutil.h"

#include <locale.h>

#include <headroom/util.h>

#define S(lit) lit, sizeof(lit) - 1

static void test_double_ok(void **state)
{
    (void)state;
    double v = -1;
    assert_int_equal(hr_parse_double(S("12.5"), &v), 0);
    assert_near(v, 12.5, 0);
    assert_int_equal(hr_parse_double(S("-0.25"), &v), 0);
    assert_near(v, -0.25, 0);
    assert_int_equal(hr_parse_double(S("+3"), &v), 0);
    assert_near(v, 3, 0);
    assert_int_equal(hr_parse_double(S(".5"), &v), 0);
    assert_near(v, 0.5, 0);
    assert_int_equal(hr_parse_double(S("5."), &v), 0);
    assert_near(v, 5, 0);
    assert_int_equal(hr_parse_double(S("1e3"), &v), 0);
    assert_near(v, 1000, 0);
    assert_int_equal(hr_parse_double(S("2.5E-2"), &v), 0);
    assert_near(v, 0.025, 0);
    assert_int_equal(hr_parse_double(S("51.846000000000004"), &v), 0);
    assert_near(v, 51.846000000000004, 0);
    /* Underflow to a subnormal / zero is not an error. */
    assert_int_equal(hr_parse_double(S("1e-320"), &v), 0);
    assert_true(v > 0 && v < 1e-300);
    /* Only the span counts: "12.5" inside a longer buffer. */
    assert_int_equal(hr_parse_double("12.5,7", 4, &v), 0);
    assert_near(v, 12.5, 0);
    assert_int_equal(hr_parse_double_z("42", &v), 0);
    assert_near(v, 42, 0);
}

static void test_double_bad(void **state)
{
    (void)state;
    double v = 7;
    const char *bad[] = {"",    " 1",   "1 ",       "12,5",  "abc",   "nan", "NaN",
                         "inf", "-inf", "infinity", "0x10",  "1e",    "e5",  ".",
                         "-",   "+",    "1-2",      "1.2.3", "1e5e5", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (hr_parse_double(bad[i], strlen(bad[i]), &v) != HR_EPARSE) {
            print_error("accepted \"%s\"\n", bad[i]);
            fail();
        }
    }
    assert_near(v, 7, 0); /* out parameter untouched on failure */
    assert_int_equal(hr_parse_double(S("1e999"), &v), HR_ERANGE);
    assert_int_equal(hr_parse_double(S("-1e400"), &v), HR_ERANGE);
    assert_int_equal(hr_parse_double(NULL, 0, &v), HR_EPARSE);
    assert_int_equal(hr_parse_double_z(NULL, &v), HR_EPARSE);
    assert_near(v, 7, 0);
    /* A span of 128 bytes or more is refused, even if numeric. */
    char big[200];
    memset(big, '1', sizeof big);
    assert_int_equal(hr_parse_double(big, 128, &v), HR_EPARSE);
    assert_int_equal(hr_parse_double(big, 127, &v), 0);
    assert_rel(v, 1.1111111111111111e126, 1e-15);
}

static void test_double_locale(void **state)
{
    (void)state;
    /* A locale with a decimal comma must not change what is accepted. The
     * test is skipped on machines without such a locale (build one with
     * `localedef -i de_DE -f UTF-8 DIR/de_DE.UTF-8` and set LOCPATH=DIR). */
    const char *locs[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8", "fr_FR.utf8"};
    const char *got = NULL;
    for (size_t i = 0; i < 4 && !got; i++) got = setlocale(LC_NUMERIC, locs[i]);
    if (!got) skip();
    assert_string_equal(localeconv()->decimal_point, ",");
    double v = 0;
    assert_int_equal(hr_parse_double(S("12.5"), &v), 0);
    assert_near(v, 12.5, 0);
    assert_int_equal(hr_parse_double(S("12,5"), &v), HR_EPARSE);
    setlocale(LC_NUMERIC, "C");
}

static void test_int(void **state)
{
    (void)state;
    int64_t v = 0;
    uint64_t u = 0;
    assert_int_equal(hr_parse_int64(S("-42"), &v), 0);
    assert_int_equal(v, -42);
    assert_int_equal(hr_parse_int64(S("+7"), &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(hr_parse_int64(S("9223372036854775807"), &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(hr_parse_int64(S("-9223372036854775808"), &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(hr_parse_int64(S("9223372036854775808"), &v), HR_ERANGE);
    assert_int_equal(hr_parse_int64(S("-9223372036854775809"), &v), HR_ERANGE);
    assert_int_equal(hr_parse_int64(S("1.0"), &v), HR_EPARSE);
    assert_int_equal(hr_parse_int64(S("1e3"), &v), HR_EPARSE);
    assert_int_equal(hr_parse_int64(S("-"), &v), HR_EPARSE);
    assert_int_equal(hr_parse_int64(S(" 1"), &v), HR_EPARSE);
    assert_int_equal(hr_parse_int64(S(""), &v), HR_EPARSE);
    assert_int_equal(hr_parse_int64_z("123", &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(hr_parse_uint64(S("18446744073709551615"), &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(hr_parse_uint64(S("18446744073709551616"), &u), HR_ERANGE);
    assert_int_equal(hr_parse_uint64(S("-1"), &u), HR_EPARSE);
    assert_int_equal(hr_parse_uint64(S("+1"), &u), HR_EPARSE);
    assert_true(u == UINT64_MAX);
}

static void test_math(void **state)
{
    (void)state;
    /* Reference quantiles: scipy.stats.norm.ppf. */
    assert_near(hr_norm_ppf(0.5), 0, 0);
    assert_rel(hr_norm_ppf(0.975), 1.959963984540054, 1e-14);
    assert_rel(hr_norm_ppf(0.05), -1.6448536269514729, 1e-14);
    assert_rel(hr_norm_ppf(1e-10), -6.361340902404056, 1e-13);
    assert_true(isinf(hr_norm_ppf(0)) && hr_norm_ppf(0) < 0);
    assert_true(isnan(hr_norm_ppf(1.5)));
    assert_true(isnan(hr_norm_ppf(NAN)));
    assert_rel(hr_norm_cdf(1.959963984540054), 0.975, 1e-14);
    assert_near(hr_norm_cdf(0), 0.5, 0);
    /* numpy.quantile([1, 2, 4, 8], p): linear (type 7). */
    const double s[] = {1, 2, 4, 8};
    assert_near(hr_quantile_sorted(s, 4, 0.5), 3, 1e-15);
    assert_near(hr_quantile_sorted(s, 4, 0.9), 6.8, 1e-14);
    assert_near(hr_quantile_sorted(s, 4, 0), 1, 0);
    assert_near(hr_quantile_sorted(s, 4, 1), 8, 0);
    assert_true(isnan(hr_quantile_sorted(s, 4, NAN)));
    assert_true(isnan(hr_quantile_sorted(s, 0, 0.5)));
    const double x[] = {9, 1, 5, 3};
    assert_near(hr_median(x, 4), 4, 0);
    assert_near(x[0], 9, 0); /* not modified */
    assert_near(hr_median(x, 3), 5, 0);
    assert_true(isnan(hr_median(x, 0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_ok),     cmocka_unit_test(test_double_bad),
        cmocka_unit_test(test_double_locale), cmocka_unit_test(test_int),
        cmocka_unit_test(test_math),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
