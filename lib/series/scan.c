/* CSV cell scanner and cell conversion shared by the series readers. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

void hr__scan_init(hr__scan *sc, const char *buf, size_t len, const char *name)
{
    sc->p = buf;
    sc->end = buf + len;
    sc->line_start = buf;
    sc->line = 1;
    sc->name = name ? name : "<input>";
    /* A UTF-8 byte order mark is not part of the first cell. */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) sc->p += 3;
}

bool hr__scan_eof(const hr__scan *sc)
{
    return sc->p >= sc->end;
}

static void newline(hr__scan *sc, const char *nl)
{
    sc->p = nl + 1;
    sc->line_start = sc->p;
    sc->line++;
}

int hr__scan_cell(hr__scan *sc, hr__cell *c, hr_error *err)
{
    const char *p = sc->p, *end = sc->end;
    c->line = sc->line;
    c->col = (long)(p - sc->line_start) + 1;
    c->quoted = c->escaped = false;
    if (p < end && *p == '"') {
        const char *q = p + 1;
        c->quoted = true;
        for (;;) {
            while (q < end && *q != '"' && *q != '\n') q++;
            if (q >= end || *q == '\n')
                return hr_error_setpos(err, HR_EPARSE, sc->name, c->line, c->col,
                                       "unterminated quote");
            if (q + 1 < end && q[1] == '"') {
                c->escaped = true;
                q += 2;
                continue;
            }
            break;
        }
        c->s = p + 1;
        c->len = (size_t)(q - p - 1);
        p = q + 1;
        if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n') p++;
        if (p < end && *p != ',' && *p != '\n')
            return hr_error_setpos(err, HR_EPARSE, sc->name, c->line,
                                   (long)(p - sc->line_start) + 1,
                                   "unexpected text after a closing quote");
    } else {
        const char *q = p;
        while (q < end && *q != ',' && *q != '\n') q++;
        c->s = p;
        c->len = (size_t)(q - p);
        if (q < end && *q == '\n' && c->len > 0 && q[-1] == '\r') c->len--;
        p = q;
    }
    if (p >= end) {
        c->end = HR__END_EOF;
        sc->p = end;
    } else if (*p == ',') {
        c->end = HR__END_COMMA;
        sc->p = p + 1;
    } else {
        c->end = HR__END_EOL;
        newline(sc, p);
    }
    return 0;
}

void hr__scan_skip_line(hr__scan *sc)
{
    const char *nl = memchr(sc->p, '\n', (size_t)(sc->end - sc->p));
    if (nl)
        newline(sc, nl);
    else
        sc->p = sc->end;
}

char *hr__cell_dup(const hr__cell *c)
{
    char *d = malloc(c->len + 1);
    if (!d) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < c->len; i++) {
        d[n++] = c->s[i];
        if (c->escaped && c->s[i] == '"') i++; /* "" -> " */
    }
    d[n] = '\0';
    return d;
}

void hr__quote(char *buf, size_t size, const char *s, size_t len)
{
    size_t n = 0;
    if (size < 8) {
        if (size) buf[0] = '\0';
        return;
    }
    buf[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (n + 8 >= size || i >= 40) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }
        if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
            buf[n++] = (char)ch;
        } else {
            snprintf(buf + n, size - n, "\\x%02x", ch);
            n += 4;
        }
    }
    buf[n++] = '"';
    buf[n] = '\0';
}

static bool is_nonfinite_text(const char *s, size_t len)
{
    static const char *const words[] = {"nan", "inf", "infinity"};
    if (len > 0 && (s[0] == '+' || s[0] == '-')) s++, len--;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t wl = strlen(words[w]);
        if (len != wl) continue;
        size_t i = 0;
        while (i < wl && (s[i] | 0x20) == words[w][i]) i++;
        if (i == wl) return true;
    }
    return false;
}

int hr__cell_double(const hr__scan *sc, const hr__cell *c, double *out, hr_error *err)
{
    int rc = hr_parse_double(c->s, c->len, out);
    if (rc == 0) return 0;
    char q[64];
    hr__quote(q, sizeof q, c->s, c->len);
    const char *what = rc == HR_ERANGE                   ? "is out of range"
                       : is_nonfinite_text(c->s, c->len) ? "is not a finite number"
                       : c->len == 0                     ? "is empty"
                                                         : "is not a number";
    return hr_error_setpos(err, HR_EPARSE, sc->name, c->line, c->col, "value %s %s", q, what);
}

int hr__series_reserve(hr_series *s, size_t n)
{
    if (n <= s->cap) return 0;
    if (n > HR_SERIES_MAX_LEN) return HR_ELIMIT;
    size_t ncap = s->cap < 16 ? 16 : s->cap;
    while (ncap < n) ncap = ncap > HR_SERIES_MAX_LEN / 2 ? HR_SERIES_MAX_LEN : ncap * 2;
    double *v = realloc(s->values, ncap * sizeof(double));
    if (!v) return HR_ENOMEM;
    s->values = v;
    s->cap = ncap;
    return 0;
}

const char *hr__basename(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path;
}
