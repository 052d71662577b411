/* Anomaly detection in the daemon (anomaly.h): a detector per series, fed
 * by passes of the alerts thread, anomalies stored with their reason,
 * suppressed by annotations, raised as alerts of kind "anomaly". */
#include "daemon/anomaly.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SAMPLES 10000 /* samples per read */
#define PAGE_SERIES  500   /* series names per listing */
#define RECS_MAX     1024  /* anomalies held before a commit */
/* Series of a page and anomalies are committed together: one fsync per
 * page of series, none for series without new samples. */

/* What is kept per series. */
typedef struct sstate {
    hr_detector *det;
    int64_t cursor;       /* newest timestamp fed; INT64_MIN before any */
    int64_t last_alert_t; /* newest alerting anomaly; INT64_MIN: none open */
} sstate;

/* An annotation held for a pass. */
typedef struct annot {
    int64_t start, end;
    char *series; /* NULL: every series */
    char text[HR_SUPPRESS_TEXT_MAX];
} annot;

typedef struct settings {
    char detector[64];
    char match[128];
    double threshold;
    int64_t replay_sec, window_sec, settle_sec;
    size_t max_series;
} settings;

struct hrd_anomaly {
    hrd_store *store;
    pthread_mutex_t mu; /* guards set and the counters */
    settings set;
    hrd_anomaly_stats st;
    bool full_logged; /* the max_series message, once */
    hr_map states;    /* series -> sstate* */
    hr_vec annots;    /* annot, reloaded every pass */
    /* what the pass has judged since its last commit */
    hrd_anomaly_rec *recs;
    size_t nrec;
    hrd_anomaly_mark marks[PAGE_SERIES + 1];
    size_t nmark;
};

static const char *str_or(const char *s, const char *def)
{
    return s ? s : def;
}

static settings settings_of(const hrd_config *c)
{
    settings s = {.threshold = c->anomaly_threshold,
                  .replay_sec = c->anomaly_replay_sec,
                  .window_sec = c->anomaly_alert_window_sec,
                  .settle_sec = c->anomaly_settle_sec,
                  .max_series = c->anomaly_max_series};
    snprintf(s.detector, sizeof s.detector, "%s", c->anomaly_detector);
    snprintf(s.match, sizeof s.match, "%s", c->anomaly_match);
    return s;
}

static int check_detector(const char *name, hr_error *err)
{
    hr_detector *d = NULL;
    int rc = hr_detector_new(name, NULL, &d, err);
    hr_detector_free(d);
    if (rc < 0) hr_error_prefix(err, "anomaly.detector");
    return rc;
}

int hrd_anomaly_new(hrd_store *st, const hrd_config *c, hrd_anomaly **out, hr_error *err)
{
    int rc = check_detector(c->anomaly_detector, err);
    if (rc < 0) return rc;
    if ((rc = hrd_anomaly_schema(st, err)) < 0) return rc;
    hrd_anomaly *a = calloc(1, sizeof *a);
    hrd_anomaly_rec *recs = calloc(RECS_MAX, sizeof *recs);
    if (!a || !recs) {
        free(a);
        free(recs);
        return hr_error_set(err, HR_ENOMEM, "anomaly: out of memory");
    }
    a->store = st;
    a->recs = recs;
    a->set = settings_of(c);
    pthread_mutex_init(&a->mu, NULL);
    hr_map_init(&a->states, a->set.max_series);
    hr_vec_init(&a->annots, sizeof(annot), HR_SUPPRESS_MAX);
    *out = a;
    return 0;
}

void hrd_anomaly_reload(hrd_anomaly *a, const hrd_config *c)
{
    hr_error err = {0};
    if (check_detector(c->anomaly_detector, &err) < 0) {
        fprintf(stderr, "headroom: reload: %s (the detector stays %s)\n", err.msg, a->set.detector);
        return;
    }
    pthread_mutex_lock(&a->mu);
    size_t max = a->set.max_series;
    a->set = settings_of(c);
    a->set.max_series = max;
    pthread_mutex_unlock(&a->mu);
}

void hrd_anomaly_get_stats(hrd_anomaly *a, hrd_anomaly_stats *st)
{
    pthread_mutex_lock(&a->mu);
    *st = a->st;
    pthread_mutex_unlock(&a->mu);
}

