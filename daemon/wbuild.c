/* Samples of one request (or one scrape) grouped by series before they are
 * stored in one hrd_store_write. */
#include "daemon/wbuild.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- names: hashed with a per-process seed, kept in one buffer --------------------- */

static uint64_t hash_seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void seed_init(void)
{
    uint64_t x = 0;
    if (getentropy(&x, sizeof x) != 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)getpid();
    }
    hash_seed = x | 1;
}

/* 8 bytes at a time, each mixed by a multiply and a shift. */
static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = hash_seed ^ (n * 0x9e3779b97f4a7c15u), w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s + i, n - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    return h ^ (h >> 29);
}

void hrd_wb_init(wbuild *b)
{
    pthread_once(&seed_once, seed_init);
    hr_vec_init(&b->names, 1, (size_t)MAX_SERIES_PER_REQUEST * (HRD_SERIES_NAME_MAX + 1));
    b->slots = NULL;
    b->nslots = 0;
    hr_vec_init(&b->sers, sizeof(wser), MAX_SERIES_PER_REQUEST);
    hr_vec_init(&b->samples, sizeof(wsample), MAX_SAMPLES_PER_REQUEST);
}

void hrd_wb_release(wbuild *b)
{
    for (size_t i = 0; i < b->sers.len; i++) free(((wser *)hr_vec_at(&b->sers, i))->labels);
    hr_vec_release(&b->names);
    free(b->slots);
    b->slots = NULL;
    b->nslots = 0;
    hr_vec_release(&b->sers);
    hr_vec_release(&b->samples);
}

/* Double the table (or make the first one) and re-insert every series. */
static int slots_grow(wbuild *b)
{
    size_t n = b->nslots ? b->nslots * 2 : 1024;
    uint32_t *ns = calloc(n, sizeof *ns);
    if (!ns) return HR_ENOMEM;
    const wser *w = b->sers.data;
    for (size_t i = 0; i < b->sers.len; i++) {
        size_t at = (size_t)w[i].hash & (n - 1);
        while (ns[at]) at = (at + 1) & (n - 1);
        ns[at] = (uint32_t)(i + 1);
    }
    free(b->slots);
    b->slots = ns;
    b->nslots = n;
    return 0;
}

/* The series `name` (len bytes), created on first use: its index, or
 * negative on a limit or out of memory. *fresh tells a new one. */
static long wb_series(wbuild *b, const char *name, size_t len, bool *fresh)
{
    *fresh = false;
    /* Keep the load at most 1/2, so that probes stay short. */
    if ((b->sers.len + 1) * 2 > b->nslots && slots_grow(b) < 0) return HR_ENOMEM;
    uint64_t h = name_hash(name, len);
    size_t mask = b->nslots - 1, at = (size_t)h & mask;
    const wser *w = b->sers.data;
    const char *names = b->names.data;
    for (; b->slots[at]; at = (at + 1) & mask) {
        const wser *x = &w[b->slots[at] - 1];
        if (x->hash == h && x->name_len == len && !memcmp(names + x->name_off, name, len))
            return (long)b->slots[at] - 1;
    }
    wser nw = {.name_off = b->names.len, .name_len = len, .hash = h};
    int rc = hr_vec_reserve(&b->names, b->names.len + len + 1);
    if (rc == 0) rc = hr_vec_push(&b->sers, &nw);
    if (rc < 0) return rc;
    memcpy((char *)b->names.data + b->names.len, name, len + 1);
    b->names.len += len + 1;
    b->slots[at] = (uint32_t)b->sers.len;
    *fresh = true;
    return (long)b->sers.len - 1;
}

long hrd_wb_series(wbuild *b, const char *name)
{
    bool fresh;
    return wb_series(b, name, strlen(name), &fresh);
}

int hrd_wb_add(wbuild *b, long si, int64_t t, double v)
{
    wsample x = {(size_t)si, t, v};
    int rc = hr_vec_push(&b->samples, &x);
    if (rc < 0) return rc;
    ((wser *)b->sers.data)[si].n++;
    return 0;
}

int hrd_wb_emit(void *ud, const char *key, size_t line, int64_t t, double v)
{
    hrd_wb_ctx *c = ud;
    bool fresh;
    long si = wb_series(c->b, key, strlen(key), &fresh);
    if (si < 0) return hr_error_set(c->err, HR_ELIMIT, "%s %zu: too many series", c->unit, line);
    if (fresh && !hr_series_key_ok(key))
        return hr_error_set(c->err, HR_EPARSE, "%s %zu: \"%.80s\" is not a series name", c->unit,
                            line, key);
    if (hrd_wb_add(c->b, si, t, v) < 0)
        return hr_error_set(c->err, HR_ELIMIT, "%s %zu: more than %u samples", c->unit, line,
                            MAX_SAMPLES_PER_REQUEST);
    return 0;
}

int hrd_wb_store(hrd_store *st, wbuild *b, hrd_write_result *res, hr_error *err)
{
    size_t n = b->sers.len, total = b->samples.len;
    hrd_write *w = calloc(n ? n : 1, sizeof *w);
    size_t *off = malloc((n ? n : 1) * sizeof *off);
    int64_t *t = malloc((total ? total : 1) * sizeof *t);
    double *v = malloc((total ? total : 1) * sizeof *v);
    if (!w || !off || !t || !v) {
        free(w), free(off), free(t), free(v);
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    size_t pos = 0;
    const char *names = b->names.data;
    for (size_t i = 0; i < n; i++) {
        wser *s = hr_vec_at(&b->sers, i);
        off[i] = pos;
        w[i] = (hrd_write){names + s->name_off, s->labels, t + pos, v + pos, s->n};
        pos += s->n;
    }
    const wsample *x = b->samples.data;
    for (size_t k = 0; k < total; k++) {
        size_t at = off[x[k].si]++;
        t[at] = x[k].t;
        v[at] = x[k].v;
    }
    int rc = hrd_store_write(st, w, n, res, err);
    free(w), free(off), free(t), free(v);
    return rc;
}
