/* Host files for the partition solver, in YAML (libyaml, converted to a
 * jansson tree) or JSON, and forecast files merged into them. */
#include <headroom/act.h>
#include <headroom/fleet.h>
#include <headroom/series.h>
#include <headroom/util.h>

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/banned.h"

#define HOST_MAX_BYTES ((size_t)16 << 20)
#define YAML_MAX_DEPTH 32
#define YAML_MAX_NODES 1000000

/* ---- YAML to JSON ------------------------------------------------------------- */

typedef struct ystack {
    json_t *node[YAML_MAX_DEPTH];
    json_t *key[YAML_MAX_DEPTH]; /* pending key of a mapping, or NULL */
    int depth;
} ystack;

/* Attach v to the container on top (or make it the root). Steals v. */
static int attach(ystack *st, json_t **root, json_t *v)
{
    if (st->depth == 0) {
        if (*root) {
            json_decref(v);
            return -1;
        }
        *root = v;
        return 0;
    }
    json_t *top = st->node[st->depth - 1];
    if (json_is_array(top)) return json_array_append_new(top, v);
    json_t **k = &st->key[st->depth - 1];
    if (!*k) {
        if (!json_is_string(v)) {
            json_decref(v);
            return -2;
        }
        *k = v;
        return 0;
    }
    const char *ks = json_string_value(*k);
    int rc = json_object_get(top, ks) ? -3 : json_object_set_new(top, ks, v);
    if (rc == -3) json_decref(v);
    json_decref(*k);
    *k = NULL;
    return rc;
}

static int yaml_fail(hr_error *err, const char *name, const yaml_mark_t *m, const char *what)
{
    return hr_error_setpos(err, HR_EPARSE, name, (long)m->line + 1, (long)m->column + 1, "%s",
                           what);
}

static int yaml_to_json(const char *buf, size_t len, const char *name, json_t **out, hr_error *err)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return hr_error_set(err, HR_ENOMEM, "%s: out of memory", name);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    ystack st = {.depth = 0};
    json_t *root = NULL;
    int rc = 0;
    size_t nodes = 0;
    for (bool done = false; !done && !rc;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = yaml_fail(err, name, &p.problem_mark, p.problem ? p.problem : "YAML error");
            break;
        }
        if (++nodes > YAML_MAX_NODES) {
            rc = hr_error_set(err, HR_ELIMIT, "%s: more than %d YAML events", name, YAML_MAX_NODES);
        } else if (ev.type == YAML_STREAM_END_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
            done = true;
        } else if (ev.type == YAML_ALIAS_EVENT) {
            rc = yaml_fail(err, name, &ev.start_mark, "YAML aliases are not supported");
        } else if (ev.type == YAML_SCALAR_EVENT) {
            json_t *v = json_stringn((const char *)ev.data.scalar.value, ev.data.scalar.length);
            int a = v ? attach(&st, &root, v) : -1;
            if (a == -2)
                rc = yaml_fail(err, name, &ev.start_mark, "a mapping key must be a scalar");
            else if (a == -3)
                rc = yaml_fail(err, name, &ev.start_mark, "duplicate key");
            else if (a)
                rc = yaml_fail(err, name, &ev.start_mark, "unexpected value");
        } else if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
            json_t *c = ev.type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
            if (st.depth >= YAML_MAX_DEPTH) {
                json_decref(c);
                rc = yaml_fail(err, name, &ev.start_mark, "nested too deeply");
            } else if (!c || attach(&st, &root, json_incref(c))) {
                json_decref(c);
                rc = yaml_fail(err, name, &ev.start_mark, "unexpected collection");
            } else {
                st.key[st.depth] = NULL;
                st.node[st.depth++] = c;
            }
        } else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            if (st.depth > 0) {
                st.depth--;
                json_decref(st.key[st.depth]);
                json_decref(st.node[st.depth]);
            }
        }
        yaml_event_delete(&ev);
    }
    while (st.depth > 0) {
        st.depth--;
        json_decref(st.key[st.depth]);
        json_decref(st.node[st.depth]);
    }
    yaml_parser_delete(&p);
    if (!rc && !root) rc = hr_error_set(err, HR_EPARSE, "%s: empty document", name);
    if (rc) {
        json_decref(root);
        return rc;
    }
    *out = root;
    return 0;
}

