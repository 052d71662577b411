/* ROADEF/EURO 2012 files: the model and assignment readers, the writer.
 * Formats: reference/roadef2012.md sec. 2-3. Numbers are scanned by hand
 * (digits only, overflow-checked) because a B-size model has 25 million of
 * them. */
#include <headroom/plan.h>
#include <headroom/series.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/internal.h"
#include "util/banned.h"

typedef struct tok {
    const char *p, *end, *name;
    const char *line_start;
    long line;
    hr_error *err;
} tok;

/* What a number is, for messages: "machine 3: capacity[1]". */
typedef struct field {
    const char *obj; /* NULL: no object */
    int64_t obj_idx;
    const char *fld;
    int64_t fld_idx; /* -1: no index */
} field;

static void field_str(const field *f, char *buf, size_t size)
{
    char o[64] = "";
    if (f->obj) snprintf(o, sizeof o, "%s %lld: ", f->obj, (long long)f->obj_idx);
    if (f->fld_idx >= 0)
        snprintf(buf, size, "%s%s[%lld]", o, f->fld, (long long)f->fld_idx);
    else
        snprintf(buf, size, "%s%s", o, f->fld);
}

static int tok_fail(tok *t, int code, const field *f, const char *at, const char *what)
{
    char fs[160];
    field_str(f, fs, sizeof fs);
    return hr_error_setpos(t->err, code, t->name, t->line, (long)(at - t->line_start) + 1, "%s: %s",
                           fs, what);
}

static void skip_space(tok *t)
{
    while (t->p < t->end) {
        char c = *t->p;
        if (c == '\n') {
            t->line++;
            t->line_start = t->p + 1;
        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v')
            break;
        t->p++;
    }
}

/* Next number in [0, max]. */
static int next(tok *t, const field *f, int64_t max, int64_t *out)
{
    skip_space(t);
    if (t->p >= t->end) return tok_fail(t, HR_EPARSE, f, t->p, "missing (file truncated)");
    const char *s = t->p;
    while (t->p < t->end && !(*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r' ||
                              *t->p == '\f' || *t->p == '\v'))
        t->p++;
    size_t n = (size_t)(t->p - s);
    char shown[40];
    snprintf(shown, sizeof shown, "%.*s%s", (int)(n > 24 ? 24 : n), s, n > 24 ? "..." : "");
    char msg[96];
    if (s[0] == '-' && n > 1) {
        snprintf(msg, sizeof msg, "\"%s\" is negative", shown);
        return tok_fail(t, HR_EPARSE, f, s, msg);
    }
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9) {
            snprintf(msg, sizeof msg, "\"%s\" is not a non-negative integer", shown);
            return tok_fail(t, HR_EPARSE, f, s, msg);
        }
        v = v * 10 + d;
        if (v > HR_ROADEF_MAX_VALUE) {
            snprintf(msg, sizeof msg, "\"%s\" exceeds 2^31-1", shown);
            return tok_fail(t, HR_ERANGE, f, s, msg);
        }
    }
    if (v > max) {
        snprintf(msg, sizeof msg, "\"%s\" out of range (at most %lld)", shown, (long long)max);
        return tok_fail(t, HR_EPARSE, f, s, msg);
    }
    *out = v;
    return 0;
}

static int next32(tok *t, const field *f, int64_t max, int32_t *out)
{
    int64_t v;
    int rc = next(t, f, max, &v);
    if (rc < 0) return rc;
    *out = (int32_t)v;
    return 0;
}

/* A count with a limit: HR_ELIMIT past it. */
static int next_count(tok *t, const char *what, int64_t min, int64_t limit, int32_t *out)
{
    field f = {NULL, 0, what, -1};
    int64_t v;
    skip_space(t);
    const char *at = t->p;
    int rc = next(t, &f, HR_ROADEF_MAX_VALUE, &v);
    if (rc < 0) return rc;
    if (v < min) return tok_fail(t, HR_EPARSE, &f, at, "must be at least 1");
    if (v > limit) {
        char m[80];
        snprintf(m, sizeof m, "too many: %lld (limit %lld)", (long long)v, (long long)limit);
        return tok_fail(t, HR_ELIMIT, &f, at, m);
    }
    *out = (int32_t)v;
    return 0;
}

