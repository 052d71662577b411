/* The in-host partition solver: per resource, guarantees by priority class
 * with max-min fair water-filling inside the class that exhausts capacity,
 * limits from the top quantile, whole exclusive cores for pinned SLAs,
 * hysteresis against the previous solution. */
#include <headroom/act.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* Floors every tenant gets so no group is starved to zero: the smallest
 * CFS quota the kernel takes (1 ms per 100 ms), 1 MiB, 8 kbit/s. */
static const int64_t floor_of[HR_PART_RES_COUNT_] = {10, 1 << 20, 8000};
static const char *const res_name[HR_PART_RES_COUNT_] = {"cpu", "memory", "egress"};

double hr_part_demand_at(const hr_part_demand *d, double p)
{
    if (!d || d->n == 0) return 0;
    if (p <= d->levels[0]) return d->values[0];
    for (size_t i = 1; i < d->n; i++)
        if (p <= d->levels[i]) {
            double t = (p - d->levels[i - 1]) / (d->levels[i] - d->levels[i - 1]);
            return d->values[i - 1] + t * (d->values[i] - d->values[i - 1]);
        }
    return d->values[d->n - 1];
}

void hr_part_host_release(hr_part_host *h)
{
    if (!h) return;
    free(h->tenants);
    h->tenants = NULL;
    h->ntenants = 0;
}

typedef struct solver {
    const hr_part_host *h;
    size_t *order; /* tenants by priority (desc), then name */
    const hr_part_alloc **prev;
    double band, top;
} solver;

