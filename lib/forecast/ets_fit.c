/* ETS estimation: R's heuristic initial states (initstate), the
 * admissible parameter region, the concentrated likelihood and its
 * minimisation by Nelder-Mead over smoothing parameters and initial states
 * jointly (R's etsmodel with opt.crit = "lik", bounds = "both").
 *
 * Search. R runs Nelder-Mead alone (up to 2000 evaluations); in the 26-29
 * dimensions of an hourly seasonal form (m = 24) that stops far from the
 * optimum. The criterion is a sum of squares in disguise,
 *     lik = n log S,  S = sum_t (e_t G)^2,  G = geometric mean of |yhat_t|
 * (G = 1 for additive error), so a Levenberg-Marquardt search with a
 * forward-difference Jacobian does the bulk of the joint search from R's
 * starting point, and Nelder-Mead (lib/forecast/optim.h) then polishes it,
 * which also handles the admissibility wall where the Jacobian step stalls.
 * Measured here on M4 hourly series (m = 24): Nelder-Mead alone was still
 * improving the criterion after 14,000 evaluations (0.1-0.2 s per form);
 * this scheme ends lower in roughly a tenth of the time.
 *
 * Search coordinates. R searches (alpha, beta, gamma, phi) directly and
 * rejects points outside 0 < beta < alpha, 0 < gamma < 1 - alpha with an
 * infinite criterion. Here the same region is searched through a box:
 *     beta  = lo + b* (min(hi, alpha) - lo),      b* in [0, 1]
 *     gamma = lo + g* (min(hi, 1 - alpha) - lo),  g* in [0, 1]
 * with lo = 1e-4, hi = 0.9999 (R's defaults). The criterion, the region and
 * R's starting point (b* = 0.1, g* = 0.05) are unchanged; only the simplex
 * no longer wastes steps on infeasible vertices. Admissibility (the
 * characteristic-equation test of Hyndman, Akram & Archibald 2008) remains
 * a wall with an infinite criterion, as in R. */
#include "forecast/ets.h"
#include "forecast/optim.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#define PAR_LO 1e-4
#define PAR_HI 0.9999
#define PHI_LO 0.8
#define PHI_HI 0.98

size_t hr__ets_nstate(const hr__ets_form *f, size_t m)
{
    return 1 + (f->trend != HR__ETS_N) + (f->season != HR__ETS_N ? m : 0);
}

int hr__ets_nparams(const hr__ets_form *f, size_t m)
{
    int np = 2; /* alpha, l0 */
    if (f->trend != HR__ETS_N) np += 2;
    if (f->season != HR__ETS_N) np += (int)m; /* gamma + m - 1 states */
    if (f->damped) np += 1;
    return np;
}

void hr__ets_load_state(const hr__ets_form *f, size_t m, const double *x0, double *l, double *b,
                        double *seas)
{
    *l = x0[0];
    *b = f->trend != HR__ETS_N ? x0[1] : 0.0;
    if (f->season == HR__ETS_N) return;
    const double *s = x0 + 1 + (f->trend != HR__ETS_N);
    /* R's order s_0, s_-1, ..., s_-(m-1); the first observation uses s_-(m-1). */
    for (size_t k = 0; k < m; k++) seas[k] = s[m - 1 - k];
}

/* ---- the specialised recursions ----------------------------------------------- */

#define ETS_DISPATCH(CALL)                                                                         \
    switch (f->error * 100 + (f->trend != HR__ETS_N) * 10 + f->season) {                           \
    case 100:                                                                                      \
        return CALL(HR__ETS_A, 0, HR__ETS_N);                                                      \
    case 101:                                                                                      \
        return CALL(HR__ETS_A, 0, HR__ETS_A);                                                      \
    case 102:                                                                                      \
        return CALL(HR__ETS_A, 0, HR__ETS_M);                                                      \
    case 110:                                                                                      \
        return CALL(HR__ETS_A, 1, HR__ETS_N);                                                      \
    case 111:                                                                                      \
        return CALL(HR__ETS_A, 1, HR__ETS_A);                                                      \
    case 112:                                                                                      \
        return CALL(HR__ETS_A, 1, HR__ETS_M);                                                      \
    case 200:                                                                                      \
        return CALL(HR__ETS_M, 0, HR__ETS_N);                                                      \
    case 201:                                                                                      \
        return CALL(HR__ETS_M, 0, HR__ETS_A);                                                      \
    case 202:                                                                                      \
        return CALL(HR__ETS_M, 0, HR__ETS_M);                                                      \
    case 210:                                                                                      \
        return CALL(HR__ETS_M, 1, HR__ETS_N);                                                      \
    case 211:                                                                                      \
        return CALL(HR__ETS_M, 1, HR__ETS_A);                                                      \
    case 212:                                                                                      \
        return CALL(HR__ETS_M, 1, HR__ETS_M);                                                      \
    default:                                                                                       \
        return -1;                                                                                 \
    }

