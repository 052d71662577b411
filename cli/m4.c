/* headroom forecast --m4: forecast every series of an M4 wide CSV in
 * parallel and write "id,F1,...,FH", one row per series in input order. */
#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct m4_job {
    const hr_series_set *train;
    const char *model;
    const cli_fc_opts *fo;
    double *out;      /* [nseries * h] */
    char (*used)[32]; /* [nseries] the model used, "" on failure */
    hr_error *errs;   /* [nseries] */
    int *rc;          /* [nseries] */
};

static void m4_one(size_t i, void *ud)
{
    struct m4_job *j = ud;
    const hr_series *s = &j->train->items[i];
    cli_fc_result r;
    j->rc[i] = cli_forecast_series(j->model, s->values, s->len, j->fo, &r, &j->errs[i]);
    if (j->rc[i] < 0) return;
    memcpy(j->out + i * j->fo->horizon, r.f.mean, j->fo->horizon * sizeof(double));
    snprintf(j->used[i], sizeof j->used[i], "%s", r.fell_back ? r.used : "");
    if (r.fell_back) j->errs[i] = r.first_err;
    hr_forecast_release(&r.f);
}

/* An id as a CSV field: quoted when it holds a comma, quote or line end. */
static void put_id(FILE *out, const char *id)
{
    if (!strpbrk(id, ",\"\r\n")) {
        fputs(id, out);
        return;
    }
    fputc('"', out);
    for (const char *p = id; *p; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

size_t cli_m4_season(const hr_series_set *set)
{
    size_t season = 0;
    for (size_t i = 0; i < set->len; i++) {
        const char *id = set->items[i].name ? set->items[i].name : "";
        size_t m = id[0] == 'H' ? 24 : id[0] == 'M' ? 12 : id[0] == 'Q' ? 4 : 0;
        if (i && m != season) return 0;
        season = m;
    }
    return season;
}

struct m4_write {
    const hr_series_set *train;
    const double *out;
    size_t h;
};

static int m4_write(FILE *out, void *ud)
{
    const struct m4_write *w = ud;
    fputs("id", out);
    for (size_t k = 0; k < w->h; k++) fprintf(out, ",F%zu", k + 1);
    fputc('\n', out);
    for (size_t i = 0; i < w->train->len; i++) {
        put_id(out, w->train->items[i].name ? w->train->items[i].name : "");
        for (size_t k = 0; k < w->h; k++) fprintf(out, ",%.10g", w->out[i * w->h + k]);
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}

int cli_m4_forecast(const char *cmd, const char *train_path, const char *out_path,
                    const char *model, const cli_fc_opts *o, size_t jobs)
{
    (void)cmd;
    hr_series_set train = {0};
    hr_error err = {0};
    if (hr_m4_read(train_path, &train, &err) < 0) return cli_data_error(&err);
    int rc = CLI_OK;
    for (size_t i = 0; i < train.len; i++)
        if (train.items[i].len == 0) {
            hr_error_setpos(&err, HR_EDATA, train_path, (long)i + 2, 1, "series %s has no values",
                            train.items[i].name ? train.items[i].name : "?");
            rc = cli_data_error(&err);
            goto out;
        }
    size_t n = train.len, h = o->horizon;
    cli_fc_opts fo = *o;
    fo.nq = 0; /* points only: no intervals to compute or calibrate */
    if (fo.mopts.nperiods == 0 && (fo.mopts.periods[0] = cli_m4_season(&train)) > 0)
        fo.mopts.nperiods = 1;
    struct m4_job j = {.train = &train, .model = model, .fo = &fo};
    if (n > SIZE_MAX / sizeof(double) / h - 1) {
        fprintf(stderr, "headroom: %zu series x horizon %zu is too large\n", n, h);
        rc = CLI_EDATA;
        goto out;
    }
    j.out = calloc(n * h + 1, sizeof(double));
    j.used = calloc(n + 1, sizeof *j.used);
    j.errs = calloc(n + 1, sizeof *j.errs);
    j.rc = calloc(n + 1, sizeof *j.rc);
    if (!j.out || !j.used || !j.errs || !j.rc) {
        fprintf(stderr, "headroom: out of memory\n");
        rc = CLI_EDATA;
        goto free_job;
    }
    cli_parallel(n, jobs, m4_one, &j, "forecast");
    size_t fallbacks = 0;
    for (size_t i = 0; i < n; i++) {
        if (j.rc[i] < 0) {
            hr_error_prefix(&j.errs[i], "%s: series %s", train_path, train.items[i].name);
            rc = cli_data_error(&j.errs[i]);
            goto free_job;
        }
        if (j.used[i][0]) {
            if (fallbacks == 0)
                cli_warn("series %s: %s failed (%s); forecast by %s", train.items[i].name, model,
                         hr_error_message(&j.errs[i]), j.used[i]);
            fallbacks++;
        }
        for (size_t k = 0; k < h; k++)
            if (!isfinite(j.out[i * h + k])) { /* hr_model_forecast guarantees it; be sure */
                hr_error_set(&err, HR_EDATA, "series %s: non-finite forecast", train.items[i].name);
                rc = cli_data_error(&err);
                goto free_job;
            }
    }
    if (fallbacks)
        cli_warn("%s failed on %zu of %zu series; they were forecast by snaive or naive", model,
                 fallbacks, n);
    struct m4_write w = {.train = &train, .out = j.out, .h = h};
    if (cli_write_atomic(out_path, m4_write, &w, &err) < 0) rc = cli_data_error(&err);
free_job:
    free(j.out);
    free(j.used);
    free(j.errs);
    free(j.rc);
out:
    hr_series_set_release(&train);
    return rc;
}
