/* headroom/fleet.h - the fleet: resources, sites, hosts, workloads, services,
 * tenants and SLAs, loaded from and saved to JSON (docs/fleet-schema.md).
 *
 * One model serves every planner:
 *   - the placement optimiser (ROADEF/EURO 2012 machine reassignment):
 *     capacities and safety capacities, transient resources and load-cost
 *     weights, locations and neighbourhoods, service spread, conflicts and
 *     dependencies, move costs, balance objectives;
 *   - the twin (CloudSim): SPECpower power tables, MIPS and cores, RAM and
 *     bandwidth, each VM's demand trace;
 *   - in-host partitioning: tenants with priorities, SLA classes with a
 *     target quantile, a tolerated violation fraction and core pinning;
 *   - edge steering: sites with coordinates and a latency matrix.
 *
 * Identity. Every object has a name, unique within its kind, and an id: its
 * index in its array (f->hosts[id]). Objects are never removed, so ids are
 * stable. References between objects are int32_t ids; HR_NONE (-1) means
 * "none" where a reference is optional.
 *
 * Amounts. Capacities and demands are int64_t in the resource's unit
 * (millicores, bytes, bits/s, MIPS, or a custom unit), one value per
 * resource in resource order. Resources are therefore added first: adding a
 * resource once a host or workload exists is HR_ESTATE.
 *
 * Ownership. The fleet owns every object, string and vector. Pointers to
 * objects (&f->hosts[i]) stay valid until the next hr_fleet_add_* of the
 * same kind (the array may move); names, vectors and label arrays they
 * point to live until hr_fleet_free. Callers may
 * change plain value fields in place (a workload's host and demand values, a
 * host's state, ...), then call hr_fleet_validate; names, vectors' lengths,
 * label arrays and a workload's service must not be changed in place.
 *
 * Not thread-safe: one writer at a time; concurrent readers are fine once
 * nothing writes.
 */
#ifndef HEADROOM_FLEET_H
#define HEADROOM_FLEET_H

#include "common.h"
#include "error.h"

#define HR_NONE (-1)

/* Limits, checked by the hr_fleet_add_* functions and the JSON loader
 * (HR_ELIMIT past them). */
#define HR_FLEET_MAX_NAME            255     /* bytes in a name, excluding the NUL */
#define HR_FLEET_MAX_RESOURCES       64      /* ROADEF: <= 20 */
#define HR_FLEET_MAX_SITES           4096    /* the latency matrix is dense */
#define HR_FLEET_MAX_HOSTS           100000  /* ROADEF: <= 5000 */
#define HR_FLEET_MAX_WORKLOADS       1000000 /* ROADEF: <= 50000 processes */
#define HR_FLEET_MAX_SERVICES        1000000
#define HR_FLEET_MAX_TENANTS         100000
#define HR_FLEET_MAX_SLAS            10000
#define HR_FLEET_MAX_NAMES           1000000 /* labels, locations, neighbourhoods, groups (each) */
#define HR_FLEET_MAX_LABELS          64      /* labels on one host / required by one workload */
#define HR_FLEET_MAX_DEPS            5000    /* dependencies of one service (ROADEF bound) */
#define HR_FLEET_MAX_BALANCES        16      /* ROADEF: <= 10 */
#define HR_FLEET_MAX_MOVE_COST_HOSTS 8192    /* host move-cost matrix is dense int32 */
#define HR_FLEET_MAX_TRACE           4096    /* bytes in a workload's trace reference */
#define HR_FLEET_MAX_JSON_BYTES      ((size_t)1 << 30)
/* Largest amount of any resource (2^53: exact in a double, so solvers may
 * work in floating point). Sums over a host are checked for overflow. */
#define HR_FLEET_MAX_AMOUNT (INT64_C(1) << 53)
/* A workload's limit entry meaning "no limit". */
#define HR_UNLIMITED            INT64_MAX
#define HR_FLEET_MAX_LATENCY_MS 1e6

/* Kinds of named things in a fleet. The first seven are objects with their
 * own arrays; the last four are interned names (ids only). */
