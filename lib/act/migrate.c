/* Live migration of a QEMU VM to a destination QEMU in another network
 * namespace, as the "vm.migrate" action: apply starts the destination and
 * the migration, poll follows query-migrate and finishes (destination
 * confirmed running, source stopped, meta.json rewritten). Everything poll
 * needs after a crash is in the action's result. */
#include "act/internal.h"

#include <headroom/util.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/banned.h"

typedef struct mig_params {
    char dir[400]; /* leaves room for "/genN" inside HR_VM_MAX_PATH */
    char to_netns[64];
    bool postcopy;
    int64_t max_bandwidth;
} mig_params;

static int parse_params(const hr_action *a, mig_params *p, hr_error *err)
{
    json_t *o = json_loads(a->params ? a->params : "{}", 0, NULL);
    memset(p, 0, sizeof *p);
    const char *dir = json_string_value(json_object_get(o, "dir"));
    const char *ns = json_string_value(json_object_get(o, "to_netns"));
    json_t *bw = json_object_get(o, "max_bandwidth");
    int rc = 0;
    if (!dir || !ns || strlen(dir) >= sizeof p->dir || strlen(ns) >= sizeof p->to_netns ||
        (bw && !json_is_integer(bw)))
        rc = hr_error_set(err, HR_EINVAL, "action %s: params need dir and to_netns", a->key);
    else {
        snprintf(p->dir, sizeof p->dir, "%s", dir);
        snprintf(p->to_netns, sizeof p->to_netns, "%s", ns);
        p->postcopy = json_is_true(json_object_get(o, "postcopy"));
        p->max_bandwidth = bw ? json_integer_value(bw) : 0;
    }
    json_decref(o);
    return rc;
}

/* The attempt's record, kept in a->result. */
typedef struct mig_rec {
    pid_t src_pid, dst_pid;
    char dst_dir[HR_VM_MAX_PATH];
    char uri[128];
    char status[32];
    int64_t total_ms, downtime_ms, setup_ms, bytes;
    int64_t started_ms;
    bool postcopy_started;
} mig_rec;

static int rec_load(const char *json, mig_rec *r)
{
    memset(r, 0, sizeof *r);
    json_t *o = json_loads(json ? json : "", 0, NULL);
    if (!o) return -1;
    const char *d = json_string_value(json_object_get(o, "dst_dir"));
    const char *u = json_string_value(json_object_get(o, "uri"));
    const char *s = json_string_value(json_object_get(o, "status"));
    r->src_pid = (pid_t)json_integer_value(json_object_get(o, "src_pid"));
    r->dst_pid = (pid_t)json_integer_value(json_object_get(o, "dst_pid"));
    r->total_ms = json_integer_value(json_object_get(o, "total_ms"));
    r->downtime_ms = json_integer_value(json_object_get(o, "downtime_ms"));
    r->setup_ms = json_integer_value(json_object_get(o, "setup_ms"));
    r->bytes = json_integer_value(json_object_get(o, "bytes"));
    r->started_ms = json_integer_value(json_object_get(o, "started_ms"));
    r->postcopy_started = json_is_true(json_object_get(o, "postcopy_started"));
    snprintf(r->dst_dir, sizeof r->dst_dir, "%s", d ? d : "");
    snprintf(r->uri, sizeof r->uri, "%s", u ? u : "");
    snprintf(r->status, sizeof r->status, "%s", s ? s : "");
    json_decref(o);
    return d ? 0 : -1;
}

static int rec_save(hr_action *a, const mig_rec *r)
{
    json_t *o =
        json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "src_pid",
                  (json_int_t)r->src_pid, "dst_pid", (json_int_t)r->dst_pid, "dst_dir", r->dst_dir,
                  "uri", r->uri, "status", r->status, "total_ms", (json_int_t)r->total_ms,
                  "downtime_ms", (json_int_t)r->downtime_ms, "setup_ms", (json_int_t)r->setup_ms,
                  "bytes", (json_int_t)r->bytes, "started_ms", (json_int_t)r->started_ms,
                  "postcopy_started", r->postcopy_started);
    char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!txt) return HR_ENOMEM;
    free(a->result);
    a->result = txt;
    return 0;
}

