/* daemon/ratelimit.h - token buckets per key (ratelimit.c): the per-token
 * rate limit of the API (rate_limit.per_token_rps). */
#ifndef HRD_RATELIMIT_H
#define HRD_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hrd_ratelimit hrd_ratelimit;

/* Buckets for at most max_keys keys (when a new key finds them full, every
 * bucket starts again, full). HR_ENOMEM. Thread-safe. */
int hrd_ratelimit_new(size_t max_keys, hrd_ratelimit **out);
/* Take one request from the bucket of `key` (a bearer token: only its
 * SHA-256 is kept) refilled at `rps` per second up to `burst` (burst < 1:
 * one second's worth, at least 1) at time `now` (seconds, monotonic). True
 * if allowed; otherwise *retry_sec gets the wait until one is there. */
bool hrd_ratelimit_take(hrd_ratelimit *rl, const char *key, double rps, double burst, double now,
                        double *retry_sec);
void hrd_ratelimit_free(hrd_ratelimit *rl); /* NULL-safe */

#endif
