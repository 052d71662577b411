/* headroom/act.h - acting on real hosts: the action journal, the driver
 * vtable and its runner, and the drivers (cgroups, tc, QEMU micro-VMs),
 * plus the in-host partition solver.
 *
 * Model. An action is one change to the world ("set tenant web's cgroup
 * limits on host h1", "migrate VM a to netns h2"). It is written to the
 * journal (SQLite in WAL mode, synchronous=FULL) before it starts and on
 * every change of state, so a crash at any point leaves a journal from which
 * hr_act_run reconciles: actions found RUNNING are polled first (the driver
 * looks at the world and says whether the effect holds), never blindly
 * re-applied. Every action has an idempotency key: adding an action whose
 * key is already journaled returns the existing one.
 *
 * Drivers implement struct hr_act_driver. apply must be idempotent:
 * applying an action whose effect already holds succeeds without repeating
 * it. The runner is single-threaded (the library starts no threads): apply
 * starts an action, poll follows it; a driver whose work is synchronous
 * finishes inside apply.
 *
 * Not thread-safe: one journal handle per thread.
 */
#ifndef HEADROOM_ACT_H
#define HEADROOM_ACT_H

#include "common.h"
#include "error.h"

#include <sys/types.h>

/* ---- actions ------------------------------------------------------------------ */

typedef enum hr_act_state {
    HR_ACT_PENDING,  /* journaled, not started, or waiting for its next attempt */
    HR_ACT_RUNNING,  /* apply was called; poll until it is final */
    HR_ACT_DONE,     /* the effect holds (final) */
    HR_ACT_FAILED,   /* a permanent error or attempts exhausted (final) */
    HR_ACT_CANCELED, /* canceled by the caller (final) */
    HR_ACT_UNDONE,   /* undone after DONE (final) */
    HR_ACT_STATE_COUNT_
} hr_act_state;

/* "pending", "running", ... (the journal's spelling); "?" when out of range. */
HR_EXPORT const char *hr_act_state_name(hr_act_state s);
/* The state named `name`, or HR_ENOTFOUND. */
HR_EXPORT int hr_act_state_parse(const char *name, hr_act_state *out);
/* DONE, FAILED, CANCELED and UNDONE are final. */
HR_EXPORT bool hr_act_state_final(hr_act_state s);

#define HR_ACT_MAX_KEY    200 /* bytes in an idempotency key */
#define HR_ACT_MAX_KIND   31  /* bytes in a driver kind ("cgroup", "vm.migrate") */
#define HR_ACT_MAX_HOST   63  /* bytes in a host name */
#define HR_ACT_MAX_TARGET 127 /* bytes in a target name */
#define HR_ACT_MAX_PARAMS 65536
#define HR_ACT_MAX_RESULT 65536

typedef struct hr_action {
    int64_t id;                         /* journal id (> 0), assigned by hr_journal_add */
    char key[HR_ACT_MAX_KEY + 1];       /* idempotency key, unique in the journal */
    char kind[HR_ACT_MAX_KIND + 1];     /* the driver that carries it out */
    char host[HR_ACT_MAX_HOST + 1];     /* concurrency is limited per host */
    char target[HR_ACT_MAX_TARGET + 1]; /* what it acts on (tenant, VM) */
    char plan[HR_ACT_MAX_KEY + 1];      /* the plan it belongs to; stages order a plan */
    int32_t stage; /* plan order: stage k starts once every action of stages < k is final, none
                      FAILED */
    char *params;  /* JSON object text (owned; may be NULL = "{}") */
    hr_act_state state;
    int32_t attempts;     /* apply calls so far */
    int32_t max_attempts; /* >= 1; 0 in a spec = the runner's default */
    int64_t timeout_ms;   /* per attempt; 0 in a spec = the runner's default */
    int64_t started_ms;   /* wall clock of the current attempt's apply (0 if none) */
    int64_t next_ms;      /* earliest wall-clock time of the next attempt */
    double progress;      /* [0, 1] as last reported */
    char *result;         /* driver's JSON result (owned; NULL until it reports one) */
    char error[256];      /* last error message ("" if none) */
} hr_action;

/* Free params and result (the struct itself is the caller's). NULL-safe. */
HR_EXPORT void hr_action_release(hr_action *a);

/* ---- the journal ------------------------------------------------------------------
 * Tables (created on open when missing; see docs/ARCHITECTURE.md "act"):
 *   hr_act_action(id INTEGER PRIMARY KEY, key TEXT UNIQUE, kind, host, target,
 *                 plan, stage, params, state, attempts, max_attempts, timeout_ms,
 *                 started_ms, next_ms, progress, result, error, created_ms,
 *                 updated_ms)
 *   hr_act_event(id INTEGER PRIMARY KEY, action_id, at_ms, state, attempt,
 *                progress, message)           -- every state change, in order
 *   hr_act_meta(key TEXT PRIMARY KEY, value)  -- schema version
 * The file may be shared with other tables (the daemon's store). */
