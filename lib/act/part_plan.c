/* From a partition to journal actions, and the partition's JSON form. */
#include <headroom/act.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define PERIOD_USEC 100000

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static const hr_part_alloc *find_prev(const hr_part_alloc *prev, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(prev[i].name, name)) return &prev[i];
    return NULL;
}

static size_t count_cpus(const char *list)
{
    if (!*list) return 0;
    size_t n = 1;
    for (; *list; list++) n += *list == ',';
    return n;
}

/* Stage of a knob moving from `old` to `now`: 0 when it shrinks. */
static int stage_of(const hr_part_alloc *p, int64_t old, int64_t now)
{
    return p && now < old ? 0 : 1;
}

/* Knobs of tenant a into two objects by stage. */
static void split(const hr_part_alloc *a, const hr_part_alloc *p, bool mem_high, json_t *st[2])
{
    int64_t quota = a->cpu_quota_usec == HR_CG_MAX ? -1 : a->cpu_quota_usec;
    int64_t pquota = p ? (p->cpu_quota_usec == HR_CG_MAX ? INT64_MAX : p->cpu_quota_usec) : 0;
    json_object_set_new(st[stage_of(p, pquota, quota == -1 ? INT64_MAX : quota)], "cpu_quota_usec",
                        json_integer(quota));
    json_object_set_new(st[1], "cpu_period_usec", json_integer(PERIOD_USEC));
    json_object_set_new(st[stage_of(p, p ? p->cpu_weight : 0, a->cpu_weight)], "cpu_weight",
                        json_integer(a->cpu_weight));
    json_object_set_new(st[p && count_cpus(a->cpus) < count_cpus(p->cpus) ? 0 : 1], "cpus",
                        json_string(a->cpus));
    json_object_set_new(st[stage_of(p, p ? p->mem_max : 0, a->mem_max)], "mem_max",
                        json_integer(a->mem_max));
    json_object_set_new(
        st[stage_of(p, p ? p->guarantee[HR_PART_MEM] : 0, a->guarantee[HR_PART_MEM])], "mem_low",
        json_integer(a->guarantee[HR_PART_MEM]));
    if (mem_high)
        json_object_set_new(st[stage_of(p, p ? p->limit[HR_PART_MEM] : 0, a->limit[HR_PART_MEM])],
                            "mem_high", json_integer(a->limit[HR_PART_MEM]));
}

static int push(hr_action **v, size_t *n, size_t *cap, const hr_action *a)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        hr_action *nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return HR_ENOMEM;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = *a;
    return 0;
}

static char *tc_params(const hr_part_host *h, const hr_part_alloc *alloc)
{
    hr_tc_class *c = calloc(h->ntenants, sizeof *c);
    if (!c) return NULL;
    /* Priority rank 0 (first) .. 7 from the tenants' priorities. */
    for (size_t i = 0; i < h->ntenants; i++) {
        int rank = 0;
        for (size_t k = 0; k < h->ntenants; k++)
            rank += h->tenants[k].priority > h->tenants[i].priority;
        snprintf(c[i].name, sizeof c[i].name, "%s", h->tenants[i].name);
        c[i].minor = (uint32_t)(0x10 + i);
        c[i].rate_bps = alloc[i].guarantee[HR_PART_NET];
        c[i].ceil_bps = alloc[i].limit[HR_PART_NET];
        c[i].prio = rank > 7 ? 7 : rank;
        snprintf(c[i].match, sizeof c[i].match, "%s", h->tenants[i].match);
    }
    hr_tc_spec s = {.link_bps = h->net_bps, .classes = c, .nclasses = h->ntenants};
    snprintf(s.dev, sizeof s.dev, "%s", h->net_dev);
    snprintf(s.netns, sizeof s.netns, "%s", h->netns);
    char *txt = hr_tc_spec_to_json(&s);
    free(c);
    return txt;
}

