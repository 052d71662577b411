/* The streaming building blocks of lib/anomaly/comp.h. */
#include "anomaly/comp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define FC_ALPHA 0.05 /* level: about 20 samples of memory */
#define FC_GAMMA 0.2  /* daily profile: about 5 days */
#define FC_RATE  0.01 /* error and scale averages: about 100 samples */
#define FC_CLIP  4.0  /* level updates clipped at this many scales */

static size_t slot_of(int64_t t)
{
    int64_t s = t % 86400;
    if (s < 0) s += 86400;
    return (size_t)(s / HR__SLOT_SEC) % HR__SLOTS;
}

/* Visits of slot s: 0, 1, or 2 for two and more. */
static unsigned prof_visits(const hr__fc *f, size_t s)
{
    return (f->prof_n[s / 4] >> (2 * (s % 4))) & 3u;
}

static void prof_visit(hr__fc *f, size_t s)
{
    if (prof_visits(f, s) < 2)
        f->prof_n[s / 4] = (uint8_t)(f->prof_n[s / 4] + (1u << (2 * (s % 4))));
}

void hr__fc_init(hr__fc *f)
{
    memset(f, 0, sizeof *f);
    f->expected = NAN;
}

double hr__fc_sd(const hr__fc *f)
{
    /* mean |e| * sqrt(pi/2) is sigma for normal errors; the floor keeps a
     * flat series from dividing by zero: 0.1 % of its magnitude. */
    double floor = fmax(1e-3 * f->mag, isfinite(f->quantum) ? f->quantum : 0) + 1e-9;
    double sd = 1.2533141373155 * f->scale;
    return sd > floor ? sd : floor;
}

void hr__fc_step(hr__fc *f, int64_t t, double x)
{
    size_t s = slot_of(t);
    double ax = fabs(x);
    if (!f->started) {
        f->prev = x;
        f->quantum = INFINITY;
        f->level = x;
        f->mag = ax;
        f->expected = NAN;
        f->z = 0;
        f->started = true;
        return;
    }
    unsigned visits = prof_visits(f, s);
    bool has_prof = visits >= 2;
    double f_ns = f->level, f_s = has_prof ? f->level + f->prof[s] : f->level;
    bool seasonal = has_prof && f->err_s < 0.8 * f->err_ns;
    f->expected = seasonal ? f_s : f_ns;
    double sd = hr__fc_sd(f);
    double e = x - f->expected;
    f->z = e / sd;
    /* learn */
    double dx = fabs(x - f->prev);
    if (dx > 0 && dx < f->quantum) f->quantum = dx;
    f->prev = x;
    f->mag += FC_RATE * (ax - f->mag);
    if (has_prof) {
        f->err_ns += FC_RATE * (fabs(x - f_ns) - f->err_ns);
        f->err_s += FC_RATE * (fabs(x - f_s) - f->err_s);
    }
    double ae = fabs(e), cap = FC_CLIP * sd;
    f->scale += FC_RATE * ((ae < cap ? ae : cap) - f->scale);
    double dev = x - (visits ? f->prof[s] : 0) - f->level;
    if (dev > cap) dev = cap;
    if (dev < -cap) dev = -cap;
    f->level += FC_ALPHA * dev;
    if (visits == 0)
        f->prof[s] = x - f->level;
    else
        f->prof[s] += FC_GAMMA * (x - f->level - f->prof[s]);
    prof_visit(f, s);
}

/* ---- robust median / MAD ------------------------------------------------------------ */

#define RM_RATE 0.02

void hr__rmed_init(hr__rmed *r)
{
    memset(r, 0, sizeof *r);
}

double hr__rmed_sd(const hr__rmed *r)
{
    double floor = fmax(1e-3 * r->mag, isfinite(r->quantum) ? r->quantum : 0) + 1e-9;
    double sd = 1.4826 * r->mad;
    return sd > floor ? sd : floor;
}

