/* cgroup driver: v1 and v2 per controller, detected from /proc/self/mountinfo
 * and /proc/self/cgroup; groups under a parent below the process's own
 * cgroup in each hierarchy. */
#include <headroom/act.h>
#include <headroom/util.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/banned.h"

#define CG_PATH_MAX 1024
#define CG_NAME_MAX 64

typedef struct cg_ctl {
    int version;            /* 0 missing, 1, 2 */
    char base[CG_PATH_MAX]; /* mount point + own path + "/" + parent */
    char own[CG_PATH_MAX];  /* mount point + own path */
} cg_ctl;

struct hr_cgroup_sys {
    char parent[CG_NAME_MAX + 1];
    cg_ctl c[HR_CG_CTL_COUNT_];
};

/* v1 hierarchy names of each controller. */
static const char *const v1_names[HR_CG_CTL_COUNT_] = {"cpu",    "cpuacct", "cpuset",
                                                       "memory", "pids",    "blkio"};
/* v2 names (cpuacct is part of cpu on v2). */
static const char *const v2_names[HR_CG_CTL_COUNT_] = {"cpu",    "cpu",  "cpuset",
                                                       "memory", "pids", "io"};

/* snprintf that GCC does not second-guess; truncation is reported by the
 * kernel as a missing file, and every path has room for the longest name. */
static void pathf(char *buf, size_t size, const char *fmt, ...) HR_PRINTF(3, 4);
static void pathf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

void hr_cgroup_limits_init(hr_cgroup_limits *l)
{
    memset(l, 0, sizeof *l);
    l->cpu_quota_usec = l->cpu_period_usec = l->cpu_weight = HR_CG_UNSET;
    l->mem_max = l->mem_high = l->mem_low = l->pids_max = HR_CG_UNSET;
    l->io_rbps = l->io_wbps = HR_CG_UNSET;
}

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > CG_NAME_MAX || !strcmp(s, ".") || !strcmp(s, "..")) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

static int io_err(hr_error *err, const char *path, const char *what, int e)
{
    hr_error_set(err, HR_EIO, "%s: %s: %s", path, what, strerror(e));
    if (err) err->sys_errno = e;
    return HR_EIO;
}

static int write_file(const char *path, const char *val, hr_error *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return io_err(err, path, "cannot open", errno);
    size_t n = strlen(val);
    ssize_t w = write(fd, val, n);
    int e = errno;
    close(fd);
    if (w != (ssize_t)n) return io_err(err, path, "cannot write", w < 0 ? e : EIO);
    return 0;
}

/* Read a small file, trailing newline stripped. */
static int read_file(const char *path, char *buf, size_t size, hr_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_err(err, path, "cannot open", errno);
    ssize_t r = read(fd, buf, size - 1);
    int e = errno;
    close(fd);
    if (r < 0) return io_err(err, path, "cannot read", e);
    buf[r] = 0;
    while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' ')) buf[--r] = 0;
    return 0;
}

/* "/proc/self/cgroup": the path of controller `name` (v1) or the v2 path. */
static int own_paths(char v1[HR_CG_CTL_COUNT_][CG_PATH_MAX], char *v2, hr_error *err)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f) return io_err(err, "/proc/self/cgroup", "cannot open", errno);
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) continue;
        *c2 = 0;
        const char *ctls = c1 + 1, *path = c2 + 1;
        if (!*ctls) {
            snprintf(v2, CG_PATH_MAX, "%s", path);
            continue;
        }
        for (int i = 0; i < HR_CG_CTL_COUNT_; i++) {
            size_t k = strlen(v1_names[i]);
            for (const char *p = ctls; (p = strstr(p, v1_names[i])); p += k)
                if ((p == ctls || p[-1] == ',') && (p[k] == 0 || p[k] == ','))
                    snprintf(v1[i], CG_PATH_MAX, "%s", path);
        }
    }
    fclose(f);
    return 0;
}

