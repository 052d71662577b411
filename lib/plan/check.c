/* The ROADEF/EURO 2012 checker: every violated constraint and the five
 * cost terms (reference/roadef2012.md sec. 4-6). Written from the problem
 * statement, cross-checked against the official checker's figures. */
#include <headroom/plan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/internal.h"
#include "util/banned.h"

void hr__roadef_usage(const hr_roadef *in, const int32_t *assign, int64_t *u)
{
    int32_t R = in->nres;
    memset(u, 0, (size_t)in->nmach * (size_t)R * sizeof *u);
    for (int32_t p = 0; p < in->nproc; p++) {
        int64_t *um = u + (size_t)assign[p] * R;
        const int64_t *rq = in->req + (size_t)p * R;
        for (int32_t r = 0; r < R; r++) um[r] += rq[r];
    }
}

int64_t hr__roadef_machine_cost(const hr_roadef *in, int32_t m, const int64_t *u)
{
    int32_t R = in->nres;
    const int64_t *sc = in->safety + (size_t)m * R, *c = in->cap + (size_t)m * R;
    int64_t cost = 0;
    for (int32_t r = 0; r < R; r++)
        if (u[r] > sc[r]) cost += in->wload[r] * (u[r] - sc[r]);
    for (int32_t b = 0; b < in->nbal; b++) {
        const hr_roadef_balance *bl = &in->bal[b];
        int64_t v = bl->target * (c[bl->r1] - u[bl->r1]) - (c[bl->r2] - u[bl->r2]);
        if (v > 0) cost += bl->weight * v;
    }
    return cost;
}

static int add_viol(hr_roadef_report *rep, hr_roadef_viol_kind kind, int32_t a, int32_t b,
                    int64_t amount, size_t *cap)
{
    rep->nviol++;
    if (rep->nkept >= HR_ROADEF_MAX_VIOLS) return 0;
    if (rep->nkept == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        hr_roadef_viol *v = realloc(rep->viol, nc * sizeof *v);
        if (!v) return HR_ENOMEM;
        rep->viol = v;
        *cap = nc;
    }
    rep->viol[rep->nkept++] = (hr_roadef_viol){kind, a, b, amount};
    return 0;
}

static void costs(const hr_roadef *in, const int32_t *m0, const int32_t *a, const int64_t *u,
                  hr_roadef_cost *c, int32_t *moved)
{
    int32_t R = in->nres;
    memset(c, 0, sizeof *c);
    for (int32_t m = 0; m < in->nmach; m++) {
        const int64_t *um = u + (size_t)m * R;
        const int64_t *sc = in->safety + (size_t)m * R, *cp = in->cap + (size_t)m * R;
        for (int32_t r = 0; r < R; r++)
            if (um[r] > sc[r]) c->load += in->wload[r] * (um[r] - sc[r]);
        for (int32_t b = 0; b < in->nbal; b++) {
            const hr_roadef_balance *bl = &in->bal[b];
            int64_t v = bl->target * (cp[bl->r1] - um[bl->r1]) - (cp[bl->r2] - um[bl->r2]);
            if (v > 0) c->balance += bl->weight * v;
        }
    }
    int64_t pm = 0, mm = 0, smax = 0;
    for (int32_t p = 0; p < in->nproc; p++) {
        if (a[p] == m0[p]) continue;
        pm += in->pmc[p];
        mm += in->mmc[(size_t)m0[p] * in->nmach + a[p]];
        int64_t k = ++moved[in->serv[p]];
        if (k > smax) smax = k;
    }
    c->process_move = in->w_pmc * pm;
    c->service_move = in->w_smc * smax;
    c->machine_move = in->w_mmc * mm;
    c->total = c->load + c->balance + c->process_move + c->service_move + c->machine_move;
}

