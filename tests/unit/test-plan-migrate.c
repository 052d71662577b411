/* Migration plans replayed step by step (movers counted on both machines
 * during their step, per-host concurrency, conflicts after each step, the
 * target reached), a swap that needs parking, and fleets as instances. */
#include "testutil.h"

#include <headroom/fleet.h>
#include <headroom/plan.h>

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

/* Replay mg from `from`; every check of the plan's contract: during a step
 * movers hold transient resources on both machines, others on the
 * destination only (ROADEF's semantics). */
static void replay(const hr_roadef *in, const int32_t *from, const int32_t *to,
                   const hr_migration *mg, int32_t per_host)
{
    int32_t P = in->nproc, M = in->nmach, R = in->nres;
    int32_t *cur = malloc((size_t)P * sizeof *cur), *busy = calloc((size_t)M, sizeof *busy);
    int64_t *u = calloc((size_t)M * R, sizeof *u);
    memcpy(cur, from, (size_t)P * sizeof *cur);
    for (int32_t p = 0; p < P; p++)
        for (int32_t r = 0; r < R; r++) u[(size_t)cur[p] * R + r] += in->req[(size_t)p * R + r];
    size_t i = 0;
    for (int32_t step = 0; step < mg->nsteps; step++) {
        size_t first = i;
        memset(busy, 0, (size_t)M * sizeof *busy);
        for (; i < mg->nmoves && mg->moves[i].step == step; i++) {
            const hr_move *mv = &mg->moves[i];
            assert_int_equal(mv->from, cur[mv->process]);
            assert_int_not_equal(mv->from, mv->to);
            assert_int_equal(mv->cost, in->w_pmc * in->pmc[mv->process] +
                                           in->w_mmc * in->mmc[(size_t)mv->from * M + mv->to]);
            busy[mv->from]++;
            busy[mv->to]++;
            for (int32_t r = 0; r < R; r++) {
                u[(size_t)mv->to * R + r] += in->req[(size_t)mv->process * R + r];
                if (!in->transient[r])
                    u[(size_t)mv->from * R + r] -= in->req[(size_t)mv->process * R + r];
            }
        }
        assert_true(i > first); /* no empty step */
        for (int32_t m = 0; m < M; m++) {
            if (per_host > 0) assert_true(busy[m] <= per_host);
            for (int32_t r = 0; r < R; r++)
                assert_true(u[(size_t)m * R + r] <= in->cap[(size_t)m * R + r]);
        }
        for (size_t k = first; k < i; k++) {
            const hr_move *mv = &mg->moves[k];
            for (int32_t r = 0; r < R; r++)
                if (in->transient[r])
                    u[(size_t)mv->from * R + r] -= in->req[(size_t)mv->process * R + r];
            cur[mv->process] = mv->to;
        }
        for (int32_t s = 0; s < in->nserv; s++) /* conflicts */
            for (int32_t a = in->sp_start[s]; a < in->sp_start[s + 1]; a++)
                for (int32_t b = a + 1; b < in->sp_start[s + 1]; b++)
                    assert_int_not_equal(cur[in->sp[a]], cur[in->sp[b]]);
    }
    assert_int_equal(i, mg->nmoves);
    assert_memory_equal(cur, to, (size_t)P * sizeof *cur);
    free(cur);
    free(busy);
    free(u);
}

static void test_swap_needs_parking(void **state)
{
    (void)state;
    /* Three machines of capacity 10 of a transient resource; p0 (10) on m0,
     * p1 (10) on m1, m2 empty. Target: p0 on m1, p1 on m0. */
    const char *text = "1\n1 1\n3\n0 0 10 10 0 0 0\n0 0 10 10 0 0 0\n0 0 10 10 0 0 0\n"
                       "2\n0 0\n0 0\n2\n0 10 1\n1 10 1\n0\n1 10 100\n";
    hr_roadef *in = NULL;
    assert_int_equal(hr_roadef_parse_model(text, strlen(text), "swap", &in, NULL), 0);
    int32_t from[2] = {0, 1}, to[2] = {1, 0};
    hr_migration mg = {0};
    assert_int_equal(hr_migration_plan(in, from, to, 1, &mg, NULL), 0);
    assert_int_equal(mg.nmoves, 3);
    assert_int_equal(mg.nparked, 1);
    assert_int_equal(mg.moves[0].reason, HR_REASON_PARK);
    assert_int_equal(mg.moves[0].to, 2);
    assert_int_equal(mg.moves[1].reason, HR_REASON_TARGET);
    assert_int_equal(mg.moves[2].reason, HR_REASON_UNPARK);
    assert_string_equal(hr_move_reason_name(mg.moves[0].reason), "park");
    replay(in, from, to, &mg, 1);
    hr_migration_release(&mg);
    /* Not transient: one step, both at once, as ROADEF allows. */
    const char *flat = "1\n0 1\n2\n0 0 10 10 0 0\n0 0 10 10 0 0\n"
                       "2\n0 0\n0 0\n2\n0 10 1\n1 10 1\n0\n1 10 100\n";
    hr_roadef *in3 = NULL;
    assert_int_equal(hr_roadef_parse_model(flat, strlen(flat), "flat", &in3, NULL), 0);
    assert_int_equal(hr_migration_plan(in3, from, to, 0, &mg, NULL), 0);
    assert_int_equal(mg.nmoves, 2);
    assert_int_equal(mg.nsteps, 1);
    replay(in3, from, to, &mg, 0);
    hr_migration_release(&mg);
    hr_roadef_free(in3);
    /* Transient and without the third machine there is no plan. */
    const char *tight = "1\n1 1\n2\n0 0 10 10 0 0\n0 0 10 10 0 0\n"
                        "2\n0 0\n0 0\n2\n0 10 1\n1 10 1\n0\n1 10 100\n";
    hr_roadef *in2 = NULL;
    assert_int_equal(hr_roadef_parse_model(tight, strlen(tight), "tight", &in2, NULL), 0);
    hr_error err = {0};
    assert_int_equal(hr_migration_plan(in2, from, to, 0, &mg, &err), HR_EDATA);
    assert_non_null(strstr(err.msg, "cannot reach machine"));
    hr_roadef_free(in2);
    hr_roadef_free(in);
}

