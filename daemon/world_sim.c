/* The "sim" world (world.h): a fleet's workloads become the VMs of the live
 * twin of lib/sim, whose utilisation is the newest sample of each
 * workload's series (percent, as PlanetLab and `headroom agent` report CPU).
 * The twin starts once every workload has reported; it is rebuilt when the
 * workloads change or its rounds run out. */
#include "daemon/world.h"

#include <headroom/sim.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Workloads at most, and rounds of a twin before it is built again (the
 * live twin keeps a utilisation per VM and round: 16 KB per workload). */
#define SIM_MAX_WORKLOADS 10000
#define SIM_WORLD_ROUNDS  2016

typedef char name_t[HRD_WORLD_NAME_MAX];
typedef char series_t[HRD_SERIES_NAME_MAX + 1];

typedef struct sim_world {
    hrd_world base;
    double step; /* simulated seconds per round */
    hr_sim_live *live;
    uint64_t generation; /* bumped when the twin is rebuilt */
    size_t n;
    name_t *names;
    series_t *series;
    int64_t *last_t; /* newest sample fed per workload */
    double *u;
    const hr_obs *obs; /* the last observation */
} sim_world;

static void twin_free(sim_world *s)
{
    hr_sim_live_free(s->live);
    s->live = NULL;
    free(s->names);
    free(s->series);
    free(s->last_t);
    free(s->u);
    s->names = NULL;
    s->series = NULL;
    s->last_t = NULL;
    s->u = NULL;
    s->obs = NULL;
    s->n = 0;
}

const char *hrd_world_fleet_of(const json_t *obj)
{
    const char *f = json_string_value(json_object_get(obj, "fleet"));
    return f && *f ? f : "default";
}

uint64_t hrd_world_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* The fleet's workloads with a series, in name order. */
static int list_workloads(sim_world *s, name_t **names, series_t **series, size_t *n, hr_error *err)
{
    *names = NULL;
    *series = NULL;
    *n = 0;
    size_t cap = 0;
    name_t cursor = "";
    for (;;) {
        json_t *page = NULL;
        int rc = hrd_obj_list(s->base.store, "workloads", cursor, 500, &page, err);
        if (rc < 0) return rc;
        size_t np = json_array_size(page);
        for (size_t i = 0; i < np; i++) {
            json_t *w = json_array_get(page, i);
            const char *name = json_string_value(json_object_get(w, "name"));
            const char *ser = json_string_value(json_object_get(w, "series"));
            if (name) snprintf(cursor, sizeof cursor, "%s", name);
            if (!name || !ser || strlen(name) >= HRD_WORLD_NAME_MAX ||
                strlen(ser) > HRD_SERIES_NAME_MAX || strcmp(hrd_world_fleet_of(w), s->base.fleet))
                continue;
            if (*n == SIM_MAX_WORKLOADS) {
                json_decref(page);
                return hr_error_set(err, HR_ELIMIT, "loop: fleet %s: more than %d workloads",
                                    s->base.fleet, SIM_MAX_WORKLOADS);
            }
            if (*n == cap) {
                cap = cap ? 2 * cap : 64;
                name_t *nn = realloc(*names, cap * sizeof *nn);
                if (nn) *names = nn;
                series_t *ns = nn ? realloc(*series, cap * sizeof *ns) : NULL;
                if (ns) *series = ns;
                if (!nn || !ns) {
                    json_decref(page);
                    return hr_error_set(err, HR_ENOMEM, "loop: out of memory");
                }
            }
            memset((*names)[*n], 0, sizeof **names);
            memset((*series)[*n], 0, sizeof **series);
            snprintf((*names)[*n], sizeof **names, "%s", name);
            snprintf((*series)[*n], sizeof **series, "%s", ser);
            (*n)++;
        }
        json_decref(page);
        if (np < 500) return 0;
    }
}

