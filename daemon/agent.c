/* `headroom agent`: a host's real CPU, memory and network, per cgroup and
 * per QEMU process, from /proc and the cgroup files, pushed to the daemon
 * as line protocol every interval (or printed with --print).
 *
 * Each round takes a snapshot, sleeps the interval, takes another and sends
 * rates over that interval:
 *   host,host=H  cpu_percent, mem_total_bytes, mem_available_bytes, mem_used_bytes
 *   net,host=H,dev=D  rx_bytes_per_sec, tx_bytes_per_sec       (lo skipped)
 *   cgroup,host=H,cgroup=PATH  cpu_cores, mem_bytes            (v2, or v1 cpuacct+memory)
 *   qemu,host=H,pid=P,name=COMM  cpu_cores, rss_bytes          (qemu-system-*, qemu-kvm)
 * Batches the daemon did not acknowledge are sent again with the next one
 * (the daemon skips what it already has), up to 8 MiB. */
#include "daemon/server.h"

#include <curl/curl.h>
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ITEMS   2048
#define PENDING_MAX (8u << 20)

typedef struct item {
    char name[160]; /* interface, cgroup path or pid */
    char extra[64]; /* qemu: comm */
    double a, b;    /* counters (rx/tx bytes, cpu ns/ticks) */
    double gauge;   /* memory */
} item;

typedef struct snap {
    double at; /* hr_clock_sec */
    double cpu_total, cpu_idle;
    double mem_total, mem_avail;
    item net[64];
    size_t nnet;
    item *cg; /* [MAX_ITEMS] */
    size_t ncg;
    item qemu[256];
    size_t nqemu;
} snap;

typedef struct agent {
    const char *proc, *cgroup, *url, *token, *host;
    double interval;
    long ticks;
    long page;
} agent;

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static char *slurp(const char *dir, const char *rel)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof path) return NULL;
    char *buf = NULL;
    if (hr_read_file(path, 8u << 20, &buf, NULL, NULL) < 0) return NULL;
    return buf;
}

static bool read_number(const char *dir, const char *rel, double *out)
{
    char *s = slurp(dir, rel);
    if (!s) return false;
    size_t n = strcspn(s, "\n");
    uint64_t v;
    bool ok = hr_parse_uint64(s, n, &v) == 0;
    if (ok) *out = (double)v;
    free(s);
    return ok;
}

/* Whitespace-separated field k (0-based) of a line, as a double. */
static bool field(const char *line, int k, double *out)
{
    const char *p = line;
    for (int i = 0; i <= k; i++) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '\n') return false;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\t' && *e != '\n') e++;
        if (i == k) {
            uint64_t v;
            if (hr_parse_uint64(p, (size_t)(e - p), &v) < 0) return false;
            *out = (double)v;
            return true;
        }
        p = e;
    }
    return false;
}

static void read_host(const agent *a, snap *s)
{
    char *st = slurp(a->proc, "stat");
    if (st && !strncmp(st, "cpu ", 4)) {
        double v[8] = {0};
        for (int k = 0; k < 8; k++) field(st + 4, k, &v[k]);
        s->cpu_total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
        s->cpu_idle = v[3] + v[4];
    }
    free(st);
    char *mi = slurp(a->proc, "meminfo");
    for (char *l = mi; l && *l;) {
        double kb;
        if (!strncmp(l, "MemTotal:", 9) && field(l + 9, 0, &kb)) s->mem_total = kb * 1024;
        if (!strncmp(l, "MemAvailable:", 13) && field(l + 13, 0, &kb)) s->mem_avail = kb * 1024;
        l = strchr(l, '\n');
        if (l) l++;
    }
    free(mi);
    char *nd = slurp(a->proc, "net/dev");
    for (char *l = nd; l && *l && s->nnet < 64;) {
        char *colon = strchr(l, ':'), *nl = strchr(l, '\n');
        if (colon && (!nl || colon < nl)) {
            char *b = l;
            while (*b == ' ') b++;
            size_t n = (size_t)(colon - b);
            item *it = &s->net[s->nnet];
            if (n && n < sizeof it->name && strncmp(b, "lo", n) && field(colon + 1, 0, &it->a) &&
                field(colon + 1, 8, &it->b)) {
                memcpy(it->name, b, n);
                it->name[n] = 0;
                s->nnet++;
            }
        }
        l = nl ? nl + 1 : NULL;
    }
    free(nd);
}

