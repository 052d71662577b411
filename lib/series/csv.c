/* NAB reader: "timestamp,value" rows on a regular grid with NaN gaps. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

typedef struct row {
    int64_t t;
    double v;
    long line;
    const char *ts; /* the timestamp cell's text (unquoted, not decoded) */
    size_t ts_len;
} row;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Most common difference between consecutive timestamps (all > 0); ties go
 * to the smaller step. */
static int infer_step(const row *r, size_t n, int64_t *step)
{
    int64_t *d = malloc((n - 1) * sizeof *d);
    if (!d) return HR_ENOMEM;
    for (size_t i = 1; i < n; i++) d[i - 1] = r[i].t - r[i - 1].t;
    qsort(d, n - 1, sizeof *d, cmp_i64);
    size_t best = 0, run = 0;
    int64_t best_d = d[0];
    for (size_t i = 0; i < n - 1; i++) {
        run = (i > 0 && d[i] == d[i - 1]) ? run + 1 : 1;
        if (run > best) {
            best = run;
            best_d = d[i];
        }
    }
    free(d);
    *step = best_d;
    return 0;
}

static int parse_header(hr__scan *sc, hr_error *err)
{
    hr__cell a, b;
    int rc = hr__scan_cell(sc, &a, err);
    if (rc < 0) return rc;
    bool ok = a.end == HR__END_COMMA && a.len == 9 && memcmp(a.s, "timestamp", 9) == 0;
    if (ok) {
        if ((rc = hr__scan_cell(sc, &b, err)) < 0) return rc;
        ok = b.end != HR__END_COMMA && b.len == 5 && memcmp(b.s, "value", 5) == 0;
    }
    if (!ok) {
        int64_t t;
        return hr_error_setpos(err, HR_EPARSE, sc->name, 1, 1, "%s",
                               hr_time_parse(a.s, a.len, &t) == 0
                                   ? "missing header \"timestamp,value\""
                                   : "expected the header \"timestamp,value\"");
    }
    return 0;
}

static int parse_row(hr__scan *sc, row *r, hr_error *err)
{
    hr__cell ct, cv, extra;
    int rc = hr__scan_cell(sc, &ct, err);
    if (rc < 0) return rc;
    if (ct.end != HR__END_COMMA && ct.len == 0 && !ct.quoted)
        return hr_error_setpos(err, HR_EPARSE, sc->name, ct.line, 1, "blank line");
    if (ct.end != HR__END_COMMA)
        return hr_error_setpos(err, HR_EPARSE, sc->name, ct.line, ct.col + (long)ct.len,
                               "expected 2 cells \"timestamp,value\", found 1");
    if ((rc = hr__scan_cell(sc, &cv, err)) < 0) return rc;
    if (cv.end == HR__END_COMMA) {
        long n = 3, col;
        if ((rc = hr__scan_cell(sc, &extra, err)) < 0) return rc;
        col = extra.col;
        /* Count the rest of the row for the message. */
        while (extra.end == HR__END_COMMA && n < 1000000) {
            if ((rc = hr__scan_cell(sc, &extra, err)) < 0) return rc;
            n++;
        }
        return hr_error_setpos(err, HR_EPARSE, sc->name, cv.line, col,
                               "expected 2 cells \"timestamp,value\", found %ld", n);
    }
    if (hr_time_parse(ct.s, ct.len, &r->t) < 0) {
        char q[64];
        hr__quote(q, sizeof q, ct.s, ct.len);
        return hr_error_setpos(err, HR_EPARSE, sc->name, ct.line, ct.col,
                               "timestamp %s is not a valid time", q);
    }
    if ((rc = hr__cell_double(sc, &cv, &r->v, err)) < 0) return rc;
    r->line = ct.line;
    r->ts = ct.s;
    r->ts_len = ct.len;
    return 0;
}

/* "YYYY-MM-DD HH:MM:SS", or Unix seconds outside years 0..9999. */
static void fmt_time(int64_t t, char *buf, size_t size)
{
    if (hr_time_format(t, buf, size) < 0) snprintf(buf, size, "%lld", (long long)t);
}

/* Rows (strictly increasing) -> regular series with NaN gaps. */
static int build(const char *name, const row *r, size_t n, hr_series *out, hr_error *err)
{
    int64_t step;
    int rc = infer_step(r, n, &step);
    if (rc < 0) return hr_error_set(err, rc, "%s: out of memory", name);
    int64_t start = r[0].t;
    uint64_t span = (uint64_t)r[n - 1].t - (uint64_t)start; /* > 0: strictly increasing */
    /* On the grid first: then span / step >= n - 1 and the gap count is exact. */
    for (size_t i = 1; i < n; i++)
        if (((uint64_t)r[i].t - (uint64_t)start) % (uint64_t)step != 0) {
            char a[32], b[32];
            fmt_time(r[i].t, a, sizeof a);
            fmt_time(start, b, sizeof b);
            return hr_error_setpos(err, HR_EPARSE, name, r[i].line, 1,
                                   "timestamp %s is off the %lld s grid that starts at %s", a,
                                   (long long)step, b);
        }
    if (span / (uint64_t)step >= HR_SERIES_MAX_LEN ||
        span / (uint64_t)step - (n - 1) > HR_SERIES_MAX_GAP_STEPS)
        return hr_error_setpos(err, HR_ELIMIT, name, r[n - 1].line, 1,
                               "series would have %llu values (%zu rows, step %lld s): too many "
                               "missing steps",
                               (unsigned long long)(span / (uint64_t)step + 1), n, (long long)step);
    size_t len = (size_t)(span / (uint64_t)step) + 1;
    hr_series s = {0};
    if ((rc = hr_series_init(&s, hr__basename(name), start, step)) < 0 ||
        (rc = hr__series_reserve(&s, len)) < 0) {
        hr_series_release(&s);
        return hr_error_set(err, rc, "%s: cannot allocate %zu values", name, len);
    }
    for (size_t i = 0; i < len; i++) s.values[i] = NAN;
    for (size_t i = 0; i < n; i++)
        s.values[((uint64_t)r[i].t - (uint64_t)start) / (uint64_t)step] = r[i].v;
    s.len = len;
    *out = s;
    return 0;
}

