/* Migration plans: the ordered, stepwise moves from one placement to
 * another, with ROADEF's semantics inside a step: a moving process holds
 * its transient resources on both its source and its destination until the
 * step completes, and its other resources only on the destination. So a
 * valid ROADEF solution can always be reached in one step when hosts have
 * no concurrency limit; with a limit, steps are built greedily (repeated
 * passes, so that a departure later in the list can make room for an
 * arrival). Conflict constraints hold after every step. When no pending
 * move fits, processes on a blocked destination are parked on the machine
 * with the most room and moved on later. */
#include <headroom/plan.h>
#include <headroom/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/internal.h"
#include "util/banned.h"

typedef struct mig {
    const hr_roadef *in;
    const int32_t *to;
    int32_t *cur;     /* [P] */
    int32_t *stepdst; /* [P] destination in the current step or -1 */
    int64_t *u;       /* [M * R] usage, including arrivals of the current step */
    int32_t *busy;    /* [M] moves touching the machine in the current step */
    int32_t *waitfor; /* [P] a parked process waits for this one to arrive, or -1 */
    uint8_t *blocker; /* [P] some parked process waits for it: goes first */
    int32_t per_host;
    hr_vec moves;
    int32_t step;
    size_t nparked;
} mig;

const char *hr_move_reason_name(hr_move_reason r)
{
    switch (r) {
    case HR_REASON_TARGET:
        return "target";
    case HR_REASON_PARK:
        return "park";
    case HR_REASON_UNPARK:
        return "unpark";
    }
    return "unknown";
}

static bool room(const mig *g, int32_t p, int32_t m)
{
    int32_t R = g->in->nres;
    const int64_t *u = g->u + (size_t)m * R, *c = g->in->cap + (size_t)m * R;
    const int64_t *rq = g->in->req + (size_t)p * R;
    for (int32_t r = 0; r < R; r++)
        if (u[r] + rq[r] > c[r]) return false;
    return true;
}

/* No other process of p's service is on m or arriving there this step. */
static bool no_conflict(const mig *g, int32_t p, int32_t m)
{
    const hr_roadef *in = g->in;
    int32_t s = in->serv[p];
    for (int32_t i = in->sp_start[s]; i < in->sp_start[s + 1]; i++) {
        int32_t q = in->sp[i];
        if (q != p && (g->cur[q] == m || g->stepdst[q] == m)) return false;
    }
    return true;
}

static bool host_free(const mig *g, int32_t m)
{
    return g->per_host <= 0 || g->busy[m] < g->per_host;
}

static int add_move(mig *g, int32_t p, int32_t m, hr_move_reason why, int32_t blocker)
{
    const hr_roadef *in = g->in;
    int32_t R = in->nres, from = g->cur[p];
    hr_move mv = {p, from, m, g->step, 0, why, blocker};
    mv.cost = in->w_pmc * in->pmc[p] + in->w_mmc * in->mmc[(size_t)from * in->nmach + m];
    int rc = hr_vec_push(&g->moves, &mv);
    if (rc < 0) return rc;
    for (int32_t r = 0; r < R; r++) {
        g->u[(size_t)m * R + r] += in->req[(size_t)p * R + r];
        if (!in->transient[r]) g->u[(size_t)from * R + r] -= in->req[(size_t)p * R + r];
    }
    g->stepdst[p] = m;
    g->busy[from]++;
    g->busy[m]++;
    return 0;
}

/* Complete the step: movers leave their sources. */
static void end_step(mig *g, size_t first)
{
    const hr_roadef *in = g->in;
    int32_t R = in->nres;
    for (size_t i = first; i < g->moves.len; i++) {
        const hr_move *mv = hr_vec_at(&g->moves, i);
        for (int32_t r = 0; r < R; r++)
            if (in->transient[r])
                g->u[(size_t)mv->from * R + r] -= in->req[(size_t)mv->process * R + r];
        g->cur[mv->process] = mv->to;
        g->stepdst[mv->process] = -1;
    }
    memset(g->busy, 0, (size_t)in->nmach * sizeof *g->busy);
}

/* Machine with the most room (summed over resources) that can take q. */
static int32_t parking_for(const mig *g, int32_t q, int32_t avoid)
{
    const hr_roadef *in = g->in;
    int32_t R = in->nres, best = -1;
    int64_t best_free = -1;
    for (int32_t h = 0; h < in->nmach; h++) {
        if (h == avoid || h == g->cur[q] || !host_free(g, h) || !room(g, q, h) ||
            !no_conflict(g, q, h))
            continue;
        int64_t fr = 0;
        for (int32_t r = 0; r < R; r++) fr += in->cap[(size_t)h * R + r] - g->u[(size_t)h * R + r];
        if (fr > best_free) {
            best_free = fr;
            best = h;
        }
    }
    return best;
}

