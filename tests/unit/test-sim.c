/* The twin against hand computation (tiny traces) and against CloudSim 3.0.3
 * on PlanetLab 20110303 (published figures and per-VM lifetimes). */
#include "testutil.h"

#include <headroom/fleet.h>
#include <headroom/sim.h>

/* Sanitizer builds (-O0 and instrumented, 5-10 x slower) run the whole-day
 * cases on fewer policies and VMs; the normal build checks every figure. */
#if defined(__SANITIZE_ADDRESS__)
#define SIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_SANITIZED 1
#endif
#endif
#ifndef SIM_SANITIZED
#define SIM_SANITIZED 0
#endif

static bool light(void)
{
    return SIM_SANITIZED || under_valgrind();
}

/* SPECpower table of the HP ProLiant ML110 G5 and CloudSim's interpolation,
 * written out here independently of the library. */
static double g5_watts(double u)
{
    static const double w[] = {93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135};
    int lo = (int)floor(u * 10), hi = (int)ceil(u * 10);
    return w[lo] + (w[hi] - w[lo]) / 10 * (u - lo / 10.0) * 100;
}

static hr_trace *load(const char *rel)
{
    hr_trace *t = NULL;
    hr_error err = {0};
    int rc = hr_trace_load(test_data(rel), &t, &err);
    if (rc < 0) print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return t;
}

static hr_sim_result run(const hr_trace *t, const char *policy, size_t nhosts, uint64_t seed)
{
    hr_sim_opts o = {
        .policy = policy, .param = NAN, .nhosts = nhosts, .seed = seed, .watch_vm = -1};
    hr_sim_result r;
    hr_error err = {0};
    int rc = hr_sim_run(t, &o, &r, &err);
    if (rc < 0) print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return r;
}

/* One VM at 50 % on a G5 host, one that stops at once. */
static void test_power_and_removal(void **state)
{
    (void)state;
    hr_trace *t = load("sim/removal");
    assert_int_equal(t->nvms, 2);
    assert_int_equal(t->nsteps, 4);
    hr_sim_result r = run(t, "dvfs", 2, 0);
    /* VM 0 (2500 MIPS) and VM 1 (2000) only fit the G5 host 1. Updates at
     * 300.1, 600.1, 900.1; the first interval costs nothing (previous
     * utilisation 0); then 1250 MIPS of 5320 for 2 x 300 s. */
    assert_near(r.energy_kwh, 600 * g5_watts(1250.0 / 5320) / 3.6e6, 1e-12);
    /* VM 1 reads 0 at samples 1 and 2: removed at the first update. */
    assert_int_equal(r.vms_removed, 1);
    assert_near(r.life[1].last_t, 300.1, 1e-9);
    assert_int_equal(r.life[1].entries, 1);
    assert_int_equal(r.life[1].final_host, -1);
    assert_near(r.life[0].last_t, 900.1, 1e-9);
    assert_int_equal(r.life[0].entries, 3);
    assert_int_equal(r.life[0].final_host, 1);
    assert_int_equal(r.migrations, 0);
    assert_near(r.slatah, 0, 0);
    hr_sim_result_release(&r);
    /* NPA: every host at full power from 0 to the last update. */
    r = run(t, "npa", 2, 0);
    assert_near(r.energy_kwh, (117.0 + 135.0) * 900.1 / 3.6e6, 1e-12);
    hr_sim_result_release(&r);
    hr_trace_free(t);
}

/* Hosts from a fleet description: CloudSim's two types described as a
 * fleet give CloudSim's figures bit for bit; a linear-power host of two
 * 3000-MIPS cores is integrated by hand. */
static hr_fleet *fleet_of(const hr_host *hosts, size_t n)
{
    hr_fleet *f = NULL;
    assert_int_equal(hr_fleet_new(&f), 0);
    const hr_resource res[] = {{.name = "cpu", .unit = HR_UNIT_MIPS},
                               {.name = "memory", .unit = HR_UNIT_BYTES},
                               {.name = "network", .unit = HR_UNIT_BITS_PER_SEC}};
    for (size_t i = 0; i < 3; i++) assert_true(hr_fleet_add_resource(f, &res[i], NULL) >= 0);
    for (size_t i = 0; i < n; i++) assert_int_equal(hr_fleet_add_host(f, &hosts[i], NULL), (int)i);
    return f;
}

