/* Trace folders for the twin: PlanetLab (one percentage a line) and NAB CSV
 * files, one VM per file in byte order of the names; and generated fleets. */
#include <headroom/fleet.h>
#include <headroom/series.h>
#include <headroom/sim.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/banned.h"

#define TRACE_MAX_FILE_BYTES ((size_t)64 << 20)
#define TRACE_PATH_MAX       4096

void hr_trace_free(hr_trace *t)
{
    if (!t) return;
    if (t->names)
        for (size_t i = 0; i < t->nvms; i++) free(t->names[i]);
    free(t->names);
    free(t->u);
    hr_fleet_free(t->fleet);
    free(t->vm_mips);
    free(t->vm_ram_mb);
    free(t->vm_bw);
    free(t);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool skip_name(const char *n)
{
    return n[0] == '.' || !strncmp(n, "README", 6);
}

/* The regular files of `dir`, sorted (byte order). */
static int list_files(const char *dir, char ***out, size_t *n, hr_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return hr_error_set(err, HR_EIO, "%s: cannot open the folder", dir);
    char **v = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (skip_name(e->d_name)) continue;
        char path[TRACE_PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path) continue;
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (len == HR_TRACE_MAX_VMS) {
            rc =
                hr_error_set(err, HR_ELIMIT, "%s: more than %d trace files", dir, HR_TRACE_MAX_VMS);
            goto fail;
        }
        if (len == cap) {
            cap = cap ? cap * 2 : 256;
            char **p = realloc(v, cap * sizeof *p);
            if (!p) goto oom;
            v = p;
        }
        if (!(v[len] = strdup(e->d_name))) goto oom;
        len++;
    }
    closedir(d);
    if (!len) {
        free(v);
        return hr_error_set(err, HR_EDATA, "%s: no trace files", dir);
    }
    qsort(v, len, sizeof *v, cmp_str);
    *out = v;
    *n = len;
    return 0;
oom:
    rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", dir);
fail:
    closedir(d);
    for (size_t i = 0; i < len; i++) free(v[i]);
    free(v);
    return rc;
}

static bool first_line_has_comma(const char *buf, size_t len)
{
    for (size_t i = 0; i < len && buf[i] != '\n'; i++)
        if (buf[i] == ',') return true;
    return false;
}

static int read_one(const char *path, hr_series *s, double *step, hr_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = hr_read_file(path, TRACE_MAX_FILE_BYTES, &buf, &len, err);
    if (rc < 0) return rc;
    if (first_line_has_comma(buf, len)) {
        rc = hr_series_parse_csv(buf, len, path, s, err);
        if (rc == 0) {
            *step = (double)s->step;
            if (hr_series_count_gaps(s)) rc = hr_series_fill_gaps(s, HR_FILL_LINEAR, 0, err);
            if (rc < 0) hr_series_release(s);
        }
    } else {
        rc = hr_series_parse_lines(buf, len, path, 0, 300, s, err);
        *step = 300;
    }
    free(buf);
    return rc;
}

/* Read the n files paths[i] (dir/names[i] when dir is set) into t. */
static int read_all(hr_trace *t, const char *dir, char **names, size_t n, hr_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[TRACE_PATH_MAX];
        if (dir && names[i][0] != '/')
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        else
            snprintf(path, sizeof path, "%s", names[i]);
        hr_series s;
        double step;
        if ((rc = read_one(path, &s, &step, err)) < 0) goto fail;
        if (i == 0) {
            if (s.len < 2 || s.len > HR_TRACE_MAX_STEPS) {
                rc = hr_error_set(err, HR_EDATA, "%s: %zu samples (2 to %d needed)", path, s.len,
                                  HR_TRACE_MAX_STEPS);
                hr_series_release(&s);
                goto fail;
            }
            t->nsteps = s.len;
            t->step_s = step;
            t->u = malloc(n * (t->nsteps + 1) * sizeof *t->u);
            if (!t->u) {
                hr_series_release(&s);
                rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", dir);
                goto fail;
            }
        } else if (s.len != t->nsteps || step != t->step_s) {
            rc =
                hr_error_set(err, HR_EDATA, "%s: %zu samples every %.0f s, %s has %zu every %.0f s",
                             path, s.len, step, names[0], t->nsteps, t->step_s);
            hr_series_release(&s);
            goto fail;
        }
        double *u = t->u + i * (t->nsteps + 1);
        for (size_t k = 0; k < s.len; k++) {
            double v = s.values[k];
            if (!(v >= 0 && v <= 100)) {
                rc = hr_error_setpos(err, HR_EDATA, path, (long)k + 1, 1,
                                     "utilisation %g is outside [0, 100] %%", v);
                hr_series_release(&s);
                goto fail;
            }
            u[k] = v / 100.0; /* CloudSim: Integer.valueOf(line) / 100.0 */
        }
        u[s.len] = u[s.len - 1];
        hr_series_release(&s);
    }
    return 0;
fail:
    return rc;
}

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

