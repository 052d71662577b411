/* tc driver: HTB egress trees, ifb + mirred for ingress, u32 classification.
 * tc runs through posix_spawn with a batch on stdin; see act.h for why. */
#include "act/internal.h"

#include <headroom/util.h>

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define TC_TIMEOUT_MS 20000
#define DEFAULT_MINOR 0xfff0u

static bool ifname_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
            return false;
    return true;
}

static bool nsname_ok(const char *s)
{
    if (!*s) return true;
    if (strlen(s) > 63 || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, "..")) return false;
    for (; *s; s++)
        if (*s <= ' ' || *s == '\'' || *s == '"') return false;
    return true;
}

/* "a.b.c.d" or "a.b.c.d/len". */
static bool addr_ok(const char *s)
{
    int parts = 0;
    const char *p = s;
    for (;;) {
        int v = 0, k = 0;
        while (*p >= '0' && *p <= '9' && k < 4) v = v * 10 + (*p++ - '0'), k++;
        if (!k || v > 255) return false;
        if (++parts == 4) break;
        if (*p++ != '.') return false;
    }
    if (*p == '/') {
        p++;
        int v = 0, k = 0;
        while (*p >= '0' && *p <= '9' && k < 3) v = v * 10 + (*p++ - '0'), k++;
        if (!k || v > 32) return false;
    }
    return *p == 0;
}

static void ifb_name(const char *dev, char *buf, size_t size)
{
    snprintf(buf, size, "ifb-%.11s", dev);
}

static int check_spec(const hr_tc_spec *s, hr_error *err)
{
    if (!ifname_ok(s->dev))
        return hr_error_set(err, HR_EINVAL, "tc: \"%s\" is not an interface name", s->dev);
    if (!nsname_ok(s->netns))
        return hr_error_set(err, HR_EINVAL, "tc: \"%s\" is not a namespace name", s->netns);
    if (s->link_bps < 8000 || s->link_bps > INT64_C(1) << 45)
        return hr_error_set(err, HR_EINVAL, "tc: link rate %lld bit/s out of range",
                            (long long)s->link_bps);
    if (s->nclasses > HR_TC_MAX_CLASSES)
        return hr_error_set(err, HR_ELIMIT, "tc: more than %d classes", HR_TC_MAX_CLASSES);
    for (size_t i = 0; i < s->nclasses; i++) {
        const hr_tc_class *c = &s->classes[i];
        if (c->minor < 2 || c->minor >= DEFAULT_MINOR)
            return hr_error_set(err, HR_EINVAL, "tc: class \"%s\": minor %u outside 2..0xffef",
                                c->name, c->minor);
        for (size_t k = 0; k < i; k++)
            if (s->classes[k].minor == c->minor)
                return hr_error_set(err, HR_EINVAL, "tc: minor %u used twice", c->minor);
        if (c->rate_bps < 8 || c->ceil_bps < c->rate_bps || c->ceil_bps > s->link_bps)
            return hr_error_set(
                err, HR_EINVAL, "tc: class \"%s\": need 8 <= rate %lld <= ceil %lld <= link %lld",
                c->name, (long long)c->rate_bps, (long long)c->ceil_bps, (long long)s->link_bps);
        if (c->prio < 0 || c->prio > 7)
            return hr_error_set(err, HR_EINVAL, "tc: class \"%s\": prio %d outside 0..7", c->name,
                                c->prio);
        if (c->match[0] && !addr_ok(c->match))
            return hr_error_set(err, HR_EINVAL, "tc: class \"%s\": \"%s\" is not an IPv4 prefix",
                                c->name, c->match);
    }
    return 0;
}

