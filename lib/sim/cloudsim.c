/* CloudSim's consolidation family as a planner: overload detection (THR,
 * IQR, MAD, LR, LRR), VM selection (MMT, MU, MC, RS), PABFD placement and
 * under-load draining, as PowerVmAllocationPolicyMigrationAbstract.
 * optimizeAllocation does it, on a virtual copy of the placement. */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

typedef struct vlist {
    int32_t *vm;
    size_t n, cap;
} vlist;

typedef struct cs {
    sim_model *m; /* static host/VM properties only (sizes, power models) */
    sim_detect det;
    sim_select sel;
    double param;
    uint64_t rng;
    const hr_obs *obs;
    vlist *l;        /* [nhosts] virtual VM lists */
    double *avail;   /* [nhosts] scheduler available MIPS */
    double *asum;    /* [nhosts] sum of the scheduler's allocated MIPS over the list */
    uint8_t *over;   /* [nhosts] over-utilised at the start */
    uint8_t *excl_u; /* hosts not to drain */
    uint8_t *excl_p; /* hosts not to place on */
    int32_t *tomig;  /* [nvms] */
    double *key;     /* [nvms] sort keys */
    double *work;    /* scratch */
    size_t nwork;
    /* [nhosts * SIM_HIST] the summed utilisation history of each virtual
     * list, in list order (valid where hvalid[h]): PABFD asks for it of
     * every candidate host, for the list plus one VM */
    double *hsum;
    uint8_t *hvalid;
    double *pnow; /* [nhosts] each host's power at the last update */
    double *rsum; /* [nhosts] demand of each virtual list, valid where rvalid[h] */
    uint8_t *rvalid;
    /* hosts that may take a VM other than idle ones (off, nothing on them):
     * act[0..nact) in any order, in_act[h]; cur[type]: where the search for
     * the first idle host of a type resumes */
    int32_t *act;
    size_t nact;
    uint8_t *in_act;
    size_t cur[SIM_MAX_CLASSES];
} cs;

static int vl_push(vlist *l, int32_t v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        int32_t *p = realloc(l->vm, cap * sizeof *p);
        if (!p) return HR_ENOMEM;
        l->vm = p;
        l->cap = cap;
    }
    l->vm[l->n++] = v;
    return 0;
}

static void vl_remove(vlist *l, int32_t v)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->vm[i] == v) {
            memmove(l->vm + i, l->vm + i + 1, (l->n - i - 1) * sizeof *l->vm);
            l->n--;
            return;
        }
}

static double req_of(const cs *c, int32_t v)
{
    return c->obs->wl[v].demand_mips;
}

static double capped_req(const sim_host *h, double r)
{
    return r > h->pe_mips ? h->pe_mips : r;
}

/* Allocate the list in order (VmSchedulerTimeSharedOverSubscription): the
 * available MIPS left and the sum of allocations in list order. */
static void list_alloc(cs *c, size_t h)
{
    const sim_host *hh = &c->m->hosts[h];
    const vlist *l = &c->l[h];
    double a = hh->total_mips, sum = 0;
    size_t over_at = SIZE_MAX;
    for (size_t i = 0; i < l->n; i++) {
        double tr = capped_req(hh, req_of(c, l->vm[i]));
        if (a >= tr) {
            a -= tr;
        } else {
            a = 0;
            over_at = i;
        }
    }
    if (over_at == SIZE_MAX) {
        for (size_t i = 0; i < l->n; i++) sum += capped_req(hh, req_of(c, l->vm[i]));
    } else { /* redistribution over the members up to the last that overflowed */
        double total = 0;
        for (size_t i = 0; i <= over_at; i++) total += capped_req(hh, req_of(c, l->vm[i]));
        double scale = hh->total_mips / total;
        for (size_t i = 0; i < l->n; i++) {
            double r = capped_req(hh, req_of(c, l->vm[i]));
            sum += i <= over_at ? floor(r * scale) : r;
        }
    }
    c->avail[h] = a;
    c->asum[h] = sum;
}

