/* The HTTP server: libmicrohttpd with a thread per connection (or an epoll
 * thread pool, `threads: N`), request bodies bounded, a static route
 * table, bearer-token scopes, a global rate limit and one per token, JSON
 * replies. Handlers may block (a write waits for its group commit). */
#include "daemon/api.h"
#include "daemon/alerts.h"
#include "daemon/ctl.h"
#include "daemon/ratelimit.h"
#include "daemon/scrape.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

typedef struct conn_ctx {
    char *body;
    size_t len, cap;
    bool too_big;
} conn_ctx;

/* ---- replies ---------------------------------------------------------------------- */

void hrd_reply_text(hrd_req *r, unsigned status, const char *ctype, char *text, size_t len)
{
    free(r->out);
    r->status = status;
    r->ctype = ctype;
    r->out = text;
    r->out_len = len;
}

void hrd_reply_json(hrd_req *r, unsigned status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        hrd_reply_text(r, 500, "application/json", NULL, 0);
        return;
    }
    hrd_reply_text(r, status, "application/json", text, strlen(text));
}

void hrd_reply_error(hrd_req *r, unsigned status, const char *code, const char *field,
                     const char *fmt, ...)
{
    char msg[HR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *j = json_pack("{s:s, s:s}", "code", code, "message", msg);
    if (field) json_object_set_new(j, "field", json_string(field));
    hrd_reply_json(r, status, j);
}

void hrd_reply_hr(hrd_req *r, int rc, const hr_error *err)
{
    const char *msg = hr_error_message(err);
    switch (rc) {
    case HR_ENOTFOUND:
        hrd_reply_error(r, 404, "not_found", NULL, "%s", msg);
        break;
    case HR_EEXIST:
        hrd_reply_error(r, 409, "exists", NULL, "%s", msg);
        break;
    case HR_ELIMIT:
        hrd_reply_error(r, 422, "limit", NULL, "%s", msg);
        break;
    case HR_EINVAL:
    case HR_EPARSE:
        hrd_reply_error(r, 400, "invalid", NULL, "%s", msg);
        break;
    case HR_EDATA:
        hrd_reply_error(r, 422, "unusable_data", NULL, "%s", msg);
        break;
    case HR_ESTATE:
        hrd_reply_error(r, 503, "unavailable", NULL, "%s", msg);
        break;
    default:
        hrd_reply_error(r, 500, "internal", NULL, "%s", msg);
        break;
    }
}

const char *hrd_query(hrd_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool hrd_query_limit(hrd_req *r, size_t def, size_t max, size_t *out)
{
    const char *s = hrd_query(r, "limit");
    uint64_t v = def;
    if (s && (hr_parse_uint64(s, strlen(s), &v) < 0 || v < 1 || v > max)) {
        hrd_reply_error(r, 400, "invalid_field", "limit", "limit: \"%.40s\" is not in [1, %zu]", s,
                        max);
        return false;
    }
    *out = (size_t)v;
    return true;
}

/* ---- routing ---------------------------------------------------------------------------- */

/* Match `path` against `pat`; captures are copied into caps (NUL-terminated
 * strings in `buf`). Returns true on a match. */
static bool route_match(const char *pat, const char *path, hrd_req *r, char *buf, size_t bufsz)
{
    size_t np = 0, used = 0;
    while (*pat) {
        if (*pat != '/' || *path != '/') return false;
        pat++, path++;
        const char *pe = strchr(pat, '/');
        size_t plen = pe ? (size_t)(pe - pat) : strlen(pat);
        const char *seg_end;
        if (plen == 2 && !memcmp(pat, "**", 2)) {
            /* greedy: everything up to the fixed tail of the pattern */
            const char *tail = pat + 2;
            size_t tl = strlen(tail), pl = strlen(path);
            if (pl <= tl || strcmp(path + pl - tl, tail)) return false;
            seg_end = path + pl - tl;
        } else if (plen == 1 && *pat == '*') {
            seg_end = strchr(path, '/');
            if (!seg_end) seg_end = path + strlen(path);
        } else {
            if (strncmp(pat, path, plen) || (path[plen] && path[plen] != '/')) return false;
            pat += plen;
            path += plen;
            continue;
        }
        size_t len = (size_t)(seg_end - path);
        if (len == 0 || np == HRD_MAX_PARAMS || used + len + 1 > bufsz) return false;
        memcpy(buf + used, path, len);
        buf[used + len] = 0;
        r->param[np++] = buf + used;
        used += len + 1;
        path = seg_end;
        pat += plen;
    }
    return *path == 0;
}

/* ---- auth and rate limit ------------------------------------------------------------- */

static int auth_rank(hrd_req *r, bool query_token, const char **tok)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    *tok = h && !strncmp(h, "Bearer ", 7) ? h + 7
           : query_token                  ? hrd_query(r, "access_token")
                                          : NULL;
    return *tok ? hrd_token_check(r->srv->store, *tok) : -1;
}

/* The token's own bucket: false after replying 429 with Retry-After. */
static bool token_rate_ok(hrd_server *srv, hrd_req *r, const char *tok)
{
    pthread_mutex_lock(&srv->mu);
    double rps = srv->cfg.rate_limit_token_rps, burst = srv->cfg.rate_limit_token_burst, wait = 0;
    pthread_mutex_unlock(&srv->mu);
    if (hrd_ratelimit_take(srv->rl, tok, rps, burst, hr_clock_sec(), &wait)) return true;
    pthread_mutex_lock(&srv->mu);
    srv->rejected_rate++;
    pthread_mutex_unlock(&srv->mu);
    long secs = (long)wait + ((double)(long)wait < wait);
    hrd_reply_error(r, 429, "rate_limited", NULL,
                    "this token made more than %g requests per second; retry in %ld s", rps,
                    secs < 1 ? 1 : secs);
    snprintf(r->extra_name, sizeof r->extra_name, "Retry-After");
    snprintf(r->extra_value, sizeof r->extra_value, "%ld", secs < 1 ? 1 : secs);
    return false;
}

static bool rate_ok(hrd_server *srv)
{
    pthread_mutex_lock(&srv->mu);
    double rps = srv->cfg.rate_limit_rps;
    bool ok = true;
    if (rps > 0) {
        double now = hr_clock_sec();
        srv->bucket += (now - srv->bucket_at) * rps;
        if (srv->bucket > rps) srv->bucket = rps; /* one second of burst */
        srv->bucket_at = now;
        if (srv->bucket >= 1)
            srv->bucket -= 1;
        else
            ok = false, srv->rejected_rate++;
    }
    pthread_mutex_unlock(&srv->mu);
    return ok;
}

/* ---- the access handler ---------------------------------------------------------------- */

static enum MHD_Result send_reply(struct MHD_Connection *c, hrd_req *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->out_len, r->out ? r->out : (void *)"",
                                        r->out ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    r->out = NULL;
    if (!resp) return MHD_NO;
    if (r->ctype && r->out_len) MHD_add_response_header(resp, "Content-Type", r->ctype);
    if (r->extra_name[0]) MHD_add_response_header(resp, r->extra_name, r->extra_value);
    enum MHD_Result ret = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void count(hrd_server *srv, size_t route, unsigned status, double sec)
{
    unsigned cls = status / 100;
    if (cls < 1 || cls > 5) cls = 5;
    pthread_mutex_lock(&srv->mu);
    srv->req_count[route * 5 + cls - 1]++;
    srv->req_seconds[route] += sec;
    pthread_mutex_unlock(&srv->mu);
}

static void dispatch(hrd_server *srv, hrd_req *r, const char *url)
{
    char caps[2 * (HRD_SERIES_NAME_MAX + 64)];
    bool path_known = false;
    for (size_t i = 0; i < hrd_nroutes; i++) {
        const struct hrd_route *rt = &hrd_routes[i];
        memset(r->param, 0, sizeof r->param);
        if (!route_match(rt->pattern, url, r, caps, sizeof caps)) continue;
        path_known = true;
        if (strcmp(rt->method, r->method)) continue;
        double t0 = hr_clock_sec();
        if (rt->scope != SCOPE_NONE) {
            const char *tok = NULL;
            int rank = auth_rank(r, rt->query_token, &tok);
            if (rank <= 0) {
                pthread_mutex_lock(&srv->mu);
                srv->rejected_auth++;
                pthread_mutex_unlock(&srv->mu);
                hrd_reply_error(r, 401, "unauthorized", NULL,
                                "a bearer token is required (Authorization: Bearer TOKEN)");
                snprintf(r->extra_name, sizeof r->extra_name, "WWW-Authenticate");
                snprintf(r->extra_value, sizeof r->extra_value, "Bearer realm=\"headroom\"");
                return;
            }
            if (rank < (int)rt->scope) {
                static const char *names[] = {"", "read", "write", "admin"};
                hrd_reply_error(r, 403, "forbidden", NULL, "this request needs the %s scope",
                                names[rt->scope]);
                return;
            }
            if (!rate_ok(srv)) {
                hrd_reply_error(r, 429, "rate_limited", NULL, "more than %g requests per second",
                                srv->cfg.rate_limit_rps);
                return;
            }
            if (!token_rate_ok(srv, r, tok)) return;
        }
        rt->fn(r);
        count(srv, i, r->status, hr_clock_sec() - t0);
        return;
    }
    pthread_mutex_lock(&srv->mu);
    srv->unrouted++;
    pthread_mutex_unlock(&srv->mu);
    if (path_known)
        hrd_reply_error(r, 405, "method_not_allowed", NULL, "%s is not allowed on %.200s",
                        r->method, url);
    else
        hrd_reply_error(r, 404, "not_found", NULL, "no such endpoint: %.200s", url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    hrd_server *srv = cls;
    (void)version;
    conn_ctx *cc = *con_cls;
    if (!cc) {
        cc = calloc(1, sizeof *cc);
        if (!cc) return MHD_NO;
        *con_cls = cc;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        uint64_t n;
        if (cl && hr_parse_uint64(cl, strlen(cl), &n) == 0 && n > srv->cfg.max_body_bytes)
            cc->too_big = true;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!cc->too_big && cc->len + *upload_size > srv->cfg.max_body_bytes) cc->too_big = true;
        if (!cc->too_big) {
            if (cc->len + *upload_size + 1 > cc->cap) {
                size_t nc = cc->cap ? cc->cap : 4096;
                while (nc < cc->len + *upload_size + 1) nc *= 2;
                char *nb = realloc(cc->body, nc);
                if (!nb) return MHD_NO;
                cc->body = nb;
                cc->cap = nc;
            }
            memcpy(cc->body + cc->len, upload_data, *upload_size);
            cc->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    hrd_req r = {
        .srv = srv, .conn = c, .method = method, .url = url, .body = cc->body, .len = cc->len};
    if (cc->body) cc->body[cc->len] = 0;
    if (cc->too_big) {
        pthread_mutex_lock(&srv->mu);
        srv->bodies_too_large++;
        pthread_mutex_unlock(&srv->mu);
        hrd_reply_error(&r, 413, "too_large", NULL, "request body over the limit of %zu bytes",
                        srv->cfg.max_body_bytes);
    } else {
        dispatch(srv, &r, url);
    }
    if (!r.status) hrd_reply_error(&r, 500, "internal", NULL, "no reply");
    return send_reply(c, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    conn_ctx *cc = *con_cls;
    if (!cc) return;
    free(cc->body);
    free(cc);
    *con_cls = NULL;
}

/* ---- lifecycle ----------------------------------------------------------------------- */

static int parse_listen(const char *s, struct sockaddr_storage *ss, hr_error *err)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    if (!colon) return hr_error_set(err, HR_EINVAL, "listen: \"%s\" is not ADDR:PORT", s);
    size_t hl = (size_t)(colon - s);
    if (hl >= sizeof host) return hr_error_set(err, HR_EINVAL, "listen: address too long");
    memcpy(host, s, hl);
    host[hl] = 0;
    uint64_t port;
    if (hr_parse_uint64(colon + 1, strlen(colon + 1), &port) < 0 || port > 65535)
        return hr_error_set(err, HR_EINVAL, "listen: \"%s\" is not a port", colon + 1);
    memset(ss, 0, sizeof *ss);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return hr_error_set(err, HR_EINVAL, "listen: \"%s\" is not an IPv6 address", host + 1);
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return hr_error_set(err, HR_EINVAL, "listen: \"%s\" is not an IPv4 address", host);
    return 0;
}

int hrd_server_start(const hrd_config *c, hrd_server **out, hr_error *err)
{
    struct sockaddr_storage ss;
    int rc = parse_listen(c->listen, &ss, err);
    if (rc < 0) return rc;
    hrd_server *srv = calloc(1, sizeof *srv);
    if (!srv) return hr_error_set(err, HR_ENOMEM, "out of memory");
    srv->cfg = *c;
    pthread_mutex_init(&srv->mu, NULL);
    hr_map_init(&srv->fc, HRD_FC_GAUGES);
    srv->started_at = hr_clock_sec();
    srv->bucket_at = srv->started_at;
    srv->bucket = c->rate_limit_rps;
    srv->req_count = calloc(hrd_nroutes * 5, sizeof *srv->req_count);
    srv->req_seconds = calloc(hrd_nroutes, sizeof *srv->req_seconds);
    if (!srv->req_count || !srv->req_seconds || hrd_ratelimit_new(100000, &srv->rl) < 0) {
        hrd_server_stop(srv);
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    hrd_store_opts so = {.dir = c->data,
                         .chunk_samples = c->chunk_samples,
                         .raw_retention_sec = c->raw_retention_sec,
                         .hourly_retention_sec = c->hourly_retention_sec,
                         .max_series = c->max_series};
    rc = hrd_store_open(&so, &srv->store, err);
    if (rc == 0) rc = hrd_scraper_start(srv->store, c, &srv->scraper, err);
    if (rc == 0) rc = hrd_alerts_start(srv->store, c, hrd_server_gauge, srv, &srv->alerts, err);
    if (rc < 0) {
        hrd_server_stop(srv);
        return rc;
    }
    char *cert = NULL, *key = NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (c->tls_cert[0] || c->tls_key[0]) {
        if (!c->tls_cert[0] || !c->tls_key[0]) {
            hrd_server_stop(srv);
            return hr_error_set(err, HR_EINVAL, "tls: both cert and key are needed");
        }
        if ((rc = hr_read_file(c->tls_cert, 1 << 20, &cert, NULL, err)) < 0 ||
            (rc = hr_read_file(c->tls_key, 1 << 20, &key, NULL, err)) < 0) {
            free(cert);
            hrd_server_stop(srv);
            return rc;
        }
        flags |= MHD_USE_TLS;
    }
    /* Handlers block until their write is durable. By default each
     * connection has its own thread, so that every waiting write joins the
     * next group commit; a pool (`threads: N`, 4 N epoll workers) serves
     * the connections a worker accepted one after the other (a worker often
     * accepts several at once), which halved ingestion (docs/BENCHMARKS.md). */
    size_t threads = c->threads * 4;
    if (!threads)
        flags = (flags & ~(unsigned)MHD_USE_EPOLL) | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    if (cert)
        srv->mhd = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned)(c->max_connections ? c->max_connections : 1),
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_HTTPS_MEM_CERT,
            cert, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
    else
        srv->mhd = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned)(c->max_connections ? c->max_connections : 1),
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_END);
    free(cert);
    free(key);
    if (!srv->mhd) {
        hrd_server_stop(srv);
        return hr_error_set(err, HR_EIO, "listen: cannot serve on %s (address in use?)", c->listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    *out = srv;
    return 0;
}

void hrd_server_gauge(void *ud, const char *workload, const char *series, double p50, double p90)
{
    hrd_server *srv = ud;
    char key[HRD_SERIES_NAME_MAX + 140];
    snprintf(key, sizeof key, "%s|%s", workload ? workload : "", series);
    pthread_mutex_lock(&srv->mu);
    hrd_fc_gauge *g = hr_map_get(&srv->fc, key);
    if (!g && (g = calloc(1, sizeof *g))) {
        snprintf(g->series, sizeof g->series, "%s", series);
        snprintf(g->workload, sizeof g->workload, "%s", workload ? workload : "");
        if (hr_map_put(&srv->fc, key, g, NULL) < 0) {
            free(g);
            g = NULL;
        }
    }
    if (g) g->p50 = p50, g->p90 = p90;
    pthread_mutex_unlock(&srv->mu);
}

uint16_t hrd_server_port(const hrd_server *srv)
{
    return srv->port;
}

hrd_store *hrd_server_store(hrd_server *srv)
{
    return srv->store;
}

void hrd_server_reload(hrd_server *srv, const hrd_config *c)
{
    pthread_mutex_lock(&srv->mu);
    srv->cfg.rate_limit_rps = c->rate_limit_rps;
    srv->cfg.rate_limit_token_rps = c->rate_limit_token_rps;
    srv->cfg.rate_limit_token_burst = c->rate_limit_token_burst;
    srv->cfg.max_body_bytes = c->max_body_bytes;
    srv->cfg.forecast_history = c->forecast_history;
    srv->bucket = c->rate_limit_rps;
    pthread_mutex_unlock(&srv->mu);
    hrd_scraper_reload(srv->scraper, c);
    hrd_alerts_reload(srv->alerts, c);
    hrd_ctl_reload(atomic_load(&srv->ctl), c);
}

static int free_gauge(const char *key, void *value, void *ud)
{
    (void)key, (void)ud;
    free(value);
    return 0;
}

void hrd_server_stop(hrd_server *srv)
{
    if (!srv) return;
    if (srv->mhd) MHD_stop_daemon(srv->mhd);
    hrd_scraper_stop(srv->scraper);
    hrd_alerts_stop(srv->alerts);
    hrd_ctl_stop(atomic_load(&srv->ctl));
    hrd_store_close(srv->store);
    hr_map_foreach(&srv->fc, free_gauge, NULL);
    hr_map_release(&srv->fc);
    free(srv->req_count);
    free(srv->req_seconds);
    hrd_ratelimit_free(srv->rl);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
}