int hr_vm_migration_result(const char *result_json, hr_vm_migration *out)
{
    mig_rec r;
    if (rec_load(result_json, &r)) return HR_EPARSE;
    memset(out, 0, sizeof *out);
    snprintf(out->status, sizeof out->status, "%s", r.status);
    out->total_ms = r.total_ms;
    out->downtime_ms = r.downtime_ms;
    out->setup_ms = r.setup_ms;
    out->bytes = r.bytes;
    return 0;
}

/* The destination VM of a record: the source's config in the new place. */
static hr_vm dst_of(const hr_vm *src, const mig_rec *r, const char *netns)
{
    hr_vm d = *src;
    d.pid = r->dst_pid;
    snprintf(d.cfg.dir, sizeof d.cfg.dir, "%s", r->dst_dir);
    snprintf(d.cfg.netns, sizeof d.cfg.netns, "%s", netns);
    snprintf(d.qmp, sizeof d.qmp, "%s/qmp.sock", r->dst_dir);
    snprintf(d.console, sizeof d.console, "%s/console.log", r->dst_dir);
    return d;
}

/* A destination left by an earlier attempt (its pid file): gone for good. */
static void kill_leftover(const char *dst_dir, pid_t known)
{
    char p[HR_VM_MAX_PATH + 16], buf[32] = "";
    snprintf(p, sizeof p, "%s/qemu.pid", dst_dir);
    FILE *f = fopen(p, "re");
    if (f) {
        if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
        fclose(f);
    }
    int64_t pid = 0;
    buf[strcspn(buf, "\n")] = 0;
    if (buf[0] && hr_parse_int64_z(buf, &pid) == 0 && pid > 1) {
        hr_vm v = {.pid = (pid_t)pid};
        if (hr_vm_alive(&v)) kill((pid_t)pid, SIGKILL);
    }
    if (known > 1) {
        hr_vm v = {.pid = known};
        if (hr_vm_alive(&v)) kill(known, SIGKILL);
    }
    unlink(p);
}

static int mig_validate(void *ud, const hr_action *a, hr_error *err)
{
    mig_params p;
    int rc = parse_params(a, &p, err);
    if (rc) return rc;
    hr_vm src;
    if ((rc = hr_vm_load(p.dir, &src, err))) return rc;
    if (!strcmp(src.cfg.netns, p.to_netns) && src.generation == 0 && !p.to_netns[0])
        return hr_error_set(err, HR_EINVAL, "vm %s: already in this namespace", src.cfg.name);
    char ip[64];
    return hr_vm_netns_addr(p.to_netns, ip, sizeof ip, err);
}

static int set_caps(hr_qmp *q, bool postcopy, hr_error *err)
{
    if (!postcopy) return 0;
    return hr_qmp_exec(q, "migrate-set-capabilities",
                       "{\"capabilities\": [{\"capability\": \"postcopy-ram\", \"state\": true}]}",
                       NULL, 5000, err);
}

