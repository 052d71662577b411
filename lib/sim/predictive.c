/* headroom's predictive policy.
 *
 * Forecast: every VM's utilisation has a model of the forecasting engine
 * (hr_model_new, fitted once on its first rounds, then hr_model_update
 * each round); its one-step PRED_Q quantile is the demand planned for.
 * Chance constraint: on every host the sum of those quantiles stays within
 * PRED_HI of capacity, and no VM's quantile exceeds one core.
 * Plan:
 *   1. hosts forecast over the limit shed VMs, cheapest to move first
 *      (memory x demand: migration time x the 10 % it loses), to the fullest
 *      active host that still meets the constraint (best fit: few hosts on),
 *      a switched-off host only when none does;
 *   2. lightly loaded hosts (forecast below PRED_LO) are drained when every
 *      VM fits elsewhere, no VM on them moved within the hold time
 *      (anti-flap), and the idle power saved over the hold time outweighs
 *      the migrations' cost.
 * Every action carries its reason. */
#include "internal.h"

#include <headroom/forecast.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define PRED_Q       0.90 /* demand quantile planned for */
#define PRED_HI      1.00 /* forecast load limit (fraction of capacity) */
#define PRED_LO      0.60 /* drain hosts whose forecast load is below this */
#define PRED_HOLD    12   /* rounds a moved VM stays put unless its host overloads */
#define PRED_FIT     6    /* rounds of history before a model is fitted */
#define PRED_MODEL   "naive"
#define PRED_REASONS 32
/* Migration cost in watt-seconds per MIPS-second lost: converts a move's
 * SLA cost (10 % of its demand for RAM / 62.5 MB/s) into energy terms. */
#define PRED_COST_W 2.0

typedef struct pred {
    sim_model *m;
    hr_model **model;        /* [nvms] */
    double *q;               /* [nvms] planned demand, MIPS */
    double *fc_mean, *fc_lo; /* [nvms] one-step mean and low quantile, MIPS */
    size_t *moved_at;        /* round of the last move, SIZE_MAX never */
    double *load;            /* [nhosts] planned load, MIPS */
    uint8_t *draining;       /* [nhosts] */
    uint8_t *received;       /* [nhosts] got a VM this round */
    int32_t *where;          /* [nvms] planned host */
    int32_t *buf;            /* [nvms] */
    hr_forecast f;
    hr_sim_result *res;
    int32_t watch;
    size_t round, nrounds;
} pred;

static double q_of(const pred *p, const hr_obs *obs, int32_t v)
{
    (void)obs;
    return p->q[v];
}

/* observe -> forecast: update each VM's model, take its quantile. */
static int pred_forecast(void *ud, const hr_obs *obs, hr_error *err)
{
    pred *p = ud;
    p->round = obs->round;
    for (size_t v = 0; v < obs->nworkloads; v++) {
        const hr_obs_workload *w = &obs->wl[v];
        if (!w->alive) {
            if (p->model[v]) {
                hr_model_free(p->model[v]);
                p->model[v] = NULL;
            }
            continue;
        }
        double u = w->nhist ? w->hist[0] : w->demand_mips / w->limit_mips;
        double qu = u, mean = u, lo = u;
        if (!p->model[v] && w->nhist >= PRED_FIT) {
            double y[PRED_FIT];
            for (size_t i = 0; i < PRED_FIT; i++) y[i] = w->hist[PRED_FIT - 1 - i];
            int rc = hr_model_new(PRED_MODEL, NULL, &p->model[v], err);
            if (rc < 0) return rc;
            if ((rc = hr_model_fit(p->model[v], y, PRED_FIT, err)) < 0) return rc;
        } else if (p->model[v]) {
            int rc = hr_model_update(p->model[v], u);
            if (rc < 0) return hr_error_set(err, rc, "predictive: model update of VM %zu", v);
        }
        if (p->model[v]) {
            int rc = hr_model_forecast(p->model[v], 1, &p->f, err);
            if (rc < 0) return rc;
            lo = hr_forecast_q(&p->f, 0, 0);
            mean = p->f.mean[0];
            qu = hr_forecast_q(&p->f, 0, 2);
        } else { /* too young for a model: plan for the most seen so far */
            for (size_t i = 0; i < w->nhist; i++) qu = fmax(qu, w->hist[i]);
            qu = fmin(1, qu * 1.2);
        }
        qu = fmin(1, fmax(qu, u)); /* never below what it asks for now */
        p->q[v] = qu * w->limit_mips;
        p->fc_mean[v] = fmax(0, mean) * w->limit_mips;
        p->fc_lo[v] = fmax(0, lo) * w->limit_mips;
    }
    return 0;
}

