/* The fleet as JSON (docs/fleet-schema.md): loading with errors that name
 * the JSON path of the bad field, saving, and amounts with unit suffixes. */
#include <headroom/fleet.h>
#include <headroom/util.h>
#include <headroom/series.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORMAT_VERSION 1

/* ---- amounts with units ------------------------------------------------------------ */

typedef struct suffix {
    const char *s;
    int64_t mult;
} suffix;

#define KI INT64_C(1024)
static const suffix cpu_suffixes[] = {{"m", 1}, {"core", 1000}, {"cores", 1000}, {NULL, 0}};
static const suffix byte_suffixes[] = {
    {"B", 1},
    {"k", 1000},
    {"kB", 1000},
    {"K", 1000},
    {"KB", 1000},
    {"Ki", KI},
    {"KiB", KI},
    {"M", 1000000},
    {"MB", 1000000},
    {"Mi", KI *KI},
    {"MiB", KI *KI},
    {"G", 1000000000},
    {"GB", 1000000000},
    {"Gi", KI *KI *KI},
    {"GiB", KI *KI *KI},
    {"T", INT64_C(1000000000000)},
    {"TB", INT64_C(1000000000000)},
    {"Ti", KI *KI *KI *KI},
    {"TiB", KI *KI *KI *KI},
    {"P", INT64_C(1000000000000000)},
    {"PB", INT64_C(1000000000000000)},
    {"Pi", KI *KI *KI *KI *KI},
    {"PiB", KI *KI *KI *KI *KI},
    {NULL, 0},
};
static const suffix bit_suffixes[] = {
    {"bit", 1},
    {"bps", 1},
    {"bit/s", 1},
    {"kbit", 1000},
    {"kbps", 1000},
    {"kbit/s", 1000},
    {"Mbit", 1000000},
    {"Mbps", 1000000},
    {"Mbit/s", 1000000},
    {"Gbit", 1000000000},
    {"Gbps", 1000000000},
    {"Gbit/s", 1000000000},
    {"Tbit", INT64_C(1000000000000)},
    {"Tbps", INT64_C(1000000000000)},
    {"Tbit/s", INT64_C(1000000000000)},
    {NULL, 0},
};
static const suffix mips_suffixes[] = {{"MIPS", 1}, {NULL, 0}};

static const suffix *unit_suffixes(hr_unit unit)
{
    switch (unit) {
    case HR_UNIT_MILLICORES:
        return cpu_suffixes;
    case HR_UNIT_BYTES:
        return byte_suffixes;
    case HR_UNIT_BITS_PER_SEC:
        return bit_suffixes;
    case HR_UNIT_MIPS:
        return mips_suffixes;
    default:
        return NULL;
    }
}

static const char *unit_text(hr_unit unit)
{
    switch (unit) {
    case HR_UNIT_MILLICORES:
        return "millicores";
    case HR_UNIT_BYTES:
        return "bytes";
    case HR_UNIT_BITS_PER_SEC:
        return "bits/s";
    case HR_UNIT_MIPS:
        return "mips";
    default:
        return "custom";
    }
}

static const char *unit_help(hr_unit unit)
{
    switch (unit) {
    case HR_UNIT_MILLICORES:
        return "m, core, cores";
    case HR_UNIT_BYTES:
        return "B, kB, KiB, MB, MiB, GB, GiB, TB, TiB, PB, PiB (or k, Ki, M, Mi, ...)";
    case HR_UNIT_BITS_PER_SEC:
        return "bit, kbit, Mbit, Gbit, Tbit (or bps, kbps, ..., or .../s)";
    case HR_UNIT_MIPS:
        return "MIPS";
    default:
        return "none: write an integer";
    }
}

int hr_parse_amount(const char *s, hr_unit unit, int64_t *out, hr_error *err)
{
    if (!s) return hr_error_set(err, HR_EPARSE, "no amount");
    const char *p = s;
    bool neg = *p == '-';
    if (neg) p++;
    const char *int_start = p;
    while (*p >= '0' && *p <= '9') p++;
    size_t int_len = (size_t)(p - int_start);
    const char *frac_start = p, *frac_end = p;
    if (*p == '.') {
        frac_start = ++p;
        while (*p >= '0' && *p <= '9') p++;
        frac_end = p;
        while (frac_end > frac_start && frac_end[-1] == '0') frac_end--; /* 1.50 = 1.5 */
    }
    if (int_len == 0 || (frac_start == p && s[p - s - 1] == '.'))
        return hr_error_set(err, HR_EPARSE, "bad amount \"%.64s\": expected a number", s);
    const suffix *tab = unit_suffixes(unit), *suf = NULL;
    for (size_t i = 0; tab && tab[i].s; i++)
        if (strcmp(p, tab[i].s) == 0) suf = &tab[i];
    if (!suf)
        return hr_error_set(err, HR_EPARSE, "bad amount \"%.64s\": %s unit \"%.32s\" for %s (%s)",
                            s, *p ? "unknown" : "missing", p, unit_text(unit), unit_help(unit));
    size_t frac_len = (size_t)(frac_end - frac_start);
    if (int_len + frac_len > 18)
        return hr_error_set(err, HR_ERANGE, "amount \"%.64s\" has too many digits", s);
    int64_t mant = 0, div = 1;
    for (const char *q = int_start; q < int_start + int_len; q++) mant = mant * 10 + (*q - '0');
    for (const char *q = frac_start; q < frac_end; q++) {
        mant = mant * 10 + (*q - '0');
        div *= 10;
    }
    int64_t v;
    if (__builtin_mul_overflow(mant, suf->mult, &v))
        return hr_error_set(err, HR_ERANGE, "amount \"%.64s\" is too large", s);
    if (v % div != 0)
        return hr_error_set(err, HR_EPARSE, "amount \"%.64s\" is not a whole number of %s", s,
                            unit_text(unit));
    *out = neg ? -(v / div) : v / div;
    return 0;
}

/* ---- loading: context and typed getters ---------------------------------------------- */

typedef struct jctx {
    hr_fleet *f;
    const char *name; /* input name for messages */
    hr_error *err;
    char path[1024];
    size_t plen;
} jctx;

static size_t push(jctx *c, const char *fmt, ...) HR_PRINTF(2, 3);
static size_t push(jctx *c, const char *fmt, ...)
{
    size_t old = c->plen;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, ap);
    va_end(ap);
    if (n > 0) c->plen = strlen(c->path);
    return old;
}

