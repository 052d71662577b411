/* headroom detect: streaming anomaly detection over one NAB file or a NAB
 * corpus, and (--explain) root cause over an aggregate and its children. */
#include "cli/cli.h"

#include <headroom/anomaly.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DETECT_MAX_FILES 100000
#define DETECT_MAX_DEPTH 16

static void detect_help(FILE *out)
{
    fprintf(out, "usage: headroom detect --input FILE.csv -o OUT.csv [options]\n"
                 "       headroom detect --nab DATA_DIR -o RESULTS_DIR [options]\n"
                 "       headroom detect --explain --aggregate AGG.csv --children DIR [options]\n\n"
                 "Score every row of a NAB file (\"timestamp,value\") as a stream: a row's score\n"
                 "depends only on the rows before it and itself. Writes\n"
                 "\"timestamp,value,anomaly_score\", one row per input row, in order.\n"
                 "With --nab, does every *.csv under DATA_DIR and mirrors its relative paths\n"
                 "under RESULTS_DIR (score them with 'headroom nab score').\n\n"
                 "options:\n"
                 "  -i, --input FILE     one NAB data file\n"
                 "      --nab DIR        every *.csv under DIR\n"
                 "  -o, --output PATH    output file (--input) or directory (--nab)\n"
                 "  -d, --detector NAME  detector (default ensemble):\n");
    const char *names[16], *sums[16];
    size_t n = hr_detector_list(names, sums, 16);
    for (size_t i = 0; i < n && i < 16; i++)
        fprintf(out, "                         %-9s %s\n", names[i], sums[i]);
    fprintf(out,
            "                       (developer option: ensemble:key=value,... overrides the\n"
            "                       ensemble's constants, see docs/BENCHMARKS.md)\n"
            "      --model NAME     engine model for the residual detector (e.g. naive, ets)\n"
            "      --reasons        add columns detector,expected,lo,hi (the reason)\n"
            "      --annotations F  \"start,end,text\" lines: maintenance windows and the loop's\n"
            "                       own actions; rows inside score 0 (expected, not an alarm)\n"
            "  -j, --jobs N         files in parallel with --nab (default: online CPUs)\n"
            "      --explain        root cause: see 'headroom detect --explain --help'\n");
}

typedef struct det_cfg {
    const char *detector;
    hr_detector_opts opts;
    bool reasons;
    const hr_suppressor *sup; /* --annotations, may be NULL */
} det_cfg;

/* --annotations FILE: lines "start,end,text" (timestamps as in the data; a
 * '#' line is a comment). */
