/* daemon/alerts.h - predicted SLA breaches and forecast accuracy, judged on
 * an interval, anomalies (anomaly.h, run on the same thread), delivered to a
 * webhook with retries and an HMAC signature (alerts.c). */
#ifndef HRD_ALERTS_H
#define HRD_ALERTS_H

#include "daemon/anomaly.h"
#include "daemon/server.h"

typedef struct hrd_alerts hrd_alerts;

/* Called with the next-step p50 and p90 of every workload forecast. */
typedef void (*hrd_alerts_gauge)(void *ud, const char *workload, const char *series, double p50,
                                 double p90);

/* Start the thread (evaluation off while alerts_interval_sec is 0, anomaly
 * detection off while anomaly_interval_sec is 0; deliveries go on). libcurl
 * must be initialised (the scraper does it). Errors of hrd_anomaly_new. */
int hrd_alerts_start(hrd_store *st, const hrd_config *c, hrd_alerts_gauge gauge, void *gauge_ud,
                     hrd_alerts **out, hr_error *err);
/* New alerts.* settings (and forecast_history). */
void hrd_alerts_reload(hrd_alerts *al, const hrd_config *c);
void hrd_alerts_counters(hrd_alerts *al, uint64_t *evaluations, uint64_t *sent, uint64_t *failed);
/* The anomaly detector's figures. */
void hrd_alerts_anomaly_stats(hrd_alerts *al, hrd_anomaly_stats *st);
/* NULL-safe. */
void hrd_alerts_stop(hrd_alerts *al);

#endif
