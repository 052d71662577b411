/* Scraping: every target's URL is fetched with libcurl on its interval (a
 * timeout of the interval, at most 10 s; bodies up to 16 MiB; http and
 * https only; no redirects), parsed as the text exposition format with
 * job=JOB added, and stored with the sample `up,job=JOB` (1 or 0) and
 * `scrape_duration_seconds,job=JOB` in one durable write. */
#include "daemon/scrape.h"
#include "daemon/wbuild.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BODY_MAX (16u << 20)

typedef struct target {
    hrd_scrape_target cfg;
    double next_at; /* hr_clock_sec */
    uint64_t scrapes, failures, samples;
} target;

struct hrd_scraper {
    hrd_store *store;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop;
    pthread_t th;
    target *t;
    size_t n;
};

typedef struct body {
    char *s;
    size_t len, cap;
    bool too_big;
} body;

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    body *b = ud;
    size_t n = size * nmemb;
    if (b->len + n + 1 > BODY_MAX) {
        b->too_big = true;
        return 0; /* abort the transfer */
    }
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        while (nc < b->len + n + 1) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) return 0;
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = 0;
    return n;
}

/* Fetch and store one target; returns 0 or an error (message in err). */
static int scrape_one(hrd_store *st, const hrd_scrape_target *t, size_t *nsamples, hr_error *err)
{
    double t0 = hr_clock_sec();
    body b = {0};
    CURL *h = curl_easy_init();
    if (!h) return hr_error_set(err, HR_ENOMEM, "curl: cannot start");
    struct curl_slist *hdr = NULL;
    char auth[300];
    if (t->token[0]) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", t->token);
        hdr = curl_slist_append(hdr, auth);
    }
    hdr = curl_slist_append(hdr, "Accept: text/plain;version=0.0.4");
    long timeout_ms = t->interval_sec < 10 ? (long)(t->interval_sec * 1000) : 10000;
    curl_easy_setopt(h, CURLOPT_URL, t->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "headroom/" HR_VERSION);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    int rc = 0;
    if (b.too_big)
        rc = hr_error_set(err, HR_ELIMIT, "%s: body over %u bytes", t->url, BODY_MAX);
    else if (cc != CURLE_OK)
        rc = hr_error_set(err, HR_EIO, "%s: %s", t->url, curl_easy_strerror(cc));
    else if (status != 200)
        rc = hr_error_set(err, HR_EIO, "%s: HTTP status %ld", t->url, status);
    int64_t now = (int64_t)time(NULL);
    char extra[80], key[128];
    snprintf(extra, sizeof extra, "job=%s", t->job);
    wbuild wb;
    hrd_wb_init(&wb);
    hrd_wb_ctx ctx = {&wb, err, "line"};
    int n = 0;
    if (rc == 0) {
        n = hr_expfmt_parse(b.s ? b.s : "", b.len, extra, now, hrd_wb_emit, &ctx, err);
        if (n < 0) {
            rc = n;
            hr_error_prefix(err, "%s", t->url);
            hrd_wb_release(&wb);
            hrd_wb_init(&wb); /* store `up` only */
            n = 0;
        }
    }
    free(b.s);
    snprintf(key, sizeof key, "up,job=%s", t->job);
    long si = hrd_wb_series(&wb, key);
    if (si >= 0) hrd_wb_add(&wb, si, now, rc == 0 ? 1 : 0);
    snprintf(key, sizeof key, "scrape_duration_seconds,job=%s", t->job);
    si = hrd_wb_series(&wb, key);
    if (si >= 0) hrd_wb_add(&wb, si, now, hr_clock_sec() - t0);
    hr_error serr = {0};
    int src = hrd_wb_store(st, &wb, NULL, &serr);
    hrd_wb_release(&wb);
    if (src < 0 && rc == 0) {
        *err = serr;
        rc = src;
    }
    *nsamples = (size_t)n;
    return rc;
}

