/* headroom/sim.h - the twin: replay a recorded trace through the control
 * loop (loop.h) with a simulated datacenter, and measure energy and SLA.
 *
 * The model is CloudSim 3.0.3's power-aware consolidation model (Beloglazov
 * and Buyya 2012) as its source computes it: SPECpower tables with linear
 * interpolation, time-shared CPU with over-subscription, migrations of
 * RAM / 62.5 MB/s that cost the migrating VM 10 % of its CPU, VMs removed
 * when their trace reads 0 now and next, energy integrated between updates,
 * and the pooled SLA metrics SLATAH, PDM, SLAV = SLATAH x PDM and ESV =
 * E x SLAV. See docs/ARCHITECTURE.md ("twin") for the differences.
 *
 * Thread-safety: distinct runs may go on in parallel; a trace is read-only
 * once loaded and may be shared by concurrent runs.
 */
#ifndef HEADROOM_SIM_H
#define HEADROOM_SIM_H

#include "common.h"
#include "error.h"
#include "fleet.h"

/* ---- traces ------------------------------------------------------------------------ */

#define HR_TRACE_MAX_VMS   1000000
#define HR_TRACE_MAX_STEPS 100000

/* Utilisation traces, one per VM, on one regular grid. */
typedef struct hr_trace {
    size_t nvms;
    size_t nsteps; /* samples per VM */
    double step_s; /* seconds between samples (PlanetLab: 300) */
    char **names;  /* [nvms] file names (byte order) */
    double *u;     /* [nvms * (nsteps + 1)]: fractions in [0, 1]; slot nsteps repeats
                      slot nsteps - 1, as CloudSim's reader does */
    /* Loaded from a fleet description (else NULL): the fleet (its hosts are
     * simulated unless hr_sim_opts.fleet says otherwise) and each VM's size
     * from its workload's limits, instead of CloudSim's four VM types. */
    hr_fleet *fleet;
    double *vm_mips;    /* [nvms] */
    int32_t *vm_ram_mb; /* [nvms] */
    int32_t *vm_bw;     /* [nvms] in CloudSim's kbit/s */
} hr_trace;

/* Load a folder of traces. Regular files are taken in byte order of their
 * names (hidden files and README* skipped). Each is either PlanetLab (one
 * integer percentage a line) or NAB CSV ("timestamp,value" with values in
 * percent); every file must have the same number of samples and (CSV) the
 * same step. Errors name the file and line: HR_EIO, HR_EPARSE, HR_EDATA
 * (no files, lengths differ, value outside [0, 100]), HR_ELIMIT.
 *
 * `path` may instead be a fleet description (a regular file, JSON,
 * docs/fleet-schema.md, CloudSim mapping): its hosts are the simulated
 * hosts, its workloads in id order the VMs, each with `trace` (a PlanetLab
 * or NAB file, relative to the JSON file's folder) and `limit` giving its
 * MIPS (the fleet's first mips resource: required), RAM (memory, bytes;
 * 0 if the fleet has none) and bandwidth (bits/s; 100 Mbit/s if none).
 * Errors as hr_fleet_load_json's, and HR_EDATA naming the workload.
 * Free with hr_trace_free. */
HR_EXPORT int hr_trace_load(const char *dir, hr_trace **out, hr_error *err);
/* A generated fleet workload for scale runs: nvms traces of nsteps samples
 * every 300 s, deterministic for a seed (diurnal level, noise, bursts and
 * VMs that stop, with PlanetLab's mean utilisation of about 12 %). */
HR_EXPORT int hr_trace_generate(size_t nvms, size_t nsteps, uint64_t seed, hr_trace **out,
                                hr_error *err);
HR_EXPORT void hr_trace_free(hr_trace *t); /* NULL-safe */

/* ---- policies --------------------------------------------------------------------- */

/* Names: "npa", "dvfs", "<detection>-<selection>" with detection thr, iqr,
 * mad, lr, lrr and selection mmt, mu, mc, rs (e.g. "lr-mmt"), and
 * "predictive". Returns the number of names; fills up to max of them. */
HR_EXPORT size_t hr_sim_policy_list(const char **names, size_t max);
/* Whether `name` is a policy; *default_param gets its parameter's default
 * (THR 0.8, IQR 1.5, MAD 2.5, LR/LRR 1.2; NaN when it has none). */
HR_EXPORT bool hr_sim_policy_known(const char *name, double *default_param);

/* ---- runs -------------------------------------------------------------------------- */

typedef struct hr_sim_opts {
    const char *policy; /* see above */
    double param;       /* the policy's parameter; NaN = its default */
    uint64_t seed;      /* RS selection and anything random (0 = fixed default) */
    size_t nhosts;      /* 0 = CloudSim's 800 (half HP ML110 G4, half G5) */
    /* Optional: the hosts of this fleet instead (in order; nhosts ignored);
     * NULL = the trace's own fleet when it was loaded from one.
     * Each needs `cores`, a capacity of the first "mips" resource and a
     * power model; RAM comes from its memory (bytes) resource and
     * bandwidth from its bits/s one when the fleet has them. Borrowed: it
     * must outlive the run. */
    const hr_fleet *fleet;
    bool series;        /* record per-round series (active hosts, energy, and the
                           demand of host watch_host) */
    int32_t watch_vm;   /* record this VM's demand (and the predictive policy's
                           forecast of it); -1 = none */
    int32_t watch_host; /* with series: the host whose demand (and the predictive
                           policy's forecast of it) is recorded; 0 = the first */
    /* Called after every round with the fraction done (may be NULL). */
    void (*progress)(void *ud, double fraction);
    void *progress_ud;
} hr_sim_opts;

