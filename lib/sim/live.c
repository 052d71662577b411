/* The live twin: the model of model.c over a trace buffer filled one round
 * at a time by the caller (headroom serve's demo driver). */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define LIVE_MAX_PLANNERS 4
#define LIVE_U_MIN        0.0001 /* the model removes a VM reading 0 twice */

struct hr_sim_live {
    hr_trace tr; /* u is ours; no names, no fleet */
    sim_model m;
    size_t round; /* rounds observed */
    size_t max_rounds;
    double *next; /* [nvms] utilisations for the next round */
    char names[LIVE_MAX_PLANNERS][32];
    sim_planner pl[LIVE_MAX_PLANNERS];
    hr_sim_opts opts[LIVE_MAX_PLANNERS];
    hr_sim_result res[LIVE_MAX_PLANNERS]; /* the predictive planner's reasons */
    size_t npl;
};

void hr_sim_live_free(hr_sim_live *lv)
{
    if (!lv) return;
    for (size_t i = 0; i < lv->npl; i++) {
        if (lv->pl[i].free) lv->pl[i].free(lv->pl[i].ud);
        hr_sim_result_release(&lv->res[i]);
    }
    hr__sim_model_release(&lv->m);
    free(lv->tr.u);
    free(lv->next);
    free(lv);
}

int hr_sim_live_new(size_t nvms, size_t nhosts, double interval_s, size_t max_rounds,
                    hr_sim_live **out, hr_error *err)
{
    if (!out || !nvms || !nhosts || !(interval_s > 0))
        return hr_error_set(err, HR_EINVAL, "live twin: VMs, hosts and an interval > 0 needed");
    if (!max_rounds) max_rounds = HR_TRACE_MAX_STEPS - 2;
    if (nvms > HR_TRACE_MAX_VMS || max_rounds > HR_TRACE_MAX_STEPS - 2)
        return hr_error_set(err, HR_ELIMIT, "live twin: %zu VMs or %zu rounds is too many", nvms,
                            max_rounds);
    size_t nsteps = max_rounds + 2, per = nsteps + 1;
    if (nvms > SIZE_MAX / sizeof(double) / per)
        return hr_error_set(err, HR_ELIMIT, "live twin: %zu VMs x %zu rounds is too many", nvms,
                            max_rounds);
    hr_sim_live *lv = calloc(1, sizeof *lv);
    if (!lv) return hr_error_set(err, HR_ENOMEM, "live twin: out of memory");
    lv->max_rounds = max_rounds;
    lv->tr.nvms = nvms;
    lv->tr.nsteps = nsteps;
    lv->tr.step_s = interval_s;
    lv->tr.u = malloc(nvms * per * sizeof *lv->tr.u);
    lv->next = malloc(nvms * sizeof *lv->next);
    if (!lv->tr.u || !lv->next) {
        hr_sim_live_free(lv);
        return hr_error_set(err, HR_ENOMEM, "live twin: out of memory");
    }
    for (size_t i = 0; i < nvms * per; i++) lv->tr.u[i] = 0.1;
    for (size_t i = 0; i < nvms; i++) lv->next[i] = 0.1;
    int rc = hr__sim_model_init(&lv->m, &lv->tr, nhosts, NULL, SIM_DC_POWER, true, err);
    if (rc == 0) rc = hr__sim_place_initial(&lv->m, true, err);
    if (rc < 0) {
        hr_sim_live_free(lv);
        return rc;
    }
    *out = lv;
    return 0;
}

int hr_sim_live_feed(hr_sim_live *lv, const double *u, size_t n, hr_error *err)
{
    if (n != lv->tr.nvms)
        return hr_error_set(err, HR_EINVAL, "live twin: %zu utilisations for %zu VMs", n,
                            lv->tr.nvms);
    for (size_t i = 0; i < n; i++) {
        if (isnan(u[i])) continue;
        lv->next[i] = u[i] < LIVE_U_MIN ? LIVE_U_MIN : u[i] > 1 ? 1 : u[i];
    }
    return 0;
}

/* Round k is observed at 0.1 + (k + 1) * interval (as hr_sim_run's rounds):
 * slots k + 1 and k + 2 get the fed values, so the model reads them there. */