static int vm_create(cs *c, int32_t v, size_t h)
{
    const sim_host *hh = &c->m->hosts[h];
    double tr = capped_req(hh, req_of(c, v));
    if (vl_push(&c->l[h], v) < 0) return HR_ENOMEM;
    c->hvalid[h] = 0;
    if (c->rvalid[h]) c->rsum[h] += req_of(c, v); /* the sum in list order, one more term */
    if (!c->in_act[h]) {
        c->in_act[h] = 1;
        c->act[c->nact++] = (int32_t)h;
    }
    if (c->avail[h] >= tr) {
        c->avail[h] -= tr;
        c->asum[h] += tr;
    } else {
        list_alloc(c, h);
    }
    return 0;
}

static void vm_destroy(cs *c, int32_t v, size_t h)
{
    vl_remove(&c->l[h], v);
    c->hvalid[h] = 0;
    c->rvalid[h] = 0;
    list_alloc(c, h);
}

/* ---- overload detection ------------------------------------------------------------- */

/* The demand of the list (plus `extra` appended when >= 0), in list order. */
/* The demand of the list (plus `extra` appended when >= 0), summed in list
 * order; the list's sum is cached (rvalid) like its history. */
static double list_req(cs *c, size_t h, int32_t extra)
{
    if (!c->rvalid[h]) {
        double total = 0;
        for (size_t i = 0; i < c->l[h].n; i++) total += req_of(c, c->l[h].vm[i]);
        c->rsum[h] = total;
        c->rvalid[h] = 1;
    }
    double total = c->rsum[h];
    if (extra >= 0) total += req_of(c, extra);
    return total;
}

static bool thr(cs *c, size_t h, int32_t extra, double threshold)
{
    return list_req(c, h, extra) / c->m->hosts[h].total_mips > threshold;
}

/* Add one VM's utilisation history, as a share of the host, to out. */
static void hist_add(const cs *c, size_t h, int32_t v, double *out)
{
    double hm = c->m->hosts[h].total_mips;
    const hr_obs_workload *w = &c->obs->wl[v];
    for (size_t i = 0; i < w->nhist; i++) out[i] += w->hist[i] * w->limit_mips / hm;
}

/* PowerHostUtilizationHistory.getUtilizationHistory of the list (plus
 * `extra` appended when >= 0), trimmed as MathUtil.trimZeroTail. The sums
 * run in list order, as CloudSim's do, so the cached sum of the list plus
 * the extra VM's terms is the same number to the last bit. */
static size_t host_history(cs *c, size_t h, int32_t extra, double *out)
{
    double *sum = c->hsum + h * SIM_HIST;
    if (!c->hvalid[h]) {
        for (size_t i = 0; i < SIM_HIST; i++) sum[i] = 0;
        for (size_t k = 0; k < c->l[h].n; k++) hist_add(c, h, c->l[h].vm[k], sum);
        c->hvalid[h] = 1;
    }
    memcpy(out, sum, SIM_HIST * sizeof *out);
    if (extra >= 0) hist_add(c, h, extra, out);
    long i = SIM_HIST - 1;
    while (i >= 0)
        if (out[i--] != 0) break;
    return (size_t)(i + 2);
}

/* Ascending insertion sort: the histories hold at most SIM_HIST values. */
static void sort_small(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double v = x[i];
        size_t j = i;
        for (; j > 0 && x[j - 1] > v; j--) x[j] = x[j - 1];
        x[j] = v;
    }
}

/* commons-math Percentile(50) on sorted data */
static double median_sorted(const double *s, size_t n)
{
    double pos = 50.0 * (double)(n + 1) / 100.0;
    if (pos < 1) return s[0];
    if (pos >= (double)n) return s[n - 1];
    double fpos = floor(pos), d = pos - fpos;
    double lo = s[(size_t)fpos - 1], hi = s[(size_t)fpos];
    return lo + d * (hi - lo);
}

