/* daemon/scrape.h - scraping Prometheus exposition endpoints (libcurl) into
 * the store: one thread, each target on its own interval. */
#ifndef HRD_SCRAPE_H
#define HRD_SCRAPE_H

#include "daemon/server.h"

typedef struct hrd_scraper hrd_scraper;

/* Start the thread (also with no targets: a reload may add some). */
int hrd_scraper_start(hrd_store *st, const hrd_config *c, hrd_scraper **out, hr_error *err);
/* Replace the targets; a target keeping its job keeps its counters. */
void hrd_scraper_reload(hrd_scraper *sc, const hrd_config *c);
/* Prometheus lines for /metrics (headroom_scrape_*), appended by `out`. */
void hrd_scraper_metrics(hrd_scraper *sc, void (*out)(void *ud, const char *line), void *ud);
/* Stop the thread, waiting for a scrape in progress. NULL-safe. */
void hrd_scraper_stop(hrd_scraper *sc);

#endif