/* cgroup v2 (cpu.stat usage_usec, memory.current) or v1 (cpuacct.usage,
 * memory.usage_in_bytes), the root and two levels below. */
static void read_cgroup_dir(const agent *a, snap *s, const char *rel, int depth, bool v2)
{
    if (s->ncg >= MAX_ITEMS) return;
    char dir[4096];
    item *it = &s->cg[s->ncg];
    memset(it, 0, sizeof *it);
    snprintf(it->name, sizeof it->name, "%s", rel[0] ? rel : "/");
    bool have = false;
    if (v2) {
        snprintf(dir, sizeof dir, "%s%s", a->cgroup, rel);
        char *cs = slurp(dir, "cpu.stat");
        if (cs && !strncmp(cs, "usage_usec ", 11) && field(cs + 11, 0, &it->a)) {
            it->a *= 1000; /* ns */
            have = true;
        }
        free(cs);
        if (!read_number(dir, "memory.current", &it->gauge)) it->gauge = -1;
    } else {
        snprintf(dir, sizeof dir, "%s/cpuacct%s", a->cgroup, rel);
        have = read_number(dir, "cpuacct.usage", &it->a);
        snprintf(dir, sizeof dir, "%s/memory%s", a->cgroup, rel);
        if (!read_number(dir, "memory.usage_in_bytes", &it->gauge)) it->gauge = -1;
        snprintf(dir, sizeof dir, "%s/cpuacct%s", a->cgroup, rel);
    }
    if (have) s->ncg++;
    if (depth == 2) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) && s->ncg < MAX_ITEMS) {
        if (e->d_name[0] == '.' || e->d_type != DT_DIR) continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name);
        if (strlen(sub) < sizeof it->name) read_cgroup_dir(a, s, sub, depth + 1, v2);
    }
    closedir(d);
}

static void read_qemu(const agent *a, snap *s)
{
    DIR *d = opendir(a->proc);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) && s->nqemu < 256) {
        uint64_t pid;
        if (hr_parse_uint64(e->d_name, strlen(e->d_name), &pid) < 0) continue;
        char rel[64];
        snprintf(rel, sizeof rel, "%llu/comm", (unsigned long long)pid);
        char *comm = slurp(a->proc, rel);
        if (!comm) continue;
        comm[strcspn(comm, "\n")] = 0;
        bool q = !strncmp(comm, "qemu-system", 11) || !strcmp(comm, "qemu-kvm");
        if (q) {
            snprintf(rel, sizeof rel, "%llu/stat", (unsigned long long)pid);
            char *st = slurp(a->proc, rel);
            snprintf(rel, sizeof rel, "%llu/statm", (unsigned long long)pid);
            char *sm = slurp(a->proc, rel);
            char *rp = st ? strrchr(st, ')') : NULL; /* fields after "(comm)" */
            item *it = &s->qemu[s->nqemu];
            double ut, stt, rss;
            if (rp && sm && field(rp + 2, 11, &ut) && field(rp + 2, 12, &stt) &&
                field(sm, 1, &rss)) {
                snprintf(it->name, sizeof it->name, "%llu", (unsigned long long)pid);
                snprintf(it->extra, sizeof it->extra, "%s", comm);
                it->a = ut + stt;
                it->gauge = rss * (double)a->page;
                s->nqemu++;
            }
            free(st);
            free(sm);
        }
        free(comm);
    }
    closedir(d);
}

static void take(const agent *a, snap *s)
{
    item *cg = s->cg;
    memset(s, 0, sizeof *s);
    s->cg = cg;
    s->at = hr_clock_sec();
    read_host(a, s);
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/cgroup.controllers", a->cgroup);
    bool v2 = access(probe, R_OK) == 0;
    read_cgroup_dir(a, s, "", 0, v2);
    read_qemu(a, s);
}

/* A tag value as line protocol wants it, with characters a series key
 * cannot hold replaced by '_'. */
static void tag(char *out, size_t size, const char *in)
{
    size_t k = 0;
    for (; *in && k + 1 < size; in++) {
        unsigned char c = (unsigned char)*in;
        bool bad = c <= 0x20 || c >= 0x7f || strchr(",= \"\\?#%{}", c);
        out[k++] = bad ? '_' : (char)c;
    }
    out[k] = 0;
}

