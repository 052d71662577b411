/* The NAB, PlanetLab and M4 readers: exact facts about the real files in
 * tests/data, and one case per kind of bad input and reader, each checking
 * the error code and the full "name:line:col: what" message. */
#include "testutil.h"

#include <headroom/series.h>
#include <headroom/util.h>

enum { NAB, LINES, M4 };

struct bad_case {
    int reader;
    const char *what; /* the error kind, for the failure report */
    const char *input;
    int code;
    const char *msg; /* exact expected message */
};

#define HDR "timestamp,value\n"
#define M4H "\"V1\",\"V2\",\"V3\",\"V4\"\n"

static const struct bad_case bad_cases[] = {
    /* ---- NAB ---- */
    {NAB, "empty file", "", HR_EPARSE, "x.csv:1:1: empty file"},
    {NAB, "header only", HDR, HR_EPARSE, "x.csv:2:1: no data rows after the header"},
    {NAB, "header only, no newline", "timestamp,value", HR_EPARSE,
     "x.csv:2:1: no data rows after the header"},
    {NAB, "missing header", "2014-04-10 00:00:00,1\n2014-04-10 00:05:00,2\n", HR_EPARSE,
     "x.csv:1:1: missing header \"timestamp,value\""},
    {NAB, "wrong header", "time,value\n2014-04-10 00:00:00,1\n", HR_EPARSE,
     "x.csv:1:1: expected the header \"timestamp,value\""},
    {NAB, "ragged row: 3 cells", HDR "2014-04-10 00:00:00,1\n2014-04-10 00:05:00,12,5\n", HR_EPARSE,
     "x.csv:3:24: expected 2 cells \"timestamp,value\", found 3"},
    {NAB, "ragged row: 1 cell", HDR "2014-04-10 00:00:00,1\n2014-04-10 00:05:00\n", HR_EPARSE,
     "x.csv:3:20: expected 2 cells \"timestamp,value\", found 1"},
    {NAB, "bad number", HDR "2014-04-10 00:00:00,1\n2014-04-10 00:05:00,12x\n", HR_EPARSE,
     "x.csv:3:21: value \"12x\" is not a number"},
    {NAB, "empty value", HDR "2014-04-10 00:00:00,\n", HR_EPARSE,
     "x.csv:2:21: value \"\" is empty"},
    {NAB, "NaN text", HDR "2014-04-10 00:00:00,1\n2014-04-10 00:05:00,NaN\n", HR_EPARSE,
     "x.csv:3:21: value \"NaN\" is not a finite number"},
    {NAB, "inf text", HDR "2014-04-10 00:00:00,-inf\n", HR_EPARSE,
     "x.csv:2:21: value \"-inf\" is not a finite number"},
    {NAB, "overflowing number", HDR "2014-04-10 00:00:00,1\n2014-04-10 00:05:00,1e999\n", HR_EPARSE,
     "x.csv:3:21: value \"1e999\" is out of range"},
    {NAB, "bad timestamp", HDR "2014-04-31 00:00:00,1\n", HR_EPARSE,
     "x.csv:2:1: timestamp \"2014-04-31 00:00:00\" is not a valid time"},
    {NAB, "non-monotonic timestamp",
     HDR "2014-04-10 00:00:00,1\n2014-04-10 00:05:00,2\n2014-04-10 00:00:00,3\n", HR_EPARSE,
     "x.csv:4:1: timestamp 2014-04-10 00:00:00 is earlier than 2014-04-10 00:05:00 on line 3"},
    {NAB, "duplicate timestamp",
     HDR "2014-04-10 00:00:00,1\n2014-04-10 00:05:00,2\n2014-04-10 00:05:00,3\n", HR_EPARSE,
     "x.csv:4:1: duplicate timestamp 2014-04-10 00:05:00 (also on line 3)"},
    {NAB, "timestamp off the step grid",
     HDR "2014-04-10 00:00:00,1\n2014-04-10 00:05:00,2\n2014-04-10 00:10:00,3\n"
         "2014-04-10 00:12:00,4\n",
     HR_EPARSE,
     "x.csv:5:1: timestamp 2014-04-10 00:12:00 is off the 300 s grid that starts at "
     "2014-04-10 00:00:00"},
    {NAB, "unterminated quote", HDR "2014-04-10 00:00:00,1\n\"2014-04-10 00:05:00,2\n", HR_EPARSE,
     "x.csv:3:1: unterminated quote"},
    {NAB, "blank line", HDR "2014-04-10 00:00:00,1\n\n2014-04-10 00:05:00,2\n", HR_EPARSE,
     "x.csv:3:1: blank line"},
    {NAB, "one row", HDR "2014-04-10 00:00:00,1\n", HR_EPARSE,
     "x.csv:3:1: one data row: at least two are needed to infer the step"},
    {NAB, "gaps past the limit",
     HDR "1970-01-01 00:00:00,1\n1970-01-01 00:00:01,2\n2000-01-01 00:00:00,3\n", HR_ELIMIT,
     "x.csv:4:1: series would have 946684801 values (3 rows, step 1 s): too many missing "
     "steps"},
    /* ---- PlanetLab ---- */
    {LINES, "empty file", "", HR_EPARSE, "p:1:1: empty file"},
    {LINES, "blank line", "1\n\n3\n", HR_EPARSE, "p:2:1: blank line"},
    {LINES, "blank last line", "1\n2\n\n", HR_EPARSE, "p:3:1: blank line"},
    {LINES, "bad number", "1\n2x\n", HR_EPARSE, "p:2:1: value \"2x\" is not a number"},
    {LINES, "ragged row (two cells)", "1\n12,5\n", HR_EPARSE,
     "p:2:1: value \"12,5\" is not a number"},
    {LINES, "space", "1\n 2\n", HR_EPARSE, "p:2:1: value \" 2\" is not a number"},
    {LINES, "NaN text", "1\nnan\n", HR_EPARSE, "p:2:1: value \"nan\" is not a finite number"},
    {LINES, "overflowing number", "1\n2\n-1e400\n", HR_EPARSE,
     "p:3:1: value \"-1e400\" is out of range"},
    {LINES, "control bytes", "1\n\x01\xff\n", HR_EPARSE,
     "p:2:1: value \"\\x01\\xff\" is not a number"},
    /* ---- M4 ---- */
    {M4, "empty file", "", HR_EPARSE, "m.csv:1:1: empty file"},
    {M4, "header only", M4H, HR_EPARSE, "m.csv:2:1: no series after the header"},
    {M4, "missing header", "\"H1\",\"1\",\"2\",\"3\"\n", HR_EPARSE,
     "m.csv:1:1: missing header: first cell is \"H1\", expected \"V1\""},
    {M4, "bad header cell", "\"V1\",\"V3\"\n\"H1\",\"1\"\n", HR_EPARSE,
     "m.csv:1:6: header cell \"V3\" should be \"V2\""},
    {M4, "header without values", "\"V1\"\n\"H1\"\n", HR_EPARSE,
     "m.csv:1:1: header has no value columns (need \"V1\",\"V2\",...)"},
    {M4, "ragged row: short", M4H "\"H1\",\"1\",\n", HR_EPARSE,
     "m.csv:2:10: row has 3 cells, the header has 4"},
    {M4, "ragged row: short, quoted end", M4H "\"H1\",\"1\"\n", HR_EPARSE,
     "m.csv:2:9: row has 2 cells, the header has 4"},
    {M4, "row longer than the header", M4H "\"H1\",\"1\",\"2\",\"3\",\"4\"\n", HR_EPARSE,
     "m.csv:2:18: row is longer than the header (4 cells)"},
    {M4, "bad number", M4H "\"H1\",\"1\",\"x2\",\"3\"\n", HR_EPARSE,
     "m.csv:2:10: value \"x2\" is not a number"},
    {M4, "NaN text", M4H "\"H1\",\"1\",\"NaN\",\"3\"\n", HR_EPARSE,
     "m.csv:2:10: value \"NaN\" is not a finite number"},
    {M4, "Infinity text", M4H "\"H1\",\"Infinity\",,\n", HR_EPARSE,
     "m.csv:2:6: value \"Infinity\" is not a finite number"},
    {M4, "overflowing number", M4H "\"H1\",\"1\",\"2\",\"1e999\"\n", HR_EPARSE,
     "m.csv:2:14: value \"1e999\" is out of range"},
    {M4, "value after an empty cell", M4H "\"H1\",\"1\",,\"3\"\n", HR_EPARSE,
     "m.csv:2:11: value \"3\" after an empty cell"},
    {M4, "duplicate id", M4H "\"H1\",\"1\",\"2\",\"3\"\n\"H2\",\"1\",,\n\"H1\",\"5\",,\n",
     HR_EPARSE, "m.csv:4:1: duplicate series id \"H1\" (first on line 2)"},
    {M4, "unterminated quote at EOF", M4H "\"H1\",\"1\",\"2", HR_EPARSE,
     "m.csv:2:10: unterminated quote"},
    {M4, "unterminated quote at EOL", M4H "\"H1\",\"1\",\"2\n\"H2\",\"1\",,\n", HR_EPARSE,
     "m.csv:2:10: unterminated quote"},
    {M4, "quote closed mid-cell", M4H "\"H1\",\"1\",\"2,\"3\n", HR_EPARSE,
     "m.csv:2:14: unexpected text after a closing quote"},
    {M4, "unterminated quote in header", "\"V1\",\"V2\n", HR_EPARSE,
     "m.csv:1:6: unterminated quote"},
    {M4, "text after closing quote", M4H "\"H1\"x,\"1\",,\n", HR_EPARSE,
     "m.csv:2:5: unexpected text after a closing quote"},
    {M4, "blank line", M4H "\"H1\",\"1\",,\n\n\"H2\",\"1\",,\n", HR_EPARSE,
     "m.csv:3:1: blank line"},
    {M4, "empty id", M4H "\"\",\"1\",,\n", HR_EPARSE, "m.csv:2:1: empty series id"},
    {M4, "no values", M4H "\"H1\",,,\n", HR_EPARSE, "m.csv:2:1: series \"H1\" has no values"},
};

