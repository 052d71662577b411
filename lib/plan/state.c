/* Incremental solver state (see state.h). */
#include "plan/state.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* Cells in a dense counter table; above, a hash table. A variable so that
 * tests can force the hash tables. */
int64_t hr__plan_dense_max = (int64_t)1 << 22;

/* ---- counters ---------------------------------------------------------------------- */

static int cnt_init(hr__cnt *t, int64_t nrows, int64_t ncols, size_t expect)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    if (nrows * ncols <= hr__plan_dense_max) {
        t->dense = hr__plan_calloc((size_t)(nrows * ncols), sizeof *t->dense);
        return t->dense ? 0 : HR_ENOMEM;
    }
    size_t cap = 64;
    while (cap < expect * 2) cap *= 2;
    t->keys = hr__plan_calloc(cap, sizeof *t->keys);
    t->vals = hr__plan_calloc(cap, sizeof *t->vals);
    t->mask = cap - 1;
    return t->keys && t->vals ? 0 : HR_ENOMEM;
}

static void cnt_release(hr__cnt *t)
{
    free(t->dense);
    free(t->keys);
    free(t->vals);
}

static inline size_t cnt_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    return (size_t)k;
}

static inline int32_t cnt_get(const hr__cnt *t, int32_t s, int32_t x)
{
    uint64_t k = (uint64_t)s * (uint64_t)t->ncols + (uint64_t)x;
    if (t->dense) return t->dense[k];
    k++;
    for (size_t i = cnt_hash(k) & t->mask;; i = (i + 1) & t->mask) {
        if (t->keys[i] == k) return t->vals[i];
        if (!t->keys[i]) return 0;
    }
}

static int cnt_grow(hr__cnt *t)
{
    size_t cap = (t->mask + 1) * 2;
    uint64_t *keys = hr__plan_calloc(cap, sizeof *keys);
    int32_t *vals = hr__plan_calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return HR_ENOMEM;
    }
    for (size_t i = 0; i <= t->mask; i++) {
        if (!t->keys[i]) continue;
        size_t j = cnt_hash(t->keys[i]) & (cap - 1);
        while (keys[j]) j = (j + 1) & (cap - 1);
        keys[j] = t->keys[i];
        vals[j] = t->vals[i];
    }
    free(t->keys);
    free(t->vals);
    t->keys = keys;
    t->vals = vals;
    t->mask = cap - 1;
    return 0;
}

/* Add d; returns the new count. A growth failure sets t->oom. */
static int32_t cnt_add(hr__cnt *t, int32_t s, int32_t x, int32_t d)
{
    uint64_t k = (uint64_t)s * (uint64_t)t->ncols + (uint64_t)x;
    if (t->dense) return t->dense[k] += d;
    k++;
    size_t i = cnt_hash(k) & t->mask;
    while (t->keys[i] && t->keys[i] != k) i = (i + 1) & t->mask;
    if (!t->keys[i]) {
        if ((t->len + 1) * 2 > t->mask + 1) {
            if (cnt_grow(t) < 0) {
                t->oom = true;
                return 0;
            }
            return cnt_add(t, s, x, d);
        }
        t->keys[i] = k;
        t->vals[i] = 0;
        t->len++;
    }
    int32_t v = t->vals[i] += d;
    if (v == 0) { /* delete, shifting the rest of the run back */
        size_t j = i;
        for (;;) {
            j = (j + 1) & t->mask;
            if (!t->keys[j]) break;
            size_t h = cnt_hash(t->keys[j]) & t->mask;
            if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
                t->keys[i] = t->keys[j];
                t->vals[i] = t->vals[j];
                i = j;
            }
        }
        t->keys[i] = 0;
        t->len--;
    }
    return v;
}

/* ---- machine lists ---------------------------------------------------------------- */

static int ml_reserve(hr__state *st, int32_t m)
{
    hr__mlist *l = &st->ml[m];
    if (l->len == l->cap) {
        int32_t nc = l->cap ? l->cap * 2 : 8;
        int32_t *np = realloc(l->p, (size_t)nc * sizeof *np);
        if (!np) return HR_ENOMEM;
        l->p = np;
        l->cap = nc;
    }
    return 0;
}