static int parse_tree(const char *buf, size_t len, const char *name, json_t **out, hr_error *err)
{
    if (len > HOST_MAX_BYTES)
        return hr_error_set(err, HR_ELIMIT, "%s: larger than %zu bytes", name, HOST_MAX_BYTES);
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t' || buf[i] == '\r')) i++;
    if (i < len && buf[i] == '{') {
        json_error_t je;
        json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
        if (!v) return hr_error_setpos(err, HR_EPARSE, name, je.line, je.column, "%s", je.text);
        *out = v;
        return 0;
    }
    return yaml_to_json(buf, len, name, out, err);
}

/* ---- field access with paths in messages ------------------------------------------ */

typedef struct ctx {
    const char *name;
    char path[256];
    hr_error *err;
} ctx;

static int fail(ctx *c, int code, const char *fmt, ...) HR_PRINTF(3, 4);
static int fail(ctx *c, int code, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hr_error_set(c->err, code, "%s: %s: %s", c->name, c->path[0] ? c->path : "(top)", msg);
}

static size_t push(ctx *c, const char *fmt, ...) HR_PRINTF(2, 3);
static size_t push(ctx *c, const char *fmt, ...)
{
    size_t old = strlen(c->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->path + old, sizeof c->path - old, fmt, ap);
    va_end(ap);
    return old;
}

static void pop(ctx *c, size_t old)
{
    c->path[old] = 0;
}

/* A string or a number as text. */
static const char *text(json_t *v, char *buf, size_t size)
{
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        snprintf(buf, size, "%.17g", json_real_value(v));
        return buf;
    }
    return NULL;
}

static int get_amount(ctx *c, json_t *v, hr_unit unit, int64_t *out)
{
    char b[64];
    const char *s = text(v, b, sizeof b);
    if (!s) return fail(c, HR_EPARSE, "expected an amount");
    hr_error e = {0};
    /* A plain integer is in the base unit (millicores, bytes, bits/s). */
    int rc = hr_parse_int64_z(s, out) == 0 ? 0 : hr_parse_amount(s, unit, out, &e);
    if (rc) return fail(c, rc, "%s", e.msg);
    if (*out < 0) return fail(c, HR_EINVAL, "negative amount");
    return 0;
}

static int get_int(ctx *c, json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    char b[64];
    const char *s = text(v, b, sizeof b);
    int64_t x;
    if (!s || hr_parse_int64_z(s, &x)) return fail(c, HR_EPARSE, "expected an integer");
    if (x < lo || x > hi)
        return fail(c, HR_EINVAL, "%lld outside %lld..%lld", (long long)x, (long long)lo,
                    (long long)hi);
    *out = x;
    return 0;
}

static int get_str(ctx *c, json_t *v, char *dst, size_t size)
{
    const char *s = json_string_value(v);
    if (!s) return fail(c, HR_EPARSE, "expected a string");
    if (strlen(s) >= size) return fail(c, HR_ELIMIT, "longer than %zu bytes", size - 1);
    snprintf(dst, size, "%s", s);
    return 0;
}

static int get_bool(ctx *c, json_t *v, bool *out)
{
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    const char *s = json_string_value(v);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes")))
        *out = true;
    else if (s && (!strcmp(s, "false") || !strcmp(s, "no")))
        *out = false;
    else
        return fail(c, HR_EPARSE, "expected true or false");
    return 0;
}

/* A level key: "p95", "p99.9", "0.95". */
static int level_of(const char *k, double *out)
{
    double v;
    if (k[0] == 'p' || k[0] == 'P') {
        if (hr_parse_double_z(k + 1, &v)) return -1;
        v /= 100;
    } else if (hr_parse_double_z(k, &v)) {
        return -1;
    }
    if (!(v > 0 && v < 1)) return -1;
    *out = v;
    return 0;
}

