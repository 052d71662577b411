/* headroom place: a target placement and the migration plan reaching it,
 * for headroom's own JSON fleet (docs/fleet-schema.md); PLAN.json follows
 * docs/plan-schema.md. */
#include "cli/cli.h"
#include "cli/plan_portfolio.h"

#include <headroom/plan.h>

#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS CLI_PORTFOLIO_MAX_THREADS

static const char help_text[] =
    "NAME\n"
    "    headroom place - target placement and migration plan for a fleet\n"
    "\n"
    "SYNOPSIS\n"
    "    headroom place --fleet FLEET.json [--time S] (-o PLAN.json | --dry-run)\n"
    "                   [--seed N] [-j THREADS] [--iters N] [--per-host K]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the fleet (docs/fleet-schema.md) and finds a target placement\n"
    "    minimising the ROADEF/EURO 2012 objective it describes (load over\n"
    "    safety capacity, balance, workload / service / host move costs) under\n"
    "    its constraints (capacity, transient resources, distinct hosts, spread,\n"
    "    dependencies, required labels), with the solver of `headroom roadef`.\n"
    "    Workloads without a host are placed first (greedy, largest first); a\n"
    "    first placement is not a move. When today's placement breaks a\n"
    "    constraint, it is repaired: the workloads that break it leave their\n"
    "    host in a first step (named in the summary), the rest stays. Then it\n"
    "    orders the moves so that every\n"
    "    intermediate state fits (parking a workload elsewhere when needed),\n"
    "    at most K moves in or out of one host per step.\n"
    "\n"
    "    Prints a summary (each cost term before and after, moves, steps) and\n"
    "    the diff: per move, the workload, from host -> to host, the reason and\n"
    "    the move cost. Writes PLAN.json (docs/plan-schema.md) unless --dry-run.\n"
    "\n"
    "OPTIONS\n"
    "    --fleet FILE    the fleet (JSON)\n"
    "    --time S        search time in seconds (default 5)\n"
    "    -o FILE         where to write the plan (atomically)\n"
    "    --dry-run       print the summary and diff, write nothing\n"
    "    --seed N        random seed (default 1)\n"
    "    -j THREADS      search threads (default 2)\n"
    "    --iters N       stop after N move attempts per thread (with -j 1:\n"
    "                    deterministic)\n"
    "    --per-host K    moves in or out of one host per step (default 2; 0 =\n"
    "                    unlimited)\n"
    "    -h, --help      show this help\n"
    "\n"
    "EXIT STATUS\n"
    "    0 planned, 1 bad fleet or no valid placement even after repair, 2 usage.\n";

static atomic_int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, 1);
}

struct place_args {
    const char *fleet, *output;
    double seconds;
    uint64_t seed, iters;
    size_t threads, per_host;
    bool dry_run;
};

/* Solve on sa->threads threads; the best assignment lands in `target`. */
static int solve(const struct place_args *sa, const hr_roadef *in, const int32_t *m0,
                 int32_t *target, hr_error *err)
{
    cli_portfolio pf = {.threads = sa->threads, .lahc_even = 0, .lahc_odd = 100000, .who = "place"};
    pf.opts.seed = sa->seed;
    pf.opts.deadline_sec = sa->iters ? 0 : hr_clock_sec() + sa->seconds;
    pf.opts.max_iters = sa->iters;
    pf.opts.stop = &stop_flag;
    pf.opts.lns = hr_roadef_have_cbc();
    cli_portfolio_result res;
    return cli_portfolio_solve(&pf, in, m0, target, target, &res, err);
}