int hr__ets_run(const hr__ets_form *f, const hr__ets_par *par, const double *y, size_t n, double *l,
                double *b, double *seas, size_t m, size_t *pos, hr__ets_sums *out, double *fitted,
                bool raw)
{
#define FULL(E, T, S) hr__ets_kernel(y, n, E, T, S, par, l, b, seas, m, pos, out, fitted, raw)
    ETS_DISPATCH(FULL)
#undef FULL
}

/* The optimiser's pass: no fitted values, no raw sums. */
static int run_fast(const hr__ets_form *f, const hr__ets_par *par, const double *y, size_t n,
                    double *l, double *b, double *seas, size_t m, hr__ets_sums *out)
{
    size_t pos = 0;
#define FAST(E, T, S) hr__ets_kernel(y, n, E, T, S, par, l, b, seas, m, &pos, out, NULL, false)
    ETS_DISPATCH(FAST)
#undef FAST
}

/* The least-squares pass: fitted values, no raw sums. */
static int run_fitted(const hr__ets_form *f, const hr__ets_par *par, const double *y, size_t n,
                      double *l, double *b, double *seas, size_t m, hr__ets_sums *out,
                      double *fitted)
{
    size_t pos = 0;
#define FIT(E, T, S) hr__ets_kernel(y, n, E, T, S, par, l, b, seas, m, &pos, out, fitted, false)
    ETS_DISPATCH(FIT)
#undef FIT
}

/* ---- admissibility -------------------------------------------------------------- */

/* Schur-Cohn: true when every root of a[0] + a[1] z + ... + a[d] z^d lies
 * strictly inside the unit circle. a and tmp ([d + 1] each) are
 * overwritten. O(d^2). */
static bool schur_stable(double *a, double *tmp, size_t d)
{
    while (d > 0) {
        if (!(fabs(a[0]) < fabs(a[d]))) return false;
        double a0 = a[0], ad = a[d], big = 0;
        for (size_t k = 0; k < d; k++) {
            tmp[k] = ad * a[k + 1] - a0 * a[d - 1 - k];
            if (fabs(tmp[k]) > big) big = fabs(tmp[k]);
        }
        d--;
        if (!(big > 0) || !isfinite(big)) return false;
        for (size_t k = 0; k <= d; k++) a[k] = tmp[k] / big;
    }
    return true;
}

