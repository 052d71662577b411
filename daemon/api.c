/* The route table and the non-telemetry handlers: health, metrics, the
 * OpenAPI document, fleet objects, control modes, tokens, the journal, and
 * the endpoints whose subsystem is not wired into the daemon yet. */
#include "daemon/api.h"
#include "daemon/alerts.h"
#include "daemon/anomaly.h"
#include "daemon/ctl.h"
#include "daemon/scrape.h"

#include <microhttpd.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char hrd_embed_openapi_json[];
extern const size_t hrd_embed_openapi_json_len;
extern const unsigned char hrd_embed_dashboard_html[];
extern const size_t hrd_embed_dashboard_html_len;
extern const unsigned char hrd_embed_uPlot_iife_min_js[];
extern const size_t hrd_embed_uPlot_iife_min_js_len;
extern const unsigned char hrd_embed_uPlot_min_css[];
extern const size_t hrd_embed_uPlot_min_css_len;

const struct hrd_route hrd_routes[] = {
    {"GET", "/healthz", SCOPE_NONE, hrd_api_healthz, "healthz", false},
    {"GET", "/metrics", SCOPE_READ, hrd_api_metrics, "metrics", false},
    {"GET", "/api/v1/openapi.json", SCOPE_READ, hrd_api_openapi, "openapi", false},
    {"GET", "/dashboard", SCOPE_READ, hrd_api_dashboard, "dashboard", true},
    {"POST", "/api/v1/samples", SCOPE_WRITE, hrd_api_samples_post, "samples", false},
    {"POST", "/api/v1/write", SCOPE_WRITE, hrd_api_write_lp, "write", false},
    {"GET", "/api/v1/series", SCOPE_READ, hrd_api_series_list, "series", false},
    {"GET", "/api/v1/series/**/samples", SCOPE_READ, hrd_api_series_samples, "series_samples",
     false},
    {"GET", "/api/v1/series/**/forecast", SCOPE_READ, hrd_api_series_forecast, "forecast", false},
    {"GET", "/api/v1/fleets/*/mode", SCOPE_READ, hrd_api_mode_get, "mode", false},
    {"PUT", "/api/v1/fleets/*/mode", SCOPE_ADMIN, hrd_api_mode_put, "mode", false},
    {"POST", "/api/v1/tokens", SCOPE_ADMIN, hrd_api_token_create, "tokens", false},
    {"GET", "/api/v1/journal", SCOPE_READ, hrd_api_journal, "journal", false},
    {"GET", "/api/v1/plan", SCOPE_READ, hrd_api_plan_get, "plan", false},
    {"POST", "/api/v1/plan/approve", SCOPE_ADMIN, hrd_api_plan_approve, "plan", false},
    {"POST", "/api/v1/plan/apply", SCOPE_ADMIN, hrd_api_plan_apply, "plan", false},
    {"GET", "/api/v1/fleets/*/plan", SCOPE_READ, hrd_api_plan_get, "plan", false},
    {"POST", "/api/v1/fleets/*/plan/approve", SCOPE_ADMIN, hrd_api_plan_approve, "plan", false},
    {"POST", "/api/v1/fleets/*/plan/apply", SCOPE_ADMIN, hrd_api_plan_apply, "plan", false},
    {"GET", "/api/v1/anomalies", SCOPE_READ, hrd_api_anomalies, "anomalies", false},
    {"GET", "/api/v1/annotations", SCOPE_READ, hrd_api_annotations, "annotations", false},
    {"POST", "/api/v1/annotations", SCOPE_WRITE, hrd_api_annotation_add, "annotations", false},
    {"DELETE", "/api/v1/annotations/*", SCOPE_WRITE, hrd_api_annotation_delete, "annotations",
     false},
    {"GET", "/api/v1/alerts", SCOPE_READ, hrd_api_alerts, "alerts", false},
    {"POST", "/api/v1/prom/write", SCOPE_WRITE, hrd_api_prom_write, "prom_write", false},
    {"GET", "/api/v1/*", SCOPE_READ, hrd_api_obj_list, "objects", false},
    {"POST", "/api/v1/*", SCOPE_ADMIN, hrd_api_obj_create, "objects", false},
    {"GET", "/api/v1/*/*", SCOPE_READ, hrd_api_obj_get, "objects", false},
    {"PUT", "/api/v1/*/*", SCOPE_ADMIN, hrd_api_obj_put, "objects", false},
    {"DELETE", "/api/v1/*/*", SCOPE_ADMIN, hrd_api_obj_delete, "objects", false},
};
const size_t hrd_nroutes = sizeof hrd_routes / sizeof hrd_routes[0];

