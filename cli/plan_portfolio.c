/* The solver portfolio shared by `headroom roadef` and `headroom place`. */
#include "cli/plan_portfolio.h"

#include "cli/cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct job {
    const hr_roadef *in;
    const int32_t *m0;
    int32_t *assign;
    hr_roadef_opts opts;
    hr_roadef_cost cost;
    hr_roadef_stats stats;
    hr_error err;
    int rc;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    j->rc = hr_roadef_solve(j->in, j->m0, j->assign, &j->opts, &j->cost, &j->stats, &j->err);
    return NULL;
}

static void add_stats(hr_roadef_stats *sum, const hr_roadef_stats *s)
{
    sum->iters += s->iters;
    sum->moves += s->moves;
    sum->shifts += s->shifts;
    sum->swaps += s->swaps;
    sum->chains += s->chains;
    sum->lns_runs += s->lns_runs;
    sum->lns_improved += s->lns_improved;
    sum->peeks += s->peeks;
    if (s->seconds > sum->seconds) sum->seconds = s->seconds;
}

int cli_portfolio_solve(const cli_portfolio *pf, const hr_roadef *in, const int32_t *m0,
                        const int32_t *start, int32_t *best, cli_portfolio_result *res,
                        hr_error *err)
{
    struct job jobs[CLI_PORTFOLIO_MAX_THREADS];
    pthread_t tid[CLI_PORTFOLIO_MAX_THREADS];
    size_t n = pf->threads < CLI_PORTFOLIO_MAX_THREADS ? pf->threads : CLI_PORTFOLIO_MAX_THREADS;
    size_t started = 0;
    memset(jobs, 0, sizeof jobs);
    memset(res, 0, sizeof *res);
    for (size_t i = 0; i < n; i++) {
        struct job *j = &jobs[i];
        j->in = in;
        j->m0 = m0;
        j->assign = malloc((size_t)in->nproc * sizeof *j->assign);
        if (!j->assign) break;
        memcpy(j->assign, start, (size_t)in->nproc * sizeof *j->assign);
        j->opts = pf->opts;
        j->opts.seed = pf->opts.seed + i;
        j->opts.lahc_len = i % 2 ? pf->lahc_odd : pf->lahc_even;
        if (pthread_create(&tid[i], NULL, run_job, j) != 0) {
            free(j->assign);
            break;
        }
        started++;
    }
    for (size_t i = 0; i < started; i++) pthread_join(tid[i], NULL);
    struct job *b = NULL;
    for (size_t i = 0; i < started; i++) {
        if (jobs[i].rc < 0) {
            cli_warn("%s: thread %zu: %s", pf->who, i, hr_error_message(&jobs[i].err));
            continue;
        }
        add_stats(&res->stats, &jobs[i].stats);
        if (!b || jobs[i].cost.total < b->cost.total) b = &jobs[i];
    }
    int rc = 0;
    if (b) {
        memcpy(best, b->assign, (size_t)in->nproc * sizeof *best);
        res->cost = b->cost;
    } else {
        rc = hr_error_set(err, started ? HR_ESTATE : HR_ENOMEM, "%s: no search thread finished",
                          pf->who);
    }
    res->started = started;
    for (size_t i = 0; i < started; i++) free(jobs[i].assign);
    return rc;
}
