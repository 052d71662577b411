/* Alerts: every `alerts.interval` each workload naming a series is judged:
 *
 *   sla_breach_predicted  the workload has a numeric "limit" and the forecast's
 *                         quantile at its SLA's target_quantile (0.95 without
 *                         an SLA) exceeds it within `alerts.horizon` steps;
 *   forecast_accuracy     the one-step 90 % intervals of past evaluations
 *                         covered the actual samples at a rate more than
 *                         `alerts.tolerance` away from 0.90 (over the last 50
 *                         scored points, once `alerts.min_points` are scored).
 *
 * An alert opens once per (kind, workload) and resolves when the condition
 * clears. Every state change is POSTed as JSON to `alerts.webhook` with
 * retries: after a failure the next try waits 2^attempts seconds (at most
 * 300), up to 10 tries; deliveries are queued in the store, so they survive
 * a restart.
 *
 *   anomaly               raised by the anomaly detector (anomaly.c), whose
 *                         passes run on this thread every `anomaly.interval`.
 *
 * With `alerts.webhook_secret` set, each delivery is signed: the body
 * carries "sent_at" (Unix seconds), the header X-Headroom-Timestamp the same
 * value, and X-Headroom-Signature is "sha256=" and the hex HMAC-SHA256 of
 * the body bytes under the secret. */
#include "daemon/alerts.h"
#include "daemon/anomaly.h"
#include "daemon/forecast.h"

#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TRIES    10
#define SCORE_WINDOW 50
#define PENDING_MAX  64
/* Samples an anomaly pass feeds before the thread delivers webhooks again. */
#define ANOMALY_BUDGET 200000

typedef struct pend {
    int64_t t;
    double lo, hi;
} pend;

/* What is remembered per workload between evaluations. */
typedef struct wstate {
    pend pending[PENDING_MAX]; /* one-step intervals waiting for their sample */
    size_t npending;
    bool scored[SCORE_WINDOW]; /* ring of covered / not covered */
    size_t nscored, pos;
} wstate;

struct hrd_alerts {
    hrd_store *store;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop;
    pthread_t th;
    hrd_config cfg; /* alerts.* and forecast_history, under mu */
    hr_map ws;      /* workload -> wstate*, alert thread only */
    uint64_t evaluations, sent, failed;
    hrd_alerts_gauge gauge;
    void *gauge_ud;
    hrd_anomaly *anomaly; /* alert thread only (its counters: any thread) */
};

static double json_num(json_t *o, const char *k, double def)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : def;
}

static void raise_or_resolve(hrd_store *st, bool on, const char *kind, const char *subject,
                             json_t *body)
{
    hr_error err = {0};
    bool fresh = false;
    if (on) {
        if (hrd_alert_raise(st, kind, subject, body, &fresh, &err) < 0)
            fprintf(stderr, "headroom: alert %s %s: %s\n", kind, subject, err.msg);
        else if (fresh)
            fprintf(stderr, "headroom: alert opened: %s %s\n", kind, subject);
    } else if (hrd_alert_resolve(st, kind, subject, &err) > 0) {
        fprintf(stderr, "headroom: alert resolved: %s %s\n", kind, subject);
    }
    json_decref(body);
}

/* Score pending one-step intervals against the samples that arrived. */
static void score(hrd_store *st, const char *series, wstate *w)
{
    if (!w->npending) return;
    int64_t from = w->pending[0].t, to = w->pending[0].t;
    for (size_t i = 1; i < w->npending; i++) {
        if (w->pending[i].t < from) from = w->pending[i].t;
        if (w->pending[i].t > to) to = w->pending[i].t;
    }
    hr_vec t, v;
    hr_vec_init(&t, sizeof(int64_t), 0);
    hr_vec_init(&v, sizeof(double), 0);
    bool more;
    if (hrd_store_read(st, series, from, INT64_MAX, 100000, &t, &v, &more, NULL) == 0 && t.len) {
        const int64_t *ts = t.data;
        const double *vs = v.data;
        int64_t newest = ts[t.len - 1];
        size_t k = 0;
        for (size_t i = 0; i < w->npending; i++) {
            pend p = w->pending[i];
            if (p.t > newest) {
                w->pending[k++] = p; /* not there yet */
                continue;
            }
            for (size_t j = 0; j < t.len; j++) {
                if (ts[j] != p.t) continue;
                if (isfinite(vs[j])) {
                    w->scored[w->pos] = vs[j] >= p.lo && vs[j] <= p.hi;
                    w->pos = (w->pos + 1) % SCORE_WINDOW;
                    if (w->nscored < SCORE_WINDOW) w->nscored++;
                }
                break;
            }
        }
        w->npending = k;
    }
    hr_vec_release(&t);
    hr_vec_release(&v);
}

