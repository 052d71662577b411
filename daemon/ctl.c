/* The control loop inside the daemon: every loop.interval seconds one
 * hr_loop_step (lib/loop.c) with the store as telemetry (fed into the
 * live twin of lib/sim), the planner of the fleet's mode and the driver of
 * the configuration. The latest plan is kept here and in the plans table;
 * plans with actions are journaled when carried out. */
#include "daemon/ctl.h"

#include <headroom/loop.h>
#include <headroom/sim.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTL_NAME_MAX 129

struct hrd_ctl {
    hrd_store *store;
    pthread_t th;
    pthread_mutex_t mu; /* guards everything below; held for a whole round */
    pthread_cond_t cond;
    bool stop;
    double interval;
    double sim_step; /* simulated seconds per round (0 = interval) */
    uint64_t rounds;
    /* the world: the live twin over the workloads, in name order */
    hr_sim_live *live;
    uint64_t generation; /* bumped when the world is rebuilt */
    size_t n;
    char (*names)[CTL_NAME_MAX];
    char (*series)[HRD_SERIES_NAME_MAX + 1];
    int64_t *last_t; /* newest sample fed per workload */
    double *u;
    /* the latest plan */
    json_t *plan;
    hr_actions acts;
    uint64_t plan_generation;
};

/* ---- the world ------------------------------------------------------------------- */

static void world_free(hrd_ctl *cl)
{
    hr_sim_live_free(cl->live);
    cl->live = NULL;
    free(cl->names);
    free(cl->series);
    free(cl->last_t);
    free(cl->u);
    cl->names = NULL;
    cl->series = NULL;
    cl->last_t = NULL;
    cl->u = NULL;
    cl->n = 0;
}

/* Workloads with a series, in name order, into names/series (n of them). */
static int list_workloads(hrd_ctl *cl, char (**names)[CTL_NAME_MAX],
                          char (**series)[HRD_SERIES_NAME_MAX + 1], size_t *n, hr_error *err)
{
    *names = NULL;
    *series = NULL;
    *n = 0;
    size_t cap = 0;
    char cursor[CTL_NAME_MAX] = "";
    for (;;) {
        json_t *page = NULL;
        int rc = hrd_obj_list(cl->store, "workloads", cursor, 500, &page, err);
        if (rc < 0) return rc;
        size_t np = json_array_size(page);
        for (size_t i = 0; i < np; i++) {
            json_t *w = json_array_get(page, i);
            const char *name = json_string_value(json_object_get(w, "name"));
            const char *s = json_string_value(json_object_get(w, "series"));
            if (name) snprintf(cursor, sizeof cursor, "%s", name);
            if (!name || !s || strlen(name) >= CTL_NAME_MAX || strlen(s) > HRD_SERIES_NAME_MAX)
                continue;
            if (*n == HRD_CTL_MAX_WORKLOADS) {
                json_decref(page);
                return hr_error_set(err, HR_ELIMIT, "loop: more than %d workloads",
                                    HRD_CTL_MAX_WORKLOADS);
            }
            if (*n == cap) {
                cap = cap ? 2 * cap : 64;
                if (cap > HRD_CTL_MAX_WORKLOADS) cap = HRD_CTL_MAX_WORKLOADS;
                void *a = realloc(*names, cap * sizeof **names);
                if (a) *names = a;
                void *b = realloc(*series, cap * sizeof **series);
                if (b) *series = b;
                if (!a || !b) {
                    json_decref(page);
                    return hr_error_set(err, HR_ENOMEM, "loop: out of memory");
                }
            }
            /* zeroed whole: world_sync compares the arrays bytewise */
            memset((*names)[*n], 0, sizeof **names);
            memset((*series)[*n], 0, sizeof **series);
            snprintf((*names)[*n], CTL_NAME_MAX, "%s", name);
            snprintf((*series)[*n], HRD_SERIES_NAME_MAX + 1, "%s", s);
            (*n)++;
        }
        json_decref(page);
        if (np < 500) return 0;
    }
}

