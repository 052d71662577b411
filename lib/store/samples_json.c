/* JSON ingestion bodies (see include/headroom/store.h). */
#include <headroom/store.h>

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

bool hr_series_key_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > HR_SERIES_KEY_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c <= 0x20 || c >= 0x7f) return false;
        switch (c) {
        case '"':
        case '\\':
        case '?':
        case '#':
        case '%':
        case '{':
        case '}':
            return false;
        default:
            break;
        }
    }
    return key[0] != '/' && key[n - 1] != '/';
}

typedef struct jctx {
    char prefix[24]; /* "" or "[3]." */
    char *field;
    size_t field_size;
    hr_error *err;
} jctx;

static int jfail(jctx *c, const char *member, const char *fmt, ...) HR_PRINTF(3, 4);
static int jfail(jctx *c, const char *member, const char *fmt, ...)
{
    char path[200], m[300];
    snprintf(path, sizeof path, "%s%s", c->prefix, member);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    if (c->field) snprintf(c->field, c->field_size, "%s", path);
    return hr_error_set(c->err, HR_EINVAL, "%s: %s", path, m);
}

static bool json_time(json_t *x, int64_t *t)
{
    if (json_is_integer(x)) {
        *t = (int64_t)json_integer_value(x);
        return true;
    }
    if (json_is_real(x)) {
        double d = json_real_value(x);
        if (d == floor(d) && fabs(d) < 9.2e18) {
            *t = (int64_t)d;
            return true;
        }
    }
    return false;
}

/* Validate one batch object (no emission). */
static int check_object(jctx *c, json_t *o)
{
    if (!json_is_object(o)) return jfail(c, "", "must be an object");
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        if (strcmp(key, "series") && strcmp(key, "labels") && strcmp(key, "samples"))
            return jfail(c, key, "unknown member");
    }
    json_t *name = json_object_get(o, "series");
    if (!json_is_string(name)) return jfail(c, "series", "a string is required");
    if (!hr_series_key_ok(json_string_value(name)))
        return jfail(c, "series",
                     "\"%.60s\" is not a series name (1-200 printable characters without space, "
                     "quote, backslash, ?, #, %%, braces)",
                     json_string_value(name));
    json_t *labels = json_object_get(o, "labels");
    if (labels) {
        if (!json_is_object(labels)) return jfail(c, "labels", "must be an object");
        if (json_object_size(labels) > HR_SAMPLES_MAX_LABELS)
            return jfail(c, "labels", "more than %d labels", HR_SAMPLES_MAX_LABELS);
        json_object_foreach(labels, key, val)
        {
            if (!json_is_string(val) || strlen(key) > 128 || json_string_length(val) > 1024) {
                char m[160];
                snprintf(m, sizeof m, "labels.%.128s", key);
                return jfail(c, m, "must be a string of at most 1024 bytes (key 128)");
            }
        }
    }
    json_t *samples = json_object_get(o, "samples");
    if (!json_is_array(samples)) return jfail(c, "samples", "an array is required");
    size_t i;
    json_t *p;
    json_array_foreach(samples, i, p)
    {
        char m[48];
        snprintf(m, sizeof m, "samples[%zu]", i);
        if (!json_is_array(p) || json_array_size(p) != 2)
            return jfail(c, m, "must be a pair [unix_seconds, value]");
        int64_t t;
        if (!json_time(json_array_get(p, 0), &t)) {
            snprintf(m, sizeof m, "samples[%zu][0]", i);
            return jfail(c, m, "timestamp must be an integer (Unix seconds)");
        }
        json_t *jv = json_array_get(p, 1);
        if (!json_is_number(jv) && !json_is_null(jv)) {
            snprintf(m, sizeof m, "samples[%zu][1]", i);
            return jfail(c, m, "value must be a number or null");
        }
    }
    return 0;
}

static int emit_object(json_t *o, hr_samples_emit emit, void *ud, size_t *count, hr_error *err)
{
    json_t *labels = json_object_get(o, "labels");
    char *lj = labels ? json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (labels && !lj) return hr_error_set(err, HR_ENOMEM, "out of memory");
    const char *series = json_string_value(json_object_get(o, "series"));
    size_t i;
    json_t *p;
    int rc = 0;
    json_array_foreach(json_object_get(o, "samples"), i, p)
    {
        int64_t t = 0;
        json_time(json_array_get(p, 0), &t);
        json_t *jv = json_array_get(p, 1);
        double v = json_is_null(jv) ? NAN : json_number_value(jv);
        if (*count >= (size_t)INT_MAX) {
            rc = hr_error_set(err, HR_ELIMIT, "body: too many samples");
            break;
        }
        if ((rc = emit(ud, series, lj, t, v)) < 0) break;
        (*count)++;
    }
    free(lj);
    return rc;
}

int hr_samples_json_parse(const char *buf, size_t len, hr_samples_emit emit, void *ud, char *field,
                          size_t field_size, hr_error *err)
{
    json_error_t je;
    json_t *doc = json_loadb(buf ? buf : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (field && field_size) field[0] = 0;
    if (!doc)
        return hr_error_set(err, HR_EPARSE, "body: %s at line %d column %d", je.text, je.line,
                            je.column);
    jctx c = {.field = field, .field_size = field_size, .err = err};
    int rc = 0;
    size_t count = 0, i;
    json_t *o;
    if (json_is_array(doc)) {
        json_array_foreach(doc, i, o)
        {
            snprintf(c.prefix, sizeof c.prefix, "[%zu].", i);
            if ((rc = check_object(&c, o)) < 0) break;
        }
        json_array_foreach(doc, i, o)
        {
            if (rc < 0 || (rc = emit_object(o, emit, ud, &count, err)) < 0) break;
        }
    } else {
        rc = check_object(&c, doc);
        if (rc == 0) rc = emit_object(doc, emit, ud, &count, err);
    }
    json_decref(doc);
    return rc < 0 ? rc : (int)count;
}