static void test_fleet_hosts(void **state)
{
    (void)state;
    hr_trace *t = load("sim/removal");
    int64_t g4[] = {2 * 1860, INT64_C(4096) << 20, 1000000000};
    int64_t g5[] = {2 * 2660, INT64_C(4096) << 20, 1000000000};
    hr_host cs[2] = {
        {.name = "g4",
         .capacity = g4,
         .cores = 2,
         .site = HR_NONE,
         .location = HR_NONE,
         .neighbourhood = HR_NONE,
         .power = {.kind = HR_POWER_TABLE,
                   .table_w = {86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117}}},
        {.name = "g5",
         .capacity = g5,
         .cores = 2,
         .site = HR_NONE,
         .location = HR_NONE,
         .neighbourhood = HR_NONE,
         .power = {.kind = HR_POWER_TABLE,
                   .table_w = {93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135}}},
    };
    hr_fleet *f = fleet_of(cs, 2);
    hr_sim_opts o = {.policy = "dvfs", .param = NAN, .fleet = f, .watch_vm = -1};
    hr_sim_result a, b = run(t, "dvfs", 2, 0);
    hr_error err = {0};
    assert_int_equal(hr_sim_run(t, &o, &a, &err), 0);
    assert_int_equal(a.hosts, 2);
    assert_memory_equal(&a.energy_kwh, &b.energy_kwh, sizeof a.energy_kwh);
    assert_int_equal(a.life[0].final_host, 1);
    hr_sim_result_release(&a);
    hr_sim_result_release(&b);
    hr_fleet_free(f);
    /* one host, linear 100..200 W, 2 x 3000 MIPS: VM 0 asks 1250 MIPS */
    int64_t big[] = {6000, INT64_C(8192) << 20, 1000000000};
    hr_host lin = {.name = "lin",
                   .capacity = big,
                   .cores = 2,
                   .site = HR_NONE,
                   .location = HR_NONE,
                   .neighbourhood = HR_NONE,
                   .power = {.kind = HR_POWER_LINEAR, .idle_w = 100, .max_w = 200}};
    f = fleet_of(&lin, 1);
    o.fleet = f;
    assert_int_equal(hr_sim_run(t, &o, &a, &err), 0);
    assert_near(a.energy_kwh, 600 * (100 + 100 * (1250.0 / 6000)) / 3.6e6, 1e-12);
    assert_int_equal(a.vms_removed, 1);
    hr_sim_result_release(&a);
    /* the same host with one 3000-MIPS core cannot take both VMs */
    f->hosts[0].cores = 1;
    f->hosts[0].capacity[0] = 3000;
    assert_int_equal(hr_sim_run(t, &o, &a, &err), HR_EDATA);
    assert_non_null(strstr(err.msg, "fits no host"));
    f->hosts[0].cores = 0;
    assert_int_equal(hr_sim_run(t, &o, &a, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "\"lin\""));
    hr_fleet_free(f);
    hr_trace_free(t);
}

/* The pair as a fleet description (hosts, VM sizes, trace files) gives
 * the same run as the folder on CloudSim's hosts, bit for bit. */