/* Load + balance cost of host m under `a` (for the reasons shown). */
static int64_t host_cost(const hr_roadef *in, const int32_t *a, int32_t m)
{
    int32_t R = in->nres;
    int64_t u[HR_ROADEF_MAX_RESOURCES] = {0}, cost = 0;
    for (int32_t p = 0; p < in->nproc; p++)
        if (a[p] == m)
            for (int32_t r = 0; r < R; r++) u[r] += in->req[(size_t)p * R + r];
    const int64_t *sc = in->safety + (size_t)m * R, *c = in->cap + (size_t)m * R;
    for (int32_t r = 0; r < R; r++)
        if (u[r] > sc[r]) cost += in->wload[r] * (u[r] - sc[r]);
    for (int32_t b = 0; b < in->nbal; b++) {
        const hr_roadef_balance *bl = &in->bal[b];
        int64_t v = bl->target * (c[bl->r1] - u[bl->r1]) - (c[bl->r2] - u[bl->r2]);
        if (v > 0) cost += bl->weight * v;
    }
    return cost;
}

typedef struct plan_ctx {
    const struct place_args *sa;
    const hr_fleet *f;
    const hr_roadef *in;
    const int32_t *cur;      /* today's placement, -1 = not placed */
    const int32_t *start;    /* the valid start (unplaced ones placed greedily) */
    const int32_t *target;   /* the answer */
    const uint8_t *repaired; /* 1 + hr_roadef_viol_kind: moved off today's host to fix it */
    size_t nrepaired;
    hr_roadef_cost before, after;
    hr_migration mg;
    json_t *doc;
} plan_ctx;

static json_t *cost_json(const hr_roadef_cost *c)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "load", (json_int_t)c->load, "balance",
                     (json_int_t)c->balance, "workload_move", (json_int_t)c->process_move,
                     "service_move", (json_int_t)c->service_move, "host_move",
                     (json_int_t)c->machine_move, "total", (json_int_t)c->total);
}

/* Why a target move is there: what the host it leaves costs before and after. */
static void target_reason(const plan_ctx *c, int32_t from, char *buf, size_t size)
{
    int64_t b = host_cost(c->in, c->start, from), a = host_cost(c->in, c->target, from);
    if (b > a)
        snprintf(buf, size, "relieves %s (load+balance %lld -> %lld)", c->f->hosts[from].name,
                 (long long)b, (long long)a);
    else
        snprintf(buf, size, "better placement overall");
}

/* Why a workload was moved off today's host before planning. */
static const char *repair_why(uint8_t kind)
{
    switch ((hr_roadef_viol_kind)(kind - 1)) {
    case HR_VIOL_CAPACITY:
    case HR_VIOL_TRANSIENT:
        return "today's host is over capacity or lacks a required label";
    case HR_VIOL_CONFLICT:
        return "shares today's host with a workload of its service, which wants distinct hosts";
    case HR_VIOL_SPREAD:
        return "its service spans too few locations";
    case HR_VIOL_DEPENDENCY:
        return "a service it depends on is not in today's host's neighbourhood";
    }
    return "?";
}

