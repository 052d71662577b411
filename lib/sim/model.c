/* The simulated datacenter: CloudSim 3.0.3's PowerDatacenter, HostDynamicWorkload,
 * VmSchedulerTimeSharedOverSubscription and PowerVm, operation for operation
 * where the order of floating-point operations decides a comparison. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* SPECpower tables (CloudSim PowerModelSpecPowerHpProLiantMl110G4Xeon3040/G5Xeon3075). */
const hr_power_model hr__sim_g4 = {
    .kind = HR_POWER_TABLE, .table_w = {86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117}};
const hr_power_model hr__sim_g5 = {
    .kind = HR_POWER_TABLE, .table_w = {93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135}};

/* CloudSim's VM types {MIPS, RAM MB}. */
static const double vm_mips[4] = {2500, 2000, 1000, 500};
static const int32_t vm_ram[4] = {870, 1740, 1740, 613};

#define HOST_RAM_MB 4096
#define HOST_BW     1000000
#define VM_BW       100000

/* Where time t falls on the trace grid: the same for every VM, so the
 * division and fmod are done once per update instead of once per VM. */
typedef struct util_pos {
    bool exact;
    int t1, t2;
    double den, off; /* (t2 - t1) * step_s, t - t1 * step_s */
} util_pos;

static util_pos util_pos_at(double step_s, double t)
{
    util_pos p = {0};
    if (fmod(t, step_s) == 0) {
        p.exact = true;
        p.t1 = p.t2 = (int)t / (int)step_s;
        return p;
    }
    p.t1 = (int)floor(t / step_s);
    p.t2 = (int)ceil(t / step_s);
    p.den = (p.t2 - p.t1) * step_s;
    p.off = t - p.t1 * step_s;
    return p;
}

/* CloudSim's interpolation, operation for operation. */
static double util_at(const double *u, const util_pos *p)
{
    if (p->exact) return u[p->t1];
    double u1 = u[p->t1], u2 = u[p->t2];
    double delta = (u2 - u1) / p->den;
    return u1 + delta * p->off;
}

double hr__sim_util_at(const double *u, double step_s, double t)
{
    util_pos p = util_pos_at(step_s, t);
    return util_at(u, &p);
}

double hr__sim_host_util(const sim_host *h)
{
    double u = h->util_mips / h->total_mips;
    if (u > 1 && u < 1.01) u = 1;
    return u;
}

static double host_prev_util(const sim_host *h)
{
    double u = h->prev_util_mips / h->total_mips;
    if (u > 1 && u < 1.01) u = 1;
    return u;
}

double hr__sim_power(const hr_power_model *pm, double u)
{
    if (pm->kind != HR_POWER_TABLE || !(u >= 0 && u <= 1)) return hr_power_watts(pm, u);
    /* hr_power_watts's fmod(u, 0.1) == 0 holds for whole multiples of the
     * double 0.1 that are doubles themselves: n x 0.1 for n = 0, 1, 2, 4, 8
     * (0.1 is odd x 2^-55 with 52 significant bits; n x it needs more than
     * 53 unless n is a power of two) */
    if (u == 0 || u == 0.1 || u == 0.2 || u == 0.4 || u == 0.8) return pm->table_w[(int)(u * 10)];
    int u1 = (int)floor(u * 10), u2 = (int)ceil(u * 10);
    double p1 = pm->table_w[u1], p2 = pm->table_w[u2];
    double delta = (p2 - p1) / 10;
    return p1 + delta * (u - (double)u1 / 10) * 100;
}

static double power_at(const sim_host *h, double u)
{
    if (u > 1) u = 1; /* CloudSim would stop here; the model never gets there */
    return hr__sim_power(h->pm, u);
}

/* ---- host VM lists ------------------------------------------------------------ */

