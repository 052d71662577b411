/* A fleet (include/headroom/fleet.h) as a ROADEF instance for the solver. */
#include <headroom/plan.h>

#include <stdlib.h>
#include <string.h>

#include "plan/internal.h"
#include "util/banned.h"

static int check_fleet(const hr_fleet *f, hr_error *err)
{
    if (f->nresources == 0 || f->nhosts == 0 || f->nworkloads == 0)
        return hr_error_set(err, HR_EINVAL, "fleet: needs resources, hosts and workloads");
    if (f->nresources > HR_ROADEF_MAX_RESOURCES || f->nhosts > HR_ROADEF_MAX_MACHINES ||
        f->nworkloads > HR_ROADEF_MAX_PROCESSES || f->nbalances > HR_ROADEF_MAX_BALANCES)
        return hr_error_set(err, HR_ELIMIT, "fleet: too large for the placement solver");
    for (size_t w = 0; w < f->nworkloads; w++) {
        const hr_workload *wl = &f->workloads[w];
        if (wl->host == HR_NONE)
            return hr_error_set(err, HR_EINVAL, "workloads[%zu]: not placed (workload \"%s\")", w,
                                wl->name);
        if (wl->service != HR_NONE && wl->anti_affinity != HR_NONE)
            return hr_error_set(err, HR_ENOTSUP,
                                "workloads[%zu]: both a service and an anti-affinity group "
                                "(workload \"%s\")",
                                w, wl->name);
        for (size_t h = 0; h < f->nhosts && wl->nrequired_labels; h++)
            if (!hr_fleet_labels_ok(f, (int32_t)h, (int32_t)w))
                return hr_error_set(err, HR_ENOTSUP,
                                    "workloads[%zu]: requires labels some hosts lack (workload "
                                    "\"%s\"); the solver places on every host",
                                    w, wl->name);
    }
    for (size_t s = 0; s < f->nservices; s++) {
        const hr_service *sv = &f->services[s];
        if (sv->distinct_hosts) continue;
        for (size_t i = 0; i < sv->nworkloads; i++)
            for (size_t j = i + 1; j < sv->nworkloads; j++)
                if (f->workloads[sv->workloads[i]].host == f->workloads[sv->workloads[j]].host)
                    return hr_error_set(err, HR_ENOTSUP,
                                        "services[%zu]: workloads share a host but ROADEF services "
                                        "always keep them apart (service \"%s\")",
                                        s, sv->name);
    }
    return 0;
}

#define ALLOC(ptr, n)                                                                              \
    do {                                                                                           \
        (ptr) = hr__plan_calloc((size_t)(n), sizeof *(ptr));                                       \
        if (!(ptr)) goto nomem;                                                                    \
    } while (0)

int hr_roadef_from_fleet(const hr_fleet *f, hr_roadef **out, int32_t **m0_out, hr_error *err)
{
    if (!f || !out || !m0_out) return hr_error_set(err, HR_EINVAL, "fleet: NULL argument");
    int rc = check_fleet(f, err);
    if (rc < 0) return rc;
    hr_roadef *in = calloc(1, sizeof *in);
    int32_t *m0 = NULL, *group_serv = NULL;
    if (!in) goto nomem;
    int32_t R = (int32_t)f->nresources, M = (int32_t)f->nhosts, P = (int32_t)f->nworkloads;
    in->nres = R;
    in->nmach = M;
    in->nproc = P;
    ALLOC(in->transient, R);
    ALLOC(in->wload, R);
    for (int32_t r = 0; r < R; r++) {
        in->transient[r] = f->resources[r].transient;
        in->wload[r] = f->resources[r].load_cost_weight;
    }
    ALLOC(in->neigh, M);
    ALLOC(in->loc, M);
    ALLOC(in->cap, (size_t)M * R);
    ALLOC(in->safety, (size_t)M * R);
    ALLOC(in->mmc, (size_t)M * M);
    for (int32_t m = 0; m < M; m++) {
        const hr_host *h = &f->hosts[m];
        /* hosts without one share "none" (0); named ones follow */
        in->neigh[m] = h->neighbourhood == HR_NONE ? 0 : h->neighbourhood + 1;
        in->loc[m] = h->location == HR_NONE ? 0 : h->location + 1;
        memcpy(in->cap + (size_t)m * R, h->capacity, (size_t)R * sizeof *in->cap);
        memcpy(in->safety + (size_t)m * R, h->safety, (size_t)R * sizeof *in->safety);
        for (int32_t k = 0; k < M; k++)
            in->mmc[(size_t)m * M + k] = hr_fleet_host_move_cost(f, m, k);
    }
    /* services: the fleet's, then one per anti-affinity group, then one per
     * workload with neither */
    size_t ngroups = hr_fleet_count(f, HR_KIND_GROUP);
    ALLOC(group_serv, ngroups + 1);
    int32_t S = (int32_t)f->nservices;
    for (size_t g = 0; g < ngroups; g++) group_serv[g] = S++;
    ALLOC(in->serv, P);
    for (int32_t p = 0; p < P; p++) {
        const hr_workload *w = &f->workloads[p];
        in->serv[p] = w->service != HR_NONE         ? w->service
                      : w->anti_affinity != HR_NONE ? group_serv[w->anti_affinity]
                                                    : S++;
    }
    in->nserv = S;
    ALLOC(in->spread_min, S);
    ALLOC(in->dep_start, (size_t)S + 1);
    size_t ndeps = 0;
    for (size_t s = 0; s < f->nservices; s++) ndeps += f->services[s].ndeps;
    ALLOC(in->deps, ndeps);
    ndeps = 0;
    for (int32_t s = 0; s < S; s++) {
        in->dep_start[s] = (int32_t)ndeps;
        if ((size_t)s >= f->nservices) continue;
        const hr_service *sv = &f->services[s];
        in->spread_min[s] = sv->spread_min;
        for (size_t d = 0; d < sv->ndeps; d++) in->deps[ndeps++] = sv->deps[d];
    }
    in->dep_start[S] = (int32_t)ndeps;
    ALLOC(in->req, (size_t)P * R);
    ALLOC(in->pmc, P);
    ALLOC(m0, P);
    for (int32_t p = 0; p < P; p++) {
        memcpy(in->req + (size_t)p * R, f->workloads[p].demand, (size_t)R * sizeof *in->req);
        in->pmc[p] = f->workloads[p].move_cost;
        m0[p] = f->workloads[p].host;
    }
    in->nbal = (int32_t)f->nbalances;
    ALLOC(in->bal, in->nbal);
    for (int32_t b = 0; b < in->nbal; b++) {
        in->bal[b].r1 = f->balances[b].resource1;
        in->bal[b].r2 = f->balances[b].resource2;
        in->bal[b].target = f->balances[b].target;
        in->bal[b].weight = f->balances[b].weight;
    }
    in->w_pmc = f->move_weights.workload;
    in->w_smc = f->move_weights.service;
    in->w_mmc = f->move_weights.host;
    if ((rc = hr__roadef_finish(in, err)) < 0) goto fail;
    free(group_serv);
    *out = in;
    *m0_out = m0;
    return 0;
nomem:
    rc = hr_error_set(err, HR_ENOMEM, "fleet: out of memory");
fail:
    free(group_serv);
    free(m0);
    hr_roadef_free(in);
    return rc;
}