static int live_observe(void *ud, double now, const hr_obs **out, hr_error *err)
{
    (void)now;
    hr_sim_live *lv = ud;
    if (lv->round >= lv->max_rounds)
        return hr_error_set(err, HR_ELIMIT, "live twin: all %zu rounds used", lv->max_rounds);
    size_t per = lv->tr.nsteps + 1, k = lv->round;
    for (size_t i = 0; i < lv->tr.nvms; i++) {
        double *u = lv->tr.u + i * per;
        if (k == 0) u[0] = lv->next[i];
        u[k + 1] = u[k + 2] = lv->next[i];
    }
    double t = 0.1 + (double)(k + 1) * lv->tr.step_s;
    int rc = hr__sim_advance_to(&lv->m, t);
    if (rc < 0) return hr_error_set(err, rc, "live twin: round %zu: model update failed", k);
    hr_obs *o = (hr_obs *)hr__sim_observe(&lv->m);
    o->round = k;
    lv->round++;
    *out = o;
    return 0;
}

static int live_apply(void *ud, const hr_action *a, size_t n, hr_error *err)
{
    hr_sim_live *lv = ud;
    int done = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i].kind != HR_ACT_MIGRATE) continue;
        int32_t w = a[i].workload, to = a[i].to;
        if (w < 0 || (size_t)w >= lv->m.nvms || to < 0 || (size_t)to >= lv->m.nhosts) continue;
        const sim_vm *v = &lv->m.vms[w];
        if (!v->alive || v->in_mig || v->host != a[i].from || v->host == to) continue;
        int rc = hr__sim_migrate(&lv->m, w, to);
        if (rc < 0)
            return hr_error_set(err, rc, "live twin: cannot migrate VM %d to host %d", w, to);
        done++;
    }
    return done;
}

static const hr_telemetry_ops live_tel = {live_observe};
static const hr_driver_ops live_drv = {live_apply};

const hr_telemetry_ops *hr_sim_live_telemetry(void)
{
    return &live_tel;
}

const hr_driver_ops *hr_sim_live_driver(void)
{
    return &live_drv;
}

int hr_sim_live_planner(hr_sim_live *lv, const char *policy, const hr_planner_ops **ops, void **ud,
                        hr_error *err)
{
    for (size_t i = 0; i < lv->npl; i++)
        if (!strcmp(lv->names[i], policy)) {
            *ops = lv->pl[i].ops;
            *ud = lv->pl[i].ud;
            return 0;
        }
    double param = NAN;
    sim_detect d;
    sim_select s;
    bool pred = !strcmp(policy, "predictive");
    if (strlen(policy) >= sizeof lv->names[0] ||
        (!pred && !hr__sim_parse_family(policy, &d, &s, &param)))
        return hr_error_set(err, HR_EINVAL, "live twin: unknown policy \"%s\"", policy);
    if (lv->npl == LIVE_MAX_PLANNERS)
        return hr_error_set(err, HR_ELIMIT, "live twin: more than %d planners", LIVE_MAX_PLANNERS);
    size_t i = lv->npl;
    lv->opts[i] = (hr_sim_opts){.policy = lv->names[i], .param = param, .watch_vm = -1};
    sim_planner *pl = &lv->pl[i];
    int rc = pred ? hr__sim_predictive_planner(pl, &lv->m, &lv->opts[i], &lv->res[i], err)
                  : hr__sim_cloudsim_planner(pl, &lv->m, d, s, param, 0, err);
    if (rc < 0) {
        hr_sim_result_release(&lv->res[i]);
        memset(pl, 0, sizeof *pl);
        return rc;
    }
    snprintf(lv->names[i], sizeof lv->names[i], "%s", policy);
    lv->npl++;
    *ops = pl->ops;
    *ud = pl->ud;
    return 0;
}

size_t hr_sim_live_rounds(const hr_sim_live *lv)
{
    return lv->round;
}

void hr_sim_live_stats(const hr_sim_live *lv, size_t *migrations, double *energy_kwh)
{
    if (migrations) *migrations = lv->m.migration_count;
    if (energy_kwh) *energy_kwh = lv->m.energy_ws / (3600 * 1000);
}
