/* The fleet data model: objects, name indexes, validation, loads, power. */
#include <headroom/fleet.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- name tables ----------------------------------------------------------------
 * Each kind keeps its names (owned, never moved) in id order plus an
 * open-addressing hash (linear probing) from name to id + 1 (0 = empty). */
typedef struct nametab {
    char **names;
    size_t len, cap;
    uint32_t *slots;
    size_t nslots; /* power of two, > 2 * len */
    size_t max;
} nametab;

#define NOBJ 7 /* kinds with their own arrays: HR_KIND_RESOURCE .. HR_KIND_SLA */

struct hr_fleet_priv {
    nametab tabs[HR_KIND_COUNT_];
    size_t cap[NOBJ]; /* allocated elements of each object array */
    size_t balance_cap;
};

static const size_t kind_max[HR_KIND_COUNT_] = {
    HR_FLEET_MAX_RESOURCES, HR_FLEET_MAX_SITES,   HR_FLEET_MAX_HOSTS, HR_FLEET_MAX_WORKLOADS,
    HR_FLEET_MAX_SERVICES,  HR_FLEET_MAX_TENANTS, HR_FLEET_MAX_SLAS,  HR_FLEET_MAX_NAMES,
    HR_FLEET_MAX_NAMES,     HR_FLEET_MAX_NAMES,   HR_FLEET_MAX_NAMES,
};

static const char *const kind_names[HR_KIND_COUNT_] = {
    "resource", "site",  "host",     "workload",      "service", "tenant",
    "sla",      "label", "location", "neighbourhood", "group",
};

const char *hr_kind_name(hr_kind kind)
{
    return (unsigned)kind < HR_KIND_COUNT_ ? kind_names[kind] : "?";
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int tab_lookup(const nametab *t, const char *name)
{
    if (!t->nslots) return HR_ENOTFOUND;
    size_t mask = t->nslots - 1;
    for (size_t i = hash_str(name) & mask;; i = (i + 1) & mask) {
        uint32_t v = t->slots[i];
        if (!v) return HR_ENOTFOUND;
        if (strcmp(t->names[v - 1], name) == 0) return (int)(v - 1);
    }
}

static void tab_place(nametab *t, size_t id)
{
    size_t mask = t->nslots - 1;
    size_t i = hash_str(t->names[id]) & mask;
    while (t->slots[i]) i = (i + 1) & mask;
    t->slots[i] = (uint32_t)(id + 1);
}

static int tab_rehash(nametab *t, size_t nslots)
{
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s) return HR_ENOMEM;
    free(t->slots);
    t->slots = s;
    t->nslots = nslots;
    for (size_t i = 0; i < t->len; i++) tab_place(t, i);
    return 0;
}

/* Appends a copy of `name` (known to be absent); returns its id. */
static int tab_push(nametab *t, const char *name)
{
    if (t->len == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 8;
        char **nn = realloc(t->names, nc * sizeof *nn);
        if (!nn) return HR_ENOMEM;
        t->names = nn;
        t->cap = nc;
    }
    if ((t->len + 1) * 2 > t->nslots) {
        int rc = tab_rehash(t, t->nslots ? t->nslots * 2 : 16);
        if (rc < 0) return rc;
    }
    char *copy = strdup(name);
    if (!copy) return HR_ENOMEM;
    t->names[t->len] = copy;
    tab_place(t, t->len);
    return (int)t->len++;
}

static void tab_release(nametab *t)
{
    for (size_t i = 0; i < t->len; i++) free(t->names[i]);
    free(t->names);
    free(t->slots);
}

/* ---- lifecycle ------------------------------------------------------------------ */

int hr_fleet_new(hr_fleet **out)
{
    hr_fleet *f = calloc(1, sizeof *f);
    if (!f) return HR_ENOMEM;
    f->priv = calloc(1, sizeof *f->priv);
    if (!f->priv) {
        free(f);
        return HR_ENOMEM;
    }
    for (int k = 0; k < HR_KIND_COUNT_; k++) f->priv->tabs[k].max = kind_max[k];
    *out = f;
    return 0;
}

void hr_fleet_free(hr_fleet *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->nhosts; i++) {
        free(f->hosts[i].capacity);
        free(f->hosts[i].safety);
        free(f->hosts[i].labels);
    }
    for (size_t i = 0; i < f->nworkloads; i++) {
        hr_workload *w = &f->workloads[i];
        free(w->demand);
        free(w->limit);
        free(w->required_labels);
        free((char *)w->trace);
    }
    for (size_t i = 0; i < f->nservices; i++) {
        free(f->services[i].deps);
        free(f->services[i].workloads);
    }
    for (size_t i = 0; i < f->nresources; i++) free((char *)f->resources[i].unit_name);
    free(f->resources);
    free(f->sites);
    free(f->hosts);
    free(f->workloads);
    free(f->services);
    free(f->tenants);
    free(f->slas);
    free(f->balances);
    free(f->latency_ms);
    free(f->host_move_cost);
    if (f->priv)
        for (int k = 0; k < HR_KIND_COUNT_; k++) tab_release(&f->priv->tabs[k]);
    free(f->priv);
    free(f);
}

/* ---- names ------------------------------------------------------------------------ */