static int ml_push(hr__state *st, int32_t m, int32_t p)
{
    hr__mlist *l = &st->ml[m];
    if (ml_reserve(st, m) < 0) return HR_ENOMEM;
    st->pos[p] = l->len;
    l->p[l->len++] = p;
    return 0;
}

static void ml_remove(hr__state *st, int32_t m, int32_t p)
{
    hr__mlist *l = &st->ml[m];
    int32_t i = st->pos[p], last = l->p[--l->len];
    l->p[i] = last;
    st->pos[last] = i;
}

/* ---- service move histogram ---------------------------------------------------------- */

static inline void moved_add(hr__state *st, int32_t s, int32_t d)
{
    int32_t k = st->moved[s];
    st->mhist[k]--;
    k += d;
    st->moved[s] = k;
    st->mhist[k]++;
    if (k > st->smax) st->smax = k;
    while (st->smax > 0 && st->mhist[st->smax] == 0) st->smax--;
}

/* ---- neighbourhood presence and dependency satisfaction ------------------------------- */

static void neigh_add(hr__state *st, int32_t s, int32_t n, int32_t d)
{
    int32_t v = cnt_add(&st->sneigh, s, n, d);
    if ((d > 0 && v == 1) || (d < 0 && v == 0))
        for (int32_t i = st->rdep_start[s]; i < st->rdep_start[s + 1]; i++)
            cnt_add(&st->sat, st->rdeps[i], n, d > 0 ? 1 : -1);
}

static void loc_add(hr__state *st, int32_t s, int32_t l, int32_t d)
{
    int32_t v = cnt_add(&st->sloc, s, l, d);
    if (d > 0 && v == 1) st->nlocs[s]++;
    if (d < 0 && v == 0) st->nlocs[s]--;
}

/* ---- building ---------------------------------------------------------------------- */

static int build_rdeps(hr__state *st)
{
    const hr_roadef *in = st->in;
    st->ndeps = hr__plan_calloc((size_t)in->nserv, sizeof *st->ndeps);
    st->rdep_start = hr__plan_calloc((size_t)in->nserv + 1, sizeof *st->rdep_start);
    st->rdeps = hr__plan_calloc((size_t)in->dep_start[in->nserv], sizeof *st->rdeps);
    int32_t *fill = hr__plan_calloc((size_t)in->nserv, sizeof *fill);
    if (!st->ndeps || !st->rdep_start || !st->rdeps || !fill) {
        free(fill);
        return HR_ENOMEM;
    }
    for (int32_t sa = 0; sa < in->nserv; sa++)
        for (int32_t d = in->dep_start[sa]; d < in->dep_start[sa + 1]; d++)
            if (in->deps[d] != sa) { /* a self-dependency always holds */
                st->ndeps[sa]++;
                st->rdep_start[in->deps[d] + 1]++;
            }
    for (int32_t s = 0; s < in->nserv; s++) st->rdep_start[s + 1] += st->rdep_start[s];
    for (int32_t sa = 0; sa < in->nserv; sa++)
        for (int32_t d = in->dep_start[sa]; d < in->dep_start[sa + 1]; d++) {
            int32_t sb = in->deps[d];
            if (sb != sa) st->rdeps[st->rdep_start[sb] + fill[sb]++] = sa;
        }
    free(fill);
    return 0;
}

