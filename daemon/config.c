/* The daemon's configuration: embedded defaults, then a YAML file (libyaml
 * events; nested mappings become dotted keys), then command-line flags. */
#include "daemon/server.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

void hrd_config_defaults(hrd_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    snprintf(c->data, sizeof c->data, "./headroom-data");
    c->max_body_bytes = 16u << 20;
    c->max_connections = 512;
    c->chunk_samples = 120;
    c->raw_retention_sec = 30 * 86400;
    c->hourly_retention_sec = 400 * 86400;
    c->max_series = 1000000;
    c->forecast_history = 4032; /* two weeks of 5-minute samples */
    c->loop_interval_sec = 300;
    snprintf(c->loop_driver, sizeof c->loop_driver, "sim");
    snprintf(c->loop_cgroup_parent, sizeof c->loop_cgroup_parent, "headroom");
    snprintf(c->loop_dry_run, sizeof c->loop_dry_run, "false");
    c->alerts_interval_sec = 60;
    c->alerts_horizon = 12;
    c->alerts_min_points = 20;
    c->alerts_tolerance = 0.15;
    /* the ensemble at its NAB operating point (standard profile, 28 files) */
    snprintf(c->anomaly_detector, sizeof c->anomaly_detector, "ensemble");
    snprintf(c->anomaly_match, sizeof c->anomaly_match, "*");
    c->anomaly_max_series = 20000; /* about 80 MB of detector state */
    c->anomaly_threshold = 0.55;
    c->anomaly_interval_sec = 10;
    c->anomaly_replay_sec = 7 * 86400;
    c->anomaly_alert_window_sec = 3600;
    c->anomaly_settle_sec = 900;
}

int hrd_parse_duration(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n == 0) return HR_EPARSE;
    int64_t mul = 1;
    switch (s[n - 1]) {
    case 's':
        mul = 1, n--;
        break;
    case 'm':
        mul = 60, n--;
        break;
    case 'h':
        mul = 3600, n--;
        break;
    case 'd':
        mul = 86400, n--;
        break;
    default:
        break;
    }
    int64_t v;
    if (hr_parse_int64(s, n, &v) < 0 || v < 0 || v > INT64_MAX / mul) return HR_EPARSE;
    *out = v * mul;
    return 0;
}

typedef struct ckey {
    const char *key;
    enum { K_STR, K_SIZE, K_DUR, K_DURF, K_DOUBLE } type;
    size_t off, size;
    double max;
} ckey;

#define F(field) offsetof(hrd_config, field), sizeof(((hrd_config *)0)->field)
static const ckey keys[] = {
    {"listen", K_STR, F(listen), 0},
    {"data", K_STR, F(data), 0},
    {"threads", K_SIZE, F(threads), 256},
    {"max_connections", K_SIZE, F(max_connections), 100000},
    {"max_body_bytes", K_SIZE, F(max_body_bytes), 1 << 30},
    {"rate_limit_rps", K_DOUBLE, F(rate_limit_rps), 1e9},
    {"forecast_history", K_SIZE, F(forecast_history), 1000000},
    {"storage.chunk_samples", K_SIZE, F(chunk_samples), 65535},
    {"storage.raw_retention", K_DUR, F(raw_retention_sec), 0},
    {"storage.hourly_retention", K_DUR, F(hourly_retention_sec), 0},
    {"storage.max_series", K_SIZE, F(max_series), 100000000},
    {"tls.cert", K_STR, F(tls_cert), 0},
    {"tls.key", K_STR, F(tls_key), 0},
    {"loop.interval", K_DURF, F(loop_interval_sec), 0},
    {"loop.driver", K_STR, F(loop_driver), 0},
    {"loop.sim_step", K_DURF, F(loop_sim_step_sec), 0},
    {"loop.journal", K_STR, F(loop_journal), 0},
    {"loop.cgroup_parent", K_STR, F(loop_cgroup_parent), 0},
    {"loop.dry_run", K_STR, F(loop_dry_run), 0},
    {"alerts.interval", K_DURF, F(alerts_interval_sec), 0},
    {"alerts.horizon", K_SIZE, F(alerts_horizon), 10000},
    {"alerts.webhook", K_STR, F(alerts_webhook), 0},
    {"alerts.min_points", K_SIZE, F(alerts_min_points), 100000},
    {"alerts.tolerance", K_DOUBLE, F(alerts_tolerance), 1},
    /* anomaly detection, webhook signing, per-token rate limit */
    {"anomaly.detector", K_STR, F(anomaly_detector), 0},
    {"anomaly.match", K_STR, F(anomaly_match), 0},
    {"anomaly.max_series", K_SIZE, F(anomaly_max_series), 10000000},
    {"anomaly.threshold", K_DOUBLE, F(anomaly_threshold), 1},
    {"anomaly.interval", K_DURF, F(anomaly_interval_sec), 0},
    {"anomaly.replay", K_DUR, F(anomaly_replay_sec), 0},
    {"anomaly.alert_window", K_DUR, F(anomaly_alert_window_sec), 0},
    {"anomaly.settle", K_DUR, F(anomaly_settle_sec), 0},
    {"alerts.webhook_secret", K_STR, F(alerts_webhook_secret), 0},
    {"rate_limit.per_token_rps", K_DOUBLE, F(rate_limit_token_rps), 1e9},
    {"rate_limit.per_token_burst", K_DOUBLE, F(rate_limit_token_burst), 1e9},
};