typedef enum hr_kind {
    HR_KIND_RESOURCE,
    HR_KIND_SITE,
    HR_KIND_HOST,
    HR_KIND_WORKLOAD,
    HR_KIND_SERVICE,
    HR_KIND_TENANT,
    HR_KIND_SLA,
    HR_KIND_LABEL,         /* host capabilities: "gpu", "fpga", "sriov" */
    HR_KIND_LOCATION,      /* ROADEF location: failure domain (rack, zone) */
    HR_KIND_NEIGHBOURHOOD, /* ROADEF neighbourhood: network proximity */
    HR_KIND_GROUP,         /* anti-affinity group of workloads */
    HR_KIND_COUNT_
} hr_kind;

/* ---- resources ---------------------------------------------------------------- */

typedef enum hr_unit {
    HR_UNIT_MILLICORES,   /* CPU, 1000 = one core */
    HR_UNIT_BYTES,        /* memory, disk */
    HR_UNIT_BITS_PER_SEC, /* network bandwidth */
    HR_UNIT_MIPS,         /* CPU as CloudSim counts it (host: cores x MIPS per core) */
    HR_UNIT_CUSTOM,       /* named by hr_resource.unit_name (e.g. "iops") */
} hr_unit;

typedef struct hr_resource {
    const char *name; /* "cpu", "memory", "network", ... */
    hr_unit unit;
    const char *unit_name; /* HR_UNIT_CUSTOM: the unit's name; otherwise NULL */
    /* ROADEF transient resource: a moved workload holds it on both its old
     * and its new host until the move completes. */
    bool transient;
    /* ROADEF weightLoadCost: weight of usage above safety capacity (>= 0). */
    int64_t load_cost_weight;
} hr_resource;

/* ROADEF balance objective: for every host, cost weight * max(0, target *
 * free(resource1) - free(resource2)), free = capacity - usage. */
typedef struct hr_balance {
    int32_t resource1, resource2;
    int64_t target; /* >= 0 */
    int64_t weight; /* >= 0 */
} hr_balance;

/* ROADEF move-cost weights (process, service, machine move costs). */
typedef struct hr_move_weights {
    int64_t workload; /* x sum of moved workloads' move_cost */
    int64_t service;  /* x max over services of moved workloads */
    int64_t host;     /* x sum of host-to-host move costs */
} hr_move_weights;

/* ---- sites -------------------------------------------------------------------- */

typedef enum hr_site_kind { HR_SITE_EDGE, HR_SITE_REGION } hr_site_kind;

typedef struct hr_site {
    const char *name;
    hr_site_kind kind;
    double lat_deg, lon_deg; /* WGS84 degrees; both NaN when unknown */
} hr_site;

/* ---- hosts -------------------------------------------------------------------- */

typedef enum hr_power_kind {
    HR_POWER_NONE,   /* unknown */
    HR_POWER_LINEAR, /* idle_w + (max_w - idle_w) * u */
    HR_POWER_TABLE,  /* SPECpower: watts at 0, 10, ..., 100 % load, linear in between */
} hr_power_kind;

#define HR_POWER_POINTS 11

typedef struct hr_power_model {
    hr_power_kind kind;
    double idle_w, max_w;            /* HR_POWER_LINEAR */
    double table_w[HR_POWER_POINTS]; /* HR_POWER_TABLE */
} hr_power_model;

typedef enum hr_host_state { HR_HOST_ON, HR_HOST_OFF } hr_host_state;

typedef struct hr_host {
    const char *name;
    int32_t site;      /* HR_NONE if the fleet has no sites */
    int64_t *capacity; /* [nresources] */
    int64_t *safety;   /* [nresources], 0 <= safety <= capacity (ROADEF SC) */
    int32_t *labels;   /* label ids, sorted, distinct */
    size_t nlabels;
    hr_power_model power;
    double cost_per_hour;  /* in the fleet's currency, >= 0 */
    int32_t location;      /* HR_KIND_LOCATION id or HR_NONE */
    int32_t neighbourhood; /* HR_KIND_NEIGHBOURHOOD id or HR_NONE */
    int32_t cores;         /* physical cores / CloudSim PEs; 0 = unknown */
    hr_host_state state;
} hr_host;

/* ---- workloads, services, tenants, SLAs ------------------------------------------ */

typedef enum hr_workload_kind {
    HR_WORKLOAD_VM,
    HR_WORKLOAD_CONTAINER,
    HR_WORKLOAD_MICROVM,
    HR_WORKLOAD_COMPONENT, /* a component of a split service */
} hr_workload_kind;