static int host_reserve(sim_host *h, size_t n)
{
    if (n <= h->cap) return 0;
    size_t cap = h->cap ? h->cap * 2 : 16;
    while (cap < n) cap *= 2;
    int32_t *vm = realloc(h->vm, cap * sizeof *vm);
    if (!vm) return HR_ENOMEM;
    h->vm = vm;
    uint8_t *in = realloc(h->in, cap);
    if (!in) return HR_ENOMEM;
    h->in = in;
    uint8_t *out = realloc(h->out, cap);
    if (!out) return HR_ENOMEM;
    h->out = out;
    double *alloc = realloc(h->alloc, cap * sizeof *alloc);
    if (!alloc) return HR_ENOMEM;
    h->alloc = alloc;
    h->cap = cap;
    return 0;
}

static int host_append(sim_host *h, int32_t vm, bool in)
{
    int rc = host_reserve(h, h->n + 1);
    if (rc < 0) return rc;
    h->vm[h->n] = vm;
    h->in[h->n] = in;
    h->out[h->n] = 0;
    h->alloc[h->n] = 0;
    h->n++;
    return 0;
}

static long host_find(const sim_host *h, int32_t vm)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->vm[i] == vm) return (long)i;
    return -1;
}

static void host_remove_at(sim_host *h, size_t i)
{
    size_t k = h->n - i - 1;
    memmove(h->vm + i, h->vm + i + 1, k * sizeof *h->vm);
    memmove(h->in + i, h->in + i + 1, k);
    memmove(h->out + i, h->out + i + 1, k);
    memmove(h->alloc + i, h->alloc + i + 1, k * sizeof *h->alloc);
    h->n--;
}

/* ---- state histories (streamed: an entry at the same time overwrites) ----------- */

static void host_finalize(sim_model *m, sim_host *h)
{
    if (h->fin && h->f_act) { /* getSlaTimePerActiveHost */
        double dt = h->p_t - h->f_t;
        m->act_time += dt;
        if (h->f_alloc < h->f_req) m->sla_time += dt;
    }
    if (h->sd_prev_act && !h->p_act) { /* getTimesBeforeHostShutdown */
        double d = h->p_t - h->sd_last_on;
        m->sd_sum += d;
        m->sd_sumsq += d * d;
        m->sd_n++;
    }
    if (!h->sd_prev_act && h->p_act) h->sd_last_on = h->p_t;
    h->sd_prev_act = h->p_act;
    h->fin = true;
    h->f_t = h->p_t;
    h->f_alloc = h->p_alloc;
    h->f_req = h->p_req;
    h->f_act = h->p_act;
}

static void host_entry(sim_model *m, sim_host *h, double t, double alloc, double req, bool act)
{
    if (h->pend && h->p_t != t) host_finalize(m, h);
    h->pend = true;
    h->p_t = t;
    h->p_alloc = alloc;
    h->p_req = req;
    h->p_act = act;
}

static void vm_finalize(sim_model *m, sim_vm *v)
{
    if (v->fin) { /* getSlaMetrics */
        double dt = v->p_t - v->f_t;
        v->tot_alloc += v->f_alloc * dt;
        v->tot_req += v->f_req * dt;
        if (v->f_alloc < v->f_req) {
            m->viol_frac_sum += (v->f_req - v->f_alloc) / v->f_req;
            m->viol_n++;
            if (v->f_mig) v->under_mig += (v->f_req - v->f_alloc) * dt;
        }
    }
    v->fin = true;
    v->f_t = v->p_t;
    v->f_alloc = v->p_alloc;
    v->f_req = v->p_req;
    v->f_mig = v->p_mig;
}

static void vm_entry(sim_model *m, sim_vm *v, double t, double alloc, double req, bool mig)
{
    if (v->pend && v->p_t == t) {
        v->p_alloc = alloc;
        v->p_req = req;
        v->p_mig = mig;
        return;
    }
    if (v->pend) vm_finalize(m, v);
    if (!v->entries) v->first_t = t;
    v->entries++;
    v->pend = true;
    v->p_t = t;
    v->p_alloc = alloc;
    v->p_req = req;
    v->p_mig = mig;
}