static int check_name(hr_kind kind, const char *name, hr_error *err)
{
    if (!name || !*name) return hr_error_set(err, HR_EINVAL, "%s name is empty", kind_names[kind]);
    size_t n = strlen(name);
    if (n > HR_FLEET_MAX_NAME)
        return hr_error_set(err, HR_EINVAL, "%s name \"%.40s...\" is longer than %d bytes",
                            kind_names[kind], name, HR_FLEET_MAX_NAME);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            return hr_error_set(err, HR_EINVAL, "%s name contains a control character",
                                kind_names[kind]);
    }
    return 0;
}

/* Reserves `name` in `kind`'s table and returns the new id. */
static int claim_name(hr_fleet *f, hr_kind kind, const char *name, hr_error *err)
{
    int rc = check_name(kind, name, err);
    if (rc < 0) return rc;
    nametab *t = &f->priv->tabs[kind];
    if (tab_lookup(t, name) >= 0)
        return hr_error_set(err, HR_EEXIST, "duplicate %s name \"%s\"", kind_names[kind], name);
    if (t->len >= t->max)
        return hr_error_set(err, HR_ELIMIT, "more than %zu %ss", t->max, kind_names[kind]);
    rc = tab_push(t, name);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    return rc;
}

int hr_fleet_find(const hr_fleet *f, hr_kind kind, const char *name)
{
    if (!f || !name || (unsigned)kind >= HR_KIND_COUNT_) return HR_ENOTFOUND;
    return tab_lookup(&f->priv->tabs[kind], name);
}

int hr_fleet_intern(hr_fleet *f, hr_kind kind, const char *name, hr_error *err)
{
    if (!f || kind < HR_KIND_LABEL || kind >= HR_KIND_COUNT_)
        return hr_error_set(err, HR_EINVAL, "not an interned kind");
    int id = hr_fleet_find(f, kind, name);
    return id >= 0 ? id : claim_name(f, kind, name, err);
}

size_t hr_fleet_count(const hr_fleet *f, hr_kind kind)
{
    if (!f || (unsigned)kind >= HR_KIND_COUNT_) return 0;
    return f->priv->tabs[kind].len;
}

const char *hr_fleet_name(const hr_fleet *f, hr_kind kind, int32_t id)
{
    if (!f || (unsigned)kind >= HR_KIND_COUNT_ || id < 0) return NULL;
    const nametab *t = &f->priv->tabs[kind];
    return (size_t)id < t->len ? t->names[id] : NULL;
}

/* ---- adding objects --------------------------------------------------------------- */

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 8;
    while (nc < need) nc *= 2;
    if (nc > SIZE_MAX / elem) return HR_ENOMEM;
    void *p = realloc(*arr, nc * elem);
    if (!p) return HR_ENOMEM;
    *arr = p;
    *cap = nc;
    return 0;
}

static bool ref_ok(int32_t id, size_t n, bool none_ok)
{
    return (id == HR_NONE && none_ok) || (id >= 0 && (size_t)id < n);
}

static int bad_ref(hr_error *err, const char *field, int32_t id)
{
    return hr_error_set(err, HR_EINVAL, "%s id %d out of range", field, (int)id);
}

/* A vector of nresources values: a copy of src, or `fill` everywhere. */
static int64_t *vec_new(const hr_fleet *f, const int64_t *src, int64_t fill)
{
    int64_t *v = malloc((f->nresources ? f->nresources : 1) * sizeof *v);
    if (!v) return NULL;
    for (size_t r = 0; r < f->nresources; r++) v[r] = src ? src[r] : fill;
    return v;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Sorted, deduplicated copy of label ids (all < nlabels). */
static int labels_copy(const hr_fleet *f, const int32_t *src, size_t n, int32_t **out, size_t *nout,
                       hr_error *err)
{
    if (n > HR_FLEET_MAX_LABELS)
        return hr_error_set(err, HR_ELIMIT, "more than %d labels", HR_FLEET_MAX_LABELS);
    if (n && !src) return hr_error_set(err, HR_EINVAL, "labels is NULL");
    size_t nl = f->priv->tabs[HR_KIND_LABEL].len;
    for (size_t i = 0; i < n; i++)
        if (!ref_ok(src[i], nl, false)) return bad_ref(err, "label", src[i]);
    int32_t *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return hr_error_set(err, HR_ENOMEM, "out of memory");
    if (n) memcpy(v, src, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_i32);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || v[k - 1] != v[i]) v[k++] = v[i];
    *out = v;
    *nout = k;
    return 0;
}

int hr_fleet_add_resource(hr_fleet *f, const hr_resource *spec, hr_error *err)
{
    if (!f || !spec) return hr_error_set(err, HR_EINVAL, "resource: no spec");
    if (f->nhosts || f->nworkloads)
        return hr_error_set(err, HR_ESTATE, "resource \"%s\" added after hosts or workloads",
                            spec->name ? spec->name : "");
    if ((unsigned)spec->unit > HR_UNIT_CUSTOM)
        return hr_error_set(err, HR_EINVAL, "resource: bad unit %d", (int)spec->unit);
    if (spec->unit == HR_UNIT_CUSTOM && (!spec->unit_name || !*spec->unit_name))
        return hr_error_set(err, HR_EINVAL, "resource: custom unit without a name");
    if (spec->unit_name && strlen(spec->unit_name) > HR_FLEET_MAX_NAME)
        return hr_error_set(err, HR_EINVAL, "resource: unit name too long");
    int rc = grow((void **)&f->resources, &f->priv->cap[HR_KIND_RESOURCE], f->nresources + 1,
                  sizeof *f->resources);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    char *unit_name = NULL;
    if (spec->unit == HR_UNIT_CUSTOM && !(unit_name = strdup(spec->unit_name)))
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    int id = claim_name(f, HR_KIND_RESOURCE, spec->name, err);
    if (id < 0) {
        free(unit_name);
        return id;
    }
    hr_resource *r = &f->resources[id];
    *r = *spec;
    r->name = f->priv->tabs[HR_KIND_RESOURCE].names[id];
    r->unit_name = unit_name;
    f->nresources++;
    return id;
}