void hrd_api_healthz(hrd_req *r)
{
    hrd_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void hrd_api_openapi(hrd_req *r)
{
    char *copy = malloc(hrd_embed_openapi_json_len);
    if (!copy) {
        hrd_reply_error(r, 500, "internal", NULL, "out of memory");
        return;
    }
    memcpy(copy, hrd_embed_openapi_json, hrd_embed_openapi_json_len);
    hrd_reply_text(r, 200, "application/json", copy, hrd_embed_openapi_json_len);
}

/* The dashboard: one page with uPlot (vendored from npm, daemon/embed/) and
 * its stylesheet inlined where the page says <!--ASSETS-->, so that it
 * needs no other request and no network. */
void hrd_api_dashboard(hrd_req *r)
{
    static const char mark[] = "<!--ASSETS-->";
    const char *html = (const char *)hrd_embed_dashboard_html;
    const char *at = strstr(html, mark);
    size_t pre = at ? (size_t)(at - html) : hrd_embed_dashboard_html_len;
    size_t post_off = at ? pre + sizeof mark - 1 : hrd_embed_dashboard_html_len;
    size_t len = hrd_embed_dashboard_html_len + hrd_embed_uPlot_iife_min_js_len +
                 hrd_embed_uPlot_min_css_len + 64;
    char *out = malloc(len);
    if (!out) {
        hrd_reply_error(r, 500, "internal", NULL, "out of memory");
        return;
    }
    size_t k = 0;
#define PUT(p, n) (memcpy(out + k, (p), (n)), k += (n))
    PUT(html, pre);
    PUT("<style>", 7);
    PUT(hrd_embed_uPlot_min_css, hrd_embed_uPlot_min_css_len);
    PUT("</style><script>", 16);
    PUT(hrd_embed_uPlot_iife_min_js, hrd_embed_uPlot_iife_min_js_len);
    PUT("</script>", 9);
    PUT(html + post_off, hrd_embed_dashboard_html_len - post_off);
#undef PUT
    hrd_reply_text(r, 200, "text/html; charset=utf-8", out, k);
    snprintf(r->extra_name, sizeof r->extra_name, "Referrer-Policy");
    snprintf(r->extra_value, sizeof r->extra_value, "no-referrer");
}

/* ---- /metrics ------------------------------------------------------------------------ */

typedef struct outbuf {
    char *s;
    size_t len, cap;
    bool oom;
} outbuf;

static void outf(outbuf *o, const char *fmt, ...) HR_PRINTF(2, 3);
static void outf(outbuf *o, const char *fmt, ...)
{
    if (o->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->oom = true;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t nc = o->cap ? o->cap * 2 : 8192;
        while (nc < o->len + (size_t)n + 1) nc *= 2;
        char *ns = realloc(o->s, nc);
        if (!ns) {
            o->oom = true;
            return;
        }
        o->s = ns;
        o->cap = nc;
    }
}

/* Label values escaped as the exposition format wants (\\, \", \n). */
static void out_label(outbuf *o, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            outf(o, "\\%c", *v);
        else if (*v == '\n')
            outf(o, "\\n");
        else
            outf(o, "%c", *v);
    }
}

static void out_line(void *ud, const char *line)
{
    outf(ud, "%s", line);
}

static void out_open(void *ud, const char *kind, int64_t n)
{
    outf(ud, "headroom_alerts_open{kind=\"%s\"} %lld\n", kind, (long long)n);
}

