/* PlanetLab reader: one number per line, no header, a given start and step. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

int hr_series_parse_lines(const char *buf, size_t len, const char *name, int64_t start,
                          int64_t step, hr_series *out, hr_error *err)
{
    if ((!buf && len) || !out) return hr_error_set(err, HR_EINVAL, "parse_lines: no input");
    if (step < 0) return hr_error_set(err, HR_EINVAL, "parse_lines: negative step");
    name = name ? name : "<input>";
    hr__scan sc;
    hr__scan_init(&sc, buf ? buf : "", len, name);
    if (hr__scan_eof(&sc)) return hr_error_setpos(err, HR_EPARSE, name, 1, 1, "empty file");
    hr_series s;
    int rc = hr_series_init(&s, hr__basename(name), start, step);
    if (rc < 0) return hr_error_set(err, rc, "%s: out of memory", name);
    while (!hr__scan_eof(&sc)) {
        /* The whole line is the cell: a comma is part of a bad number. */
        const char *p = sc.p, *nl = memchr(p, '\n', (size_t)(sc.end - p));
        hr__cell c = {.s = p, .line = sc.line, .col = (long)(p - sc.line_start) + 1};
        c.len = (size_t)((nl ? nl : sc.end) - p);
        if (nl && c.len > 0 && p[c.len - 1] == '\r') c.len--;
        if (c.len == 0) {
            rc = hr_error_setpos(err, HR_EPARSE, name, c.line, 1, "blank line");
            goto fail;
        }
        double v;
        if ((rc = hr__cell_double(&sc, &c, &v, err)) < 0) goto fail;
        if (s.len == s.cap && (rc = hr__series_reserve(&s, s.len + 1)) < 0) {
            rc = hr_error_setpos(err, rc, name, c.line, 1, "too many values");
            goto fail;
        }
        s.values[s.len++] = v;
        hr__scan_skip_line(&sc);
    }
    *out = s;
    return 0;
fail:
    hr_series_release(&s);
    return rc;
}

int hr_series_read_lines(const char *path, int64_t start, int64_t step, hr_series *out,
                         hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, HR__READ_MAX_BYTES, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_series_parse_lines(buf, len, path, start, step, out, err);
    free(buf);
    return rc;
}
