/* The "act" world (world.h): a fleet of real hosts and workloads from the
 * store, acted on through lib/act (actuate.c).
 *
 * Objects (the fleet is their "fleet" member, "default" when absent):
 *   hosts      {"name", "cpus": cores, "mem_bytes", "netns"}   (a workload
 *              whose host is not stored gets this machine's cores/memory)
 *   workloads  {"name", "host", "series": CPU in cores, "mem_series":
 *              memory in bytes, "cgroup": group name (default: the name),
 *              "pids": [...], "vm": a headroom vm directory, "priority",
 *              "sla": an SLA whose target_quantile is guaranteed (0.9)}
 * A workload with "vm" and no "cgroup" is a VM that may be migrated; every
 * other one has a cgroup that is resized.
 *
 * Telemetry: the series' new samples each round (history of HIST points).
 * Planners:
 *   predictive  each workload's next-step CPU and memory quantiles (0.5,
 *               0.9, 0.99) from a naive model over its history; VMs leave
 *               a host whose p90 demand exceeds it (to the host with the
 *               most room that fits); then every host's partition
 *               (hr_part_solve: guarantees at the SLA quantile, limits at
 *               p99, memory max = limit x 1.25) gives each cgroup its CPU
 *               quota and memory max;
 *   thr-mmt     (reactive) the same from the newest value alone, with 25 %
 *               headroom at the top.
 * A limit within HYST of the one in force is left alone. The driver
 * journals every action before it runs (actuate.c).
 */
#include "daemon/actuate.h"
#include "daemon/world.h"

#include <headroom/forecast.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ACT_MAX_HOSTS     1024
#define ACT_MAX_WORKLOADS 4096
#define ACT_MAX_PIDS      64
#define HIST              288  /* samples of history per series (a day of 5 minutes) */
#define FIT_MIN           6    /* samples before a model is fitted */
#define HYST              0.10 /* relative change below which a limit stays */
#define ACT_DEADLINE_MS   120000

typedef char name_t[HRD_WORLD_NAME_MAX];

typedef struct act_host {
    name_t name;
    size_t ncpus;
    int64_t mem_bytes;
    char netns[64];
} act_host;

typedef struct hist {
    double v[HIST]; /* oldest first */
    size_t n;
    int64_t last_t;
} hist;

typedef struct act_wl {
    name_t name;
    int32_t host;
    char cpu[HRD_SERIES_NAME_MAX + 1], mem[HRD_SERIES_NAME_MAX + 1];
    char group[65];
    char vm[400];
    int32_t pids[ACT_MAX_PIDS];
    size_t npids;
    int32_t priority;
    double quantile;
    hist hc, hm;                   /* cores, bytes */
    int64_t cpu_millis, mem_bytes; /* limits in force, read from the kernel each round (0 = none) */
} act_wl;

typedef struct act_world {
    hrd_world base;
    hrd_actuate *act;
    bool dry_run;
    uint64_t generation, config; /* config: digest of the objects */
    act_host *hosts;
    size_t nhosts;
    act_wl *wl;
    size_t n;
    /* the observation */
    hr_obs obs;
    hr_obs_host *ohosts;
    hr_obs_workload *owl;
    int32_t *members;
    uint8_t *incoming;
    double *uhist; /* [n * HR_OBS_HISTORY] */
    size_t round;
    /* the planner */
    double (*qc)[3], (*qm)[3]; /* per workload: demand at 0.5, 0.9, 0.99 (millicores, bytes) */
    int32_t *where;            /* planned host */
    char summary[512];         /* why the last plan is empty */
    /* the last run of the driver */
    hrd_act_item *items;
    size_t nitems;
    struct act_planner *pl_pred, *pl_thr;
} act_world;

static void arrays_free(act_world *a)
{
    free(a->hosts);
    free(a->wl);
    free(a->ohosts);
    free(a->owl);
    free(a->members);
    free(a->incoming);
    free(a->uhist);
    free(a->qc);
    free(a->qm);
    free(a->where);
    a->hosts = NULL;
    a->wl = NULL;
    a->ohosts = NULL;
    a->owl = NULL;
    a->members = NULL;
    a->incoming = NULL;
    a->uhist = NULL;
    a->qc = a->qm = NULL;
    a->where = NULL;
    a->n = a->nhosts = 0;
}

