/* headroom/plan.h - placement and relocation: the ROADEF/EURO 2012 machine
 * reassignment problem, its checker, an anytime solver and migration plans.
 *
 * The solver works on hr_roadef, a flat, cache-friendly copy of the problem
 * (dense arrays indexed by process, machine, resource). It is read from the
 * challenge's files (reference/roadef2012.md sec. 2-3) or built from a fleet
 * (hr_roadef_from_fleet). Vocabulary follows the challenge: a *process* is a
 * workload, a *machine* a host.
 *
 * Every function here is reentrant: distinct instances or solver calls may
 * run on distinct threads at once (an hr_roadef is read-only once built and
 * may be shared by several concurrent solves). The library starts no
 * threads; callers run several seeds on their own threads. With opts.lns,
 * each CBC sub-MIP runs in a child process (fork) that the solver waits for
 * (at most its time cap plus half of it, at most one second more, or until
 * *stop; then it is killed).
 */
#ifndef HEADROOM_PLAN_H
#define HEADROOM_PLAN_H

#include "common.h"
#include "error.h"
#include "fleet.h"

#include <stdatomic.h>

/* Limits checked by the readers (HR_ELIMIT past them). The challenge's own
 * bounds are 20 resources, 5,000 machines, 50,000 processes and services,
 * 10 balance objectives, 5,000 dependencies per service. */
#define HR_ROADEF_MAX_RESOURCES 64
#define HR_ROADEF_MAX_MACHINES  8192 /* the move-cost matrix is dense */
#define HR_ROADEF_MAX_PROCESSES 1000000
#define HR_ROADEF_MAX_SERVICES  1000000
#define HR_ROADEF_MAX_DEPS      5000 /* per service */
#define HR_ROADEF_MAX_BALANCES  16
#define HR_ROADEF_MAX_VALUE     INT32_MAX /* every number in the files */
#define HR_ROADEF_MAX_FILE      ((size_t)1 << 30)

typedef struct hr_roadef_balance {
    int32_t r1, r2;
    int64_t target, weight;
} hr_roadef_balance;

/* One instance. All arrays are owned by it (free with hr_roadef_free). */
typedef struct hr_roadef {
    int32_t nres, nmach, nserv, nproc, nbal;
    int32_t nneigh, nloc;   /* 1 + the largest index used */
    uint8_t *transient;     /* [nres] */
    int64_t *wload;         /* [nres] weightLoadCost */
    int32_t *neigh, *loc;   /* [nmach] */
    int64_t *cap, *safety;  /* [nmach * nres] */
    int32_t *mmc;           /* [nmach * nmach] machine move cost, from * nmach + to */
    int32_t *spread_min;    /* [nserv] */
    int32_t *dep_start;     /* [nserv + 1]: deps of s are deps[dep_start[s] .. dep_start[s+1]) */
    int32_t *deps;          /* services depended on */
    int32_t *serv;          /* [nproc] service of each process */
    int64_t *req;           /* [nproc * nres] requirements */
    int64_t *pmc;           /* [nproc] process move cost */
    hr_roadef_balance *bal; /* [nbal] */
    int64_t w_pmc, w_smc, w_mmc;
    /* Derived by the readers / hr_roadef_finish: processes of each service. */
    int32_t *sp_start; /* [nserv + 1] */
    int32_t *sp;       /* [nproc] process ids grouped by service, ascending */
    /* From a fleet: the last nlabel_res resources encode required labels
     * (demand 1; capacity nproc on hosts with the label, 0 elsewhere). */
    int32_t nlabel_res;
} hr_roadef;

/* Parse a model file (sec. 2 of reference/roadef2012.md: whitespace-separated
 * non-negative integers). `name` labels messages. Errors name the file,
 * line, column and field, e.g.
 *     model.txt:7:12: machine 3: capacity[1]: "-5" is negative
 * HR_EPARSE (malformed, truncated, trailing data, index out of range),
 * HR_ERANGE (a value above 2^31-1), HR_ELIMIT (a count above the limits),
 * HR_ENOMEM. On success *out is a new instance (hr_roadef_free). */
HR_EXPORT int hr_roadef_parse_model(const char *buf, size_t len, const char *name, hr_roadef **out,
                                    hr_error *err);
HR_EXPORT int hr_roadef_read_model(const char *path, hr_roadef **out, hr_error *err);
/* NULL-safe. */
HR_EXPORT void hr_roadef_free(hr_roadef *in);

/* Parse an assignment (exactly in->nproc machine indices) into a new array
 * *out (free() it). HR_EPARSE names file:line:col and the process. */
HR_EXPORT int hr_roadef_parse_assignment(const hr_roadef *in, const char *buf, size_t len,
                                         const char *name, int32_t **out, hr_error *err);
HR_EXPORT int hr_roadef_read_assignment(const hr_roadef *in, const char *path, int32_t **out,
                                        hr_error *err);
