/* The fleet model: the sample's parsed values, JSON round trip, the ROADEF
 * subject's worked example costed from the model, the API's errors and
 * limits, unit strings, and one malformed input per error kind
 * (tests/data/fleet/bad-cases.txt). */
#include "testutil.h"

#include <headroom/fleet.h>

#include <errno.h>
#include <unistd.h>

#define GiB (INT64_C(1) << 30)
#define MiB (INT64_C(1) << 20)

static hr_fleet *load(const char *rel)
{
    hr_fleet *f = NULL;
    hr_error err = {0};
    int rc = hr_fleet_load_json(test_data(rel), &f, &err);
    if (rc < 0) print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return f;
}

static int find(const hr_fleet *f, hr_kind k, const char *name)
{
    int id = hr_fleet_find(f, k, name);
    if (id < 0) print_error("no %s \"%s\"\n", hr_kind_name(k), name);
    assert_true(id >= 0);
    return id;
}

/* ---- the sample ------------------------------------------------------------------ */

static void test_sample_values(void **state)
{
    (void)state;
    hr_fleet *f = load("../../examples/fleet-small.json");
    assert_int_equal(f->nresources, 4);
    assert_int_equal(f->nsites, 3);
    assert_int_equal(f->nhosts, 4);
    assert_int_equal(f->nworkloads, 5);
    assert_int_equal(f->nservices, 3);
    assert_int_equal(f->ntenants, 2);
    assert_int_equal(f->nslas, 3);
    int cpu = find(f, HR_KIND_RESOURCE, "cpu"), mem = find(f, HR_KIND_RESOURCE, "memory");
    int net = find(f, HR_KIND_RESOURCE, "network"), gpu = find(f, HR_KIND_RESOURCE, "gpu");
    assert_true(f->resources[mem].transient);
    assert_false(f->resources[cpu].transient);
    assert_int_equal(f->resources[gpu].unit, HR_UNIT_CUSTOM);
    assert_string_equal(f->resources[gpu].unit_name, "devices");

    /* Units: "2cores", "4GiB", "1Gbit", safety "1600m"/"3GiB", array form. */
    const hr_host *g4 = &f->hosts[find(f, HR_KIND_HOST, "fra-g4-1")];
    assert_int_equal(g4->capacity[cpu], 2000);
    assert_int_equal(g4->capacity[mem], 4 * GiB);
    assert_int_equal(g4->capacity[net], 1000000000);
    assert_int_equal(g4->safety[cpu], 1600);
    assert_int_equal(g4->safety[mem], 3 * GiB);
    assert_int_equal(g4->safety[net], 1000000000); /* defaults to capacity */
    assert_int_equal(g4->cores, 2);
    assert_int_equal(g4->state, HR_HOST_ON);
    const hr_host *gpuh = &f->hosts[find(f, HR_KIND_HOST, "par-gpu-1")];
    assert_int_equal(gpuh->capacity[mem], 64 * GiB);
    assert_int_equal(gpuh->capacity[net], INT64_C(25000000000));
    assert_int_equal(gpuh->capacity[gpu], 2);
    assert_int_equal(gpuh->state, HR_HOST_OFF);
    assert_int_equal(gpuh->nlabels, 2);
    assert_int_equal(gpuh->location, find(f, HR_KIND_LOCATION, "par"));
    assert_int_equal(gpuh->neighbourhood, find(f, HR_KIND_NEIGHBOURHOOD, "edge"));
    assert_int_equal(hr_fleet_count(f, HR_KIND_LOCATION), 4);
    assert_int_equal(hr_fleet_count(f, HR_KIND_NEIGHBOURHOOD), 2);
    assert_int_equal(hr_fleet_count(f, HR_KIND_LABEL), 2);

    const hr_workload *db = &f->workloads[find(f, HR_KIND_WORKLOAD, "db-1")];
    assert_int_equal(db->demand[cpu], 1500);
    assert_int_equal(db->demand[mem], 1740 * MiB);
    assert_int_equal(db->demand[gpu], 0);
    assert_int_equal(db->limit[cpu], HR_UNLIMITED);
    assert_int_equal(db->kind, HR_WORKLOAD_VM);
    assert_string_equal(db->trace,
                        "planetlab/20110303/146-179_surfsnel_dsl_internl_net_colostate_557");
    const hr_workload *web1 = &f->workloads[find(f, HR_KIND_WORKLOAD, "web-1")];
    assert_int_equal(web1->limit[cpu], 1000);
    assert_int_equal(web1->limit[mem], GiB);
    assert_int_equal(web1->limit[net], HR_UNLIMITED);
    assert_int_equal(web1->anti_affinity, find(f, HR_KIND_GROUP, "web-replicas"));
    assert_int_equal(web1->sla, find(f, HR_KIND_SLA, "gold"));
    const hr_sla *gold = &f->slas[web1->sla];
    assert_int_equal(gold->cls, HR_SLA_LATENCY_SENSITIVE);
    assert_near(gold->quantile, 0.99, 0);
    assert_near(gold->max_violation, 0.001, 0);
    assert_true(gold->pin);
    assert_int_equal(f->tenants[web1->tenant].priority, 10);

    /* Service members in workload order; dependencies. */
    const hr_service *web = &f->services[find(f, HR_KIND_SERVICE, "web")];
    assert_int_equal(web->nworkloads, 3);
    assert_int_equal(web->workloads[0], find(f, HR_KIND_WORKLOAD, "web-1"));
    assert_int_equal(web->workloads[1], find(f, HR_KIND_WORKLOAD, "web-2"));
    assert_int_equal(web->workloads[2], find(f, HR_KIND_WORKLOAD, "split-cart"));
    assert_int_equal(web->ndeps, 1);
    assert_int_equal(web->deps[0], find(f, HR_KIND_SERVICE, "db"));
    assert_int_equal(web->spread_min, 2);
    assert_true(web->distinct_hosts);

    /* Latency: symmetric input fills both directions; the diagonal is 0. */
    int fra = find(f, HR_KIND_SITE, "fra"), ams = find(f, HR_KIND_SITE, "ams-edge");
    int par = find(f, HR_KIND_SITE, "par-edge");
    assert_near(hr_fleet_latency(f, fra, ams), 7.5, 0);
    assert_near(hr_fleet_latency(f, ams, fra), 7.5, 0);
    assert_near(hr_fleet_latency(f, par, ams), 9, 0);
    assert_near(hr_fleet_latency(f, par, par), 0, 0);
    assert_true(isnan(hr_fleet_latency(f, par, 3)));
    assert_near(f->sites[ams].lat_deg, 52.3676, 0);
    assert_int_equal(f->sites[ams].kind, HR_SITE_EDGE);

    /* Host move costs: given entries, 0 elsewhere. */
    int g5 = find(f, HR_KIND_HOST, "fra-g5-1"), ams1 = find(f, HR_KIND_HOST, "ams-1");
    assert_int_equal(hr_fleet_host_move_cost(f, g5, find(f, HR_KIND_HOST, "par-gpu-1")), 2);
    assert_int_equal(hr_fleet_host_move_cost(f, ams1, g5), 1);
    assert_int_equal(hr_fleet_host_move_cost(f, find(f, HR_KIND_HOST, "par-gpu-1"), g5), 0);
    assert_int_equal(f->move_weights.host, 100);
    assert_int_equal(f->nbalances, 1);
    assert_int_equal(f->balances[0].resource2, mem);
    hr_fleet_free(f);
}

