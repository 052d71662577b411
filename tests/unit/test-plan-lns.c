/* LNS sub-MIPs (CBC): over all machines of the worked example the MIP
 * finds the subject's optimum 2411 (transient, spread and dependency
 * constraints all bind there); over all of a1_1 (4 machines, 100
 * processes) its proven optimum 44,306,501. */
#include "testutil.h"

#include <headroom/plan.h>

#include "plan/internal.h"

static hr_roadef *model(const char *rel)
{
    hr_roadef *in = NULL;
    assert_int_equal(hr_roadef_read_model(test_data(rel), &in, NULL), 0);
    return in;
}

static int32_t *assignment(const hr_roadef *in, const char *rel)
{
    int32_t *a = NULL;
    assert_int_equal(hr_roadef_read_assignment(in, test_data(rel), &a, NULL), 0);
    return a;
}

static int64_t checked(const hr_roadef *in, const int32_t *m0, const int32_t *a)
{
    hr_roadef_report rep;
    int n = hr_roadef_check(in, m0, a, &rep, NULL);
    int64_t c = n == 0 ? rep.cost.total : -1;
    hr_roadef_report_release(&rep);
    return c;
}

#ifdef HR_HAVE_CBC
static void test_lns_example(void **state)
{
    (void)state;
    assert_true(hr_roadef_have_cbc());
    hr_roadef *in = model("roadef/model_example.txt");
    int32_t *m0 = assignment(in, "roadef/initial_solution_example.txt");
    int32_t a[3] = {0, 3, 0}, mach[4] = {0, 1, 2, 3};
    assert_int_equal(hr__lns_solve(in, m0, a, mach, 4, 10.0, NULL, NULL), 1);
    assert_int_equal(checked(in, m0, a), 2411);
    /* from the optimum nothing better exists */
    assert_int_equal(hr__lns_solve(in, m0, a, mach, 4, 10.0, NULL, NULL), 0);
    assert_int_equal(checked(in, m0, a), 2411);
    free(m0);
    hr_roadef_free(in);
}

static void test_lns_a1_1(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_a1_1.txt");
    int32_t *m0 = assignment(in, "roadef/assignment_a1_1.txt");
    int32_t *a = malloc(100 * sizeof *a), mach[4] = {0, 1, 2, 3};
    memcpy(a, m0, 100 * sizeof *a);
    /* machines 0 and 2 alone: no better exchange between them exists */
    int32_t two[2] = {0, 2};
    assert_int_equal(hr__lns_solve(in, m0, a, two, 2, 5.0, NULL, NULL), 0);
    assert_memory_equal(a, m0, 100 * sizeof *a);
    /* all four machines: the whole instance, solved to its optimum
     * 44,306,501 (Gurobi-proven, reference/roadef2012.md) */
    assert_int_equal(hr__lns_solve(in, m0, a, mach, 4, 20.0, NULL, NULL), 1);
    assert_int_equal(checked(in, m0, a), 44306501);
    /* the solver with LNS on: valid, and at least as good as the sub-MIP */
    hr_roadef_opts o = {.seed = 2, .max_iters = 50000, .lns = true, .lns_sub_sec = 1.0};
    hr_roadef_cost cost;
    hr_roadef_stats st;
    int32_t *b = malloc(100 * sizeof *b);
    memcpy(b, m0, 100 * sizeof *b);
    assert_int_equal(hr_roadef_solve(in, m0, b, &o, &cost, &st, NULL), 0);
    assert_int_equal(checked(in, m0, b), cost.total);
    assert_true(cost.total < 49528750);
    free(a);
    free(b);
    free(m0);
    hr_roadef_free(in);
}
#else
static void test_lns_example(void **state)
{
    (void)state;
    assert_false(hr_roadef_have_cbc());
}
static void test_lns_a1_1(void **state)
{
    (void)state;
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lns_example),
        cmocka_unit_test(test_lns_a1_1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