static void pop(jctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

static int fail(jctx *c, int code, const char *fmt, ...) HR_PRINTF(3, 4);
static int fail(jctx *c, int code, const char *fmt, ...)
{
    char what[HR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (c->plen) return hr_error_setpos(c->err, code, c->name, 0, 0, "%s: %s", c->path, what);
    return hr_error_setpos(c->err, code, c->name, 0, 0, "%s", what);
}

/* Re-reports a failure `rc` described in `e` (a local hr_error) at the
 * current path; passes rc >= 0 through. */
static int relay(jctx *c, int rc, const hr_error *e)
{
    return rc < 0 ? fail(c, rc, "%s", hr_error_message(e)) : rc;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int check_keys(jctx *c, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++) ok = strcmp(key, allowed[i]) == 0;
        if (!ok) return fail(c, HR_EPARSE, "unknown field \"%.64s\"", key);
    }
    return 0;
}

/* obj[key], or NULL when absent; an error when absent and required. */
static int field(jctx *c, json_t *obj, const char *key, bool req, json_t **out)
{
    *out = json_object_get(obj, key);
    if (!*out && req) return fail(c, HR_EPARSE, "missing field \"%s\"", key);
    return 0;
}

static int type_err(jctx *c, const char *key, const char *want, const json_t *v)
{
    size_t old = push(c, c->plen ? ".%s" : "%s", key);
    int rc = fail(c, HR_EPARSE, "expected %s, got %s", want, type_name(v));
    pop(c, old);
    return rc;
}

static int str_value(jctx *c, const json_t *v, const char **out)
{
    if (!json_is_string(v)) return fail(c, HR_EPARSE, "expected a string, got %s", type_name(v));
    if (strlen(json_string_value(v)) != json_string_length(v))
        return fail(c, HR_EPARSE, "string contains a NUL character");
    *out = json_string_value(v);
    return 0;
}

static int get_str(jctx *c, json_t *obj, const char *key, bool req, const char **out)
{
    json_t *v;
    int rc = field(c, obj, key, req, &v);
    if (rc < 0 || !v) return rc;
    size_t old = push(c, ".%s", key);
    rc = str_value(c, v, out);
    pop(c, old);
    return rc;
}

static int get_i64(jctx *c, json_t *obj, const char *key, int64_t *out)
{
    json_t *v;
    int rc = field(c, obj, key, false, &v);
    if (rc < 0 || !v) return rc;
    if (!json_is_integer(v)) return type_err(c, key, "an integer", v);
    *out = json_integer_value(v);
    return 0;
}

static int get_i32(jctx *c, json_t *obj, const char *key, int32_t *out)
{
    int64_t v = *out;
    int rc = get_i64(c, obj, key, &v);
    if (rc < 0) return rc;
    if (v < INT32_MIN || v > INT32_MAX) {
        size_t old = push(c, ".%s", key);
        int rc2 = fail(c, HR_EPARSE, "%" PRId64 " is out of the 32-bit range", v);
        pop(c, old);
        return rc2;
    }
    *out = (int32_t)v;
    return 0;
}

static int get_num(jctx *c, json_t *obj, const char *key, bool req, double *out)
{
    json_t *v;
    int rc = field(c, obj, key, req, &v);
    if (rc < 0 || !v) return rc;
    if (!json_is_number(v)) return type_err(c, key, "a number", v);
    *out = json_number_value(v);
    return 0;
}

static int get_bool(jctx *c, json_t *obj, const char *key, bool *out)
{
    json_t *v;
    int rc = field(c, obj, key, false, &v);
    if (rc < 0 || !v) return rc;
    if (!json_is_boolean(v)) return type_err(c, key, "true or false", v);
    *out = json_is_true(v);
    return 0;
}

/* A string from names[0..n) stored as its index. */
static int get_enum(jctx *c, json_t *obj, const char *key, const char *const *names, int n,
                    int *out)
{
    const char *s = NULL;
    int rc = get_str(c, obj, key, false, &s);
    if (rc < 0 || !s) return rc;
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    size_t old = push(c, ".%s", key);
    char list[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    rc = fail(c, HR_EPARSE, "unknown value \"%.64s\" (expected one of %s)", s, list);
    pop(c, old);
    return rc;
}

/* obj[key] by name among objects of `kind` (absent: *out unchanged). */
static int get_ref(jctx *c, json_t *obj, const char *key, hr_kind kind, int32_t *out)
{
    const char *s = NULL;
    int rc = get_str(c, obj, key, false, &s);
    if (rc < 0 || !s) return rc;
    int id = hr_fleet_find(c->f, kind, s);
    if (id < 0) {
        size_t old = push(c, ".%s", key);
        rc = fail(c, HR_EPARSE, "unknown %s \"%.64s\"", hr_kind_name(kind), s);
        pop(c, old);
        return rc;
    }
    *out = id;
    return 0;
}

/* obj[key] as an interned name of `kind`. */
static int get_interned(jctx *c, json_t *obj, const char *key, hr_kind kind, int32_t *out)
{
    const char *s = NULL;
    int rc = get_str(c, obj, key, false, &s);
    if (rc < 0 || !s) return rc;
    hr_error e = {0};
    size_t old = push(c, ".%s", key);
    rc = hr_fleet_intern(c->f, kind, s, &e);
    pop(c, old);
    if (rc < 0) return relay(c, rc, &e);
    *out = rc;
    return 0;
}

static int get_array(jctx *c, json_t *obj, const char *key, bool req, json_t **out)
{
    int rc = field(c, obj, key, req, out);
    if (rc < 0 || !*out) return rc;
    if (!json_is_array(*out)) return type_err(c, key, "an array", *out);
    return 0;
}

/* ---- loading: sections --------------------------------------------------------------- */

/* Runs fn on each element of obj[key] (an array of objects), with the
 * element's path pushed. */
static int each(jctx *c, json_t *obj, const char *key, bool req,
                int (*fn)(jctx *c, json_t *item, size_t i))
{
    json_t *arr;
    int rc = get_array(c, obj, key, req, &arr);
    if (rc < 0 || !arr) return rc;
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        size_t old = push(c, "%s[%zu]", key, i);
        rc = json_is_object(item)
                 ? fn(c, item, i)
                 : fail(c, HR_EPARSE, "expected an object, got %s", type_name(item));
        pop(c, old);
        if (rc < 0) return rc;
    }
    return 0;
}

static const char *const unit_names[] = {"millicores", "bytes", "bits/s", "mips", "custom"};
static const char *const site_kinds[] = {"edge", "region"};
static const char *const host_states[] = {"on", "off"};
static const char *const workload_kinds[] = {"vm", "container", "microvm", "component"};
static const char *const sla_classes[] = {"latency-sensitive", "standard", "batch"};

static int load_resource(jctx *c, json_t *o, size_t i)
{
    static const char *const keys[] = {"name", "unit", "unit_name", "transient", "load_cost_weight",
                                       NULL};
    hr_resource r = {0};
    int unit = HR_UNIT_CUSTOM + 1;
    int rc = check_keys(c, o, keys);
    if (rc == 0) rc = get_str(c, o, "name", true, &r.name);
    if (rc == 0 && !json_object_get(o, "unit")) rc = fail(c, HR_EPARSE, "missing field \"unit\"");
    if (rc == 0) rc = get_enum(c, o, "unit", unit_names, 5, &unit);
    if (rc == 0) rc = get_str(c, o, "unit_name", unit == HR_UNIT_CUSTOM, &r.unit_name);
    if (rc == 0) rc = get_bool(c, o, "transient", &r.transient);
    if (rc == 0) rc = get_i64(c, o, "load_cost_weight", &r.load_cost_weight);
    if (rc < 0) return rc;
    r.unit = (hr_unit)unit;
    hr_error e = {0};
    return relay(c, hr_fleet_add_resource(c->f, &r, &e), &e);
}

static int load_site(jctx *c, json_t *o, size_t i)
{
    static const char *const keys[] = {"name", "kind", "lat", "lon", NULL};
    hr_site s = {.lat_deg = NAN, .lon_deg = NAN};
    int kind = HR_SITE_REGION;
    int rc = check_keys(c, o, keys);
    if (rc == 0) rc = get_str(c, o, "name", true, &s.name);
    if (rc == 0) rc = get_enum(c, o, "kind", site_kinds, 2, &kind);
    bool coords = json_object_get(o, "lat") || json_object_get(o, "lon");
    if (rc == 0) rc = get_num(c, o, "lat", coords, &s.lat_deg);
    if (rc == 0) rc = get_num(c, o, "lon", coords, &s.lon_deg);
    if (rc < 0) return rc;
    s.kind = (hr_site_kind)kind;
    hr_error e = {0};
    return relay(c, hr_fleet_add_site(c->f, &s, &e), &e);
}

static int load_tenant(jctx *c, json_t *o, size_t i)
{
    static const char *const keys[] = {"name", "priority", NULL};
    hr_tenant t = {0};
    int rc = check_keys(c, o, keys);
    if (rc == 0) rc = get_str(c, o, "name", true, &t.name);
    if (rc == 0) rc = get_i32(c, o, "priority", &t.priority);
    if (rc < 0) return rc;
    hr_error e = {0};
    return relay(c, hr_fleet_add_tenant(c->f, &t, &e), &e);
}

static int load_sla(jctx *c, json_t *o, size_t i)
{
    static const char *const keys[] = {"name",          "class", "priority", "quantile",
                                       "max_violation", "pin",   NULL};
    hr_sla s = {0};
    int cls = HR_SLA_STANDARD;
    int rc = check_keys(c, o, keys);
    if (rc == 0) rc = get_str(c, o, "name", true, &s.name);
    if (rc == 0 && !json_object_get(o, "class")) rc = fail(c, HR_EPARSE, "missing field \"class\"");
    if (rc == 0) rc = get_enum(c, o, "class", sla_classes, 3, &cls);
    if (rc == 0) rc = get_i32(c, o, "priority", &s.priority);
    if (rc == 0) rc = get_num(c, o, "quantile", true, &s.quantile);
    if (rc == 0) rc = get_num(c, o, "max_violation", false, &s.max_violation);
    if (rc == 0) rc = get_bool(c, o, "pin", &s.pin);
    if (rc < 0) return rc;
    s.cls = (hr_sla_class)cls;
    hr_error e = {0};
    return relay(c, hr_fleet_add_sla(c->f, &s, &e), &e);
}

static int load_service(jctx *c, json_t *o, size_t i)
{
    static const char *const keys[] = {"name", "spread_min", "distinct_hosts", "depends_on", NULL};
    hr_service s = {0};
    int rc = check_keys(c, o, keys);
    if (rc == 0) rc = get_str(c, o, "name", true, &s.name);
    if (rc == 0) rc = get_i32(c, o, "spread_min", &s.spread_min);
    if (rc == 0) rc = get_bool(c, o, "distinct_hosts", &s.distinct_hosts);
    if (rc < 0) return rc;
    hr_error e = {0};
    return relay(c, hr_fleet_add_service(c->f, &s, &e), &e);
}

/* Second pass over services: dependencies may name services listed later. */
static int load_service_deps(jctx *c, json_t *o, size_t i)
{
    json_t *arr;
    int rc = get_array(c, o, "depends_on", false, &arr);
    if (rc < 0 || !arr) return rc;
    size_t k;
    json_t *v;
    json_array_foreach(arr, k, v)
    {
        size_t old = push(c, ".depends_on[%zu]", k);
        const char *s = NULL;
        rc = str_value(c, v, &s);
        int on = rc < 0 ? rc : hr_fleet_find(c->f, HR_KIND_SERVICE, s);
        if (rc == 0 && on < 0) rc = fail(c, HR_EPARSE, "unknown service \"%.64s\"", s);
        hr_error e = {0};
        if (rc == 0) rc = relay(c, hr_fleet_add_dependency(c->f, (int32_t)i, (int32_t)on, &e), &e);
        pop(c, old);
        if (rc < 0) return rc;
    }
    return 0;
}

/* One amount: an integer, or a string with a unit. */
static int amount_value(jctx *c, const json_t *v, const hr_resource *r, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v)) {
        if (r->unit == HR_UNIT_CUSTOM)
            return fail(c, HR_EPARSE, "expected an integer number of %s", r->unit_name);
        return fail(c, HR_EPARSE, "expected an integer number of %s or a string with a unit",
                    unit_text(r->unit));
    }
    const char *s;
    int rc = str_value(c, v, &s);
    if (rc < 0) return rc;
    hr_error e = {0};
    return relay(c, hr_parse_amount(s, r->unit, out, &e), &e);
}

