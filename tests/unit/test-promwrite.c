/* Prometheus remote write: requests built with protobuf-c and snappy as
 * Prometheus sends them, decoded to series keys and samples; damaged
 * snappy, damaged protobuf and missing names refused with nothing emitted. */
#include "testutil.h"

#include <headroom/store.h>

#include <snappy-c.h>

#include "remote.pb-c.h"

#define MAXS 16
struct got {
    size_t n;
    char key[MAXS][HR_LP_KEY_MAX];
    int64_t t[MAXS];
    double v[MAXS];
};

static int emit(void *ud, const char *key, size_t idx, int64_t t, double v)
{
    struct got *g = ud;
    (void)idx;
    if (g->n == MAXS) return HR_ELIMIT;
    snprintf(g->key[g->n], HR_LP_KEY_MAX, "%s", key);
    g->t[g->n] = t;
    g->v[g->n] = v;
    g->n++;
    return 0;
}

/* A WriteRequest of two series, packed and snappy-compressed (free()). */
static char *build(size_t *len, bool with_name, const double *vals, size_t nv)
{
    Prometheus__Label l[3];
    for (int i = 0; i < 3; i++) prometheus__label__init(&l[i]);
    l[0].name = "job", l[0].value = "node";
    l[1].name = "__name__", l[1].value = "node_cpu";
    l[2].name = "cpu", l[2].value = "0";
    Prometheus__Label *labels[3] = {&l[0], &l[1], &l[2]};
    Prometheus__Label *labels2[3] = {&l[0], &l[2], &l[1]};
    Prometheus__Label *nameless[2] = {&l[0], &l[2]};
    Prometheus__Sample smp[4];
    Prometheus__Sample *sp[4];
    for (size_t i = 0; i < nv; i++) {
        prometheus__sample__init(&smp[i]);
        smp[i].value = vals[i];
        smp[i].timestamp = 1700000000123 + 15000 * (int64_t)i;
        sp[i] = &smp[i];
    }
    Prometheus__TimeSeries ts[2];
    prometheus__time_series__init(&ts[0]);
    prometheus__time_series__init(&ts[1]);
    ts[0].n_labels = 3, ts[0].labels = labels;
    ts[0].n_samples = nv, ts[0].samples = sp;
    ts[1].n_labels = with_name ? 3 : 2, ts[1].labels = with_name ? labels2 : labels;
    ts[1].n_samples = 1, ts[1].samples = sp;
    if (!with_name) ts[1].labels = nameless;
    Prometheus__TimeSeries *tsp[2] = {&ts[0], &ts[1]};
    Prometheus__WriteRequest wr;
    prometheus__write_request__init(&wr);
    wr.n_timeseries = 2, wr.timeseries = tsp;
    size_t plen = prometheus__write_request__get_packed_size(&wr);
    uint8_t *raw = malloc(plen);
    prometheus__write_request__pack(&wr, raw);
    size_t clen = snappy_max_compressed_length(plen);
    char *out = malloc(clen);
    assert_int_equal(snappy_compress((const char *)raw, plen, out, &clen), SNAPPY_OK);
    free(raw);
    *len = clen;
    return out;
}

static void test_good(void **state)
{
    (void)state;
    uint64_t stale = HR_PROM_STALE_NAN;
    double sv;
    memcpy(&sv, &stale, sizeof sv);
    const double vals[] = {1.5, sv, -2.5, 1e300};
    size_t len;
    char *buf = build(&len, true, vals, 4);
    struct got g = {0};
    hr_error err = {0};
    assert_int_equal(hr_promwrite_parse(buf, len, 1 << 20, emit, &g, &err), 4);
    /* labels sorted by name, __name__ first as the measurement */
    assert_string_equal(g.key[0], "node_cpu,cpu=0,job=node");
    assert_int_equal(g.t[0], 1700000000);
    assert_near(g.v[0], 1.5, 0);
    /* the staleness marker is skipped: next is sample 2 at +30 s */
    assert_int_equal(g.t[1], 1700000030);
    assert_near(g.v[1], -2.5, 0);
    assert_near(g.v[2], 1e300, 0);
    assert_string_equal(g.key[3], "node_cpu,cpu=0,job=node");
    free(buf);
}

static void test_bad(void **state)
{
    (void)state;
    const double vals[] = {1, 2};
    size_t len;
    char *buf = build(&len, false, vals, 2);
    struct got g = {0};
    hr_error err = {0};
    assert_int_equal(hr_promwrite_parse(buf, len, 1 << 20, emit, &g, &err), HR_EPARSE);
    assert_non_null(strstr(err.msg, "timeseries[1]: no __name__ label"));
    assert_int_equal(g.n, 0); /* series 0 was valid, but nothing is emitted */
    /* over the uncompressed limit */
    assert_int_equal(hr_promwrite_parse(buf, len, 10, emit, &g, &err), HR_ELIMIT);
    free(buf);
    /* not snappy */
    assert_int_equal(hr_promwrite_parse("\xff\xff\xff\xff\xff\xff", 6, 1 << 20, emit, &g, &err),
                     HR_EPARSE);
    assert_non_null(strstr(err.msg, "snappy"));
    /* snappy of something that is not a WriteRequest */
    const char junk[] = "\x0a\x05\x0a\x03\x0a\x01"; /* truncated nested messages */
    char comp[64];
    size_t clen = sizeof comp;
    assert_int_equal(snappy_compress(junk, sizeof junk - 1, comp, &clen), SNAPPY_OK);
    assert_int_equal(hr_promwrite_parse(comp, clen, 1 << 20, emit, &g, &err), HR_EPARSE);
    assert_non_null(strstr(err.msg, "protobuf"));
    /* an empty request is fine and emits nothing */
    clen = sizeof comp;
    assert_int_equal(snappy_compress("", 0, comp, &clen), SNAPPY_OK);
    assert_int_equal(hr_promwrite_parse(comp, clen, 1 << 20, emit, &g, &err), 0);
    assert_int_equal(g.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
