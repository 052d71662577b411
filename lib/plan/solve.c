/* The anytime solver: late-acceptance hill climbing over shift and swap
 * moves, biased towards the costliest machines, with CBC sub-MIPs (lns.c)
 * between rounds when built with CBC. Starts from a valid assignment and
 * keeps every state valid, so the best state seen is always an answer. */
#include <headroom/plan.h>
#include <headroom/util.h>

#include <stdlib.h>
#include <string.h>

#include "plan/state.h"
#include "util/banned.h"

#define LAHC_LEN     2000     /* late-acceptance history (default, and in the final descent) */
#define LAHC_MAX     4000000  /* the longest history (32 MB) */
#define FINAL_AT     0.85     /* share of the time before the final descent */
#define CHECK_EVERY  256      /* iterations between clock / stop checks */
#define SWAP_PCT     35       /* share of swap moves */
#define CHAIN_PCT    10       /* share of ejection chains */
#define BEST_PERMIL  2        /* per mille of shifts to the best machine (full scan) */
#define LNS_AUTO_MAX 8        /* machines per sub-MIP at most, automatic size */
#define PEEK_EVERY   20000000 /* default opts.peek_every */
#define PEEK_DIVISOR 10       /* a peek lasts peek_every / 10 attempts */

typedef struct search {
    hr__state st;
    uint64_t peek_every; /* 0: no peeks */
    int32_t lns_k;       /* machines per sub-MIP (automatic size) */
    uint64_t last_peek;  /* iteration of the last descent from the exploring state */
    int32_t *snap;       /* [P] the exploring state during a peek */
    int64_t *hsnap;      /* [hlen] its history */
    hr__rng rng;
    const hr_roadef_opts *o;
    int32_t *best;
    int64_t best_cost;
    bool best_dirty; /* the current state is a best not yet copied */
    int64_t *hist;   /* [hlen] late-acceptance history */
    uint64_t hlen;
    bool final; /* in the final descent from the best */
    hr_roadef_stats stats;
    double t0;
} search;

/* A process on a costly machine: the costlier of a few random machines. */
static int32_t pick_process(search *s)
{
    const hr_roadef *in = s->st.in;
    if (hr__rng_below(&s->rng, 2) == 0) return (int32_t)hr__rng_below(&s->rng, (uint32_t)in->nproc);
    int32_t m = -1;
    for (int k = 0; k < 3; k++) {
        int32_t c = (int32_t)hr__rng_below(&s->rng, (uint32_t)in->nmach);
        if (s->st.ml[c].len && (m < 0 || s->st.mcost[c] > s->st.mcost[m])) m = c;
    }
    if (m < 0) return (int32_t)hr__rng_below(&s->rng, (uint32_t)in->nproc);
    return s->st.ml[m].p[hr__rng_below(&s->rng, (uint32_t)s->st.ml[m].len)];
}

static void note_best(search *s)
{
    if (s->st.cost < s->best_cost) {
        s->best_cost = s->st.cost;
        if (s->o->on_improve) s->o->on_improve(s->best_cost, s->o->ud);
    }
    if (s->st.cost <= s->best_cost) s->best_dirty = true;
}

/* Before the current state changes to one costing `next`. */
static void before_change(search *s, int64_t next)
{
    if (s->best_dirty && next > s->best_cost) {
        memcpy(s->best, s->st.a, (size_t)s->st.in->nproc * sizeof *s->best);
        s->best_dirty = false;
    }
}

static bool accept_from(search *s, int64_t cost, int64_t delta)
{
    return delta <= 0 || cost + delta <= s->hist[s->stats.iters % s->hlen];
}

static bool accept(search *s, int64_t delta)
{
    return accept_from(s, s->st.cost, delta);
}

/* Ejection chain: q leaves m2 for m3, then p takes its room on m2. The
 * first shift is applied and undone when the pair is not accepted. */