typedef struct hr_workload {
    const char *name;
    hr_workload_kind kind;
    int32_t tenant;  /* HR_NONE allowed */
    int32_t service; /* HR_NONE allowed; fixed once added */
    int32_t sla;     /* HR_NONE allowed */
    int64_t *demand; /* [nresources]: what it requests now, >= 0 */
    /* [nresources]: the most it may use (CloudSim VM MIPS/RAM, a cgroup
     * limit); HR_UNLIMITED where there is none. demand <= limit. */
    int64_t *limit;
    int32_t host;             /* current host or HR_NONE (not placed) */
    int32_t *required_labels; /* label ids, sorted, distinct */
    size_t nrequired_labels;
    /* Workloads of one anti-affinity group run on distinct hosts. */
    int32_t anti_affinity; /* HR_KIND_GROUP id or HR_NONE */
    int64_t move_cost;     /* ROADEF PMC, >= 0 */
    int32_t cores;         /* vCPUs / CloudSim PEs; 0 = unknown */
    const char *trace;     /* where its demand series lives (a trace file, a
                              series id); not interpreted here; may be NULL */
} hr_workload;

typedef struct hr_service {
    const char *name;
    int32_t spread_min;  /* min distinct locations hosting it (ROADEF), >= 0 */
    bool distinct_hosts; /* ROADEF conflict: its workloads on pairwise distinct hosts */
    int32_t *deps;       /* services this one depends on (ROADEF: in the same neighbourhood) */
    size_t ndeps;
    int32_t *workloads; /* its workloads in id order (kept by hr_fleet_add_workload) */
    size_t nworkloads;
} hr_service;

typedef struct hr_tenant {
    const char *name;
    int32_t priority; /* larger = served first */
} hr_tenant;

typedef enum hr_sla_class {
    HR_SLA_LATENCY_SENSITIVE,
    HR_SLA_STANDARD,
    HR_SLA_BATCH,
} hr_sla_class;

typedef struct hr_sla {
    const char *name;
    hr_sla_class cls;
    int32_t priority;     /* larger = served first */
    double quantile;      /* demand quantile to provision for, in (0, 1), e.g. 0.95 */
    double max_violation; /* tolerated fraction of intervals short of demand, [0, 1] */
    bool pin;             /* dedicated (pinned) cores; meant for latency-sensitive */
} hr_sla;

/* ---- the fleet -------------------------------------------------------------------- */

typedef struct hr_fleet_priv hr_fleet_priv;

typedef struct hr_fleet {
    hr_resource *resources;
    size_t nresources;
    hr_site *sites;
    size_t nsites;
    hr_host *hosts;
    size_t nhosts;
    hr_workload *workloads;
    size_t nworkloads;
    hr_service *services;
    size_t nservices;
    hr_tenant *tenants;
    size_t ntenants;
    hr_sla *slas;
    size_t nslas;
    hr_balance *balances;
    size_t nbalances;
    hr_move_weights move_weights;
    /* Directed one-way latency, latency_ms[from * nsites + to], in ms; NaN
     * where unknown, 0 on the diagonal. NULL until the first
     * hr_fleet_set_latency. When latency_symmetric is set, validation
     * requires latency(a, b) == latency(b, a). */
    double *latency_ms;
    bool latency_symmetric;
    /* ROADEF machine move cost, host_move_cost[from * nhosts + to]; NULL
     * means all 0 (read it with hr_fleet_host_move_cost). */
    int32_t *host_move_cost;
    hr_fleet_priv *priv;
} hr_fleet;

/* An empty fleet (move weights 0, latency not symmetric). Free with
 * hr_fleet_free. HR_ENOMEM. */
HR_EXPORT int hr_fleet_new(hr_fleet **out);
/* NULL-safe. */
HR_EXPORT void hr_fleet_free(hr_fleet *f);