static int out_gauge(const char *key, void *value, void *ud)
{
    outbuf *o = ud;
    const hrd_fc_gauge *g = value;
    (void)key;
    for (int k = 0; k < 2; k++) {
        outf(o, "headroom_forecast_next{series=\"");
        out_label(o, g->series);
        if (g->workload[0]) {
            outf(o, "\",workload=\"");
            out_label(o, g->workload);
        }
        outf(o, "\",quantile=\"%s\"} %.17g\n", k ? "0.9" : "0.5", k ? g->p90 : g->p50);
    }
    return 0;
}

void hrd_api_metrics(hrd_req *r)
{
    hrd_server *srv = r->srv;
    outbuf o = {0};
    hrd_store_stats st;
    hrd_store_get_stats(srv->store, &st);
    outf(&o,
         "# HELP headroom_samples_stored_total Samples stored (acknowledged once durable).\n"
         "# TYPE headroom_samples_stored_total counter\nheadroom_samples_stored_total %llu\n",
         (unsigned long long)st.samples_stored);
    outf(&o,
         "# HELP headroom_samples_skipped_total Samples at or before their series' newest "
         "timestamp.\n# TYPE headroom_samples_skipped_total counter\n"
         "headroom_samples_skipped_total %llu\n",
         (unsigned long long)st.samples_skipped);
    outf(&o,
         "# HELP headroom_commits_total Group commits of the store.\n"
         "# TYPE headroom_commits_total counter\nheadroom_commits_total %llu\n",
         (unsigned long long)st.commits);
    outf(&o,
         "# HELP headroom_series Series known.\n# TYPE headroom_series gauge\n"
         "headroom_series %llu\n",
         (unsigned long long)st.series);
    outf(&o,
         "# HELP headroom_head_samples Samples not yet compacted into chunks.\n"
         "# TYPE headroom_head_samples gauge\nheadroom_head_samples %llu\n",
         (unsigned long long)st.head_samples);
    outf(&o,
         "# HELP headroom_chunk_bytes Bytes of compressed chunks.\n"
         "# TYPE headroom_chunk_bytes gauge\nheadroom_chunk_bytes %llu\n"
         "# HELP headroom_chunk_samples Samples in compressed chunks.\n"
         "# TYPE headroom_chunk_samples gauge\nheadroom_chunk_samples %llu\n",
         (unsigned long long)st.chunk_bytes, (unsigned long long)st.chunk_samples);
    outf(&o,
         "# HELP headroom_db_bytes Size of the database and its WAL.\n"
         "# TYPE headroom_db_bytes gauge\nheadroom_db_bytes %llu\n",
         (unsigned long long)st.db_bytes);
    pthread_mutex_lock(&srv->mu);
    outf(&o,
         "# HELP headroom_uptime_seconds Seconds since the server started.\n"
         "# TYPE headroom_uptime_seconds gauge\nheadroom_uptime_seconds %.3f\n",
         hr_clock_sec() - srv->started_at);
    outf(&o, "# HELP headroom_http_requests_total Requests by route and status class.\n"
             "# TYPE headroom_http_requests_total counter\n");
    for (size_t i = 0; i < hrd_nroutes; i++)
        for (int k = 0; k < 5; k++)
            if (srv->req_count[i * 5 + k])
                outf(&o,
                     "headroom_http_requests_total{route=\"%s\",method=\"%s\",code=\"%dxx\"} "
                     "%llu\n",
                     hrd_routes[i].name, hrd_routes[i].method, k + 1,
                     (unsigned long long)srv->req_count[i * 5 + k]);
    outf(&o, "# HELP headroom_http_request_seconds_total Time spent in handlers by route.\n"
             "# TYPE headroom_http_request_seconds_total counter\n");
    for (size_t i = 0; i < hrd_nroutes; i++)
        if (srv->req_seconds[i] > 0)
            outf(&o, "headroom_http_request_seconds_total{route=\"%s\",method=\"%s\"} %.6f\n",
                 hrd_routes[i].name, hrd_routes[i].method, srv->req_seconds[i]);
    outf(&o,
         "# HELP headroom_http_rejected_total Requests refused before their handler.\n"
         "# TYPE headroom_http_rejected_total counter\n"
         "headroom_http_rejected_total{reason=\"auth\"} %llu\n"
         "headroom_http_rejected_total{reason=\"rate\"} %llu\n"
         "headroom_http_rejected_total{reason=\"body_size\"} %llu\n"
         "headroom_http_rejected_total{reason=\"no_route\"} %llu\n",
         (unsigned long long)srv->rejected_auth, (unsigned long long)srv->rejected_rate,
         (unsigned long long)srv->bodies_too_large, (unsigned long long)srv->unrouted);
    pthread_mutex_unlock(&srv->mu);
    hrd_scraper_metrics(srv->scraper, out_line, &o);
    pthread_mutex_lock(&srv->mu);
    pthread_mutex_unlock(&srv->mu);
    uint64_t ev = 0, sent = 0, failed = 0;
    hrd_alerts_counters(srv->alerts, &ev, &sent, &failed);
    outf(&o,
         "# HELP headroom_alert_evaluations_total Alert evaluation rounds.\n"
         "# TYPE headroom_alert_evaluations_total counter\nheadroom_alert_evaluations_total %llu\n"
         "# HELP headroom_alert_webhooks_total Webhook deliveries by result.\n"
         "# TYPE headroom_alert_webhooks_total counter\n"
         "headroom_alert_webhooks_total{result=\"ok\"} %llu\n"
         "headroom_alert_webhooks_total{result=\"failed\"} %llu\n"
         "# HELP headroom_alerts_open Open alerts by kind.\n# TYPE headroom_alerts_open gauge\n",
         (unsigned long long)ev, (unsigned long long)sent, (unsigned long long)failed);
    hrd_alert_open_counts(srv->store, out_open, &o);
    hrd_anomaly_stats as;
    hrd_alerts_anomaly_stats(srv->alerts, &as);
    outf(&o,
         "# HELP headroom_anomaly_samples_total Samples fed to the anomaly detectors.\n"
         "# TYPE headroom_anomaly_samples_total counter\nheadroom_anomaly_samples_total %llu\n"
         "# HELP headroom_anomalies_total Anomalies found (suppressed ones included).\n"
         "# TYPE headroom_anomalies_total counter\nheadroom_anomalies_total %llu\n"
         "# HELP headroom_anomaly_passes_total Anomaly detection passes.\n"
         "# TYPE headroom_anomaly_passes_total counter\nheadroom_anomaly_passes_total %llu\n"
         "# HELP headroom_anomaly_pass_seconds_total Wall time of the anomaly passes.\n"
         "# TYPE headroom_anomaly_pass_seconds_total counter\n"
         "headroom_anomaly_pass_seconds_total %.6f\n"
         "# HELP headroom_anomaly_series Series with a detector (anomaly.match, max_series).\n"
         "# TYPE headroom_anomaly_series gauge\nheadroom_anomaly_series %llu\n",
         (unsigned long long)as.samples, (unsigned long long)as.found,
         (unsigned long long)as.passes, as.pass_seconds, (unsigned long long)as.series);
    pthread_mutex_lock(&srv->mu);
    outf(&o, "# HELP headroom_forecast_next Quantiles of the next step of the latest forecast "
             "per series.\n# TYPE headroom_forecast_next gauge\n");
    hr_map_foreach(&srv->fc, out_gauge, &o);
    pthread_mutex_unlock(&srv->mu);
    if (o.oom) {
        free(o.s);
        hrd_reply_error(r, 500, "internal", NULL, "out of memory");
        return;
    }
    hrd_reply_text(r, 200, "text/plain; version=0.0.4", o.s, o.len);
}

