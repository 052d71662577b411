/* Benchmarks of lib/act that need no VM:
 *   bench-act solve PLANETLAB_DIR     partition solve time, 200 tenants from PlanetLab traces
 *   bench-act journal DIR             durable journal writes per second (WAL, synchronous=FULL)
 *   bench-act isolation               a latency probe next to a CPU hog: no partition, static
 *                                     limits, headroom's partition (root, cgroups)
 * Figures are printed; bench/act.sh runs them. */
#include <headroom/act.h>
#include <headroom/series.h>
#include <headroom/util.h>

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- solve ---------------------------------------------------------------------- */

static int bench_solve(const char *dir)
{
    enum { N = 200 };
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return 1;
    }
    char *names[2000];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 2000)
        if (e->d_name[0] != '.') names[nn++] = strdup(e->d_name);
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_name);
    if (nn < N) {
        fprintf(stderr, "bench-act: %s has %zu traces, need %d\n", dir, nn, N);
        return 1;
    }
    hr_part_tenant *t = calloc(N, sizeof *t);
    for (size_t i = 0; i < N; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i * (nn / N)]);
        hr_series s;
        hr_error err = {0};
        if (hr_series_read_lines(path, 0, 300, &s, &err)) {
            fprintf(stderr, "bench-act: %s\n", err.msg);
            return 1;
        }
        double *v = malloc(s.len * sizeof *v);
        for (size_t k = 0; k < s.len; k++) v[k] = s.values[k] * 10; /* % of a core -> millicores */
        qsort(v, s.len, sizeof *v, cmp_d);
        snprintf(t[i].name, sizeof t[i].name, "vm%03zu", i);
        t[i].priority = (int32_t)(i % 4);
        t[i].quantile = i % 3 == 0 ? 0.99 : 0.95;
        t[i].pin = i % 20 == 0;
        const double lv[] = {0.5, 0.9, 0.95, 0.99};
        for (int r = 0; r < 3; r++) {
            hr_part_demand *dm = &t[i].demand[r];
            dm->n = 4;
            for (int q = 0; q < 4; q++) {
                double x = hr_quantile_sorted(v, s.len, lv[q]);
                dm->levels[q] = lv[q];
                /* memory and egress follow the CPU trace's shape */
                dm->values[q] = r == 0 ? x : r == 1 ? x * (1 << 20) : x * 100000;
            }
        }
        free(v);
        hr_series_release(&s);
    }
    for (size_t i = 0; i < nn; i++) free(names[i]);
    hr_part_host h = {.ncpus = 64,
                      .mem_bytes = (int64_t)256 << 30,
                      .net_bps = 10000000000LL,
                      .tenants = t,
                      .ntenants = N};
    snprintf(h.name, sizeof h.name, "bench");
    for (int c = 0; c < 64; c++) h.cpus[c] = c;
    hr_part_alloc *a = calloc(N, sizeof *a), *b = calloc(N, sizeof *b);
    hr_error err = {0};
    enum { REPS = 2000 };
    double *ts = malloc(REPS * sizeof *ts);
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = now_s();
        if (hr_part_solve(&h, rep ? a : NULL, rep ? N : 0, NULL, rep ? b : a, &err)) {
            fprintf(stderr, "bench-act: %s\n", err.msg);
            return 1;
        }
        ts[rep] = now_s() - t0;
    }
    qsort(ts, REPS, sizeof *ts, cmp_d);
    size_t pinned = 0, shortc = 0;
    for (size_t i = 0; i < N; i++) {
        pinned += a[i].pinned;
        shortc += a[i].short_of[HR_PART_CPU];
    }
    printf("partition solve, %d tenants (PlanetLab 2011-03-03 CPU traces, 4 priority classes,"
           " %zu pinned, %zu short of CPU) on 64 cores:\n",
           N, pinned, shortc);
    printf("  median %.3f ms, p99 %.3f ms, max %.3f ms over %d solves (goal < 10 ms)\n",
           ts[REPS / 2] * 1e3, ts[REPS * 99 / 100] * 1e3, ts[REPS - 1] * 1e3, REPS);
    hr_action *acts = NULL;
    size_t nacts = 0;
    double t0 = now_s();
    hr_part_actions(&h, a, NULL, 0, false, &acts, &nacts, &err);
    printf("  planning its %zu actions: %.3f ms\n", nacts, (now_s() - t0) * 1e3);
    hr_action_list_free(acts, nacts);
    free(ts);
    free(a);
    free(b);
    free(t);
    return 0;
}

/* ---- journal --------------------------------------------------------------------- */