static int cmp_level(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

static int get_demand(ctx *c, json_t *v, hr_unit unit, hr_part_demand *d)
{
    if (!json_is_object(v)) return fail(c, HR_EPARSE, "expected quantiles {p50: AMOUNT, ...}");
    if (json_object_size(v) > HR_PART_MAX_LEVELS)
        return fail(c, HR_ELIMIT, "more than %d quantiles", HR_PART_MAX_LEVELS);
    double pairs[HR_PART_MAX_LEVELS][2];
    size_t n = 0;
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x)
    {
        size_t old = push(c, ".%s", k);
        int64_t amt;
        if (level_of(k, &pairs[n][0]))
            return fail(c, HR_EPARSE, "\"%s\" is not a quantile level (p95 or 0.95)", k);
        int rc = get_amount(c, x, unit, &amt);
        if (rc) return rc;
        pairs[n++][1] = (double)amt;
        pop(c, old);
    }
    qsort(pairs, n, sizeof pairs[0], cmp_level);
    for (size_t i = 0; i < n; i++) {
        if (i && pairs[i][0] == pairs[i - 1][0])
            return fail(c, HR_EPARSE, "level %g given twice", pairs[i][0]);
        if (i && pairs[i][1] < pairs[i - 1][1])
            return fail(c, HR_EINVAL, "quantiles decrease (p%g < p%g)", pairs[i][0] * 100,
                        pairs[i - 1][0] * 100);
        d->levels[i] = pairs[i][0];
        d->values[i] = pairs[i][1];
    }
    d->n = n;
    return 0;
}

/* "0-3,6" or a count N (cores 0..N-1). */
static int get_cpus(ctx *c, json_t *v, hr_part_host *h)
{
    if (json_is_integer(v) || (json_is_string(v) && !strpbrk(json_string_value(v), "-,"))) {
        int64_t n;
        int rc = get_int(c, v, 1, 1024, &n);
        if (rc) return rc;
        for (int64_t i = 0; i < n; i++) h->cpus[i] = (int32_t)i;
        h->ncpus = (size_t)n;
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s) return fail(c, HR_EPARSE, "expected a core count or a list like \"0-3,6\"");
    bool seen[1024] = {false};
    while (*s) {
        int64_t a = 0, b;
        size_t k = 0;
        while (s[k] >= '0' && s[k] <= '9' && k < 5) a = a * 10 + (s[k++] - '0');
        if (!k) return fail(c, HR_EPARSE, "bad core list near \"%.16s\"", s);
        s += k;
        b = a;
        if (*s == '-') {
            s++;
            b = 0;
            k = 0;
            while (s[k] >= '0' && s[k] <= '9' && k < 5) b = b * 10 + (s[k++] - '0');
            if (!k) return fail(c, HR_EPARSE, "bad core range");
            s += k;
        }
        if (a > b || b >= 1024)
            return fail(c, HR_EINVAL, "core range %lld-%lld", (long long)a, (long long)b);
        for (int64_t i = a; i <= b; i++) seen[i] = true;
        if (*s == ',')
            s++;
        else if (*s)
            return fail(c, HR_EPARSE, "bad core list near \"%.16s\"", s);
    }
    h->ncpus = 0;
    for (int i = 0; i < 1024; i++)
        if (seen[i]) h->cpus[h->ncpus++] = i;
    return 0;
}

static const char *const res_key[HR_PART_RES_COUNT_] = {"cpu", "memory", "egress"};
static const hr_unit res_unit[HR_PART_RES_COUNT_] = {HR_UNIT_MILLICORES, HR_UNIT_BYTES,
                                                     HR_UNIT_BITS_PER_SEC};

static bool known(const char *k, const char *const *names)
{
    for (; *names; names++)
        if (!strcmp(k, *names)) return true;
    return false;
}

static int check_keys(ctx *c, json_t *o, const char *const *names)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (!known(k, names)) return fail(c, HR_EPARSE, "unknown field \"%s\"", k);
    }
    return 0;
}

static const char *const tenant_keys[] = {"name",   "priority",   "sla",   "cpu",  "memory",
                                          "egress", "memory_cap", "match", "pids", NULL};
static const char *const host_keys[] = {"host",          "cpus",    "memory",  "egress",
                                        "cgroup_parent", "reserve", "tenants", NULL};