typedef struct hr_journal hr_journal;

/* Open (creating if needed) the journal at `path`, in WAL mode with
 * synchronous=FULL and a 5 s busy timeout. HR_EIO (cannot open, not a
 * database, locked), HR_ENOTSUP (a newer schema version), HR_ENOMEM. */
HR_EXPORT int hr_journal_open(const char *path, hr_journal **out, hr_error *err);
/* NULL-safe. */
HR_EXPORT void hr_journal_close(hr_journal *j);

/* Journal a new action from `spec` (id, state, attempts, progress, result,
 * error, started_ms and next_ms are ignored; state starts PENDING). Returns
 * 1 and *id of the existing action when an action with the same key is
 * journaled already (nothing is written), 0 and the new *id otherwise.
 * HR_EINVAL for an empty key or kind, a field too long, params that are not
 * a JSON object; HR_EIO. */
HR_EXPORT int hr_journal_add(hr_journal *j, const hr_action *spec, int64_t *id, hr_error *err);
/* The action with id `id` into *out (release with hr_action_release).
 * HR_ENOTFOUND, HR_EIO. */
HR_EXPORT int hr_journal_get(hr_journal *j, int64_t id, hr_action *out, hr_error *err);
/* The same by idempotency key. */
HR_EXPORT int hr_journal_find(hr_journal *j, const char *key, hr_action *out, hr_error *err);
/* The actions (only the non-final ones when `only_open`, else all), ordered by
 * (stage, id), into a new array *out of *n (free with hr_action_list_free).
 * At most `limit` (0 = 100000). HR_EIO, HR_ENOMEM. */
HR_EXPORT int hr_journal_list(hr_journal *j, bool only_open, size_t limit, hr_action **out,
                              size_t *n, hr_error *err);
HR_EXPORT void hr_action_list_free(hr_action *v, size_t n);
/* Write a's state, attempts, started_ms, next_ms, progress, result and error
 * (one transaction, durable on return) and append an event with `message`
 * (may be NULL). HR_ENOTFOUND, HR_EIO. */
HR_EXPORT int hr_journal_update(hr_journal *j, const hr_action *a, const char *message,
                                hr_error *err);
/* Number of events of action `id` (for tests and `headroom ... --journal`). */
HR_EXPORT int hr_journal_events(hr_journal *j, int64_t id, size_t *count, hr_error *err);

/* ---- drivers ----------------------------------------------------------------------
 * A driver's functions get its `ud`. Return conventions:
 *   validate: 0 or a negative code (err says why); called before apply and
 *     by hr_act_validate; must not change anything.
 *   apply: start (or finish) the action. Returns HR_ACT_DONE when finished,
 *     HR_ACT_RUNNING when poll must follow, or a negative code. It may set
 *     a->result (malloc'd JSON text, replacing the old one) and a->progress.
 *   poll: look at the world. Returns HR_ACT_DONE (the effect holds),
 *     HR_ACT_RUNNING (in progress; a->progress updated), HR_ACT_PENDING (no
 *     trace of it: apply again, used after a crash), or a negative code
 *     (the attempt failed).
 *   cancel: stop a RUNNING attempt (a timeout or the caller); 0 or negative.
 *   undo: revert a DONE action from what apply recorded in a->result; NULL
 *     when the driver cannot undo.
 * Errors HR_EIO, HR_ECONVERGE, HR_ESTATE and HR_ECANCELED are transient (the
 * runner retries with backoff); any other negative code is permanent. */
typedef struct hr_act_driver {
    const char *kind; /* matches hr_action.kind; a kind ending in '.' matches a prefix */
    void *ud;
    int (*validate)(void *ud, const hr_action *a, hr_error *err);
    int (*apply)(void *ud, hr_action *a, hr_error *err);
    int (*poll)(void *ud, hr_action *a, hr_error *err);
    int (*cancel)(void *ud, hr_action *a, hr_error *err);
    int (*undo)(void *ud, hr_action *a, hr_error *err);
} hr_act_driver;

/* Whether `code` is a transient error (see above). */
HR_EXPORT bool hr_act_transient(int code);

/* Clock and sleep, replaceable for virtual-time tests. now_ms is wall-clock
 * milliseconds (journaled), sleep_ms waits. NULL members use the real ones. */
typedef struct hr_act_clock {
    int64_t (*now_ms)(void *ud);
    void (*sleep_ms)(void *ud, int64_t ms);
    void *ud;
} hr_act_clock;