static int check_capacity(const hr_roadef *in, const int32_t *m0, const int32_t *a,
                          const int64_t *u, int64_t *tu, hr_roadef_report *rep, size_t *cap)
{
    int32_t R = in->nres;
    memcpy(tu, u, (size_t)in->nmach * (size_t)R * sizeof *tu);
    for (int32_t p = 0; p < in->nproc; p++) {
        if (a[p] == m0[p]) continue;
        for (int32_t r = 0; r < R; r++)
            if (in->transient[r]) tu[(size_t)m0[p] * R + r] += in->req[(size_t)p * R + r];
    }
    for (int32_t m = 0; m < in->nmach; m++)
        for (int32_t r = 0; r < R; r++) {
            size_t i = (size_t)m * R + r;
            if (u[i] > in->cap[i]) {
                if (add_viol(rep, HR_VIOL_CAPACITY, m, r, u[i] - in->cap[i], cap) < 0)
                    return HR_ENOMEM;
            } else if (tu[i] > in->cap[i]) {
                if (add_viol(rep, HR_VIOL_TRANSIENT, m, r, tu[i] - in->cap[i], cap) < 0)
                    return HR_ENOMEM;
            }
        }
    return 0;
}

/* Conflict and spread, service by service, with stamp arrays. */
static int check_services(const hr_roadef *in, const int32_t *a, hr_roadef_report *rep, size_t *cap)
{
    int32_t *mstamp = hr__plan_calloc((size_t)in->nmach, sizeof *mstamp);
    int32_t *mcount = hr__plan_calloc((size_t)in->nmach, sizeof *mcount);
    int32_t *lstamp = hr__plan_calloc((size_t)in->nloc, sizeof *lstamp);
    int rc = 0;
    if (!mstamp || !mcount || !lstamp) {
        rc = HR_ENOMEM;
        goto out;
    }
    for (int32_t s = 0; s < in->nserv; s++) {
        int32_t nl = 0;
        for (int32_t i = in->sp_start[s]; i < in->sp_start[s + 1]; i++) {
            int32_t m = a[in->sp[i]], l = in->loc[m];
            if (mstamp[m] != s + 1) {
                mstamp[m] = s + 1;
                mcount[m] = 0;
            }
            mcount[m]++;
            if (lstamp[l] != s + 1) {
                lstamp[l] = s + 1;
                nl++;
            }
        }
        for (int32_t i = in->sp_start[s]; i < in->sp_start[s + 1]; i++) {
            int32_t m = a[in->sp[i]];
            if (mcount[m] > 1) {
                if (add_viol(rep, HR_VIOL_CONFLICT, s, m, mcount[m], cap) < 0) {
                    rc = HR_ENOMEM;
                    goto out;
                }
                mcount[m] = 0; /* report each (service, machine) once */
            }
        }
        if (nl < in->spread_min[s] &&
            add_viol(rep, HR_VIOL_SPREAD, s, in->spread_min[s], nl, cap) < 0) {
            rc = HR_ENOMEM;
            goto out;
        }
    }
out:
    free(mstamp);
    free(mcount);
    free(lstamp);
    return rc;
}

static int check_deps(const hr_roadef *in, const int32_t *a, hr_roadef_report *rep, size_t *cap)
{
    int64_t *nstamp = hr__plan_calloc((size_t)in->nneigh, sizeof *nstamp);
    if (!nstamp) return HR_ENOMEM;
    int64_t stamp = 0;
    for (int32_t sa = 0; sa < in->nserv; sa++)
        for (int32_t d = in->dep_start[sa]; d < in->dep_start[sa + 1]; d++) {
            int32_t sb = in->deps[d];
            stamp++;
            for (int32_t i = in->sp_start[sb]; i < in->sp_start[sb + 1]; i++)
                nstamp[in->neigh[a[in->sp[i]]]] = stamp;
            for (int32_t i = in->sp_start[sa]; i < in->sp_start[sa + 1]; i++) {
                int32_t p = in->sp[i], n = in->neigh[a[p]];
                if (nstamp[n] != stamp && add_viol(rep, HR_VIOL_DEPENDENCY, p, sb, n, cap) < 0) {
                    free(nstamp);
                    return HR_ENOMEM;
                }
            }
        }
    free(nstamp);
    return 0;
}