static const item *find(const item *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name)) return &v[i];
    return NULL;
}

typedef struct outb {
    char *s;
    size_t len, cap;
} outb;

static void put(outb *o, const char *fmt, ...) HR_PRINTF(2, 3);
static void put(outb *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t nc = o->cap ? o->cap * 2 : 16384;
        char *ns = n < 0 ? NULL : realloc(o->s, nc);
        if (!ns) return;
        o->s = ns;
        o->cap = nc;
    }
}

static void lines(const agent *a, const snap *p, const snap *c, outb *o)
{
    double dt = c->at - p->at;
    long long ts = (long long)time(NULL);
    char h[128], t1[200], t2[100];
    tag(h, sizeof h, a->host);
    double busy = c->cpu_total - p->cpu_total;
    if (busy > 0)
        put(o, "host,host=%s cpu_percent=%.6g %lld\n", h,
            100.0 * (busy - (c->cpu_idle - p->cpu_idle)) / busy, ts);
    if (c->mem_total > 0)
        put(o,
            "host,host=%s mem_total_bytes=%.17g,mem_available_bytes=%.17g,"
            "mem_used_bytes=%.17g %lld\n",
            h, c->mem_total, c->mem_avail, c->mem_total - c->mem_avail, ts);
    for (size_t i = 0; i < c->nnet; i++) {
        const item *q = find(p->net, p->nnet, c->net[i].name);
        if (!q || dt <= 0) continue;
        tag(t1, sizeof t1, c->net[i].name);
        put(o, "net,host=%s,dev=%s rx_bytes_per_sec=%.6g,tx_bytes_per_sec=%.6g %lld\n", h, t1,
            (c->net[i].a - q->a) / dt, (c->net[i].b - q->b) / dt, ts);
    }
    for (size_t i = 0; i < c->ncg; i++) {
        const item *q = find(p->cg, p->ncg, c->cg[i].name);
        if (!q || dt <= 0) continue;
        tag(t1, sizeof t1, c->cg[i].name);
        put(o, "cgroup,host=%s,cgroup=%s cpu_cores=%.6g", h, t1, (c->cg[i].a - q->a) / 1e9 / dt);
        if (c->cg[i].gauge >= 0) put(o, ",mem_bytes=%.17g", c->cg[i].gauge);
        put(o, " %lld\n", ts);
    }
    for (size_t i = 0; i < c->nqemu; i++) {
        const item *q = find(p->qemu, p->nqemu, c->qemu[i].name);
        if (!q || dt <= 0) continue;
        tag(t2, sizeof t2, c->qemu[i].extra);
        put(o, "qemu,host=%s,pid=%s,name=%s cpu_cores=%.6g,rss_bytes=%.17g %lld\n", h,
            c->qemu[i].name, t2, (c->qemu[i].a - q->a) / (double)a->ticks / dt, c->qemu[i].gauge,
            ts);
    }
}

static int push(const agent *a, const outb *o, hr_error *err)
{
    char url[2048], auth[400];
    snprintf(url, sizeof url, "%s/api/v1/write?precision=s", a->url);
    CURL *h = curl_easy_init();
    if (!h) return hr_error_set(err, HR_ENOMEM, "curl: cannot start");
    struct curl_slist *hdr = NULL;
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", a->token ? a->token : "");
    hdr = curl_slist_append(hdr, auth);
    hdr = curl_slist_append(hdr, "Content-Type: text/plain");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, o->s ? o->s : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->len);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    if (cc != CURLE_OK) return hr_error_set(err, HR_EIO, "%s: %s", url, curl_easy_strerror(cc));
    if (status != 204) return hr_error_set(err, HR_EIO, "%s: HTTP status %ld", url, status);
    return 0;
}

static void agent_usage(FILE *out)
{
    fprintf(out, "usage: headroom agent [--url URL] [--token TOKEN] [--interval SEC] [--count N]\n"
                 "                      [--host NAME] [--print] [--proc DIR] [--cgroup DIR]\n"
                 "\n"
                 "Push this host's CPU, memory and network, per cgroup and per QEMU process, to a\n"
                 "headroom daemon as line protocol every interval.\n"
                 "\n"
                 "  -u, --url URL       the daemon (default http://127.0.0.1:8080)\n"
                 "  -t, --token TOKEN   a write token (default $HEADROOM_TOKEN)\n"
                 "  -i, --interval SEC  seconds between samples (default 10)\n"
                 "  -n, --count N       stop after N rounds (default 0: until SIGTERM/SIGINT)\n"
                 "      --host NAME     the host tag (default the host name)\n"
                 "      --print         print the line protocol instead of sending it\n"
                 "      --proc DIR      /proc (default /proc)\n"
                 "      --cgroup DIR    the cgroup mount (default /sys/fs/cgroup)\n");
}