/* obj[key]: {"resource": amount, ...} or [amount per resource]. `out`
 * holds the defaults; with `all`, every resource must be given. */
static int get_vector(jctx *c, json_t *obj, const char *key, bool all, int64_t *out)
{
    json_t *v;
    int rc = field(c, obj, key, all, &v);
    if (rc < 0 || !v) return rc;
    const hr_fleet *f = c->f;
    size_t old = push(c, ".%s", key);
    if (json_is_array(v)) {
        if (json_array_size(v) != f->nresources)
            rc = fail(c, HR_EPARSE, "expected %zu values (one per resource), got %zu",
                      f->nresources, json_array_size(v));
        for (size_t r = 0; r < f->nresources && rc == 0; r++) {
            size_t o2 = push(c, "[%zu]", r);
            rc = amount_value(c, json_array_get(v, r), &f->resources[r], &out[r]);
            pop(c, o2);
        }
    } else if (json_is_object(v)) {
        const char *name;
        json_t *a;
        size_t seen = 0;
        json_object_foreach(v, name, a)
        {
            int r = hr_fleet_find(f, HR_KIND_RESOURCE, name);
            size_t o2 = push(c, ".%s", name);
            rc = r < 0 ? fail(c, HR_EPARSE, "unknown resource \"%.64s\"", name)
                       : amount_value(c, a, &f->resources[r], &out[r]);
            pop(c, o2);
            if (rc < 0) break;
            seen++;
        }
        for (size_t r = 0; r < f->nresources && rc == 0 && all && seen < f->nresources; r++)
            if (!json_object_get(v, f->resources[r].name))
                rc = fail(c, HR_EPARSE, "missing resource \"%s\"", f->resources[r].name);
    } else {
        rc = fail(c, HR_EPARSE, "expected an object of amounts by resource, got %s", type_name(v));
    }
    pop(c, old);
    return rc;
}

