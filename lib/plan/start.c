/* A valid starting assignment when some processes are not placed yet
 * (fleets): greedy best-cost placement, largest first. */
#include <headroom/plan.h>

#include <stdlib.h>
#include <string.h>

#include "plan/internal.h"
#include "util/banned.h"

/* Penalties steering the greedy choice towards the structural constraints
 * it cannot decide alone (spread and dependencies depend on processes
 * placed later); the final check decides. */
#define PEN_DEP    ((int64_t)1 << 50)
#define PEN_SPREAD ((int64_t)1 << 40)

typedef struct greedy {
    const hr_roadef *in;
    int32_t *a;     /* current assignment, -1 = not placed */
    int64_t *u;     /* [M * R] usage of the placed processes */
    double *maxcap; /* [R] largest capacity */
    double *size;   /* [P] sum of req / maxcap */
} greedy;

static bool service_on(const greedy *g, int32_t s, int32_t m, bool by_loc, bool by_neigh)
{
    const hr_roadef *in = g->in;
    for (int32_t i = in->sp_start[s]; i < in->sp_start[s + 1]; i++) {
        int32_t q = g->a[in->sp[i]];
        if (q < 0) continue;
        if (by_loc ? in->loc[q] == in->loc[m] : by_neigh ? in->neigh[q] == in->neigh[m] : q == m)
            return true;
    }
    return false;
}

static int32_t service_locs(const greedy *g, int32_t s, int32_t *stamp, int32_t tag)
{
    const hr_roadef *in = g->in;
    int32_t n = 0;
    for (int32_t i = in->sp_start[s]; i < in->sp_start[s + 1]; i++) {
        int32_t q = g->a[in->sp[i]];
        if (q >= 0 && stamp[in->loc[q]] != tag) {
            stamp[in->loc[q]] = tag;
            n++;
        }
    }
    return n;
}

/* Cost of placing p on m (INT64_MAX: capacity or conflict). */
static int64_t place_cost(const greedy *g, int32_t p, int32_t m, int64_t *nu, bool spread_short)
{
    const hr_roadef *in = g->in;
    int32_t R = in->nres, s = in->serv[p];
    const int64_t *u = g->u + (size_t)m * R, *c = in->cap + (size_t)m * R;
    const int64_t *rp = in->req + (size_t)p * R;
    for (int32_t r = 0; r < R; r++) {
        nu[r] = u[r] + rp[r];
        if (nu[r] > c[r]) return INT64_MAX;
    }
    if (service_on(g, s, m, false, false)) return INT64_MAX;
    int64_t cost = hr__roadef_machine_cost(in, m, nu) - hr__roadef_machine_cost(in, m, u);
    for (int32_t d = in->dep_start[s]; d < in->dep_start[s + 1]; d++)
        if (in->deps[d] != s && !service_on(g, in->deps[d], m, false, true)) cost += PEN_DEP;
    if (spread_short && service_on(g, s, m, true, false)) cost += PEN_SPREAD;
    return cost;
}

static int cmp_size_desc(const void *x, const void *y, void *ud)
{
    const double *size = ud;
    double a = size[*(const int32_t *)x], b = size[*(const int32_t *)y];
    if (a != b) return a > b ? -1 : 1;
    return *(const int32_t *)x < *(const int32_t *)y ? -1 : 1;
}

/* Insertion sort by size, descending (the unplaced are few in practice;
 * qsort_r is not portable C11). */
