/* daemon/ctl.h - the control loop inside the daemon (ctl.c): lib/loop.c's
 * hr_loop_step run every loop.interval seconds over the store's telemetry,
 * the planner of the fleet's control mode and the configured driver.
 *
 * The only driver today is "sim" (lib/sim's live twin): the workloads of
 * the fleet become the VMs of a simulated datacenter whose utilisation is
 * the newest sample of each workload's series (percent, as PlanetLab and
 * `headroom agent` report CPU). Modes: observe plans with the predictive
 * planner and never acts (the plan waits for approve/apply); reactive
 * plans with CloudSim's threshold policy (thr-mmt) and acts; predictive
 * plans with headroom's predictive planner and acts.
 */
#ifndef HRD_CTL_H
#define HRD_CTL_H

#include "daemon/server.h"

#define HRD_CTL_FLEET         "default"
#define HRD_CTL_MAX_WORKLOADS 10000
/* Rounds of the sim driver's world before it is built again (the live twin
 * keeps a utilisation per VM and round: 16 KB per workload). */
#define HRD_CTL_WORLD_ROUNDS 2016

typedef struct hrd_ctl hrd_ctl;

/* Start the loop thread (the first round one interval after the start).
 * HR_EINVAL for an unknown loop.driver, HR_EIO if the thread cannot start. */
int hrd_ctl_start(hrd_store *st, const hrd_config *c, hrd_ctl **out, hr_error *err);
/* New loop.interval. */
void hrd_ctl_reload(hrd_ctl *cl, const hrd_config *c);
/* Stop after the round in progress. NULL-safe. */
void hrd_ctl_stop(hrd_ctl *cl);
/* Run one round now (what the thread does every interval). */
int hrd_ctl_round(hrd_ctl *cl, hr_error *err);
/* The latest plan (a new reference), or NULL before the first round:
 * {"id", "fleet", "mode", "policy", "driver", "round", "created", "status"
 * ("proposed", "applied", "approved", "stale"), "applied", "actions":
 * [{"kind", "workload", "from", "to", "reason"}]}. */
json_t *hrd_ctl_plan(hrd_ctl *cl);
/* Carry out the latest plan through the driver (approve or apply). `id`
 * > 0 must be the latest plan's id. HR_ENOTFOUND: no plan with actions;
 * HR_EEXIST: already carried out; HR_EINVAL: id is not the latest plan or
 * the world changed since. *out gets the updated plan. */
int hrd_ctl_execute(hrd_ctl *cl, int64_t id, const char *how, json_t **out, hr_error *err);
/* Rounds run. */
uint64_t hrd_ctl_rounds(hrd_ctl *cl);

#endif
