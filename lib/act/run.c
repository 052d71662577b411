/* The action runner: stages in plan order, per-host concurrency, retries
 * with exponential backoff and jitter, per-attempt timeouts, and crash
 * reconciliation (actions found RUNNING are polled before anything else). */
#include "act/internal.h"

#include <headroom/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/banned.h"

bool hr_act_transient(int code)
{
    return code == HR_EIO || code == HR_ECONVERGE || code == HR_ESTATE || code == HR_ECANCELED;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct run_opts {
    size_t conc;
    int32_t max_attempts;
    int64_t timeout_ms, base_ms, max_ms, poll_ms, deadline_ms;
} run_opts;

static run_opts resolve(const hr_act_opts *o)
{
    hr_act_opts z = {0};
    if (!o) o = &z;
    run_opts r = {
        .conc = o->host_concurrency ? o->host_concurrency : 1,
        .max_attempts = o->max_attempts > 0 ? o->max_attempts : 3,
        .timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000,
        .base_ms = o->backoff_base_ms > 0 ? o->backoff_base_ms : 200,
        .max_ms = o->backoff_max_ms > 0 ? o->backoff_max_ms : 10000,
        .poll_ms = o->poll_ms > 0 ? o->poll_ms : 20,
        .deadline_ms = o->deadline_ms > 0 ? o->deadline_ms : 0,
    };
    return r;
}

int64_t hr_act_backoff_ms(const hr_act_opts *o, int32_t attempt, uint64_t *rng)
{
    run_opts r = resolve(o);
    int64_t d = r.base_ms;
    for (int32_t i = 2; i < attempt && d < r.max_ms; i++) d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
    if (d > r.max_ms) d = r.max_ms;
    double u = (double)(splitmix(rng) >> 11) / 9007199254740992.0; /* [0, 1) */
    return (int64_t)((double)d * (0.5 + 0.5 * u));
}

static int64_t real_now(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void real_sleep(void *ud, int64_t ms)
{
    (void)ud;
    if (ms <= 0) return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0) {}
}

typedef struct runner {
    hr_journal *j;
    const hr_act_driver *drivers;
    size_t ndrivers;
    const hr_act_opts *o;
    run_opts r;
    hr_act_clock clock;
    uint64_t rng;
    hr_act_summary sum;
    hr_error *err;
} runner;

static const hr_act_driver *driver_for(const hr_act_driver *d, size_t n, const char *kind)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(d[i].kind);
        if (k && d[i].kind[k - 1] == '.' ? !strncmp(kind, d[i].kind, k) : !strcmp(kind, d[i].kind))
            return &d[i];
    }
    return NULL;
}

static int64_t now(runner *R)
{
    return R->clock.now_ms(R->clock.ud);
}

static int save(runner *R, hr_action *a, const char *msg)
{
    int rc = hr_journal_update(R->j, a, msg, R->err);
    if (!rc && R->o && R->o->on_change) R->o->on_change(a, R->o->ud);
    return rc;
}

/* The attempt failed with `rc` (message in e): retry later or fail for good. */
static int attempt_failed(runner *R, hr_action *a, int rc, const hr_error *e)
{
    int32_t max = a->max_attempts > 0 ? a->max_attempts : R->r.max_attempts;
    snprintf(a->error, sizeof a->error, "%s", hr_error_message(e));
    if (hr_act_transient(rc) && a->attempts < max) {
        a->state = HR_ACT_PENDING;
        a->next_ms = now(R) + hr_act_backoff_ms(R->o, a->attempts + 1, &R->rng);
        R->sum.retries++;
        return save(R, a, "retry");
    }
    a->state = HR_ACT_FAILED;
    return save(R, a, "failed");
}

static int finish_done(runner *R, hr_action *a)
{
    a->state = HR_ACT_DONE;
    a->progress = 1;
    a->error[0] = 0;
    return save(R, a, "done");
}

static int start(runner *R, hr_action *a, const hr_act_driver *d)
{
    hr_error e = {0};
    int rc = d->validate ? d->validate(d->ud, a, &e) : 0;
    if (rc < 0) {
        snprintf(a->error, sizeof a->error, "%s", hr_error_message(&e));
        a->state = HR_ACT_FAILED;
        return save(R, a, "invalid");
    }
    /* Durable before it starts. */
    a->attempts++;
    a->state = HR_ACT_RUNNING;
    a->started_ms = now(R);
    if ((rc = save(R, a, "apply"))) return rc;
    rc = d->apply(d->ud, a, &e);
    if (rc == HR_ACT_DONE) return finish_done(R, a);
    if (rc == HR_ACT_RUNNING) return save(R, a, "started");
    if (rc >= 0) rc = hr_error_set(&e, HR_EINVAL, "driver %s: apply returned %d", d->kind, rc);
    return attempt_failed(R, a, rc, &e);
}