static int bench_journal(const char *dir)
{
    char db[4096];
    snprintf(db, sizeof db, "%s/bench-journal.db", dir);
    unlink(db);
    hr_journal *j = NULL;
    hr_error err = {0};
    if (hr_journal_open(db, &j, &err)) {
        fprintf(stderr, "bench-act: %s\n", err.msg);
        return 1;
    }
    enum { N = 300 };
    double t0 = now_s();
    for (int i = 0; i < N; i++) {
        hr_action a = {.params = "{\"cpu_quota_usec\": 50000}"};
        snprintf(a.key, sizeof a.key, "bench/%d", i);
        snprintf(a.kind, sizeof a.kind, "cgroup");
        int64_t id;
        hr_journal_add(j, &a, &id, &err);
        a.id = id;
        a.state = HR_ACT_RUNNING;
        hr_journal_update(j, &a, "apply", &err);
        a.state = HR_ACT_DONE;
        hr_journal_update(j, &a, "done", &err);
    }
    double dt = now_s() - t0;
    printf("journal: %d actions x 3 durable writes in %.2f s: %.0f writes/s, %.2f ms per action\n",
           N, dt, 3 * N / dt, dt / N * 1e3);
    hr_journal_close(j);
    unlink(db);
    return 0;
}

/* ---- isolation ------------------------------------------------------------------- */

#define PROBE_SECS 3.0

/* The latency-sensitive tenant: every 1 ms, 150 us of work, then sleep to the
 * next tick; lateness of each wake-up recorded. Writes p50, p99 (us) and the
 * CPU seconds it got to fd. */
