/* Seasonal decomposition internals (library-internal): STL (stl.c) and the
 * M4 classical deseasonalisation shared by naive2 and theta (seasonality.c). */
#ifndef HR_FORECAST_STL_H
#define HR_FORECAST_STL_H

#include <stdbool.h>
#include <stddef.h>

/* ---- STL (Cleveland, Cleveland, McRae & Terpenning 1990) ------------------------ */

typedef struct hr__stl_params {
    size_t period;        /* np >= 2 */
    size_t seasonal;      /* ns: seasonal loess window (odd >= 3); 0 = "periodic" */
    size_t trend;         /* nt: trend loess window (odd >= 3); 0 = the default from ns */
    size_t low_pass;      /* nl: low-pass loess window (odd >= 3) */
    int seasonal_deg;     /* 0 or 1 */
    int trend_deg;        /* 0 or 1 */
    int low_pass_deg;     /* 0 or 1 */
    size_t seasonal_jump; /* >= 1: loess every jump points, linear in between */
    size_t trend_jump;
    size_t low_pass_jump;
    size_t inner; /* inner-loop passes (>= 1) */
    size_t outer; /* robustness passes (0 = not robust) */
} hr__stl_params;

/* statsmodels.tsa.seasonal.STL defaults for `period` (robust=False):
 * seasonal 7, trend nextodd(ceil(1.5 np / (1 - 1.5/ns))), low_pass
 * nextodd(np + 1), degrees 1, jumps 1, inner 5, outer 0. */
void hr__stl_defaults_sm(hr__stl_params *p, size_t period);

/* R stats::stl defaults for `period` and s.window = `swindow` (0 =
 * "periodic"): s.degree 0, t.window as above, l.window nextodd(np), t/l
 * degree 1, jumps ceil(window/10), inner 2, outer 0. */
void hr__stl_defaults_r(hr__stl_params *p, size_t period, size_t swindow);

/* Decompose y[0..n) into seasonal[n] and trend[n] (remainder = y - s - t).
 * Even windows are bumped to the next odd, windows below 3 raised to 3, as
 * the Fortran original does. HR_EDATA when n < 2 * period, HR_EINVAL for bad
 * parameters, HR_ENOMEM. Outputs are written only on success. */
int hr__stl(const double *y, size_t n, const hr__stl_params *p, double *seasonal, double *trend);

/* MSTL (Bandara, Hyndman & Bergmeir 2021; R forecast::mstl): `iterate`
 * rounds (R: 2) of STL for each period in turn, ascending, each on the
 * series less the other seasonal components, with R's stl defaults and
 * s.window = 7 + 4 k for the k-th period (k from 1). periods[] must be
 * ascending with n > 2 * periods[i] (the caller drops the rest). Writes
 * seasonal[i * n + t] for period i and deseas[t] = y - sum of seasonals
 * (trend + remainder). HR_EINVAL, HR_EDATA, HR_ENOMEM (outputs then undefined). */
int hr__mstl(const double *y, size_t n, const size_t *periods, size_t nper, size_t iterate,
             double *seasonal, double *deseas);

/* ---- M4 classical deseasonalisation ---------------------------------------------- */

typedef struct hr__deseason {
    size_t m;    /* 0: the series is not adjusted */
    bool mult;   /* multiplicative indices (else additive offsets) */
    double *idx; /* [m] index for positions t with t % m == i (owned) */
} hr__deseason;

/* Decide and estimate the seasonal adjustment of y[0..n) at period m, as the
 * M4 benchmarks do: adjust only when hr_seasonality_test(y, n, m) is true;
 * multiplicative indices (hr_decompose_mult) when every y > 0, else the
 * additive classical decomposition. m < 2 or a failed test leaves d->m = 0.
 * Frees any previous d->idx. HR_ENOMEM only. */
int hr__deseason_fit(hr__deseason *d, const double *y, size_t n, size_t m);
void hr__deseason_release(hr__deseason *d);

/* Adjusted value of observation y at absolute position t, and back. */
static inline double hr__deseason_adj(const hr__deseason *d, double y, size_t t)
{
    if (!d->m) return y;
    double s = d->idx[t % d->m];
    return d->mult ? y / s : y - s;
}
static inline double hr__deseason_readj(const hr__deseason *d, double f, size_t t)
{
    if (!d->m) return f;
    double s = d->idx[t % d->m];
    return d->mult ? f * s : f + s;
}
/* Scale of a spread (standard deviation) at position t: the index when
 * multiplicative, 1 otherwise. */
static inline double hr__deseason_scale(const hr__deseason *d, size_t t)
{
    return d->m && d->mult ? d->idx[t % d->m] : 1.0;
}

#endif
