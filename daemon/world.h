/* daemon/world.h - what the control loop (ctl.c) runs a fleet's rounds on:
 * one "world" per fleet and driver, a vtable picked from loop.driver.
 *
 *   sim  (world_sim.c)  the live twin of lib/sim: the fleet's workloads are
 *                       the VMs of a simulated datacenter fed with the newest
 *                       sample of each workload's series (percent CPU);
 *   act  (world_act.c)  the fleet's hosts and workloads from the store,
 *                       telemetry from their series, plans of cgroup resizes
 *                       (from the in-host partition) and VM migrations
 *                       carried out by lib/act through its journal.
 *
 * A world gives the loop its telemetry and driver (hr_loop interfaces whose
 * ud is the world), the planner of a policy, and says in words what a plan
 * or an empty plan means. Used by one thread at a time (ctl.c's lock).
 */
#ifndef HRD_WORLD_H
#define HRD_WORLD_H

#include "daemon/server.h"

#include <headroom/loop.h>

#define HRD_WORLD_NAME_MAX 129 /* workload, host and fleet names, with the NUL */

typedef struct hrd_world hrd_world;

typedef struct hrd_world_ops {
    const char *name; /* the loop.driver: "sim", "act" */
    /* Bring the world up to the store (the fleet's workloads, hosts, new
     * samples). 0: ready for a round; 1: nothing to plan yet (no workload,
     * or not every workload has reported). */
    int (*sync)(hrd_world *w, hr_error *err);
    const hr_telemetry_ops *telemetry; /* ud = the world */
    const hr_driver_ops *driver;       /* ud = the world; carries actions out */
    /* The planner of `policy` ("predictive", "thr-mmt"), owned by the world. */
    int (*planner)(hrd_world *w, const char *policy, const hr_planner_ops **ops, void **ud,
                   hr_error *err);
    /* Action i of a plan as JSON {"kind", "workload", "from", "to", "reason",
     * ...}; with its outcome ("state", "error", "journal_id") when the driver
     * ran it last (`ran`). */
    json_t *(*action_json)(hrd_world *w, const hr_action *a, size_t i, bool ran);
    /* Why the last plan of `policy` over `obs` has no action, in words. */
    void (*explain)(hrd_world *w, const hr_obs *obs, const char *policy, char *buf, size_t size);
    /* A digest of the state plans are computed from (workload set,
     * placement, limits): a plan is still valid while it is unchanged. */
    uint64_t (*state)(hrd_world *w);
    /* A round failed with rc: 0 when the world handled it (rebuilt). */
    int (*recover)(hrd_world *w, int rc);
    size_t (*rounds)(hrd_world *w); /* rounds observed by this world */
    void (*free)(hrd_world *w);
} hrd_world_ops;

struct hrd_world {
    const hrd_world_ops *ops;
    hrd_store *store;
    char fleet[HRD_WORLD_NAME_MAX];
    char plan_key[64]; /* set by ctl.c before the driver runs: names the journal's actions */
};

/* New worlds of a fleet (ops->free releases them). HR_ENOMEM, HR_EIO. */
int hrd_world_sim_new(hrd_store *st, const hrd_config *c, const char *fleet, hrd_world **out,
                      hr_error *err);
int hrd_world_act_new(hrd_store *st, const hrd_config *c, const char *fleet, hrd_world **out,
                      hr_error *err);

/* The fleet a stored object (workload, host) belongs to: its "fleet"
 * member, "default" when it has none. */
const char *hrd_world_fleet_of(const json_t *obj);
/* FNV-1a over bytes, chained from h (start with HRD_FNV_START). */
#define HRD_FNV_START 14695981039346656037ull
uint64_t hrd_world_fnv(uint64_t h, const void *p, size_t n);

#endif
