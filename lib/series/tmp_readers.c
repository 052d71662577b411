/* TEMPORARY stand-ins for the series/util functions that the util-series
 * branch implements, so that the cli-backtest branch builds and tests before
 * that branch is merged. Removed in the branch's last commit. */
#include <headroom/series.h>
#include <headroom/util.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t hr_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double hr_clock_sec(void)
{
    return (double)hr_clock_ns() * 1e-9;
}

int hr_series_init(hr_series *s, const char *name, int64_t start, int64_t step)
{
    memset(s, 0, sizeof *s);
    s->start = start;
    s->step = step;
    if (name && !(s->name = strdup(name))) return HR_ENOMEM;
    return 0;
}

void hr_series_release(hr_series *s)
{
    if (!s) return;
    free(s->name);
    free(s->values);
    memset(s, 0, sizeof *s);
}

int hr_series_append(hr_series *s, double v)
{
    if (s->len == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 64;
        double *p = realloc(s->values, nc * sizeof(double));
        if (!p) return HR_ENOMEM;
        s->values = p;
        s->cap = nc;
    }
    s->values[s->len++] = v;
    return 0;
}

int hr_series_from_array(hr_series *s, const char *name, int64_t start, int64_t step,
                         const double *values, size_t n)
{
    int rc = hr_series_init(s, name, start, step);
    for (size_t i = 0; rc == 0 && i < n; i++) rc = hr_series_append(s, values[i]);
    return rc;
}

size_t hr_series_count_gaps(const hr_series *s)
{
    size_t g = 0;
    for (size_t i = 0; i < s->len; i++) g += isnan(s->values[i]);
    return g;
}

int hr_series_fill_gaps(hr_series *s, hr_fill policy, size_t period, hr_error *err)
{
    (void)policy;
    (void)period;
    size_t first = 0;
    while (first < s->len && isnan(s->values[first])) first++;
    if (first == s->len) return hr_error_set(err, HR_EDATA, "no finite value");
    for (size_t i = 0; i < first; i++) s->values[i] = s->values[first];
    size_t last = first;
    for (size_t i = first + 1; i < s->len; i++) {
        if (isnan(s->values[i])) continue;
        for (size_t k = last + 1; k < i; k++)
            s->values[k] = s->values[last] + (s->values[i] - s->values[last]) * (double)(k - last) /
                                                 (double)(i - last);
        last = i;
    }
    for (size_t k = last + 1; k < s->len; k++) s->values[k] = s->values[last];
    return 0;
}

void hr_series_set_release(hr_series_set *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->len; i++) hr_series_release(&set->items[i]);
    free(set->items);
    memset(set, 0, sizeof *set);
}

int hr_read_file(const char *path, size_t limit_bytes, char **out, size_t *len, hr_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return hr_error_set(err, HR_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(fp);
            return HR_ENOMEM;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, fp);
        n += r;
        if (r == 0) break;
        if (n + 1 == cap) {
            if (limit_bytes && cap > limit_bytes) {
                free(buf);
                fclose(fp);
                return hr_error_set(err, HR_ELIMIT, "%s: too large", path);
            }
            cap *= 2;
            char *p = realloc(buf, cap);
            if (!p) free(buf);
            buf = p;
        }
    }
    fclose(fp);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int days_from_civil(int64_t y, int64_t m, int64_t d, int64_t *out)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *out = era * 146097 + doe - 719468;
    return 0;
}

int hr_time_parse(const char *s, size_t len, int64_t *out_unix)
{
    int64_t v;
    if (hr_parse_int64(s, len, &v) == 0) {
        *out_unix = v;
        return 0;
    }
    if (len != 10 && len != 16 && len != 19) return HR_EPARSE;
    int64_t f[6] = {0};
    const size_t pos[6] = {0, 5, 8, 11, 14, 17}, wid[6] = {4, 2, 2, 2, 2, 2};
    size_t nf = len == 10 ? 3 : len == 16 ? 5 : 6;
    for (size_t i = 0; i < nf; i++)
        if (hr_parse_int64(s + pos[i], wid[i], &f[i]) < 0) return HR_EPARSE;
    int64_t days;
    days_from_civil(f[0], f[1], f[2], &days);
    *out_unix = days * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
    return 0;
}