static int load_annotations(const char *path, hr_suppressor **out, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, (size_t)64 << 20, &buf, &len, err);
    if (rc < 0) return rc;
    hr_suppressor *s = NULL;
    if ((rc = hr_suppress_new(HR_SUPPRESS_MAX, &s)) < 0)
        rc = hr_error_set(err, rc, "out of memory");
    long line = 0;
    for (char *p = buf; rc == 0 && p < buf + len; line++) {
        char *eol = memchr(p, '\n', (size_t)(buf + len - p));
        size_t n = eol ? (size_t)(eol - p) : (size_t)(buf + len - p);
        if (n && p[n - 1] == '\r') n--;
        char *c1 = memchr(p, ',', n),
             *c2 = c1 ? memchr(c1 + 1, ',', n - (size_t)(c1 + 1 - p)) : NULL;
        int64_t a, b;
        if (n == 0 || p[0] == '#') {
            /* blank or comment */
        } else if (!c2 || hr_time_parse(p, (size_t)(c1 - p), &a) < 0 ||
                   hr_time_parse(c1 + 1, (size_t)(c2 - c1 - 1), &b) < 0) {
            rc = hr_error_setpos(err, HR_EPARSE, path, line + 1, 1,
                                 "expected \"start,end,text\" with two timestamps");
        } else {
            char text[HR_SUPPRESS_TEXT_MAX];
            size_t tl = n - (size_t)(c2 + 1 - p);
            if (tl >= sizeof text) tl = sizeof text - 1;
            memcpy(text, c2 + 1, tl);
            text[tl] = '\0';
            if ((rc = hr_suppress_add_window(s, a, b, text)) < 0)
                hr_error_setpos(err, rc, path, line + 1, 1, "%s",
                                rc == HR_EINVAL ? "the window ends before it starts"
                                                : "too many annotations");
        }
        p = eol ? eol + 1 : buf + len;
    }
    free(buf);
    if (rc < 0) {
        hr_suppress_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

typedef struct det_out {
    const hr_csv_rows *rows;
    const double *score;
    const hr_anomaly_reason *why; /* NULL without --reasons */
} det_out;

/* Shortest "%.*g" that reads back to the same double. */
static void put_double(FILE *f, double v)
{
    char b[40];
    for (int p = 15; p <= 17; p++) {
        snprintf(b, sizeof b, "%.*g", p, v);
        double back;
        if (p == 17 || (hr_parse_double_z(b, &back) == 0 && back == v)) break;
    }
    fputs(b, f);
}

static void put_opt(FILE *f, double v)
{
    fputc(',', f);
    if (!isnan(v)) put_double(f, v);
}

static int write_rows(FILE *f, void *ud)
{
    const det_out *o = ud;
    fputs(o->why ? "timestamp,value,anomaly_score,detector,expected,lo,hi\n"
                 : "timestamp,value,anomaly_score\n",
          f);
    for (size_t i = 0; i < o->rows->len; i++) {
        fprintf(f, "%s,", hr_csv_rows_time_text(o->rows, i));
        put_double(f, o->rows->values[i]);
        /* 12 significant digits, as NAB's (Python 2) runner wrote scores. */
        fprintf(f, ",%.12g", o->score[i]);
        if (o->why) {
            if (o->why[i].suppressed)
                fprintf(f, ",suppressed: %s", o->why[i].suppressed);
            else
                fprintf(f, ",%s", o->why[i].detector);
            put_opt(f, o->why[i].expected);
            put_opt(f, o->why[i].lo);
            put_opt(f, o->why[i].hi);
        }
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

static int detect_file(const det_cfg *c, const char *in, const char *out, hr_error *err)
{
    hr_csv_rows rows = {0};
    hr_detector *d = NULL;
    double *score = NULL;
    hr_anomaly_reason *why = NULL;
    int rc = hr_series_read_csv_rows(in, &rows, err);
    if (rc == 0) rc = hr_detector_new(c->detector, &c->opts, &d, err);
    if (rc == 0) {
        score = malloc(rows.len * sizeof *score);
        if (c->reasons) why = malloc(rows.len * sizeof *why);
        if (!score || (c->reasons && !why)) rc = hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < rows.len; i++)
        if ((rc = hr_detector_feed(d, rows.t[i], rows.values[i], &score[i], why ? &why[i] : NULL)) <
            0)
            hr_error_set(err, rc, "%s: row %zu: the detector refused the sample", in, i + 1);
        else if (c->sup) {
            hr_anomaly_reason tmp;
            hr_anomaly_reason *w = why ? &why[i] : &tmp;
            if (hr_suppress_apply(c->sup, rows.t[i], w)) score[i] = 0; /* expected, not an alarm */
        }
    if (rc == 0) {
        det_out o = {&rows, score, why};
        rc = cli_write_atomic(out, write_rows, &o, err);
    }
    free(why);
    free(score);
    hr_detector_free(d);
    hr_csv_rows_release(&rows);
    return rc;
}

/* ---- --nab: every *.csv under a directory ------------------------------------------ */

typedef struct nab_job {
    const det_cfg *cfg;
    const char *data, *outdir;
    char **rel; /* relative paths */
    size_t n, cap;
    int *rc;
    hr_error *err;
} nab_job;

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(nab_job *j, const char *rel, int depth, hr_error *err)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", j->data, rel);
    if (n < 0 || (size_t)n >= sizeof path) return hr_error_set(err, HR_EINVAL, "path too long");
    DIR *dir = opendir(path);
    if (!dir) return hr_error_set(err, HR_EIO, "%s: %s", path, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dir))) {
        if (e->d_name[0] == '.') continue;
        char sub[4096];
        n = snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        if (n < 0 || (size_t)n >= sizeof sub) {
            rc = hr_error_set(err, HR_EINVAL, "path too long");
            break;
        }
        char full[8192];
        snprintf(full, sizeof full, "%s/%s", j->data, sub);
        struct stat st;
        if (stat(full, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth < DETECT_MAX_DEPTH) rc = collect(j, sub, depth + 1, err);
        } else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".csv")) {
            if (j->n == DETECT_MAX_FILES) {
                rc = hr_error_set(err, HR_ELIMIT, "%s: more than %d files", j->data,
                                  DETECT_MAX_FILES);
                break;
            }
            if (j->n == j->cap) {
                size_t cap = j->cap ? 2 * j->cap : 64;
                char **r = realloc(j->rel, cap * sizeof *r);
                if (!r) {
                    rc = hr_error_set(err, HR_ENOMEM, "out of memory");
                    break;
                }
                j->rel = r;
                j->cap = cap;
            }
            if (!(j->rel[j->n] = strdup(sub)))
                rc = hr_error_set(err, HR_ENOMEM, "out of memory");
            else
                j->n++;
        }
    }
    closedir(dir);
    return rc;
}