/* Run `tc [-n ns] ARGS...` or `tc [-n ns] -batch -` with `batch`. */
static int tc(const char *prog, const char *netns, const char *const *args, const char *batch,
              char *out, size_t outsize, hr_error *err)
{
    const char *argv[24];
    size_t n = 0;
    argv[n++] = prog;
    if (netns && *netns) {
        argv[n++] = "-n";
        argv[n++] = netns;
    }
    for (size_t i = 0; args[i] && n < 22; i++) argv[n++] = args[i];
    argv[n] = NULL;
    char errbuf[1024];
    int rc = hr__run(argv, batch, out, outsize, errbuf, sizeof errbuf, TC_TIMEOUT_MS, err);
    if (rc < 0) return rc;
    if (rc != 0) {
        errbuf[strcspn(errbuf, "\n")] = 0;
        return hr_error_set(err, HR_EIO, "%s%s%s %s: %s", prog, netns && *netns ? " -n " : "",
                            netns && *netns ? netns : "", args[0], errbuf[0] ? errbuf : "failed");
    }
    return 0;
}

/* Append to a growable batch. */
typedef struct buf {
    char *p;
    size_t len, cap;
    bool oom;
} buf;

static void addf(buf *b, const char *fmt, ...) HR_PRINTF(2, 3);
static void addf(buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = b->p ? vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap) : -1;
        va_end(ap);
        if (n >= 0 && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 4096;
        char *np = nc <= ((size_t)64 << 20) ? realloc(b->p, nc) : NULL;
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

/* quantum = rate / 8 / 10 bytes, kept within [MTU, 200000] so the kernel
 * does not warn. */
static int64_t quantum(int64_t bps)
{
    int64_t q = bps / 80;
    return q < 1514 ? 1514 : q > 200000 ? 200000 : q;
}

static void tree(buf *b, const hr_tc_spec *s, const char *dev, const char *dir)
{
    addf(b, "qdisc add dev %s root handle 1: htb default %x\n", dev, DEFAULT_MINOR);
    addf(b, "class add dev %s parent 1: classid 1:1 htb rate %lldbit ceil %lldbit quantum %lld\n",
         dev, (long long)s->link_bps, (long long)s->link_bps, (long long)quantum(s->link_bps));
    int64_t used = 0;
    for (size_t i = 0; i < s->nclasses; i++) used += s->classes[i].rate_bps;
    int64_t def = s->link_bps - used > 8000 ? s->link_bps - used : 8000;
    addf(b,
         "class add dev %s parent 1:1 classid 1:%x htb rate %lldbit ceil %lldbit prio 7"
         " quantum %lld\n",
         dev, DEFAULT_MINOR, (long long)def, (long long)s->link_bps, (long long)quantum(def));
    for (size_t i = 0; i < s->nclasses; i++) {
        const hr_tc_class *c = &s->classes[i];
        addf(b,
             "class add dev %s parent 1:1 classid 1:%x htb rate %lldbit ceil %lldbit prio %d"
             " quantum %lld\n",
             dev, c->minor, (long long)c->rate_bps, (long long)c->ceil_bps, c->prio,
             (long long)quantum(c->rate_bps));
        if (c->match[0])
            addf(b,
                 "filter add dev %s parent 1: protocol ip prio 1 u32 match ip %s %s flowid 1:%x\n",
                 dev, dir, c->match, c->minor);
    }
}

int hr_tc_clear(const char *netns, const char *dev, bool ingress, hr_error *err)
{
    if (!dev || !ifname_ok(dev) || !netns || !nsname_ok(netns))
        return hr_error_set(err, HR_EINVAL, "tc: bad device or namespace");
    char ifb[16];
    ifb_name(dev, ifb, sizeof ifb);
    /* Errors mean there was nothing to remove. */
    if (ingress) {
        const char *a1[] = {"qdisc", "del", "dev", dev, "handle", "ffff:", "ingress", NULL};
        tc("tc", netns, a1, NULL, NULL, 0, NULL);
        const char *a2[] = {"link", "del", ifb, NULL};
        tc("ip", netns, a2, NULL, NULL, 0, NULL);
    } else {
        const char *a1[] = {"qdisc", "del", "dev", dev, "root", NULL};
        tc("tc", netns, a1, NULL, NULL, 0, NULL);
    }
    return 0;
}

int hr_tc_apply(const hr_tc_spec *s, hr_error *err)
{
    if (!s) return hr_error_set(err, HR_EINVAL, "tc: no spec");
    int rc = check_spec(s, err);
    if (rc) return rc;
    if ((rc = hr_tc_clear(s->netns, s->dev, s->ingress, err))) return rc;
    char ifb[16];
    ifb_name(s->dev, ifb, sizeof ifb);
    const char *shaped = s->dev;
    buf b = {0};
    if (s->ingress) {
        const char *add[] = {"link", "add", ifb, "type", "ifb", NULL};
        const char *up[] = {"link", "set", ifb, "up", NULL};
        if ((rc = tc("ip", s->netns, add, NULL, NULL, 0, err)) ||
            (rc = tc("ip", s->netns, up, NULL, NULL, 0, err)))
            return rc;
        addf(&b, "qdisc add dev %s handle ffff: ingress\n", s->dev);
        addf(&b,
             "filter add dev %s parent ffff: protocol all prio 1 u32 match u32 0 0"
             " action mirred egress redirect dev %s\n",
             s->dev, ifb);
        shaped = ifb;
    }
    tree(&b, s, shaped, s->ingress ? "dst" : "src");
    if (b.oom) {
        free(b.p);
        return hr_error_set(err, HR_ENOMEM, "tc: out of memory");
    }
    const char *args[] = {"-batch", "-", NULL};
    rc = tc("tc", s->netns, args, b.p, NULL, 0, err);
    free(b.p);
    return rc;
}

/* "20Mbit", "1600bit", "1Gbit", "12345Kbit" -> bits/s. */
static int parse_rate(const char *t, int64_t *out)
{
    static const struct {
        const char *suf;
        double mul;
    } sx[] = {{"Tbit", 1e12}, {"Gbit", 1e9}, {"Mbit", 1e6}, {"Kbit", 1e3}, {"bit", 1}};
    size_t n = strlen(t);
    for (size_t i = 0; i < sizeof sx / sizeof sx[0]; i++) {
        size_t k = strlen(sx[i].suf);
        if (n > k && !strcmp(t + n - k, sx[i].suf)) {
            double v;
            if (hr_parse_double(t, n - k, &v) || v < 0) return -1;
            *out = (int64_t)(v * sx[i].mul + 0.5);
            return 0;
        }
    }
    return -1;
}

static uint32_t parse_hex(const char *s, bool *ok)
{
    uint32_t v = 0;
    size_t k = 0;
    for (; s[k] && k < 8; k++) {
        char c = s[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) break;
        v = v * 16 + (uint32_t)d;
    }
    *ok = k > 0 && s[k] == 0;
    return v;
}

int hr_tc_parse_classes(const char *text, hr_tc_class *out, size_t max, size_t *n)
{
    size_t cnt = 0;
    const char *line = text;
    while (line && *line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char l[512];
        snprintf(l, sizeof l, "%.*s", (int)(len < sizeof l - 1 ? len : sizeof l - 1), line);
        line = eol ? eol + 1 : NULL;
        /* class htb 1:a parent 1:1 prio 2 rate 20Mbit ceil 40Mbit ... */
        char *tok[32];
        size_t nt = 0;
        for (char *p = l; *p && nt < 32;) {
            while (*p == ' ') *p++ = 0;
            if (!*p) break;
            tok[nt++] = p;
            while (*p && *p != ' ') p++;
        }
        if (nt < 3 || strcmp(tok[0], "class") || strcmp(tok[1], "htb")) continue;
        const char *colon = strchr(tok[2], ':');
        if (!colon || strncmp(tok[2], "1:", 2)) continue;
        bool ok;
        hr_tc_class c = {.prio = 0};
        c.minor = parse_hex(colon + 1, &ok);
        if (!ok) return HR_EPARSE;
        for (size_t i = 3; i + 1 < nt; i++) {
            if (!strcmp(tok[i], "rate") && parse_rate(tok[i + 1], &c.rate_bps)) return HR_EPARSE;
            if (!strcmp(tok[i], "ceil") && parse_rate(tok[i + 1], &c.ceil_bps)) return HR_EPARSE;
            if (!strcmp(tok[i], "prio")) {
                int64_t p;
                if (hr_parse_int64_z(tok[i + 1], &p) || p < 0 || p > 7) return HR_EPARSE;
                c.prio = (int32_t)p;
            }
        }
        if (cnt < max) out[cnt] = c;
        cnt++;
    }
    *n = cnt < max ? cnt : max;
    return 0;
}

int hr_tc_read(const char *netns, const char *dev, bool ingress, hr_tc_class *out, size_t max,
               size_t *n, hr_error *err)
{
    if (!dev || !ifname_ok(dev) || !netns || !nsname_ok(netns) || !n)
        return hr_error_set(err, HR_EINVAL, "tc: bad device or namespace");
    char ifb[16];
    ifb_name(dev, ifb, sizeof ifb);
    const char *args[] = {"class", "show", "dev", ingress ? ifb : dev, NULL};
    size_t size = 256 * (max + 4);
    char *text = malloc(size);
    if (!text) return hr_error_set(err, HR_ENOMEM, "tc: out of memory");
    int rc = tc("tc", netns, args, NULL, text, size, err);
    if (!rc && hr_tc_parse_classes(text, out, max, n))
        rc = hr_error_set(err, HR_EPARSE, "tc class show dev %s: unexpected output", dev);
    free(text);
    return rc;
}

/* ---- JSON and the driver --------------------------------------------------------------- */

static int str_into(json_t *o, const char *k, char *dst, size_t size, bool required)
{
    json_t *v = json_object_get(o, k);
    if (!v) return required ? -1 : 0;
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= size) return -1;
    snprintf(dst, size, "%s", s);
    return 0;
}