static void judge_workload(hrd_alerts *al, const hrd_config *c, json_t *wl)
{
    const char *name = json_string_value(json_object_get(wl, "name"));
    const char *series = json_string_value(json_object_get(wl, "series"));
    if (!name || !series) return;
    double q = 0.95;
    const char *sla = json_string_value(json_object_get(wl, "sla"));
    json_t *so = NULL;
    if (sla && hrd_obj_get(al->store, "slas", sla, &so, NULL) == 0) {
        q = json_num(so, "target_quantile", 0.95);
        json_decref(so);
    }
    /* 0.05 and 0.95 (the 90 % interval), 0.5 and 0.9 (/metrics), q (the SLA) */
    double levels[5] = {0.05, 0.5, 0.9, 0.95, 0};
    size_t nq = 4;
    bool known = false;
    for (size_t k = 0; k < nq; k++) known |= fabs(levels[k] - q) < 1e-12;
    if (!known && q > 0 && q < 1) {
        size_t k = nq++;
        while (k > 0 && levels[k - 1] > q) {
            levels[k] = levels[k - 1];
            k--;
        }
        levels[k] = q;
    }
    size_t iq = 0, i50 = 0, i90 = 0, i95 = 0;
    for (size_t k = 0; k < nq; k++) {
        if (fabs(levels[k] - q) < 1e-12) iq = k;
        if (fabs(levels[k] - 0.5) < 1e-12) i50 = k;
        if (fabs(levels[k] - 0.9) < 1e-12) i90 = k;
        if (fabs(levels[k] - 0.95) < 1e-12) i95 = k;
    }
    size_t h = c->alerts_horizon ? c->alerts_horizon : 1;
    wstate *w = hr_map_get(&al->ws, name);
    if (!w && (w = calloc(1, sizeof *w)) && hr_map_put(&al->ws, name, w, NULL) < 0) {
        free(w);
        w = NULL;
    }
    if (w) score(al->store, series, w);
    hrd_fc fc;
    hr_error err = {0};
    if (hrd_forecast(al->store, series, h, levels, nq, c->forecast_history, "auto", &fc, &err) < 0)
        return; /* nothing to judge yet (too few samples, no series) */
    if (fc.f.has_quantiles) {
        if (al->gauge)
            al->gauge(al->gauge_ud, name, series, hr_forecast_q(&fc.f, 0, i50),
                      hr_forecast_q(&fc.f, 0, i90));
        json_t *lim = json_object_get(wl, "limit");
        if (json_is_number(lim)) {
            double limit = json_number_value(lim);
            size_t at = h;
            for (size_t i = 0; i < h && at == h; i++)
                if (hr_forecast_q(&fc.f, i, iq) > limit) at = i;
            json_t *body = NULL;
            if (at < h)
                body = json_pack("{s:s, s:s, s:f, s:f, s:I, s:f, s:I}", "workload", name, "series",
                                 series, "limit", limit, "quantile", q, "at",
                                 (json_int_t)(fc.origin + (int64_t)(at + 1) * fc.step), "value",
                                 hr_forecast_q(&fc.f, at, iq), "steps_ahead", (json_int_t)(at + 1));
            raise_or_resolve(al->store, at < h, "sla_breach_predicted", name, body);
        }
        if (w) {
            int64_t t1 = fc.origin + fc.step;
            bool have = false;
            for (size_t i = 0; i < w->npending; i++) have |= w->pending[i].t == t1;
            if (!have && w->npending < PENDING_MAX)
                w->pending[w->npending++] =
                    (pend){t1, hr_forecast_q(&fc.f, 0, 0), hr_forecast_q(&fc.f, 0, i95)};
            if (w->nscored >= c->alerts_min_points && w->nscored > 0) {
                size_t hit = 0;
                for (size_t i = 0; i < w->nscored; i++) hit += w->scored[i];
                double cov = (double)hit / (double)w->nscored;
                bool bad = fabs(cov - 0.90) > c->alerts_tolerance;
                json_t *body = bad ? json_pack("{s:s, s:s, s:f, s:f, s:I}", "workload", name,
                                               "series", series, "coverage", cov, "target", 0.90,
                                               "points", (json_int_t)w->nscored)
                                   : NULL;
                raise_or_resolve(al->store, bad, "forecast_accuracy", name, body);
            }
        }
    }
    hrd_fc_release(&fc);
}

