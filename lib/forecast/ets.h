/* ETS (exponential smoothing state space) model: pieces shared by ets.c
 * (the model behind the vtable) and ets_fit.c (initial states, the
 * likelihood, admissibility and the optimiser). Library-internal.
 *
 * Notation follows Hyndman, Koehler, Ord & Snyder, "Forecasting with
 * Exponential Smoothing: the State Space Approach" (2008) and R's
 * forecast::ets. The recursions are written in the error-correction form
 * that R's etscalc.c uses, which is the same for additive and
 * multiplicative errors:
 *
 *     q_t   = l_{t-1} + phi b_{t-1}            (l_{t-1} without trend)
 *     yhat  = q_t (+|*) s_{t-m}
 *     p_t   = y_t (-|/) s_{t-m}
 *     l_t   = q_t + alpha (p_t - q_t)
 *     b_t   = phi b_{t-1} + beta (p_t - q_t)
 *     s_t   = s_{t-m} + gamma ((y_t (-|/) q_t) - s_{t-m})
 *
 * e_t = y_t - yhat (additive error) or (y_t - yhat)/yhat (multiplicative).
 * The seasonal states live in a ring buffer: seas[pos] is s_{t+1-m}, the
 * one the next observation uses; it is overwritten by s_{t+1} and pos
 * advances, so no array is ever shifted.
 */
#ifndef HR_FORECAST_ETS_H
#define HR_FORECAST_ETS_H

#include "forecast/internal.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

enum { HR__ETS_N = 0, HR__ETS_A = 1, HR__ETS_M = 2 };

/* Smallest |value| divided by (R's TOL in etscalc.c). */
#define HR__ETS_TOL 1e-10
/* R clamps the criterion of a perfect fit here ("avoid perfect fits"). */
#define HR__ETS_LIK_FLOOR (-1e10)
/* Seasonal periods above this are refused in automatic selection (as R). */
#define HR__ETS_MAX_AUTO_SEASON 24
/* Hard limit on an explicitly requested season (state vector size). */
#define HR__ETS_MAX_SEASON 10000

typedef struct hr__ets_form {
    int error;  /* HR__ETS_A or HR__ETS_M */
    int trend;  /* HR__ETS_N or HR__ETS_A */
    int season; /* HR__ETS_N, HR__ETS_A or HR__ETS_M */
    bool damped;
} hr__ets_form;

typedef struct hr__ets_par {
    double alpha, beta, gamma, phi; /* beta = 0 without trend, gamma = 0
                                       without season, phi = 1 undamped */
} hr__ets_par;

/* Sums from one pass of the recursions. */
typedef struct hr__ets_sums {
    double sse_e;   /* sum e_t^2 (relative errors for multiplicative error) */
    double sumlog;  /* sum log|yhat_t| */
    double sse_raw; /* sum (y_t - yhat_t)^2 */
    double sae_raw; /* sum |y_t - yhat_t| */
    size_t n;
} hr__ets_sums;

/* A fitted form: parameters, initial state and in-sample criteria. */
typedef struct hr__ets_fit {
    hr__ets_form form;
    size_t m; /* season length used (1 without season) */
    hr__ets_par par;
    double *x0;  /* initial state, R's order: l, b, s_0, s_-1, ..., s_-(m-1) */
    int nparams; /* estimated: smoothing parameters + free initial states */
    double lik;  /* R's concentrated -2 log L ("lik") */
    double aicc;
} hr__ets_fit;

/* R's concentrated criterion from the sums. */
static inline double hr__ets_lik(const hr__ets_form *f, const hr__ets_sums *s)
{
    double lik = s->sse_e > 0 ? (double)s->n * log(s->sse_e) : -INFINITY;
    if (f->error == HR__ETS_M) lik += 2.0 * s->sumlog;
    if (lik < HR__ETS_LIK_FLOOR) lik = HR__ETS_LIK_FLOOR;
    return lik;
}

/* One pass of the recursions over y[0..n) from state (*l, *b, seas, *pos),
 * which is advanced in place. `fitted` (may be NULL) receives yhat_t.
 * Returns 0, or -1 when the path leaves the domain (a multiplicative
 * divisor below HR__ETS_TOL or a non-finite value); the state is then
 * unspecified. Raw error sums are accumulated only when `raw` is true.
 * Written once and specialised by the constant arguments E, T, S. */