int hrd_agent_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},      {"token", required_argument, NULL, 't'},
        {"interval", required_argument, NULL, 'i'}, {"count", required_argument, NULL, 'n'},
        {"host", required_argument, NULL, 'H'},     {"print", no_argument, NULL, 'p'},
        {"proc", required_argument, NULL, 'P'},     {"cgroup", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    char hostname[128] = "localhost";
    gethostname(hostname, sizeof hostname - 1);
    agent a = {.proc = "/proc",
               .cgroup = "/sys/fs/cgroup",
               .url = "http://127.0.0.1:8080",
               .token = getenv("HEADROOM_TOKEN"),
               .host = hostname,
               .interval = 10,
               .ticks = sysconf(_SC_CLK_TCK),
               .page = sysconf(_SC_PAGESIZE)};
    uint64_t count = 0;
    bool print = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "u:t:i:n:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'u':
            a.url = optarg;
            break;
        case 't':
            a.token = optarg;
            break;
        case 'i':
            if (hr_parse_double_z(optarg, &a.interval) < 0 || a.interval < 1 ||
                a.interval > 86400) {
                fprintf(stderr, "headroom: agent: --interval: \"%s\" is not in [1, 86400]\n",
                        optarg);
                return 2;
            }
            break;
        case 'n':
            if (hr_parse_uint64(optarg, strlen(optarg), &count) < 0) {
                fprintf(stderr, "headroom: agent: --count: \"%s\" is not a count\n", optarg);
                return 2;
            }
            break;
        case 'H':
            a.host = optarg;
            break;
        case 'p':
            print = true;
            break;
        case 'P':
            a.proc = optarg;
            break;
        case 'C':
            a.cgroup = optarg;
            break;
        case 'h':
            agent_usage(stdout);
            return 0;
        default:
            agent_usage(stderr);
            return 2;
        }
    }
    if (!print && (!a.token || !a.token[0])) {
        fprintf(stderr, "headroom: agent: a write token is needed (--token or HEADROOM_TOKEN)\n");
        return 2;
    }
    if (a.ticks <= 0) a.ticks = 100;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snap s[2];
    memset(s, 0, sizeof s);
    s[0].cg = calloc(MAX_ITEMS, sizeof(item));
    s[1].cg = calloc(MAX_ITEMS, sizeof(item));
    outb pending = {0};
    int rc = 0;
    int cur = 0;
    if (!s[0].cg || !s[1].cg) {
        fprintf(stderr, "headroom: agent: out of memory\n");
        rc = 1;
        goto out;
    }
    take(&a, &s[cur]);
    for (uint64_t round = 0; !stopping && (count == 0 || round < count); round++) {
        struct timespec ts = {(time_t)a.interval,
                              (long)((a.interval - (double)(time_t)a.interval) * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && !stopping) {}
        if (stopping) break;
        take(&a, &s[!cur]);
        if (print) {
            outb o = {0};
            lines(&a, &s[cur], &s[!cur], &o);
            if (o.len) fwrite(o.s, 1, o.len, stdout);
            fflush(stdout);
            free(o.s);
        } else {
            lines(&a, &s[cur], &s[!cur], &pending);
            hr_error err = {0};
            if (push(&a, &pending, &err) == 0) {
                pending.len = 0;
                rc = 0;
            } else {
                fprintf(stderr, "headroom: agent: %s (kept for the next round)\n",
                        hr_error_message(&err));
                if (pending.len > PENDING_MAX) {
                    fprintf(stderr, "headroom: agent: %zu bytes unsent, dropped\n", pending.len);
                    pending.len = 0;
                }
                rc = count ? 1 : 0;
            }
        }
        cur = !cur;
    }
out:
    free(pending.s);
    free(s[0].cg);
    free(s[1].cg);
    curl_global_cleanup();
    return rc;
}