static int try_chain(search *s, int32_t p, bool *done)
{
    hr__state *st = &s->st;
    const hr_roadef *in = st->in;
    int32_t m2 = (int32_t)hr__rng_below(&s->rng, (uint32_t)in->nmach);
    int32_t m3 = (int32_t)hr__rng_below(&s->rng, (uint32_t)in->nmach);
    int32_t m1 = st->a[p];
    if (m2 == m1 || m3 == m2 || !st->ml[m2].len) return 0;
    int32_t q = st->ml[m2].p[hr__rng_below(&s->rng, (uint32_t)st->ml[m2].len)];
    int64_t cur = st->cost, d1 = hr__shift_delta(st, q, m3);
    if (d1 == INT64_MAX || !hr__shift_ok(st, q, m3)) return 0;
    before_change(s, cur + d1);
    int rc = hr__shift_apply(st, q, m3);
    if (rc < 0) return rc;
    int64_t d2 = hr__shift_delta(st, p, m2);
    if (d2 != INT64_MAX && cur + d1 + d2 <= cur + 0 && hr__shift_ok(st, p, m2)) {
        *done = true;
        return hr__shift_apply(st, p, m2);
    }
    if (d2 != INT64_MAX && accept_from(s, cur, d1 + d2) && hr__shift_ok(st, p, m2)) {
        *done = true;
        return hr__shift_apply(st, p, m2);
    }
    return hr__shift_apply(st, q, m2); /* undo: q's old slot is free */
}

/* The best machine for p (every machine scanned); -1 when none fits. */
static int32_t best_target(search *s, int32_t p, int64_t *delta)
{
    hr__state *st = &s->st;
    int32_t best = -1;
    int64_t bd = INT64_MAX;
    for (int32_t m = 0; m < st->in->nmach; m++) {
        int64_t d = hr__shift_delta(st, p, m);
        if (d < bd && hr__shift_ok(st, p, m)) {
            bd = d;
            best = m;
        }
    }
    *delta = bd;
    return best;
}

static int try_move(search *s)
{
    hr__state *st = &s->st;
    const hr_roadef *in = st->in;
    int32_t p = pick_process(s);
    int64_t cur = st->cost;
    int rc = 0;
    uint32_t kind = hr__rng_below(&s->rng, 1000);
    if (kind < SWAP_PCT * 10 && in->nmach > 1) {
        int32_t m2 = (int32_t)hr__rng_below(&s->rng, (uint32_t)in->nmach);
        if (m2 == st->a[p] || !st->ml[m2].len) goto out;
        int32_t q = st->ml[m2].p[hr__rng_below(&s->rng, (uint32_t)st->ml[m2].len)];
        int64_t d = hr__swap_delta(st, p, q);
        if (d == INT64_MAX || !accept(s, d) || !hr__swap_ok(st, p, q)) goto out;
        before_change(s, cur + d);
        int32_t m1 = st->a[p];
        if ((rc = hr__shift_apply(st, p, m2)) < 0 || (rc = hr__shift_apply(st, q, m1)) < 0)
            goto out;
        s->stats.swaps++;
    } else if (kind < (SWAP_PCT + CHAIN_PCT) * 10 && in->nmach > 2) {
        bool done = false;
        if ((rc = try_chain(s, p, &done)) < 0 || !done) goto out;
        s->stats.chains++;
    } else {
        int32_t m;
        int64_t d;
        if (kind >= 1000 - BEST_PERMIL) {
            if ((m = best_target(s, p, &d)) < 0) goto out;
        } else {
            /* now and then straight home: frees the transient room it holds */
            m = st->a[p] != st->m0[p] && kind % 8 == 0
                    ? st->m0[p]
                    : (int32_t)hr__rng_below(&s->rng, (uint32_t)in->nmach);
            d = hr__shift_delta(st, p, m);
        }
        if (d == INT64_MAX || !accept(s, d) || !hr__shift_ok(st, p, m)) goto out;
        before_change(s, cur + d);
        if ((rc = hr__shift_apply(st, p, m)) < 0) goto out;
        s->stats.shifts++;
    }
    s->stats.moves++;
    note_best(s);
out:
    s->hist[s->stats.iters % s->hlen] = st->cost;
    s->stats.iters++;
    if (rc == 0 && hr__state_oom(st)) rc = HR_ENOMEM;
    return rc;
}