static bool core_ok(const sim_host *h, double q)
{
    return q <= h->pe_mips;
}

/* Best fit over active hosts; an idle host (G5 first) when none fits. */
static long pick_host(pred *p, const hr_obs *obs, int32_t v, long from)
{
    double q = q_of(p, obs, v), best_load = -1;
    long best = -1;
    for (size_t h = 0; h < p->m->nhosts; h++) {
        const sim_host *hh = &p->m->hosts[h];
        if ((long)h == from || p->draining[h] || p->load[h] <= 0 || !core_ok(hh, q)) continue;
        if (p->load[h] + q > PRED_HI * hh->total_mips) continue;
        if (p->load[h] > best_load) {
            best_load = p->load[h];
            best = (long)h;
        }
    }
    if (best >= 0) return best;
    for (int pass = 0; pass < 2 && best < 0; pass++)
        for (size_t h = 0; h < p->m->nhosts; h++) {
            const sim_host *hh = &p->m->hosts[h];
            if ((long)h == from || p->draining[h] || p->load[h] > 0 || !core_ok(hh, q)) continue;
            if ((pass == 0) != (hh->pe_mips > 2000)) continue; /* larger hosts first */
            if (q > PRED_HI * hh->total_mips) continue;
            best = (long)h;
            break;
        }
    return best;
}

static void note_reason(pred *p, const char *r)
{
    hr_sim_result *res = p->res;
    res->predictive_actions++;
    if (res->nreasons < PRED_REASONS && res->reasons)
        snprintf(res->reasons[res->nreasons++], sizeof res->reasons[0], "%s", r);
}

static int move(pred *p, const hr_obs *obs, hr_actions *out, int32_t v, long from, long to,
                const char *why)
{
    int rc = hr_actions_migrate(out, v, (int32_t)from, (int32_t)to, "t=%.0fs VM %d: %s -> host %ld",
                                obs->now_s, v, why, to);
    if (rc < 0) return rc;
    note_reason(p, out->items[out->len - 1].reason);
    double q = q_of(p, obs, v);
    p->load[from] -= q;
    p->load[to] += q;
    p->where[v] = (int32_t)to;
    p->received[to] = 1;
    return 0;
}

static double move_cost(const hr_obs *obs, int32_t v)
{
    const hr_obs_workload *w = &obs->wl[v];
    return 0.1 * w->demand_mips * (w->mem_mb / SIM_MIG_BW_MB);
}