static int mkdirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf) return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++)
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            buf[i] = c;
        }
    return 0;
}

static void nab_one(size_t i, void *ud)
{
    nab_job *j = ud;
    char in[8192], out[8192];
    snprintf(in, sizeof in, "%s/%s", j->data, j->rel[i]);
    snprintf(out, sizeof out, "%s/%s", j->outdir, j->rel[i]);
    char *slash = strrchr(out, '/');
    *slash = '\0';
    if (mkdirs(out) != 0) {
        j->rc[i] = hr_error_set(&j->err[i], HR_EIO, "%s: cannot create: %s", out, strerror(errno));
        return;
    }
    *slash = '/';
    j->rc[i] = detect_file(j->cfg, in, out, &j->err[i]);
}

static int detect_nab(const det_cfg *c, const char *data, const char *outdir, size_t jobs)
{
    nab_job j = {.cfg = c, .data = data, .outdir = outdir};
    hr_error err = {0};
    int rc = collect(&j, "", 0, &err);
    if (rc == 0 && j.n == 0) rc = hr_error_set(&err, HR_EDATA, "%s: no *.csv files", data);
    if (rc == 0) {
        qsort(j.rel, j.n, sizeof *j.rel, cmp_str);
        j.rc = calloc(j.n, sizeof *j.rc);
        j.err = calloc(j.n, sizeof *j.err);
        if (!j.rc || !j.err) rc = hr_error_set(&err, HR_ENOMEM, "out of memory");
    }
    if (rc == 0 && (rc = cli_parallel(j.n, jobs, nab_one, &j, "detect")) < 0)
        hr_error_set(&err, rc, "cannot start the worker threads");
    int status = rc < 0 ? cli_data_error(&err) : CLI_OK;
    for (size_t i = 0; rc == 0 && i < j.n; i++)
        if (j.rc[i] < 0) status = cli_data_error(&j.err[i]);
    for (size_t i = 0; i < j.n; i++) free(j.rel[i]);
    free(j.rel);
    free(j.rc);
    free(j.err);
    return status;
}

/* ---- --explain: root cause over an aggregate and its children ---------------------- */

static void explain_help(FILE *out)
{
    fprintf(out,
            "usage: headroom detect --explain --aggregate AGG.csv --children DIR\n"
            "                       [--at TIMESTAMP] [--top N] [-o OUT.csv]\n\n"
            "Find the aggregate's anomaly (the row with the highest ensemble score, or the row\n"
            "at --at) and rank the series beneath it (every *.csv in DIR, NAB layout) by\n"
            "their contribution to its deviation from the expected value: each child's\n"
            "observed minus its own one-step expectation (residual detector) at that time,\n"
            "and its share of the aggregate's deviation. Prints a header comment with the\n"
            "aggregate's figures, then \"rank,child,observed,expected,deviation,share\".\n");
}

/* Run `det` over a file; returns the reasons (malloc'd) and the rows. */
static int run_reasons(const char *det, const char *path, hr_csv_rows *rows,
                       hr_anomaly_reason **why, hr_error *err)
{
    hr_detector *d = NULL;
    int rc = hr_series_read_csv_rows(path, rows, err);
    if (rc == 0) rc = hr_detector_new(det, NULL, &d, err);
    if (rc == 0 && !(*why = malloc(rows->len * sizeof **why)))
        rc = hr_error_set(err, HR_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < rows->len; i++) {
        double s;
        if ((rc = hr_detector_feed(d, rows->t[i], rows->values[i], &s, &(*why)[i])) < 0)
            hr_error_set(err, rc, "%s: row %zu: the detector refused the sample", path, i + 1);
    }
    hr_detector_free(d);
    if (rc < 0) {
        hr_csv_rows_release(rows);
        free(*why);
        *why = NULL;
    }
    return rc;
}

