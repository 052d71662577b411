/* The control loop: one step function over a clock, a telemetry source, a
 * planner and a driver. Nothing here knows whether it is simulated. */
#include <headroom/loop.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define HR_ACTIONS_DEFAULT_MAX ((size_t)1000000)

void hr_actions_init(hr_actions *a, size_t max_len)
{
    memset(a, 0, sizeof *a);
    a->max_len = max_len ? max_len : HR_ACTIONS_DEFAULT_MAX;
}

void hr_actions_release(hr_actions *a)
{
    if (!a) return;
    free(a->items);
    a->items = NULL;
    a->len = a->cap = 0;
}

static int actions_grow(hr_actions *a)
{
    if (a->len < a->cap) return 0;
    if (a->len >= a->max_len) return HR_ELIMIT;
    size_t cap = a->cap ? a->cap * 2 : 64;
    if (cap > a->max_len) cap = a->max_len;
    if (cap > SIZE_MAX / sizeof *a->items) return HR_ENOMEM;
    hr_action *p = realloc(a->items, cap * sizeof *p);
    if (!p) return HR_ENOMEM;
    a->items = p;
    a->cap = cap;
    return 0;
}

/* Append one action; the reason from fmt and ap. */
HR_PRINTF(3, 0) static int push(hr_actions *a, const hr_action *x, const char *fmt, va_list ap)
{
    int rc = actions_grow(a);
    if (rc < 0) return rc;
    hr_action *y = &a->items[a->len++];
    *y = *x;
    vsnprintf(y->reason, sizeof y->reason, fmt, ap);
    return 0;
}

int hr_actions_migrate(hr_actions *a, int32_t workload, int32_t from, int32_t to, const char *fmt,
                       ...)
{
    hr_action x = {.kind = HR_ACT_MIGRATE, .workload = workload, .from = from, .to = to};
    va_list ap;
    va_start(ap, fmt);
    int rc = push(a, &x, fmt, ap);
    va_end(ap);
    return rc;
}

int hr_actions_resize(hr_actions *a, int32_t workload, int32_t host, int64_t cpu_millis,
                      int64_t mem_bytes, const char *fmt, ...)
{
    hr_action x = {.kind = HR_ACT_RESIZE,
                   .workload = workload,
                   .from = host,
                   .to = host,
                   .cpu_millis = cpu_millis,
                   .mem_bytes = mem_bytes};
    va_list ap;
    va_start(ap, fmt);
    int rc = push(a, &x, fmt, ap);
    va_end(ap);
    return rc;
}

int hr_loop_init(hr_loop *l, const hr_clock_ops *clock, void *clock_ud, const hr_telemetry_ops *tel,
                 void *tel_ud, const hr_planner_ops *planner, void *planner_ud,
                 const hr_driver_ops *driver, void *driver_ud, hr_error *err)
{
    if (!l || !clock || !clock->now || !clock->advance || !tel || !tel->observe || !planner ||
        !planner->plan || !driver || !driver->apply)
        return hr_error_set(err, HR_EINVAL,
                            "loop: a clock, telemetry, planner and driver are needed");
    memset(l, 0, sizeof *l);
    l->clock = clock;
    l->clock_ud = clock_ud;
    l->telemetry = tel;
    l->telemetry_ud = tel_ud;
    l->planner = planner;
    l->planner_ud = planner_ud;
    l->driver = driver;
    l->driver_ud = driver_ud;
    hr_actions_init(&l->actions, 0);
    return 0;
}

void hr_loop_release(hr_loop *l)
{
    if (!l) return;
    hr_actions_release(&l->actions);
}

int hr_loop_step(hr_loop *l, hr_error *err)
{
    double now = l->clock->now(l->clock_ud);
    const hr_obs *obs = NULL;
    int rc = l->telemetry->observe(l->telemetry_ud, now, &obs, err); /* observe */
    if (rc < 0) return rc;
    if (l->planner->forecast && (rc = l->planner->forecast(l->planner_ud, obs, err)) < 0)
        return rc; /* forecast */
    l->actions.len = 0;
    if ((rc = l->planner->plan(l->planner_ud, obs, &l->actions, err)) < 0) return rc; /* plan */
    int applied = 0;
    if (l->actions.len) {
        applied = l->driver->apply(l->driver_ud, l->actions.items, l->actions.len, err); /* act */
        if (applied < 0) return applied;
        l->applied += (size_t)applied;
    }
    /* learn from what was carried out: nothing when the driver applied none
     * (a plan only proposed) */
    hr_actions none;
    hr_actions_init(&none, 1);
    if (l->planner->learn &&
        (rc = l->planner->learn(l->planner_ud, obs, applied > 0 ? &l->actions : &none, err)) < 0)
        return rc; /* learn */
    l->rounds++;
    return l->clock->advance(l->clock_ud) ? 1 : 0;
}

int hr_loop_run(hr_loop *l, void (*progress)(void *ud, const hr_loop *l), void *ud, hr_error *err)
{
    for (;;) {
        int rc = hr_loop_step(l, err);
        if (rc < 0) return rc;
        if (progress) progress(ud, l);
        if (rc == 1) return 0;
    }
}
