/* Library-internal interface of the forecasting engine: the model vtable.
 * Each model lives in lib/forecast/<name>.c and exports one
 * `const struct hr_model_ops hr__<name>_ops`, listed in model.c's table. */
#ifndef HR_FORECAST_INTERNAL_H
#define HR_FORECAST_INTERNAL_H

#include <headroom/forecast.h>

struct hr_model {
    const struct hr_model_ops *ops;
    hr_model_opts opts;
    bool fitted;
    size_t nobs; /* observations seen (fit + updates) */
    void *impl;  /* the model's own state */
};

struct hr_model_ops {
    const char *name;
    const char *summary; /* one line, for --help */
    bool has_intervals;  /* forecast() fills out->q */
    /* Validate m->opts and allocate m->impl. */
    int (*init)(struct hr_model *m, hr_error *err);
    /* y is finite, n >= 1 (the model checks its own minimum length). May be
     * called again on a fitted model: refit from scratch. */
    int (*fit)(struct hr_model *m, const double *y, size_t n, hr_error *err);
    /* out->mean (and out->q when has_intervals) for out->h steps; out->levels
     * and out->nq are set. The caller sorts quantiles afterwards. */
    int (*forecast)(const struct hr_model *m, hr_forecast *out, hr_error *err);
    /* One new finite observation; the origin moves by one. */
    int (*update)(struct hr_model *m, double y);
    int (*info)(const struct hr_model *m, hr_fit_info *out);
    void (*release)(struct hr_model *m); /* free m->impl; must cope with a half-built impl */
};

/* Fill out->q from a Gaussian predictive distribution: mean[i], sd[i]. */
void hr__forecast_gaussian(hr_forecast *out, const double *sd);
/* Fill out->q from simulated sample paths: paths[p*h + i], npaths each step
 * (paths is sorted in place per step through a scratch copy). */
int hr__forecast_from_paths(hr_forecast *out, const double *paths, size_t npaths);
/* Empty fit info (NaN everywhere, counts 0). */
void hr__fit_info_clear(hr_fit_info *fi);
/* Deterministic PRNG (xoshiro256**), seeded with splitmix64. */
typedef struct hr__rng {
    uint64_t s[4];
} hr__rng;
void hr__rng_seed(hr__rng *r, uint64_t seed);
uint64_t hr__rng_next(hr__rng *r);
double hr__rng_uniform(hr__rng *r); /* [0,1) */
double hr__rng_normal(hr__rng *r);  /* N(0,1) */

/* The registry (model.c). */
extern const struct hr_model_ops hr__naive_ops;
extern const struct hr_model_ops hr__snaive_ops;
extern const struct hr_model_ops hr__combo_ops;
extern const struct hr_model_ops hr__auto_ops;
extern const struct hr_model_ops hr__naive2_ops;
extern const struct hr_model_ops hr__theta_ops;
extern const struct hr_model_ops hr__mstl_ops;
extern const struct hr_model_ops hr__ets_ops;

#endif
