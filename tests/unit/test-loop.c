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
    return 0;
}

static int apply(void *ud, const hr_action *a, size_t n, hr_error *err)
{
    world *w = ud;
    logc(w, 'a');
    if (w->fail_apply) return hr_error_set(err, HR_EIO, "driver down");
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rounds),
                                       cmocka_unit_test(test_errors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
