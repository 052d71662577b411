/* Telemetry handlers: ingestion (JSON samples, line protocol), reading a
 * series, listing series, forecasting a series with the forecasting engine.
 * Input is validated completely before anything is stored. */
#include "daemon/api.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#define MAX_SAMPLES_PER_REQUEST 2000000u
#define MAX_SERIES_PER_REQUEST  100000u

/* ---- a write being assembled: samples grouped by series -------------------------------- */

typedef struct wser {
    char *name;
    char *labels;
    hr_vec t, v;
} wser;

typedef struct wbuild {
    hr_map idx; /* name -> (index + 1) */
    hr_vec sers;
    size_t total;
} wbuild;

static void wb_init(wbuild *b)
{
    hr_map_init(&b->idx, MAX_SERIES_PER_REQUEST);
    hr_vec_init(&b->sers, sizeof(wser), MAX_SERIES_PER_REQUEST);
    b->total = 0;
}

static void wb_release(wbuild *b)
{
    for (size_t i = 0; i < b->sers.len; i++) {
        wser *w = hr_vec_at(&b->sers, i);
        free(w->name);
        free(w->labels);
        hr_vec_release(&w->t);
        hr_vec_release(&w->v);
    }
    hr_vec_release(&b->sers);
    hr_map_release(&b->idx);
}

/* The series entry for `name` (created on first use). NULL on a limit. */
static wser *wb_series(wbuild *b, const char *name)
{
    uintptr_t k = (uintptr_t)hr_map_get(&b->idx, name);
    if (k) return hr_vec_at(&b->sers, k - 1);
    wser w = {.name = strdup(name)};
    if (!w.name) return NULL;
    hr_vec_init(&w.t, sizeof(int64_t), MAX_SAMPLES_PER_REQUEST);
    hr_vec_init(&w.v, sizeof(double), MAX_SAMPLES_PER_REQUEST);
    if (hr_vec_push(&b->sers, &w) < 0) {
        free(w.name);
        return NULL;
    }
    if (hr_map_put(&b->idx, name, (void *)(uintptr_t)b->sers.len, NULL) < 0) {
        b->sers.len--;
        free(w.name);
        return NULL;
    }
    return hr_vec_at(&b->sers, b->sers.len - 1);
}

static int wb_add(wbuild *b, wser *w, int64_t t, double v)
{
    if (b->total >= MAX_SAMPLES_PER_REQUEST) return HR_ELIMIT;
    if (hr_vec_push(&w->t, &t) < 0 || hr_vec_push(&w->v, &v) < 0) return HR_ENOMEM;
    b->total++;
    return 0;
}

/* Store the build and reply 204 (X-Headroom-Skipped: n when samples were
 * skipped). */