bool hr__ets_admissible(const hr__ets_form *f, const hr__ets_par *par, size_t m)
{
    double alpha = par->alpha, beta = par->beta, gamma = par->gamma;
    double phi = f->damped ? par->phi : 1.0;
    if (phi < 0 || phi > 1 + 1e-8) return false;
    if (f->season == HR__ETS_N || m < 2) {
        if (alpha < 1 - 1 / phi || alpha > 1 + 1 / phi) return false;
        if (f->trend != HR__ETS_N && (beta < alpha * (phi - 1) || beta > (1 + phi) * (2 - alpha)))
            return false;
        return true;
    }
    if (f->trend == HR__ETS_N) beta = 0;
    double md = (double)m;
    if (gamma < fmax(1 - 1 / phi - alpha, 0.0) || gamma > 1 + 1 / phi - alpha) return false;
    if (alpha < 1 - 1 / phi - gamma * (1 - md + phi + phi * md) / (2 * phi * md)) return false;
    if (beta < -(1 - phi) * (gamma / md + alpha)) return false;

    /* Characteristic polynomial (R's admissible()):
     *   P(z) = phi(1-a-g) + (a+b-a phi+g-1) z + (a+b-a phi)(z^2..z^{m-1})
     *          + (a+b-phi) z^m + z^{m+1};
     * R accepts when every root has modulus <= 1 + 1e-10. */
    double stack[128], *a = m + 2 <= 64 ? stack : malloc(2 * (m + 2) * sizeof(double));
    if (!a) return false;
    double *tmp = a + m + 2;
    size_t d = m + 1;
    a[0] = phi * (1 - alpha - gamma);
    a[1] = alpha + beta - alpha * phi + gamma - 1;
    for (size_t k = 2; k < m; k++) a[k] = alpha + beta - alpha * phi;
    a[m] = alpha + beta - phi;
    a[m + 1] = 1;
    if (beta == 0 && phi == 1) {
        /* z = 1 is then always a root (P(1) = m beta): divide it out so
         * that the strict test below does not reject a root on the circle. */
        double carry = a[d];
        for (size_t k = d; k-- > 0;) {
            double next = a[k] + carry;
            a[k] = carry;
            carry = next;
        }
        d--;
    }
    /* Roots of P(r w) are z / r: test |w| < 1 with r = 1 + 1e-10. */
    double r = 1 + 1e-10, rk = 1;
    for (size_t k = 0; k <= d; k++, rk *= r) a[k] *= rk;
    bool ok = schur_stable(a, tmp, d);
    if (a != stack) free(a);
    return ok;
}

/* ---- initial states (R's initstate) ------------------------------------------ */

/* Solve the k x k system A x = b (row-major, overwritten) by Gaussian
 * elimination with partial pivoting. Returns false when singular. */
static bool solve_small(double *A, double *b, size_t k)
{
    for (size_t c = 0; c < k; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < k; r++)
            if (fabs(A[r * k + c]) > fabs(A[piv * k + c])) piv = r;
        if (!(fabs(A[piv * k + c]) > 1e-300)) return false;
        if (piv != c) {
            for (size_t j = 0; j < k; j++) {
                double t = A[c * k + j];
                A[c * k + j] = A[piv * k + j];
                A[piv * k + j] = t;
            }
            double t = b[c];
            b[c] = b[piv];
            b[piv] = t;
        }
        for (size_t r = c + 1; r < k; r++) {
            double fct = A[r * k + c] / A[c * k + c];
            for (size_t j = c; j < k; j++) A[r * k + j] -= fct * A[c * k + j];
            b[r] -= fct * b[c];
        }
    }
    for (size_t c = k; c-- > 0;) {
        double s = b[c];
        for (size_t j = c + 1; j < k; j++) s -= A[c * k + j] * b[j];
        b[c] = s / A[c * k + c];
    }
    return true;
}

/* Seasonal component for y[0..n) (one value per time point), as R's
 * initstate obtains it: classical decomposition (decompose()) when n >= 3m,
 * else y minus (or over) the linear trend of the regression of y on
 * (1, t, sin(2 pi t/m), cos(2 pi t/m)). */