static void evaluate(hrd_alerts *al, const hrd_config *c)
{
    const char *after = "";
    json_t *page = NULL;
    char cursor[256] = "";
    for (;;) {
        if (hrd_obj_list(al->store, "workloads", after, 500, &page, NULL) < 0) return;
        size_t n = json_array_size(page);
        for (size_t i = 0; i < n; i++) judge_workload(al, c, json_array_get(page, i));
        if (n < 500) break;
        snprintf(cursor, sizeof cursor, "%s",
                 json_string_value(json_object_get(json_array_get(page, n - 1), "name")));
        after = cursor;
        json_decref(page);
        page = NULL;
    }
    json_decref(page);
}

/* "sha256=" and the hex HMAC-SHA256 of body under secret. */
static bool sign(const char *secret, const char *body, size_t len, char *out, size_t size)
{
    unsigned char mac[32];
    if (size < 7 + 2 * sizeof mac + 1 ||
        gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, strlen(secret), body, len, mac) < 0)
        return false;
    memcpy(out, "sha256=", 7);
    for (size_t i = 0; i < sizeof mac; i++) snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
    return true;
}

static bool post(const char *url, const char *secret, const char *body, int64_t now, long *status,
                 char *why, size_t whysz)
{
    char sig[128], h1[160], h2[64];
    if (secret[0] && !sign(secret, body, strlen(body), sig, sizeof sig)) {
        snprintf(why, whysz, "cannot sign the body");
        return false;
    }
    CURL *h = curl_easy_init();
    if (!h) return false;
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json"), *t = hdr;
    if (secret[0] && t) {
        snprintf(h1, sizeof h1, "X-Headroom-Signature: %s", sig);
        snprintf(h2, sizeof h2, "X-Headroom-Timestamp: %" PRId64, now);
        if ((t = curl_slist_append(t, h1))) t = curl_slist_append(t, h2);
    }
    if (!t) {
        curl_slist_free_all(hdr);
        curl_easy_cleanup(h);
        snprintf(why, whysz, "out of memory");
        return false;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(h);
    *status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    if (cc != CURLE_OK)
        snprintf(why, whysz, "%s", curl_easy_strerror(cc));
    else
        snprintf(why, whysz, "HTTP status %ld", *status);
    return cc == CURLE_OK && *status >= 200 && *status < 300;
}

static void deliver(hrd_alerts *al, const char *url, const char *secret)
{
    json_t *due = NULL;
    if (!url[0] ||
        hrd_alert_undelivered(al->store, (int64_t)time(NULL), MAX_TRIES, 100, &due, NULL) < 0)
        return;
    for (size_t i = 0; i < json_array_size(due); i++) {
        json_t *a = json_array_get(due, i);
        int64_t id = (int64_t)json_integer_value(json_object_get(a, "id"));
        int tries = (int)json_integer_value(json_object_get(a, "attempts"));
        int64_t now = (int64_t)time(NULL);
        json_t *ev = json_deep_copy(a);
        json_object_del(ev, "attempts");
        json_object_set_new(ev, "sent_at", json_integer((json_int_t)now));
        char *body = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(ev);
        long status = 0;
        char why[160] = "out of memory";
        bool ok = body && post(url, secret, body, now, &status, why, sizeof why);
        free(body);
        if (ok) {
            hrd_alert_delivered(al->store, id, json_string_value(json_object_get(a, "state")),
                                NULL);
            pthread_mutex_lock(&al->mu);
            al->sent++;
            pthread_mutex_unlock(&al->mu);
            continue;
        }
        tries++;
        double wait = pow(2, tries);
        if (wait > 300) wait = 300;
        hrd_alert_failed(al->store, id, tries, (int64_t)time(NULL) + (int64_t)wait, NULL);
        pthread_mutex_lock(&al->mu);
        al->failed++;
        pthread_mutex_unlock(&al->mu);
        fprintf(stderr, "headroom: alert %lld: webhook %s: %s (try %d of %d)\n", (long long)id, url,
                why, tries, MAX_TRIES);
    }
    json_decref(due);
}

/* An anomaly pass when due; true when it ran out of budget (run again at once). */
static bool anomalies(hrd_alerts *al, const hrd_config *c, double *next)
{
    if (c->anomaly_interval_sec <= 0 || hr_clock_sec() < *next) return false;
    bool more = false;
    hr_error err = {0};
    if (hrd_anomaly_pass(al->anomaly, ANOMALY_BUDGET, &more, &err) < 0)
        fprintf(stderr, "headroom: anomaly detection: %s\n", err.msg);
    *next = hr_clock_sec() + c->anomaly_interval_sec;
    return more;
}

static void *alerts_main(void *arg)
{
    hrd_alerts *al = arg;
    double next_eval = hr_clock_sec(), next_anom = next_eval;
    pthread_mutex_lock(&al->mu);
    while (!al->stop) {
        hrd_config c = al->cfg;
        pthread_mutex_unlock(&al->mu);
        if (c.alerts_interval_sec > 0 && hr_clock_sec() >= next_eval) {
            evaluate(al, &c);
            next_eval = hr_clock_sec() + c.alerts_interval_sec;
            pthread_mutex_lock(&al->mu);
            al->evaluations++;
            pthread_mutex_unlock(&al->mu);
        }
        bool busy = anomalies(al, &c, &next_anom);
        if (busy) next_anom = 0;
        deliver(al, c.alerts_webhook, c.alerts_webhook_secret);
        pthread_mutex_lock(&al->mu);
        if (al->stop) break;
        if (busy) continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double wait =
            c.alerts_interval_sec > 0 && c.alerts_interval_sec < 1 ? c.alerts_interval_sec : 1;
        if (c.anomaly_interval_sec > 0 && c.anomaly_interval_sec < wait)
            wait = c.anomaly_interval_sec;
        long ns = ts.tv_nsec + (long)(wait * 1e9);
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&al->cond, &al->mu, &ts);
    }
    pthread_mutex_unlock(&al->mu);
    return NULL;
}