/* ---- objects -------------------------------------------------------------------------- */

/* Every object of `kind` in the fleet, in name order, into a new array. */
static int list_fleet(act_world *a, const char *kind, size_t max, json_t **out, hr_error *err)
{
    json_t *all = json_array();
    char cursor[HRD_WORLD_NAME_MAX] = "";
    for (;;) {
        json_t *page = NULL;
        int rc = hrd_obj_list(a->base.store, kind, cursor, 500, &page, err);
        if (rc < 0) {
            json_decref(all);
            return rc;
        }
        size_t np = json_array_size(page);
        for (size_t i = 0; i < np; i++) {
            json_t *o = json_array_get(page, i);
            const char *name = json_string_value(json_object_get(o, "name"));
            if (name) snprintf(cursor, sizeof cursor, "%s", name);
            if (name && !strcmp(hrd_world_fleet_of(o), a->base.fleet)) json_array_append(all, o);
        }
        json_decref(page);
        if (json_array_size(all) > max) {
            json_decref(all);
            return hr_error_set(err, HR_ELIMIT, "loop: fleet %s: more than %zu %s", a->base.fleet,
                                max, kind);
        }
        if (np < 500) break;
    }
    *out = all;
    return 0;
}

static int64_t int_member(const json_t *o, const char *key, int64_t def)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : def;
}

