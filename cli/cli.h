/* Shared declarations of the headroom command's subcommands. The CLI uses
 * the public API only (include/headroom). */
#ifndef HR_CLI_H
#define HR_CLI_H

#include <headroom/backtest.h>
#include <headroom/headroom.h>
#include <headroom/metrics.h>
#include <headroom/sim.h>

#include <stdio.h>

struct hr_cmd {
    const char *name;
    const char *summary;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name; returns the exit code */
};

int cmd_version(int argc, char **argv);
int cmd_forecast(int argc, char **argv);  /* cmd_forecast.c */
int cmd_backtest(int argc, char **argv);  /* cmd_backtest.c */
int cmd_detect(int argc, char **argv);    /* cmd_detect.c */
int cmd_nab(int argc, char **argv);       /* cmd_nab.c */
int cmd_simulate(int argc, char **argv);  /* cmd_simulate.c */
int cmd_roadef(int argc, char **argv);    /* cmd_roadef.c */
int cmd_partition(int argc, char **argv); /* cmd_partition.c */
int cmd_vm(int argc, char **argv);        /* cmd_vm.c */
int cmd_place(int argc, char **argv);     /* cmd_place.c */
int cmd_serve(int argc, char **argv);     /* cmd_serve.c */
int cmd_token(int argc, char **argv);     /* cmd_serve.c */
int cmd_agent(int argc, char **argv);     /* cmd_agent.c */

/* Exit codes of every subcommand. */
enum { CLI_OK = 0, CLI_EDATA = 1, CLI_EUSAGE = 2 };

/* ---- opts.c: option parsing and messages ------------------------------------------ */

#define CLI_MAX_MODELS     32
#define CLI_DEFAULT_LEVELS "0.05,0.5,0.95"

/* Write s to out with & < > " ' escaped for HTML text and attributes. */
void cli_html_escape(FILE *out, const char *s);

/* "headroom: CMD: message" on stderr plus a pointer to --help; returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) HR_PRINTF(2, 3);
/* "headroom: message" on stderr (the message names file:line:col); returns 1. */
int cli_data_error(const hr_error *err);
/* "headroom: warning: ..." on stderr. */
void cli_warn(const char *fmt, ...) HR_PRINTF(1, 2);

/* Parse option `opt`'s value as an integer in [min, max]; on failure print
 * a usage error naming the option and the value and return -1. */
int cli_parse_size(const char *cmd, const char *opt, const char *val, size_t min, size_t max,
                   size_t *out);
/* Add the periods in "24" or "24,168" to periods[*n] (kept ascending, unique). */
int cli_parse_periods(const char *cmd, const char *val, size_t *periods, size_t *n);
/* Merge the levels in `val` into levels[*n] (kept ascending, unique). */
int cli_parse_levels(const char *cmd, const char *opt, const char *val, double *levels, size_t *n);
/* Split a comma list of model names, checking each against the registry:
 * an unknown name is a usage error naming it. */
int cli_parse_models(const char *cmd, const char *val, const char **names, size_t *n);
/* Whether a model name is registered. */
bool cli_model_known(const char *name);
/* Online CPUs (>= 1). */
size_t cli_online_cpus(void);
/* "naive, snaive, ..." for help texts. */
void cli_print_models(FILE *out);

/* Read one series file: NAB "timestamp,value" CSV or one value per line,
 * detected by content (a comma on the first non-blank line means CSV). Gaps
 * are filled (seasonal when `period` > 1, else linear); *gaps gets their
 * count. */
int cli_read_series(const char *path, size_t period, hr_series *out, size_t *gaps, hr_error *err);

/* Write a file atomically: `fn` writes to a temporary file in the same
 * directory, which is then renamed over `path`. `fn` returns 0 or -1. */
int cli_write_atomic(const char *path, int (*fn)(FILE *out, void *ud), void *ud, hr_error *err);

/* ---- pool.c: parallel work queue ---------------------------------------------------- */

/* Call fn(i, ud) for every i in [0, n) on `jobs` threads (an atomic index
 * hands out items). fn must be thread-safe across distinct i. When stderr is
 * a terminal, shows "what: done/total, rate, ETA" while it runs. */
int cli_parallel(size_t n, size_t jobs, void (*fn)(size_t i, void *ud), void *ud, const char *what);

/* ---- sim_report.c: the twin's comparison report ------------------------------------ */