/* ---- CPU allocation (VmSchedulerTimeSharedOverSubscription) ---------------------- */

static double capped(const sim_host *h, double req)
{
    return req > h->pe_mips ? h->pe_mips : req;
}

/* Scale every member up to `upto` (inclusive) by capacity / requested. */
static void redistribute(sim_model *m, sim_host *h, size_t upto)
{
    double total = 0;
    for (size_t j = 0; j <= upto; j++) {
        double r = capped(h, m->vms[h->vm[j]].req);
        if (h->in[j]) r *= 0.1;
        total += r;
    }
    double scale = h->total_mips / total;
    for (size_t j = 0; j <= upto; j++) {
        double a = capped(h, m->vms[h->vm[j]].req);
        if (h->out[j]) {
            a *= scale;
            a *= 0.9;
        } else if (h->in[j]) {
            a *= 0.1;
            a *= scale;
        } else {
            a *= scale;
        }
        h->alloc[j] = floor(a);
    }
}

/* Allocate every member in list order, as deallocating all and allocating
 * each again does. CloudSim redistributes over the members so far at each
 * member that does not fit; each redistribution overwrites the ones before
 * it, so only the last is done (the same numbers, in linear time). */
static void host_allocate(sim_model *m, sim_host *h)
{
    size_t last_over = SIZE_MAX;
    h->avail = h->total_mips;
    for (size_t i = 0; i < h->n; i++) {
        const sim_vm *v = &m->vms[h->vm[i]];
        if (v->in_mig) {
            if (!h->in[i]) h->out[i] = 1;
        } else {
            h->out[i] = 0;
        }
        double rc = capped(h, v->req), tr = rc;
        if (h->in[i]) tr *= 0.1;
        if (h->avail >= tr) {
            double a = rc;
            if (h->out[i])
                a *= 0.9;
            else if (h->in[i])
                a *= 0.1;
            h->alloc[i] = a;
            h->avail -= tr;
        } else {
            last_over = i;
            h->avail = 0;
        }
    }
    if (last_over != SIZE_MAX) redistribute(m, h, last_over);
}

/* HostDynamicWorkload.updateVmsProcessing at time t. */
static void host_update(sim_model *m, sim_host *h, double t)
{
    util_pos pos = util_pos_at(m->tr->step_s, t);
    bool hist_round = fmod(t - 0.1, m->interval) == 0;
    /* after a full update at t every VM's demand and history are those at
     * t already (a migration's updates): computing them again changes nothing */
    size_t n = t == m->last_process && m->updated ? 0 : h->n;
    for (size_t i = 0; i < n; i++) {
        sim_vm *v = &m->vms[h->vm[i]];
        double u = util_at(v->u, &pos);
        v->req = u * v->mips;
        /* PowerVm: one history value per round, at t = k * interval + 0.1 */
        if (hist_round && t > v->hist_t) {
            memmove(v->hist + 1, v->hist, (SIM_HIST - 1) * sizeof *v->hist);
            v->hist[0] = u;
            if (v->nhist < SIM_HIST) v->nhist++;
            v->hist_t = t;
        }
    }
    h->prev_util_mips = h->util_mips;
    host_allocate(m, h);
    double util = 0, req = 0;
    for (size_t i = 0; i < h->n; i++) {
        sim_vm *v = &m->vms[h->vm[i]];
        double a = h->alloc[i];
        if (!h->in[i]) {
            vm_entry(m, v, t, a, v->req, v->in_mig);
            if (v->in_mig) a /= 0.9;
        }
        util += a;
        req += v->req;
    }
    h->util_mips = util;
    host_entry(m, h, t, util, req, util > 0);
}

