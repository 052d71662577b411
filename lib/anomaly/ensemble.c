/* The streaming detectors over lib/anomaly/comp.h: residual, ewma, cusum,
 * bocpd, and the ensemble that combines them.
 *
 * The single detectors turn their statistic into a surprise u = -log10(p),
 * with p the empirical probability of a statistic at least as large among
 * the series' own past (hr__tail), and score 1 - 10^-u when u beats the
 * recent maximum surprise (decaying by ENS_DECAY a sample), half that
 * otherwise: one high score per burst.
 *
 * The ensemble (the default, used for NAB) combines three parts (the
 * constants are the fields of ens_par):
 *   - a CUSUM record: the two-sided CUSUM of the forecast residual z,
 *     divided by the larger of its own recent maximum (decaying by `decay`
 *     a sample) and its maximum at the same time of day (within `snb`
 *     5-minute slots) on previous days (decaying by `sdecay` a visit); a
 *     ratio r scores r / 2 below 1 and 1 - 1 / (2 r) above, so a shift
 *     larger than anything recent, and than what this hour of the day
 *     usually brings, ranks by how much larger it is, on every series' own
 *     scale;
 *   - pattern novelty (after CAD OSE's and HTM's idea: is this short
 *     pattern of coarse values new?): each value is put in one of `nb`
 *     buckets over the range seen so far and a pattern is the last `nlen`
 *     buckets and the current one (hr__novel); the stream of 1s (a pattern
 *     never seen, or a value that outgrew the buckets) and 0s goes through
 *     Numenta's likelihood step (hr__lik, long-run rate `nrate`): a burst
 *     of new patterns, unusual for this series, scores up to `nw`. The
 *     same novelty gates the CUSUM record: with no new pattern in the last
 *     `gm` samples the record is multiplied by `gate` (a shift among values
 *     and transitions already seen is less likely an anomaly);
 *   - the range rule of NAB's numenta detector: a value beyond the range
 *     seen so far by more than `tol` of that range scores 1;
 *   - a hold-off: after a score of `hold_at` or more, the next `hold`
 *     samples are damped by `damp` (NAB counts only the first detection of
 *     an event; the rest are false positives).
 * How the parameters were chosen (4-fold cross-validation over the files):
 * docs/BENCHMARKS.md (issue 4). */
#include "anomaly/comp.h"

#include <headroom/forecast.h>
#include <headroom/util.h>

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define Z95          1.959963984540054
#define ENS_WARM     150    /* samples before any score */
#define ENS_DECAY    0.9995 /* recent maximum surprise: half-life ~1,400 samples (5 days at 5 min) */
#define ENS_AVG      10     /* samples in the sustained-residual channel */
#define CUSUM_K      0.5    /* allowance, in residual scales */
#define CUSUM_H      8.0    /* decision interval (statistic reset past it) */
#define BOCPD_HAZARD (1.0 / 250)
/* The ensemble's constants (chosen by cross-validation, docs/BENCHMARKS.md);
 * each can be overridden for experiments: "ensemble:key=value,...". */
typedef struct ens_par {
    double decay;   /* CUSUM record: recent maximum's decay per sample */
    double tol;     /* range rule: tolerance, a fraction of the range seen */
    double hold;    /* hold-off samples after a high score */
    double hold_at; /* score that starts a hold-off (0.55: a record by 11 %) */
    double damp;    /* factor on scores during a hold-off */
    double k, h;    /* CUSUM allowance and decision interval, in residual scales */
    double sdecay;  /* time-of-day record: decay per visit of a slot's maximum (0 off) */
    double snb;     /* time-of-day record: neighbouring slots looked at on each side */
    double nw;      /* pattern novelty: weight of its likelihood score (0 off) */
    double nb;      /* pattern novelty: buckets over the range seen */
    double nlen;    /* pattern novelty: buckets of context before the current one */
    double nrate;   /* pattern novelty: the likelihood's long-run rate */
    double gate;    /* factor on the CUSUM record when no new pattern came lately (1 off) */
    double gm;      /* ... in the last gm samples */
} ens_par;

static const ens_par ens_default = {
    .decay = 0.9995,
    .tol = 0.1,
    .hold = 200,
    .hold_at = 0.55,
    .damp = 0.5,
    .k = CUSUM_K,
    .h = CUSUM_H,
    .sdecay = 0.9,
    .snb = 8,
    .nw = 1,
    .nb = 8,
    .nlen = 2,
    .nrate = 0.0005,
    .gate = 0.8,
    .gm = 50,
};