static int follow(runner *R, hr_action *a, const hr_act_driver *d, bool recovering)
{
    hr_error e = {0};
    double before = a->progress;
    int rc = d->poll ? d->poll(d->ud, a, &e) : HR_ACT_DONE;
    if (recovering) R->sum.reconciled++;
    if (rc == HR_ACT_DONE) return finish_done(R, a);
    if (rc == HR_ACT_PENDING) {
        /* No trace of the attempt (a crash before apply took effect): it
         * never happened, so it does not count. */
        if (a->attempts > 0) a->attempts--;
        a->state = HR_ACT_PENDING;
        a->next_ms = now(R);
        return save(R, a, "no trace: apply again");
    }
    if (rc == HR_ACT_RUNNING) {
        int64_t tmo = a->timeout_ms > 0 ? a->timeout_ms : R->r.timeout_ms;
        if (now(R) - a->started_ms > tmo) {
            hr_error ce = {0};
            if (d->cancel) d->cancel(d->ud, a, &ce);
            hr_error_set(&e, HR_ECANCELED, "timed out after %lld ms", (long long)tmo);
            return attempt_failed(R, a, HR_ECANCELED, &e);
        }
        if (a->progress - before >= 0.05 || recovering) return save(R, a, "progress");
        return 0;
    }
    if (rc >= 0) rc = hr_error_set(&e, HR_EINVAL, "driver %s: poll returned %d", d->kind, rc);
    return attempt_failed(R, a, rc, &e);
}

static size_t running_on(const hr_action *v, size_t n, const char *host)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].state == HR_ACT_RUNNING && !strcmp(v[i].host, host)) c++;
    return c;
}

/* The current stage of action i's plan: the lowest stage with an open
 * action; -1 when an earlier stage of the plan has a FAILED action (failed
 * in this run, or before it: failed_below[i], read from the journal). */
static int64_t plan_stage(const hr_action *v, size_t n, size_t i, const int64_t *failed_below)
{
    int64_t stage = INT64_MAX;
    for (size_t k = 0; k < n; k++)
        if (!strcmp(v[k].plan, v[i].plan) && !hr_act_state_final(v[k].state) && v[k].stage < stage)
            stage = v[k].stage;
    if (failed_below[i] < stage) return -1;
    for (size_t k = 0; k < n; k++)
        if (!strcmp(v[k].plan, v[i].plan) && v[k].stage < stage && v[k].state == HR_ACT_FAILED)
            return -1;
    return stage;
}

/* One pass over the actions that may go now; *busy tells whether anything
 * is still to do, *wait the time until the next due attempt. */
static int pass(runner *R, hr_action *v, size_t n, bool *recov, const int64_t *failed_below,
                bool *busy, int64_t *wait)
{
    *busy = false;
    *wait = R->r.poll_ms;
    for (size_t i = 0; i < n; i++) {
        hr_action *a = &v[i];
        if (hr_act_state_final(a->state)) continue;
        int64_t stage = plan_stage(v, n, i, failed_below);
        if (stage < 0 || a->stage != stage) {
            *busy |= stage >= 0; /* a blocked plan waits for nothing */
            continue;
        }
        *busy = true;
        const hr_act_driver *d = driver_for(R->drivers, R->ndrivers, a->kind);
        int rc = 0;
        if (!d) {
            snprintf(a->error, sizeof a->error, "no driver for kind \"%s\"", a->kind);
            a->state = HR_ACT_FAILED;
            rc = save(R, a, "no driver");
        } else if (a->state == HR_ACT_RUNNING) {
            rc = follow(R, a, d, recov[i]);
            recov[i] = false;
        } else if (a->next_ms <= now(R)) {
            if (running_on(v, n, a->host) < R->r.conc) rc = start(R, a, d);
        } else if (a->next_ms - now(R) < *wait) {
            *wait = a->next_ms - now(R);
        }
        if (rc) return rc;
    }
    return 0;
}

static int report(runner *R, const hr_action *v, size_t n)
{
    const hr_action *bad = NULL, *blocked = NULL;
    for (size_t i = 0; i < n; i++) {
        switch (v[i].state) {
        case HR_ACT_DONE:
        case HR_ACT_UNDONE:
            R->sum.done++;
            break;
        case HR_ACT_FAILED:
            R->sum.failed++;
            if (!bad) bad = &v[i];
            break;
        case HR_ACT_CANCELED:
            R->sum.canceled++;
            break;
        default:
            R->sum.pending++;
            if (!blocked) blocked = &v[i];
        }
    }
    if (!bad && blocked)
        return hr_error_set(R->err, HR_EIO,
                            "action %lld (%s %s on %s) is blocked by a failed"
                            " earlier stage of its plan",
                            (long long)blocked->id, blocked->kind, blocked->target, blocked->host);
    if (bad)
        return hr_error_set(R->err, HR_EIO, "action %lld (%s %s on %s) failed: %s",
                            (long long)bad->id, bad->kind, bad->target, bad->host, bad->error);
    return 0;
}