static int pred_plan(void *ud, const hr_obs *obs, hr_actions *out, hr_error *err)
{
    pred *p = ud;
    size_t H = p->m->nhosts;
    for (size_t h = 0; h < H; h++) p->load[h] = 0, p->draining[h] = 0, p->received[h] = 0;
    for (size_t v = 0; v < obs->nworkloads; v++) {
        p->where[v] = obs->wl[v].host;
        if (obs->wl[v].alive && obs->wl[v].host >= 0) p->load[obs->wl[v].host] += p->q[v];
    }
    char why[96];
    int rc;
    /* 1. forecast overloads */
    for (size_t h = 0; h < H; h++) {
        const sim_host *hh = &p->m->hosts[h];
        const hr_obs_host *oh = &obs->hosts[h];
        while (p->load[h] > PRED_HI * hh->total_mips) {
            int32_t pick = -1;
            double best = HUGE_VAL;
            for (size_t i = 0; i < oh->nmembers; i++) {
                int32_t v = oh->members[i];
                if (p->where[v] != (int32_t)h || obs->wl[v].moving) continue;
                double c = move_cost(obs, v) + 1e-9 * obs->wl[v].mem_mb;
                if (!core_ok(hh, p->q[v])) c = -1; /* a VM one core cannot hold goes first */
                if (c < best) best = c, pick = v;
            }
            if (pick < 0) break;
            long to = pick_host(p, obs, pick, (long)h);
            if (to < 0) break;
            snprintf(why, sizeof why, "host %zu forecast %.2f > %.2f", h,
                     p->load[h] / hh->total_mips, PRED_HI);
            if ((rc = move(p, obs, out, pick, (long)h, to, why)) < 0) goto fail;
        }
    }
    /* 2. consolidation: lightest hosts first */
    for (;;) {
        long light = -1;
        double min = PRED_LO;
        for (size_t h = 0; h < H; h++) {
            double u = p->load[h] / p->m->hosts[h].total_mips;
            if (p->draining[h] || p->received[h] || p->load[h] <= 0 || u >= min) continue;
            min = u;
            light = (long)h;
        }
        if (light < 0) break;
        p->draining[light] = 1;
        const hr_obs_host *oh = &obs->hosts[light];
        size_t n = 0;
        bool ok = true;
        double cost = 0;
        for (size_t i = 0; i < oh->nmembers && ok; i++) {
            int32_t v = oh->members[i];
            if (p->where[v] != (int32_t)light) continue;
            if (obs->wl[v].moving ||
                (p->moved_at[v] != SIZE_MAX && p->round - p->moved_at[v] < PRED_HOLD))
                ok = false; /* anti-flap: it moved recently */
            cost += move_cost(obs, v);
            p->buf[n++] = v;
        }
        const sim_host *lh = &p->m->hosts[light];
        double saved = hr_power_watts(lh->pm, 0) * PRED_HOLD * obs->interval_s;
        if (!ok || n == 0 || PRED_COST_W * cost > saved) continue;
        /* largest planned demand first */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && p->q[p->buf[j - 1]] < p->q[p->buf[j]]; j--) {
                int32_t t = p->buf[j];
                p->buf[j] = p->buf[j - 1];
                p->buf[j - 1] = t;
            }
        size_t start = out->len, done = 0;
        for (; done < n; done++) {
            int32_t v = p->buf[done];
            long to = pick_host(p, obs, v, light);
            if (to < 0 || p->load[to] <= 0) break; /* never switch a host on to drain one */
            snprintf(why, sizeof why, "drain host %ld (forecast %.2f < %.2f)", light, min, PRED_LO);
            if ((rc = move(p, obs, out, v, light, to, why)) < 0) goto fail;
        }
        if (done < n) { /* undo */
            for (size_t i = out->len; i-- > start;) {
                const hr_action *a = &out->items[i];
                double q = p->q[a->workload];
                p->load[a->to] -= q;
                p->load[light] += q;
                p->where[a->workload] = (int32_t)light;
                p->res->predictive_actions--;
            }
            out->len = start;
        }
    }
    return 0;
fail:
    return hr_error_set(err, rc, "predictive: too many actions");
}

/* learn: the models learnt in forecast(); here the one-step forecasts of
 * the watched VM and host are kept for the report (they are for the next
 * round, over the placement just planned). */