static bool has_opt(const char *opts, const char *name)
{
    size_t k = strlen(name);
    for (const char *p = opts; (p = strstr(p, name)); p += k)
        if ((p == opts || p[-1] == ',') && (p[k] == 0 || p[k] == ',')) return true;
    return false;
}

static void set_ctl(cg_ctl *c, int ver, const char *mnt, const char *root, const char *own,
                    const char *parent)
{
    /* Own path is relative to the hierarchy root; strip the mount's root. */
    size_t rl = strlen(root);
    if (strcmp(root, "/") && !strncmp(own, root, rl)) own += rl;
    if (!strcmp(own, "/")) own = "";
    c->version = ver;
    pathf(c->own, sizeof c->own, "%s%s", mnt, own);
    pathf(c->base, sizeof c->base, "%s/%s", c->own, parent);
}

static int detect(hr_cgroup_sys *s, hr_error *err)
{
    char v1own[HR_CG_CTL_COUNT_][CG_PATH_MAX] = {{0}}, v2own[CG_PATH_MAX] = "";
    int rc = own_paths(v1own, v2own, err);
    if (rc) return rc;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return io_err(err, "/proc/self/mountinfo", "cannot open", errno);
    char line[4096], v2mnt[CG_PATH_MAX] = "", v2root[CG_PATH_MAX] = "";
    while (fgets(line, sizeof line, f)) {
        /* id parent maj:min root mountpoint opts ... - fstype source superopts */
        char root[CG_PATH_MAX], mnt[CG_PATH_MAX], fstype[64], src[256], sopts[1024];
        char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2) continue;
        if (sscanf(dash + 3, "%63s %255s %1023s", fstype, src, sopts) != 3) continue;
        if (!strcmp(fstype, "cgroup")) {
            for (int i = 0; i < HR_CG_CTL_COUNT_; i++)
                if (!s->c[i].version && has_opt(sopts, v1_names[i]) && v1own[i][0])
                    set_ctl(&s->c[i], 1, mnt, root, v1own[i], s->parent);
        } else if (!strcmp(fstype, "cgroup2") && !v2mnt[0]) {
            snprintf(v2mnt, sizeof v2mnt, "%s", mnt);
            snprintf(v2root, sizeof v2root, "%s", root);
        }
    }
    fclose(f);
    if (v2mnt[0] && v2own[0]) {
        char path[CG_PATH_MAX + 32], ctls[512] = "";
        pathf(path, sizeof path, "%s/cgroup.controllers", v2mnt);
        if (read_file(path, ctls, sizeof ctls, NULL) == 0) {
            for (char *p = ctls; *p; p++)
                if (*p == ' ') *p = ',';
            for (int i = 0; i < HR_CG_CTL_COUNT_; i++)
                if (!s->c[i].version && has_opt(ctls, v2_names[i]))
                    set_ctl(&s->c[i], 2, v2mnt, v2root, v2own, s->parent);
        }
    }
    for (int i = 0; i < HR_CG_CTL_COUNT_; i++)
        if (s->c[i].version) return 0;
    return hr_error_set(err, HR_ENOTSUP, "cgroups: no controller is mounted");
}

static int make_dir(const char *path, hr_error *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) return io_err(err, path, "cannot create", errno);
    return 0;
}

/* A new v1 cpuset group starts empty: copy its parent's cpus and mems. */
static int cpuset_inherit(const char *dir, hr_error *err)
{
    static const char *const knobs[] = {"cpuset.cpus", "cpuset.mems"};
    for (int k = 0; k < 2; k++) {
        char path[CG_PATH_MAX + 64], up[CG_PATH_MAX + 64], val[256] = "";
        pathf(path, sizeof path, "%s/%s", dir, knobs[k]);
        int rc = read_file(path, val, sizeof val, err);
        if (rc) return rc;
        if (val[0]) continue;
        pathf(up, sizeof up, "%s/../%s", dir, knobs[k]);
        if ((rc = read_file(up, val, sizeof val, err)) || (rc = write_file(path, val, err)))
            return rc;
    }
    return 0;
}