void hr__rmed_step(hr__rmed *r, double x)
{
    if (r->n++ == 0) {
        r->prev = x;
        r->quantum = INFINITY;
        r->med = x;
        r->mag = fabs(x);
        r->z = 0;
        return;
    }
    double sd = hr__rmed_sd(r);
    r->z = (x - r->med) / sd;
    double dx = fabs(x - r->prev);
    if (dx > 0 && dx < r->quantum) r->quantum = dx;
    r->prev = x;
    r->mag += RM_RATE * (fabs(x) - r->mag);
    /* Median: a step of RM_RATE scales towards x (sign only). */
    r->med += RM_RATE * sd * ((x > r->med) - (x < r->med));
    /* MAD: the median of |x - med| the same way, in relative steps. */
    double d = fabs(x - r->med);
    r->mad += RM_RATE * (r->mad > 0 ? r->mad : d + 1e-12) * ((d > r->mad) - (d < r->mad));
    if (r->mad < 0) r->mad = 0;
}

/* ---- CUSUM ---------------------------------------------------------------------------- */

void hr__cusum_init(hr__cusum *c, double k, double h)
{
    *c = (hr__cusum){0, 0, k, h, 0};
}

void hr__cusum_step(hr__cusum *c, double z)
{
    if (z > 10) z = 10; /* one wild sample is not a shift */
    if (z < -10) z = -10;
    c->sp = fmax(0, c->sp + z - c->k);
    c->sm = fmax(0, c->sm - z - c->k);
    c->stat = fmax(c->sp, c->sm) / c->h;
    if (c->stat >= 1) c->sp = c->sm = 0;
}

/* ---- BOCPD ------------------------------------------------------------------------------ */

void hr__bocpd_init(hr__bocpd *b, double hazard)
{
    memset(b, 0, sizeof *b);
    b->hazard = hazard;
    b->nr = 1;
    b->p[0] = 1;
    b->mu[0] = 0;
    b->kappa[0] = 1;
    b->alpha[0] = 1;
    b->beta[0] = 1;
    /* Slot r < RMAX - 1 has seen r samples since its change: alpha = 1 + r/2. */
    for (size_t r = 0; r < HR__BOCPD_RMAX; r++) {
        double a = 1 + 0.5 * (double)r;
        b->lg[r] = lgamma(a + 0.5) - lgamma(a);
    }
}

/* log Student-t predictive density of the Normal-Gamma posterior. */
static double log_pred(const hr__bocpd *b, size_t r, double x)
{
    double a = b->alpha[r], k = b->kappa[r];
    double nu = 2 * a, s2 = b->beta[r] * (k + 1) / (a * k);
    double d = x - b->mu[r];
    double lg = r < HR__BOCPD_RMAX - 1 ? b->lg[r] : lgamma(a + 0.5) - lgamma(a);
    return lg - 0.5 * log(nu * M_PI * s2) - (a + 0.5) * log1p(d * d / (nu * s2));
}

