/* headroom forecast: forecast one series (or every series of an M4 file). */
#include "cli/cli.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- one forecast, with fallbacks and conformal calibration -------------------------- */

void cli_fc_opts_defaults(cli_fc_opts *o)
{
    memset(o, 0, sizeof *o);
    const double lv[] = {0.05, 0.5, 0.95};
    memcpy(o->levels, lv, sizeof lv);
    o->nq = 3;
    o->calib = CLI_CALIB_AUTO;
    o->calib_origins = 19; /* (19 + 1) * 0.05 = 1: the 90 % band can be exact */
    o->fallback = true;
}

/* Rolling-origin errors on y[0..n) set f's quantiles. The model is refitted
 * at the first origin and updated online after it. Leaves f alone when the
 * series is too short or the backtest fails. */
static bool calibrate(hr_model *m, const double *y, size_t n, const cli_fc_opts *o, hr_forecast *f)
{
    size_t h = o->horizon, step = o->calib_step ? o->calib_step : (h / 4 ? h / 4 : 1);
    size_t period = o->mopts.nperiods ? o->mopts.periods[o->mopts.nperiods - 1] : 1;
    size_t min_train = 3 * period > 10 ? 3 * period : 10;
    size_t K = hr_backtest_max_origins(n, h, step, min_train, o->calib_origins);
    if (K == 0) return false;
    hr_backtest_opts bo = {.horizon = h, .origins = K, .step = step, .refit = false};
    hr_backtest bt;
    hr_calib cal;
    if (hr_backtest_run(m, y, n, &bo, &bt, NULL) < 0) return false;
    bool ok = hr_calib_from_backtest(&cal, &bt, false, NULL) == 0;
    if (ok) ok = hr_calib_apply(&cal, f, NULL) == 0;
    hr_calib_release(&cal);
    hr_backtest_release(&bt);
    return ok;
}

int cli_parse_spec(const char *cmd, const char *val, cli_fc_opts *o)
{
    const char *eq = strchr(val, '=');
    if (!eq || eq == val)
        return cli_usage(cmd, "--spec: \"%s\" is not MODEL=SPEC (e.g. auto=origins=3)", val);
    if (strlen(eq + 1) >= HR_MODEL_SPEC_MAX)
        return cli_usage(cmd, "--spec: \"%s\" is longer than %d characters", eq + 1,
                         HR_MODEL_SPEC_MAX - 1);
    if (o->nspecs == CLI_MAX_SPECS)
        return cli_usage(cmd, "--spec: at most %d of them", CLI_MAX_SPECS);
    o->spec_model[o->nspecs] = val;
    o->spec_value[o->nspecs++] = eq + 1;
    return 0;
}

void cli_model_opts(const cli_fc_opts *o, const char *model, hr_model_opts *out)
{
    *out = o->mopts;
    for (size_t i = 0; i < o->nspecs; i++) {
        size_t len = (size_t)(o->spec_value[i] - 1 - o->spec_model[i]);
        if (strlen(model) == len && !strncmp(model, o->spec_model[i], len))
            snprintf(out->spec, sizeof out->spec, "%s", o->spec_value[i]);
    }
}

int cli_check_specs(const char *cmd, const cli_fc_opts *o)
{
    for (size_t i = 0; i < o->nspecs; i++) {
        size_t len = (size_t)(o->spec_value[i] - 1 - o->spec_model[i]);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), o->spec_model[i]);
        hr_model_opts mo;
        cli_model_opts(o, name, &mo);
        hr_model *m = NULL;
        hr_error err = {0};
        if (hr_model_new(name, &mo, &m, &err) < 0)
            return cli_usage(cmd, "--spec %s: %s", o->spec_model[i], hr_error_message(&err));
        hr_model_free(m);
    }
    return 0;
}

