/* A small QMP client on jansson: connect with retries, capabilities, one
 * command at a time, events counted by name. */
#include "act/internal.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/banned.h"

#define MAX_EVENT_NAMES 32

struct hr_qmp {
    int fd;
    char path[256];
    char *buf; /* unread bytes */
    size_t len, cap;
    struct {
        char name[48];
        size_t count;
    } ev[MAX_EVENT_NAMES];
    size_t nev;
};

int hr_qmp_parse(const char *msg, size_t len, hr_qmp_kind *kind, char *name, size_t name_size,
                 hr_error *err)
{
    json_error_t je;
    json_t *o = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    if (name && name_size) name[0] = 0;
    if (!json_is_object(o)) {
        rc = hr_error_set(err, HR_EPARSE, "QMP: %d:%d: %s", je.line, je.column,
                          o ? "not an object" : je.text);
    } else if (json_object_get(o, "QMP")) {
        *kind = HR_QMP_GREETING;
    } else if (json_object_get(o, "return")) {
        *kind = HR_QMP_RETURN;
    } else if (json_is_object(json_object_get(o, "error"))) {
        const char *cls = json_string_value(json_object_get(json_object_get(o, "error"), "class"));
        if (!cls)
            rc = hr_error_set(err, HR_EPARSE, "QMP: error without a class");
        else if (name)
            snprintf(name, name_size, "%s", cls);
        *kind = HR_QMP_ERROR;
    } else if (json_is_string(json_object_get(o, "event"))) {
        if (name) snprintf(name, name_size, "%s", json_string_value(json_object_get(o, "event")));
        *kind = HR_QMP_EVENT;
    } else {
        rc = hr_error_set(err, HR_EPARSE, "QMP: a message that is no greeting, reply or event");
    }
    json_decref(o);
    return rc;
}

static void count_event(hr_qmp *q, json_t *o)
{
    const char *n = json_string_value(json_object_get(o, "event"));
    if (!n) return;
    for (size_t i = 0; i < q->nev; i++)
        if (!strcmp(q->ev[i].name, n)) {
            q->ev[i].count++;
            return;
        }
    if (q->nev < MAX_EVENT_NAMES) {
        snprintf(q->ev[q->nev].name, sizeof q->ev[q->nev].name, "%s", n);
        q->ev[q->nev++].count = 1;
    }
}

size_t hr_qmp_event_count(const hr_qmp *q, const char *name)
{
    for (size_t i = 0; q && i < q->nev; i++)
        if (!strcmp(q->ev[i].name, name)) return q->ev[i].count;
    return 0;
}

/* Next message (one line) as a jansson object, waiting until `deadline`. */
static int read_msg(hr_qmp *q, int64_t deadline, json_t **out, hr_error *err)
{
    for (;;) {
        char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - q->buf) + 1;
            json_error_t je;
            json_t *o = json_loadb(q->buf, n, 0, &je);
            memmove(q->buf, q->buf + n, q->len - n);
            q->len -= n;
            if (!json_is_object(o)) {
                json_decref(o);
                return hr_error_set(err, HR_EIO, "%s: malformed QMP message: %s", q->path, je.text);
            }
            *out = o;
            return 0;
        }
        if (q->len >= HR_QMP_MAX_MSG)
            return hr_error_set(err, HR_ELIMIT, "%s: QMP message over %zu bytes", q->path,
                                HR_QMP_MAX_MSG);
        int64_t left = deadline - hr__mono_ms();
        if (left <= 0) return hr_error_set(err, HR_EIO, "%s: no QMP reply in time", q->path);
        struct pollfd p = {.fd = q->fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
        if (r < 0 && errno != EINTR)
            return hr_error_set(err, HR_EIO, "%s: poll: %s", q->path, strerror(errno));
        if (r <= 0) continue;
        if (q->cap - q->len < 4096) {
            size_t nc = q->cap ? q->cap * 2 : 8192;
            char *nb = realloc(q->buf, nc);
            if (!nb) return hr_error_set(err, HR_ENOMEM, "QMP: out of memory");
            q->buf = nb;
            q->cap = nc;
        }
        ssize_t got = read(q->fd, q->buf + q->len, q->cap - q->len);
        if (got == 0) return hr_error_set(err, HR_EIO, "%s: QEMU closed the QMP socket", q->path);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return hr_error_set(err, HR_EIO, "%s: read: %s", q->path, strerror(errno));
        }
        q->len += (size_t)got;
    }
}