/* obj[key]: array of label names -> sorted ids in ids[0..*n). */
static int get_labels(jctx *c, json_t *obj, const char *key, int32_t *ids, size_t *n)
{
    json_t *arr;
    int rc = get_array(c, obj, key, false, &arr);
    *n = 0;
    if (rc < 0 || !arr) return rc;
    size_t old = push(c, ".%s", key);
    if (json_array_size(arr) > HR_FLEET_MAX_LABELS)
        rc = fail(c, HR_ELIMIT, "more than %d labels", HR_FLEET_MAX_LABELS);
    for (size_t k = 0; k < json_array_size(arr) && rc >= 0; k++) {
        size_t o2 = push(c, "[%zu]", k);
        const char *s = NULL;
        hr_error e = {0};
        rc = str_value(c, json_array_get(arr, k), &s);
        if (rc == 0) rc = relay(c, hr_fleet_intern(c->f, HR_KIND_LABEL, s, &e), &e);
        if (rc >= 0) ids[(*n)++] = rc;
        pop(c, o2);
    }
    pop(c, old);
    return rc < 0 ? rc : 0;
}

static int load_power(jctx *c, json_t *o, hr_power_model *pm)
{
    json_t *p;
    int rc = field(c, o, "power", false, &p);
    if (rc < 0 || !p) return rc;
    if (!json_is_object(p)) return type_err(c, "power", "an object", p);
    static const char *const keys[] = {"idle_w", "max_w", "table_w", NULL};
    size_t old = push(c, ".power");
    json_t *table = json_object_get(p, "table_w");
    rc = check_keys(c, p, keys);
    if (rc == 0 && table) {
        pm->kind = HR_POWER_TABLE;
        if (json_object_get(p, "idle_w") || json_object_get(p, "max_w"))
            rc = fail(c, HR_EPARSE, "give either table_w or idle_w and max_w");
        else if (!json_is_array(table) || json_array_size(table) != HR_POWER_POINTS)
            rc =
                fail(c, HR_EPARSE, "table_w: expected an array of 11 numbers (0, 10, ..., 100 %%)");
        for (size_t k = 0; k < HR_POWER_POINTS && rc == 0; k++) {
            json_t *v = json_array_get(table, k);
            if (!json_is_number(v))
                rc = fail(c, HR_EPARSE, "table_w[%zu]: expected a number, got %s", k, type_name(v));
            else
                pm->table_w[k] = json_number_value(v);
        }
    } else if (rc == 0) {
        pm->kind = HR_POWER_LINEAR;
        rc = get_num(c, p, "idle_w", true, &pm->idle_w);
        if (rc == 0) rc = get_num(c, p, "max_w", true, &pm->max_w);
    }
    pop(c, old);
    return rc;
}

static int load_host(jctx *c, json_t *o, size_t i)
{
    static const char *const keys[] = {"name",          "site",  "capacity",      "safety",
                                       "labels",        "power", "cost_per_hour", "location",
                                       "neighbourhood", "cores", "state",         NULL};
    hr_fleet *f = c->f;
    size_t nr = f->nresources ? f->nresources : 1;
    int64_t *cap = calloc(nr, sizeof *cap), *safety = calloc(nr, sizeof *safety);
    int32_t labels[HR_FLEET_MAX_LABELS];
    hr_host h = {.site = HR_NONE, .location = HR_NONE, .neighbourhood = HR_NONE};
    int state = HR_HOST_ON;
    int rc = cap && safety ? check_keys(c, o, keys) : fail(c, HR_ENOMEM, "out of memory");
    if (rc == 0) rc = get_str(c, o, "name", true, &h.name);
    if (rc == 0) rc = get_ref(c, o, "site", HR_KIND_SITE, &h.site);
    if (rc == 0) rc = get_vector(c, o, "capacity", true, cap);
    if (rc == 0) memcpy(safety, cap, f->nresources * sizeof *cap);
    if (rc == 0) rc = get_vector(c, o, "safety", false, safety);
    if (rc == 0) rc = get_labels(c, o, "labels", labels, &h.nlabels);
    if (rc == 0) rc = load_power(c, o, &h.power);
    if (rc == 0) rc = get_num(c, o, "cost_per_hour", false, &h.cost_per_hour);
    if (rc == 0) rc = get_interned(c, o, "location", HR_KIND_LOCATION, &h.location);
    if (rc == 0) rc = get_interned(c, o, "neighbourhood", HR_KIND_NEIGHBOURHOOD, &h.neighbourhood);
    if (rc == 0) rc = get_i32(c, o, "cores", &h.cores);
    if (rc == 0) rc = get_enum(c, o, "state", host_states, 2, &state);
    if (rc == 0) {
        h.capacity = cap;
        h.safety = safety;
        h.labels = labels;
        h.state = (hr_host_state)state;
        hr_error e = {0};
        rc = relay(c, hr_fleet_add_host(f, &h, &e), &e);
    }
    free(cap);
    free(safety);
    return rc;
}