int hr__state_init(hr__state *st, const hr_roadef *in, const int32_t *m0, const int32_t *a)
{
    memset(st, 0, sizeof *st);
    st->in = in;
    st->m0 = m0;
    size_t P = (size_t)in->nproc, M = (size_t)in->nmach, R = (size_t)in->nres,
           S = (size_t)in->nserv;
    st->a = hr__plan_calloc(P, sizeof *st->a);
    st->pos = hr__plan_calloc(P, sizeof *st->pos);
    st->ml = hr__plan_calloc(M, sizeof *st->ml);
    st->u = hr__plan_calloc(M * R, sizeof *st->u);
    st->tx = hr__plan_calloc(M * R, sizeof *st->tx);
    st->mcost = hr__plan_calloc(M, sizeof *st->mcost);
    st->nlocs = hr__plan_calloc(S, sizeof *st->nlocs);
    st->moved = hr__plan_calloc(S, sizeof *st->moved);
    st->mhist = hr__plan_calloc(P + 1, sizeof *st->mhist);
    if (!st->a || !st->pos || !st->ml || !st->u || !st->tx || !st->mcost || !st->nlocs ||
        !st->moved || !st->mhist)
        goto nomem;
    if (build_rdeps(st) < 0) goto nomem;
    if (cnt_init(&st->conf, (int64_t)S, (int64_t)M, P) < 0 ||
        cnt_init(&st->sloc, (int64_t)S, in->nloc, P) < 0 ||
        cnt_init(&st->sneigh, (int64_t)S, in->nneigh, P) < 0 ||
        cnt_init(&st->sat, (int64_t)S, in->nneigh, P) < 0)
        goto nomem;
    st->mhist[0] = in->nserv;
    /* Place every process at its m0 machine, then move it to a[p]: the
     * same code path the search uses, so the counters agree by design. */
    for (int32_t p = 0; p < in->nproc; p++) {
        int32_t m = m0[p], s = in->serv[p];
        st->a[p] = m;
        if (ml_push(st, m, p) < 0) goto nomem;
        for (size_t r = 0; r < R; r++) st->u[(size_t)m * R + r] += in->req[(size_t)p * R + r];
        cnt_add(&st->conf, s, m, 1);
        loc_add(st, s, in->loc[m], 1);
        neigh_add(st, s, in->neigh[m], 1);
    }
    for (int32_t m = 0; m < in->nmach; m++)
        st->mcost[m] = hr__roadef_machine_cost(in, m, st->u + (size_t)m * R);
    for (int32_t p = 0; p < in->nproc; p++)
        if (a[p] != m0[p] && hr__shift_apply(st, p, a[p]) < 0) goto nomem;
    if (hr__state_oom(st)) goto nomem;
    st->cost = hr__state_recost(st);
    return 0;
nomem:
    hr__state_release(st);
    return HR_ENOMEM;
}

void hr__state_release(hr__state *st)
{
    if (st->ml)
        for (int32_t m = 0; m < st->in->nmach; m++) free(st->ml[m].p);
    free(st->ml);
    free(st->a);
    free(st->pos);
    free(st->u);
    free(st->tx);
    free(st->mcost);
    free(st->nlocs);
    free(st->ndeps);
    free(st->rdep_start);
    free(st->rdeps);
    free(st->moved);
    free(st->mhist);
    cnt_release(&st->conf);
    cnt_release(&st->sloc);
    cnt_release(&st->sneigh);
    cnt_release(&st->sat);
    memset(st, 0, sizeof *st);
}

int64_t hr__state_recost(const hr__state *st)
{
    const hr_roadef *in = st->in;
    int64_t c = 0;
    for (int32_t m = 0; m < in->nmach; m++) c += st->mcost[m];
    return c + in->w_pmc * st->pm + in->w_smc * st->smax + in->w_mmc * st->mm;
}

/* ---- moves ------------------------------------------------------------------------- */

/* Load + balance cost of machine m with usage u(m) + sign * req(p) (+ sign2 * req(q)). */
static int64_t mcost_with(const hr__state *st, int32_t m, int32_t p, int64_t sp, int32_t q,
                          int64_t sq)
{
    const hr_roadef *in = st->in;
    int32_t R = in->nres;
    int64_t nu[HR_ROADEF_MAX_RESOURCES];
    const int64_t *u = st->u + (size_t)m * R, *rp = in->req + (size_t)p * R;
    for (int32_t r = 0; r < R; r++) nu[r] = u[r] + sp * rp[r];
    if (q >= 0) {
        const int64_t *rq = in->req + (size_t)q * R;
        for (int32_t r = 0; r < R; r++) nu[r] += sq * rq[r];
    }
    return hr__roadef_machine_cost(in, m, nu);
}