/* Remove a VM from its owning host (VmAllocationPolicy.deallocateHostForVm). */
static void vm_deallocate(sim_model *m, int32_t id)
{
    sim_vm *v = &m->vms[id];
    if (v->host < 0) return;
    sim_host *h = &m->hosts[v->host];
    long i = host_find(h, id);
    if (i >= 0) host_remove_at(h, (size_t)i);
    v->host = -1;
}

/* PowerDatacenter.updateCloudetProcessingWithoutSchedulingFutureEventsForce */
static void full_update(sim_model *m, double t)
{
    double dt = t - m->last_process;
    for (size_t i = 0; i < m->nhosts; i++) host_update(m, &m->hosts[i], t);
    if (dt > 0) {
        double e = 0;
        for (size_t i = 0; i < m->nhosts; i++) {
            const sim_host *h = &m->hosts[i];
            if (m->dc == SIM_DC_NPA) {
                e += h->max_w * dt;
                continue;
            }
            double from = host_prev_util(h), to = hr__sim_host_util(h);
            if (from == 0) continue;
            double pf = power_at(h, from), pt = power_at(h, to);
            e += (pf + (pt - pf) / 2) * dt;
        }
        m->energy_ws += e;
    }
    /* completed VMs (HostDynamicWorkload.getCompletedVms): requested 0, not migrating */
    for (size_t i = 0; i < m->nhosts; i++) {
        sim_host *h = &m->hosts[i];
        size_t n = 0;
        for (size_t j = 0; j < h->n; j++) {
            const sim_vm *v = &m->vms[h->vm[j]];
            if (!v->in_mig && v->req == 0 && v->alive) m->scratch[n++] = h->vm[j];
        }
        for (size_t j = 0; j < n; j++) {
            m->vms[m->scratch[j]].alive = false;
            vm_deallocate(m, m->scratch[j]);
        }
    }
    m->last_process = t;
    m->updated = true;
}

/* ---- migrations ------------------------------------------------------------------- */

static int push_event(sim_model *m, double t, int32_t vm, int32_t host)
{
    if (m->nev == m->ev_cap) {
        size_t cap = m->ev_cap ? m->ev_cap * 2 : 256;
        sim_event *p = realloc(m->ev, cap * sizeof *p);
        if (!p) return HR_ENOMEM;
        m->ev = p;
        m->ev_cap = cap;
    }
    /* insert keeping (time, insertion) order */
    size_t i = m->nev;
    while (i > m->ev_head && m->ev[i - 1].t > t) i--;
    memmove(m->ev + i + 1, m->ev + i, (m->nev - i) * sizeof *m->ev);
    m->ev[i] = (sim_event){t, vm, host};
    m->nev++;
    return 0;
}

int hr__sim_migrate(sim_model *m, int32_t id, int32_t target)
{
    if (id < 0 || (size_t)id >= m->nvms || target < 0 || (size_t)target >= m->nhosts)
        return HR_EINVAL;
    sim_vm *v = &m->vms[id];
    if (!v->alive || v->host < 0) return HR_EINVAL;
    sim_host *t = &m->hosts[target];
    v->in_mig = true;
    long at = host_find(t, id);
    if (at < 0 || !t->in[at]) { /* PowerHost.addMigratingInVm */
        int rc = host_append(t, id, true);
        if (rc < 0) return rc;
        host_update(m, t, m->now);
        host_update(m, &m->hosts[v->host], m->now);
    }
    m->migration_count++;
    return push_event(m, m->now + v->ram_mb / SIM_MIG_BW_MB, id, target);
}

/* Datacenter.processVmMigrate */
static int complete_migration(sim_model *m, const sim_event *e)
{
    sim_vm *v = &m->vms[e->vm];
    sim_host *t = &m->hosts[e->host];
    vm_deallocate(m, e->vm);
    long at = host_find(t, e->vm);
    if (at >= 0) host_remove_at(t, (size_t)at); /* removeMigratingInVm */
    int rc = host_append(t, e->vm, false);      /* vmCreate */
    if (rc < 0) return rc;
    v->host = e->host;
    v->in_mig = false;
    return 0;
}

