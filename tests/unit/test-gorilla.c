/* The Gorilla chunk codec: exact round trips (NaN payloads, infinities,
 * -0.0, irregular and extreme timestamps), the documented bit layout, sizes
 * on real telemetry, and rejection of damaged chunks. */
#include "testutil.h"

#include <headroom/headroom.h>
#include <headroom/store.h>

#include <float.h>

static uint64_t bits_of(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static double from_bits(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Encode, decode, compare bit for bit; returns the encoded size. */
static size_t round_trip(const int64_t *t, const double *v, size_t n)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(hr_chunk_encode(t, v, n, &buf, &len), 0);
    assert_true(len <= HR_CHUNK_MAX_BYTES(n));
    int64_t *dt = NULL;
    double *dv = NULL;
    size_t dn = 99;
    hr_error err = {0};
    assert_int_equal(hr_chunk_decode(buf, len, n, &dt, &dv, &dn, &err), 0);
    assert_int_equal(dn, n);
    for (size_t i = 0; i < n; i++) {
        if (dt[i] != t[i] || bits_of(dv[i]) != bits_of(v[i])) {
            print_error("sample %zu: got (%lld, %016llx), want (%lld, %016llx)\n", i,
                        (long long)dt[i], (unsigned long long)bits_of(dv[i]), (long long)t[i],
                        (unsigned long long)bits_of(v[i]));
            fail();
        }
    }
    /* A limit below the count is refused before anything is decoded. */
    if (n > 0) {
        int64_t *t2 = NULL;
        double *v2 = NULL;
        size_t n2 = 7;
        assert_int_equal(hr_chunk_decode(buf, len, n - 1, &t2, &v2, &n2, &err), HR_ELIMIT);
        assert_int_equal(n2, 7);
    }
    free(dt);
    free(dv);
    free(buf);
    return len;
}

static void test_special_values(void **state)
{
    (void)state;
    const double v[] = {0.0,
                        -0.0,
                        INFINITY,
                        -INFINITY,
                        NAN,
                        -NAN,
                        from_bits(0x7ff0000000000001ull), /* signalling NaN */
                        from_bits(0x7ff8dead0000beefull), /* NaN payload */
                        DBL_MIN,
                        DBL_MAX,
                        -DBL_MAX,
                        4.9e-324,
                        1.0,
                        1.0,
                        1.0,
                        -1.5,
                        12345.678901234};
    const size_t n = sizeof v / sizeof v[0];
    int64_t t[sizeof v / sizeof v[0]];
    for (size_t i = 0; i < n; i++) t[i] = 1700000000 + 300 * (int64_t)i;
    round_trip(t, v, n);
}

static void test_irregular_timestamps(void **state)
{
    (void)state;
    /* Every delta-of-delta bucket and its edges, negative deltas, repeats,
     * and int64 extremes where the deltas wrap. */
    const int64_t t[] = {0,
                         10,
                         20,
                         20,
                         -5,
                         8192 + 10,
                         8192 + 10 + 8192 + 8192 + 8191,
                         1000000,
                         1000000 + 65536,
                         1000000 + 65536 + 65536 + 524287,
                         INT64_MAX,
                         INT64_MIN,
                         INT64_MAX,
                         0,
                         -1,
                         1};
    const size_t n = sizeof t / sizeof t[0];
    double v[sizeof t / sizeof t[0]];
    for (size_t i = 0; i < n; i++) v[i] = (double)i * 0.1;
    round_trip(t, v, n);
}

static void test_bit_layout(void **state)
{
    (void)state;
    /* Three samples, constant step and value: header, 128 bits of first
     * sample, '10'+14-bit delta-of-delta (60) and '0' for the value, then
     * '0' '0' for the third sample: 3 + 16 + 3 bytes (19 bits, padded). */
    const int64_t t[] = {1000, 1060, 1120};
    const double v[] = {2.5, 2.5, 2.5};
    uint8_t *buf;
    size_t len;
    assert_int_equal(hr_chunk_encode(t, v, 3, &buf, &len), 0);
    assert_int_equal(len, 3 + 16 + 3);
    assert_int_equal(buf[0], HR_CHUNK_VERSION);
    assert_int_equal(buf[1], 3);
    assert_int_equal(buf[2], 0);
    assert_int_equal(buf[3 + 6], 1000 >> 8); /* big-endian 64-bit timestamp */
    assert_int_equal(buf[3 + 7], 1000 & 0xff);
    /* 10 00000000111100 0 | 0 0 -> 1000 0000 0011 1100 0000 0... */
    assert_int_equal(buf[19], 0x80);
    assert_int_equal(buf[20], 0x3c);
    assert_int_equal(buf[21], 0x00);
    free(buf);
    /* The empty chunk is the header. */
    assert_int_equal(hr_chunk_encode(NULL, NULL, 0, &buf, &len), 0);
    assert_int_equal(len, HR_CHUNK_HEADER);
    int64_t *dt = (int64_t *)1;
    double *dv = (double *)1;
    size_t dn = 5;
    assert_int_equal(hr_chunk_decode(buf, len, 10, &dt, &dv, &dn, NULL), 0);
    assert_int_equal(dn, 0);
    assert_null(dt);
    assert_null(dv);
    free(buf);
}

static void test_real_telemetry(void **state)
{
    (void)state;
    /* PlanetLab CPU (integer percent, 300 s): the regular step costs one
     * bit; the values a few bits each. */
    hr_series s;
    hr_error err = {0};
    assert_int_equal(hr_series_read_lines(test_data("planetlab/planetlab1_fit_vutbr_cz_nyu_d"),
                                          1299110400, 300, &s, &err),
                     0);
    int64_t *t = malloc(s.len * sizeof *t);
    for (size_t i = 0; i < s.len; i++) t[i] = s.start + (int64_t)i * s.step;
    size_t len = round_trip(t, s.values, s.len);
    double per = (double)len / (double)s.len;
    print_message("planetlab: %zu samples, %zu bytes, %.3f bytes/sample\n", s.len, len, per);
    assert_true(per < 2.0); /* the storage goal */
    free(t);
    hr_series_release(&s);

    /* NAB EC2 CPU: 5-minute floats with 3 decimals, plus its gaps (NaN). */
    assert_int_equal(
        hr_series_read_csv(test_data("nab/data/realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv"),
                           &s, &err),
        0);
    t = malloc(s.len * sizeof *t);
    for (size_t i = 0; i < s.len; i++) t[i] = s.start + (int64_t)i * s.step;
    size_t n = s.len < HR_CHUNK_MAX_SAMPLES ? s.len : HR_CHUNK_MAX_SAMPLES;
    len = round_trip(t, s.values, n);
    per = (double)len / (double)n;
    print_message("nab ec2 cpu: %zu samples, %zu bytes, %.3f bytes/sample\n", n, len, per);
    assert_true(per < 8.0); /* full-precision decimals: no better than a few bytes */
    free(t);
    hr_series_release(&s);
}

static void test_random_round_trip(void **state)
{
    (void)state;
    /* xorshift-driven mixtures of smooth, repeated and random-bit values. */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int64_t *t = malloc(HR_CHUNK_MAX_SAMPLES * sizeof *t);
    double *v = malloc(HR_CHUNK_MAX_SAMPLES * sizeof *v);
    const size_t sizes[] = {1, 2, 3, 100, 1000, HR_CHUNK_MAX_SAMPLES};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int64_t ts = -12345;
        for (size_t i = 0; i < sizes[k]; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            switch (x % 4) {
            case 0:
                v[i] = i ? v[i - 1] : 0;
                break;
            case 1:
                v[i] = from_bits(x);
                break;
            case 2:
                v[i] = (double)(x % 1000) / 8;
                break;
            default:
                v[i] = sin((double)i / 10);
                break;
            }
            ts += (x >> 8) % 3 == 0 ? (int64_t)((x >> 16) % 100000) - 50000 : 60;
            t[i] = ts;
        }
        round_trip(t, v, sizes[k]);
    }
    uint8_t *buf = NULL;
    size_t len;
    assert_int_equal(hr_chunk_encode(t, v, HR_CHUNK_MAX_SAMPLES + 1u, &buf, &len), HR_ELIMIT);
    hr_chunk_enc e;
    hr_chunk_enc_init(&e);
    for (size_t i = 0; i < HR_CHUNK_MAX_SAMPLES; i++)
        assert_int_equal(hr_chunk_enc_append(&e, t[i], v[i]), 0);
    assert_int_equal(hr_chunk_enc_append(&e, 0, 0), HR_ELIMIT);
    hr_chunk_enc_release(&e);
    hr_chunk_enc_release(NULL);
    free(t);
    free(v);
}