static int seasonal_component(const double *y, size_t n, size_t m, int type, double *seasonal)
{
    if (n >= 3 * m) {
        double *figure = calloc(2 * m, sizeof(double));
        if (!figure) return HR_ENOMEM;
        double *count = figure + m;
        size_t half = m / 2;
        for (size_t t = half; t + half < n; t++) {
            double tr = 0;
            if (m % 2 == 0) {
                tr = 0.5 * (y[t - half] + y[t + half]);
                for (size_t k = t - half + 1; k < t + half; k++) tr += y[k];
            } else {
                for (size_t k = t - half; k <= t + half; k++) tr += y[k];
            }
            tr /= (double)m;
            double det = type == HR__ETS_A ? y[t] - tr : y[t] / tr;
            if (!isfinite(det)) continue;
            figure[t % m] += det;
            count[t % m] += 1;
        }
        double mean = 0;
        for (size_t i = 0; i < m; i++) {
            figure[i] = count[i] > 0 ? figure[i] / count[i] : (type == HR__ETS_A ? 0.0 : 1.0);
            mean += figure[i];
        }
        mean /= (double)m;
        for (size_t i = 0; i < m; i++) {
            if (type == HR__ETS_A)
                figure[i] -= mean;
            else
                figure[i] = mean != 0 ? figure[i] / mean : 1.0;
        }
        for (size_t t = 0; t < n; t++) seasonal[t] = figure[t % m];
        free(figure);
        return 0;
    }
    /* Short series: y ~ 1 + t + Fourier(K = 1); for m = 2 the sine column is
     * identically zero and dropped, as R's fourier() does. */
    size_t k = m == 2 ? 3 : 4;
    double A[16] = {0}, rhs[4] = {0}, xr[4];
    for (size_t t = 0; t < n; t++) {
        double w = 2 * M_PI * (double)(t + 1) / (double)m;
        xr[0] = 1;
        xr[1] = (double)(t + 1);
        xr[2] = cos(w);
        xr[3] = sin(w);
        for (size_t i = 0; i < k; i++) {
            rhs[i] += xr[i] * y[t];
            for (size_t j = 0; j < k; j++) A[i * k + j] += xr[i] * xr[j];
        }
    }
    if (!solve_small(A, rhs, k)) return HR_EDATA;
    for (size_t t = 0; t < n; t++) {
        double tr = rhs[0] + rhs[1] * (double)(t + 1);
        seasonal[t] = type == HR__ETS_A ? y[t] - tr : y[t] / tr;
    }
    return 0;
}

/* R's initstate: x0 in R's order (l, [b], s_0 .. s_-(m-1)), the last
 * seasonal set by the normalisation. */
static int init_state(const double *y, size_t n, const hr__ets_form *f, size_t m, double *x0)
{
    size_t maxn;
    double *ysa = malloc(n * sizeof(double));
    if (!ysa) return HR_ENOMEM;
    double *seas0 = x0 + 1 + (f->trend != HR__ETS_N);
    if (f->season != HR__ETS_N) {
        if (n < 4) {
            free(ysa);
            return HR_EDATA;
        }
        int rc = seasonal_component(y, n, m, f->season, ysa);
        if (rc < 0) {
            free(ysa);
            return rc;
        }
        double sum = 0;
        for (size_t k = 0; k + 1 < m; k++) {
            double v = ysa[m - 1 - k];
            if (f->season == HR__ETS_M) v = fmax(v, 1e-2);
            seas0[k] = v;
            sum += v;
        }
        if (f->season == HR__ETS_M && sum > (double)m) {
            double den = sum + 1e-2 * (double)(m - 1);
            sum = 0;
            for (size_t k = 0; k + 1 < m; k++) sum += (seas0[k] /= den);
        }
        seas0[m - 1] = (f->season == HR__ETS_M ? (double)m : 0.0) - sum;
        for (size_t t = 0; t < n; t++)
            ysa[t] = f->season == HR__ETS_A ? y[t] - ysa[t] : y[t] / fmax(ysa[t], 1e-2);
        maxn = 2 * m > 10 ? 2 * m : 10;
    } else {
        for (size_t t = 0; t < n; t++) ysa[t] = y[t];
        maxn = 10;
    }
    if (maxn > n) maxn = n;
    if (f->trend == HR__ETS_N) {
        double s = 0;
        for (size_t t = 0; t < maxn; t++) s += ysa[t];
        x0[0] = s / (double)maxn;
    } else {
        /* lsfit(1:maxn, ysa[1:maxn]) */
        double mt = ((double)maxn + 1) / 2, my = 0, sxy = 0, sxx = 0;
        for (size_t t = 0; t < maxn; t++) my += ysa[t];
        my /= (double)maxn;
        for (size_t t = 0; t < maxn; t++) {
            double dt = (double)(t + 1) - mt;
            sxy += dt * (ysa[t] - my);
            sxx += dt * dt;
        }
        double b0 = sxx > 0 ? sxy / sxx : 0.0, l0 = my - b0 * mt;
        if (fabs(l0 + b0) < 1e-8) {
            l0 *= 1 + 1e-3;
            b0 *= 1 - 1e-3;
        }
        x0[0] = l0;
        x0[1] = b0;
    }
    free(ysa);
    for (size_t i = 0; i < hr__ets_nstate(f, m); i++)
        if (!isfinite(x0[i])) return HR_EDATA;
    return 0;
}