/* ---- lists -------------------------------------------------------------------------- */

/* ?limit= (1-1000, default 100) and an integer cursor ?KEY= (default 0);
 * false after replying 400. */
static bool page_args(hrd_req *r, const char *key, size_t *limit, int64_t *after)
{
    if (!hrd_query_limit(r, 100, 1000, limit)) return false;
    const char *s = hrd_query(r, key);
    *after = 0;
    if (!s || hr_parse_int64(s, strlen(s), after) == 0) return true;
    hrd_reply_error(r, 400, "invalid_field", key, "%s: \"%.40s\" is not an id", key, s);
    return false;
}

/* Reply a page fetched with limit + 1 items: {"items": the first `limit`,
 * "next": the `key` of the last one when more follow, else null}. Takes
 * items; rc < 0 replies the error instead. */
static void reply_page(hrd_req *r, int rc, const hr_error *err, json_t *items, size_t limit,
                       const char *key)
{
    if (rc < 0) {
        json_decref(items);
        hrd_reply_hr(r, rc, err);
        return;
    }
    json_t *next = json_null();
    if (json_array_size(items) > limit) {
        json_array_remove(items, limit);
        next = json_incref(json_object_get(json_array_get(items, limit - 1), key));
    }
    hrd_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next", next));
}

/* A list of rows with ids: ?after=ID, ?limit=. */
static void id_list(hrd_req *r, int (*fetch)(hrd_store *, int64_t, size_t, json_t **, hr_error *))
{
    size_t limit;
    int64_t after;
    if (!page_args(r, "after", &limit, &after)) return;
    json_t *items = NULL;
    hr_error err = {0};
    int rc = fetch(r->srv->store, after, limit + 1, &items, &err);
    reply_page(r, rc, &err, items, limit, "id");
}