static int64_t move_cost_delta(hr__state *st, int32_t p, int32_t from, int32_t to)
{
    const hr_roadef *in = st->in;
    int32_t o = st->m0[p];
    int64_t d = in->w_mmc * ((int64_t)in->mmc[(size_t)o * in->nmach + to] -
                             in->mmc[(size_t)o * in->nmach + from]);
    if (from == o) d += in->w_pmc * in->pmc[p];
    if (to == o) d -= in->w_pmc * in->pmc[p];
    return d;
}

/* Whether machine m can take p (usage and transient usage). `minus` is a
 * process leaving m at the same time (-1: none). */
static bool fits(const hr__state *st, int32_t p, int32_t m, int32_t minus)
{
    const hr_roadef *in = st->in;
    int32_t R = in->nres;
    const int64_t *u = st->u + (size_t)m * R, *tx = st->tx + (size_t)m * R;
    const int64_t *c = in->cap + (size_t)m * R, *rp = in->req + (size_t)p * R;
    const int64_t *rq = minus >= 0 ? in->req + (size_t)minus * R : NULL;
    bool p_home = st->m0[p] == m, q_home = minus >= 0 && st->m0[minus] == m;
    for (int32_t r = 0; r < R; r++) {
        int64_t nu = u[r] + rp[r] - (rq ? rq[r] : 0);
        if (nu > c[r]) return false;
        if (in->transient[r]) {
            /* transient usage u + tx: p adds req unless it returns home;
             * the leaving process frees its req unless m is its home. */
            int64_t t = u[r] + tx[r] + (p_home ? 0 : rp[r]) - (rq && !q_home ? rq[r] : 0);
            if (t > c[r]) return false;
        }
    }
    return true;
}

static int64_t smc_delta(hr__state *st, int32_t p, int32_t from, int32_t to, int32_t q,
                         int32_t qfrom, int32_t qto)
{
    const hr_roadef *in = st->in;
    int32_t old = st->smax;
    int32_t dp = (from == st->m0[p]) - (to == st->m0[p]);
    int32_t dq = q >= 0 ? (qfrom == st->m0[q]) - (qto == st->m0[q]) : 0;
    if (!dp && !dq) return 0;
    if (dp) moved_add(st, in->serv[p], dp);
    if (dq) moved_add(st, in->serv[q], dq);
    int32_t now = st->smax;
    if (dq) moved_add(st, in->serv[q], -dq);
    if (dp) moved_add(st, in->serv[p], -dp);
    return in->w_smc * (int64_t)(now - old);
}

int64_t hr__shift_delta(hr__state *st, int32_t p, int32_t m)
{
    int32_t from = st->a[p];
    if (from == m || !fits(st, p, m, -1)) return INT64_MAX;
    int64_t d = mcost_with(st, from, p, -1, -1, 0) - st->mcost[from];
    d += mcost_with(st, m, p, 1, -1, 0) - st->mcost[m];
    return d + move_cost_delta(st, p, from, m) + smc_delta(st, p, from, m, -1, 0, 0);
}

bool hr__shift_ok(const hr__state *st, int32_t p, int32_t m)
{
    const hr_roadef *in = st->in;
    int32_t s = in->serv[p], from = st->a[p];
    if (cnt_get(&st->conf, s, m) > 0) return false;
    int32_t l1 = in->loc[from], l2 = in->loc[m];
    if (l1 != l2) {
        int32_t nl =
            st->nlocs[s] - (cnt_get(&st->sloc, s, l1) == 1) + (cnt_get(&st->sloc, s, l2) == 0);
        if (nl < in->spread_min[s]) return false;
    }
    int32_t n1 = in->neigh[from], n2 = in->neigh[m];
    if (n1 == n2) return true;
    if (st->ndeps[s] && cnt_get(&st->sat, s, n2) < st->ndeps[s]) return false;
    if (cnt_get(&st->sneigh, s, n1) == 1)
        for (int32_t i = st->rdep_start[s]; i < st->rdep_start[s + 1]; i++)
            if (cnt_get(&st->sneigh, st->rdeps[i], n1) > 0) return false;
    return true;
}

