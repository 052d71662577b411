/* daemon/ctl.h - the control loop inside the daemon (ctl.c): every
 * loop.interval seconds, for every fleet of the store, one hr_loop_step
 * (lib/loop.c) over the fleet's world (world.h: the "sim" twin or the
 * "act" driver over lib/act), with the planner of the fleet's control mode:
 *
 *   observe     plans with the predictive policy and never acts: the plan
 *               is a dry-run diff that waits for approve or apply;
 *   reactive    plans with the threshold policy (thr-mmt) and acts;
 *   predictive  plans with headroom's predictive policy and acts.
 *
 * A fleet is the "fleet" member of workloads and hosts ("default" when
 * absent). Approve marks the current plan approved: the next round carries
 * it out if the state it was computed from (workloads, placement, limits)
 * has not changed, else re-plans and the new plan needs approval again.
 * Apply carries it out now. Every plan has a "summary" saying what it does
 * or why it is empty.
 */
#ifndef HRD_CTL_H
#define HRD_CTL_H

#include "daemon/server.h"

#define HRD_CTL_FLEET      "default" /* the fleet of objects without a "fleet" */
#define HRD_CTL_MAX_FLEETS 64

typedef struct hrd_ctl hrd_ctl;

/* Start the loop thread (the first round one interval after the start).
 * HR_EINVAL for an unknown loop.driver or loop.dry_run, HR_EIO if the
 * thread cannot start. */
int hrd_ctl_start(hrd_store *st, const hrd_config *c, hrd_ctl **out, hr_error *err);
/* New loop.interval. */
void hrd_ctl_reload(hrd_ctl *cl, const hrd_config *c);
/* Stop after the round in progress. NULL-safe. */
void hrd_ctl_stop(hrd_ctl *cl);
/* Run one round of every fleet now (what the thread does every interval).
 * Returns the first fleet's error, the other fleets still run. */
int hrd_ctl_round(hrd_ctl *cl, hr_error *err);
/* The latest plan of `fleet` (a new reference), or NULL before its first
 * round: {"id" (null while it has no action), "fleet", "mode", "policy",
 * "driver", "round", "created", "status" ("proposed", "approved",
 * "applied", "stale"), "dry_run", "applied", "summary", "note" (optional),
 * "actions": [{"kind" ("migrate", "resize"), "workload", "from", "to",
 * "reason", and once carried out by the act driver "state", "error",
 * "journal_id"}]}. */
json_t *hrd_ctl_plan(hrd_ctl *cl, const char *fleet);
/* how "approve": mark the latest plan of `fleet` approved (carried out at
 * the next round if still valid); how "apply": carry it out now. `id` > 0
 * must be the latest plan's id. HR_ENOTFOUND: no plan with actions;
 * HR_EEXIST: already approved or carried out; HR_EINVAL: id is not the
 * latest plan, or the fleet changed since (the plan becomes "stale" and the
 * next round re-plans). *out gets the updated plan. */
int hrd_ctl_execute(hrd_ctl *cl, const char *fleet, int64_t id, const char *how, json_t **out,
                    hr_error *err);
/* Rounds in which some fleet planned. */
uint64_t hrd_ctl_rounds(hrd_ctl *cl);
/* Whether the loop follows `fleet` (some host or workload belongs to it);
 * *rounds gets the rounds in which it planned (0 when not followed). */
bool hrd_ctl_fleet_rounds(hrd_ctl *cl, const char *fleet, uint64_t *rounds);

#endif