/* The request body as JSON (duplicate keys refused); NULL after replying 400. */
static json_t *load_body(hrd_req *r)
{
    json_error_t je;
    json_t *b = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &je);
    if (!b)
        hrd_reply_error(r, 400, "bad_json", NULL, "body: %s at line %d column %d", je.text, je.line,
                        je.column);
    return b;
}

/* ---- fleet objects ---------------------------------------------------------------------- */

static bool kind_param(hrd_req *r)
{
    if (hrd_kind_ok(r->param[0])) return true;
    hrd_reply_error(r, 404, "not_found", NULL,
                    "no such collection: %.80s (tenants, clients, workloads, profiles, slas, "
                    "sites, hosts, services)",
                    r->param[0]);
    return false;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* A number field in [lo, hi] (required or optional). */
static bool check_number(hrd_req *r, json_t *b, const char *key, double lo, double hi,
                         bool required)
{
    json_t *v = json_object_get(b, key);
    if (!v && !required) return true;
    if (!v) {
        hrd_reply_error(r, 422, "missing_field", key, "%s: required", key);
        return false;
    }
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
        hrd_reply_error(r, 422, "invalid_field", key, "%s: must be a number in [%g, %g]", key, lo,
                        hi);
        return false;
    }
    return true;
}

static bool check_string(hrd_req *r, json_t *b, const char *key, bool required)
{
    json_t *v = json_object_get(b, key);
    if (!v && !required) return true;
    if (!json_is_string(v)) {
        hrd_reply_error(r, 422, v ? "invalid_field" : "missing_field", key, "%s: %s", key,
                        v ? "must be a string" : "required");
        return false;
    }
    return true;
}

/* A reference to another object must exist. */
static bool check_ref(hrd_req *r, json_t *b, const char *key, const char *kind)
{
    json_t *v = json_object_get(b, key);
    if (!v) return true;
    if (!check_string(r, b, key, true)) return false;
    json_t *o = NULL;
    hr_error err = {0};
    if (hrd_obj_get(r->srv->store, kind, json_string_value(v), &o, &err) == 0) {
        json_decref(o);
        return true;
    }
    hrd_reply_error(r, 422, "invalid_field", key, "%s: no %s named \"%.100s\"", key, kind,
                    json_string_value(v));
    return false;
}

/* Validate a body for a kind; the name is `name` (from the path) or the
 * body's "name". Replies and returns NULL on failure. */
