/* Samples of one request (or one scrape) grouped by series before they are
 * stored in one hrd_store_write. */
#include "daemon/wbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a write being assembled: samples grouped by series -------------------------------- */

void hrd_wb_init(wbuild *b)
{
    hr_map_init(&b->idx, MAX_SERIES_PER_REQUEST);
    hr_vec_init(&b->sers, sizeof(wser), MAX_SERIES_PER_REQUEST);
    hr_vec_init(&b->samples, sizeof(wsample), MAX_SAMPLES_PER_REQUEST);
}

void hrd_wb_release(wbuild *b)
{
    for (size_t i = 0; i < b->sers.len; i++) {
        wser *w = hr_vec_at(&b->sers, i);
        free(w->name);
        free(w->labels);
    }
    hr_vec_release(&b->sers);
    hr_vec_release(&b->samples);
    hr_map_release(&b->idx);
}

/* The index of the series `name` (created on first use); negative on a
 * limit or out of memory. */
long hrd_wb_series(wbuild *b, const char *name)
{
    uintptr_t k = (uintptr_t)hr_map_get(&b->idx, name);
    if (k) return (long)k - 1;
    wser w = {.name = strdup(name)};
    if (!w.name) return HR_ENOMEM;
    int rc = hr_vec_push(&b->sers, &w);
    if (rc == 0) rc = hr_map_put(&b->idx, name, (void *)(uintptr_t)b->sers.len, NULL);
    if (rc < 0) {
        if (b->sers.len && ((wser *)hr_vec_at(&b->sers, b->sers.len - 1))->name == w.name)
            b->sers.len--;
        free(w.name);
        return rc;
    }
    return (long)b->sers.len - 1;
}

int hrd_wb_add(wbuild *b, long si, int64_t t, double v)
{
    wsample x = {(size_t)si, t, v};
    int rc = hr_vec_push(&b->samples, &x);
    if (rc < 0) return rc;
    ((wser *)hr_vec_at(&b->sers, (size_t)si))->n++;
    return 0;
}

int hrd_wb_emit(void *ud, const char *key, size_t line, int64_t t, double v)
{
    hrd_wb_ctx *c = ud;
    if (!hr_series_key_ok(key))
        return hr_error_set(c->err, HR_EPARSE, "%s %zu: \"%.80s\" is not a series name", c->unit,
                            line, key);
    long si = hrd_wb_series(c->b, key);
    if (si < 0) return hr_error_set(c->err, HR_ELIMIT, "%s %zu: too many series", c->unit, line);
    if (hrd_wb_add(c->b, si, t, v) < 0)
        return hr_error_set(c->err, HR_ELIMIT, "%s %zu: more than %u samples", c->unit, line,
                            MAX_SAMPLES_PER_REQUEST);
    return 0;
}

int hrd_wb_store(hrd_store *st, wbuild *b, hrd_write_result *res, hr_error *err)
{
    size_t n = b->sers.len, total = b->samples.len;
    hrd_write *w = calloc(n ? n : 1, sizeof *w);
    size_t *off = calloc(n ? n : 1, sizeof *off);
    int64_t *t = malloc((total ? total : 1) * sizeof *t);
    double *v = malloc((total ? total : 1) * sizeof *v);
    if (!w || !off || !t || !v) {
        free(w), free(off), free(t), free(v);
        return hr_error_set(err, HR_ENOMEM, "out of memory");
    }
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        wser *s = hr_vec_at(&b->sers, i);
        off[i] = pos;
        w[i] = (hrd_write){s->name, s->labels, t + pos, v + pos, s->n};
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
