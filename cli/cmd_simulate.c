/* headroom simulate: replay a trace folder through the control loop with
 * one policy and print energy and SLA figures (table or JSON). */
#include "cli/cli.h"

#include <headroom/sim.h>

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out,
            "usage: headroom simulate --trace DIR --policy NAME [options]\n\n"
            "Replay a folder of traces (PlanetLab or NAB CSV, one VM per file, byte order of\n"
            "the names) through the control loop over CloudSim 3.0.3's datacenter model.\n\n"
            "  -t, --trace DIR     the trace folder\n"
            "  -p, --policy NAME   npa, dvfs, thr|iqr|mad|lr|lrr-mmt|mu|mc|rs, predictive\n"
            "      --param X       the policy's parameter (THR 0.8, IQR 1.5, MAD 2.5, LR 1.2)\n"
            "      --hosts cloudsim|N  CloudSim's 800 hosts (default) or N hosts\n"
            "      --seed N        seed for random selection (RS)\n"
            "      --json          one JSON object instead of a table\n");
}

int cmd_simulate(int argc, char **argv)
{
    static const struct option lo[] = {
        {"trace", required_argument, 0, 't'}, {"policy", required_argument, 0, 'p'},
        {"param", required_argument, 0, 'P'}, {"hosts", required_argument, 0, 'H'},
        {"seed", required_argument, 0, 'S'},  {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *cmd = "simulate", *trace = NULL;
    hr_sim_opts o = {.param = NAN, .watch_vm = -1};
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:p:h", lo, NULL)) != -1) {
        switch (c) {
        case 't':
            trace = optarg;
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
        case 'j':
            json = true;
            break;
        case 'h':
            help(stdout);
            return CLI_OK;
        default:
            return cli_usage(cmd, "unknown option");
        }
    }
    if (optind < argc) return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (!trace) return cli_usage(cmd, "--trace DIR is required");
    if (!o.policy) return cli_usage(cmd, "--policy NAME is required");
    if (!hr_sim_policy_known(o.policy, NULL))
        return cli_usage(cmd, "--policy: unknown policy \"%s\"", o.policy);
    hr_error err = {0};
    hr_trace *t = NULL;
    if (hr_trace_load(trace, &t, &err) < 0) return cli_data_error(&err);
    hr_sim_result r;
    if (hr_sim_run(t, &o, &r, &err) < 0) {
        hr_trace_free(t);
        return cli_data_error(&err);
    }
    if (json) {
        json_t *j = json_pack(
            "{s:s, s:f, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:f}", "policy", r.policy,
            "energy_kwh", r.energy_kwh, "migrations", (json_int_t)r.migrations, "vms",
            (json_int_t)r.vms, "slatah", r.slatah, "pdm", r.pdm, "slav", r.slav, "esv", r.esv,
            "sla_overall", r.sla_overall, "host_shutdowns", (json_int_t)r.host_shutdowns, "hosts",
            (json_int_t)r.hosts, "vms_removed", (json_int_t)r.vms_removed, "wall_s", r.wall_s);
        if (!isnan(r.param)) json_object_set_new(j, "param", json_real(r.param));
        json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17));
        fputc('\n', stdout);
        json_decref(j);
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