static bool should_stop(const search *s)
{
    const hr_roadef_opts *o = s->o;
    if (o->max_iters && s->stats.iters >= o->max_iters) return true;
    if (o->stop && atomic_load_explicit(o->stop, memory_order_relaxed)) return true;
    if (o->deadline_sec > 0 && hr_clock_sec() >= o->deadline_sec) return true;
    return false;
}

#ifdef HR_HAVE_CBC
bool hr_roadef_have_cbc(void)
{
    return true;
}

/* One LNS step around a costly machine; applies an improvement. */
static int lns_step(search *s, int32_t *work, hr_error *err)
{
    hr__state *st = &s->st;
    const hr_roadef *in = st->in;
    /* automatic size: starts at 4 machines, one fewer after a sub-MIP that
     * ran into its time cap (or was skipped at once), one more after one that
     * improved within a quarter of it (2 .. LNS_AUTO_MAX) */
    if (!s->lns_k) s->lns_k = 4;
    int32_t k = s->o->lns_machines > 0 ? s->o->lns_machines : s->lns_k;
    if (k > in->nmach) k = in->nmach;
    if (k < 2) return 0;
    int32_t mach[64];
    if (k > 64) k = 64;
    int32_t n = 0;
    /* the costliest of a few random machines, then random distinct others */
    int32_t m = (int32_t)hr__rng_below(&s->rng, (uint32_t)in->nmach);
    for (int i = 0; i < 4; i++) {
        int32_t c = (int32_t)hr__rng_below(&s->rng, (uint32_t)in->nmach);
        if (st->mcost[c] > st->mcost[m]) m = c;
    }
    mach[n++] = m;
    for (int tries = 0; n < k && tries < 16 * k; tries++) {
        int32_t c = (int32_t)hr__rng_below(&s->rng, (uint32_t)in->nmach);
        bool dup = false;
        for (int32_t i = 0; i < n; i++) dup |= mach[i] == c;
        if (!dup) mach[n++] = c;
    }
    memcpy(work, st->a, (size_t)in->nproc * sizeof *work);
    double sub = s->o->lns_sub_sec > 0 ? s->o->lns_sub_sec : 1.0;
    if (s->o->deadline_sec > 0) {
        /* CBC may overrun its cap a little: give it at most half of what is left */
        double left = s->o->deadline_sec - hr_clock_sec();
        if (left / 2 < sub) sub = left / 2;
        if (sub < 0.05) return 0;
    }
    s->stats.lns_runs++;
    double t0 = hr_clock_sec();
    int rc = hr__lns_solve(in, st->m0, work, mach, n, sub, s->o->stop, err);
    double took = hr_clock_sec() - t0;
    if ((took >= 0.9 * sub || (rc == 0 && took < 0.01 * sub)) && s->lns_k > 2)
        s->lns_k--; /* ran into its cap, or was too large to set up */
    else if (rc == 1 && took < 0.25 * sub && s->lns_k < LNS_AUTO_MAX)
        s->lns_k++;
    if (rc <= 0) return rc;
    /* apply the new placement of the sub-problem's processes */
    int64_t before = st->cost;
    before_change(s, before); /* an improvement: only a pending best needs no copy */
    for (int32_t i = 0; i < n; i++) {
        hr__mlist *l = &st->ml[mach[i]];
        for (int32_t j = 0; j < l->len;) {
            int32_t p = l->p[j];
            if (work[p] != st->a[p]) {
                if ((rc = hr__shift_apply(st, p, work[p])) < 0) return rc;
            } else
                j++;
        }
    }
    if (st->cost < before) s->stats.lns_improved++;
    note_best(s);
    return 0;
}
#else
bool hr_roadef_have_cbc(void)
{
    return false;
}
#endif