void hr__bocpd_step(hr__bocpd *b, double x)
{
    if (x > 10) x = 10;
    if (x < -10) x = -10;
    double lp[HR__BOCPD_RMAX], mx = -INFINITY;
    for (size_t r = 0; r < b->nr; r++) {
        lp[r] = log_pred(b, r, x);
        if (lp[r] > mx) mx = lp[r];
    }
    double grow[HR__BOCPD_RMAX], cp = 0, total = 0;
    for (size_t r = 0; r < b->nr; r++) {
        double w = b->p[r] * exp(lp[r] - mx);
        grow[r] = w * (1 - b->hazard);
        cp += w * b->hazard;
    }
    size_t nr = b->nr < HR__BOCPD_RMAX ? b->nr + 1 : HR__BOCPD_RMAX;
    /* Shift run lengths up by one, merging the last two when full. */
    for (size_t r = nr - 1; r >= 1; r--) {
        size_t from = r - 1;
        double pm = grow[from];
        double mu = b->mu[from], k = b->kappa[from], a = b->alpha[from], be = b->beta[from];
        if (r == HR__BOCPD_RMAX - 1 && b->nr == HR__BOCPD_RMAX) {
            pm += grow[r]; /* the longest run keeps growing in place */
            mu = b->mu[r], k = b->kappa[r], a = b->alpha[r], be = b->beta[r];
        }
        b->p[r] = pm;
        b->mu[r] = (k * mu + x) / (k + 1);
        b->kappa[r] = k + 1;
        b->alpha[r] = a + 0.5;
        b->beta[r] = be + k * (x - mu) * (x - mu) / (2 * (k + 1));
    }
    b->p[0] = cp;
    b->mu[0] = 0, b->kappa[0] = 1, b->alpha[0] = 1, b->beta[0] = 1;
    b->nr = nr;
    for (size_t r = 0; r < nr; r++) total += b->p[r];
    double recent = 0;
    for (size_t r = 0; r < nr; r++) {
        b->p[r] /= total;
        if (r < 5) recent += b->p[r];
    }
    b->cp = recent;
}

/* ---- pattern novelty ---------------------------------------------------------------------- */

int hr__novel_init(hr__novel *v, unsigned nb, unsigned len)
{
    memset(v, 0, sizeof *v);
    if (nb < 2 || nb > HR__NOVEL_NB_MAX || len < 1 || len > HR__NOVEL_LEN_MAX) return HR_EINVAL;
    size_t bits = 1, sym = 3 * (size_t)nb;
    for (unsigned k = 0; k <= len; k++) bits *= sym; /* <= 36^3 < 2^16: no overflow */
    v->bytes = (uint32_t)((bits + 7) / 8);
    v->nb = (uint8_t)nb;
    v->len = (uint8_t)len;
    return 0;
}

void hr__novel_release(hr__novel *v)
{
    free(v->seen);
    v->seen = NULL;
    v->cap = v->count = 0;
    v->bits = false;
}

/* Bytes of the first list (16 patterns); it then grows 1.5 times, in
 * 16-byte steps. */
#define NOVEL_LIST0 32

int hr__novel_grow(hr__novel *v)
{
    size_t cap = v->cap ? ((size_t)v->cap * 3 / 2 + 15) / 16 * 16 : NOVEL_LIST0;
    if (cap >= v->bytes) { /* a list this long is no smaller than the bitset */
        uint8_t *b = calloc(v->bytes, 1);
        if (!b) return HR_ENOMEM;
        const uint16_t *list = v->seen;
        for (uint32_t i = 0; i < v->count; i++) b[list[i] / 8] |= (uint8_t)(1u << (list[i] % 8));
        free(v->seen);
        v->seen = b;
        v->cap = v->bytes;
        v->bits = true;
        return 0;
    }
    void *p = realloc(v->seen, cap);
    if (!p) return HR_ENOMEM;
    v->seen = p;
    v->cap = (uint32_t)cap;
    return 0;
}

/* Mark pattern idx seen; true when it was not yet. */
static bool novel_mark(hr__novel *v, size_t idx)
{
    if (v->bits) {
        uint8_t *b = v->seen, bit = (uint8_t)(1u << (idx % 8));
        if (b[idx / 8] & bit) return false;
        b[idx / 8] |= bit;
        return true;
    }
    uint16_t *list = v->seen;
    size_t lo = 0, n = v->count; /* lo: the first entry >= idx (no branch in the loop) */
    if (n > 0) {
        const uint16_t *b = list;
        for (; n > 1; n -= n / 2) b = b[n / 2] < idx ? b + n / 2 : b;
        lo = (size_t)(b - list) + (*b < idx);
    }
    if (lo < v->count && list[lo] == idx) return false;
    /* hr__novel_reserve made room for this one */
    memmove(list + lo + 1, list + lo, (v->count - lo) * sizeof *list);
    list[lo] = (uint16_t)idx;
    v->count++;
    return true;
}

