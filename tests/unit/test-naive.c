/* Naive and seasonal naive: exact point forecasts, interval widths and the
 * O(1) online update against hand computation. */
#include "testutil.h"

#include <headroom/headroom.h>

static void test_naive_exact(void **state)
{
    (void)state;
    const double y[] = {1, 3, 2, 5};
    hr_model *m = NULL;
    hr_error err = {0};
    assert_int_equal(hr_model_new("naive", NULL, &m, &err), 0);
    assert_int_equal(hr_model_fit(m, y, 4, &err), 0);
    const double lv[] = {0.5, 0.975};
    hr_forecast f;
    assert_int_equal(hr_forecast_init(&f, 4, lv, 2, &err), 0);
    assert_int_equal(hr_model_forecast(m, 4, &f, &err), 0);
    /* residuals 2,-1,3: sigma^2 = 14/3 */
    double sigma = sqrt(14.0 / 3.0);
    for (size_t i = 0; i < 4; i++) {
        assert_near(f.mean[i], 5.0, 1e-12);
        assert_near(hr_forecast_q(&f, i, 0), 5.0, 1e-12);
        assert_near(hr_forecast_q(&f, i, 1), 5.0 + 1.959963984540054 * sigma * sqrt(i + 1.0), 1e-9);
    }
    assert_true(f.has_quantiles);
    /* Online update: the origin moves, the variance absorbs the new residual. */
    assert_int_equal(hr_model_update(m, 4), 0);
    assert_int_equal(hr_model_forecast(m, 4, &f, &err), 0);
    assert_near(f.mean[0], 4.0, 1e-12);
    hr_fit_info fi;
    assert_int_equal(hr_model_info(m, &fi), 0);
    assert_near(fi.mse, 15.0 / 4.0, 1e-12);
    assert_int_equal(fi.nobs, 5);
    hr_forecast_release(&f);
    hr_model_free(m);
}

static void test_snaive_exact(void **state)
{
    (void)state;
    const double y[] = {1, 2, 3, 4, 5, 6, 7};
    hr_model_opts o = {.periods = {3}, .nperiods = 1};
    hr_model *m = NULL;
    hr_error err = {0};
    assert_int_equal(hr_model_new("snaive", &o, &m, &err), 0);
    assert_int_equal(hr_model_fit(m, y, 7, &err), 0);
    hr_forecast f;
    assert_int_equal(hr_forecast_init(&f, 7, NULL, 0, &err), 0);
    assert_int_equal(hr_model_forecast(m, 7, &f, &err), 0);
    const double want[] = {5, 6, 7, 5, 6, 7, 5};
    for (size_t i = 0; i < 7; i++) assert_near(f.mean[i], want[i], 0);
    assert_int_equal(hr_model_update(m, 100), 0);
    assert_int_equal(hr_model_forecast(m, 7, &f, &err), 0);
    const double want2[] = {6, 7, 100, 6, 7, 100, 6};
    for (size_t i = 0; i < 7; i++) assert_near(f.mean[i], want2[i], 0);
    hr_forecast_release(&f);
    hr_model_free(m);
}

static void test_errors(void **state)
{
    (void)state;
    hr_model *m = NULL;
    hr_error err = {0};
    assert_int_equal(hr_model_new("nosuch", NULL, &m, &err), HR_ENOTFOUND);
    assert_non_null(strstr(err.msg, "nosuch"));
    assert_int_equal(hr_model_new("snaive", NULL, &m, &err), HR_EINVAL);
    assert_int_equal(hr_model_new("naive", NULL, &m, &err), 0);
    const double bad[] = {1, NAN, 3};
    assert_int_equal(hr_model_fit(m, bad, 3, &err), HR_EDATA);
    assert_non_null(strstr(err.msg, "value 2"));
    hr_forecast f;
    assert_int_equal(hr_forecast_init(&f, 2, NULL, 0, &err), 0);
    assert_int_equal(hr_model_forecast(m, 2, &f, &err), HR_ESTATE);
    const double lv[] = {0.9, 0.1};
    hr_forecast g;
    assert_int_equal(hr_forecast_init(&g, 2, lv, 2, &err), HR_EINVAL);
    double levels[4];
    assert_int_equal(hr_parse_levels("0.05,0.5,0.95", levels, 4, &err), 3);
    assert_int_equal(hr_parse_levels("0.05,x", levels, 4, &err), HR_EPARSE);
    assert_non_null(strstr(err.msg, "item 2"));
    hr_forecast_release(&f);
    hr_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_naive_exact),
        cmocka_unit_test(test_snaive_exact),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