/* Adding objects. Each copies `spec` deeply (name, vectors, label arrays,
 * strings) and returns the new id (>= 0), or:
 *   HR_EEXIST  the name is taken (the message names it),
 *   HR_EINVAL  empty/over-long name or control characters in it, a reference
 *              id out of range, a bad enum value, NULL spec,
 *   HR_ELIMIT  a count limit above is reached,
 *   HR_ESTATE  (add_resource) hosts or workloads already exist,
 *   HR_ENOMEM.
 * Values (negative capacities, quantiles, ...) are checked by
 * hr_fleet_validate, not here. Vector fields may be NULL in `spec`:
 * capacity and demand then default to 0, safety to capacity, limit to
 * HR_UNLIMITED. Label arrays are sorted and deduplicated; a service's deps
 * and workloads in `spec` are ignored (use hr_fleet_add_dependency; members
 * come from the workloads' `service`). */
HR_EXPORT int hr_fleet_add_resource(hr_fleet *f, const hr_resource *spec, hr_error *err);
HR_EXPORT int hr_fleet_add_site(hr_fleet *f, const hr_site *spec, hr_error *err);
HR_EXPORT int hr_fleet_add_host(hr_fleet *f, const hr_host *spec, hr_error *err);
HR_EXPORT int hr_fleet_add_workload(hr_fleet *f, const hr_workload *spec, hr_error *err);
HR_EXPORT int hr_fleet_add_service(hr_fleet *f, const hr_service *spec, hr_error *err);
HR_EXPORT int hr_fleet_add_tenant(hr_fleet *f, const hr_tenant *spec, hr_error *err);
HR_EXPORT int hr_fleet_add_sla(hr_fleet *f, const hr_sla *spec, hr_error *err);
/* Service `service` depends on service `on` (ROADEF dependency: every
 * workload of `service` needs one of `on` in its host's neighbourhood).
 * HR_EINVAL for ids out of range or service == on; adding an existing
 * dependency again is a no-op. Returns 0. */
HR_EXPORT int hr_fleet_add_dependency(hr_fleet *f, int32_t service, int32_t on, hr_error *err);
/* Returns the new balance objective's index. HR_ELIMIT, HR_ENOMEM. */
HR_EXPORT int hr_fleet_add_balance(hr_fleet *f, const hr_balance *b, hr_error *err);

/* Id of the object or interned name `name` of `kind`, or HR_ENOTFOUND. */
HR_EXPORT int hr_fleet_find(const hr_fleet *f, hr_kind kind, const char *name);
/* Id of the interned name (HR_KIND_LABEL, _LOCATION, _NEIGHBOURHOOD, _GROUP),
 * adding it if new. HR_EINVAL for other kinds or a bad name, HR_ELIMIT, HR_ENOMEM. */
HR_EXPORT int hr_fleet_intern(hr_fleet *f, hr_kind kind, const char *name, hr_error *err);
/* Number of objects / interned names of `kind` (0 for a bad kind). */
HR_EXPORT size_t hr_fleet_count(const hr_fleet *f, hr_kind kind);
/* Name of id `id` of `kind`, or NULL if out of range. */
HR_EXPORT const char *hr_fleet_name(const hr_fleet *f, hr_kind kind, int32_t id);
/* "host", "workload", ... (the JSON section name without the plural). */
HR_EXPORT const char *hr_kind_name(hr_kind kind);

/* Latency from site `from` to site `to` in ms (directed). The first call
 * allocates the matrix (NaN = unknown, diagonal 0); sites added later are
 * appended with unknown latencies. HR_EINVAL for ids out of range or
 * from == to with ms != 0; values are checked by validate. Returns 0. */
HR_EXPORT int hr_fleet_set_latency(hr_fleet *f, int32_t from, int32_t to, double ms, hr_error *err);
/* Latency in ms; 0 when from == to; NaN when unknown or ids out of range. */
HR_EXPORT double hr_fleet_latency(const hr_fleet *f, int32_t from, int32_t to);

/* ROADEF machine move cost of moving any workload from host `from` to host
 * `to`. The first call allocates the (nhosts x nhosts, zero) matrix; hosts
 * added later get cost 0. HR_EINVAL for ids out of range or from == to with
 * cost != 0, HR_ELIMIT past HR_FLEET_MAX_MOVE_COST_HOSTS hosts. */
HR_EXPORT int hr_fleet_set_host_move_cost(hr_fleet *f, int32_t from, int32_t to, int32_t cost,
                                          hr_error *err);
/* The cost, 0 when no matrix is set or ids are out of range. */
HR_EXPORT int32_t hr_fleet_host_move_cost(const hr_fleet *f, int32_t from, int32_t to);