/* A copy of the n x n matrix m grown to (n+1) x (n+1), new cells = fill;
 * NULL on overflow or OOM. The caller swaps it in once nothing can fail. */
static void *square_grown(const void *m, size_t n, size_t elem, const void *fill)
{
    size_t n1 = n + 1;
    if (n1 > SIZE_MAX / n1 / elem) return NULL;
    char *p = malloc(n1 * n1 * elem);
    if (!p) return NULL;
    const char *old = m;
    for (size_t i = 0; i < n1; i++)
        for (size_t j = 0; j < n1; j++) {
            const void *src = (i < n && j < n) ? old + (i * n + j) * elem : fill;
            memcpy(p + (i * n1 + j) * elem, src, elem);
        }
    return p;
}

int hr_fleet_add_site(hr_fleet *f, const hr_site *spec, hr_error *err)
{
    if (!f || !spec) return hr_error_set(err, HR_EINVAL, "site: no spec");
    if ((unsigned)spec->kind > HR_SITE_REGION)
        return hr_error_set(err, HR_EINVAL, "site: bad kind %d", (int)spec->kind);
    int rc = grow((void **)&f->sites, &f->priv->cap[HR_KIND_SITE], f->nsites + 1, sizeof *f->sites);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    double *lat = NULL;
    if (f->latency_ms) {
        const double unknown = NAN;
        lat = square_grown(f->latency_ms, f->nsites, sizeof *lat, &unknown);
        if (!lat) return hr_error_set(err, HR_ENOMEM, "out of memory");
        lat[f->nsites * (f->nsites + 1) + f->nsites] = 0;
    }
    int id = claim_name(f, HR_KIND_SITE, spec->name, err);
    if (id < 0) {
        free(lat);
        return id;
    }
    if (lat) {
        free(f->latency_ms);
        f->latency_ms = lat;
    }
    hr_site *s = &f->sites[id];
    *s = *spec;
    s->name = f->priv->tabs[HR_KIND_SITE].names[id];
    f->nsites++;
    return id;
}