/* ---- the criterion -------------------------------------------------------------- */

typedef struct ets_ctx {
    const double *y;
    size_t n, m;
    hr__ets_form form;
    size_t ipar;          /* index of l0 in the search vector */
    double *seas;         /* ring scratch [m] */
    const double *frozen; /* seasonal states held at the heuristic (R order, [m]),
                             or NULL when they are searched */
    hr__ets_par adm_par;  /* last parameters tested for admissibility */
    bool adm_ok, adm_valid;
} ets_ctx;

/* Search vector -> parameters (see the header comment). */
static void decode_par(const ets_ctx *c, const double *x, hr__ets_par *par)
{
    size_t i = 0;
    par->alpha = x[i++];
    par->beta = 0;
    par->gamma = 0;
    par->phi = 1;
    if (c->form.trend != HR__ETS_N)
        par->beta = PAR_LO + x[i++] * (fmin(PAR_HI, par->alpha) - PAR_LO);
    if (c->form.season != HR__ETS_N)
        par->gamma = PAR_LO + x[i++] * (fmin(PAR_HI, 1 - par->alpha) - PAR_LO);
    if (c->form.damped) par->phi = x[i++];
}

/* Free initial states of the search vector -> full R-ordered x0. */
static void decode_state(const ets_ctx *c, const double *x, double *x0)
{
    size_t ns = hr__ets_nstate(&c->form, c->m);
    size_t nfree = c->form.season != HR__ETS_N ? ns - 1 : ns;
    if (c->frozen) {
        size_t s0 = 1 + (c->form.trend != HR__ETS_N);
        memcpy(x0, x + c->ipar, s0 * sizeof(double));
        memcpy(x0 + s0, c->frozen, c->m * sizeof(double));
        return;
    }
    memcpy(x0, x + c->ipar, nfree * sizeof(double));
    if (c->form.season != HR__ETS_N) {
        size_t s0 = 1 + (c->form.trend != HR__ETS_N);
        double sum = 0;
        for (size_t k = s0; k < nfree; k++) sum += x0[k];
        x0[ns - 1] = (c->form.season == HR__ETS_M ? (double)c->m : 0.0) - sum;
    }
}

/* Search vector -> parameters and starting state (ring in c->seas).
 * False when x is outside the admissible region or R's state checks. */
static bool setup(ets_ctx *c, const double *x, hr__ets_par *par, double *l, double *b)
{
    decode_par(c, x, par);
    /* Most Jacobian columns move a state only: the test is cached. */
    if (!c->adm_valid || memcmp(&c->adm_par, par, sizeof *par) != 0) {
        c->adm_par = *par;
        c->adm_ok = hr__ets_admissible(&c->form, par, c->m);
        c->adm_valid = true;
    }
    if (!c->adm_ok) return false;
    *l = x[c->ipar];
    *b = c->form.trend != HR__ETS_N ? x[c->ipar + 1] : 0.0;
    size_t m = c->m;
    if (c->frozen) {
        for (size_t k = 0; k < m; k++) c->seas[k] = c->frozen[m - 1 - k];
    } else if (c->form.season != HR__ETS_N) {
        /* Ring: seas[k] = s_{k-(m-1)}; the free states are s_0 .. s_-(m-2). */
        const double *fs = x + c->ipar + 1 + (c->form.trend != HR__ETS_N);
        double sum = 0;
        for (size_t k = 0; k + 1 < m; k++) {
            c->seas[m - 1 - k] = fs[k];
            sum += fs[k];
        }
        c->seas[0] = (c->form.season == HR__ETS_M ? (double)m : 0.0) - sum;
    }
    if (c->form.season == HR__ETS_M)
        for (size_t k = 0; k < m; k++)
            if (c->seas[k] < 0) return false;
    return true;
}

