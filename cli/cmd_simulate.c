/* headroom simulate: replay a trace folder through the control loop with
 * one policy and print energy and SLA figures (table or JSON), or compare
 * several policies over several folders (--compare, --report). */
#include "cli/cli.h"

#include <headroom/sim.h>

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX_DAYS     16
#define SIM_MAX_POLICIES 32
#define SIM_DEFAULT_CMP  "npa,dvfs,thr-mmt,lr-mmt,predictive"

static void help(FILE *out)
{
    fprintf(
        out,
        "usage: headroom simulate --trace DIR --policy NAME [options]\n"
        "       headroom simulate --compare --trace DIR [--trace DIR2 ...] [--policies LIST]\n"
        "                         [--report OUT.html] [options]\n\n"
        "Replay a folder of traces (PlanetLab or NAB CSV, one VM per file, byte order of\n"
        "the names) through the control loop over CloudSim 3.0.3's datacenter model.\n"
        "--compare runs every policy over every trace folder (in parallel) and prints a\n"
        "table; --report also writes a self-contained HTML report with charts.\n\n"
        "  -t, --trace DIR     a trace folder, or a fleet description (JSON: hosts, VM\n"
        "                      sizes, trace files); repeat with --compare\n"
        "  -p, --policy NAME   npa, dvfs, thr|iqr|mad|lr|lrr-mmt|mu|mc|rs, predictive\n"
        "      --param X       the policy's parameter (THR 0.8, IQR 1.5, MAD 2.5, LR 1.2)\n"
        "      --hosts cloudsim|N  CloudSim's 800 hosts (default) or N hosts (not for a fleet)\n"
        "      --seed N        seed for random selection (RS)\n"
        "      --json          JSON instead of a table (an array with --compare)\n"
        "      --compare       several policies over several days\n"
        "      --policies LIST comma list for --compare (default " SIM_DEFAULT_CMP ")\n"
        "      --report FILE   write the HTML report (implies --compare)\n"
        "      --watch-host N  the host whose demand and forecast the report plots (1)\n"
        "  -j, --jobs N        parallel runs for --compare (default: online CPUs)\n");
}

static json_t *result_json(const hr_sim_result *r, const char *day)
{
    json_t *j = json_pack(
        "{s:s, s:f, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:f}", "policy", r->policy,
        "energy_kwh", r->energy_kwh, "migrations", (json_int_t)r->migrations, "vms",
        (json_int_t)r->vms, "slatah", r->slatah, "pdm", r->pdm, "slav", r->slav, "esv", r->esv,
        "sla_overall", r->sla_overall, "host_shutdowns", (json_int_t)r->host_shutdowns, "hosts",
        (json_int_t)r->hosts, "vms_removed", (json_int_t)r->vms_removed, "wall_s", r->wall_s);
    if (j && !isnan(r->param)) json_object_set_new(j, "param", json_real(r->param));
    if (j && day) json_object_set_new(j, "day", json_string(day));
    return j;
}

static void print_json(json_t *j)
{
    json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17));
    fputc('\n', stdout);
    json_decref(j);
}

/* The last path component of a folder ("a/b/20110303/" -> "20110303"). */
static const char *day_label(char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') dir[--n] = '\0';
    const char *slash = strrchr(dir, '/');
    return slash && slash[1] ? slash + 1 : dir;
}

struct cmp_run {
    cli_sim_cmp c;
    hr_trace *traces[SIM_MAX_DAYS];
    const hr_sim_opts *base;
};

static void run_one(size_t i, void *ud)
{
    struct cmp_run *cr = ud;
    cli_sim_job *jb = &cr->c.jobs[i];
    hr_sim_opts o = *cr->base;
    o.policy = jb->policy;
    o.series = true;
    o.watch_vm = -1;
    o.watch_host = cr->c.watch_host;
    /* --param applies to the policies that take one */
    double def;
    if (hr_sim_policy_known(o.policy, &def) && isnan(def)) o.param = NAN;
    jb->rc = hr_sim_run(cr->traces[jb->day], &o, &jb->res, &jb->err);
}