static const struct {
    const char *key;
    size_t off;
    double lo, hi;
} ens_keys[] = {
    {"decay", offsetof(ens_par, decay), 0, 1},
    {"tol", offsetof(ens_par, tol), 0, 10},
    {"hold", offsetof(ens_par, hold), 0, 1e6},
    {"hold_at", offsetof(ens_par, hold_at), 0, 1},
    {"damp", offsetof(ens_par, damp), 0, 1},
    {"k", offsetof(ens_par, k), 0, 10},
    {"h", offsetof(ens_par, h), 0.1, 100},
    {"sdecay", offsetof(ens_par, sdecay), 0, 1},
    {"snb", offsetof(ens_par, snb), 0, 72},
    {"nw", offsetof(ens_par, nw), 0, 1},
    {"nb", offsetof(ens_par, nb), 2, HR__NOVEL_NB_MAX},
    {"nlen", offsetof(ens_par, nlen), 1, HR__NOVEL_LEN_MAX},
    {"nrate", offsetof(ens_par, nrate), 1e-6, 0.5},
    {"gate", offsetof(ens_par, gate), 0, 1},
    {"gm", offsetof(ens_par, gm), 1, 1e6},
};

/* "key=value,key=value" over the defaults. */
static int ens_par_parse(const char *text, ens_par *p, hr_error *err)
{
    *p = ens_default;
    const char *s = text;
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        size_t klen = eq ? (size_t)(eq - s) : len, i = 0;
        while (i < sizeof ens_keys / sizeof ens_keys[0] &&
               (strlen(ens_keys[i].key) != klen || memcmp(ens_keys[i].key, s, klen)))
            i++;
        double v;
        if (i == sizeof ens_keys / sizeof ens_keys[0] || !eq ||
            hr_parse_double(eq + 1, len - klen - 1, &v) < 0 || !(v >= ens_keys[i].lo) ||
            !(v <= ens_keys[i].hi))
            return hr_error_set(err, HR_EINVAL, "ensemble: bad parameter \"%.*s\"", (int)len, s);
        memcpy((char *)p + ens_keys[i].off, &v, sizeof v); /* offsetof a double field */
        s = end ? end + 1 : s + len;
    }
    return 0;
}

enum { CH_RESID, CH_AVG, CH_CUSUM, CH_BOCPD, CH_EWMA, NCH, CH_NOVEL = NCH };
static const char *const ch_name[NCH + 1] = {"residual", "residual-mean", "cusum",
                                             "bocpd",    "ewma",          "pattern"};

typedef struct surprise {
    hr__tail tail;
    double recent;
} surprise;

/* p -> score with the record rule; writes u. */
static double surprise_score(surprise *s, double p, size_t n, double *u_out)
{
    double u = -log10(p > 1e-300 ? p : 1e-300);
    double score = 0;
    if (n >= ENS_WARM) score = (1 - pow(10, -u)) * (u > s->recent ? 1.0 : 0.5);
    s->recent = fmax(s->recent * ENS_DECAY, u);
    if (u_out) *u_out = u;
    return score;
}

/* A single detector (which < NCH): one channel's statistic and its tail. */
typedef struct single {
    int which;
    hr__fc fc;
    hr__rmed rm;
    hr__cusum cu;
    hr__bocpd bo;
    double ring[ENS_AVG], ring_sum;
    size_t ring_pos;
    surprise out; /* the tail of the channel's statistic */
    /* residual with an engine model */
    hr_model *model;
    hr_forecast f;
    double *warm;
    size_t nwarm, need;
    double m_expected, m_lo, m_hi, m_z;
} single;

/* The ensemble, in one allocation: this struct, then the parameters when
 * they are not the defaults, then the time-of-day maxima when sdecay > 0;
 * the pattern list of `nov` is the only other block. */
