/* The control loop inside the daemon: every loop.interval seconds, for
 * every fleet, one hr_loop_step (lib/loop.c) over the fleet's world
 * (world.h) with the planner of the fleet's mode. The loop's planner and
 * driver are wrapped here: the planner hands back an approved plan instead
 * of planning when the fleet is still in the state the plan was computed
 * from, and the driver acts only in the modes that act (or for an approved
 * plan). The latest plan per fleet is kept here and in the plans table;
 * plans carried out are journaled. */
#include "daemon/ctl.h"
#include "daemon/world.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct fleet {
    char name[HRD_WORLD_NAME_MAX];
    hrd_world *w;
    json_t *plan;        /* the latest plan */
    hr_actions acts;     /* its actions */
    uint64_t plan_state; /* the world's state it was computed from */
    uint64_t rounds;     /* rounds in which this fleet planned */
    /* this round */
    const hr_obs *obs;
    const hr_planner_ops *real;
    void *real_ud;
    uint64_t state;    /* the world's state when planning */
    bool approved;     /* the latest plan waits for this round */
    bool run_approved; /* ... and is carried out */
    bool acting;       /* the driver acts this round */
} fleet;

struct hrd_ctl {
    hrd_store *store;
    hrd_config cfg;
    int (*world_new)(hrd_store *st, const hrd_config *c, const char *fleet, hrd_world **out,
                     hr_error *err);
    pthread_t th;
    pthread_mutex_t mu; /* guards everything below; held for a whole round */
    pthread_cond_t cond;
    bool stop;
    double interval;
    uint64_t rounds;
    fleet *fleets[HRD_CTL_MAX_FLEETS];
    size_t nfleets;
};

static void fleet_free(fleet *f)
{
    if (!f) return;
    if (f->w) f->w->ops->free(f->w);
    json_decref(f->plan);
    hr_actions_release(&f->acts);
    free(f);
}

static fleet *fleet_find(hrd_ctl *cl, const char *name)
{
    for (size_t i = 0; i < cl->nfleets; i++)
        if (!strcmp(cl->fleets[i]->name, name)) return cl->fleets[i];
    return NULL;
}

static int fleet_add(hrd_ctl *cl, const char *name, hr_error *err)
{
    if (fleet_find(cl, name)) return 0;
    if (cl->nfleets == HRD_CTL_MAX_FLEETS)
        return hr_error_set(err, HR_ELIMIT, "loop: more than %d fleets (fleet %s)",
                            HRD_CTL_MAX_FLEETS, name);
    fleet *f = calloc(1, sizeof *f);
    if (!f) return hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    snprintf(f->name, sizeof f->name, "%s", name);
    hr_actions_init(&f->acts, 0);
    int rc = cl->world_new(cl->store, &cl->cfg, name, &f->w, err);
    if (rc < 0) {
        fleet_free(f);
        return rc;
    }
    cl->fleets[cl->nfleets++] = f;
    return 0;
}

/* The fleets named by the stored workloads and hosts. */
static int fleets_sync(hrd_ctl *cl, hr_error *err)
{
    static const char *const kinds[] = {"workloads", "hosts"};
    for (size_t k = 0; k < 2; k++) {
        char cursor[HRD_WORLD_NAME_MAX] = "";
        for (;;) {
            json_t *page = NULL;
            int rc = hrd_obj_list(cl->store, kinds[k], cursor, 500, &page, err);
            if (rc < 0) return rc;
            size_t np = json_array_size(page);
            for (size_t i = 0; i < np && rc == 0; i++) {
                json_t *o = json_array_get(page, i);
                const char *name = json_string_value(json_object_get(o, "name"));
                if (name) snprintf(cursor, sizeof cursor, "%s", name);
                const char *fl = hrd_world_fleet_of(o);
                if (strlen(fl) < HRD_WORLD_NAME_MAX) rc = fleet_add(cl, fl, err);
            }
            json_decref(page);
            if (rc < 0) return rc;
            if (np < 500) break;
        }
    }
    return 0;
}

/* ---- the loop's interfaces, wrapped ----------------------------------------------------- */

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

static int tel_observe(void *ud, double now, const hr_obs **out, hr_error *err)
{
    fleet *f = ud;
    int rc = f->w->ops->telemetry->observe(f->w, now, out, err);
    if (rc == 0) f->obs = *out;
    return rc;
}

static int pl_forecast(void *ud, const hr_obs *obs, hr_error *err)
{
    fleet *f = ud;
    return f->real->forecast ? f->real->forecast(f->real_ud, obs, err) : 0;
}

