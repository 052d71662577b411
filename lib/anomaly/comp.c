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
    if (f->n == 0) {
        f->prev = x;
        f->quantum = INFINITY;
        f->level = x;
        f->mag = ax;
        f->expected = NAN;
        f->z = 0;
        f->n = 1;
        return;
    }
    bool has_prof = f->prof_n[s] >= 2;
    double f_ns = f->level, f_s = has_prof ? f->level + f->prof[s] : f->level;
    f->seasonal = has_prof && f->err_s < 0.8 * f->err_ns;
    f->expected = f->seasonal ? f_s : f_ns;
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
    double dev = x - (f->prof_n[s] ? f->prof[s] : 0) - f->level;
    if (dev > cap) dev = cap;
    if (dev < -cap) dev = -cap;
    f->level += FC_ALPHA * dev;
    if (f->prof_n[s] == 0)
        f->prof[s] = x - f->level;
    else
        f->prof[s] += FC_GAMMA * (x - f->level - f->prof[s]);
    if (f->prof_n[s] < UINT16_MAX) f->prof_n[s]++;
    f->n++;
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
    for (unsigned k = 0; k <= len; k++) bits *= sym; /* <= 36^3: no overflow */
    v->bytes = (bits + 7) / 8;
    v->seen = calloc(v->bytes, 1);
    if (!v->seen) return HR_ENOMEM;
    v->nb = nb;
    v->len = len;
    return 0;
}

void hr__novel_release(hr__novel *v)
{
    free(v->seen);
    v->seen = NULL;
}

double hr__novel_step(hr__novel *v, double x)
{
    if (v->n++ == 0) v->vmin = v->vmax = x;
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
        memset(v->seen, 0, v->bytes);
    }
    if (v->width == 0) return 0;
    /* Bucket nb is the range's low end; [0, 3 nb) covers a range up to
     * twice the base on either side of it (edges clamp). */
    double q = floor((x - v->origin) / v->width) + v->nb;
    unsigned sym = 3 * v->nb;
    unsigned b = !(q > 0) ? 0 : q > sym - 1 ? sym - 1 : (unsigned)q; /* NaN: 0 */
    if (v->nh == v->len) {
        size_t idx = 0;
        for (unsigned k = 0; k < v->len; k++) idx = idx * sym + v->hist[k];
        idx = idx * sym + b;
        uint8_t bit = (uint8_t)(1u << (idx % 8));
        if (!(v->seen[idx / 8] & bit)) {
            out = 1;
            v->seen[idx / 8] |= bit;
        }
        memmove(v->hist, v->hist + 1, (v->len - 1) * sizeof v->hist[0]);
        v->hist[v->len - 1] = b;
    } else {
        v->hist[v->nh++] = b;
    }
    return out;
}

/* ---- likelihood --------------------------------------------------------------------------- */

void hr__lik_init(hr__lik *l, double rate, size_t warm)
{
    memset(l, 0, sizeof *l);
    l->rate = rate;
    l->warm = warm;
}

double hr__lik_step(hr__lik *l, double raw)
{
    l->sum += raw - l->ring[l->pos];
    l->ring[l->pos] = raw;
    l->pos = (l->pos + 1) % HR__LIK_SHORT;
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