static void test_fleet_json(void **state)
{
    (void)state;
    hr_trace *f = load("sim/fleet-pair.json"), *d = load("sim/pair");
    assert_non_null(f->fleet);
    assert_int_equal(f->nvms, 2);
    assert_string_equal(f->names[1], "vm-b");
    assert_near(f->vm_mips[0], 2500, 0);
    assert_int_equal(f->vm_ram_mb[1], 1740);
    assert_int_equal(f->vm_bw[0], 100000);
    hr_sim_result a = run(f, "thr-mmt", 0, 0), b = run(d, "thr-mmt", 4, 0);
    assert_int_equal(a.hosts, 4);
    assert_int_equal(a.migrations, 1);
    assert_memory_equal(&a.energy_kwh, &b.energy_kwh, sizeof a.energy_kwh);
    assert_memory_equal(&a.slatah, &b.slatah, sizeof a.slatah);
    assert_memory_equal(&a.pdm, &b.pdm, sizeof a.pdm);
    assert_memory_equal(a.life, b.life, a.vms * sizeof *a.life);
    hr_sim_result_release(&a);
    hr_sim_result_release(&b);
    hr_trace_free(f);
    hr_trace_free(d);
    hr_trace *t = NULL;
    hr_error err = {0};
    assert_int_equal(hr_trace_load(test_data("sim/fleet-notrace.json"), &t, &err), HR_EDATA);
    assert_non_null(strstr(err.msg, "workloads[1] (\"no-trace\")"));
}

/* Two VMs at 10 % on two G5 hosts: the under-utilised host is drained at
 * 300.1 (one migration of 1740 MB, 27.84 s) and nothing moves after. */
static void test_migration_degradation(void **state)
{
    (void)state;
    hr_trace *t = load("sim/pair");
    hr_sim_result r = run(t, "thr-mmt", 4, 0);
    assert_int_equal(r.migrations, 1);
    double mig = 1740 / 62.5; /* 27.84 s */
    assert_near(mig, 27.84, 1e-12);
    double tm = 300.1 + mig;
    /* Host 1 (VM 0, 250 MIPS) receives VM 1 (200 MIPS): during the move it
     * gives VM 1 10 % (20 MIPS) while 450 are requested, a violation of
     * 27.84 s; host 3 gives VM 1 90 % (180), counted as 200. Active time:
     * host 1 from 300.1 to 900.1, host 3 until the move ends. */
    assert_near(r.slatah, mig / (600 + mig), 1e-12);
    /* VM 1 loses 10 % of 200 MIPS for 27.84 s, of 250 x 600 + 200 x 600. */
    assert_near(r.pdm, 20 * mig / (250.0 * 600 + 200.0 * 600), 1e-12);
    assert_near(r.slav, r.slatah * r.pdm, 1e-18);
    double e = g5_watts(270.0 / 5320) * mig + g5_watts(200.0 / 5320) * mig +
               g5_watts(450.0 / 5320) * ((600.1 - tm) + 300);
    assert_near(r.energy_kwh, e / 3.6e6, 1e-12);
    assert_near(r.esv, r.energy_kwh * r.slav, 1e-18);
    /* Hosts 0 and 2 never run anything (one "shutdown" each at their first
     * entry, 300.1); host 3 goes idle when the move ends. */
    assert_int_equal(r.host_shutdowns, 3);
    assert_near(r.shutdown_mean_s, (300.1 + 300.1 + tm) / 3, 1e-9);
    assert_int_equal(r.life[1].final_host, 1);
    assert_int_equal(r.life[0].final_host, 1);
    hr_sim_result_release(&r);
    hr_trace_free(t);
}

/* The recorder on the pair: host 1 owns VM 0 (250 MIPS of 5320) at 300.1,
 * when VM 1 (200 MIPS) starts moving in from host 3; it owns both after. */