static int build_doc(plan_ctx *c)
{
    const hr_fleet *f = c->f;
    json_t *moves = json_array(), *tgt = json_object();
    c->doc = json_pack("{s:i,s:s,s:I,s:f,s:o,s:o,s:i,s:i,s:i}", "headroom_plan", 1, "fleet",
                       c->sa->fleet, "seed", (json_int_t)c->sa->seed, "seconds", c->sa->seconds,
                       "cost_before", cost_json(&c->before), "cost_after", cost_json(&c->after),
                       "steps", (int)c->mg.nsteps + (c->nrepaired ? 1 : 0), "per_host",
                       (int)c->sa->per_host, "repaired", (int)c->nrepaired);
    if (!c->doc || !moves || !tgt) {
        json_decref(moves);
        json_decref(tgt);
        return HR_ENOMEM;
    }
    char why[256];
    int shift = c->nrepaired ? 1 : 0; /* repairs come first, as step 1 */
    for (int32_t p = 0; p < c->in->nproc; p++)
        if (c->repaired[p])
            json_array_append_new(
                moves, json_pack("{s:i,s:s,s:s,s:s,s:s,s:I,s:s}", "step", 1, "workload",
                                 f->workloads[p].name, "from", f->hosts[c->cur[p]].name, "to",
                                 f->hosts[c->start[p]].name, "reason", "repair", "cost",
                                 (json_int_t)0, "why", repair_why(c->repaired[p])));
    for (size_t i = 0; i < c->mg.nmoves; i++) {
        const hr_move *mv = &c->mg.moves[i];
        if (mv->reason == HR_REASON_TARGET)
            target_reason(c, mv->from, why, sizeof why);
        else if (mv->reason == HR_REASON_PARK)
            snprintf(why, sizeof why, "makes room for %s", f->workloads[mv->blocker].name);
        else
            snprintf(why, sizeof why, "from parking to its target");
        json_array_append_new(moves, json_pack("{s:i,s:s,s:s,s:s,s:s,s:I,s:s}", "step",
                                               (int)mv->step + 1 + shift, "workload",
                                               f->workloads[mv->process].name, "from",
                                               f->hosts[mv->from].name, "to", f->hosts[mv->to].name,
                                               "reason", hr_move_reason_name(mv->reason), "cost",
                                               (json_int_t)mv->cost, "why", why));
    }
    for (int32_t p = 0; p < c->in->nproc; p++) {
        if (c->cur[p] < 0)
            json_array_append_new(moves, json_pack("{s:i,s:s,s:n,s:s,s:s,s:I,s:s}", "step",
                                                   (int)c->mg.nsteps + 1 + shift, "workload",
                                                   f->workloads[p].name, "from", "to",
                                                   f->hosts[c->target[p]].name, "reason", "place",
                                                   "cost", (json_int_t)0, "why", "not placed yet"));
        json_object_set_new(tgt, f->workloads[p].name, json_string(f->hosts[c->target[p]].name));
    }
    json_object_set_new(c->doc, "moves", moves);
    json_object_set_new(c->doc, "target", tgt);
    return 0;
}

static void print_summary(const plan_ctx *c, FILE *out)
{
    const hr_roadef_cost *b = &c->before, *a = &c->after;
    size_t nplace = 0;
    for (int32_t p = 0; p < c->in->nproc; p++) nplace += c->cur[p] < 0;
    fprintf(out, "place: %zu hosts, %zu workloads (%zu not placed yet)\n", c->f->nhosts,
            c->f->nworkloads, nplace);
    if (c->nrepaired)
        fprintf(out,
                "repaired: today's placement violates constraints; %zu workloads moved off their "
                "host first (step 1), the rest kept\n",
                c->nrepaired);
    for (int32_t p = 0; p < c->in->nproc; p++)
        if (c->repaired[p])
            fprintf(out, "  %s: %s -> %s: %s\n", c->f->workloads[p].name,
                    c->f->hosts[c->cur[p]].name, c->f->hosts[c->start[p]].name,
                    repair_why(c->repaired[p]));
    fprintf(out, "%-15s %15s %15s\n", "cost", "before", "after");
    const char *names[] = {"load",         "balance",   "workload move",
                           "service move", "host move", "total"};
    const int64_t bv[] = {b->load,         b->balance,      b->process_move,
                          b->service_move, b->machine_move, b->total};
    const int64_t av[] = {a->load,         a->balance,      a->process_move,
                          a->service_move, a->machine_move, a->total};
    for (int i = 0; i < 6; i++)
        fprintf(out, "%-15s %15lld %15lld\n", names[i], (long long)bv[i], (long long)av[i]);
    fprintf(out, "moves: %zu in %d steps (%zu parked), %zu placements, %zu repairs\n", c->mg.nmoves,
            (int)c->mg.nsteps, c->mg.nparked, nplace, c->nrepaired);
}

static void print_diff(const plan_ctx *c, FILE *out)
{
    size_t n = json_array_size(json_object_get(c->doc, "moves"));
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(json_object_get(c->doc, "moves"), i);
        const char *from = json_string_value(json_object_get(m, "from"));
        fprintf(out, "step %lld: %s: %s -> %s  %s (%s), cost %lld\n",
                (long long)json_integer_value(json_object_get(m, "step")),
                json_string_value(json_object_get(m, "workload")), from ? from : "(none)",
                json_string_value(json_object_get(m, "to")),
                json_string_value(json_object_get(m, "reason")),
                json_string_value(json_object_get(m, "why")),
                (long long)json_integer_value(json_object_get(m, "cost")));
    }
}

