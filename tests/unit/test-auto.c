/* auto and combo: exact plumbing checks (combination arithmetic, conformal
 * radius recomputed by hand, online update) and accuracy/coverage bounds on
 * the 20 M4 Hourly sample series (tests/data/m4, see its README). */
#include "testutil.h"

#include <headroom/headroom.h>

static hr_series_set train, test;

static int setup(void **state)
{
    (void)state;
    hr_error err = {0};
    if (hr_m4_read(test_data("m4/Hourly-train-sample20.csv"), &train, &err) < 0 ||
        hr_m4_read(test_data("m4/Hourly-test-sample20.csv"), &test, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hr_series_set_release(&train);
    hr_series_set_release(&test);
    return 0;
}

static void forecast_with(const char *name, const char *spec, const double *y, size_t n, size_t h,
                          const double *levels, size_t nq, hr_forecast *f)
{
    hr_model_opts o = {.periods = {24}, .nperiods = 1, .horizon = h};
    snprintf(o.spec, sizeof o.spec, "%s", spec);
    hr_model *m = NULL;
    hr_error err = {0};
    assert_int_equal(hr_model_new(name, &o, &m, &err), 0);
    if (hr_model_fit(m, y, n, &err) < 0) fail_msg("%s: %s", name, err.msg);
    assert_int_equal(hr_forecast_init(f, h, levels, nq, &err), 0);
    assert_int_equal(hr_model_forecast(m, h, f, &err), 0);
    hr_model_free(m);
}

/* combo's mean and median are exactly the members' mean and median. */
static void test_combo_exact(void **state)
{
    (void)state;
    const hr_series *s = &train.items[0];
    const double lv[] = {0.05, 0.95};
    hr_forecast a, b, c, mean, med;
    forecast_with("naive", "", s->values, s->len, 30, lv, 2, &a);
    forecast_with("snaive", "", s->values, s->len, 30, lv, 2, &b);
    forecast_with("combo", "mean:naive,snaive", s->values, s->len, 30, lv, 2, &mean);
    forecast_with("combo", "median:naive,snaive,naive", s->values, s->len, 30, lv, 2, &med);
    forecast_with("naive", "", s->values, s->len, 30, lv, 2, &c);
    for (size_t i = 0; i < 30; i++) {
        assert_near(mean.mean[i], 0.5 * (a.mean[i] + b.mean[i]), 1e-9);
        assert_near(hr_forecast_q(&mean, i, 1),
                    0.5 * (hr_forecast_q(&a, i, 1) + hr_forecast_q(&b, i, 1)), 1e-9);
        assert_near(med.mean[i], c.mean[i], 0); /* median of (naive, snaive, naive) */
        assert_near(hr_forecast_q(&med, i, 0), hr_forecast_q(&c, i, 0), 0);
    }
    hr_forecast_release(&a);
    hr_forecast_release(&b);
    hr_forecast_release(&c);
    hr_forecast_release(&mean);
    hr_forecast_release(&med);
}

static void test_combo_errors(void **state)
{
    (void)state;
    hr_model_opts o = {.periods = {24}, .nperiods = 1};
    hr_model *m = NULL;
    hr_error err = {0};
    snprintf(o.spec, sizeof o.spec, "mean:naive,,snaive");
    assert_int_equal(hr_model_new("combo", &o, &m, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "item 2"));
    snprintf(o.spec, sizeof o.spec, "naive,auto");
    assert_int_equal(hr_model_new("combo", &o, &m, &err), HR_EINVAL);
    snprintf(o.spec, sizeof o.spec, "naive,nosuch");
    assert_int_equal(hr_model_new("combo", &o, &m, &err), 0);
    const double y[] = {1, 2, 3, 4};
    assert_int_equal(hr_model_fit(m, y, 4, &err), HR_ENOTFOUND);
    assert_non_null(strstr(err.msg, "nosuch"));
    hr_model_free(m);
    snprintf(o.spec, sizeof o.spec, "origins=0");
    assert_int_equal(hr_model_new("auto", &o, &m, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "origins"));
    snprintf(o.spec, sizeof o.spec, "candidates=snaive,bogus");
    assert_int_equal(hr_model_new("auto", &o, &m, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "bogus"));
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* With one candidate (snaive) the conformal radius can be recomputed by
 * hand: the snaive validation forecasts at origins n-48 and n-96, their 90 %
 * half-widths z * sigma * sqrt(floor(i/24)+1), the scores |y - f| / w, and
 * the ceil(97 * 0.9) = 88th smallest. */
static void test_auto_conformal_exact(void **state)
{
    (void)state;
    const hr_series *s = &train.items[3];
    const double *y = s->values;
    size_t n = s->len, H = 48, m = 24;
    double scores[96];
    size_t ns = 0;
    for (size_t o = 1; o <= 2; o++) {
        size_t end = n - o * H;
        double sse = 0;
        for (size_t t = m; t < end; t++) sse += (y[t] - y[t - m]) * (y[t] - y[t - m]);
        double sigma = sqrt(sse / (double)(end - m));
        for (size_t i = 0; i < H; i++) {
            double f = y[end - m + i % m];
            double w = 1.6448536269514722 * sigma * sqrt((double)(i / m + 1));
            scores[ns++] = fabs(y[end + i] - f) / w;
        }
    }
    qsort(scores, ns, sizeof(double), cmp);
    double r = scores[87];

    const double lv[] = {0.05, 0.5, 0.95};
    hr_forecast f;
    forecast_with("auto", "candidates=snaive;top=1;origins=2", y, n, H, lv, 3, &f);
    double sse = 0;
    for (size_t t = m; t < n; t++) sse += (y[t] - y[t - m]) * (y[t] - y[t - m]);
    double sigma = sqrt(sse / (double)(n - m));
    for (size_t i = 0; i < H; i++) {
        double mu = y[n - m + i % m];
        double w = 1.6448536269514722 * sigma * sqrt((double)(i / m + 1));
        assert_near(f.mean[i], mu, 1e-9);
        assert_near(hr_forecast_q(&f, i, 1), mu, 1e-9);
        assert_near(hr_forecast_q(&f, i, 2), mu + r * w, 1e-6 * (1 + fabs(mu)));
        assert_near(hr_forecast_q(&f, i, 0), mu - r * w, 1e-6 * (1 + fabs(mu)));
    }
    hr_forecast_release(&f);
}

/* Online update through auto reaches its members: with snaive as the only
 * member, updating with the last 24 values equals fitting on all of them. */
static void test_auto_update(void **state)
{
    (void)state;
    const hr_series *s = &train.items[5];
    size_t n = s->len, h = 48;
    hr_model_opts o = {.periods = {24}, .nperiods = 1, .horizon = h};
    snprintf(o.spec, sizeof o.spec, "candidates=snaive;top=1");
    hr_model *m = NULL;
    hr_error err = {0};
    assert_int_equal(hr_model_new("auto", &o, &m, &err), 0);
    assert_int_equal(hr_model_fit(m, s->values, n - 24, &err), 0);
    for (size_t t = n - 24; t < n; t++) assert_int_equal(hr_model_update(m, s->values[t]), 0);
    hr_forecast f;
    assert_int_equal(hr_forecast_init(&f, h, NULL, 0, &err), 0);
    assert_int_equal(hr_model_forecast(m, h, &f, &err), 0);
    for (size_t i = 0; i < h; i++) assert_near(f.mean[i], s->values[n - 24 + i % 24], 0);
    hr_fit_info fi;
    assert_int_equal(hr_model_info(m, &fi), 0);
    assert_int_equal(fi.nobs, n);
    assert_string_equal(fi.desc, "Auto(snaive)");
    hr_forecast_release(&f);
    hr_model_free(m);
}

/* Accuracy and coverage of auto on M4 series against Naive2 computed here
 * (M4 definitions): returns OWA, writes the 90 % coverage. */
static double auto_owa(const char *train_file, const char *test_file, double *coverage)
{
    hr_series_set tr, te;
    hr_error err = {0};
    assert_int_equal(hr_m4_read(test_data(train_file), &tr, &err), 0);
    assert_int_equal(hr_m4_read(test_data(test_file), &te, &err), 0);
    assert_int_equal(tr.len, te.len);
    size_t H = 48, m = 24, N = tr.len;
    double s_auto = 0, m_auto = 0, s_n2 = 0, m_n2 = 0, inside = 0, total = 0;
    const double lv[] = {0.05, 0.95};
    for (size_t k = 0; k < N; k++) {
        const hr_series *x = &tr.items[k], *y = &te.items[k];
        assert_int_equal(y->len, H);
        double scale = 0;
        for (size_t t = m; t < x->len; t++) scale += fabs(x->values[t] - x->values[t - m]);
        scale /= (double)(x->len - m);
        hr_forecast fa, fn;
        forecast_with("auto", "", x->values, x->len, H, lv, 2, &fa);
        forecast_with("naive2", "", x->values, x->len, H, lv, 2, &fn);
        double sa = 0, ma = 0, sn = 0, mn = 0;
        for (size_t i = 0; i < H; i++) {
            double a = y->values[i];
            assert_true(isfinite(fa.mean[i]));
            sa += 200 * fabs(a - fa.mean[i]) / (fabs(a) + fabs(fa.mean[i]));
            ma += fabs(a - fa.mean[i]) / scale;
            sn += 200 * fabs(a - fn.mean[i]) / (fabs(a) + fabs(fn.mean[i]));
            mn += fabs(a - fn.mean[i]) / scale;
            inside += a >= hr_forecast_q(&fa, i, 0) && a <= hr_forecast_q(&fa, i, 1);
            total++;
        }
        s_auto += sa / H, m_auto += ma / H, s_n2 += sn / H, m_n2 += mn / H;
        hr_forecast_release(&fa);
        hr_forecast_release(&fn);
    }
    double owa = 0.5 * (s_auto / s_n2 + m_auto / m_n2);
    *coverage = inside / total;
    print_message("auto on %s: sMAPE %.4f MASE %.4f OWA %.4f coverage90 %.4f\n", train_file,
                  s_auto / N, m_auto / N, owa, *coverage);
    hr_series_set_release(&tr);
    hr_series_set_release(&te);
    return owa;
}

/* The first 20 even series are all of a kind on which Naive2 is strong
 * (seasonal naive scores OWA 1.309 there, README): auto must not lose to
 * Naive2 on them. Coverage: a binomial 99.9 % range around 0.9 for 960
 * independent points is 0.87-0.93; neighbouring hours are correlated and
 * the series few, hence 0.80-0.97. */
static void test_auto_m4_sample20(void **state)
{
    (void)state;
    double cov, owa = auto_owa("m4/Hourly-train-sample20.csv", "m4/Hourly-test-sample20.csv", &cov);
    assert_true(owa < 1.0);
    assert_true(cov >= 0.80 && cov <= 0.97);
}

/* 30 series spread over the even half: seasonal naive scores OWA 0.777
 * on them; the bar for auto is the first target, 0.55, with
 * margin to 0.60 for the small sample (measured: 0.479). */
static void test_auto_m4_spread30(void **state)
{
    (void)state;
    double cov, owa = auto_owa("m4/Hourly-train-spread30.csv", "m4/Hourly-test-spread30.csv", &cov);
    assert_true(owa < 0.60);
    assert_true(cov >= 0.80 && cov <= 0.97);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_combo_exact),          cmocka_unit_test(test_combo_errors),
        cmocka_unit_test(test_auto_conformal_exact), cmocka_unit_test(test_auto_update),
        cmocka_unit_test(test_auto_m4_sample20),     cmocka_unit_test(test_auto_m4_spread30),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
