/* The in-host partition solver: exact allocations by hand, water-filling,
 * pinned cores, hysteresis, the optimality conditions on random instances,
 * PlanetLab demand quantiles, host files (YAML and JSON) and their errors,
 * forecast merging. */
#include "testutil.h"

#include <headroom/act.h>
#include <headroom/series.h>
#include <headroom/util.h>

static void demand(hr_part_demand *d, double p1, double v1, double p2, double v2)
{
    d->n = 2;
    d->levels[0] = p1;
    d->values[0] = v1;
    d->levels[1] = p2;
    d->values[1] = v2;
}

static hr_part_tenant tenant(const char *name, int prio, double cpu95, double mem95)
{
    hr_part_tenant t = {.priority = prio, .quantile = 0.95};
    snprintf(t.name, sizeof t.name, "%s", name);
    demand(&t.demand[HR_PART_CPU], 0.95, cpu95, 0.99, cpu95 * 1.2);
    demand(&t.demand[HR_PART_MEM], 0.95, mem95, 0.99, mem95 * 1.5);
    return t;
}

static void host(hr_part_host *h, size_t ncpus, int64_t mem, hr_part_tenant *t, size_t n)
{
    memset(h, 0, sizeof *h);
    snprintf(h->name, sizeof h->name, "h1");
    for (size_t i = 0; i < ncpus; i++) h->cpus[i] = (int32_t)i;
    h->ncpus = ncpus;
    h->mem_bytes = mem;
    h->tenants = t;
    h->ntenants = n;
}

static void test_priority_exact(void **state)
{
    (void)state;
    hr_part_tenant t[3] = {tenant("a", 10, 1500, 100 << 20), tenant("b", 10, 1000, 50 << 20),
                           tenant("c", 5, 2000, 200 << 20)};
    hr_part_host h;
    host(&h, 4, 1 << 30, t, 3);
    hr_part_alloc out[3];
    hr_error err = {0};
    assert_int_equal(hr_part_solve(&h, NULL, 0, NULL, out, &err), 0);
    /* The top class is served in full, c gets the rest. */
    assert_int_equal(out[0].guarantee[HR_PART_CPU], 1500);
    assert_int_equal(out[1].guarantee[HR_PART_CPU], 1000);
    assert_int_equal(out[2].guarantee[HR_PART_CPU], 1500);
    assert_true(out[2].short_of[HR_PART_CPU]);
    assert_false(out[0].short_of[HR_PART_CPU]);
    /* Limits at p99, capped by the host: 1800, 1200, min(2400, 4000). */
    assert_int_equal(out[0].limit[HR_PART_CPU], 1800);
    assert_int_equal(out[2].limit[HR_PART_CPU], 2400);
    assert_int_equal(out[0].cpu_quota_usec, 180000);
    /* Weights in proportion to the guarantees: 1500/4000 of 10000. */
    assert_int_equal(out[0].cpu_weight, 3750);
    assert_int_equal(out[1].cpu_weight, 2500);
    assert_string_equal(out[0].cpus, "0,1,2,3");
    /* Memory fits: low = p95, high = p99, max = high * 1.25. */
    assert_int_equal(out[0].guarantee[HR_PART_MEM], 100 << 20);
    assert_int_equal(out[0].limit[HR_PART_MEM], 150 << 20);
    assert_int_equal(out[0].mem_max, (int64_t)(150 << 20) * 5 / 4);
}

static void test_waterfill(void **state)
{
    (void)state;
    hr_part_tenant t[3] = {tenant("x", 1, 500, 1 << 20), tenant("y", 1, 2000, 1 << 20),
                           tenant("z", 1, 3000, 1 << 20)};
    hr_part_host h;
    host(&h, 3, 1 << 30, t, 3);
    hr_part_alloc out[3];
    hr_error err = {0};
    assert_int_equal(hr_part_solve(&h, NULL, 0, NULL, out, &err), 0);
    /* Floors 10 each, then 2970 max-min fair over wants 490, 1990, 2990. */
    assert_int_equal(out[0].guarantee[HR_PART_CPU], 500);
    assert_int_equal(out[1].guarantee[HR_PART_CPU], 1250);
    assert_int_equal(out[2].guarantee[HR_PART_CPU], 1250);
}

