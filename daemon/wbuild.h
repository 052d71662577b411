/* daemon/wbuild.h - samples of one request or scrape, grouped by series
 * (wbuild.c). Series names are interned in one buffer through an
 * open-addressing table (a name is hashed and checked once per line, no
 * allocation per series or per sample); samples are collected in arrival
 * order in one array and grouped at store time (a counting sort). */
#ifndef HRD_WBUILD_H
#define HRD_WBUILD_H

#include "daemon/store.h"

#define MAX_SAMPLES_PER_REQUEST 2000000u
#define MAX_SERIES_PER_REQUEST  100000u

typedef struct wser {
    size_t name_off; /* in wbuild.names, NUL-terminated */
    size_t name_len;
    uint64_t hash;
    char *labels; /* JSON text or NULL (owned) */
    size_t n;     /* samples */
} wser;

typedef struct wsample {
    size_t si; /* index in sers */
    int64_t t;
    double v;
} wsample;

typedef struct wbuild {
    hr_vec names;    /* char: the series names back to back */
    uint32_t *slots; /* series index + 1, 0 = empty; nslots a power of two */
    size_t nslots;
    hr_vec sers;    /* wser */
    hr_vec samples; /* wsample */
} wbuild;

void hrd_wb_init(wbuild *b);
void hrd_wb_release(wbuild *b);
/* Index of the series `name` (created on first use); negative on a limit
 * or out of memory. */
long hrd_wb_series(wbuild *b, const char *name);
int hrd_wb_add(wbuild *b, long si, int64_t t, double v);
/* Store everything in one hrd_store_write (durable on return). */
int hrd_wb_store(hrd_store *st, wbuild *b, hrd_write_result *res, hr_error *err);

/* An hr_lp_emit callback adding to a wbuild after checking the key
 * (hr_series_key_ok, once per series and request); messages say
 * "UNIT N: ...". */
typedef struct hrd_wb_ctx {
    wbuild *b;
    hr_error *err;
    const char *unit; /* "line" or "timeseries" */
} hrd_wb_ctx;
int hrd_wb_emit(void *ud, const char *key, size_t line, int64_t t, double v);

#endif