/* v2: enable the controllers below `dir` (best effort: a group with
 * processes of its own cannot, which leaves the controller unusable below). */
static void v2_enable(const hr_cgroup_sys *s, const char *dir)
{
    char path[CG_PATH_MAX + 32];
    pathf(path, sizeof path, "%s/cgroup.subtree_control", dir);
    for (int i = 0; i < HR_CG_CTL_COUNT_; i++) {
        if (s->c[i].version != 2 || i == HR_CG_CPUACCT) continue;
        char val[32];
        snprintf(val, sizeof val, "+%s", v2_names[i]);
        write_file(path, val, NULL);
    }
}

static int create_in(hr_cgroup_sys *s, const char *group, hr_error *err)
{
    bool v2done = false;
    for (int i = 0; i < HR_CG_CTL_COUNT_; i++) {
        cg_ctl *c = &s->c[i];
        if (!c->version || (c->version == 2 && v2done)) continue;
        char dir[CG_PATH_MAX + CG_NAME_MAX + 2];
        if (group)
            pathf(dir, sizeof dir, "%s/%s", c->base, group);
        else
            pathf(dir, sizeof dir, "%s", c->base);
        if (c->version == 2 && !group) v2_enable(s, c->own);
        int rc = make_dir(dir, err);
        if (!rc && c->version == 1 && i == HR_CG_CPUSET) rc = cpuset_inherit(dir, err);
        if (rc) return rc;
        if (c->version == 2) {
            if (!group) v2_enable(s, dir);
            v2done = true;
        }
    }
    return 0;
}