/* An approved plan still valid is this round's plan; else plan afresh. */
static int pl_plan(void *ud, const hr_obs *obs, hr_actions *out, hr_error *err)
{
    fleet *f = ud;
    f->state = f->w->ops->state(f->w);
    if (f->approved && f->state == f->plan_state) {
        for (size_t i = 0; i < f->acts.len; i++) {
            const hr_action *a = &f->acts.items[i];
            int rc = a->kind == HR_ACT_RESIZE
                         ? hr_actions_resize(out, a->workload, a->from, a->cpu_millis, a->mem_bytes,
                                             "%s", a->reason)
                         : hr_actions_migrate(out, a->workload, a->from, a->to, "%s", a->reason);
            if (rc < 0) return hr_error_set(err, rc, "loop: too many actions");
        }
        f->run_approved = f->acting = true;
        return 0;
    }
    return f->real->plan(f->real_ud, obs, out, err);
}

static int pl_learn(void *ud, const hr_obs *obs, const hr_actions *applied, hr_error *err)
{
    fleet *f = ud;
    return f->real->learn ? f->real->learn(f->real_ud, obs, applied, err) : 0;
}

static int drv_apply(void *ud, const hr_action *acts, size_t n, hr_error *err)
{
    fleet *f = ud;
    if (!f->acting) return 0; /* observe: the plan waits for approve/apply */
    return f->w->ops->driver->apply(f->w, acts, n, err);
}

static const hr_clock_ops wall_clock = {clk_now, clk_advance};
static const hr_telemetry_ops tel_ops = {tel_observe};
static const hr_planner_ops plan_ops = {"ctl", pl_forecast, pl_plan, pl_learn};
static const hr_driver_ops drv_ops = {drv_apply};

/* ---- plans ------------------------------------------------------------------------------ */

static const char *plan_status(const fleet *f)
{
    const char *s = f->plan ? json_string_value(json_object_get(f->plan, "status")) : NULL;
    return s ? s : "";
}

static void set_str(json_t *o, const char *key, const char *val)
{
    json_object_set_new(o, key, json_string(val));
}

/* Summary in words: the actions by kind, or why there is none. */
static void summary(fleet *f, const hr_actions *a, const char *policy, char *buf, size_t size)
{
    size_t mig = 0, res = 0;
    for (size_t i = 0; i < a->len; i++) {
        if (a->items[i].kind == HR_ACT_MIGRATE)
            mig++;
        else
            res++;
    }
    if (a->len)
        snprintf(buf, size, "%zu actions: %zu migrations, %zu resizes", a->len, mig, res);
    else
        f->w->ops->explain(f->w, f->obs, policy, buf, size);
}

static json_t *plan_json(hrd_ctl *cl, fleet *f, const char *mode, const char *policy,
                         const hr_actions *a, bool ran, int applied)
{
    json_t *acts = json_array();
    for (size_t i = 0; i < a->len; i++)
        json_array_append_new(acts, f->w->ops->action_json(f->w, &a->items[i], i, ran));
    char sum[640];
    summary(f, a, policy, sum, sizeof sum);
    bool dry = !ran || !strcmp(cl->cfg.loop_dry_run, "true");
    return json_pack("{s:n, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:i, s:s, s:o}", "id", "fleet",
                     f->name, "mode", mode, "policy", policy, "driver", f->w->ops->name, "round",
                     (json_int_t)f->w->ops->rounds(f->w), "created", (json_int_t)time(NULL),
                     "status", ran ? "applied" : "proposed", "dry_run", dry, "applied", applied,
                     "summary", sum, "actions", acts);
}

/* Keep the plan in the plans table (those with actions) and, once carried
 * out, in the journal. */
static int save_plan(hrd_ctl *cl, fleet *f, hr_error *err)
{
    json_t *p = f->plan;
    if (!json_array_size(json_object_get(p, "actions"))) return 0;
    json_int_t id = json_integer_value(json_object_get(p, "id"));
    const char *status = plan_status(f);
    int64_t nid = hrd_plan_save(cl->store, id, status, p, err);
    if (nid < 0) return (int)nid;
    json_object_set_new(p, "id", json_integer(nid));
    if (!id && hrd_plan_save(cl->store, nid, status, p, err) < 0) return HR_EIO;
    if (!strcmp(status, "applied") && hrd_journal_append(cl->store, "plan", p, err) < 0)
        return HR_EIO;
    return 0;
}

/* The latest plan's outcome after the driver carried it out. */
static void plan_ran(hrd_ctl *cl, fleet *f, int applied)
{
    json_t *acts = json_array();
    for (size_t i = 0; i < f->acts.len; i++)
        json_array_append_new(acts, f->w->ops->action_json(f->w, &f->acts.items[i], i, true));
    json_object_set_new(f->plan, "actions", acts);
    set_str(f->plan, "status", "applied");
    json_object_set_new(f->plan, "applied", json_integer(applied));
    json_object_set_new(f->plan, "applied_at", json_integer((json_int_t)time(NULL)));
    json_object_set_new(f->plan, "dry_run", json_boolean(!strcmp(cl->cfg.loop_dry_run, "true")));
    json_object_del(f->plan, "note");
}