static int compare(char **dirs, size_t ndirs, const char *list, const hr_sim_opts *base,
                   const char *report, size_t jobs, int32_t watch_host, bool json)
{
    const char *cmd = "simulate";
    struct cmp_run cr = {.base = base};
    const char *pol[SIM_MAX_POLICIES], *days[SIM_MAX_DAYS];
    char buf[1024];
    size_t np = 0;
    if (strlen(list) >= sizeof buf) return cli_usage(cmd, "--policies: the list is too long");
    snprintf(buf, sizeof buf, "%s", list);
    for (char *p = buf, *comma; p; p = comma ? comma + 1 : NULL) {
        comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (!*p) continue;
        if (!hr_sim_policy_known(p, NULL))
            return cli_usage(cmd, "--policies: unknown policy \"%s\"", p);
        if (np == SIM_MAX_POLICIES)
            return cli_usage(cmd, "--policies: at most %d policies", SIM_MAX_POLICIES);
        pol[np++] = p;
    }
    if (!np) return cli_usage(cmd, "--policies: no policy given");
    if (!isnan(base->param) && np > 1)
        return cli_usage(cmd, "--param is for one policy, not a comparison of %zu", np);
    hr_error err = {0};
    int rc = CLI_OK;
    for (size_t d = 0; d < ndirs; d++) {
        if (hr_trace_load(dirs[d], &cr.traces[d], &err) < 0) {
            rc = cli_data_error(&err);
            goto out;
        }
        days[d] = day_label(dirs[d]);
        const hr_fleet *f = base->fleet ? base->fleet : cr.traces[d]->fleet;
        size_t nh = f ? f->nhosts : base->nhosts ? base->nhosts : 800;
        if (watch_host < 0) watch_host = nh > 1 ? 1 : 0; /* the default: host 1 */
        if ((size_t)watch_host >= nh) {
            rc = cli_usage(cmd, "--watch-host: no host %d among the %zu of %s", watch_host, nh,
                           dirs[d]);
            goto out;
        }
    }
    cr.c = (cli_sim_cmp){.days = days,
                         .ndays = ndirs,
                         .policies = pol,
                         .npolicies = np,
                         .watch_host = watch_host,
                         .jobs = calloc(ndirs * np, sizeof *cr.c.jobs)};
    if (!cr.c.jobs) {
        hr_error_set(&err, HR_ENOMEM, "simulate: out of memory");
        rc = cli_data_error(&err);
        goto out;
    }
    for (size_t d = 0; d < ndirs; d++)
        for (size_t p = 0; p < np; p++)
            cr.c.jobs[d * np + p] = (cli_sim_job){.day = d, .policy = pol[p]};
    if (cli_parallel(ndirs * np, jobs, run_one, &cr, "simulate") < 0) {
        hr_error_set(&err, HR_ENOMEM, "simulate: cannot start the runs");
        rc = cli_data_error(&err);
        goto out;
    }
    for (size_t i = 0; i < ndirs * np; i++)
        if (cr.c.jobs[i].rc < 0) {
            rc = cli_data_error(&cr.c.jobs[i].err);
            goto out;
        }
    if (json) {
        json_t *a = json_array();
        for (size_t i = 0; i < ndirs * np; i++)
            json_array_append_new(a, result_json(&cr.c.jobs[i].res, days[cr.c.jobs[i].day]));
        print_json(a);
    } else {
        printf("%-10s %-12s %12s %10s %9s %8s %10s %10s %9s %8s\n", "day", "policy", "energy_kWh",
               "migrations", "SLATAH_%", "PDM_%", "SLAV_1e-5", "ESV_1e-3", "shutdowns", "wall_s");
        for (size_t i = 0; i < ndirs * np; i++) {
            const hr_sim_result *r = &cr.c.jobs[i].res;
            printf("%-10s %-12s %12.5f %10zu %9.4f %8.4f %10.4f %10.5f %9zu %8.3f\n",
                   days[cr.c.jobs[i].day], r->policy, r->energy_kwh, r->migrations, r->slatah * 100,
                   r->pdm * 100, r->slav * 1e5, r->esv * 1e3, r->host_shutdowns, r->wall_s);
        }
    }
    if (report) {
        if (cli_write_atomic(report, cli_sim_report_write, &cr.c, &err) < 0) {
            rc = cli_data_error(&err);
            goto out;
        }
        fprintf(stderr, "headroom: simulate: report written to %s\n", report);
    }
out:
    if (cr.c.jobs)
        for (size_t i = 0; i < ndirs * np; i++) hr_sim_result_release(&cr.c.jobs[i].res);
    free(cr.c.jobs);
    for (size_t d = 0; d < ndirs; d++) hr_trace_free(cr.traces[d]);
    return rc;
}