int hr_part_actions(const hr_part_host *h, const hr_part_alloc *alloc, const hr_part_alloc *prev,
                    size_t nprev, bool mem_high, hr_action **out, size_t *n, hr_error *err)
{
    if (!h || !alloc || !out || !n) return hr_error_set(err, HR_EINVAL, "partition: no plan");
    hr_action *v = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    char **params = calloc(2 * h->ntenants + 1, sizeof *params);
    if (!params) return hr_error_set(err, HR_ENOMEM, "partition: out of memory");
    uint64_t digest = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < h->ntenants && !rc; i++) {
        const hr_part_alloc *p = find_prev(prev, nprev, alloc[i].name);
        json_t *st[2] = {json_object(), json_object()};
        if (!st[0] || !st[1]) rc = HR_ENOMEM;
        if (!rc) {
            split(&alloc[i], p, mem_high, st);
            json_t *pids = json_array();
            for (size_t k = 0; k < h->tenants[i].npids; k++)
                json_array_append_new(pids, json_integer(h->tenants[i].pids[k]));
            json_object_set_new(st[1], "pids", pids);
            for (int s = 0; s < 2 && !rc; s++) {
                if (!json_object_size(st[s])) continue;
                json_object_set_new(st[s], "group", json_string(alloc[i].name));
                params[2 * i + s] = json_dumps(st[s], JSON_COMPACT | JSON_SORT_KEYS);
                if (!params[2 * i + s]) rc = HR_ENOMEM;
                digest = fnv(digest, params[2 * i + s]);
            }
        }
        json_decref(st[0]);
        json_decref(st[1]);
    }
    if (!rc && h->net_bps > 0) {
        params[2 * h->ntenants] = tc_params(h, alloc);
        if (!params[2 * h->ntenants]) rc = HR_ENOMEM;
        digest = fnv(digest, params[2 * h->ntenants]);
    }
    /* The parent first: managed tenants outweigh the host's unmanaged
     * processes (under v1 a pinned group would otherwise starve on its core
     * behind them). */
    if (!rc) {
        hr_action a = {.stage = 0, .params = strdup("{\"cpu_weight\":10000,\"parent\":true}")};
        snprintf(a.kind, sizeof a.kind, "cgroup");
        snprintf(a.host, sizeof a.host, "%s", h->name);
        snprintf(a.target, sizeof a.target, "%s",
                 h->cgroup_parent[0] ? h->cgroup_parent : "parent");
        snprintf(a.key, sizeof a.key, "partition/%.60s/%016llx/(parent)/0", h->name,
                 (unsigned long long)digest);
        snprintf(a.plan, sizeof a.plan, "partition/%.60s/%016llx", h->name,
                 (unsigned long long)digest);
        if (!a.params || push(&v, &len, &cap, &a)) {
            free(a.params);
            rc = HR_ENOMEM;
        }
    }
    for (size_t k = 0; k <= 2 * h->ntenants && !rc; k++) {
        if (!params[k]) continue;
        bool is_tc = k == 2 * h->ntenants;
        hr_action a = {.stage = is_tc ? 1 : (int32_t)(k % 2), .params = params[k]};
        const char *target = is_tc ? h->net_dev : alloc[k / 2].name;
        snprintf(a.kind, sizeof a.kind, "%s", is_tc ? "tc" : "cgroup");
        snprintf(a.host, sizeof a.host, "%s", h->name);
        snprintf(a.target, sizeof a.target, "%s", target);
        snprintf(a.key, sizeof a.key, "partition/%.60s/%016llx/%.70s%s/%d", h->name,
                 (unsigned long long)digest, target, is_tc ? ".tc" : "", a.stage);
        snprintf(a.plan, sizeof a.plan, "partition/%.60s/%016llx", h->name,
                 (unsigned long long)digest);
        if (push(&v, &len, &cap, &a))
            rc = HR_ENOMEM;
        else
            params[k] = NULL; /* owned by the action now */
    }
    for (size_t k = 0; k <= 2 * h->ntenants; k++) free(params[k]);
    free(params);
    if (rc) {
        hr_action_list_free(v, len);
        return hr_error_set(err, rc, "partition: out of memory");
    }
    *out = v;
    *n = len;
    return 0;
}