static inline __attribute__((always_inline)) int
hr__ets_kernel(const double *y, size_t n, const int E, const int T, const int S,
               const hr__ets_par *par, double *lp, double *bp, double *seas, size_t m, size_t *posp,
               hr__ets_sums *out, double *fitted, const bool raw)
{
    const double alpha = par->alpha, beta = par->beta, gamma = par->gamma, phi = par->phi;
    double l = *lp, b = *bp, se = 0, slog = 0, prod = 1, sr = 0, sa = 0;
    size_t j = *posp;
    for (size_t t = 0; t < n; t++) {
        const double yt = y[t];
        const double q = T ? l + phi * b : l;
        const double s = S ? seas[j] : 0.0;
        double yhat = q, p = yt;
        if (S == HR__ETS_A) {
            yhat = q + s;
            p = yt - s;
        } else if (S == HR__ETS_M) {
            if (!(fabs(s) >= HR__ETS_TOL) || !(fabs(q) >= HR__ETS_TOL)) return -1;
            yhat = q * s;
            p = yt / s;
        }
        double e;
        if (E == HR__ETS_M) {
            if (!(fabs(yhat) >= HR__ETS_TOL)) return -1;
            e = (yt - yhat) / yhat;
            prod *= fabs(yhat);
            if (prod > 1e150 || prod < 1e-150) {
                slog += log(prod);
                prod = 1;
            }
        } else {
            e = yt - yhat;
        }
        se += e * e;
        if (raw) {
            double d = yt - yhat;
            sr += d * d;
            sa += fabs(d);
        }
        if (fitted) fitted[t] = yhat;
        const double d = p - q;
        l = q + alpha * d;
        if (T) b = phi * b + beta * d;
        if (S) {
            const double tt = S == HR__ETS_A ? yt - q : yt / q;
            seas[j] = s + gamma * (tt - s);
            if (++j == m) j = 0;
        }
    }
    if (E == HR__ETS_M) slog += log(prod);
    if (!isfinite(se) || !isfinite(l) || !isfinite(b) || !isfinite(slog)) return -1;
    *lp = l;
    *bp = b;
    *posp = j;
    out->sse_e += se;
    out->sumlog += slog;
    out->sse_raw += sr;
    out->sae_raw += sa;
    out->n += n;
    return 0;
}

/* The kernel for a runtime form (dispatches to a specialised copy). */
int hr__ets_run(const hr__ets_form *f, const hr__ets_par *par, const double *y, size_t n, double *l,
                double *b, double *seas, size_t m, size_t *pos, hr__ets_sums *out, double *fitted,
                bool raw);

/* Load R-ordered initial state x0 into (l, b, ring seas with pos = 0). */
void hr__ets_load_state(const hr__ets_form *f, size_t m, const double *x0, double *l, double *b,
                        double *seas);

/* Number of initial-state entries in R's order (l, b, m seasonals). */
size_t hr__ets_nstate(const hr__ets_form *f, size_t m);

/* R's admissibility test (Hyndman, Akram & Archibald 2008) for the
 * smoothing parameters of a form with season m. */
bool hr__ets_admissible(const hr__ets_form *f, const hr__ets_par *par, size_t m);

/* Estimate one form on y[0..n) by maximum likelihood (R's initstate +
 * Nelder-Mead over parameters and initial states, bounds "both").
 * fit->x0 must hold room for hr__ets_nstate entries. Returns 0, or
 * HR_EDATA / HR_ECONVERGE when no feasible point was found. */
int hr__ets_estimate(const double *y, size_t n, const hr__ets_form *f, size_t m, hr__ets_fit *fit);

/* Estimated parameter count of a form (R's length(par)): smoothing
 * parameters, level, trend, m - 1 seasonal states. */
int hr__ets_nparams(const hr__ets_form *f, size_t m);

/* Test hook: set model `m` ("ets") as if fitted on y[0..n) with the given
 * form (season length = the model's first period), parameters and initial
 * state x0 in R's order (l, [b], [s_0, s_-1, ..., s_-(m-1)]) — no
 * estimation. `fitted` (may be NULL) receives the one-step fitted values.
 * Criteria count parameters as if estimated. */
int hr__ets_set_fixed(hr_model *m, const hr__ets_form *f, const hr__ets_par *par, const double *x0,
                      const double *y, size_t n, double *fitted, hr_error *err);

/* Test hook: the fitted form, parameters and initial state of model `m`
 * ("ets", fitted). out->x0 is borrowed from the model. */
int hr__ets_get_fit(const hr_model *m, hr__ets_fit *out);

#endif