static void test_pinning(void **state)
{
    (void)state;
    hr_part_tenant t[3] = {tenant("db", 10, 900, 1 << 20), tenant("web", 5, 700, 1 << 20),
                           tenant("cache", 1, 1500, 1 << 20)};
    t[0].pin = true;
    t[2].pin = true;
    hr_part_host h;
    host(&h, 2, 1 << 30, t, 3);
    hr_part_alloc out[3];
    hr_error err = {0};
    assert_int_equal(hr_part_solve(&h, NULL, 0, NULL, out, &err), 0);
    assert_true(out[0].pinned);
    assert_string_equal(out[0].cpus, "1");
    assert_int_equal(out[0].cpu_quota_usec, HR_CG_MAX);
    assert_int_equal(out[0].guarantee[HR_PART_CPU], 1000);
    /* cache would need 2 cores: denied, it shares core 0 with web. */
    assert_true(out[2].pin_denied);
    assert_false(out[2].pinned);
    assert_string_equal(out[1].cpus, "0");
    assert_string_equal(out[2].cpus, "0");
    assert_int_equal(out[1].guarantee[HR_PART_CPU] + out[2].guarantee[HR_PART_CPU], 1000);
    /* Re-solving with the old solution keeps the pinned core. */
    hr_part_alloc again[3];
    h.cpus[0] = 0;
    assert_int_equal(hr_part_solve(&h, out, 3, NULL, again, &err), 0);
    assert_string_equal(again[0].cpus, "1");
}

static void test_hysteresis(void **state)
{
    (void)state;
    hr_part_tenant t[2] = {tenant("a", 1, 1000, 100 << 20), tenant("b", 1, 500, 100 << 20)};
    hr_part_host h;
    host(&h, 4, 1 << 30, t, 2);
    hr_part_alloc a[2], b[2];
    hr_error err = {0};
    assert_int_equal(hr_part_solve(&h, NULL, 0, NULL, a, &err), 0);
    demand(&t[0].demand[HR_PART_CPU], 0.95, 1030, 0.99, 1200);
    assert_int_equal(hr_part_solve(&h, a, 2, NULL, b, &err), 0);
    assert_int_equal(b[0].guarantee[HR_PART_CPU], 1000); /* 3 % change: kept */
    demand(&t[0].demand[HR_PART_CPU], 0.95, 1200, 0.99, 1440);
    assert_int_equal(hr_part_solve(&h, a, 2, NULL, b, &err), 0);
    assert_int_equal(b[0].guarantee[HR_PART_CPU], 1200); /* 20 %: moves */
    hr_part_opts none = {.hysteresis = -1};
    demand(&t[0].demand[HR_PART_CPU], 0.95, 1030, 0.99, 1200);
    assert_int_equal(hr_part_solve(&h, a, 2, &none, b, &err), 0);
    assert_int_equal(b[0].guarantee[HR_PART_CPU], 1030);
}

/* Optimality conditions of the per-resource greedy on random instances:
 * capacity respected, floor <= g <= want, and if tenant i is short then
 * every tenant of lower priority sits at its floor and every tenant of the
 * same priority has at most g_i + 1 (the max-min fair level). */
static void test_optimality_random(void **state)
{
    (void)state;
    uint64_t s = 42;
    hr_part_tenant *t = calloc(60, sizeof *t);
    hr_part_alloc *out = calloc(60, sizeof *out);
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + round % 60, ncpu = 1 + round % 8;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            char name[32];
            snprintf(name, sizeof name, "t%zu", i);
            t[i] = tenant(name, (int)((s >> 33) % 4), (double)((s >> 20) % 3000),
                          (double)((s >> 40) % (64 << 20)));
        }
        hr_part_host h;
        host(&h, ncpu, 1 << 30, t, n);
        hr_error err = {0};
        int rc = hr_part_solve(&h, NULL, 0, NULL, out, &err);
        if ((int64_t)n * 10 > (int64_t)ncpu * 1000) {
            assert_int_equal(rc, HR_EINVAL);
            continue;
        }
        assert_int_equal(rc, 0);
        int64_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t g = out[i].guarantee[HR_PART_CPU], w = out[i].want[HR_PART_CPU];
            sum += g;
            assert_true(g >= 10);
            assert_true(g <= (w > 10 ? w : 10));
            assert_true(out[i].limit[HR_PART_CPU] >= g);
        }
        assert_true(sum <= (int64_t)ncpu * 1000);
        for (size_t i = 0; i < n; i++) {
            if (!out[i].short_of[HR_PART_CPU]) continue;
            for (size_t k = 0; k < n; k++) {
                if (t[k].priority < t[i].priority) assert_int_equal(out[k].guarantee[0], 10);
                if (t[k].priority == t[i].priority)
                    assert_true(out[k].guarantee[0] <= out[i].guarantee[0] + 1);
            }
        }
    }
    free(t);
    free(out);
}