static double mad(double *x, size_t n)
{
    sort_small(x, n);
    double med = median_sorted(x, n);
    for (size_t i = 0; i < n; i++) x[i] = fabs(med - x[i]);
    sort_small(x, n);
    return median_sorted(x, n);
}

static double iqr(double *x, size_t n)
{
    sort_small(x, n);
    long q1 = (long)floor(0.25 * (double)(n + 1) + 0.5) - 1;
    long q3 = (long)floor(0.75 * (double)(n + 1) + 0.5) - 1;
    return x[q3] - x[q1];
}

/* OLS of y[0..n) on x = 1..n, prediction at x0. */
static double ols_predict(const double *y, size_t n, double x0)
{
    double xbar = (double)(n + 1) / 2, ybar = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) ybar += y[i];
    ybar /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double dx = (double)(i + 1) - xbar;
        sxx += dx * dx;
        sxy += dx * (y[i] - ybar);
    }
    double slope = sxy / sxx, icpt = ybar - slope * xbar;
    return icpt + slope * x0;
}

/* Whether host h is over-utilised with its list, plus `extra` when >= 0
 * (isHostOverUtilizedAfterAllocation). */
static bool over_utilized(cs *c, size_t h, int32_t extra)
{
    double hist[SIM_HIST];
    switch (c->det) {
    case SIM_DET_THR:
        return thr(c, h, extra, c->param);
    case SIM_DET_IQR:
    case SIM_DET_MAD: {
        size_t n = host_history(c, h, extra, hist);
        if (n < 12) return thr(c, h, extra, 0.7);
        double spread = c->det == SIM_DET_IQR ? iqr(hist, n) : mad(hist, n);
        double upper = 1 - c->param * spread;
        return list_req(c, h, extra) / c->m->hosts[h].total_mips > upper;
    }
    case SIM_DET_LR:
    case SIM_DET_LRR: {
        size_t n = host_history(c, h, extra, hist);
        if (n < 10) return thr(c, h, extra, 0.7);
        double y[10], max_mig = 0;
        for (size_t i = 0; i < 10; i++) y[i] = hist[10 - i - 1];
        for (size_t i = 0; i <= c->l[h].n; i++) {
            int32_t v = i < c->l[h].n ? c->l[h].vm[i] : extra;
            if (v < 0) break;
            double t = c->obs->wl[v].mem_mb / SIM_MIG_BW_MB;
            if (t > max_mig) max_mig = t;
        }
        double intervals = ceil(max_mig / c->obs->interval_s);
        double pred = ols_predict(y, 10, 10 + intervals) * c->param;
        return pred >= 1;
    }
    case SIM_DET_NONE:
        break;
    }
    return false;
}

/* ---- VM selection ---------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int32_t select_mmt(const cs *c, size_t h)
{
    int32_t best = -1;
    double min = DBL_MAX;
    for (size_t i = 0; i < c->l[h].n; i++) {
        const hr_obs_workload *w = &c->obs->wl[c->l[h].vm[i]];
        if (w->moving) continue;
        if (w->mem_mb < min) {
            min = w->mem_mb;
            best = c->l[h].vm[i];
        }
    }
    return best;
}

/* R^2 of regressing y on the columns of X (n x p) with an intercept, by the
 * normal equations; NaN if singular. */
