/* ROADEF/EURO 2012 readers, writer and checker: the subject's worked
 * example, instances a1_1 and a2_1 against the official checker's figures
 * (reference/roadef2012.md), each violation kind, malformed files. */
#include "testutil.h"

#include <headroom/plan.h>
#include <headroom/series.h>

#include <unistd.h>

static hr_roadef *model(const char *rel)
{
    hr_roadef *in = NULL;
    hr_error err = {0};
    int rc = hr_roadef_read_model(test_data(rel), &in, &err);
    if (rc < 0) print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return in;
}

static int32_t *assignment(const hr_roadef *in, const char *rel)
{
    int32_t *a = NULL;
    hr_error err = {0};
    int rc = hr_roadef_read_assignment(in, test_data(rel), &a, &err);
    if (rc < 0) print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return a;
}

static void test_example_parse(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_example.txt");
    assert_int_equal(in->nres, 2);
    assert_int_equal(in->transient[0], 1);
    assert_int_equal(in->transient[1], 0);
    assert_int_equal(in->wload[0], 100);
    assert_int_equal(in->wload[1], 10);
    assert_int_equal(in->nmach, 4);
    assert_int_equal(in->nneigh, 2);
    assert_int_equal(in->nloc, 3);
    assert_int_equal(in->cap[2 * 2 + 1], 100);    /* machine 2, resource 1 */
    assert_int_equal(in->safety[1 * 2 + 1], 160); /* machine 1, resource 1 */
    assert_int_equal(in->mmc[3 * 4 + 0], 5);
    assert_int_equal(in->nserv, 2);
    assert_int_equal(in->spread_min[0], 2);
    assert_int_equal(in->dep_start[1], 0);
    assert_int_equal(in->dep_start[2], 1);
    assert_int_equal(in->deps[0], 0);
    assert_int_equal(in->nproc, 3);
    assert_int_equal(in->serv[2], 1);
    assert_int_equal(in->req[1 * 2 + 1], 20);
    assert_int_equal(in->pmc[0], 1000);
    assert_int_equal(in->nbal, 1);
    assert_int_equal(in->bal[0].target, 20);
    assert_int_equal(in->bal[0].weight, 10);
    assert_int_equal(in->w_pmc, 1);
    assert_int_equal(in->w_smc, 10);
    assert_int_equal(in->w_mmc, 100);
    assert_int_equal(in->sp_start[1], 2); /* processes 0, 1 in service 0 */
    hr_roadef_free(in);
}

static void test_example_costs(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_example.txt");
    int32_t *m0 = assignment(in, "roadef/initial_solution_example.txt");
    int32_t *a = assignment(in, "roadef/new_solution_example.txt");
    hr_roadef_report rep;
    /* The subject: initial 4200 = load 400 + 1300, balance 2500. */
    assert_int_equal(hr_roadef_check(in, m0, m0, &rep, NULL), 0);
    assert_int_equal(rep.cost.load, 1700);
    assert_int_equal(rep.cost.balance, 2500);
    assert_int_equal(rep.cost.total, 4200);
    hr_roadef_report_release(&rep);
    /* 0 2 1 costs 400 + 1600 + 101 + 10 + 300 = 2411. */
    assert_int_equal(hr_roadef_check(in, m0, a, &rep, NULL), 0);
    assert_int_equal(rep.cost.load, 400);
    assert_int_equal(rep.cost.balance, 1600);
    assert_int_equal(rep.cost.process_move, 101);
    assert_int_equal(rep.cost.service_move, 10);
    assert_int_equal(rep.cost.machine_move, 300);
    assert_int_equal(rep.cost.total, 2411);
    assert_int_equal(rep.nviol, 0);
    hr_roadef_report_release(&rep);
    free(a);
    free(m0);
    hr_roadef_free(in);
}

static bool has_viol(const hr_roadef_report *rep, hr_roadef_viol_kind k, int32_t a, int32_t b,
                     int64_t amount)
{
    for (size_t i = 0; i < rep->nkept; i++) {
        const hr_roadef_viol *v = &rep->viol[i];
        if (v->kind == k && v->a == a && v->b == b && v->amount == amount) return true;
    }
    return false;
}

