/* Seasonality tools: hr_acf and the classical indices against statsmodels
 * (tests/data/seasonality, see README.md there), the M4 test by hand, and
 * period detection on simulated and M4 series. */
#include "testutil.h"

#include <headroom/headroom.h>

#include "forecast/internal.h"
#include "forecast/stl.h"

#define MAXV 1024

/* Values of the fixture line "kind,name,v1,v2,..."; returns the count. */
static size_t fixture(const char *kind, const char *name, double *v)
{
    FILE *f = fopen(test_data("seasonality/seasonality.csv"), "r");
    assert_non_null(f);
    char *line = NULL, prefix[64];
    size_t cap = 0, n = 0;
    snprintf(prefix, sizeof prefix, "%s,%s,", kind, name);
    while (getline(&line, &cap, f) > 0) {
        if (strncmp(line, prefix, strlen(prefix)) != 0) continue;
        char *p = line + strlen(prefix);
        while (*p && *p != '\n' && n < MAXV) {
            size_t len = strcspn(p, ",\n");
            assert_int_equal(hr_parse_double(p, len, &v[n]), 0);
            n++;
            p += len;
            if (*p == ',') p++;
        }
        break;
    }
    free(line);
    fclose(f);
    assert_true(n > 0);
    return n;
}

static void test_acf(void **state)
{
    (void)state;
    /* By hand: deviations -1.5,-.5,.5,1.5, lag-0 sum 5. */
    const double y[] = {1, 2, 3, 4};
    double a[4];
    assert_int_equal(hr_acf(y, 4, 3, a), 0);
    assert_near(a[0], 1, 0);
    assert_near(a[1], 0.25, 1e-15);
    assert_near(a[2], -0.3, 1e-15);
    assert_near(a[3], -0.45, 1e-15);
    assert_int_equal(hr_acf(y, 4, 4, a), HR_EDATA);
    const double c[] = {2, 2, 2};
    assert_int_equal(hr_acf(c, 3, 2, a), 0);
    assert_near(a[1], 0, 0);
    /* statsmodels' acf on 300 values of M4 H2. */
    static double h2[MAXV], ref[MAXV], got[31];
    size_t n = fixture("y", "h2-acf", h2);
    assert_int_equal(n, 300);
    assert_int_equal(fixture("acf", "h2-acf", ref), 31);
    assert_int_equal(hr_acf(h2, n, 30, got), 0);
    for (size_t k = 0; k <= 30; k++) assert_near(got[k], ref[k], 1e-12);
}

static void test_seasonality_test(void **state)
{
    (void)state;
    /* Period 4 by construction, 20 points: acf(4) = 0.787 against the limit
     * 0.457 (statsmodels gives the same acf); at period 3, |acf(3)| = 0.316
     * against 0.426. */
    const double y[] = {1, 2, 3, 9, 1, 2, 4, 9, 1, 3, 3, 9, 2, 2, 3, 9, 1, 2, 3, 8};
    double a[5];
    assert_int_equal(hr_acf(y, 20, 4, a), 0);
    double limit = 1.645 * sqrt((1 + 2 * (a[1] * a[1] + a[2] * a[2] + a[3] * a[3])) / 20);
    assert_near(a[4], 0.7868026054941943, 1e-12);
    assert_near(limit, 0.45661031952007053, 1e-12);
    assert_true(hr_seasonality_test(y, 20, 4));
    limit = 1.645 * sqrt((1 + 2 * (a[1] * a[1] + a[2] * a[2])) / 20);
    assert_near(a[3], -0.31587369017275563, 1e-12);
    assert_near(limit, 0.42602030226288384, 1e-12);
    assert_false(hr_seasonality_test(y, 20, 3));
    assert_true(hr_seasonality_test(y, 12, 4));  /* the first 3 cycles */
    assert_false(hr_seasonality_test(y, 11, 4)); /* n < 3m */
    assert_false(hr_seasonality_test(y, 20, 1));
    const double c[] = {3, 3, 3, 3, 3, 3};
    assert_false(hr_seasonality_test(c, 6, 2));
}

static void check_indices(const char *name, size_t m, bool mult, bool seasonal)
{
    static double y[MAXV], ref[MAXV];
    size_t n = fixture("y", name, y);
    assert_int_equal(fixture("idx", name, ref), m);
    double idx[64];
    if (mult) {
        assert_int_equal(hr_decompose_mult(y, n, m, idx), 0);
        for (size_t k = 0; k < m; k++) assert_near(idx[k], ref[k], 1e-12);
    }
    /* The deseasonaliser picks the same indices (additive when y has a 0),
     * if the series tests seasonal (H4 does not at 7). */
    hr__deseason d = {0};
    assert_int_equal(hr__deseason_fit(&d, y, n, m), 0);
    assert_int_equal(d.m, seasonal ? m : 0);
    if (!seasonal) return;
    assert_true(d.mult == mult);
    for (size_t k = 0; k < m; k++) assert_near(d.idx[k], ref[k], 1e-9 * fmax(1, fabs(ref[k])));
    hr__deseason_release(&d);
}

static void test_decompose(void **state)
{
    (void)state;
    check_indices("h2-mult24", 24, true, true);
    check_indices("h4-mult7", 7, true, false);
    check_indices("h6-add24", 24, false, true);
    double y[8] = {1, 2, 3, 4, 5, 6, 7, 8}, idx[4];
    assert_int_equal(hr_decompose_mult(y, 7, 4, idx), HR_EDATA); /* fewer than 2 cycles */
    assert_int_equal(hr_decompose_mult(y, 8, 1, idx), HR_EDATA);
    assert_int_equal(hr_decompose_mult(NULL, 8, 4, idx), HR_EINVAL);
}

