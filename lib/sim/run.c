/* hr_sim_run: the control loop (lib/loop.c) over a virtual clock, the model
 * as telemetry source and as driver, and the chosen policy as planner. */
#include "internal.h"

#include <headroom/util.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* ---- policy table ---------------------------------------------------------------- */

static const struct {
    const char *name;
    sim_detect det;
    double param;
} detections[] = {
    {"thr", SIM_DET_THR, 0.8}, {"iqr", SIM_DET_IQR, 1.5}, {"mad", SIM_DET_MAD, 2.5},
    {"lr", SIM_DET_LR, 1.2},   {"lrr", SIM_DET_LRR, 1.2},
};
static const struct {
    const char *name;
    sim_select sel;
} selections[] = {{"mmt", SIM_SEL_MMT}, {"mu", SIM_SEL_MU}, {"mc", SIM_SEL_MC}, {"rs", SIM_SEL_RS}};
#define NDET (sizeof detections / sizeof detections[0])
#define NSEL (sizeof selections / sizeof selections[0])

static const char *const policy_names[] = {
    "npa",    "dvfs",   "thr-mmt", "thr-mu", "thr-mc", "thr-rs", "iqr-mmt",    "iqr-mu",
    "iqr-mc", "iqr-rs", "mad-mmt", "mad-mu", "mad-mc", "mad-rs", "lr-mmt",     "lr-mu",
    "lr-mc",  "lr-rs",  "lrr-mmt", "lrr-mu", "lrr-mc", "lrr-rs", "predictive",
};
#define NPOL (sizeof policy_names / sizeof policy_names[0])

size_t hr_sim_policy_list(const char **names, size_t max)
{
    for (size_t i = 0; i < NPOL && i < max; i++) names[i] = policy_names[i];
    return NPOL;
}

bool hr__sim_parse_family(const char *name, sim_detect *d, sim_select *s, double *param)
{
    const char *dash = strchr(name, '-');
    if (!dash) return false;
    size_t dl = (size_t)(dash - name);
    for (size_t i = 0; i < NDET; i++) {
        if (strlen(detections[i].name) != dl || strncmp(detections[i].name, name, dl)) continue;
        for (size_t j = 0; j < NSEL; j++)
            if (!strcmp(selections[j].name, dash + 1)) {
                *d = detections[i].det;
                *s = selections[j].sel;
                *param = detections[i].param;
                return true;
            }
    }
    return false;
}

bool hr_sim_policy_known(const char *name, double *default_param)
{
    double p = NAN;
    sim_detect d;
    sim_select s;
    bool ok = name && (!strcmp(name, "npa") || !strcmp(name, "dvfs") ||
                       !strcmp(name, "predictive") || hr__sim_parse_family(name, &d, &s, &p));
    if (ok && default_param) *default_param = p;
    return ok;
}

/* ---- the loop's four parts over the model ---------------------------------------------- */

typedef struct sim_run {
    sim_model m;
    double t;      /* the current round's time */
    double obs_t;  /* the time of the last observation */
    size_t rounds; /* expected rounds */
    size_t round;
    const hr_sim_opts *o;
    hr_sim_result *res;
} sim_run;

static double clk_now(void *ud)
{
    return ((sim_run *)ud)->t;
}

static int clk_advance(void *ud)
{
    sim_run *r = ud;
    r->t += r->m.interval; /* CloudSim: clock + schedulingInterval */
    return r->t < r->m.end_t ? 0 : 1;
}

static int tel_observe(void *ud, double now, const hr_obs **out, hr_error *err)
{
    sim_run *r = ud;
    int rc = hr__sim_advance_to(&r->m, now);
    if (rc < 0) return hr_error_set(err, rc, "simulate: t = %.1f s: model update failed", now);
    r->obs_t = now;
    hr_obs *o = (hr_obs *)hr__sim_observe(&r->m);
    o->round = r->round;
    *out = o;
    return 0;
}

static int drv_apply(void *ud, const hr_action *a, size_t n, hr_error *err)
{
    sim_run *r = ud;
    for (size_t i = 0; i < n; i++) {
        if (a[i].kind != HR_ACT_MIGRATE) continue;
        int rc = hr__sim_migrate(&r->m, a[i].workload, a[i].to);
        if (rc < 0)
            return hr_error_set(err, rc, "simulate: t = %.1f s: cannot migrate VM %d to host %d",
                                r->m.now, a[i].workload, a[i].to);
    }
    return (int)n;
}

static int none_plan(void *ud, const hr_obs *obs, hr_actions *out, hr_error *err)
{
    return 0;
}

static const hr_clock_ops virtual_clock = {clk_now, clk_advance};
static const hr_telemetry_ops replay = {tel_observe};
static const hr_driver_ops sim_driver = {drv_apply};
static const hr_planner_ops no_planner = {.name = "none", .plan = none_plan};