static void *scraper_main(void *arg)
{
    hrd_scraper *sc = arg;
    pthread_mutex_lock(&sc->mu);
    while (!sc->stop) {
        double now = hr_clock_sec(), next = now + 1;
        target *due = NULL;
        for (size_t i = 0; i < sc->n; i++) {
            if (sc->t[i].next_at <= now && !due) due = &sc->t[i];
            if (sc->t[i].next_at < next) next = sc->t[i].next_at;
        }
        if (!due) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            double wait = next - now;
            if (wait > 1) wait = 1;
            if (wait < 0.001) wait = 0.001;
            long ns = ts.tv_nsec + (long)(wait * 1e9);
            ts.tv_sec += ns / 1000000000;
            ts.tv_nsec = ns % 1000000000;
            pthread_cond_timedwait(&sc->cond, &sc->mu, &ts);
            continue;
        }
        hrd_scrape_target cfg = due->cfg;
        due->next_at = now + cfg.interval_sec;
        pthread_mutex_unlock(&sc->mu);
        hr_error err = {0};
        size_t n = 0;
        int rc = scrape_one(sc->store, &cfg, &n, &err);
        if (rc < 0) fprintf(stderr, "headroom: scrape %s: %s\n", cfg.job, hr_error_message(&err));
        pthread_mutex_lock(&sc->mu);
        for (size_t i = 0; i < sc->n; i++) { /* the list may have been reloaded */
            if (strcmp(sc->t[i].cfg.job, cfg.job)) continue;
            sc->t[i].scrapes++;
            sc->t[i].failures += rc < 0;
            sc->t[i].samples += n;
        }
    }
    pthread_mutex_unlock(&sc->mu);
    return NULL;
}

static int set_targets(hrd_scraper *sc, const hrd_config *c)
{
    target *nt = calloc(c->nscrape ? c->nscrape : 1, sizeof *nt);
    if (!nt) return HR_ENOMEM;
    double now = hr_clock_sec();
    for (size_t i = 0; i < c->nscrape; i++) {
        nt[i].cfg = c->scrape[i];
        nt[i].next_at = now;
        for (size_t k = 0; k < sc->n; k++) {
            if (strcmp(sc->t[k].cfg.job, nt[i].cfg.job)) continue;
            nt[i].scrapes = sc->t[k].scrapes;
            nt[i].failures = sc->t[k].failures;
            nt[i].samples = sc->t[k].samples;
            nt[i].next_at = sc->t[k].next_at;
        }
    }
    free(sc->t);
    sc->t = nt;
    sc->n = c->nscrape;
    return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int hrd_scraper_start(hrd_store *st, const hrd_config *c, hrd_scraper **out, hr_error *err)
{
    pthread_once(&curl_once, curl_init_once);
    hrd_scraper *sc = calloc(1, sizeof *sc);
    if (!sc) return hr_error_set(err, HR_ENOMEM, "out of memory");
    sc->store = st;
    pthread_mutex_init(&sc->mu, NULL);
    pthread_cond_init(&sc->cond, NULL);
    if (set_targets(sc, c) < 0 || pthread_create(&sc->th, NULL, scraper_main, sc) != 0) {
        pthread_mutex_destroy(&sc->mu);
        pthread_cond_destroy(&sc->cond);
        free(sc->t);
        free(sc);
        return hr_error_set(err, HR_EIO, "scrape: cannot start the scraper thread");
    }
    *out = sc;
    return 0;
}

void hrd_scraper_reload(hrd_scraper *sc, const hrd_config *c)
{
    pthread_mutex_lock(&sc->mu);
    set_targets(sc, c);
    pthread_cond_signal(&sc->cond);
    pthread_mutex_unlock(&sc->mu);
}

void hrd_scraper_metrics(hrd_scraper *sc, void (*out)(void *ud, const char *line), void *ud)
{
    char line[256];
    pthread_mutex_lock(&sc->mu);
    out(ud, "# HELP headroom_scrapes_total Scrapes by job and result.\n"
            "# TYPE headroom_scrapes_total counter\n");
    for (size_t i = 0; i < sc->n; i++) {
        const target *t = &sc->t[i];
        snprintf(line, sizeof line, "headroom_scrapes_total{job=\"%s\",result=\"ok\"} %llu\n",
                 t->cfg.job, (unsigned long long)(t->scrapes - t->failures));
        out(ud, line);
        snprintf(line, sizeof line, "headroom_scrapes_total{job=\"%s\",result=\"failed\"} %llu\n",
                 t->cfg.job, (unsigned long long)t->failures);
        out(ud, line);
        snprintf(line, sizeof line, "headroom_scrape_samples_total{job=\"%s\"} %llu\n", t->cfg.job,
                 (unsigned long long)t->samples);
        out(ud, line);
    }
    pthread_mutex_unlock(&sc->mu);
}

void hrd_scraper_stop(hrd_scraper *sc)
{
    if (!sc) return;
    pthread_mutex_lock(&sc->mu);
    sc->stop = true;
    pthread_cond_signal(&sc->cond);
    pthread_mutex_unlock(&sc->mu);
    pthread_join(sc->th, NULL);
    pthread_mutex_destroy(&sc->mu);
    pthread_cond_destroy(&sc->cond);
    free(sc->t);
    free(sc);
}