/* Write an assignment in the official format (one line, space-separated)
 * atomically to `path`. HR_EIO, HR_ENOMEM, HR_EINVAL (index out of range). */
HR_EXPORT int hr_roadef_write_assignment(const hr_roadef *in, const int32_t *assign,
                                         const char *path, hr_error *err);

/* ---- checking ------------------------------------------------------------------ */

/* The five cost terms, each already multiplied by its weight (sec. 5). */
typedef struct hr_roadef_cost {
    int64_t load, balance, process_move, service_move, machine_move;
    int64_t total;
} hr_roadef_cost;

typedef enum hr_roadef_viol_kind {
    HR_VIOL_CAPACITY,   /* a = machine, b = resource, amount = usage - capacity */
    HR_VIOL_TRANSIENT,  /* a = machine, b = resource, amount = transient usage - capacity */
    HR_VIOL_CONFLICT,   /* a = service, b = machine, amount = processes of a on b */
    HR_VIOL_SPREAD,     /* a = service, amount = locations used, b = spreadMin */
    HR_VIOL_DEPENDENCY, /* a = process, b = service depended on, amount = neighbourhood */
} hr_roadef_viol_kind;

typedef struct hr_roadef_viol {
    hr_roadef_viol_kind kind;
    int32_t a, b;
    int64_t amount;
} hr_roadef_viol;

#define HR_ROADEF_MAX_VIOLS 100000 /* violations kept; more are only counted */

typedef struct hr_roadef_report {
    hr_roadef_cost cost;
    size_t nviol;         /* violations found (all of them) */
    size_t nkept;         /* violations in viol[] (<= HR_ROADEF_MAX_VIOLS) */
    hr_roadef_viol *viol; /* malloc'ed, release with hr_roadef_report_release */
} hr_roadef_report;

/* Check `assign` against the initial assignment `m0`: capacity (transient
 * aware), conflict, spread, dependency (every violation, in that order),
 * and the cost terms (computed even when invalid). Both arrays must hold
 * in->nproc machine indices in range (HR_EINVAL otherwise). Returns the
 * number of violations (0 = valid) or HR_ENOMEM / HR_EINVAL. */
HR_EXPORT int hr_roadef_check(const hr_roadef *in, const int32_t *m0, const int32_t *assign,
                              hr_roadef_report *rep, hr_error *err);
HR_EXPORT void hr_roadef_report_release(hr_roadef_report *rep);
/* One violation in words: "machine 3: resource 1 over capacity by 12". */
HR_EXPORT int hr_roadef_viol_format(const hr_roadef_viol *v, char *buf, size_t size);
/* The aggregate lower bound of sec. 5 (all machines pooled). */
HR_EXPORT int64_t hr_roadef_lower_bound(const hr_roadef *in);

/* ---- solving ------------------------------------------------------------------- */

typedef struct hr_roadef_opts {
    uint64_t seed;
    double deadline_sec;  /* hr_clock_sec() value at which to stop; 0 = none */
    uint64_t max_iters;   /* local-search moves tried; 0 = unlimited */
    atomic_int *stop;     /* stop when *stop != 0 (e.g. set on SIGTERM); may be NULL */
    bool lns;             /* run CBC sub-MIPs between local-search rounds */
    double lns_sub_sec;   /* time cap per sub-MIP (0 = 1 s) */
    int32_t lns_machines; /* machines per sub-problem (0 = automatic: 2 .. 8, from 4,
                             fewer after sub-MIPs that hit their cap, more after
                             quick improving ones) */
    /* Late-acceptance history length in move attempts (0 = 2000, at most
     * 4,000,000). Long histories (1e5 .. 1e6) explore more, which pays on
     * tightly packed instances; short ones descend faster. With a deadline,
     * the last 15 % of the time is a descent from the best state found with
     * a short history. */
    uint64_t lahc_len;
    /* With a history longer than 2000: move attempts between peeks, short
     * descents (2000-attempt history, a tenth of this many attempts) from
     * the exploring state whose best is kept before the exploring state and
     * its history are restored (0 = 20,000,000). A long history keeps the
     * exploring state well above the local optima it passes; peeks collect
     * them. */
    uint64_t peek_every;
    /* Called (from the solving thread) with each new best cost; may be NULL. */
    void (*on_improve)(int64_t cost, void *ud);
    void *ud;
} hr_roadef_opts;

typedef struct hr_roadef_stats {
    uint64_t iters, moves, shifts, swaps;
    uint64_t chains; /* ejection chains (q: m2 -> m3, then p: m1 -> m2) */
    uint64_t lns_runs, lns_improved;
    uint64_t peeks; /* descents from the exploring state (long histories) */
    double seconds;
} hr_roadef_stats;

/* Improve `assign` (in: a valid assignment, usually m0; out: the best one
 * found, never worse than the input and always valid) until the deadline,
 * the iteration limit or *stop. Deterministic for a given seed when bounded
 * by max_iters only. HR_EINVAL if the input assignment is invalid, HR_ENOMEM.
 * *cost receives the final cost (may be NULL), *stats the counters (may be
 * NULL). */
