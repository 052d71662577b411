/* The NAB scorer: sigmoid and probation constants, a hand-computed sweep,
 * the tie rule, analytic synthetic detectors on real windows, the shipped
 * numenta/windowedGaussian outputs on a five-file subset, and bad input. */
#include "testutil.h"

#include <headroom/anomaly.h>
#include <headroom/series.h>

static const hr_nab_profile std_prof[3] = {
    {"standard", 1.0, 0.11, 1.0, 1.0},
    {"reward_low_FP_rate", 1.0, 0.22, 1.0, 1.0},
    {"reward_low_FN_rate", 1.0, 0.11, 2.0, 1.0},
};

/* Independent of the library: the scaled sigmoid written out. */
static double sig(double x)
{
    return x > 3 ? -1.0 : 2.0 / (1.0 + exp(5.0 * x)) - 1.0;
}

static void test_constants(void **state)
{
    (void)state;
    assert_near(hr_nab_sigmoid(-1.0), 0.98661429815143, 1e-13);
    assert_near(hr_nab_sigmoid(0.0), 0.0, 0);
    assert_near(hr_nab_sigmoid(3.0), sig(3.0), 0);
    assert_near(hr_nab_sigmoid(3.0000001), -1.0, 0);
    assert_int_equal(hr_nab_probation(4032), 604);
    assert_int_equal(hr_nab_probation(4730), 709);
    assert_int_equal(hr_nab_probation(4621), 693);
    assert_int_equal(hr_nab_probation(1243), 186);
    assert_int_equal(hr_nab_probation(15831), 750);
    assert_int_equal(hr_nab_probation(1), 0);
}

/* 20 rows, P = 3, one window on rows 10..13 (w = 4). */
static void test_hand_sweep(void **state)
{
    (void)state;
    int64_t t[20];
    double s[20] = {0};
    for (int i = 0; i < 20; i++) t[i] = 1000 + 300 * i;
    s[1] = 1.0;  /* probationary: ignored, so 1.0 is no candidate */
    s[5] = 0.9;  /* before the window: -A_FP */
    s[12] = 0.8; /* in the window: x = -(13 - 12 + 1)/4 */
    s[15] = 0.8; /* after it: x = (15 - 13)/(4 - 1) */
    hr_nab_window w = {1000 + 300 * 10, 1000 + 300 * 13};
    hr_nab_scorer *sc = NULL;
    hr_error err = {0};
    assert_int_equal(hr_nab_scorer_new(std_prof, 3, &sc, &err), 0);
    assert_int_equal(hr_nab_scorer_add(sc, "f.csv", t, s, 20, &w, 1, &err), 0);
    hr_nab_result r;
    assert_int_equal(hr_nab_scorer_optimize(sc, 0, &r, &err), 0);
    double raw = -0.11 + sig(-0.5) / sig(-1) + 0.11 * sig(2.0 / 3.0);
    assert_near(r.threshold, 0.8, 0);
    assert_near(r.raw, raw, 1e-12);
    assert_near(r.score, 100 * (raw + 1) / 2, 1e-10);
    assert_int_equal(r.windows, 1);
    assert_int_equal(r.tp, 1); /* rows 12 */
    assert_int_equal(r.fp, 2); /* rows 5, 15 */
    assert_int_equal(r.fn, 3); /* rows 10, 11, 13 */
    assert_int_equal(r.tn, 17 - 6);
    /* Fixed thresholds: 0.9 detects only the false positive. */
    assert_int_equal(hr_nab_scorer_at(sc, 0, 0.9, &r, &err), 0);
    assert_near(r.raw, -1.11, 1e-12);
    assert_int_equal(hr_nab_scorer_at(sc, 1, 0.8, &r, &err), 0);
    assert_near(r.raw, -0.22 + sig(-0.5) / sig(-1) + 0.22 * sig(2.0 / 3.0), 1e-12);
    /* Low FN: null = -2 per window, perfect = +1. */
    assert_int_equal(hr_nab_scorer_optimize(sc, 2, &r, &err), 0);
    assert_near(r.score, 100 * (raw + 2) / 3, 1e-10);
    assert_int_equal(hr_nab_scorer_optimize(sc, 3, &r, &err), HR_EINVAL);
    hr_nab_scorer_free(sc);
}