/* R's criterion (lik) at x; INFINITY when infeasible. */
static double objective(const double *x, void *ud)
{
    ets_ctx *c = ud;
    hr__ets_par par;
    double l, b;
    if (!setup(c, x, &par, &l, &b)) return INFINITY;
    hr__ets_sums s = {0};
    if (run_fast(&c->form, &par, c->y, c->n, &l, &b, c->seas, c->m, &s) < 0) return INFINITY;
    return hr__ets_lik(&c->form, &s);
}

/* The same criterion as a sum of squares: lik = n log S with
 *     S = sum_t r_t^2,  r_t = e_t G,  G = (prod_t |yhat_t|)^(1/n)
 * (G = 1 for additive error). Writes r[0..n); INFINITY when infeasible. */
static double residuals(ets_ctx *c, const double *x, double *r)
{
    hr__ets_par par;
    double l, b;
    if (!setup(c, x, &par, &l, &b)) return INFINITY;
    hr__ets_sums s = {0};
    if (run_fitted(&c->form, &par, c->y, c->n, &l, &b, c->seas, c->m, &s, r) < 0) return INFINITY;
    const double *y = c->y;
    size_t n = c->n;
    if (c->form.error == HR__ETS_A) {
        for (size_t t = 0; t < n; t++) r[t] = y[t] - r[t];
        return s.sse_e;
    }
    double g = exp(s.sumlog / (double)n);
    if (!isfinite(g) || !(g > 0)) return INFINITY;
    for (size_t t = 0; t < n; t++) r[t] = (y[t] - r[t]) / r[t] * g;
    return s.sse_e * g * g;
}

/* Dot product with four independent sums (the single-sum loop is bound by
 * the latency of the additions). */
static double dot(const double *a, const double *b, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t t = 0;
    for (; t + 4 <= n; t += 4) {
        s0 += a[t] * b[t];
        s1 += a[t + 1] * b[t + 1];
        s2 += a[t + 2] * b[t + 2];
        s3 += a[t + 3] * b[t + 3];
    }
    for (; t < n; t++) s0 += a[t] * b[t];
    return (s0 + s1) + (s2 + s3);
}

/* Cholesky solve of the d x d SPD system A z = rhs (A overwritten). */
static bool cholesky_solve(double *A, double *z, size_t d)
{
    for (size_t j = 0; j < d; j++) {
        double s = A[j * d + j];
        for (size_t k = 0; k < j; k++) s -= A[j * d + k] * A[j * d + k];
        if (!(s > 0)) return false;
        s = sqrt(s);
        A[j * d + j] = s;
        for (size_t i = j + 1; i < d; i++) {
            double v = A[i * d + j];
            for (size_t k = 0; k < j; k++) v -= A[i * d + k] * A[j * d + k];
            A[i * d + j] = v / s;
        }
    }
    for (size_t i = 0; i < d; i++) {
        double v = z[i];
        for (size_t k = 0; k < i; k++) v -= A[i * d + k] * z[k];
        z[i] = v / A[i * d + i];
    }
    for (size_t i = d; i-- > 0;) {
        double v = z[i];
        for (size_t k = i + 1; k < d; k++) v -= A[k * d + i] * z[k];
        z[i] = v / A[i * d + i];
    }
    return true;
}

/* Levenberg-Marquardt on S(x) with a forward-difference Jacobian, the
 * smoothing coordinates kept in their box by projection. x is improved in
 * place; returns the final S (INFINITY if x was infeasible, NAN when out
 * of memory). */
