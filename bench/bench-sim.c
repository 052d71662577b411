/* The twin at scale: a generated fleet workload (hr_trace_generate: diurnal
 * levels, noise, bursts, VMs that stop, PlanetLab's mean of about 12 %,
 * CloudSim's four VM types) replayed through the control loop on a fleet of
 * HOSTS servers of one larger type - CloudSim's IBM x3550 M3 (2 x Xeon
 * X5675: 12 cores of 3067 MIPS, its SPECpower table) with 32 GiB and
 * 10 Gbit/s, as CloudSim's 2-core 4 GB hosts cannot hold 10 VMs each -
 * with each policy given. Prints per policy the simulated figures, the wall
 * and CPU time of the run (the machine may be shared) and the process's
 * peak RSS.
 *   bench-sim VMS HOSTS STEPS POLICY...    e.g. bench-sim 100000 10000 288 lr-mmt */
#include <headroom/fleet.h>
#include <headroom/sim.h>
#include <headroom/util.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static size_t peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (size_t)ru.ru_maxrss : 0;
}

/* CPU seconds (user + system) of the process so far. */
static double cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return NAN;
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static int parse(const char *s, size_t max, size_t *out)
{
    int64_t v;
    if (hr_parse_int64_z(s, &v) < 0 || v < 1 || (uint64_t)v > max) return -1;
    *out = (size_t)v;
    return 0;
}

static hr_fleet *make_fleet(size_t hosts, hr_error *err)
{
    hr_fleet *f = NULL;
    if (hr_fleet_new(&f) < 0) return NULL;
    const hr_resource res[] = {{.name = "cpu", .unit = HR_UNIT_MIPS},
                               {.name = "memory", .unit = HR_UNIT_BYTES},
                               {.name = "network", .unit = HR_UNIT_BITS_PER_SEC}};
    for (size_t i = 0; i < 3; i++)
        if (hr_fleet_add_resource(f, &res[i], err) < 0) goto fail;
    int64_t cap[3] = {12 * 3067, INT64_C(32) << 30, INT64_C(10000000000)};
    hr_host h = {.capacity = cap,
                 .cores = 12,
                 .site = HR_NONE,
                 .location = HR_NONE,
                 .neighbourhood = HR_NONE,
                 .power = {.kind = HR_POWER_TABLE,
                           .table_w = {58.4, 98, 109, 118, 128, 140, 153, 170, 189, 205, 222}}};
    for (size_t i = 0; i < hosts; i++) {
        char name[32];
        snprintf(name, sizeof name, "x3550-%05zu", i);
        h.name = name;
        if (hr_fleet_add_host(f, &h, err) < 0) goto fail;
    }
    return f;
fail:
    hr_fleet_free(f);
    return NULL;
}

int main(int argc, char **argv)
{
    size_t vms, hosts, steps;
    if (argc < 5 || parse(argv[1], HR_TRACE_MAX_VMS, &vms) < 0 ||
        parse(argv[2], 100000, &hosts) < 0 || parse(argv[3], HR_TRACE_MAX_STEPS, &steps) < 0) {
        fprintf(stderr, "usage: bench-sim VMS HOSTS STEPS POLICY...\n");
        return 2;
    }
    hr_error err = {0};
    hr_trace *t = NULL;
    double t0 = hr_clock_sec();
    if (hr_trace_generate(vms, steps, 42, &t, &err) < 0) {
        fprintf(stderr, "bench-sim: %s\n", hr_error_message(&err));
        return 1;
    }
    hr_fleet *f = make_fleet(hosts, &err);
    if (!f) {
        fprintf(stderr, "bench-sim: %s\n", hr_error_message(&err));
        return 1;
    }
    printf("generated %zu VMs x %zu steps of 300 s and %zu hosts in %.2f s (%zu kB RSS)\n", vms,
           steps, hosts, hr_clock_sec() - t0, peak_rss_kb());
    printf("%-12s %12s %10s %9s %8s %10s %10s %8s %8s %10s\n", "policy", "energy_kWh", "migrations",
           "SLATAH_%", "PDM_%", "ESV_1e-3", "removed", "wall_s", "cpu_s", "peak_RSS_MB");
    int rc = 0;
    for (int i = 4; i < argc; i++) {
        hr_sim_opts o = {.policy = argv[i], .param = NAN, .fleet = f, .watch_vm = -1};
        hr_sim_result r;
        double c0 = cpu_s();
        if (hr_sim_run(t, &o, &r, &err) < 0) {
            fprintf(stderr, "bench-sim: %s: %s\n", argv[i], hr_error_message(&err));
            rc = 1;
            continue;
        }
        printf("%-12s %12.3f %10zu %9.4f %8.4f %10.4f %10zu %8.2f %8.2f %10.1f\n", r.policy,
               r.energy_kwh, r.migrations, r.slatah * 100, r.pdm * 100, r.esv * 1e3, r.vms_removed,
               r.wall_s, cpu_s() - c0, (double)peak_rss_kb() / 1024);
        fflush(stdout);
        hr_sim_result_release(&r);
    }
    hr_trace_free(t);
    hr_fleet_free(f);
    return rc;
}