static int write_doc(FILE *out, void *ud)
{
    return json_dumpf(ud, out, JSON_INDENT(2)) == 0 && fputc('\n', out) != EOF ? 0 : -1;
}

/* The service's name as the fleet says it (service or anti-affinity group). */
static const char *serv_name(const hr_fleet *f, const hr_roadef *in, int32_t s)
{
    if (in->sp_start[s] == in->sp_start[s + 1]) return "?";
    const hr_workload *w = &f->workloads[in->sp[in->sp_start[s]]];
    if (w->service != HR_NONE) return f->services[w->service].name;
    if (w->anti_affinity != HR_NONE) return hr_fleet_name(f, HR_KIND_GROUP, w->anti_affinity);
    return w->name;
}

/* Each violation of today's placement, in the fleet's names. */
static void explain_invalid(const hr_fleet *f, const hr_roadef *in, const int32_t *m0)
{
    hr_roadef_report rep;
    if (hr_roadef_check(in, m0, m0, &rep, NULL) <= 0) {
        hr_roadef_report_release(&rep);
        return;
    }
    int32_t FR = in->nres - in->nlabel_res;
    for (size_t i = 0; i < rep.nkept; i++) {
        const hr_roadef_viol *v = &rep.viol[i];
        switch (v->kind) {
        case HR_VIOL_CAPACITY:
        case HR_VIOL_TRANSIENT:
            if (v->b < FR)
                cli_warn("place: host %s: %s over capacity by %lld", f->hosts[v->a].name,
                         f->resources[v->b].name, (long long)v->amount);
            else
                cli_warn("place: host %s lacks a label its workloads require", f->hosts[v->a].name);
            break;
        case HR_VIOL_CONFLICT:
            cli_warn("place: host %s runs %lld workloads of \"%s\", which wants distinct hosts",
                     f->hosts[v->b].name, (long long)v->amount, serv_name(f, in, v->a));
            break;
        case HR_VIOL_SPREAD:
            cli_warn("place: service \"%s\" spans %lld locations, needs %d", serv_name(f, in, v->a),
                     (long long)v->amount, (int)v->b);
            break;
        case HR_VIOL_DEPENDENCY:
            cli_warn("place: workload %s: no workload of \"%s\" in its host's neighbourhood",
                     f->workloads[v->a].name, serv_name(f, in, v->b));
            break;
        }
    }
    hr_roadef_report_release(&rep);
}

static int cost_of(const hr_roadef *in, const int32_t *m0, const int32_t *a, hr_roadef_cost *out,
                   hr_error *err)
{
    hr_roadef_report rep;
    int n = hr_roadef_check(in, m0, a, &rep, err);
    if (n == 0) *out = rep.cost;
    hr_roadef_report_release(&rep);
    if (n > 0) return hr_error_set(err, HR_ESTATE, "place: internal error: invalid placement");
    return n;
}