static void history_reset(search *s, uint64_t len)
{
    s->hlen = len;
    for (uint64_t i = 0; i < len; i++) s->hist[i] = s->st.cost;
}

static bool should_stop(const search *s);
static int try_move(search *s);

/* A peek: a short descent (short history) from the exploring state, whose
 * best is kept, then the exploring state and its history are restored. A
 * long history keeps the exploring state well above the local optima near
 * it; this is how they are collected along the way. */
static int peek(search *s)
{
    const hr_roadef *in = s->st.in;
    const int32_t *m0 = s->st.m0;
    uint64_t hlen = s->hlen, end = s->stats.iters + s->peek_every / PEEK_DIVISOR;
    int rc = 0;
    s->last_peek = s->stats.iters;
    memcpy(s->snap, s->st.a, (size_t)in->nproc * sizeof *s->snap);
    memcpy(s->hsnap, s->hist, (size_t)hlen * sizeof *s->hist);
    history_reset(s, LAHC_LEN);
    while (s->stats.iters < end && rc == 0) {
        if (s->stats.iters % CHECK_EVERY == 0 && should_stop(s)) break;
        rc = try_move(s);
    }
    if (s->best_dirty) {
        memcpy(s->best, s->st.a, (size_t)in->nproc * sizeof *s->best);
        s->best_dirty = false;
    }
    hr__state_release(&s->st);
    if (hr__state_init(&s->st, in, m0, s->snap) < 0) return HR_ENOMEM;
    s->hlen = hlen;
    memcpy(s->hist, s->hsnap, (size_t)hlen * sizeof *s->hist);
    s->stats.peeks++;
    return rc;
}

/* The final descent: from the best state, with a short history. */
static int go_final(search *s)
{
    s->final = true;
    if (!s->best_dirty) { /* the current state is not the best: reload the best */
        const hr_roadef *in = s->st.in;
        const int32_t *m0 = s->st.m0;
        hr__state_release(&s->st);
        if (hr__state_init(&s->st, in, m0, s->best) < 0) return HR_ENOMEM;
        s->best_dirty = true;
    }
    history_reset(s, s->hlen < LAHC_LEN ? s->hlen : LAHC_LEN);
    return 0;
}

static int run(search *s, hr_error *err)
{
    const hr_roadef_opts *o = s->o;
    double t_final = o->deadline_sec > 0 ? s->t0 + FINAL_AT * (o->deadline_sec - s->t0) : 0;
    int rc = 0;
#ifdef HR_HAVE_CBC
    int32_t *work = NULL;
    double next_lns = 0, lns_gap = 2;
    if (s->o->lns) {
        work = hr__plan_calloc((size_t)s->st.in->nproc, sizeof *work);
        if (!work) return hr_error_set(err, HR_ENOMEM, "solve: out of memory");
        next_lns = hr_clock_sec() + 0.5;
    }
#endif
    for (;;) {
        if (s->o->max_iters && s->stats.iters >= s->o->max_iters) break;
        if (s->stats.iters % CHECK_EVERY == 0) {
            if (should_stop(s)) break;
            if (!s->final && t_final > 0 && hr_clock_sec() >= t_final && (rc = go_final(s)) < 0)
                break;
            if (s->peek_every && !s->final && s->stats.iters - s->last_peek >= s->peek_every &&
                (rc = peek(s)) < 0)
                break;
#ifdef HR_HAVE_CBC
            if (work && hr_clock_sec() >= next_lns && !should_stop(s)) {
                double t = hr_clock_sec();
                uint64_t won = s->stats.lns_improved;
                if ((rc = lns_step(s, work, err)) < 0) break;
                /* a third of the time in sub-MIPs while they pay; each one
                 * that does not stretches the gap (up to a sixteenth) */
                lns_gap = s->stats.lns_improved > won ? 2 : lns_gap * 1.5 < 15 ? lns_gap * 1.5 : 15;
                next_lns = hr_clock_sec() + lns_gap * (hr_clock_sec() - t);
            }
#endif
        }
        if ((rc = try_move(s)) < 0) break;
    }
#ifdef HR_HAVE_CBC
    free(work);
#endif
    if (rc == HR_ENOMEM) hr_error_set(err, rc, "solve: out of memory");
    return rc;
}

