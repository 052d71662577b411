/* Library-internal interface of the twin: the datacenter model (model.c),
 * the CloudSim baseline planner (cloudsim.c), the predictive planner
 * (predictive.c) and the loop adapters (run.c). */
#ifndef HR_SIM_INTERNAL_H
#define HR_SIM_INTERNAL_H

#include <headroom/fleet.h>
#include <headroom/loop.h>
#include <headroom/sim.h>

#define SIM_HIST        HR_OBS_HISTORY
#define SIM_MIG_BW_MB   62.5 /* CloudSim: RAM / (1 Gbit/s / (2 * 8000)) */
#define SIM_MAX_CLASSES 64   /* host types told apart by the placement shortcuts */

typedef struct sim_vm {
    double mips;
    int32_t ram_mb;
    int32_t bw;
    const double *u; /* trace, nsteps + 1 values */
    int32_t host;    /* owning host (CloudSim's VM table), -1 once removed */
    bool alive, in_mig;
    double req;            /* requested MIPS at the last update */
    double hist[SIM_HIST]; /* utilisation history, newest first */
    size_t nhist;
    double hist_t; /* PowerVm previousTime */
    /* state history, streamed: the pending entry may still be overwritten */
    bool pend, fin;
    double p_t, p_alloc, p_req;
    bool p_mig;
    double f_t, f_alloc, f_req;
    bool f_mig;
    double tot_alloc, tot_req, under_mig;
    double first_t;
    size_t entries;
} sim_vm;

typedef struct sim_host {
    double pe_mips, total_mips;
    int32_t pes;
    const hr_power_model *pm;
    double max_w;
    /* VM list in CloudSim order, with per-member scheduler flags */
    int32_t *vm;
    uint8_t *in;  /* migrating in */
    uint8_t *out; /* scheduler's migrating-out mark */
    double *alloc;
    size_t n, cap;
    double util_mips, prev_util_mips;
    double avail; /* scheduler's available MIPS */
    int32_t ram_free, bw_free;
    /* state history, streamed */
    bool pend, fin;
    double p_t, p_alloc, p_req;
    bool p_act;
    double f_t, f_alloc, f_req;
    bool f_act;
    bool sd_prev_act;
    double sd_last_on;
} sim_host;

typedef struct sim_event {
    double t;
    int32_t vm, host;
} sim_event;

typedef enum sim_dc { SIM_DC_POWER, SIM_DC_NPA } sim_dc;

typedef struct sim_model {
    const hr_trace *tr;
    sim_dc dc;
    bool migrations;
    size_t nvms, nhosts;
    sim_vm *vms;
    sim_host *hosts;
    double interval, end_t;
    double now, last_process;
    bool updated; /* a full update has run (at last_process) */
    double energy_ws;
    size_t migration_count;
    sim_event *ev;
    size_t nev, ev_cap, ev_head;
    /* finished metrics */
    double sla_time, act_time;
    double sd_sum, sd_sumsq;
    size_t sd_n;
    double viol_frac_sum;
    size_t viol_n;
    /* observation (filled on demand) */
    hr_obs obs;
    hr_obs_host *obs_hosts;
    hr_obs_workload *obs_wl;
    int32_t *scratch; /* [nvms] */
    /* host types: cls[h] in [0, ncls); ncls 0 when there are too many */
    int32_t *cls;
    size_t ncls;
} sim_model;

/* CloudSim's host and VM types. */
extern const hr_power_model hr__sim_g4, hr__sim_g5;

/* Build the model: the fleet's hosts if `fleet` is set, else nhosts hosts
 * alternating G4/G5 (CloudSim's 800 by default); one VM per trace, VM
 * types in four contiguous blocks. */
int hr__sim_model_init(sim_model *m, const hr_trace *tr, size_t nhosts, const hr_fleet *fleet,
                       sim_dc dc, bool migrations, hr_error *err);
void hr__sim_model_release(sim_model *m);
/* Initial placement at t = 0 (VMs ask for their full MIPS): first fit
 * (NPA/DVFS) or PABFD. HR_EDATA if a VM fits nowhere. */
int hr__sim_place_initial(sim_model *m, bool pabfd, hr_error *err);
/* Advance to the round at `t`: migrations completing before it, then the
 * datacenter update at t (energy, histories, removal of finished VMs). */
int hr__sim_advance_to(sim_model *m, double t);
/* Start a migration of `vm` to `host` at the current time. */
int hr__sim_migrate(sim_model *m, int32_t vm, int32_t host);
/* Process the remaining events up to the end, close the histories. */
int hr__sim_finish(sim_model *m);
/* Fill and return the observation of the current state. */
const hr_obs *hr__sim_observe(sim_model *m);
/* CloudSim's trace interpolation at time t (UtilizationModelPlanetLabInMemory). */
double hr__sim_util_at(const double *u, double step_s, double t);
/* hr_power_watts to the last bit, without its fmod for table models. */
double hr__sim_power(const hr_power_model *pm, double u);
/* Host CPU utilisation as CloudSim reports it (clamped to 1 in (1, 1.01)). */
double hr__sim_host_util(const sim_host *h);
/* The metrics CloudSim's Helper.printResults computes, into r (life if set). */
void hr__sim_metrics(const sim_model *m, hr_sim_result *r);

/* ---- recorder (record.c) ---- */
/* Allocate the series of a run of `rounds` rounds (HR_ELIMIT past
 * HR_TRACE_MAX_STEPS, HR_ENOMEM); the result owns them. */
int hr__sim_rec_init(hr_sim_result *res, size_t rounds, const hr_sim_opts *o);
/* Record the state after a round at time t (nothing once `cap` are kept). */
void hr__sim_rec_round(hr_sim_result *res, const sim_model *m, int32_t watch_vm, size_t cap,
                       double t);

/* ---- planners ---- */
typedef struct sim_planner {
    const hr_planner_ops *ops;
    void *ud;
    void (*free)(void *ud);
} sim_planner;

typedef enum sim_detect {
    SIM_DET_NONE,
    SIM_DET_THR,
    SIM_DET_IQR,
    SIM_DET_MAD,
    SIM_DET_LR,
    SIM_DET_LRR
} sim_detect;
typedef enum sim_select { SIM_SEL_MMT, SIM_SEL_MU, SIM_SEL_MC, SIM_SEL_RS } sim_select;

/* "thr-mmt" and the like: detection, selection and default parameter
 * (run.c). False for other names. */
bool hr__sim_parse_family(const char *name, sim_detect *d, sim_select *s, double *param);

/* The CloudSim consolidation family over the model's observation. */
int hr__sim_cloudsim_planner(sim_planner *p, sim_model *m, sim_detect d, sim_select s, double param,
                             uint64_t seed, hr_error *err);
/* headroom's predictive policy. */
int hr__sim_predictive_planner(sim_planner *p, sim_model *m, const hr_sim_opts *o,
                               hr_sim_result *res, hr_error *err);

#endif