static double r_squared(const double *X, size_t n, size_t p, const double *y, double *work)
{
    size_t q = p + 1;
    double *A = work, *b = work + q * q;
    for (size_t i = 0; i < q * q + q; i++) work[i] = 0;
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < q; i++) {
            double xi = i ? X[r * p + i - 1] : 1;
            b[i] += xi * y[r];
            for (size_t j = 0; j < q; j++) A[i * q + j] += xi * (j ? X[r * p + j - 1] : 1);
        }
    }
    for (size_t k = 0; k < q; k++) { /* Gaussian elimination, partial pivoting */
        size_t piv = k;
        for (size_t i = k + 1; i < q; i++)
            if (fabs(A[i * q + k]) > fabs(A[piv * q + k])) piv = i;
        if (fabs(A[piv * q + k]) < 1e-12) return NAN;
        if (piv != k) {
            for (size_t j = 0; j < q; j++) {
                double t = A[k * q + j];
                A[k * q + j] = A[piv * q + j];
                A[piv * q + j] = t;
            }
            double t = b[k];
            b[k] = b[piv];
            b[piv] = t;
        }
        for (size_t i = k + 1; i < q; i++) {
            double f = A[i * q + k] / A[k * q + k];
            for (size_t j = k; j < q; j++) A[i * q + j] -= f * A[k * q + j];
            b[i] -= f * b[k];
        }
    }
    for (size_t k = q; k-- > 0;) {
        double s = b[k];
        for (size_t j = k + 1; j < q; j++) s -= A[k * q + j] * b[j];
        b[k] = s / A[k * q + k];
    }
    double ybar = 0, ssr = 0, sst = 0;
    for (size_t r = 0; r < n; r++) ybar += y[r];
    ybar /= (double)n;
    for (size_t r = 0; r < n; r++) {
        double f = b[0];
        for (size_t j = 0; j < p; j++) f += b[j + 1] * X[r * p + j];
        ssr += (y[r] - f) * (y[r] - f);
        sst += (y[r] - ybar) * (y[r] - ybar);
    }
    return sst > 0 ? 1 - ssr / sst : NAN;
}

/* MC: the VM whose history the others' histories explain best; MMT when the
 * regression cannot be done (CloudSim's fallback). */
static int32_t select_mc(cs *c, size_t h)
{
    size_t n = 0, mlen = SIZE_MAX;
    for (size_t i = 0; i < c->l[h].n; i++) {
        const hr_obs_workload *w = &c->obs->wl[c->l[h].vm[i]];
        if (w->moving) continue;
        n++;
        if (w->nhist < mlen) mlen = w->nhist;
    }
    if (n < 2 || mlen <= n) return select_mmt(c, h);
    size_t p = n - 1, q = n;
    size_t need = mlen * p + mlen + q * q + q;
    if (need > c->nwork) {
        double *w = realloc(c->work, need * sizeof *w);
        if (!w) return select_mmt(c, h);
        c->work = w;
        c->nwork = need;
    }
    double *X = c->work, *y = X + mlen * p, *ws = y + mlen;
    int32_t best = -1;
    double max = DBL_MIN;
    size_t k = 0;
    for (size_t i = 0; i < c->l[h].n; i++) {
        const hr_obs_workload *wi = &c->obs->wl[c->l[h].vm[i]];
        if (wi->moving) continue;
        for (size_t r = 0; r < mlen; r++) y[r] = wi->hist[r];
        size_t col = 0;
        for (size_t j = 0; j < c->l[h].n; j++) {
            const hr_obs_workload *wj = &c->obs->wl[c->l[h].vm[j]];
            if (j == i || wj->moving) continue;
            for (size_t r = 0; r < mlen; r++) X[r * p + col] = wj->hist[r];
            col++;
        }
        double r2 = r_squared(X, mlen, p, y, ws);
        if (isnan(r2)) return select_mmt(c, h);
        if (r2 > max) {
            max = r2;
            best = c->l[h].vm[i];
        }
        k++;
    }
    return best >= 0 ? best : select_mmt(c, h);
}