static void test_damaged(void **state)
{
    (void)state;
    const int64_t t[] = {100, 160, 220, 400, 401};
    const double v[] = {1.5, 2.5, 2.5, -7, 1e300};
    uint8_t *buf;
    size_t len;
    assert_int_equal(hr_chunk_encode(t, v, 5, &buf, &len), 0);
    hr_error err = {0};
    int64_t *dt;
    double *dv;
    size_t dn;
    /* Every truncation is an error naming the sample it stopped in. */
    for (size_t cut = 0; cut < len; cut++) {
        err.msg[0] = 0;
        int rc = hr_chunk_decode(buf, cut, 100, &dt, &dv, &dn, &err);
        assert_int_equal(rc, HR_EPARSE);
        assert_true(strstr(err.msg, "chunk:") != NULL);
    }
    /* Bad version. */
    buf[0] = 9;
    assert_int_equal(hr_chunk_decode(buf, len, 100, &dt, &dv, &dn, &err), HR_EPARSE);
    assert_non_null(strstr(err.msg, "version 9"));
    buf[0] = HR_CHUNK_VERSION;
    /* Trailing bytes and non-zero padding. */
    uint8_t *longer = calloc(len + 2, 1);
    memcpy(longer, buf, len);
    assert_int_equal(hr_chunk_decode(longer, len + 2, 100, &dt, &dv, &dn, &err), HR_EPARSE);
    assert_non_null(strstr(err.msg, "after the last sample"));
    longer[len - 1] |= 1; /* the last byte has padding bits in this chunk */
    assert_int_equal(hr_chunk_decode(longer, len, 100, &dt, &dv, &dn, &err), HR_EPARSE);
    free(longer);
    free(buf);
    /* A second sample whose value reuses a window that was never set. */
    const uint8_t reuse[] = {
        1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x50 /* '0' dod, '10' reuse */, 0};
    assert_int_equal(hr_chunk_decode(reuse, sizeof reuse, 10, &dt, &dv, &dn, &err), HR_EPARSE);
    assert_non_null(strstr(err.msg, "sample 2: XOR window reused"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_special_values),    cmocka_unit_test(test_irregular_timestamps),
        cmocka_unit_test(test_bit_layout),        cmocka_unit_test(test_real_telemetry),
        cmocka_unit_test(test_random_round_trip), cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
