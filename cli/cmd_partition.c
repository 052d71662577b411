/* headroom partition: split a host among its tenants from their demand
 * quantiles, print the plan, or carry it out through the journal. */
#include "cli/cli.h"

#include <headroom/act.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: headroom partition --host HOST.yaml|json [--forecast F.json] --dry-run|--apply\n"
    "                          [--journal DB] [--state FILE] [--json]\n"
    "\n"
    "Split one host's CPU, memory and egress bandwidth among its tenants from\n"
    "their demand quantiles: each gets its demand at its SLA quantile as a\n"
    "guarantee (by priority; max-min fair inside the class where capacity runs\n"
    "out), its demand at p99 as a limit, exclusive cores when its SLA pins, and\n"
    "hysteresis against the previous plan (--state).\n"
    "\n"
    "  --host FILE       the host and its tenants (YAML or JSON; see docs/ARCHITECTURE.md)\n"
    "  --forecast FILE   fleet-wide forecast quantiles per tenant, merged in (larger wins)\n"
    "  --dry-run         print the plan, change nothing\n"
    "  --apply           carry it out: cgroups under the host's cgroup_parent, tc on its\n"
    "                    egress device, every step through the journal (needs root)\n"
    "  --journal DB      the action journal (default headroom-journal.db)\n"
    "  --state FILE      the plan in force: read for hysteresis and ordering, written\n"
    "                    after a successful --apply\n"
    "  --json            print the plan as JSON (with its actions)\n"
    "\n"
    "Exit status: 0 done, 1 bad input or a failed action (named), 2 usage.\n";

typedef struct popts {
    const char *host, *forecast, *journal, *state;
    bool dry, apply, json;
} popts;