/* Equal raw scores at two thresholds: the higher threshold wins. */
static void test_tie_keeps_higher(void **state)
{
    (void)state;
    int64_t t[10];
    double s[10] = {0};
    for (int i = 0; i < 10; i++) t[i] = i;
    s[4] = 0.9; /* the window's first row: the full A_TP */
    s[6] = 0.5; /* later in the same window: counts once, changes nothing */
    hr_nab_window w = {4, 7};
    hr_nab_scorer *sc = NULL;
    assert_int_equal(hr_nab_scorer_new(std_prof, 1, &sc, NULL), 0);
    assert_int_equal(hr_nab_scorer_add(sc, "tie.csv", t, s, 10, &w, 1, NULL), 0);
    hr_nab_result r;
    assert_int_equal(hr_nab_scorer_optimize(sc, 0, &r, NULL), 0);
    assert_near(r.threshold, 0.9, 0);
    assert_near(r.raw, 1.0, 1e-15);
    assert_near(r.score, 100.0, 1e-12);
    hr_nab_scorer_free(sc);
}

typedef struct fixture {
    hr_nab_labels *lab;
    hr_csv_rows rows[8];
    size_t n;
} fixture;

static void load_fixture(fixture *fx)
{
    hr_error err = {0};
    assert_int_equal(
        hr_nab_labels_read(test_data("nab-score/combined_windows.json"), &fx->lab, &err), 0);
    fx->n = hr_nab_labels_count(fx->lab);
    assert_int_equal(fx->n, 5);
    for (size_t i = 0; i < fx->n; i++) {
        char p[512];
        snprintf(p, sizeof p, "nab-score/data/%s", hr_nab_labels_key(fx->lab, i));
        assert_int_equal(hr_series_read_csv_rows(test_data(p), &fx->rows[i], &err), 0);
    }
}

static void free_fixture(fixture *fx)
{
    for (size_t i = 0; i < fx->n; i++) hr_csv_rows_release(&fx->rows[i]);
    hr_nab_labels_free(fx->lab);
}

/* 1.0 on one chosen row of each window (0: first, 1: last, 2: row after). */
static double synth_raw(fixture *fx, int which, size_t prof, double *expect)
{
    hr_nab_scorer *sc = NULL;
    assert_int_equal(hr_nab_scorer_new(std_prof, 3, &sc, NULL), 0);
    double want = 0;
    for (size_t f = 0; f < fx->n; f++) {
        const hr_nab_window *w;
        size_t nw = hr_nab_labels_windows(fx->lab, f, &w);
        const hr_csv_rows *r = &fx->rows[f];
        double *s = calloc(r->len, sizeof *s);
        assert_non_null(s);
        for (size_t k = 0; k < nw; k++) {
            size_t l = 0, rr = 0;
            while (r->t[l] != w[k].start) l++;
            while (r->t[rr] != w[k].end) rr++;
            double width = (double)(rr - l + 1);
            if (which == 0) {
                s[l] = 1;
                want += std_prof[prof].tp;
            } else if (which == 1) {
                s[rr] = 1;
                want += std_prof[prof].tp * sig(-1.0 / width) / sig(-1);
            } else {
                s[rr + 1] = 1;
                want += -std_prof[prof].fn + std_prof[prof].fp * sig(1.0 / (width - 1));
            }
        }
        assert_int_equal(
            hr_nab_scorer_add(sc, hr_nab_labels_key(fx->lab, f), r->t, s, r->len, w, nw, NULL), 0);
        free(s);
    }
    hr_nab_result res;
    assert_int_equal(hr_nab_scorer_at(sc, prof, 1.0, &res, NULL), 0);
    assert_int_equal(res.windows, 5);
    hr_nab_scorer_free(sc);
    *expect = want;
    return res.raw;
}