static int place(const struct place_args *sa)
{
    hr_error err = {0};
    hr_fleet *f = NULL;
    hr_roadef *in = NULL;
    int32_t *m0 = NULL, *cur = NULL, *start = NULL, *target = NULL, *mfrom = NULL;
    uint8_t *repaired = NULL;
    plan_ctx c = {.sa = sa};
    int rc = CLI_EDATA;
    if (hr_fleet_load_json(sa->fleet, &f, &err) < 0 || hr_roadef_from_fleet(f, &in, &m0, &err) < 0)
        goto fail;
    size_t P = (size_t)in->nproc;
    cur = malloc(P * sizeof *cur);
    start = malloc(P * sizeof *start);
    target = malloc(P * sizeof *target);
    mfrom = malloc(P * sizeof *mfrom);
    repaired = malloc(P * sizeof *repaired);
    if (!cur || !start || !target || !mfrom || !repaired) {
        hr_error_set(&err, HR_ENOMEM, "place: out of memory");
        goto fail;
    }
    memcpy(cur, m0, P * sizeof *cur);
    if (hr_roadef_start_repair(in, m0, start, repaired, &err) < 0) goto fail;
    for (size_t p = 0; p < P; p++) c.nrepaired += repaired[p] != 0;
    if (c.nrepaired) explain_invalid(f, in, cur);
    memcpy(target, start, P * sizeof *target);
    if (solve(sa, in, m0, target, &err) < 0) goto fail;
    if (cost_of(in, m0, start, &c.before, &err) < 0 || cost_of(in, m0, target, &c.after, &err) < 0)
        goto fail;
    /* workloads not placed yet join at their target after the moves: in
     * the plan they sit there from the start (a conservative bound) */
    for (size_t p = 0; p < P; p++) mfrom[p] = cur[p] < 0 ? target[p] : start[p];
    if (hr_migration_plan(in, mfrom, target, (int32_t)sa->per_host, &c.mg, &err) < 0) goto fail;
    c.f = f;
    c.in = in;
    c.cur = cur;
    c.start = start;
    c.target = target;
    c.repaired = repaired;
    if (build_doc(&c) < 0) {
        hr_error_set(&err, HR_ENOMEM, "place: out of memory");
        goto fail;
    }
    print_summary(&c, stdout);
    if (sa->dry_run)
        print_diff(&c, stdout);
    else if (cli_write_atomic(sa->output, write_doc, c.doc, &err) < 0)
        goto fail;
    rc = CLI_OK;
    goto out;
fail:
    cli_data_error(&err);
out:
    json_decref(c.doc);
    hr_migration_release(&c.mg);
    free(cur);
    free(start);
    free(target);
    free(mfrom);
    free(repaired);
    free(m0);
    hr_roadef_free(in);
    hr_fleet_free(f);
    return rc;
}

int cmd_place(int argc, char **argv)
{
    struct place_args sa = {.seconds = 5, .seed = 1, .threads = 2, .per_host = 2};
    static const struct option lo[] = {
        {"fleet", required_argument, 0, 'f'}, {"time", required_argument, 0, 't'},
        {"dry-run", no_argument, 0, 'n'},     {"seed", required_argument, 0, 's'},
        {"iters", required_argument, 0, 'i'}, {"per-host", required_argument, 0, 'k'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0},
    };
    size_t v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:j:h", lo, NULL)) != -1) {
        switch (ch) {
        case 'f':
            sa.fleet = optarg;
            break;
        case 'o':
            sa.output = optarg;
            break;
        case 'n':
            sa.dry_run = true;
            break;
        case 't':
            if (hr_parse_double_z(optarg, &sa.seconds) < 0 || !(sa.seconds > 0) || sa.seconds > 1e6)
                return cli_usage("place", "--time: \"%s\" is not a positive number of seconds",
                                 optarg);
            break;
        case 's':
            if (cli_parse_size("place", "--seed", optarg, 0, SIZE_MAX, &v) < 0) return CLI_EUSAGE;
            sa.seed = v;
            break;
        case 'i':
            if (cli_parse_size("place", "--iters", optarg, 1, SIZE_MAX, &v) < 0) return CLI_EUSAGE;
            sa.iters = v;
            break;
        case 'j':
            if (cli_parse_size("place", "-j", optarg, 1, MAX_THREADS, &sa.threads) < 0)
                return CLI_EUSAGE;
            break;
        case 'k':
            if (cli_parse_size("place", "--per-host", optarg, 0, INT32_MAX, &sa.per_host) < 0)
                return CLI_EUSAGE;
            break;
        case 'h':
            fputs(help_text, stdout);
            return CLI_OK;
        default:
            return cli_usage("place", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("place", "unexpected argument \"%s\"", argv[optind]);
    if (!sa.fleet) return cli_usage("place", "--fleet FLEET.json is required");
    if (!sa.output && !sa.dry_run)
        return cli_usage("place", "-o PLAN.json or --dry-run is required");
    struct sigaction act = {0};
    act.sa_handler = on_signal;
    sigemptyset(&act.sa_mask);
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    return place(&sa);
}