static void test_sample_loads(void **state)
{
    (void)state;
    hr_fleet *f = load("../../examples/fleet-small.json");
    int cpu = find(f, HR_KIND_RESOURCE, "cpu"), mem = find(f, HR_KIND_RESOURCE, "memory");
    int net = find(f, HR_KIND_RESOURCE, "network");
    int g4 = find(f, HR_KIND_HOST, "fra-g4-1");
    int64_t load1[4];
    assert_int_equal(hr_fleet_host_load(f, g4, load1), 0);
    /* web-1 (500m, 870MiB, 100Mbit) + split-cart (100m, 128MiB, 10Mbit) */
    assert_int_equal(load1[cpu], 600);
    assert_int_equal(load1[mem], 998 * MiB);
    assert_int_equal(load1[net], 110000000);
    int64_t all[4 * 4];
    assert_int_equal(hr_fleet_loads(f, all), 0);
    int64_t total = 0;
    for (int h = 0; h < 4; h++) {
        int64_t one[4];
        assert_int_equal(hr_fleet_host_load(f, h, one), 0);
        assert_memory_equal(one, all + h * 4, sizeof one);
        total += one[cpu];
    }
    /* etl-1 (250m) is not placed: 500 + 500 + 1500 + 100 */
    assert_int_equal(total, 2600);
    assert_int_equal(hr_fleet_host_load(f, 4, load1), HR_EINVAL);

    int etl = find(f, HR_KIND_WORKLOAD, "etl-1");
    assert_true(hr_fleet_labels_ok(f, find(f, HR_KIND_HOST, "par-gpu-1"), etl));
    assert_false(hr_fleet_labels_ok(f, find(f, HR_KIND_HOST, "ams-1"), etl));
    assert_true(hr_fleet_labels_ok(f, g4, find(f, HR_KIND_WORKLOAD, "web-1")));

    /* Power: CloudSim's G4 table at 50 % is a table point; 55 % is half way
     * between 102 and 106 W; the linear model is idle + (max - idle) * u. */
    const hr_power_model *pm = &f->hosts[g4].power;
    assert_int_equal(pm->kind, HR_POWER_TABLE);
    assert_near(hr_power_watts(pm, 0.0), 86, 0);
    assert_near(hr_power_watts(pm, 1.0), 117, 0);
    assert_near(hr_power_watts(pm, 0.5), 102, 0);
    assert_near(hr_power_watts(pm, 0.55), 104, 1e-12);
    assert_near(hr_power_watts(pm, 0.05), 87.7, 1e-12);
    assert_true(isnan(hr_power_watts(pm, 1.01)));
    assert_true(isnan(hr_power_watts(pm, -0.01)));
    const hr_power_model *lin = &f->hosts[find(f, HR_KIND_HOST, "ams-1")].power;
    assert_near(hr_power_watts(lin, 0.5), 120, 1e-12);
    assert_near(hr_power_watts(lin, 0.0), 60, 0);
    hr_fleet_free(f);
}

/* ---- round trip -------------------------------------------------------------------- */