/* Rebuild the world when the workloads changed or its rounds ran out. */
static int world_sync(hrd_ctl *cl, hr_error *err)
{
    char(*names)[CTL_NAME_MAX] = NULL;
    char(*series)[HRD_SERIES_NAME_MAX + 1] = NULL;
    size_t n = 0;
    int rc = list_workloads(cl, &names, &series, &n, err);
    bool same = rc == 0 && cl->live && n == cl->n && !memcmp(names, cl->names, n * sizeof *names) &&
                !memcmp(series, cl->series, n * sizeof *series);
    if (rc < 0 || same || n == 0) {
        free(names);
        free(series);
        if (rc == 0 && n == 0 && cl->live) world_free(cl), cl->generation++;
        return rc;
    }
    world_free(cl);
    cl->generation++;
    cl->names = names;
    cl->series = series;
    cl->n = n;
    cl->last_t = calloc(n, sizeof *cl->last_t);
    cl->u = calloc(n, sizeof *cl->u);
    if (!cl->last_t || !cl->u) {
        world_free(cl);
        return hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    }
    for (size_t i = 0; i < n; i++) cl->last_t[i] = INT64_MIN;
    /* CloudSim hosts: two per three VMs at least, as the initial placement
     * asks full VM sizes. */
    size_t hosts = n < 2 ? 2 : (2 * n + 2) / 3 + 1;
    double step = cl->sim_step > 0 ? cl->sim_step : cl->interval < 1 ? 1 : cl->interval;
    return hr_sim_live_new(n, hosts, step, HRD_CTL_WORLD_ROUNDS, &cl->live, err);
}

/* Whether every workload has reported at least once. */
static bool all_reported(hrd_ctl *cl)
{
    for (size_t i = 0; i < cl->n; i++)
        if (cl->last_t[i] == INT64_MIN) return false;
    return true;
}

/* telemetry: the newest sample of each workload's series since the last
 * round (percent -> fraction; NaN keeps the previous value). */
static int feed(hrd_ctl *cl, hr_error *err)
{
    hr_vec t, v;
    hr_vec_init(&t, sizeof(int64_t), 0);
    hr_vec_init(&v, sizeof(double), 0);
    for (size_t i = 0; i < cl->n; i++) {
        cl->u[i] = NAN;
        int64_t from = cl->last_t[i] == INT64_MIN ? INT64_MIN : cl->last_t[i] + 1;
        for (;;) {
            bool more = false;
            t.len = v.len = 0;
            int rc = hrd_store_read(cl->store, cl->series[i], from, INT64_MAX, 100000, &t, &v,
                                    &more, NULL);
            if (rc < 0 || !t.len) break; /* no series yet, or nothing new */
            const int64_t *ts = t.data;
            const double *vs = v.data;
            cl->last_t[i] = ts[t.len - 1];
            cl->u[i] = vs[v.len - 1] / 100;
            if (!more) break;
            from = cl->last_t[i] + 1;
        }
    }
    hr_vec_release(&t);
    hr_vec_release(&v);
    return hr_sim_live_feed(cl->live, cl->u, cl->n, err);
}

/* ---- the loop's interfaces ----------------------------------------------------------- */

static double clk_now(void *ud)
{
    (void)ud;
    return (double)time(NULL);
}

static int clk_advance(void *ud)
{
    (void)ud;
    return 0; /* the thread waits for the next interval */
}

/* The store's samples were fed into the twin by feed() at the start of the
 * round; observing steps the twin to them. */
static int tel_observe(void *ud, double now, const hr_obs **out, hr_error *err)
{
    hrd_ctl *cl = ud;
    return hr_sim_live_telemetry()->observe(cl->live, now, out, err);
}

static int drv_propose(void *ud, const hr_action *acts, size_t n, hr_error *err)
{
    (void)ud, (void)acts, (void)n, (void)err;
    return 0; /* observe: the plan waits for approve/apply */
}

static int drv_sim(void *ud, const hr_action *acts, size_t n, hr_error *err)
{
    return hr_sim_live_driver()->apply(((hrd_ctl *)ud)->live, acts, n, err);
}

static const hr_clock_ops wall_clock = {clk_now, clk_advance};
static const hr_telemetry_ops store_telemetry = {tel_observe};
static const hr_driver_ops propose_driver = {drv_propose};
static const hr_driver_ops sim_driver = {drv_sim};

/* ---- plans ------------------------------------------------------------------------- */

static json_t *host_name(int32_t h)
{
    char b[32];
    snprintf(b, sizeof b, "sim-host-%d", (int)h);
    return json_string(b);
}