static void test_synthetic_real_windows(void **state)
{
    (void)state;
    fixture fx = {0};
    load_fixture(&fx);
    for (int which = 0; which < 3; which++)
        for (size_t p = 0; p < 3; p++) {
            double want, got = synth_raw(&fx, which, p, &want);
            assert_near(got, want, 1e-12);
        }
    free_fixture(&fx);
}

static void score_dir(fixture *fx, const char *det, double want[3])
{
    hr_nab_scorer *sc = NULL;
    hr_error err = {0};
    assert_int_equal(hr_nab_scorer_new(std_prof, 3, &sc, &err), 0);
    for (size_t f = 0; f < fx->n; f++) {
        const char *key = hr_nab_labels_key(fx->lab, f);
        const char *slash = strrchr(key, '/');
        char p[512];
        snprintf(p, sizeof p, "nab-score/results/%s/%.*s/%s_%s", det, (int)(slash - key), key, det,
                 slash + 1);
        double *s;
        size_t n;
        assert_int_equal(hr_nab_results_read(test_data(p), &s, &n, &err), 0);
        assert_int_equal(n, fx->rows[f].len);
        const hr_nab_window *w;
        size_t nw = hr_nab_labels_windows(fx->lab, f, &w);
        assert_int_equal(hr_nab_scorer_add(sc, key, fx->rows[f].t, s, n, w, nw, &err), 0);
        free(s);
    }
    for (size_t p = 0; p < 3; p++) {
        hr_nab_result r;
        assert_int_equal(hr_nab_scorer_optimize(sc, p, &r, &err), 0);
        assert_near(r.score, want[p], 5e-5);
    }
    hr_nab_scorer_free(sc);
}

static void test_shipped_subset(void **state)
{
    (void)state;
    fixture fx = {0};
    load_fixture(&fx);
    double numenta[3] = {53.4775, 50.1775, 55.6517};
    double wg[3] = {0.0, 0.0, 9.7811};
    score_dir(&fx, "numenta", numenta);
    score_dir(&fx, "windowedGaussian", wg);
    free_fixture(&fx);
}

static void test_profiles(void **state)
{
    (void)state;
    hr_nab_profile p[4];
    hr_error err = {0};
    assert_int_equal(hr_nab_profiles_read(test_data("nab-score/profiles.json"), p, 4, &err), 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(p[i].name, std_prof[i].name);
        assert_near(p[i].tp, std_prof[i].tp, 0);
        assert_near(p[i].fp, std_prof[i].fp, 0);
        assert_near(p[i].fn, std_prof[i].fn, 0);
    }
    assert_int_equal(hr_nab_profiles_read(test_data("nab-score/profiles.json"), p, 2, &err),
                     HR_ELIMIT);
    static const char *bad[] = {
        "",
        "[]",
        "{}",
        "{\"a\": 1}",
        "{\"a\": {\"CostMatrix\": {\"tpWeight\": 1}}}",
        "{\"a\": {\"CostMatrix\": {\"tpWeight\": 1, \"fpWeight\": -1, \"fnWeight\": 1, "
        "\"tnWeight\": 1}}}",
        "{\"a\": {\"CostMatrix\": {\"tpWeight\": \"1\", \"fpWeight\": 1, \"fnWeight\": 1, "
        "\"tnWeight\": 1}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(hr_nab_profiles_parse(bad[i], strlen(bad[i]), "p.json", p, 4, &err),
                         HR_EPARSE);
        assert_non_null(strstr(err.msg, "p.json"));
    }
}