static int mig_apply(void *ud, hr_action *a, hr_error *err)
{
    mig_params p;
    hr_vm src, dst;
    mig_rec r;
    int rc = parse_params(a, &p, err);
    if (!rc) rc = hr_vm_load(p.dir, &src, err);
    if (rc) return rc;
    if (!hr_vm_alive(&src))
        return hr_error_set(err, HR_ENOTFOUND, "vm %s: not running (pid %d)", src.cfg.name,
                            (int)src.pid);
    memset(&r, 0, sizeof r);
    r.src_pid = src.pid;
    snprintf(r.dst_dir, sizeof r.dst_dir, "%s/gen%lld", p.dir, (long long)src.generation + 1);
    mig_rec old;
    if (!rec_load(a->result, &old)) kill_leftover(old.dst_dir, old.dst_pid);
    kill_leftover(r.dst_dir, 0);
    char ip[64];
    if ((rc = hr_vm_netns_addr(p.to_netns, ip, sizeof ip, err))) return rc;
    /* A port per action and attempt, so a retry never meets a dying listener. */
    int port = 20000 + (int)((a->id * 97 + a->attempts * 13) % 20000);
    snprintf(r.uri, sizeof r.uri, "tcp:%s:%d", ip, port);
    hr_vm_config dc = src.cfg;
    snprintf(dc.dir, sizeof dc.dir, "%s", r.dst_dir);
    snprintf(dc.netns, sizeof dc.netns, "%s", p.to_netns);
    snprintf(dc.incoming, sizeof dc.incoming, "%s", r.uri);
    snprintf(dc.accel, sizeof dc.accel, "%s", src.accel);
    if ((rc = hr_vm_start(&dc, &dst, err))) return rc;
    r.dst_pid = dst.pid;
    snprintf(r.status, sizeof r.status, "active");
    r.started_ms = hr__mono_ms();
    if ((rc = rec_save(a, &r))) return hr_error_set(err, rc, "out of memory");
    hr_qmp *qs = NULL, *qd = NULL;
    rc = hr_qmp_connect(src.qmp, 3000, &qs, err);
    if (!rc && p.postcopy && !(rc = hr_qmp_connect(dst.qmp, 3000, &qd, err)))
        rc = set_caps(qd, true, err);
    if (!rc) rc = set_caps(qs, p.postcopy, err);
    if (!rc && p.max_bandwidth > 0) {
        char args[64];
        snprintf(args, sizeof args, "{\"max-bandwidth\": %lld}", (long long)p.max_bandwidth);
        rc = hr_qmp_exec(qs, "migrate-set-parameters", args, NULL, 5000, err);
    }
    if (!rc) {
        char args[192];
        snprintf(args, sizeof args, "{\"uri\": \"%s\"}", r.uri);
        rc = hr_qmp_exec(qs, "migrate", args, NULL, 5000, err);
    }
    hr_qmp_close(qs);
    hr_qmp_close(qd);
    if (rc) {
        kill_leftover(r.dst_dir, r.dst_pid);
        return rc;
    }
    return HR_ACT_RUNNING;
}

/* The destination runs: stop the source, make the destination the VM. */
static int finish(hr_action *a, const mig_params *p, hr_vm *src, mig_rec *r, hr_error *err)
{
    hr_vm dst = dst_of(src, r, p->to_netns);
    hr_qmp *q = NULL;
    int rc = hr_qmp_connect(dst.qmp, 3000, &q, err);
    bool running = false;
    for (int64_t t0 = hr__mono_ms(); !rc && hr__mono_ms() - t0 < 10000;) {
        char *st = NULL;
        if ((rc = hr_qmp_exec(q, "query-status", NULL, &st, 5000, err))) break;
        running = st && strstr(st, "\"status\": \"running\"");
        running |= st && strstr(st, "\"status\":\"running\"");
        free(st);
        if (running) break;
        hr__sleep_ms(20);
    }
    hr_qmp_close(q);
    if (!rc && !running)
        rc = hr_error_set(err, HR_EIO, "vm %s: destination not running after migration",
                          src->cfg.name);
    if (rc) return rc;
    if (src->pid == r->src_pid) hr_vm_stop(src, 5000, NULL);
    dst.generation = src->generation + 1;
    if ((rc = hr_vm_save(&dst, err))) return rc;
    snprintf(r->status, sizeof r->status, "completed");
    if ((rc = rec_save(a, r))) return hr_error_set(err, rc, "out of memory");
    return HR_ACT_DONE;
}

