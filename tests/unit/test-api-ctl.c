/* The daemon's control loop (daemon/ctl.c) on a real store, rounds run one
 * at a time by the test (the thread's interval is an hour): approve waits
 * for the next round and is carried out there, or refused as stale when the
 * fleet changed; apply carries out at once, once; plans say why they are
 * empty; fleets are planned apart. The sim driver over 8 workloads fed with
 * three PlanetLab days (tests/data/planetlab), as tests/cli/serve-loop.sh. */
#include "testutil.h"

#include "daemon/ctl.h"

#include <unistd.h>

#define NVM 8

static char dir[256];
static double u_day[3][288];
static hrd_store *st;
static hrd_ctl *cl;
static int64_t t0 = 1700000000;

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
            assert_int_equal(hr_parse_double(line, strcspn(line, "\n"), &u_day[f][i]), 0);
        }
        fclose(in);
    }
}

static void add_workload(const char *name, const char *fleet, int series)
{
    char s[32];
    snprintf(s, sizeof s, "vm.cpu,vm=vm%d", series);
    json_t *o = json_pack("{s:s, s:s}", "name", name, "series", s);
    if (fleet) json_object_set_new(o, "fleet", json_string(fleet));
    assert_int_equal(hrd_obj_put(st, "workloads", name, o, true, NULL), 0);
    json_decref(o);
}