/* Rebuild the twin when the workloads changed. */
static int twin_sync(sim_world *s, hr_error *err)
{
    name_t *names = NULL;
    series_t *series = NULL;
    size_t n = 0;
    int rc = list_workloads(s, &names, &series, &n, err);
    bool same = rc == 0 && s->live && n == s->n && !memcmp(names, s->names, n * sizeof *names) &&
                !memcmp(series, s->series, n * sizeof *series);
    if (rc < 0 || same || n == 0) {
        free(names);
        free(series);
        if (rc == 0 && n == 0 && s->live) twin_free(s), s->generation++;
        return rc;
    }
    twin_free(s);
    s->generation++;
    s->names = names;
    s->series = series;
    s->n = n;
    s->last_t = calloc(n, sizeof *s->last_t);
    s->u = calloc(n, sizeof *s->u);
    if (!s->last_t || !s->u) {
        twin_free(s);
        return hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    }
    for (size_t i = 0; i < n; i++) s->last_t[i] = INT64_MIN;
    /* CloudSim hosts: two per three VMs at least, as the initial placement
     * asks full VM sizes. */
    size_t hosts = n < 2 ? 2 : (2 * n + 2) / 3 + 1;
    return hr_sim_live_new(n, hosts, s->step, SIM_WORLD_ROUNDS, &s->live, err);
}

/* The newest sample of each workload's series since the last round
 * (percent -> fraction; NaN keeps the previous value). */
static int feed(sim_world *s, hr_error *err)
{
    hr_vec t, v;
    hr_vec_init(&t, sizeof(int64_t), 0);
    hr_vec_init(&v, sizeof(double), 0);
    for (size_t i = 0; i < s->n; i++) {
        s->u[i] = NAN;
        int64_t from = s->last_t[i] == INT64_MIN ? INT64_MIN : s->last_t[i] + 1;
        for (;;) {
            bool more = false;
            t.len = v.len = 0;
            int rc = hrd_store_read(s->base.store, s->series[i], from, INT64_MAX, 100000, &t, &v,
                                    &more, NULL);
            if (rc < 0 || !t.len) break; /* no series yet, or nothing new */
            const int64_t *ts = t.data;
            const double *vs = v.data;
            s->last_t[i] = ts[t.len - 1];
            s->u[i] = vs[v.len - 1] / 100;
            if (!more) break;
            from = s->last_t[i] + 1;
        }
    }
    hr_vec_release(&t);
    hr_vec_release(&v);
    return hr_sim_live_feed(s->live, s->u, s->n, err);
}

static int sim_sync(hrd_world *w, hr_error *err)
{
    sim_world *s = (sim_world *)w;
    int rc = twin_sync(s, err);
    if (rc < 0) return rc;
    if (!s->live) return 1;
    if ((rc = feed(s, err)) < 0) return rc;
    for (size_t i = 0; i < s->n; i++) /* the twin starts once every workload has reported */
        if (s->last_t[i] == INT64_MIN) return 1;
    return 0;
}

static int sim_observe(void *ud, double now, const hr_obs **out, hr_error *err)
{
    sim_world *s = ud;
    int rc = hr_sim_live_telemetry()->observe(s->live, now, out, err);
    if (rc == 0) s->obs = *out;
    return rc;
}

static int sim_apply(void *ud, const hr_action *acts, size_t n, hr_error *err)
{
    return hr_sim_live_driver()->apply(((sim_world *)ud)->live, acts, n, err);
}

static int sim_planner(hrd_world *w, const char *policy, const hr_planner_ops **ops, void **ud,
                       hr_error *err)
{
    return hr_sim_live_planner(((sim_world *)w)->live, policy, ops, ud, err);
}

static json_t *host_name(int32_t h)
{
    char b[32];
    snprintf(b, sizeof b, "sim-host-%d", (int)h);
    return json_string(b);
}

static json_t *sim_action_json(hrd_world *w, const hr_action *x, size_t i, bool ran)
{
    (void)i, (void)ran;
    sim_world *s = (sim_world *)w;
    const char *name = x->workload >= 0 && (size_t)x->workload < s->n ? s->names[x->workload] : "?";
    return json_pack("{s:s, s:s, s:o, s:o, s:s}", "kind", "migrate", "workload", name, "from",
                     host_name(x->from), "to", host_name(x->to), "reason", x->reason);
}