static void wb_commit(hrd_req *r, wbuild *b)
{
    size_t n = b->sers.len;
    hrd_write *w = calloc(n ? n : 1, sizeof *w);
    if (!w) {
        hrd_reply_error(r, 500, "internal", NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        wser *s = hr_vec_at(&b->sers, i);
        w[i] = (hrd_write){s->name, s->labels, s->t.data, s->v.data, s->t.len};
    }
    hrd_write_result res = {0};
    hr_error err = {0};
    int rc = hrd_store_write(r->srv->store, w, n, &res, &err);
    free(w);
    if (rc < 0) {
        hrd_reply_hr(r, rc, &err);
        return;
    }
    hrd_reply_text(r, 204, NULL, NULL, 0);
    if (res.skipped) {
        snprintf(r->extra_name, sizeof r->extra_name, "X-Headroom-Skipped");
        snprintf(r->extra_value, sizeof r->extra_value, "%zu", res.skipped);
    }
}

/* ---- POST /api/v1/samples ------------------------------------------------------------- */

typedef struct jctx {
    hrd_req *r;
    char prefix[24]; /* "" or "[3]." */
} jctx;

static bool jfail(jctx *c, const char *field, const char *fmt, ...) HR_PRINTF(3, 4);
static bool jfail(jctx *c, const char *field, const char *fmt, ...)
{
    char path[128], m[256];
    snprintf(path, sizeof path, "%s%s", c->prefix, field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    hrd_reply_error(c->r, 400, "invalid_field", path, "%s: %s", path, m);
    return false;
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

static bool parse_object(jctx *c, json_t *o, wbuild *b)
{
    if (!json_is_object(o)) return jfail(c, "", "must be an object");
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        if (strcmp(key, "series") && strcmp(key, "labels") && strcmp(key, "samples"))
            return jfail(c, key, "unknown field");
    }
    json_t *name = json_object_get(o, "series");
    if (!json_is_string(name)) return jfail(c, "series", "a string is required");
    const char *nm = json_string_value(name);
    if (!hrd_series_name_ok(nm))
        return jfail(c, "series",
                     "\"%.60s\" is not a series name (1-200 printable characters, no space, "
                     "quote, backslash, ?, #, %%, braces)",
                     nm);
    json_t *labels = json_object_get(o, "labels");
    if (labels) {
        if (!json_is_object(labels)) return jfail(c, "labels", "must be an object");
        json_object_foreach(labels, key, val)
        {
            if (!json_is_string(val) || strlen(key) > 128 || json_string_length(val) > 1024) {
                char f[160];
                snprintf(f, sizeof f, "labels.%.128s", key);
                return jfail(c, f, "must be a string of at most 1024 bytes");
            }
        }
        if (json_object_size(labels) > 64) return jfail(c, "labels", "more than 64 labels");
    }
    json_t *samples = json_object_get(o, "samples");
    if (!json_is_array(samples)) return jfail(c, "samples", "an array is required");
    wser *w = wb_series(b, nm);
    if (!w) return jfail(c, "series", "too many series in one request");
    if (labels && !w->labels) w->labels = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
    size_t i;
    json_t *p;
    json_array_foreach(samples, i, p)
    {
        char f[48];
        snprintf(f, sizeof f, "samples[%zu]", i);
        if (!json_is_array(p) || json_array_size(p) != 2)
            return jfail(c, f, "must be a pair [unix_seconds, value]");
        int64_t t;
        if (!json_time(json_array_get(p, 0), &t)) {
            snprintf(f, sizeof f, "samples[%zu][0]", i);
            return jfail(c, f, "timestamp must be an integer (Unix seconds)");
        }
        json_t *jv = json_array_get(p, 1);
        double v;
        if (json_is_number(jv))
            v = json_number_value(jv);
        else if (json_is_null(jv))
            v = NAN;
        else {
            snprintf(f, sizeof f, "samples[%zu][1]", i);
            return jfail(c, f, "value must be a number or null");
        }
        if (wb_add(b, w, t, v) < 0)
            return jfail(c, f, "more than %u samples in one request", MAX_SAMPLES_PER_REQUEST);
    }
    return true;
}

void hrd_api_samples_post(hrd_req *r)
{
    json_error_t je;
    json_t *doc =
        json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!doc) {
        hrd_reply_error(r, 400, "bad_json", NULL, "body: %s at line %d column %d", je.text, je.line,
                        je.column);
        return;
    }
    wbuild b;
    wb_init(&b);
    jctx c = {.r = r};
    bool ok = true;
    if (json_is_array(doc)) {
        size_t i;
        json_t *o;
        json_array_foreach(doc, i, o)
        {
            snprintf(c.prefix, sizeof c.prefix, "[%zu].", i);
            if (!(ok = parse_object(&c, o, &b))) break;
        }
    } else {
        ok = parse_object(&c, doc, &b);
    }
    json_decref(doc);
    if (ok) wb_commit(r, &b);
    wb_release(&b);
}

/* ---- POST /api/v1/write (line protocol) ----------------------------------------------- */

typedef struct lpctx {
    wbuild *b;
    hr_error *err;
} lpctx;

static int lp_emit(void *ud, const char *key, size_t line, int64_t t, double v)
{
    lpctx *c = ud;
    if (!hrd_series_name_ok(key))
        return hr_error_set(c->err, HR_EPARSE, "line %zu: \"%.80s\" is not a series name", line,
                            key);
    wser *w = wb_series(c->b, key);
    if (!w) return hr_error_set(c->err, HR_ELIMIT, "line %zu: too many series", line);
    if (wb_add(c->b, w, t, v) < 0)
        return hr_error_set(c->err, HR_ELIMIT, "line %zu: more than %u samples", line,
                            MAX_SAMPLES_PER_REQUEST);
    return 0;
}

void hrd_api_write_lp(hrd_req *r)
{
    wbuild b;
    wb_init(&b);
    hr_error err = {0};
    lpctx c = {&b, &err};
    int rc = hr_lineproto_parse(r->body ? r->body : "", r->len, hrd_query(r, "precision"),
                                (int64_t)time(NULL), lp_emit, &c, &err);
    if (rc < 0)
        hrd_reply_error(r, rc == HR_ELIMIT ? 413 : 400, "bad_line_protocol",
                        rc == HR_EINVAL ? "precision" : "body", "%s", err.msg);
    else
        wb_commit(r, &b);
    wb_release(&b);
}

/* ---- reading ------------------------------------------------------------------------- */

static bool query_time(hrd_req *r, const char *key, int64_t def, int64_t *out)
{
    const char *s = hrd_query(r, key);
    if (!s) {
        *out = def;
        return true;
    }
    if (hr_time_parse(s, strlen(s), out) == 0) return true;
    hrd_reply_error(r, 400, "invalid_field", key,
                    "%s: \"%.40s\" is not a time (Unix seconds or ISO 8601)", key, s);
    return false;
}

typedef struct obuf {
    char *s;
    size_t len, cap;
    bool oom;
} obuf;

static void ob_put(obuf *o, const char *fmt, ...) HR_PRINTF(2, 3);
static void ob_put(obuf *o, const char *fmt, ...)
{
    while (!o->oom) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t nc = o->cap ? o->cap * 2 : 65536;
        char *ns = n < 0 ? NULL : realloc(o->s, nc);
        if (!ns) {
            o->oom = true;
            return;
        }
        o->s = ns;
        o->cap = nc;
    }
}