/* Step k of every VM's trace (percent), VM i: trace i % 3 shifted by (i / 3) * 96. */
static void ingest(size_t k)
{
    for (int i = 0; i < NVM; i++) {
        char s[32];
        snprintf(s, sizeof s, "vm.cpu,vm=vm%d", i);
        int64_t t = t0 + 300 * (int64_t)k;
        double v = u_day[i % 3][(k + (size_t)(i / 3) * 96) % 288];
        hrd_write w = {s, NULL, &t, &v, 1};
        assert_int_equal(hrd_store_write(st, &w, 1, NULL, NULL), 0);
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hr-test-ctl-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    hrd_store_opts o = {.dir = dir, .maintain_sec = 3600};
    if (hrd_store_open(&o, &st, NULL) < 0) return -1;
    hrd_config c;
    hrd_config_defaults(&c);
    c.loop_interval_sec = 3600; /* the test runs the rounds */
    c.loop_sim_step_sec = 300;
    snprintf(c.data, sizeof c.data, "%s", dir);
    if (hrd_ctl_start(st, &c, &cl, NULL) < 0) return -1;
    for (int i = 0; i < NVM; i++) {
        char n[16];
        snprintf(n, sizeof n, "vm%d", i);
        add_workload(n, NULL, i);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hrd_ctl_stop(cl);
    hrd_store_close(st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static json_t *plan_of(const char *fleet)
{
    json_t *p = hrd_ctl_plan(cl, fleet);
    assert_non_null(p);
    return p;
}

static const char *str(const json_t *p, const char *key)
{
    const char *s = json_string_value(json_object_get(p, key));
    assert_non_null(s);
    return s;
}

static json_int_t num(const json_t *p, const char *key)
{
    return json_integer_value(json_object_get(p, key));
}

/* Whether the journal has plan `id` carried out. */
static bool journaled(json_int_t id)
{
    json_t *items = NULL;
    assert_int_equal(hrd_journal_list(st, 0, 1000, &items, NULL), 0);
    bool found = false;
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *e = json_array_get(items, i);
        json_t *b = json_object_get(e, "body");
        found |= !strcmp(str(e, "kind"), "plan") && num(b, "id") == id &&
                 !strcmp(str(b, "status"), "applied");
    }
    json_decref(items);
    return found;
}

/* Observe: round 0 proposes the consolidation; approve marks it, the next
 * round carries it out (the same plan, journaled); a second approve is
 * refused; later plans are empty and say why. */
static void test_approve_next_round(void **state)
{
    (void)state;
    assert_null(hrd_ctl_plan(cl, "default")); /* no round yet */
    ingest(0);
    assert_int_equal(hrd_ctl_round(cl, NULL), 0);
    json_t *p = plan_of("default");
    assert_string_equal(str(p, "status"), "proposed");
    assert_string_equal(str(p, "mode"), "observe");
    assert_true(json_is_true(json_object_get(p, "dry_run")));
    size_t n = json_array_size(json_object_get(p, "actions"));
    assert_true(n >= 5); /* PlanetLab's ~10 % loads: most hosts drained at once */
    char want[64];
    snprintf(want, sizeof want, "%zu actions: %zu migrations, 0 resizes", n, n);
    assert_string_equal(str(p, "summary"), want);
    json_int_t id = num(p, "id");
    assert_true(id > 0);
    json_decref(p);

    json_t *out = NULL;
    hr_error err = {0};
    assert_int_equal(hrd_ctl_execute(cl, "default", id + 1, "approve", &out, &err), HR_EINVAL);
    assert_int_equal(hrd_ctl_execute(cl, "nosuch", 0, "approve", &out, &err), HR_ENOTFOUND);
    assert_int_equal(hrd_ctl_execute(cl, "default", id, "approve", &out, &err), 0);
    assert_string_equal(str(out, "status"), "approved");
    assert_int_equal(num(out, "applied"), 0);
    json_decref(out);
    assert_int_equal(hrd_ctl_execute(cl, "default", id, "approve", NULL, &err), HR_EEXIST);
    assert_false(journaled(id));

    ingest(1);
    assert_int_equal(hrd_ctl_round(cl, NULL), 0);
    p = plan_of("default");
    assert_int_equal(num(p, "id"), id);
    assert_string_equal(str(p, "status"), "applied");
    assert_int_equal(num(p, "applied"), (json_int_t)n);
    assert_false(json_is_true(json_object_get(p, "dry_run")));
    json_decref(p);
    assert_true(journaled(id));
    assert_int_equal(hrd_ctl_execute(cl, "default", id, "apply", NULL, &err), HR_EEXIST);

    /* Consolidated: the next plans are empty, and say why. */
    for (size_t k = 2; k < 6; k++) {
        ingest(k);
        assert_int_equal(hrd_ctl_round(cl, NULL), 0);
    }
    p = plan_of("default");
    assert_int_equal(json_array_size(json_object_get(p, "actions")), 0);
    assert_true(json_is_null(json_object_get(p, "id")));
    assert_non_null(strstr(str(p, "summary"), "no action: 1 active hosts at "));
    json_decref(p);
    assert_int_equal(hrd_ctl_rounds(cl), 6);
}

/* Approved, then the fleet changes (a workload joins) before the next
 * round: not carried out, re-planned, and the new plan says why. */
static void test_approve_stale(void **state)
{
    (void)state;
    ingest(0);
    assert_int_equal(hrd_ctl_round(cl, NULL), 0);
    json_t *p = plan_of("default");
    json_int_t id = num(p, "id");
    json_decref(p);
    assert_int_equal(hrd_ctl_execute(cl, "default", id, "approve", NULL, NULL), 0);
    add_workload("vm8", NULL, 0);
    ingest(1);
    assert_int_equal(hrd_ctl_round(cl, NULL), 0);
    p = plan_of("default");
    assert_true(num(p, "id") != id);
    assert_string_equal(str(p, "status"), "proposed");
    char note[128];
    snprintf(note, sizeof note, "plan %lld was approved but the fleet changed", (long long)id);
    assert_non_null(strstr(str(p, "note"), note));
    assert_true(json_array_size(json_object_get(p, "actions")) >= 5); /* a new consolidation */
    json_decref(p);
    assert_false(journaled(id));
}

/* Apply carries out at once; fleets are planned apart, each in its mode. */
static void test_apply_and_fleets(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        char n[16];
        snprintf(n, sizeof n, "lab%d", i);
        add_workload(n, "lab", i);
    }
    assert_int_equal(hrd_mode_set(st, "lab", "predictive", NULL), 0);
    ingest(0);
    assert_int_equal(hrd_ctl_round(cl, NULL), 0);
    json_t *p = plan_of("default");
    json_int_t id = num(p, "id");
    json_decref(p);
    json_t *out = NULL;
    assert_int_equal(hrd_ctl_execute(cl, "default", 0, "apply", &out, NULL), 0);
    assert_int_equal(num(out, "id"), id);
    assert_string_equal(str(out, "status"), "applied");
    assert_true(num(out, "applied") >= 5);
    json_decref(out);
    assert_true(journaled(id));
    p = plan_of("lab");
    assert_string_equal(str(p, "fleet"), "lab");
    assert_string_equal(str(p, "mode"), "predictive");
    assert_string_equal(str(p, "status"), "applied"); /* acted by the loop */
    json_t *acts = json_object_get(p, "actions");
    assert_true(json_array_size(acts) >= 1);
    for (size_t i = 0; i < json_array_size(acts); i++)
        assert_memory_equal(str(json_array_get(acts, i), "workload"), "lab", 3);
    json_decref(p);
}

int main(void)
{
    load_days();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_approve_next_round, setup, teardown),
        cmocka_unit_test_setup_teardown(test_approve_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_and_fleets, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