static int try_model(const char *name, const double *y, size_t n, const cli_fc_opts *o,
                     cli_fc_result *r, hr_error *err)
{
    hr_model *m = NULL;
    hr_model_opts mo;
    cli_model_opts(o, name, &mo);
    int rc = hr_model_new(name, &mo, &m, err);
    if (rc == 0) rc = hr_model_fit(m, y, n, err);
    if (rc == 0) rc = hr_model_forecast(m, o->horizon, &r->f, err);
    if (rc == 0) {
        hr_fit_info fi;
        snprintf(r->used, sizeof r->used, "%s", name);
        if (hr_model_info(m, &fi) == 0) snprintf(r->desc, sizeof r->desc, "%s", fi.desc);
        bool own = hr_model_has_intervals(m);
        bool want = o->calib == CLI_CALIB_ALWAYS || (o->calib == CLI_CALIB_AUTO && !own);
        if (want && o->nq && calibrate(m, y, n, o, &r->f)) r->calibrated = true;
    }
    hr_model_free(m);
    return rc;
}

int cli_forecast_series(const char *model, const double *y, size_t n, const cli_fc_opts *o,
                        cli_fc_result *r, hr_error *err)
{
    memset(r, 0, sizeof *r);
    int rc = hr_forecast_init(&r->f, o->horizon, o->levels, o->nq, err);
    if (rc < 0) return rc;
    rc = try_model(model, y, n, o, r, &r->first_err);
    if (rc == 0) return 0;
    if (o->fallback) {
        const char *fb[] = {"snaive", "naive"};
        for (size_t k = 0; k < 2 && rc < 0; k++) {
            if (!strcmp(fb[k], model) || (k == 0 && o->mopts.nperiods == 0)) continue;
            rc = try_model(fb[k], y, n, o, r, err);
            r->fell_back = rc == 0;
        }
        if (rc == 0) return 0;
    } else if (err) {
        *err = r->first_err;
    }
    hr_forecast_release(&r->f);
    return rc;
}

/* ---- output of one forecast ---------------------------------------------------------- */

struct fc_out {
    const hr_series *s;
    const cli_fc_result *r;
    const char *model;
};

static bool has_time(const hr_series *s)
{
    return s->step > 0;
}

static void step_time(const hr_series *s, size_t i, char *buf, size_t size)
{
    int64_t t = s->start + (int64_t)(s->len + i) * s->step;
    if (hr_time_format(t, buf, size) < 0) snprintf(buf, size, "%lld", (long long)t);
}

static void level_name(double lv, char *buf, size_t size)
{
    snprintf(buf, size, "q%g", lv);
}