/* Unknown keys are reported at the key (km), bad values at the value (vm). */
static int set_key(hrd_config *c, const char *path, const char *key, const char *val,
                   const yaml_mark_t *km, const yaml_mark_t *m, hr_error *err)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const ckey *k = &keys[i];
        if (strcmp(k->key, key)) continue;
        char *p = (char *)c + k->off;
        uint64_t u;
        double d;
        int64_t dur;
        switch (k->type) {
        case K_STR:
            if (strlen(val) >= k->size) break;
            memcpy(p, val, strlen(val) + 1);
            return 0;
        case K_SIZE:
            if (hr_parse_uint64(val, strlen(val), &u) < 0 || u > (uint64_t)k->max) break;
            memcpy(p, &(size_t){(size_t)u}, sizeof(size_t)); /* at offsetof a size_t */
            return 0;
        case K_DOUBLE:
            if (hr_parse_double(val, strlen(val), &d) < 0 || d < 0 || d > k->max) break;
            memcpy(p, &d, sizeof d);
            return 0;
        case K_DUR:
        case K_DURF:
            if (hrd_parse_duration(val, &dur) < 0) break;
            if (k->type == K_DURF)
                memcpy(p, &(double){(double)dur}, sizeof(double));
            else
                memcpy(p, &dur, sizeof dur);
            return 0;
        }
        return hr_error_setpos(err, HR_EINVAL, path, (long)m->line + 1, (long)m->column + 1,
                               "%s: bad value \"%.60s\"", key, val);
    }
    return hr_error_setpos(err, HR_EINVAL, path, (long)km->line + 1, (long)km->column + 1,
                           "unknown key \"%.60s\"", key);
}

static bool job_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 64) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* One key of a `scrape:` entry. */
static int set_scrape(hrd_scrape_target *t, size_t idx, const char *path, const char *key,
                      const char *val, const yaml_mark_t *m, hr_error *err)
{
    int64_t d;
    if (!strcmp(key, "url")) {
        if ((strncmp(val, "http://", 7) && strncmp(val, "https://", 8)) ||
            strlen(val) >= sizeof t->url)
            goto bad;
        memcpy(t->url, val, strlen(val) + 1);
    } else if (!strcmp(key, "job")) {
        if (!job_ok(val)) goto bad;
        memcpy(t->job, val, strlen(val) + 1);
    } else if (!strcmp(key, "token")) {
        if (strlen(val) >= sizeof t->token) goto bad;
        memcpy(t->token, val, strlen(val) + 1);
    } else if (!strcmp(key, "interval")) {
        if (hrd_parse_duration(val, &d) < 0 || d < 1 || d > 86400) goto bad;
        t->interval_sec = (double)d;
    } else {
        return hr_error_setpos(err, HR_EINVAL, path, (long)m->line + 1, (long)m->column + 1,
                               "scrape[%zu]: unknown key \"%.60s\"", idx, key);
    }
    return 0;
bad:
    return hr_error_setpos(err, HR_EINVAL, path, (long)m->line + 1, (long)m->column + 1,
                           "scrape[%zu].%s: bad value \"%.60s\"", idx, key, val);
}