int hr__shift_apply(hr__state *st, int32_t p, int32_t m)
{
    const hr_roadef *in = st->in;
    if (ml_reserve(st, m) < 0) return HR_ENOMEM;
    int32_t R = in->nres, s = in->serv[p], from = st->a[p], o = st->m0[p];
    const int64_t *rp = in->req + (size_t)p * R;
    int64_t *uf = st->u + (size_t)from * R, *ut = st->u + (size_t)m * R;
    for (int32_t r = 0; r < R; r++) {
        uf[r] -= rp[r];
        ut[r] += rp[r];
        if (in->transient[r]) {
            if (from == o) st->tx[(size_t)o * R + r] += rp[r];
            if (m == o) st->tx[(size_t)o * R + r] -= rp[r];
        }
    }
    int64_t c1 = hr__roadef_machine_cost(in, from, uf), c2 = hr__roadef_machine_cost(in, m, ut);
    st->cost += c1 - st->mcost[from] + c2 - st->mcost[m];
    st->mcost[from] = c1;
    st->mcost[m] = c2;
    int64_t mm0 = in->mmc[(size_t)o * in->nmach + from], mm1 = in->mmc[(size_t)o * in->nmach + m];
    st->mm += mm1 - mm0;
    st->cost += in->w_mmc * (mm1 - mm0);
    int32_t dp = (from == o) - (m == o);
    if (dp) {
        st->pm += dp * in->pmc[p];
        st->cost += in->w_pmc * dp * in->pmc[p];
        int32_t old = st->smax;
        moved_add(st, s, dp);
        st->cost += in->w_smc * (int64_t)(st->smax - old);
    }
    ml_remove(st, from, p);
    ml_push(st, m, p); /* cannot fail: reserved above */
    st->a[p] = m;
    cnt_add(&st->conf, s, from, -1);
    cnt_add(&st->conf, s, m, 1);
    if (in->loc[from] != in->loc[m]) {
        loc_add(st, s, in->loc[from], -1);
        loc_add(st, s, in->loc[m], 1);
    }
    if (in->neigh[from] != in->neigh[m]) {
        neigh_add(st, s, in->neigh[from], -1);
        neigh_add(st, s, in->neigh[m], 1);
    }
    return 0;
}

int64_t hr__swap_delta(hr__state *st, int32_t p, int32_t q)
{
    int32_t m1 = st->a[p], m2 = st->a[q];
    if (m1 == m2 || st->in->serv[p] == st->in->serv[q]) return INT64_MAX;
    if (!fits(st, p, m2, q) || !fits(st, q, m1, p)) return INT64_MAX;
    int64_t d = mcost_with(st, m1, p, -1, q, 1) - st->mcost[m1];
    d += mcost_with(st, m2, q, -1, p, 1) - st->mcost[m2];
    d += move_cost_delta(st, p, m1, m2) + move_cost_delta(st, q, m2, m1);
    return d + smc_delta(st, p, m1, m2, q, m2, m1);
}

bool hr__swap_ok(hr__state *st, int32_t p, int32_t q)
{
    int32_t m1 = st->a[p], m2 = st->a[q];
    if (!hr__shift_ok(st, p, m2)) return false;
    int64_t cost = st->cost, pm = st->pm, mm = st->mm;
    if (hr__shift_apply(st, p, m2) < 0) return false;
    bool ok = hr__shift_ok(st, q, m1);
    if (hr__shift_apply(st, p, m1) < 0) return false; /* p's old slot is free: cannot fail */
    st->cost = cost; /* exact anyway; restored to avoid any drift */
    st->pm = pm;
    st->mm = mm;
    return ok;
}