static const char *str_member(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static int32_t host_index(act_world *a, const char *name)
{
    for (size_t h = 0; h < a->nhosts; h++)
        if (!strcmp(a->hosts[h].name, name)) return (int32_t)h;
    return -1;
}

/* A host from its object `o`; what it does not say (all of it when o is
 * NULL: a host the store does not describe) is this machine's size. */
static int add_host(act_world *a, const json_t *o, const char *name, size_t cap, hr_error *err)
{
    if (a->nhosts == cap) return hr_error_set(err, HR_ELIMIT, "loop: more than %zu hosts", cap);
    act_host *h = &a->hosts[a->nhosts++];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    snprintf(h->name, sizeof h->name, "%s", name);
    h->ncpus = (size_t)int_member(o, "cpus", cpus > 0 ? cpus : 1);
    if (h->ncpus > 1024) h->ncpus = 1024;
    h->mem_bytes = int_member(o, "mem_bytes", pages > 0 && psz > 0 ? (int64_t)pages * psz : 1);
    snprintf(h->netns, sizeof h->netns, "%s", str_member(o, "netns"));
    return 0;
}

static double sla_quantile(act_world *a, const json_t *w)
{
    const char *sla = str_member(w, "sla");
    json_t *s = NULL;
    double q = 0.9;
    if (*sla && hrd_obj_get(a->base.store, "slas", sla, &s, NULL) == 0) {
        json_t *v = json_object_get(s, "target_quantile");
        if (json_is_number(v) && json_number_value(v) > 0 && json_number_value(v) < 1)
            q = json_number_value(v);
        json_decref(s);
    }
    return q;
}

static void wl_from(act_world *a, act_wl *x, const json_t *o, int32_t host)
{
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", str_member(o, "name"));
    x->host = host;
    snprintf(x->cpu, sizeof x->cpu, "%s", str_member(o, "series"));
    snprintf(x->mem, sizeof x->mem, "%s", str_member(o, "mem_series"));
    snprintf(x->vm, sizeof x->vm, "%s", str_member(o, "vm"));
    const char *g = str_member(o, "cgroup");
    snprintf(x->group, sizeof x->group, "%.64s", *g ? g : x->vm[0] ? "" : x->name);
    json_t *pids = json_object_get(o, "pids");
    for (size_t i = 0; i < json_array_size(pids) && x->npids < ACT_MAX_PIDS; i++) {
        json_int_t p = json_integer_value(json_array_get(pids, i));
        if (p > 0 && p <= INT32_MAX) x->pids[x->npids++] = (int32_t)p;
    }
    x->priority = (int32_t)int_member(o, "priority", 0);
    x->quantile = sla_quantile(a, o);
    x->hc.last_t = x->hm.last_t = INT64_MIN;
}

/* Read the fleet's hosts and workloads; keep history and limits of the
 * workloads that stay. */
static int objects_sync(act_world *a, hr_error *err)
{
    json_t *hs = NULL, *ws = NULL;
    int rc = list_fleet(a, "hosts", ACT_MAX_HOSTS, &hs, err);
    if (rc == 0) rc = list_fleet(a, "workloads", ACT_MAX_WORKLOADS, &ws, err);
    char *text = NULL;
    uint64_t digest = 0;
    if (rc == 0) {
        json_t *both = json_pack("[O, O]", hs, ws);
        text = both ? json_dumps(both, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(both);
        if (!text)
            rc = hr_error_set(err, HR_ENOMEM, "loop: out of memory");
        else
            digest = hrd_world_fnv(HRD_FNV_START, text, strlen(text));
        free(text);
    }
    if (rc < 0 || (digest == a->config && a->wl)) goto out;
    act_world old = *a;
    a->hosts = NULL, a->wl = NULL, a->ohosts = NULL, a->owl = NULL, a->members = NULL;
    a->incoming = NULL, a->uhist = NULL, a->qc = a->qm = NULL, a->where = NULL;
    a->n = a->nhosts = 0;
    size_t nw = json_array_size(ws), nh = json_array_size(hs) + nw, n1 = nw ? nw : 1;
    a->hosts = calloc(nh ? nh : 1, sizeof *a->hosts);
    a->wl = calloc(n1, sizeof *a->wl);
    a->ohosts = calloc(nh ? nh : 1, sizeof *a->ohosts);
    a->owl = calloc(n1, sizeof *a->owl);
    a->members = calloc(n1, sizeof *a->members);
    a->incoming = calloc(n1, 1);
    a->uhist = calloc(n1 * HR_OBS_HISTORY, sizeof *a->uhist);
    a->qc = calloc(n1, sizeof *a->qc);
    a->qm = calloc(n1, sizeof *a->qm);
    a->where = calloc(n1, sizeof *a->where);
    if (!a->hosts || !a->wl || !a->ohosts || !a->owl || !a->members || !a->incoming || !a->uhist ||
        !a->qc || !a->qm || !a->where) {
        rc = hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    }
    for (size_t i = 0; rc == 0 && i < json_array_size(hs); i++) {
        const json_t *o = json_array_get(hs, i);
        rc = add_host(a, o, str_member(o, "name"), nh, err);
    }
    for (size_t i = 0; rc == 0 && i < nw; i++) {
        const json_t *o = json_array_get(ws, i);
        if (!*str_member(o, "series")) continue;
        const char *hn = str_member(o, "host");
        int32_t h = host_index(a, *hn ? hn : "local");
        if (h < 0 && (rc = add_host(a, NULL, *hn ? hn : "local", nh, err)) == 0)
            h = (int32_t)a->nhosts - 1;
        if (rc < 0) break;
        act_wl *x = &a->wl[a->n++];
        wl_from(a, x, o, h);
        for (size_t k = 0; k < old.n; k++) /* keep what we learnt of it */
            if (!strcmp(old.wl[k].name, x->name)) {
                if (!strcmp(old.wl[k].cpu, x->cpu)) x->hc = old.wl[k].hc;
                if (!strcmp(old.wl[k].mem, x->mem)) x->hm = old.wl[k].hm;
            }
    }
    if (rc < 0) {
        arrays_free(a);
        *a = old;
        goto out;
    }
    arrays_free(&old);
    a->config = digest;
    a->generation++;
out:
    json_decref(hs);
    json_decref(ws);
    return rc;
}

/* ---- telemetry ------------------------------------------------------------------------ */

static void hist_push(hist *h, double v)
{
    if (h->n == HIST) memmove(h->v, h->v + 1, (HIST - 1) * sizeof *h->v), h->n--;
    h->v[h->n++] = v;
}

/* The samples of `series` newer than h->last_t into h. */
static void read_new(act_world *a, const char *series, hist *h, hr_vec *t, hr_vec *v)
{
    if (!*series) return;
    int64_t from = h->last_t == INT64_MIN ? INT64_MIN : h->last_t + 1;
    for (;;) {
        bool more = false;
        t->len = v->len = 0;
        if (hrd_store_read(a->base.store, series, from, INT64_MAX, 100000, t, v, &more, NULL) < 0 ||
            !t->len)
            return;
        const int64_t *ts = t->data;
        const double *vs = v->data;
        for (size_t i = t->len > HIST ? t->len - HIST : 0; i < t->len; i++)
            if (isfinite(vs[i])) hist_push(h, vs[i]);
        h->last_t = ts[t->len - 1];
        if (!more) return;
        from = h->last_t + 1;
    }
}

static int act_sync(hrd_world *w, hr_error *err)
{
    act_world *a = (act_world *)w;
    int rc = objects_sync(a, err);
    if (rc < 0) return rc;
    if (!a->n) return 1;
    hr_vec t, v;
    hr_vec_init(&t, sizeof(int64_t), 0);
    hr_vec_init(&v, sizeof(double), 0);
    bool ready = true;
    for (size_t i = 0; i < a->n; i++) {
        read_new(a, a->wl[i].cpu, &a->wl[i].hc, &t, &v);
        read_new(a, a->wl[i].mem, &a->wl[i].hm, &t, &v);
        ready &= a->wl[i].hc.n > 0;
        if (a->wl[i].group[0]) /* the limits in force: the kernel's, whoever set them */
            hrd_actuate_limits(a->act, a->wl[i].group, &a->wl[i].cpu_millis, &a->wl[i].mem_bytes);
    }
    hr_vec_release(&t);
    hr_vec_release(&v);
    return ready ? 0 : 1;
}

static double newest(const hist *h)
{
    return h->n ? h->v[h->n - 1] : 0;
}

static int act_observe(void *ud, double now, const hr_obs **out, hr_error *err)
{
    (void)err;
    act_world *a = ud;
    size_t k = 0;
    for (size_t h = 0; h < a->nhosts; h++) {
        hr_obs_host *o = &a->ohosts[h];
        o->core_mips = 1000;
        o->cap_mips = 1000.0 * (double)a->hosts[h].ncpus;
        o->used_mips = 0;
        o->members = a->members + k;
        o->incoming = a->incoming + k;
        o->nmembers = 0;
        for (size_t i = 0; i < a->n; i++)
            if (a->wl[i].host == (int32_t)h) {
                a->members[k++] = (int32_t)i;
                o->nmembers++;
                o->used_mips += 1000 * newest(&a->wl[i].hc);
            }
    }
    for (size_t i = 0; i < a->n; i++) {
        const act_wl *x = &a->wl[i];
        hr_obs_workload *o = &a->owl[i];
        double cap = a->ohosts[x->host].cap_mips;
        o->alive = true;
        o->moving = false;
        o->host = x->host;
        o->demand_mips = 1000 * newest(&x->hc);
        o->limit_mips = x->cpu_millis > 0 ? (double)x->cpu_millis : cap;
        o->mem_mb = newest(&x->hm) / (1 << 20);
        double *u = a->uhist + i * HR_OBS_HISTORY;
        o->nhist = x->hc.n < HR_OBS_HISTORY ? x->hc.n : HR_OBS_HISTORY;
        for (size_t j = 0; j < o->nhist; j++)
            u[j] = 1000 * x->hc.v[x->hc.n - 1 - j] / (o->limit_mips > 0 ? o->limit_mips : 1);
        o->hist = u;
    }
    a->obs = (hr_obs){.now_s = now,
                      .round = a->round++,
                      .nhosts = a->nhosts,
                      .nworkloads = a->n,
                      .hosts = a->ohosts,
                      .wl = a->owl};
    *out = &a->obs;
    return 0;
}

/* ---- planners ------------------------------------------------------------------------- */

/* Demand at levels 0.5, 0.9, 0.99 of one step ahead (scaled by `unit`):
 * predictive from a naive model once FIT_MIN samples exist (never below
 * the newest value), else the newest value with 25 % headroom at the top. */
static int demand(const hist *h, bool predictive, double unit, double q[3], hr_error *err)
{
    double last = newest(h);
    q[0] = last, q[1] = last * 1.1, q[2] = last * 1.25;
    if (!predictive || h->n < FIT_MIN) {
        if (predictive) /* too young for a model: the most seen so far */
            for (size_t i = 0; i < h->n; i++) q[2] = fmax(q[2], h->v[i] * 1.2);
        for (size_t j = 0; j < 3; j++) q[j] *= unit;
        return 0;
    }
    static const double lv[3] = {0.5, 0.9, 0.99};
    hr_model *m = NULL;
    hr_forecast f;
    int rc = hr_forecast_init(&f, 1, lv, 3, err);
    if (rc < 0) return rc;
    if ((rc = hr_model_new("naive", NULL, &m, err)) == 0 &&
        (rc = hr_model_fit(m, h->v, h->n, err)) == 0 &&
        (rc = hr_model_forecast(m, 1, &f, err)) == 0)
        for (size_t j = 0; j < 3; j++)
            q[j] = fmax(f.has_quantiles ? hr_forecast_q(&f, 0, j) : q[j], j ? last : 0);
    hr_model_free(m);
    hr_forecast_release(&f);
    for (size_t j = 0; j < 3; j++) q[j] = fmax(0, q[j]) * unit;
    return rc;
}

typedef struct act_planner {
    act_world *a;
    bool predictive;
} act_planner;

static int pl_forecast(void *ud, const hr_obs *obs, hr_error *err)
{
    (void)obs;
    act_planner *p = ud;
    act_world *a = p->a;
    for (size_t i = 0; i < a->n; i++) {
        int rc = demand(&a->wl[i].hc, p->predictive, 1000, a->qc[i], err);
        if (rc == 0) rc = demand(&a->wl[i].hm, p->predictive, 1, a->qm[i], err);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Planned p90 CPU (millicores) and memory on host h. */
static void host_load(act_world *a, int32_t h, double *cpu, double *mem)
{
    *cpu = *mem = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->where[i] == h) *cpu += a->qc[i][1], *mem += a->qm[i][1];
}

/* VMs off hosts whose p90 demand exceeds them. */
static int plan_moves(act_world *a, hr_actions *out, double *fullest, hr_error *err)
{
    for (size_t h = 0; h < a->nhosts; h++) {
        double cap = 1000.0 * (double)a->hosts[h].ncpus, mcap = (double)a->hosts[h].mem_bytes;
        for (;;) {
            double cpu, mem;
            host_load(a, (int32_t)h, &cpu, &mem);
            *fullest = fmax(*fullest, fmax(cpu / cap, mem / mcap));
            if (cpu <= cap && mem <= mcap) break;
            long pick = -1, to = -1;
            for (size_t i = 0; i < a->n; i++) /* the smallest VM: the cheapest to move */
                if (a->where[i] == (int32_t)h && a->wl[i].vm[0] && !a->wl[i].group[0] &&
                    (pick < 0 || a->qm[i][1] < a->qm[pick][1]))
                    pick = (long)i;
            if (pick < 0) break;
            double best = -1;
            for (size_t g = 0; g < a->nhosts; g++) {
                if (g == h) continue;
                double c2, m2, gc = 1000.0 * (double)a->hosts[g].ncpus;
                host_load(a, (int32_t)g, &c2, &m2);
                double room = gc - c2 - a->qc[pick][1];
                if (room >= 0 && m2 + a->qm[pick][1] <= (double)a->hosts[g].mem_bytes &&
                    room > best)
                    best = room, to = (long)g;
            }
            if (to < 0) break;
            int rc = hr_actions_migrate(out, (int32_t)pick, (int32_t)h, (int32_t)to,
                                        "host %s cpu p90 %.2f > %zu cores: to %s (%.2f free)",
                                        a->hosts[h].name, cpu / 1000, a->hosts[h].ncpus,
                                        a->hosts[to].name, best / 1000);
            if (rc < 0) return hr_error_set(err, rc, "loop: too many actions");
            a->where[pick] = (int32_t)to;
        }
    }
    return 0;
}

static bool differs(int64_t now, int64_t want)
{
    return want > 0 && (now <= 0 || fabs((double)(want - now)) > HYST * (double)now);
}

/* Every host's partition over its cgroups: resizes where a limit moves. */
static int plan_resizes(act_world *a, hr_actions *out, double *maxdiff, hr_error *err)
{
    hrd_part_in *in = calloc(a->n ? a->n : 1, sizeof *in);
    hrd_part_out *po = calloc(a->n ? a->n : 1, sizeof *po);
    size_t *idx = calloc(a->n ? a->n : 1, sizeof *idx);
    int rc = in && po && idx ? 0 : hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    for (size_t h = 0; rc == 0 && h < a->nhosts; h++) {
        size_t k = 0;
        for (size_t i = 0; i < a->n; i++) {
            if (a->where[i] != (int32_t)h || !a->wl[i].group[0]) continue;
            in[k] = (hrd_part_in){.name = a->wl[i].name,
                                  .priority = a->wl[i].priority,
                                  .quantile = a->wl[i].quantile};
            memcpy(in[k].cpu_millis, a->qc[i], sizeof in[k].cpu_millis);
            memcpy(in[k].mem_bytes, a->qm[i], sizeof in[k].mem_bytes);
            idx[k++] = i;
        }
        if (!k) continue;
        const act_host *hh = &a->hosts[h];
        if ((rc = hrd_actuate_partition(hh->name, hh->ncpus, hh->mem_bytes, in, k, po, err)) < 0)
            break;
        for (size_t j = 0; j < k && rc == 0; j++) {
            act_wl *x = &a->wl[idx[j]];
            int64_t cpu = po[j].cpu_limit_millis, mem = x->hm.n ? po[j].mem_max : 0;
            bool dc = differs(x->cpu_millis, cpu), dm = differs(x->mem_bytes, mem);
            if (x->cpu_millis > 0)
                *maxdiff =
                    fmax(*maxdiff, fabs((double)(cpu - x->cpu_millis)) / (double)x->cpu_millis);
            if (x->mem_bytes > 0 && mem > 0)
                *maxdiff =
                    fmax(*maxdiff, fabs((double)(mem - x->mem_bytes)) / (double)x->mem_bytes);
            if (!dc && !dm) continue;
            char m[48] = "; memory not measured";
            if (mem > 0)
                snprintf(m, sizeof m, "; mem p99 %.0f MiB -> max %.0f MiB",
                         a->qm[idx[j]][2] / (1 << 20), (double)mem / (1 << 20));
            rc = hr_actions_resize(out, (int32_t)idx[j], (int32_t)h, cpu, mem,
                                   "cpu p99 %.2f -> limit %.2f cores%s", a->qc[idx[j]][2] / 1000,
                                   (double)cpu / 1000, m);
            if (rc < 0) rc = hr_error_set(err, rc, "loop: too many actions");
        }
    }
    free(in);
    free(po);
    free(idx);
    return rc;
}

static int pl_plan(void *ud, const hr_obs *obs, hr_actions *out, hr_error *err)
{
    (void)obs;
    act_planner *p = ud;
    act_world *a = p->a;
    for (size_t i = 0; i < a->n; i++) a->where[i] = a->wl[i].host;
    double fullest = 0, maxdiff = 0;
    int rc = plan_moves(a, out, &fullest, err);
    if (rc == 0) rc = plan_resizes(a, out, &maxdiff, err);
    if (rc < 0) return rc;
    snprintf(a->summary, sizeof a->summary,
             "no action: %zu workloads on %zu hosts; no host over capacity at p90 (the fullest at "
             "%.2f), every limit within %.0f %% of what the %s demand asks (the largest gap "
             "%.0f %%)",
             a->n, a->nhosts, fullest, HYST * 100,
             p->predictive ? "forecast p99" : "newest value + 25 %", maxdiff * 100);
    return 0;
}

static const hr_planner_ops act_pred_ops = {
    .name = "predictive", .forecast = pl_forecast, .plan = pl_plan};
static const hr_planner_ops act_thr_ops = {
    .name = "threshold", .forecast = pl_forecast, .plan = pl_plan};

static int act_planner_of(hrd_world *w, const char *policy, const hr_planner_ops **ops, void **ud,
                          hr_error *err)
{
    act_world *a = (act_world *)w;
    bool predictive = !strcmp(policy, "predictive");
    if (!predictive && strcmp(policy, "thr-mmt"))
        return hr_error_set(err, HR_EINVAL, "loop: the act driver has no policy \"%s\"", policy);
    act_planner *p = predictive ? a->pl_pred : a->pl_thr;
    *ops = predictive ? &act_pred_ops : &act_thr_ops;
    *ud = p;
    return 0;
}

/* ---- the driver ------------------------------------------------------------------------ */

/* Record a done migration in the workload's stored object. */
static void moved(act_world *a, act_wl *x, int32_t to)
{
    json_t *o = NULL;
    if (hrd_obj_get(a->base.store, "workloads", x->name, &o, NULL) == 0) {
        json_object_set_new(o, "host", json_string(a->hosts[to].name));
        hrd_obj_put(a->base.store, "workloads", x->name, o, false, NULL);
        json_decref(o);
    }
    x->host = to;
}

static int act_apply(void *ud, const hr_action *acts, size_t n, hr_error *err)
{
    act_world *a = ud;
    free(a->items);
    a->nitems = 0;
    a->items = calloc(n ? n : 1, sizeof *a->items);
    if (!a->items) return hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    for (size_t i = 0; i < n; i++) {
        const hr_action *x = &acts[i];
        hrd_act_item *it = &a->items[i];
        if (x->workload < 0 || (size_t)x->workload >= a->n || x->from < 0 ||
            (size_t)x->from >= a->nhosts || x->to < 0 || (size_t)x->to >= a->nhosts)
            return hr_error_set(err, HR_EINVAL, "loop: action %zu: no such workload or host", i);
        const act_wl *w = &a->wl[x->workload];
        snprintf(it->key, sizeof it->key, "loop/%.110s/%.60s/%zu", a->base.fleet, a->base.plan_key,
                 i);
        snprintf(it->plan, sizeof it->plan, "loop/%.120s/%.60s", a->base.fleet, a->base.plan_key);
        it->migrate = x->kind == HR_ACT_MIGRATE;
        it->workload = w->name;
        it->host = a->hosts[x->from].name;
        it->group = w->group;
        it->pids = w->pids;
        it->npids = w->npids;
        it->cpu_period_usec = 100000;
        it->cpu_quota_usec = x->cpu_millis > 0 ? x->cpu_millis * 100 : 0;
        it->mem_max = x->mem_bytes;
        it->vm_dir = w->vm;
        it->to_netns = a->hosts[x->to].netns;
    }
    a->nitems = n;
    int done = hrd_actuate_run(a->act, a->items, n, a->dry_run, ACT_DEADLINE_MS, err);
    if (done < 0) return done;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(a->items[i].state, "done")) continue;
        act_wl *w = &a->wl[acts[i].workload];
        if (acts[i].kind == HR_ACT_MIGRATE) {
            moved(a, w, acts[i].to);
        } else {
            if (acts[i].cpu_millis > 0) w->cpu_millis = acts[i].cpu_millis;
            if (acts[i].mem_bytes > 0) w->mem_bytes = acts[i].mem_bytes;
        }
    }
    return done;
}

static json_t *act_action_json(hrd_world *w, const hr_action *x, size_t i, bool ran)
{
    act_world *a = (act_world *)w;
    const char *wl = x->workload >= 0 && (size_t)x->workload < a->n ? a->wl[x->workload].name : "?";
    const char *from = x->from >= 0 && (size_t)x->from < a->nhosts ? a->hosts[x->from].name : "?";
    const char *to = x->to >= 0 && (size_t)x->to < a->nhosts ? a->hosts[x->to].name : "?";
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind",
                          x->kind == HR_ACT_MIGRATE ? "migrate" : "resize", "workload", wl, "from",
                          from, "to", to, "reason", x->reason);
    if (o && x->kind == HR_ACT_RESIZE) {
        const act_wl *q =
            x->workload >= 0 && (size_t)x->workload < a->n ? &a->wl[x->workload] : NULL;
        json_object_set_new(o, "cgroup", json_string(q ? q->group : ""));
        json_object_set_new(o, "cpu_millis", json_integer(x->cpu_millis));
        json_object_set_new(o, "cpu_quota_usec", json_integer(x->cpu_millis * 100));
        json_object_set_new(o, "cpu_period_usec", json_integer(100000));
        json_object_set_new(o, "mem_max", json_integer(x->mem_bytes));
    }
    if (o && ran && i < a->nitems) {
        const hrd_act_item *it = &a->items[i];
        json_object_set_new(o, "state", json_string(it->state));
        if (it->error[0]) json_object_set_new(o, "error", json_string(it->error));
        if (it->journal_id > 0) json_object_set_new(o, "journal_id", json_integer(it->journal_id));
    }
    return o;
}