/* Process the events before `limit` (strictly before when strict). */
static int run_events(sim_model *m, double limit, bool strict)
{
    while (m->ev_head < m->nev) {
        double t = m->ev[m->ev_head].t;
        if (strict ? t >= limit : t > limit) break;
        m->now = t;
        if (t > m->last_process) full_update(m, t);
        while (m->ev_head < m->nev && m->ev[m->ev_head].t == t) {
            int rc = complete_migration(m, &m->ev[m->ev_head]);
            if (rc < 0) return rc;
            m->ev_head++;
        }
        full_update(m, t);
    }
    if (m->ev_head == m->nev) m->ev_head = m->nev = 0;
    return 0;
}

int hr__sim_advance_to(sim_model *m, double t)
{
    int rc = run_events(m, t, true);
    if (rc < 0) return rc;
    m->now = t;
    full_update(m, t);
    return 0;
}

int hr__sim_finish(sim_model *m)
{
    int rc = run_events(m, m->end_t, false);
    if (rc < 0) return rc;
    for (size_t i = 0; i < m->nhosts; i++)
        if (m->hosts[i].pend) host_finalize(m, &m->hosts[i]);
    for (size_t i = 0; i < m->nvms; i++)
        if (m->vms[i].pend) vm_finalize(m, &m->vms[i]);
    return 0;
}

/* ---- set-up ----------------------------------------------------------------------- */

/* The first resource of `unit` (named `name` if several), or -1. */
static int find_resource(const hr_fleet *f, hr_unit unit, const char *name)
{
    int first = -1;
    for (size_t r = 0; r < f->nresources; r++) {
        if (f->resources[r].unit != unit) continue;
        if (!strcmp(f->resources[r].name, name)) return (int)r;
        if (first < 0) first = (int)r;
    }
    return first;
}

/* Hosts from a fleet description: CPU from its MIPS resource split over
 * `cores` PEs, RAM from its memory (bytes, in MB), bandwidth from its
 * network (bits/s, in CloudSim's kbit/s; 10 Gbit/s when absent), power
 * from its table or linear model. */
static int hosts_from_fleet(sim_model *m, const hr_fleet *f, hr_error *err)
{
    int cpu = find_resource(f, HR_UNIT_MIPS, "cpu");
    int mem = find_resource(f, HR_UNIT_BYTES, "memory");
    int net = find_resource(f, HR_UNIT_BITS_PER_SEC, "network");
    if (cpu < 0) return hr_error_set(err, HR_EINVAL, "simulate: the fleet has no resource in mips");
    for (size_t i = 0; i < m->nhosts; i++) {
        const hr_host *fh = &f->hosts[i];
        sim_host *h = &m->hosts[i];
        if (fh->cores <= 0 || fh->capacity[cpu] <= 0 || fh->power.kind == HR_POWER_NONE)
            return hr_error_set(
                err, HR_EINVAL,
                "simulate: host \"%s\" needs cores, a CPU capacity and a power model", fh->name);
        h->pes = fh->cores;
        h->pe_mips = (double)fh->capacity[cpu] / fh->cores;
        h->total_mips = h->pes * h->pe_mips;
        h->pm = &fh->power;
        h->max_w = hr_power_watts(h->pm, 1);
        int64_t ram = mem >= 0 ? fh->capacity[mem] >> 20 : INT32_MAX;
        int64_t bw = net >= 0 ? fh->capacity[net] / 1000 : 10 * HOST_BW;
        h->ram_free = ram > INT32_MAX ? INT32_MAX : (int32_t)ram;
        h->bw_free = bw > INT32_MAX ? INT32_MAX : (int32_t)bw;
    }
    return 0;
}