typedef struct cli_sim_job {
    size_t day;         /* index into cli_sim_cmp.days */
    const char *policy; /* one of cli_sim_cmp.policies */
    hr_sim_result res;  /* filled when rc == 0 */
    int rc;
    hr_error err;
} cli_sim_job;

typedef struct cli_sim_cmp {
    const char **days; /* labels (trace folder names) */
    size_t ndays;
    const char **policies;
    size_t npolicies;
    cli_sim_job *jobs; /* [ndays * npolicies], day-major, all succeeded */
    int32_t watch_host;
} cli_sim_cmp;

/* Write the self-contained HTML report of a comparison (a cli_sim_cmp *);
 * returns 0 or -1 (for cli_write_atomic). */
int cli_sim_report_write(FILE *out, void *ud);

/* ---- cmd_forecast.c: one forecast with fallbacks and calibration -------------------- */

enum cli_calib { CLI_CALIB_AUTO, CLI_CALIB_ALWAYS, CLI_CALIB_NEVER };

#define CLI_MAX_SPECS 8

typedef struct cli_fc_opts {
    hr_model_opts mopts;
    size_t horizon;
    double levels[HR_MAX_QUANTILES];
    size_t nq;
    enum cli_calib calib; /* AUTO: only for models without their own intervals */
    size_t calib_origins; /* rolling origins on the training data */
    size_t calib_step;    /* 0 = max(1, horizon / 4) */
    bool fallback;        /* on failure try snaive, then naive */
    /* --spec MODEL=SPEC: a model's specification (hr_model_opts.spec) */
    const char *spec_model[CLI_MAX_SPECS];
    const char *spec_value[CLI_MAX_SPECS];
    size_t nspecs;
} cli_fc_opts;

/* Parse one --spec MODEL=SPEC into o (usage error naming it on failure). */
int cli_parse_spec(const char *cmd, const char *val, cli_fc_opts *o);
/* Create each --spec'd model once: a usage error names a bad one. */
int cli_check_specs(const char *cmd, const cli_fc_opts *o);
/* The options for `model`: o->mopts with its --spec applied. */
void cli_model_opts(const cli_fc_opts *o, const char *model, hr_model_opts *out);

typedef struct cli_fc_result {
    hr_forecast f; /* owned: hr_forecast_release */
    char used[32]; /* the model that produced f (differs on fallback) */
    char desc[64]; /* hr_fit_info.desc of that model */
    bool fell_back;
    bool calibrated;    /* quantiles from conformal calibration */
    hr_error first_err; /* why the requested model failed, when fell_back */
} cli_fc_result;

/* Forecast y[0..n) with `model`. Returns 0 or a negative HR_E* code (err
 * set) when even the fallbacks failed. */
int cli_forecast_series(const char *model, const double *y, size_t n, const cli_fc_opts *o,
                        cli_fc_result *r, hr_error *err);
void cli_fc_opts_defaults(cli_fc_opts *o);

/* ---- report.c: the HTML report -------------------------------------------------- */

struct cli_report_model {
    const char *name;
    hr_eval mean;          /* means over every evaluated forecast */
    double owa;            /* NaN without naive2 */
    double sec_per_series; /* fit + forecast (+ calibration) */
    size_t fallbacks;
    const char *intervals; /* "model", "conformal", "mixed", "none" */
};

struct cli_report_series {
    const char *name;
    const double *hist; /* the history tail shown */
    size_t nhist;
    const double *actual; /* [h] */
    const double **mean;  /* [nmodels] of [h] */
    const double **lo;    /* [nmodels] of [h], 90 % band (may hold NaN) */
    const double **hi;
};

struct cli_report {
    const char *title;
    const char *source; /* input file(s), shown escaped */
    size_t nseries;     /* series evaluated */
    size_t nforecasts;  /* forecasts evaluated (series x origins) */
    size_t horizon, season;
    size_t nmodels;
    const struct cli_report_model *models;
    size_t featured; /* model whose band is drawn */
    size_t nshow;
    const struct cli_report_series *series;
};

int cli_report_write(const char *path, const struct cli_report *r, hr_error *err);

/* ---- m4.c: batch forecasts of an M4 file ------------------------------------------ */

/* The M4 seasonal period of a set, from its ids' frequency letter (the M4
 * convention: H 24, M 12, Q 4; Y, W, D none): 0 when none or mixed. */
size_t cli_m4_season(const hr_series_set *set);

int cli_m4_forecast(const char *cmd, const char *train_path, const char *out_path,
                    const char *model, const cli_fc_opts *o, size_t jobs);

#endif