int hr_cgroup_open(const char *parent, hr_cgroup_sys **out, hr_error *err)
{
    if (!out || !name_ok(parent))
        return hr_error_set(err, HR_EINVAL, "cgroups: \"%s\" is not a valid group name",
                            parent ? parent : "");
    hr_cgroup_sys *s = calloc(1, sizeof *s);
    if (!s) return hr_error_set(err, HR_ENOMEM, "cgroups: out of memory");
    snprintf(s->parent, sizeof s->parent, "%s", parent);
    int rc = detect(s, err);
    if (!rc) rc = create_in(s, NULL, err);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void hr_cgroup_close(hr_cgroup_sys *s)
{
    free(s);
}

int hr_cgroup_version(const hr_cgroup_sys *s, hr_cg_ctl c)
{
    return s && (unsigned)c < HR_CG_CTL_COUNT_ ? s->c[c].version : 0;
}

int hr_cgroup_dir(const hr_cgroup_sys *s, hr_cg_ctl c, const char *group, char *buf, size_t size)
{
    if (!hr_cgroup_version(s, c)) return HR_ENOTSUP;
    int n = group ? snprintf(buf, size, "%s/%s", s->c[c].base, group)
                  : snprintf(buf, size, "%s", s->c[c].base);
    return n < 0 || (size_t)n >= size ? HR_ERANGE : 0;
}

int hr_cgroup_create(hr_cgroup_sys *s, const char *group, hr_error *err)
{
    if (!s || !name_ok(group))
        return hr_error_set(err, HR_EINVAL, "cgroups: \"%s\" is not a valid group name",
                            group ? group : "");
    return create_in(s, group, err);
}

int hr_cgroup_remove(hr_cgroup_sys *s, const char *group, hr_error *err)
{
    if (!s || (group && !name_ok(group)))
        return hr_error_set(err, HR_EINVAL, "cgroups: \"%s\" is not a valid group name",
                            group ? group : "");
    for (int i = 0; i < HR_CG_CTL_COUNT_; i++) {
        char dir[CG_PATH_MAX + CG_NAME_MAX + 2];
        if (hr_cgroup_dir(s, (hr_cg_ctl)i, group, dir, sizeof dir)) continue;
        if (rmdir(dir) != 0 && errno != ENOENT) return io_err(err, dir, "cannot remove", errno);
    }
    return 0;
}

/* ---- knobs ---------------------------------------------------------------------- */

static int knob_path(hr_cgroup_sys *s, hr_cg_ctl c, const char *group, const char *file, char *buf,
                     size_t size, hr_error *err)
{
    if (!s->c[c].version)
        return hr_error_set(err, HR_ENOTSUP, "cgroups: no %s controller here (for %s)", v1_names[c],
                            file);
    int n = group ? snprintf(buf, size, "%s/%s/%s", s->c[c].base, group, file)
                  : snprintf(buf, size, "%s/%s", s->c[c].base, file);
    return n < 0 || (size_t)n >= size ? hr_error_set(err, HR_ERANGE, "cgroups: path too long") : 0;
}

static int put(hr_cgroup_sys *s, hr_cg_ctl c, const char *group, const char *file, const char *val,
               hr_error *err)
{
    char path[CG_PATH_MAX + 2 * CG_NAME_MAX];
    int rc = knob_path(s, c, group, file, path, sizeof path, err);
    return rc ? rc : write_file(path, val, err);
}

static int get(hr_cgroup_sys *s, hr_cg_ctl c, const char *group, const char *file, char *val,
               size_t size, hr_error *err)
{
    char path[CG_PATH_MAX + 2 * CG_NAME_MAX];
    int rc = knob_path(s, c, group, file, path, sizeof path, err);
    return rc ? rc : read_file(path, val, size, err);
}

static void fmt_max(char *buf, size_t n, int64_t v, int ver)
{
    if (v == HR_CG_MAX)
        snprintf(buf, n, "%s", ver == 1 ? "-1" : "max");
    else
        snprintf(buf, n, "%lld", (long long)v);
}

static int64_t parse_max(const char *s)
{
    int64_t v;
    if (!strcmp(s, "max") || !strcmp(s, "-1")) return HR_CG_MAX;
    return hr_parse_int64_z(s, &v) == 0 ? v : HR_CG_UNSET;
}

static int set_cpu(hr_cgroup_sys *s, const char *g, const hr_cgroup_limits *l, hr_error *err)
{
    int rc = 0, ver = s->c[HR_CG_CPU].version;
    char v[64];
    if (ver == 1) {
        if (l->cpu_period_usec != HR_CG_UNSET) {
            snprintf(v, sizeof v, "%lld", (long long)l->cpu_period_usec);
            /* A quota larger than the new period is fine in v1 either way. */
            if ((rc = put(s, HR_CG_CPU, g, "cpu.cfs_period_us", v, err))) return rc;
        }
        if (l->cpu_quota_usec != HR_CG_UNSET) {
            fmt_max(v, sizeof v, l->cpu_quota_usec, 1);
            if ((rc = put(s, HR_CG_CPU, g, "cpu.cfs_quota_us", v, err))) return rc;
        }
        if (l->cpu_weight != HR_CG_UNSET) {
            snprintf(v, sizeof v, "%lld", (long long)((l->cpu_weight * 1024 + 50) / 100));
            rc = put(s, HR_CG_CPU, g, "cpu.shares", v, err);
        }
        return rc;
    }
    if (l->cpu_quota_usec != HR_CG_UNSET || l->cpu_period_usec != HR_CG_UNSET) {
        int64_t q = l->cpu_quota_usec, p = l->cpu_period_usec;
        if (q == HR_CG_UNSET || p == HR_CG_UNSET) {
            char cur[64] = "";
            if ((rc = get(s, HR_CG_CPU, g, "cpu.max", cur, sizeof cur, err))) return rc;
            char *sp = strchr(cur, ' ');
            if (sp) *sp++ = 0;
            if (q == HR_CG_UNSET) q = parse_max(cur);
            if (p == HR_CG_UNSET && (!sp || hr_parse_int64_z(sp, &p))) p = 100000;
        }
        char qs[32];
        fmt_max(qs, sizeof qs, q, 2);
        snprintf(v, sizeof v, "%s %lld", qs, (long long)p);
        if ((rc = put(s, HR_CG_CPU, g, "cpu.max", v, err))) return rc;
    }
    if (l->cpu_weight != HR_CG_UNSET) {
        snprintf(v, sizeof v, "%lld", (long long)l->cpu_weight);
        rc = put(s, HR_CG_CPU, g, "cpu.weight", v, err);
    }
    return rc;
}

static int set_mem(hr_cgroup_sys *s, const char *g, const hr_cgroup_limits *l, hr_error *err)
{
    int rc = 0, ver = s->c[HR_CG_MEMORY].version;
    char v[64];
    struct {
        int64_t val;
        const char *v1, *v2;
    } k[] = {{l->mem_max, "memory.limit_in_bytes", "memory.max"},
             {l->mem_high, NULL, "memory.high"},
             {l->mem_low, "memory.soft_limit_in_bytes", "memory.low"}};
    for (size_t i = 0; i < 3 && !rc; i++) {
        if (k[i].val == HR_CG_UNSET) continue;
        const char *file = ver == 1 ? k[i].v1 : k[i].v2;
        if (!file)
            return hr_error_set(err, HR_ENOTSUP,
                                "cgroups: memory.high has no cgroup v1 equivalent");
        fmt_max(v, sizeof v, k[i].val, ver);
        rc = put(s, HR_CG_MEMORY, g, file, v, err);
    }
    return rc;
}

static int set_io(hr_cgroup_sys *s, const char *g, const hr_cgroup_limits *l, hr_error *err)
{
    if (!l->io_dev[0] || (l->io_rbps == HR_CG_UNSET && l->io_wbps == HR_CG_UNSET)) return 0;
    char v[96];
    if (s->c[HR_CG_IO].version == 2) {
        char r[32] = "", w[32] = "";
        if (l->io_rbps != HR_CG_UNSET) fmt_max(r, sizeof r, l->io_rbps, 2);
        if (l->io_wbps != HR_CG_UNSET) fmt_max(w, sizeof w, l->io_wbps, 2);
        snprintf(v, sizeof v, "%s%s%s%s%s", l->io_dev, r[0] ? " rbps=" : "", r,
                 w[0] ? " wbps=" : "", w);
        return put(s, HR_CG_IO, g, "io.max", v, err);
    }
    int rc = 0;
    if (l->io_rbps != HR_CG_UNSET) {
        snprintf(v, sizeof v, "%s %lld", l->io_dev, (long long)(l->io_rbps < 0 ? 0 : l->io_rbps));
        rc = put(s, HR_CG_IO, g, "blkio.throttle.read_bps_device", v, err);
    }
    if (!rc && l->io_wbps != HR_CG_UNSET) {
        snprintf(v, sizeof v, "%s %lld", l->io_dev, (long long)(l->io_wbps < 0 ? 0 : l->io_wbps));
        rc = put(s, HR_CG_IO, g, "blkio.throttle.write_bps_device", v, err);
    }
    return rc;
}

static int check_limits(const hr_cgroup_limits *l, hr_error *err)
{
    if (l->cpu_period_usec != HR_CG_UNSET &&
        (l->cpu_period_usec < 1000 || l->cpu_period_usec > 1000000))
        return hr_error_set(err, HR_EINVAL, "cgroups: cpu_period_usec %lld outside 1000..1000000",
                            (long long)l->cpu_period_usec);
    if (l->cpu_quota_usec != HR_CG_UNSET && l->cpu_quota_usec != HR_CG_MAX &&
        l->cpu_quota_usec < 1000)
        return hr_error_set(err, HR_EINVAL, "cgroups: cpu_quota_usec %lld below 1000",
                            (long long)l->cpu_quota_usec);
    if (l->cpu_weight != HR_CG_UNSET && (l->cpu_weight < 1 || l->cpu_weight > 10000))
        return hr_error_set(err, HR_EINVAL, "cgroups: cpu_weight %lld outside 1..10000",
                            (long long)l->cpu_weight);
    const int64_t *v[] = {&l->mem_max, &l->mem_high, &l->mem_low, &l->pids_max};
    for (size_t i = 0; i < 4; i++)
        if (*v[i] != HR_CG_UNSET && *v[i] != HR_CG_MAX && *v[i] < 0)
            return hr_error_set(err, HR_EINVAL, "cgroups: negative limit %lld", (long long)*v[i]);
    return 0;
}

int hr_cgroup_set(hr_cgroup_sys *s, const char *group, const hr_cgroup_limits *l, hr_error *err)
{
    if (!s || !l || (group && !name_ok(group)))
        return hr_error_set(err, HR_EINVAL, "cgroups: \"%s\" is not a valid group name",
                            group ? group : "");
    int rc = check_limits(l, err);
    if (rc) return rc;
    if (l->cpu_quota_usec != HR_CG_UNSET || l->cpu_period_usec != HR_CG_UNSET ||
        l->cpu_weight != HR_CG_UNSET) {
        if (!s->c[HR_CG_CPU].version)
            return hr_error_set(err, HR_ENOTSUP, "cgroups: no cpu controller here");
        if ((rc = set_cpu(s, group, l, err))) return rc;
    }
    if (l->mems[0] && (rc = put(s, HR_CG_CPUSET, group, "cpuset.mems", l->mems, err))) return rc;
    if (l->cpus[0] && (rc = put(s, HR_CG_CPUSET, group, "cpuset.cpus", l->cpus, err))) return rc;
    if (l->mem_max != HR_CG_UNSET || l->mem_high != HR_CG_UNSET || l->mem_low != HR_CG_UNSET) {
        if (!s->c[HR_CG_MEMORY].version)
            return hr_error_set(err, HR_ENOTSUP, "cgroups: no memory controller here");
        if ((rc = set_mem(s, group, l, err))) return rc;
    }
    if (l->pids_max != HR_CG_UNSET) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)l->pids_max);
        if (l->pids_max == HR_CG_MAX) snprintf(v, sizeof v, "max");
        if ((rc = put(s, HR_CG_PIDS, group, "pids.max", v, err))) return rc;
    }
    return set_io(s, group, l, err);
}