typedef struct explain_out {
    const char *agg;
    const char *ts;
    const hr_anomaly_reason *aw;
    char **names;
    hr_rca_item *items;
    size_t n, top;
} explain_out;

static int write_explain(FILE *f, void *ud)
{
    const explain_out *o = ud;
    fprintf(f, "# aggregate %s at %s: observed ", o->agg, o->ts);
    put_double(f, o->aw->observed);
    fprintf(f, ", expected ");
    put_double(f, o->aw->expected);
    fprintf(f, " [");
    put_double(f, o->aw->lo);
    fprintf(f, ", ");
    put_double(f, o->aw->hi);
    fprintf(f, "], deviation ");
    put_double(f, o->aw->observed - o->aw->expected);
    fprintf(f, ", score %.6f (%s)\n", o->aw->score, o->aw->detector);
    fprintf(f, "rank,child,observed,expected,deviation,share\n");
    for (size_t i = 0; i < o->n && i < o->top; i++) {
        const hr_rca_item *it = &o->items[i];
        fprintf(f, "%zu,%s", i + 1, o->names[it->child]);
        put_opt(f, it->observed);
        put_opt(f, it->expected);
        put_opt(f, it->deviation);
        put_opt(f, it->share);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

/* The first row at or after t, or SIZE_MAX. */
static size_t row_at(const hr_csv_rows *r, int64_t t)
{
    for (size_t i = 0; i < r->len; i++)
        if (r->t[i] == t) return i;
    return SIZE_MAX;
}

static int explain_children(const char *dir, int64_t t, explain_out *o, double *obs, double *exp,
                            hr_error *err)
{
    for (size_t i = 0; i < o->n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, o->names[i]);
        hr_csv_rows rows = {0};
        hr_anomaly_reason *why = NULL;
        int rc = run_reasons("residual", path, &rows, &why, err);
        if (rc < 0) return rc;
        size_t k = row_at(&rows, t);
        obs[i] = k == SIZE_MAX ? NAN : why[k].observed;
        exp[i] = k == SIZE_MAX ? NAN : why[k].expected;
        free(why);
        hr_csv_rows_release(&rows);
    }
    return 0;
}

static int cli_detect_explain(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"explain", no_argument, NULL, 'E'},        {"aggregate", required_argument, NULL, 'a'},
        {"children", required_argument, NULL, 'c'}, {"at", required_argument, NULL, 't'},
        {"top", required_argument, NULL, 'n'},      {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *agg = NULL, *dir = NULL, *at = NULL, *output = NULL;
    size_t top = 20;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", lopts, NULL)) != -1) {
        switch (c) {
        case 'E':
            break;
        case 'a':
            agg = optarg;
            break;
        case 'c':
            dir = optarg;
            break;
        case 't':
            at = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'n':
            if (cli_parse_size("detect", "--top", optarg, 1, 1000000, &top) < 0) return CLI_EUSAGE;
            break;
        case 'h':
            explain_help(stdout);
            return CLI_OK;
        default:
            return cli_usage("detect", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("detect", "unexpected argument \"%s\"", argv[optind]);
    if (!agg || !dir) return cli_usage("detect", "--explain needs --aggregate and --children");
    int64_t t_at = 0;
    if (at && hr_time_parse(at, strlen(at), &t_at) < 0)
        return cli_usage("detect", "--at: \"%s\" is not a timestamp", at);
    hr_error err = {0};
    hr_csv_rows rows = {0};
    hr_anomaly_reason *aw = NULL;
    nab_job j = {.data = dir};
    explain_out o = {.agg = agg, .top = top};
    double *obs = NULL, *exp = NULL;
    int rc = run_reasons("ensemble", agg, &rows, &aw, &err);
    size_t row = 0;
    if (rc == 0 && at) {
        if ((row = row_at(&rows, t_at)) == SIZE_MAX)
            rc = hr_error_set(&err, HR_ENOTFOUND, "%s: no row at %s", agg, at);
    } else if (rc == 0) {
        for (size_t i = 1; i < rows.len; i++)
            if (aw[i].score > aw[row].score) row = i;
    }
    if (rc == 0 && !isfinite(aw[row].expected))
        rc = hr_error_set(&err, HR_EDATA, "%s: no expected value at row %zu (too early)", agg,
                          row + 1);
    if (rc == 0) rc = collect(&j, "", DETECT_MAX_DEPTH, &err);
    if (rc == 0 && j.n == 0) rc = hr_error_set(&err, HR_EDATA, "%s: no *.csv files", dir);
    if (rc == 0) {
        qsort(j.rel, j.n, sizeof *j.rel, cmp_str);
        o.names = j.rel;
        o.n = j.n;
        o.ts = hr_csv_rows_time_text(&rows, row);
        o.aw = &aw[row];
        obs = malloc(j.n * sizeof *obs);
        exp = malloc(j.n * sizeof *exp);
        o.items = malloc(j.n * sizeof *o.items);
        if (!obs || !exp || !o.items) rc = hr_error_set(&err, HR_ENOMEM, "out of memory");
    }
    if (rc == 0) rc = explain_children(dir, rows.t[row], &o, obs, exp, &err);
    if (rc == 0)
        rc = hr_anomaly_explain(aw[row].observed, aw[row].expected, obs, exp, j.n, o.items, &err);
    if (rc == 0) {
        if (output)
            rc = cli_write_atomic(output, write_explain, &o, &err);
        else
            rc = write_explain(stdout, &o) == 0 ? 0 : hr_error_set(&err, HR_EIO, "stdout");
    }
    for (size_t i = 0; i < j.n; i++) free(j.rel[i]);
    free(j.rel);
    free(obs);
    free(exp);
    free(o.items);
    free(aw);
    hr_csv_rows_release(&rows);
    return rc < 0 ? cli_data_error(&err) : CLI_OK;
}

int cmd_detect(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--explain")) return cli_detect_explain(argc, argv);
    static const struct option lopts[] = {
        {"input", required_argument, NULL, 'i'},  {"nab", required_argument, NULL, 'N'},
        {"output", required_argument, NULL, 'o'}, {"detector", required_argument, NULL, 'd'},
        {"model", required_argument, NULL, 'M'},  {"reasons", no_argument, NULL, 'R'},
        {"jobs", required_argument, NULL, 'j'},   {"annotations", required_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    det_cfg c = {.detector = "ensemble"};
    const char *input = NULL, *nab = NULL, *output = NULL, *ann = NULL;
    size_t jobs = cli_online_cpus();
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "i:o:d:j:h", lopts, NULL)) != -1) {
        switch (o) {
        case 'i':
            input = optarg;
            break;
        case 'N':
            nab = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'd':
            c.detector = optarg;
            break;
        case 'A':
            ann = optarg;
            break;
        case 'M':
            if (strlen(optarg) >= sizeof c.opts.model)
                return cli_usage("detect", "--model: \"%s\" is too long", optarg);
            memcpy(c.opts.model, optarg, strlen(optarg) + 1);
            break;
        case 'R':
            c.reasons = true;
            break;
        case 'j':
            if (cli_parse_size("detect", "--jobs", optarg, 1, 1024, &jobs) < 0) return CLI_EUSAGE;
            break;
        case 'h':
            detect_help(stdout);
            return CLI_OK;
        default:
            return cli_usage("detect", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("detect", "unexpected argument \"%s\"", argv[optind]);
    if (!!input == !!nab) return cli_usage("detect", "give one of --input FILE or --nab DIR");
    if (!output) return cli_usage("detect", "-o is required");
    hr_detector *probe = NULL;
    hr_error err = {0};
    if (hr_detector_new(c.detector, &c.opts, &probe, &err) < 0)
        return cli_usage("detect", "--detector: %s", hr_error_message(&err));
    hr_detector_free(probe);
    hr_suppressor *sup = NULL;
    if (ann && load_annotations(ann, &sup, &err) < 0) return cli_data_error(&err);
    c.sup = sup;
    int status = CLI_OK;
    if (nab)
        status = detect_nab(&c, nab, output, jobs);
    else if (detect_file(&c, input, output, &err) < 0)
        status = cli_data_error(&err);
    hr_suppress_free(sup);
    return status;
}