static void test_labels_bad(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{\"a.csv\": 3}",
        "{\"a.csv\": [[\"2014-01-01 00:00:00\"]]}",
        "{\"a.csv\": [[\"2014-01-01 00:00:00\", \"yesterday\"]]}",
        "{\"a.csv\": [[\"2014-01-02 00:00:00\", \"2014-01-01 00:00:00\"]]}",
        ("{\"a.csv\": [[\"2014-01-01 00:00:00\", \"2014-01-03 00:00:00\"],"
         " [\"2014-01-02 00:00:00\", \"2014-01-04 00:00:00\"]]}"), /* overlapping */
        "{\"a.csv\": [], \"a.csv\": []}",
    };
    hr_nab_labels *l = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hr_error err = {0};
        assert_int_equal(hr_nab_labels_parse(bad[i], strlen(bad[i]), "w.json", &l, &err),
                         HR_EPARSE);
        assert_null(l);
        assert_non_null(strstr(err.msg, "w.json"));
    }
    const char *ok = "{\"b/a.csv\": [[\"2014-01-01 00:05:00.000000\", \"2014-01-01 00:10:00\"]],"
                     " \"b/c.csv\": []}";
    assert_int_equal(hr_nab_labels_parse(ok, strlen(ok), "w.json", &l, NULL), 0);
    assert_int_equal(hr_nab_labels_count(l), 2);
    assert_int_equal(hr_nab_labels_find(l, "b/c.csv"), 1);
    assert_int_equal(hr_nab_labels_find(l, "b/x.csv"), HR_ENOTFOUND);
    const hr_nab_window *w;
    assert_int_equal(hr_nab_labels_windows(l, 0, &w), 1);
    assert_true(w[0].end - w[0].start == 300);
    /* A window whose edge matches no row is refused by the scorer. */
    int64_t t[3] = {w[0].start - 300, w[0].start, w[0].start + 600};
    double s[3] = {0, 0, 0};
    hr_nab_scorer *sc = NULL;
    hr_error err = {0};
    assert_int_equal(hr_nab_scorer_new(std_prof, 1, &sc, NULL), 0);
    assert_int_equal(hr_nab_scorer_add(sc, "b/a.csv", t, s, 3, w, 1, &err), HR_EDATA);
    assert_non_null(strstr(err.msg, "2014-01-01 00:10:00"));
    s[1] = 1.5;
    assert_int_equal(hr_nab_scorer_add(sc, "b/a.csv", t, s, 3, NULL, 0, &err), HR_EDATA);
    hr_nab_result r;
    assert_int_equal(hr_nab_scorer_optimize(sc, 0, &r, &err), HR_EDATA); /* no windows */
    hr_nab_scorer_free(sc);
    hr_nab_labels_free(l);
}

static void test_results_bad(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *msg;
    } bad[] = {
        {"", "empty file"},
        {"timestamp,score\n1,0.5\n", "no \"anomaly_score\" column"},
        {"timestamp,anomaly_score\n", "no data rows"},
        {"timestamp,anomaly_score\nx,1.5\n", "outside [0, 1]"},
        {"timestamp,anomaly_score\nx,nan\n", "r.csv:2:3"},
        {"timestamp,anomaly_score\nx,0.5,1\n", "expected 2 cells"},
        {"timestamp,anomaly_score\nx\n", "expected 2 cells"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double *s = NULL;
        size_t n = 0;
        hr_error err = {0};
        assert_int_equal(hr_nab_results_parse(bad[i].in, strlen(bad[i].in), "r.csv", &s, &n, &err),
                         HR_EPARSE);
        if (!strstr(err.msg, bad[i].msg)) fail_msg("%s: %s", bad[i].in, err.msg);
    }
    const char *ok = "timestamp,value,anomaly_score,label\na,1,0.25,0\nb,2,1,1\n";
    double *s = NULL;
    size_t n = 0;
    assert_int_equal(hr_nab_results_parse(ok, strlen(ok), "r.csv", &s, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_near(s[0], 0.25, 0);
    assert_near(s[1], 1.0, 0);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),        cmocka_unit_test(test_hand_sweep),
        cmocka_unit_test(test_tie_keeps_higher), cmocka_unit_test(test_synthetic_real_windows),
        cmocka_unit_test(test_shipped_subset),   cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_labels_bad),       cmocka_unit_test(test_results_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