static void ob_json_str(obuf *o, const char *s)
{
    json_t *j = json_string(s);
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!t) {
        o->oom = true;
        return;
    }
    ob_put(o, "%s", t);
    free(t);
}

static void ob_num(obuf *o, double v)
{
    if (isfinite(v))
        ob_put(o, "%.17g", v);
    else
        ob_put(o, "null");
}

void hrd_api_series_samples(hrd_req *r)
{
    const char *name = r->param[0];
    int64_t from, to;
    size_t limit;
    if (!query_time(r, "from", INT64_MIN, &from) || !query_time(r, "to", INT64_MAX, &to) ||
        !hrd_query_limit(r, 100000, 1000000, &limit))
        return;
    if (from > to) {
        hrd_reply_error(r, 400, "invalid_field", "from", "from: after to");
        return;
    }
    hr_vec t, v;
    hr_vec_init(&t, sizeof(int64_t), 0);
    hr_vec_init(&v, sizeof(double), 0);
    bool more = false;
    hr_error err = {0};
    int rc = hrd_store_read(r->srv->store, name, from, to, limit, &t, &v, &more, &err);
    if (rc < 0) {
        hrd_reply_hr(r, rc, &err);
        goto out;
    }
    obuf o = {0};
    ob_put(&o, "{\"series\":");
    ob_json_str(&o, name);
    ob_put(&o, ",\"samples\":[");
    const int64_t *ts = t.data;
    const double *vs = v.data;
    for (size_t i = 0; i < t.len; i++) {
        ob_put(&o, "%s[%" PRId64 ",", i ? "," : "", ts[i]);
        ob_num(&o, vs[i]);
        ob_put(&o, "]");
    }
    if (more)
        ob_put(&o, "],\"next\":%" PRId64 "}", ts[t.len - 1] + 1);
    else
        ob_put(&o, "],\"next\":null}");
    if (o.oom) {
        free(o.s);
        hrd_reply_error(r, 500, "internal", NULL, "out of memory");
    } else {
        hrd_reply_text(r, 200, "application/json", o.s, o.len);
    }
out:
    hr_vec_release(&t);
    hr_vec_release(&v);
}

