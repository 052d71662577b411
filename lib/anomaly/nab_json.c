/* NAB's JSON inputs: profiles.json (cost matrices) and combined_windows.json
 * (labelled windows per file), and the detectors' results CSV files. */
#include <headroom/anomaly.h>
#include <headroom/series.h>
#include <headroom/util.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "series/internal.h"
#include "util/banned.h"

struct hr_nab_labels {
    size_t n;
    char **keys;
    hr_nab_window **win;
    size_t *nwin;
};

static json_t *load_json(const char *buf, size_t len, const char *name, hr_error *err, int *rc)
{
    if (len > HR_NAB_MAX_JSON_BYTES) {
        *rc = hr_error_setpos(err, HR_ELIMIT, name, 0, 0, "larger than %zu bytes",
                              HR_NAB_MAX_JSON_BYTES);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        *rc = hr_error_setpos(err, HR_EPARSE, name, je.line, je.column, "%s", je.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        *rc = hr_error_setpos(err, HR_EPARSE, name, 0, 0, "expected a JSON object at the top");
        return NULL;
    }
    return root;
}

static int read_weight(const json_t *cm, const char *key, const char *name, const char *prof,
                       double *out, hr_error *err)
{
    const json_t *v = json_object_get(cm, key);
    if (!v || !json_is_number(v))
        return hr_error_setpos(err, HR_EPARSE, name, 0, 0,
                               "profile \"%s\": CostMatrix.%s is missing or not a number", prof,
                               key);
    double d = json_number_value(v);
    if (!isfinite(d) || d < 0)
        return hr_error_setpos(err, HR_EPARSE, name, 0, 0,
                               "profile \"%s\": CostMatrix.%s must be finite and >= 0", prof, key);
    *out = d;
    return 0;
}

int hr_nab_profiles_parse(const char *buf, size_t len, const char *name, hr_nab_profile *out,
                          size_t max, hr_error *err)
{
    if (!name) name = "<profiles>";
    if (!buf || !out) return hr_error_set(err, HR_EINVAL, "%s: no input", name);
    int rc = 0;
    json_t *root = load_json(buf, len, name, err, &rc);
    if (!root) return rc;
    size_t n = 0;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        if (n == max) {
            rc = hr_error_setpos(err, HR_ELIMIT, name, 0, 0, "more than %zu profiles", max);
            break;
        }
        hr_nab_profile p;
        memset(&p, 0, sizeof p);
        size_t klen = strlen(key);
        if (klen >= sizeof p.name) {
            rc = hr_error_setpos(err, HR_ELIMIT, name, 0, 0, "profile name of %zu bytes (max %zu)",
                                 klen, sizeof p.name - 1);
            break;
        }
        memcpy(p.name, key, klen + 1);
        const json_t *cm = json_is_object(val) ? json_object_get(val, "CostMatrix") : NULL;
        if (!cm || !json_is_object(cm)) {
            rc = hr_error_setpos(err, HR_EPARSE, name, 0, 0,
                                 "profile \"%s\": expected an object with \"CostMatrix\"", key);
            break;
        }
        if ((rc = read_weight(cm, "tpWeight", name, key, &p.tp, err)) < 0 ||
            (rc = read_weight(cm, "fpWeight", name, key, &p.fp, err)) < 0 ||
            (rc = read_weight(cm, "fnWeight", name, key, &p.fn, err)) < 0 ||
            (rc = read_weight(cm, "tnWeight", name, key, &p.tn, err)) < 0)
            break;
        out[n++] = p;
    }
    json_decref(root);
    if (rc == 0 && n == 0) rc = hr_error_setpos(err, HR_EPARSE, name, 0, 0, "no profiles");
    return rc < 0 ? rc : (int)n;
}

int hr_nab_profiles_read(const char *path, hr_nab_profile *out, size_t max, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, HR_NAB_MAX_JSON_BYTES, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_nab_profiles_parse(buf, len, path, out, max, err);
    free(buf);
    return rc;
}