static int load_workload(jctx *c, json_t *o, size_t i)
{
    static const char *const keys[] = {
        "name",  "kind", "tenant",          "service",       "sla",       "demand",
        "limit", "host", "required_labels", "anti_affinity", "move_cost", "cores",
        "trace", NULL};
    hr_fleet *f = c->f;
    size_t nr = f->nresources ? f->nresources : 1;
    int64_t *demand = calloc(nr, sizeof *demand), *limit = malloc(nr * sizeof *limit);
    int32_t labels[HR_FLEET_MAX_LABELS];
    hr_workload w = {.tenant = HR_NONE,
                     .service = HR_NONE,
                     .sla = HR_NONE,
                     .host = HR_NONE,
                     .anti_affinity = HR_NONE};
    int kind = HR_WORKLOAD_VM;
    int rc = demand && limit ? check_keys(c, o, keys) : fail(c, HR_ENOMEM, "out of memory");
    for (size_t r = 0; rc == 0 && r < f->nresources; r++) limit[r] = HR_UNLIMITED;
    if (rc == 0) rc = get_str(c, o, "name", true, &w.name);
    if (rc == 0) rc = get_enum(c, o, "kind", workload_kinds, 4, &kind);
    if (rc == 0) rc = get_ref(c, o, "tenant", HR_KIND_TENANT, &w.tenant);
    if (rc == 0) rc = get_ref(c, o, "service", HR_KIND_SERVICE, &w.service);
    if (rc == 0) rc = get_ref(c, o, "sla", HR_KIND_SLA, &w.sla);
    if (rc == 0) rc = get_vector(c, o, "demand", false, demand);
    if (rc == 0) rc = get_vector(c, o, "limit", false, limit);
    if (rc == 0) rc = get_ref(c, o, "host", HR_KIND_HOST, &w.host);
    if (rc == 0) rc = get_labels(c, o, "required_labels", labels, &w.nrequired_labels);
    if (rc == 0) rc = get_interned(c, o, "anti_affinity", HR_KIND_GROUP, &w.anti_affinity);
    if (rc == 0) rc = get_i64(c, o, "move_cost", &w.move_cost);
    if (rc == 0) rc = get_i32(c, o, "cores", &w.cores);
    if (rc == 0) rc = get_str(c, o, "trace", false, &w.trace);
    if (rc == 0) {
        w.kind = (hr_workload_kind)kind;
        w.demand = demand;
        w.limit = limit;
        w.required_labels = labels;
        hr_error e = {0};
        rc = relay(c, hr_fleet_add_workload(f, &w, &e), &e);
    }
    free(demand);
    free(limit);
    return rc;
}

static int load_balance(jctx *c, json_t *o, size_t i)
{
    static const char *const keys[] = {"resource1", "resource2", "target", "weight", NULL};
    hr_balance b = {0};
    int rc = check_keys(c, o, keys);
    if (rc == 0 && !json_object_get(o, "resource1"))
        rc = fail(c, HR_EPARSE, "missing field \"resource1\"");
    if (rc == 0 && !json_object_get(o, "resource2"))
        rc = fail(c, HR_EPARSE, "missing field \"resource2\"");
    if (rc == 0) rc = get_ref(c, o, "resource1", HR_KIND_RESOURCE, &b.resource1);
    if (rc == 0) rc = get_ref(c, o, "resource2", HR_KIND_RESOURCE, &b.resource2);
    if (rc == 0) rc = get_i64(c, o, "target", &b.target);
    if (rc == 0) rc = get_i64(c, o, "weight", &b.weight);
    if (rc < 0) return rc;
    hr_error e = {0};
    return relay(c, hr_fleet_add_balance(c->f, &b, &e), &e);
}

static int load_move_weights(jctx *c, json_t *root)
{
    json_t *m;
    int rc = field(c, root, "move_weights", false, &m);
    if (rc < 0 || !m) return rc;
    if (!json_is_object(m)) return type_err(c, "move_weights", "an object", m);
    static const char *const keys[] = {"workload", "service", "host", NULL};
    size_t old = push(c, "move_weights");
    rc = check_keys(c, m, keys);
    if (rc == 0) rc = get_i64(c, m, "workload", &c->f->move_weights.workload);
    if (rc == 0) rc = get_i64(c, m, "service", &c->f->move_weights.service);
    if (rc == 0) rc = get_i64(c, m, "host", &c->f->move_weights.host);
    pop(c, old);
    return rc;
}

/* {"from": {"to": value}} over objects of `kind`; calls set(from, to, value). */
static int load_pairs(jctx *c, json_t *pairs, hr_kind kind, bool integer,
                      int (*set)(jctx *c, int32_t a, int32_t b, json_t *v))
{
    if (!json_is_object(pairs))
        return fail(c, HR_EPARSE, "expected an object, got %s", type_name(pairs));
    const char *from, *to;
    json_t *row, *v;
    json_object_foreach(pairs, from, row)
    {
        size_t old = push(c, ".%s", from);
        int a = hr_fleet_find(c->f, kind, from), rc = 0;
        if (a < 0)
            rc = fail(c, HR_EPARSE, "unknown %s \"%.64s\"", hr_kind_name(kind), from);
        else if (!json_is_object(row))
            rc = fail(c, HR_EPARSE, "expected an object, got %s", type_name(row));
        json_object_foreach(rc < 0 ? NULL : row, to, v)
        {
            size_t o2 = push(c, ".%s", to);
            int b = hr_fleet_find(c->f, kind, to);
            if (b < 0)
                rc = fail(c, HR_EPARSE, "unknown %s \"%.64s\"", hr_kind_name(kind), to);
            else if (integer ? !json_is_integer(v) : !json_is_number(v))
                rc = fail(c, HR_EPARSE, "expected %s, got %s", integer ? "an integer" : "a number",
                          type_name(v));
            else
                rc = set(c, a, b, v);
            pop(c, o2);
            if (rc < 0) break;
        }
        pop(c, old);
        if (rc < 0) return rc;
    }
    return 0;
}