static void test_example_violations(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_example.txt");
    int32_t *m0 = assignment(in, "roadef/initial_solution_example.txt");
    hr_roadef_report rep;
    char line[256];
    /* Both processes of service 0 on machine 0: conflict, and one location
     * where spreadMin is 2. */
    int32_t crowded[3] = {0, 0, 0};
    assert_int_equal(hr_roadef_check(in, m0, crowded, &rep, NULL), 2);
    assert_true(has_viol(&rep, HR_VIOL_CONFLICT, 0, 0, 2));
    assert_true(has_viol(&rep, HR_VIOL_SPREAD, 0, 2, 1));
    hr_roadef_report_release(&rep);
    /* Service 1 (process 2, neighbourhood 0) depends on service 0, which
     * sits in neighbourhood 1 only. */
    int32_t dep[3] = {2, 3, 0};
    assert_int_equal(hr_roadef_check(in, m0, dep, &rep, NULL), 1);
    assert_true(has_viol(&rep, HR_VIOL_DEPENDENCY, 2, 0, 0));
    hr_roadef_viol_format(&rep.viol[0], line, sizeof line);
    assert_string_equal(line, "dependency: process 2: no process of service 0 in neighborhood 0");
    hr_roadef_report_release(&rep);
    /* Process 1 (resource 0 = 10, transient) leaves machine 3 (capacity 10)
     * and process 2 (6) arrives: usage 6 fits, transient usage 16 does not;
     * its resource 1 (200) exceeds the capacity (100) outright. */
    int32_t tr[3] = {0, 1, 3};
    assert_int_equal(hr_roadef_check(in, m0, tr, &rep, NULL), 4);
    assert_true(has_viol(&rep, HR_VIOL_TRANSIENT, 3, 0, 6));
    assert_true(has_viol(&rep, HR_VIOL_CAPACITY, 3, 1, 100));
    assert_true(has_viol(&rep, HR_VIOL_SPREAD, 0, 2, 1));
    assert_true(has_viol(&rep, HR_VIOL_DEPENDENCY, 2, 0, 1));
    hr_roadef_report_release(&rep);
    free(m0);
    hr_roadef_free(in);
}

static void test_a1_1(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_a1_1.txt");
    assert_int_equal(in->nproc, 100);
    assert_int_equal(in->nmach, 4);
    assert_int_equal(in->nserv, 79);
    int32_t *m0 = assignment(in, "roadef/assignment_a1_1.txt");
    hr_roadef_report rep;
    assert_int_equal(hr_roadef_check(in, m0, m0, &rep, NULL), 0);
    assert_int_equal(rep.cost.load, 36234090);
    assert_int_equal(rep.cost.balance, 13294660);
    assert_int_equal(rep.cost.total, 49528750);
    hr_roadef_report_release(&rep);
    assert_int_equal(hr_roadef_lower_bound(in), 44306390); /* aggregate LB, reference table */
    /* Everything on machine 0: over capacity on both resources. */
    int32_t *all0 = calloc(100, sizeof *all0);
    int n = hr_roadef_check(in, m0, all0, &rep, NULL);
    assert_true(n >= 2);
    assert_int_equal(rep.viol[0].kind, HR_VIOL_CAPACITY);
    assert_int_equal(rep.viol[0].a, 0);
    assert_int_equal(rep.viol[1].kind, HR_VIOL_CAPACITY);
    assert_int_equal(rep.viol[1].b, 1);
    hr_roadef_report_release(&rep);
    free(all0);
    free(m0);
    hr_roadef_free(in);
}

static void test_a2_1_solution(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_a2_1.txt");
    int32_t *m0 = assignment(in, "roadef/assignment_a2_1.txt");
    int32_t *a = assignment(in, "roadef/solution_a2_1_stegua.txt");
    hr_roadef_report rep;
    assert_int_equal(hr_roadef_check(in, m0, m0, &rep, NULL), 0);
    assert_int_equal(rep.cost.total, 391189190);
    hr_roadef_report_release(&rep);
    assert_int_equal(hr_roadef_check(in, m0, a, &rep, NULL), 0);
    assert_int_equal(rep.cost.total, 196);
    assert_int_equal(rep.cost.total, rep.cost.load + rep.cost.balance + rep.cost.process_move +
                                         rep.cost.service_move + rep.cost.machine_move);
    hr_roadef_report_release(&rep);
    /* The writer's output reads back identically. */
    char path[] = "/tmp/hr-roadef-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(hr_roadef_write_assignment(in, a, path, NULL), 0);
    int32_t *b = NULL;
    assert_int_equal(hr_roadef_read_assignment(in, path, &b, NULL), 0);
    assert_memory_equal(a, b, 1000 * sizeof *a);
    unlink(path);
    free(b);
    free(a);
    free(m0);
    hr_roadef_free(in);
}

/* A malformed model gives code `code` and a message containing `want`. */
static void bad_model(const char *text, int code, const char *want)
{
    hr_roadef *in = NULL;
    hr_error err = {0};
    int rc = hr_roadef_parse_model(text, strlen(text), "m.txt", &in, &err);
    if (rc != code || !strstr(err.msg, want))
        print_error("input %s: rc %d, message \"%s\", expected %d \"%s\"\n", text, rc, err.msg,
                    code, want);
    assert_int_equal(rc, code);
    assert_non_null(strstr(err.msg, want));
    assert_null(in);
}