void hr_nab_labels_free(hr_nab_labels *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) {
        if (l->keys) free(l->keys[i]);
        if (l->win) free(l->win[i]);
    }
    free(l->keys);
    free(l->win);
    free(l->nwin);
    free(l);
}

static int parse_time_str(const json_t *v, int64_t *t)
{
    if (!json_is_string(v)) return HR_EPARSE;
    return hr_time_parse(json_string_value(v), json_string_length(v), t) < 0 ? HR_EPARSE : 0;
}

/* One key's list of [start, end] pairs into l's slot i. */
static int load_windows(hr_nab_labels *l, size_t i, const char *key, const json_t *arr,
                        const char *name, hr_error *err)
{
    if (!json_is_array(arr))
        return hr_error_setpos(err, HR_EPARSE, name, 0, 0, "\"%s\": expected a list of windows",
                               key);
    size_t nw = json_array_size(arr);
    if (nw > HR_NAB_MAX_WINDOWS)
        return hr_error_setpos(err, HR_ELIMIT, name, 0, 0, "\"%s\": more than %d windows", key,
                               HR_NAB_MAX_WINDOWS);
    if (nw && !(l->win[i] = malloc(nw * sizeof *l->win[i])))
        return hr_error_set(err, HR_ENOMEM, "%s: out of memory", name);
    for (size_t k = 0; k < nw; k++) {
        const json_t *w = json_array_get(arr, k);
        hr_nab_window x;
        if (!json_is_array(w) || json_array_size(w) != 2 ||
            parse_time_str(json_array_get(w, 0), &x.start) < 0 ||
            parse_time_str(json_array_get(w, 1), &x.end) < 0)
            return hr_error_setpos(err, HR_EPARSE, name, 0, 0,
                                   "\"%s\": window %zu is not a pair of timestamps", key, k + 1);
        if (x.end < x.start)
            return hr_error_setpos(err, HR_EPARSE, name, 0, 0,
                                   "\"%s\": window %zu ends before it starts", key, k + 1);
        if (k > 0 && x.start <= l->win[i][k - 1].end)
            return hr_error_setpos(err, HR_EPARSE, name, 0, 0,
                                   "\"%s\": window %zu overlaps or precedes window %zu", key, k + 1,
                                   k);
        l->win[i][k] = x;
        l->nwin[i] = k + 1;
    }
    return 0;
}