static int load_tenant(ctx *c, json_t *o, hr_part_tenant *t)
{
    if (!json_is_object(o)) return fail(c, HR_EPARSE, "expected a tenant object");
    int rc = check_keys(c, o, tenant_keys);
    size_t old;
    json_t *v;
    if (rc) return rc;
    t->quantile = 0.95;
    old = push(c, ".name");
    if (!(v = json_object_get(o, "name"))) return fail(c, HR_EPARSE, "missing");
    if ((rc = get_str(c, v, t->name, sizeof t->name))) return rc;
    for (const char *p = t->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return fail(c, HR_EINVAL, "\"%s\": use letters, digits, '_', '-', '.'", t->name);
    if (!t->name[0] || !strcmp(t->name, ".") || !strcmp(t->name, ".."))
        return fail(c, HR_EINVAL, "empty or reserved name");
    pop(c, old);
    int64_t x;
    if ((v = json_object_get(o, "priority"))) {
        old = push(c, ".priority");
        if ((rc = get_int(c, v, -1000000, 1000000, &x))) return rc;
        t->priority = (int32_t)x;
        pop(c, old);
    }
    if ((v = json_object_get(o, "sla"))) {
        old = push(c, ".sla");
        static const char *const sla_keys[] = {"quantile", "pin", NULL};
        if (!json_is_object(v)) return fail(c, HR_EPARSE, "expected {quantile, pin}");
        if ((rc = check_keys(c, v, sla_keys))) return rc;
        json_t *q = json_object_get(v, "quantile"), *pin = json_object_get(v, "pin");
        char b[64];
        const char *s = q ? text(q, b, sizeof b) : NULL;
        if (q && (!s || level_of(s, &t->quantile)))
            return fail(c, HR_EPARSE, "quantile: expected a level in (0, 1) or pNN");
        if (pin && (rc = get_bool(c, pin, &t->pin))) return rc;
        pop(c, old);
    }
    for (int r = 0; r < HR_PART_RES_COUNT_; r++) {
        if (!(v = json_object_get(o, res_key[r]))) continue;
        old = push(c, ".%s", res_key[r]);
        if ((rc = get_demand(c, v, res_unit[r], &t->demand[r]))) return rc;
        pop(c, old);
    }
    if ((v = json_object_get(o, "memory_cap"))) {
        old = push(c, ".memory_cap");
        if ((rc = get_amount(c, v, HR_UNIT_BYTES, &t->mem_cap))) return rc;
        pop(c, old);
    }
    if ((v = json_object_get(o, "match"))) {
        old = push(c, ".match");
        if ((rc = get_str(c, v, t->match, sizeof t->match))) return rc;
        if (strspn(t->match, "0123456789./") != strlen(t->match))
            return fail(c, HR_EINVAL, "\"%s\" is not an IPv4 address or prefix", t->match);
        pop(c, old);
    }
    if ((v = json_object_get(o, "pids"))) {
        old = push(c, ".pids");
        if (!json_is_array(v)) return fail(c, HR_EPARSE, "expected a list of pids");
        if (json_array_size(v) > HR_PART_MAX_PIDS)
            return fail(c, HR_ELIMIT, "more than %d pids", HR_PART_MAX_PIDS);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if ((rc = get_int(c, json_array_get(v, i), 1, INT32_MAX, &x))) return rc;
            t->pids[t->npids++] = (int32_t)x;
        }
        pop(c, old);
    }
    return 0;
}

static int load_egress(ctx *c, json_t *v, hr_part_host *h)
{
    static const char *const keys[] = {"dev", "netns", "rate", NULL};
    if (!json_is_object(v)) return fail(c, HR_EPARSE, "expected {dev, rate, netns}");
    int rc = check_keys(c, v, keys);
    json_t *x;
    if (rc) return rc;
    if (!(x = json_object_get(v, "dev"))) return fail(c, HR_EPARSE, "dev: missing");
    if ((rc = get_str(c, x, h->net_dev, sizeof h->net_dev))) return rc;
    if ((x = json_object_get(v, "netns")) && (rc = get_str(c, x, h->netns, sizeof h->netns)))
        return rc;
    if (!(x = json_object_get(v, "rate"))) return fail(c, HR_EPARSE, "rate: missing");
    if ((rc = get_amount(c, x, HR_UNIT_BITS_PER_SEC, &h->net_bps))) return rc;
    if (h->net_bps <= 0) return fail(c, HR_EINVAL, "rate must be positive");
    return 0;
}