typedef struct hr_act_opts {
    size_t host_concurrency;   /* RUNNING actions per host at once; 0 = 1 */
    int32_t max_attempts;      /* default for actions that give 0; 0 = 3 */
    int64_t timeout_ms;        /* default per-attempt timeout; 0 = 60000 */
    int64_t backoff_base_ms;   /* first retry delay; 0 = 200 */
    int64_t backoff_max_ms;    /* cap; 0 = 10000 */
    int64_t poll_ms;           /* pause between polls when nothing else to do; 0 = 20 */
    int64_t deadline_ms;       /* give up (HR_ECANCELED) after this long in total; 0 = none */
    uint64_t seed;             /* jitter PRNG seed; 0 = from the clock */
    const hr_act_clock *clock; /* NULL = real time */
    /* Called after every state or progress change (may be NULL). */
    void (*on_change)(const hr_action *a, void *ud);
    void *ud;
} hr_act_opts;

typedef struct hr_act_summary {
    size_t done, failed, canceled, pending; /* states the actions this run found open end in */
    size_t retries;                         /* attempts beyond the first */
    size_t reconciled;                      /* RUNNING at start, settled by poll */
} hr_act_summary;

/* The retry delay before attempt `attempt` (2, 3, ...): min(max, base *
 * 2^(attempt-2)) scaled by a jitter factor in [0.5, 1) drawn from *rng
 * (a splitmix64 state). Exposed for tests. */
HR_EXPORT int64_t hr_act_backoff_ms(const hr_act_opts *o, int32_t attempt, uint64_t *rng);

/* Carry out every non-final action in the journal, each plan in stage
 * order, with at most host_concurrency RUNNING per host, retrying transient
 * failures with backoff and jitter, cancelling attempts that outlive their
 * timeout. Actions found RUNNING (a previous run crashed) are polled first.
 * A stage of a plan starts only when the plan's earlier actions are final
 * and none FAILED (a CANCELED or UNDONE one was meant not to hold); when one
 * fails, the plan's later stages stay PENDING. Returns 0 when every action
 * this run found open is DONE, else HR_EIO naming the first that failed (or
 * is blocked). An action whose kind has no driver fails permanently. */
HR_EXPORT int hr_act_run(hr_journal *j, const hr_act_driver *drivers, size_t ndrivers,
                         const hr_act_opts *o, hr_act_summary *sum, hr_error *err);
/* Validate one action with its driver (HR_ENOTFOUND when none matches). */
HR_EXPORT int hr_act_validate(const hr_act_driver *drivers, size_t ndrivers, const hr_action *a,
                              hr_error *err);
/* Undo DONE action `id` through its driver, journaling UNDONE. HR_ENOTSUP
 * when the driver cannot undo, HR_ESTATE when the action is not DONE. */
HR_EXPORT int hr_act_undo(hr_journal *j, const hr_act_driver *drivers, size_t ndrivers, int64_t id,
                          hr_error *err);
/* Cancel action `id`: PENDING becomes CANCELED; RUNNING is cancelled through
 * its driver first. HR_ESTATE when final. */
HR_EXPORT int hr_act_cancel(hr_journal *j, const hr_act_driver *drivers, size_t ndrivers,
                            int64_t id, hr_error *err);

/* ---- cgroups (lib/act/cgroup.c) -----------------------------------------------------
 * Each controller is detected on its own at open (hybrid layouts exist: a
 * machine may have every controller on v1 and only hugetlb on v2). Groups
 * live under `parent`, which is created below this process's own cgroup in
 * each hierarchy (read from /proc/self/cgroup), so a memory group lands
 * under the process's own memory cgroup. Names: [A-Za-z0-9_.-]{1,64}, not
 * "." or "..". */
typedef enum hr_cg_ctl {
    HR_CG_CPU,     /* v1 cpu, v2 cpu */
    HR_CG_CPUACCT, /* v1 cpuacct (usage); on v2 part of cpu */
    HR_CG_CPUSET,
    HR_CG_MEMORY,
    HR_CG_PIDS,
    HR_CG_IO, /* v1 blkio, v2 io */
    HR_CG_CTL_COUNT_
} hr_cg_ctl;

#define HR_CG_UNSET INT64_MIN /* leave the knob alone / not known */
#define HR_CG_MAX   (-1)      /* "max": no limit */

/* Limits, independent of the cgroup version. v1 mapping: cpu.cfs_quota_us /
 * cfs_period_us, cpu.shares = round(weight * 1024 / 100), cpuset.cpus/mems,
 * memory.limit_in_bytes (max), memory.soft_limit_in_bytes (low; v1 has no
 * high: setting it is HR_ENOTSUP), pids.max, blkio.throttle.{read,write}_bps_device.
 * v2: cpu.max, cpu.weight, cpuset.cpus/mems, memory.max/high/low, pids.max,
 * io.max. */
typedef struct hr_cgroup_limits {
    int64_t cpu_quota_usec;  /* per period; HR_CG_MAX = unlimited */
    int64_t cpu_period_usec; /* 1000..1000000 */
    int64_t cpu_weight;      /* 1..10000 (v2 scale; 100 = default) */
    char cpus[128];          /* cpuset list "0-1,3"; "" = unset */
    char mems[64];
    int64_t mem_max, mem_high, mem_low; /* bytes */
    int64_t pids_max;
    char io_dev[24]; /* "MAJ:MIN" for io_rbps/io_wbps; "" = unset */
    int64_t io_rbps, io_wbps;
} hr_cgroup_limits;