int hr_roadef_check(const hr_roadef *in, const int32_t *m0, const int32_t *assign,
                    hr_roadef_report *rep, hr_error *err)
{
    if (!in || !m0 || !assign || !rep) return hr_error_set(err, HR_EINVAL, "check: NULL argument");
    for (int32_t p = 0; p < in->nproc; p++)
        if (m0[p] < 0 || m0[p] >= in->nmach || assign[p] < 0 || assign[p] >= in->nmach)
            return hr_error_set(err, HR_EINVAL, "check: process %d: machine out of range", (int)p);
    size_t n = (size_t)in->nmach * (size_t)in->nres;
    int64_t *u = hr__plan_calloc(n, sizeof *u), *tu = hr__plan_calloc(n, sizeof *tu);
    int32_t *moved = hr__plan_calloc((size_t)in->nserv, sizeof *moved);
    hr_roadef_report r = {0};
    size_t cap = 0;
    int rc = HR_ENOMEM;
    if (!u || !tu || !moved) goto out;
    hr__roadef_usage(in, assign, u);
    costs(in, m0, assign, u, &r.cost, moved);
    if ((rc = check_capacity(in, m0, assign, u, tu, &r, &cap)) < 0) goto out;
    if ((rc = check_services(in, assign, &r, &cap)) < 0) goto out;
    if ((rc = check_deps(in, assign, &r, &cap)) < 0) goto out;
    rc = r.nviol > INT32_MAX ? INT32_MAX : (int)r.nviol;
    *rep = r;
    r.viol = NULL;
out:
    if (rc == HR_ENOMEM) hr_error_set(err, HR_ENOMEM, "check: out of memory");
    free(r.viol);
    free(u);
    free(tu);
    free(moved);
    return rc;
}

void hr_roadef_report_release(hr_roadef_report *rep)
{
    if (!rep) return;
    free(rep->viol);
    memset(rep, 0, sizeof *rep);
}

int hr_roadef_viol_format(const hr_roadef_viol *v, char *buf, size_t size)
{
    long long x = (long long)v->amount;
    switch (v->kind) {
    case HR_VIOL_CAPACITY:
        return snprintf(buf, size, "capacity: machine %d: resource %d over capacity by %lld",
                        (int)v->a, (int)v->b, x);
    case HR_VIOL_TRANSIENT:
        return snprintf(buf, size,
                        "transient: machine %d: resource %d (transient) over capacity by %lld "
                        "counting processes moved away",
                        (int)v->a, (int)v->b, x);
    case HR_VIOL_CONFLICT:
        return snprintf(buf, size, "conflict: service %d has %lld processes on machine %d",
                        (int)v->a, x, (int)v->b);
    case HR_VIOL_SPREAD:
        return snprintf(buf, size, "spread: service %d spans %lld locations, spreadMin is %d",
                        (int)v->a, x, (int)v->b);
    case HR_VIOL_DEPENDENCY:
        return snprintf(buf, size,
                        "dependency: process %d: no process of service %d in neighborhood %lld",
                        (int)v->a, (int)v->b, x);
    }
    return snprintf(buf, size, "unknown violation");
}

int64_t hr_roadef_lower_bound(const hr_roadef *in)
{
    int32_t R = in->nres;
    int64_t lb = 0;
    int64_t *tot = hr__plan_calloc((size_t)R, sizeof *tot),
            *sc = hr__plan_calloc((size_t)R, sizeof *sc),
            *cp = hr__plan_calloc((size_t)R, sizeof *cp);
    if (!tot || !sc || !cp) goto out;
    for (int32_t p = 0; p < in->nproc; p++)
        for (int32_t r = 0; r < R; r++) tot[r] += in->req[(size_t)p * R + r];
    for (int32_t m = 0; m < in->nmach; m++)
        for (int32_t r = 0; r < R; r++) {
            sc[r] += in->safety[(size_t)m * R + r];
            cp[r] += in->cap[(size_t)m * R + r];
        }
    for (int32_t r = 0; r < R; r++)
        if (tot[r] > sc[r]) lb += in->wload[r] * (tot[r] - sc[r]);
    for (int32_t b = 0; b < in->nbal; b++) {
        const hr_roadef_balance *bl = &in->bal[b];
        int64_t v = bl->target * (cp[bl->r1] - tot[bl->r1]) - (cp[bl->r2] - tot[bl->r2]);
        if (v > 0) lb += bl->weight * v;
    }
out:
    free(tot);
    free(sc);
    free(cp);
    return lb;
}
