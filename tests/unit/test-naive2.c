/* Naive2 (M4 benchmark): the reference sMAPE/MASE on the 20-series M4
 * Hourly sample (tests/data/m4, see /work/shared/data/m4-hourly-sample's
 * README for the figures), exact hand cases, the O(1) update. */
#include "testutil.h"

#include <headroom/headroom.h>

#define NSERIES 20
#define MAXLEN  1024
#define H       48

typedef struct m4set {
    char id[NSERIES][16];
    double y[NSERIES][MAXLEN];
    size_t n[NSERIES];
    size_t count;
} m4set;

/* Tiny reader for the M4 CSV layout: header, then "id","v1",...,"vk",,,
 * (quoted fields, empty unquoted padding). */
static void m4_read(const char *rel, m4set *s)
{
    FILE *f = fopen(test_data(rel), "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    s->count = 0;
    assert_true(getline(&line, &cap, f) > 0); /* header */
    while ((len = getline(&line, &cap, f)) > 0 && s->count < NSERIES) {
        size_t k = s->count, nv = 0, field = 0;
        char *p = line;
        while (*p && *p != '\n') {
            char *e = strchr(p, ',');
            size_t fl = e ? (size_t)(e - p) : strcspn(p, "\n");
            if (fl >= 2 && p[0] == '"') {
                if (field == 0) {
                    snprintf(s->id[k], sizeof s->id[k], "%.*s", (int)(fl - 2), p + 1);
                } else {
                    assert_true(nv < MAXLEN);
                    assert_int_equal(hr_parse_double(p + 1, fl - 2, &s->y[k][nv]), 0);
                    nv++;
                }
            }
            field++;
            if (!e) break;
            p = e + 1;
        }
        s->n[k] = nv;
        s->count++;
    }
    free(line);
    fclose(f);
}

/* M4 accuracy of one model over the sample: mean sMAPE and mean MASE
 * (seasonal-naive scale with m = 24 over the training data). */
static void m4_score(const m4set *tr, const m4set *te, const char *model, size_t nper,
                     double *smape, double *mase)
{
    double ss = 0, sm = 0;
    size_t cnt = 0;
    for (size_t k = 0; k < tr->count; k++) {
        assert_string_equal(tr->id[k], te->id[k]);
        assert_int_equal(te->n[k], H);
        hr_model_opts o = {.periods = {24}, .nperiods = nper};
        hr_model *m = NULL;
        hr_error err = {0};
        assert_int_equal(hr_model_new(model, &o, &m, &err), 0);
        assert_int_equal(hr_model_fit(m, tr->y[k], tr->n[k], &err), 0);
        hr_forecast f;
        assert_int_equal(hr_forecast_init(&f, H, NULL, 0, &err), 0);
        assert_int_equal(hr_model_forecast(m, H, &f, &err), 0);
        double scale = 0;
        for (size_t t = 24; t < tr->n[k]; t++) scale += fabs(tr->y[k][t] - tr->y[k][t - 24]);
        scale /= (double)(tr->n[k] - 24);
        if (k == 0 && strcmp(model, "naive2") == 0) {
            /* H2 checks from the sample's README. */
            assert_string_equal(tr->id[0], "H2");
            assert_near(scale, 165.107988, 5e-7);
            assert_near(f.mean[0], 2842.759042, 5e-7);
            assert_near(f.mean[1], 2525.630102, 5e-7);
            assert_near(f.mean[2], 2285.133947, 5e-7);
        }
        for (size_t i = 0; i < H; i++) {
            double y = te->y[k][i], fc = f.mean[i];
            ss += 200 * fabs(y - fc) / (fabs(y) + fabs(fc));
            sm += fabs(y - fc) / scale;
            cnt++;
        }
        hr_forecast_release(&f);
        hr_model_free(m);
    }
    *smape = ss / (double)cnt;
    *mase = sm / (double)cnt;
}

static void test_m4_reference(void **state)
{
    (void)state;
    static m4set tr, te;
    m4_read("m4/Hourly-train-sample20.csv", &tr);
    m4_read("m4/Hourly-test-sample20.csv", &te);
    assert_int_equal(tr.count, NSERIES);
    assert_int_equal(te.count, NSERIES);
    for (size_t k = 0; k < NSERIES; k++) assert_int_equal(tr.n[k], 700);
    double smape, mase;
    /* The metric code itself, on the models that need no seasonality test. */
    m4_score(&tr, &te, "naive", 0, &smape, &mase);
    assert_near(smape, 18.1149, 5e-5);
    assert_near(mase, 3.6335, 5e-5);
    m4_score(&tr, &te, "snaive", 1, &smape, &mase);
    assert_near(smape, 5.6458, 5e-5);
    assert_near(mase, 1.1638, 5e-5);
    /* Naive2: the reference figures, to 4 decimals. */
    m4_score(&tr, &te, "naive2", 1, &smape, &mase);
    assert_near(smape, 4.3935, 5e-5);
    assert_near(mase, 0.8734, 5e-5);
    /* The README: all 20 sample series pass the M4 seasonality test at 24. */
    for (size_t k = 0; k < NSERIES; k++) assert_true(hr_seasonality_test(tr.y[k], tr.n[k], 24));
}

/* y_t = level_t * s[t % 4], s with mean 1: the indices are recovered
 * exactly, the adjusted series is the level. */
static void test_exact_multiplicative(void **state)
{
    (void)state;
    const double s[4] = {0.5, 1.0, 1.75, 0.75};
    double y[24];
    for (size_t t = 0; t < 24; t++) y[t] = 10.0 * s[t % 4];
    double idx[4];
    assert_int_equal(hr_decompose_mult(y, 24, 4, idx), 0);
    for (size_t k = 0; k < 4; k++) assert_near(idx[k], s[k], 1e-12);
    assert_true(hr_seasonality_test(y, 24, 4));

    hr_model_opts o = {.periods = {4}, .nperiods = 1};
    hr_model *m = NULL;
    hr_error err = {0};
    assert_int_equal(hr_model_new("naive2", &o, &m, &err), 0);
    assert_int_equal(hr_model_fit(m, y, 24, &err), 0);
    const double lv[] = {0.1, 0.9};
    hr_forecast f;
    assert_int_equal(hr_forecast_init(&f, 6, lv, 2, &err), 0);
    assert_int_equal(hr_model_forecast(m, 6, &f, &err), 0);
    for (size_t i = 0; i < 6; i++) {
        assert_near(f.mean[i], 10.0 * s[(24 + i) % 4], 1e-9);
        assert_near(hr_forecast_q(&f, i, 0), f.mean[i], 1e-9); /* no residual spread */
    }
    /* Update with a level shift to 20 at position 24 (index 0.5): the new
     * residual 10 gives sigma^2 = 100 / 24 in the adjusted scale. */
    assert_int_equal(hr_model_update(m, 20.0 * s[0]), 0);
    assert_int_equal(hr_model_forecast(m, 6, &f, &err), 0);
    double sigma = sqrt(100.0 / 24.0), z = 1.2815515655446004;
    for (size_t i = 0; i < 6; i++) {
        double si = s[(25 + i) % 4];
        assert_near(f.mean[i], 20.0 * si, 1e-9);
        assert_near(hr_forecast_q(&f, i, 1), 20.0 * si + z * sigma * sqrt(i + 1.0) * si, 1e-9);
    }
    hr_fit_info fi;
    assert_int_equal(hr_model_info(m, &fi), 0);
    assert_non_null(strstr(fi.desc, "multiplicative"));
    assert_near(fi.mse, 100.0 / 24.0, 1e-9);
    hr_forecast_release(&f);
    hr_model_free(m);
}

/* A zero in the data: additive indices, exact on y_t = 5 + a[t % 4]. */
static void test_additive_fallback(void **state)
{
    (void)state;
    const double a[4] = {-5, 0, 5, 0};
    double y[20];
    for (size_t t = 0; t < 20; t++) y[t] = 5 + a[t % 4];
    hr_model_opts o = {.periods = {4}, .nperiods = 1};
    hr_model *m = NULL;
    hr_error err = {0};
    assert_int_equal(hr_model_new("naive2", &o, &m, &err), 0);
    assert_int_equal(hr_model_fit(m, y, 20, &err), 0);
    hr_forecast f;
    assert_int_equal(hr_forecast_init(&f, 5, NULL, 0, &err), 0);
    assert_int_equal(hr_model_forecast(m, 5, &f, &err), 0);
    for (size_t i = 0; i < 5; i++) assert_near(f.mean[i], 5 + a[(20 + i) % 4], 1e-9);
    hr_fit_info fi;
    assert_int_equal(hr_model_info(m, &fi), 0);
    assert_non_null(strstr(fi.desc, "additive"));
    hr_forecast_release(&f);
    hr_model_free(m);
}

/* Too short for the test (n < 3m), or no period: plain naive. */
static void test_plain_naive(void **state)
{
    (void)state;
    const double y[] = {1, 3, 2, 5, 4, 6, 2, 7};
    for (size_t np = 0; np < 2; np++) {
        hr_model_opts o = {.periods = {4}, .nperiods = np};
        hr_model *m = NULL, *ref = NULL;
        hr_error err = {0};
        assert_int_equal(hr_model_new("naive2", &o, &m, &err), 0);
        assert_int_equal(hr_model_new("naive", NULL, &ref, &err), 0);
        assert_int_equal(hr_model_fit(m, y, 8, &err), 0);
        assert_int_equal(hr_model_fit(ref, y, 8, &err), 0);
        const double lv[] = {0.05, 0.5, 0.95};
        hr_forecast f, g;
        assert_int_equal(hr_forecast_init(&f, 3, lv, 3, &err), 0);
        assert_int_equal(hr_forecast_init(&g, 3, lv, 3, &err), 0);
        assert_int_equal(hr_model_forecast(m, 3, &f, &err), 0);
        assert_int_equal(hr_model_forecast(ref, 3, &g, &err), 0);
        for (size_t i = 0; i < 9; i++) assert_near(f.q[i], g.q[i], 1e-12);
        assert_near(f.mean[2], 7, 0);
        hr_forecast_release(&f);
        hr_forecast_release(&g);
        hr_model_free(m);
        hr_model_free(ref);
    }
    hr_model *m = NULL;
    hr_error err = {0};
    hr_model_opts o = {.spec = "x"};
    assert_int_equal(hr_model_new("naive2", &o, &m, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "naive2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_m4_reference),
        cmocka_unit_test(test_exact_multiplicative),
        cmocka_unit_test(test_additive_fallback),
        cmocka_unit_test(test_plain_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