int hr_fleet_add_host(hr_fleet *f, const hr_host *spec, hr_error *err)
{
    if (!f || !spec) return hr_error_set(err, HR_EINVAL, "host: no spec");
    if (!ref_ok(spec->site, f->nsites, true)) return bad_ref(err, "host site", spec->site);
    if (!ref_ok(spec->location, hr_fleet_count(f, HR_KIND_LOCATION), true))
        return bad_ref(err, "host location", spec->location);
    if (!ref_ok(spec->neighbourhood, hr_fleet_count(f, HR_KIND_NEIGHBOURHOOD), true))
        return bad_ref(err, "host neighbourhood", spec->neighbourhood);
    if ((unsigned)spec->state > HR_HOST_OFF || (unsigned)spec->power.kind > HR_POWER_TABLE)
        return hr_error_set(err, HR_EINVAL, "host: bad state or power kind");
    if (f->host_move_cost && f->nhosts + 1 > HR_FLEET_MAX_MOVE_COST_HOSTS)
        return hr_error_set(err, HR_ELIMIT, "host move costs are limited to %d hosts",
                            HR_FLEET_MAX_MOVE_COST_HOSTS);
    int rc = grow((void **)&f->hosts, &f->priv->cap[HR_KIND_HOST], f->nhosts + 1, sizeof *f->hosts);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    hr_host h = *spec;
    h.labels = NULL;
    rc = labels_copy(f, spec->labels, spec->nlabels, &h.labels, &h.nlabels, err);
    if (rc < 0) return rc;
    h.capacity = vec_new(f, spec->capacity, 0);
    h.safety = vec_new(f, spec->safety ? spec->safety : h.capacity, 0);
    rc = (h.capacity && h.safety) ? 0 : hr_error_set(err, HR_ENOMEM, "out of memory");
    int32_t *mmc = NULL;
    if (rc == 0 && f->host_move_cost) {
        const int32_t zero = 0;
        mmc = square_grown(f->host_move_cost, f->nhosts, sizeof *mmc, &zero);
        if (!mmc) rc = hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    int id = rc < 0 ? rc : claim_name(f, HR_KIND_HOST, spec->name, err);
    if (id < 0) {
        free(h.capacity);
        free(h.safety);
        free(h.labels);
        free(mmc);
        return id;
    }
    if (mmc) {
        free(f->host_move_cost);
        f->host_move_cost = mmc;
    }
    h.name = f->priv->tabs[HR_KIND_HOST].names[id];
    f->hosts[id] = h;
    f->nhosts++;
    return id;
}

static bool pow2_full(size_t n)
{
    return n == 0 || (n >= 4 && (n & (n - 1)) == 0);
}

/* Appends v to a small int32 array whose capacity is implied by its length. */
static int small_push(int32_t **arr, size_t *n, int32_t v)
{
    if (pow2_full(*n)) {
        size_t nc = *n ? *n * 2 : 4;
        int32_t *p = realloc(*arr, nc * sizeof *p);
        if (!p) return HR_ENOMEM;
        *arr = p;
    }
    (*arr)[(*n)++] = v;
    return 0;
}

static int workload_refs_ok(const hr_fleet *f, const hr_workload *w, hr_error *err)
{
    if (!ref_ok(w->tenant, f->ntenants, true)) return bad_ref(err, "workload tenant", w->tenant);
    if (!ref_ok(w->service, f->nservices, true))
        return bad_ref(err, "workload service", w->service);
    if (!ref_ok(w->sla, f->nslas, true)) return bad_ref(err, "workload sla", w->sla);
    if (!ref_ok(w->host, f->nhosts, true)) return bad_ref(err, "workload host", w->host);
    if (!ref_ok(w->anti_affinity, hr_fleet_count(f, HR_KIND_GROUP), true))
        return bad_ref(err, "workload anti-affinity group", w->anti_affinity);
    if ((unsigned)w->kind > HR_WORKLOAD_COMPONENT)
        return hr_error_set(err, HR_EINVAL, "workload: bad kind %d", (int)w->kind);
    if (w->trace && strlen(w->trace) > HR_FLEET_MAX_TRACE)
        return hr_error_set(err, HR_EINVAL, "workload: trace longer than %d bytes",
                            HR_FLEET_MAX_TRACE);
    return 0;
}

int hr_fleet_add_workload(hr_fleet *f, const hr_workload *spec, hr_error *err)
{
    if (!f || !spec) return hr_error_set(err, HR_EINVAL, "workload: no spec");
    int rc = workload_refs_ok(f, spec, err);
    if (rc < 0) return rc;
    rc = grow((void **)&f->workloads, &f->priv->cap[HR_KIND_WORKLOAD], f->nworkloads + 1,
              sizeof *f->workloads);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    hr_workload w = *spec;
    w.required_labels = NULL;
    rc = labels_copy(f, spec->required_labels, spec->nrequired_labels, &w.required_labels,
                     &w.nrequired_labels, err);
    if (rc < 0) return rc;
    w.demand = vec_new(f, spec->demand, 0);
    w.limit = vec_new(f, spec->limit, HR_UNLIMITED);
    w.trace = spec->trace ? strdup(spec->trace) : NULL;
    rc = (w.demand && w.limit && (w.trace || !spec->trace))
             ? 0
             : hr_error_set(err, HR_ENOMEM, "out of memory");
    hr_service *s = w.service >= 0 ? &f->services[w.service] : NULL;
    if (rc == 0 && s && small_push(&s->workloads, &s->nworkloads, (int32_t)f->nworkloads) < 0)
        rc = hr_error_set(err, HR_ENOMEM, "out of memory");
    int id = rc < 0 ? rc : claim_name(f, HR_KIND_WORKLOAD, spec->name, err);
    if (id < 0) {
        if (rc == 0 && s) s->nworkloads--;
        free(w.demand);
        free(w.limit);
        free(w.required_labels);
        free((char *)w.trace);
        return id;
    }
    w.name = f->priv->tabs[HR_KIND_WORKLOAD].names[id];
    f->workloads[id] = w;
    f->nworkloads++;
    return id;
}

int hr_fleet_add_service(hr_fleet *f, const hr_service *spec, hr_error *err)
{
    if (!f || !spec) return hr_error_set(err, HR_EINVAL, "service: no spec");
    int rc = grow((void **)&f->services, &f->priv->cap[HR_KIND_SERVICE], f->nservices + 1,
                  sizeof *f->services);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    int id = claim_name(f, HR_KIND_SERVICE, spec->name, err);
    if (id < 0) return id;
    hr_service *s = &f->services[id];
    *s = *spec;
    s->name = f->priv->tabs[HR_KIND_SERVICE].names[id];
    s->deps = NULL;
    s->ndeps = 0;
    s->workloads = NULL;
    s->nworkloads = 0;
    f->nservices++;
    return id;
}

int hr_fleet_add_tenant(hr_fleet *f, const hr_tenant *spec, hr_error *err)
{
    if (!f || !spec) return hr_error_set(err, HR_EINVAL, "tenant: no spec");
    int rc = grow((void **)&f->tenants, &f->priv->cap[HR_KIND_TENANT], f->ntenants + 1,
                  sizeof *f->tenants);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    int id = claim_name(f, HR_KIND_TENANT, spec->name, err);
    if (id < 0) return id;
    f->tenants[id] = *spec;
    f->tenants[id].name = f->priv->tabs[HR_KIND_TENANT].names[id];
    f->ntenants++;
    return id;
}

int hr_fleet_add_sla(hr_fleet *f, const hr_sla *spec, hr_error *err)
{
    if (!f || !spec) return hr_error_set(err, HR_EINVAL, "sla: no spec");
    if ((unsigned)spec->cls > HR_SLA_BATCH)
        return hr_error_set(err, HR_EINVAL, "sla: bad class %d", (int)spec->cls);
    int rc = grow((void **)&f->slas, &f->priv->cap[HR_KIND_SLA], f->nslas + 1, sizeof *f->slas);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    int id = claim_name(f, HR_KIND_SLA, spec->name, err);
    if (id < 0) return id;
    f->slas[id] = *spec;
    f->slas[id].name = f->priv->tabs[HR_KIND_SLA].names[id];
    f->nslas++;
    return id;
}

int hr_fleet_add_dependency(hr_fleet *f, int32_t service, int32_t on, hr_error *err)
{
    if (!f || !ref_ok(service, f->nservices, false) || !ref_ok(on, f->nservices, false))
        return hr_error_set(err, HR_EINVAL, "dependency: service id out of range");
    hr_service *s = &f->services[service];
    if (service == on)
        return hr_error_set(err, HR_EINVAL, "service \"%s\" depends on itself", s->name);
    for (size_t i = 0; i < s->ndeps; i++)
        if (s->deps[i] == on) return 0;
    if (s->ndeps >= HR_FLEET_MAX_DEPS)
        return hr_error_set(err, HR_ELIMIT, "service \"%s\" has more than %d dependencies", s->name,
                            HR_FLEET_MAX_DEPS);
    if (small_push(&s->deps, &s->ndeps, on) < 0)
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    return 0;
}

int hr_fleet_add_balance(hr_fleet *f, const hr_balance *b, hr_error *err)
{
    if (!f || !b) return hr_error_set(err, HR_EINVAL, "balance: no spec");
    if (f->nbalances >= HR_FLEET_MAX_BALANCES)
        return hr_error_set(err, HR_ELIMIT, "more than %d balance objectives",
                            HR_FLEET_MAX_BALANCES);
    int rc =
        grow((void **)&f->balances, &f->priv->balance_cap, f->nbalances + 1, sizeof *f->balances);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    f->balances[f->nbalances] = *b;
    return (int)f->nbalances++;
}

/* ---- matrices --------------------------------------------------------------------- */

int hr_fleet_set_latency(hr_fleet *f, int32_t from, int32_t to, double ms, hr_error *err)
{
    if (!f || !ref_ok(from, f->nsites, false) || !ref_ok(to, f->nsites, false))
        return hr_error_set(err, HR_EINVAL, "latency: site id out of range");
    if (from == to && ms != 0)
        return hr_error_set(err, HR_EINVAL, "latency: site \"%s\" to itself must be 0",
                            f->sites[from].name);
    size_t n = f->nsites;
    if (!f->latency_ms) {
        if (n > SIZE_MAX / sizeof(double) / n) return hr_error_set(err, HR_ENOMEM, "too large");
        f->latency_ms = malloc(n * n * sizeof(double));
        if (!f->latency_ms) return hr_error_set(err, HR_ENOMEM, "out of memory");
        for (size_t i = 0; i < n * n; i++) f->latency_ms[i] = (i % (n + 1) == 0) ? 0 : NAN;
    }
    f->latency_ms[(size_t)from * n + (size_t)to] = ms;
    return 0;
}

double hr_fleet_latency(const hr_fleet *f, int32_t from, int32_t to)
{
    if (!f || !ref_ok(from, f->nsites, false) || !ref_ok(to, f->nsites, false)) return NAN;
    if (from == to) return 0;
    return f->latency_ms ? f->latency_ms[(size_t)from * f->nsites + (size_t)to] : NAN;
}

int hr_fleet_set_host_move_cost(hr_fleet *f, int32_t from, int32_t to, int32_t cost, hr_error *err)
{
    if (!f || !ref_ok(from, f->nhosts, false) || !ref_ok(to, f->nhosts, false))
        return hr_error_set(err, HR_EINVAL, "host move cost: host id out of range");
    if (from == to && cost != 0)
        return hr_error_set(err, HR_EINVAL, "host move cost: host \"%s\" to itself must be 0",
                            f->hosts[from].name);
    size_t n = f->nhosts;
    if (!f->host_move_cost) {
        if (n > HR_FLEET_MAX_MOVE_COST_HOSTS)
            return hr_error_set(err, HR_ELIMIT, "host move costs are limited to %d hosts",
                                HR_FLEET_MAX_MOVE_COST_HOSTS);
        f->host_move_cost = calloc(n * n, sizeof(int32_t));
        if (!f->host_move_cost) return hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    f->host_move_cost[(size_t)from * n + (size_t)to] = cost;
    return 0;
}

int32_t hr_fleet_host_move_cost(const hr_fleet *f, int32_t from, int32_t to)
{
    if (!f || !f->host_move_cost || !ref_ok(from, f->nhosts, false) ||
        !ref_ok(to, f->nhosts, false))
        return 0;
    return f->host_move_cost[(size_t)from * f->nhosts + (size_t)to];
}

/* ---- loads, labels, power ----------------------------------------------------------- */

static int add_demand(const hr_fleet *f, int64_t *acc, const hr_workload *w)
{
    for (size_t r = 0; r < f->nresources; r++)
        if (__builtin_add_overflow(acc[r], w->demand[r], &acc[r])) return HR_ERANGE;
    return 0;
}

int hr_fleet_host_load(const hr_fleet *f, int32_t host, int64_t *out)
{
    if (!f || !out || !ref_ok(host, f->nhosts, false)) return HR_EINVAL;
    int64_t *acc = vec_new(f, NULL, 0);
    if (!acc) return HR_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < f->nworkloads && rc == 0; i++)
        if (f->workloads[i].host == host) rc = add_demand(f, acc, &f->workloads[i]);
    if (rc == 0) memcpy(out, acc, f->nresources * sizeof *out);
    free(acc);
    return rc;
}

int hr_fleet_loads(const hr_fleet *f, int64_t *out)
{
    if (!f || !out) return HR_EINVAL;
    size_t nr = f->nresources, n = f->nhosts * nr;
    int64_t *acc = calloc(n ? n : 1, sizeof *acc);
    if (!acc) return HR_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < f->nworkloads && rc == 0; i++) {
        const hr_workload *w = &f->workloads[i];
        if (w->host == HR_NONE) continue;
        if (!ref_ok(w->host, f->nhosts, false))
            rc = HR_EINVAL;
        else
            rc = add_demand(f, acc + (size_t)w->host * nr, w);
    }
    if (rc == 0 && n) memcpy(out, acc, n * sizeof *out);
    free(acc);
    return rc;
}

