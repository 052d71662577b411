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

/* tests/data/fleet/place.json: split services, labels as resources,
 * workloads not placed yet placed by hr_roadef_start. */
static void test_fleet_place(void **state)
{
    (void)state;
    hr_fleet *f = NULL;
    hr_error err = {0};
    assert_int_equal(hr_fleet_load_json(test_data("fleet/place.json"), &f, &err), 0);
    hr_roadef *in = NULL;
    int32_t *m0 = NULL;
    assert_int_equal(hr_roadef_from_fleet(f, &in, &m0, &err), 0);
    int32_t ml = hr_fleet_find(f, HR_KIND_WORKLOAD, "ml-1");
    int32_t cron = hr_fleet_find(f, HR_KIND_WORKLOAD, "cron-1");
    int32_t gpu_host = hr_fleet_find(f, HR_KIND_HOST, "node-8");
    assert_true(ml >= 0 && cron >= 0 && gpu_host >= 0);
    assert_int_equal(in->nres, 5); /* cpu, memory, network, gpu + the "gpu" label */
    assert_int_equal(in->nlabel_res, 1);
    assert_int_equal(in->req[(size_t)ml * 5 + 4], 1);
    assert_int_equal(in->cap[(size_t)gpu_host * 5 + 4], in->nproc);
    assert_int_equal(in->cap[4], 0);
    assert_int_equal(m0[ml], -1);
    assert_int_equal(m0[cron], -1);
    /* web, db, api whole; one group; cache (3) and batch (4) split; ml, cron alone */
    assert_int_equal(in->nserv, 3 + 1 + 3 + 4 + 2);
    int32_t c1 = hr_fleet_find(f, HR_KIND_WORKLOAD, "cache-1");
    int32_t c2 = hr_fleet_find(f, HR_KIND_WORKLOAD, "cache-2");
    assert_int_not_equal(in->serv[c1], in->serv[c2]);
    int32_t w1 = hr_fleet_find(f, HR_KIND_WORKLOAD, "web-1");
    int32_t w2 = hr_fleet_find(f, HR_KIND_WORKLOAD, "web-2");
    assert_int_equal(in->serv[w1], in->serv[w2]);
    int32_t *start = malloc((size_t)in->nproc * sizeof *start);
    assert_int_equal(hr_roadef_start(in, m0, start, &err), 0);
    assert_int_equal(start[ml], gpu_host); /* the only host with the label */
    assert_int_equal(m0[ml], gpu_host);    /* a first placement is not a move */
    assert_int_equal(m0[cron], start[cron]);
    hr_roadef_report rep;
    assert_int_equal(hr_roadef_check(in, m0, start, &rep, NULL), 0);
    int64_t before = rep.cost.total;
    assert_true(before > 0);
    hr_roadef_report_release(&rep);
    hr_roadef_opts o = {.seed = 1, .max_iters = 200000};
    hr_roadef_cost cost;
    assert_int_equal(hr_roadef_solve(in, m0, start, &o, &cost, NULL, &err), 0);
    assert_true(cost.total < before);
    assert_int_equal(cost.load, 0); /* room for all under the safety capacities */
    assert_int_equal(start[ml], gpu_host);
    free(start);
    free(m0);
    hr_roadef_free(in);
    hr_fleet_free(f);
}

static int from_json(const char *json, hr_roadef **in, int32_t **m0, hr_error *err)
{
    hr_fleet *f = NULL;
    assert_int_equal(hr_fleet_parse_json(json, strlen(json), "t.json", &f, err), 0);
    int rc = hr_roadef_from_fleet(f, in, m0, err);
    hr_fleet_free(f);
    return rc;
}

