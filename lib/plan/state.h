/* The solver's incremental state: usages, per-machine costs, the counters
 * that make conflict, spread and dependency checks O(1), and O(resources)
 * evaluation of shift and swap moves. */
#ifndef HR_PLAN_STATE_H
#define HR_PLAN_STATE_H

#include "plan/internal.h"

/* Counts indexed by (service, x): dense when small, else a hash table
 * (linear probing, backward-shift deletion, zero counts removed). */
typedef struct hr__cnt {
    int32_t *dense; /* [nrows * ncols] or NULL */
    int64_t ncols;
    uint64_t *keys; /* key + 1, 0 = empty */
    int32_t *vals;
    size_t mask, len;
    bool oom; /* a growth failed: counts are no longer exact */
} hr__cnt;

typedef struct hr__mlist {
    int32_t *p;
    int32_t len, cap;
} hr__mlist;

typedef struct hr__state {
    const hr_roadef *in;
    const int32_t *m0;
    int32_t *a;                  /* [P] current machine */
    int32_t *pos;                /* [P] index in its machine's list */
    hr__mlist *ml;               /* [M] processes on each machine */
    int64_t *u;                  /* [M * R] usage */
    int64_t *tx;                 /* [M * R] transient: held by processes moved away */
    int64_t *mcost;              /* [M] load + balance cost */
    hr__cnt conf;                /* (service, machine) */
    hr__cnt sloc;                /* (service, location) */
    hr__cnt sneigh;              /* (service, neighbourhood) */
    hr__cnt sat;                 /* (service, neighbourhood): its dependencies present there */
    int32_t *nlocs;              /* [S] locations used */
    int32_t *ndeps;              /* [S] dependencies other than itself */
    int32_t *rdep_start, *rdeps; /* services depending on each service */
    int32_t *moved;              /* [S] processes moved */
    int32_t *mhist;              /* [P + 1] services with moved == k */
    int32_t smax;
    int64_t pm, mm; /* sums of process and machine move costs (unweighted) */
    int64_t cost;   /* total */
} hr__state;

extern int64_t hr__plan_dense_max;

int hr__state_init(hr__state *st, const hr_roadef *in, const int32_t *m0, const int32_t *a);
void hr__state_release(hr__state *st);

/* Cost change of moving p to m (INT64_MAX when capacity or transient
 * usage would be exceeded). Structural constraints are not checked. */
int64_t hr__shift_delta(hr__state *st, int32_t p, int32_t m);
/* Conflict, spread and dependency hold after moving p to m. */
bool hr__shift_ok(const hr__state *st, int32_t p, int32_t m);
/* Move p to m (no checks). HR_ENOMEM when a list could not grow (the state
 * is then unchanged) or a counter table could not (hr__state_oom). */
int hr__shift_apply(hr__state *st, int32_t p, int32_t m);

/* Swap p and q (different services and machines): cost change or
 * INT64_MAX (capacity / transient), and the structural check. */
int64_t hr__swap_delta(hr__state *st, int32_t p, int32_t q);
bool hr__swap_ok(hr__state *st, int32_t p, int32_t q);

static inline bool hr__state_oom(const hr__state *st)
{
    return st->conf.oom || st->sloc.oom || st->sneigh.oom || st->sat.oom;
}

/* Total cost recomputed from scratch (for tests and assertions). */
int64_t hr__state_recost(const hr__state *st);

#endif