HR_EXPORT int hr_roadef_solve(const hr_roadef *in, const int32_t *m0, int32_t *assign,
                              const hr_roadef_opts *opts, hr_roadef_cost *cost,
                              hr_roadef_stats *stats, hr_error *err);

/* Whether this build can run CBC sub-MIPs (opts.lns). */
HR_EXPORT bool hr_roadef_have_cbc(void);

/* ---- fleets and migration plans ---------------------------------------------------- */

/* Build an instance from a fleet (which must validate): hosts are
 * machines, workloads processes, and:
 * - a service is a ROADEF service (its workloads on distinct hosts) when it
 *   asks for distinct hosts, has spread_min > 1, is depended upon or has
 *   one workload; any other service is split, each workload a service of
 *   its own with the service's dependencies, so they may share hosts
 *   (the service move cost then counts them separately);
 * - an anti-affinity group is a service of its own for workloads without
 *   a service; with a service, the group must lie inside that service and
 *   the service ask for distinct hosts (HR_ENOTSUP otherwise);
 * - each label some workload requires is an extra resource (see
 *   nlabel_res), so placements respect required labels exactly;
 * - hosts without a location / neighbourhood get location /
 *   neighbourhood 0; hosts that are off are placeable.
 * HR_ENOTSUP also when a kept service that does not ask for distinct hosts
 * has workloads sharing a host now. *m0 receives the current placement
 * (free() it), -1 for a workload that is not placed (see hr_roadef_start). */
HR_EXPORT int hr_roadef_from_fleet(const hr_fleet *f, hr_roadef **out, int32_t **m0, hr_error *err);

/* A valid starting assignment `start` from `m0` (in/out). Processes with
 * m0[p] < 0 (not placed) are placed greedily, largest first, each on the
 * host where it adds the least cost among those keeping every constraint,
 * and m0[p] is set to that host (a first placement is not a move).
 * HR_EDATA when m0 itself violates a constraint (the message names the
 * first violation) or a process fits nowhere (named), HR_ENOMEM, HR_EINVAL.
 * `start` receives in->nproc machine indices. */
HR_EXPORT int hr_roadef_start(const hr_roadef *in, int32_t *m0, int32_t *start, hr_error *err);
/* As hr_roadef_start, but when today's placement m0 violates a constraint
 * it is repaired instead of refused: what is valid stays, and processes
 * that break a constraint are taken off their machine and placed again
 * with the unplaced ones (capacity or a missing label: the largest
 * processes of the machine over capacity leave until it fits; conflict:
 * all but one process of the service on that machine; spread: all but
 * one per location; dependency: the process lacking the service in its
 * neighbourhood). repaired[p] (in->nproc bytes) receives 0 for a process
 * left alone, else 1 + the hr_roadef_viol_kind that moved it; m0[p] of a
 * repaired process becomes its new machine, as for a first placement (a
 * repair is not counted as a move in the costs). HR_EDATA when even the
 * repaired placement violates a constraint or a process fits nowhere. */
HR_EXPORT int hr_roadef_start_repair(const hr_roadef *in, int32_t *m0, int32_t *start,
                                     uint8_t *repaired, hr_error *err);

typedef enum hr_move_reason {
    HR_REASON_TARGET, /* the workload's host differs in the target placement */
    HR_REASON_PARK,   /* temporary move to free room for another move */
    HR_REASON_UNPARK, /* from its parking host to its target */
} hr_move_reason;

typedef struct hr_move {
    int32_t process, from, to;
    int32_t step; /* moves of one step run concurrently */
    int64_t cost; /* weighted process + machine move cost of this move */
    hr_move_reason reason;
    int32_t blocker; /* HR_REASON_PARK: the process whose move needed the room; else -1 */
} hr_move;

typedef struct hr_migration {
    hr_move *moves;
    size_t nmoves;
    int32_t nsteps;
    size_t nparked; /* moves with reason HR_REASON_PARK */
} hr_migration;

/* An ordered list of moves from `from` to `to` such that after every step
 * each machine's usage (plus, for transient resources, what moved processes
 * still hold on the machines they left) is within capacity, conflict
 * constraints hold in every intermediate state, and no machine takes part
 * in more than `per_host` moves (in or out) in one step (0 = unlimited).
 * Moves that cannot go directly are parked on a machine with room and moved
 * on later. HR_EDATA when no order is found (the message names a stuck
 * process), HR_EINVAL, HR_ENOMEM. Release with hr_migration_release. */
HR_EXPORT int hr_migration_plan(const hr_roadef *in, const int32_t *from, const int32_t *to,
                                int32_t per_host, hr_migration *out, hr_error *err);
HR_EXPORT void hr_migration_release(hr_migration *mg);

/* "target", "park", "unpark". */
HR_EXPORT const char *hr_move_reason_name(hr_move_reason r);

#endif