static void act_explain(hrd_world *w, const hr_obs *obs, const char *policy, char *buf, size_t size)
{
    (void)obs, (void)policy;
    snprintf(buf, size, "%s", ((act_world *)w)->summary);
}

static uint64_t act_state(hrd_world *w)
{
    act_world *a = (act_world *)w;
    uint64_t h = hrd_world_fnv(HRD_FNV_START, &a->generation, sizeof a->generation);
    for (size_t i = 0; i < a->n; i++) {
        int64_t s[3] = {a->wl[i].host, a->wl[i].cpu_millis, a->wl[i].mem_bytes};
        h = hrd_world_fnv(h, s, sizeof s);
    }
    return h;
}

static int act_recover(hrd_world *w, int rc)
{
    (void)w;
    return rc;
}

static size_t act_rounds(hrd_world *w)
{
    return ((act_world *)w)->round;
}

static void act_free(hrd_world *w)
{
    act_world *a = (act_world *)w;
    if (!a) return;
    arrays_free(a);
    free(a->items);
    free(a->pl_pred);
    free(a->pl_thr);
    hrd_actuate_close(a->act);
    free(a);
}

static const hr_telemetry_ops act_tel = {act_observe};
static const hr_driver_ops act_drv = {act_apply};
static const hrd_world_ops act_ops = {
    .name = "act",
    .sync = act_sync,
    .telemetry = &act_tel,
    .driver = &act_drv,
    .planner = act_planner_of,
    .action_json = act_action_json,
    .explain = act_explain,
    .state = act_state,
    .recover = act_recover,
    .rounds = act_rounds,
    .free = act_free,
};

int hrd_world_act_new(hrd_store *st, const hrd_config *c, const char *fleet, hrd_world **out,
                      hr_error *err)
{
    act_world *a = calloc(1, sizeof *a);
    if (!a) return hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    a->base.ops = &act_ops;
    a->base.store = st;
    snprintf(a->base.fleet, sizeof a->base.fleet, "%s", fleet);
    a->dry_run = !strcmp(c->loop_dry_run, "true");
    a->pl_pred = malloc(sizeof *a->pl_pred);
    a->pl_thr = malloc(sizeof *a->pl_thr);
    if (!a->pl_pred || !a->pl_thr) {
        act_free(&a->base);
        return hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    }
    *a->pl_pred = (act_planner){a, true};
    *a->pl_thr = (act_planner){a, false};
    char path[HRD_PATH_MAX + 32];
    if (c->loop_journal[0])
        snprintf(path, sizeof path, "%s", c->loop_journal);
    else
        snprintf(path, sizeof path, "%s/act-journal.db", c->data);
    int rc = hrd_actuate_open(path, c->loop_cgroup_parent, &a->act, err);
    if (rc < 0) {
        act_free(&a->base);
        return rc;
    }
    *out = &a->base;
    return 0;
}