/* Events inside the `scrape:` sequence; *in_seq drops to false at its end. */
static int scrape_event(hrd_config *c, const yaml_event_t *ev, const char *path, bool *in_seq,
                        bool *in_item, bool *want_key, char *ikey, yaml_mark_t *imark,
                        hr_error *err)
{
    const yaml_mark_t *m = &ev->start_mark;
    hrd_scrape_target *t = c->nscrape ? &c->scrape[c->nscrape - 1] : NULL;
    switch (ev->type) {
    case YAML_SEQUENCE_END_EVENT:
        *in_seq = false;
        return 0;
    case YAML_MAPPING_START_EVENT:
        if (*in_item) break;
        if (c->nscrape == HRD_MAX_SCRAPE)
            return hr_error_setpos(err, HR_ELIMIT, path, (long)m->line + 1, (long)m->column + 1,
                                   "scrape: more than %d targets", HRD_MAX_SCRAPE);
        t = &c->scrape[c->nscrape++];
        memset(t, 0, sizeof *t);
        snprintf(t->job, sizeof t->job, "scrape%zu", c->nscrape - 1);
        t->interval_sec = 15;
        *imark = *m;
        *in_item = true;
        *want_key = true;
        return 0;
    case YAML_MAPPING_END_EVENT:
        *in_item = false;
        if (!t->url[0])
            return hr_error_setpos(err, HR_EINVAL, path, (long)imark->line + 1,
                                   (long)imark->column + 1, "scrape[%zu]: url is required",
                                   c->nscrape - 1);
        return 0;
    case YAML_SCALAR_EVENT:
        if (!*in_item) break;
        if (*want_key) {
            snprintf(ikey, 64, "%s", (const char *)ev->data.scalar.value);
            *want_key = false;
            return 0;
        }
        *want_key = true;
        return set_scrape(t, c->nscrape - 1, path, ikey, (const char *)ev->data.scalar.value, m,
                          err);
    default:
        break;
    }
    return hr_error_setpos(err, HR_EPARSE, path, (long)m->line + 1, (long)m->column + 1,
                           "scrape: a list of mappings (url, job, token, interval) is expected");
}

int hrd_config_load(const char *path, hrd_config *out, hr_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = hr_read_file(path, 1 << 20, &text, &len, err);
    if (rc < 0) return rc;
    hrd_config c = *out;
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    char prefix[4][64];
    int depth = -1; /* mapping nesting */
    bool want_key[4] = {true, true, true, true};
    char key[4][64] = {{0}};
    yaml_mark_t kmark[4];
    bool in_seq = false, in_item = false, iwant = true;
    char ikey[64] = "";
    yaml_mark_t imark = {0};
    for (bool done = false; !done && rc == 0;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = hr_error_setpos(err, HR_EPARSE, path, (long)p.problem_mark.line + 1,
                                 (long)p.problem_mark.column + 1, "%s",
                                 p.problem ? p.problem : "YAML syntax error");
            break;
        }
        if (in_seq) {
            rc = scrape_event(&c, &ev, path, &in_seq, &in_item, &iwant, ikey, &imark, err);
            if (!in_seq) want_key[0] = true;
            yaml_event_delete(&ev);
            continue;
        }
        switch (ev.type) {
        case YAML_MAPPING_START_EVENT:
            if (depth >= 0 && want_key[depth]) {
                rc = hr_error_setpos(err, HR_EPARSE, path, (long)ev.start_mark.line + 1,
                                     (long)ev.start_mark.column + 1, "a mapping cannot be a key");
                break;
            }
            if (depth == 3) {
                rc = hr_error_setpos(err, HR_EPARSE, path, (long)ev.start_mark.line + 1,
                                     (long)ev.start_mark.column + 1, "nested too deeply");
                break;
            }
            if (depth >= 0) {
                /* prefix[depth+1] = prefix[depth] + key[depth] + "." */
                size_t a = strlen(prefix[depth]), b = strlen(key[depth]);
                if (a + b + 2 > sizeof prefix[0]) {
                    rc = hr_error_setpos(err, HR_EPARSE, path, (long)ev.start_mark.line + 1,
                                         (long)ev.start_mark.column + 1, "key path too long");
                    break;
                }
                memmove(prefix[depth + 1], prefix[depth], a);
                memcpy(prefix[depth + 1] + a, key[depth], b);
                memcpy(prefix[depth + 1] + a + b, ".", 2);
            } else {
                prefix[0][0] = 0;
            }
            depth++;
            want_key[depth] = true;
            break;
        case YAML_MAPPING_END_EVENT:
            depth--;
            if (depth >= 0) want_key[depth] = true;
            break;
        case YAML_SCALAR_EVENT: {
            const char *v = (const char *)ev.data.scalar.value;
            if (depth < 0) {
                rc = hr_error_setpos(err, HR_EPARSE, path, (long)ev.start_mark.line + 1,
                                     (long)ev.start_mark.column + 1,
                                     "the configuration must be a mapping");
            } else if (want_key[depth]) {
                snprintf(key[depth], sizeof key[0], "%s", v);
                kmark[depth] = ev.start_mark;
                want_key[depth] = false;
            } else {
                char full[200];
                snprintf(full, sizeof full, "%s%s", prefix[depth], key[depth]);
                rc = set_key(&c, path, full, v, &kmark[depth], &ev.start_mark, err);
                want_key[depth] = true;
            }
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
            if (depth == 0 && !want_key[0] && !strcmp(key[0], "scrape")) {
                in_seq = true;
                c.nscrape = 0;
                break;
            }
            rc = hr_error_setpos(err, HR_EPARSE, path, (long)ev.start_mark.line + 1,
                                 (long)ev.start_mark.column + 1, "%s: lists are not supported",
                                 depth >= 0 ? key[depth] : "");
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    free(text);
    if (rc == 0) *out = c;
    return rc;
}