int cmd_simulate(int argc, char **argv)
{
    static const struct option lo[] = {{"trace", required_argument, 0, 't'},
                                       {"policy", required_argument, 0, 'p'},
                                       {"param", required_argument, 0, 'P'},
                                       {"hosts", required_argument, 0, 'H'},
                                       {"seed", required_argument, 0, 'S'},
                                       {"json", no_argument, 0, 'J'},
                                       {"compare", no_argument, 0, 'C'},
                                       {"policies", required_argument, 0, 'L'},
                                       {"report", required_argument, 0, 'R'},
                                       {"watch-host", required_argument, 0, 'W'},
                                       {"jobs", required_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *cmd = "simulate", *list = NULL, *report = NULL;
    char *dirs[SIM_MAX_DAYS];
    size_t ndirs = 0, jobs = cli_online_cpus(), watch = SIZE_MAX;
    hr_sim_opts o = {.param = NAN, .watch_vm = -1};
    bool json = false, cmp = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:p:j:h", lo, NULL)) != -1) {
        switch (c) {
        case 't':
            if (ndirs == SIM_MAX_DAYS)
                return cli_usage(cmd, "--trace: at most %d folders", SIM_MAX_DAYS);
            dirs[ndirs++] = optarg;
            break;
        case 'p':
            o.policy = optarg;
            break;
        case 'P':
            if (hr_parse_double_z(optarg, &o.param) < 0 || !(o.param > 0))
                return cli_usage(cmd, "--param: \"%s\" is not a positive number", optarg);
            break;
        case 'H':
            if (strcmp(optarg, "cloudsim") &&
                cli_parse_size(cmd, "--hosts", optarg, 1, 100000, &o.nhosts) < 0)
                return CLI_EUSAGE;
            break;
        case 'S': {
            size_t s;
            if (cli_parse_size(cmd, "--seed", optarg, 0, SIZE_MAX, &s) < 0) return CLI_EUSAGE;
            o.seed = s;
            break;
        }
        case 'J':
            json = true;
            break;
        case 'C':
            cmp = true;
            break;
        case 'L':
            list = optarg;
            break;
        case 'R':
            report = optarg;
            break;
        case 'W':
            if (cli_parse_size(cmd, "--watch-host", optarg, 0, 99999, &watch) < 0)
                return CLI_EUSAGE;
            break;
        case 'j':
            if (cli_parse_size(cmd, "--jobs", optarg, 1, 256, &jobs) < 0) return CLI_EUSAGE;
            break;
        case 'h':
            help(stdout);
            return CLI_OK;
        default:
            return cli_usage(cmd, "unknown option");
        }
    }
    if (optind < argc) return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (!ndirs) return cli_usage(cmd, "--trace DIR is required");
    if (cmp || report || list) {
        if (o.policy && list) return cli_usage(cmd, "give --policy or --policies, not both");
        return compare(dirs, ndirs,
                       list       ? list
                       : o.policy ? o.policy
                                  : SIM_DEFAULT_CMP,
                       &o, report, jobs, (int32_t)watch, json);
    }
    if (ndirs > 1) return cli_usage(cmd, "several --trace folders need --compare");
    if (!o.policy) return cli_usage(cmd, "--policy NAME is required");
    if (!hr_sim_policy_known(o.policy, NULL))
        return cli_usage(cmd, "--policy: unknown policy \"%s\"", o.policy);
    hr_error err = {0};
    hr_trace *t = NULL;
    if (hr_trace_load(dirs[0], &t, &err) < 0) return cli_data_error(&err);
    hr_sim_result r;
    if (hr_sim_run(t, &o, &r, &err) < 0) {
        hr_trace_free(t);
        return cli_data_error(&err);
    }
    if (json) {
        print_json(result_json(&r, NULL));
    } else {
        printf("policy %s, %zu VMs on %zu hosts, %zu removed by the trace\n", r.policy, r.vms,
               r.hosts, r.vms_removed);
        printf("energy %.5f kWh, %zu migrations, SLATAH %.4f %%, PDM %.4f %%, SLAV %.4f x1e-5, "
               "ESV %.5f x1e-3, %zu host shutdowns, %.3f s\n",
               r.energy_kwh, r.migrations, r.slatah * 100, r.pdm * 100, r.slav * 1e5, r.esv * 1e3,
               r.host_shutdowns, r.wall_s);
    }
    hr_sim_result_release(&r);
    hr_trace_free(t);
    return CLI_OK;
}