int hr_act_run(hr_journal *j, const hr_act_driver *drivers, size_t ndrivers, const hr_act_opts *o,
               hr_act_summary *sum, hr_error *err)
{
    if (!j || (!drivers && ndrivers)) return hr_error_set(err, HR_EINVAL, "act: no journal");
    runner R = {
        .j = j, .drivers = drivers, .ndrivers = ndrivers, .o = o, .r = resolve(o), .err = err};
    R.clock.now_ms = o && o->clock && o->clock->now_ms ? o->clock->now_ms : real_now;
    R.clock.sleep_ms = o && o->clock && o->clock->sleep_ms ? o->clock->sleep_ms : real_sleep;
    R.clock.ud = o && o->clock ? o->clock->ud : NULL;
    R.rng = o && o->seed ? o->seed : (uint64_t)real_now(NULL) ^ hr_clock_ns();
    hr_action *v = NULL;
    size_t n = 0;
    int rc = hr_journal_list(j, true, 0, &v, &n, err);
    if (rc) return rc;
    bool *recov = calloc(n ? n : 1, sizeof *recov);
    int64_t *failed_below = calloc(n ? n : 1, sizeof *failed_below);
    if (!recov || !failed_below) {
        free(recov);
        free(failed_below);
        hr_action_list_free(v, n);
        return hr_error_set(err, HR_ENOMEM, "act: out of memory");
    }
    for (size_t i = 0; i < n && !rc; i++) {
        recov[i] = v[i].state == HR_ACT_RUNNING;
        rc = hr__journal_min_failed_stage(j, v[i].plan, &failed_below[i], err);
    }
    int64_t t0 = now(&R);
    for (;;) {
        bool busy;
        int64_t wait;
        if (rc || (rc = pass(&R, v, n, recov, failed_below, &busy, &wait)) || !busy) break;
        if (R.r.deadline_ms && now(&R) - t0 > R.r.deadline_ms) {
            rc = hr_error_set(err, HR_ECANCELED, "act: deadline of %lld ms passed",
                              (long long)R.r.deadline_ms);
            break;
        }
        bool running = false;
        for (size_t i = 0; i < n; i++) running |= v[i].state == HR_ACT_RUNNING;
        R.clock.sleep_ms(R.clock.ud, running && wait > R.r.poll_ms ? R.r.poll_ms : wait);
    }
    if (!rc)
        rc = report(&R, v, n);
    else if (rc != HR_ECANCELED)
        report(&R, v, n);
    if (sum) *sum = R.sum;
    free(recov);
    free(failed_below);
    hr_action_list_free(v, n);
    return rc;
}

int hr_act_validate(const hr_act_driver *drivers, size_t ndrivers, const hr_action *a,
                    hr_error *err)
{
    const hr_act_driver *d = a ? driver_for(drivers, ndrivers, a->kind) : NULL;
    if (!d) return hr_error_set(err, HR_ENOTFOUND, "no driver for kind \"%s\"", a ? a->kind : "");
    return d->validate ? d->validate(d->ud, a, err) : 0;
}

int hr_act_undo(hr_journal *j, const hr_act_driver *drivers, size_t ndrivers, int64_t id,
                hr_error *err)
{
    hr_action a;
    int rc = hr_journal_get(j, id, &a, err);
    if (rc) return rc;
    const hr_act_driver *d = driver_for(drivers, ndrivers, a.kind);
    if (a.state != HR_ACT_DONE)
        rc = hr_error_set(err, HR_ESTATE, "action %lld is %s, not done", (long long)id,
                          hr_act_state_name(a.state));
    else if (!d || !d->undo)
        rc = hr_error_set(err, HR_ENOTSUP, "action %lld (%s) cannot be undone", (long long)id,
                          a.kind);
    else if (!(rc = d->undo(d->ud, &a, err))) {
        a.state = HR_ACT_UNDONE;
        rc = hr_journal_update(j, &a, "undone", err);
    }
    hr_action_release(&a);
    return rc;
}

int hr_act_cancel(hr_journal *j, const hr_act_driver *drivers, size_t ndrivers, int64_t id,
                  hr_error *err)
{
    hr_action a;
    int rc = hr_journal_get(j, id, &a, err);
    if (rc) return rc;
    const hr_act_driver *d = driver_for(drivers, ndrivers, a.kind);
    if (hr_act_state_final(a.state))
        rc = hr_error_set(err, HR_ESTATE, "action %lld is already %s", (long long)id,
                          hr_act_state_name(a.state));
    else if (a.state == HR_ACT_RUNNING && d && d->cancel)
        rc = d->cancel(d->ud, &a, err);
    if (!rc) {
        a.state = HR_ACT_CANCELED;
        rc = hr_journal_update(j, &a, "canceled", err);
    }
    hr_action_release(&a);
    return rc;
}