int hrd_alerts_start(hrd_store *st, const hrd_config *c, hrd_alerts_gauge gauge, void *gauge_ud,
                     hrd_alerts **out, hr_error *err)
{
    hrd_alerts *al = calloc(1, sizeof *al);
    if (!al) return hr_error_set(err, HR_ENOMEM, "out of memory");
    al->store = st;
    al->gauge = gauge;
    al->gauge_ud = gauge_ud;
    al->cfg = *c;
    int rc = hrd_anomaly_new(st, c, &al->anomaly, err);
    if (rc < 0) {
        free(al);
        return rc;
    }
    hr_map_init(&al->ws, 1000000);
    pthread_mutex_init(&al->mu, NULL);
    pthread_cond_init(&al->cond, NULL);
    if (pthread_create(&al->th, NULL, alerts_main, al) != 0) {
        pthread_mutex_destroy(&al->mu);
        pthread_cond_destroy(&al->cond);
        hr_map_release(&al->ws);
        hrd_anomaly_free(al->anomaly);
        free(al);
        return hr_error_set(err, HR_EIO, "alerts: cannot start the thread");
    }
    *out = al;
    return 0;
}

void hrd_alerts_reload(hrd_alerts *al, const hrd_config *c)
{
    pthread_mutex_lock(&al->mu);
    al->cfg = *c;
    pthread_cond_signal(&al->cond);
    pthread_mutex_unlock(&al->mu);
    hrd_anomaly_reload(al->anomaly, c);
}

void hrd_alerts_counters(hrd_alerts *al, uint64_t *evaluations, uint64_t *sent, uint64_t *failed)
{
    pthread_mutex_lock(&al->mu);
    *evaluations = al->evaluations;
    *sent = al->sent;
    *failed = al->failed;
    pthread_mutex_unlock(&al->mu);
}

void hrd_alerts_anomaly_stats(hrd_alerts *al, hrd_anomaly_stats *st)
{
    hrd_anomaly_get_stats(al->anomaly, st);
}

static int free_ws(const char *key, void *value, void *ud)
{
    (void)key, (void)ud;
    free(value);
    return 0;
}

void hrd_alerts_stop(hrd_alerts *al)
{
    if (!al) return;
    pthread_mutex_lock(&al->mu);
    al->stop = true;
    pthread_cond_signal(&al->cond);
    pthread_mutex_unlock(&al->mu);
    pthread_join(al->th, NULL);
    hr_map_foreach(&al->ws, free_ws, NULL);
    hr_map_release(&al->ws);
    hrd_anomaly_free(al->anomaly);
    pthread_mutex_destroy(&al->mu);
    pthread_cond_destroy(&al->cond);
    free(al);
}