static void probe(int fd)
{
    size_t cap = (size_t)(PROBE_SECS * 1000) + 16, n = 0;
    double *late = malloc(cap * sizeof *late);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    double end = now_s() + PROBE_SECS;
    while (now_s() < end && n < cap) {
        double w0 = now_s();
        while (now_s() - w0 < 150e-6) {}
        next.tv_nsec += 1000000;
        if (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        struct timespec woke;
        clock_gettime(CLOCK_MONOTONIC, &woke);
        double l = (double)(woke.tv_sec - next.tv_sec) + (woke.tv_nsec - next.tv_nsec) * 1e-9;
        late[n++] = l > 0 ? l : 0;
        /* A late wake-up skips the ticks it missed. */
        if (l > 1e-3) next = woke;
    }
    qsort(late, n, sizeof *late, cmp_d);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double out[4] = {late[n / 2] * 1e6, late[n * 99 / 100] * 1e6,
                     (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
                         (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6,
                     (double)n};
    if (write(fd, out, sizeof out) != sizeof out) _exit(1);
    _exit(0);
}

static pid_t hog(void)
{
    pid_t p = fork();
    if (p == 0) {
        volatile unsigned long x = 0;
        for (;;) x++;
    }
    return p;
}

static double cpu_of(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long ut = 0, st = 0;
    if (f) {
        if (fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
            ut = st = 0;
        fclose(f);
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* scenario 0: nothing; 1: static limits (a 1-core quota each, no cpusets);
 * 2: headroom's partition from forecasts, carried out through the journal. */
static int run_scenario(int sc, hr_cgroup_sys *cg, const char *dir)
{
    int pfd[2], go[2];
    if (pipe(pfd) || pipe(go)) return 1;
    pid_t h1 = hog(), h2 = hog();
    hr_error err = {0};
    int rc = 0;
    if (sc == 1) {
        hr_cgroup_limits l;
        hr_cgroup_limits_init(&l);
        l.cpu_quota_usec = 100000;
        l.cpu_period_usec = 100000;
        rc |= hr_cgroup_create(cg, "probe", &err) | hr_cgroup_set(cg, "probe", &l, &err);
        rc |= hr_cgroup_create(cg, "hog", &err) | hr_cgroup_set(cg, "hog", &l, &err);
        rc |= hr_cgroup_attach(cg, "hog", h1, &err) | hr_cgroup_attach(cg, "hog", h2, &err);
    }
    hr_part_tenant t[2];
    memset(t, 0, sizeof t);
    if (sc == 2) {
        /* Forecasts: the probe needs ~150 m at p99 (15 % of a core),
         * latency-sensitive and pinned; the hog wants two cores. */
        snprintf(t[0].name, sizeof t[0].name, "probe");
        t[0].priority = 10;
        t[0].quantile = 0.99;
        t[0].pin = true;
        t[0].demand[0] = (hr_part_demand){.levels = {0.5, 0.99}, .values = {150, 200}, .n = 2};
        snprintf(t[1].name, sizeof t[1].name, "hog");
        t[1].quantile = 0.95;
        t[1].demand[0] = (hr_part_demand){.levels = {0.5, 0.95}, .values = {2000, 2000}, .n = 2};
        t[1].pids[0] = h1;
        t[1].pids[1] = h2;
        t[1].npids = 2;
        for (int i = 0; i < 2; i++)
            t[i].demand[1] = (hr_part_demand){.levels = {0.5}, .values = {64 << 20}, .n = 1};
    }
    pid_t p = fork();
    if (p == 0) {
        close(pfd[0]);
        /* Wait until the parent has placed us. */
        char c;
        if (read(go[0], &c, 1) != 1) _exit(1);
        probe(pfd[1]);
    }
    if (sc == 1) rc |= hr_cgroup_attach(cg, "probe", p, &err);
    if (sc == 2) {
        t[0].pids[0] = p;
        t[0].npids = 1;
        hr_part_host h = {.ncpus = 2, .mem_bytes = (int64_t)1 << 30, .tenants = t, .ntenants = 2};
        snprintf(h.name, sizeof h.name, "bench");
        h.cpus[0] = 0;
        h.cpus[1] = 1;
        hr_part_alloc a[2];
        hr_action *acts = NULL;
        size_t n = 0;
        char db[4096];
        snprintf(db, sizeof db, "%s/isolation.db", dir);
        unlink(db);
        hr_journal *j = NULL;
        rc |= hr_part_solve(&h, NULL, 0, NULL, a, &err);
        rc |= hr_part_actions(&h, a, NULL, 0, false, &acts, &n, &err);
        rc |= hr_journal_open(db, &j, &err);
        for (size_t i = 0; !rc && i < n; i++) {
            int64_t id;
            rc |= hr_journal_add(j, &acts[i], &id, &err) < 0;
        }
        hr_act_driver d = hr_cgroup_driver(cg);
        if (!rc) rc = hr_act_run(j, &d, 1, NULL, NULL, &err);
        printf("  headroom's partition: probe cpus %s (pinned), hog cpus %s, quota %lld us\n",
               a[0].cpus, a[1].cpus, (long long)a[1].cpu_quota_usec);
        hr_action_list_free(acts, n);
        hr_journal_close(j);
        unlink(db);
    }
    if (rc) fprintf(stderr, "bench-act: isolation setup: %s\n", err.msg);
    if (write(go[1], "g", 1) != 1) rc = 1;
    close(go[0]);
    close(go[1]);
    double c1 = cpu_of(h1) + cpu_of(h2), t0 = now_s();
    double out[4] = {0};
    if (read(pfd[0], out, sizeof out) != sizeof out) rc = 1;
    double hogcpu = (cpu_of(h1) + cpu_of(h2) - c1) / (now_s() - t0);
    waitpid(p, NULL, 0);
    kill(h1, SIGKILL);
    kill(h2, SIGKILL);
    waitpid(h1, NULL, 0);
    waitpid(h2, NULL, 0);
    close(pfd[0]);
    close(pfd[1]);
    static const char *const names[] = {"no partitioning", "static limits (1-core quota each)",
                                        "headroom partition (forecast-driven)"};
    printf("  %-38s probe CPU %5.1f %% of a core (wants 15 %%), wake-up p50 %7.0f us, p99 %7.0f "
           "us; hog %.2f cores\n",
           names[sc], out[2] / PROBE_SECS * 100, out[0], out[1], hogcpu);
    const char *g[] = {"probe", "hog"};
    for (int i = 0; i < 2; i++) {
        hr_cgroup_evacuate(cg, g[i], NULL);
        hr_cgroup_remove(cg, g[i], NULL);
    }
    return rc;
}

static int bench_isolation(const char *dir)
{
    hr_cgroup_sys *cg = NULL;
    hr_error err = {0};
    char parent[64];
    snprintf(parent, sizeof parent, "hr-bench-%d", (int)getpid());
    if (geteuid() != 0 || hr_cgroup_open(parent, &cg, &err)) {
        printf("isolation: skipped (needs root and cgroups: %s)\n",
               err.msg[0] ? err.msg : "not root");
        return 0;
    }
    printf("isolation: a probe (150 us of work every 1 ms) beside two busy loops on %ld cores, %.0f"
           " s each:\n",
           sysconf(_SC_NPROCESSORS_ONLN), PROBE_SECS);
    int rc = 0;
    for (int sc = 0; sc < 3; sc++) rc |= run_scenario(sc, cg, dir);
    hr_cgroup_remove(cg, NULL, NULL);
    hr_cgroup_close(cg);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "solve")) return bench_solve(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "journal")) return bench_journal(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "isolation")) return bench_isolation(argv[2]);
    fprintf(stderr, "usage: bench-act solve PLANETLAB_DIR | journal DIR | isolation DIR\n");
    return 2;
}
