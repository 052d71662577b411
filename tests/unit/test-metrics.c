/* M4 metrics: hand-computed cases (exact) and the check on the 20-series M4
 * Hourly sample against the reference values of its README
 * (/work/shared/data/m4-hourly-sample/README.md: Naive1 18.1149 / 3.6335,
 * sNaive 5.6458 / 1.1638, H2's MASE scale 165.107988). */
#include "testutil.h"

#include <headroom/headroom.h>
#include <headroom/metrics.h>

static void test_point_metrics(void **state)
{
    (void)state;
    const double y[] = {100, 200}, f[] = {110, 150};
    /* 200*10/210 = 9.5238095238..., 200*50/350 = 28.5714285714...; mean: */
    assert_near(hr_smape(y, f, 2), 19.047619047619047, 1e-12);
    const double z[] = {0, 5}, fz[] = {0, 5};
    assert_near(hr_smape(z, fz, 2), 0.0, 0); /* 0/0 counts as 0 */
    assert_true(isnan(hr_smape(y, f, 0)));

    const double x[] = {1, 3, 2, 5, 4, 6};
    assert_near(hr_mase_scale(x, 6, 2), 1.5, 0);     /* |2-1|,|5-3|,|4-2|,|6-5| */
    assert_near(hr_mase_scale(x, 6, 6), 1.8, 1e-15); /* n <= m: m = 1, 9/5 */
    assert_near(hr_mase_scale(x, 6, 0), 1.8, 1e-15);
    assert_true(isnan(hr_mase_scale(x, 1, 1)));
    const double ya[] = {7, 8}, fa[] = {6, 10};
    assert_near(hr_mase(ya, fa, 2, 1.5), 1.0, 0);

    assert_near(hr_owa(10, 1, 20, 4), 0.375, 0);
    assert_true(isnan(hr_owa(10, 1, 0, 4)));
}

static void test_interval_metrics(void **state)
{
    (void)state;
    const double y[] = {10, 0, 20}, lo[] = {5, 5, 5}, hi[] = {15, 15, 15};
    /* widths 30, penalties 2/0.1*5 twice: (30 + 200) / 3 / 2 */
    assert_near(hr_msis(y, lo, hi, 3, 0.1, 2.0), 230.0 / 6.0, 1e-12);
    assert_near(hr_coverage(y, lo, hi, 3), 1.0 / 3.0, 0);
    const double yp[] = {10, 10}, q[] = {8, 12};
    assert_near(hr_pinball(yp, q, 2, 0.9), 1.0, 1e-15); /* 0.9*2 and 0.1*2 */
}