static int send_all(hr_qmp *q, const char *s, hr_error *err)
{
    size_t n = strlen(s), off = 0;
    while (off < n) {
        ssize_t w = send(q->fd, s + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return hr_error_set(err, HR_EIO, "%s: write: %s", q->path, strerror(errno));
        off += (size_t)w;
    }
    return 0;
}

int hr_qmp_exec(hr_qmp *q, const char *cmd, const char *args_json, char **ret, int64_t timeout_ms,
                hr_error *err)
{
    if (!q || !cmd) return hr_error_set(err, HR_EINVAL, "QMP: no command");
    json_t *args = NULL;
    if (args_json) {
        json_error_t je;
        args = json_loads(args_json, 0, &je);
        if (!json_is_object(args)) {
            json_decref(args);
            return hr_error_set(err, HR_EINVAL, "QMP %s: arguments are not an object", cmd);
        }
    }
    json_t *m = json_object();
    json_object_set_new(m, "execute", json_string(cmd));
    if (args) json_object_set_new(m, "arguments", args);
    char *txt = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    if (!txt) return hr_error_set(err, HR_ENOMEM, "QMP: out of memory");
    size_t tl = strlen(txt);
    char *line = malloc(tl + 2);
    if (!line) {
        free(txt);
        return hr_error_set(err, HR_ENOMEM, "QMP: out of memory");
    }
    memcpy(line, txt, tl);
    line[tl] = '\n';
    line[tl + 1] = 0;
    free(txt);
    int rc = send_all(q, line, err);
    free(line);
    int64_t deadline = hr__mono_ms() + (timeout_ms > 0 ? timeout_ms : 10000);
    while (!rc) {
        json_t *o = NULL;
        if ((rc = read_msg(q, deadline, &o, err))) break;
        if (json_object_get(o, "event")) {
            count_event(q, o);
            json_decref(o);
            continue;
        }
        json_t *e = json_object_get(o, "error");
        if (e) {
            rc = hr_error_set(err, HR_EIO, "QMP %s: %s: %s", cmd,
                              json_string_value(json_object_get(e, "class")),
                              json_string_value(json_object_get(e, "desc")));
        } else if (ret) {
            *ret = json_dumps(json_object_get(o, "return"), JSON_COMPACT | JSON_ENCODE_ANY);
            if (!*ret) rc = hr_error_set(err, HR_ENOMEM, "QMP: out of memory");
        }
        json_decref(o);
        break;
    }
    return rc;
}

int hr_qmp_connect(const char *path, int64_t timeout_ms, hr_qmp **out, hr_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!path || strlen(path) >= sizeof sa.sun_path)
        return hr_error_set(err, HR_EINVAL, "QMP: socket path \"%s\" too long", path ? path : "");
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    hr_qmp *q = calloc(1, sizeof *q);
    if (!q) return hr_error_set(err, HR_ENOMEM, "QMP: out of memory");
    snprintf(q->path, sizeof q->path, "%s", path);
    int64_t deadline = hr__mono_ms() + timeout_ms;
    int e = 0;
    for (;;) {
        q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (q->fd >= 0 && connect(q->fd, (struct sockaddr *)&sa, sizeof sa) == 0) break;
        e = errno;
        if (q->fd >= 0) close(q->fd);
        q->fd = -1;
        if (hr__mono_ms() >= deadline) {
            free(q);
            return hr_error_set(err, HR_EIO, "unreachable QMP socket %s: %s", path, strerror(e));
        }
        hr__sleep_ms(20);
    }
    json_t *g = NULL;
    int rc = read_msg(q, hr__mono_ms() + (timeout_ms > 2000 ? timeout_ms : 2000), &g, err);
    if (!rc && !json_object_get(g, "QMP"))
        rc = hr_error_set(err, HR_EIO, "%s: no QMP greeting", path);
    json_decref(g);
    if (!rc) rc = hr_qmp_exec(q, "qmp_capabilities", NULL, NULL, 5000, err);
    if (rc) {
        hr_qmp_close(q);
        return rc;
    }
    *out = q;
    return 0;
}

void hr_qmp_close(hr_qmp *q)
{
    if (!q) return;
    if (q->fd >= 0) close(q->fd);
    free(q->buf);
    free(q);
}
