/* headroom roadef: the ROADEF/EURO 2012 machine reassignment challenge's
 * executable interface, and `headroom roadef check`, our checker. */
#include "cli/cli.h"
#include "cli/plan_portfolio.h"

#include <headroom/plan.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define TEAM_NAME    "headroom"
#define MAX_THREADS  CLI_PORTFOLIO_MAX_THREADS
#define EVEN_HISTORY 100000 /* late-acceptance histories of the exploring threads */
#define ODD_HISTORY  300000

static const char help_text[] =
    "NAME\n"
    "    headroom roadef - ROADEF/EURO 2012 machine reassignment solver and checker\n"
    "\n"
    "SYNOPSIS\n"
    "    headroom roadef -t SECONDS -p MODEL -i ASSIGNMENT -o NEW_ASSIGNMENT\n"
    "                    [-s SEED] [-name] [-j THREADS] [--iters N] [--no-lns]\n"
    "                    [--lns-sub SECONDS] [--lns-machines K]\n"
    "    headroom roadef -name\n"
    "    headroom roadef check MODEL ASSIGNMENT NEW_ASSIGNMENT\n"
    "\n"
    "DESCRIPTION\n"
    "    The first form is the challenge's executable interface: it reads the\n"
    "    instance MODEL and the initial assignment in the official formats, and\n"
    "    writes the best assignment found to NEW_ASSIGNMENT before SECONDS of\n"
    "    wall-clock time have passed (counted from the start of the command),\n"
    "    or as soon as it receives SIGTERM or SIGINT. The initial assignment is\n"
    "    written first, so the file always holds a valid answer; the answer is\n"
    "    never worse than the initial assignment. The search (late-acceptance\n"
    "    hill climbing over shift, swap and ejection-chain moves, targeting\n"
    "    costly machines, with CBC sub-MIPs over a few machines when built with\n"
    "    CBC, and a final descent from the best state) runs on THREADS threads\n"
    "    with seeds SEED, SEED+1, ...: each explores with a long acceptance\n"
    "    history (100,000 move attempts on even threads, 300,000 on odd ones)\n"
    "    and, every 20 M attempts, runs a short descent from where it is whose\n"
    "    best is kept; the best result of all threads is written.\n"
    "    -name prints the team name.\n"
    "\n"
    "    `check` verifies NEW_ASSIGNMENT against the instance and the initial\n"
    "    assignment: capacity (with transient resources), conflict, spread and\n"
    "    dependency constraints, listing every violation, then prints the five\n"
    "    cost terms (weighted) and the total.\n"
    "\n"
    "OPTIONS\n"
    "    -t SECONDS        wall-clock limit (required to solve)\n"
    "    -p MODEL          instance file\n"
    "    -i ASSIGNMENT     initial assignment\n"
    "    -o FILE           where to write the new assignment\n"
    "    -s SEED           random seed (default 1)\n"
    "    -name             print the team name\n"
    "    -j THREADS        search threads (default 2)\n"
    "    --iters N         stop after N move attempts per thread (deterministic)\n"
    "    --no-lns          local search only\n"
    "    --lns-sub S       time cap of one sub-MIP (default 1)\n"
    "    --lns-machines K  machines per sub-MIP (default: automatic, from 4,\n"
    "                      fewer when sub-MIPs hit their cap, more when they\n"
    "                      improve quickly; 2 to 8)\n"
    "    -h, --help        show this help\n"
    "\n"
    "OUTPUT\n"
    "    Solving: a summary on stderr (initial and final cost, moves, iterations).\n"
    "    check: one line per violation, the cost terms, then \"Solution is valid.\n"
    "    Total objective cost is N\" or \"Solution is invalid.\" as the official\n"
    "    checker says it.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 solved / valid, 1 bad data or an invalid solution (check), 2 usage.\n";

static atomic_int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, 1);
}