static void test_a2_1_plan(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_a2_1.txt");
    int32_t *m0 = assignment(in, "roadef/assignment_a2_1.txt");
    int32_t *a = assignment(in, "roadef/solution_a2_1_stegua.txt");
    size_t moved = 0;
    for (int p = 0; p < 1000; p++) moved += a[p] != m0[p];
    for (int32_t per_host = 0; per_host <= 0; per_host++) {
        hr_migration mg = {0};
        hr_error err = {0};
        int rc = hr_migration_plan(in, m0, a, per_host, &mg, &err);
        if (rc < 0) print_error("per_host %d: %s\n", per_host, err.msg);
        assert_int_equal(rc, 0);
        assert_true(mg.nmoves >= moved);
        assert_int_equal(mg.nmoves, moved + 2 * mg.nparked);
        replay(in, m0, a, &mg, per_host);
        hr_migration_release(&mg);
    }
    free(a);
    free(m0);
    hr_roadef_free(in);
}

static void test_a1_1_solved_plan(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_a1_1.txt");
    int32_t *m0 = assignment(in, "roadef/assignment_a1_1.txt");
    int32_t *a = malloc(100 * sizeof *a);
    memcpy(a, m0, 100 * sizeof *a);
    hr_roadef_opts o = {.seed = 4, .max_iters = 100000};
    assert_int_equal(hr_roadef_solve(in, m0, a, &o, NULL, NULL, NULL), 0);
    hr_migration mg = {0};
    assert_int_equal(hr_migration_plan(in, m0, a, 0, &mg, NULL), 0);
    assert_true(mg.nmoves > 0);
    replay(in, m0, a, &mg, 0);
    hr_migration_release(&mg);
    free(a);
    free(m0);
    hr_roadef_free(in);
}

static void test_from_fleet(void **state)
{
    (void)state;
    hr_fleet *f = NULL;
    hr_error err = {0};
    assert_int_equal(hr_fleet_load_json(test_data("fleet/roadef-example.json"), &f, &err), 0);
    hr_roadef *in = NULL;
    int32_t *m0 = NULL;
    assert_int_equal(hr_roadef_from_fleet(f, &in, &m0, &err), 0);
    assert_int_equal(in->nproc, 3);
    assert_int_equal(in->nserv, 2);
    assert_int_equal(in->transient[0], 1);
    assert_int_equal(in->mmc[0 * 4 + 3], 5);
    hr_roadef_report rep;
    assert_int_equal(hr_roadef_check(in, m0, m0, &rep, NULL), 0);
    assert_int_equal(rep.cost.total, 4200); /* as the subject's files */
    hr_roadef_report_release(&rep);
    int32_t a[3] = {0, 2, 1};
    assert_int_equal(hr_roadef_check(in, m0, a, &rep, NULL), 0);
    assert_int_equal(rep.cost.total, 2411);
    hr_roadef_report_release(&rep);
    free(m0);
    hr_roadef_free(in);
    hr_fleet_free(f);
    assert_int_equal(hr_fleet_load_json(test_data("fleet/roadef-a1_1.json"), &f, &err), 0);
    assert_int_equal(hr_roadef_from_fleet(f, &in, &m0, &err), 0);
    assert_int_equal(hr_roadef_check(in, m0, m0, &rep, NULL), 0);
    assert_int_equal(rep.cost.total, 49528750);
    hr_roadef_report_release(&rep);
    free(m0);
    hr_roadef_free(in);
    hr_fleet_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swap_needs_parking),
        cmocka_unit_test(test_a2_1_plan),
        cmocka_unit_test(test_a1_1_solved_plan),
        cmocka_unit_test(test_from_fleet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
