/* The solver portfolio of `headroom roadef` and `headroom place`:
 * hr_roadef_solve on several threads with different seeds and
 * late-acceptance histories, the best result kept. */
#ifndef HR_CLI_PLAN_PORTFOLIO_H
#define HR_CLI_PLAN_PORTFOLIO_H

#include <headroom/plan.h>

#define CLI_PORTFOLIO_MAX_THREADS 64

typedef struct cli_portfolio {
    size_t threads;      /* 1 .. CLI_PORTFOLIO_MAX_THREADS */
    hr_roadef_opts opts; /* for every thread; thread i gets seed opts.seed + i */
    uint64_t lahc_even;  /* history of even threads (0: the library's default) */
    uint64_t lahc_odd;   /* history of odd threads */
    const char *who;     /* names warnings: "roadef", "place" */
} cli_portfolio;

typedef struct cli_portfolio_result {
    hr_roadef_cost cost;   /* of the best thread's assignment */
    hr_roadef_stats stats; /* summed over the threads (seconds: the longest) */
    size_t started;        /* threads that ran */
} cli_portfolio_result;

/* Solve from `start` (a valid assignment, in->nproc values) on pf->threads
 * threads; the best assignment found goes to `best` (may be `start`).
 * A thread that fails is warned about and left out. Returns 0, or
 * HR_ENOMEM / HR_ESTATE (no thread finished: `best` untouched, err set). */
int cli_portfolio_solve(const cli_portfolio *pf, const hr_roadef *in, const int32_t *m0,
                        const int32_t *start, int32_t *best, cli_portfolio_result *res,
                        hr_error *err);

#endif