/* Every field HR_CG_UNSET / "". */
HR_EXPORT void hr_cgroup_limits_init(hr_cgroup_limits *l);

typedef struct hr_cgroup_usage {
    int64_t cpu_usec;  /* CPU time used since creation */
    int64_t mem_bytes; /* current memory use */
    int64_t pids;      /* current tasks */
} hr_cgroup_usage;

typedef struct hr_cgroup_sys hr_cgroup_sys;

/* Detect the controllers and create `parent` (a name as above) in each
 * hierarchy that has one of them (mkdir is idempotent; v1 cpuset groups get
 * the parent's cpus and mems; v2 enables the controllers in
 * cgroup.subtree_control on the way). HR_ENOTSUP when no controller is found,
 * HR_EIO (permission, read-only), HR_EINVAL (bad name). */
HR_EXPORT int hr_cgroup_open(const char *parent, hr_cgroup_sys **out, hr_error *err);
/* Frees the handle (does not remove the parent). NULL-safe. */
HR_EXPORT void hr_cgroup_close(hr_cgroup_sys *s);
/* 1 or 2 for a controller found, 0 when missing. */
HR_EXPORT int hr_cgroup_version(const hr_cgroup_sys *s, hr_cg_ctl c);
/* The directory of `group` (NULL: the parent) for controller c into buf:
 * HR_ENOTSUP when the controller is missing, HR_ERANGE when buf is short. */
HR_EXPORT int hr_cgroup_dir(const hr_cgroup_sys *s, hr_cg_ctl c, const char *group, char *buf,
                            size_t size);
/* Create `group` under the parent in every hierarchy (idempotent). */
HR_EXPORT int hr_cgroup_create(hr_cgroup_sys *s, const char *group, hr_error *err);
/* Remove `group` (it must hold no process; a missing group is fine); with
 * group NULL, remove the parent. HR_EIO (EBUSY when processes remain). */
HR_EXPORT int hr_cgroup_remove(hr_cgroup_sys *s, const char *group, hr_error *err);
/* Set every field that is not UNSET (group NULL: the parent itself, e.g.
 * its weight against the host's unmanaged processes). HR_ENOTSUP names a knob whose
 * controller is missing or has no equivalent in its version; HR_EIO names
 * the file and the kernel's errno (e.g. a cpuset outside the parent's). */
HR_EXPORT int hr_cgroup_set(hr_cgroup_sys *s, const char *group, const hr_cgroup_limits *l,
                            hr_error *err);
/* Read every knob the machine has into *out (missing ones stay UNSET);
 * group NULL reads the parent. */
HR_EXPORT int hr_cgroup_get(hr_cgroup_sys *s, const char *group, hr_cgroup_limits *out,
                            hr_error *err);
/* Move process `pid` with all its threads into `group` in every hierarchy. */
HR_EXPORT int hr_cgroup_attach(hr_cgroup_sys *s, const char *group, pid_t pid, hr_error *err);
/* Move every process of `group` back to this process's own cgroups (before
 * removing it). Returns the number moved. */
HR_EXPORT int hr_cgroup_evacuate(hr_cgroup_sys *s, const char *group, hr_error *err);
HR_EXPORT int hr_cgroup_read_usage(hr_cgroup_sys *s, const char *group, hr_cgroup_usage *out,
                                   hr_error *err);
/* Whether setting this field is possible here (controller present and, for
 * mem_high, cgroup v2). `field` is a hr_cgroup_limits member name. */
HR_EXPORT bool hr_cgroup_supports(const hr_cgroup_sys *s, const char *field);

/* The "cgroup" action driver on `s`. params: {"group": NAME, "pids": [PID...],
 * and any hr_cgroup_limits member by name (cpus/mems/io_dev strings, the rest
 * integers, -1 = max)}. apply creates the group, records the old values in
 * result {"before": {...}}, sets, attaches; poll reads back and compares;
 * undo restores "before". Knobs the machine lacks fail validate. */
HR_EXPORT hr_act_driver hr_cgroup_driver(hr_cgroup_sys *s);
/* Limits from/to the params form above. HR_EPARSE names the bad member. */
HR_EXPORT int hr_cgroup_limits_from_json(const char *json, hr_cgroup_limits *out, hr_error *err);
/* A new JSON object text of the set fields (free() it); NULL on OOM. */
HR_EXPORT char *hr_cgroup_limits_to_json(const hr_cgroup_limits *l);

/* ---- network QoS (lib/act/tc.c) --------------------------------------------------------
 * Rate shaping with tc, run through posix_spawn (`tc -n NETNS -batch -`):
 * an HTB tree on the device's egress (root 1:, a parent class 1:1 at the
 * link rate, one class per tenant with its guaranteed rate and ceiling, an
 * unclassified default class 1:fff0), u32 filters classifying by the
 * tenant's source address; for ingress, an ifb device fed by an ingress
 * qdisc with a u32 match-all mirred redirect, carrying the same tree with
 * destination matches. Kernels without netem, fq_codel or police are fine:
 * only htb, ingress, u32, mirred and ifb are used. */