static int cmd_check(int argc, char **argv)
{
    if (argc != 4) return cli_usage("roadef check", "expected MODEL ASSIGNMENT NEW_ASSIGNMENT");
    hr_error err = {0};
    hr_roadef *in = NULL;
    int32_t *m0 = NULL, *a = NULL;
    hr_roadef_report rep = {0};
    int rc = CLI_EDATA;
    if (hr_roadef_read_model(argv[1], &in, &err) < 0 ||
        hr_roadef_read_assignment(in, argv[2], &m0, &err) < 0 ||
        hr_roadef_read_assignment(in, argv[3], &a, &err) < 0) {
        cli_data_error(&err);
        goto out;
    }
    int n = hr_roadef_check(in, m0, a, &rep, &err);
    if (n < 0) {
        cli_data_error(&err);
        goto out;
    }
    char line[256];
    for (size_t i = 0; i < rep.nkept; i++) {
        hr_roadef_viol_format(&rep.viol[i], line, sizeof line);
        printf("violation: %s\n", line);
    }
    if (rep.nviol > rep.nkept) printf("violation: ... and %zu more\n", rep.nviol - rep.nkept);
    const hr_roadef_cost *c = &rep.cost;
    printf("load cost          %lld\n", (long long)c->load);
    printf("balance cost       %lld\n", (long long)c->balance);
    printf("process move cost  %lld\n", (long long)c->process_move);
    printf("service move cost  %lld\n", (long long)c->service_move);
    printf("machine move cost  %lld\n", (long long)c->machine_move);
    printf("total              %lld\n", (long long)c->total);
    if (n == 0) {
        printf("Solution is valid. Total objective cost is %lld\n", (long long)c->total);
        rc = CLI_OK;
    } else {
        printf("%zu violations\nSolution is invalid.\n", rep.nviol);
    }
out:
    hr_roadef_report_release(&rep);
    free(a);
    free(m0);
    hr_roadef_free(in);
    return rc;
}

struct solve_args {
    const char *model, *initial, *output;
    double seconds;
    uint64_t seed, iters;
    size_t threads;
    bool lns;
    double lns_sub;
    size_t lns_machines;
};

static int solve(const struct solve_args *sa, double t_start)
{
    hr_error err = {0};
    hr_roadef *in = NULL;
    int32_t *m0 = NULL, *best = NULL;
    int rc = CLI_EDATA;
    /* leave room to check and write the answer: 5 % of the limit, 0.3 s to 2 s */
    double margin = sa->seconds * 0.05;
    margin = margin < 0.3 ? 0.3 : margin > 2.0 ? 2.0 : margin;
    if (hr_roadef_read_model(sa->model, &in, &err) < 0 ||
        hr_roadef_read_assignment(in, sa->initial, &m0, &err) < 0 ||
        hr_roadef_write_assignment(in, m0, sa->output, &err) < 0) {
        cli_data_error(&err);
        goto out;
    }
    hr_roadef_report rep;
    int nv = hr_roadef_check(in, m0, m0, &rep, &err);
    int64_t initial = rep.cost.total;
    hr_roadef_report_release(&rep);
    if (nv != 0) {
        if (nv > 0)
            hr_error_set(&err, HR_EINVAL, "%s: the initial assignment has %d violations",
                         sa->initial, nv);
        cli_data_error(&err);
        goto out;
    }
    cli_portfolio pf = {.threads = sa->threads,
                        .lahc_even = EVEN_HISTORY,
                        .lahc_odd = ODD_HISTORY,
                        .who = "roadef"};
    pf.opts.seed = sa->seed;
    pf.opts.deadline_sec = sa->seconds > 0 ? t_start + sa->seconds - margin : 0;
    pf.opts.max_iters = sa->iters;
    pf.opts.stop = &stop_flag;
    pf.opts.lns = sa->lns && hr_roadef_have_cbc();
    pf.opts.lns_sub_sec = sa->lns_sub;
    pf.opts.lns_machines = (int32_t)sa->lns_machines;
    best = malloc((size_t)in->nproc * sizeof *best);
    if (!best) {
        hr_error_set(&err, HR_ENOMEM, "roadef: out of memory");
        cli_data_error(&err);
        goto out;
    }
    cli_portfolio_result res;
    if (cli_portfolio_solve(&pf, in, m0, m0, best, &res, &err) < 0) {
        cli_data_error(&err); /* the initial assignment stands */
        goto out;
    }
    if (res.cost.total < initial && hr_roadef_write_assignment(in, best, sa->output, &err) < 0) {
        cli_data_error(&err);
        goto out;
    }
    size_t moved = 0;
    for (int32_t p = 0; p < in->nproc; p++) moved += best[p] != m0[p];
    const hr_roadef_stats *st = &res.stats;
    fprintf(stderr,
            "roadef: initial %lld, best %lld (%.4f %% lower), %zu processes moved; %zu threads, "
            "%llu iterations, %llu moves, %llu peeks, %llu/%llu sub-MIPs improved, %.2f s\n",
            (long long)initial, (long long)res.cost.total,
            initial ? 100.0 * (double)(initial - res.cost.total) / (double)initial : 0.0, moved,
            res.started, (unsigned long long)st->iters, (unsigned long long)st->moves,
            (unsigned long long)st->peeks, (unsigned long long)st->lns_improved,
            (unsigned long long)st->lns_runs, hr_clock_sec() - t_start);
    rc = CLI_OK;
out:
    free(best);
    free(m0);
    hr_roadef_free(in);
    return rc;
}