/* Three PlanetLab VMs' CPU traces (percent of a core, 288 five-minute
 * samples) as demand: their quantiles on a 2-core host. The guarantee at
 * p95 covers at least 95 % of the trace's intervals for tenants not short. */
static void test_planetlab(void **state)
{
    (void)state;
    const char *files[] = {"planetlab/planetlab1_fit_vutbr_cz_nyu_d",
                           "planetlab/146-179_surfsnel_dsl_internl_net_root",
                           "planetlab/kc-sce-plab2_umkc_edu_ rnp_dcc_ufjf"};
    hr_part_tenant t[3];
    double *vals[3];
    size_t nv[3];
    for (int i = 0; i < 3; i++) {
        hr_series s;
        hr_error err = {0};
        assert_int_equal(hr_series_read_lines(test_data(files[i]), 0, 300, &s, &err), 0);
        nv[i] = s.len;
        vals[i] = malloc(s.len * sizeof *vals[i]);
        double *sorted = malloc(s.len * sizeof *sorted);
        for (size_t k = 0; k < s.len; k++)
            vals[i][k] = sorted[k] = s.values[k] * 10; /* millicores */
        for (size_t a = 1; a < s.len; a++)
            for (size_t b = a; b > 0 && sorted[b - 1] > sorted[b]; b--) {
                double x = sorted[b];
                sorted[b] = sorted[b - 1];
                sorted[b - 1] = x;
            }
        memset(&t[i], 0, sizeof t[i]);
        snprintf(t[i].name, sizeof t[i].name, "vm%d", i);
        t[i].quantile = 0.95;
        t[i].priority = i;
        hr_part_demand *d = &t[i].demand[HR_PART_CPU];
        const double lv[] = {0.5, 0.95, 0.99};
        for (int q = 0; q < 3; q++) {
            d->levels[q] = lv[q];
            d->values[q] = hr_quantile_sorted(sorted, s.len, lv[q]);
        }
        d->n = 3;
        demand(&t[i].demand[HR_PART_MEM], 0.5, 64 << 20, 0.99, 128 << 20);
        free(sorted);
        hr_series_release(&s);
    }
    hr_part_host h;
    host(&h, 2, 1 << 30, t, 3);
    hr_part_alloc out[3];
    hr_error err = {0};
    assert_int_equal(hr_part_solve(&h, NULL, 0, NULL, out, &err), 0);
    for (int i = 0; i < 3; i++) {
        if (out[i].short_of[HR_PART_CPU]) continue;
        size_t over = 0;
        for (size_t k = 0; k < nv[i]; k++) over += vals[i][k] > (double)out[i].guarantee[0];
        print_message("vm%d: p95 %lld m, guarantee %lld m, over in %zu of %zu intervals\n", i,
                      (long long)out[i].want[0], (long long)out[i].guarantee[0], over, nv[i]);
        assert_true((double)over <= 0.05 * (double)nv[i] + 1);
        free(vals[i]);
        vals[i] = NULL;
    }
    for (int i = 0; i < 3; i++) free(vals[i]);
}

/* Actions from a re-plan: knobs that shrink go first (stage 0), those that
 * grow after (stage 1), so the host never holds both old and new shares;
 * the same plan again yields the same keys. */
