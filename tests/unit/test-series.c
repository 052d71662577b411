/* Series lifecycle, resampling and gap filling against hand-computed values. */
#include "testutil.h"

#include <headroom/series.h>

static void assert_values(const hr_series *s, const double *want, size_t n)
{
    assert_int_equal(s->len, n);
    for (size_t i = 0; i < n; i++) {
        if (isnan(want[i])) {
            if (!isnan(s->values[i])) {
                print_error("values[%zu] = %g, expected NaN\n", i, s->values[i]);
                fail();
            }
            continue;
        }
        assert_near(s->values[i], want[i], 1e-12);
    }
}

static void test_lifecycle(void **state)
{
    (void)state;
    hr_series s;
    assert_int_equal(hr_series_init(&s, "cpu", 1000, 300), 0);
    assert_string_equal(s.name, "cpu");
    assert_true(s.start == 1000 && s.step == 300);
    const size_t n = 100000;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(hr_series_append(&s, i % 7 == 0 ? NAN : (double)i), 0);
    assert_int_equal(s.len, n);
    assert_true(s.cap >= n);
    assert_int_equal(hr_series_count_gaps(&s), (n + 6) / 7);
    hr_series c;
    assert_int_equal(hr_series_copy(&c, &s), 0);
    assert_true(c.name != s.name && c.values != s.values);
    assert_string_equal(c.name, "cpu");
    assert_true(c.start == 1000 && c.step == 300 && c.len == n);
    assert_near(c.values[99999], 99999, 0);
    hr_series_release(&s);
    assert_null(s.values);
    assert_null(s.name);
    hr_series_release(&s);
    hr_series_release(NULL);
    hr_series_release(&c);

    const double v[] = {1, 2, 3};
    assert_int_equal(hr_series_from_array(&s, NULL, 0, 0, v, 3), 0);
    assert_null(s.name);
    assert_values(&s, v, 3);
    hr_series_release(&s);
    assert_int_equal(hr_series_from_array(&s, "e", 5, 60, NULL, 0), 0);
    assert_int_equal(s.len, 0);
    assert_int_equal(hr_series_count_gaps(&s), 0);
    hr_series_release(&s);
    /* Index-only series have start 0. */
    assert_int_equal(hr_series_init(&s, NULL, 12345, 0), 0);
    assert_true(s.start == 0);
    hr_series_release(&s);

    hr_series keep = {.len = 77};
    assert_int_equal(hr_series_init(&keep, "x", 0, -1), HR_EINVAL);
    assert_int_equal(hr_series_from_array(&keep, "x", 0, 1, NULL, 2), HR_EINVAL);
    assert_int_equal(hr_series_from_array(&keep, "x", 0, 1, v, HR_SERIES_MAX_LEN + 1), HR_ELIMIT);
    assert_int_equal(keep.len, 77); /* untouched on failure */
}

static void test_set(void **state)
{
    (void)state;
    hr_series_set set = {0};
    set.items = calloc(3, sizeof(hr_series));
    set.cap = 3;
    const double v[] = {1};
    const char *names[] = {"H2", "H4", "H6"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(hr_series_from_array(&set.items[i], names[i], 0, 0, v, 1), 0);
        set.len++;
    }
    assert_int_equal(hr_series_set_find(&set, "H4"), 1);
    assert_int_equal(hr_series_set_find(&set, "H6"), 2);
    assert_int_equal(hr_series_set_find(&set, "H8"), HR_ENOTFOUND);
    assert_int_equal(hr_series_set_find(&set, NULL), HR_EINVAL);
    hr_series_set_release(&set);
    assert_int_equal(set.len, 0);
    assert_null(set.items);
    hr_series_set_release(&set);
    hr_series_set_release(NULL);
}