void hrd_api_series_list(hrd_req *r)
{
    size_t limit;
    if (!hrd_query_limit(r, 100, 1000, &limit)) return;
    json_t *items = NULL;
    hr_error err = {0};
    int rc = hrd_store_list_series(r->srv->store, hrd_query(r, "after"), limit + 1, &items, &err);
    if (rc < 0) {
        hrd_reply_hr(r, rc, &err);
        return;
    }
    json_t *next = json_null();
    if (json_array_size(items) > limit) {
        json_array_remove(items, limit);
        next = json_incref(json_object_get(json_array_get(items, limit - 1), "name"));
    }
    hrd_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next", next));
}

/* ---- forecast ----------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Put irregular samples on a grid of `step` from the first sample (the last
 * sample of a slot wins), gaps filled linearly. */
static int regularise(const int64_t *t, const double *v, size_t n, int64_t step, hr_series *out,
                      hr_error *err)
{
    uint64_t span = (uint64_t)(t[n - 1] - t[0]) / (uint64_t)step + 1;
    if (span > 10 * n + 1000)
        return hr_error_set(err, HR_EDATA, "samples too sparse for a step of %" PRId64 " s", step);
    double *y = malloc(span * sizeof *y);
    if (!y) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (size_t i = 0; i < span; i++) y[i] = NAN;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = ((uint64_t)(t[i] - t[0]) + (uint64_t)step / 2) / (uint64_t)step;
        if (k < span && isfinite(v[i])) y[k] = v[i];
    }
    int rc = hr_series_from_array(out, NULL, t[0], step, y, span);
    free(y);
    if (rc < 0) return hr_error_set(err, rc, "out of memory");
    rc = hr_series_fill_gaps(out, HR_FILL_LINEAR, 0, err);
    if (rc < 0) hr_series_release(out);
    return rc;
}

static void remember_gauge(hrd_server *srv, const char *series, double p50, double p90)
{
    pthread_mutex_lock(&srv->mu);
    hrd_fc_gauge *g = hr_map_get(&srv->fc, series);
    if (!g && (g = calloc(1, sizeof *g))) {
        snprintf(g->series, sizeof g->series, "%s", series);
        if (hr_map_put(&srv->fc, series, g, NULL) < 0) {
            free(g);
            g = NULL;
        }
    }
    if (g) g->p50 = p50, g->p90 = p90;
    pthread_mutex_unlock(&srv->mu);
}