#define HR_TC_MAX_CLASSES 4000

typedef struct hr_tc_class {
    char name[65];
    uint32_t minor;   /* class 1:minor, 2..0xffef */
    int64_t rate_bps; /* guaranteed, > 0 */
    int64_t ceil_bps; /* >= rate */
    int32_t prio;     /* 0 (first) .. 7 */
    char match[64];   /* tenant address "a.b.c.d[/len]"; "" = no filter */
} hr_tc_class;

typedef struct hr_tc_spec {
    char netns[64]; /* "" = this namespace */
    char dev[16];
    int64_t link_bps;
    bool ingress; /* shape what arrives on dev (through ifb "ifb-" + dev) instead */
    hr_tc_class *classes;
    size_t nclasses;
} hr_tc_spec;

/* Replace dev's shaping with `s` (idempotent). HR_EINVAL for a bad spec
 * (rates, minors, a name tc would reject), HR_EIO with tc's message. */
HR_EXPORT int hr_tc_apply(const hr_tc_spec *s, hr_error *err);
/* Remove the shaping (egress root qdisc, or the ingress qdisc and the ifb). */
HR_EXPORT int hr_tc_clear(const char *netns, const char *dev, bool ingress, hr_error *err);
/* The HTB classes on dev (or its ifb): minor, rate, ceil, prio (names and
 * matches are not kept by the kernel). At most `max`; *n gets the count. */
HR_EXPORT int hr_tc_read(const char *netns, const char *dev, bool ingress, hr_tc_class *out,
                         size_t max, size_t *n, hr_error *err);
/* Parse `tc class show` output (exposed for the fuzz target). */
HR_EXPORT int hr_tc_parse_classes(const char *text, hr_tc_class *out, size_t max, size_t *n);
/* The "tc" action driver: params are the spec as JSON {"netns", "dev",
 * "link_bps", "ingress", "classes": [{"name", "minor", "rate_bps",
 * "ceil_bps", "prio", "match"}]}; poll reads the classes back (rates within
 * 1 %, tc prints them rounded); undo clears. */
HR_EXPORT hr_act_driver hr_tc_driver(void);
/* Spec from params JSON (classes malloc'd: free(spec->classes)). */
HR_EXPORT int hr_tc_spec_from_json(const char *json, hr_tc_spec *out, hr_error *err);
/* Params JSON of a spec (free() it); NULL on OOM. */
HR_EXPORT char *hr_tc_spec_to_json(const hr_tc_spec *s);

/* ---- QMP client (lib/act/qmp.c) ---------------------------------------------------------
 * QEMU's machine protocol over a unix socket: one JSON object per line.
 * Commands and replies are JSON text here so the public API does not carry
 * jansson types. Events arriving between replies are counted by name. */
#define HR_QMP_MAX_MSG ((size_t)1 << 20)

typedef struct hr_qmp hr_qmp;

/* Connect to `path`, retrying until `timeout_ms` passes (the socket may not
 * exist yet), read the greeting and negotiate capabilities. HR_EIO names
 * the path ("unreachable QMP socket ...: Connection refused"). */
HR_EXPORT int hr_qmp_connect(const char *path, int64_t timeout_ms, hr_qmp **out, hr_error *err);
/* NULL-safe. */
HR_EXPORT void hr_qmp_close(hr_qmp *q);
/* Execute `cmd` with `args_json` (an object's text, or NULL) and wait up to
 * timeout_ms for its reply. *ret (may be NULL) gets the "return" value as
 * malloc'd JSON text. An error reply is HR_EIO with "cmd: Class: desc"; a
 * timeout or a closed socket HR_EIO as well. */
HR_EXPORT int hr_qmp_exec(hr_qmp *q, const char *cmd, const char *args_json, char **ret,
                          int64_t timeout_ms, hr_error *err);
/* How many events named `name` arrived so far. */
HR_EXPORT size_t hr_qmp_event_count(const hr_qmp *q, const char *name);

typedef enum hr_qmp_kind {
    HR_QMP_GREETING,
    HR_QMP_RETURN,
    HR_QMP_ERROR,
    HR_QMP_EVENT,
} hr_qmp_kind;

/* Classify one QMP message (exposed for the fuzz target): its kind, and
 * into name[] the event name or error class. HR_EPARSE for anything else. */
HR_EXPORT int hr_qmp_parse(const char *msg, size_t len, hr_qmp_kind *kind, char *name,
                           size_t name_size, hr_error *err);