static json_t *obj_body(hrd_req *r, const char *kind, const char *path_name)
{
    json_t *b = load_body(r);
    if (!b) return NULL;
    if (!json_is_object(b)) {
        hrd_reply_error(r, 400, "invalid_field", "", "body: must be a JSON object");
        goto bad;
    }
    if (path_name) {
        json_t *n = json_object_get(b, "name");
        if (n && (!json_is_string(n) || strcmp(json_string_value(n), path_name))) {
            hrd_reply_error(r, 422, "invalid_field", "name", "name: must match the path (\"%s\")",
                            path_name);
            goto bad;
        }
        json_object_set_new(b, "name", json_string(path_name));
    }
    if (!check_string(r, b, "name", true)) goto bad;
    if (!name_ok(json_string_value(json_object_get(b, "name")))) {
        hrd_reply_error(r, 422, "invalid_field", "name",
                        "name: 1-128 characters of letters, digits, '_', '.', '-'");
        goto bad;
    }
    if (!strcmp(kind, "slas")) {
        if (!check_string(r, b, "class", true) || !check_number(r, b, "priority", 0, 1000, true) ||
            !check_number(r, b, "target_quantile", 0.5, 0.99999, true) ||
            !check_number(r, b, "max_violation", 0, 1, true))
            goto bad;
    } else if (!strcmp(kind, "workloads")) {
        if (!check_ref(r, b, "tenant", "tenants") || !check_ref(r, b, "sla", "slas") ||
            !check_ref(r, b, "profile", "profiles") || !check_string(r, b, "series", false))
            goto bad;
    } else if (!strcmp(kind, "clients")) {
        if (!check_ref(r, b, "tenant", "tenants")) goto bad;
    }
    return b;
bad:
    json_decref(b);
    return NULL;
}

void hrd_api_obj_list(hrd_req *r)
{
    if (!kind_param(r)) return;
    size_t limit;
    if (!hrd_query_limit(r, 100, 1000, &limit)) return;
    json_t *items = NULL;
    hr_error err = {0};
    int rc =
        hrd_obj_list(r->srv->store, r->param[0], hrd_query(r, "after"), limit + 1, &items, &err);
    reply_page(r, rc, &err, items, limit, "name");
}

void hrd_api_obj_create(hrd_req *r)
{
    if (!kind_param(r)) return;
    json_t *b = obj_body(r, r->param[0], NULL);
    if (!b) return;
    hr_error err = {0};
    int rc = hrd_obj_put(r->srv->store, r->param[0], json_string_value(json_object_get(b, "name")),
                         b, true, &err);
    if (rc < 0) {
        json_decref(b);
        hrd_reply_hr(r, rc, &err);
        return;
    }
    hrd_reply_json(r, 201, b);
}

void hrd_api_obj_get(hrd_req *r)
{
    if (!kind_param(r)) return;
    json_t *o = NULL;
    hr_error err = {0};
    int rc = hrd_obj_get(r->srv->store, r->param[0], r->param[1], &o, &err);
    if (rc < 0)
        hrd_reply_hr(r, rc, &err);
    else
        hrd_reply_json(r, 200, o);
}

void hrd_api_obj_put(hrd_req *r)
{
    if (!kind_param(r)) return;
    json_t *b = obj_body(r, r->param[0], r->param[1]);
    if (!b) return;
    hr_error err = {0};
    int rc = hrd_obj_put(r->srv->store, r->param[0], r->param[1], b, false, &err);
    if (rc == HR_ENOTFOUND)
        rc = hrd_obj_put(r->srv->store, r->param[0], r->param[1], b, true, &err);
    if (rc < 0) {
        json_decref(b);
        hrd_reply_hr(r, rc, &err);
        return;
    }
    hrd_reply_json(r, 200, b);
}

void hrd_api_obj_delete(hrd_req *r)
{
    if (!kind_param(r)) return;
    hr_error err = {0};
    int rc = hrd_obj_delete(r->srv->store, r->param[0], r->param[1], &err);
    if (rc < 0)
        hrd_reply_hr(r, rc, &err);
    else
        hrd_reply_text(r, 204, NULL, NULL, 0);
}