static double levenberg_marquardt(ets_ctx *c, double *x, size_t dim, const double *lo,
                                  const double *hi, const double *typ, int max_iter)
{
    size_t n = c->n;
    double *base = malloc((n * (dim + 2)) * sizeof(double));
    if (!base) return NAN;
    double *r = base, *rt = base + n, *J = base + 2 * n;
    double A[HR_OPTIM_MAXDIM * HR_OPTIM_MAXDIM], A2[HR_OPTIM_MAXDIM * HR_OPTIM_MAXDIM];
    double g[HR_OPTIM_MAXDIM], z[HR_OPTIM_MAXDIM], xt[HR_OPTIM_MAXDIM];
    double S = residuals(c, x, r), lambda = 1e-3;
    for (int it = 0; it < max_iter && isfinite(S) && S > 0; it++) {
        memcpy(xt, x, dim * sizeof(double));
        for (size_t j = 0; j < dim; j++) {
            double h = 1e-6 * (fabs(x[j]) + typ[j]);
            double *col = J + j * n;
            xt[j] = x[j] + h;
            if (xt[j] > hi[j]) xt[j] = x[j] - h;
            double Sj = residuals(c, xt, col);
            if (!isfinite(Sj)) {
                xt[j] = x[j] - h;
                Sj = x[j] - h >= lo[j] ? residuals(c, xt, col) : INFINITY;
            }
            double dh = xt[j] - x[j];
            xt[j] = x[j];
            if (!isfinite(Sj)) {
                memset(col, 0, n * sizeof(double));
                continue;
            }
            for (size_t t = 0; t < n; t++) col[t] = (col[t] - r[t]) / dh;
        }
        for (size_t i = 0; i < dim; i++) {
            const double *ci = J + i * n;
            g[i] = dot(ci, r, n);
            for (size_t j = 0; j <= i; j++) A[i * dim + j] = A[j * dim + i] = dot(ci, J + j * n, n);
        }
        bool accepted = false;
        double gain = 0;
        for (int tries = 0; tries < 12 && !accepted; tries++) {
            memcpy(A2, A, dim * dim * sizeof(double));
            for (size_t i = 0; i < dim; i++) {
                double dgn = A[i * dim + i];
                A2[i * dim + i] = dgn + lambda * (dgn > 1e-300 ? dgn : 1.0);
                z[i] = -g[i];
            }
            /* Coordinates held at a bound by the gradient stay there: their
             * rows and columns drop out of the system. */
            for (size_t i = 0; i < dim; i++) {
                if (!((x[i] <= lo[i] && g[i] > 0) || (x[i] >= hi[i] && g[i] < 0))) continue;
                for (size_t k = 0; k < dim; k++) A2[i * dim + k] = A2[k * dim + i] = 0;
                A2[i * dim + i] = 1;
                z[i] = 0;
            }
            if (!cholesky_solve(A2, z, dim)) {
                lambda *= 10;
                continue;
            }
            /* A step through the admissibility wall is shortened first. */
            double St = INFINITY;
            for (double frac = 1; frac > 0.01 && !isfinite(St); frac *= 0.3) {
                for (size_t i = 0; i < dim; i++) {
                    xt[i] = x[i] + frac * z[i];
                    if (xt[i] < lo[i]) xt[i] = lo[i];
                    if (xt[i] > hi[i]) xt[i] = hi[i];
                }
                St = residuals(c, xt, rt);
            }
            if (St < S) {
                gain = (S - St) / S;
                memcpy(x, xt, dim * sizeof(double));
                S = St;
                double *sw = r;
                r = rt;
                rt = sw;
                lambda = fmax(lambda / 5, 1e-12);
                accepted = true;
            } else {
                lambda *= 8;
            }
        }
        if (!accepted || gain < 1e-12) break;
    }
    free(base);
    return S;
}

/* ---- estimation ------------------------------------------------------------------ */