/* What the conversion refuses or reports, with the names in the message. */
static void test_fleet_refused(void **state)
{
    (void)state;
    static const char head[] =
        "{\"headroom_fleet\": 1, \"resources\": [{\"name\": \"cpu\", \"unit\": \"custom\", "
        "\"unit_name\": \"u\"}], \"hosts\": [{\"name\": \"h1\", \"capacity\": [10]}, "
        "{\"name\": \"h2\", \"capacity\": [10]}], ";
    char buf[1024];
    hr_roadef *in = NULL;
    int32_t *m0 = NULL;
    hr_error err = {0};
    /* an anti-affinity group across two services */
    snprintf(buf, sizeof buf,
             "%s\"services\": [{\"name\": \"a\", \"distinct_hosts\": true}, {\"name\": \"b\"}], "
             "\"workloads\": [{\"name\": \"w1\", \"service\": \"a\", \"host\": \"h1\", "
             "\"anti_affinity\": \"g\"}, {\"name\": \"w2\", \"service\": \"b\", \"host\": "
             "\"h2\", \"anti_affinity\": \"g\"}]}",
             head);
    assert_int_equal(from_json(buf, &in, &m0, &err), HR_ENOTSUP);
    assert_non_null(strstr(hr_error_message(&err), "anti-affinity group \"g\""));
    /* a depended-upon service that may share hosts, sharing one now */
    snprintf(buf, sizeof buf,
             "%s\"services\": [{\"name\": \"a\", \"depends_on\": [\"b\"]}, {\"name\": \"b\"}], "
             "\"workloads\": [{\"name\": \"w1\", \"service\": \"b\", \"host\": \"h1\"}, "
             "{\"name\": \"w2\", \"service\": \"b\", \"host\": \"h1\"}]}",
             head);
    assert_int_equal(from_json(buf, &in, &m0, &err), HR_ENOTSUP);
    assert_non_null(strstr(hr_error_message(&err), "service \"b\""));
    /* the same service without dependants is split: both stay on h1 */
    snprintf(buf, sizeof buf,
             "%s\"services\": [{\"name\": \"b\"}], \"workloads\": [{\"name\": \"w1\", "
             "\"service\": \"b\", \"host\": \"h1\", \"demand\": [4]}, {\"name\": \"w2\", "
             "\"service\": \"b\", \"host\": \"h1\", \"demand\": [4]}, {\"name\": \"w3\", "
             "\"demand\": [4]}]}",
             head);
    assert_int_equal(from_json(buf, &in, &m0, &err), 0);
    assert_int_equal(in->nserv, 3);
    int32_t start[3];
    assert_int_equal(hr_roadef_start(in, m0, start, &err), 0);
    assert_int_equal(start[2], 1); /* h1 has 2 left, w3 needs 4 */
    free(m0);
    hr_roadef_free(in);
    /* a workload that fits nowhere */
    snprintf(buf, sizeof buf,
             "%s\"workloads\": [{\"name\": \"w1\", \"host\": \"h1\", \"demand\": [8]}, "
             "{\"name\": \"w2\", \"host\": \"h2\", \"demand\": [8]}, {\"name\": \"w3\", "
             "\"demand\": [4]}]}",
             head);
    assert_int_equal(from_json(buf, &in, &m0, &err), 0);
    assert_int_equal(hr_roadef_start(in, m0, start, &err), HR_EDATA);
    assert_non_null(strstr(hr_error_message(&err), "process 2 fits on no machine"));
    assert_int_equal(m0[2], -1); /* untouched on failure */
    free(m0);
    hr_roadef_free(in);
}

/* Today's placement broken: hr_roadef_start refuses it, hr_roadef_start_repair
 * moves only what breaks a constraint and keeps the rest. */
static void test_start_repair(void **state)
{
    (void)state;
    static const char json[] =
        "{\"headroom_fleet\": 1, \"resources\": [{\"name\": \"cpu\", \"unit\": \"custom\", "
        "\"unit_name\": \"u\"}], \"hosts\": [{\"name\": \"h1\", \"capacity\": [10]}, "
        "{\"name\": \"h2\", \"capacity\": [10]}, {\"name\": \"h3\", \"capacity\": [10]}], "
        "\"services\": [{\"name\": \"a\", \"distinct_hosts\": true}], "
        "\"workloads\": [{\"name\": \"a1\", \"service\": \"a\", \"host\": \"h1\", "
        "\"demand\": [2]}, {\"name\": \"a2\", \"service\": \"a\", \"host\": \"h1\", "
        "\"demand\": [2]}, {\"name\": \"big\", \"host\": \"h2\", \"demand\": [7]}, "
        "{\"name\": \"mid\", \"host\": \"h2\", \"demand\": [5]}, {\"name\": \"new\", "
        "\"demand\": [1]}]}";
    hr_roadef *in = NULL;
    int32_t *m0 = NULL, start[5], keep[5];
    uint8_t why[5];
    hr_error err = {0};
    assert_int_equal(from_json(json, &in, &m0, &err), 0);
    memcpy(keep, m0, sizeof keep);
    assert_int_equal(hr_roadef_start(in, m0, start, &err), HR_EDATA);
    assert_memory_equal(m0, keep, sizeof keep); /* untouched on failure */
    assert_int_equal(hr_roadef_start_repair(in, m0, start, why, &err), 0);
    /* a2 shares h1 with a1 (distinct hosts): it moves; h2 holds 12 > 10:
     * its largest, big, moves; a1, mid stay; new is placed */
    assert_int_equal(why[0], 0);
    assert_int_equal(why[1], 1 + HR_VIOL_CONFLICT);
    assert_int_equal(why[2], 1 + HR_VIOL_CAPACITY);
    assert_int_equal(why[3], 0);
    assert_int_equal(why[4], 0);
    assert_int_equal(start[0], 0);
    assert_int_equal(start[3], 1);
    assert_int_not_equal(start[1], 0);
    assert_int_not_equal(start[2], 1);
    assert_true(start[4] >= 0);
    for (int i = 0; i < 5; i++) assert_int_equal(m0[i], start[i]); /* repairs are not moves */
    hr_roadef_report rep;
    assert_int_equal(hr_roadef_check(in, m0, start, &rep, NULL), 0);
    hr_roadef_report_release(&rep);
    assert_int_equal(hr_roadef_start_repair(in, m0, start, NULL, &err), HR_EINVAL);
    free(m0);
    hr_roadef_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swap_needs_parking), cmocka_unit_test(test_a2_1_plan),
        cmocka_unit_test(test_a1_1_solved_plan),   cmocka_unit_test(test_from_fleet),
        cmocka_unit_test(test_fleet_place),        cmocka_unit_test(test_fleet_refused),
        cmocka_unit_test(test_start_repair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
