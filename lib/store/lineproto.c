/* InfluxDB line protocol reader (see include/headroom/store.h). */
#include <headroom/store.h>
#include <headroom/util.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

typedef struct span {
    const char *s;
    size_t len;
} span;

typedef struct lp_tag {
    span k, v;
} lp_tag;

typedef struct lp_ctx {
    const char *line;
    size_t len, lineno;
    hr_error *err;
} lp_ctx;

static int lp_fail(const lp_ctx *c, const char *what, const char *at, size_t n)
{
    char q[48];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < sizeof q; i++) {
        unsigned char ch = (unsigned char)at[i];
        if (ch < 0x20 || ch >= 0x7f)
            k += (size_t)snprintf(q + k, sizeof q - k, "\\x%02x", ch);
        else
            q[k++] = (char)ch;
    }
    q[k] = 0;
    return hr_error_set(c->err, HR_EPARSE, "line %zu: %s \"%s\"", c->lineno, what, q);
}

/* Scan an identifier-like token up to one of `stops` (unescaped); returns
 * the end position. Escaped characters stay in the span (unescaped when
 * copied). */
static size_t scan_until(const char *s, size_t i, size_t len, const char *stops)
{
    while (i < len) {
        if (s[i] == '\\' && i + 1 < len) {
            i += 2;
            continue;
        }
        if (strchr(stops, s[i])) break;
        i++;
    }
    return i;
}

/* Append sp (unescaped) to key[*k]; false when the key is full. */
static bool key_add(char *key, size_t *k, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < len && strchr(",= \"\\", s[i + 1])) ch = s[++i];
        if (*k + 1 >= HR_LP_KEY_MAX) return false;
        key[(*k)++] = ch;
    }
    key[*k] = 0;
    return true;
}

static int span_cmp(span a, span b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.s, b.s, n);
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

static bool ieq(span s, const char *w)
{
    size_t n = strlen(w);
    if (s.len != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s.s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != w[i]) return false;
    }
    return true;
}

/* 1: a number in *v; 0: a string field (skipped); <0: error. */
static int field_value(const lp_ctx *c, span f, span val, double *v)
{
    if (val.len == 0) return lp_fail(c, "empty value of field", f.s, f.len);
    if (val.s[0] == '"') return 0;
    char last = val.s[val.len - 1];
    if (last == 'i' || last == 'u') {
        if (last == 'i') {
            int64_t x;
            if (hr_parse_int64(val.s, val.len - 1, &x) == 0) {
                *v = (double)x;
                return 1;
            }
        } else {
            uint64_t x;
            if (hr_parse_uint64(val.s, val.len - 1, &x) == 0) {
                *v = (double)x;
                return 1;
            }
        }
        return lp_fail(c, "bad integer value", val.s, val.len);
    }
    if (ieq(val, "t") || ieq(val, "true")) {
        *v = 1;
        return 1;
    }
    if (ieq(val, "f") || ieq(val, "false")) {
        *v = 0;
        return 1;
    }
    if (hr_parse_double(val.s, val.len, v) == 0) return 1;
    return lp_fail(c, "bad field value", val.s, val.len);
}

static int64_t floor_div(int64_t x, int64_t d)
{
    int64_t q = x / d;
    return (x % d != 0 && (x < 0)) ? q - 1 : q;
}

