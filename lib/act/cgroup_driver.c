/* The "cgroup" action driver and the JSON form of hr_cgroup_limits. */
#include <headroom/act.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define MAX_PIDS 4096

typedef struct num_field {
    const char *name;
    size_t off;
} num_field;

static const num_field num_fields[] = {
    {"cpu_quota_usec", offsetof(hr_cgroup_limits, cpu_quota_usec)},
    {"cpu_period_usec", offsetof(hr_cgroup_limits, cpu_period_usec)},
    {"cpu_weight", offsetof(hr_cgroup_limits, cpu_weight)},
    {"mem_max", offsetof(hr_cgroup_limits, mem_max)},
    {"mem_high", offsetof(hr_cgroup_limits, mem_high)},
    {"mem_low", offsetof(hr_cgroup_limits, mem_low)},
    {"pids_max", offsetof(hr_cgroup_limits, pids_max)},
    {"io_rbps", offsetof(hr_cgroup_limits, io_rbps)},
    {"io_wbps", offsetof(hr_cgroup_limits, io_wbps)},
};
#define NNUM (sizeof num_fields / sizeof num_fields[0])

static int64_t *num_at(hr_cgroup_limits *l, size_t i)
{
    return (int64_t *)(void *)((char *)l + num_fields[i].off);
}

static int str_field(json_t *o, const char *name, char *dst, size_t size, hr_error *err)
{
    json_t *v = json_object_get(o, name);
    if (!v) return 0;
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= size)
        return hr_error_set(err, HR_EPARSE, "cgroup params: %s: expected a string under %zu bytes",
                            name, size);
    snprintf(dst, size, "%s", s);
    return 0;
}

static int limits_from(json_t *o, hr_cgroup_limits *out, hr_error *err)
{
    hr_cgroup_limits l;
    hr_cgroup_limits_init(&l);
    for (size_t i = 0; i < NNUM; i++) {
        json_t *v = json_object_get(o, num_fields[i].name);
        if (!v) continue;
        if (!json_is_integer(v) || json_integer_value(v) < -1)
            return hr_error_set(err, HR_EPARSE,
                                "cgroup params: %s: expected an integer >= 0 or -1 (max)",
                                num_fields[i].name);
        *num_at(&l, i) = json_integer_value(v);
    }
    int rc;
    if ((rc = str_field(o, "cpus", l.cpus, sizeof l.cpus, err)) ||
        (rc = str_field(o, "mems", l.mems, sizeof l.mems, err)) ||
        (rc = str_field(o, "io_dev", l.io_dev, sizeof l.io_dev, err)))
        return rc;
    *out = l;
    return 0;
}

int hr_cgroup_limits_from_json(const char *json, hr_cgroup_limits *out, hr_error *err)
{
    json_error_t je;
    json_t *o = json_loads(json ? json : "{}", JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return hr_error_set(err, HR_EPARSE, "cgroup params: %d:%d: %s", je.line, je.column,
                            o ? "expected an object" : je.text);
    }
    int rc = limits_from(o, out, err);
    json_decref(o);
    return rc;
}

static json_t *limits_obj(const hr_cgroup_limits *l)
{
    json_t *o = json_object();
    if (!o) return NULL;
    hr_cgroup_limits c = *l;
    for (size_t i = 0; i < NNUM; i++)
        if (*num_at(&c, i) != HR_CG_UNSET)
            json_object_set_new(o, num_fields[i].name, json_integer(*num_at(&c, i)));
    if (l->cpus[0]) json_object_set_new(o, "cpus", json_string(l->cpus));
    if (l->mems[0]) json_object_set_new(o, "mems", json_string(l->mems));
    if (l->io_dev[0]) json_object_set_new(o, "io_dev", json_string(l->io_dev));
    return o;
}

char *hr_cgroup_limits_to_json(const hr_cgroup_limits *l)
{
    json_t *o = limits_obj(l);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return s;
}

/* ---- the driver ---------------------------------------------------------------- */

typedef struct cg_params {
    char group[65];
    bool parent; /* act on the parent: group() is NULL */
    hr_cgroup_limits l;
    pid_t pids[MAX_PIDS];
    size_t npids;
} cg_params;

static int parse_params(const hr_action *a, cg_params *p, hr_error *err)
{
    json_error_t je;
    json_t *o = json_loads(a->params ? a->params : "{}", JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    memset(p, 0, sizeof *p);
    if (!json_is_object(o)) {
        rc = hr_error_set(err, HR_EPARSE, "action %s: params: %s", a->key, je.text);
        goto out;
    }
    if ((rc = str_field(o, "group", p->group, sizeof p->group, err))) goto out;
    if (!p->group[0]) snprintf(p->group, sizeof p->group, "%.64s", a->target);
    p->parent = json_is_true(json_object_get(o, "parent"));
    if ((rc = limits_from(o, &p->l, err))) goto out;
    json_t *pids = json_object_get(o, "pids");
    if (pids && (!json_is_array(pids) || json_array_size(pids) > MAX_PIDS)) {
        rc = hr_error_set(err, HR_EPARSE, "action %s: pids: expected an array of pids", a->key);
        goto out;
    }
    size_t i;
    json_t *v;
    json_array_foreach(pids, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
            json_integer_value(v) > INT32_MAX) {
            rc = hr_error_set(err, HR_EPARSE, "action %s: pids[%zu]: not a pid", a->key, i);
            goto out;
        }
        p->pids[p->npids++] = (pid_t)json_integer_value(v);
    }
out:
    json_decref(o);
    return rc;
}

