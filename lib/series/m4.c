/* M4 wide CSV reader: "V1".."Vn" header, one series per row, quoted id then
 * quoted values, short rows padded with trailing empty cells. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* Header "V1","V2",...,"Vn" (quotes optional); returns n >= 2 in *ncols. */
static int parse_header(hr__scan *sc, size_t *ncols, hr_error *err)
{
    size_t n = 0;
    hr__cell c;
    do {
        int rc = hr__scan_cell(sc, &c, err);
        if (rc < 0) return rc;
        n++;
        char want[32];
        int wl = snprintf(want, sizeof want, "V%zu", n);
        if (c.len != (size_t)wl || memcmp(c.s, want, c.len) != 0) {
            char q[64];
            hr__quote(q, sizeof q, c.s, c.len);
            if (n == 1)
                return hr_error_setpos(err, HR_EPARSE, sc->name, c.line, c.col,
                                       "missing header: first cell is %s, expected \"V1\"", q);
            return hr_error_setpos(err, HR_EPARSE, sc->name, c.line, c.col,
                                   "header cell %s should be \"%s\"", q, want);
        }
        if (n - 1 > HR_SERIES_MAX_LEN)
            return hr_error_setpos(err, HR_ELIMIT, sc->name, c.line, c.col,
                                   "more than %zu value columns", HR_SERIES_MAX_LEN);
    } while (c.end == HR__END_COMMA);
    if (n < 2)
        return hr_error_setpos(err, HR_EPARSE, sc->name, 1, 1,
                               "header has no value columns (need \"V1\",\"V2\",...)");
    *ncols = n;
    return 0;
}

static int set_push(hr_series_set *set, hr_series *s)
{
    if (set->len == set->cap) {
        size_t ncap = set->cap ? set->cap * 2 : 64;
        if (ncap > SIZE_MAX / sizeof(hr_series)) return HR_ENOMEM;
        hr_series *items = realloc(set->items, ncap * sizeof(hr_series));
        if (!items) return HR_ENOMEM;
        set->items = items;
        set->cap = ncap;
    }
    set->items[set->len++] = *s;
    return 0;
}

/* One data row into a new series appended to set. */
static int parse_row(hr__scan *sc, size_t ncols, double *vals, hr_map *ids, hr_series_set *set,
                     hr_error *err)
{
    hr__cell id, c;
    int rc = hr__scan_cell(sc, &id, err);
    if (rc < 0) return rc;
    if (id.len == 0 && !id.quoted && id.end != HR__END_COMMA)
        return hr_error_setpos(err, HR_EPARSE, sc->name, id.line, 1, "blank line");
    if (id.len == 0)
        return hr_error_setpos(err, HR_EPARSE, sc->name, id.line, id.col, "empty series id");
    size_t cells = 1, n = 0;
    bool padding = false;
    c = id;
    while (c.end == HR__END_COMMA) {
        if ((rc = hr__scan_cell(sc, &c, err)) < 0) return rc;
        if (++cells > ncols)
            return hr_error_setpos(err, HR_EPARSE, sc->name, c.line, c.col,
                                   "row is longer than the header (%zu cells)", ncols);
        if (c.len == 0) {
            padding = true;
            continue;
        }
        if (padding) {
            char q[64];
            hr__quote(q, sizeof q, c.s, c.len);
            return hr_error_setpos(err, HR_EPARSE, sc->name, c.line, c.col,
                                   "value %s after an empty cell", q);
        }
        if ((rc = hr__cell_double(sc, &c, &vals[n], err)) < 0) return rc;
        n++;
    }
    if (cells != ncols)
        return hr_error_setpos(err, HR_EPARSE, sc->name, c.line,
                               c.col + (long)c.len + (c.quoted ? 2 : 0),
                               "row has %zu cells, the header has %zu", cells, ncols);
    char *name = hr__cell_dup(&id);
    if (!name) return hr_error_set(err, HR_ENOMEM, "%s: out of memory", sc->name);
    void *first = hr_map_get(ids, name);
    if (first) {
        char q[64];
        hr__quote(q, sizeof q, name, strlen(name));
        free(name);
        return hr_error_setpos(err, HR_EPARSE, sc->name, id.line, id.col,
                               "duplicate series id %s (first on line %ld)", q,
                               (long)(intptr_t)first);
    }
    if (n == 0) {
        char q[64];
        hr__quote(q, sizeof q, name, strlen(name));
        free(name);
        return hr_error_setpos(err, HR_EPARSE, sc->name, id.line, id.col, "series %s has no values",
                               q);
    }
    hr_series s = {.name = name, .len = n, .cap = n, .values = malloc(n * sizeof(double))};
    if (s.values) memcpy(s.values, vals, n * sizeof(double));
    if (!s.values || (rc = hr_map_put(ids, name, (void *)(intptr_t)id.line, NULL)) < 0 ||
        (rc = set_push(set, &s)) < 0) {
        hr_series_release(&s);
        return hr_error_set(err, HR_ENOMEM, "%s: out of memory", sc->name);
    }
    return 0;
}

int hr_m4_parse(const char *buf, size_t len, const char *name, hr_series_set *out, hr_error *err)
{
    if ((!buf && len) || !out) return hr_error_set(err, HR_EINVAL, "m4_parse: no input");
    name = name ? name : "<input>";
    hr__scan sc;
    hr__scan_init(&sc, buf ? buf : "", len, name);
    if (hr__scan_eof(&sc)) return hr_error_setpos(err, HR_EPARSE, name, 1, 1, "empty file");
    size_t ncols = 0;
    int rc = parse_header(&sc, &ncols, err);
    if (rc < 0) return rc;
    hr_series_set set = {0};
    hr_map ids;
    hr_map_init(&ids, 0);
    double *vals = malloc((ncols - 1) * sizeof(double));
    if (!vals) {
        rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", name);
        goto out;
    }
    while (!hr__scan_eof(&sc))
        if ((rc = parse_row(&sc, ncols, vals, &ids, &set, err)) < 0) goto out;
    if (set.len == 0) {
        long line = sc.p == sc.line_start ? sc.line : sc.line + 1;
        rc = hr_error_setpos(err, HR_EPARSE, name, line, 1, "no series after the header");
        goto out;
    }
    *out = set;
    set = (hr_series_set){0};
out:
    free(vals);
    hr_map_release(&ids);
    hr_series_set_release(&set);
    return rc;
}

int hr_m4_read(const char *path, hr_series_set *out, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, HR__READ_MAX_BYTES, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_m4_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}