static int parse(int argc, char **argv, popts *o)
{
    static const struct option lo[] = {
        {"host", required_argument, 0, 'H'},
        {"forecast", required_argument, 0, 'f'},
        {"dry-run", no_argument, 0, 'n'},
        {"apply", no_argument, 0, 'a'},
        {"journal", required_argument, 0, 'j'},
        {"state", required_argument, 0, 's'},
        {"json", no_argument, 0, 'J'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->journal = "headroom-journal.db";
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (c) {
        case 'H':
            o->host = optarg;
            break;
        case 'f':
            o->forecast = optarg;
            break;
        case 'n':
            o->dry = true;
            break;
        case 'a':
            o->apply = true;
            break;
        case 'j':
            o->journal = optarg;
            break;
        case 's':
            o->state = optarg;
            break;
        case 'J':
            o->json = true;
            break;
        case 'h':
            fputs(help, stdout);
            return -1;
        case ':':
            return cli_usage("partition", "option %s needs a value", argv[optind - 1]);
        default:
            return cli_usage("partition", "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage("partition", "unexpected argument \"%s\"", argv[optind]);
    if (!o->host) return cli_usage("partition", "--host is required");
    if (o->dry == o->apply)
        return cli_usage("partition", "give exactly one of --dry-run and --apply");
    return 0;
}

static void print_table(const hr_part_host *h, const hr_part_alloc *a)
{
    printf("host %s: %zu cores, %lld MiB, egress %lld Mbit/s on %s\n", h->name, h->ncpus,
           (long long)(h->mem_bytes >> 20), (long long)(h->net_bps / 1000000),
           h->net_dev[0] ? h->net_dev : "-");
    printf("%-16s %5s %22s %10s %24s %18s\n", "tenant", "prio", "cpu want/guar/limit m", "cpus",
           "mem want/low/max MiB", "egress rate/ceil M");
    for (size_t i = 0; i < h->ntenants; i++) {
        const hr_part_alloc *x = &a[i];
        char cpu[64], mem[64], net[48];
        snprintf(cpu, sizeof cpu, "%lld/%lld/%lld%s", (long long)x->want[0],
                 (long long)x->guarantee[0], (long long)x->limit[0], x->pinned ? " pin" : "");
        snprintf(mem, sizeof mem, "%lld/%lld/%lld", (long long)(x->want[1] >> 20),
                 (long long)(x->guarantee[1] >> 20), (long long)(x->mem_max >> 20));
        snprintf(net, sizeof net, "%.1f/%.1f", (double)x->guarantee[2] / 1e6,
                 (double)x->limit[2] / 1e6);
        printf("%-16s %5d %22s %10s %24s %18s\n", x->name, h->tenants[i].priority, cpu, x->cpus,
               mem, h->net_bps ? net : "-");
    }
}

static void warn_short(const hr_part_host *h, const hr_part_alloc *a)
{
    static const char *const res[] = {"cpu", "memory", "egress"};
    for (size_t i = 0; i < h->ntenants; i++) {
        for (int r = 0; r < HR_PART_RES_COUNT_; r++)
            if (a[i].short_of[r])
                cli_warn("%s: tenant %s gets %lld of the %lld it needs at p%g (%s)", h->name,
                         a[i].name, (long long)a[i].guarantee[r], (long long)a[i].want[r],
                         h->tenants[i].quantile * 100, res[r]);
        if (a[i].pin_denied)
            cli_warn("%s: tenant %s asked for pinned cores that do not fit; it shares", h->name,
                     a[i].name);
    }
}

static int load_state(const char *path, hr_part_alloc **prev, size_t *nprev, hr_error *err)
{
    *prev = NULL;
    *nprev = 0;
    if (!path) return 0;
    char *buf = NULL;
    size_t len = 0;
    int rc = hr_read_file(path, 64 << 20, &buf, &len, err);
    if (rc == HR_EIO && err->sys_errno == 2) return 0; /* no state yet */
    if (!rc) rc = hr_part_alloc_from_json(buf, len, path, prev, nprev, err);
    free(buf);
    return rc;
}

static int apply(const popts *o, const hr_part_host *h, const hr_part_alloc *a,
                 const hr_part_alloc *prev, size_t nprev, hr_error *err)
{
    hr_cgroup_sys *cg = NULL;
    hr_journal *j = NULL;
    hr_action *acts = NULL;
    size_t nacts = 0;
    int rc = hr_cgroup_open(h->cgroup_parent, &cg, err);
    if (!rc)
        rc = hr_part_actions(h, a, prev, nprev, hr_cgroup_supports(cg, "mem_high"), &acts, &nacts,
                             err);
    /* Validate everything before anything changes. */
    hr_act_driver d[2] = {hr_cgroup_driver(cg), hr_tc_driver()};
    for (size_t i = 0; !rc && i < nacts; i++) rc = hr_act_validate(d, 2, &acts[i], err);
    if (!rc) rc = hr_journal_open(o->journal, &j, err);
    size_t added = 0;
    for (size_t i = 0; !rc && i < nacts; i++) {
        int64_t id;
        int r = hr_journal_add(j, &acts[i], &id, err);
        if (r < 0) rc = r;
        added += r == 0;
    }
    hr_act_summary sum = {0};
    if (!rc) rc = hr_act_run(j, d, 2, NULL, &sum, err);
    if (!rc) {
        fprintf(stderr, "headroom: partition %s: %zu actions (%zu new), %zu done, %zu retried\n",
                h->name, nacts, added, sum.done, sum.retries);
        if (o->state) {
            char *txt = hr_part_alloc_to_json(h, a, h->ntenants);
            rc = txt ? hr_write_file_atomic(o->state, txt, strlen(txt), err)
                     : hr_error_set(err, HR_ENOMEM, "out of memory");
            free(txt);
        }
    }
    hr_action_list_free(acts, nacts);
    hr_journal_close(j);
    hr_cgroup_close(cg);
    return rc;
}

static int print_json(const hr_part_host *h, const hr_part_alloc *a, const hr_part_alloc *prev,
                      size_t nprev, hr_error *err)
{
    hr_action *acts = NULL;
    size_t n = 0;
    int rc = hr_part_actions(h, a, prev, nprev, false, &acts, &n, err);
    if (rc) return rc;
    char *plan = hr_part_alloc_to_json(h, a, h->ntenants);
    if (!plan) {
        hr_action_list_free(acts, n);
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    /* The plan object with an "actions" member appended. */
    size_t len = strlen(plan);
    while (len && (plan[len - 1] == '}' || plan[len - 1] == '\n')) len--;
    printf("%.*s,\n  \"actions\": [", (int)len, plan);
    for (size_t i = 0; i < n; i++)
        printf("%s\n    {\"key\": \"%s\", \"kind\": \"%s\", \"target\": \"%s\", \"stage\": %d,"
               " \"params\": %s}",
               i ? "," : "", acts[i].key, acts[i].kind, acts[i].target, acts[i].stage,
               acts[i].params);
    printf("\n  ]\n}\n");
    free(plan);
    hr_action_list_free(acts, n);
    return 0;
}

int cmd_partition(int argc, char **argv)
{
    popts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_OK : rc;
    hr_error err = {0};
    hr_part_host h = {.ntenants = 0};
    hr_part_alloc *a = NULL, *prev = NULL;
    size_t nprev = 0;
    char *fc = NULL;
    size_t fclen = 0;
    if ((rc = hr_part_host_load(o.host, &h, &err))) goto out;
    if (o.forecast && ((rc = hr_read_file(o.forecast, 64 << 20, &fc, &fclen, &err)) ||
                       (rc = hr_part_forecast_merge(&h, fc, fclen, o.forecast, &err))))
        goto out;
    if ((rc = load_state(o.state, &prev, &nprev, &err))) goto out;
    a = calloc(h.ntenants, sizeof *a);
    if (!a) {
        rc = hr_error_set(&err, HR_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = hr_part_solve(&h, prev, nprev, NULL, a, &err))) goto out;
    warn_short(&h, a);
    if (o.json)
        rc = print_json(&h, a, prev, nprev, &err);
    else
        print_table(&h, a);
    if (!rc && o.apply) rc = apply(&o, &h, a, prev, nprev, &err);
out:
    free(fc);
    free(a);
    free(prev);
    hr_part_host_release(&h);
    return rc ? cli_data_error(&err) : CLI_OK;
}