static bool same_type(const sim_host *a, const sim_host *b)
{
    return a->pe_mips == b->pe_mips && a->total_mips == b->total_mips && a->pes == b->pes &&
           a->ram_free == b->ram_free && a->bw_free == b->bw_free &&
           (a->pm == b->pm || !memcmp(a->pm, b->pm, sizeof *a->pm));
}

/* Host types (empty hosts of one type are interchangeable): m->cls[h], or
 * ncls = 0 when there are more than SIM_MAX_CLASSES. */
static int host_classes(sim_model *m)
{
    size_t rep[SIM_MAX_CLASSES];
    m->cls = malloc(m->nhosts * sizeof *m->cls);
    if (!m->cls) return HR_ENOMEM;
    m->ncls = 0;
    for (size_t h = 0; h < m->nhosts; h++) {
        size_t k = 0;
        while (k < m->ncls && !same_type(&m->hosts[rep[k]], &m->hosts[h])) k++;
        if (k == m->ncls) {
            if (k == SIM_MAX_CLASSES) {
                m->ncls = 0;
                return 0;
            }
            rep[m->ncls++] = h;
        }
        m->cls[h] = (int32_t)k;
    }
    return 0;
}

int hr__sim_model_init(sim_model *m, const hr_trace *tr, size_t nhosts, const hr_fleet *fleet,
                       sim_dc dc, bool migrations, hr_error *err)
{
    memset(m, 0, sizeof *m);
    if (!tr || !tr->nvms || tr->step_s <= 0)
        return hr_error_set(err, HR_EINVAL, "simulate: an empty trace");
    m->tr = tr;
    m->dc = dc;
    m->migrations = migrations;
    m->nvms = tr->nvms;
    m->nhosts = fleet ? fleet->nhosts : nhosts ? nhosts : 800;
    if (!m->nhosts) return hr_error_set(err, HR_EINVAL, "simulate: the fleet has no host");
    m->interval = tr->step_s;
    m->end_t = (double)tr->nsteps * tr->step_s;
    m->vms = calloc(m->nvms, sizeof *m->vms);
    m->hosts = calloc(m->nhosts, sizeof *m->hosts);
    m->obs_hosts = calloc(m->nhosts, sizeof *m->obs_hosts);
    m->obs_wl = calloc(m->nvms, sizeof *m->obs_wl);
    m->scratch = calloc(m->nvms, sizeof *m->scratch);
    if (!m->vms || !m->hosts || !m->obs_hosts || !m->obs_wl || !m->scratch) {
        hr__sim_model_release(m);
        return hr_error_set(err, HR_ENOMEM, "simulate: out of memory");
    }
    for (size_t i = 0; i < m->nhosts; i++) {
        sim_host *h = &m->hosts[i];
        bool g5 = i % 2;
        h->pes = 2;
        h->pe_mips = g5 ? 2660 : 1860;
        h->total_mips = h->pes * h->pe_mips;
        h->pm = g5 ? &hr__sim_g5 : &hr__sim_g4;
        h->max_w = h->pm->table_w[HR_POWER_POINTS - 1];
        h->ram_free = HOST_RAM_MB;
        h->bw_free = HOST_BW;
        h->avail = h->total_mips;
        h->sd_prev_act = true;
    }
    if (fleet) {
        int rc = hosts_from_fleet(m, fleet, err);
        if (rc < 0) {
            hr__sim_model_release(m);
            return rc;
        }
        for (size_t i = 0; i < m->nhosts; i++) m->hosts[i].avail = m->hosts[i].total_mips;
    }
    if (host_classes(m) < 0) {
        hr__sim_model_release(m);
        return hr_error_set(err, HR_ENOMEM, "simulate: out of memory");
    }
    size_t block = (m->nvms + 3) / 4; /* vmType = i / ceil(n / 4) */
    for (size_t i = 0; i < m->nvms; i++) {
        sim_vm *v = &m->vms[i];
        size_t type = i / block;
        v->mips = tr->vm_mips ? tr->vm_mips[i] : vm_mips[type];
        v->ram_mb = tr->vm_ram_mb ? tr->vm_ram_mb[i] : vm_ram[type];
        v->bw = tr->vm_bw ? tr->vm_bw[i] : VM_BW;
        v->u = tr->u + i * (tr->nsteps + 1);
        v->host = -1;
        v->alive = true;
        v->hist_t = -1;
    }
    return 0;
}