#define OK_MODEL "1\n0 1\n2\n0 0 5 4 0 1\n0 1 5 4 1 0\n1\n1 0\n2\n0 1 1\n0 2 1\n0\n1 10 100\n"

static void test_bad_models(void **state)
{
    (void)state;
    hr_roadef *in = NULL;
    assert_int_equal(hr_roadef_parse_model(OK_MODEL, strlen(OK_MODEL), "m.txt", &in, NULL), 0);
    assert_int_equal(in->nproc, 2);
    hr_roadef_free(in);
    bad_model("", HR_EPARSE, "m.txt:1:1: resource count: missing (file truncated)");
    bad_model("1\n0 1\n2\n0 0 5 4 0 1\n0 1 5", HR_EPARSE,
              "m.txt:5:6: machine 1: safety capacity[0]: missing");
    bad_model("1\n0 1\n2\n0 0 -5 4 0 1\n", HR_EPARSE,
              "m.txt:4:5: machine 0: capacity[0]: \"-5\" is negative");
    bad_model("1\n0 1\n2\n0 0 5x 4 0 1\n", HR_EPARSE,
              "capacity[0]: \"5x\" is not a non-negative integer");
    bad_model("1\n0 1\n2\n0 0 5 4 0 1\n0 1 5 4 1 0\n1\n1 0\n2\n0 1 1\n3 2 1\n", HR_EPARSE,
              "m.txt:10:1: process 1: service: \"3\" out of range (at most 0)");
    bad_model("1\n2 1\n", HR_EPARSE, "resource 0: transient: \"2\" out of range (at most 1)");
    bad_model("1\n0 1\n2\n0 7 5 4 0 1\n", HR_EPARSE, "machine 0: location: \"7\" out of range");
    bad_model("1\n0 1\n2\n0 0 5 4 0 1\n0 1 5 4 1 0\n1\n1 2 0 1\n", HR_EPARSE,
              "m.txt:7:7: service 0: dependency[1]: \"1\" out of range (at most 0)");
    bad_model("1\n0 99999999999\n", HR_ERANGE,
              "resource 0: weightLoadCost: \"99999999999\" exceeds 2^31-1");
    bad_model("0\n", HR_EPARSE, "resource count: must be at least 1");
    bad_model("65\n", HR_ELIMIT, "resource count: too many: 65 (limit 64)");
    bad_model(OK_MODEL "7\n", HR_EPARSE, "m.txt:13:1: end of file: unexpected data");
    bad_model(
        "1\n0 1\n2\n0 0 5 4 0 1\n0 1 5 4 1 0\n1\n1 0\n2\n0 1 1\n0 2 1\n1\n0 1 1 1\n1 10 100\n",
        HR_EPARSE, "balance 0: resource2: \"1\" out of range (at most 0)");
}

static void test_bad_assignments(void **state)
{
    (void)state;
    hr_roadef *in = NULL;
    assert_int_equal(hr_roadef_parse_model(OK_MODEL, strlen(OK_MODEL), "m.txt", &in, NULL), 0);
    int32_t *a = NULL;
    hr_error err = {0};
    assert_int_equal(hr_roadef_parse_assignment(in, "1 0\n", 4, "a.txt", &a, NULL), 0);
    assert_int_equal(a[0], 1);
    free(a);
    a = NULL;
    assert_int_equal(hr_roadef_parse_assignment(in, "1", 1, "a.txt", &a, &err), HR_EPARSE);
    assert_string_equal(err.msg, "a.txt:1:2: process 1: machine: missing (file truncated)");
    assert_int_equal(hr_roadef_parse_assignment(in, "1 0 1", 5, "a.txt", &a, &err), HR_EPARSE);
    assert_string_equal(err.msg, "a.txt:1:5: end of file: more than 2 machine indices");
    assert_int_equal(hr_roadef_parse_assignment(in, "0\n2", 3, "a.txt", &a, &err), HR_EPARSE);
    assert_string_equal(err.msg, "a.txt:2:1: process 1: machine: \"2\" out of range (at most 1)");
    assert_null(a);
    assert_int_equal(hr_roadef_read_assignment(in, "/nonexistent/a.txt", &a, &err), HR_EIO);
    hr_roadef_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_parse),      cmocka_unit_test(test_example_costs),
        cmocka_unit_test(test_example_violations), cmocka_unit_test(test_a1_1),
        cmocka_unit_test(test_a2_1_solution),      cmocka_unit_test(test_bad_models),
        cmocka_unit_test(test_bad_assignments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
