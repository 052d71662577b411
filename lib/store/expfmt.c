/* Prometheus text exposition format (see include/headroom/store.h). Two
 * passes: the first checks every line, the second emits, so that a bad
 * line stores nothing. */
#include <headroom/store.h>
#include <headroom/util.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define MAX_LABELS 64

typedef struct lbl {
    char name[128];
    char value[HR_LP_KEY_MAX];
} lbl;

static int fail(hr_error *err, size_t line, const char *what, const char *at, size_t n)
{
    char q[44];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < sizeof q; i++) {
        unsigned char ch = (unsigned char)at[i];
        if (ch < 0x20 || ch >= 0x7f)
            k += (size_t)snprintf(q + k, sizeof q - k, "\\x%02x", ch);
        else
            q[k++] = (char)ch;
    }
    q[k] = 0;
    return hr_error_set(err, HR_EPARSE, "line %zu: %s \"%s\"", line, what, q);
}

static bool name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

static int cmp_lbl(const void *a, const void *b)
{
    return strcmp(((const lbl *)a)->name, ((const lbl *)b)->name);
}

static bool parse_value(const char *s, size_t n, double *v)
{
    if (n == 3 && !memcmp(s, "NaN", 3)) {
        *v = NAN;
        return true;
    }
    if ((n == 4 && !memcmp(s, "+Inf", 4)) || (n == 3 && !memcmp(s, "Inf", 3))) {
        *v = INFINITY;
        return true;
    }
    if (n == 4 && !memcmp(s, "-Inf", 4)) {
        *v = -INFINITY;
        return true;
    }
    return hr_parse_double(s, n, v) == 0;
}

static bool key_add(char *key, size_t *k, const char *s)
{
    size_t n = strlen(s);
    if (*k + n + 1 > HR_LP_KEY_MAX) return false;
    memcpy(key + *k, s, n + 1);
    *k += n;
    return true;
}

/* Parse one line into key, t, v; returns 1 for a sample, 0 for a line to
 * skip, or an error. `labels` is scratch space of MAX_LABELS + 1. */
static int parse_line(const char *s, size_t len, size_t line, const char *extra, int64_t now,
                      lbl *labels, char *key, int64_t *t, double *v, hr_error *err)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
    if (i == len || s[i] == '#') return 0;
    size_t ns = i;
    if (!name_char(s[i], true)) return fail(err, line, "bad metric name at", s + i, len - i);
    while (i < len && name_char(s[i], false)) i++;
    size_t nl = i - ns, nlab = 0;
    if (nl >= 128) return fail(err, line, "metric name too long", s + ns, 40);
    if (i < len && s[i] == '{') {
        i++;
        for (;;) {
            while (i < len && s[i] == ' ') i++;
            if (i < len && s[i] == '}') {
                i++;
                break;
            }
            size_t ls = i;
            if (i >= len || !name_char(s[i], true))
                return fail(err, line, "bad label name at", s + i, len - i);
            while (i < len && name_char(s[i], false)) i++;
            if (i - ls >= sizeof labels[0].name)
                return fail(err, line, "label name too long", s + ls, 40);
            if (nlab == MAX_LABELS) return fail(err, line, "too many labels at", s + ls, i - ls);
            lbl *l = &labels[nlab++];
            memcpy(l->name, s + ls, i - ls);
            l->name[i - ls] = 0;
            if (i + 1 >= len || s[i] != '=' || s[i + 1] != '"')
                return fail(err, line, "expected =\" after label", s + ls, i - ls);
            i += 2;
            size_t k = 0;
            while (i < len && s[i] != '"') {
                char c = s[i];
                if (c == '\\' && i + 1 < len) {
                    c = s[++i] == 'n' ? '\n' : s[i];
                }
                if (k + 1 >= sizeof l->value)
                    return fail(err, line, "label value too long", s + ls, 40);
                l->value[k++] = c;
                i++;
            }
            if (i >= len)
                return fail(err, line, "unterminated label value of", l->name, strlen(l->name));
            l->value[k] = 0;
            i++;
            while (i < len && s[i] == ' ') i++;
            if (i < len && s[i] == ',')
                i++;
            else if (i >= len || s[i] != '}')
                return fail(err, line, "expected , or } after label", l->name, strlen(l->name));
        }
    }
    if (i >= len || (s[i] != ' ' && s[i] != '\t'))
        return fail(err, line, "missing value after", s + ns, i - ns);
    while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
    size_t vs = i;
    while (i < len && s[i] != ' ' && s[i] != '\t') i++;
    if (!parse_value(s + vs, i - vs, v)) return fail(err, line, "bad value", s + vs, i - vs);
    while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
    *t = now;
    if (i < len) {
        size_t ts = i;
        while (i < len && s[i] != ' ' && s[i] != '\t') i++;
        int64_t ms;
        if (hr_parse_int64(s + ts, i - ts, &ms) < 0)
            return fail(err, line, "bad timestamp", s + ts, i - ts);
        *t = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
        while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
        if (i < len) return fail(err, line, "trailing text", s + i, len - i);
    }
    if (extra) {
        const char *eq = strchr(extra, '=');
        if (eq && (size_t)(eq - extra) < sizeof labels[0].name && strlen(eq + 1) < HR_LP_KEY_MAX) {
            lbl *l = &labels[nlab++];
            memcpy(l->name, extra, (size_t)(eq - extra));
            l->name[eq - extra] = 0;
            memcpy(l->value, eq + 1, strlen(eq + 1) + 1);
            for (size_t a = 0; a + 1 < nlab; a++)
                if (!strcmp(labels[a].name, l->name)) nlab--; /* the target's own wins */
        }
    }
    qsort(labels, nlab, sizeof *labels, cmp_lbl);
    size_t k = 0;
    memcpy(key, s + ns, nl);
    key[nl] = 0;
    k = nl;
    bool ok = true;
    for (size_t a = 0; ok && a < nlab; a++)
        ok = key_add(key, &k, ",") && key_add(key, &k, labels[a].name) && key_add(key, &k, "=") &&
             key_add(key, &k, labels[a].value);
    if (!ok) return fail(err, line, "series key too long for", s + ns, nl);
    return 1;
}

int hr_expfmt_parse(const char *buf, size_t len, const char *extra_label, int64_t now_sec,
                    hr_lp_emit emit, void *ud, hr_error *err)
{
    lbl *labels = malloc((MAX_LABELS + 1) * sizeof *labels);
    char *key = malloc(HR_LP_KEY_MAX);
    if (!labels || !key) {
        free(labels);
        free(key);
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    int rc = 0;
    size_t count = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        size_t line = 0;
        for (size_t pos = 0; pos < len && rc == 0;) {
            const char *nl = memchr(buf + pos, '\n', len - pos);
            size_t end = nl ? (size_t)(nl - buf) : len, n = end - pos;
            line++;
            if (n && buf[pos + n - 1] == '\r') n--;
            int64_t t = 0;
            double v = 0;
            if (memchr(buf + pos, 0, n)) {
                rc = hr_error_set(err, HR_EPARSE, "line %zu: NUL byte", line);
                break;
            }
            int r = parse_line(buf + pos, n, line, extra_label, now_sec, labels, key, &t, &v, err);
            pos = end + 1;
            if (r < 0) {
                rc = r;
            } else if (r == 1 && pass == 1) {
                if (count >= (size_t)INT_MAX)
                    rc = hr_error_set(err, HR_ELIMIT, "line %zu: too many samples", line);
                else if ((rc = emit(ud, key, line, t, v)) == 0)
                    count++;
            }
        }
    }
    free(labels);
    free(key);
    return rc < 0 ? rc : (int)count;
}
