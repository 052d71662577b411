/* The per-round recorder behind hr_sim_opts.series: one slot per round in
 * each series, allocated once before the run (the rounds are known and at
 * most HR_TRACE_MAX_STEPS), so recording never grows anything. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

#include "util/banned.h"

static double *nan_array(size_t n)
{
    double *p = malloc(n * sizeof *p);
    if (p)
        for (size_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

int hr__sim_rec_init(hr_sim_result *res, size_t rounds, const hr_sim_opts *o)
{
    size_t n = rounds ? rounds : 1;
    if (n > HR_TRACE_MAX_STEPS) return HR_ELIMIT;
    res->watch_host = o->watch_host;
    res->t_s = calloc(n, sizeof *res->t_s);
    res->active_hosts = calloc(n, sizeof *res->active_hosts);
    res->energy_cum_kwh = calloc(n, sizeof *res->energy_cum_kwh);
    res->host_demand = nan_array(n);
    res->host_fc_mean = nan_array(n);
    res->host_fc_lo = nan_array(n);
    res->host_fc_hi = nan_array(n);
    if (!res->t_s || !res->active_hosts || !res->energy_cum_kwh || !res->host_demand ||
        !res->host_fc_mean || !res->host_fc_lo || !res->host_fc_hi)
        return HR_ENOMEM;
    if (o->watch_vm >= 0) {
        res->watch_demand = nan_array(n);
        res->watch_fc_mean = nan_array(n);
        res->watch_fc_lo = nan_array(n);
        res->watch_fc_hi = nan_array(n);
        if (!res->watch_demand || !res->watch_fc_mean || !res->watch_fc_lo || !res->watch_fc_hi)
            return HR_ENOMEM;
    }
    return 0;
}

void hr__sim_rec_round(hr_sim_result *res, const sim_model *m, int32_t watch_vm, size_t cap,
                       double t)
{
    size_t i = res->rounds;
    if (i >= cap) return;
    size_t active = 0;
    for (size_t h = 0; h < m->nhosts; h++) active += m->hosts[h].util_mips > 0;
    res->t_s[i] = t;
    res->active_hosts[i] = (double)active;
    res->energy_cum_kwh[i] = m->energy_ws / 3.6e6;
    const sim_host *hh = &m->hosts[res->watch_host];
    double req = 0;
    for (size_t k = 0; k < hh->n; k++) {
        const sim_vm *v = &m->vms[hh->vm[k]];
        if (v->host == res->watch_host) req += v->req; /* owned, not arriving */
    }
    res->host_demand[i] = req / hh->total_mips;
    if (res->watch_demand) {
        const sim_vm *v = &m->vms[watch_vm];
        res->watch_demand[i] = v->alive ? v->req / v->mips : NAN;
    }
    res->rounds = i + 1;
}
