/* The windowedGaussian port against NAB's published outputs, row by row, on
 * the five fixture files (12 significant digits are published: every row
 * must agree to 1e-12 once rounded the same way). */
#include "testutil.h"

#include <headroom/anomaly.h>
#include <headroom/series.h>

static const char *files[] = {
    "realAWSCloudwatch/ec2_disk_write_bytes_1ef3de.csv",
    "realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv",
    "realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv",
    "artificialWithAnomaly/art_daily_jumpsup.csv",
    "artificialNoAnomaly/art_daily_no_noise.csv",
};

static void test_rows_match(void **state)
{
    (void)state;
    size_t rows = 0, same = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char p[512], q[512];
        const char *slash = strchr(files[f], '/');
        snprintf(p, sizeof p, "nab-score/data/%s", files[f]);
        hr_csv_rows r = {0};
        hr_error err = {0};
        assert_int_equal(hr_series_read_csv_rows(test_data(p), &r, &err), 0);
        snprintf(q, sizeof q, "nab-score/results/windowedGaussian/%.*s/windowedGaussian_%s",
                 (int)(slash - files[f]), files[f], slash + 1);
        double *want;
        size_t n;
        assert_int_equal(hr_nab_results_read(test_data(q), &want, &n, &err), 0);
        assert_int_equal(n, r.len);
        hr_detector *d = NULL;
        assert_int_equal(hr_detector_new("gaussian", NULL, &d, &err), 0);
        for (size_t i = 0; i < n; i++) {
            double s;
            hr_anomaly_reason why;
            assert_int_equal(hr_detector_feed(d, r.t[i], r.values[i], &s, &why), 0);
            char a[32], b[32];
            snprintf(a, sizeof a, "%.12g", s);
            snprintf(b, sizeof b, "%.12g", want[i]);
            same += !strcmp(a, b);
            assert_near(s, want[i], 1.5e-12);
            assert_string_equal(why.detector, "gaussian");
            if (i == 0)
                assert_true(isnan(why.expected) && s == 0);
            else
                assert_true(why.lo < why.expected && why.expected < why.hi);
        }
        rows += n;
        hr_detector_free(d);
        free(want);
        hr_csv_rows_release(&r);
    }
    assert_int_equal(rows, 4730 + 1243 + 4032 + 4032 + 4032);
    assert_true(same + 5 >= rows); /* a last-digit difference on at most a few rows */
}

static void test_bad_samples(void **state)
{
    (void)state;
    hr_detector *d = NULL;
    double s = -1;
    assert_int_equal(hr_detector_new("nosuch", NULL, &d, NULL), HR_ENOTFOUND);
    assert_int_equal(hr_detector_new("gaussian", NULL, &d, NULL), 0);
    assert_int_equal(hr_detector_feed(d, 10, 1.0, &s, NULL), 0);
    assert_near(s, 0, 0);
    assert_int_equal(hr_detector_feed(d, 9, 1.0, &s, NULL), HR_EINVAL); /* backwards */
    assert_int_equal(hr_detector_feed(d, 10, INFINITY, &s, NULL), HR_EINVAL);
    assert_int_equal(hr_detector_feed(d, 10, NAN, &s, NULL), 0); /* missing: 0 */
    assert_near(s, 0, 0);
    assert_int_equal(hr_detector_feed(d, 10, 1.0, &s, NULL), 0); /* repeat time: fine */
    /* Constant so far: std 1e-6, the same value scores 1 - Q(0) = 0.5. */
    assert_near(s, 0.5, 1e-15);
    /* The window and the 100 values waiting to enter it: 52,064 bytes. */
    assert_true(hr_detector_state_bytes(d) > 6400 * sizeof(double));
    assert_true(hr_detector_state_bytes(d) <= 6500 * sizeof(double) + 128);
    hr_detector_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_match),
        cmocka_unit_test(test_bad_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
