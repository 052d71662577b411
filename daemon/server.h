/* daemon/server.h - the HTTP server of `headroom serve` (libmicrohttpd,
 * epoll, a thread pool), its configuration and the API routes.
 *
 * Every request but GET /healthz needs "Authorization: Bearer TOKEN" with a
 * token of sufficient scope (read < write < admin): 401 without a known
 * token, 403 with too small a scope. Errors are JSON:
 *   {"code": "invalid_field", "field": "samples[2][1]", "message": "..."}
 */
#ifndef HRD_SERVER_H
#define HRD_SERVER_H

#include "daemon/store.h"

#include <stdatomic.h>

#define HRD_PATH_MAX 4096

#define HRD_MAX_SCRAPE 64

/* A Prometheus exposition endpoint scraped into the store; its samples get
 * the label job=JOB, and the series up,job=JOB records 1 or 0 per scrape. */
typedef struct hrd_scrape_target {
    char job[64];
    char url[1024];
    char token[256]; /* bearer token sent, if any */
    double interval_sec;
} hrd_scrape_target;

typedef struct hrd_config {
    char listen[128];          /* "ADDR:PORT" ("[::1]:8080" for IPv6); port 0 = ephemeral */
    char data[HRD_PATH_MAX];   /* data directory */
    size_t threads;            /* 0: a thread per connection; N: 4 N epoll workers */
    size_t max_connections;    /* open connections at most (more are refused) */
    size_t max_body_bytes;     /* request bodies larger than this: 413 */
    double rate_limit_rps;     /* requests per second over all clients (0 = off): 429 */
    size_t chunk_samples;      /* see hrd_store_opts */
    int64_t raw_retention_sec; /* 0 = forever */
    int64_t hourly_retention_sec;
    size_t max_series;
    size_t forecast_history;     /* newest samples a forecast is fitted on */
    char tls_cert[HRD_PATH_MAX]; /* PEM files; both set = HTTPS */
    char tls_key[HRD_PATH_MAX];
    double loop_interval_sec;        /* control loop period (ctl.h) */
    char loop_driver[16];            /* "sim" (the live twin) or "none" (no loop) */
    double loop_sim_step_sec;        /* simulated time per round of the sim driver (0 = interval) */
    char loop_journal[HRD_PATH_MAX]; /* act driver: lib/act journal ("" = DATA/act-journal.db) */
    char loop_cgroup_parent[65];     /* act driver: cgroup parent of the workloads' groups */
    char loop_dry_run[8];            /* act driver: "true" validates actions, runs none */
    double alerts_interval_sec;      /* evaluation period (0 = no evaluation) */
    size_t alerts_horizon;           /* steps ahead for predicted breaches */
    char alerts_webhook[1024];       /* POST every alert state change here (empty = none) */
    size_t alerts_min_points;        /* scored points before coverage is judged */
    double alerts_tolerance;         /* |coverage - 0.90| above this: accuracy alert */
    /* anomaly detection (anomaly.c), webhook signing (alerts.c), per-token rate limit */
    char anomaly_detector[64];        /* a detector of lib/anomaly ("ensemble") */
    char anomaly_match[128];          /* series followed: an fnmatch(3) pattern */
    size_t anomaly_max_series;        /* detectors held at most (about 4 KB each; 0 = no limit) */
    double anomaly_threshold;         /* scores at or above: an anomaly */
    double anomaly_interval_sec;      /* detection pass period (0 = off) */
    int64_t anomaly_replay_sec;       /* history re-fed to a detector after a restart */
    int64_t anomaly_alert_window_sec; /* one anomaly alert per series within this */
    int64_t anomaly_settle_sec;       /* suppression after a move of the loop */
    char alerts_webhook_secret[256];  /* HMAC-SHA256 key of X-Headroom-Signature */
    double rate_limit_token_rps;      /* requests per second per token (0 = off): 429 */
    double rate_limit_token_burst;    /* bucket size (0 = one second of rps, at least 1) */
    hrd_scrape_target scrape[HRD_MAX_SCRAPE]; /* the `scrape:` list */
    size_t nscrape;
} hrd_config;

/* The embedded defaults: 127.0.0.1:8080, ./headroom-data, 16 MiB bodies,
 * chunks of 120, raw samples kept 30 days then hourly means for 400 days. */
void hrd_config_defaults(hrd_config *c);
/* Read a YAML configuration over `c` (keys not in the file keep their
 * values). HR_EPARSE / HR_EINVAL name "file:line:col: key". config.c. */
int hrd_config_load(const char *path, hrd_config *c, hr_error *err);
/* "30d", "12h", "15m", "300s" or plain seconds. */
int hrd_parse_duration(const char *s, int64_t *out_sec);

typedef struct hrd_server hrd_server;

/* Open the store in c->data and start listening. HR_EIO names what failed
 * (address in use, unreadable certificate...). */
int hrd_server_start(const hrd_config *c, hrd_server **out, hr_error *err);
/* The bound port (useful with port 0). */
uint16_t hrd_server_port(const hrd_server *srv);
hrd_store *hrd_server_store(hrd_server *srv);
/* Apply the reloadable settings (rate limit, body limit, forecast
 * history, scrape targets) from a new configuration. */
void hrd_server_reload(hrd_server *srv, const hrd_config *c);
/* Stop accepting, finish the requests in flight, close the store.
 * NULL-safe. */
void hrd_server_stop(hrd_server *srv);

/* `headroom serve` and `headroom token` (serve.c). */
int hrd_serve_main(int argc, char **argv);
int hrd_token_main(int argc, char **argv);
/* `headroom agent` (agent.c). */
int hrd_agent_main(int argc, char **argv);

#endif