static void test_eval_forecast(void **state)
{
    (void)state;
    const double train[] = {1, 3, 2, 5, 4, 6}; /* scale at m = 2: 1.5 */
    const double actual[] = {10, 0, 20};
    const double lv[] = {0.05, 0.5, 0.95};
    hr_forecast f;
    hr_error err = {0};
    assert_int_equal(hr_forecast_init(&f, 3, lv, 3, &err), 0);
    for (size_t i = 0; i < 3; i++) {
        f.mean[i] = 10;
        f.q[i * 3 + 0] = 5;
        f.q[i * 3 + 1] = 10;
        f.q[i * 3 + 2] = 15;
    }
    hr_eval e;
    /* Without quantiles: interval metrics NaN. */
    assert_int_equal(hr_eval_forecast(train, 6, 2, actual, &f, 0.1, &e, &err), 0);
    assert_near(e.smape, (0 + 200 + 200.0 * 10 / 30) / 3, 1e-12);
    assert_near(e.mase, (0 + 10 + 10) / 3.0 / 1.5, 1e-12);
    assert_true(isnan(e.msis) && isnan(e.coverage) && isnan(e.pinball));
    f.has_quantiles = true;
    assert_int_equal(hr_eval_forecast(train, 6, 2, actual, &f, 0.1, &e, &err), 0);
    assert_near(e.msis, 230.0 / 3.0 / 1.5, 1e-12);
    assert_near(e.coverage, 1.0 / 3.0, 0);
    /* pinball: level .05 at q=5: y=10 -> .25, y=0 -> .95*5, y=20 -> .75;
     * .5 at 10: 0, 5, 5; .95 at 15: .05*5, .05*15, .95*5 */
    double pin = (0.25 + 4.75 + 0.75) + (0 + 5 + 5) + (0.25 + 0.75 + 4.75);
    assert_near(e.pinball, pin / 9.0, 1e-12);
    /* alpha whose levels are absent: no interval metrics, pinball still set. */
    assert_int_equal(hr_eval_forecast(train, 6, 2, actual, &f, 0.2, &e, &err), 0);
    assert_true(isnan(e.msis) && !isnan(e.pinball));
    const double bad[] = {1, NAN, 3};
    assert_int_equal(hr_eval_forecast(train, 6, 2, bad, &f, 0.1, &e, &err), HR_EDATA);
    assert_non_null(strstr(err.msg, "actual value 2"));
    assert_int_equal(hr_eval_forecast(train, 1, 2, actual, &f, 0.1, &e, &err), HR_EDATA);
    assert_int_equal(hr_eval_forecast(train, 6, 2, actual, &f, 1.5, &e, &err), HR_EINVAL);

    hr_metrics_acc acc;
    hr_metrics_acc_init(&acc);
    hr_eval a = {10, 2, NAN, NAN, NAN}, b = {20, 4, 6, 0.5, 1};
    hr_metrics_acc_add(&acc, &a);
    hr_metrics_acc_add(&acc, &b);
    hr_eval mean;
    hr_metrics_acc_mean(&acc, &mean);
    assert_int_equal(acc.n, 2);
    assert_near(mean.smape, 15, 0);
    assert_near(mean.mase, 3, 0);
    assert_near(mean.msis, 6, 0); /* NaN skipped */
    assert_near(mean.coverage, 0.5, 0);
    hr_forecast_release(&f);
}

/* Mean sMAPE / MASE of a model over the M4 sample. */
static void m4_sample(const char *model, double *smape, double *mase)
{
    hr_series_set train = {0}, test = {0};
    hr_error err = {0};
    if (hr_m4_read(test_data("m4/Hourly-train-sample20.csv"), &train, &err) < 0 ||
        hr_m4_read(test_data("m4/Hourly-test-sample20.csv"), &test, &err) < 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    assert_int_equal(train.len, 20);
    assert_int_equal(test.len, 20);
    hr_model_opts o = {.periods = {24}, .nperiods = 1};
    hr_metrics_acc acc;
    hr_metrics_acc_init(&acc);
    for (size_t s = 0; s < train.len; s++) {
        assert_string_equal(train.items[s].name, test.items[s].name);
        assert_int_equal(test.items[s].len, 48);
        hr_model *m = NULL;
        hr_forecast f;
        hr_eval e;
        assert_int_equal(hr_model_new(model, &o, &m, &err), 0);
        assert_int_equal(hr_model_fit(m, train.items[s].values, train.items[s].len, &err), 0);
        assert_int_equal(hr_forecast_init(&f, 48, NULL, 0, &err), 0);
        assert_int_equal(hr_model_forecast(m, 48, &f, &err), 0);
        assert_int_equal(hr_eval_forecast(train.items[s].values, train.items[s].len, 24,
                                          test.items[s].values, &f, 0.05, &e, &err),
                         0);
        if (s == 0) /* H2: README's scale check */
            assert_near(hr_mase_scale(train.items[s].values, train.items[s].len, 24), 165.107988,
                        5e-7);
        hr_metrics_acc_add(&acc, &e);
        hr_forecast_release(&f);
        hr_model_free(m);
    }
    hr_eval mean;
    hr_metrics_acc_mean(&acc, &mean);
    *smape = mean.smape;
    *mase = mean.mase;
    hr_series_set_release(&train);
    hr_series_set_release(&test);
}

static void test_m4_sample(void **state)
{
    (void)state;
    double smape, mase;
    m4_sample("snaive", &smape, &mase);
    assert_near(smape, 5.6458, 0.5e-4);
    assert_near(mase, 1.1638, 0.5e-4);
    m4_sample("naive", &smape, &mase);
    assert_near(smape, 18.1149, 0.5e-4);
    assert_near(mase, 3.6335, 0.5e-4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_metrics),
        cmocka_unit_test(test_interval_metrics),
        cmocka_unit_test(test_eval_forecast),
        cmocka_unit_test(test_m4_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
