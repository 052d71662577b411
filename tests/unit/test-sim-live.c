/* The live twin (lib/sim/live.c): the model fed one round at a time from
 * outside, as headroom serve's sim driver, with the twin's planners through
 * hr_loop_step. Utilisations: three PlanetLab days (tests/data/planetlab). */
#include "testutil.h"

#include <headroom/loop.h>
#include <headroom/util.h>
#include <headroom/sim.h>

#define NVM 8

static double u_day[3][288];

static void load_days(void)
{
    static const char *files[3] = {"planetlab/146-179_surfsnel_dsl_internl_net_root",
                                   "planetlab/kc-sce-plab2_umkc_edu_ rnp_dcc_ufjf",
                                   "planetlab/planetlab1_fit_vutbr_cz_nyu_d"};
    for (int f = 0; f < 3; f++) {
        FILE *in = fopen(test_data(files[f]), "r");
        assert_non_null(in);
        char line[64];
        for (int i = 0; i < 288; i++) {
            assert_non_null(fgets(line, sizeof line, in));
            double v;
            assert_int_equal(hr_parse_double(line, strcspn(line, "\n"), &v), 0);
            u_day[f][i] = v / 100;
        }
        fclose(in);
    }
}

/* VM i at step k: trace i % 3 shifted by (i / 3) * 96 steps. */
static double u_at(int i, size_t k)
{
    return u_day[i % 3][(k + (size_t)(i / 3) * 96) % 288];
}

static double clk_now(void *ud)
{
    (void)ud;
    return 0;
}

static int clk_advance(void *ud)
{
    (void)ud;
    return 0;
}

static const hr_clock_ops clk = {clk_now, clk_advance};

/* One round: feed step k, step the loop; the actions planned into *acts. */
static size_t round_(hr_sim_live *lv, const char *policy, bool act, size_t k, hr_actions *acts)
{
    double u[NVM];
    for (int i = 0; i < NVM; i++) u[i] = u_at(i, k);
    assert_int_equal(hr_sim_live_feed(lv, u, NVM, NULL), 0);
    const hr_planner_ops *po = NULL;
    void *pu = NULL;
    assert_int_equal(hr_sim_live_planner(lv, policy, &po, &pu, NULL), 0);
    hr_loop l;
    assert_int_equal(hr_loop_init(&l, &clk, NULL, hr_sim_live_telemetry(), lv, po, pu,
                                  hr_sim_live_driver(), lv, NULL),
                     0);
    if (!act) { /* plan only: a planner step without the driver */
        const hr_obs *obs = NULL;
        assert_int_equal(hr_sim_live_telemetry()->observe(lv, 0, &obs, NULL), 0);
        assert_int_equal(obs->nworkloads, NVM);
        if (po->forecast) assert_int_equal(po->forecast(pu, obs, NULL), 0);
        acts->len = 0;
        assert_int_equal(po->plan(pu, obs, acts, NULL), 0);
        hr_loop_release(&l);
        return 0;
    }
    assert_int_equal(hr_loop_step(&l, NULL), 0);
    size_t applied = l.applied;
    acts->len = 0;
    for (size_t i = 0; i < l.actions.len; i++)
        assert_int_equal(hr_actions_migrate(acts, l.actions.items[i].workload,
                                            l.actions.items[i].from, l.actions.items[i].to, "%s",
                                            l.actions.items[i].reason),
                         0);
    hr_loop_release(&l);
    return applied;
}

