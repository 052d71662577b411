/* daemon/api.h - what the route handlers (api.c, api_series.c) share with
 * the server core (server.c). */
#ifndef HRD_API_H
#define HRD_API_H

#include "daemon/server.h"

#include <pthread.h>

struct MHD_Connection;

enum hrd_scope { SCOPE_NONE = 0, SCOPE_READ = 1, SCOPE_WRITE = 2, SCOPE_ADMIN = 3 };

#define HRD_MAX_PARAMS 2

typedef struct hrd_req {
    hrd_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    char *body; /* NUL-terminated request body (owned by the server) */
    size_t len;
    const char *param[HRD_MAX_PARAMS]; /* path captures, NUL-terminated copies */
    /* the reply */
    unsigned status;
    char *out; /* malloc'ed body */
    size_t out_len;
    const char *ctype;
    char extra_name[32], extra_value[64]; /* one extra header, if any */
} hrd_req;

typedef void (*hrd_handler)(hrd_req *r);

struct hrd_route {
    const char *method;
    const char *pattern; /* segments; "*" one segment, "**" one or more (greedy, then fixed tail) */
    enum hrd_scope scope;
    hrd_handler fn;
    const char *name; /* for /metrics */
    bool query_token; /* ?access_token= accepted too (RFC 6750 2.3): the dashboard page */
};

extern const struct hrd_route hrd_routes[];
extern const size_t hrd_nroutes;

/* Per-series forecast quantiles kept for /metrics. */
typedef struct hrd_fc_gauge {
    char series[HRD_SERIES_NAME_MAX + 1];
    char workload[129]; /* "" for a forecast asked through the API */
    double p50, p90;
} hrd_fc_gauge;

/* Record the latest next-step p50/p90 of a series (workload may be NULL). */
void hrd_server_gauge(void *srv, const char *workload, const char *series, double p50, double p90);
#define HRD_FC_GAUGES 10000

struct hrd_server {
    hrd_config cfg;
    hrd_store *store;
    struct hrd_scraper *scraper;
    struct hrd_alerts *alerts;
    struct hrd_ratelimit *rl;    /* per-token buckets (ratelimit.h) */
    struct hrd_ctl *_Atomic ctl; /* the control loop (ctl.h); NULL when not started */
    struct MHD_Daemon *mhd;
    uint16_t port;
    pthread_mutex_t mu; /* guards the fields below */
    double bucket, bucket_at;
    uint64_t *req_count; /* [nroutes * 5]: status classes 1xx..5xx */
    double *req_seconds; /* [nroutes] */
    uint64_t rejected_auth, rejected_rate, bodies_too_large, unrouted;
    hr_map fc;         /* series -> hrd_fc_gauge* */
    double started_at; /* hr_clock_sec */
};

/* Replies. */
void hrd_reply_json(hrd_req *r, unsigned status, json_t *j); /* steals j */
void hrd_reply_text(hrd_req *r, unsigned status, const char *ctype, char *text, size_t len);
/* {"code": code, "field": field (omitted if NULL), "message": ...}. */
void hrd_reply_error(hrd_req *r, unsigned status, const char *code, const char *field,
                     const char *fmt, ...) HR_PRINTF(5, 6);
/* Map a library error: HR_ENOTFOUND 404, HR_EEXIST 409, HR_ELIMIT 413/422,
 * HR_EINVAL/EPARSE 400, HR_EDATA 422, else 500. */
void hrd_reply_hr(hrd_req *r, int rc, const hr_error *err);

/* Query string value or NULL. */
const char *hrd_query(hrd_req *r, const char *key);
/* ?limit= in [1, max] (default def); false after replying 400. */
bool hrd_query_limit(hrd_req *r, size_t def, size_t max, size_t *out);

/* Handlers (api.c, api_series.c). */
void hrd_api_healthz(hrd_req *r);
void hrd_api_metrics(hrd_req *r);
void hrd_api_openapi(hrd_req *r);
void hrd_api_dashboard(hrd_req *r);
void hrd_api_samples_post(hrd_req *r);
void hrd_api_write_lp(hrd_req *r);
void hrd_api_prom_write(hrd_req *r);
void hrd_api_series_list(hrd_req *r);
void hrd_api_series_samples(hrd_req *r);
void hrd_api_series_forecast(hrd_req *r);
void hrd_api_obj_list(hrd_req *r);
void hrd_api_obj_create(hrd_req *r);
void hrd_api_obj_get(hrd_req *r);
void hrd_api_obj_put(hrd_req *r);
void hrd_api_obj_delete(hrd_req *r);
void hrd_api_mode_get(hrd_req *r);
void hrd_api_mode_put(hrd_req *r);
void hrd_api_token_create(hrd_req *r);
void hrd_api_journal(hrd_req *r);
void hrd_api_alerts(hrd_req *r);
void hrd_api_anomalies(hrd_req *r);
void hrd_api_annotations(hrd_req *r);
void hrd_api_annotation_add(hrd_req *r);
void hrd_api_annotation_delete(hrd_req *r);
/* api_plan.c */
void hrd_api_plan_get(hrd_req *r);
void hrd_api_plan_approve(hrd_req *r);
void hrd_api_plan_apply(hrd_req *r);

#endif