/* A single tenant asking, at its SLA quantile, for more than the host has. */
static int check_fit(ctx *c, const hr_part_host *h)
{
    int64_t cap[HR_PART_RES_COUNT_] = {(int64_t)h->ncpus * 1000 - h->reserve[0],
                                       h->mem_bytes - h->reserve[1], h->net_bps - h->reserve[2]};
    for (int r = 0; r < HR_PART_RES_COUNT_; r++)
        if (cap[r] < 0 || (r < 2 && cap[r] == 0)) {
            snprintf(c->path, sizeof c->path, "reserve.%s", res_key[r]);
            return fail(c, HR_EINVAL, "the reserve exceeds what the host has");
        }
    for (size_t i = 0; i < h->ntenants; i++) {
        const hr_part_tenant *t = &h->tenants[i];
        for (int r = 0; r < HR_PART_RES_COUNT_; r++) {
            if (r == 2 && !h->net_bps) continue;
            double w = hr_part_demand_at(&t->demand[r], t->quantile);
            if (w > (double)cap[r]) {
                snprintf(c->path, sizeof c->path, "tenants[%zu].%s", i, res_key[r]);
                return fail(c, HR_EINVAL, "tenant \"%s\" asks for %.0f at p%g, the host has %lld",
                            t->name, w, t->quantile * 100, (long long)cap[r]);
            }
        }
        if (t->mem_cap > h->mem_bytes) {
            snprintf(c->path, sizeof c->path, "tenants[%zu].memory_cap", i);
            return fail(c, HR_EINVAL, "exceeds the host's memory");
        }
        for (size_t k = 0; k < i; k++)
            if (!strcmp(h->tenants[k].name, t->name)) {
                snprintf(c->path, sizeof c->path, "tenants[%zu].name", i);
                return fail(c, HR_EEXIST, "\"%s\" also names tenants[%zu]", t->name, k);
            }
    }
    return 0;
}

static int load_host(ctx *c, json_t *o, hr_part_host *h)
{
    if (!json_is_object(o)) return fail(c, HR_EPARSE, "expected a mapping");
    int rc = check_keys(c, o, host_keys);
    json_t *v;
    size_t old;
    if (rc) return rc;
    old = push(c, "host");
    if (!(v = json_object_get(o, "host"))) return fail(c, HR_EPARSE, "missing");
    if ((rc = get_str(c, v, h->name, sizeof h->name))) return rc;
    pop(c, old);
    old = push(c, "cpus");
    if (!(v = json_object_get(o, "cpus"))) return fail(c, HR_EPARSE, "missing");
    if ((rc = get_cpus(c, v, h))) return rc;
    pop(c, old);
    old = push(c, "memory");
    if (!(v = json_object_get(o, "memory"))) return fail(c, HR_EPARSE, "missing");
    if ((rc = get_amount(c, v, HR_UNIT_BYTES, &h->mem_bytes))) return rc;
    if (h->mem_bytes <= 0) return fail(c, HR_EINVAL, "must be positive");
    pop(c, old);
    snprintf(h->cgroup_parent, sizeof h->cgroup_parent, "headroom");
    if ((v = json_object_get(o, "cgroup_parent"))) {
        old = push(c, "cgroup_parent");
        if ((rc = get_str(c, v, h->cgroup_parent, sizeof h->cgroup_parent))) return rc;
        pop(c, old);
    }
    if ((v = json_object_get(o, "egress"))) {
        old = push(c, "egress");
        if ((rc = load_egress(c, v, h))) return rc;
        pop(c, old);
    }
    if ((v = json_object_get(o, "reserve"))) {
        old = push(c, "reserve");
        static const char *const keys[] = {"cpu", "memory", "egress", NULL};
        if (!json_is_object(v) || (rc = check_keys(c, v, keys)))
            return rc ? rc : fail(c, HR_EPARSE, "expected {cpu, memory, egress}");
        for (int r = 0; r < HR_PART_RES_COUNT_; r++) {
            json_t *x = json_object_get(v, res_key[r]);
            size_t o2 = push(c, ".%s", res_key[r]);
            if (x && (rc = get_amount(c, x, res_unit[r], &h->reserve[r]))) return rc;
            pop(c, o2);
        }
        pop(c, old);
    }
    old = push(c, "tenants");
    v = json_object_get(o, "tenants");
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(c, HR_EPARSE, "expected a non-empty list of tenants");
    if (json_array_size(v) > HR_PART_MAX_TENANTS)
        return fail(c, HR_ELIMIT, "more than %d tenants", HR_PART_MAX_TENANTS);
    h->tenants = calloc(json_array_size(v), sizeof *h->tenants);
    if (!h->tenants) return fail(c, HR_ENOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(v); i++) {
        size_t o2 = push(c, "[%zu]", i);
        if ((rc = load_tenant(c, json_array_get(v, i), &h->tenants[i]))) return rc;
        h->ntenants++;
        pop(c, o2);
    }
    pop(c, old);
    return check_fit(c, h);
}