static int64_t read_num(hr_cgroup_sys *s, hr_cg_ctl c, const char *g, const char *file)
{
    char v[64];
    if (!s->c[c].version || get(s, c, g, file, v, sizeof v, NULL)) return HR_CG_UNSET;
    return parse_max(v);
}

/* v1 reports "no limit" as a huge page-rounded number. */
static int64_t v1_mem(int64_t v)
{
    return v >= (INT64_C(1) << 62) ? HR_CG_MAX : v;
}

/* The number (or "max") at p, up to the next space. */
static int64_t word_max(const char *p)
{
    char w[32];
    size_t k = strcspn(p, " ");
    snprintf(w, sizeof w, "%.*s", (int)(k < 31 ? k : 31), p);
    return parse_max(w);
}

static void get_io(hr_cgroup_sys *s, const char *g, hr_cgroup_limits *o)
{
    char v[256] = "";
    if (s->c[HR_CG_IO].version == 2) {
        if (get(s, HR_CG_IO, g, "io.max", v, sizeof v, NULL) || !v[0]) return;
        char *sp = strchr(v, ' ');
        if (!sp) return;
        *sp = 0;
        snprintf(o->io_dev, sizeof o->io_dev, "%.23s", v);
        char *r = strstr(sp + 1, "rbps="), *w = strstr(sp + 1, "wbps=");
        if (r) o->io_rbps = word_max(r + 5);
        if (w) o->io_wbps = word_max(w + 5);
        return;
    }
    static const char *const files[2] = {"blkio.throttle.read_bps_device",
                                         "blkio.throttle.write_bps_device"};
    for (int k = 0; k < 2; k++) {
        if (get(s, HR_CG_IO, g, files[k], v, sizeof v, NULL) || !v[0]) continue;
        char *sp = strchr(v, ' ');
        if (!sp) continue;
        *sp = 0;
        snprintf(o->io_dev, sizeof o->io_dev, "%.23s", v);
        int64_t x;
        if (hr_parse_int64_z(sp + 1, &x) == 0) *(k ? &o->io_wbps : &o->io_rbps) = x;
    }
}

