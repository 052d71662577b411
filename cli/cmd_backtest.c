/* headroom backtest: accuracy of forecasting models on held-out data, either
 * at rolling origins of series files or on the M4 train/test split. */
#include "cli/cli.h"

#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BT_ALPHA     0.1 /* 90 % intervals: levels 0.05 and 0.95 */
#define BT_MAX_FILES 100000

static const char help_text[] =
    "NAME\n"
    "    headroom backtest - measure forecast accuracy on held-out data\n"
    "\n"
    "SYNOPSIS\n"
    "    headroom backtest --input FILE|DIR --horizon H [--origins K] [--step S]\n"
    "                      [--season S]... [--models LIST] [options]\n"
    "    headroom backtest --m4 TRAIN.csv --test TEST.csv [--horizon H]\n"
    "                      [--season S]... [--models LIST] [options]\n"
    "\n"
    "DESCRIPTION\n"
    "    With --input, every series (FILE, or each regular file in DIR, by name;\n"
    "    NAB \"timestamp,value\" CSV or one value per line) is cut at K rolling\n"
    "    origins: the last origin leaves H values after it, the others are S\n"
    "    steps apart before it. At each origin every model is fitted from\n"
    "    scratch on the values before it and forecasts the H values after it.\n"
    "    With --m4, every model is fitted to each training series of an M4 wide\n"
    "    CSV and forecasts the series' values in TEST.csv (same ids, same order).\n"
    "\n"
    "    Accuracy uses the M4 definitions: sMAPE (percent), MASE (scaled by the\n"
    "    in-sample seasonal naive error at the first --season, or lag 1), OWA =\n"
    "    (sMAPE/sMAPE_naive2 + MASE/MASE_naive2)/2 against naive2 evaluated on\n"
    "    the same forecasts in the same run (even when not listed), and for the\n"
    "    central 90 %% interval [q0.05, q0.95] its coverage and MSIS (alpha 0.1).\n"
    "    Intervals come from the model, or, for a model without intervals, from\n"
    "    conformal calibration on rolling-origin errors inside the training data\n"
    "    (see --calibrate). Each figure is a mean over all forecasts. A model that\n"
    "    fails on a series is replaced there by snaive, else naive, and counted.\n"
    "\n"
    "OPTIONS\n"
    "    -i, --input PATH     a series file, or a directory of them\n"
    "        --m4 FILE        M4 training CSV (needs --test)\n"
    "        --test FILE      M4 test CSV\n"
    "    -H, --horizon H      steps to forecast (required with --input; with --m4\n"
    "                         default: the test series' length)\n"
    "    -K, --origins K      rolling origins per series (--input; default 5)\n"
    "        --step S         steps between origins (default: H)\n"
    "    -s, --season S       seasonal period (repeatable, at most 4); default none,\n"
    "                         with --m4 the M4 period of the ids (H 24, M 12, Q 4)\n"
    "        --spec MODEL=SPEC  a model's specification (as in headroom forecast\n"
    "                         --help), e.g. ets=AAdA; repeatable, one per model\n"
    "    -m, --models LIST    comma-separated model names (default: every\n"
    "                         registered model that accepts the options):\n"
    "%s"
    "        --calibrate WHEN auto (default: only models without intervals),\n"
    "                         always, never\n"
    "        --calib-origins K  rolling origins for calibration (default 19)\n"
    "    -j, --jobs N         worker threads (default: online CPUs)\n"
    "        --json           print the results as JSON instead of a table\n"
    "        --report FILE    also write a self-contained HTML report\n"
    "        --report-series N  series charted in the report (default 12)\n"
    "    -h, --help           show this help\n"
    "\n"
    "OUTPUT\n"
    "    A table, one row per model: model, sMAPE, MASE, OWA, cov90 (fraction\n"
    "    of actuals inside the 90 %% interval), MSIS, s/series (seconds to fit,\n"
    "    forecast and calibrate one series at one origin, measured in the worker\n"
    "    thread), intervals (model, conformal, mixed or none) and fallbacks.\n"
    "    With --json: {\"series\", \"forecasts\", \"horizon\", \"season\",\n"
    "    \"baseline\", \"models\": [{\"model\", \"smape\", \"mase\", \"owa\",\n"
    "    \"coverage90\", \"msis\", \"pinball\", \"seconds_per_series\",\n"
    "    \"fallbacks\", \"intervals\"}]}; a figure that cannot be computed is\n"
    "    n/a (table) or null (JSON). Progress goes to stderr on a terminal.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 bad or unusable data (message: FILE:LINE:COL: what);\n"
    "    2 bad usage (the message names the option and its value).\n"
    "\n"
    "EXAMPLES\n"
    "    headroom backtest --m4 Hourly-train.csv --test Hourly-test.csv -s 24 \\\n"
    "        --models naive2,snaive,ets,theta --report m4.html\n"
    "    headroom backtest -i traces/ -H 288 -K 4 -s 288 --json\n";