static int set_latency(jctx *c, int32_t a, int32_t b, json_t *v)
{
    double ms = json_number_value(v);
    hr_error e = {0};
    if (c->f->latency_symmetric && a != b) {
        double rev = hr_fleet_latency(c->f, b, a);
        if (!isnan(rev) && rev != ms)
            return fail(c, HR_EINVAL,
                        "%g differs from the reverse direction (%g) and symmetric "
                        "is set",
                        ms, rev);
        int rc = hr_fleet_set_latency(c->f, b, a, ms, &e);
        if (rc < 0) return relay(c, rc, &e);
    }
    return relay(c, hr_fleet_set_latency(c->f, a, b, ms, &e), &e);
}

static int set_move_cost(jctx *c, int32_t a, int32_t b, json_t *v)
{
    json_int_t x = json_integer_value(v);
    if (x < 0 || x > INT32_MAX) return fail(c, HR_EPARSE, "expected an integer in [0, 2^31)");
    hr_error e = {0};
    return relay(c, hr_fleet_set_host_move_cost(c->f, a, b, (int32_t)x, &e), &e);
}

static int load_latency(jctx *c, json_t *root)
{
    json_t *l;
    int rc = field(c, root, "latency", false, &l);
    if (rc < 0 || !l) return rc;
    if (!json_is_object(l)) return type_err(c, "latency", "an object", l);
    static const char *const keys[] = {"symmetric", "ms", NULL};
    size_t old = push(c, "latency");
    rc = check_keys(c, l, keys);
    if (rc == 0) rc = get_bool(c, l, "symmetric", &c->f->latency_symmetric);
    json_t *ms = json_object_get(l, "ms");
    if (rc == 0 && ms) {
        size_t o2 = push(c, ".ms");
        rc = load_pairs(c, ms, HR_KIND_SITE, false, set_latency);
        pop(c, o2);
    }
    pop(c, old);
    return rc;
}

static int load_root(jctx *c, json_t *root)
{
    static const char *const keys[] = {
        "headroom_fleet", "resources", "balance", "move_weights", "sites",
        "latency",        "tenants",   "slas",    "services",     "hosts",
        "host_move_cost", "workloads", NULL};
    if (!json_is_object(root))
        return fail(c, HR_EPARSE, "expected a JSON object, got %s", type_name(root));
    int rc = check_keys(c, root, keys);
    if (rc < 0) return rc;
    int64_t version = 0;
    if (!json_object_get(root, "headroom_fleet"))
        return fail(c, HR_EPARSE, "missing field \"headroom_fleet\" (the format version, 1)");
    rc = get_i64(c, root, "headroom_fleet", &version);
    if (rc == 0 && version != FORMAT_VERSION)
        rc = fail(c, HR_ENOTSUP, "headroom_fleet: format version %" PRId64 " (this is version %d)",
                  version, FORMAT_VERSION);
    if (rc == 0) rc = each(c, root, "resources", true, load_resource);
    if (rc == 0) rc = each(c, root, "balance", false, load_balance);
    if (rc == 0) rc = load_move_weights(c, root);
    if (rc == 0) rc = each(c, root, "sites", false, load_site);
    if (rc == 0) rc = load_latency(c, root);
    if (rc == 0) rc = each(c, root, "tenants", false, load_tenant);
    if (rc == 0) rc = each(c, root, "slas", false, load_sla);
    if (rc == 0) rc = each(c, root, "services", false, load_service);
    if (rc == 0) rc = each(c, root, "services", false, load_service_deps);
    if (rc == 0) rc = each(c, root, "hosts", false, load_host);
    json_t *mmc = json_object_get(root, "host_move_cost");
    if (rc == 0 && mmc) {
        size_t old = push(c, "host_move_cost");
        rc = load_pairs(c, mmc, HR_KIND_HOST, true, set_move_cost);
        pop(c, old);
    }
    if (rc == 0) rc = each(c, root, "workloads", false, load_workload);
    return rc;
}

int hr_fleet_parse_json(const char *buf, size_t len, const char *name, hr_fleet **out,
                        hr_error *err)
{
    if (!name) name = "<fleet>";
    if (!buf || !out) return hr_error_set(err, HR_EINVAL, "%s: no input", name);
    if (len > HR_FLEET_MAX_JSON_BYTES)
        return hr_error_setpos(err, HR_ELIMIT, name, 0, 0, "larger than %zu bytes",
                               HR_FLEET_MAX_JSON_BYTES);
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return hr_error_setpos(err, HR_EPARSE, name, je.line, je.column, "%s", je.text);
    hr_fleet *f = NULL;
    int rc = hr_fleet_new(&f);
    if (rc < 0) {
        json_decref(root);
        return hr_error_set(err, rc, "%s: out of memory", name);
    }
    jctx c = {.f = f, .name = name, .err = err};
    rc = load_root(&c, root);
    json_decref(root);
    if (rc == 0) {
        hr_error e = {0};
        rc = hr_fleet_validate(f, &e);
        if (rc < 0) hr_error_setpos(err, rc, name, 0, 0, "%s", hr_error_message(&e));
    }
    if (rc < 0) {
        hr_fleet_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int hr_fleet_load_json(const char *path, hr_fleet **out, hr_error *err)
{
    if (!path || !out) return hr_error_set(err, HR_EINVAL, "no path");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        hr_error_setpos(err, HR_EIO, path, 0, 0, "%s", strerror(e));
        if (err) err->sys_errno = e;
        return HR_EIO;
    }
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = hr_error_setpos(err, HR_EIO, path, 0, 0, "not a regular file");
    else if ((uint64_t)st.st_size > HR_FLEET_MAX_JSON_BYTES)
        rc = hr_error_setpos(err, HR_ELIMIT, path, 0, 0, "larger than %zu bytes",
                             HR_FLEET_MAX_JSON_BYTES);
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        rc = hr_error_setpos(err, HR_ENOMEM, path, 0, 0, "out of memory");
    while (rc == 0 && len < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            rc = hr_error_setpos(err, HR_EIO, path, 0, 0, "read: %s",
                                 n < 0 ? strerror(errno) : "file shrank");
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    if (rc == 0) rc = hr_fleet_parse_json(buf, len, path, out, err);
    free(buf);
    return rc;
}

/* ---- saving ---------------------------------------------------------------------- */

typedef struct dctx {
    bool ok;  /* false once an allocation failed */
    int prec; /* digits needed so that every real written reads back exactly */
} dctx;

/* Fewest significant digits (<= 17) that give back v exactly. */
static int shortest_digits(double v)
{
    char buf[40];
    for (int p = 1; p < 17; p++) {
        double back;
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if (hr_parse_double_z(buf, &back) == 0 && back == v) return p;
    }
    return 17;
}

static json_t *jreal(double v, dctx *d)
{
    int p = shortest_digits(v);
    if (p > d->prec) d->prec = p;
    return json_real(v);
}

/* json_object_set_new that records allocation failure. */
static void put(json_t *o, const char *key, json_t *v, dctx *ok)
{
    if (!v || !o || json_object_set_new(o, key, v) != 0) ok->ok = false;
}

static void append(json_t *a, json_t *v, dctx *ok)
{
    if (!v || !a || json_array_append_new(a, v) != 0) ok->ok = false;
}

static json_t *amounts(const hr_fleet *f, const int64_t *v, const int64_t *skip_equal,
                       int64_t skip_value, dctx *ok)
{
    json_t *o = json_object();
    for (size_t r = 0; r < f->nresources; r++) {
        if ((skip_equal && v[r] == skip_equal[r]) || v[r] == skip_value) continue;
        put(o, f->resources[r].name, json_integer(v[r]), ok);
    }
    return o;
}

static json_t *names_of(const hr_fleet *f, hr_kind kind, const int32_t *ids, size_t n, dctx *ok)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) append(a, json_string(hr_fleet_name(f, kind, ids[i])), ok);
    return a;
}