void hr__sim_model_release(sim_model *m)
{
    if (!m) return;
    if (m->hosts)
        for (size_t i = 0; i < m->nhosts; i++) {
            free(m->hosts[i].vm);
            free(m->hosts[i].in);
            free(m->hosts[i].out);
            free(m->hosts[i].alloc);
        }
    free(m->hosts);
    free(m->vms);
    free(m->ev);
    free(m->obs_hosts);
    free(m->obs_wl);
    free(m->scratch);
    free(m->cls);
    memset(m, 0, sizeof *m);
}

/* Host.isSuitableForVm for a VM being instantiated (full MIPS, RAM, BW). */
static bool fits_new(const sim_host *h, const sim_vm *v)
{
    return h->pe_mips >= v->mips && h->avail >= v->mips && h->ram_free >= v->ram_mb &&
           h->bw_free >= v->bw;
}

/* One candidate of the initial placement: the lowest index among the
 * hosts fitting with the least power increase (PABFD) or among those
 * fitting (first fit), whatever order the candidates come in. */
static void place_consider(const sim_model *m, const sim_vm *v, size_t j, bool pabfd, long *best,
                           double *best_diff)
{
    const sim_host *h = &m->hosts[j];
    if (!fits_new(h, v)) return;
    if (!pabfd) {
        if (*best < 0 || (long)j < *best) *best = (long)j;
        return;
    }
    /* getPowerAfterAllocation: the allocations so far (full MIPS each) plus
     * this VM; the host's own utilisation is 0 before the first update */
    double after = power_at(h, (h->total_mips - h->avail + v->mips) / h->total_mips);
    double diff = after - power_at(h, hr__sim_host_util(h));
    if (diff < *best_diff || (diff == *best_diff && (long)j < *best)) {
        *best_diff = diff;
        *best = (long)j;
    }
}

/* CloudSim scans every host for every VM. Empty hosts of one type give the
 * same answer, so only the first empty host of each type is asked, with
 * every host in use: the same choice in time linear in the hosts in use. */
int hr__sim_place_initial(sim_model *m, bool pabfd, hr_error *err)
{
    int32_t *used = malloc(m->nhosts * sizeof *used);
    size_t nused = 0, cur[SIM_MAX_CLASSES] = {0};
    if (!used) return hr_error_set(err, HR_ENOMEM, "simulate: out of memory");
    int rc = 0;
    for (size_t i = 0; i < m->nvms; i++) {
        sim_vm *v = &m->vms[i];
        long best = -1;
        double best_diff = HUGE_VAL;
        if (!m->ncls) {
            for (size_t j = 0; j < m->nhosts; j++)
                place_consider(m, v, j, pabfd, &best, &best_diff);
        } else {
            for (size_t k = 0; k < nused; k++)
                place_consider(m, v, (size_t)used[k], pabfd, &best, &best_diff);
            for (size_t c = 0; c < m->ncls; c++) { /* the first empty host of each type */
                while (cur[c] < m->nhosts && (m->cls[cur[c]] != (int32_t)c || m->hosts[cur[c]].n))
                    cur[c]++;
                if (cur[c] < m->nhosts) place_consider(m, v, cur[c], pabfd, &best, &best_diff);
            }
        }
        if (best < 0) {
            rc = hr_error_set(err, HR_EDATA, "simulate: VM %zu (%.0f MIPS) fits no host", i,
                              v->mips);
            goto out;
        }
        sim_host *h = &m->hosts[best];
        if (!h->n) used[nused++] = (int32_t)best;
        if ((rc = host_append(h, (int32_t)i, false)) < 0) {
            rc = hr_error_set(err, rc, "simulate: out of memory");
            goto out;
        }
        v->req = v->mips;
        h->avail -= v->mips;
        h->ram_free -= v->ram_mb;
        h->bw_free -= v->bw;
        v->host = (int32_t)best;
    }
    m->last_process = 0;
    m->now = 0;
out:
    free(used);
    return rc;
}