void hr_roadef_free(hr_roadef *in)
{
    if (!in) return;
    free(in->transient);
    free(in->wload);
    free(in->neigh);
    free(in->loc);
    free(in->cap);
    free(in->safety);
    free(in->mmc);
    free(in->spread_min);
    free(in->dep_start);
    free(in->deps);
    free(in->serv);
    free(in->req);
    free(in->pmc);
    free(in->bal);
    free(in->sp_start);
    free(in->sp);
    free(in);
}

void *hr__plan_calloc(size_t n, size_t size)
{
    if (n == 0) n = 1;
    if (size && n > SIZE_MAX / size) return NULL;
    return calloc(n, size);
}

int hr__roadef_finish(hr_roadef *in, hr_error *err)
{
    in->sp_start = hr__plan_calloc((size_t)in->nserv + 1, sizeof *in->sp_start);
    in->sp = hr__plan_calloc((size_t)in->nproc, sizeof *in->sp);
    if (!in->sp_start || !in->sp) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (int32_t p = 0; p < in->nproc; p++) in->sp_start[in->serv[p] + 1]++;
    for (int32_t s = 0; s < in->nserv; s++) in->sp_start[s + 1] += in->sp_start[s];
    int32_t *fill = hr__plan_calloc((size_t)in->nserv, sizeof *fill);
    if (!fill) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (int32_t p = 0; p < in->nproc; p++) {
        int32_t s = in->serv[p];
        in->sp[in->sp_start[s] + fill[s]++] = p;
    }
    free(fill);
    in->nneigh = in->nloc = 0;
    for (int32_t m = 0; m < in->nmach; m++) {
        if (in->neigh[m] + 1 > in->nneigh) in->nneigh = in->neigh[m] + 1;
        if (in->loc[m] + 1 > in->nloc) in->nloc = in->loc[m] + 1;
    }
    return 0;
}

