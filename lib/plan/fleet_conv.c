/* A fleet (include/headroom/fleet.h) as a ROADEF instance for the solver. */
#include <headroom/plan.h>

#include <stdlib.h>
#include <string.h>

#include "plan/internal.h"
#include "util/banned.h"

/* How fleet services map to ROADEF services (which always keep their
 * processes on distinct machines). A service is kept whole when it asks for
 * distinct hosts, needs a spread, is depended upon or has at most one
 * workload; otherwise each of its workloads becomes a service of its own
 * (with the same dependencies), so that they may share hosts. */
static bool keep_whole(const hr_service *sv, const uint8_t *depended)
{
    return sv->distinct_hosts || sv->spread_min > 1 || *depended || sv->nworkloads <= 1;
}

static int check_fleet(const hr_fleet *f, const uint8_t *depended, hr_error *err)
{
    if (f->nresources == 0 || f->nhosts == 0 || f->nworkloads == 0)
        return hr_error_set(err, HR_EINVAL, "fleet: needs resources, hosts and workloads");
    if (f->nresources > HR_ROADEF_MAX_RESOURCES || f->nhosts > HR_ROADEF_MAX_MACHINES ||
        f->nworkloads > HR_ROADEF_MAX_PROCESSES || f->nbalances > HR_ROADEF_MAX_BALANCES)
        return hr_error_set(err, HR_ELIMIT, "fleet: too large for the placement solver");
    for (size_t w = 0; w < f->nworkloads; w++) {
        const hr_workload *wl = &f->workloads[w];
        if (wl->service == HR_NONE || wl->anti_affinity == HR_NONE) continue;
        /* both: fine when the group lies inside one distinct-hosts service */
        const hr_service *sv = &f->services[wl->service];
        bool implied = sv->distinct_hosts;
        for (size_t v = 0; v < f->nworkloads && implied; v++)
            if (f->workloads[v].anti_affinity == wl->anti_affinity)
                implied = f->workloads[v].service == wl->service;
        if (!implied)
            return hr_error_set(err, HR_ENOTSUP,
                                "workloads[%zu]: anti-affinity group \"%s\" spans more than the "
                                "distinct-hosts service \"%s\" (workload \"%s\")",
                                w, hr_fleet_name(f, HR_KIND_GROUP, wl->anti_affinity), sv->name,
                                wl->name);
    }
    for (size_t s = 0; s < f->nservices; s++) {
        const hr_service *sv = &f->services[s];
        if (sv->distinct_hosts || !keep_whole(sv, &depended[s])) continue;
        for (size_t i = 0; i < sv->nworkloads; i++)
            for (size_t j = i + 1; j < sv->nworkloads; j++) {
                int32_t h = f->workloads[sv->workloads[i]].host;
                if (h != HR_NONE && h == f->workloads[sv->workloads[j]].host)
                    return hr_error_set(err, HR_ENOTSUP,
                                        "services[%zu]: workloads share a host, but a service "
                                        "with a spread or dependants keeps them apart (service "
                                        "\"%s\")",
                                        s, sv->name);
            }
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
    hr_roadef *in = NULL;
    int32_t *m0 = NULL, *group_serv = NULL, *serv_id = NULL, *label_res = NULL;
    uint8_t *depended = hr__plan_calloc(f->nservices, 1);
    int rc;
    if (!depended) goto nomem;
    for (size_t s = 0; s < f->nservices; s++)
        for (size_t d = 0; d < f->services[s].ndeps; d++) depended[f->services[s].deps[d]] = 1;
    if ((rc = check_fleet(f, depended, err)) < 0) goto fail;
    /* required labels become resources: 1 per workload, hosts with the label
     * offer one per workload, hosts without it none */
    size_t nlabels = hr_fleet_count(f, HR_KIND_LABEL);
    ALLOC(label_res, nlabels + 1);
    int32_t FR = (int32_t)f->nresources, R = FR;
    for (size_t w = 0; w < f->nworkloads; w++)
        for (size_t i = 0; i < f->workloads[w].nrequired_labels; i++) {
            int32_t l = f->workloads[w].required_labels[i];
            if (!label_res[l]) label_res[l] = ++R; /* resource R - 1 */
        }
    if (R > HR_ROADEF_MAX_RESOURCES) {
        rc = hr_error_set(err, HR_ELIMIT, "fleet: resources plus required labels exceed %d",
                          HR_ROADEF_MAX_RESOURCES);
        goto fail;
    }
    in = calloc(1, sizeof *in);
    if (!in) goto nomem;
    int32_t M = (int32_t)f->nhosts, P = (int32_t)f->nworkloads;
    in->nres = R;
    in->nlabel_res = R - FR;
    in->nmach = M;
    in->nproc = P;
    ALLOC(in->transient, R);
    ALLOC(in->wload, R);
    for (int32_t r = 0; r < FR; r++) {
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
        memcpy(in->cap + (size_t)m * R, h->capacity, (size_t)FR * sizeof *in->cap);
        memcpy(in->safety + (size_t)m * R, h->safety, (size_t)FR * sizeof *in->safety);
        for (size_t i = 0; i < h->nlabels; i++) {
            int32_t r = label_res[h->labels[i]] - 1;
            if (r >= 0) in->cap[(size_t)m * R + r] = in->safety[(size_t)m * R + r] = P;
        }
        for (int32_t k = 0; k < M; k++)
            in->mmc[(size_t)m * M + k] = hr_fleet_host_move_cost(f, m, k);
    }
    /* services: the fleet's kept whole, then one per anti-affinity group
     * (workloads without a service), then one per remaining workload */
    size_t ngroups = hr_fleet_count(f, HR_KIND_GROUP);
    ALLOC(group_serv, ngroups + 1);
    ALLOC(serv_id, f->nservices + 1);
    int32_t S = 0;
    for (size_t s = 0; s < f->nservices; s++)
        serv_id[s] = keep_whole(&f->services[s], &depended[s]) ? S++ : -1;
    for (size_t g = 0; g < ngroups; g++) group_serv[g] = S++;
    ALLOC(in->serv, P);
    int32_t *fsv; /* fleet service of each ROADEF service (-1: none) */
    ALLOC(fsv, (size_t)S + (size_t)P);
    for (int32_t s = 0; s < S; s++) fsv[s] = -1;
    for (size_t s = 0; s < f->nservices; s++)
        if (serv_id[s] >= 0) fsv[serv_id[s]] = (int32_t)s;
    for (int32_t p = 0; p < P; p++) {
        const hr_workload *w = &f->workloads[p];
        if (w->service != HR_NONE && serv_id[w->service] >= 0) {
            in->serv[p] = serv_id[w->service];
        } else if (w->anti_affinity != HR_NONE) {
            in->serv[p] = group_serv[w->anti_affinity];
        } else {
            fsv[S] = w->service; /* a split service's deps, or none */
            in->serv[p] = S++;
        }
    }
    in->nserv = S;
    in->spread_min = hr__plan_calloc((size_t)S, sizeof *in->spread_min);
    in->dep_start = hr__plan_calloc((size_t)S + 1, sizeof *in->dep_start);
    size_t ndeps = 0;
    for (int32_t s = 0; s < S; s++)
        if (fsv[s] >= 0) ndeps += f->services[fsv[s]].ndeps;
    in->deps = hr__plan_calloc(ndeps, sizeof *in->deps);
    if (!in->spread_min || !in->dep_start || !in->deps) {
        free(fsv);
        goto nomem;
    }
    ndeps = 0;
    for (int32_t s = 0; s < S; s++) {
        in->dep_start[s] = (int32_t)ndeps;
        if (fsv[s] < 0) continue;
        const hr_service *sv = &f->services[fsv[s]];
        in->spread_min[s] = sv->spread_min;
        for (size_t d = 0; d < sv->ndeps; d++) in->deps[ndeps++] = serv_id[sv->deps[d]];
    }
    in->dep_start[S] = (int32_t)ndeps;
    free(fsv);
    ALLOC(in->req, (size_t)P * R);
    ALLOC(in->pmc, P);
    ALLOC(m0, P);
    for (int32_t p = 0; p < P; p++) {
        const hr_workload *w = &f->workloads[p];
        memcpy(in->req + (size_t)p * R, w->demand, (size_t)FR * sizeof *in->req);
        for (size_t i = 0; i < w->nrequired_labels; i++)
            in->req[(size_t)p * R + label_res[w->required_labels[i]] - 1] = 1;
        in->pmc[p] = w->move_cost;
        m0[p] = w->host == HR_NONE ? -1 : w->host;
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
    free(serv_id);
    free(label_res);
    free(depended);
    *out = in;
    *m0_out = m0;
    return 0;
nomem:
    rc = hr_error_set(err, HR_ENOMEM, "fleet: out of memory");
fail:
    free(group_serv);
    free(serv_id);
    free(label_res);
    free(depended);
    free(m0);
    hr_roadef_free(in);
    return rc;
}