/* ---- modes, tokens, journal ------------------------------------------------------------ */

void hrd_api_mode_get(hrd_req *r)
{
    char mode[32];
    hr_error err = {0};
    int rc = hrd_mode_get(r->srv->store, r->param[0], mode, sizeof mode, &err);
    if (rc < 0) {
        hrd_reply_hr(r, rc, &err);
        return;
    }
    hrd_ctl *cl = atomic_load(&r->srv->ctl);
    uint64_t rounds = 0; /* the rounds in which this fleet planned */
    if (cl) hrd_ctl_fleet_rounds(cl, r->param[0], &rounds);
    bool running = cl != NULL;
    hrd_reply_json(r, 200,
                   json_pack("{s:s, s:s, s:b, s:I}", "fleet", r->param[0], "mode", mode,
                             "loop_running", running, "loop_rounds", (json_int_t)rounds));
}

void hrd_api_mode_put(hrd_req *r)
{
    json_t *b = load_body(r);
    if (!b) return;
    json_t *m = json_object_get(b, "mode");
    if (!json_is_string(m)) {
        hrd_reply_error(r, 400, m ? "invalid_field" : "missing_field", "mode",
                        "mode: a string (observe, reactive, predictive) is required");
        json_decref(b);
        return;
    }
    hr_error err = {0};
    int rc = hrd_mode_set(r->srv->store, r->param[0], json_string_value(m), &err);
    if (rc < 0) {
        hrd_reply_error(r, 400, "invalid_field", "mode", "%s", err.msg);
        json_decref(b);
        return;
    }
    json_t *entry = json_pack("{s:s, s:s}", "fleet", r->param[0], "mode", json_string_value(m));
    hrd_journal_append(r->srv->store, "mode", entry, NULL);
    json_decref(entry);
    json_decref(b);
    hrd_api_mode_get(r);
}

void hrd_api_token_create(hrd_req *r)
{
    json_t *b = load_body(r);
    if (!b) return;
    json_t *sc = json_object_get(b, "scope");
    char tok[65];
    hr_error err = {0};
    if (!json_is_string(sc) || hrd_token_create(r->srv->store, json_string_value(sc), tok, &err)) {
        hrd_reply_error(r, 400, "invalid_field", "scope",
                        "scope: one of \"read\", \"write\", \"admin\" is required");
        json_decref(b);
        return;
    }
    hrd_reply_json(r, 201, json_pack("{s:s, s:O}", "token", tok, "scope", sc));
    json_decref(b);
}

void hrd_api_alerts(hrd_req *r)
{
    size_t limit;
    int64_t after;
    const char *state = hrd_query(r, "state");
    if (!page_args(r, "after", &limit, &after)) return;
    if (state && !strcmp(state, "all")) state = NULL;
    if (state && strcmp(state, "open") && strcmp(state, "resolved")) {
        hrd_reply_error(r, 400, "invalid_field", "state",
                        "state: \"%.40s\" is not one of open, resolved, all", state);
        return;
    }
    json_t *items = NULL;
    hr_error err = {0};
    int rc = hrd_alert_list(r->srv->store, state, after, limit + 1, &items, &err);
    reply_page(r, rc, &err, items, limit, "id");
}

void hrd_api_journal(hrd_req *r)
{
    id_list(r, hrd_journal_list);
}

/* ---- anomalies and annotations ------------------------------------------------------- */

static bool query_time(hrd_req *r, const char *key, int64_t def, int64_t *out)
{
    const char *s = hrd_query(r, key);
    *out = def;
    if (!s || hr_time_parse(s, strlen(s), out) == 0) return true;
    hrd_reply_error(r, 400, "invalid_field", key,
                    "%s: \"%.40s\" is not a time (Unix seconds or ISO 8601)", key, s);
    return false;
}