static const char *group_of(const cg_params *p)
{
    return p->parent ? NULL : p->group;
}

static int cg_validate(void *ud, const hr_action *a, hr_error *err)
{
    hr_cgroup_sys *s = ud;
    cg_params *p = malloc(sizeof *p);
    if (!p) return hr_error_set(err, HR_ENOMEM, "out of memory");
    int rc = parse_params(a, p, err);
    hr_cgroup_limits c = p->l;
    for (size_t i = 0; !rc && i < NNUM; i++)
        if (*num_at(&c, i) != HR_CG_UNSET && !hr_cgroup_supports(s, num_fields[i].name))
            rc = hr_error_set(err, HR_ENOTSUP, "action %s: %s is not available on this machine",
                              a->key, num_fields[i].name);
    if (!rc && (p->l.cpus[0] || p->l.mems[0]) && !hr_cgroup_supports(s, "cpus"))
        rc = hr_error_set(err, HR_ENOTSUP, "action %s: no cpuset controller here", a->key);
    free(p);
    return rc;
}

/* The current values of exactly the knobs `want` sets. */
static void restrict_to(const hr_cgroup_limits *want, hr_cgroup_limits *cur)
{
    hr_cgroup_limits w = *want;
    for (size_t i = 0; i < NNUM; i++)
        if (*num_at(&w, i) == HR_CG_UNSET) *num_at(cur, i) = HR_CG_UNSET;
    if (!want->cpus[0]) cur->cpus[0] = 0;
    if (!want->mems[0]) cur->mems[0] = 0;
    if (!want->io_dev[0]) cur->io_dev[0] = 0;
}

static int cg_apply(void *ud, hr_action *a, hr_error *err)
{
    hr_cgroup_sys *s = ud;
    cg_params *p = malloc(sizeof *p);
    if (!p) return hr_error_set(err, HR_ENOMEM, "out of memory");
    int rc = parse_params(a, p, err);
    if (!rc && !p->parent) rc = hr_cgroup_create(s, p->group, err);
    if (!rc && !a->result) {
        /* Record what was there, once: a retry must not record its own values. */
        hr_cgroup_limits cur;
        if (!(rc = hr_cgroup_get(s, group_of(p), &cur, err))) {
            restrict_to(&p->l, &cur);
            json_t *o = json_object();
            json_object_set_new(o, "before", limits_obj(&cur));
            a->result = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(o);
            if (!a->result) rc = hr_error_set(err, HR_ENOMEM, "out of memory");
        }
    }
    if (!rc) rc = hr_cgroup_set(s, group_of(p), &p->l, err);
    for (size_t i = 0; !rc && i < p->npids; i++)
        rc = hr_cgroup_attach(s, p->group, p->pids[i], err);
    free(p);
    return rc ? rc : HR_ACT_DONE;
}

static bool same(const hr_cgroup_limits *want, const hr_cgroup_limits *got)
{
    hr_cgroup_limits w = *want, g = *got;
    for (size_t i = 0; i < NNUM; i++) {
        int64_t x = *num_at(&w, i), y = *num_at(&g, i);
        if (x == HR_CG_UNSET) continue;
        /* v1 rounds memory limits to pages. */
        if (i >= 3 && i <= 5 && x > 0 && y > 0 && y <= x && x - y < 4096) continue;
        if (x != y) return false;
    }
    if (want->cpus[0] && strcmp(want->cpus, got->cpus)) return false;
    if (want->mems[0] && strcmp(want->mems, got->mems)) return false;
    return true;
}

static int cg_poll(void *ud, hr_action *a, hr_error *err)
{
    hr_cgroup_sys *s = ud;
    cg_params *p = malloc(sizeof *p);
    if (!p) return hr_error_set(err, HR_ENOMEM, "out of memory");
    int rc = parse_params(a, p, err);
    hr_cgroup_limits got;
    if (!rc) {
        rc = hr_cgroup_get(s, group_of(p), &got, err);
        if (rc == HR_ENOTFOUND)
            rc = HR_ACT_PENDING;
        else if (!rc)
            rc = same(&p->l, &got) ? HR_ACT_DONE : HR_ACT_PENDING;
    }
    free(p);
    return rc;
}

static int cg_undo(void *ud, hr_action *a, hr_error *err)
{
    hr_cgroup_sys *s = ud;
    json_t *r = json_loads(a->result ? a->result : "", 0, NULL);
    json_t *before = json_object_get(r, "before");
    int rc = 0;
    hr_cgroup_limits l;
    char group[65] = "";
    if (!json_is_object(before)) {
        rc = hr_error_set(err, HR_ESTATE, "action %s: no record of the old values", a->key);
    } else if (!(rc = limits_from(before, &l, err))) {
        json_t *pa = json_loads(a->params ? a->params : "{}", 0, NULL);
        rc = str_field(pa, "group", group, sizeof group, err);
        bool parent = json_is_true(json_object_get(pa, "parent"));
        json_decref(pa);
        if (!group[0]) snprintf(group, sizeof group, "%.64s", a->target);
        if (!rc) rc = hr_cgroup_set(s, parent ? NULL : group, &l, err);
    }
    json_decref(r);
    return rc;
}

hr_act_driver hr_cgroup_driver(hr_cgroup_sys *s)
{
    hr_act_driver d = {.kind = "cgroup",
                       .ud = s,
                       .validate = cg_validate,
                       .apply = cg_apply,
                       .poll = cg_poll,
                       .undo = cg_undo};
    return d;
}
