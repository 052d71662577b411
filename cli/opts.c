/* Option parsing helpers, messages, series input and atomic output shared by
 * the subcommands. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_html_escape(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "headroom: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'headroom %s --help'.\n", cmd);
    return CLI_EUSAGE;
}

int cli_data_error(const hr_error *err)
{
    fprintf(stderr, "headroom: %s\n", hr_error_message(err));
    return CLI_EDATA;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "headroom: warning: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_parse_size(const char *cmd, const char *opt, const char *val, size_t min, size_t max,
                   size_t *out)
{
    uint64_t v;
    if (!val || hr_parse_uint64(val, strlen(val), &v) < 0 || v < min || v > max) {
        cli_usage(cmd, "%s: \"%s\" is not an integer in [%zu, %zu]", opt, val ? val : "", min, max);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int cli_parse_periods(const char *cmd, const char *val, size_t *periods, size_t *n)
{
    const char *p = val;
    while (p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        uint64_t v;
        if (hr_parse_uint64(p, len, &v) < 0 || v < 2 || v > 1000000) {
            cli_usage(cmd, "--season: \"%.*s\" is not a period in [2, 1000000]", (int)len, p);
            return -1;
        }
        bool dup = false;
        for (size_t i = 0; i < *n; i++) dup |= periods[i] == v;
        if (!dup) {
            if (*n == HR_MAX_PERIODS) {
                cli_usage(cmd, "--season: at most %d seasonal periods", HR_MAX_PERIODS);
                return -1;
            }
            periods[(*n)++] = (size_t)v;
        }
        p = e ? e + 1 : NULL;
    }
    qsort(periods, *n, sizeof *periods, cmp_size);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cli_parse_levels(const char *cmd, const char *opt, const char *val, double *levels, size_t *n)
{
    const char *p = val;
    while (p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        double v;
        if (hr_parse_double(p, len, &v) < 0 || !(v > 0 && v < 1)) {
            cli_usage(cmd, "%s: \"%.*s\" is not a quantile level in (0,1)", opt, (int)len, p);
            return -1;
        }
        bool dup = false;
        for (size_t i = 0; i < *n; i++) dup |= fabs(levels[i] - v) < 1e-12;
        if (!dup) {
            if (*n == HR_MAX_QUANTILES) {
                cli_usage(cmd, "%s: at most %d quantile levels", opt, HR_MAX_QUANTILES);
                return -1;
            }
            levels[(*n)++] = v;
        }
        p = e ? e + 1 : NULL;
    }
    qsort(levels, *n, sizeof *levels, cmp_double);
    return 0;
}

bool cli_model_known(const char *name)
{
    const char *names[64];
    size_t n = hr_model_list(names, NULL, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if (!strcmp(names[i], name)) return true;
    return false;
}

void cli_print_models(FILE *out)
{
    const char *names[64], *sum[64];
    size_t n = hr_model_list(names, sum, 64);
    for (size_t i = 0; i < n && i < 64; i++) fprintf(out, "           %-8s %s\n", names[i], sum[i]);
}

int cli_parse_models(const char *cmd, const char *val, const char **names, size_t *n)
{
    static const char *reg[64];
    size_t nreg = hr_model_list(reg, NULL, 64);
    if (nreg > 64) nreg = 64;
    const char *p = val;
    *n = 0;
    while (p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *found = NULL;
        for (size_t i = 0; i < nreg; i++)
            if (strlen(reg[i]) == len && !strncmp(reg[i], p, len)) found = reg[i];
        if (!found) {
            cli_usage(cmd, "--models: unknown model \"%.*s\"", (int)len, p);
            return -1;
        }
        bool dup = false;
        for (size_t i = 0; i < *n; i++) dup |= names[i] == found;
        if (!dup) {
            if (*n == CLI_MAX_MODELS) {
                cli_usage(cmd, "--models: at most %d models", CLI_MAX_MODELS);
                return -1;
            }
            names[(*n)++] = found;
        }
        p = e ? e + 1 : NULL;
    }
    return 0;
}

size_t cli_online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (size_t)n : 1;
}

/* A comma on the first non-blank line means "timestamp,value" CSV. */
static bool looks_like_csv(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == '\n' || buf[i] == '\r' || buf[i] == ' ')) i++;
    for (; i < len && buf[i] != '\n'; i++)
        if (buf[i] == ',') return true;
    return false;
}

#define CLI_MAX_FILE_BYTES ((size_t)1 << 30)

int cli_read_series(const char *path, size_t period, hr_series *out, size_t *gaps, hr_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = hr_read_file(path, CLI_MAX_FILE_BYTES, &buf, &len, err);
    if (rc < 0) return rc;
    hr_series s;
    if (looks_like_csv(buf, len))
        rc = hr_series_parse_csv(buf, len, path, &s, err);
    else
        rc = hr_series_parse_lines(buf, len, path, 0, 0, &s, err);
    free(buf);
    if (rc < 0) return rc;
    if (s.len == 0) {
        hr_series_release(&s);
        return hr_error_setpos(err, HR_EDATA, path, 0, 0, "no values");
    }
    size_t g = hr_series_count_gaps(&s);
    if (g) {
        rc = hr_series_fill_gaps(&s, period > 1 ? HR_FILL_SEASONAL : HR_FILL_LINEAR, period, err);
        if (rc < 0) {
            hr_error_prefix(err, "%s", path);
            hr_series_release(&s);
            return rc;
        }
    }
    *gaps = g;
    *out = s;
    return 0;
}

int cli_write_atomic(const char *path, int (*fn)(FILE *out, void *ud), void *ud, hr_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) return hr_error_set(err, HR_ENOMEM, "out of memory");
    int rc = fn(mem, ud);
    if (fclose(mem) != 0 || rc != 0) {
        free(buf);
        return hr_error_set(err, HR_EIO, "%s: producing the output failed", path);
    }
    rc = hr_write_file_atomic(path, buf, len, err);
    free(buf);
    return rc;
}