/* Simulated hourly series (6 weeks, fixed seeds): the sums below and the
 * periods hr_detect_periods must find among 12, 24 and 168. */
static int detect(const double *y, size_t n, size_t *out)
{
    const size_t cand[] = {168, 12, 24}; /* any order */
    return hr_detect_periods(y, n, cand, 3, out, 3);
}

static void test_detect_simulated(void **state)
{
    (void)state;
    static double y[1008];
    size_t n = 1008, out[3];
    hr__rng r;
    hr__rng_seed(&r, 11);
    /* daily + weekly sines + trend + noise: both */
    for (size_t t = 0; t < n; t++)
        y[t] = 100 + 0.02 * (double)t + 10 * sin(2 * M_PI * (double)t / 24) +
               5 * sin(2 * M_PI * (double)t / 168 + 0.5) + 3 * hr__rng_normal(&r);
    assert_int_equal(detect(y, n, out), 2);
    assert_int_equal(out[0], 24);
    assert_int_equal(out[1], 168);
    /* max = 1: the first only */
    const size_t c2[] = {24, 168};
    assert_int_equal(hr_detect_periods(y, n, c2, 2, out, 1), 1);
    assert_int_equal(out[0], 24);
    /* Below 3 * 168 = 504 values 168 is no longer a candidate. */
    assert_int_equal(detect(y, 500, out), 1);
    assert_int_equal(out[0], 24);
    /* weekend step + daily sine: both */
    for (size_t t = 0; t < n; t++)
        y[t] = ((t / 24) % 7 >= 5 ? 50 : 100) + 10 * sin(2 * M_PI * (double)t / 24) +
               3 * hr__rng_normal(&r);
    assert_int_equal(detect(y, n, out), 2);
    assert_int_equal(out[1], 168);
    /* daily sine on a random walk: daily only (the weekly lag 168 is a
     * local ACF maximum here, but below lag 144) */
    double rw = 0;
    for (size_t t = 0; t < n; t++) {
        rw += hr__rng_normal(&r);
        y[t] = 100 + rw + 10 * sin(2 * M_PI * (double)t / 24) + hr__rng_normal(&r);
    }
    assert_int_equal(detect(y, n, out), 1);
    assert_int_equal(out[0], 24);
    /* a weekly sine alone */
    for (size_t t = 0; t < n; t++)
        y[t] = 5 * sin(2 * M_PI * (double)t / 168) + 2 * hr__rng_normal(&r);
    assert_int_equal(detect(y, n, out), 1);
    assert_int_equal(out[0], 168);
    /* white noise, and a constant: nothing */
    for (size_t t = 0; t < n; t++) y[t] = hr__rng_normal(&r);
    assert_int_equal(detect(y, n, out), 0);
    for (size_t t = 0; t < n; t++) y[t] = 4;
    assert_int_equal(detect(y, n, out), 0);
    /* errors and limits */
    assert_int_equal(hr_detect_periods(NULL, n, c2, 2, out, 3), HR_EINVAL);
    static size_t many[65];
    for (size_t i = 0; i < 65; i++) many[i] = i + 2;
    assert_int_equal(hr_detect_periods(y, n, many, 65, out, 3), HR_ELIMIT);
    assert_int_equal(detect(y, 10, out), 0);
}

/* M4 Hourly H2 and H10 (the theta fixtures' input): daily, not weekly. */
static void test_detect_m4(void **state)
{
    (void)state;
    const char *files[] = {"theta/theta-H2.csv", "theta/theta-H10.csv"};
    for (size_t i = 0; i < 2; i++) {
        FILE *f = fopen(test_data(files[i]), "r");
        assert_non_null(f);
        static double y[MAXV];
        char line[256];
        size_t n = 0;
        while (fgets(line, sizeof line, f) && n < MAXV)
            if (line[0] == 'y') n += sscanf(line, "y,%lf", &y[n]) == 1;
        fclose(f);
        assert_int_equal(n, 700);
        size_t out[3];
        assert_int_equal(detect(y, n, out), 1);
        assert_int_equal(out[0], 24);
    }
}

/* Candidate periods from the sampling step: a day and a week in steps. */
static void test_candidate_periods(void **state)
{
    (void)state;
    size_t p[4];
    assert_int_equal(hr_candidate_periods(300, p, 4), 2);
    assert_int_equal(p[0], 288);
    assert_int_equal(p[1], 2016);
    assert_int_equal(hr_candidate_periods(3600, p, 4), 2);
    assert_int_equal(p[0], 24);
    assert_int_equal(p[1], 168);
    assert_int_equal(hr_candidate_periods(86400, p, 4), 1); /* daily data: the week */
    assert_int_equal(p[0], 7);
    assert_int_equal(hr_candidate_periods(7 * 86400, p, 4), 0);
    assert_int_equal(hr_candidate_periods(7000, p, 4), 0); /* divides neither */
    assert_int_equal(hr_candidate_periods(0, p, 4), 0);
    assert_int_equal(hr_candidate_periods(300, p, 1), 1);
    assert_int_equal(p[0], 288);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_candidate_periods), cmocka_unit_test(test_acf),
        cmocka_unit_test(test_seasonality_test),  cmocka_unit_test(test_decompose),
        cmocka_unit_test(test_detect_simulated),  cmocka_unit_test(test_detect_m4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