/* Per-VM life as the model recorded it (CloudSim's VM state history). */
typedef struct hr_sim_vm_life {
    double first_t, last_t; /* times of its first and last history entries */
    size_t entries;         /* history entries */
    int32_t final_host;     /* host at the end, -1 if removed */
} hr_sim_vm_life;

typedef struct hr_sim_result {
    char policy[32];
    double param;
    size_t vms, hosts;
    size_t vms_removed;
    double energy_kwh;
    size_t migrations;
    double slatah;      /* fraction of active host time with allocated < requested */
    double pdm;         /* degradation due to migration: fraction of requested MIPS*s */
    double slav;        /* slatah * pdm */
    double esv;         /* energy_kwh * slav */
    double sla_overall; /* (requested - allocated) / requested over all VMs */
    double sla_average; /* mean shortfall fraction of under-allocated VM intervals */
    size_t host_shutdowns;
    double shutdown_mean_s, shutdown_std_s;
    double end_s;         /* simulated time of the last update */
    double wall_s;        /* wall-clock time of the run */
    size_t peak_rss_kb;   /* process peak RSS after the run (0 if unknown) */
    hr_sim_vm_life *life; /* [vms] */
    /* opts.series: per round (rounds values each) */
    size_t rounds;
    double *t_s;          /* round times */
    double *active_hosts; /* hosts with load after the round */
    double *energy_cum_kwh;
    double *watch_demand; /* opts.watch_vm: its demand as a fraction, NaN once gone */
    double *watch_fc_mean, *watch_fc_lo, *watch_fc_hi; /* predictive: one-step forecast */
    /* Host watch_host: requested MIPS of the VMs it owns / its capacity at
     * each round; predictive: its one-step forecast made the round before,
     * the sum over the VMs planned there of their mean, low (10 %) and
     * planned (90 %) quantiles - a band of summed quantiles, wider than the
     * quantiles of the sum. NaN where there is none. */
    int32_t watch_host;
    double *host_demand, *host_fc_mean, *host_fc_lo, *host_fc_hi;
    size_t predictive_actions; /* predictive: actions planned; reasons in reasons[] */
    char (*reasons)[96];       /* first few reasons (nreasons) */
    size_t nreasons;
} hr_sim_result;

/* Run one policy over a trace. Deterministic: the same trace, options and
 * seed give the same result, bit for bit (wall_s and peak_rss_kb aside).
 * HR_EINVAL (unknown policy, bad parameter), HR_EDATA (a VM fits no host),
 * HR_ENOMEM. On success release *res with hr_sim_result_release. */
HR_EXPORT int hr_sim_run(const hr_trace *tr, const hr_sim_opts *opts, hr_sim_result *res,
                         hr_error *err);
HR_EXPORT void hr_sim_result_release(hr_sim_result *res);

/* ---- the live twin ------------------------------------------------------------------ */

/* A simulated datacenter driven by utilisations fed from outside, one round
 * at a time, for `headroom serve`'s demo driver: nhosts CloudSim hosts
 * (alternating HP ML110 G4 and G5), nvms VMs of CloudSim's four types
 * placed by PABFD at creation, each round `interval_s` of virtual time.
 * It plugs into hr_loop as telemetry source (hr_sim_live_telemetry: each
 * observe advances the model one round to the utilisations fed last; the
 * `now` argument is ignored), as driver (hr_sim_live_driver: migrations;
 * an action whose workload is gone, moving, or no longer on its `from`
 * host, or whose target does not exist, is skipped, not an error) and
 * through its planners (hr_sim_live_planner). It holds at most max_rounds
 * rounds (0 = HR_TRACE_MAX_STEPS - 2); past them observe fails with
 * HR_ELIMIT and the caller builds a new one. Not thread-safe. */
typedef struct hr_sim_live hr_sim_live;
struct hr_telemetry_ops;
struct hr_driver_ops;
struct hr_planner_ops;

/* HR_EINVAL (no VM, no host, interval <= 0), HR_ELIMIT, HR_EDATA (the VMs
 * do not fit the hosts), HR_ENOMEM. Free with hr_sim_live_free. */
HR_EXPORT int hr_sim_live_new(size_t nvms, size_t nhosts, double interval_s, size_t max_rounds,
                              hr_sim_live **out, hr_error *err);
HR_EXPORT void hr_sim_live_free(hr_sim_live *lv); /* NULL-safe */
/* The utilisations (fractions) of the VMs for the next round: u[i] for VM
 * i < n; NaN keeps VM i's previous value; values are clamped to
 * [0.0001, 1] (a VM of the live twin never finishes). HR_EINVAL if n is
 * not the number of VMs. */
HR_EXPORT int hr_sim_live_feed(hr_sim_live *lv, const double *u, size_t n, hr_error *err);
/* The loop interfaces (headroom/loop.h); their ud is the hr_sim_live. */
HR_EXPORT const struct hr_telemetry_ops *hr_sim_live_telemetry(void);
HR_EXPORT const struct hr_driver_ops *hr_sim_live_driver(void);
/* The planner of `policy` (hr_sim_policy_known names but "npa" and "dvfs"),
 * with its default parameter, built on first use and kept (the predictive
 * policy keeps its forecasting models across rounds); owned by lv.
 * HR_EINVAL for an unknown policy, HR_ENOMEM. */
HR_EXPORT int hr_sim_live_planner(hr_sim_live *lv, const char *policy,
                                  const struct hr_planner_ops **ops, void **ud, hr_error *err);
/* Rounds observed so far, and the model's migrations started and energy. */
HR_EXPORT size_t hr_sim_live_rounds(const hr_sim_live *lv);
HR_EXPORT void hr_sim_live_stats(const hr_sim_live *lv, size_t *migrations, double *energy_kwh);

#endif
