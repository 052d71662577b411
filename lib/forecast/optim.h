/* Derivative-free minimisation for model fitting (library-internal). */
#ifndef HR_FORECAST_OPTIM_H
#define HR_FORECAST_OPTIM_H

#include <stddef.h>

#define HR_OPTIM_MAXDIM 32

/* Objective: returns f(x); may return INFINITY (or NaN) for an infeasible x. */
typedef double (*hr__objective)(const double *x, void *ud);

typedef struct hr__nm_opts {
    size_t max_evals;    /* 0 = 200 * dim */
    double ftol;         /* relative spread of the simplex values to stop (0 = 1e-8) */
    double init_step;    /* relative initial simplex step (0 = 0.1; absolute 0.05 near 0) */
    const double *steps; /* per-coordinate absolute initial steps [dim] (NULL = init_step
                            rule); a step of 0 falls back to the init_step rule */
} hr__nm_opts;

/* Nelder-Mead simplex (Lagarias et al. 1998 coefficients) with box bounds:
 * points are projected into [lo, hi] (either may be NULL). x holds the start
 * on entry and the best point on return; *fbest gets its value. Returns the
 * number of evaluations (>0), or a negative HR_E* code. */
int hr__nelder_mead(hr__objective f, void *ud, double *x, size_t dim, const double *lo,
                    const double *hi, const hr__nm_opts *opts, double *fbest);

#endif