typedef struct ens {
    const ens_par *par; /* ens_default, or the copy after this struct */
    float *slot_max;    /* [HR__SLOTS] time-of-day maximum of the CUSUM statistic, or NULL */
    hr__fc fc;
    hr__cusum ecu;     /* the ensemble's CUSUM (its own k and h) */
    double rec;        /* CUSUM statistic's recent maximum */
    double vmin, vmax; /* range seen so far */
    size_t last_novel; /* sample index of the last new pattern */
    uint32_t hold;     /* hold-off samples left (<= 1e6) */
    bool use_nov;      /* pattern novelty on (nw > 0 or gate < 1) */
    bool any_novel;    /* a new pattern was seen */
    hr__novel nov;     /* pattern novelty */
    hr__lik nlik;      /* its likelihood */
} ens;

static int ens_init(hr_detector *d, const hr_detector_opts *opts, const char *params, hr_error *err)
{
    (void)opts;
    ens_par par;
    int prc = ens_par_parse(params, &par, err);
    if (prc < 0) return prc;
    bool own = params[0] != '\0';
    size_t off_par = sizeof(ens), off_slot = off_par + (own ? sizeof(ens_par) : 0);
    size_t size = off_slot + (par.sdecay > 0 ? HR__SLOTS * sizeof(float) : 0);
    char *mem = calloc(1, size);
    if (!mem) return hr_error_set(err, HR_ENOMEM, "detector: out of memory");
    ens *e = (void *)mem;
    if (own) {
        ens_par *copy = (void *)(mem + off_par);
        *copy = par;
        e->par = copy;
    } else {
        e->par = &ens_default;
    }
    if (par.sdecay > 0) e->slot_max = (void *)(mem + off_slot);
    hr__cusum_init(&e->ecu, par.k, par.h);
    hr__lik_init(&e->nlik, par.nrate, ENS_WARM);
    e->use_nov = par.nw > 0 || par.gate < 1;
    int nrc = hr__novel_init(&e->nov, (unsigned)par.nb, (unsigned)par.nlen);
    if (nrc < 0) { /* nb and nlen were range-checked by ens_par_parse */
        free(mem);
        return hr_error_set(err, nrc, "ensemble: bad pattern parameters");
    }
    hr__fc_init(&e->fc);
    d->impl = e;
    return 0;
}

static size_t ens_bytes(const hr_detector *d)
{
    const ens *e = d->impl;
    return sizeof *e + (e->par != &ens_default ? sizeof(ens_par) : 0) +
           (e->slot_max ? HR__SLOTS * sizeof(float) : 0) + e->nov.cap;
}

static void ens_release(hr_detector *d)
{
    ens *e = d->impl;
    if (!e) return;
    hr__novel_release(&e->nov);
    free(e);
}

static int single_new(hr_detector *d, int which, const hr_detector_opts *opts, hr_error *err)
{
    single *e = calloc(1, sizeof *e);
    if (!e) return hr_error_set(err, HR_ENOMEM, "detector: out of memory");
    e->which = which;
    hr__fc_init(&e->fc);
    hr__rmed_init(&e->rm);
    hr__cusum_init(&e->cu, CUSUM_K, CUSUM_H);
    hr__bocpd_init(&e->bo, BOCPD_HAZARD);
    d->impl = e;
    if (which != CH_RESID || !opts->model[0]) return 0;
    /* The engine's online update: fit on the first `warmup` values. */
    static const double lv[2] = {0.025, 0.975};
    e->need = opts->warmup ? opts->warmup : 288;
    if (e->need < 8 || e->need > 100000) {
        free(e);
        d->impl = NULL;
        return hr_error_set(err, HR_EINVAL, "residual: warmup must be in [8, 100000]");
    }
    int rc = hr_model_new(opts->model, NULL, &e->model, err);
    if (rc == 0) rc = hr_forecast_init(&e->f, 1, lv, 2, err);
    if (rc == 0 && !(e->warm = malloc(e->need * sizeof *e->warm)))
        rc = hr_error_set(err, HR_ENOMEM, "residual: out of memory");
    if (rc < 0) {
        hr_forecast_release(&e->f);
        hr_model_free(e->model);
        free(e->warm);
        free(e);
        d->impl = NULL;
        return rc;
    }
    e->m_expected = e->m_lo = e->m_hi = NAN;
    return 0;
}

static size_t single_bytes(const hr_detector *d)
{
    const single *e = d->impl;
    return sizeof *e + (e->warm ? e->need * sizeof *e->warm : 0);
}