static int write_csv(FILE *out, void *ud)
{
    const struct fc_out *o = ud;
    const hr_forecast *f = &o->r->f;
    char tb[32], qn[32];
    fprintf(out, "step%s,mean", has_time(o->s) ? ",timestamp" : "");
    for (size_t j = 0; j < f->nq; j++) {
        level_name(f->levels[j], qn, sizeof qn);
        fprintf(out, ",%s", qn);
    }
    fputc('\n', out);
    for (size_t i = 0; i < f->h; i++) {
        fprintf(out, "%zu", i + 1);
        if (has_time(o->s)) {
            step_time(o->s, i, tb, sizeof tb);
            fprintf(out, ",%s", tb);
        }
        fprintf(out, ",%.10g", f->mean[i]);
        for (size_t j = 0; j < f->nq; j++) {
            double q = hr_forecast_q(f, i, j);
            if (f->has_quantiles && isfinite(q))
                fprintf(out, ",%.10g", q);
            else
                fputc(',', out);
        }
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}

static const char *intervals_kind(const cli_fc_result *r)
{
    return !r->f.has_quantiles ? "none" : r->calibrated ? "conformal" : "model";
}

static int write_table(FILE *out, void *ud)
{
    const struct fc_out *o = ud;
    const hr_forecast *f = &o->r->f;
    char tb[32], qn[32];
    fprintf(out, "# %s: %s, %zu values, horizon %zu, intervals: %s\n", o->r->used,
            o->r->desc[0] ? o->r->desc : o->r->used, o->s->len, f->h, intervals_kind(o->r));
    fprintf(out, "%5s", "step");
    if (has_time(o->s)) fprintf(out, "  %-19s", "timestamp");
    fprintf(out, " %12s", "mean");
    for (size_t j = 0; j < f->nq; j++) {
        level_name(f->levels[j], qn, sizeof qn);
        fprintf(out, " %12s", qn);
    }
    fputc('\n', out);
    for (size_t i = 0; i < f->h; i++) {
        fprintf(out, "%5zu", i + 1);
        if (has_time(o->s)) {
            step_time(o->s, i, tb, sizeof tb);
            fprintf(out, "  %-19s", tb);
        }
        fprintf(out, " %12.6g", f->mean[i]);
        for (size_t j = 0; j < f->nq; j++) {
            double q = hr_forecast_q(f, i, j);
            if (f->has_quantiles && isfinite(q))
                fprintf(out, " %12.6g", q);
            else
                fprintf(out, " %12s", "-");
        }
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}

static int write_json(FILE *out, void *ud)
{
    const struct fc_out *o = ud;
    const hr_forecast *f = &o->r->f;
    json_t *root = json_object(), *levels = json_array(), *steps = json_array();
    char tb[32], qn[32];
    json_object_set_new(root, "model", json_string(o->r->used));
    json_object_set_new(root, "requested_model", json_string(o->model));
    json_object_set_new(root, "description", json_string(o->r->desc));
    json_object_set_new(root, "observations", json_integer((json_int_t)o->s->len));
    json_object_set_new(root, "horizon", json_integer((json_int_t)f->h));
    json_object_set_new(root, "intervals", json_string(intervals_kind(o->r)));
    for (size_t j = 0; j < f->nq; j++) json_array_append_new(levels, json_real(f->levels[j]));
    json_object_set_new(root, "levels", levels);
    for (size_t i = 0; i < f->h; i++) {
        json_t *st = json_object(), *qs = json_object();
        json_object_set_new(st, "step", json_integer((json_int_t)(i + 1)));
        if (has_time(o->s)) {
            step_time(o->s, i, tb, sizeof tb);
            json_object_set_new(st, "timestamp", json_string(tb));
        }
        json_object_set_new(st, "mean", json_real(f->mean[i]));
        for (size_t j = 0; j < f->nq; j++) {
            double q = hr_forecast_q(f, i, j);
            snprintf(qn, sizeof qn, "%g", f->levels[j]);
            json_object_set_new(qs, qn,
                                f->has_quantiles && isfinite(q) ? json_real(q) : json_null());
        }
        json_object_set_new(st, "quantiles", qs);
        json_array_append_new(steps, st);
    }
    json_object_set_new(root, "forecast", steps);
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    fputc('\n', out);
    json_decref(root);
    return rc < 0 || ferror(out) ? -1 : 0;
}

/* ---- the command ---------------------------------------------------------------------- */

static const char help_text[] =
    "NAME\n"
    "    headroom forecast - forecast a time series with prediction intervals\n"
    "\n"
    "SYNOPSIS\n"
    "    headroom forecast --input FILE --horizon H [--season S]... [--model NAME]\n"
    "                      [--quantiles L,...] [--format table|csv|json] [-o OUT]\n"
    "    headroom forecast --m4 TRAIN.csv --horizon H [--season S]... [--model NAME]\n"
    "                      -o OUT.csv [--jobs N]\n"
    "\n"
    "DESCRIPTION\n"
    "    Fits the model to the whole series and forecasts H steps past its end,\n"
    "    with the mean and the requested quantiles at every step.\n"
    "\n"
    "    The input FILE is either NAB-style CSV (header, then \"timestamp,value\"\n"
    "    rows; timestamps ISO 8601 or Unix seconds, on a regular grid) or one\n"
    "    value per line; a comma on the first line selects CSV. Missing grid\n"
    "    steps are filled (seasonally with --season, else linearly) and counted\n"
    "    in a warning. With timestamps, the output names the future timestamps.\n"
    "\n"
    "    Models without their own intervals get conformal ones: the model is\n"
    "    backtested on the series at --calib-origins rolling origins and the\n"
    "    quantiles of its errors at each horizon step are added to the point\n"
    "    forecast (split conformal, (n+1) correction).\n"
    "\n"
    "    With --m4 every series of an M4-format wide CSV is forecast, in parallel,\n"
    "    and OUT.csv gets \"id,F1,...,FH\", one row per series in input order. A\n"
    "    series on which the model fails is forecast by snaive (with --season),\n"
    "    else naive, and counted in a warning; every value written is finite.\n"
    "    OUT.csv is written to a temporary file and renamed into place.\n"
    "\n"
    "OPTIONS\n"
    "    -i, --input FILE     the series to forecast (one series mode)\n"
    "        --m4 FILE        M4 wide CSV of training series (batch mode)\n"
    "    -H, --horizon H      steps to forecast, 1..100000 (required)\n"
    "    -s, --season S       seasonal period in steps (repeat or \"24,168\" for\n"
    "                         several, at most 4); default: for timestamped input\n"
    "                         the day and the week, when the data show them\n"
    "                         (ACF peak confirmed by the periodogram); with --m4\n"
    "                         the M4 period of the ids (H 24, M 12, Q 4)\n"
    "        --spec MODEL=SPEC  a model's specification, e.g. ets=AAdA,\n"
    "                         theta=opt, mstl=ets, combo=median:ets,theta,snaive,\n"
    "                         auto=candidates=snaive,mstl-log,ets;top=2;origins=2\n"
    "                         (repeatable, one per model)\n"
    "    -m, --model NAME     model (default: auto); registered models:\n"
    "%s"
    "    -q, --quantiles L    extra quantile levels in (0,1), comma-separated; the\n"
    "                         defaults 0.05,0.5,0.95 are always included\n"
    "    -f, --format FMT     table (default), csv or json (one series mode)\n"
    "    -o, --output FILE    write there instead of stdout (required with --m4)\n"
    "    -j, --jobs N         worker threads for --m4 (default: online CPUs)\n"
    "        --calibrate WHEN auto (default: only models without intervals),\n"
    "                         always (replace the model's intervals), never\n"
    "        --calib-origins K  rolling origins for calibration (default 19)\n"
    "    -h, --help           show this help\n"
    "\n"
    "OUTPUT\n"
    "    table: a comment line naming the fitted model, then one row per step:\n"
    "    step, timestamp (when the input has them), mean, one column per level.\n"
    "    csv: the same columns with a header (step,timestamp,mean,q0.05,...).\n"
    "    json: {\"model\", \"description\", \"horizon\", \"intervals\", \"levels\",\n"
    "    \"forecast\": [{\"step\", \"timestamp\", \"mean\", \"quantiles\": {...}}]}.\n"
    "    A quantile the model could not give is empty (csv), - (table) or null.\n"
    "    Progress goes to stderr when it is a terminal.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 bad or unusable data (message: FILE:LINE:COL: what);\n"
    "    2 bad usage (the message names the option and its value).\n"
    "\n"
    "EXAMPLES\n"
    "    headroom forecast -i cpu.csv -H 288 -s 288 -m ets -f json\n"
    "    headroom forecast -i load.txt -H 24 -m naive -q 0.01,0.99\n"
    "    headroom forecast --m4 Hourly-train.csv -H 48 -s 24 -o submission.csv\n";

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

static int parse_calib(const char *cmd, const char *val, enum cli_calib *out)
{
    if (!strcmp(val, "auto"))
        *out = CLI_CALIB_AUTO;
    else if (!strcmp(val, "always"))
        *out = CLI_CALIB_ALWAYS;
    else if (!strcmp(val, "never"))
        *out = CLI_CALIB_NEVER;
    else
        return cli_usage(cmd, "--calibrate: \"%s\" is not auto, always or never", val), -1;
    return 0;
}

struct fc_args {
    const char *input, *m4, *output, *model, *format;
    size_t jobs;
    cli_fc_opts fo;
};

static int parse_args(int argc, char **argv, struct fc_args *a)
{
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"m4", required_argument, NULL, 'M'},
        {"horizon", required_argument, NULL, 'H'},
        {"season", required_argument, NULL, 's'},
        {"spec", required_argument, NULL, 'S'},
        {"model", required_argument, NULL, 'm'},
        {"quantiles", required_argument, NULL, 'q'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},
        {"calibrate", required_argument, NULL, 'C'},
        {"calib-origins", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "forecast";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":i:H:s:m:q:f:o:j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            a->input = optarg;
            break;
        case 'M':
            a->m4 = optarg;
            break;
        case 'H':
            if (cli_parse_size(cmd, "--horizon", optarg, 1, 100000, &a->fo.horizon) < 0) return 2;
            break;
        case 'S':
            if (cli_parse_spec(cmd, optarg, &a->fo) != 0) return 2;
            break;
        case 's':
            if (cli_parse_periods(cmd, optarg, a->fo.mopts.periods, &a->fo.mopts.nperiods) < 0)
                return 2;
            break;
        case 'm':
            a->model = optarg;
            break;
        case 'q':
            if (cli_parse_levels(cmd, "--quantiles", optarg, a->fo.levels, &a->fo.nq) < 0) return 2;
            break;
        case 'f':
            a->format = optarg;
            break;
        case 'o':
            a->output = optarg;
            break;
        case 'j':
            if (cli_parse_size(cmd, "--jobs", optarg, 1, 256, &a->jobs) < 0) return 2;
            break;
        case 'C':
            if (parse_calib(cmd, optarg, &a->fo.calib) < 0) return 2;
            break;
        case 'K':
            if (cli_parse_size(cmd, "--calib-origins", optarg, 1, 10000, &a->fo.calib_origins) < 0)
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
    if (!a->input == !a->m4) return cli_usage(cmd, "give exactly one of --input FILE or --m4 FILE");
    if (a->fo.horizon == 0) return cli_usage(cmd, "--horizon is required");
    if (!cli_model_known(a->model))
        return cli_usage(cmd, "--model: unknown model \"%s\"", a->model);
    if (strcmp(a->format, "table") && strcmp(a->format, "csv") && strcmp(a->format, "json"))
        return cli_usage(cmd, "--format: \"%s\" is not table, csv or json", a->format);
    if (a->m4 && !a->output) return cli_usage(cmd, "--m4 needs --output OUT.csv");
    return 0;
}

static int forecast_one(const struct fc_args *a)
{
    hr_error err = {0};
    hr_series s;
    size_t gaps = 0;
    size_t period = a->fo.mopts.nperiods ? a->fo.mopts.periods[0] : 0;
    if (cli_read_series(a->input, period, &s, &gaps, &err) < 0) return cli_data_error(&err);
    if (gaps) cli_warn("%s: %zu missing values filled", a->input, gaps);
    cli_fc_opts fopts = a->fo;
    if (fopts.mopts.nperiods == 0 && s.step > 0) {
        /* No --season: keep the daily and weekly periods the data show. */
        size_t cand[HR_MAX_PERIODS];
        int nc = hr_candidate_periods(s.step, cand, HR_MAX_PERIODS);
        int np = hr_detect_periods(s.values, s.len, cand, (size_t)nc, fopts.mopts.periods,
                                   HR_MAX_PERIODS);
        fopts.mopts.nperiods = np > 0 ? (size_t)np : 0;
        if (np > 0) {
            fprintf(stderr, "headroom: %s: seasonal period%s detected:", a->input,
                    np > 1 ? "s" : "");
            for (int i = 0; i < np; i++) fprintf(stderr, " %zu", fopts.mopts.periods[i]);
            fprintf(stderr, " steps (give --season to choose)\n");
        }
    }
    cli_fc_result r;
    int rc = cli_forecast_series(a->model, s.values, s.len, &fopts, &r, &err);
    if (rc < 0) {
        hr_error_prefix(&err, "%s", a->input);
        rc = cli_data_error(&err);
        goto out;
    }
    if (r.fell_back)
        cli_warn("%s: model %s failed (%s); forecast by %s", a->input, a->model,
                 hr_error_message(&r.first_err), r.used);
    if (a->fo.nq && !r.f.has_quantiles)
        cli_warn("%s: the series is too short to calibrate intervals for %s", a->input, r.used);
    struct fc_out fo = {.s = &s, .r = &r, .model = a->model};
    int (*fn)(FILE *, void *) = !strcmp(a->format, "csv")    ? write_csv
                                : !strcmp(a->format, "json") ? write_json
                                                             : write_table;
    if (a->output) {
        if (cli_write_atomic(a->output, fn, &fo, &err) < 0) rc = cli_data_error(&err);
    } else if (fn(stdout, &fo) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "headroom: writing the forecast failed\n");
        rc = CLI_EDATA;
    }
    hr_forecast_release(&r.f);
out:
    hr_series_release(&s);
    return rc;
}

int cmd_forecast(int argc, char **argv)
{
    struct fc_args a = {.model = "auto", .format = "table"};
    cli_fc_opts_defaults(&a.fo);
    a.jobs = cli_online_cpus();
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    a.fo.mopts.horizon = a.fo.horizon; /* sizes "auto"'s validation windows */
    if (a.m4) return cli_m4_forecast("forecast", a.m4, a.output, a.model, &a.fo, a.jobs);
    return forecast_one(&a);
}