int hr__ets_estimate(const double *y, size_t n, const hr__ets_form *f, size_t m, hr__ets_fit *fit)
{
    if (f->season == HR__ETS_N) m = 1;
    size_t ns = hr__ets_nstate(f, m);
    size_t nsmooth = 1 + (f->trend != HR__ETS_N) + (f->season != HR__ETS_N) + f->damped;
    size_t nfree = f->season != HR__ETS_N ? ns - 1 : ns;
    size_t dim = nsmooth + nfree;
    bool freeze = false;
    if (dim > HR_OPTIM_MAXDIM) {
        /* A long explicit season: more states than the simplex can search.
         * The seasonal states stay at the heuristic start; the smoothing
         * parameters, level and trend are estimated. */
        freeze = true;
        nfree = 1 + (f->trend != HR__ETS_N);
        dim = nsmooth + nfree;
    }

    double *work = malloc((m + ns) * sizeof(double));
    if (!work) return HR_ENOMEM;
    ets_ctx c = {.y = y, .n = n, .m = m, .form = *f, .ipar = nsmooth, .seas = work};
    double *x0 = work + m;
    int rc = init_state(y, n, f, m, x0);
    if (rc < 0) {
        free(work);
        return rc;
    }
    if (freeze) c.frozen = x0 + nfree;

    /* R's initparam, in the search coordinates. */
    double x[HR_OPTIM_MAXDIM], lo[HR_OPTIM_MAXDIM], hi[HR_OPTIM_MAXDIM], st[HR_OPTIM_MAXDIM];
    size_t i = 0;
    x[i] = PAR_LO + 0.2 * (PAR_HI - PAR_LO) / (double)m;
    lo[i] = PAR_LO, hi[i] = PAR_HI, st[i++] = 0.1;
    if (f->trend != HR__ETS_N) x[i] = 0.1, lo[i] = 0, hi[i] = 1, st[i++] = 0.1;
    if (f->season != HR__ETS_N) x[i] = 0.05, lo[i] = 0, hi[i] = 1, st[i++] = 0.1;
    if (f->damped)
        x[i] = PHI_LO + 0.99 * (PHI_HI - PHI_LO), lo[i] = PHI_LO, hi[i] = PHI_HI, st[i++] = 0.05;

    /* State steps: a tenth of the spread of the data (level, additive
     * seasonals), of the spread per step (trend), 0.05 (seasonal indices). */
    double mean = 0, var = 0;
    for (size_t t = 0; t < n; t++) mean += y[t];
    mean /= (double)n;
    for (size_t t = 0; t < n; t++) var += (y[t] - mean) * (y[t] - mean);
    double sd = sqrt(var / (double)n);
    if (!(sd > 0)) sd = fmax(fabs(mean) * 1e-3, 1e-8);
    for (size_t k = 0; k < nfree; k++, i++) {
        x[i] = x0[k];
        lo[i] = -INFINITY;
        hi[i] = INFINITY;
        bool is_season = k >= 1 + (size_t)(f->trend != HR__ETS_N);
        if (k == 0)
            st[i] = 0.1 * sd;
        else if (!is_season)
            st[i] = 0.01 * sd;
        else
            st[i] = f->season == HR__ETS_M ? 0.05 : 0.1 * sd;
    }

    double best = objective(x, &c);
    if (!isfinite(best)) {
        /* The heuristic start can be infeasible for multiplicative forms. */
        free(work);
        return HR_ECONVERGE;
    }
    /* Levenberg-Marquardt does the bulk of the joint search; Nelder-Mead
     * (R's optimiser) then polishes, which also copes with the walls
     * (bounds, admissibility) where the Jacobian step stalls. */
    double typ[HR_OPTIM_MAXDIM];
    memcpy(typ, st, dim * sizeof(double));
    double S = levenberg_marquardt(&c, x, dim, lo, hi, typ, 60);
    if (isnan(S)) {
        free(work);
        return HR_ENOMEM;
    }
    best = objective(x, &c);
    for (size_t k = 0; k < dim; k++) st[k] *= 0.1;
    hr__nm_opts o = {.max_evals = 30 * dim, .ftol = 1e-10, .steps = st};
    for (int round = 0; round < 2; round++) {
        double fx;
        int ev = hr__nelder_mead(objective, &c, x, dim, lo, hi, &o, &fx);
        if (ev < 0) {
            free(work);
            return ev;
        }
        double gain = best - fx;
        if (fx < best) best = fx;
        if (!(gain > 1e-6 * (fabs(best) + 1))) break;
    }
    decode_par(&c, x, &fit->par);
    decode_state(&c, x, fit->x0);
    free(work);
    fit->form = *f;
    fit->m = m;
    fit->nparams = hr__ets_nparams(f, m);
    fit->lik = best;
    double np = fit->nparams + 1, nd = (double)n;
    double aic = best + 2 * np;
    fit->aicc = nd - np - 1 > 0 ? aic + 2 * np * (np + 1) / (nd - np - 1) : INFINITY;
    return isfinite(best) ? 0 : HR_ECONVERGE;
}