static int pred_learn(void *ud, const hr_obs *obs, const hr_actions *applied, hr_error *err)
{
    pred *p = ud;
    hr_sim_result *res = p->res;
    /* The hold (anti-flap) starts when a move is carried out, not when it
     * is planned: a plan only proposed (observe) holds nothing. */
    for (size_t i = 0; i < applied->len; i++)
        if (applied->items[i].kind == HR_ACT_MIGRATE && applied->items[i].workload >= 0 &&
            (size_t)applied->items[i].workload < p->m->nvms)
            p->moved_at[applied->items[i].workload] = p->round;
    size_t i = obs->round + 1;
    if (i >= p->nrounds) return 0;
    if (p->watch >= 0 && res->watch_fc_mean && obs->wl[p->watch].alive) {
        double lim = obs->wl[p->watch].limit_mips;
        res->watch_fc_mean[i] = p->fc_mean[p->watch] / lim;
        res->watch_fc_lo[i] = p->fc_lo[p->watch] / lim;
        res->watch_fc_hi[i] = p->q[p->watch] / lim;
    }
    if (res->host_fc_mean) {
        int32_t h = res->watch_host;
        double mean = 0, lo = 0, hi = 0, cap = p->m->hosts[h].total_mips;
        for (size_t v = 0; v < obs->nworkloads; v++) {
            if (p->where[v] != h || !obs->wl[v].alive) continue;
            mean += p->fc_mean[v];
            lo += p->fc_lo[v];
            hi += p->q[v];
        }
        res->host_fc_mean[i] = mean / cap;
        res->host_fc_lo[i] = lo / cap;
        res->host_fc_hi[i] = hi / cap;
    }
    return 0;
}

static void pred_free(void *ud)
{
    pred *p = ud;
    if (!p) return;
    if (p->model)
        for (size_t v = 0; v < p->m->nvms; v++) hr_model_free(p->model[v]);
    free(p->model);
    free(p->q);
    free(p->fc_mean);
    free(p->fc_lo);
    free(p->moved_at);
    free(p->load);
    free(p->draining);
    free(p->received);
    free(p->where);
    free(p->buf);
    hr_forecast_release(&p->f);
    free(p);
}

static const hr_planner_ops pred_ops = {
    .name = "predictive", .forecast = pred_forecast, .plan = pred_plan, .learn = pred_learn};

int hr__sim_predictive_planner(sim_planner *pl, sim_model *m, const hr_sim_opts *o,
                               hr_sim_result *res, hr_error *err)
{
    pred *p = calloc(1, sizeof *p);
    if (!p) return hr_error_set(err, HR_ENOMEM, "predictive: out of memory");
    p->m = m;
    p->res = res;
    p->watch = o->watch_vm;
    for (double t = 0.1 + m->interval; t < m->end_t; t += m->interval) p->nrounds++;
    p->model = calloc(m->nvms, sizeof *p->model);
    p->q = calloc(m->nvms, sizeof *p->q);
    p->fc_mean = calloc(m->nvms, sizeof *p->fc_mean);
    p->fc_lo = calloc(m->nvms, sizeof *p->fc_lo);
    p->moved_at = malloc(m->nvms * sizeof *p->moved_at);
    p->load = calloc(m->nhosts, sizeof *p->load);
    p->draining = calloc(m->nhosts, 1);
    p->received = calloc(m->nhosts, 1);
    p->where = calloc(m->nvms, sizeof *p->where);
    p->buf = calloc(m->nvms, sizeof *p->buf);
    res->reasons = calloc(PRED_REASONS, sizeof *res->reasons);
    const double lv[] = {1 - PRED_Q, 0.5, PRED_Q};
    int rc = hr_forecast_init(&p->f, 1, lv, 3, err);
    if (rc < 0 || !p->model || !p->q || !p->fc_mean || !p->fc_lo || !p->moved_at || !p->load ||
        !p->draining || !p->received || !p->where || !p->buf || !res->reasons) {
        pred_free(p);
        return rc < 0 ? rc : hr_error_set(err, HR_ENOMEM, "predictive: out of memory");
    }
    for (size_t v = 0; v < m->nvms; v++) p->moved_at[v] = SIZE_MAX;
    pl->ops = &pred_ops;
    pl->ud = p;
    pl->free = pred_free;
    return 0;
}