static void test_series(void **state)
{
    (void)state;
    hr_trace *t = load("sim/pair");
    hr_sim_opts o = {.policy = "thr-mmt",
                     .param = NAN,
                     .nhosts = 4,
                     .series = true,
                     .watch_vm = 1,
                     .watch_host = 1};
    hr_sim_result r;
    hr_error err = {0};
    assert_int_equal(hr_sim_run(t, &o, &r, &err), 0);
    assert_int_equal(r.rounds, 3);
    assert_int_equal(r.watch_host, 1);
    const double t_want[] = {300.1, 600.1, 900.1}, active[] = {2, 1, 1};
    const double demand[] = {250.0 / 5320, 450.0 / 5320, 450.0 / 5320};
    for (size_t i = 0; i < 3; i++) {
        assert_near(r.t_s[i], t_want[i], 1e-9);
        assert_near(r.active_hosts[i], active[i], 0);
        assert_near(r.host_demand[i], demand[i], 1e-15);
        assert_near(r.watch_demand[i], 0.1, 1e-15);
        assert_true(isnan(r.host_fc_mean[i])); /* a baseline forecasts nothing */
    }
    assert_near(r.energy_cum_kwh[2], r.energy_kwh, 1e-12);
    assert_true(r.energy_cum_kwh[0] < r.energy_cum_kwh[1]);
    hr_sim_result_release(&r);
    /* the predictive policy forecasts the host: mean within its band */
    o.policy = "predictive";
    assert_int_equal(hr_sim_run(t, &o, &r, &err), 0);
    assert_true(isnan(r.host_fc_mean[0])); /* nothing forecast before the first round */
    for (size_t i = 1; i < r.rounds; i++) {
        assert_false(isnan(r.host_fc_mean[i]));
        assert_true(r.host_fc_lo[i] <= r.host_fc_mean[i] && r.host_fc_mean[i] <= r.host_fc_hi[i]);
    }
    hr_sim_result_release(&r);
    o.watch_host = 4;
    assert_int_equal(hr_sim_run(t, &o, &r, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "host 4"));
    hr_trace_free(t);
}

/* CloudSim 3.0.3's figures on 20110303 (docs: cloudsim-model.md), printed
 * with 5 decimals for energy and 4 for percentages. */
static void test_cloudsim_20110303(void **state)
{
    (void)state;
    hr_trace *t = load("sim/planetlab-20110303");
    assert_int_equal(t->nvms, 1052);
    struct {
        const char *policy;
        double e;
        size_t mig;
        double slatah, pdm;
        size_t shutdowns;
    } want[] = {
        {"npa", 2410.80280, 0, 0, 0, 455},
        {"dvfs", 802.75449, 0, 0, 0, 455},
        {"thr-mmt", 192.62307, 26711, 4.9133, 0.0646, 5885},
        {"lr-mmt", 163.47722, 27859, 5.8579, 0.0793, 5053},
        {"lrr-mmt", 163.47722, 27859, 5.8579, 0.0793, 5053},
    };
    size_t n = under_valgrind() ? 2 : SIM_SANITIZED ? 3 : sizeof want / sizeof want[0];
    for (size_t i = 0; i < n; i++) {
        hr_sim_result r = run(t, want[i].policy, 0, 0);
        assert_near(r.energy_kwh, want[i].e, 0.5e-5);
        assert_int_equal(r.migrations, want[i].mig);
        assert_near(r.slatah * 100, want[i].slatah, 0.5e-4);
        assert_near(r.pdm * 100, want[i].pdm, 0.5e-4);
        assert_int_equal(r.host_shutdowns, want[i].shutdowns);
        assert_int_equal(r.vms_removed, 532);
        hr_sim_result_release(&r);
    }
    hr_trace_free(t);
}

/* The predictive policy against CloudSim's LR-MMT-1.2 on 20110303: ESV at
 * most half, energy no higher, SLATAH lower; every action with a reason. */
static void test_predictive_beats_lr(void **state)
{
    (void)state;
    if (under_valgrind()) skip();
    hr_trace *t = load("sim/planetlab-20110303");
    hr_sim_result r = run(t, "predictive", 0, 0);
    assert_true(r.esv <= 0.5 * 7.59167e-3);
    assert_true(r.energy_kwh <= 163.47722);
    assert_true(r.slatah < 0.058579);
    assert_true(r.migrations > 0);
    assert_int_equal(r.predictive_actions, r.migrations);
    assert_true(r.nreasons > 0);
    assert_non_null(strstr(r.reasons[0], "VM "));
    hr_sim_result_release(&r);
    hr_trace_free(t);
}