int hr_cgroup_get(hr_cgroup_sys *s, const char *group, hr_cgroup_limits *out, hr_error *err)
{
    if (!s || !out || (group && !name_ok(group)))
        return hr_error_set(err, HR_EINVAL, "cgroups: \"%s\" is not a valid group name",
                            group ? group : "");
    char dir[CG_PATH_MAX + CG_NAME_MAX + 2];
    for (int i = 0; i < HR_CG_CTL_COUNT_; i++) {
        if (hr_cgroup_dir(s, (hr_cg_ctl)i, group, dir, sizeof dir)) continue;
        struct stat st;
        if (stat(dir, &st) != 0)
            return hr_error_set(err, HR_ENOTFOUND, "cgroups: no group \"%s\" (%s)", group, dir);
    }
    hr_cgroup_limits l;
    hr_cgroup_limits_init(&l);
    if (s->c[HR_CG_CPU].version == 1) {
        l.cpu_quota_usec = read_num(s, HR_CG_CPU, group, "cpu.cfs_quota_us");
        l.cpu_period_usec = read_num(s, HR_CG_CPU, group, "cpu.cfs_period_us");
        int64_t sh = read_num(s, HR_CG_CPU, group, "cpu.shares");
        if (sh != HR_CG_UNSET) l.cpu_weight = (sh * 100 + 512) / 1024;
    } else if (s->c[HR_CG_CPU].version == 2) {
        char v[64] = "";
        if (!get(s, HR_CG_CPU, group, "cpu.max", v, sizeof v, NULL)) {
            char *sp = strchr(v, ' ');
            if (sp) {
                *sp++ = 0;
                hr_parse_int64_z(sp, &l.cpu_period_usec);
            }
            l.cpu_quota_usec = parse_max(v);
        }
        l.cpu_weight = read_num(s, HR_CG_CPU, group, "cpu.weight");
    }
    if (s->c[HR_CG_CPUSET].version) {
        get(s, HR_CG_CPUSET, group, "cpuset.cpus", l.cpus, sizeof l.cpus, NULL);
        get(s, HR_CG_CPUSET, group, "cpuset.mems", l.mems, sizeof l.mems, NULL);
    }
    if (s->c[HR_CG_MEMORY].version == 1) {
        l.mem_max = v1_mem(read_num(s, HR_CG_MEMORY, group, "memory.limit_in_bytes"));
        l.mem_low = v1_mem(read_num(s, HR_CG_MEMORY, group, "memory.soft_limit_in_bytes"));
    } else if (s->c[HR_CG_MEMORY].version == 2) {
        l.mem_max = read_num(s, HR_CG_MEMORY, group, "memory.max");
        l.mem_high = read_num(s, HR_CG_MEMORY, group, "memory.high");
        l.mem_low = read_num(s, HR_CG_MEMORY, group, "memory.low");
    }
    l.pids_max = read_num(s, HR_CG_PIDS, group, "pids.max");
    get_io(s, group, &l);
    *out = l;
    return 0;
}

