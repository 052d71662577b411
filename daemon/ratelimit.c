/* Token buckets per bearer token (ratelimit.h). */
#include "daemon/ratelimit.h"

#include <headroom/headroom.h>

#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bucket {
    double level, at; /* requests left, as of `at` */
} bucket;

struct hrd_ratelimit {
    pthread_mutex_t mu;
    hr_map buckets; /* hex SHA-256 of the key -> bucket* */
    size_t max;
};

int hrd_ratelimit_new(size_t max_keys, hrd_ratelimit **out)
{
    hrd_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl) return HR_ENOMEM;
    pthread_mutex_init(&rl->mu, NULL);
    rl->max = max_keys ? max_keys : 1;
    hr_map_init(&rl->buckets, rl->max);
    *out = rl;
    return 0;
}

static int free_bucket(const char *key, void *value, void *ud)
{
    (void)key, (void)ud;
    free(value);
    return 0;
}

void hrd_ratelimit_free(hrd_ratelimit *rl)
{
    if (!rl) return;
    hr_map_foreach(&rl->buckets, free_bucket, NULL);
    hr_map_release(&rl->buckets);
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

static void refill(bucket *b, double rps, double burst, double now)
{
    if (now > b->at) b->level += (now - b->at) * rps;
    if (b->level > burst) b->level = burst;
    b->at = now;
}

bool hrd_ratelimit_take(hrd_ratelimit *rl, const char *key, double rps, double burst, double now,
                        double *retry_sec)
{
    if (rps <= 0) return true;
    if (burst < 1) burst = rps < 1 ? 1 : rps;
    unsigned char h[32];
    char hex[65];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key, strlen(key), h) < 0) return true;
    for (size_t i = 0; i < sizeof h; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
    pthread_mutex_lock(&rl->mu);
    bucket *b = hr_map_get(&rl->buckets, hex);
    if (!b && (b = calloc(1, sizeof *b))) {
        b->level = burst;
        b->at = now;
        if (rl->buckets.len >= rl->max) { /* full: every bucket starts again */
            hr_map_foreach(&rl->buckets, free_bucket, NULL);
            hr_map_release(&rl->buckets);
            hr_map_init(&rl->buckets, rl->max);
        }
        if (hr_map_put(&rl->buckets, hex, b, NULL) < 0) {
            free(b);
            b = NULL;
        }
    }
    bool ok = true;
    if (b) {
        refill(b, rps, burst, now);
        if (b->level >= 1)
            b->level -= 1;
        else
            ok = false, *retry_sec = (1 - b->level) / rps;
    }
    pthread_mutex_unlock(&rl->mu);
    return ok;
}
