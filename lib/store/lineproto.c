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

/* Scan a token up to the first unescaped `a` or `b` (a NUL stop never
 * matches: lines hold no NUL); returns the end position. Escaped
 * characters stay in the span (unescaped when copied). */
static size_t scan_until(const char *s, size_t i, size_t len, char a, char b, char c)
{
    while (i < len) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < len) {
            i += 2;
            continue;
        }
        if (ch == a || ch == b || ch == c) break;
        i++;
    }
    return i;
}

/* A series key being built: at most HR_LP_KEY_MAX - 1 bytes. */
typedef struct keybuf {
    char s[HR_LP_KEY_MAX];
    size_t len;
    bool over; /* something did not fit */
} keybuf;

static bool unescapes(char next)
{
    return next == ',' || next == '=' || next == ' ' || next == '"' || next == '\\';
}

/* Append s[0..len) to the key, unescaped. */
static void key_add(keybuf *k, const char *s, size_t len)
{
    if (k->over) return;
    if (!memchr(s, '\\', len)) {
        if (len >= HR_LP_KEY_MAX - k->len) {
            k->over = true;
            return;
        }
        memcpy(k->s + k->len, s, len);
        k->len += len;
        return;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < len && unescapes(s[i + 1])) ch = s[++i];
        if (k->len + 1 >= HR_LP_KEY_MAX) {
            k->over = true;
            return;
        }
        k->s[k->len++] = ch;
    }
}

static void key_char(keybuf *k, char ch)
{
    key_add(k, &ch, 1);
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

/* Fast paths for the common spellings, exactly as hr_parse_int64 and
 * hr_parse_double (strtod) would read them; false leaves the span to
 * those. An optional '-' and 1 to 18 digits. */
static bool fast_int64(const char *s, size_t len, int64_t *out)
{
    size_t i = len && s[0] == '-';
    if (len - i == 0 || len - i > 18) return false;
    int64_t x = 0;
    for (; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) return false;
        x = x * 10 + (int64_t)d;
    }
    *out = s[0] == '-' ? -x : x;
    return true;
}

/* An optional '-', digits, optionally '.' and more digits, at most 15
 * digits in all: the mantissa and 10^fraction digits are exact doubles,
 * so one division rounds correctly, as strtod does. */
static bool fast_double(const char *s, size_t len, double *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = len && s[0] == '-', digits = 0, frac = 0;
    bool dot = false;
    uint64_t m = 0;
    if (i == len || s[i] == '.') return false;
    for (; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) {
            if (s[i] != '.' || dot || i + 1 == len) return false;
            dot = true;
            continue;
        }
        if (++digits > 15) return false;
        m = m * 10 + d;
        frac += dot;
    }
    double v = (double)m / pow10[frac];
    *out = s[0] == '-' ? -v : v;
    return true;
}

/* 1: a number in *v; 0: a string field (skipped); <0: error. */
static int field_value(const lp_ctx *c, span f, span val, double *v)
{
    if (val.len == 0) return lp_fail(c, "empty value of field", f.s, f.len);
    if (val.s[0] == '"') return 0;
    if (fast_double(val.s, val.len, v)) return 1;
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
    size_t me = scan_until(s, 0, len, ',', ' ', ' ');
    if (me == 0) return lp_fail(c, "missing measurement in", s, len < 40 ? len : 40);
    span meas = {s, me};
    lp_tag tags[HR_LP_MAX_TAGS];
    size_t ntags = 0;
    i = me;
    while (i < len && s[i] == ',') {
        i++;
        size_t ke = scan_until(s, i, len, '=', ',', ' ');
        if (ke >= len || s[ke] != '=' || ke == i)
            return lp_fail(c, "bad tag", s + i, (ke < len ? ke : len) - i);
        size_t ve = scan_until(s, ke + 1, len, ',', ' ', ' ');
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
        if (!fast_int64(s + ts, len - ts, &raw) && hr_parse_int64(s + ts, len - ts, &raw) != 0)
            return lp_fail(c, "bad timestamp", s + ts, len - ts);
        t = floor_div(raw, per_sec);
    }
    /* The key's parts, unescaped once per line: "measurement" and
     * ",tag=value,..." (each field's name goes between them). */
    keybuf tagpart = {.len = 0};
    for (size_t a = 0; a < ntags; a++) {
        key_char(&tagpart, ',');
        key_add(&tagpart, tags[a].k.s, tags[a].k.len);
        key_char(&tagpart, '=');
        key_add(&tagpart, tags[a].v.s, tags[a].v.len);
    }
    keybuf key = {.len = 0};
    key_add(&key, meas.s, meas.len);
    size_t meas_len = key.len;
    for (size_t f = fstart; f < fend;) {
        size_t ke = scan_until(s, f, fend, '=', ',', ',');
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
            key.len = meas_len;
            if (!(fk.len == 5 && !memcmp(fk.s, "value", 5))) {
                key_char(&key, '.');
                key_add(&key, fk.s, fk.len);
            }
            if (!key.over && !tagpart.over && tagpart.len < HR_LP_KEY_MAX - key.len) {
                memcpy(key.s + key.len, tagpart.s, tagpart.len);
                key.len += tagpart.len;
            } else {
                key.over = true;
            }
            if (key.over) return lp_fail(c, "series key too long for field", fk.s, fk.len);
            key.s[key.len] = 0;
            if (*count >= (size_t)INT_MAX)
                return hr_error_set(c->err, HR_ELIMIT, "line %zu: too many samples", c->lineno);
            rc = emit(ud, key.s, c->lineno, t, v);
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
