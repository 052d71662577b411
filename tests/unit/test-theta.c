/* Theta: the M4 standard Theta against statsmodels' ThetaModel and the
 * optimised Theta against an independent estimation (fixtures in
 * tests/data/theta, see README.md there), exact hand cases, the O(1)
 * update, short series. */
#include "testutil.h"

#include <headroom/headroom.h>

#define N 700
#define H 48

typedef struct theta_fixture {
    double alpha_std, alpha_opt, theta_opt, alpha_sm;
    double y[N];
    double f_std[H], f_opt[H];
} theta_fixture;

static void read_fixture(const char *rel, theta_fixture *fx)
{
    FILE *f = fopen(test_data(rel), "r");
    assert_non_null(f);
    char line[256];
    size_t ny = 0, nf = 0, na = 0;
    double sm;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == 'a')
            na += sscanf(line, "a,%lf,%lf,%lf,%lf", &fx->alpha_std, &fx->alpha_opt, &fx->theta_opt,
                         &fx->alpha_sm) == 4;
        else if (line[0] == 'y' && ny < N)
            ny += sscanf(line, "y,%lf", &fx->y[ny]) == 1;
        else if (line[0] == 'f' && nf < H)
            nf += sscanf(line, "f,%lf,%lf,%lf", &fx->f_std[nf], &fx->f_opt[nf], &sm) == 3;
    }
    fclose(f);
    assert_int_equal(na, 1);
    assert_int_equal(ny, N);
    assert_int_equal(nf, H);
}

static hr_model *fit_model(const char *spec, size_t period, const double *y, size_t n)
{
    hr_model_opts o = {.periods = {period}, .nperiods = period ? 1 : 0};
    snprintf(o.spec, sizeof o.spec, "%s", spec);
    hr_model *m = NULL;
    hr_error err = {0};
    assert_int_equal(hr_model_new("theta", &o, &m, &err), 0);
    assert_int_equal(hr_model_fit(m, y, n, &err), 0);
    return m;
}

static void check_series(const char *rel)
{
    static theta_fixture fx;
    read_fixture(rel, &fx);
    hr_error err = {0};
    hr_forecast f;
    assert_int_equal(hr_forecast_init(&f, H, NULL, 0, &err), 0);

    /* std: statsmodels' forecast at the alpha of the M4 definition (estimated
     * independently in Python): to 1e-6 relative (they agree to ~1e-10). */
    hr_model *m = fit_model("std", 24, fx.y, N);
    assert_int_equal(hr_model_forecast(m, H, &f, &err), 0);
    for (size_t i = 0; i < H; i++) assert_rel(f.mean[i], fx.f_std[i], 1e-6);
    hr_fit_info fi;
    assert_int_equal(hr_model_info(m, &fi), 0);
    assert_non_null(strstr(fi.desc, "mult"));
    hr_model_free(m);
    /* With alpha given, the same. */
    char spec[64];
    snprintf(spec, sizeof spec, "std,alpha=%.17g", fx.alpha_std);
    m = fit_model(spec, 24, fx.y, N);
    assert_int_equal(hr_model_forecast(m, H, &f, &err), 0);
    for (size_t i = 0; i < H; i++) assert_rel(f.mean[i], fx.f_std[i], 1e-6);
    hr_model_free(m);

    /* opt: against a 3-parameter Nelder-Mead of the same criterion:
     * forecasts to 1e-6 relative (they agree to ~1e-9). */
    m = fit_model("opt", 24, fx.y, N);
    assert_int_equal(hr_model_forecast(m, H, &f, &err), 0);
    for (size_t i = 0; i < H; i++) assert_rel(f.mean[i], fx.f_opt[i], 1e-6);
    assert_int_equal(hr_model_info(m, &fi), 0);
    char want[32];
    snprintf(want, sizeof want, "theta=%.3g", fx.theta_opt);
    assert_non_null(strstr(fi.desc, want));
    hr_model_free(m);
    hr_forecast_release(&f);
}

static void test_fixtures(void **state)
{
    (void)state;
    check_series("theta/theta-H2.csv");  /* alpha at its upper bound */
    check_series("theta/theta-H10.csv"); /* alpha inside (0.486) */
}

/* alpha = 1: the level is the last value and the forecast is
 * y_n + h B / 2, B the least-squares slope. y = 1,3,2,5,4: B = 0.8. */