/* Scan the header and every data row of a NAB CSV into `rows` (initialised
 * here, released by the caller, also on error). Timestamps must not go
 * back; with `strict` they must also not repeat. `text_bytes` gets the
 * room the timestamp texts need (NUL included), `eof_line` the line after
 * the last one. At least one data row is required. */
static int scan_rows(const char *buf, size_t len, const char *name, bool strict, hr_vec *rows,
                     size_t *text_bytes, long *eof_line, hr_error *err)
{
    hr_vec_init(rows, sizeof(row), HR_SERIES_MAX_LEN);
    hr__scan sc;
    hr__scan_init(&sc, buf ? buf : "", len, name);
    if (hr__scan_eof(&sc)) return hr_error_setpos(err, HR_EPARSE, name, 1, 1, "empty file");
    int rc = parse_header(&sc, err);
    if (rc < 0) return rc;
    *text_bytes = 0; /* <= len + rows: cannot overflow */
    while (!hr__scan_eof(&sc)) {
        row r;
        if ((rc = parse_row(&sc, &r, err)) < 0) return rc;
        if (rows->len > 0) {
            const row *prev = hr_vec_at(rows, rows->len - 1);
            if (r.t < prev->t || (strict && r.t == prev->t)) {
                char a[32], b[32];
                fmt_time(r.t, a, sizeof a);
                fmt_time(prev->t, b, sizeof b);
                if (r.t == prev->t)
                    return hr_error_setpos(err, HR_EPARSE, name, r.line, 1,
                                           "duplicate timestamp %s (also on line %ld)", a,
                                           prev->line);
                return hr_error_setpos(err, HR_EPARSE, name, r.line, 1,
                                       "timestamp %s is earlier than %s on line %ld", a, b,
                                       prev->line);
            }
        }
        if ((rc = hr_vec_push(rows, &r)) < 0)
            return hr_error_setpos(err, rc, name, r.line, 1, "too many rows");
        *text_bytes += r.ts_len + 1;
    }
    *eof_line = sc.p == sc.line_start ? sc.line : sc.line + 1;
    if (rows->len == 0)
        return hr_error_setpos(err, HR_EPARSE, name, *eof_line, 1, "no data rows after the header");
    return 0;
}

int hr_series_parse_csv(const char *buf, size_t len, const char *name, hr_series *out,
                        hr_error *err)
{
    if ((!buf && len) || !out) return hr_error_set(err, HR_EINVAL, "parse_csv: no input");
    name = name ? name : "<input>";
    hr_vec rows;
    size_t text_bytes;
    long eof_line;
    int rc = scan_rows(buf, len, name, true, &rows, &text_bytes, &eof_line, err);
    if (rc == 0 && rows.len == 1)
        rc = hr_error_setpos(err, HR_EPARSE, name, eof_line, 1,
                             "one data row: at least two are needed to infer the step");
    if (rc == 0) rc = build(name, rows.data, rows.len, out, err);
    hr_vec_release(&rows);
    return rc;
}

int hr_series_read_csv(const char *path, hr_series *out, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, HR__READ_MAX_BYTES, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_series_parse_csv(buf, len, path, out, err);
    free(buf);
    return rc;
}

/* ---- row-oriented reader ------------------------------------------------------- */

void hr_csv_rows_release(hr_csv_rows *r)
{
    if (!r) return;
    free(r->t);
    free(r->values);
    free(r->text);
    free(r->text_off);
    memset(r, 0, sizeof *r);
}

/* Copy the rows into `out` (text bytes counted by the caller). */
static int rows_build(const row *rs, size_t n, size_t text_bytes, hr_csv_rows *out)
{
    hr_csv_rows r = {0};
    r.t = malloc(n * sizeof *r.t);
    r.values = malloc(n * sizeof *r.values);
    r.text_off = malloc(n * sizeof *r.text_off);
    r.text = malloc(text_bytes);
    if (!r.t || !r.values || !r.text_off || !r.text) {
        hr_csv_rows_release(&r);
        return HR_ENOMEM;
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        r.t[i] = rs[i].t;
        r.values[i] = rs[i].v;
        r.text_off[i] = off;
        memcpy(r.text + off, rs[i].ts, rs[i].ts_len);
        off += rs[i].ts_len;
        r.text[off++] = '\0';
    }
    r.len = n;
    *out = r;
    return 0;
}

int hr_series_parse_csv_rows(const char *buf, size_t len, const char *name, hr_csv_rows *out,
                             hr_error *err)
{
    if ((!buf && len) || !out) return hr_error_set(err, HR_EINVAL, "parse_csv_rows: no input");
    name = name ? name : "<input>";
    hr_vec rows;
    size_t text_bytes;
    long eof_line;
    int rc = scan_rows(buf, len, name, false, &rows, &text_bytes, &eof_line, err);
    if (rc == 0 && (rc = rows_build(rows.data, rows.len, text_bytes, out)) < 0)
        rc = hr_error_set(err, rc, "%s: out of memory for %zu rows", name, rows.len);
    hr_vec_release(&rows);
    return rc;
}

int hr_series_read_csv_rows(const char *path, hr_csv_rows *out, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, HR__READ_MAX_BYTES, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_series_parse_csv_rows(buf, len, path, out, err);
    free(buf);
    return rc;
}