double hr__novel_step(hr__novel *v, double x)
{
    if (!v->started) v->vmin = v->vmax = x, v->started = true;
    if (x < v->vmin) v->vmin = x;
    if (x > v->vmax) v->vmax = x;
    double rg = v->vmax - v->vmin;
    double out = 0;
    v->grew = false;
    if (rg > 0 && (v->width == 0 || rg > HR__NOVEL_REGROW * v->base)) {
        /* new buckets: forget the patterns; a range that outgrew the old
         * buckets is itself new (the first range is not: nothing before) */
        out = v->width > 0;
        v->grew = true;
        v->width = rg / v->nb;
        v->base = rg;
        v->origin = v->vmin;
        v->nh = 0;
        v->count = 0;
        if (v->bits) memset(v->seen, 0, v->bytes);
    }
    if (v->width == 0) return 0;
    /* Bucket nb is the range's low end; [0, 3 nb) covers a range up to
     * twice the base on either side of it (edges clamp). */
    double q = floor((x - v->origin) / v->width) + v->nb;
    unsigned sym = 3u * v->nb;
    unsigned b = !(q > 0) ? 0 : q > sym - 1 ? sym - 1 : (unsigned)q; /* NaN: 0 */
    if (v->nh == v->len) {
        size_t idx = 0;
        for (unsigned k = 0; k < v->len; k++) idx = idx * sym + v->hist[k];
        idx = idx * sym + b;
        if (novel_mark(v, idx)) out = 1;
        memmove(v->hist, v->hist + 1, (v->len - 1u) * sizeof v->hist[0]);
        v->hist[v->len - 1] = (uint8_t)b;
    } else {
        v->hist[v->nh++] = (uint8_t)b;
    }
    return out;
}

/* ---- likelihood --------------------------------------------------------------------------- */

void hr__lik_init(hr__lik *l, double rate, size_t warm)
{
    memset(l, 0, sizeof *l);
    l->rate = rate;
    l->warm = (uint32_t)warm;
}

double hr__lik_step(hr__lik *l, double raw)
{
    uint16_t bit = (uint16_t)(1u << l->pos);
    l->sum += raw - ((l->ring & bit) ? 1.0 : 0.0);
    l->ring = raw > 0 ? (uint16_t)(l->ring | bit) : (uint16_t)(l->ring & ~bit);
    l->pos = (uint8_t)((l->pos + 1) % HR__LIK_SHORT);
    l->n++;
    size_t k = l->n < HR__LIK_SHORT ? l->n : HR__LIK_SHORT;
    double avg = l->sum / (double)k;
    double out = 0;
    if (l->n > l->warm) {
        double sd = sqrt(l->var);
        if (sd < 1e-4) sd = 1e-4;
        double q = 0.5 * erfc((avg - l->mean) / sd / M_SQRT2);
        out = log(1e-10 + q) / log(1e-10);
        if (out < 0) out = 0;
    }
    /* learn the long-run distribution of the average */
    double rate = l->n < 1.0 / l->rate ? 1.0 / (double)l->n : l->rate;
    double d = avg - l->mean;
    l->mean += rate * d;
    l->var = (1 - rate) * (l->var + rate * d * d);
    return out;
}

/* ---- empirical tail ------------------------------------------------------------------------ */

double hr__tail_step(hr__tail *t, double v)
{
    if (!(v >= 0)) v = 0;
    double fb = HR__TAIL_RES * log2(1 + v);
    size_t b = fb >= HR__TAIL_BINS - 1 ? HR__TAIL_BINS - 1 : (size_t)fb;
    double above = t->ge[b] - 0.5 * t->cnt_at[b];
    double p = t->n > 0 ? (above + 0.5) / (t->n + 1) : 1.0;
    for (size_t k = 0; k <= b; k++) t->ge[k] += 1;
    t->cnt_at[b] += 1;
    t->n += 1;
    return p > 1 ? 1 : p;
}