#define ALLOC(ptr, n)                                                                              \
    do {                                                                                           \
        (ptr) = hr__plan_calloc((size_t)(n), sizeof *(ptr));                                       \
        if (!(ptr)) {                                                                              \
            rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", name);                          \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)
#define NEXT(f, max, dst)                                                                          \
    do {                                                                                           \
        int64_t v_;                                                                                \
        if ((rc = next(&t, (f), (max), &v_)) < 0) goto out;                                        \
        (dst) = v_;                                                                                \
    } while (0)

static int parse_machines(tok *t, hr_roadef *in)
{
    int rc;
    int32_t R = in->nres, M = in->nmach;
    for (int32_t m = 0; m < M; m++) {
        field f = {"machine", m, "neighborhood", -1};
        if ((rc = next32(t, &f, M - 1, &in->neigh[m])) < 0) return rc;
        f.fld = "location";
        if ((rc = next32(t, &f, M - 1, &in->loc[m])) < 0) return rc;
        int64_t *cap = in->cap + (size_t)m * R, *sc = in->safety + (size_t)m * R;
        f.fld = "capacity";
        for (int32_t r = 0; r < R; r++) {
            f.fld_idx = r;
            if ((rc = next(t, &f, HR_ROADEF_MAX_VALUE, &cap[r])) < 0) return rc;
        }
        f.fld = "safety capacity";
        for (int32_t r = 0; r < R; r++) {
            f.fld_idx = r;
            if ((rc = next(t, &f, HR_ROADEF_MAX_VALUE, &sc[r])) < 0) return rc;
        }
        f.fld = "move cost";
        int32_t *row = in->mmc + (size_t)m * M;
        for (int32_t k = 0; k < M; k++) {
            f.fld_idx = k;
            if ((rc = next32(t, &f, HR_ROADEF_MAX_VALUE, &row[k])) < 0) return rc;
        }
    }
    return 0;
}

static int parse_services(tok *t, hr_roadef *in, hr_error *err)
{
    int rc;
    int32_t S = in->nserv;
    size_t cap = (size_t)S + 16, n = 0;
    int32_t *deps = malloc(cap * sizeof *deps);
    if (!deps) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (int32_t s = 0; s < S; s++) {
        field f = {"service", s, "spreadMin", -1};
        if ((rc = next32(t, &f, HR_ROADEF_MAX_VALUE, &in->spread_min[s])) < 0) goto fail;
        f.fld = "dependency count";
        int32_t k;
        skip_space(t);
        const char *at = t->p;
        if ((rc = next32(t, &f, HR_ROADEF_MAX_VALUE, &k)) < 0) goto fail;
        if (k > HR_ROADEF_MAX_DEPS) {
            rc = tok_fail(t, HR_ELIMIT, &f, at, "more than 5000 dependencies");
            goto fail;
        }
        in->dep_start[s] = (int32_t)n;
        if (n + (size_t)k > cap) {
            while (n + (size_t)k > cap) cap *= 2;
            if (cap > (size_t)INT32_MAX) {
                rc = hr_error_set(err, HR_ELIMIT, "%s: too many dependencies", t->name);
                goto fail;
            }
            int32_t *nd = realloc(deps, cap * sizeof *deps);
            if (!nd) {
                rc = hr_error_set(err, HR_ENOMEM, "out of memory");
                goto fail;
            }
            deps = nd;
        }
        f.fld = "dependency";
        for (int32_t i = 0; i < k; i++) {
            f.fld_idx = i;
            if ((rc = next32(t, &f, S - 1, &deps[n++])) < 0) goto fail;
        }
    }
    in->dep_start[S] = (int32_t)n;
    in->deps = deps;
    return 0;
fail:
    free(deps);
    return rc;
}

int hr_roadef_parse_model(const char *buf, size_t len, const char *name, hr_roadef **out,
                          hr_error *err)
{
    int rc = 0;
    if (!name) name = "model";
    if (!buf || !out) return hr_error_set(err, HR_EINVAL, "%s: no input", name);
    tok t = {buf, buf + len, name, buf, 1, err};
    hr_roadef *in = calloc(1, sizeof *in);
    if (!in) return hr_error_set(err, HR_ENOMEM, "out of memory");

    if ((rc = next_count(&t, "resource count", 1, HR_ROADEF_MAX_RESOURCES, &in->nres)) < 0)
        goto out;
    int32_t R = in->nres;
    ALLOC(in->transient, R);
    ALLOC(in->wload, R);
    for (int32_t r = 0; r < R; r++) {
        field f = {"resource", r, "transient", -1};
        NEXT(&f, 1, in->transient[r]);
        f.fld = "weightLoadCost";
        NEXT(&f, HR_ROADEF_MAX_VALUE, in->wload[r]);
    }
    if ((rc = next_count(&t, "machine count", 1, HR_ROADEF_MAX_MACHINES, &in->nmach)) < 0) goto out;
    int32_t M = in->nmach;
    ALLOC(in->neigh, M);
    ALLOC(in->loc, M);
    ALLOC(in->cap, (size_t)M * R);
    ALLOC(in->safety, (size_t)M * R);
    ALLOC(in->mmc, (size_t)M * M);
    if ((rc = parse_machines(&t, in)) < 0) goto out;

    if ((rc = next_count(&t, "service count", 1, HR_ROADEF_MAX_SERVICES, &in->nserv)) < 0) goto out;
    ALLOC(in->spread_min, in->nserv);
    ALLOC(in->dep_start, (size_t)in->nserv + 1);
    if ((rc = parse_services(&t, in, err)) < 0) goto out;

    if ((rc = next_count(&t, "process count", 1, HR_ROADEF_MAX_PROCESSES, &in->nproc)) < 0)
        goto out;
    int32_t P = in->nproc;
    ALLOC(in->serv, P);
    ALLOC(in->req, (size_t)P * R);
    ALLOC(in->pmc, P);
    for (int32_t p = 0; p < P; p++) {
        field f = {"process", p, "service", -1};
        NEXT(&f, in->nserv - 1, in->serv[p]);
        f.fld = "requirement";
        for (int32_t r = 0; r < R; r++) {
            f.fld_idx = r;
            NEXT(&f, HR_ROADEF_MAX_VALUE, in->req[(size_t)p * R + r]);
        }
        f.fld = "move cost";
        f.fld_idx = -1;
        NEXT(&f, HR_ROADEF_MAX_VALUE, in->pmc[p]);
    }
    if ((rc = next_count(&t, "balance count", 0, HR_ROADEF_MAX_BALANCES, &in->nbal)) < 0) goto out;
    ALLOC(in->bal, in->nbal);
    for (int32_t b = 0; b < in->nbal; b++) {
        field f = {"balance", b, "resource1", -1};
        NEXT(&f, R - 1, in->bal[b].r1);
        f.fld = "resource2";
        NEXT(&f, R - 1, in->bal[b].r2);
        f.fld = "target";
        NEXT(&f, HR_ROADEF_MAX_VALUE, in->bal[b].target);
        f.fld = "weight";
        NEXT(&f, HR_ROADEF_MAX_VALUE, in->bal[b].weight);
    }
    field f = {NULL, 0, "weightProcessMoveCost", -1};
    NEXT(&f, HR_ROADEF_MAX_VALUE, in->w_pmc);
    f.fld = "weightServiceMoveCost";
    NEXT(&f, HR_ROADEF_MAX_VALUE, in->w_smc);
    f.fld = "weightMachineMoveCost";
    NEXT(&f, HR_ROADEF_MAX_VALUE, in->w_mmc);
    skip_space(&t);
    if (t.p < t.end) {
        f.fld = "end of file";
        rc = tok_fail(&t, HR_EPARSE, &f, t.p, "unexpected data after the move-cost weights");
        goto out;
    }
    if ((rc = hr__roadef_finish(in, err)) < 0) goto out;
    *out = in;
    return 0;
out:
    hr_roadef_free(in);
    return rc;
}

int hr_roadef_read_model(const char *path, hr_roadef **out, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, HR_ROADEF_MAX_FILE, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_roadef_parse_model(buf, len, path, out, err);
    free(buf);
    return rc;
}

int hr_roadef_parse_assignment(const hr_roadef *in, const char *buf, size_t len, const char *name,
                               int32_t **out, hr_error *err)
{
    int rc = 0;
    if (!name) name = "assignment";
    if (!in || !buf || !out) return hr_error_set(err, HR_EINVAL, "%s: no input", name);
    tok t = {buf, buf + len, name, buf, 1, err};
    int32_t *a = hr__plan_calloc((size_t)in->nproc, sizeof *a);
    if (!a) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (int32_t p = 0; p < in->nproc; p++) {
        field f = {"process", p, "machine", -1};
        if ((rc = next32(&t, &f, in->nmach - 1, &a[p])) < 0) goto out;
    }
    skip_space(&t);
    if (t.p < t.end) {
        field f = {NULL, 0, "end of file", -1};
        char m[64];
        snprintf(m, sizeof m, "more than %d machine indices", (int)in->nproc);
        rc = tok_fail(&t, HR_EPARSE, &f, t.p, m);
        goto out;
    }
    *out = a;
    return 0;
out:
    free(a);
    return rc;
}

int hr_roadef_read_assignment(const hr_roadef *in, const char *path, int32_t **out, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, HR_ROADEF_MAX_FILE, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_roadef_parse_assignment(in, buf, len, path, out, err);
    free(buf);
    return rc;
}

int hr_roadef_write_assignment(const hr_roadef *in, const int32_t *assign, const char *path,
                               hr_error *err)
{
    size_t cap = (size_t)in->nproc * 12 + 2, n = 0;
    char *buf = malloc(cap);
    if (!buf) return hr_error_set(err, HR_ENOMEM, "out of memory");
    for (int32_t p = 0; p < in->nproc; p++) {
        if (assign[p] < 0 || assign[p] >= in->nmach) {
            free(buf);
            return hr_error_set(err, HR_EINVAL, "%s: process %d: machine %d out of range", path,
                                (int)p, (int)assign[p]);
        }
        n += (size_t)snprintf(buf + n, cap - n, p ? " %d" : "%d", (int)assign[p]);
    }
    buf[n++] = '\n';
    int rc = hr_write_file_atomic(path, buf, n, err);
    free(buf);
    return rc;
}