static void sort_by_size(int32_t *v, size_t n, double *size)
{
    for (size_t i = 1; i < n; i++) {
        int32_t x = v[i];
        size_t j = i;
        while (j > 0 && cmp_size_desc(&v[j - 1], &x, size) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static int place_all(greedy *g, int32_t *unplaced, size_t nunplaced, int32_t *m0, hr_error *err)
{
    const hr_roadef *in = g->in;
    int32_t R = in->nres;
    int64_t nu[HR_ROADEF_MAX_RESOURCES];
    int32_t *stamp = hr__plan_calloc((size_t)in->nloc, sizeof *stamp);
    if (!stamp) return hr_error_set(err, HR_ENOMEM, "start: out of memory");
    int rc = 0;
    for (size_t i = 0; i < nunplaced; i++) {
        int32_t p = unplaced[i], s = in->serv[p], best = -1;
        bool short_ = service_locs(g, s, stamp, (int32_t)i + 1) < in->spread_min[s];
        int64_t bc = INT64_MAX;
        for (int32_t m = 0; m < in->nmach; m++) {
            int64_t c = place_cost(g, p, m, nu, short_);
            if (c < bc) {
                bc = c;
                best = m;
            }
        }
        if (best < 0) {
            rc = hr_error_set(err, HR_EDATA,
                              "start: process %d fits on no machine (capacity or conflict)", p);
            break;
        }
        g->a[p] = m0[p] = best;
        for (int32_t r = 0; r < R; r++) g->u[(size_t)best * R + r] += in->req[(size_t)p * R + r];
    }
    free(stamp);
    return rc;
}

/* ---- repair: unplace what today's placement gets wrong ------------------------------ */

static void unplace(greedy *g, int32_t p, uint8_t *why, hr_roadef_viol_kind kind)
{
    const hr_roadef *in = g->in;
    int32_t m = g->a[p], R = in->nres;
    for (int32_t r = 0; r < R; r++) g->u[(size_t)m * R + r] -= in->req[(size_t)p * R + r];
    g->a[p] = -1;
    why[p] = (uint8_t)(kind + 1);
}

/* Machines over capacity: their processes leave, the largest in the
 * resource over capacity first, until each fits. */
static void repair_capacity(greedy *g, uint8_t *why)
{
    const hr_roadef *in = g->in;
    int32_t R = in->nres;
    for (int32_t m = 0; m < in->nmach; m++)
        for (int32_t r = 0; r < R; r++)
            while (g->u[(size_t)m * R + r] > in->cap[(size_t)m * R + r]) {
                int32_t big = -1;
                for (int32_t p = 0; p < in->nproc; p++)
                    if (g->a[p] == m &&
                        (big < 0 || in->req[(size_t)p * R + r] > in->req[(size_t)big * R + r]))
                        big = p;
                if (big < 0 || in->req[(size_t)big * R + r] == 0) break;
                unplace(g, big, why, HR_VIOL_CAPACITY);
            }
}

/* Conflict: one process of a service per machine stays (the lowest id);
 * spread: when a service spans too few locations, one process per
 * location stays; dependency: a process whose neighbourhood lacks a
 * service it depends on leaves. */
static void repair_services(greedy *g, uint8_t *why)
{
    const hr_roadef *in = g->in;
    for (int32_t s = 0; s < in->nserv; s++) {
        for (int32_t i = in->sp_start[s]; i < in->sp_start[s + 1]; i++)
            for (int32_t j = in->sp_start[s]; j < i; j++)
                if (g->a[in->sp[i]] >= 0 && g->a[in->sp[i]] == g->a[in->sp[j]]) {
                    unplace(g, in->sp[i], why, HR_VIOL_CONFLICT);
                    break;
                }
        int32_t nloc = 0;
        for (int32_t i = in->sp_start[s]; i < in->sp_start[s + 1]; i++) {
            int32_t m = g->a[in->sp[i]];
            bool seen = false;
            for (int32_t j = in->sp_start[s]; j < i && m >= 0 && !seen; j++)
                seen = g->a[in->sp[j]] >= 0 && in->loc[g->a[in->sp[j]]] == in->loc[m];
            nloc += m >= 0 && !seen;
        }
        if (nloc < in->spread_min[s])
            for (int32_t i = in->sp_start[s]; i < in->sp_start[s + 1]; i++)
                for (int32_t j = in->sp_start[s]; j < i; j++)
                    if (g->a[in->sp[i]] >= 0 && g->a[in->sp[j]] >= 0 &&
                        in->loc[g->a[in->sp[i]]] == in->loc[g->a[in->sp[j]]]) {
                        unplace(g, in->sp[i], why, HR_VIOL_SPREAD);
                        break;
                    }
    }
    for (int32_t p = 0; p < in->nproc; p++) {
        int32_t s = in->serv[p];
        for (int32_t d = in->dep_start[s]; d < in->dep_start[s + 1] && g->a[p] >= 0; d++)
            if (in->deps[d] != s && !service_on(g, in->deps[d], g->a[p], false, true))
                unplace(g, p, why, HR_VIOL_DEPENDENCY);
    }
}

static int start_impl(const hr_roadef *in, int32_t *m0, int32_t *start, uint8_t *repaired,
                      hr_error *err)
{
    if (!in || !m0 || !start) return hr_error_set(err, HR_EINVAL, "start: NULL argument");
    int32_t R = in->nres, P = in->nproc;
    for (int32_t p = 0; p < P; p++)
        if (m0[p] >= in->nmach)
            return hr_error_set(err, HR_EINVAL, "start: process %d: machine %d out of range", p,
                                m0[p]);
    greedy g = {.in = in};
    int32_t *unplaced = NULL, *m0new = NULL;
    size_t nunplaced = 0;
    int rc = HR_ENOMEM;
    g.a = hr__plan_calloc((size_t)P, sizeof *g.a);
    g.u = hr__plan_calloc((size_t)in->nmach * (size_t)R, sizeof *g.u);
    g.maxcap = hr__plan_calloc((size_t)R, sizeof *g.maxcap);
    g.size = hr__plan_calloc((size_t)P, sizeof *g.size);
    unplaced = hr__plan_calloc((size_t)P, sizeof *unplaced);
    m0new = hr__plan_calloc((size_t)P, sizeof *m0new);
    if (!g.a || !g.u || !g.maxcap || !g.size || !unplaced || !m0new) {
        hr_error_set(err, rc, "start: out of memory");
        goto out;
    }
    for (int32_t m = 0; m < in->nmach; m++)
        for (int32_t r = 0; r < R; r++)
            if ((double)in->cap[(size_t)m * R + r] > g.maxcap[r])
                g.maxcap[r] = (double)in->cap[(size_t)m * R + r];
    memcpy(m0new, m0, (size_t)P * sizeof *m0new);
    for (int32_t p = 0; p < P; p++) {
        g.a[p] = m0[p] < 0 ? -1 : m0[p];
        for (int32_t r = 0; r < R; r++) {
            int64_t v = in->req[(size_t)p * R + r];
            if (m0[p] >= 0) g.u[(size_t)m0[p] * R + r] += v;
            if (g.maxcap[r] > 0) g.size[p] += (double)v / g.maxcap[r];
        }
    }
    if (repaired) {
        memset(repaired, 0, (size_t)P * sizeof *repaired);
        repair_capacity(&g, repaired);
        repair_services(&g, repaired);
        for (int32_t p = 0; p < P; p++)
            if (repaired[p]) m0new[p] = -1; /* re-placed below like the unplaced */
    }
    for (int32_t p = 0; p < P; p++)
        if (g.a[p] < 0) unplaced[nunplaced++] = p;
    sort_by_size(unplaced, nunplaced, g.size);
    if ((rc = place_all(&g, unplaced, nunplaced, m0new, err)) < 0) goto out;
    hr_roadef_report rep;
    int n = hr_roadef_check(in, m0new, g.a, &rep, err);
    if (n > 0) {
        char what[256];
        hr_roadef_viol_format(&rep.viol[0], what, sizeof what);
        rc = hr_error_set(err, HR_EDATA, "start: no valid placement (%d violations; first: %s)", n,
                          what);
    } else {
        rc = n;
    }
    hr_roadef_report_release(&rep);
    if (rc < 0) goto out;
    memcpy(m0, m0new, (size_t)P * sizeof *m0);
    memcpy(start, g.a, (size_t)P * sizeof *start);
out:
    free(g.a);
    free(g.u);
    free(g.maxcap);
    free(g.size);
    free(unplaced);
    free(m0new);
    return rc;
}

int hr_roadef_start(const hr_roadef *in, int32_t *m0, int32_t *start, hr_error *err)
{
    return start_impl(in, m0, start, NULL, err);
}

int hr_roadef_start_repair(const hr_roadef *in, int32_t *m0, int32_t *start, uint8_t *repaired,
                           hr_error *err)
{
    if (!repaired) return hr_error_set(err, HR_EINVAL, "start: NULL argument");
    return start_impl(in, m0, start, repaired, err);
}
