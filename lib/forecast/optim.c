/* Nelder-Mead simplex search with projection onto box bounds. */
#include "forecast/optim.h"

#include <headroom/error.h>

#include <math.h>
#include <stdbool.h>
#include <string.h>

static void project(double *x, size_t d, const double *lo, const double *hi)
{
    for (size_t i = 0; i < d; i++) {
        if (lo && x[i] < lo[i]) x[i] = lo[i];
        if (hi && x[i] > hi[i]) x[i] = hi[i];
    }
}

static double eval(hr__objective f, void *ud, const double *x)
{
    double v = f(x, ud);
    return isnan(v) ? INFINITY : v;
}

int hr__nelder_mead(hr__objective f, void *ud, double *x, size_t dim, const double *lo,
                    const double *hi, const hr__nm_opts *opts, double *fbest)
{
    if (dim == 0 || dim > HR_OPTIM_MAXDIM) return HR_EINVAL;
    size_t max_evals = opts && opts->max_evals ? opts->max_evals : 200 * dim;
    double ftol = opts && opts->ftol > 0 ? opts->ftol : 1e-8;
    double step = opts && opts->init_step > 0 ? opts->init_step : 0.1;
    const double alpha = 1, gamma = 2, rho = 0.5, sigma = 0.5;

    double simplex[HR_OPTIM_MAXDIM + 1][HR_OPTIM_MAXDIM], fv[HR_OPTIM_MAXDIM + 1];
    double xc[HR_OPTIM_MAXDIM], xr[HR_OPTIM_MAXDIM], xe[HR_OPTIM_MAXDIM];
    size_t evals = 0, n1 = dim + 1;

    project(x, dim, lo, hi);
    for (size_t i = 0; i < n1; i++) {
        memcpy(simplex[i], x, dim * sizeof(double));
        if (i > 0) {
            size_t k = i - 1;
            double dx = fabs(x[k]) > 1e-8 ? step * fabs(x[k]) : 0.05;
            if (opts && opts->steps && opts->steps[k] > 0) dx = opts->steps[k];
            simplex[i][k] += dx;
            if (hi && simplex[i][k] > hi[k]) simplex[i][k] = x[k] - dx;
            project(simplex[i], dim, lo, hi);
        }
        fv[i] = eval(f, ud, simplex[i]);
        evals++;
    }

    while (evals < max_evals) {
        /* Order: insertion sort of the vertices by value. */
        for (size_t i = 1; i < n1; i++) {
            for (size_t j = i; j > 0 && fv[j] < fv[j - 1]; j--) {
                double tf = fv[j];
                fv[j] = fv[j - 1];
                fv[j - 1] = tf;
                for (size_t k = 0; k < dim; k++) {
                    double t = simplex[j][k];
                    simplex[j][k] = simplex[j - 1][k];
                    simplex[j - 1][k] = t;
                }
            }
        }
        if (isfinite(fv[dim]) &&
            fabs(fv[dim] - fv[0]) <= ftol * (fabs(fv[0]) + fabs(fv[dim]) + 1e-12))
            break;

        for (size_t k = 0; k < dim; k++) {
            double s = 0;
            for (size_t i = 0; i < dim; i++) s += simplex[i][k];
            xc[k] = s / (double)dim;
        }
        for (size_t k = 0; k < dim; k++) xr[k] = xc[k] + alpha * (xc[k] - simplex[dim][k]);
        project(xr, dim, lo, hi);
        double fr = eval(f, ud, xr);
        evals++;
        if (fr < fv[0]) {
            for (size_t k = 0; k < dim; k++) xe[k] = xc[k] + gamma * (xr[k] - xc[k]);
            project(xe, dim, lo, hi);
            double fe = eval(f, ud, xe);
            evals++;
            if (fe < fr) {
                memcpy(simplex[dim], xe, dim * sizeof(double));
                fv[dim] = fe;
            } else {
                memcpy(simplex[dim], xr, dim * sizeof(double));
                fv[dim] = fr;
            }
            continue;
        }
        if (fr < fv[dim - 1]) {
            memcpy(simplex[dim], xr, dim * sizeof(double));
            fv[dim] = fr;
            continue;
        }
        /* Contraction: outside if the reflection improved on the worst. */
        bool outside = fr < fv[dim];
        for (size_t k = 0; k < dim; k++)
            xe[k] =
                outside ? xc[k] + rho * (xr[k] - xc[k]) : xc[k] + rho * (simplex[dim][k] - xc[k]);
        project(xe, dim, lo, hi);
        double fc = eval(f, ud, xe);
        evals++;
        if (fc < (outside ? fr : fv[dim])) {
            memcpy(simplex[dim], xe, dim * sizeof(double));
            fv[dim] = fc;
            continue;
        }
        /* Shrink towards the best vertex. */
        for (size_t i = 1; i < n1; i++) {
            for (size_t k = 0; k < dim; k++)
                simplex[i][k] = simplex[0][k] + sigma * (simplex[i][k] - simplex[0][k]);
            fv[i] = eval(f, ud, simplex[i]);
            evals++;
        }
    }
    size_t best = 0;
    for (size_t i = 1; i < n1; i++)
        if (fv[i] < fv[best]) best = i;
    memcpy(x, simplex[best], dim * sizeof(double));
    if (fbest) *fbest = fv[best];
    return (int)evals;
}
