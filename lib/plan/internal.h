/* lib/plan internals shared by the readers, the checker and the solver. */
#ifndef HR_PLAN_INTERNAL_H
#define HR_PLAN_INTERNAL_H

#include <headroom/plan.h>

/* calloc(n, size) with the product overflow-checked; n == 0 allocates one. */
void *hr__plan_calloc(size_t n, size_t size);
/* Derive sp_start/sp, nneigh, nloc once the raw arrays are filled. */
int hr__roadef_finish(hr_roadef *in, hr_error *err);
/* Usage U[m * nres + r] of `assign` (nmach * nres values). */
void hr__roadef_usage(const hr_roadef *in, const int32_t *assign, int64_t *u);
/* Load + balance cost of one machine with usage u[nres]. */
int64_t hr__roadef_machine_cost(const hr_roadef *in, int32_t m, const int64_t *u);

/* xoshiro256** (hr__rng, hr__rng_seed, hr__rng_next) shared with the forecast models. */
#include "forecast/internal.h"
/* Uniform in [0, n), n > 0. */
static inline uint32_t hr__rng_below(hr__rng *g, uint32_t n)
{
    return (uint32_t)(((hr__rng_next(g) >> 32) * (uint64_t)n) >> 32);
}

#ifdef HR_HAVE_CBC
/* One LNS step: re-place the processes of machines mach[0..k) exactly with
 * CBC (capped at sub_sec seconds, in a child process; given up when *stop
 * is set, stop may be NULL) given the rest of `assign` fixed.
 * Writes the improved assignment into assign and returns 1 when the sub-MIP
 * found a strictly better valid solution, 0 when not, negative on error. */
int hr__lns_solve(const hr_roadef *in, const int32_t *m0, int32_t *assign, const int32_t *mach,
                  int32_t k, double sub_sec, atomic_int *stop, hr_error *err);
#endif

#endif