static void test_errors(void **state)
{
    (void)state;
    hr_sim_live *lv = NULL;
    hr_error err = {0};
    assert_int_equal(hr_sim_live_new(0, 4, 300, 0, &lv, &err), HR_EINVAL);
    assert_int_equal(hr_sim_live_new(4, 0, 300, 0, &lv, &err), HR_EINVAL);
    assert_int_equal(hr_sim_live_new(4, 4, 0, 0, &lv, &err), HR_EINVAL);
    assert_int_equal(hr_sim_live_new(4, 4, 300, HR_TRACE_MAX_STEPS, &lv, &err), HR_ELIMIT);
    /* four CloudSim VMs of 2500 MIPS do not fit one G4 host (3720 MIPS) */
    assert_int_equal(hr_sim_live_new(4, 1, 300, 10, &lv, &err), HR_EDATA);
    assert_null(lv);
    assert_int_equal(hr_sim_live_new(NVM, 7, 300, 3, &lv, &err), 0);
    double u[NVM + 1] = {0};
    assert_int_equal(hr_sim_live_feed(lv, u, NVM + 1, &err), HR_EINVAL);
    const hr_planner_ops *po;
    void *pu;
    assert_int_equal(hr_sim_live_planner(lv, "npa", &po, &pu, &err), HR_EINVAL);
    assert_int_equal(hr_sim_live_planner(lv, "best-guess", &po, &pu, &err), HR_EINVAL);
    /* the rounds run out after max_rounds; the VMs fed 0 stay (floored) */
    const hr_obs *obs;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(hr_sim_live_feed(lv, u, NVM, &err), 0);
        assert_int_equal(hr_sim_live_telemetry()->observe(lv, 0, &obs, &err), 0);
        assert_int_equal(obs->round, (size_t)k);
        for (int i = 0; i < NVM; i++) assert_true(obs->wl[i].alive);
    }
    assert_int_equal(hr_sim_live_rounds(lv), 3);
    assert_int_equal(hr_sim_live_telemetry()->observe(lv, 0, &obs, &err), HR_ELIMIT);
    hr_sim_live_free(lv);
    hr_sim_live_free(NULL);
}

/* The fed utilisation is what the model's VMs ask for at the round. */
static void test_feed_reaches_model(void **state)
{
    (void)state;
    hr_sim_live *lv = NULL;
    assert_int_equal(hr_sim_live_new(NVM, 7, 300, 0, &lv, NULL), 0);
    const hr_obs *obs;
    for (size_t k = 0; k < 5; k++) {
        double u[NVM];
        for (int i = 0; i < NVM; i++) u[i] = u_at(i, k) > 0 ? u_at(i, k) : 0.0001;
        assert_int_equal(hr_sim_live_feed(lv, u, NVM, NULL), 0);
        assert_int_equal(hr_sim_live_telemetry()->observe(lv, 0, &obs, NULL), 0);
        for (int i = 0; i < NVM; i++) {
            assert_near(obs->wl[i].demand_mips / obs->wl[i].limit_mips, u[i], 1e-9);
            assert_near(obs->wl[i].hist[0], u[i], 1e-9);
        }
    }
    hr_sim_live_free(lv);
}

/* Predictive: drains the lightest hosts at once (PlanetLab's ~10 % load on
 * hosts filled at full VM size), each action with its reason; the driver
 * carries them out; a stale repeat is skipped. thr-mmt plans too. */
static void test_plans_and_driver(void **state)
{
    (void)state;
    hr_sim_live *lv = NULL;
    assert_int_equal(hr_sim_live_new(NVM, 7, 300, 0, &lv, NULL), 0);
    hr_actions a;
    hr_actions_init(&a, 0);
    size_t applied = round_(lv, "predictive", true, 0, &a);
    assert_true(a.len >= 1);
    assert_int_equal(applied, a.len);
    for (size_t i = 0; i < a.len; i++) {
        assert_non_null(strstr(a.items[i].reason, "drain host"));
        assert_true(a.items[i].from != a.items[i].to);
    }
    size_t mig = 0;
    hr_sim_live_stats(lv, &mig, NULL);
    assert_int_equal(mig, a.len);
    /* the same actions again: the VMs are moving, nothing is applied */
    assert_int_equal(hr_sim_live_driver()->apply(lv, a.items, a.len, NULL), 0);
    /* an action naming a VM or host that does not exist is skipped */
    hr_action bad = {.kind = HR_ACT_MIGRATE, .workload = NVM, .from = 0, .to = 1};
    assert_int_equal(hr_sim_live_driver()->apply(lv, &bad, 1, NULL), 0);
    /* a day: energy grows, the planners run every round */
    double e0 = 0, e1 = 0;
    hr_sim_live_stats(lv, NULL, &e0);
    size_t total = applied;
    for (size_t k = 1; k < 288; k++)
        total += round_(lv, k < 144 ? "predictive" : "thr-mmt", true, k, &a);
    hr_sim_live_stats(lv, &mig, &e1);
    assert_true(e1 > e0);
    assert_int_equal(mig, total);
    assert_int_equal(hr_sim_live_rounds(lv), 288);
    /* plan only (observe): nothing migrates */
    round_(lv, "predictive", false, 288, &a);
    hr_sim_live_stats(lv, &mig, NULL);
    assert_int_equal(mig, total);
    hr_actions_release(&a);
    hr_sim_live_free(lv);
}

int main(void)
{
    load_days();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_feed_reaches_model),
        cmocka_unit_test(test_plans_and_driver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