static json_t *dump_resources(const hr_fleet *f, dctx *ok)
{
    json_t *a = json_array();
    for (size_t i = 0; i < f->nresources; i++) {
        const hr_resource *r = &f->resources[i];
        json_t *o = json_object();
        put(o, "name", json_string(r->name), ok);
        put(o, "unit", json_string(unit_names[r->unit]), ok);
        if (r->unit == HR_UNIT_CUSTOM) put(o, "unit_name", json_string(r->unit_name), ok);
        put(o, "transient", json_boolean(r->transient), ok);
        put(o, "load_cost_weight", json_integer(r->load_cost_weight), ok);
        append(a, o, ok);
    }
    return a;
}

static json_t *dump_sites(const hr_fleet *f, dctx *ok)
{
    json_t *a = json_array();
    for (size_t i = 0; i < f->nsites; i++) {
        const hr_site *s = &f->sites[i];
        json_t *o = json_object();
        put(o, "name", json_string(s->name), ok);
        put(o, "kind", json_string(site_kinds[s->kind]), ok);
        if (!isnan(s->lat_deg)) {
            put(o, "lat", jreal(s->lat_deg, ok), ok);
            put(o, "lon", jreal(s->lon_deg, ok), ok);
        }
        append(a, o, ok);
    }
    return a;
}

static json_t *dump_latency(const hr_fleet *f, dctx *ok)
{
    json_t *l = json_object(), *ms = json_object();
    put(l, "symmetric", json_boolean(f->latency_symmetric), ok);
    for (size_t a = 0; a < f->nsites; a++) {
        json_t *row = json_object();
        for (size_t b = 0; b < f->nsites; b++) {
            double v = f->latency_ms[a * f->nsites + b];
            if (a != b && !isnan(v)) put(row, f->sites[b].name, jreal(v, ok), ok);
        }
        if (json_object_size(row))
            put(ms, f->sites[a].name, row, ok);
        else
            json_decref(row);
    }
    put(l, "ms", ms, ok);
    return l;
}

static json_t *dump_power(const hr_power_model *pm, dctx *ok)
{
    json_t *p = json_object();
    if (pm->kind == HR_POWER_LINEAR) {
        put(p, "idle_w", jreal(pm->idle_w, ok), ok);
        put(p, "max_w", jreal(pm->max_w, ok), ok);
    } else {
        json_t *t = json_array();
        for (int k = 0; k < HR_POWER_POINTS; k++) append(t, jreal(pm->table_w[k], ok), ok);
        put(p, "table_w", t, ok);
    }
    return p;
}

static json_t *dump_host(const hr_fleet *f, const hr_host *h, dctx *ok)
{
    json_t *o = json_object();
    put(o, "name", json_string(h->name), ok);
    if (h->site != HR_NONE) put(o, "site", json_string(f->sites[h->site].name), ok);
    put(o, "capacity", amounts(f, h->capacity, NULL, -1, ok), ok);
    if (memcmp(h->safety, h->capacity, f->nresources * sizeof *h->safety) != 0)
        put(o, "safety", amounts(f, h->safety, h->capacity, -1, ok), ok);
    if (h->nlabels) put(o, "labels", names_of(f, HR_KIND_LABEL, h->labels, h->nlabels, ok), ok);
    if (h->power.kind != HR_POWER_NONE) put(o, "power", dump_power(&h->power, ok), ok);
    put(o, "cost_per_hour", jreal(h->cost_per_hour, ok), ok);
    if (h->location != HR_NONE)
        put(o, "location", json_string(hr_fleet_name(f, HR_KIND_LOCATION, h->location)), ok);
    if (h->neighbourhood != HR_NONE)
        put(o, "neighbourhood",
            json_string(hr_fleet_name(f, HR_KIND_NEIGHBOURHOOD, h->neighbourhood)), ok);
    if (h->cores) put(o, "cores", json_integer(h->cores), ok);
    put(o, "state", json_string(host_states[h->state]), ok);
    return o;
}

static void put_ref(json_t *o, const char *key, const hr_fleet *f, hr_kind kind, int32_t id,
                    dctx *ok)
{
    if (id != HR_NONE) put(o, key, json_string(hr_fleet_name(f, kind, id)), ok);
}