static int32_t select_vm(cs *c, size_t h)
{
    const vlist *l = &c->l[h];
    switch (c->sel) {
    case SIM_SEL_MMT:
        return select_mmt(c, h);
    case SIM_SEL_MU: {
        int32_t best = -1;
        double min = DBL_MAX;
        for (size_t i = 0; i < l->n; i++) {
            const hr_obs_workload *w = &c->obs->wl[l->vm[i]];
            if (w->moving) continue;
            double metric = w->demand_mips / w->limit_mips;
            if (metric < min) {
                min = metric;
                best = l->vm[i];
            }
        }
        return best;
    }
    case SIM_SEL_RS: {
        size_t n = 0;
        for (size_t i = 0; i < l->n; i++) n += !c->obs->wl[l->vm[i]].moving;
        if (!n) return -1;
        size_t k = (size_t)(rng_next(&c->rng) % n);
        for (size_t i = 0; i < l->n; i++)
            if (!c->obs->wl[l->vm[i]].moving && k-- == 0) return l->vm[i];
        return -1;
    }
    case SIM_SEL_MC:
        return select_mc(c, h);
    }
    return -1;
}

/* ---- PABFD ------------------------------------------------------------------------------ */

static bool suitable(const cs *c, size_t h, int32_t v)
{
    double r = req_of(c, v);
    return c->m->hosts[h].pe_mips >= r && c->avail[h] >= r;
}

/* PABFD's test of host h for VM v: keeps in *best the lowest index among
 * the hosts with the least power increase, whatever order they come in. */
static void consider(cs *c, int32_t v, size_t h, const uint8_t *excluded, long *best, double *min)
{
    if (excluded[h] || !suitable(c, h, v)) return;
    const sim_host *hh = &c->m->hosts[h];
    /* getUtilizationOfCpuMips(host): the allocations over the virtual
     * list; host.getPower(): the host's utilisation at the last update */
    double used = c->asum[h];
    double after = (used + req_of(c, v)) / hh->total_mips;
    if (after > 1) return; /* CloudSim's power model would refuse it */
    double diff = hr__sim_power(hh->pm, after) - c->pnow[h];
    if (!(diff < *min || (diff == *min && (long)h < *best))) return;
    /* CloudSim asks isHostOverUtilizedAfterAllocation first; it has no side
     * effects, so asking it only of a would-be best host gives the same
     * choice at a fraction of the cost */
    if (used != 0 && over_utilized(c, h, v)) return;
    *min = diff;
    *best = (long)h;
}

/* PABFD over the hosts not excluded. CloudSim scans every host; idle hosts
 * (off, nothing on them or arriving) of one type give the same answer, so
 * only the first idle host of each type is asked, with every other host.
 * With idle_ok false every idle host is excluded (draining). */
static long find_host(cs *c, int32_t v, const uint8_t *excluded, bool idle_ok)
{
    double min = DBL_MAX;
    long best = -1;
    const sim_model *m = c->m;
    if (!m->ncls) {
        for (size_t h = 0; h < m->nhosts; h++) consider(c, v, h, excluded, &best, &min);
        return best;
    }
    for (size_t i = 0; i < c->nact; i++) consider(c, v, (size_t)c->act[i], excluded, &best, &min);
    if (!idle_ok) return best;
    for (size_t k = 0; k < m->ncls; k++) {
        size_t *cur = &c->cur[k];
        while (*cur < m->nhosts && (m->cls[*cur] != (int32_t)k || c->in_act[*cur])) (*cur)++;
        size_t h = *cur;
        while (h < m->nhosts && (m->cls[h] != (int32_t)k || c->in_act[h] || excluded[h])) h++;
        if (h < m->nhosts) consider(c, v, h, excluded, &best, &min);
    }
    return best;
}