int hr_roadef_solve(const hr_roadef *in, const int32_t *m0, int32_t *assign,
                    const hr_roadef_opts *opts, hr_roadef_cost *cost, hr_roadef_stats *stats,
                    hr_error *err)
{
    hr_roadef_opts defaults = {0};
    if (!in || !m0 || !assign) return hr_error_set(err, HR_EINVAL, "solve: NULL argument");
    if (!opts) opts = &defaults;
    hr_roadef_report rep;
    int rc = hr_roadef_check(in, m0, assign, &rep, err);
    if (rc < 0) return rc;
    hr_roadef_report_release(&rep);
    if (rc > 0)
        return hr_error_set(err, HR_EINVAL, "solve: the starting assignment has %d violations", rc);
    search *s = calloc(1, sizeof *s);
    if (!s) return hr_error_set(err, HR_ENOMEM, "solve: out of memory");
    s->o = opts;
    s->t0 = hr_clock_sec();
    hr__rng_seed(&s->rng, opts->seed);
    s->hlen = opts->lahc_len ? opts->lahc_len : LAHC_LEN;
    if (s->hlen > LAHC_MAX) s->hlen = LAHC_MAX;
    if (opts->max_iters && s->hlen > opts->max_iters / 16 + 1) s->hlen = opts->max_iters / 16 + 1;
    s->hist = hr__plan_calloc(s->hlen, sizeof *s->hist);
    s->best = hr__plan_calloc((size_t)in->nproc, sizeof *s->best);
    if (s->hlen > LAHC_LEN) {
        s->peek_every = opts->peek_every ? opts->peek_every : PEEK_EVERY;
        s->snap = hr__plan_calloc((size_t)in->nproc, sizeof *s->snap);
        s->hsnap = hr__plan_calloc(s->hlen, sizeof *s->hsnap);
    }
    if (!s->hist || !s->best || (s->peek_every && (!s->snap || !s->hsnap)) ||
        hr__state_init(&s->st, in, m0, assign) < 0) {
        free(s->hist);
        free(s->best);
        free(s->snap);
        free(s->hsnap);
        free(s);
        return hr_error_set(err, HR_ENOMEM, "solve: out of memory");
    }
    memcpy(s->best, assign, (size_t)in->nproc * sizeof *s->best);
    s->best_cost = s->st.cost;
    history_reset(s, s->hlen);
    rc = run(s, err);
    if (s->best_dirty) memcpy(s->best, s->st.a, (size_t)in->nproc * sizeof *s->best);
    /* The best is valid by construction; recheck it (cheap) before handing it out. */
    if (hr_roadef_check(in, m0, s->best, &rep, NULL) == 0) {
        memcpy(assign, s->best, (size_t)in->nproc * sizeof *assign);
        if (cost) *cost = rep.cost;
    } else if (rc == 0) {
        rc = hr_error_set(err, HR_ESTATE, "solve: internal error: the best assignment is invalid");
    }
    hr_roadef_report_release(&rep);
    s->stats.seconds = hr_clock_sec() - s->t0;
    if (stats) *stats = s->stats;
    hr__state_release(&s->st);
    free(s->hist);
    free(s->best);
    free(s->snap);
    free(s->hsnap);
    free(s);
    return rc;
}