/* Parse one line (no newline). */
static int parse_line(lp_ctx *c, int64_t per_sec, int64_t now, hr_lp_emit emit, void *ud,
                      size_t *count)
{
    const char *s = c->line;
    size_t len = c->len, i = 0;
    size_t me = scan_until(s, 0, len, ", ");
    if (me == 0) return lp_fail(c, "missing measurement in", s, len < 40 ? len : 40);
    span meas = {s, me};
    lp_tag tags[HR_LP_MAX_TAGS];
    size_t ntags = 0;
    i = me;
    while (i < len && s[i] == ',') {
        i++;
        size_t ke = scan_until(s, i, len, "=, ");
        if (ke >= len || s[ke] != '=' || ke == i)
            return lp_fail(c, "bad tag", s + i, (ke < len ? ke : len) - i);
        size_t ve = scan_until(s, ke + 1, len, ", ");
        if (ve == ke + 1) return lp_fail(c, "empty tag value for", s + i, ke - i);
        if (ntags == HR_LP_MAX_TAGS) return lp_fail(c, "too many tags at", s + i, ke - i);
        tags[ntags++] = (lp_tag){{s + i, ke - i}, {s + ke + 1, ve - ke - 1}};
        i = ve;
    }
    if (i >= len || s[i] != ' ') return lp_fail(c, "missing fields after", s, i);
    i++;
    /* Sort tags by key (insertion sort: at most HR_LP_MAX_TAGS). */
    for (size_t a = 1; a < ntags; a++) {
        lp_tag x = tags[a];
        size_t b = a;
        while (b > 0 && span_cmp(tags[b - 1].k, x.k) > 0) {
            tags[b] = tags[b - 1];
            b--;
        }
        tags[b] = x;
    }
    /* Fields: find their end (quoted strings may hold spaces and commas). */
    size_t fstart = i, fend = i;
    bool inq = false;
    while (fend < len) {
        char ch = s[fend];
        if (ch == '\\' && fend + 1 < len) {
            fend += 2;
            continue;
        }
        if (ch == '"') inq = !inq;
        if (ch == ' ' && !inq) break;
        fend++;
    }
    if (inq) return lp_fail(c, "unterminated string in", s + fstart, fend - fstart);
    int64_t t = now;
    if (fend < len) {
        size_t ts = fend + 1;
        int64_t raw;
        if (hr_parse_int64(s + ts, len - ts, &raw) != 0)
            return lp_fail(c, "bad timestamp", s + ts, len - ts);
        t = floor_div(raw, per_sec);
    }
    for (size_t f = fstart; f < fend;) {
        size_t ke = scan_until(s, f, fend, "=,");
        if (ke >= fend || s[ke] != '=' || ke == f)
            return lp_fail(c, "bad field", s + f, (ke < fend ? ke : fend) - f);
        size_t ve = ke + 1;
        bool q = false;
        while (ve < fend) {
            if (s[ve] == '\\' && ve + 1 < fend) {
                ve += 2;
                continue;
            }
            if (s[ve] == '"') q = !q;
            if (s[ve] == ',' && !q) break;
            ve++;
        }
        span fk = {s + f, ke - f}, fv = {s + ke + 1, ve - ke - 1};
        double v;
        int rc = field_value(c, fk, fv, &v);
        if (rc < 0) return rc;
        if (rc == 1) {
            char key[HR_LP_KEY_MAX];
            size_t k = 0;
            bool ok = key_add(key, &k, meas.s, meas.len);
            if (ok && !(fk.len == 5 && !memcmp(fk.s, "value", 5)))
                ok = key_add(key, &k, ".", 1) && key_add(key, &k, fk.s, fk.len);
            for (size_t a = 0; ok && a < ntags; a++)
                ok = key_add(key, &k, ",", 1) && key_add(key, &k, tags[a].k.s, tags[a].k.len) &&
                     key_add(key, &k, "=", 1) && key_add(key, &k, tags[a].v.s, tags[a].v.len);
            if (!ok) return lp_fail(c, "series key too long for field", fk.s, fk.len);
            if (*count >= (size_t)INT_MAX)
                return hr_error_set(c->err, HR_ELIMIT, "line %zu: too many samples", c->lineno);
            rc = emit(ud, key, c->lineno, t, v);
            if (rc < 0) return rc;
            (*count)++;
        }
        f = ve < fend ? ve + 1 : ve;
        if (ve < fend && f == fend) return lp_fail(c, "trailing comma after", fk.s, fk.len);
    }
    return 0;
}

int hr_lineproto_parse(const char *buf, size_t len, const char *precision, int64_t now_sec,
                       hr_lp_emit emit, void *ud, hr_error *err)
{
    int64_t per_sec = 1000000000;
    if (precision && precision[0]) {
        if (!strcmp(precision, "ns"))
            per_sec = 1000000000;
        else if (!strcmp(precision, "us"))
            per_sec = 1000000;
        else if (!strcmp(precision, "ms"))
            per_sec = 1000;
        else if (!strcmp(precision, "s"))
            per_sec = 1;
        else
            return hr_error_set(err, HR_EINVAL, "precision: \"%.16s\" is not one of ns, us, ms, s",
                                precision);
    }
    lp_ctx c = {.err = err};
    size_t count = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        c.lineno++;
        c.line = buf + pos;
        c.len = end - pos;
        if (c.len && c.line[c.len - 1] == '\r') c.len--;
        pos = end + 1;
        size_t lead = 0;
        while (lead < c.len && (c.line[lead] == ' ' || c.line[lead] == '\t')) lead++;
        if (lead == c.len || c.line[lead] == '#') continue;
        if (lead) return lp_fail(&c, "leading whitespace in", c.line, c.len < 40 ? c.len : 40);
        if (memchr(c.line, 0, c.len))
            return hr_error_set(err, HR_EPARSE, "line %zu: NUL byte", c.lineno);
        int rc = parse_line(&c, per_sec, now_sec, emit, ud, &count);
        if (rc < 0) return rc;
    }
    return (int)count;
}