#define SAME(expr)                                                                                 \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            print_error("fleets differ: %s\n", #expr);                                             \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Doubles equal bit for bit in value (NaN equals NaN). */
static bool same_d(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static bool same_vec(const int64_t *a, const int64_t *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

static bool same_ids(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static bool same_hosts(const hr_fleet *a, const hr_fleet *b)
{
    size_t nr = a->nresources;
    for (size_t i = 0; i < a->nhosts; i++) {
        const hr_host *x = &a->hosts[i], *y = &b->hosts[i];
        SAME(same_str(x->name, y->name) && x->site == y->site);
        SAME(same_vec(x->capacity, y->capacity, nr) && same_vec(x->safety, y->safety, nr));
        SAME(same_ids(x->labels, x->nlabels, y->labels, y->nlabels));
        SAME(x->power.kind == y->power.kind && same_d(x->power.idle_w, y->power.idle_w) &&
             same_d(x->power.max_w, y->power.max_w));
        for (int k = 0; k < HR_POWER_POINTS; k++)
            SAME(same_d(x->power.table_w[k], y->power.table_w[k]));
        SAME(same_d(x->cost_per_hour, y->cost_per_hour) && x->location == y->location);
        SAME(x->neighbourhood == y->neighbourhood && x->cores == y->cores);
        SAME(x->state == y->state);
    }
    for (size_t i = 0; i < a->nhosts; i++)
        for (size_t j = 0; j < a->nhosts; j++)
            SAME(hr_fleet_host_move_cost(a, (int32_t)i, (int32_t)j) ==
                 hr_fleet_host_move_cost(b, (int32_t)i, (int32_t)j));
    return true;
}

static bool same_workloads(const hr_fleet *a, const hr_fleet *b)
{
    size_t nr = a->nresources;
    for (size_t i = 0; i < a->nworkloads; i++) {
        const hr_workload *x = &a->workloads[i], *y = &b->workloads[i];
        SAME(same_str(x->name, y->name) && x->kind == y->kind && x->tenant == y->tenant);
        SAME(x->service == y->service && x->sla == y->sla && x->host == y->host);
        SAME(same_vec(x->demand, y->demand, nr) && same_vec(x->limit, y->limit, nr));
        SAME(same_ids(x->required_labels, x->nrequired_labels, y->required_labels,
                      y->nrequired_labels));
        SAME(x->anti_affinity == y->anti_affinity && x->move_cost == y->move_cost);
        SAME(x->cores == y->cores && same_str(x->trace, y->trace));
    }
    for (size_t i = 0; i < a->nservices; i++) {
        const hr_service *x = &a->services[i], *y = &b->services[i];
        SAME(same_str(x->name, y->name) && x->spread_min == y->spread_min);
        SAME(x->distinct_hosts == y->distinct_hosts);
        SAME(same_ids(x->deps, x->ndeps, y->deps, y->ndeps));
        SAME(same_ids(x->workloads, x->nworkloads, y->workloads, y->nworkloads));
    }
    return true;
}

static bool same_fleet(const hr_fleet *a, const hr_fleet *b)
{
    SAME(a->nresources == b->nresources && a->nsites == b->nsites && a->nhosts == b->nhosts);
    SAME(a->nworkloads == b->nworkloads && a->nservices == b->nservices);
    SAME(a->ntenants == b->ntenants && a->nslas == b->nslas && a->nbalances == b->nbalances);
    for (hr_kind k = HR_KIND_LABEL; k < HR_KIND_COUNT_; k++) {
        SAME(hr_fleet_count(a, k) == hr_fleet_count(b, k));
        for (size_t i = 0; i < hr_fleet_count(a, k); i++)
            SAME(same_str(hr_fleet_name(a, k, (int32_t)i), hr_fleet_name(b, k, (int32_t)i)));
    }
    for (size_t i = 0; i < a->nresources; i++) {
        const hr_resource *x = &a->resources[i], *y = &b->resources[i];
        SAME(same_str(x->name, y->name) && x->unit == y->unit);
        SAME(same_str(x->unit_name, y->unit_name) && x->transient == y->transient);
        SAME(x->load_cost_weight == y->load_cost_weight);
    }
    SAME(a->nbalances == 0 ||
         memcmp(a->balances, b->balances, a->nbalances * sizeof *a->balances) == 0);
    SAME(memcmp(&a->move_weights, &b->move_weights, sizeof a->move_weights) == 0);
    for (size_t i = 0; i < a->nsites; i++) {
        SAME(same_str(a->sites[i].name, b->sites[i].name) && a->sites[i].kind == b->sites[i].kind);
        SAME(same_d(a->sites[i].lat_deg, b->sites[i].lat_deg));
        SAME(same_d(a->sites[i].lon_deg, b->sites[i].lon_deg));
        for (size_t j = 0; j < a->nsites; j++)
            SAME(same_d(hr_fleet_latency(a, (int32_t)i, (int32_t)j),
                        hr_fleet_latency(b, (int32_t)i, (int32_t)j)));
    }
    SAME(a->latency_symmetric == b->latency_symmetric);
    for (size_t i = 0; i < a->ntenants; i++)
        SAME(same_str(a->tenants[i].name, b->tenants[i].name) &&
             a->tenants[i].priority == b->tenants[i].priority);
    for (size_t i = 0; i < a->nslas; i++) {
        const hr_sla *x = &a->slas[i], *y = &b->slas[i];
        SAME(same_str(x->name, y->name) && x->cls == y->cls && x->priority == y->priority);
        SAME(same_d(x->quantile, y->quantile) && same_d(x->max_violation, y->max_violation));
        SAME(x->pin == y->pin);
    }
    return same_hosts(a, b) && same_workloads(a, b);
}

static void round_trip(const char *rel)
{
    hr_fleet *a = load(rel), *b = NULL, *c = NULL;
    hr_error err = {0};
    char *s1 = NULL, *s2 = NULL;
    size_t n1 = 0;
    assert_int_equal(hr_fleet_dump_json(a, &s1, &n1, &err), 0);
    assert_int_equal(strlen(s1), n1);
    assert_int_equal(hr_fleet_parse_json(s1, n1, "dump", &b, &err), 0);
    assert_true(same_fleet(a, b));
    assert_int_equal(hr_fleet_dump_json(b, &s2, NULL, &err), 0);
    assert_string_equal(s1, s2); /* the dump is a fixed point */

    /* Through a file: written atomically, read back identical. */
    char path[] = "/tmp/hr-fleet-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(hr_fleet_save_json(a, path, &err), 0);
    assert_int_equal(hr_fleet_load_json(path, &c, &err), 0);
    assert_true(same_fleet(a, c));
    unlink(path);
    free(s1);
    free(s2);
    hr_fleet_free(a);
    hr_fleet_free(b);
    hr_fleet_free(c);
}

static void test_round_trip(void **state)
{
    (void)state;
    round_trip("../../examples/fleet-small.json");
    round_trip("fleet/roadef-example.json");
    round_trip("fleet/roadef-a1_1.json");
}

/* The comparison must see differences, or the round trip proves nothing. */
static void test_compare_detects(void **state)
{
    (void)state;
    hr_fleet *a = load("../../examples/fleet-small.json");
    hr_fleet *b = load("../../examples/fleet-small.json");
    assert_true(same_fleet(a, b));
    b->workloads[2].demand[1]++;
    assert_false(same_fleet(a, b));
    b->workloads[2].demand[1]--;
    b->hosts[1].power.table_w[10] = 135.0000000000001;
    assert_false(same_fleet(a, b));
    b->hosts[1].power.table_w[10] = 135;
    assert_int_equal(hr_fleet_set_latency(b, 0, 2, 8.26, NULL), 0);
    assert_false(same_fleet(a, b));
    hr_fleet_free(a);
    hr_fleet_free(b);
}

/* ---- ROADEF worked example ----------------------------------------------------------- */

/* ROADEF objective (reference/roadef2012.md sec. 5) of assignment `to`
 * (host per workload) against the current hosts, from the fleet model
 * alone; also checks capacity and transient feasibility. */
static int64_t roadef_cost(const hr_fleet *f, const int32_t *to, bool *feasible)
{
    size_t nr = f->nresources, nh = f->nhosts;
    int64_t *u = calloc(nh * nr, sizeof *u), *tu = calloc(nh * nr, sizeof *tu);
    int64_t *moved = calloc(f->nservices + 1, sizeof *moved);
    assert_true(u && tu && moved);
    int64_t cost = 0, pmc = 0, mmc = 0, smc = 0;
    for (size_t p = 0; p < f->nworkloads; p++) {
        const hr_workload *w = &f->workloads[p];
        for (size_t r = 0; r < nr; r++) {
            u[to[p] * nr + r] += w->demand[r];
            tu[to[p] * nr + r] += w->demand[r];
            if (to[p] != w->host) tu[w->host * nr + r] += w->demand[r];
        }
        if (to[p] != w->host) {
            pmc += w->move_cost;
            mmc += hr_fleet_host_move_cost(f, w->host, to[p]);
            moved[w->service]++;
        }
    }
    *feasible = true;
    for (size_t m = 0; m < nh; m++)
        for (size_t r = 0; r < nr; r++) {
            const hr_host *h = &f->hosts[m];
            if (u[m * nr + r] > h->capacity[r]) *feasible = false;
            if (f->resources[r].transient && tu[m * nr + r] > h->capacity[r]) *feasible = false;
            int64_t over = u[m * nr + r] - h->safety[r];
            cost += f->resources[r].load_cost_weight * (over > 0 ? over : 0);
        }
    for (size_t b = 0; b < f->nbalances; b++) {
        const hr_balance *bo = &f->balances[b];
        for (size_t m = 0; m < nh; m++) {
            int64_t a1 = f->hosts[m].capacity[bo->resource1] - u[m * nr + bo->resource1];
            int64_t a2 = f->hosts[m].capacity[bo->resource2] - u[m * nr + bo->resource2];
            int64_t v = bo->target * a1 - a2;
            cost += bo->weight * (v > 0 ? v : 0);
        }
    }
    for (size_t s = 0; s < f->nservices; s++)
        if (moved[s] > smc) smc = moved[s];
    free(u);
    free(tu);
    free(moved);
    return cost + f->move_weights.workload * pmc + f->move_weights.service * smc +
           f->move_weights.host * mmc;
}

static void test_roadef_example(void **state)
{
    (void)state;
    hr_fleet *f = load("fleet/roadef-example.json");
    assert_int_equal(f->nhosts, 4);
    assert_true(f->resources[0].transient);
    assert_false(f->resources[1].transient);
    /* Initial assignment 0 3 0: usage of m0 = p0 + p2 = (18, 210). */
    int64_t l[2];
    assert_int_equal(hr_fleet_host_load(f, 0, l), 0);
    assert_int_equal(l[0], 18);
    assert_int_equal(l[1], 210);
    const int32_t initial[] = {0, 3, 0}, solution[] = {0, 2, 1};
    bool ok = false;
    assert_int_equal(roadef_cost(f, initial, &ok), 4200); /* the subject's figure */
    assert_true(ok);
    assert_int_equal(roadef_cost(f, solution, &ok), 2411);
    assert_true(ok);
    /* All on m1 breaks capacity. */
    const int32_t crowded[] = {1, 1, 1};
    roadef_cost(f, crowded, &ok);
    assert_false(ok);
    /* Spread: s0 has spread_min 2 over locations l0, l0 (m0, m1) vs l0, l1. */
    assert_int_equal(f->services[0].spread_min, 2);
    assert_int_equal(f->hosts[0].location, f->hosts[1].location);
    assert_true(f->hosts[0].location != f->hosts[2].location);
    assert_int_equal(f->hosts[2].neighbourhood, f->hosts[3].neighbourhood);
    assert_int_equal(f->services[1].deps[0], 0);
    hr_fleet_free(f);

    /* Instance a1_1 of set A (100 processes, 4 machines, 79 services): its
     * initial assignment costs 49,528,750 (official checker). */
    f = load("fleet/roadef-a1_1.json");
    assert_int_equal(f->nworkloads, 100);
    assert_int_equal(f->nservices, 79);
    int32_t *initial_a1 = malloc(f->nworkloads * sizeof *initial_a1);
    assert_non_null(initial_a1);
    for (size_t p = 0; p < f->nworkloads; p++) initial_a1[p] = f->workloads[p].host;
    assert_int_equal(roadef_cost(f, initial_a1, &ok), 49528750);
    assert_true(ok);
    free(initial_a1);
    hr_fleet_free(f);
}

/* ---- API ------------------------------------------------------------------------------ */

static hr_fleet *small_fleet(void)
{
    hr_fleet *f = NULL;
    hr_error err = {0};
    assert_int_equal(hr_fleet_new(&f), 0);
    hr_resource cpu = {.name = "cpu", .unit = HR_UNIT_MILLICORES};
    hr_resource mem = {.name = "memory", .unit = HR_UNIT_BYTES};
    assert_int_equal(hr_fleet_add_resource(f, &cpu, &err), 0);
    assert_int_equal(hr_fleet_add_resource(f, &mem, &err), 1);
    int64_t cap[] = {4000, 8 * GiB};
    hr_host h = {.name = "h0",
                 .site = HR_NONE,
                 .capacity = cap,
                 .location = HR_NONE,
                 .neighbourhood = HR_NONE};
    assert_int_equal(hr_fleet_add_host(f, &h, &err), 0);
    h.name = "h1";
    assert_int_equal(hr_fleet_add_host(f, &h, &err), 1);
    return f;
}

static void test_api_errors(void **state)
{
    (void)state;
    hr_fleet *f = small_fleet();
    hr_error err = {0};
    /* Duplicate names are HR_EEXIST and named. */
    int64_t cap[] = {1000, GiB};
    hr_host h = {.name = "h1",
                 .site = HR_NONE,
                 .capacity = cap,
                 .location = HR_NONE,
                 .neighbourhood = HR_NONE};
    assert_int_equal(hr_fleet_add_host(f, &h, &err), HR_EEXIST);
    assert_non_null(strstr(err.msg, "duplicate host name \"h1\""));
    assert_int_equal(f->nhosts, 2);
    /* Resources come first. */
    hr_resource net = {.name = "network", .unit = HR_UNIT_BITS_PER_SEC};
    assert_int_equal(hr_fleet_add_resource(f, &net, &err), HR_ESTATE);
    /* Bad names and references. */
    h.name = "";
    assert_int_equal(hr_fleet_add_host(f, &h, &err), HR_EINVAL);
    h.name = "a\tb";
    assert_int_equal(hr_fleet_add_host(f, &h, &err), HR_EINVAL);
    h.name = "h2";
    h.site = 0;
    assert_int_equal(hr_fleet_add_host(f, &h, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "site"));
    hr_workload w = {.name = "w",
                     .tenant = HR_NONE,
                     .service = 3,
                     .sla = HR_NONE,
                     .host = HR_NONE,
                     .anti_affinity = HR_NONE};
    assert_int_equal(hr_fleet_add_workload(f, &w, &err), HR_EINVAL);
    w.service = HR_NONE;
    w.host = 1;
    assert_int_equal(hr_fleet_add_workload(f, &w, &err), 0);
    /* NULL vectors: demand 0, limit unlimited, safety = capacity. */
    assert_int_equal(f->workloads[0].demand[1], 0);
    assert_int_equal(f->workloads[0].limit[0], HR_UNLIMITED);
    assert_int_equal(f->hosts[1].safety[1], 8 * GiB);
    assert_int_equal(hr_fleet_find(f, HR_KIND_HOST, "h1"), 1);
    assert_int_equal(hr_fleet_find(f, HR_KIND_HOST, "h9"), HR_ENOTFOUND);
    assert_int_equal(hr_fleet_find(f, HR_KIND_COUNT_, "h1"), HR_ENOTFOUND);
    assert_int_equal(hr_fleet_intern(f, HR_KIND_HOST, "x", &err), HR_EINVAL);
    assert_int_equal(hr_fleet_intern(f, HR_KIND_LABEL, "gpu", &err), 0);
    assert_int_equal(hr_fleet_intern(f, HR_KIND_LABEL, "fpga", &err), 1);
    assert_int_equal(hr_fleet_intern(f, HR_KIND_LABEL, "gpu", &err), 0);
    assert_string_equal(hr_fleet_name(f, HR_KIND_LABEL, 1), "fpga");
    assert_null(hr_fleet_name(f, HR_KIND_LABEL, 2));
    /* Labels sorted and deduplicated; unknown label ids refused. */
    int32_t labels[] = {1, 0, 1};
    h.site = HR_NONE;
    h.labels = labels;
    h.nlabels = 3;
    assert_int_equal(hr_fleet_add_host(f, &h, &err), 2);
    assert_int_equal(f->hosts[2].nlabels, 2);
    assert_int_equal(f->hosts[2].labels[0], 0);
    assert_int_equal(f->hosts[2].labels[1], 1);
    labels[0] = 7;
    h.name = "h3";
    assert_int_equal(hr_fleet_add_host(f, &h, &err), HR_EINVAL);
    /* Dependencies. */
    hr_service s = {.name = "a"};
    assert_int_equal(hr_fleet_add_service(f, &s, &err), 0);
    s.name = "b";
    assert_int_equal(hr_fleet_add_service(f, &s, &err), 1);
    assert_int_equal(hr_fleet_add_dependency(f, 0, 0, &err), HR_EINVAL);
    assert_int_equal(hr_fleet_add_dependency(f, 0, 1, &err), 0);
    assert_int_equal(hr_fleet_add_dependency(f, 0, 1, &err), 0);
    assert_int_equal(f->services[0].ndeps, 1);
    assert_int_equal(hr_fleet_add_dependency(f, 0, 2, &err), HR_EINVAL);
    assert_int_equal(hr_fleet_validate(f, &err), 0);
    hr_fleet_free(f);
    hr_fleet_free(NULL);
}

static void test_validate(void **state)
{
    (void)state;
    hr_fleet *f = small_fleet();
    hr_error err = {0};
    assert_int_equal(hr_fleet_validate(f, &err), 0);
    f->hosts[1].safety[1] = 9 * GiB;
    assert_int_equal(hr_fleet_validate(f, &err), HR_EINVAL);
    assert_string_equal(err.msg, "hosts[1].safety.memory: 9663676416 exceeds capacity 8589934592 "
                                 "(host \"h1\")");
    f->hosts[1].safety[1] = 8 * GiB;
    f->hosts[0].capacity[0] = HR_FLEET_MAX_AMOUNT + 1;
    assert_int_equal(hr_fleet_validate(f, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "hosts[0].capacity.cpu: 9007199254740993 is larger"));
    f->hosts[0].capacity[0] = 4000;
    f->hosts[0].cost_per_hour = NAN;
    assert_int_equal(hr_fleet_validate(f, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "hosts[0].cost_per_hour"));
    f->hosts[0].cost_per_hour = 0;
    f->hosts[0].power = (hr_power_model){.kind = HR_POWER_LINEAR, .idle_w = 200, .max_w = 100};
    assert_int_equal(hr_fleet_validate(f, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "hosts[0].power: need 0 <= idle_w <= max_w"));
    f->hosts[0].power.kind = HR_POWER_NONE;
    /* A workload moved onto a host that does not exist. */
    hr_workload w = {.name = "w",
                     .tenant = HR_NONE,
                     .service = HR_NONE,
                     .sla = HR_NONE,
                     .host = 0,
                     .anti_affinity = HR_NONE};
    assert_int_equal(hr_fleet_add_workload(f, &w, &err), 0);
    f->workloads[0].host = 5;
    assert_int_equal(hr_fleet_validate(f, &err), HR_EINVAL);
    assert_string_equal(err.msg, "workloads[0].host: unknown host (workload \"w\")");
    int64_t all[4];
    assert_int_equal(hr_fleet_loads(f, all), HR_EINVAL);
    f->workloads[0].host = 0;
    /* An SLA with a quantile of 1 promises nothing computable. */
    hr_sla sla = {.name = "s", .cls = HR_SLA_BATCH, .quantile = 1};
    assert_int_equal(hr_fleet_add_sla(f, &sla, &err), 0);
    assert_int_equal(hr_fleet_validate(f, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "slas[0].quantile: not in (0, 1)"));
    f->slas[0].quantile = 0.5;
    assert_int_equal(hr_fleet_validate(f, &err), 0);
    /* Sums that overflow int64 are reported, not wrapped. */
    f->workloads[0].demand[0] = INT64_MAX;
    w.name = "w2";
    assert_int_equal(hr_fleet_add_workload(f, &w, &err), 1);
    f->workloads[1].demand[0] = 1;
    int64_t l[2];
    assert_int_equal(hr_fleet_host_load(f, 0, l), HR_ERANGE);
    hr_fleet_free(f);
}

static void test_matrices(void **state)
{
    (void)state;
    hr_fleet *f = small_fleet();
    hr_error err = {0};
    hr_site s = {.name = "a", .kind = HR_SITE_EDGE, .lat_deg = NAN, .lon_deg = NAN};
    assert_int_equal(hr_fleet_add_site(f, &s, &err), 0);
    s.name = "b";
    assert_int_equal(hr_fleet_add_site(f, &s, &err), 1);
    assert_true(isnan(hr_fleet_latency(f, 0, 1)));
    assert_int_equal(hr_fleet_set_latency(f, 0, 1, 12.5, &err), 0);
    assert_int_equal(hr_fleet_set_latency(f, 1, 1, 3, &err), HR_EINVAL);
    assert_int_equal(hr_fleet_set_latency(f, 1, 2, 3, &err), HR_EINVAL);
    /* A site added later keeps the old entries and starts unknown. */
    s.name = "c";
    assert_int_equal(hr_fleet_add_site(f, &s, &err), 2);
    s.name = "a"; /* a failed add leaves the matrix alone */
    assert_int_equal(hr_fleet_add_site(f, &s, &err), HR_EEXIST);
    assert_near(hr_fleet_latency(f, 0, 1), 12.5, 0);
    assert_true(isnan(hr_fleet_latency(f, 1, 0)));
    assert_true(isnan(hr_fleet_latency(f, 2, 0)));
    assert_near(hr_fleet_latency(f, 2, 2), 0, 0);
    assert_int_equal(hr_fleet_set_latency(f, 2, 0, 30, &err), 0);
    assert_near(f->latency_ms[2 * 3 + 0], 30, 0);
    assert_int_equal(hr_fleet_validate(f, &err), 0);
    f->latency_symmetric = true;
    assert_int_equal(hr_fleet_validate(f, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "latency.ms.a.b"));
    f->latency_symmetric = false;

    assert_int_equal(hr_fleet_host_move_cost(f, 0, 1), 0);
    assert_int_equal(hr_fleet_set_host_move_cost(f, 0, 1, 7, &err), 0);
    assert_int_equal(hr_fleet_set_host_move_cost(f, 0, 0, 7, &err), HR_EINVAL);
    int64_t cap[] = {1, 1};
    hr_host h = {
        .name = "h2", .site = 2, .capacity = cap, .location = HR_NONE, .neighbourhood = HR_NONE};
    assert_int_equal(hr_fleet_add_host(f, &h, &err), 2);
    assert_int_equal(hr_fleet_host_move_cost(f, 0, 1), 7);
    assert_int_equal(hr_fleet_host_move_cost(f, 2, 0), 0);
    assert_int_equal(hr_fleet_set_host_move_cost(f, 2, 1, 3, &err), 0);
    assert_int_equal(f->host_move_cost[2 * 3 + 1], 3);
    f->host_move_cost[1] = -1;
    assert_int_equal(hr_fleet_validate(f, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "host_move_cost.h0.h1: -1 is negative"));
    hr_fleet_free(f);
}

static void test_limits(void **state)
{
    (void)state;
    hr_fleet *f = NULL;
    hr_error err = {0};
    assert_int_equal(hr_fleet_new(&f), 0);
    char name[HR_FLEET_MAX_NAME + 2];
    for (int i = 0; i < HR_FLEET_MAX_RESOURCES; i++) {
        snprintf(name, sizeof name, "r%d", i);
        hr_resource r = {.name = name, .unit = HR_UNIT_CUSTOM, .unit_name = "u"};
        assert_int_equal(hr_fleet_add_resource(f, &r, &err), i);
    }
    hr_resource r = {.name = "one-too-many", .unit = HR_UNIT_BYTES};
    assert_int_equal(hr_fleet_add_resource(f, &r, &err), HR_ELIMIT);
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0'; /* 256 bytes */
    hr_tenant t = {.name = name};
    assert_int_equal(hr_fleet_add_tenant(f, &t, &err), HR_EINVAL);
    name[HR_FLEET_MAX_NAME] = '\0'; /* 255 bytes: fine */
    assert_int_equal(hr_fleet_add_tenant(f, &t, &err), 0);
    int32_t labels[HR_FLEET_MAX_LABELS + 1] = {0};
    assert_int_equal(hr_fleet_intern(f, HR_KIND_LABEL, "gpu", &err), 0);
    hr_host h = {.name = "h",
                 .site = HR_NONE,
                 .labels = labels,
                 .nlabels = HR_FLEET_MAX_LABELS + 1,
                 .location = HR_NONE,
                 .neighbourhood = HR_NONE};
    assert_int_equal(hr_fleet_add_host(f, &h, &err), HR_ELIMIT);
    for (int i = 0; i < HR_FLEET_MAX_BALANCES; i++) {
        hr_balance b = {.resource1 = 0, .resource2 = 1, .target = 1, .weight = 1};
        assert_int_equal(hr_fleet_add_balance(f, &b, &err), i);
    }
    hr_balance b = {0};
    assert_int_equal(hr_fleet_add_balance(f, &b, &err), HR_ELIMIT);
    hr_fleet_free(f);
}

static void test_parse_amount(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        hr_unit unit;
        int rc;
        int64_t want;
    } cases[] = {
        {"2500m", HR_UNIT_MILLICORES, 0, 2500},
        {"1.5cores", HR_UNIT_MILLICORES, 0, 1500},
        {"1core", HR_UNIT_MILLICORES, 0, 1000},
        {"0.0005cores", HR_UNIT_MILLICORES, HR_EPARSE, 0}, /* half a millicore */
        {"0.001cores", HR_UNIT_MILLICORES, 0, 1},
        {"2500", HR_UNIT_MILLICORES, HR_EPARSE, 0}, /* strings need a unit */
        {"4GiB", HR_UNIT_BYTES, 0, INT64_C(4294967296)},
        {"4GB", HR_UNIT_BYTES, 0, INT64_C(4000000000)},
        {"1.5GiB", HR_UNIT_BYTES, 0, INT64_C(1610612736)},
        {"1.50000000000000GiB", HR_UNIT_BYTES, 0, INT64_C(1610612736)},
        {"870Mi", HR_UNIT_BYTES, 0, INT64_C(912261120)},
        {"512B", HR_UNIT_BYTES, 0, 512},
        {"8PiB", HR_UNIT_BYTES, 0, INT64_C(9007199254740992)},
        {"8192PiB", HR_UNIT_BYTES, HR_ERANGE, 0},
        {"1.5B", HR_UNIT_BYTES, HR_EPARSE, 0},
        {"4 GiB", HR_UNIT_BYTES, HR_EPARSE, 0},
        {"4gib", HR_UNIT_BYTES, HR_EPARSE, 0},
        {"GiB", HR_UNIT_BYTES, HR_EPARSE, 0},
        {"1.GiB", HR_UNIT_BYTES, HR_EPARSE, 0},
        {".5GiB", HR_UNIT_BYTES, HR_EPARSE, 0},
        {"1e3B", HR_UNIT_BYTES, HR_EPARSE, 0},
        {"-1GiB", HR_UNIT_BYTES, 0, -INT64_C(1073741824)},
        {"10Gbit", HR_UNIT_BITS_PER_SEC, 0, INT64_C(10000000000)},
        {"100Mbps", HR_UNIT_BITS_PER_SEC, 0, 100000000},
        {"2.5Gbit/s", HR_UNIT_BITS_PER_SEC, 0, INT64_C(2500000000)},
        {"1GiB", HR_UNIT_BITS_PER_SEC, HR_EPARSE, 0},
        {"2660MIPS", HR_UNIT_MIPS, 0, 2660},
        {"5iops", HR_UNIT_CUSTOM, HR_EPARSE, 0},
        {"", HR_UNIT_BYTES, HR_EPARSE, 0},
        {"1234567890123456789B", HR_UNIT_BYTES, HR_ERANGE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = -7;
        hr_error err = {0};
        int rc = hr_parse_amount(cases[i].s, cases[i].unit, &v, &err);
        if (rc != cases[i].rc || (rc == 0 && v != cases[i].want))
            fail_msg("\"%s\": rc %d value %lld (%s), expected rc %d value %lld", cases[i].s, rc,
                     (long long)v, err.msg, cases[i].rc, (long long)cases[i].want);
        if (rc < 0) assert_int_equal(v, -7); /* out untouched on failure */
    }
}

/* ---- malformed inputs (data-driven) --------------------------------------------------- */

static int code_of(const char *s)
{
    static const struct {
        const char *name;
        int code;
    } codes[] = {{"EPARSE", HR_EPARSE}, {"EINVAL", HR_EINVAL},   {"EEXIST", HR_EEXIST},
                 {"ELIMIT", HR_ELIMIT}, {"ENOTSUP", HR_ENOTSUP}, {"EIO", HR_EIO}};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(s, codes[i].name) == 0) return codes[i].code;
    fail_msg("unknown code %s in bad-cases.txt", s);
    return 0;
}

static void test_bad_cases(void **state)
{
    (void)state;
    FILE *fp = fopen(test_data("fleet/bad-cases.txt"), "r");
    assert_non_null(fp);
    char line[1024];
    int ncases = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        char *file = line, *code = strchr(file, '\t');
        assert_non_null(code);
        *code++ = '\0';
        char *want = strchr(code, '\t');
        assert_non_null(want);
        *want++ = '\0';
        char rel[1100];
        snprintf(rel, sizeof rel, "fleet/bad/%s", file);
        hr_fleet *f = (hr_fleet *)(uintptr_t)1; /* must stay untouched */
        hr_error err = {0};
        int rc = hr_fleet_load_json(test_data(rel), &f, &err);
        if (rc != code_of(code) || !strstr(err.msg, want))
            fail_msg("%s: rc %d \"%s\", expected %s \"%s\"", file, rc, err.msg, code, want);
        assert_ptr_equal(f, (hr_fleet *)(uintptr_t)1);
        ncases++;
    }
    fclose(fp);
    assert_true(ncases >= 30);
    /* I/O errors name the path. */
    hr_fleet *f = NULL;
    hr_error err = {0};
    assert_int_equal(hr_fleet_load_json("/nonexistent/fleet.json", &f, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/fleet.json: "));
    assert_int_equal(err.sys_errno, ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_values),  cmocka_unit_test(test_sample_loads),
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_compare_detects),
        cmocka_unit_test(test_roadef_example), cmocka_unit_test(test_api_errors),
        cmocka_unit_test(test_validate),       cmocka_unit_test(test_matrices),
        cmocka_unit_test(test_limits),         cmocka_unit_test(test_parse_amount),
        cmocka_unit_test(test_bad_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
