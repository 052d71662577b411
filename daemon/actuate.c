/* The daemon's bridge to lib/act: plan actions become journaled lib/act
 * actions ("cgroup", "vm.migrate") run by hr_act_run, and one host's
 * partition is solved by hr_part_solve. See actuate.h. */
#include "daemon/actuate.h"

#include <headroom/act.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hrd_actuate {
    hr_journal *j;
    hr_cgroup_sys *cg; /* NULL when the machine has no writable cgroups */
    char cg_why[256];  /* why cg is NULL */
};

int hrd_actuate_open(const char *journal, const char *cgroup_parent, hrd_actuate **out,
                     hr_error *err)
{
    hrd_actuate *a = calloc(1, sizeof *a);
    if (!a) return hr_error_set(err, HR_ENOMEM, "out of memory");
    int rc = hr_journal_open(journal, &a->j, err);
    if (rc < 0) {
        free(a);
        return rc;
    }
    hr_error cerr = {0};
    if (hr_cgroup_open(cgroup_parent, &a->cg, &cerr) < 0)
        snprintf(a->cg_why, sizeof a->cg_why, "cgroups unavailable: %s", hr_error_message(&cerr));
    *out = a;
    return 0;
}

void hrd_actuate_close(hrd_actuate *a)
{
    if (!a) return;
    hr_journal_close(a->j);
    hr_cgroup_close(a->cg);
    free(a);
}

/* The lib/act params of an item (a new string) or NULL on OOM. */
static char *item_params(const hrd_act_item *it)
{
    json_t *o = json_object();
    if (it->migrate) {
        json_object_set_new(o, "dir", json_string(it->vm_dir ? it->vm_dir : ""));
        json_object_set_new(o, "to_netns", json_string(it->to_netns ? it->to_netns : ""));
    } else {
        json_object_set_new(o, "group", json_string(it->group ? it->group : ""));
        if (it->cpu_quota_usec > 0) {
            json_object_set_new(o, "cpu_quota_usec", json_integer(it->cpu_quota_usec));
            json_object_set_new(o, "cpu_period_usec", json_integer(it->cpu_period_usec));
        }
        if (it->mem_max > 0) json_object_set_new(o, "mem_max", json_integer(it->mem_max));
        json_t *pids = json_array();
        for (size_t i = 0; i < it->npids && i < HR_PART_MAX_PIDS; i++)
            json_array_append_new(pids, json_integer(it->pids[i]));
        json_object_set_new(o, "pids", pids);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static void item_fail(hrd_act_item *it, const char *state, const char *msg)
{
    snprintf(it->state, sizeof it->state, "%s", state);
    snprintf(it->error, sizeof it->error, "%s", msg);
}

static size_t drivers_of(hrd_actuate *a, hr_act_driver d[2])
{
    size_t n = 0;
    if (a->cg) d[n++] = hr_cgroup_driver(a->cg);
    d[n++] = hr_vm_migrate_driver();
    return n;
}

/* Validate item `it` and, unless dry_run, journal it. */
static int journal_item(hrd_actuate *a, hrd_act_item *it, bool dry_run, hr_error *err)
{
    it->journal_id = 0;
    it->error[0] = '\0';
    if (!it->migrate && !a->cg) {
        item_fail(it, "invalid", a->cg_why);
        return 0;
    }
    hr_action spec;
    memset(&spec, 0, sizeof spec);
    snprintf(spec.key, sizeof spec.key, "%s", it->key);
    snprintf(spec.kind, sizeof spec.kind, "%s", it->migrate ? "vm.migrate" : "cgroup");
    snprintf(spec.host, sizeof spec.host, "%s", it->host ? it->host : "");
    snprintf(spec.target, sizeof spec.target, "%s", it->workload ? it->workload : "");
    snprintf(spec.plan, sizeof spec.plan, "%s", it->plan);
    spec.params = item_params(it);
    if (!spec.params) return hr_error_set(err, HR_ENOMEM, "out of memory");
    hr_act_driver d[2];
    size_t nd = drivers_of(a, d);
    hr_error verr = {0};
    int rc = 0;
    if (hr_act_validate(d, nd, &spec, &verr) < 0) {
        item_fail(it, "invalid", hr_error_message(&verr));
    } else if (dry_run) {
        snprintf(it->state, sizeof it->state, "dry-run");
    } else {
        rc = hr_journal_add(a->j, &spec, &it->journal_id, err);
        if (rc >= 0) snprintf(it->state, sizeof it->state, "pending"), rc = 0;
    }
    free(spec.params);
    return rc;
}

int hrd_actuate_run(hrd_actuate *a, hrd_act_item *items, size_t n, bool dry_run,
                    int64_t deadline_ms, hr_error *err)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        int rc = journal_item(a, &items[i], dry_run, err);
        if (rc < 0) return rc;
        any |= items[i].journal_id > 0;
    }
    if (!any) return 0;
    hr_act_driver d[2];
    size_t nd = drivers_of(a, d);
    hr_act_opts o = {.max_attempts = 2, .timeout_ms = 60000, .deadline_ms = deadline_ms};
    hr_act_summary sum;
    hr_error rerr = {0};
    (void)hr_act_run(a->j, d, nd, &o, &sum, &rerr); /* per action below */
    int done = 0;
    for (size_t i = 0; i < n; i++) {
        hrd_act_item *it = &items[i];
        if (it->journal_id <= 0) continue;
        hr_action x;
        if (hr_journal_get(a->j, it->journal_id, &x, err) < 0)
            return hr_error_set(err, HR_EIO, "journal: action %lld: %s", (long long)it->journal_id,
                                hr_error_message(err));
        snprintf(it->state, sizeof it->state, "%s", hr_act_state_name(x.state));
        snprintf(it->error, sizeof it->error, "%s",
                 x.error[0] || x.state == HR_ACT_DONE ? x.error : hr_error_message(&rerr));
        done += x.state == HR_ACT_DONE;
        hr_action_release(&x);
    }
    return done;
}