static int by_priority(const void *a, const void *b, void *ud)
{
    const hr_part_tenant *t = ud;
    const hr_part_tenant *x = &t[*(const size_t *)a], *y = &t[*(const size_t *)b];
    if (x->priority != y->priority) return x->priority > y->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_want(const void *a, const void *b, void *ud)
{
    const int64_t *w = ud;
    int64_t x = w[*(const size_t *)a], y = w[*(const size_t *)b];
    if (x != y) return x < y ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Max-min fair split of `cap` among members idx[0..m) capped at want[]. */
static void waterfill(size_t *idx, size_t m, const int64_t *want, int64_t cap, int64_t *give)
{
    qsort_r(idx, m, sizeof *idx, by_want, (void *)want);
    for (size_t k = 0; k < m; k++) {
        size_t left = m - k;
        int64_t share = cap / (int64_t)left;
        if (want[idx[k]] <= share) {
            give[idx[k]] = want[idx[k]];
            cap -= want[idx[k]];
            continue;
        }
        /* Everyone from k on wants more than an equal share: split evenly,
         * the remainder one unit each to the first ones. */
        int64_t rem = cap - share * (int64_t)left;
        for (size_t q = k; q < m; q++) give[idx[q]] = share + ((int64_t)(q - k) < rem ? 1 : 0);
        return;
    }
}

/* Guarantees for the tenants in `members` (a priority-ordered subsequence). */
static void guarantee(const solver *S, const size_t *members, size_t m, const int64_t *want,
                      int64_t cap, int64_t *give, size_t *scratch)
{
    for (size_t i = 0; i < m;) {
        size_t j = i;
        int32_t p = S->h->tenants[members[i]].priority;
        int64_t sum = 0;
        while (j < m && S->h->tenants[members[j]].priority == p) sum += want[members[j++]];
        if (sum <= cap) {
            for (size_t k = i; k < j; k++) give[members[k]] = want[members[k]];
            cap -= sum;
        } else {
            memcpy(scratch, members + i, (j - i) * sizeof *scratch);
            waterfill(scratch, j - i, want, cap, give);
            cap = 0;
        }
        i = j;
    }
}

static int64_t keep_or(int64_t prev, int64_t now, double band)
{
    if (band <= 0 || prev <= 0) return now;
    double hi = (double)(prev > now ? prev : now);
    return fabs((double)(prev - now)) <= band * hi ? prev : now;
}

/* The core ids of a list "3,5,7" (what the solver writes), at most max. */
static size_t parse_ids(const char *p, int32_t *ids, size_t max)
{
    size_t n = 0;
    while (*p && n < max) {
        int64_t v = 0;
        size_t k = 0;
        while (p[k] >= '0' && p[k] <= '9' && k < 6) v = v * 10 + (p[k++] - '0');
        if (k == 0) break;
        ids[n++] = (int32_t)v;
        p += k;
        if (*p == ',') p++;
    }
    return n;
}

static void owned_list(const hr_part_host *h, const int32_t *owner, int32_t who, char *buf,
                       size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t c = 0; c < h->ncpus; c++) {
        if (owner[c] != who) continue;
        int n = snprintf(buf + len, size - len, "%s%d", len ? "," : "", h->cpus[c]);
        if (n < 0 || (size_t)n >= size - len) return;
        len += (size_t)n;
    }
}

/* Whether the previous cores of tenant i are all free and k in number;
 * if so they are taken. */
static bool reuse_prev(const solver *S, size_t i, size_t k, int32_t *owner)
{
    const hr_part_alloc *pv = S->prev ? S->prev[i] : NULL;
    if (!pv || !pv->pinned) return false;
    int32_t ids[64];
    size_t nid = parse_ids(pv->cpus, ids, 64), hit = 0;
    if (nid != k) return false;
    for (size_t q = 0; q < nid; q++)
        for (size_t c = 0; c < S->h->ncpus; c++)
            if (S->h->cpus[c] == ids[q] && owner[c] < 0) hit++;
    if (hit != k) return false;
    for (size_t q = 0; q < nid; q++)
        for (size_t c = 0; c < S->h->ncpus; c++)
            if (S->h->cpus[c] == ids[q]) owner[c] = (int32_t)i;
    return true;
}

/* Pinned cores: whole cores by priority, from the highest core id down,
 * reusing the previous set when it is still free and the same size. A
 * tenant that does not fit joins the shared pool (pin_denied). One core
 * stays shared while any tenant is unpinned. */
static void pin_cores(const solver *S, hr_part_alloc *out, int32_t *owner, size_t *nshared)
{
    const hr_part_host *h = S->h;
    bool any_unpinned = false;
    for (size_t i = 0; i < h->ntenants; i++) any_unpinned |= !h->tenants[i].pin;
    size_t free_cores = h->ncpus;
    for (size_t oi = 0; oi < h->ntenants; oi++) {
        size_t i = S->order[oi];
        const hr_part_tenant *t = &h->tenants[i];
        if (!t->pin) continue;
        double want = hr_part_demand_at(&t->demand[HR_PART_CPU], t->quantile);
        size_t k = (size_t)ceil(want / 1000.0 - 1e-9);
        if (k == 0) k = 1;
        if (k + (any_unpinned ? 1 : 0) > free_cores || k > 64) {
            out[i].pin_denied = true;
            any_unpinned = true;
            continue;
        }
        if (!reuse_prev(S, i, k, owner)) {
            size_t got = 0;
            for (size_t c = h->ncpus; got < k && c-- > 0;)
                if (owner[c] < 0) {
                    owner[c] = (int32_t)i;
                    got++;
                }
        }
        out[i].pinned = true;
        free_cores -= k;
    }
    for (size_t i = 0; i < h->ntenants; i++)
        if (out[i].pinned) owned_list(h, owner, (int32_t)i, out[i].cpus, sizeof out[i].cpus);
    *nshared = free_cores;
}

/* Guarantees and limits of resource r over tenants `members`. */
static int solve_res(const solver *S, hr_part_res r, const size_t *members, size_t m, int64_t cap,
                     hr_part_alloc *out, int64_t *want, int64_t *give, size_t *scratch,
                     hr_error *err)
{
    const hr_part_host *h = S->h;
    if ((int64_t)m * floor_of[r] > cap)
        return hr_error_set(err, HR_EINVAL,
                            "%s: %s: %zu tenants need at least %lld, the host has %lld", h->name,
                            res_name[r], m, (long long)((int64_t)m * floor_of[r]), (long long)cap);
    int64_t sum_g = 0;
    for (size_t k = 0; k < m; k++) {
        size_t i = members[k];
        const hr_part_tenant *t = &h->tenants[i];
        double w = hr_part_demand_at(&t->demand[r], t->quantile);
        int64_t wi = (int64_t)ceil(w);
        if (r == HR_PART_MEM && t->mem_cap > 0 && wi > t->mem_cap) wi = t->mem_cap;
        out[i].want[r] = wi;
        want[i] = wi > floor_of[r] ? wi - floor_of[r] : 0;
    }
    guarantee(S, members, m, want, cap - (int64_t)m * floor_of[r], give, scratch);
    for (size_t k = 0; k < m; k++) {
        size_t i = members[k];
        int64_t g = give[i] + floor_of[r];
        const hr_part_alloc *pv = S->prev ? S->prev[i] : NULL;
        if (pv) g = keep_or(pv->guarantee[r], g, S->band);
        out[i].guarantee[r] = g;
        sum_g += g;
    }
    /* Hysteresis must not break the capacity: fall back to fresh values. */
    if (sum_g > cap)
        for (size_t k = 0; k < m; k++)
            out[members[k]].guarantee[r] = give[members[k]] + floor_of[r];
    for (size_t k = 0; k < m; k++) {
        size_t i = members[k];
        const hr_part_tenant *t = &h->tenants[i];
        int64_t g = out[i].guarantee[r];
        int64_t lim = (int64_t)ceil(hr_part_demand_at(&t->demand[r], S->top));
        if (lim < g) lim = g;
        if (lim > cap) lim = cap;
        const hr_part_alloc *pv = S->prev ? S->prev[i] : NULL;
        if (pv) lim = keep_or(pv->limit[r], lim, S->band);
        if (lim < g) lim = g;
        out[i].limit[r] = lim;
        out[i].short_of[r] = g < out[i].want[r];
    }
    return 0;
}

static int check_host(const hr_part_host *h, hr_error *err)
{
    if (h->ntenants == 0) return hr_error_set(err, HR_EINVAL, "%s: no tenants", h->name);
    if (h->ntenants > HR_PART_MAX_TENANTS)
        return hr_error_set(err, HR_ELIMIT, "%s: more than %d tenants", h->name,
                            HR_PART_MAX_TENANTS);
    if (h->ncpus == 0 || h->mem_bytes <= 0)
        return hr_error_set(err, HR_EINVAL, "%s: the host needs cpus and memory", h->name);
    return 0;
}

int hr_part_solve(const hr_part_host *h, const hr_part_alloc *prev, size_t nprev,
                  const hr_part_opts *o, hr_part_alloc *out, hr_error *err)
{
    if (!h || !out || (!prev && nprev)) return hr_error_set(err, HR_EINVAL, "partition: no host");
    int rc = check_host(h, err);
    if (rc) return rc;
    hr_part_opts z = {0};
    if (!o) o = &z;
    size_t n = h->ntenants;
    solver S = {.h = h,
                .band = o->hysteresis == 0  ? 0.05
                        : o->hysteresis < 0 ? 0
                                            : o->hysteresis,
                .top = o->top_level > 0 ? o->top_level : 0.99};
    double margin = o->mem_max_margin > 0 ? o->mem_max_margin : 0.25;
    int64_t period = o->period_usec > 0 ? o->period_usec : 100000;
    hr_part_alloc *res = calloc(n, sizeof *res);
    S.order = malloc(n * sizeof *S.order);
    size_t *members = malloc(n * sizeof *members), *scratch = malloc(n * sizeof *scratch);
    int64_t *want = calloc(n, sizeof *want), *give = calloc(n, sizeof *give);
    int32_t *owner = malloc(h->ncpus * sizeof *owner);
    S.prev = nprev ? calloc(n, sizeof *S.prev) : NULL;
    if (!res || !S.order || !members || !scratch || !want || !give || !owner ||
        (nprev && !S.prev)) {
        rc = hr_error_set(err, HR_ENOMEM, "partition: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        S.order[i] = i;
        snprintf(res[i].name, sizeof res[i].name, "%s", h->tenants[i].name);
        for (size_t k = 0; k < nprev; k++)
            if (!strcmp(prev[k].name, h->tenants[i].name)) S.prev[i] = &prev[k];
    }
    qsort_r(S.order, n, sizeof *S.order, by_priority, h->tenants);

    size_t shared_cores = 0;
    for (size_t c = 0; c < h->ncpus; c++) owner[c] = -1;
    pin_cores(&S, res, owner, &shared_cores);
    /* CPU: shared tenants over the shared cores. */
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (!res[S.order[k]].pinned) members[m++] = S.order[k];
    int64_t cpu_cap = (int64_t)shared_cores * 1000 - h->reserve[HR_PART_CPU];
    if (m && (rc = solve_res(&S, HR_PART_CPU, members, m, cpu_cap, res, want, give, scratch, err)))
        goto out;
    char shared[128];
    owned_list(h, owner, -1, shared, sizeof shared);
    for (size_t i = 0; i < n; i++) {
        hr_part_alloc *a = &res[i];
        if (a->pinned) {
            size_t k = 1;
            for (const char *p = a->cpus; *p; p++) k += *p == ',';
            a->guarantee[HR_PART_CPU] = a->limit[HR_PART_CPU] = (int64_t)k * 1000;
            a->want[HR_PART_CPU] = (int64_t)ceil(
                hr_part_demand_at(&h->tenants[i].demand[HR_PART_CPU], h->tenants[i].quantile));
            a->cpu_quota_usec = HR_CG_MAX;
        } else {
            snprintf(a->cpus, sizeof a->cpus, "%s", shared);
        }
        /* Weights in proportion to the guarantees over the whole host, pinned
         * tenants included: under cgroup v1 a group's weight is spread over
         * the CPUs it runs on, so a pinned group needs its full share. */
        int64_t total = (int64_t)h->ncpus * 1000;
        int64_t w = (a->guarantee[HR_PART_CPU] * 10000 + total / 2) / total;
        a->cpu_weight = w < 1 ? 1 : w > 10000 ? 10000 : w;
        if (a->pinned) continue;
        int64_t q = a->limit[HR_PART_CPU] * period / 1000;
        a->cpu_quota_usec = q < 1000 ? 1000 : q;
    }
    /* Memory and egress: every tenant. */
    for (size_t k = 0; k < n; k++) members[k] = S.order[k];
    if ((rc = solve_res(&S, HR_PART_MEM, members, n, h->mem_bytes - h->reserve[HR_PART_MEM], res,
                        want, give, scratch, err)))
        goto out;
    if (h->net_bps > 0 &&
        (rc = solve_res(&S, HR_PART_NET, members, n, h->net_bps - h->reserve[HR_PART_NET], res,
                        want, give, scratch, err)))
        goto out;
    int64_t mem_cap = h->mem_bytes - h->reserve[HR_PART_MEM];
    for (size_t i = 0; i < n; i++) {
        hr_part_alloc *a = &res[i];
        int64_t mx = (int64_t)((double)a->limit[HR_PART_MEM] * (1 + margin));
        if (mx > mem_cap) mx = mem_cap;
        if (h->tenants[i].mem_cap > 0 && mx > h->tenants[i].mem_cap) mx = h->tenants[i].mem_cap;
        if (mx < a->limit[HR_PART_MEM]) mx = a->limit[HR_PART_MEM];
        a->mem_max = mx;
    }
    memcpy(out, res, n * sizeof *out);
out:
    free(res);
    free(S.order);
    free(members);
    free(scratch);
    free(want);
    free(give);
    free(owner);
    free(S.prev);
    return rc;
}