bool hr_fleet_labels_ok(const hr_fleet *f, int32_t h, int32_t w)
{
    if (!f || !ref_ok(h, f->nhosts, false) || !ref_ok(w, f->nworkloads, false)) return false;
    const hr_host *host = &f->hosts[h];
    const hr_workload *wl = &f->workloads[w];
    size_t j = 0; /* both arrays are sorted */
    for (size_t i = 0; i < wl->nrequired_labels; i++) {
        while (j < host->nlabels && host->labels[j] < wl->required_labels[i]) j++;
        if (j == host->nlabels || host->labels[j] != wl->required_labels[i]) return false;
    }
    return true;
}

double hr_power_watts(const hr_power_model *pm, double u)
{
    if (!pm || !(u >= 0 && u <= 1)) return NAN;
    if (pm->kind == HR_POWER_LINEAR) /* CloudSim PowerModelLinear */
        return pm->idle_w + (pm->max_w - pm->idle_w) / 100 * u * 100;
    if (pm->kind != HR_POWER_TABLE) return NAN;
    /* CloudSim PowerModelSpecPower.getPower, operation for operation. */
    if (fmod(u, 0.1) == 0) return pm->table_w[(int)(u * 10)];
    int u1 = (int)floor(u * 10), u2 = (int)ceil(u * 10);
    double p1 = pm->table_w[u1], p2 = pm->table_w[u2];
    double delta = (p2 - p1) / 10;
    return p1 + delta * (u - (double)u1 / 10) * 100;
}