static void plan_key(fleet *f, const char *prefix, int64_t n)
{
    snprintf(f->w->plan_key, sizeof f->w->plan_key, "%s%lld", prefix, (long long)n);
}

/* Whether two plans make the same changes (reasons aside: they carry times). */
static bool same_actions(const hr_actions *a, const hr_actions *b)
{
    if (a->len != b->len) return false;
    for (size_t i = 0; i < a->len; i++) {
        const hr_action *x = &a->items[i], *y = &b->items[i];
        if (x->kind != y->kind || x->workload != y->workload || x->from != y->from ||
            x->to != y->to || x->cpu_millis != y->cpu_millis || x->mem_bytes != y->mem_bytes)
            return false;
    }
    return true;
}

/* After the loop step: the approved plan carried out, or a new plan. */
static int round_plan(hrd_ctl *cl, fleet *f, hr_loop *loop, const char *mode, const char *policy,
                      hr_error *err)
{
    if (f->run_approved) {
        plan_ran(cl, f, (int)loop->applied);
        return save_plan(cl, f, err);
    }
    char note[256] = "";
    if (f->approved) { /* approved, but the fleet changed: stale */
        json_int_t id = json_integer_value(json_object_get(f->plan, "id"));
        set_str(f->plan, "status", "stale");
        snprintf(note, sizeof note,
                 "plan %lld was approved but the fleet changed since it was computed: re-planned, "
                 "approve this plan again",
                 (long long)id);
        set_str(f->plan, "note", "the fleet changed before the next round: not carried out");
        int rc = save_plan(cl, f, err);
        if (rc < 0) return rc;
    }
    bool observe = !strcmp(mode, "observe");
    /* observe: a proposal with actions stays the plan (and its id) while the
     * fleet is unchanged and rounds propose the same or nothing. */
    if (!note[0] && observe && f->acts.len && f->state == f->plan_state &&
        (!loop->actions.len || same_actions(&loop->actions, &f->acts)) &&
        !strcmp(plan_status(f), "proposed")) {
        json_object_set_new(f->plan, "checked_round",
                            json_integer((json_int_t)f->w->ops->rounds(f->w)));
        return 0;
    }
    json_decref(f->plan);
    f->plan = plan_json(cl, f, mode, policy, &loop->actions, !observe, (int)loop->applied);
    if (!f->plan) return hr_error_set(err, HR_ENOMEM, "loop: out of memory");
    if (note[0]) set_str(f->plan, "note", note);
    hr_actions_release(&f->acts);
    f->acts = loop->actions; /* kept for approve/apply */
    hr_actions_init(&loop->actions, 0);
    f->plan_state = f->state;
    return save_plan(cl, f, err);
}

/* One round of one fleet: 1 when it planned, 0 when it had nothing to plan. */
static int fleet_round(hrd_ctl *cl, fleet *f, hr_error *err)
{
    int rc = f->w->ops->sync(f->w, err);
    if (rc != 0) return rc < 0 ? rc : 0;
    char mode[32];
    if ((rc = hrd_mode_get(cl->store, f->name, mode, sizeof mode, err)) < 0) return rc;
    const char *policy = !strcmp(mode, "reactive") ? "thr-mmt" : "predictive";
    if ((rc = f->w->ops->planner(f->w, policy, &f->real, &f->real_ud, err)) < 0) return rc;
    f->obs = NULL;
    f->approved = !strcmp(plan_status(f), "approved");
    f->run_approved = false;
    f->acting = strcmp(mode, "observe") != 0;
    if (f->approved)
        plan_key(f, "plan", json_integer_value(json_object_get(f->plan, "id")));
    else
        plan_key(f, "round", (int64_t)(hr_clock_sec() * 1000));
    hr_loop loop;
    rc = hr_loop_init(&loop, &wall_clock, NULL, &tel_ops, f, &plan_ops, f, &drv_ops, f, err);
    if (rc < 0) return rc;
    rc = hr_loop_step(&loop, err);
    if (rc >= 0)
        rc = round_plan(cl, f, &loop, mode, policy, err);
    else if (f->w->ops->recover(f->w, rc) == 0)
        rc = 0;
    hr_loop_release(&loop);
    f->obs = NULL;
    return rc < 0 ? rc : 1;
}