/* Per-VM lifetimes of LR-MMT-1.2 against CloudSim's state histories. */
static void test_lifetimes(void **state)
{
    (void)state;
    if (light()) skip();
    hr_trace *t = load("sim/planetlab-20110303");
    hr_sim_result r = run(t, "lr-mmt", 0, 0);
    FILE *f = fopen(test_data("sim/cloudsim-vm-lifetime-20110303-lr_mmt_1.2-sorted.tsv"), "r");
    assert_non_null(f);
    char line[1024];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    size_t rows = 0;
    while (fgets(line, sizeof line, f)) {
        /* vm mips ram trace_file hist_entries first_t last_t final_host
         * (the file name may hold a space: split on tabs) */
        char *fld[8];
        size_t k = 0;
        for (char *p = line; k < 8 && p; k++) {
            fld[k] = p;
            p = strchr(p, '\t');
            if (p) *p++ = '\0';
        }
        assert_int_equal(k, 8);
        size_t vm = (size_t)strtoul(fld[0], NULL, 10);
        assert_int_equal(vm, rows);
        assert_string_equal(fld[3], t->names[vm]);
        assert_int_equal(r.life[vm].entries, strtoul(fld[4], NULL, 10));
        assert_near(r.life[vm].first_t, strtod(fld[5], NULL), 0.051);
        assert_near(r.life[vm].last_t, strtod(fld[6], NULL), 0.051);
        assert_int_equal(r.life[vm].final_host, strtol(fld[7], NULL, 10));
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, 1052);
    hr_sim_result_release(&r);
    hr_trace_free(t);
}

/* Same seed, same result bit for bit; RS with another seed differs. Light
 * builds replay the first quarter of the VMs. */
static void test_determinism(void **state)
{
    (void)state;
    hr_trace *t = load("sim/planetlab-20110303");
    hr_trace view = *t;
    if (light()) view.nvms /= 4;
    const hr_trace *tv = &view;
    hr_sim_result a = run(tv, "thr-rs", 0, 7), b = run(tv, "thr-rs", 0, 7);
    assert_memory_equal(&a.energy_kwh, &b.energy_kwh, sizeof a.energy_kwh);
    assert_memory_equal(&a.slatah, &b.slatah, sizeof a.slatah);
    assert_memory_equal(&a.pdm, &b.pdm, sizeof a.pdm);
    assert_int_equal(a.migrations, b.migrations);
    assert_memory_equal(a.life, b.life, a.vms * sizeof *a.life);
    hr_sim_result c = run(tv, "thr-rs", 0, 8);
    assert_true(c.energy_kwh != a.energy_kwh || c.migrations != a.migrations);
    /* CloudSim's two unseeded THR-RS-0.8 runs: 183.52 and 183.91 kWh */
    if (!light()) assert_near(a.energy_kwh, 183.7, 3);
    hr_sim_result_release(&a);
    hr_sim_result_release(&b);
    hr_sim_result_release(&c);
    hr_trace_free(t);
}

static void test_errors(void **state)
{
    (void)state;
    hr_trace *t = NULL;
    hr_error err = {0};
    assert_int_equal(hr_trace_load(test_data("sim/no-such-dir"), &t, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "no-such-dir"));
    t = load("sim/pair");
    hr_sim_opts o = {.policy = "thr-xyz", .param = NAN, .watch_vm = -1};
    hr_sim_result r;
    assert_int_equal(hr_sim_run(t, &o, &r, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "thr-xyz"));
    o.policy = "thr-mmt";
    o.param = -1;
    assert_int_equal(hr_sim_run(t, &o, &r, &err), HR_EINVAL);
    double p;
    assert_true(hr_sim_policy_known("mad-mc", &p));
    assert_near(p, 2.5, 0);
    assert_true(hr_sim_policy_known("dvfs", &p));
    assert_true(isnan(p));
    assert_false(hr_sim_policy_known("lr", NULL));
    hr_trace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_and_removal),
        cmocka_unit_test(test_migration_degradation),
        cmocka_unit_test(test_series),
        cmocka_unit_test(test_fleet_hosts),
        cmocka_unit_test(test_fleet_json),
        cmocka_unit_test(test_cloudsim_20110303),
        cmocka_unit_test(test_lifetimes),
        cmocka_unit_test(test_predictive_beats_lr),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