static void test_resample(void **state)
{
    (void)state;
    /* t = 1000, 1300, ..., 3100; buckets of 900 s from 900:
     * [900,1800): 1 2 NaN | [1800,2700): 4 5 NaN | [2700,3600): NaN 8 */
    const double v[] = {1, 2, NAN, 4, 5, NAN, NAN, 8};
    hr_series s, o;
    hr_error err = {0};
    assert_int_equal(hr_series_from_array(&s, "m", 1000, 300, v, 8), 0);
    const struct {
        hr_agg agg;
        double want[3];
    } cases[] = {
        {HR_AGG_MEAN, {1.5, 4.5, 8}},
        {HR_AGG_MAX, {2, 5, 8}},
        {HR_AGG_LAST, {2, 5, 8}},
        {HR_AGG_SUM, {3, 9, 8}},
    };
    for (size_t c = 0; c < 4; c++) {
        assert_int_equal(hr_series_resample(&s, 900, cases[c].agg, &o, &err), 0);
        assert_true(o.start == 900 && o.step == 900);
        assert_string_equal(o.name, "m");
        assert_values(&o, cases[c].want, 3);
        hr_series_release(&o);
    }
    hr_series_release(&s);

    /* All-NaN bucket -> NaN; negative values for max; LAST skips a trailing NaN. */
    const double w[] = {NAN, NAN, -3, -1, 7, NAN};
    assert_int_equal(hr_series_from_array(&s, NULL, 0, 60, w, 6), 0);
    const double mean[] = {NAN, -2, 7}, mx[] = {NAN, -1, 7}, last[] = {NAN, -1, 7},
                 sum[] = {NAN, -4, 7};
    assert_int_equal(hr_series_resample(&s, 120, HR_AGG_MEAN, &o, &err), 0);
    assert_values(&o, mean, 3);
    hr_series_release(&o);
    assert_int_equal(hr_series_resample(&s, 120, HR_AGG_MAX, &o, &err), 0);
    assert_values(&o, mx, 3);
    hr_series_release(&o);
    assert_int_equal(hr_series_resample(&s, 120, HR_AGG_LAST, &o, &err), 0);
    assert_values(&o, last, 3);
    hr_series_release(&o);
    assert_int_equal(hr_series_resample(&s, 120, HR_AGG_SUM, &o, &err), 0);
    assert_values(&o, sum, 3);
    hr_series_release(&o);
    hr_series_release(&s);

    /* Alignment of a negative start: -100 -> bucket [-200, 0), then [0, 200). */
    const double x[] = {1, 2, 3};
    assert_int_equal(hr_series_from_array(&s, NULL, -100, 100, x, 3), 0);
    assert_int_equal(hr_series_resample(&s, 200, HR_AGG_MEAN, &o, &err), 0);
    assert_true(o.start == -200);
    const double xm[] = {1, 2.5};
    assert_values(&o, xm, 2);
    hr_series_release(&o);
    /* Same step: start aligned down, one value per bucket. */
    hr_series_release(&s);
    assert_int_equal(hr_series_from_array(&s, NULL, 1000, 300, x, 3), 0);
    assert_int_equal(hr_series_resample(&s, 300, HR_AGG_SUM, &o, &err), 0);
    assert_true(o.start == 900);
    assert_values(&o, x, 3);
    hr_series_release(&o);
    /* A day of 5-minute values into hours: 12 per bucket. */
    hr_series_release(&s);
    assert_int_equal(hr_series_init(&s, NULL, 1397088000, 300), 0);
    for (int i = 0; i < 288; i++) assert_int_equal(hr_series_append(&s, i), 0);
    assert_int_equal(hr_series_resample(&s, 3600, HR_AGG_MEAN, &o, &err), 0);
    assert_int_equal(o.len, 24);
    assert_near(o.values[0], 5.5, 0);    /* mean of 0..11 */
    assert_near(o.values[23], 281.5, 0); /* mean of 276..287 */
    hr_series_release(&o);

    /* Errors leave `out` untouched. */
    o.len = 99;
    assert_int_equal(hr_series_resample(&s, 450, HR_AGG_MEAN, &o, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "450"));
    assert_int_equal(hr_series_resample(&s, 0, HR_AGG_MEAN, &o, &err), HR_EINVAL);
    assert_int_equal(hr_series_resample(&s, -600, HR_AGG_MEAN, &o, &err), HR_EINVAL);
    assert_int_equal(hr_series_resample(&s, 600, (hr_agg)17, &o, &err), HR_EINVAL);
    assert_int_equal(o.len, 99);
    hr_series_release(&s);
    assert_int_equal(hr_series_from_array(&s, NULL, 0, 0, x, 3), 0);
    assert_int_equal(hr_series_resample(&s, 600, HR_AGG_MEAN, &o, &err), HR_EINVAL);
    hr_series_release(&s);
    /* Empty input: empty output. */
    assert_int_equal(hr_series_init(&s, NULL, 650, 60), 0);
    assert_int_equal(hr_series_resample(&s, 600, HR_AGG_MEAN, &o, &err), 0);
    assert_int_equal(o.len, 0);
    assert_true(o.start == 600);
    hr_series_release(&o);
    hr_series_release(&s);
}

