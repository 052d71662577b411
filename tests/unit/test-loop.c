/* The control loop over a virtual clock, a scripted telemetry source, a
 * planner and a recording driver: order of the phases, actions and errors. */
#include "testutil.h"

#include <headroom/loop.h>

typedef struct world {
    double t;
    int rounds_left;
    char log[256];
    hr_obs obs;
    hr_obs_workload wl[1];
    int applied_to[8];
    int napplied;
    bool fail_apply;
    bool propose;  /* the driver applies nothing (observe) */
    size_t learnt; /* actions learn heard of last */
} world;

static void logc(world *w, char c)
{
    size_t n = strlen(w->log);
    if (n + 1 < sizeof w->log) w->log[n] = c, w->log[n + 1] = '\0';
}

static double now(void *ud)
{
    return ((world *)ud)->t;
}

static int advance(void *ud)
{
    world *w = ud;
    w->t += 300;
    return --w->rounds_left > 0 ? 0 : 1;
}

static int observe(void *ud, double t, const hr_obs **out, hr_error *err)
{
    world *w = ud;
    logc(w, 'o');
    w->obs.now_s = t;
    w->wl[0].demand_mips = t >= 600 ? 900 : 100; /* load rises at the third round */
    w->obs.wl = w->wl;
    w->obs.nworkloads = 1;
    *out = &w->obs;
    return 0;
}

static int forecast(void *ud, const hr_obs *obs, hr_error *err)
{
    logc(ud, 'f');
    return 0;
}

static int plan(void *ud, const hr_obs *obs, hr_actions *out, hr_error *err)
{
    logc(ud, 'p');
    if (obs->wl[0].demand_mips > 500)
        return hr_actions_migrate(out, 0, 0, 1, "demand %.0f > 500", obs->wl[0].demand_mips);
    return 0;
}

static int learn(void *ud, const hr_obs *obs, const hr_actions *applied, hr_error *err)
{
    logc(ud, 'l');
    ((world *)ud)->learnt = applied->len;
    return 0;
}

static int apply(void *ud, const hr_action *a, size_t n, hr_error *err)
{
    world *w = ud;
    logc(w, 'a');
    if (w->fail_apply) return hr_error_set(err, HR_EIO, "driver down");
    if (w->propose) return 0;
    for (size_t i = 0; i < n && w->napplied < 8; i++) w->applied_to[w->napplied++] = a[i].to;
    return (int)n;
}

static const hr_clock_ops clk = {now, advance};
static const hr_telemetry_ops tel = {observe};
static const hr_planner_ops pl = {"test", forecast, plan, learn};
static const hr_driver_ops drv = {apply};

static void test_rounds(void **state)
{
    (void)state;
    world w = {.t = 0, .rounds_left = 4};
    hr_loop l;
    hr_error err = {0};
    assert_int_equal(hr_loop_init(&l, &clk, &w, &tel, &w, &pl, &w, &drv, &w, &err), 0);
    assert_int_equal(hr_loop_step(&l, &err), 0); /* t = 0 */
    assert_string_equal(w.log, "ofpl");          /* nothing to act on */
    assert_int_equal(hr_loop_run(&l, NULL, NULL, &err), 0);
    /* t = 300: quiet; t = 600, 900: the planner migrates, the driver acts */
    assert_string_equal(w.log, "ofplofplofpalofpal");
    assert_int_equal(l.rounds, 4);
    assert_int_equal(l.applied, 2);
    assert_int_equal(w.napplied, 2);
    assert_int_equal(w.applied_to[0], 1);
    assert_int_equal(l.actions.len, 1);
    assert_string_equal(l.actions.items[0].reason, "demand 900 > 500");
    hr_loop_release(&l);
}

static void test_errors(void **state)
{
    (void)state;
    world w = {.t = 600, .rounds_left = 4, .fail_apply = true};
    hr_loop l;
    hr_error err = {0};
    hr_planner_ops none = {0};
    assert_int_equal(hr_loop_init(&l, &clk, &w, &tel, &w, &none, &w, &drv, &w, &err), HR_EINVAL);
    assert_int_equal(hr_loop_init(&l, &clk, &w, &tel, &w, &pl, &w, &drv, &w, &err), 0);
    assert_int_equal(hr_loop_step(&l, &err), HR_EIO);
    assert_string_equal(err.msg, "driver down");
    assert_int_equal(l.rounds, 0);
    hr_loop_release(&l);
    hr_actions a;
    hr_actions_init(&a, 2);
    assert_int_equal(hr_actions_migrate(&a, 1, 2, 3, "x"), 0);
    assert_int_equal(hr_actions_migrate(&a, 1, 2, 3, "y"), 0);
    assert_int_equal(hr_actions_migrate(&a, 1, 2, 3, "z"), HR_ELIMIT);
    hr_actions_release(&a);
}

/* learn hears of the round's actions only when the driver applied some: a
 * plan only proposed (observe) is not learnt as carried out. */
static void test_learn_applied(void **state)
{
    (void)state;
    world w = {.t = 600, .rounds_left = 4, .propose = true};
    hr_loop l;
    assert_int_equal(hr_loop_init(&l, &clk, &w, &tel, &w, &pl, &w, &drv, &w, NULL), 0);
    assert_int_equal(hr_loop_step(&l, NULL), 0);
    assert_string_equal(w.log, "ofpal");
    assert_int_equal(l.actions.len, 1);
    assert_int_equal(w.learnt, 0);
    assert_int_equal(l.applied, 0);
    w.propose = false;
    assert_int_equal(hr_loop_step(&l, NULL), 0);
    assert_int_equal(w.learnt, 1);
    assert_int_equal(l.applied, 1);
    hr_loop_release(&l);
}

/* A resize names the workload, its host (from = to) and the limits. */
static void test_resize(void **state)
{
    (void)state;
    hr_actions a;
    hr_actions_init(&a, 2);
    assert_int_equal(hr_actions_migrate(&a, 1, 2, 3, "m"), 0);
    assert_int_equal(hr_actions_resize(&a, 4, 5, 1500, 1 << 30, "cpu %d", 2), 0);
    assert_int_equal(hr_actions_resize(&a, 4, 5, 1, 1, "x"), HR_ELIMIT);
    assert_int_equal(a.items[0].kind, HR_ACT_MIGRATE);
    assert_true(a.items[0].cpu_millis == 0 && a.items[0].mem_bytes == 0);
    const hr_action *r = &a.items[1];
    assert_int_equal(r->kind, HR_ACT_RESIZE);
    assert_true(r->workload == 4 && r->from == 5 && r->to == 5);
    assert_true(r->cpu_millis == 1500 && r->mem_bytes == (int64_t)1 << 30);
    assert_string_equal(r->reason, "cpu 2");
    hr_actions_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rounds), cmocka_unit_test(test_errors),
                                       cmocka_unit_test(test_learn_applied),
                                       cmocka_unit_test(test_resize)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