/* ---- QEMU micro-VMs (lib/act/qemu.c) -----------------------------------------------------
 * A VM is a QEMU process started in its own session (it outlives the
 * caller), optionally inside a network namespace (`ip netns exec`), booting
 * a kernel and an initramfs (scripts/build-guest.sh builds the test guest,
 * whose init prints HEADROOM-READY). Each VM has a directory holding its
 * QMP socket, console log, pid file and meta.json (the registry `headroom
 * vm ls` reads).
 * Machine types: microvm (virtio-mmio; balloon and migration only; under
 * TCG the guest needs tsc_early_khz, added from /proc/cpuinfo) and q35
 * (PCI; vCPU, pc-dimm and virtio-mem hot-add on root ports).
 * Acceleration: KVM when /dev/kvm answers KVM_GET_API_VERSION 12 and
 * KVM_CREATE_VM and the CPU has vmx or svm; TCG otherwise (a KVM without
 * hardware virtualisation, such as PVM, cannot run an ordinary guest). */
typedef enum hr_vm_machine { HR_VM_MICROVM, HR_VM_Q35 } hr_vm_machine;

#define HR_VM_MAX_PATH 512

typedef struct hr_vm_config {
    char name[64]; /* [A-Za-z0-9_.-] */
    hr_vm_machine machine;
    int64_t mem_mib;    /* boot memory, 32..65536 */
    int64_t maxmem_mib; /* q35: room for DIMM hot-add (0 = none) */
    int32_t vcpus;      /* 1..64 */
    int32_t max_vcpus;  /* q35: room for vCPU hot-add (0 = vcpus) */
    char kernel[HR_VM_MAX_PATH], initrd[HR_VM_MAX_PATH];
    char dir[HR_VM_MAX_PATH]; /* the VM's directory (created) */
    char netns[64];           /* "" = this namespace */
    char accel[8];            /* "" = auto, "kvm", "tcg" */
    char incoming[128];       /* "tcp:IP:PORT": start as a migration destination */
    char append[256];         /* extra kernel command line */
} hr_vm_config;

typedef struct hr_vm {
    hr_vm_config cfg;
    pid_t pid;
    char qmp[HR_VM_MAX_PATH + 32];     /* socket path */
    char console[HR_VM_MAX_PATH + 32]; /* serial log */
    int64_t boot_ms;                   /* launch to HEADROOM-READY (0 = not waited) */
    int64_t generation;                /* bumped by each completed migration */
    char accel[8];                     /* what it runs with */
    char home[HR_VM_MAX_PATH];         /* where meta.json lives: the first cfg.dir; a
                                          migrated VM runs in home/genN */
} hr_vm;

/* "kvm" or "tcg" into out; when TCG, why into why (may be NULL). */
HR_EXPORT void hr_vm_accel_probe(char *out, size_t size, char *why, size_t why_size);
/* Host TSC rate in kHz from /proc/cpuinfo ("cpu MHz" x 1000); 0 if unknown. */
HR_EXPORT int64_t hr_vm_tsc_khz(void);
/* Start a VM (not waiting for the guest): checks the kernel and initrd exist
 * (HR_ENOTFOUND naming them), makes cfg.dir, spawns QEMU and waits until its
 * QMP socket answers (or QEMU exits: HR_EIO with the end of its log). */
HR_EXPORT int hr_vm_start(const hr_vm_config *cfg, hr_vm *out, hr_error *err);
/* Wait until the console log has a line containing `marker` (HR_EIO on
 * timeout or when QEMU exits first). Polls the log every 20 ms. */
HR_EXPORT int hr_vm_wait_console(const hr_vm *vm, const char *marker, int64_t timeout_ms,
                                 hr_error *err);
/* Balloon to target_mib and wait until query-balloon reports it (within
 * 1 MiB); *actual_mib gets the final size. HR_EIO on timeout. */
HR_EXPORT int hr_vm_balloon(hr_vm *vm, int64_t target_mib, int64_t timeout_ms, int64_t *actual_mib,
                            hr_error *err);
/* Hot-add one vCPU / a DIMM of mib MiB. HR_ENOTSUP on microvm (which cannot
 * hot-plug) or without room (max_vcpus, maxmem_mib). */
HR_EXPORT int hr_vm_add_cpu(hr_vm *vm, hr_error *err);
HR_EXPORT int hr_vm_add_memory(hr_vm *vm, int64_t mib, hr_error *err);
/* Resize the VM's virtio-mem device to mib MiB (a multiple of 128; the
 * device is created on a root port at the first call, backed by what
 * maxmem leaves after DIMMs) and wait until the guest has plugged or
 * unplugged it. q35 only (HR_ENOTSUP on microvm); HR_ELIMIT past maxmem. */
HR_EXPORT int hr_vm_set_vmem(hr_vm *vm, int64_t mib, int64_t timeout_ms, hr_error *err);
/* QMP quit, then SIGKILL after timeout_ms; waits for the process to end.
 * A VM already gone is fine. */