char *hr_part_alloc_to_json(const hr_part_host *h, const hr_part_alloc *a, size_t n)
{
    json_t *o = json_object(), *ts = json_array();
    if (!o || !ts) {
        json_decref(o);
        json_decref(ts);
        return NULL;
    }
    json_object_set_new(o, "host", json_string(h ? h->name : ""));
    for (size_t i = 0; i < n; i++) {
        const hr_part_alloc *x = &a[i];
        json_t *cpu = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:s, s:b, s:b, s:b}", "want", (json_int_t)x->want[0],
            "guarantee", (json_int_t)x->guarantee[0], "limit", (json_int_t)x->limit[0], "weight",
            (json_int_t)x->cpu_weight, "quota_usec", (json_int_t)x->cpu_quota_usec, "cpus", x->cpus,
            "pinned", x->pinned, "pin_denied", x->pin_denied, "short", x->short_of[0]);
        json_t *mem = json_pack("{s:I, s:I, s:I, s:I, s:b}", "want", (json_int_t)x->want[1], "low",
                                (json_int_t)x->guarantee[1], "high", (json_int_t)x->limit[1], "max",
                                (json_int_t)x->mem_max, "short", x->short_of[1]);
        json_t *net = json_pack("{s:I, s:I, s:I, s:b}", "want", (json_int_t)x->want[2], "rate",
                                (json_int_t)x->guarantee[2], "ceil", (json_int_t)x->limit[2],
                                "short", x->short_of[2]);
        json_array_append_new(ts, json_pack("{s:s, s:o, s:o, s:o}", "name", x->name, "cpu", cpu,
                                            "memory", mem, "egress", net));
    }
    json_object_set_new(o, "tenants", ts);
    char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return txt;
}

int hr_part_alloc_from_json(const char *buf, size_t len, const char *name, hr_part_alloc **out,
                            size_t *n, hr_error *err)
{
    if (!name) name = "state";
    json_error_t je;
    json_t *o = json_loadb(buf ? buf : "", buf ? len : 0, 0, &je);
    json_t *ts = json_object_get(o, "tenants");
    if (!json_is_array(ts) || json_array_size(ts) > HR_PART_MAX_TENANTS) {
        json_decref(o);
        return hr_error_setpos(err, HR_EPARSE, name, o ? 0 : je.line, o ? 0 : je.column, "%s",
                               o ? "expected {\"tenants\": [...]}" : je.text);
    }
    size_t cnt = json_array_size(ts);
    hr_part_alloc *v = calloc(cnt ? cnt : 1, sizeof *v);
    int rc = v ? 0 : hr_error_set(err, HR_ENOMEM, "%s: out of memory", name);
    for (size_t i = 0; i < cnt && !rc; i++) {
        hr_part_alloc *x = &v[i];
        const char *nm = NULL, *cpus = NULL;
        json_int_t cw = 0, cg = 0, cl = 0, wt = 0, q = 0, mw = 0, ml = 0, mh = 0, mm = 0, nw = 0,
                   nr = 0, nc = 0;
        int pin = 0, den = 0, s0 = 0, s1 = 0, s2 = 0;
        if (json_unpack_ex(json_array_get(ts, i), &je, 0,
                           "{s:s, s:{s:I, s:I, s:I, s:I, s:I, s:s, s:b, s:b, s:b},"
                           " s:{s:I, s:I, s:I, s:I, s:b}, s:{s:I, s:I, s:I, s:b}}",
                           "name", &nm, "cpu", "want", &cw, "guarantee", &cg, "limit", &cl,
                           "weight", &wt, "quota_usec", &q, "cpus", &cpus, "pinned", &pin,
                           "pin_denied", &den, "short", &s0, "memory", "want", &mw, "low", &ml,
                           "high", &mh, "max", &mm, "short", &s1, "egress", "want", &nw, "rate",
                           &nr, "ceil", &nc, "short", &s2) != 0 ||
            strlen(nm) >= sizeof x->name || strlen(cpus) >= sizeof x->cpus) {
            rc = hr_error_set(err, HR_EPARSE, "%s: tenants[%zu]: %s", name, i, je.text);
            break;
        }
        snprintf(x->name, sizeof x->name, "%s", nm);
        snprintf(x->cpus, sizeof x->cpus, "%s", cpus);
        x->want[0] = cw, x->guarantee[0] = cg, x->limit[0] = cl;
        x->cpu_weight = wt, x->cpu_quota_usec = q;
        x->pinned = pin, x->pin_denied = den;
        x->want[1] = mw, x->guarantee[1] = ml, x->limit[1] = mh, x->mem_max = mm;
        x->want[2] = nw, x->guarantee[2] = nr, x->limit[2] = nc;
        x->short_of[0] = s0, x->short_of[1] = s1, x->short_of[2] = s2;
    }
    json_decref(o);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = cnt;
    return 0;
}