void hrd_api_anomalies(hrd_req *r)
{
    size_t limit;
    int64_t after, from, to;
    const char *series = hrd_query(r, "series");
    if (!page_args(r, "cursor", &limit, &after) || !query_time(r, "from", INT64_MIN, &from) ||
        !query_time(r, "to", INT64_MAX, &to))
        return;
    if (series && !hr_series_key_ok(series)) {
        hrd_reply_error(r, 400, "invalid_field", "series", "series: \"%.80s\" is not a series name",
                        series);
        return;
    }
    if (from > to) {
        hrd_reply_error(r, 400, "invalid_field", "from", "from: after to");
        return;
    }
    json_t *items = NULL;
    hr_error err = {0};
    int rc = hrd_anomaly_list(r->srv->store, series, from, to, after, limit + 1, &items, &err);
    reply_page(r, rc, &err, items, limit, "id");
}

void hrd_api_annotations(hrd_req *r)
{
    id_list(r, hrd_annotation_list);
}

/* A time field of a JSON body: Unix seconds or an ISO 8601 string. */
static bool body_time(hrd_req *r, json_t *b, const char *key, int64_t *out)
{
    json_t *v = json_object_get(b, key);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    const char *s = json_string_value(v);
    if (s && hr_time_parse(s, strlen(s), out) == 0) return true;
    hrd_reply_error(r, 422, v ? "invalid_field" : "missing_field", key,
                    "%s: a time (Unix seconds or an ISO 8601 string) is required", key);
    return false;
}

void hrd_api_annotation_add(hrd_req *r)
{
    json_t *b = load_body(r);
    if (!b) return;
    int64_t start, end;
    json_t *ser = json_object_get(b, "series"), *text = json_object_get(b, "text");
    if (!json_is_object(b)) {
        hrd_reply_error(r, 400, "invalid_field", "", "body: must be a JSON object");
    } else if (!body_time(r, b, "start", &start) || !body_time(r, b, "end", &end)) {
        /* replied */
    } else if (end < start) {
        hrd_reply_error(r, 422, "invalid_field", "end", "end: before start");
    } else if (!json_is_string(text) || json_string_length(text) == 0 ||
               json_string_length(text) >= HR_SUPPRESS_TEXT_MAX) {
        hrd_reply_error(r, 422, text ? "invalid_field" : "missing_field", "text",
                        "text: a string of 1-%d bytes is required", HR_SUPPRESS_TEXT_MAX - 1);
    } else if (ser && !json_is_null(ser) &&
               (!json_is_string(ser) || !hr_series_key_ok(json_string_value(ser)))) {
        hrd_reply_error(r, 422, "invalid_field", "series",
                        "series: a series name, or null for every series");
    } else {
        hr_error err = {0};
        const char *sname = json_is_string(ser) ? json_string_value(ser) : NULL;
        int64_t id =
            hrd_annotation_add(r->srv->store, start, end, sname, json_string_value(text), &err);
        if (id < 0)
            hrd_reply_hr(r, (int)id, &err);
        else
            hrd_reply_json(r, 201,
                           json_pack("{s:I, s:I, s:I, s:o, s:O}", "id", (json_int_t)id, "start",
                                     (json_int_t)start, "end", (json_int_t)end, "series",
                                     sname ? json_string(sname) : json_null(), "text", text));
    }
    json_decref(b);
}

void hrd_api_annotation_delete(hrd_req *r)
{
    int64_t id;
    if (hr_parse_int64(r->param[0], strlen(r->param[0]), &id) < 0) {
        hrd_reply_error(r, 404, "not_found", NULL, "no annotation %.40s", r->param[0]);
        return;
    }
    hr_error err = {0};
    int rc = hrd_annotation_delete(r->srv->store, id, &err);
    if (rc < 0)
        hrd_reply_hr(r, rc, &err);
    else if (rc == 0)
        hrd_reply_error(r, 404, "not_found", NULL, "no annotation %lld", (long long)id);
    else
        hrd_reply_text(r, 204, NULL, NULL, 0);
}