static void on_round(void *ud, const hr_loop *l)
{
    sim_run *r = ud;
    r->round++;
    if (r->o->series) hr__sim_rec_round(r->res, &r->m, r->o->watch_vm, r->rounds, r->obs_t);
    if (r->o->progress && r->rounds)
        r->o->progress(r->o->progress_ud, (double)r->round / (double)r->rounds);
}

int hr_sim_run(const hr_trace *tr, const hr_sim_opts *o, hr_sim_result *out, hr_error *err)
{
    if (!tr || !o || !o->policy || !out) return hr_error_set(err, HR_EINVAL, "simulate: no input");
    double t0 = hr_clock_sec();
    double param = NAN;
    if (!hr_sim_policy_known(o->policy, &param))
        return hr_error_set(err, HR_EINVAL, "simulate: unknown policy \"%s\"", o->policy);
    if (!isnan(o->param)) param = o->param;
    if (!isnan(param) && !(param > 0 && param < 100))
        return hr_error_set(err, HR_EINVAL, "simulate: parameter %g is out of range", param);
    if (o->watch_vm >= 0 && (size_t)o->watch_vm >= tr->nvms)
        return hr_error_set(err, HR_EINVAL, "simulate: no VM %d to watch", o->watch_vm);
    const hr_fleet *fleet = o->fleet ? o->fleet : tr->fleet;
    size_t nhosts = fleet ? fleet->nhosts : o->nhosts ? o->nhosts : 800;
    if (o->series && (o->watch_host < 0 || (size_t)o->watch_host >= nhosts))
        return hr_error_set(err, HR_EINVAL, "simulate: no host %d to watch", o->watch_host);
    bool npa = !strcmp(o->policy, "npa"), dvfs = !strcmp(o->policy, "dvfs");
    sim_run *r = calloc(1, sizeof *r);
    hr_sim_result res = {0};
    if (!r) return hr_error_set(err, HR_ENOMEM, "simulate: out of memory");
    snprintf(res.policy, sizeof res.policy, "%s", o->policy);
    res.param = param;
    sim_planner pl = {.ops = &no_planner};
    hr_loop loop = {0};
    int rc = hr__sim_model_init(&r->m, tr, o->nhosts, fleet, npa ? SIM_DC_NPA : SIM_DC_POWER,
                                !npa && !dvfs, err);
    if (rc < 0) goto out;
    r->o = o;
    r->res = &res;
    r->t = 0.1 + r->m.interval; /* cloudlets start at 0.1 s, the first update one interval on */
    for (double t = r->t; t < r->m.end_t; t += r->m.interval) r->rounds++;
    res.life = calloc(tr->nvms, sizeof *res.life);
    if (!res.life) {
        rc = hr_error_set(err, HR_ENOMEM, "simulate: out of memory");
        goto out;
    }
    if (o->series && (rc = hr__sim_rec_init(&res, r->rounds, o)) < 0) {
        rc = hr_error_set(err, rc, "simulate: cannot record %zu rounds", r->rounds);
        goto out;
    }
    if ((rc = hr__sim_place_initial(&r->m, !npa && !dvfs, err)) < 0) goto out;
    if (!strcmp(o->policy, "predictive")) {
        rc = hr__sim_predictive_planner(&pl, &r->m, o, &res, err);
    } else if (!npa && !dvfs) {
        sim_detect d = SIM_DET_THR;
        sim_select s = SIM_SEL_MMT;
        double def;
        hr__sim_parse_family(o->policy, &d, &s, &def);
        rc = hr__sim_cloudsim_planner(&pl, &r->m, d, s, param, o->seed, err);
    }
    if (rc < 0) goto out;
    if ((rc = hr_loop_init(&loop, &virtual_clock, r, &replay, r, pl.ops, pl.ud, &sim_driver, r,
                           err)) < 0)
        goto out;
    if (r->rounds && (rc = hr_loop_run(&loop, on_round, r, err)) < 0) goto out;
    if ((rc = hr__sim_finish(&r->m)) < 0) {
        rc = hr_error_set(err, rc, "simulate: out of memory");
        goto out;
    }
    hr__sim_metrics(&r->m, &res);
    res.wall_s = hr_clock_sec() - t0;
    *out = res;
    memset(&res, 0, sizeof res);
out:
    hr_loop_release(&loop);
    if (pl.free) pl.free(pl.ud);
    hr__sim_model_release(&r->m);
    free(r);
    hr_sim_result_release(&res);
    return rc < 0 ? rc : 0;
}

void hr_sim_result_release(hr_sim_result *res)
{
    if (!res) return;
    free(res->life);
    free(res->t_s);
    free(res->active_hosts);
    free(res->energy_cum_kwh);
    free(res->watch_demand);
    free(res->watch_fc_mean);
    free(res->watch_fc_lo);
    free(res->watch_fc_hi);
    free(res->host_demand);
    free(res->host_fc_mean);
    free(res->host_fc_lo);
    free(res->host_fc_hi);
    free(res->reasons);
    memset(res, 0, sizeof *res);
}