int hr_cgroup_attach(hr_cgroup_sys *s, const char *group, pid_t pid, hr_error *err)
{
    if (!s || !name_ok(group) || pid <= 0)
        return hr_error_set(err, HR_EINVAL, "cgroups: bad group or pid");
    char v[32];
    snprintf(v, sizeof v, "%d", (int)pid);
    bool v2done = false;
    for (int i = 0; i < HR_CG_CTL_COUNT_; i++) {
        if (!s->c[i].version || (s->c[i].version == 2 && v2done)) continue;
        int rc = put(s, (hr_cg_ctl)i, group, "cgroup.procs", v, err);
        if (rc) return rc;
        v2done |= s->c[i].version == 2;
    }
    return 0;
}

int hr_cgroup_evacuate(hr_cgroup_sys *s, const char *group, hr_error *err)
{
    if (!s || !name_ok(group)) return hr_error_set(err, HR_EINVAL, "cgroups: bad group");
    int moved = 0;
    bool v2done = false;
    for (int i = 0; i < HR_CG_CTL_COUNT_; i++) {
        cg_ctl *c = &s->c[i];
        if (!c->version || (c->version == 2 && v2done)) continue;
        v2done |= c->version == 2;
        char path[CG_PATH_MAX + 2 * CG_NAME_MAX], to[CG_PATH_MAX + 32], line[32];
        pathf(path, sizeof path, "%s/%s/cgroup.procs", c->base, group);
        pathf(to, sizeof to, "%s/cgroup.procs", c->own);
        FILE *f = fopen(path, "re");
        if (!f) continue;
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            if (write_file(to, line, err) == 0) moved++;
        }
        fclose(f);
    }
    return moved;
}

