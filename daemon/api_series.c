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

#include "daemon/forecast.h"
#include "daemon/wbuild.h"

/* Store the build and reply 204 (X-Headroom-Skipped: n when samples were
 * skipped). */
static void wb_commit(hrd_req *r, wbuild *b)
{
    hrd_write_result res = {0};
    hr_error err = {0};
    int rc = hrd_wb_store(r->srv->store, b, &res, &err);
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

static int json_emit(void *ud, const char *series, const char *labels, int64_t t, double v)
{
    wbuild *b = ud;
    long si = hrd_wb_series(b, series);
    if (si < 0) return (int)si;
    wser *w = hr_vec_at(&b->sers, (size_t)si);
    if (labels && !w->labels && !(w->labels = strdup(labels))) return HR_ENOMEM;
    return hrd_wb_add(b, si, t, v);
}

void hrd_api_samples_post(hrd_req *r)
{
    wbuild b;
    hrd_wb_init(&b);
    char field[200];
    hr_error err = {0};
    int rc = hr_samples_json_parse(r->body, r->len, json_emit, &b, field, sizeof field, &err);
    if (rc == HR_EPARSE)
        hrd_reply_error(r, 400, "bad_json", NULL, "%s", err.msg);
    else if (rc == HR_EINVAL)
        hrd_reply_error(r, 400, "invalid_field", field, "%s", err.msg);
    else if (rc < 0)
        hrd_reply_error(r, 413, "too_large", NULL,
                        "body: more than %u samples or %u series in one request",
                        MAX_SAMPLES_PER_REQUEST, MAX_SERIES_PER_REQUEST);
    else
        wb_commit(r, &b);
    hrd_wb_release(&b);
}

/* ---- POST /api/v1/write (line protocol) ----------------------------------------------- */

void hrd_api_write_lp(hrd_req *r)
{
    wbuild b;
    hrd_wb_init(&b);
    hr_error err = {0};
    hrd_wb_ctx c = {&b, &err, "line"};
    int rc = hr_lineproto_parse(r->body ? r->body : "", r->len, hrd_query(r, "precision"),
                                (int64_t)time(NULL), hrd_wb_emit, &c, &err);
    if (rc < 0)
        hrd_reply_error(r, rc == HR_ELIMIT ? 413 : 400, "bad_line_protocol",
                        rc == HR_EINVAL ? "precision" : "body", "%s", err.msg);
    else
        wb_commit(r, &b);
    hrd_wb_release(&b);
}

/* ---- POST /api/v1/prom/write (Prometheus remote write) ---------------------------------- */

void hrd_api_prom_write(hrd_req *r)
{
    wbuild b;
    hrd_wb_init(&b);
    hr_error err = {0};
    hrd_wb_ctx c = {&b, &err, "timeseries"};
    size_t max = r->srv->cfg.max_body_bytes * 8;
    int rc = hr_promwrite_parse(r->body ? r->body : "", r->len, max, hrd_wb_emit, &c, &err);
    if (rc == HR_ELIMIT)
        hrd_reply_error(r, 413, "too_large", "body", "%s", err.msg);
    else if (rc < 0)
        hrd_reply_error(r, 400, "bad_remote_write", "body", "%s", err.msg);
    else
        wb_commit(r, &b);
    hrd_wb_release(&b);
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
    hrd_fc fc;
    int rc = hrd_forecast(r->srv->store, name, h, levels, (size_t)nq, r->srv->cfg.forecast_history,
                          model ? model : "auto", &fc, &err);
    if (rc == HR_EINVAL) {
        hrd_reply_error(r, 400, "invalid_field", "model", "%s", err.msg);
        return;
    }
    if (rc < 0) {
        if (rc == HR_EDATA) hr_error_prefix(&err, "series %s", name);
        hrd_reply_hr(r, rc, &err);
        return;
    }
    hr_forecast *f = &fc.f;
    json_t *lv = json_array();
    for (int j = 0; j < nq; j++) json_array_append_new(lv, json_real(levels[j]));
    json_t *pts = json_array();
    double p50 = NAN, p90 = NAN;
    for (size_t i = 0; i < h; i++) {
        json_t *q = json_array();
        for (int j = 0; j < nq; j++) {
            double x = hr_forecast_q(f, i, (size_t)j);
            json_array_append_new(q, f->has_quantiles && isfinite(x) ? json_real(x) : json_null());
        }
        json_array_append_new(
            pts,
            json_pack("{s:I, s:o, s:o}", "t", (json_int_t)(fc.origin + (int64_t)(i + 1) * fc.step),
                      "mean", isfinite(f->mean[i]) ? json_real(f->mean[i]) : json_null(),
                      "quantiles", q));
    }
    for (int j = 0; j < nq; j++) {
        if (fabs(levels[j] - 0.5) < 1e-12) p50 = hr_forecast_q(f, 0, (size_t)j);
        if (fabs(levels[j] - 0.9) < 1e-12) p90 = hr_forecast_q(f, 0, (size_t)j);
    }
    if (f->has_quantiles) hrd_server_gauge(r->srv, NULL, name, isnan(p50) ? f->mean[0] : p50, p90);
    json_t *periods = json_array();
    for (size_t k = 0; k < fc.nperiods; k++)
        json_array_append_new(periods, json_integer((json_int_t)fc.periods[k]));
    json_t *ans =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:b, s:o}", "series", name, "model",
                  fc.used, "fitted", fc.desc, "step", (json_int_t)fc.step, "origin",
                  (json_int_t)fc.origin, "history", (json_int_t)fc.history, "periods", periods,
                  "levels", lv, "has_quantiles", f->has_quantiles, "forecast", pts);
    hr_error serr = {0};
    if (ans && hrd_forecast_save(r->srv->store, name, ans, &serr) < 0)
        fprintf(stderr, "headroom: forecast of %s not kept: %s\n", name, serr.msg);
    hrd_reply_json(r, 200, ans);
    hrd_fc_release(&fc);
}