static int64_t get_int(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

static int mig_poll(void *ud, hr_action *a, hr_error *err)
{
    mig_params p;
    hr_vm src;
    mig_rec r;
    int rc = parse_params(a, &p, err);
    if (!rc) rc = hr_vm_load(p.dir, &src, err);
    if (rc) return rc;
    if (rec_load(a->result, &r)) return HR_ACT_PENDING; /* never started */
    if (src.pid == r.dst_pid) return HR_ACT_DONE;       /* finished before a crash */
    hr_vm dst = dst_of(&src, &r, p.to_netns);
    if (!hr_vm_alive(&src)) {
        if (hr_vm_alive(&dst)) return finish(a, &p, &src, &r, err);
        return hr_error_set(err, HR_ENOTFOUND, "vm %s: source and destination are both gone",
                            src.cfg.name);
    }
    hr_qmp *q = NULL;
    if ((rc = hr_qmp_connect(src.qmp, 3000, &q, err))) return rc;
    char *txt = NULL;
    rc = hr_qmp_exec(q, "query-migrate", NULL, &txt, 5000, err);
    json_t *o = rc ? NULL : json_loads(txt, 0, NULL);
    free(txt);
    const char *status = json_string_value(json_object_get(o, "status"));
    json_t *ram = json_object_get(o, "ram");
    if (!rc && status && !strcmp(status, "completed")) {
        r.total_ms = get_int(o, "total-time");
        r.downtime_ms = get_int(o, "downtime");
        r.setup_ms = get_int(o, "setup-time");
        r.bytes = get_int(ram, "transferred");
        hr_qmp_close(q);
        json_decref(o);
        return finish(a, &p, &src, &r, err);
    }
    if (!rc && status && (!strcmp(status, "failed") || !strcmp(status, "cancelled"))) {
        const char *why = json_string_value(json_object_get(o, "error-desc"));
        rc = hr_error_set(err, HR_EIO, "vm %s: migration %s%s%s", src.cfg.name, status,
                          why ? ": " : "", why ? why : "");
        kill_leftover(r.dst_dir, r.dst_pid);
    } else if (!rc && !status) {
        /* The source has no migration: the attempt never got going. */
        kill_leftover(r.dst_dir, r.dst_pid);
        rc = HR_ACT_PENDING;
    } else if (!rc) {
        int64_t total = get_int(ram, "total"), done = get_int(ram, "transferred");
        a->progress = total > 0 ? (double)done / (double)total : 0;
        if (a->progress > 0.99) a->progress = 0.99;
        /* Post-copy: switch once pre-copy has had a second. */
        if (!strcmp(status, "active") && !r.postcopy_started &&
            strstr(a->params, "\"postcopy\": true") && hr__mono_ms() - r.started_ms > 1000 &&
            hr_qmp_exec(q, "migrate-start-postcopy", NULL, NULL, 5000, NULL) == 0) {
            r.postcopy_started = true;
            rec_save(a, &r);
        }
        rc = HR_ACT_RUNNING;
    }
    json_decref(o);
    hr_qmp_close(q);
    return rc;
}

static int mig_cancel(void *ud, hr_action *a, hr_error *err)
{
    mig_params p;
    hr_vm src;
    mig_rec r;
    if (parse_params(a, &p, err) || hr_vm_load(p.dir, &src, NULL) || rec_load(a->result, &r))
        return 0;
    hr_qmp *q = NULL;
    if (hr_vm_alive(&src) && hr_qmp_connect(src.qmp, 2000, &q, NULL) == 0) {
        hr_qmp_exec(q, "migrate_cancel", NULL, NULL, 5000, NULL);
        hr_qmp_close(q);
    }
    kill_leftover(r.dst_dir, r.dst_pid);
    snprintf(r.status, sizeof r.status, "cancelled");
    rec_save(a, &r);
    return 0;
}

hr_act_driver hr_vm_migrate_driver(void)
{
    hr_act_driver d = {.kind = "vm.migrate",
                       .validate = mig_validate,
                       .apply = mig_apply,
                       .poll = mig_poll,
                       .cancel = mig_cancel};
    return d;
}