/* ---- validation ------------------------------------------------------------------
 * Messages: "<section>[i].<field>: what (<kind> "name")", the JSON path of
 * the field when the fleet came from JSON. */

static int bad(hr_error *err, const char *section, size_t i, const char *field, const char *kind,
               const char *name, const char *what)
{
    return hr_error_set(err, HR_EINVAL, "%s[%zu].%s: %s (%s \"%s\")", section, i, field, what, kind,
                        name);
}

static bool amount_ok(int64_t v)
{
    return v >= 0 && v <= HR_FLEET_MAX_AMOUNT;
}

static int check_amounts(const hr_fleet *f, const int64_t *v, const char *section, size_t i,
                         const char *vec, const char *kind, const char *name, hr_error *err)
{
    for (size_t r = 0; r < f->nresources; r++) {
        if (amount_ok(v[r])) continue;
        char field[300], what[96];
        snprintf(field, sizeof field, "%s.%s", vec, f->resources[r].name);
        snprintf(what, sizeof what, "%" PRId64 " is %s", v[r],
                 v[r] < 0 ? "negative" : "larger than 2^53");
        return bad(err, section, i, field, kind, name, what);
    }
    return 0;
}

static int validate_resources(const hr_fleet *f, hr_error *err)
{
    for (size_t i = 0; i < f->nresources; i++) {
        const hr_resource *r = &f->resources[i];
        if ((unsigned)r->unit > HR_UNIT_CUSTOM)
            return bad(err, "resources", i, "unit", "resource", r->name, "unknown unit");
        if (r->unit == HR_UNIT_CUSTOM && (!r->unit_name || !*r->unit_name))
            return bad(err, "resources", i, "unit_name", "resource", r->name, "missing");
        if (r->load_cost_weight < 0)
            return bad(err, "resources", i, "load_cost_weight", "resource", r->name, "negative");
    }
    for (size_t i = 0; i < f->nbalances; i++) {
        const hr_balance *b = &f->balances[i];
        if (!ref_ok(b->resource1, f->nresources, false) ||
            !ref_ok(b->resource2, f->nresources, false))
            return hr_error_set(err, HR_EINVAL, "balance[%zu]: unknown resource", i);
        if (b->target < 0 || b->weight < 0)
            return hr_error_set(err, HR_EINVAL, "balance[%zu]: negative target or weight", i);
    }
    const hr_move_weights *m = &f->move_weights;
    if (m->workload < 0 || m->service < 0 || m->host < 0)
        return hr_error_set(err, HR_EINVAL, "move_weights: negative weight");
    return 0;
}