int hr_part_host_parse(const char *buf, size_t len, const char *name, hr_part_host *out,
                       hr_error *err)
{
    if (!buf || !out) return hr_error_set(err, HR_EINVAL, "host file: no input");
    if (!name) name = "host";
    json_t *root = NULL;
    int rc = parse_tree(buf, len, name, &root, err);
    if (rc) return rc;
    hr_part_host *h = calloc(1, sizeof *h);
    if (!h) {
        json_decref(root);
        return hr_error_set(err, HR_ENOMEM, "%s: out of memory", name);
    }
    ctx c = {.name = name, .err = err};
    rc = load_host(&c, root, h);
    json_decref(root);
    if (rc)
        hr_part_host_release(h);
    else
        *out = *h;
    free(h);
    return rc;
}

int hr_part_host_load(const char *path, hr_part_host *out, hr_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = hr_read_file(path, HOST_MAX_BYTES, &buf, &len, err);
    if (rc) return rc;
    rc = hr_part_host_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

/* ---- forecast merge ---------------------------------------------------------------- */

/* The union of both level sets, the larger value at each. */
static void merge_demand(hr_part_demand *d, const hr_part_demand *f)
{
    double lv[2 * HR_PART_MAX_LEVELS];
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) lv[n++] = d->levels[i];
    for (size_t i = 0; i < f->n; i++) lv[n++] = f->levels[i];
    qsort(lv, n, sizeof *lv, cmp_level);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || lv[i] != lv[u - 1]) lv[u++] = lv[i];
    if (u > HR_PART_MAX_LEVELS) u = HR_PART_MAX_LEVELS;
    hr_part_demand m = {.n = u};
    for (size_t i = 0; i < u; i++) {
        double a = d->n ? hr_part_demand_at(d, lv[i]) : 0,
               b = f->n ? hr_part_demand_at(f, lv[i]) : 0;
        m.levels[i] = lv[i];
        m.values[i] = a > b ? a : b;
        if (i && m.values[i] < m.values[i - 1]) m.values[i] = m.values[i - 1];
    }
    *d = m;
}

int hr_part_forecast_merge(hr_part_host *h, const char *buf, size_t len, const char *name,
                           hr_error *err)
{
    if (!h || !buf) return hr_error_set(err, HR_EINVAL, "forecast: no input");
    if (!name) name = "forecast";
    json_t *root = NULL;
    int rc = parse_tree(buf, len, name, &root, err);
    if (rc) return rc;
    ctx c = {.name = name, .err = err};
    json_t *ts = json_object_get(root, "tenants");
    hr_part_demand *nd = calloc(h->ntenants * HR_PART_RES_COUNT_, sizeof *nd);
    if (!nd) {
        json_decref(root);
        return hr_error_set(err, HR_ENOMEM, "%s: out of memory", name);
    }
    const char *k;
    json_t *v;
    if (!json_is_object(ts)) rc = fail(&c, HR_EPARSE, "expected {\"tenants\": {NAME: ...}}");
    json_object_foreach(ts, k, v)
    {
        if (rc) break;
        size_t old = push(&c, "tenants.%s", k), i = 0;
        while (i < h->ntenants && strcmp(h->tenants[i].name, k)) i++;
        if (i == h->ntenants) {
            rc = fail(&c, HR_EPARSE, "no tenant \"%s\" on host %s", k, h->name);
            break;
        }
        static const char *const keys[] = {"cpu", "memory", "egress", NULL};
        if (!json_is_object(v) || (rc = check_keys(&c, v, keys))) {
            rc = rc ? rc : fail(&c, HR_EPARSE, "expected {cpu, memory, egress}");
            break;
        }
        for (int r = 0; r < HR_PART_RES_COUNT_ && !rc; r++) {
            json_t *x = json_object_get(v, res_key[r]);
            size_t o2 = push(&c, ".%s", res_key[r]);
            if (x) rc = get_demand(&c, x, res_unit[r], &nd[i * HR_PART_RES_COUNT_ + r]);
            pop(&c, o2);
        }
        pop(&c, old);
    }
    json_decref(root);
    if (!rc)
        for (size_t i = 0; i < h->ntenants; i++)
            for (int r = 0; r < HR_PART_RES_COUNT_; r++)
                if (nd[i * HR_PART_RES_COUNT_ + r].n)
                    merge_demand(&h->tenants[i].demand[r], &nd[i * HR_PART_RES_COUNT_ + r]);
    free(nd);
    return rc;
}