static void test_actions_staged(void **state)
{
    (void)state;
    hr_part_tenant t[2] = {tenant("a", 1, 1000, 300 << 20), tenant("b", 1, 1000, 100 << 20)};
    hr_part_host h;
    host(&h, 4, 1 << 30, t, 2);
    snprintf(h.cgroup_parent, sizeof h.cgroup_parent, "hr");
    hr_part_alloc old[2], now[2];
    hr_error err = {0};
    assert_int_equal(hr_part_solve(&h, NULL, 0, NULL, old, &err), 0);
    /* a's memory shrinks, b's grows. */
    demand(&t[0].demand[HR_PART_MEM], 0.95, 100 << 20, 0.99, 150 << 20);
    demand(&t[1].demand[HR_PART_MEM], 0.95, 300 << 20, 0.99, 450 << 20);
    assert_int_equal(hr_part_solve(&h, old, 2, NULL, now, &err), 0);
    hr_action *v = NULL, *w = NULL;
    size_t n = 0, m = 0;
    assert_int_equal(hr_part_actions(&h, now, old, 2, false, &v, &n, &err), 0);
    bool a_low0 = false, b_low1 = false, parent = false;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(v[i].plan, v[0].plan);
        assert_string_equal(v[i].kind, "cgroup");
        parent |= strstr(v[i].params, "\"parent\":true") != NULL;
        if (!strcmp(v[i].target, "a") && strstr(v[i].params, "mem_low")) a_low0 = v[i].stage == 0;
        if (!strcmp(v[i].target, "b") && strstr(v[i].params, "mem_low")) b_low1 = v[i].stage == 1;
    }
    assert_true(parent);
    assert_true(a_low0);
    assert_true(b_low1);
    assert_int_equal(hr_part_actions(&h, now, old, 2, false, &w, &m, &err), 0);
    assert_int_equal(m, n);
    for (size_t i = 0; i < n; i++) assert_string_equal(v[i].key, w[i].key);
    hr_action_list_free(v, n);
    hr_action_list_free(w, m);
    /* The state file round-trips. */
    char *js = hr_part_alloc_to_json(&h, now, 2);
    hr_part_alloc *back = NULL;
    size_t nb = 0;
    assert_int_equal(hr_part_alloc_from_json(js, strlen(js), "s.json", &back, &nb, &err), 0);
    assert_int_equal(nb, 2);
    assert_memory_equal(&back[1].guarantee, &now[1].guarantee, sizeof now[1].guarantee);
    assert_int_equal(back[0].mem_max, now[0].mem_max);
    assert_string_equal(back[0].cpus, now[0].cpus);
    free(back);
    free(js);
}

static const char yaml_host[] = "host: edge1\n"
                                "cpus: \"0-1\"\n"
                                "memory: 1GiB\n"
                                "reserve: {cpu: 100m, memory: 64MiB}\n"
                                "egress: {dev: veth0, netns: h1, rate: 100Mbit}\n"
                                "tenants:\n"
                                "  - name: web\n"
                                "    priority: 10\n"
                                "    sla: {quantile: p99, pin: false}\n"
                                "    cpu: {p50: 300m, p99: 800m}\n"
                                "    memory: {p50: 100MiB, p99: 200MiB}\n"
                                "    egress: {p50: 10Mbit, p99: 40Mbit}\n"
                                "    match: 10.0.0.2/32\n"
                                "    pids: [1, 2]\n"
                                "  - name: batch\n"
                                "    cpu: {\"0.5\": 1core, \"0.95\": 1.5cores}\n"
                                "    memory: {p95: 300MiB}\n";

static void test_hostfile(void **state)
{
    (void)state;
    hr_part_host h;
    hr_error err = {0};
    assert_int_equal(hr_part_host_parse(yaml_host, strlen(yaml_host), "h.yaml", &h, &err), 0);
    assert_string_equal(h.name, "edge1");
    assert_int_equal(h.ncpus, 2);
    assert_int_equal(h.mem_bytes, 1 << 30);
    assert_int_equal(h.reserve[HR_PART_MEM], 64 << 20);
    assert_int_equal(h.net_bps, 100000000);
    assert_string_equal(h.net_dev, "veth0");
    assert_string_equal(h.netns, "h1");
    assert_string_equal(h.cgroup_parent, "headroom");
    assert_int_equal(h.ntenants, 2);
    assert_near(h.tenants[0].quantile, 0.99, 1e-12);
    assert_int_equal(h.tenants[0].npids, 2);
    assert_near(hr_part_demand_at(&h.tenants[0].demand[HR_PART_CPU], 0.99), 800, 0);
    assert_near(hr_part_demand_at(&h.tenants[0].demand[HR_PART_CPU], 0.745), 550, 1e-9);
    assert_near(hr_part_demand_at(&h.tenants[1].demand[HR_PART_CPU], 0.95), 1500, 0);
    assert_near(h.tenants[1].quantile, 0.95, 0);
    hr_part_alloc out[2];
    assert_int_equal(hr_part_solve(&h, NULL, 0, NULL, out, &err), 0);
    /* 1900 m shared after the reserve: web 800, batch 1100 (short of 1500). */
    assert_int_equal(out[0].guarantee[HR_PART_CPU], 800);
    assert_int_equal(out[1].guarantee[HR_PART_CPU], 1100);
    assert_int_equal(out[0].guarantee[HR_PART_NET], 40000000);
    /* The same host in JSON. */
    const char *js = "{\"host\": \"edge1\", \"cpus\": 2, \"memory\": 1073741824,"
                     " \"tenants\": [{\"name\": \"web\", \"cpu\": {\"p95\": 500}}]}";
    hr_part_host j;
    assert_int_equal(hr_part_host_parse(js, strlen(js), "h.json", &j, &err), 0);
    assert_int_equal(j.ncpus, 2);
    assert_near(hr_part_demand_at(&j.tenants[0].demand[0], 0.95), 500, 0);
    hr_part_host_release(&j);

    /* A forecast merged in: the larger value at each level. */
    const char *fc = "{\"tenants\": {\"web\": {\"cpu\": {\"p50\": \"200m\", \"p99\": \"1200m\","
                     " \"p90\": 700}}}}";
    assert_int_equal(hr_part_forecast_merge(&h, fc, strlen(fc), "f.json", &err), 0);
    const hr_part_demand *d = &h.tenants[0].demand[HR_PART_CPU];
    assert_int_equal(d->n, 3);
    assert_near(hr_part_demand_at(d, 0.5), 300, 0);
    assert_near(hr_part_demand_at(d, 0.99), 1200, 0);
    /* The host's own p90 would be 300 + (800-300)*0.4/0.49 = 708.2 > 700. */
    assert_near(hr_part_demand_at(d, 0.9), 300 + 500 * 0.4 / 0.49, 1e-9);
    const char *bad = "{\"tenants\": {\"nosuch\": {}}}";
    assert_int_equal(hr_part_forecast_merge(&h, bad, strlen(bad), "f.json", &err), HR_EPARSE);
    assert_string_equal(err.msg, "f.json: tenants.nosuch: no tenant \"nosuch\" on host edge1");
    hr_part_host_release(&h);
}