/* PowerVmList.sortByCpuUtilization: descending current MIPS, stable. */
static void sort_by_mips(cs *c, int32_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) { /* insertion sort: stable, lists are short */
        int32_t x = v[i];
        double kx = req_of(c, x);
        size_t j = i;
        while (j > 0 && req_of(c, v[j - 1]) < kx) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static double host_util(const cs *c, size_t h)
{
    double u = c->obs->hosts[h].used_mips / c->m->hosts[h].total_mips;
    if (u > 1 && u < 1.01) u = 1;
    return u;
}

static bool all_out_or_any_in(const cs *c, size_t h)
{
    const hr_obs_host *oh = &c->obs->hosts[h];
    for (size_t i = 0; i < c->l[h].n; i++) {
        int32_t v = c->l[h].vm[i];
        if (!c->obs->wl[v].moving) return false;
        for (size_t k = 0; k < oh->nmembers; k++)
            if (oh->members[k] == v && oh->incoming[k]) return true;
    }
    return true;
}

static const char *det_name(sim_detect d)
{
    static const char *const n[] = {"none", "THR", "IQR", "MAD", "LR", "LRR"};
    return n[d];
}

static int cs_plan(void *ud, const hr_obs *obs, hr_actions *out, hr_error *err)
{
    cs *c = ud;
    c->obs = obs;
    size_t H = c->m->nhosts;
    c->nact = 0;
    for (size_t k = 0; k < SIM_MAX_CLASSES; k++) c->cur[k] = 0;
    for (size_t h = 0; h < H; h++) { /* saveAllocation */
        vlist *l = &c->l[h];
        l->n = 0;
        if (l->cap < obs->hosts[h].nmembers + 16) {
            size_t cap = obs->hosts[h].nmembers + 16;
            int32_t *p = realloc(l->vm, cap * sizeof *p);
            if (!p) return hr_error_set(err, HR_ENOMEM, "simulate: out of memory");
            l->vm = p;
            l->cap = cap;
        }
        for (size_t i = 0; i < obs->hosts[h].nmembers; i++)
            l->vm[l->n++] = obs->hosts[h].members[i];
        c->hvalid[h] = 0;
        c->rvalid[h] = 0;
        c->pnow[h] = hr__sim_power(c->m->hosts[h].pm, host_util(c, h));
        list_alloc(c, h);
        c->in_act[h] = l->n > 0 || obs->hosts[h].used_mips != 0;
        if (c->in_act[h]) c->act[c->nact++] = (int32_t)h;
    }
    for (size_t h = 0; h < H; h++) c->over[h] = over_utilized(c, h, -1);
    size_t nmig = 0;
    int rc = 0;
    for (size_t h = 0; h < H; h++) { /* getVmsToMigrateFromHosts */
        if (!c->over[h]) continue;
        for (;;) {
            int32_t v = select_vm(c, h);
            if (v < 0) break;
            c->tomig[nmig++] = v;
            vm_destroy(c, v, h);
            if (!over_utilized(c, h, -1)) break;
        }
    }
    sort_by_mips(c, c->tomig, nmig);
    for (size_t i = 0; i < nmig; i++) { /* getNewVmPlacement */
        int32_t v = c->tomig[i];
        long h = find_host(c, v, c->over, true);
        if (h < 0) continue;
        if ((rc = vm_create(c, v, (size_t)h)) < 0)
            return hr_error_set(err, rc, "simulate: out of memory");
        int32_t from = obs->wl[v].host;
        if ((rc = hr_actions_migrate(out, v, from, (int32_t)h, "host %d over-utilised (%s %.2f)",
                                     from, det_name(c->det), c->param)) < 0)
            return hr_error_set(err, rc, "simulate: too many actions");
    }
    /* getMigrationMapFromUnderUtilizedHosts */
    size_t nexcl = 0;
    for (size_t h = 0; h < H; h++) {
        bool off = host_util(c, h) == 0;
        c->excl_u[h] = c->excl_p[h] = c->over[h] || off;
        nexcl += c->excl_u[h];
    }
    while (nexcl < H) {
        long u = -1;
        double min = 1;
        for (size_t h = 0; h < H; h++) {
            if (c->excl_u[h]) continue;
            double util = host_util(c, h);
            if (util > 0 && util < min && !all_out_or_any_in(c, h)) {
                min = util;
                u = (long)h;
            }
        }
        if (u < 0) break;
        c->excl_u[u] = c->excl_p[u] = 1;
        nexcl++;
        size_t n = 0;
        for (size_t i = 0; i < c->l[u].n; i++)
            if (!obs->wl[c->l[u].vm[i]].moving) c->tomig[n++] = c->l[u].vm[i];
        if (!n) continue;
        sort_by_mips(c, c->tomig, n);
        size_t placed = 0, start = out->len;
        for (; placed < n; placed++) {
            int32_t v = c->tomig[placed];
            long h = find_host(c, v, c->excl_p, false);
            if (h < 0) break;
            if ((rc = vm_create(c, v, (size_t)h)) < 0)
                return hr_error_set(err, rc, "simulate: out of memory");
            if ((rc = hr_actions_migrate(out, v, obs->wl[v].host, (int32_t)h,
                                         "drain under-utilised host %ld (%.3f)", u, min)) < 0)
                return hr_error_set(err, rc, "simulate: too many actions");
        }
        if (placed < n) { /* reallocation cancelled */
            for (size_t i = start; i < out->len; i++) {
                vm_destroy(c, out->items[i].workload, (size_t)out->items[i].to);
            }
            out->len = start;
            continue;
        }
        for (size_t i = start; i < out->len; i++) {
            int32_t to = out->items[i].to;
            if (!c->excl_u[to]) {
                c->excl_u[to] = 1;
                nexcl++;
            }
        }
    }
    return 0;
}

static void cs_free(void *ud)
{
    cs *c = ud;
    if (!c) return;
    if (c->l)
        for (size_t h = 0; h < c->m->nhosts; h++) free(c->l[h].vm);
    free(c->l);
    free(c->avail);
    free(c->asum);
    free(c->over);
    free(c->excl_u);
    free(c->excl_p);
    free(c->tomig);
    free(c->key);
    free(c->work);
    free(c->hsum);
    free(c->hvalid);
    free(c->pnow);
    free(c->act);
    free(c->in_act);
    free(c->rsum);
    free(c->rvalid);
    free(c);
}

static const hr_planner_ops cs_ops = {.name = "cloudsim", .plan = cs_plan};

int hr__sim_cloudsim_planner(sim_planner *p, sim_model *m, sim_detect d, sim_select s, double param,
                             uint64_t seed, hr_error *err)
{
    cs *c = calloc(1, sizeof *c);
    if (!c) return hr_error_set(err, HR_ENOMEM, "simulate: out of memory");
    c->m = m;
    c->det = d;
    c->sel = s;
    c->param = param;
    c->rng = seed ? seed : 0x5eed;
    c->l = calloc(m->nhosts, sizeof *c->l);
    c->avail = calloc(m->nhosts, sizeof *c->avail);
    c->asum = calloc(m->nhosts, sizeof *c->asum);
    c->over = calloc(m->nhosts, 1);
    c->excl_u = calloc(m->nhosts, 1);
    c->excl_p = calloc(m->nhosts, 1);
    c->tomig = calloc(m->nvms, sizeof *c->tomig);
    c->key = calloc(m->nvms, sizeof *c->key);
    c->hvalid = calloc(m->nhosts, 1);
    c->pnow = calloc(m->nhosts, sizeof *c->pnow);
    c->act = calloc(m->nhosts, sizeof *c->act);
    c->in_act = calloc(m->nhosts, 1);
    c->rsum = calloc(m->nhosts, sizeof *c->rsum);
    c->rvalid = calloc(m->nhosts, 1);
    if (m->nhosts <= SIZE_MAX / sizeof *c->hsum / SIM_HIST)
        c->hsum = malloc(m->nhosts * SIM_HIST * sizeof *c->hsum);
    if (!c->l || !c->avail || !c->asum || !c->over || !c->excl_u || !c->excl_p || !c->tomig ||
        !c->key || !c->hvalid || !c->hsum || !c->pnow || !c->act || !c->in_act || !c->rsum ||
        !c->rvalid) {
        cs_free(c);
        return hr_error_set(err, HR_ENOMEM, "simulate: out of memory");
    }
    p->ops = &cs_ops;
    p->ud = c;
    p->free = cs_free;
    return 0;
}