int hr_time_format(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (size < 20 || !gmtime_r(&tt, &tm)) return HR_EINVAL;
    return (int)strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

int hr_series_parse_lines(const char *buf, size_t len, const char *name, int64_t start,
                          int64_t step, hr_series *out, hr_error *err)
{
    hr_series s;
    hr_series_init(&s, name, start, step);
    size_t line = 0;
    for (const char *p = buf, *end = buf + len; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t l = e ? (size_t)(e - p) : (size_t)(end - p);
        line++;
        if (l && p[l - 1] == '\r') l--;
        double v;
        if (hr_parse_double(p, l, &v) < 0) {
            hr_series_release(&s);
            return hr_error_setpos(err, HR_EPARSE, name, (long)line, 1, "\"%.*s\" is not a number",
                                   (int)(l > 40 ? 40 : l), p);
        }
        hr_series_append(&s, v);
        p = e ? e + 1 : end;
    }
    *out = s;
    return 0;
}

int hr_series_read_lines(const char *path, int64_t start, int64_t step, hr_series *out,
                         hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, 0, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_series_parse_lines(buf, len, path, start, step, out, err);
    free(buf);
    return rc;
}

int hr_series_parse_csv(const char *buf, size_t len, const char *name, hr_series *out,
                        hr_error *err)
{
    hr_series s;
    hr_series_init(&s, name, 0, 0);
    size_t line = 0, cap = 0, n = 0;
    int64_t *ts = NULL;
    double *vs = NULL;
    int rc = 0;
    for (const char *p = buf, *end = buf + len; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t l = e ? (size_t)(e - p) : (size_t)(end - p);
        line++;
        if (l && p[l - 1] == '\r') l--;
        if (line > 1 && l) {
            const char *c = memchr(p, ',', l);
            int64_t t;
            double v;
            if (!c || hr_time_parse(p, (size_t)(c - p), &t) < 0) {
                rc = hr_error_setpos(err, HR_EPARSE, name, (long)line, 1, "bad timestamp");
                goto out;
            }
            if (hr_parse_double(c + 1, l - (size_t)(c - p) - 1, &v) < 0) {
                rc = hr_error_setpos(err, HR_EPARSE, name, (long)line, (long)(c - p) + 2,
                                     "value \"%.*s\" is not a number",
                                     (int)(l - (size_t)(c - p) - 1), c + 1);
                goto out;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                ts = realloc(ts, cap * sizeof *ts);
                vs = realloc(vs, cap * sizeof *vs);
            }
            ts[n] = t;
            vs[n++] = v;
        }
        p = e ? e + 1 : end;
    }
    if (n < 2) {
        rc = hr_error_setpos(err, HR_EPARSE, name, (long)line, 0, "fewer than 2 rows");
        goto out;
    }
    s.start = ts[0];
    s.step = ts[1] - ts[0];
    for (size_t i = 0; i < n; i++) {
        while (i && s.start + (int64_t)s.len * s.step < ts[i]) hr_series_append(&s, NAN);
        hr_series_append(&s, vs[i]);
    }
    *out = s;
    free(ts);
    free(vs);
    return 0;
out:
    free(ts);
    free(vs);
    hr_series_release(&s);
    return rc;
}

int hr_series_read_csv(const char *path, hr_series *out, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, 0, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_series_parse_csv(buf, len, path, out, err);
    free(buf);
    return rc;
}

int hr_m4_parse(const char *buf, size_t len, const char *name, hr_series_set *out, hr_error *err)
{
    hr_series_set set = {0};
    size_t line = 0;
    for (const char *p = buf, *end = buf + len; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t l = e ? (size_t)(e - p) : (size_t)(end - p);
        line++;
        if (line > 1 && l) {
            if (set.len == set.cap) {
                set.cap = set.cap ? 2 * set.cap : 64;
                set.items = realloc(set.items, set.cap * sizeof *set.items);
            }
            hr_series *s = &set.items[set.len++];
            hr_series_init(s, NULL, 0, 0);
            const char *c = p, *le = p + l;
            size_t field = 0;
            while (c <= le) {
                const char *f = memchr(c, ',', (size_t)(le - c));
                if (!f) f = le;
                const char *a = c, *b = f;
                if (b > a && *a == '"') a++, b--;
                if (field == 0) {
                    s->name = strndup(a, (size_t)(b - a));
                } else if (b > a) {
                    double v;
                    if (hr_parse_double(a, (size_t)(b - a), &v) < 0) {
                        hr_series_set_release(&set);
                        return hr_error_setpos(err, HR_EPARSE, name, (long)line, (long)(c - p) + 1,
                                               "bad number");
                    }
                    hr_series_append(s, v);
                }
                field++;
                c = f + 1;
            }
        }
        p = e ? e + 1 : end;
    }
    *out = set;
    return 0;
}

int hr_m4_read(const char *path, hr_series_set *out, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, 0, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_m4_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}
