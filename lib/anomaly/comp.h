/* Library-internal building blocks of the streaming detectors: each is a
 * fixed-size state with an O(1) update, shared by the single detectors and
 * the ensemble. */
#ifndef HR_ANOMALY_COMP_H
#define HR_ANOMALY_COMP_H

#include "anomaly/internal.h"

#define HR__SLOTS      288 /* time-of-day buckets of the daily profile */
#define HR__SLOT_SEC   300 /* seconds per bucket */
#define HR__LIK_SHORT  10  /* samples averaged by the likelihood step */
#define HR__BOCPD_RMAX 16  /* run lengths kept by BOCPD */

/* One-step forecast: EWMA level (updates clipped at 4 scales, so that a
 * spike does not drag it) plus a time-of-day profile used when its recent
 * absolute error is clearly smaller than the level's alone. */
typedef struct hr__fc {
    double level, scale;  /* level; EW mean absolute residual */
    double err_ns, err_s; /* EW mean |error| without / with the profile */
    double mag;           /* EW mean |x|: a floor for the scale */
    double prev, quantum; /* last value; smallest non-zero change seen */
    /* last forecast */
    double expected, z;
    double prof[HR__SLOTS];
    /* visits of each slot, 2 bits a slot, saturating at 2 (all the step
     * asks is none, one, or two and more) */
    uint8_t prof_n[HR__SLOTS / 4];
    bool started;
} hr__fc;
void hr__fc_init(hr__fc *f);
/* Forecast x at time t, score it (f->expected, f->z), then learn it. */
void hr__fc_step(hr__fc *f, int64_t t, double x);
/* Scale of the residuals (>= a small floor): the interval half-width is
 * about 2.5 of these for 95 %. */
double hr__fc_sd(const hr__fc *f);

/* Robust control limits: median and MAD tracked by stochastic
 * approximation (each moves a step proportional to the current MAD towards
 * the sample), so a burst of outliers moves them little. */
typedef struct hr__rmed {
    double med, mad, mag;
    double prev, quantum; /* last value; smallest non-zero change seen */
    size_t n;
    double z;
} hr__rmed;
void hr__rmed_init(hr__rmed *r);
void hr__rmed_step(hr__rmed *r, double x);
double hr__rmed_sd(const hr__rmed *r);

/* Two-sided CUSUM on standardised residuals z: S+ = max(0, S+ + z - k),
 * S- likewise; reset after crossing h. `stat` = max(S+, S-) / h. */
typedef struct hr__cusum {
    double sp, sm, k, h, stat;
} hr__cusum;
void hr__cusum_init(hr__cusum *c, double k, double h);
void hr__cusum_step(hr__cusum *c, double z);

/* Bayesian online change point detection (Adams & MacKay 2007) with a
 * Normal-Gamma prior on standardised input and a constant hazard; run
 * lengths beyond HR__BOCPD_RMAX are merged into the last. `cp` is the
 * posterior mass of run lengths shorter than 5 (a recent change). */
typedef struct hr__bocpd {
    double p[HR__BOCPD_RMAX]; /* run length posterior */
    double mu[HR__BOCPD_RMAX], kappa[HR__BOCPD_RMAX], alpha[HR__BOCPD_RMAX], beta[HR__BOCPD_RMAX];
    size_t nr;
    double lg[HR__BOCPD_RMAX]; /* lgamma(a + 1/2) - lgamma(a) of slot r's alpha */
    double hazard;
    double cp;
} hr__bocpd;
void hr__bocpd_init(hr__bocpd *b, double hazard);
void hr__bocpd_step(hr__bocpd *b, double z);

/* Numenta's anomaly likelihood, streaming: raw scores in [0, 1] averaged
 * over the last HR__LIK_SHORT samples, compared with the long-run mean and
 * spread of that average (EW, rate `rate`); the output is
 * log(1e-10 + Q) / log(1e-10) with Q the normal tail beyond the average. */