static void fill_case(const double *in, size_t n, hr_fill policy, size_t period, const double *want)
{
    hr_series s;
    hr_error err = {0};
    assert_int_equal(hr_series_from_array(&s, NULL, 0, 60, in, n), 0);
    assert_int_equal(hr_series_fill_gaps(&s, policy, period, &err), 0);
    assert_values(&s, want, n);
    hr_series_release(&s);
}

static void test_fill(void **state)
{
    (void)state;
    const double v[] = {NAN, 2, NAN, NAN, 8, NAN};
    const double none[] = {NAN, 2, NAN, NAN, 8, NAN};
    const double prev[] = {2, 2, 2, 2, 8, 8};
    const double lin[] = {2, 2, 4, 6, 8, 8};
    const double zero[] = {0, 2, 0, 0, 8, 0};
    fill_case(v, 6, HR_FILL_NONE, 0, none);
    fill_case(v, 6, HR_FILL_PREVIOUS, 0, prev);
    fill_case(v, 6, HR_FILL_LINEAR, 0, lin);
    fill_case(v, 6, HR_FILL_ZERO, 0, zero);
    /* Seasonal, period 3: one period earlier, or later at the start (i=1
     * takes v[4]); a value filled this way is used again (i=9 takes i=6). */
    const double sv[] = {1, NAN, 3, 4, 5, NAN, NAN, NAN, 9, NAN};
    const double sw[] = {1, 5, 3, 4, 5, 3, 4, 5, 9, 4};
    fill_case(sv, 10, HR_FILL_SEASONAL, 3, sw);
    /* ... else linear: i=1 and i=4 have no seasonal neighbour. */
    const double lv[] = {NAN, NAN, NAN, 1, NAN, 3};
    const double lw[] = {1, 2, 3, 1, 2, 3};
    fill_case(lv, 6, HR_FILL_SEASONAL, 3, lw);
    /* Interior linear run with a non-integer slope. */
    const double iv[] = {1, NAN, NAN, 2};
    const double iw[] = {1, 4.0 / 3.0, 5.0 / 3.0, 2};
    fill_case(iv, 4, HR_FILL_LINEAR, 0, iw);
    /* No gaps: unchanged by every policy. */
    const double full[] = {3, 1, 4};
    for (int p = HR_FILL_NONE; p <= HR_FILL_SEASONAL; p++) fill_case(full, 3, (hr_fill)p, 1, full);

    hr_series s;
    hr_error err = {0};
    const double allnan[] = {NAN, NAN};
    assert_int_equal(hr_series_from_array(&s, "dead", 0, 60, allnan, 2), 0);
    for (int p = HR_FILL_PREVIOUS; p <= HR_FILL_SEASONAL; p++) {
        assert_int_equal(hr_series_fill_gaps(&s, (hr_fill)p, 1, &err), HR_EDATA);
        assert_non_null(strstr(err.msg, "dead"));
    }
    assert_int_equal(hr_series_fill_gaps(&s, HR_FILL_NONE, 0, &err), 0);
    assert_int_equal(hr_series_count_gaps(&s), 2);
    assert_int_equal(hr_series_fill_gaps(&s, HR_FILL_SEASONAL, 0, &err), HR_EINVAL);
    assert_int_equal(hr_series_fill_gaps(&s, (hr_fill)9, 0, &err), HR_EINVAL);
    hr_series_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_resample),
        cmocka_unit_test(test_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