static int int_of(json_t *o, const char *k, int64_t *out, bool required)
{
    json_t *v = json_object_get(o, k);
    if (!v) return required ? -1 : 0;
    if (!json_is_integer(v)) return -1;
    *out = json_integer_value(v);
    return 0;
}

int hr_tc_spec_from_json(const char *json, hr_tc_spec *out, hr_error *err)
{
    json_error_t je;
    json_t *o = json_loads(json ? json : "", JSON_REJECT_DUPLICATES, &je);
    hr_tc_spec s = {.link_bps = 0};
    int rc = 0;
    if (!json_is_object(o)) {
        rc = hr_error_set(err, HR_EPARSE, "tc params: %d:%d: %s", je.line, je.column,
                          o ? "expected an object" : je.text);
        goto out;
    }
    json_t *cl = json_object_get(o, "classes");
    if (str_into(o, "dev", s.dev, sizeof s.dev, true) ||
        str_into(o, "netns", s.netns, sizeof s.netns, false) ||
        int_of(o, "link_bps", &s.link_bps, true) || (cl && !json_is_array(cl))) {
        rc = hr_error_set(err, HR_EPARSE, "tc params: need dev, link_bps and a classes list");
        goto out;
    }
    json_t *ing = json_object_get(o, "ingress");
    s.ingress = json_is_true(ing);
    size_t n = json_array_size(cl);
    if (n > HR_TC_MAX_CLASSES) {
        rc = hr_error_set(err, HR_ELIMIT, "tc params: more than %d classes", HR_TC_MAX_CLASSES);
        goto out;
    }
    s.classes = calloc(n ? n : 1, sizeof *s.classes);
    if (!s.classes) {
        rc = hr_error_set(err, HR_ENOMEM, "tc: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(cl, i);
        hr_tc_class *k = &s.classes[i];
        int64_t minor = 0, prio = 0;
        if (!json_is_object(c) || str_into(c, "name", k->name, sizeof k->name, false) ||
            int_of(c, "minor", &minor, true) || int_of(c, "rate_bps", &k->rate_bps, true) ||
            int_of(c, "ceil_bps", &k->ceil_bps, true) || int_of(c, "prio", &prio, false) ||
            str_into(c, "match", k->match, sizeof k->match, false) || minor < 0 || minor > 0xffff ||
            prio < 0 || prio > 7) {
            rc = hr_error_set(err, HR_EPARSE, "tc params: classes[%zu]: bad class", i);
            goto out;
        }
        k->minor = (uint32_t)minor;
        k->prio = (int32_t)prio;
    }
    s.nclasses = n;
out:
    json_decref(o);
    if (rc) {
        free(s.classes);
        return rc;
    }
    *out = s;
    return 0;
}

char *hr_tc_spec_to_json(const hr_tc_spec *s)
{
    json_t *o = json_object(), *cl = json_array();
    if (!o || !cl) {
        json_decref(o);
        json_decref(cl);
        return NULL;
    }
    json_object_set_new(o, "dev", json_string(s->dev));
    if (s->netns[0]) json_object_set_new(o, "netns", json_string(s->netns));
    json_object_set_new(o, "link_bps", json_integer(s->link_bps));
    if (s->ingress) json_object_set_new(o, "ingress", json_true());
    for (size_t i = 0; i < s->nclasses; i++) {
        const hr_tc_class *c = &s->classes[i];
        json_t *x = json_object();
        json_object_set_new(x, "name", json_string(c->name));
        json_object_set_new(x, "minor", json_integer(c->minor));
        json_object_set_new(x, "rate_bps", json_integer(c->rate_bps));
        json_object_set_new(x, "ceil_bps", json_integer(c->ceil_bps));
        json_object_set_new(x, "prio", json_integer(c->prio));
        if (c->match[0]) json_object_set_new(x, "match", json_string(c->match));
        json_array_append_new(cl, x);
    }
    json_object_set_new(o, "classes", cl);
    char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return txt;
}

static int tc_validate(void *ud, const hr_action *a, hr_error *err)
{
    hr_tc_spec s;
    int rc = hr_tc_spec_from_json(a->params, &s, err);
    if (rc) return rc;
    rc = check_spec(&s, err);
    free(s.classes);
    return rc;
}

static int tc_apply(void *ud, hr_action *a, hr_error *err)
{
    hr_tc_spec s;
    int rc = hr_tc_spec_from_json(a->params, &s, err);
    if (!rc) rc = hr_tc_apply(&s, err);
    free(s.classes);
    return rc ? rc : HR_ACT_DONE;
}

static bool close_to(int64_t want, int64_t got)
{
    double d = (double)(want > got ? want - got : got - want);
    return d <= 0.01 * (double)want + 1000;
}

static int tc_poll(void *ud, hr_action *a, hr_error *err)
{
    hr_tc_spec s;
    int rc = hr_tc_spec_from_json(a->params, &s, err);
    if (rc) return rc;
    hr_tc_class *got = calloc(s.nclasses + 2, sizeof *got);
    size_t n = 0;
    if (!got) rc = hr_error_set(err, HR_ENOMEM, "tc: out of memory");
    if (!rc && hr_tc_read(s.netns, s.dev, s.ingress, got, s.nclasses + 2, &n, NULL) != 0)
        rc = HR_ACT_PENDING; /* no tree (or no ifb) yet */
    if (!rc) {
        rc = n == s.nclasses + 2 ? HR_ACT_DONE : HR_ACT_PENDING;
        for (size_t i = 0; i < s.nclasses && rc == HR_ACT_DONE; i++) {
            bool found = false;
            for (size_t k = 0; k < n; k++)
                if (got[k].minor == s.classes[i].minor &&
                    close_to(s.classes[i].rate_bps, got[k].rate_bps) &&
                    close_to(s.classes[i].ceil_bps, got[k].ceil_bps) &&
                    got[k].prio == s.classes[i].prio)
                    found = true;
            if (!found) rc = HR_ACT_PENDING;
        }
    }
    free(got);
    free(s.classes);
    return rc;
}

static int tc_undo(void *ud, hr_action *a, hr_error *err)
{
    hr_tc_spec s;
    int rc = hr_tc_spec_from_json(a->params, &s, err);
    if (rc) return rc;
    rc = hr_tc_clear(s.netns, s.dev, s.ingress, err);
    free(s.classes);
    return rc;
}

hr_act_driver hr_tc_driver(void)
{
    hr_act_driver d = {
        .kind = "tc", .validate = tc_validate, .apply = tc_apply, .poll = tc_poll, .undo = tc_undo};
    return d;
}