int hr_cgroup_read_usage(hr_cgroup_sys *s, const char *group, hr_cgroup_usage *out, hr_error *err)
{
    if (!s || !out || !name_ok(group)) return hr_error_set(err, HR_EINVAL, "cgroups: bad group");
    hr_cgroup_usage u = {HR_CG_UNSET, HR_CG_UNSET, HR_CG_UNSET};
    if (s->c[HR_CG_CPUACCT].version == 1) {
        int64_t ns = read_num(s, HR_CG_CPUACCT, group, "cpuacct.usage");
        if (ns != HR_CG_UNSET) u.cpu_usec = ns / 1000;
    } else if (s->c[HR_CG_CPU].version == 2) {
        char v[1024] = "";
        if (!get(s, HR_CG_CPU, group, "cpu.stat", v, sizeof v, NULL)) {
            const char *p = strstr(v, "usage_usec ");
            if (p) {
                char num[32];
                size_t k = strspn(p + 11, "0123456789");
                snprintf(num, sizeof num, "%.*s", (int)(k < 31 ? k : 31), p + 11);
                hr_parse_int64_z(num, &u.cpu_usec);
            }
        }
    }
    u.mem_bytes =
        read_num(s, HR_CG_MEMORY, group,
                 s->c[HR_CG_MEMORY].version == 1 ? "memory.usage_in_bytes" : "memory.current");
    u.pids = read_num(s, HR_CG_PIDS, group, "pids.current");
    if (u.cpu_usec == HR_CG_UNSET && u.mem_bytes == HR_CG_UNSET && u.pids == HR_CG_UNSET)
        return hr_error_set(err, HR_ENOTFOUND, "cgroups: no usage for group \"%s\"", group);
    *out = u;
    return 0;
}

bool hr_cgroup_supports(const hr_cgroup_sys *s, const char *field)
{
    if (!s || !field) return false;
    if (!strncmp(field, "cpu_", 4)) return s->c[HR_CG_CPU].version != 0;
    if (!strcmp(field, "cpus") || !strcmp(field, "mems")) return s->c[HR_CG_CPUSET].version != 0;
    if (!strcmp(field, "mem_high")) return s->c[HR_CG_MEMORY].version == 2;
    if (!strncmp(field, "mem_", 4)) return s->c[HR_CG_MEMORY].version != 0;
    if (!strcmp(field, "pids_max")) return s->c[HR_CG_PIDS].version != 0;
    if (!strncmp(field, "io_", 3)) return s->c[HR_CG_IO].version != 0;
    return false;
}