static int32_t clamp32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* A fleet description: VMs from its workloads, their traces from files. */
static int load_fleet(const char *path, hr_trace **out, hr_error *err)
{
    hr_fleet *f = NULL;
    int rc = hr_fleet_load_json(path, &f, err);
    if (rc < 0) return rc;
    size_t n = f->nworkloads;
    int cpu = find_resource(f, HR_UNIT_MIPS, "cpu");
    int mem = find_resource(f, HR_UNIT_BYTES, "memory");
    int net = find_resource(f, HR_UNIT_BITS_PER_SEC, "network");
    if (!n || !f->nhosts || cpu < 0) {
        hr_fleet_free(f);
        return hr_error_set(err, HR_EDATA,
                            "%s: a fleet to simulate needs hosts, workloads and "
                            "a resource in mips",
                            path);
    }
    hr_trace *t = calloc(1, sizeof *t);
    char dir[TRACE_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    if (!t) {
        hr_fleet_free(f);
        return hr_error_set(err, HR_ENOMEM, "%s: out of memory", path);
    }
    t->fleet = f;
    t->nvms = n;
    t->names = calloc(n, sizeof *t->names);
    t->vm_mips = calloc(n, sizeof *t->vm_mips);
    t->vm_ram_mb = calloc(n, sizeof *t->vm_ram_mb);
    t->vm_bw = calloc(n, sizeof *t->vm_bw);
    char **files = calloc(n, sizeof *files);
    if (!t->names || !t->vm_mips || !t->vm_ram_mb || !t->vm_bw || !files) {
        rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const hr_workload *w = &f->workloads[i];
        if (!w->trace || w->limit[cpu] == HR_UNLIMITED || w->limit[cpu] <= 0) {
            rc = hr_error_set(err, HR_EDATA,
                              "%s: workloads[%zu] (\"%s\") needs a trace and a "
                              "cpu limit in mips",
                              path, i, w->name);
            goto out;
        }
        t->vm_mips[i] = (double)w->limit[cpu];
        t->vm_ram_mb[i] =
            mem >= 0 && w->limit[mem] != HR_UNLIMITED ? clamp32(w->limit[mem] >> 20) : 0;
        t->vm_bw[i] =
            net >= 0 && w->limit[net] != HR_UNLIMITED ? clamp32(w->limit[net] / 1000) : 100000;
        files[i] = (char *)w->trace;
        if (!(t->names[i] = strdup(w->name))) {
            rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", path);
            goto out;
        }
    }
    rc = read_all(t, dir, files, n, err);
out:
    free(files);
    if (rc < 0) {
        hr_trace_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int hr_trace_load(const char *dir, hr_trace **out, hr_error *err)
{
    struct stat st;
    if (dir && stat(dir, &st) == 0 && S_ISREG(st.st_mode)) return load_fleet(dir, out, err);
    char **names = NULL;
    size_t n = 0;
    int rc = list_files(dir, &names, &n, err);
    if (rc < 0) return rc;
    hr_trace *t = calloc(1, sizeof *t);
    if (!t) {
        for (size_t i = 0; i < n; i++) free(names[i]);
        free(names);
        return hr_error_set(err, HR_ENOMEM, "%s: out of memory", dir);
    }
    t->names = names;
    t->nvms = n;
    if ((rc = read_all(t, dir, names, n, err)) < 0) {
        hr_trace_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- generated fleets ----------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double unif(uint64_t *s)
{
    return (double)(splitmix(s) >> 11) * 0x1.0p-53;
}

int hr_trace_generate(size_t nvms, size_t nsteps, uint64_t seed, hr_trace **out, hr_error *err)
{
    if (!nvms || nvms > HR_TRACE_MAX_VMS || nsteps < 2 || nsteps > HR_TRACE_MAX_STEPS)
        return hr_error_set(err, HR_EINVAL, "generate: %zu VMs x %zu steps is out of range", nvms,
                            nsteps);
    hr_trace *t = calloc(1, sizeof *t);
    if (!t) return hr_error_set(err, HR_ENOMEM, "generate: out of memory");
    t->nvms = nvms;
    t->nsteps = nsteps;
    t->step_s = 300;
    t->u = malloc(nvms * (nsteps + 1) * sizeof *t->u);
    t->names = calloc(nvms, sizeof *t->names);
    if (!t->u || !t->names) {
        hr_trace_free(t);
        return hr_error_set(err, HR_ENOMEM, "generate: out of memory");
    }
    uint64_t s = seed ? seed : 42;
    for (size_t i = 0; i < nvms; i++) {
        char name[32];
        snprintf(name, sizeof name, "vm%06zu", i);
        if (!(t->names[i] = strdup(name))) {
            hr_trace_free(t);
            return hr_error_set(err, HR_ENOMEM, "generate: out of memory");
        }
        double base = 0.02 + 0.2 * unif(&s) * unif(&s) * 2;
        double amp = 0.5 * base * unif(&s), phase = unif(&s) * 6.283185307179586;
        /* about half the VMs stop during the day, as in PlanetLab */
        size_t stop = unif(&s) < 0.5 ? (size_t)(unif(&s) * (double)nsteps) : nsteps + 1;
        double *u = t->u + i * (nsteps + 1);
        double burst = 0;
        for (size_t k = 0; k < nsteps; k++) {
            if (k >= stop) {
                u[k] = 0;
                continue;
            }
            if (unif(&s) < 0.01) burst = 0.3 + 0.5 * unif(&s);
            burst *= 0.7;
            double day = sin(6.283185307179586 * (double)k / 288.0 + phase);
            double v = base + amp * day + 0.05 * (unif(&s) - 0.5) + burst;
            v = floor(fmin(0.99, fmax(0.01, v)) * 100) / 100; /* whole percent, like PlanetLab */
            u[k] = v;
        }
        u[nsteps] = u[nsteps - 1];
    }
    *out = t;
    return 0;
}