/* The predictive policy's thresholds (lib/sim/predictive.c) and CloudSim's
 * static threshold (thr-mmt, 0.8), for the words of an empty plan. */
static void sim_explain(hrd_world *w, const hr_obs *obs, const char *policy, char *buf, size_t size)
{
    (void)w;
    size_t active = 0, moving = 0;
    double lo = HUGE_VAL, hi = 0;
    for (size_t h = 0; obs && h < obs->nhosts; h++) {
        const hr_obs_host *o = &obs->hosts[h];
        if (!o->nmembers) continue;
        double u = o->cap_mips > 0 ? o->used_mips / o->cap_mips : 0;
        active++;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    for (size_t v = 0; obs && v < obs->nworkloads; v++) moving += obs->wl[v].moving;
    if (!active) lo = 0;
    if (!strcmp(policy, "predictive"))
        snprintf(buf, size,
                 "no action: %zu active hosts at %.2f-%.2f of capacity now, %zu migrations under "
                 "way; no host forecast above 1.00 at p90, and no host below 0.60 can be drained "
                 "(a VM on it moved in the last 12 rounds, its VMs fit on no other active host, "
                 "or the idle power saved over 12 rounds does not outweigh the migrations' cost)",
                 active, lo, hi, moving);
    else
        snprintf(buf, size,
                 "no action: %zu active hosts at %.2f-%.2f of capacity now, %zu migrations under "
                 "way; no host above the %s threshold, and no underloaded host whose VMs all fit "
                 "elsewhere",
                 active, lo, hi, moving, policy);
}

static uint64_t sim_state(hrd_world *w)
{
    sim_world *s = (sim_world *)w;
    uint64_t h = hrd_world_fnv(HRD_FNV_START, &s->generation, sizeof s->generation);
    for (size_t v = 0; s->obs && v < s->obs->nworkloads; v++) {
        int32_t at[2] = {s->obs->wl[v].host, s->obs->wl[v].moving};
        h = hrd_world_fnv(h, at, sizeof at);
    }
    return h;
}

static int sim_recover(hrd_world *w, int rc)
{
    sim_world *s = (sim_world *)w;
    if (rc != HR_ELIMIT) return rc;
    twin_free(s); /* the live twin's rounds ran out: a new one next round */
    s->generation++;
    return 0;
}

static size_t sim_rounds(hrd_world *w)
{
    sim_world *s = (sim_world *)w;
    return s->live ? hr_sim_live_rounds(s->live) : 0;
}

static void sim_free(hrd_world *w)
{
    if (!w) return;
    twin_free((sim_world *)w);
    free(w);
}

static const hr_telemetry_ops sim_tel = {sim_observe};
static const hr_driver_ops sim_drv = {sim_apply};
static const hrd_world_ops sim_ops = {
    .name = "sim",
    .sync = sim_sync,
    .telemetry = &sim_tel,
    .driver = &sim_drv,
    .planner = sim_planner,
    .action_json = sim_action_json,
    .explain = sim_explain,
    .state = sim_state,
    .recover = sim_recover,
    .rounds = sim_rounds,
    .free = sim_free,
};

int hrd_world_sim_new(hrd_store *st, const hrd_config *c, const char *fleet, hrd_world **out,
                      hr_error *err)
{
    sim_world *s = calloc(1, sizeof *s);
    if (!s) return hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    s->base.ops = &sim_ops;
    s->base.store = st;
    snprintf(s->base.fleet, sizeof s->base.fleet, "%s", fleet);
    s->step = c->loop_sim_step_sec > 0   ? c->loop_sim_step_sec
              : c->loop_interval_sec < 1 ? 1
                                         : c->loop_interval_sec;
    *out = &s->base;
    return 0;
}