typedef struct hr__lik {
    double sum, mean, var, rate;
    size_t n;
    uint32_t warm; /* samples before any output */
    uint16_t ring; /* the last HR__LIK_SHORT raw scores, one bit each */
    uint8_t pos;
} hr__lik;
/* warm <= UINT32_MAX. */
void hr__lik_init(hr__lik *l, double rate, size_t warm);
/* raw is 0 or 1 (the novelty's output; the ring keeps one bit each). */
double hr__lik_step(hr__lik *l, double raw);

/* Novelty of short value patterns: each value is quantised into buckets of
 * width (range seen so far) / nb, relative to the range's low end when the
 * width was set; a pattern is the last `len` buckets and the current one.
 * The step returns 1 when the pattern was never seen before, else 0. The
 * buckets are set again (and the patterns forgotten) when the range seen
 * grows past HR__NOVEL_REGROW times the range they were set on, so a
 * bucket keeps its meaning; values beyond the buckets fall into the edge
 * ones; the step that sets them again returns 1 too (a value that outgrew
 * the buckets is new), and `grew` tells when buckets were set (the first
 * time included). Memory: the patterns seen since the buckets were set, as
 * a sorted list of 2-byte indices that grows by half as it fills, replaced by a
 * bitset of (3 nb)^(len + 1) bits once the list would be as large (at most
 * 1,728 bytes; on NAB's 28 files a median of about 240 bytes). */
#define HR__NOVEL_NB_MAX  12
#define HR__NOVEL_LEN_MAX 2
#define HR__NOVEL_REGROW  2.0
typedef struct hr__novel {
    void *seen;      /* patterns seen (owned): uint16_t list, or a bitset */
    uint32_t cap;    /* bytes allocated at `seen` */
    uint32_t count;  /* entries in the list */
    uint32_t bytes;  /* bytes of the bitset */
    uint8_t nb, len; /* buckets; buckets of context */
    uint8_t nh;      /* buckets in hist (<= len) */
    bool bits;       /* `seen` is the bitset */
    bool grew;       /* the last step set the buckets */
    bool started;
    uint8_t hist[HR__NOVEL_LEN_MAX];
    double vmin, vmax;          /* range seen so far */
    double origin, width, base; /* buckets: low end, width, range they were set on */
} hr__novel;
/* nb in [2, HR__NOVEL_NB_MAX], len in [1, HR__NOVEL_LEN_MAX]; HR_EINVAL
 * otherwise. Allocates nothing; release with hr__novel_release. */
int hr__novel_init(hr__novel *v, unsigned nb, unsigned len);
void hr__novel_release(hr__novel *v); /* idempotent */
/* Make room for one more pattern: HR_ENOMEM (nothing changed) or 0. Call
 * it before every step: the step itself never allocates. hr__novel_grow
 * is its slow path (a full list grows, or becomes the bitset). */
int hr__novel_grow(hr__novel *v);
static inline int hr__novel_reserve(hr__novel *v)
{
    return v->bits || 2 * ((size_t)v->count + 1) <= v->cap ? 0 : hr__novel_grow(v);
}
/* 1 when x completes a pattern never seen before or outgrew the buckets,
 * 0 otherwise (no pattern until len + 1 values have been bucketed on the
 * current buckets). */
double hr__novel_step(hr__novel *v, double x);

/* Empirical upper tail of a non-negative statistic: counts in log-spaced
 * bins (bin = floor(HR__TAIL_RES * log2(1 + v))), so the probability of a
 * value at least as large as v among those seen so far costs O(bins). */
#define HR__TAIL_BINS 96
#define HR__TAIL_RES  8.0
typedef struct hr__tail {
    double ge[HR__TAIL_BINS]; /* values seen in bin b or above */
    double cnt_at[HR__TAIL_BINS];
    double n;
} hr__tail;
/* P(V >= v) from the past (values in v's own bin count half), then learn
 * v. With nothing seen it returns 1. */
double hr__tail_step(hr__tail *t, double v);

#endif