static void single_release(hr_detector *d)
{
    single *e = d->impl;
    if (!e) return;
    hr_forecast_release(&e->f);
    hr_model_free(e->model);
    free(e->warm);
    free(e);
}

/* The engine-model residual: z from the predictive 95 % interval. */
static void model_step(single *e, double x)
{
    e->m_z = 0;
    if (e->nwarm < e->need) {
        e->warm[e->nwarm++] = x;
        if (e->nwarm == e->need && hr_model_fit(e->model, e->warm, e->need, NULL) < 0) {
            hr_model_free(e->model); /* unusable: fall back to the built-in forecast */
            e->model = NULL;
        }
    } else if (hr_model_forecast(e->model, 1, &e->f, NULL) == 0) {
        e->m_expected = e->f.mean[0];
        e->m_lo = hr_forecast_q(&e->f, 0, 0);
        e->m_hi = hr_forecast_q(&e->f, 0, 1);
        double sd = (e->m_hi - e->m_lo) / (2 * Z95);
        e->m_z = sd > 0 ? (x - e->m_expected) / sd : 0;
        hr_model_update(e->model, x);
    }
}

static size_t ens_slot(int64_t t)
{
    int64_t s = t % 86400;
    if (s < 0) s += 86400;
    return (size_t)(s / HR__SLOT_SEC) % HR__SLOTS;
}

/* The largest of v[slot - nb .. slot + nb] (around the day). */
static double slot_near_max(const float *v, size_t slot, size_t nb)
{
    double m = 0;
    for (size_t j = HR__SLOTS + slot - nb; j <= HR__SLOTS + slot + nb; j++)
        m = fmax(m, v[j % HR__SLOTS]);
    return m;
}

/* The ensemble's score for sample x (the n-th fed) at time-of-day slot
 * `slot`, after its CUSUM has seen it; *range is set when the range rule
 * fired (its interval in *rlo, *rhi), *novel when the pattern novelty gave
 * the score. */
static double ensemble_score(ens *e, size_t n, size_t slot, double x, bool *range, double *rlo,
                             double *rhi, bool *novel)
{
    const ens_par *p = e->par;
    double st = e->ecu.stat, m = e->rec;
    if (e->slot_max) { /* sdecay > 0 */
        m = fmax(m, slot_near_max(e->slot_max, slot, (size_t)p->snb));
        e->slot_max[slot] = (float)fmax(e->slot_max[slot] * p->sdecay, st);
    }
    double r = m > 0 ? st / m : st > 0 ? INFINITY : 0; /* a first shift is a record */
    e->rec = fmax(e->rec * p->decay, st);
    double s = n < ENS_WARM ? 0 : r < 1 ? 0.5 * r : 1 - 0.5 / r;
    *novel = false;
    if (e->use_nov) {
        double raw = hr__novel_step(&e->nov, x);
        if (raw > 0 || e->nov.grew) e->last_novel = n, e->any_novel = true;
        /* the gate: a record with no new pattern in the last `gm` samples */
        if (!e->any_novel || n - e->last_novel >= (size_t)p->gm) s *= p->gate;
        /* the likelihood of a burst of never-seen patterns */
        double nv = p->nw * hr__lik_step(&e->nlik, raw);
        if (nv > s) s = nv, *novel = true;
    }
    *range = false;
    if (n >= 2 && e->vmax > e->vmin && n >= ENS_WARM) {
        double ex = fmax(x - e->vmax, e->vmin - x);
        double tol = (e->vmax - e->vmin) * p->tol;
        if (ex > tol) {
            s = 1, *range = true;
            *rlo = e->vmin - tol, *rhi = e->vmax + tol;
        }
    }
    if (n <= 1 || x > e->vmax) e->vmax = x;
    if (n <= 1 || x < e->vmin) e->vmin = x;
    if (e->hold > 0) {
        e->hold--;
        s *= p->damp;
    } else if (s >= p->hold_at) {
        e->hold = (uint32_t)p->hold;
    }
    return s;
}

/* The reason from the built-in forecast. */
static void fc_reason(hr_anomaly_reason *why, const char *det, double s, const hr__fc *fc, double x)
{
    double sd = hr__fc_sd(fc);
    *why = (hr_anomaly_reason){
        det, s, fc->expected, fc->expected - Z95 * sd, fc->expected + Z95 * sd, x, NULL};
}