static int need_value(int argc, char **argv, int i)
{
    if (i + 1 >= argc) return cli_usage("roadef", "option %s needs a value", argv[i]);
    return 0;
}

int cmd_roadef(int argc, char **argv)
{
    double t_start = hr_clock_sec();
    if (argc >= 2 && !strcmp(argv[1], "check")) return cmd_check(argc - 1, argv + 1);
    struct solve_args sa = {.seed = 1, .threads = 2, .lns = true, .seconds = -1};
    bool name = false;
    size_t v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(help_text, stdout);
            return CLI_OK;
        } else if (!strcmp(a, "-name")) {
            name = true;
        } else if (!strcmp(a, "--no-lns")) {
            sa.lns = false;
        } else if (!strcmp(a, "-t") || !strcmp(a, "-p") || !strcmp(a, "-i") || !strcmp(a, "-o") ||
                   !strcmp(a, "-s") || !strcmp(a, "-j") || !strcmp(a, "--iters") ||
                   !strcmp(a, "--lns-sub") || !strcmp(a, "--lns-machines")) {
            if (need_value(argc, argv, i)) return CLI_EUSAGE;
            const char *val = argv[++i];
            if (!strcmp(a, "-p"))
                sa.model = val;
            else if (!strcmp(a, "-i"))
                sa.initial = val;
            else if (!strcmp(a, "-o"))
                sa.output = val;
            else if (!strcmp(a, "-t") || !strcmp(a, "--lns-sub")) {
                double d;
                if (hr_parse_double_z(val, &d) < 0 || d <= 0 || d > 1e7)
                    return cli_usage("roadef", "%s: \"%s\" is not a positive number of seconds", a,
                                     val);
                if (a[1] == 't')
                    sa.seconds = d;
                else
                    sa.lns_sub = d;
            } else if (!strcmp(a, "-s") || !strcmp(a, "--iters")) {
                if (cli_parse_size("roadef", a, val, 0, SIZE_MAX, &v) < 0) return CLI_EUSAGE;
                if (a[1] == 's')
                    sa.seed = v;
                else
                    sa.iters = v;
            } else if (!strcmp(a, "-j")) {
                if (cli_parse_size("roadef", a, val, 1, MAX_THREADS, &sa.threads) < 0)
                    return CLI_EUSAGE;
            } else {
                if (cli_parse_size("roadef", a, val, 2, 64, &sa.lns_machines) < 0)
                    return CLI_EUSAGE;
            }
        } else {
            return cli_usage("roadef", "unknown option \"%s\"", a);
        }
    }
    if (name) {
        printf("%s\n", TEAM_NAME);
        if (!sa.model && !sa.initial && !sa.output && sa.seconds < 0) return CLI_OK;
    }
    if (!sa.model || !sa.initial || !sa.output)
        return cli_usage("roadef", "-p MODEL, -i ASSIGNMENT and -o NEW_ASSIGNMENT are required");
    if (sa.seconds < 0 && !sa.iters)
        return cli_usage("roadef", "-t SECONDS (or --iters N) is required");
    struct sigaction act = {0};
    act.sa_handler = on_signal;
    sigemptyset(&act.sa_mask);
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    return solve(&sa, t_start);
}