static json_t *dump_workload(const hr_fleet *f, const hr_workload *w, dctx *ok)
{
    json_t *o = json_object();
    put(o, "name", json_string(w->name), ok);
    put(o, "kind", json_string(workload_kinds[w->kind]), ok);
    put_ref(o, "tenant", f, HR_KIND_TENANT, w->tenant, ok);
    put_ref(o, "service", f, HR_KIND_SERVICE, w->service, ok);
    put_ref(o, "sla", f, HR_KIND_SLA, w->sla, ok);
    put(o, "demand", amounts(f, w->demand, NULL, -1, ok), ok);
    json_t *lim = amounts(f, w->limit, NULL, HR_UNLIMITED, ok);
    if (json_object_size(lim))
        put(o, "limit", lim, ok);
    else
        json_decref(lim);
    put_ref(o, "host", f, HR_KIND_HOST, w->host, ok);
    if (w->nrequired_labels)
        put(o, "required_labels",
            names_of(f, HR_KIND_LABEL, w->required_labels, w->nrequired_labels, ok), ok);
    put_ref(o, "anti_affinity", f, HR_KIND_GROUP, w->anti_affinity, ok);
    put(o, "move_cost", json_integer(w->move_cost), ok);
    if (w->cores) put(o, "cores", json_integer(w->cores), ok);
    if (w->trace) put(o, "trace", json_string(w->trace), ok);
    return o;
}

static json_t *dump_services(const hr_fleet *f, dctx *ok)
{
    json_t *a = json_array();
    for (size_t i = 0; i < f->nservices; i++) {
        const hr_service *s = &f->services[i];
        json_t *o = json_object();
        put(o, "name", json_string(s->name), ok);
        put(o, "spread_min", json_integer(s->spread_min), ok);
        put(o, "distinct_hosts", json_boolean(s->distinct_hosts), ok);
        if (s->ndeps) put(o, "depends_on", names_of(f, HR_KIND_SERVICE, s->deps, s->ndeps, ok), ok);
        append(a, o, ok);
    }
    return a;
}

static json_t *dump_people(const hr_fleet *f, dctx *ok, json_t **slas)
{
    json_t *a = json_array();
    for (size_t i = 0; i < f->ntenants; i++) {
        json_t *o = json_object();
        put(o, "name", json_string(f->tenants[i].name), ok);
        put(o, "priority", json_integer(f->tenants[i].priority), ok);
        append(a, o, ok);
    }
    *slas = json_array();
    for (size_t i = 0; i < f->nslas; i++) {
        const hr_sla *s = &f->slas[i];
        json_t *o = json_object();
        put(o, "name", json_string(s->name), ok);
        put(o, "class", json_string(sla_classes[s->cls]), ok);
        put(o, "priority", json_integer(s->priority), ok);
        put(o, "quantile", jreal(s->quantile, ok), ok);
        put(o, "max_violation", jreal(s->max_violation, ok), ok);
        put(o, "pin", json_boolean(s->pin), ok);
        append(*slas, o, ok);
    }
    return a;
}

static json_t *dump_rest(const hr_fleet *f, json_t *root, dctx *ok)
{
    json_t *bal = json_array();
    for (size_t i = 0; i < f->nbalances; i++) {
        const hr_balance *b = &f->balances[i];
        json_t *o = json_object();
        put(o, "resource1", json_string(f->resources[b->resource1].name), ok);
        put(o, "resource2", json_string(f->resources[b->resource2].name), ok);
        put(o, "target", json_integer(b->target), ok);
        put(o, "weight", json_integer(b->weight), ok);
        append(bal, o, ok);
    }
    if (f->nbalances)
        put(root, "balance", bal, ok);
    else
        json_decref(bal);
    json_t *mw = json_object();
    put(mw, "workload", json_integer(f->move_weights.workload), ok);
    put(mw, "service", json_integer(f->move_weights.service), ok);
    put(mw, "host", json_integer(f->move_weights.host), ok);
    return mw;
}

static json_t *dump_move_costs(const hr_fleet *f, dctx *ok)
{
    json_t *m = json_object();
    for (size_t a = 0; a < f->nhosts; a++) {
        json_t *row = json_object();
        for (size_t b = 0; b < f->nhosts; b++) {
            int32_t v = f->host_move_cost[a * f->nhosts + b];
            if (v) put(row, f->hosts[b].name, json_integer(v), ok);
        }
        if (json_object_size(row))
            put(m, f->hosts[a].name, row, ok);
        else
            json_decref(row);
    }
    return m;
}

static json_t *dump_tree(const hr_fleet *f, dctx *ok)
{
    json_t *root = json_object(), *slas = NULL;
    put(root, "headroom_fleet", json_integer(FORMAT_VERSION), ok);
    put(root, "resources", dump_resources(f, ok), ok);
    put(root, "move_weights", dump_rest(f, root, ok), ok);
    put(root, "sites", dump_sites(f, ok), ok);
    if (f->latency_ms) put(root, "latency", dump_latency(f, ok), ok);
    put(root, "tenants", dump_people(f, ok, &slas), ok);
    put(root, "slas", slas, ok);
    put(root, "services", dump_services(f, ok), ok);
    json_t *hosts = json_array(), *wls = json_array();
    for (size_t i = 0; i < f->nhosts; i++) append(hosts, dump_host(f, &f->hosts[i], ok), ok);
    put(root, "hosts", hosts, ok);
    if (f->host_move_cost) put(root, "host_move_cost", dump_move_costs(f, ok), ok);
    for (size_t i = 0; i < f->nworkloads; i++)
        append(wls, dump_workload(f, &f->workloads[i], ok), ok);
    put(root, "workloads", wls, ok);
    return root;
}

int hr_fleet_dump_json(const hr_fleet *f, char **out, size_t *len, hr_error *err)
{
    if (!f || !out) return hr_error_set(err, HR_EINVAL, "no fleet");
    int rc = hr_fleet_validate(f, err);
    if (rc < 0) return rc;
    dctx d = {.ok = true, .prec = 1};
    json_t *root = dump_tree(f, &d);
    char *s = d.ok ? json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(d.prec)) : NULL;
    json_decref(root);
    if (!s) return hr_error_set(err, HR_ENOMEM, "out of memory writing JSON");
    size_t n = strlen(s);
    /* json_dumps output is not guaranteed to end in a newline; files should. */
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return hr_error_set(err, HR_ENOMEM, "out of memory writing JSON");
    }
    t[n++] = '\n';
    t[n] = '\0';
    *out = t;
    if (len) *len = n;
    return 0;
}

int hr_fleet_save_json(const hr_fleet *f, const char *path, hr_error *err)
{
    if (!path) return hr_error_set(err, HR_EINVAL, "no path");
    char *s = NULL;
    size_t len = 0;
    int rc = hr_fleet_dump_json(f, &s, &len, err);
    if (rc < 0) return rc;
    rc = hr_write_file_atomic(path, s, len, err);
    free(s);
    return rc;
}