HR_EXPORT int hr_vm_stop(hr_vm *vm, int64_t timeout_ms, hr_error *err);
/* Whether the VM's QEMU process is alive. */
HR_EXPORT bool hr_vm_alive(const hr_vm *vm);
/* meta.json in the VM's home directory (atomic), and back from `dir`. */
HR_EXPORT int hr_vm_save(const hr_vm *vm, hr_error *err);
HR_EXPORT int hr_vm_load(const char *dir, hr_vm *out, hr_error *err);

typedef struct hr_vm_migration {
    char status[32]; /* "completed", or why it did not */
    int64_t total_ms, downtime_ms, setup_ms;
    int64_t bytes; /* ram.transferred */
    int32_t attempts;
} hr_vm_migration;

/* The "vm.migrate" action driver. params: {"dir": the VM's directory,
 * "to_netns": NS, "postcopy": bool, "max_bandwidth": bytes/s (0 = QEMU's),
 * "attempt_timeout_ms"}. apply starts a destination QEMU in NS (listening
 * on NS's first IPv4 address) and the migration; poll follows query-migrate
 * and, once the destination reports "running", stops the source and
 * rewrites meta.json (pid, qmp, netns, generation + 1). A failed or
 * timed-out attempt cancels the migration and kills the destination; the
 * source keeps running throughout. After a crash, poll resumes from what
 * result recorded (both pids and sockets). result: {"src_pid", "dst_pid",
 * "dst_dir", "uri", "status", "total_ms", "downtime_ms", "bytes"}. */
HR_EXPORT hr_act_driver hr_vm_migrate_driver(void);
/* The migration figures from a vm.migrate action's result. */
HR_EXPORT int hr_vm_migration_result(const char *result_json, hr_vm_migration *out);
/* First global IPv4 address of namespace ns ("" = this one) into buf. */
HR_EXPORT int hr_vm_netns_addr(const char *ns, char *buf, size_t size, hr_error *err);

/* ---- in-host partitioning (lib/act/partition.c, hostfile.c) -------------------------
 * The host is one pool of CPU (millicores over its cores), memory (bytes)
 * and egress bandwidth (bits/s). Each tenant's demand for each comes as
 * forecast quantiles. The solver gives every tenant, per resource:
 *   a guarantee  = its demand at its SLA quantile, served by priority class
 *                  (higher first) and max-min fair (water-filling) inside the
 *                  class where capacity runs out;
 *   a limit      = its demand at the top level (opts.top_level), at least
 *                  the guarantee, at most the capacity.
 * These map to cpu.weight in proportion to the guarantee and a CFS quota
 * equal to the limit; exclusive whole cores (a cpuset no other tenant gets)
 * for pinned SLAs; memory low = guarantee, high = limit, max = limit x
 * (1 + opts.mem_max_margin); HTB rate = guarantee, ceil = limit.
 * Per resource this greedy is exactly optimal for the objective "maximise
 * the guarantees lexicographically by priority class, max-min fair inside a
 * class" (docs/ARCHITECTURE.md "act" has the argument); pinned cores are
 * granted whole, by priority, keeping one core shared when unpinned tenants
 * exist. Hysteresis: a value within opts.hysteresis (relative) of the
 * previous solution keeps the previous value, provided the guarantees still
 * fit. */
#define HR_PART_MAX_TENANTS 4096
#define HR_PART_MAX_LEVELS  16
#define HR_PART_MAX_PIDS    64

typedef enum hr_part_res { HR_PART_CPU, HR_PART_MEM, HR_PART_NET, HR_PART_RES_COUNT_ } hr_part_res;

/* Quantiles of one demand: values[i] at levels[i], levels ascending in
 * (0, 1), values non-decreasing. n = 0: no demand known (treated as 0). */
typedef struct hr_part_demand {
    double levels[HR_PART_MAX_LEVELS];
    double values[HR_PART_MAX_LEVELS];
    size_t n;
} hr_part_demand;

/* The demand at level p: linear between known levels, flat beyond them. */
HR_EXPORT double hr_part_demand_at(const hr_part_demand *d, double p);

typedef struct hr_part_tenant {
    char name[65]; /* also its cgroup name */
    int32_t priority;
    double quantile; /* SLA quantile to guarantee, in (0, 1) */
    bool pin;        /* exclusive cores */
    hr_part_demand demand[HR_PART_RES_COUNT_];
    int64_t mem_cap; /* hard cap on memory max from the host file; 0 = none */
    char match[64];  /* egress classification: destination "a.b.c.d[/len]"; "" = none */
    int32_t pids[HR_PART_MAX_PIDS];
    size_t npids;
} hr_part_tenant;

typedef struct hr_part_host {
    char name[64];
    int32_t cpus[1024]; /* usable core ids, ascending */
    size_t ncpus;
    int64_t mem_bytes;
    int64_t net_bps;  /* 0 = no egress shaping */
    char net_dev[16]; /* egress interface */
    char netns[64];   /* its network namespace ("" = this one) */
    char cgroup_parent[65];
    int64_t reserve[HR_PART_RES_COUNT_]; /* kept back for the host itself */
    hr_part_tenant *tenants;             /* owned */
    size_t ntenants;
} hr_part_host;