static int run_reader(int reader, const char *in, hr_error *err)
{
    size_t len = strlen(in);
    int rc;
    if (reader == NAB) {
        hr_series s = {.len = 123};
        rc = hr_series_parse_csv(in, len, "x.csv", &s, err);
        if (rc == 0)
            hr_series_release(&s);
        else
            assert_int_equal(s.len, 123); /* out untouched on failure */
    } else if (reader == LINES) {
        hr_series s = {.len = 123};
        rc = hr_series_parse_lines(in, len, "p", 0, 300, &s, err);
        if (rc == 0)
            hr_series_release(&s);
        else
            assert_int_equal(s.len, 123);
    } else {
        hr_series_set set = {.len = 123};
        rc = hr_m4_parse(in, len, "m.csv", &set, err);
        if (rc == 0)
            hr_series_set_release(&set);
        else
            assert_int_equal(set.len, 123);
    }
    return rc;
}

static void test_bad_inputs(void **state)
{
    (void)state;
    static const char *const names[] = {"NAB", "PlanetLab", "M4"};
    int failures = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        hr_error err = {0};
        int rc = run_reader(c->reader, c->input, &err);
        if (rc != c->code || strcmp(err.msg, c->msg) != 0) {
            print_error("%s, %s: got %d \"%s\"\n%*sexpected %d \"%s\"\n", names[c->reader], c->what,
                        rc, err.msg, 4, "", c->code, c->msg);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_nab_small(void **state)
{
    (void)state;
    hr_error err = {0};
    hr_series s;
    /* CRLF, a BOM, ISO forms with offsets, a gap of two steps (NaN), a
     * duplicate-free irregular diff that is not the mode. */
    const char *in = "\xEF\xBB\xBFtimestamp,value\r\n"
                     "2014-04-10T00:00:00Z,1.5\r\n"
                     "2014-04-10 00:05:00,2\r\n"
                     "2014-04-10T02:20:00+02:00,-3\r\n"
                     "1397089500,4e1\r\n";
    assert_int_equal(hr_series_parse_csv(in, strlen(in), "dir/y.csv", &s, &err), 0);
    assert_string_equal(s.name, "y.csv");
    assert_true(s.start == 1397088000 && s.step == 300);
    const double want[] = {1.5, 2, NAN, NAN, -3, 40};
    assert_int_equal(s.len, 6);
    for (size_t i = 0; i < 6; i++) {
        if (isnan(want[i]))
            assert_true(isnan(s.values[i]));
        else
            assert_near(s.values[i], want[i], 0);
    }
    assert_int_equal(hr_series_count_gaps(&s), 2);
    hr_series_release(&s);
    /* No trailing newline; quoted cells are accepted. */
    in = "timestamp,value\n\"2014-04-10 00:00:00\",\"7\"\n2014-04-10 01:00:00,8";
    assert_int_equal(hr_series_parse_csv(in, strlen(in), NULL, &s, &err), 0);
    assert_true(s.step == 3600 && s.len == 2);
    assert_near(s.values[1], 8, 0);
    hr_series_release(&s);
}

static void test_nab_files(void **state)
{
    (void)state;
    hr_error err = {0};
    hr_series s;
    /* Start times: `date -u -d "2013-10-09 16:25:00" +%s` etc. */
    assert_int_equal(
        hr_series_read_csv(
            test_data("nab/data/realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv"), &s,
            &err),
        0);
    assert_string_equal(s.name, "iio_us-east-1_i-a2eb1cd9_NetworkIn.csv");
    assert_int_equal(s.len, 1243);
    assert_true(s.start == 1381335900 && s.step == 300);
    assert_int_equal(hr_series_count_gaps(&s), 0);
    assert_near(s.values[0], 9926554.0, 0);
    assert_near(s.values[998], 4430812.4, 0); /* line 1000: 2013-10-13 03:35:00 */
    assert_near(s.values[1242], 7788122.6, 0);
    hr_series_release(&s);

    /* 4032 rows with two 10-minute steps: 4034 values, 2 NaN gaps. */
    assert_int_equal(
        hr_series_read_csv(test_data("nab/data/realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv"),
                           &s, &err),
        0);
    assert_int_equal(s.len, 4034);
    assert_true(s.start == 1397088240 && s.step == 300);
    assert_int_equal(hr_series_count_gaps(&s), 2);
    assert_near(s.values[0], 91.958, 0);
    assert_near(s.values[37], 95.584, 0); /* 2014-04-10 03:09:00, line 39 */
    assert_true(isnan(s.values[38]));
    assert_near(s.values[39], 90.62, 0); /* 2014-04-10 03:19:00, line 40 */
    assert_true(isnan(s.values[1116]));
    assert_near(s.values[1117], 93.99, 0); /* 2014-04-13 21:09:00, line 1117 */
    assert_near(s.values[4033], 96.584, 0);
    hr_series_release(&s);

    assert_int_equal(
        hr_series_read_csv(
            test_data("nab/data/artificialWithAnomaly/art_increase_spike_density.csv"), &s, &err),
        0);
    assert_int_equal(s.len, 4032);
    assert_true(s.start == 1396310400 && s.step == 300);
    double sum = 0;
    size_t spikes = 0;
    for (size_t i = 0; i < s.len; i++) {
        sum += s.values[i];
        spikes += s.values[i] == 20.0;
    }
    assert_int_equal(spikes, 85); /* values are 0.0 or 20.0 */
    assert_near(sum, 1700, 0);
    assert_near(s.values[0], 20, 0);
    assert_near(s.values[4031], 0, 0);
    hr_series_release(&s);

    assert_int_equal(hr_series_read_csv(test_data("nab/nosuch.csv"), &s, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "nab/nosuch.csv: cannot open"));
}

static void test_lines(void **state)
{
    (void)state;
    hr_error err = {0};
    hr_series s;
    const char *in = "1\r\n2.5\r\n3";
    assert_int_equal(hr_series_parse_lines(in, strlen(in), "a/b", 600, 60, &s, &err), 0);
    assert_string_equal(s.name, "b");
    assert_true(s.start == 600 && s.step == 60 && s.len == 3);
    assert_near(s.values[1], 2.5, 0);
    hr_series_release(&s);
    assert_int_equal(hr_series_parse_lines(in, strlen(in), "x", 0, -1, &s, &err), HR_EINVAL);

    /* Facts computed with wc -l, head, tail, sed -n 100p, sort -n and bc. */
    static const struct {
        const char *file;
        double first, last, line100, max, sum;
    } files[] = {
        {"planetlab/planetlab1_fit_vutbr_cz_nyu_d", 0, 0, 6, 50, 822},
        {"planetlab/146-179_surfsnel_dsl_internl_net_root", 47, 5, 25, 55, 5683},
        {"planetlab/kc-sce-plab2_umkc_edu_ rnp_dcc_ufjf", 37, 28, 38, 39, 9953},
    };
    for (size_t f = 0; f < 3; f++) {
        assert_int_equal(hr_series_read_lines(test_data(files[f].file), 1299110400, 300, &s, &err),
                         0);
        assert_int_equal(s.len, 288);
        assert_true(s.step == 300 && s.start == 1299110400);
        assert_near(s.values[0], files[f].first, 0);
        assert_near(s.values[287], files[f].last, 0);
        assert_near(s.values[99], files[f].line100, 0);
        double mx = -1, sum = 0;
        for (size_t i = 0; i < s.len; i++) {
            sum += s.values[i];
            mx = fmax(mx, s.values[i]);
        }
        assert_near(mx, files[f].max, 0);
        assert_near(sum, files[f].sum, 0);
        hr_series_release(&s);
    }
}

static void test_m4_small(void **state)
{
    (void)state;
    hr_error err = {0};
    hr_series_set set;
    /* CRLF, unquoted cells, "" escapes in an id, padding at the end. */
    const char *in = M4H "\"H1\",\"1\",\"2\",\"3\"\r\n"
                         "H2,4.5,,\r\n"
                         "\"a\"\"b\",\"-1\",\"0\",\r\n";
    assert_int_equal(hr_m4_parse(in, strlen(in), "m.csv", &set, &err), 0);
    assert_int_equal(set.len, 3);
    assert_string_equal(set.items[0].name, "H1");
    assert_int_equal(set.items[0].len, 3);
    assert_near(set.items[0].values[2], 3, 0);
    assert_int_equal(set.items[1].len, 1);
    assert_near(set.items[1].values[0], 4.5, 0);
    assert_string_equal(set.items[2].name, "a\"b");
    assert_int_equal(set.items[2].len, 2);
    assert_true(set.items[2].step == 0 && set.items[2].start == 0);
    assert_int_equal(hr_series_set_find(&set, "a\"b"), 2);
    hr_series_set_release(&set);
}

static void test_m4_files(void **state)
{
    (void)state;
    hr_error err = {0};
    hr_series_set tr, te;
    assert_int_equal(hr_m4_read(test_data("m4/Hourly-train-sample20.csv"), &tr, &err), 0);
    assert_int_equal(hr_m4_read(test_data("m4/Hourly-test-sample20.csv"), &te, &err), 0);
    assert_int_equal(tr.len, 20);
    assert_int_equal(te.len, 20);
    for (size_t i = 0; i < 20; i++) {
        char id[8];
        snprintf(id, sizeof id, "H%zu", 2 * (i + 1)); /* H2, H4, ..., H40 */
        assert_string_equal(tr.items[i].name, id);
        assert_string_equal(te.items[i].name, id);
        assert_int_equal(tr.items[i].len, 700);
        assert_int_equal(te.items[i].len, 48);
        assert_true(tr.items[i].step == 0);
        assert_int_equal(hr_series_count_gaps(&tr.items[i]), 0);
    }
    const hr_series *h2 = &tr.items[0];
    assert_near(h2->values[0], 3124, 0);
    assert_near(h2->values[699], 3105, 0);
    assert_near(h2->values[100], 2299, 0);
    /* README: the sNaive forecast of H2 starts 3077, 2710, 2449, i.e. the
     * values 24 steps before the end. */
    assert_near(h2->values[676], 3077, 0);
    assert_near(h2->values[677], 2710, 0);
    assert_near(h2->values[678], 2449, 0);
    double sum = 0;
    for (size_t i = 0; i < h2->len; i++) sum += h2->values[i];
    assert_near(sum, 1819558, 0);
    assert_int_equal(hr_series_set_find(&tr, "H40"), 19);
    assert_near(tr.items[19].values[0], 2380, 0);
    assert_near(tr.items[19].values[699], 1968, 0);
    assert_near(te.items[0].values[0], 2771, 0);
    assert_near(te.items[0].values[47], 2918, 0);
    sum = 0;
    for (size_t i = 0; i < 48; i++) sum += te.items[19].values[i];
    assert_near(sum, 86247, 0);
    hr_series_set_release(&tr);
    hr_series_set_release(&te);
}

/* Bad inputs cut from real files (tests/data/bad/README.md): the message
 * names the path, line and column. */
static void test_bad_files(void **state)
{
    (void)state;
    hr_error err = {0};
    hr_series s;
    hr_series_set set;
    char want[4200];
    const char *p = test_data("bad/nab-dst-duplicates.csv");
    snprintf(want, sizeof want,
             "%s:13:1: duplicate timestamp 2014-03-09 03:00:00 (also on line 12)", p);
    assert_int_equal(hr_series_read_csv(p, &s, &err), HR_EPARSE);
    assert_string_equal(err.msg, want);
    p = test_data("bad/m4-truncated.csv");
    /* The last quote of line 2 opens at byte 2995 of 2998. */
    snprintf(want, sizeof want, "%s:2:2995: unterminated quote", p);
    assert_int_equal(hr_m4_read(p, &set, &err), HR_EPARSE);
    assert_string_equal(err.msg, want);
    p = test_data("bad/planetlab-blank-line");
    snprintf(want, sizeof want, "%s:6:1: blank line", p);
    assert_int_equal(hr_series_read_lines(p, 0, 300, &s, &err), HR_EPARSE);
    assert_string_equal(err.msg, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_inputs), cmocka_unit_test(test_nab_small),
        cmocka_unit_test(test_nab_files),  cmocka_unit_test(test_lines),
        cmocka_unit_test(test_m4_small),   cmocka_unit_test(test_m4_files),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