static void annots_clear(hr_vec *v)
{
    for (size_t i = 0; i < v->len; i++) free(((annot *)hr_vec_at(v, i))->series);
    v->len = 0;
}

static int free_state(const char *key, void *value, void *ud)
{
    (void)key, (void)ud;
    sstate *s = value;
    hr_detector_free(s->det);
    free(s);
    return 0;
}

void hrd_anomaly_free(hrd_anomaly *a)
{
    if (!a) return;
    hr_map_foreach(&a->states, free_state, NULL);
    hr_map_release(&a->states);
    annots_clear(&a->annots);
    hr_vec_release(&a->annots);
    pthread_mutex_destroy(&a->mu);
    free(a->recs);
    free(a);
}

/* ---- annotations: the stored ones and the loop's moves ------------------------------ */

/* New journal entries of applied plans become annotations of the moved
 * workloads' series, [at, at + settle]. */
static int journal_moves(hrd_anomaly *a, const settings *set, hr_error *err)
{
    int64_t after = 0;
    int rc = hrd_anomaly_cursor(a->store, "", &after, err);
    if (rc < 0 && rc != HR_ENOTFOUND) return rc;
    for (;;) {
        json_t *page = NULL;
        if ((rc = hrd_journal_list(a->store, after, 500, &page, err)) < 0) return rc;
        size_t n = json_array_size(page);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(page, i);
            after = (int64_t)json_integer_value(json_object_get(e, "id"));
            if (strcmp(str_or(json_string_value(json_object_get(e, "kind")), ""), "plan")) continue;
            json_t *body = json_object_get(e, "body"), *acts = json_object_get(body, "actions");
            int64_t at = (int64_t)json_integer_value(json_object_get(e, "at"));
            for (size_t k = 0; k < json_array_size(acts); k++) {
                json_t *act = json_array_get(acts, k), *wl = NULL;
                const char *w = json_string_value(json_object_get(act, "workload"));
                if (!w || hrd_obj_get(a->store, "workloads", w, &wl, NULL) < 0) continue;
                const char *series = json_string_value(json_object_get(wl, "series"));
                char text[HR_SUPPRESS_TEXT_MAX];
                snprintf(text, sizeof text, "loop: plan %" PRId64 " %s %s",
                         (int64_t)json_integer_value(json_object_get(body, "id")),
                         str_or(json_string_value(json_object_get(act, "kind")), "move"), w);
                if (series &&
                    hrd_annotation_add(a->store, at, at + set->settle_sec, series, text, err) < 0) {
                    json_decref(wl);
                    json_decref(page);
                    return HR_EIO;
                }
                json_decref(wl);
            }
        }
        json_decref(page);
        hrd_anomaly_mark m = {"", after};
        if (n > 0 && (rc = hrd_anomaly_commit(a->store, NULL, 0, &m, 1, err)) < 0) return rc;
        if (n < 500) return 0;
    }
}

static int min_cursor(const char *key, void *value, void *ud)
{
    (void)key;
    const sstate *s = value;
    int64_t *m = ud;
    if (s->cursor < *m) *m = s->cursor;
    return 0;
}

/* The annotations that can still cover a sample to judge: those ending at
 * or after the oldest cursor (every one while a series has none yet), the
 * newest HR_SUPPRESS_MAX of them. */
static int load_annots(hrd_anomaly *a, hr_error *err)
{
    annots_clear(&a->annots);
    int64_t since = a->states.len ? INT64_MAX : INT64_MIN;
    hr_map_foreach(&a->states, min_cursor, &since);
    json_t *page = NULL;
    int rc = hrd_annotation_active(a->store, since, HR_SUPPRESS_MAX, &page, err);
    if (rc < 0) return rc;
    for (size_t i = 0; i < json_array_size(page); i++) {
        json_t *o = json_array_get(page, i);
        const char *ser = json_string_value(json_object_get(o, "series"));
        annot an = {.start = (int64_t)json_integer_value(json_object_get(o, "start")),
                    .end = (int64_t)json_integer_value(json_object_get(o, "end")),
                    .series = ser ? strdup(ser) : NULL};
        snprintf(an.text, sizeof an.text, "%s",
                 str_or(json_string_value(json_object_get(o, "text")), ""));
        if ((ser && !an.series) || hr_vec_push(&a->annots, &an) < 0) free(an.series);
    }
    json_decref(page);
    return 0;
}

