/* daemon/actuate.h - the daemon's bridge to lib/act (actuate.c): the action
 * journal, the cgroup and vm.migrate drivers, and the in-host partition
 * solver, behind plain structs.
 *
 * headroom/act.h and headroom/loop.h both name a struct hr_action (a
 * journaled action and a loop action): no file includes both. The loop side
 * (world_act.c) speaks to lib/act through this header only.
 *
 * Not thread-safe: one hrd_actuate per loop thread.
 */
#ifndef HRD_ACTUATE_H
#define HRD_ACTUATE_H

#include <headroom/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hrd_actuate hrd_actuate;

/* Open the journal at `journal` (SQLite, created if missing) and the cgroup
 * hierarchies with `cgroup_parent` created below this process's own cgroups
 * (hr_cgroup_open). A machine without writable cgroups still opens (resizes
 * then fail per action, naming why). HR_EIO, HR_EINVAL, HR_ENOMEM. */
int hrd_actuate_open(const char *journal, const char *cgroup_parent, hrd_actuate **out,
                     hr_error *err);
void hrd_actuate_close(hrd_actuate *a); /* NULL-safe */

/* One action of a plan. In: kind, key and what it acts on; out: what the
 * journal says after the run. */
typedef struct hrd_act_item {
    bool migrate;           /* vm.migrate, else a cgroup resize */
    char key[201];          /* idempotency key ("loop/FLEET/PLAN/INDEX"), HR_ACT_MAX_KEY */
    char plan[201];         /* the plan the action belongs to */
    const char *workload;   /* the journal's target */
    const char *host;       /* the host it runs on now */
    const char *group;      /* resize: cgroup name under the parent */
    const int32_t *pids;    /* resize: processes to put in the group */
    size_t npids;           /* at most 64 */
    int64_t cpu_quota_usec; /* resize: per cpu_period_usec; 0 = leave alone */
    int64_t cpu_period_usec;
    int64_t mem_max;      /* resize: bytes; 0 = leave alone */
    const char *vm_dir;   /* migrate: the VM's directory (headroom vm) */
    const char *to_netns; /* migrate: the destination host's network namespace */
    /* out */
    int64_t journal_id; /* 0 when not journaled (dry run, refused) */
    char state[16];     /* "done", "failed", "pending", ... "dry-run", "invalid" */
    char error[256];    /* why it failed ("" if it did not) */
} hrd_act_item;

/* Validate every item with its driver; unless `dry_run`, journal the valid
 * ones (before anything runs) and carry them out (hr_act_run: retries,
 * per-host concurrency, at most `deadline_ms` in all). Each item's state and
 * error are filled in; an invalid item is reported, not run. Returns the
 * number of items DONE, or HR_EIO when the journal cannot be written. */
int hrd_actuate_run(hrd_actuate *a, hrd_act_item *items, size_t n, bool dry_run,
                    int64_t deadline_ms, hr_error *err);

/* The CPU limit (millicores, from quota / period) and memory max of
 * `group` under the parent as the kernel has them now: 0 for "no limit", a
 * missing group, or a machine without cgroups. */
void hrd_actuate_limits(hrd_actuate *a, const char *group, int64_t *cpu_millis, int64_t *mem_bytes);

/* One tenant of a host for the partition solver: demand quantiles at
 * levels 0.5, 0.9 and 0.99 (millicores, bytes). */
typedef struct hrd_part_in {
    const char *name;
    int32_t priority;
    double quantile; /* its SLA quantile, (0, 1) */
    double cpu_millis[3];
    double mem_bytes[3];
} hrd_part_in;

typedef struct hrd_part_out {
    int64_t cpu_limit_millis, cpu_quota_usec, cpu_period_usec;
    int64_t cpu_want_millis, mem_want_bytes; /* demand at the SLA quantile */
    int64_t mem_max;
    bool short_cpu, short_mem; /* guarantee below the demand at the SLA quantile */
} hrd_part_out;

/* Solve one host's partition (hr_part_solve: guarantees by priority, limits
 * at p99, memory max = limit x 1.25) for n tenants on ncpus cores and
 * mem_bytes of memory. HR_EINVAL (the floors do not fit), HR_ENOMEM. */
int hrd_actuate_partition(const char *host, size_t ncpus, int64_t mem_bytes, const hrd_part_in *in,
                          size_t n, hrd_part_out *out, hr_error *err);

#endif