void hrd_api_series_forecast(hrd_req *r)
{
    const char *name = r->param[0];
    size_t h = 12;
    const char *hs = hrd_query(r, "horizon");
    uint64_t hv;
    if (hs && (hr_parse_uint64(hs, strlen(hs), &hv) < 0 || hv < 1 || hv > 10000)) {
        hrd_reply_error(r, 400, "invalid_field", "horizon",
                        "horizon: \"%.40s\" is not a number of steps in [1, 10000]", hs);
        return;
    }
    if (hs) h = (size_t)hv;
    double levels[HR_MAX_QUANTILES];
    const char *qs = hrd_query(r, "quantiles");
    hr_error err = {0};
    int nq = hr_parse_levels(qs ? qs : "0.05,0.5,0.9,0.95", levels, HR_MAX_QUANTILES, &err);
    if (nq < 0) {
        hrd_reply_error(r, 400, "invalid_field", "quantiles", "quantiles: %s", err.msg);
        return;
    }
    const char *model = hrd_query(r, "model");
    if (!model) model = "auto";
    size_t hist = r->srv->cfg.forecast_history;
    hr_vec t, v;
    hr_vec_init(&t, sizeof(int64_t), 0);
    hr_vec_init(&v, sizeof(double), 0);
    hr_series s = {0};
    hr_model *m = NULL;
    hr_forecast f = {0};
    bool more;
    int rc =
        hrd_store_read(r->srv->store, name, INT64_MIN, INT64_MAX, 100000000, &t, &v, &more, &err);
    if (rc < 0) {
        hrd_reply_hr(r, rc, &err);
        goto out;
    }
    size_t n = t.len, off = n > hist ? n - hist : 0;
    const int64_t *ts = (const int64_t *)t.data + off;
    const double *vs = (const double *)v.data + off;
    n -= off;
    if (n < 8) {
        hrd_reply_error(r, 422, "unusable_data", NULL,
                        "series %s: %zu samples, at least 8 are needed to forecast", name, n);
        goto out;
    }
    int64_t *d = malloc((n - 1) * sizeof *d);
    if (!d) {
        hrd_reply_error(r, 500, "internal", NULL, "out of memory");
        goto out;
    }
    for (size_t i = 1; i < n; i++) d[i - 1] = ts[i] - ts[i - 1];
    qsort(d, n - 1, sizeof *d, cmp_i64);
    int64_t step = d[(n - 1) / 2];
    free(d);
    if (step <= 0 || (rc = regularise(ts, vs, n, step, &s, &err)) < 0) {
        if (step <= 0) hr_error_set(&err, HR_EDATA, "no regular step");
        hrd_reply_error(r, 422, "unusable_data", NULL, "series %s: %s", name, err.msg);
        goto out;
    }
    hr_model_opts mo = {.horizon = h};
    size_t cand[HR_MAX_PERIODS];
    int nc = hr_candidate_periods(step, cand, HR_MAX_PERIODS);
    if (nc > 0)
        mo.nperiods = (size_t)hr_detect_periods(s.values, s.len, cand, (size_t)nc, mo.periods,
                                                HR_MAX_PERIODS);
    const char *used = model;
    rc = hr_model_new(model, &mo, &m, &err);
    if (rc == HR_ENOTFOUND) {
        hrd_reply_error(r, 400, "invalid_field", "model", "model: %s", err.msg);
        goto out;
    }
    if (rc == 0) rc = hr_model_fit(m, s.values, s.len, &err);
    if (rc < 0 && strcmp(model, "naive")) {
        /* The requested model could not fit (too short...): fall back to naive. */
        hr_model_free(m);
        m = NULL;
        used = "naive";
        hr_model_opts no = {.horizon = h};
        rc = hr_model_new("naive", &no, &m, NULL);
        if (rc == 0) rc = hr_model_fit(m, s.values, s.len, &err);
    }
    if (rc == 0) rc = hr_forecast_init(&f, h, levels, (size_t)nq, &err);
    if (rc == 0) rc = hr_model_forecast(m, h, &f, &err);
    if (rc < 0) {
        hrd_reply_error(r, 422, "unusable_data", NULL, "series %s: %s", name, err.msg);
        goto out;
    }
    hr_fit_info fi = {0};
    hr_model_info(m, &fi);
    json_t *lv = json_array();
    for (int j = 0; j < nq; j++) json_array_append_new(lv, json_real(levels[j]));
    json_t *pts = json_array();
    int64_t origin = s.start + (int64_t)(s.len - 1) * step;
    double p50 = NAN, p90 = NAN;
    for (size_t i = 0; i < h; i++) {
        json_t *q = json_array();
        for (int j = 0; j < nq; j++) {
            double x = hr_forecast_q(&f, i, (size_t)j);
            json_array_append_new(q, f.has_quantiles && isfinite(x) ? json_real(x) : json_null());
        }
        json_array_append_new(
            pts, json_pack("{s:I, s:o, s:o}", "t", (json_int_t)(origin + (int64_t)(i + 1) * step),
                           "mean", isfinite(f.mean[i]) ? json_real(f.mean[i]) : json_null(),
                           "quantiles", q));
    }
    for (int j = 0; j < nq; j++) {
        if (fabs(levels[j] - 0.5) < 1e-12) p50 = hr_forecast_q(&f, 0, (size_t)j);
        if (fabs(levels[j] - 0.9) < 1e-12) p90 = hr_forecast_q(&f, 0, (size_t)j);
    }
    if (f.has_quantiles) remember_gauge(r->srv, name, isnan(p50) ? f.mean[0] : p50, p90);
    json_t *periods = json_array();
    for (size_t k = 0; k < mo.nperiods; k++)
        json_array_append_new(periods, json_integer((json_int_t)mo.periods[k]));
    hrd_reply_json(r, 200,
                   json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:b, s:o}", "series", name,
                             "model", used, "fitted", fi.desc, "step", (json_int_t)step, "origin",
                             (json_int_t)origin, "history", (json_int_t)s.len, "periods", periods,
                             "levels", lv, "has_quantiles", f.has_quantiles, "forecast", pts));
out:
    hr_forecast_release(&f);
    hr_model_free(m);
    hr_series_release(&s);
    hr_vec_release(&t);
    hr_vec_release(&v);
}