void hrd_actuate_limits(hrd_actuate *a, const char *group, int64_t *cpu_millis, int64_t *mem_bytes)
{
    hr_cgroup_limits l;
    *cpu_millis = *mem_bytes = 0;
    if (!a->cg || !group[0] || hr_cgroup_get(a->cg, group, &l, NULL) < 0) return;
    if (l.cpu_quota_usec > 0 && l.cpu_period_usec > 0)
        *cpu_millis = l.cpu_quota_usec * 1000 / l.cpu_period_usec;
    if (l.mem_max > 0 && l.mem_max < ((int64_t)1 << 60)) /* v1 says "none" with ~2^63 */
        *mem_bytes = l.mem_max;
}

int hrd_actuate_partition(const char *host, size_t ncpus, int64_t mem_bytes, const hrd_part_in *in,
                          size_t n, hrd_part_out *out, hr_error *err)
{
    static const double lv[3] = {0.5, 0.9, 0.99};
    if (n == 0 || n > HR_PART_MAX_TENANTS || ncpus == 0 || ncpus > 1024)
        return hr_error_set(err, HR_EINVAL, "%s: %zu tenants on %zu cores", host, n, ncpus);
    hr_part_host h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "%s", host);
    for (size_t c = 0; c < ncpus; c++) h.cpus[c] = (int32_t)c;
    h.ncpus = ncpus;
    h.mem_bytes = mem_bytes;
    h.tenants = calloc(n, sizeof *h.tenants);
    hr_part_alloc *al = calloc(n, sizeof *al);
    int rc = 0;
    if (!h.tenants || !al) {
        rc = hr_error_set(err, HR_ENOMEM, "out of memory");
        goto out;
    }
    h.ntenants = n;
    for (size_t i = 0; i < n; i++) {
        hr_part_tenant *t = &h.tenants[i];
        snprintf(t->name, sizeof t->name, "%s", in[i].name);
        t->priority = in[i].priority;
        t->quantile = in[i].quantile;
        for (size_t k = 0; k < 3; k++) {
            t->demand[HR_PART_CPU].levels[k] = t->demand[HR_PART_MEM].levels[k] = lv[k];
            t->demand[HR_PART_CPU].values[k] = in[i].cpu_millis[k];
            t->demand[HR_PART_MEM].values[k] = in[i].mem_bytes[k];
        }
        t->demand[HR_PART_CPU].n = t->demand[HR_PART_MEM].n = 3;
    }
    hr_part_opts po = {.hysteresis = -1};
    if ((rc = hr_part_solve(&h, NULL, 0, &po, al, err)) < 0) goto out;
    for (size_t i = 0; i < n; i++) {
        hrd_part_out *o = &out[i];
        o->cpu_limit_millis = al[i].limit[HR_PART_CPU];
        o->cpu_quota_usec = al[i].cpu_quota_usec;
        o->cpu_period_usec = 100000;
        o->cpu_want_millis = al[i].want[HR_PART_CPU];
        o->mem_want_bytes = al[i].want[HR_PART_MEM];
        o->mem_max = al[i].mem_max;
        o->short_cpu = al[i].short_of[HR_PART_CPU];
        o->short_mem = al[i].short_of[HR_PART_MEM];
    }
out:
    free(h.tenants);
    free(al);
    return rc;
}