/* Park processes from the destination of the blocked move until it has
 * room: the ones covering most of the shortfall first, processes that
 * must leave anyway before the others. Returns 1 when a parking move was
 * added, 0 when none is possible, < 0 on error. */
static int park_for(mig *g, int32_t blocked)
{
    const hr_roadef *in = g->in;
    int32_t R = in->nres, dst = g->to[blocked];
    int64_t need[HR_ROADEF_MAX_RESOURCES];
    const int64_t *rb = in->req + (size_t)blocked * R;
    int added = 0;
    for (int round = 0; round < 64; round++) {
        bool short_any = false;
        for (int32_t r = 0; r < R; r++) {
            /* u has this step's arrivals and non-transient departures */
            int64_t after = g->u[(size_t)dst * R + r] + rb[r];
            if (in->transient[r])
                for (int32_t q = 0; q < in->nproc; q++)
                    if (g->cur[q] == dst && g->stepdst[q] >= 0) after -= in->req[(size_t)q * R + r];
            need[r] = after - in->cap[(size_t)dst * R + r];
            short_any |= need[r] > 0;
        }
        if (!short_any || !host_free(g, dst)) break;
        int32_t best = -1, best_h = -1;
        double best_score = -1;
        for (int32_t q = 0; q < in->nproc; q++) {
            if (g->cur[q] != dst || g->stepdst[q] >= 0 || q == blocked) continue;
            double score = 0;
            for (int32_t r = 0; r < R; r++)
                if (need[r] > 0) {
                    int64_t v = in->req[(size_t)q * R + r];
                    score += (double)(v < need[r] ? v : need[r]) / (double)need[r];
                }
            if (g->to[q] != dst) score += R; /* leaves anyway */
            if (score <= best_score) continue;
            int32_t h = parking_for(g, q, dst);
            if (h < 0) continue;
            best = q;
            best_h = h;
            best_score = score;
        }
        if (best < 0) break;
        int rc = add_move(g, best, best_h, HR_REASON_PARK, blocked);
        if (rc < 0) return rc;
        g->waitfor[best] = blocked;
        g->blocker[blocked] = 1;
        g->nparked++;
        added = 1;
    }
    return added;
}

/* Stuck on a cycle (A -> B while B -> A, machines full): move every
 * pending process the concurrency limit allows at once, as ROADEF does,
 * when the state after the step respects capacities (transient resources
 * held on both sides) and conflicts. Returns 1 when done, 0 when not. */
static int batch(mig *g, const uint8_t *parked)
{
    const hr_roadef *in = g->in;
    int32_t R = in->nres;
    size_t first = g->moves.len;
    for (int32_t p = 0; p < in->nproc; p++) {
        if (g->cur[p] == g->to[p] || g->stepdst[p] >= 0) continue;
        if (!host_free(g, g->cur[p]) || !host_free(g, g->to[p])) continue;
        int rc = add_move(g, p, g->to[p], parked[p] ? HR_REASON_UNPARK : HR_REASON_TARGET, -1);
        if (rc < 0) return rc;
    }
    bool ok = g->moves.len > first;
    for (int32_t m = 0; m < in->nmach && ok; m++)
        for (int32_t r = 0; r < R && ok; r++)
            ok = g->u[(size_t)m * R + r] <= in->cap[(size_t)m * R + r];
    for (size_t i = first; i < g->moves.len && ok; i++) {
        const hr_move *mv = hr_vec_at(&g->moves, i);
        int32_t s = in->serv[mv->process];
        for (int32_t k = in->sp_start[s]; k < in->sp_start[s + 1] && ok; k++) {
            int32_t q = in->sp[k];
            int32_t at = g->stepdst[q] >= 0 ? g->stepdst[q] : g->cur[q];
            ok = q == mv->process || at != mv->to;
        }
    }
    if (ok) return 1;
    while (g->moves.len > first) { /* undo */
        const hr_move *mv = hr_vec_at(&g->moves, g->moves.len - 1);
        for (int32_t r = 0; r < R; r++) {
            g->u[(size_t)mv->to * R + r] -= in->req[(size_t)mv->process * R + r];
            if (!in->transient[r])
                g->u[(size_t)mv->from * R + r] += in->req[(size_t)mv->process * R + r];
        }
        g->stepdst[mv->process] = -1;
        g->busy[mv->from]--;
        g->busy[mv->to]--;
        g->moves.len--;
    }
    return 0;
}