static void expect_error(const char *doc, int code, const char *msg)
{
    hr_part_host h;
    hr_error err = {0};
    assert_int_equal(hr_part_host_parse(doc, strlen(doc), "h.yaml", &h, &err), code);
    if (!strstr(err.msg, msg)) {
        print_error("message \"%s\" lacks \"%s\"\n", err.msg, msg);
        fail();
    }
}

static void test_hostfile_errors(void **state)
{
    (void)state;
    expect_error("host: a\ncpus: 2\nmemory: 1GiB\ntenants:\n  - name: x\n    memory: {p95: 2GiB}\n",
                 HR_EINVAL,
                 "h.yaml: tenants[0].memory: tenant \"x\" asks for 2147483648 at p95, "
                 "the host has 1073741824");
    expect_error("host: a\ncpus: 2\nmemory: 1GiB\ntenants:\n  - name: x\n    cpu: {p95: 3cores}\n",
                 HR_EINVAL, "tenants[0].cpu: tenant \"x\" asks for 3000");
    expect_error("host: a\ncpus: [1\n", HR_EPARSE, "h.yaml:3:1: ");
    expect_error("host: a\ncpus: 2\nmemory: 1GiB\nbogus: 1\ntenants: []\n", HR_EPARSE,
                 "unknown field \"bogus\"");
    expect_error("host: a\ncpus: 2\nmemory: 1GiB\ntenants:\n  - name: x\n    cpu: {p95: 3x}\n",
                 HR_EPARSE, "tenants[0].cpu.p95: bad amount \"3x\"");
    expect_error(
        "host: a\ncpus: 2\nmemory: 1GiB\ntenants:\n  - name: x\n    cpu: {p50: 9, p95: 5}\n",
        HR_EINVAL, "quantiles decrease");
    expect_error("host: a\ncpus: 2\nmemory: 1GiB\ntenants:\n  - name: ../x\n", HR_EINVAL,
                 "tenants[0].name");
    expect_error("host: a\ncpus: 2\nmemory: 1GiB\ntenants:\n  - name: x\n  - name: x\n", HR_EEXIST,
                 "tenants[1].name");
    expect_error("a: &x 1\nb: *x\n", HR_EPARSE, "aliases are not supported");
    expect_error("{\"host\": 1,}", HR_EPARSE, "h.yaml:1:");
    expect_error("host: a\ncpus: 2\nmemory: 1GiB\nreserve: {memory: 2GiB}\ntenants:\n  - name: x\n",
                 HR_EINVAL, "reserve.memory: the reserve exceeds");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_exact),    cmocka_unit_test(test_waterfill),
        cmocka_unit_test(test_pinning),           cmocka_unit_test(test_hysteresis),
        cmocka_unit_test(test_optimality_random), cmocka_unit_test(test_planetlab),
        cmocka_unit_test(test_actions_staged),    cmocka_unit_test(test_hostfile),
        cmocka_unit_test(test_hostfile_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