/* ---- observation ------------------------------------------------------------------ */

const hr_obs *hr__sim_observe(sim_model *m)
{
    for (size_t i = 0; i < m->nhosts; i++) {
        const sim_host *h = &m->hosts[i];
        m->obs_hosts[i] = (hr_obs_host){.cap_mips = h->total_mips,
                                        .core_mips = h->pe_mips,
                                        .used_mips = h->util_mips,
                                        .members = h->vm,
                                        .incoming = h->in,
                                        .nmembers = h->n};
    }
    for (size_t i = 0; i < m->nvms; i++) {
        const sim_vm *v = &m->vms[i];
        m->obs_wl[i] = (hr_obs_workload){.alive = v->alive,
                                         .moving = v->in_mig,
                                         .host = v->alive ? v->host : HR_NONE,
                                         .demand_mips = v->req,
                                         .limit_mips = v->mips,
                                         .mem_mb = v->ram_mb,
                                         .hist = v->hist,
                                         .nhist = v->nhist};
    }
    m->obs.now_s = m->now;
    m->obs.interval_s = m->interval;
    m->obs.nhosts = m->nhosts;
    m->obs.nworkloads = m->nvms;
    m->obs.hosts = m->obs_hosts;
    m->obs.wl = m->obs_wl;
    return &m->obs;
}

/* ---- metrics ---------------------------------------------------------------------- */

void hr__sim_metrics(const sim_model *m, hr_sim_result *r)
{
    double tot_req = 0, tot_alloc = 0, under = 0;
    for (size_t i = 0; i < m->nvms; i++) {
        tot_req += m->vms[i].tot_req;
        tot_alloc += m->vms[i].tot_alloc;
        under += m->vms[i].under_mig;
    }
    r->energy_kwh = m->energy_ws / (3600 * 1000);
    r->migrations = m->migration_count;
    r->slatah = m->act_time > 0 ? m->sla_time / m->act_time : 0;
    r->pdm = tot_req > 0 ? under / tot_req : 0;
    r->slav = r->slatah * r->pdm;
    r->esv = r->energy_kwh * r->slav;
    r->sla_overall = tot_req > 0 ? (tot_req - tot_alloc) / tot_req : 0;
    r->sla_average = m->viol_n ? m->viol_frac_sum / (double)m->viol_n : 0;
    r->host_shutdowns = m->sd_n;
    r->shutdown_mean_s = m->sd_n ? m->sd_sum / (double)m->sd_n : NAN;
    r->shutdown_std_s =
        m->sd_n > 1
            ? sqrt((m->sd_sumsq - m->sd_sum * m->sd_sum / (double)m->sd_n) / (double)(m->sd_n - 1))
            : NAN;
    r->end_s = m->last_process;
    r->vms = m->nvms;
    r->hosts = m->nhosts;
    size_t removed = 0;
    for (size_t i = 0; i < m->nvms; i++) {
        const sim_vm *v = &m->vms[i];
        removed += !v->alive;
        if (r->life)
            r->life[i] = (hr_sim_vm_life){.first_t = v->first_t,
                                          .last_t = v->pend ? v->p_t : v->f_t,
                                          .entries = v->entries,
                                          .final_host = v->alive ? v->host : -1};
    }
    r->vms_removed = removed;
}