static int validate_sites(const hr_fleet *f, hr_error *err)
{
    for (size_t i = 0; i < f->nsites; i++) {
        const hr_site *s = &f->sites[i];
        if ((unsigned)s->kind > HR_SITE_REGION)
            return bad(err, "sites", i, "kind", "site", s->name, "unknown kind");
        bool unknown = isnan(s->lat_deg) && isnan(s->lon_deg);
        if (!unknown && !(fabs(s->lat_deg) <= 90))
            return bad(err, "sites", i, "lat", "site", s->name, "not in [-90, 90]");
        if (!unknown && !(fabs(s->lon_deg) <= 180))
            return bad(err, "sites", i, "lon", "site", s->name, "not in [-180, 180]");
    }
    if (!f->latency_ms) return 0;
    size_t n = f->nsites;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            double v = f->latency_ms[a * n + b];
            const char *what = NULL;
            if (a == b && v != 0)
                what = "latency to itself is not 0";
            else if (!isnan(v) && !(v >= 0 && v <= HR_FLEET_MAX_LATENCY_MS))
                what = "latency not in [0, 1e6] ms";
            else if (f->latency_symmetric && !(isnan(v) && isnan(f->latency_ms[b * n + a])) &&
                     v != f->latency_ms[b * n + a])
                what = "latency differs from the reverse direction (symmetric is set)";
            if (what)
                return hr_error_set(err, HR_EINVAL, "latency.ms.%s.%s: %s", f->sites[a].name,
                                    f->sites[b].name, what);
        }
    return 0;
}

static int validate_power(const hr_power_model *p, size_t i, const char *name, hr_error *err)
{
    if ((unsigned)p->kind > HR_POWER_TABLE)
        return bad(err, "hosts", i, "power", "host", name, "unknown power model");
    if (p->kind == HR_POWER_LINEAR &&
        !(isfinite(p->idle_w) && isfinite(p->max_w) && p->idle_w >= 0 && p->idle_w <= p->max_w))
        return bad(err, "hosts", i, "power", "host", name, "need 0 <= idle_w <= max_w");
    if (p->kind == HR_POWER_TABLE)
        for (int k = 0; k < HR_POWER_POINTS; k++)
            if (!(isfinite(p->table_w[k]) && p->table_w[k] >= 0))
                return bad(err, "hosts", i, "power.table_w", "host", name,
                           "watts must be finite and >= 0");
    return 0;
}

static int validate_host(const hr_fleet *f, size_t i, hr_error *err)
{
    const hr_host *h = &f->hosts[i];
    const char *n = h->name;
    if (!ref_ok(h->site, f->nsites, true))
        return bad(err, "hosts", i, "site", "host", n, "unknown site");
    int rc = check_amounts(f, h->capacity, "hosts", i, "capacity", "host", n, err);
    if (rc == 0) rc = check_amounts(f, h->safety, "hosts", i, "safety", "host", n, err);
    if (rc < 0) return rc;
    for (size_t r = 0; r < f->nresources; r++)
        if (h->safety[r] > h->capacity[r]) {
            char field[300], what[96];
            snprintf(field, sizeof field, "safety.%s", f->resources[r].name);
            snprintf(what, sizeof what, "%" PRId64 " exceeds capacity %" PRId64, h->safety[r],
                     h->capacity[r]);
            return bad(err, "hosts", i, field, "host", n, what);
        }
    size_t nl = hr_fleet_count(f, HR_KIND_LABEL);
    for (size_t k = 0; k < h->nlabels; k++)
        if (!ref_ok(h->labels[k], nl, false))
            return bad(err, "hosts", i, "labels", "host", n, "unknown label");
    rc = validate_power(&h->power, i, n, err);
    if (rc < 0) return rc;
    if (!(isfinite(h->cost_per_hour) && h->cost_per_hour >= 0))
        return bad(err, "hosts", i, "cost_per_hour", "host", n, "must be finite and >= 0");
    if (!ref_ok(h->location, hr_fleet_count(f, HR_KIND_LOCATION), true))
        return bad(err, "hosts", i, "location", "host", n, "unknown location");
    if (!ref_ok(h->neighbourhood, hr_fleet_count(f, HR_KIND_NEIGHBOURHOOD), true))
        return bad(err, "hosts", i, "neighbourhood", "host", n, "unknown neighbourhood");
    if (h->cores < 0) return bad(err, "hosts", i, "cores", "host", n, "negative");
    if ((unsigned)h->state > HR_HOST_OFF)
        return bad(err, "hosts", i, "state", "host", n, "unknown state");
    return 0;
}