int hr_nab_labels_parse(const char *buf, size_t len, const char *name, hr_nab_labels **out,
                        hr_error *err)
{
    if (!name) name = "<labels>";
    if (!buf || !out) return hr_error_set(err, HR_EINVAL, "%s: no input", name);
    int rc = 0;
    json_t *root = load_json(buf, len, name, err, &rc);
    if (!root) return rc;
    size_t n = json_object_size(root);
    hr_nab_labels *l = calloc(1, sizeof *l);
    if (n > HR_NAB_MAX_FILES) {
        rc = hr_error_setpos(err, HR_ELIMIT, name, 0, 0, "more than %d files", HR_NAB_MAX_FILES);
        goto out;
    }
    if (!l ||
        (n && (!(l->keys = calloc(n, sizeof *l->keys)) || !(l->win = calloc(n, sizeof *l->win)) ||
               !(l->nwin = calloc(n, sizeof *l->nwin))))) {
        rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", name);
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        size_t i = l->n;
        if (i == n) break; /* cannot happen: n is the object's size */
        size_t klen = strlen(key);
        if (!(l->keys[i] = malloc(klen + 1))) {
            rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", name);
            goto out;
        }
        memcpy(l->keys[i], key, klen + 1);
        l->n++;
        if ((rc = load_windows(l, i, key, val, name, err)) < 0) goto out;
    }
out:
    json_decref(root);
    if (rc < 0) {
        hr_nab_labels_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int hr_nab_labels_read(const char *path, hr_nab_labels **out, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, HR_NAB_MAX_JSON_BYTES, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_nab_labels_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

size_t hr_nab_labels_count(const hr_nab_labels *l)
{
    return l ? l->n : 0;
}

const char *hr_nab_labels_key(const hr_nab_labels *l, size_t i)
{
    return l && i < l->n ? l->keys[i] : NULL;
}

size_t hr_nab_labels_windows(const hr_nab_labels *l, size_t i, const hr_nab_window **w)
{
    if (!l || i >= l->n) {
        if (w) *w = NULL;
        return 0;
    }
    if (w) *w = l->win[i];
    return l->nwin[i];
}

int hr_nab_labels_find(const hr_nab_labels *l, const char *key)
{
    if (!l || !key) return HR_ENOTFOUND;
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->keys[i], key)) return (int)i;
    return HR_ENOTFOUND;
}

/* ---- results CSV ---------------------------------------------------------------- */

static bool cell_is(const hr__cell *c, const char *s)
{
    return c->len == strlen(s) && memcmp(c->s, s, c->len) == 0;
}

int hr_nab_results_parse(const char *buf, size_t len, const char *name, double **scores, size_t *n,
                         hr_error *err)
{
    if ((!buf && len) || !scores || !n) return hr_error_set(err, HR_EINVAL, "results: no input");
    name = name ? name : "<results>";
    hr__scan sc;
    hr__scan_init(&sc, buf ? buf : "", len, name);
    if (hr__scan_eof(&sc)) return hr_error_setpos(err, HR_EPARSE, name, 1, 1, "empty file");
    hr__cell c;
    long col = -1, ncols = 0;
    int rc;
    do {
        if ((rc = hr__scan_cell(&sc, &c, err)) < 0) return rc;
        if (cell_is(&c, "anomaly_score") && col < 0) col = ncols;
        ncols++;
    } while (c.end == HR__END_COMMA && ncols < 10000);
    if (c.end == HR__END_COMMA)
        return hr_error_setpos(err, HR_ELIMIT, name, 1, 1, "more than 10000 columns");
    if (col < 0) return hr_error_setpos(err, HR_EPARSE, name, 1, 1, "no \"anomaly_score\" column");
    hr_vec v;
    hr_vec_init(&v, sizeof(double), HR_SERIES_MAX_LEN);
    while (!hr__scan_eof(&sc)) {
        long k = 0;
        double s = NAN;
        do {
            if ((rc = hr__scan_cell(&sc, &c, err)) < 0) goto out;
            if (k == col) {
                if ((rc = hr__cell_double(&sc, &c, &s, err)) < 0) goto out;
                if (!(s >= 0 && s <= 1)) {
                    char q[64];
                    hr__quote(q, sizeof q, c.s, c.len);
                    rc = hr_error_setpos(err, HR_EPARSE, name, c.line, c.col,
                                         "anomaly_score %s is outside [0, 1]", q);
                    goto out;
                }
            }
            k++;
        } while (c.end == HR__END_COMMA && k <= ncols);
        if (k != ncols) {
            rc = hr_error_setpos(err, HR_EPARSE, name, c.line, 1,
                                 "expected %ld cells as in the header, found %s%ld", ncols,
                                 k > ncols ? "more than " : "", k > ncols ? ncols : k);
            goto out;
        }
        if ((rc = hr_vec_push(&v, &s)) < 0) {
            rc = hr_error_setpos(err, rc, name, c.line, 1, "too many rows");
            goto out;
        }
    }
    if (v.len == 0) {
        rc = hr_error_setpos(err, HR_EPARSE, name, 2, 1, "no data rows after the header");
        goto out;
    }
    *scores = hr_vec_steal(&v, n);
out:
    hr_vec_release(&v);
    return rc;
}

int hr_nab_results_read(const char *path, double **scores, size_t *n, hr_error *err)
{
    char *buf;
    size_t len;
    int rc = hr_read_file(path, (size_t)1 << 30, &buf, &len, err);
    if (rc < 0) return rc;
    rc = hr_nab_results_parse(buf, len, path, scores, n, err);
    free(buf);
    return rc;
}