static int ens_feed(hr_detector *d, int64_t t, double x, hr_anomaly_reason *why)
{
    ens *e = d->impl;
    if (e->use_nov && hr__novel_reserve(&e->nov) < 0) return HR_ENOMEM;
    hr__fc_step(&e->fc, t, x);
    bool range = false, novel = false;
    double rlo = NAN, rhi = NAN;
    hr__cusum_step(&e->ecu, e->fc.z);
    double s = ensemble_score(e, d->n, ens_slot(t), x, &range, &rlo, &rhi, &novel);
    if (range) /* the interval: the range seen before x, widened by the tolerance */
        *why = (hr_anomaly_reason){"range", s, e->fc.expected, rlo, rhi, x, NULL};
    else
        fc_reason(why, ch_name[novel ? CH_NOVEL : CH_CUSUM], s, &e->fc, x);
    return 0;
}

/* A single detector's feed: its statistic's surprise (record rule). */
static int single_feed(hr_detector *d, int64_t t, double x, hr_anomaly_reason *why)
{
    single *e = d->impl;
    hr__fc_step(&e->fc, t, x);
    double z = e->fc.z;
    if (e->model) model_step(e, x);
    bool engine = e->model && e->nwarm == e->need;
    if (engine) z = e->m_z;
    hr__cusum_step(&e->cu, z);
    if (e->which == CH_BOCPD) hr__bocpd_step(&e->bo, z);
    if (e->which == CH_EWMA) hr__rmed_step(&e->rm, x);
    double az = fmin(fabs(z), 10);
    e->ring_sum += az - e->ring[e->ring_pos];
    e->ring[e->ring_pos] = az;
    e->ring_pos = (e->ring_pos + 1) % ENS_AVG;
    double stat[NCH] = {fabs(z), e->ring_sum / ENS_AVG, e->cu.stat, e->bo.cp, fabs(e->rm.z)};
    double s = surprise_score(&e->out, hr__tail_step(&e->out.tail, stat[e->which]), d->n, NULL);
    if (e->which == CH_EWMA) {
        double sd = hr__rmed_sd(&e->rm);
        *why = (hr_anomaly_reason){d->ops->name,         s, e->rm.med, e->rm.med - Z95 * sd,
                                   e->rm.med + Z95 * sd, x, NULL};
    } else if (engine) {
        *why = (hr_anomaly_reason){d->ops->name, s, e->m_expected, e->m_lo, e->m_hi, x, NULL};
    } else {
        fc_reason(why, d->ops->name, s, &e->fc, x);
    }
    return 0;
}

static int init_residual(hr_detector *d, const hr_detector_opts *o, const char *p, hr_error *err)
{
    (void)p;
    return single_new(d, CH_RESID, o, err);
}
static int init_ewma(hr_detector *d, const hr_detector_opts *o, const char *p, hr_error *err)
{
    (void)p;
    return single_new(d, CH_EWMA, o, err);
}
static int init_cusum(hr_detector *d, const hr_detector_opts *o, const char *p, hr_error *err)
{
    (void)p;
    return single_new(d, CH_CUSUM, o, err);
}
static int init_bocpd(hr_detector *d, const hr_detector_opts *o, const char *p, hr_error *err)
{
    (void)p;
    return single_new(d, CH_BOCPD, o, err);
}

const struct hr_detector_ops hr__ensemble_detector = {
    .name = "ensemble",
    .summary = "CUSUM record, pattern novelty, range rule, hold-off (default)",
    .init = ens_init,
    .feed = ens_feed,
    .state_bytes = ens_bytes,
    .release = ens_release,
};

#define DETECTOR(id, nm, sum)                                                                      \
    const struct hr_detector_ops hr__##id##_detector = {                                           \
        .name = nm,                                                                                \
        .summary = sum,                                                                            \
        .init = init_##id,                                                                         \
        .feed = single_feed,                                                                       \
        .state_bytes = single_bytes,                                                               \
        .release = single_release,                                                                 \
    }

DETECTOR(residual, "residual", "one-step forecast residual (level + daily profile, or --model)");
DETECTOR(ewma, "ewma", "robust EWMA control limits: streaming median and MAD");
DETECTOR(cusum, "cusum", "two-sided CUSUM of standardised forecast residuals");
DETECTOR(bocpd, "bocpd", "Bayesian online change points (Adams & MacKay), Normal-Gamma");