/* Checks the whole fleet: every reference resolves (or is HR_NONE where
 * allowed), enums are in range, names are set, and values make sense:
 * 0 <= capacity <= HR_FLEET_MAX_AMOUNT, 0 <= safety <= capacity,
 * 0 <= demand <= limit, demand <= the largest capacity of that resource
 * over all hosts (a workload that fits no host), coordinates in range,
 * power figures finite and >= 0 with idle <= max, costs >= 0, SLA quantile
 * in (0, 1) and max_violation in [0, 1], a service depends on neither itself
 * nor an unknown service, latencies NaN or in [0, HR_FLEET_MAX_LATENCY_MS]
 * (symmetric when latency_symmetric), balance resources exist, host move
 * costs >= 0. Returns 0, or HR_EINVAL for the first problem with a message
 * naming the object by its JSON path and name and the field, e.g.
 *     hosts[3].safety.memory: 5 exceeds capacity 4 (host "h3") */
HR_EXPORT int hr_fleet_validate(const hr_fleet *f, hr_error *err);

/* Sum of the demands of the workloads whose current host is `host`, one
 * value per resource, into out[nresources]. HR_EINVAL for a bad host id,
 * HR_ERANGE if a sum overflows int64. */
HR_EXPORT int hr_fleet_host_load(const hr_fleet *f, int32_t host, int64_t *out);
/* All hosts at once: out[host * nresources + r], nhosts * nresources
 * values, in one pass over the workloads. Workloads with a host id out of
 * range are HR_EINVAL. */
HR_EXPORT int hr_fleet_loads(const hr_fleet *f, int64_t *out);

/* Whether host `h` carries every label workload `w` requires. */
HR_EXPORT bool hr_fleet_labels_ok(const hr_fleet *f, int32_t h, int32_t w);

/* Power in watts at CPU utilisation u in [0, 1], as CloudSim's
 * PowerModelSpecPower / PowerModelLinear compute it (same operation order,
 * so results match to the last bit). NaN for HR_POWER_NONE or u outside
 * [0, 1]. */
HR_EXPORT double hr_power_watts(const hr_power_model *pm, double u);

/* ---- JSON (docs/fleet-schema.md) ---------------------------------------------------
 * Loading checks types, units, references and names, then runs
 * hr_fleet_validate. Errors name the input and the JSON path:
 *     fleet.json: hosts[3].capacity.memory: expected an integer number of bytes
 * and syntax errors the line and column: "fleet.json:7:12: ...". Codes:
 * HR_EPARSE (syntax, types, units, missing fields, unknown references),
 * HR_EEXIST (duplicate name), HR_EINVAL (validation), HR_ENOTSUP (another
 * format version), HR_ELIMIT, HR_EIO,
 * HR_ENOMEM. On success *out is a new fleet to free with hr_fleet_free. */
HR_EXPORT int hr_fleet_load_json(const char *path, hr_fleet **out, hr_error *err);
/* The same from memory; `name` labels messages (may be NULL). */
HR_EXPORT int hr_fleet_parse_json(const char *buf, size_t len, const char *name, hr_fleet **out,
                                  hr_error *err);
/* Serialises the fleet (which must validate) into a new NUL-terminated
 * buffer *out (free() it), length in *len (may be NULL). Reals are written
 * with 17 significant digits, so loading gives back the same fleet. */
HR_EXPORT int hr_fleet_dump_json(const hr_fleet *f, char **out, size_t *len, hr_error *err);
/* Writes the JSON to `path` through a temporary file in the same directory,
 * renamed over `path` (atomic). HR_EIO, HR_EINVAL, HR_ENOMEM. */
HR_EXPORT int hr_fleet_save_json(const hr_fleet *f, const char *path, hr_error *err);

/* Parse an amount with an optional unit suffix for a resource of `unit`
 * (e.g. "4GiB", "2500m", "1.5cores", "10Gbit"), as the JSON loader does.
 * A decimal fraction is allowed when the result is a whole number of the
 * base unit. HR_EPARSE (with a message) for a bad number or suffix,
 * HR_ERANGE on overflow. */
HR_EXPORT int hr_parse_amount(const char *s, hr_unit unit, int64_t *out, hr_error *err);

#endif
