/* Prometheus remote write: snappy, then protobuf-c (see store.h). */
#include <headroom/store.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include "remote.pb-c.h"
#include "util/banned.h"

static int cmp_label(const void *a, const void *b)
{
    const Prometheus__Label *x = *(Prometheus__Label *const *)a;
    const Prometheus__Label *y = *(Prometheus__Label *const *)b;
    return strcmp(x->name, y->name);
}

static bool key_add(char *key, size_t *k, const char *s)
{
    size_t n = strlen(s);
    if (*k + n + 1 > HR_LP_KEY_MAX) return false;
    memcpy(key + *k, s, n + 1);
    *k += n;
    return true;
}

/* The key of one series into key[HR_LP_KEY_MAX]; sorts its labels. */
static int series_key(Prometheus__TimeSeries *ts, size_t idx, char *key, hr_error *err)
{
    const char *name = NULL;
    for (size_t i = 0; i < ts->n_labels; i++)
        if (!strcmp(ts->labels[i]->name, "__name__")) name = ts->labels[i]->value;
    if (!name || !name[0])
        return hr_error_set(err, HR_EPARSE, "timeseries[%zu]: no __name__ label", idx);
    qsort(ts->labels, ts->n_labels, sizeof *ts->labels, cmp_label);
    size_t k = 0;
    bool ok = key_add(key, &k, name);
    for (size_t i = 0; ok && i < ts->n_labels; i++) {
        const Prometheus__Label *l = ts->labels[i];
        if (!strcmp(l->name, "__name__")) continue;
        ok = key_add(key, &k, ",") && key_add(key, &k, l->name) && key_add(key, &k, "=") &&
             key_add(key, &k, l->value);
    }
    if (!ok) return hr_error_set(err, HR_EPARSE, "timeseries[%zu]: series key too long", idx);
    return 0;
}

static int64_t floor_div(int64_t x, int64_t d)
{
    int64_t q = x / d;
    return (x % d != 0 && x < 0) ? q - 1 : q;
}

int hr_promwrite_parse(const void *buf, size_t len, size_t max_bytes, hr_lp_emit emit, void *ud,
                       hr_error *err)
{
    size_t ulen = 0;
    if (snappy_uncompressed_length(buf, len, &ulen) != SNAPPY_OK)
        return hr_error_set(err, HR_EPARSE, "snappy: not a snappy block");
    if (ulen > max_bytes)
        return hr_error_set(err, HR_ELIMIT, "snappy: %zu bytes uncompressed, over the limit %zu",
                            ulen, max_bytes);
    char *raw = malloc(ulen ? ulen : 1);
    if (!raw) return hr_error_set(err, HR_ENOMEM, "out of memory");
    if (snappy_uncompress(buf, len, raw, &ulen) != SNAPPY_OK) {
        free(raw);
        return hr_error_set(err, HR_EPARSE, "snappy: corrupt block");
    }
    Prometheus__WriteRequest *wr =
        prometheus__write_request__unpack(NULL, ulen, (const uint8_t *)raw);
    free(raw);
    if (!wr) return hr_error_set(err, HR_EPARSE, "protobuf: not a WriteRequest");
    char(*keys)[HR_LP_KEY_MAX] = NULL;
    int rc = 0;
    if (wr->n_timeseries) {
        keys = malloc(wr->n_timeseries * sizeof *keys);
        if (!keys) rc = hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    /* Validate every series before emitting anything. */
    size_t total = 0;
    for (size_t i = 0; rc == 0 && i < wr->n_timeseries; i++) {
        rc = series_key(wr->timeseries[i], i, keys[i], err);
        total += wr->timeseries[i]->n_samples;
        if (rc == 0 && total > (size_t)INT_MAX)
            rc = hr_error_set(err, HR_ELIMIT, "protobuf: too many samples");
    }
    size_t count = 0;
    for (size_t i = 0; rc == 0 && i < wr->n_timeseries; i++) {
        Prometheus__TimeSeries *ts = wr->timeseries[i];
        for (size_t j = 0; rc == 0 && j < ts->n_samples; j++) {
            double v = ts->samples[j]->value;
            uint64_t bits;
            memcpy(&bits, &v, sizeof bits);
            if (bits == HR_PROM_STALE_NAN) continue;
            rc = emit(ud, keys[i], i + 1, floor_div(ts->samples[j]->timestamp, 1000), v);
            if (rc == 0) count++;
        }
    }
    free(keys);
    prometheus__write_request__free_unpacked(wr, NULL);
    return rc < 0 ? rc : (int)count;
}
