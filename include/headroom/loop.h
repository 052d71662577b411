/* headroom/loop.h - the control loop: observe -> forecast -> plan -> act -> learn.
 *
 * One step function, hr_loop_step, runs one round over four interfaces:
 *
 *   clock      what time it is and when the next round is (virtual in the
 *              twin, the monotonic clock in the daemon);
 *   telemetry  fills an observation (hr_obs) of the fleet at that time;
 *   planner    a policy: forecasts from the observation, plans actions
 *              (each with a reason), learns from what happened;
 *   driver     carries the actions out (a simulation model, cgroups, a
 *              hypervisor API).
 *
 * The loop knows nothing else: `headroom simulate` plugs in a virtual clock,
 * a trace-replaying telemetry source and a simulation driver; `headroom
 * serve` plugs in live ones. Not thread-safe: one loop, one thread.
 */
#ifndef HEADROOM_LOOP_H
#define HEADROOM_LOOP_H

#include "common.h"
#include "error.h"
#include "fleet.h"

/* ---- observations --------------------------------------------------------------- */

#define HR_OBS_HISTORY 30 /* utilisation values kept per workload (CloudSim's 30) */

typedef struct hr_obs_host {
    double cap_mips;  /* CPU capacity (cores x core_mips) */
    double core_mips; /* one core */
    double used_mips; /* CPU in use at the last measurement */
    /* Workloads on the host in placement order; incoming[i] is 1 while
     * members[i] is still migrating in. */
    const int32_t *members;
    const uint8_t *incoming;
    size_t nmembers;
} hr_obs_host;

typedef struct hr_obs_workload {
    bool alive;         /* exists now (false once gone for good) */
    bool moving;        /* a migration of it is under way */
    int32_t host;       /* where it runs, HR_NONE if gone */
    double demand_mips; /* CPU requested now */
    double limit_mips;  /* the most it may use (its size) */
    double mem_mb;      /* memory, what a migration must copy */
    /* Utilisation (demand / limit) at the last rounds, newest first. */
    const double *hist;
    size_t nhist;
} hr_obs_workload;

/* What the telemetry source reports at one round. Owned by the source;
 * valid until its next observe call. */
typedef struct hr_obs {
    double now_s;      /* clock time of the observation */
    double interval_s; /* time between rounds */
    size_t round;      /* 0, 1, ... */
    size_t nhosts, nworkloads;
    const hr_obs_host *hosts;
    const hr_obs_workload *wl;
    const hr_fleet *fleet; /* static description (names, power models); may be NULL */
} hr_obs;

/* ---- actions ---------------------------------------------------------------------- */

typedef enum hr_action_kind {
    HR_ACT_MIGRATE, /* move workload to host `to` */
    HR_ACT_RESIZE,  /* set workload's limits on its host (from == to): cpu_millis, mem_bytes */
} hr_action_kind;

#define HR_REASON_MAX 96

typedef struct hr_action {
    hr_action_kind kind;
    int32_t workload;
    int32_t from, to;
    int64_t cpu_millis;         /* RESIZE: CPU limit in millicores (0 = leave alone) */
    int64_t mem_bytes;          /* RESIZE: memory limit (0 = leave alone) */
    char reason[HR_REASON_MAX]; /* why, in words: "host 17 forecast 0.93 > 0.90" */
} hr_action;

/* A growable list of actions with a limit. */
typedef struct hr_actions {
    hr_action *items;
    size_t len, cap, max_len;
} hr_actions;

/* max_len 0 = 1,000,000. */
HR_EXPORT void hr_actions_init(hr_actions *a, size_t max_len);
HR_EXPORT void hr_actions_release(hr_actions *a);
/* Append a migration with a printf-style reason. HR_ENOMEM, HR_ELIMIT. */
HR_EXPORT int hr_actions_migrate(hr_actions *a, int32_t workload, int32_t from, int32_t to,
                                 const char *fmt, ...) HR_PRINTF(5, 6);
/* Append a resize of `workload` on `host` to cpu_millis / mem_bytes (0 =
 * leave that one alone) with a printf-style reason. Drivers that only move
 * workloads (the simulation) skip it. HR_ENOMEM, HR_ELIMIT. */
HR_EXPORT int hr_actions_resize(hr_actions *a, int32_t workload, int32_t host, int64_t cpu_millis,
                                int64_t mem_bytes, const char *fmt, ...) HR_PRINTF(6, 7);

/* ---- the four interfaces ------------------------------------------------------------ */

typedef struct hr_clock_ops {
    /* Current time in seconds. */
    double (*now)(void *ud);
    /* Move to the next round (sleep, or jump virtually). Returns 0, or 1
     * when there is no next round. */
    int (*advance)(void *ud);
} hr_clock_ops;

typedef struct hr_telemetry_ops {
    /* Observe the fleet at time `now`; *out stays valid until the next call. */
    int (*observe)(void *ud, double now, const hr_obs **out, hr_error *err);
} hr_telemetry_ops;

typedef struct hr_driver_ops {
    /* Carry out the actions, in order. Returns the number applied or a
     * negative HR_E* code. */
    int (*apply)(void *ud, const hr_action *acts, size_t n, hr_error *err);
} hr_driver_ops;

typedef struct hr_planner_ops {
    const char *name;
    /* Optional: update forecasts from the observation. */
    int (*forecast)(void *ud, const hr_obs *obs, hr_error *err);
    /* Plan actions into `out` (which is empty). */
    int (*plan)(void *ud, const hr_obs *obs, hr_actions *out, hr_error *err);
    /* Optional: learn from the observation and the actions applied: the
     * round's actions when the driver applied any of them, none when it
     * applied none (a plan only proposed, as in observe mode). */
    int (*learn)(void *ud, const hr_obs *obs, const hr_actions *applied, hr_error *err);
} hr_planner_ops;

typedef struct hr_loop {
    const hr_clock_ops *clock;
    void *clock_ud;
    const hr_telemetry_ops *telemetry;
    void *telemetry_ud;
    const hr_planner_ops *planner;
    void *planner_ud;
    const hr_driver_ops *driver;
    void *driver_ud;
    hr_actions actions; /* the last round's actions */
    size_t rounds;      /* rounds run */
    size_t applied;     /* actions applied over all rounds */
} hr_loop;

/* Set the loop up over the four interfaces (the *_ud pointers are the
 * callers'). Release with hr_loop_release. HR_EINVAL for a missing
 * mandatory callback. */
HR_EXPORT int hr_loop_init(hr_loop *l, const hr_clock_ops *clock, void *clock_ud,
                           const hr_telemetry_ops *tel, void *tel_ud, const hr_planner_ops *planner,
                           void *planner_ud, const hr_driver_ops *driver, void *driver_ud,
                           hr_error *err);
HR_EXPORT void hr_loop_release(hr_loop *l);

/* One round: observe at clock->now, forecast, plan, apply, learn, then
 * advance the clock. Returns 0, 1 when the clock has no next round, or a
 * negative HR_E* code from an interface (err set by it). */
HR_EXPORT int hr_loop_step(hr_loop *l, hr_error *err);

/* Run rounds until the clock ends. `progress`, if non-NULL, is called
 * after every round. Returns 0 or the first error. */
HR_EXPORT int hr_loop_run(hr_loop *l, void (*progress)(void *ud, const hr_loop *l), void *ud,
                          hr_error *err);

#endif