/* Free the tenants (the struct is the caller's). NULL-safe. */
HR_EXPORT void hr_part_host_release(hr_part_host *h);

/* Load a host file, YAML or JSON (by content: JSON starts with '{'), into
 * *out (release with hr_part_host_release). Schema in docs/ARCHITECTURE.md
 * "act". Errors name the file and the field ("host.yaml: tenants[2].cpu:
 * ..."); YAML and JSON syntax errors carry line and column. HR_EPARSE,
 * HR_EINVAL (values that make no sense, e.g. a tenant asking at its SLA
 * quantile for more than the host has), HR_ELIMIT, HR_EIO. */
HR_EXPORT int hr_part_host_load(const char *path, hr_part_host *out, hr_error *err);
HR_EXPORT int hr_part_host_parse(const char *buf, size_t len, const char *name, hr_part_host *out,
                                 hr_error *err);
/* Merge a forecast file {"tenants": {NAME: {"cpu": {LEVEL: AMOUNT, ...},
 * "memory": ..., "egress": ...}}} into h: at each level the larger of the
 * two (the host's own recent telemetry and the fleet-wide forecast), levels
 * united. Unknown tenants are HR_EPARSE. */
HR_EXPORT int hr_part_forecast_merge(hr_part_host *h, const char *buf, size_t len, const char *name,
                                     hr_error *err);

typedef struct hr_part_alloc {
    char name[65];
    int64_t guarantee[HR_PART_RES_COUNT_]; /* millicores, bytes, bits/s */
    int64_t limit[HR_PART_RES_COUNT_];
    int64_t want[HR_PART_RES_COUNT_];  /* demand at the SLA quantile */
    bool short_of[HR_PART_RES_COUNT_]; /* guarantee below want */
    int64_t cpu_weight;                /* 1..10000 */
    int64_t cpu_quota_usec;            /* per period; HR_CG_MAX for pinned */
    char cpus[128];                    /* cpuset list */
    bool pinned;
    bool pin_denied; /* asked for pinning, did not fit */
    int64_t mem_max;
} hr_part_alloc;

typedef struct hr_part_opts {
    double hysteresis;     /* relative band; 0 = 0.05; < 0 = none */
    double top_level;      /* level of the limits; 0 = 0.99 */
    double mem_max_margin; /* 0 = 0.25 */
    int64_t period_usec;   /* CFS period; 0 = 100000 */
} hr_part_opts;

/* Solve: out[i] for h->tenants[i]. `prev` (may be NULL) is the previous
 * solution, matched by name, for hysteresis. HR_EINVAL when the host cannot
 * give every tenant its floor (10 millicores, 1 MiB, 8 kbit/s) or a pinned
 * core set is impossible. Deterministic. */
HR_EXPORT int hr_part_solve(const hr_part_host *h, const hr_part_alloc *prev, size_t nprev,
                            const hr_part_opts *o, hr_part_alloc *out, hr_error *err);

/* The actions that carry out `alloc` (from hr_part_solve on h) into a new
 * array *out of *n (free with hr_action_list_free):
 *   - per tenant one "cgroup" action (group = tenant name) with quota,
 *     period, weight, cpuset, memory max/low (and high when `mem_high`, the
 *     machine having cgroup v2 memory), and the tenant's pids; when `prev`
 *     (the allocation in force, matched by name) is given, the knobs that
 *     shrink go in stage 0 and those that grow in stage 1, so every
 *     intermediate state fits the host;
 *   - one "tc" action (stage 1) when the host shapes egress: one class per
 *     tenant, rate = guarantee, ceil = limit, prio from the priority rank.
 * Keys are "partition/HOST/DIGEST/TENANT/STAGE" with DIGEST a hash of the
 * whole plan: re-planning the same solution yields the same keys, so the
 * journal does not repeat it. HR_ENOMEM, HR_EINVAL. */
HR_EXPORT int hr_part_actions(const hr_part_host *h, const hr_part_alloc *alloc,
                              const hr_part_alloc *prev, size_t nprev, bool mem_high,
                              hr_action **out, size_t *n, hr_error *err);
/* The allocation as JSON {"host": NAME, "tenants": [{name, cpu: {want,
 * guarantee, limit, weight, quota_usec, cpus, pinned, pin_denied, short},
 * memory: {want, low, high, max, short}, egress: {want, rate, ceil,
 * short}}]} (free() it); NULL on OOM. */
HR_EXPORT char *hr_part_alloc_to_json(const hr_part_host *h, const hr_part_alloc *a, size_t n);
/* Back from that JSON (a state file): *out malloc'd, *n entries. HR_EPARSE. */
HR_EXPORT int hr_part_alloc_from_json(const char *buf, size_t len, const char *name,
                                      hr_part_alloc **out, size_t *n, hr_error *err);

#endif