static int plan(mig *g, hr_error *err)
{
    const hr_roadef *in = g->in;
    int32_t P = in->nproc;
    uint8_t *parked = hr__plan_calloc((size_t)P, 1);
    if (!parked) return HR_ENOMEM;
    int rc = 0;
    int64_t max_steps = 4 * (int64_t)P + 16;
    for (;;) {
        size_t first = g->moves.len, pending = 0;
        int32_t stuck = -1;
        for (int32_t p = 0; p < P; p++) pending += g->cur[p] != g->to[p];
        if (!pending) break;
        /* passes: moves that parked processes wait for, then the rest, again
         * while moves are added (a departure may make room) */
        size_t before_pass = g->moves.len;
        for (int64_t k = 0;; k++) {
            if (k == 2 * (int64_t)P) {
                if (g->moves.len == before_pass) break;
                before_pass = g->moves.len;
                k = P;
                stuck = -1;
            }
            int32_t p = (int32_t)(k % P);
            if (g->cur[p] == g->to[p] || g->stepdst[p] >= 0) continue;
            if (k < P && !g->blocker[p]) continue;
            int32_t w = g->waitfor[p];
            if (w >= 0 && g->cur[w] != g->to[w]) continue;
            int32_t m = g->to[p];
            if (host_free(g, g->cur[p]) && host_free(g, m) && room(g, p, m) &&
                no_conflict(g, p, m)) {
                if ((rc = add_move(g, p, m, parked[p] ? HR_REASON_UNPARK : HR_REASON_TARGET, -1)) <
                    0)
                    goto out;
            } else if (stuck < 0 && g->stepdst[p] < 0) {
                stuck = p;
            }
        }
        if (g->moves.len == first) {
            int got = batch(g, parked);
            if (got < 0) {
                rc = got;
                goto out;
            }
            /* nothing fits: park something from a blocked destination */
            for (int32_t p = stuck; p < P && !got && stuck >= 0; p++) {
                if (g->cur[p] == g->to[p]) continue;
                if ((got = park_for(g, p)) < 0) {
                    rc = got;
                    goto out;
                }
            }
            if (!got) {
                rc = hr_error_set(err, HR_EDATA,
                                  "migration: process %d cannot reach machine %d: no move fits and "
                                  "nothing can be parked",
                                  (int)stuck, (int)g->to[stuck]);
                goto out;
            }
            for (size_t i = first; i < g->moves.len; i++) {
                const hr_move *mv = hr_vec_at(&g->moves, i);
                if (mv->reason == HR_REASON_PARK) parked[mv->process] = 1;
            }
        }
        end_step(g, first);
        if (++g->step > max_steps) {
            rc = hr_error_set(err, HR_EDATA, "migration: no plan within %lld steps",
                              (long long)max_steps);
            goto out;
        }
    }
out:
    free(parked);
    return rc;
}

int hr_migration_plan(const hr_roadef *in, const int32_t *from, const int32_t *to, int32_t per_host,
                      hr_migration *out, hr_error *err)
{
    if (!in || !from || !to || !out)
        return hr_error_set(err, HR_EINVAL, "migration: NULL argument");
    for (int32_t p = 0; p < in->nproc; p++)
        if (from[p] < 0 || from[p] >= in->nmach || to[p] < 0 || to[p] >= in->nmach)
            return hr_error_set(err, HR_EINVAL, "migration: process %d: machine out of range",
                                (int)p);
    mig g = {.in = in, .to = to, .per_host = per_host};
    size_t P = (size_t)in->nproc, M = (size_t)in->nmach;
    hr_vec_init(&g.moves, sizeof(hr_move), 0);
    g.cur = hr__plan_calloc(P, sizeof *g.cur);
    g.stepdst = hr__plan_calloc(P, sizeof *g.stepdst);
    g.u = hr__plan_calloc(M * (size_t)in->nres, sizeof *g.u);
    g.busy = hr__plan_calloc(M, sizeof *g.busy);
    g.waitfor = hr__plan_calloc(P, sizeof *g.waitfor);
    g.blocker = hr__plan_calloc(P, 1);
    int rc = HR_ENOMEM;
    if (!g.cur || !g.stepdst || !g.u || !g.busy || !g.waitfor || !g.blocker) goto out;
    memset(g.waitfor, 0xff, P * sizeof *g.waitfor);
    memcpy(g.cur, from, P * sizeof *g.cur);
    memset(g.stepdst, 0xff, P * sizeof *g.stepdst);
    hr__roadef_usage(in, from, g.u);
    rc = plan(&g, err);
    if (rc == 0) {
        out->nmoves = g.moves.len;
        out->moves = hr_vec_steal(&g.moves, NULL);
        out->nsteps = g.step;
        out->nparked = g.nparked;
    }
out:
    if (rc == HR_ENOMEM) hr_error_set(err, rc, "migration: out of memory");
    hr_vec_release(&g.moves);
    free(g.cur);
    free(g.stepdst);
    free(g.u);
    free(g.busy);
    free(g.waitfor);
    free(g.blocker);
    return rc;
}

void hr_migration_release(hr_migration *mg)
{
    if (!mg) return;
    free(mg->moves);
    memset(mg, 0, sizeof *mg);
}