/* The text of an annotation of `series` (or of all) covering t, copied
 * into out; false when none does. */
static bool suppressed_by(const hrd_anomaly *a, const char *series, int64_t t, char *out,
                          size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < a->annots.len; i++) {
        const annot *an = hr_vec_at(&a->annots, i);
        n += (!an->series || !strcmp(an->series, series)) && t >= an->start && t <= an->end;
    }
    if (!n) return false;
    hr_suppressor *s = NULL;
    if (hr_suppress_new(n, &s) < 0) return false;
    for (size_t i = 0; i < a->annots.len; i++) {
        const annot *an = hr_vec_at(&a->annots, i);
        if ((!an->series || !strcmp(an->series, series)) && t >= an->start && t <= an->end)
            hr_suppress_add_window(s, an->start, an->end, an->text[0] ? an->text : "-");
    }
    hr_anomaly_reason r = {0};
    bool hit = hr_suppress_apply(s, t, &r);
    if (hit) snprintf(out, size, "%s", r.suppressed);
    hr_suppress_free(s);
    return hit;
}

/* ---- detection ---------------------------------------------------------------------- */

static void reason_text(const hr_anomaly_reason *w, char *out, size_t size)
{
    if (!strcmp(w->detector, "range") && isfinite(w->lo))
        snprintf(out, size,
                 "range: %.6g is beyond the range seen so far, widened by 10 %% [%.6g, %.6g]",
                 w->observed, w->lo, w->hi);
    else if (isfinite(w->expected) && isfinite(w->lo))
        snprintf(out, size, "%s: %.6g where %.6g was expected, interval [%.6g, %.6g]%s",
                 w->detector, w->observed, w->expected, w->lo, w->hi,
                 !strcmp(w->detector, "cusum") ? " (a level shift)" : "");
    else
        snprintf(out, size, "%s: %.6g scored %.3f", w->detector, w->observed, w->score);
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* Raise (or refresh) the series' anomaly alert for `r`: a new one when the
 * previous alerting anomaly is window_sec or more older. */
static void alert(hrd_anomaly *a, const settings *set, const char *series, sstate *s,
                  const hrd_anomaly_rec *r)
{
    hr_error err = {0};
    if (s->last_alert_t != INT64_MIN && r->t - s->last_alert_t >= set->window_sec &&
        hrd_alert_resolve(a->store, "anomaly", series, &err) > 0)
        fprintf(stderr, "headroom: alert resolved: anomaly %s\n", series);
    json_t *body = json_pack("{s:s, s:I, s:f, s:o, s:o, s:[o, o], s:s, s:s}", "series", series,
                             "time", (json_int_t)r->t, "score", r->score, "observed",
                             num(r->observed), "expected", num(r->expected), "interval", num(r->lo),
                             num(r->hi), "detector", r->detector, "reason", r->reason);
    bool fresh = false;
    if (!body || hrd_alert_raise(a->store, "anomaly", series, body, &fresh, &err) < 0)
        fprintf(stderr, "headroom: alert anomaly %s: %s\n", series,
                body ? err.msg : "out of memory");
    else if (fresh)
        fprintf(stderr, "headroom: alert opened: anomaly %s\n", series);
    json_decref(body);
    s->last_alert_t = r->t;
}

/* Alert for the anomalies recs[first..]: a run of them closer than the
 * window to each other is one alert, written when it opens and with its
 * last anomaly (each write is a synchronous commit). */
static void alert_run(hrd_anomaly *a, const settings *set, const char *series, sstate *s,
                      size_t first)
{
    for (size_t i = first; i < a->nrec; i++) {
        const hrd_anomaly_rec *r = &a->recs[i];
        if (r->suppressed[0]) continue;
        size_t j = i + 1;
        while (j < a->nrec && a->recs[j].suppressed[0]) j++;
        bool opens = s->last_alert_t == INT64_MIN || r->t - s->last_alert_t >= set->window_sec;
        bool ends = j == a->nrec || a->recs[j].t - r->t >= set->window_sec;
        if (opens || ends)
            alert(a, set, series, s, r);
        else
            s->last_alert_t = r->t;
    }
}

/* Feed samples to the detector; with `judge`, keep the anomalies in
 * a->recs, stopping when it is full. Returns the samples consumed. */
static size_t feed(hrd_anomaly *a, const settings *set, const char *series, sstate *s,
                   const int64_t *t, const double *v, size_t n, bool judge)
{
    size_t i = 0;
    for (; i < n && !(judge && a->nrec == RECS_MAX); i++) {
        if (t[i] <= s->cursor && s->cursor != INT64_MIN) continue;
        double score = 0;
        hr_anomaly_reason why = {0};
        if (hr_detector_feed(s->det, t[i], v[i], &score, &why) < 0) continue;
        s->cursor = t[i];
        if (!judge || !(score >= set->threshold)) continue;
        hrd_anomaly_rec *r = &a->recs[a->nrec++];
        if (!why.detector) why.detector = "?";
        *r = (hrd_anomaly_rec){.series = series,
                               .t = t[i],
                               .score = score,
                               .observed = why.observed,
                               .expected = why.expected,
                               .lo = why.lo,
                               .hi = why.hi,
                               .detector = why.detector};
        reason_text(&why, r->reason, sizeof r->reason);
        suppressed_by(a, series, t[i], r->suppressed, sizeof r->suppressed);
    }
    return i;
}

/* Commit the anomalies and cursors held. */
static int flush(hrd_anomaly *a, hr_error *err)
{
    int rc = hrd_anomaly_commit(a->store, a->recs, a->nrec, a->marks, a->nmark, err);
    pthread_mutex_lock(&a->mu);
    if (rc == 0) a->st.found += a->nrec;
    pthread_mutex_unlock(&a->mu);
    a->nrec = a->nmark = 0;
    return rc;
}

/* Hold the new cursor of `series` (its mark is the last one while it is fed). */
static void mark(hrd_anomaly *a, const char *series, int64_t t)
{
    if (a->nmark && a->marks[a->nmark - 1].key == series)
        a->marks[a->nmark - 1].t = t;
    else
        a->marks[a->nmark++] = (hrd_anomaly_mark){series, t};
}

/* The state of `series`, created (and, after a restart, rebuilt by
 * re-feeding replay_sec before its cursor) on first use. NULL when the
 * series cannot be followed now (gone, or out of memory: logged). */
static sstate *state_of(hrd_anomaly *a, const settings *set, const char *series, hr_error *err)
{
    sstate *s = hr_map_get(&a->states, series);
    if (s) return s;
    if (set->max_series && a->states.len >= set->max_series) {
        if (!a->full_logged)
            fprintf(stderr,
                    "headroom: anomaly detection follows %zu series (anomaly.max_series);"
                    " %s and others are not followed\n",
                    set->max_series, series);
        a->full_logged = true;
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cursor = s->last_alert_t = INT64_MIN;
    int64_t cur;
    if (hr_detector_new(set->detector, NULL, &s->det, err) < 0 ||
        hr_map_put(&a->states, series, s, NULL) < 0) {
        hr_detector_free(s->det);
        free(s);
        return NULL;
    }
    pthread_mutex_lock(&a->mu);
    a->st.series++;
    pthread_mutex_unlock(&a->mu);
    if (hrd_anomaly_cursor(a->store, series, &cur, NULL) == 0) {
        int64_t last;
        if (hrd_anomaly_last_alerted(a->store, series, &last, NULL) == 0) s->last_alert_t = last;
        int64_t from = cur > INT64_MIN + set->replay_sec ? cur - set->replay_sec : INT64_MIN;
        hr_vec t, v;
        hr_vec_init(&t, sizeof(int64_t), 0);
        hr_vec_init(&v, sizeof(double), 0);
        bool more = true;
        while (more && from <= cur) {
            t.len = v.len = 0;
            if (hrd_store_read(a->store, series, from, cur, PAGE_SAMPLES, &t, &v, &more, NULL) <
                    0 ||
                !t.len)
                break;
            (void)feed(a, set, series, s, t.data, v.data, t.len, false);
            from = ((int64_t *)t.data)[t.len - 1] + 1;
        }
        hr_vec_release(&t);
        hr_vec_release(&v);
        s->cursor = cur; /* samples up to the cursor were judged before the restart */
    }
    return s;
}

/* Feed `series` (valid until the next flush) its new samples. Returns
 * anomalies found or an error. */
static int follow(hrd_anomaly *a, const settings *set, const char *series, size_t *budget,
                  bool *more_budget, hr_error *err)
{
    sstate *s = state_of(a, set, series, err);
    if (!s) return 0;
    hr_vec t, v;
    hr_vec_init(&t, sizeof(int64_t), 0);
    hr_vec_init(&v, sizeof(double), 0);
    int found = 0, rc = 0;
    for (bool more = true; more && rc == 0;) {
        if (*budget == 0) {
            *more_budget = true;
            break;
        }
        size_t lim = *budget < PAGE_SAMPLES ? *budget : PAGE_SAMPLES;
        int64_t from = s->cursor == INT64_MIN ? INT64_MIN : s->cursor + 1;
        t.len = v.len = 0;
        rc = hrd_store_read(a->store, series, from, INT64_MAX, lim, &t, &v, &more, err);
        if (rc == HR_ENOTFOUND) {
            rc = 0;
            break;
        }
        if (rc < 0 || !t.len) break;
        size_t first = a->nrec;
        size_t used = feed(a, set, series, s, t.data, v.data, t.len, true);
        /* alerts first: a crash before the commit judges these samples
         * again, and an open alert is only refreshed, not sent again */
        alert_run(a, set, series, s, first);
        found += (int)(a->nrec - first);
        *budget -= used < *budget ? used : *budget;
        mark(a, series, s->cursor);
        if (used < t.len) { /* a->recs is full: commit, then go on */
            more = true;
            rc = flush(a, err);
        }
        pthread_mutex_lock(&a->mu);
        a->st.samples += used;
        pthread_mutex_unlock(&a->mu);
    }
    hr_vec_release(&t);
    hr_vec_release(&v);
    /* a quiet window after the last alerting anomaly resolves its alert */
    if (rc == 0 && s->last_alert_t != INT64_MIN && s->cursor - s->last_alert_t >= set->window_sec) {
        if (hrd_alert_resolve(a->store, "anomaly", series, NULL) > 0)
            fprintf(stderr, "headroom: alert resolved: anomaly %s\n", series);
        s->last_alert_t = INT64_MIN;
    }
    return rc < 0 ? rc : found;
}

int hrd_anomaly_pass(hrd_anomaly *a, size_t budget, bool *more, hr_error *err)
{
    double t0 = hr_clock_sec();
    pthread_mutex_lock(&a->mu);
    settings set = a->set;
    pthread_mutex_unlock(&a->mu);
    *more = false;
    int rc = journal_moves(a, &set, err);
    if (rc == 0) rc = load_annots(a, err);
    char after[HRD_SERIES_NAME_MAX + 1] = "";
    int found = 0;
    while (rc == 0) {
        json_t *page = NULL;
        if ((rc = hrd_store_list_series(a->store, after, PAGE_SERIES, &page, err)) < 0) break;
        size_t n = json_array_size(page);
        for (size_t i = 0; i < n && rc >= 0; i++) {
            const char *name = json_string_value(json_object_get(json_array_get(page, i), "name"));
            if (!name || fnmatch(set.match, name, 0) != 0) continue;
            rc = follow(a, &set, name, &budget, more, err);
            if (rc > 0) found += rc, rc = 0;
            snprintf(after, sizeof after, "%s", name);
        }
        /* before the names go, and after a failure too: the detectors
         * of the series done so far have moved on */
        int frc = flush(a, rc < 0 ? NULL : err);
        if (rc >= 0) rc = frc;
        json_decref(page);
        if (n < PAGE_SERIES) break;
    }
    pthread_mutex_lock(&a->mu);
    a->st.passes++;
    a->st.pass_seconds += hr_clock_sec() - t0;
    pthread_mutex_unlock(&a->mu);
    return rc < 0 ? rc : found;
}