static int validate_workload(const hr_fleet *f, size_t i, const int64_t *maxcap, hr_error *err)
{
    const hr_workload *w = &f->workloads[i];
    const char *n = w->name;
    if ((unsigned)w->kind > HR_WORKLOAD_COMPONENT)
        return bad(err, "workloads", i, "kind", "workload", n, "unknown kind");
    if (!ref_ok(w->tenant, f->ntenants, true))
        return bad(err, "workloads", i, "tenant", "workload", n, "unknown tenant");
    if (!ref_ok(w->service, f->nservices, true))
        return bad(err, "workloads", i, "service", "workload", n, "unknown service");
    if (!ref_ok(w->sla, f->nslas, true))
        return bad(err, "workloads", i, "sla", "workload", n, "unknown sla");
    if (!ref_ok(w->host, f->nhosts, true))
        return bad(err, "workloads", i, "host", "workload", n, "unknown host");
    if (!ref_ok(w->anti_affinity, hr_fleet_count(f, HR_KIND_GROUP), true))
        return bad(err, "workloads", i, "anti_affinity", "workload", n, "unknown group");
    size_t nl = hr_fleet_count(f, HR_KIND_LABEL);
    for (size_t k = 0; k < w->nrequired_labels; k++)
        if (!ref_ok(w->required_labels[k], nl, false))
            return bad(err, "workloads", i, "required_labels", "workload", n, "unknown label");
    int rc = check_amounts(f, w->demand, "workloads", i, "demand", "workload", n, err);
    if (rc < 0) return rc;
    for (size_t r = 0; r < f->nresources; r++) {
        char field[300], what[128];
        const char *rn = f->resources[r].name;
        if (w->limit[r] != HR_UNLIMITED && !amount_ok(w->limit[r])) {
            snprintf(field, sizeof field, "limit.%s", rn);
            return bad(err, "workloads", i, field, "workload", n, "negative or above 2^53");
        }
        if (w->demand[r] > w->limit[r]) {
            snprintf(field, sizeof field, "demand.%s", rn);
            snprintf(what, sizeof what, "%" PRId64 " exceeds the limit %" PRId64, w->demand[r],
                     w->limit[r]);
            return bad(err, "workloads", i, field, "workload", n, what);
        }
        if (f->nhosts && w->demand[r] > maxcap[r]) {
            snprintf(field, sizeof field, "demand.%s", rn);
            snprintf(what, sizeof what,
                     "%" PRId64 " exceeds every host's capacity (largest %" PRId64 ")",
                     w->demand[r], maxcap[r]);
            return bad(err, "workloads", i, field, "workload", n, what);
        }
    }
    if (w->move_cost < 0) return bad(err, "workloads", i, "move_cost", "workload", n, "negative");
    if (w->cores < 0) return bad(err, "workloads", i, "cores", "workload", n, "negative");
    return 0;
}

static int validate_services(const hr_fleet *f, hr_error *err)
{
    for (size_t i = 0; i < f->nservices; i++) {
        const hr_service *s = &f->services[i];
        if (s->spread_min < 0)
            return bad(err, "services", i, "spread_min", "service", s->name, "negative");
        for (size_t k = 0; k < s->ndeps; k++)
            if (!ref_ok(s->deps[k], f->nservices, false) || (size_t)s->deps[k] == i)
                return bad(err, "services", i, "depends_on", "service", s->name,
                           "unknown service or itself");
        for (size_t k = 0; k < s->nworkloads; k++) {
            int32_t w = s->workloads[k];
            if (!ref_ok(w, f->nworkloads, false) || (size_t)f->workloads[w].service != i)
                return bad(err, "services", i, "workloads", "service", s->name,
                           "member list out of date (a workload's service was changed)");
        }
    }
    size_t members = 0, with_service = 0;
    for (size_t i = 0; i < f->nservices; i++) members += f->services[i].nworkloads;
    for (size_t i = 0; i < f->nworkloads; i++) with_service += f->workloads[i].service != HR_NONE;
    if (members != with_service)
        return hr_error_set(err, HR_EINVAL,
                            "services: member lists out of date (%zu members, "
                            "%zu workloads with a service)",
                            members, with_service);
    for (size_t i = 0; i < f->nslas; i++) {
        const hr_sla *s = &f->slas[i];
        if ((unsigned)s->cls > HR_SLA_BATCH)
            return bad(err, "slas", i, "class", "sla", s->name, "unknown class");
        if (!(s->quantile > 0 && s->quantile < 1))
            return bad(err, "slas", i, "quantile", "sla", s->name, "not in (0, 1)");
        if (!(s->max_violation >= 0 && s->max_violation <= 1))
            return bad(err, "slas", i, "max_violation", "sla", s->name, "not in [0, 1]");
    }
    return 0;
}

static int validate_move_costs(const hr_fleet *f, hr_error *err)
{
    if (!f->host_move_cost) return 0;
    size_t n = f->nhosts;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            int32_t c = f->host_move_cost[a * n + b];
            if (c < 0 || (a == b && c != 0))
                return hr_error_set(err, HR_EINVAL, "host_move_cost.%s.%s: %d is %s",
                                    f->hosts[a].name, f->hosts[b].name, (int)c,
                                    c < 0 ? "negative" : "not 0 for a host to itself");
        }
    return 0;
}

int hr_fleet_validate(const hr_fleet *f, hr_error *err)
{
    if (!f) return hr_error_set(err, HR_EINVAL, "no fleet");
    int rc = validate_resources(f, err);
    if (rc == 0) rc = validate_sites(f, err);
    for (size_t i = 0; i < f->nhosts && rc == 0; i++) rc = validate_host(f, i, err);
    if (rc < 0) return rc;
    int64_t *maxcap = vec_new(f, NULL, 0);
    if (!maxcap) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (size_t i = 0; i < f->nhosts; i++)
        for (size_t r = 0; r < f->nresources; r++)
            if (f->hosts[i].capacity[r] > maxcap[r]) maxcap[r] = f->hosts[i].capacity[r];
    for (size_t i = 0; i < f->nworkloads && rc == 0; i++) rc = validate_workload(f, i, maxcap, err);
    free(maxcap);
    if (rc == 0) rc = validate_services(f, err);
    if (rc == 0) rc = validate_move_costs(f, err);
    return rc;
}