struct bt_args {
    const char *input, *m4, *test, *report;
    size_t horizon, origins, step, jobs, report_series;
    bool json;
    const char *models[CLI_MAX_MODELS + 1];
    size_t nmodels;
    cli_fc_opts fo;
};

/* One forecast to evaluate: a series cut at an origin. */
struct bt_item {
    size_t series;
    const double *train;
    size_t n;
    const double *actual;
    int report_slot; /* index among the charted series, or -1 */
};

struct bt_result {
    hr_eval e;
    double sec;
    int rc;
    bool fell_back, calibrated, has_q;
    hr_error err; /* why it failed, or why the model fell back */
};

struct bt_run {
    const struct bt_args *a;
    const char **models; /* evaluated: the requested ones, then maybe naive2 */
    size_t nm;
    struct bt_item *items;
    size_t nitems;
    struct bt_result *res; /* [nitems * nm] */
    double *charts;        /* [nshow * nm * 3h]: mean, lo, hi */
    size_t nshow;
    size_t mase_m;
};

static void print_help(void)
{
    char models[4096];
    FILE *mf = fmemopen(models, sizeof models, "w");
    if (mf) {
        cli_print_models(mf);
        fclose(mf);
    } else {
        models[0] = '\0';
    }
    printf(help_text, models);
}