int hrd_ctl_round(hrd_ctl *cl, hr_error *err)
{
    pthread_mutex_lock(&cl->mu);
    int first = fleets_sync(cl, err);
    bool planned = false;
    for (size_t i = 0; i < cl->nfleets; i++) {
        hr_error ferr = {0};
        int rc = fleet_round(cl, cl->fleets[i], &ferr);
        if (rc < 0 && first == 0) {
            first =
                hr_error_set(err, rc, "fleet %s: %s", cl->fleets[i]->name, hr_error_message(&ferr));
        }
        if (rc > 0) cl->fleets[i]->rounds++;
        planned |= rc > 0;
    }
    if (planned) cl->rounds++;
    pthread_mutex_unlock(&cl->mu);
    return first < 0 ? first : 0;
}

json_t *hrd_ctl_plan(hrd_ctl *cl, const char *fleet_name)
{
    pthread_mutex_lock(&cl->mu);
    fleet *f = fleet_find(cl, fleet_name);
    json_t *p = f && f->plan ? json_deep_copy(f->plan) : NULL;
    pthread_mutex_unlock(&cl->mu);
    return p;
}

static int execute(hrd_ctl *cl, fleet *f, int64_t id, const char *how, hr_error *err)
{
    json_t *p = f ? f->plan : NULL;
    json_int_t pid = p ? json_integer_value(json_object_get(p, "id")) : 0;
    if (!p || !f->acts.len)
        return hr_error_set(err, HR_ENOTFOUND, "plan: the latest plan of fleet %s has no actions",
                            f ? f->name : "?");
    if (id > 0 && id != pid)
        return hr_error_set(err, HR_EINVAL, "id: %lld is not the latest plan (%lld)", (long long)id,
                            (long long)pid);
    const char *status = plan_status(f);
    bool approve = !strcmp(how, "approve");
    if (strcmp(status, "proposed") && (approve || strcmp(status, "approved")))
        return hr_error_set(err, HR_EEXIST, "plan %lld: already %s", (long long)pid, status);
    if (f->w->ops->state(f->w) != f->plan_state) {
        set_str(p, "status", "stale");
        set_str(p, "note",
                "the fleet changed since this plan was computed: the next round "
                "re-plans, approve that plan");
        save_plan(cl, f, NULL);
        return hr_error_set(err, HR_EINVAL,
                            "plan %lld: the fleet changed since it was computed; the next round "
                            "re-plans",
                            (long long)pid);
    }
    if (approve) {
        set_str(p, "status", "approved");
        set_str(p, "note",
                "approved: carried out at the next loop round if the fleet has not "
                "changed by then, else re-planned (approve again)");
        json_object_set_new(p, "approved_at", json_integer((json_int_t)time(NULL)));
        return save_plan(cl, f, err);
    }
    plan_key(f, "plan", pid);
    int n = f->w->ops->driver->apply(f->w, f->acts.items, f->acts.len, err);
    if (n < 0) return n;
    plan_ran(cl, f, n);
    return save_plan(cl, f, err);
}

int hrd_ctl_execute(hrd_ctl *cl, const char *fleet_name, int64_t id, const char *how, json_t **out,
                    hr_error *err)
{
    pthread_mutex_lock(&cl->mu);
    fleet *f = fleet_find(cl, fleet_name);
    int rc = f ? execute(cl, f, id, how, err)
               : hr_error_set(err, HR_ENOTFOUND, "fleet %s: no plan yet", fleet_name);
    if (rc >= 0 && out) *out = json_deep_copy(f->plan);
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

bool hrd_ctl_fleet_rounds(hrd_ctl *cl, const char *name, uint64_t *rounds)
{
    pthread_mutex_lock(&cl->mu);
    fleet *f = fleet_find(cl, name);
    *rounds = f ? f->rounds : 0;
    pthread_mutex_unlock(&cl->mu);
    return f != NULL;
}

/* ---- the thread -------------------------------------------------------------------------- */

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
    int (*wn)(hrd_store *, const hrd_config *, const char *, hrd_world **, hr_error *) =
        !strcmp(c->loop_driver, "sim")   ? hrd_world_sim_new
        : !strcmp(c->loop_driver, "act") ? hrd_world_act_new
                                         : NULL;
    if (!wn)
        return hr_error_set(err, HR_EINVAL,
                            "loop.driver: \"%s\" is not a driver of this build (sim, act, none)",
                            c->loop_driver);
    if (strcmp(c->loop_dry_run, "true") && strcmp(c->loop_dry_run, "false"))
        return hr_error_set(err, HR_EINVAL, "loop.dry_run: \"%s\" is not true or false",
                            c->loop_dry_run);
    hrd_ctl *cl = calloc(1, sizeof *cl);
    if (!cl) return hr_error_set(err, HR_ENOMEM, "out of memory");
    cl->store = st;
    cl->cfg = *c;
    cl->world_new = wn;
    cl->interval = c->loop_interval_sec;
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
    for (size_t i = 0; i < cl->nfleets; i++) fleet_free(cl->fleets[i]);
    free(cl);
}