static void test_exact_alpha1(void **state)
{
    (void)state;
    const double y[] = {1, 3, 2, 5, 4, 6};
    hr_model *m = fit_model("std,alpha=1", 0, y, 5);
    const double lv[] = {0.025, 0.975};
    hr_error err = {0};
    hr_forecast f;
    assert_int_equal(hr_forecast_init(&f, 4, lv, 2, &err), 0);
    assert_int_equal(hr_model_forecast(m, 4, &f, &err), 0);
    /* One-step errors from t = 2: diffs 2,-1,3,-1 minus B/2: SSE 13.24 (t = 1
     * is fitted exactly by the initial level); sd_h = sigma sqrt(h). */
    double sigma = sqrt(13.24 / 5), z = 1.959963984540054;
    for (size_t i = 0; i < 4; i++) {
        double h = (double)(i + 1);
        assert_near(f.mean[i], 4 + 0.4 * h, 1e-12);
        assert_near(hr_forecast_q(&f, i, 1), 4 + 0.4 * h + z * sigma * sqrt(h), 1e-9);
    }
    hr_fit_info fi;
    assert_int_equal(hr_model_info(m, &fi), 0);
    assert_near(fi.mse, 13.24 / 5, 1e-12);
    /* Update with 6: error 6 - 4.4 = 1.6; the slope becomes 15.5 / 17.5. */
    assert_int_equal(hr_model_update(m, 6), 0);
    assert_int_equal(hr_model_forecast(m, 4, &f, &err), 0);
    for (size_t i = 0; i < 4; i++) assert_near(f.mean[i], 6 + 0.5 * (i + 1.0) * 15.5 / 17.5, 1e-12);
    assert_int_equal(hr_model_info(m, &fi), 0);
    assert_near(fi.mse, (13.24 + 2.56) / 6, 1e-12);
    assert_int_equal(fi.nobs, 6);
    hr_model_free(m);
    hr_forecast_release(&f);
}

/* The O(1) update equals a refit with the same parameters: fit on 600
 * values, update 100, compare with a fit on 700 at the same alpha (and
 * theta); the initial level's weight (1-alpha)^600 is negligible. */
static void test_update_equals_refit(void **state)
{
    (void)state;
    static theta_fixture fx;
    read_fixture("theta/theta-H10.csv", &fx);
    hr_model *m = fit_model("opt", 0, fx.y, 600);
    for (size_t i = 600; i < N; i++) assert_int_equal(hr_model_update(m, fx.y[i]), 0);
    hr_fit_info fi;
    assert_int_equal(hr_model_info(m, &fi), 0);
    hr_error err = {0};
    hr_forecast f, g;
    assert_int_equal(hr_forecast_init(&f, H, NULL, 0, &err), 0);
    assert_int_equal(hr_forecast_init(&g, H, NULL, 0, &err), 0);
    assert_int_equal(hr_model_forecast(m, H, &f, &err), 0);
    /* The parameters, read back from a std refit that fixes both. */
    double alpha, theta;
    const char *p = strstr(fi.desc, "theta=");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "theta=%lf, alpha=%lf", &theta, &alpha), 2);
    hr_model_free(m);
    /* desc has 3 digits only: refit at those values on 600 and update, and
     * on 700 directly; the two must agree to rounding. */
    char spec[64];
    snprintf(spec, sizeof spec, "std,alpha=%.17g,theta=%.17g", alpha, theta);
    m = fit_model(spec, 0, fx.y, 600);
    for (size_t i = 600; i < N; i++) assert_int_equal(hr_model_update(m, fx.y[i]), 0);
    hr_model *r = fit_model(spec, 0, fx.y, N);
    assert_int_equal(hr_model_forecast(m, H, &f, &err), 0);
    assert_int_equal(hr_model_forecast(r, H, &g, &err), 0);
    for (size_t i = 0; i < H; i++) assert_rel(f.mean[i], g.mean[i], 1e-9);
    hr_model_free(m);
    hr_model_free(r);
    hr_forecast_release(&f);
    hr_forecast_release(&g);
}

static void test_short_and_errors(void **state)
{
    (void)state;
    const double y[] = {5, 7, 6};
    hr_error err = {0};
    for (size_t n = 1; n <= 3; n++) {
        for (int k = 0; k < 2; k++) {
            hr_model *m = fit_model(k ? "opt" : "std", 24, y, n);
            const double lv[] = {0.1, 0.9};
            hr_forecast f;
            assert_int_equal(hr_forecast_init(&f, 5, lv, 2, &err), 0);
            assert_int_equal(hr_model_forecast(m, 5, &f, &err), 0);
            for (size_t i = 0; i < 10; i++) assert_true(isfinite(f.q[i]));
            if (n == 1) assert_near(f.mean[4], 5, 1e-12);
            hr_forecast_release(&f);
            hr_model_free(m);
        }
    }
    hr_model *m = NULL;
    const char *bad[] = {
        "nope", "std,alpha=0", "std,alpha=1.5", "opt,theta=3", "std,theta=0.5", "std,", ","};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hr_model_opts o = {0};
        snprintf(o.spec, sizeof o.spec, "%s", bad[i]);
        assert_int_equal(hr_model_new("theta", &o, &m, &err), HR_EINVAL);
        assert_non_null(strstr(err.msg, "theta"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_exact_alpha1),
        cmocka_unit_test(test_update_equals_refit),
        cmocka_unit_test(test_short_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