static json_t *plan_json(hrd_ctl *cl, const char *mode, const char *policy, const hr_actions *a,
                         int applied)
{
    json_t *acts = json_array();
    for (size_t i = 0; i < a->len; i++) {
        const hr_action *x = &a->items[i];
        const char *w =
            x->workload >= 0 && (size_t)x->workload < cl->n ? cl->names[x->workload] : "?";
        json_array_append_new(acts, json_pack("{s:s, s:s, s:o, s:o, s:s}", "kind", "migrate",
                                              "workload", w, "from", host_name(x->from), "to",
                                              host_name(x->to), "reason", x->reason));
    }
    bool observe = !strcmp(mode, "observe");
    return json_pack("{s:n, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:i, s:o}", "id", "fleet",
                     HRD_CTL_FLEET, "mode", mode, "policy", policy, "driver", "sim", "round",
                     (json_int_t)hr_sim_live_rounds(cl->live), "created", (json_int_t)time(NULL),
                     "status", observe ? "proposed" : "applied", "applied", applied, "actions",
                     acts);
}

static int save_plan(hrd_ctl *cl, hr_error *err)
{
    json_t *p = cl->plan;
    if (!json_array_size(json_object_get(p, "actions"))) return 0;
    json_int_t id = json_integer_value(json_object_get(p, "id"));
    const char *status = json_string_value(json_object_get(p, "status"));
    int64_t nid = hrd_plan_save(cl->store, id, status, p, err);
    if (nid < 0) return (int)nid;
    json_object_set_new(p, "id", json_integer(nid));
    if (strcmp(status, "proposed")) {
        /* carried out: journaled (durably) with its actions */
        if (hrd_plan_save(cl->store, nid, status, p, err) < 0) return HR_EIO;
        if (hrd_journal_append(cl->store, "plan", p, err) < 0) return HR_EIO;
    }
    return 0;
}

int hrd_ctl_round(hrd_ctl *cl, hr_error *err)
{
    pthread_mutex_lock(&cl->mu);
    int rc = world_sync(cl, err);
    if (rc < 0 || !cl->live) goto out;
    /* The world starts once every workload has reported. */
    if ((rc = feed(cl, err)) < 0 || !all_reported(cl)) goto out;
    char mode[32];
    if ((rc = hrd_mode_get(cl->store, HRD_CTL_FLEET, mode, sizeof mode, err)) < 0) goto out;
    const char *policy = !strcmp(mode, "reactive") ? "thr-mmt" : "predictive";
    bool observe = !strcmp(mode, "observe");
    const hr_planner_ops *pops = NULL;
    void *pud = NULL;
    if ((rc = hr_sim_live_planner(cl->live, policy, &pops, &pud, err)) < 0) goto out;
    hr_loop loop;
    rc = hr_loop_init(&loop, &wall_clock, cl, &store_telemetry, cl, pops, pud,
                      observe ? &propose_driver : &sim_driver, cl, err);
    if (rc < 0) goto out;
    rc = hr_loop_step(&loop, err);
    if (rc == HR_ELIMIT) { /* the live twin's rounds ran out: a new world next round */
        hr_loop_release(&loop);
        world_free(cl);
        cl->generation++;
        rc = 0;
        goto out;
    }
    /* observe: a proposal with actions stays the plan until it is carried
     * out or a new proposal replaces it (the planner holds the workloads
     * it proposed to move for a while and proposes nothing new meanwhile). */
    bool keep = rc >= 0 && observe && !loop.actions.len && cl->plan && cl->acts.len &&
                cl->plan_generation == cl->generation &&
                !strcmp(json_string_value(json_object_get(cl->plan, "status")), "proposed");
    if (keep) {
        json_object_set_new(cl->plan, "checked_round",
                            json_integer((json_int_t)hr_sim_live_rounds(cl->live)));
        cl->rounds++;
    } else if (rc >= 0) {
        json_decref(cl->plan);
        cl->plan = plan_json(cl, mode, policy, &loop.actions, (int)loop.applied);
        hr_actions_release(&cl->acts);
        cl->acts = loop.actions; /* keep them for approve/apply */
        hr_actions_init(&loop.actions, 0);
        cl->plan_generation = cl->generation;
        cl->rounds++;
        rc = cl->plan ? save_plan(cl, err) : hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    }
    hr_loop_release(&loop);
out:
    pthread_mutex_unlock(&cl->mu);
    return rc < 0 ? rc : 0;
}

json_t *hrd_ctl_plan(hrd_ctl *cl)
{
    pthread_mutex_lock(&cl->mu);
    json_t *p = cl->plan ? json_deep_copy(cl->plan) : NULL;
    pthread_mutex_unlock(&cl->mu);
    return p;
}