static int parse_args(int argc, char **argv, struct bt_args *a)
{
    enum { O_M4 = 256, O_TEST, O_STEP, O_CAL, O_CALK, O_JSON, O_REP, O_REPN };
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"m4", required_argument, NULL, O_M4},
        {"test", required_argument, NULL, O_TEST},
        {"horizon", required_argument, NULL, 'H'},
        {"origins", required_argument, NULL, 'K'},
        {"step", required_argument, NULL, O_STEP},
        {"season", required_argument, NULL, 's'},
        {"spec", required_argument, NULL, 'S'},
        {"models", required_argument, NULL, 'm'},
        {"calibrate", required_argument, NULL, O_CAL},
        {"calib-origins", required_argument, NULL, O_CALK},
        {"jobs", required_argument, NULL, 'j'},
        {"json", no_argument, NULL, O_JSON},
        {"report", required_argument, NULL, O_REP},
        {"report-series", required_argument, NULL, O_REPN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "backtest";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":i:H:K:s:m:j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            a->input = optarg;
            break;
        case O_M4:
            a->m4 = optarg;
            break;
        case O_TEST:
            a->test = optarg;
            break;
        case 'H':
            if (cli_parse_size(cmd, "--horizon", optarg, 1, 100000, &a->horizon) < 0) return 2;
            break;
        case 'K':
            if (cli_parse_size(cmd, "--origins", optarg, 1, 10000, &a->origins) < 0) return 2;
            break;
        case O_STEP:
            if (cli_parse_size(cmd, "--step", optarg, 1, 100000, &a->step) < 0) return 2;
            break;
        case 'S':
            if (cli_parse_spec(cmd, optarg, &a->fo) != 0) return 2;
            break;
        case 's':
            if (cli_parse_periods(cmd, optarg, a->fo.mopts.periods, &a->fo.mopts.nperiods) < 0)
                return 2;
            break;
        case 'm':
            if (cli_parse_models(cmd, optarg, a->models, &a->nmodels) < 0) return 2;
            break;
        case O_CAL:
            if (!strcmp(optarg, "auto"))
                a->fo.calib = CLI_CALIB_AUTO;
            else if (!strcmp(optarg, "always"))
                a->fo.calib = CLI_CALIB_ALWAYS;
            else if (!strcmp(optarg, "never"))
                a->fo.calib = CLI_CALIB_NEVER;
            else
                return cli_usage(cmd, "--calibrate: \"%s\" is not auto, always or never", optarg);
            break;
        case O_CALK:
            if (cli_parse_size(cmd, "--calib-origins", optarg, 1, 10000, &a->fo.calib_origins) < 0)
                return 2;
            break;
        case 'j':
            if (cli_parse_size(cmd, "--jobs", optarg, 1, 256, &a->jobs) < 0) return 2;
            break;
        case O_JSON:
            a->json = true;
            break;
        case O_REP:
            a->report = optarg;
            break;
        case O_REPN:
            if (cli_parse_size(cmd, "--report-series", optarg, 0, 1000, &a->report_series) < 0)
                return 2;
            break;
        case 'h':
            print_help();
            return -1;
        case ':':
            return cli_usage(cmd, "option %s needs a value", argv[optind - 1]);
        default:
            return cli_usage(cmd, "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (cli_check_specs(cmd, &a->fo)) return 2;
    if (!a->input == !a->m4) return cli_usage(cmd, "give exactly one of --input or --m4");
    if (a->m4 && !a->test) return cli_usage(cmd, "--m4 needs --test TEST.csv");
    if (a->input && a->test) return cli_usage(cmd, "--test goes with --m4, not --input");
    if (a->input && a->horizon == 0) return cli_usage(cmd, "--horizon is required with --input");
    return 0;
}

/* Every registered model that accepts the options, when --models is absent. */
static void default_models(struct bt_args *a)
{
    const char *names[CLI_MAX_MODELS];
    size_t n = hr_model_list(names, NULL, CLI_MAX_MODELS);
    for (size_t i = 0; i < n && i < CLI_MAX_MODELS; i++) {
        hr_model *m = NULL;
        if (hr_model_new(names[i], &a->fo.mopts, &m, NULL) == 0) a->models[a->nmodels++] = names[i];
        hr_model_free(m);
    }
}

/* ---- the work ------------------------------------------------------------------------ */

static void bt_one(size_t i, void *ud)
{
    struct bt_run *run = ud;
    const struct bt_item *it = &run->items[i];
    size_t h = run->a->fo.horizon;
    for (size_t k = 0; k < run->nm; k++) {
        struct bt_result *r = &run->res[i * run->nm + k];
        cli_fc_result fr;
        double t0 = hr_clock_sec();
        r->rc = cli_forecast_series(run->models[k], it->train, it->n, &run->a->fo, &fr, &r->err);
        r->sec = hr_clock_sec() - t0;
        if (r->rc < 0) continue;
        r->fell_back = fr.fell_back;
        if (fr.fell_back) r->err = fr.first_err;
        r->calibrated = fr.calibrated;
        r->has_q = fr.f.has_quantiles;
        r->rc = hr_eval_forecast(it->train, it->n, run->mase_m, it->actual, &fr.f, BT_ALPHA, &r->e,
                                 &r->err);
        if (it->report_slot >= 0) {
            double *c = run->charts + ((size_t)it->report_slot * run->nm + k) * 3 * h;
            memcpy(c, fr.f.mean, h * sizeof(double));
            for (size_t s = 0; s < h; s++) {
                /* levels are 0.05, 0.5, 0.95 (+ none): 0 and 2 */
                c[h + s] = fr.f.has_quantiles ? hr_forecast_q(&fr.f, s, 0) : NAN;
                c[2 * h + s] = fr.f.has_quantiles ? hr_forecast_q(&fr.f, s, 2) : NAN;
            }
        }
        hr_forecast_release(&fr.f);
    }
}

/* ---- inputs ------------------------------------------------------------------------- */

struct bt_data {
    hr_series_set sets[2]; /* --m4: train, test; --input: the files */
    char **paths;          /* --input: the file of each series */
    size_t npaths;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The series files of a directory, sorted by name. */
static int list_dir(const char *dir, char ***out, size_t *n, hr_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return hr_error_set(err, HR_EIO, "%s: cannot open the directory", dir);
    char **v = NULL;
    size_t len = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        size_t plen = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(plen);
        if (!p) {
            rc = HR_ENOMEM;
            break;
        }
        snprintf(p, plen, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        if (len == cap) {
            if (cap >= BT_MAX_FILES) {
                free(p);
                rc = hr_error_set(err, HR_ELIMIT, "%s: more than %d files", dir, BT_MAX_FILES);
                break;
            }
            cap = cap ? 2 * cap : 16;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                free(p);
                rc = HR_ENOMEM;
                break;
            }
            v = nv;
        }
        v[len++] = p;
    }
    closedir(d);
    if (rc == 0 && len == 0) rc = hr_error_set(err, HR_EDATA, "%s: no series files", dir);
    if (rc < 0) {
        for (size_t i = 0; i < len; i++) free(v[i]);
        free(v);
        return rc == HR_ENOMEM ? hr_error_set(err, rc, "out of memory") : rc;
    }
    qsort(v, len, sizeof *v, cmp_str);
    *out = v;
    *n = len;
    return 0;
}

static int load_input(const struct bt_args *a, struct bt_data *d, hr_error *err)
{
    struct stat st;
    if (stat(a->input, &st) != 0)
        return hr_error_set(err, HR_EIO, "%s: no such file or directory", a->input);
    size_t nfiles = 1;
    if (S_ISDIR(st.st_mode)) {
        int rc = list_dir(a->input, &d->paths, &nfiles, err);
        if (rc < 0) return rc;
        d->npaths = nfiles;
    } else {
        d->paths = malloc(sizeof *d->paths);
        if (!d->paths || !(d->paths[0] = strdup(a->input)))
            return hr_error_set(err, HR_ENOMEM, "out of memory");
        d->npaths = 1;
    }
    hr_series_set *set = &d->sets[0];
    set->items = calloc(nfiles, sizeof *set->items);
    if (!set->items) return hr_error_set(err, HR_ENOMEM, "out of memory");
    set->cap = nfiles;
    size_t period = a->fo.mopts.nperiods ? a->fo.mopts.periods[0] : 0;
    for (size_t i = 0; i < nfiles; i++) {
        size_t gaps;
        int rc = cli_read_series(d->paths[i], period, &set->items[i], &gaps, err);
        if (rc < 0) return rc;
        set->len++;
        if (gaps) cli_warn("%s: %zu missing values filled", d->paths[i], gaps);
    }
    return 0;
}

static int load_m4(struct bt_args *a, struct bt_data *d, hr_error *err)
{
    int rc = hr_m4_read(a->m4, &d->sets[0], err);
    if (rc == 0) rc = hr_m4_read(a->test, &d->sets[1], err);
    if (rc < 0) return rc;
    const hr_series_set *tr = &d->sets[0], *te = &d->sets[1];
    if (tr->len != te->len)
        return hr_error_set(err, HR_EDATA, "%s has %zu series but %s has %zu", a->m4, tr->len,
                            a->test, te->len);
    for (size_t i = 0; i < tr->len; i++) {
        const char *x = tr->items[i].name ? tr->items[i].name : "",
                   *y = te->items[i].name ? te->items[i].name : "";
        if (strcmp(x, y))
            return hr_error_setpos(err, HR_EDATA, a->test, (long)i + 2, 1,
                                   "series %s where %s has %s (ids must match, in order)", y, a->m4,
                                   x);
        if (tr->items[i].len < 2)
            return hr_error_setpos(err, HR_EDATA, a->m4, (long)i + 2, 1,
                                   "series %s has fewer than 2 values", x);
        if (a->horizon == 0) a->horizon = te->items[i].len;
        if (te->items[i].len < a->horizon)
            return hr_error_setpos(err, HR_EDATA, a->test, (long)i + 2, 1,
                                   "series %s has %zu test values, fewer than the horizon %zu", y,
                                   te->items[i].len, a->horizon);
    }
    if (a->horizon == 0) return hr_error_set(err, HR_EDATA, "%s: no series", a->test);
    return 0;
}

static void free_data(struct bt_data *d)
{
    hr_series_set_release(&d->sets[0]);
    hr_series_set_release(&d->sets[1]);
    if (d->paths)
        for (size_t i = 0; i < d->npaths; i++) free(d->paths[i]);
    free(d->paths);
}

/* The items: each M4 series once, or each file at K origins. */
static int make_items(struct bt_run *run, const struct bt_data *d, hr_error *err)
{
    const struct bt_args *a = run->a;
    const hr_series_set *set = &d->sets[0];
    size_t h = a->horizon, K = a->m4 ? 1 : a->origins, step = a->step ? a->step : h;
    if (set->len > SIZE_MAX / K / (run->nm + 1))
        return hr_error_set(err, HR_ELIMIT, "too many series");
    run->items = calloc(set->len * K + 1, sizeof *run->items);
    if (!run->items) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (size_t s = 0; s < set->len; s++) {
        const hr_series *sr = &set->items[s];
        if (a->m4) {
            run->items[run->nitems++] = (struct bt_item){
                s, sr->values, sr->len, d->sets[1].items[s].values, s < run->nshow ? (int)s : -1};
            continue;
        }
        size_t need = h + (K - 1) * step + 2;
        if (sr->len < need)
            return hr_error_setpos(err, HR_EDATA, d->paths[s], 0, 0,
                                   "%zu values are too few for %zu origins %zu apart with horizon "
                                   "%zu (need %zu)",
                                   sr->len, K, step, h, need);
        for (size_t k = 0; k < K; k++) {
            size_t t = sr->len - h - (K - 1 - k) * step;
            int slot = (k == K - 1 && s < run->nshow) ? (int)s : -1;
            run->items[run->nitems++] = (struct bt_item){s, sr->values, t, sr->values + t, slot};
        }
    }
    return 0;
}

/* ---- summary ------------------------------------------------------------------------- */

struct bt_summary {
    struct cli_report_model m[CLI_MAX_MODELS + 1];
    size_t baseline; /* index of naive2 in run->models, or SIZE_MAX */
};

static void summarise(const struct bt_run *run, struct bt_summary *sm)
{
    sm->baseline = SIZE_MAX;
    for (size_t k = 0; k < run->nm; k++) {
        hr_metrics_acc acc;
        hr_metrics_acc_init(&acc);
        double sec = 0;
        size_t fb = 0, cal = 0, own = 0;
        for (size_t i = 0; i < run->nitems; i++) {
            const struct bt_result *r = &run->res[i * run->nm + k];
            hr_metrics_acc_add(&acc, &r->e);
            sec += r->sec;
            fb += r->fell_back;
            cal += r->has_q && r->calibrated;
            own += r->has_q && !r->calibrated;
        }
        struct cli_report_model *m = &sm->m[k];
        m->name = run->models[k];
        hr_metrics_acc_mean(&acc, &m->mean);
        m->sec_per_series = sec / (double)run->nitems;
        m->fallbacks = fb;
        m->intervals = cal == run->nitems   ? "conformal"
                       : own == run->nitems ? "model"
                       : cal + own == 0     ? "none"
                                            : "mixed";
        if (!strcmp(m->name, "naive2")) sm->baseline = k;
    }
    for (size_t k = 0; k < run->nm; k++) {
        const hr_eval *b = sm->baseline == SIZE_MAX ? NULL : &sm->m[sm->baseline].mean;
        sm->m[k].owa = b ? hr_owa(sm->m[k].mean.smape, sm->m[k].mean.mase, b->smape, b->mase) : NAN;
    }
}

static void put_num(FILE *out, int prec, int width, double v)
{
    if (isfinite(v))
        fprintf(out, " %*.*f", width, prec, v);
    else
        fprintf(out, " %*s", width, "n/a");
}

static void print_table(const struct bt_run *run, const struct bt_summary *sm, size_t nseries,
                        size_t nshown_models)
{
    const struct bt_args *a = run->a;
    printf("# %zu series, %zu forecasts, horizon %zu, season %zu, OWA vs %s\n", nseries,
           run->nitems, a->horizon, a->fo.mopts.nperiods ? a->fo.mopts.periods[0] : (size_t)0,
           sm->baseline == SIZE_MAX ? "n/a (naive2 is not registered)" : "naive2");
    printf("%-10s %9s %8s %7s %6s %9s %10s  %-9s %s\n", "model", "sMAPE", "MASE", "OWA", "cov90",
           "MSIS", "s/series", "intervals", "fallbacks");
    for (size_t k = 0; k < nshown_models; k++) {
        const struct cli_report_model *m = &sm->m[k];
        printf("%-10s", m->name);
        put_num(stdout, 4, 9, m->mean.smape);
        put_num(stdout, 4, 8, m->mean.mase);
        put_num(stdout, 4, 7, m->owa);
        put_num(stdout, 3, 6, m->mean.coverage);
        put_num(stdout, 3, 9, m->mean.msis);
        put_num(stdout, 6, 10, m->sec_per_series);
        printf("  %-9s %zu\n", m->intervals, m->fallbacks);
    }
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static void print_json(const struct bt_run *run, const struct bt_summary *sm, size_t nseries,
                       size_t nshown_models)
{
    const struct bt_args *a = run->a;
    json_t *root = json_object(), *ms = json_array(), *season = json_array();
    json_object_set_new(root, "series", json_integer((json_int_t)nseries));
    json_object_set_new(root, "forecasts", json_integer((json_int_t)run->nitems));
    json_object_set_new(root, "horizon", json_integer((json_int_t)a->horizon));
    for (size_t i = 0; i < a->fo.mopts.nperiods; i++)
        json_array_append_new(season, json_integer((json_int_t)a->fo.mopts.periods[i]));
    json_object_set_new(root, "season", season);
    json_object_set_new(root, "baseline",
                        sm->baseline == SIZE_MAX ? json_null() : json_string("naive2"));
    for (size_t k = 0; k < nshown_models; k++) {
        const struct cli_report_model *m = &sm->m[k];
        json_t *o = json_object();
        json_object_set_new(o, "model", json_string(m->name));
        json_object_set_new(o, "smape", jnum(m->mean.smape));
        json_object_set_new(o, "mase", jnum(m->mean.mase));
        json_object_set_new(o, "owa", jnum(m->owa));
        json_object_set_new(o, "coverage90", jnum(m->mean.coverage));
        json_object_set_new(o, "msis", jnum(m->mean.msis));
        json_object_set_new(o, "pinball", jnum(m->mean.pinball));
        json_object_set_new(o, "seconds_per_series", jnum(m->sec_per_series));
        json_object_set_new(o, "fallbacks", json_integer((json_int_t)m->fallbacks));
        json_object_set_new(o, "intervals", json_string(m->intervals));
        json_array_append_new(ms, o);
    }
    json_object_set_new(root, "models", ms);
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    putchar('\n');
    json_decref(root);
}

/* ---- the report ------------------------------------------------------------------------ */

static int write_report(const struct bt_run *run, const struct bt_summary *sm,
                        const struct bt_data *d, size_t nshown_models)
{
    const struct bt_args *a = run->a;
    size_t h = a->horizon, season = a->fo.mopts.nperiods ? a->fo.mopts.periods[0] : 0;
    size_t tail = season ? 3 * season : 3 * h;
    struct cli_report_series *rs = calloc(run->nshow + 1, sizeof *rs);
    const double **ptrs = calloc(3 * run->nshow * run->nm + 1, sizeof *ptrs);
    int rc = CLI_OK;
    if (!rs || !ptrs) {
        fprintf(stderr, "headroom: out of memory\n");
        rc = CLI_EDATA;
        goto out;
    }
    size_t shown = 0;
    for (size_t i = 0; i < run->nitems && shown < run->nshow; i++) {
        const struct bt_item *it = &run->items[i];
        if (it->report_slot < 0) continue;
        struct cli_report_series *s = &rs[it->report_slot];
        s->name = a->m4 ? d->sets[0].items[it->series].name : d->paths[it->series];
        s->nhist = it->n < tail ? it->n : tail;
        s->hist = it->train + it->n - s->nhist;
        s->actual = it->actual;
        s->mean = ptrs + 3 * (size_t)it->report_slot * run->nm;
        s->lo = s->mean + run->nm;
        s->hi = s->lo + run->nm;
        for (size_t k = 0; k < run->nm; k++) {
            const double *c = run->charts + ((size_t)it->report_slot * run->nm + k) * 3 * h;
            s->mean[k] = c;
            s->lo[k] = c + h;
            s->hi[k] = c + 2 * h;
        }
        shown++;
    }
    /* Feature the most accurate model (lowest OWA, else sMAPE) in the charts. */
    size_t best = 0;
    for (size_t k = 1; k < nshown_models; k++) {
        double x = isfinite(sm->m[k].owa) ? sm->m[k].owa : sm->m[k].mean.smape;
        double y = isfinite(sm->m[best].owa) ? sm->m[best].owa : sm->m[best].mean.smape;
        if (x < y) best = k;
    }
    char title[256];
    snprintf(title, sizeof title, "headroom backtest: %s", a->m4 ? a->m4 : a->input);
    char source[1024];
    snprintf(source, sizeof source, "%s%s%s", a->m4 ? a->m4 : a->input, a->m4 ? " + " : "",
             a->m4 ? a->test : "");
    struct cli_report r = {
        .title = title,
        .source = source,
        .nseries = d->sets[0].len,
        .nforecasts = run->nitems,
        .horizon = h,
        .season = season,
        .nmodels = nshown_models,
        .models = sm->m,
        .featured = best,
        .nshow = shown,
        .series = rs,
    };
    hr_error err = {0};
    if (cli_report_write(a->report, &r, &err) < 0) rc = cli_data_error(&err);
out:
    free(rs);
    free(ptrs);
    return rc;
}

/* ---- the command ---------------------------------------------------------------------- */

int cmd_backtest(int argc, char **argv)
{
    struct bt_args a = {.origins = 5, .report_series = 12};
    cli_fc_opts_defaults(&a.fo);
    a.jobs = cli_online_cpus();
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    struct bt_data d = {0};
    struct bt_run run = {.a = &a};
    hr_error err = {0};
    rc = a.m4 ? load_m4(&a, &d, &err) : load_input(&a, &d, &err);
    size_t nfiles = d.sets[0].len;
    if (rc < 0) {
        rc = cli_data_error(&err);
        goto out;
    }
    a.fo.horizon = a.horizon;
    a.fo.mopts.horizon = a.horizon; /* sizes "auto"'s validation windows */
    if (a.m4 && a.fo.mopts.nperiods == 0 && (a.fo.mopts.periods[0] = cli_m4_season(&d.sets[0])))
        a.fo.mopts.nperiods = 1; /* M4 convention from the ids (H: 24) */
    if (a.nmodels == 0) default_models(&a);
    if (a.nmodels == 0) {
        rc = cli_usage("backtest", "no registered model accepts these options");
        goto out;
    }
    /* Evaluate the requested models, plus naive2 for OWA when registered. */
    const char *models[CLI_MAX_MODELS + 1];
    size_t nm = a.nmodels;
    bool has_n2 = false;
    for (size_t k = 0; k < nm; k++) {
        models[k] = a.models[k];
        has_n2 |= !strcmp(a.models[k], "naive2");
    }
    if (!has_n2 && cli_model_known("naive2")) models[nm++] = "naive2";
    run.models = models;
    run.nm = nm;
    run.mase_m = a.fo.mopts.nperiods ? a.fo.mopts.periods[0] : 1;
    run.nshow = a.report ? (a.report_series < nfiles ? a.report_series : nfiles) : 0;
    if (make_items(&run, &d, &err) < 0) {
        rc = cli_data_error(&err);
        goto out;
    }
    run.res = calloc(run.nitems * nm + 1, sizeof *run.res);
    run.charts = calloc(run.nshow * nm * 3 * a.horizon + 1, sizeof *run.charts);
    if (!run.res || !run.charts) {
        fprintf(stderr, "headroom: out of memory\n");
        rc = CLI_EDATA;
        goto out;
    }
    cli_parallel(run.nitems, a.jobs, bt_one, &run, "backtest");
    for (size_t i = 0; i < run.nitems * nm; i++) {
        struct bt_result *r = &run.res[i];
        if (r->rc < 0) {
            const struct bt_item *it = &run.items[i / nm];
            hr_error_prefix(&r->err, "%s: series %s", a.m4 ? a.m4 : d.paths[it->series],
                            d.sets[0].items[it->series].name ? d.sets[0].items[it->series].name
                                                             : "");
            rc = cli_data_error(&r->err);
            goto out;
        }
    }
    struct bt_summary sm;
    summarise(&run, &sm);
    for (size_t k = 0; k < a.nmodels; k++) {
        if (!sm.m[k].fallbacks) continue;
        const hr_error *why = NULL;
        for (size_t i = 0; i < run.nitems && !why; i++)
            if (run.res[i * nm + k].fell_back) why = &run.res[i * nm + k].err;
        cli_warn("%s failed on %zu of %zu forecasts (first: %s); snaive or naive stood in",
                 sm.m[k].name, sm.m[k].fallbacks, run.nitems, why ? hr_error_message(why) : "?");
    }
    if (a.json)
        print_json(&run, &sm, d.sets[0].len, a.nmodels);
    else
        print_table(&run, &sm, d.sets[0].len, a.nmodels);
    if (fflush(stdout) != 0) rc = CLI_EDATA;
    if (a.report) {
        int r2 = write_report(&run, &sm, &d, a.nmodels);
        if (r2) rc = r2;
    }
out:
    free(run.items);
    free(run.res);
    free(run.charts);
    free_data(&d);
    return rc;
}
