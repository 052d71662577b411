/* The row-oriented NAB reader (hr_series_read_csv_rows): the DST file with a
 * repeated timestamp, raw timestamp text, one row, and what it refuses. */
#include "testutil.h"

#include <headroom/series.h>

static void test_dst_file(void **state)
{
    (void)state;
    const char *path =
        test_data("nab-score/data/realAWSCloudwatch/ec2_disk_write_bytes_1ef3de.csv");
    hr_csv_rows r = {0};
    hr_error err = {0};
    assert_int_equal(hr_series_read_csv_rows(path, &r, &err), 0);
    assert_int_equal(r.len, 4730);
    /* Data line 2120 of the file is row 2118: the first of twelve repeats. */
    size_t rep = 0, first = 0;
    for (size_t i = 0; i < r.len; i++)
        if (!strcmp(hr_csv_rows_time_text(&r, i), "2014-03-09 03:00:00") && rep++ == 0) first = i;
    assert_int_equal(rep, 12);
    assert_int_equal(first, 2118);
    for (size_t i = 1; i < r.len; i++) assert_true(r.t[i] >= r.t[i - 1]);
    assert_true(r.t[first] == r.t[first + 11]);
    assert_string_equal(hr_csv_rows_time_text(&r, 0), "2014-03-01 17:34:00");
    hr_csv_rows_release(&r);
    hr_csv_rows_release(&r); /* zeroed: a second release is harmless */
    /* The strict reader still refuses the file. */
    hr_series s;
    assert_int_equal(hr_series_read_csv(path, &s, &err), HR_EPARSE);
    assert_non_null(strstr(err.msg, "duplicate timestamp 2014-03-09 03:00:00"));
}

static void test_small(void **state)
{
    (void)state;
    const char *in = "timestamp,value\r\n\"2014-01-01 00:00:00\",1.5\r\n2014-01-01T00:00:00Z,2\n";
    hr_csv_rows r = {0};
    assert_int_equal(hr_series_parse_csv_rows(in, strlen(in), "x.csv", &r, NULL), 0);
    assert_int_equal(r.len, 2);
    assert_string_equal(hr_csv_rows_time_text(&r, 0), "2014-01-01 00:00:00");
    assert_string_equal(hr_csv_rows_time_text(&r, 1), "2014-01-01T00:00:00Z");
    assert_true(r.t[0] == 1388534400 && r.t[1] == 1388534400);
    assert_near(r.values[0], 1.5, 0);
    assert_near(r.values[1], 2.0, 0);
    hr_csv_rows_release(&r);
    const char *one = "timestamp,value\n2014-01-01 00:00:00,7\n";
    assert_int_equal(hr_series_parse_csv_rows(one, strlen(one), "x.csv", &r, NULL), 0);
    assert_int_equal(r.len, 1);
    hr_csv_rows_release(&r);
}

static void test_bad(void **state)
{
    (void)state;
    static const struct {
        const char *in, *msg;
    } bad[] = {
        {"", "x.csv:1:1: empty file"},
        {"timestamp,value\n", "no data rows after the header"},
        {"timestamp,value\n2014-01-01 00:05:00,1\n2014-01-01 00:00:00,2\n",
         "x.csv:3:1: timestamp 2014-01-01 00:00:00 is earlier than 2014-01-01 00:05:00 on line 2"},
        {"timestamp,value\n2014-01-01 00:05:00,nan\n", "x.csv:2:21"},
        {"timestamp,value\n2014-01-01 00:05:00,1\n\n", "x.csv:3:1: blank line"},
        {"ts,value\n2014-01-01 00:05:00,1\n", "expected the header"},
        {"timestamp,value\n2014-01-01 00:05:00,1,2\n", "found 3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hr_csv_rows r = {0};
        hr_error err = {0};
        assert_true(hr_series_parse_csv_rows(bad[i].in, strlen(bad[i].in), "x.csv", &r, &err) < 0);
        assert_null(r.t);
        if (!strstr(err.msg, bad[i].msg)) fail_msg("case %zu: %s", i, err.msg);
    }
    hr_csv_rows r = {0};
    hr_error err = {0};
    assert_int_equal(hr_series_read_csv_rows(test_data("nab-score/nosuch.csv"), &r, &err), HR_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dst_file),
        cmocka_unit_test(test_small),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