int hrd_ctl_execute(hrd_ctl *cl, int64_t id, const char *how, json_t **out, hr_error *err)
{
    pthread_mutex_lock(&cl->mu);
    int rc = 0;
    json_t *p = cl->plan;
    json_int_t pid = p ? json_integer_value(json_object_get(p, "id")) : 0;
    if (!p || !cl->acts.len) {
        rc = hr_error_set(err, HR_ENOTFOUND, "plan: the latest plan has no actions");
    } else if (id > 0 && id != pid) {
        rc = hr_error_set(err, HR_EINVAL, "id: %lld is not the latest plan (%lld)", (long long)id,
                          (long long)pid);
    } else if (strcmp(json_string_value(json_object_get(p, "status")), "proposed")) {
        rc = hr_error_set(err, HR_EEXIST, "plan %lld: already %s", (long long)pid,
                          json_string_value(json_object_get(p, "status")));
    } else if (!cl->live || cl->plan_generation != cl->generation) {
        json_object_set_new(p, "status", json_string("stale"));
        rc = hr_error_set(err, HR_EINVAL, "plan %lld: the workloads changed since", (long long)pid);
    } else {
        rc = hr_sim_live_driver()->apply(cl->live, cl->acts.items, cl->acts.len, err);
        if (rc >= 0) {
            json_object_set_new(p, "status",
                                json_string(!strcmp(how, "approve") ? "approved" : "applied"));
            json_object_set_new(p, "applied", json_integer(rc));
            rc = save_plan(cl, err);
        }
    }
    if (rc >= 0 && out) *out = json_deep_copy(p);
    pthread_mutex_unlock(&cl->mu);
    return rc < 0 ? rc : 0;
}

uint64_t hrd_ctl_rounds(hrd_ctl *cl)
{
    pthread_mutex_lock(&cl->mu);
    uint64_t n = cl->rounds;
    pthread_mutex_unlock(&cl->mu);
    return n;
}

/* ---- the thread -------------------------------------------------------------------- */

static void *ctl_main(void *arg)
{
    hrd_ctl *cl = arg;
    pthread_mutex_lock(&cl->mu);
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double wait = cl->interval < 1 ? 1 : cl->interval;
        double whole = floor(wait);
        long ns = ts.tv_nsec + (long)((wait - whole) * 1e9);
        ts.tv_sec += (time_t)whole + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        while (!cl->stop && pthread_cond_timedwait(&cl->cond, &cl->mu, &ts) == 0) {}
        if (cl->stop) break;
        pthread_mutex_unlock(&cl->mu);
        hr_error err = {0};
        if (hrd_ctl_round(cl, &err) < 0)
            fprintf(stderr, "headroom: loop: %s\n", hr_error_message(&err));
        pthread_mutex_lock(&cl->mu);
    }
    pthread_mutex_unlock(&cl->mu);
    return NULL;
}

int hrd_ctl_start(hrd_store *st, const hrd_config *c, hrd_ctl **out, hr_error *err)
{
    if (strcmp(c->loop_driver, "sim"))
        return hr_error_set(err, HR_EINVAL,
                            "loop.driver: \"%s\" is not a driver of this build (sim)",
                            c->loop_driver);
    hrd_ctl *cl = calloc(1, sizeof *cl);
    if (!cl) return hr_error_set(err, HR_ENOMEM, "out of memory");
    cl->store = st;
    cl->interval = c->loop_interval_sec;
    cl->sim_step = c->loop_sim_step_sec;
    hr_actions_init(&cl->acts, 0);
    pthread_mutex_init(&cl->mu, NULL);
    pthread_cond_init(&cl->cond, NULL);
    if (pthread_create(&cl->th, NULL, ctl_main, cl) != 0) {
        pthread_mutex_destroy(&cl->mu);
        pthread_cond_destroy(&cl->cond);
        free(cl);
        return hr_error_set(err, HR_EIO, "loop: cannot start the thread");
    }
    *out = cl;
    return 0;
}

void hrd_ctl_reload(hrd_ctl *cl, const hrd_config *c)
{
    if (!cl) return;
    pthread_mutex_lock(&cl->mu);
    cl->interval = c->loop_interval_sec;
    pthread_cond_signal(&cl->cond);
    pthread_mutex_unlock(&cl->mu);
}

void hrd_ctl_stop(hrd_ctl *cl)
{
    if (!cl) return;
    pthread_mutex_lock(&cl->mu);
    cl->stop = true;
    pthread_cond_signal(&cl->cond);
    pthread_mutex_unlock(&cl->mu);
    pthread_join(cl->th, NULL);
    pthread_mutex_destroy(&cl->mu);
    pthread_cond_destroy(&cl->cond);
    json_decref(cl->plan);
    hr_actions_release(&cl->acts);
    world_free(cl);
    free(cl);
}
