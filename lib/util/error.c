/* Error codes and caller-owned error messages. */
#include <headroom/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

const char *hr_strerror(int code)
{
    switch (code) {
    case HR_OK:
        return "success";
    case HR_ENOMEM:
        return "out of memory";
    case HR_EINVAL:
        return "invalid argument";
    case HR_EPARSE:
        return "malformed input";
    case HR_EIO:
        return "input/output error";
    case HR_ERANGE:
        return "value out of range";
    case HR_ENOTFOUND:
        return "not found";
    case HR_EEXIST:
        return "already exists";
    case HR_ENOTSUP:
        return "operation not supported";
    case HR_ELIMIT:
        return "size limit reached";
    case HR_ECONVERGE:
        return "numerical method did not converge";
    case HR_ESTATE:
        return "object in the wrong state";
    case HR_EDATA:
        return "data unusable for this operation";
    case HR_ECANCELED:
        return "canceled";
    default:
        return "unknown error";
    }
}

HR_PRINTF(4, 0)
static void vset(hr_error *err, int code, const char *prefix, const char *fmt, va_list ap)
{
    size_t off = 0;
    err->code = code;
    if (prefix) {
        int n = snprintf(err->msg, sizeof err->msg, "%s", prefix);
        off = n < 0 ? 0 : (size_t)n < sizeof err->msg ? (size_t)n : sizeof err->msg - 1;
    }
    vsnprintf(err->msg + off, sizeof err->msg - off, fmt, ap);
}

int hr_error_set(hr_error *err, int code, const char *fmt, ...)
{
    if (!err) return code;
    va_list ap;
    va_start(ap, fmt);
    err->sys_errno = 0;
    vset(err, code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int hr_error_setpos(hr_error *err, int code, const char *name, long line, long col, const char *fmt,
                    ...)
{
    if (!err) return code;
    char prefix[300];
    if (line > 0 && col > 0)
        snprintf(prefix, sizeof prefix, "%s:%ld:%ld: ", name ? name : "<input>", line, col);
    else if (line > 0)
        snprintf(prefix, sizeof prefix, "%s:%ld: ", name ? name : "<input>", line);
    else
        snprintf(prefix, sizeof prefix, "%s: ", name ? name : "<input>");
    va_list ap;
    va_start(ap, fmt);
    err->sys_errno = 0;
    vset(err, code, prefix, fmt, ap);
    va_end(ap);
    return code;
}

void hr_error_prefix(hr_error *err, const char *fmt, ...)
{
    if (!err) return;
    char head[256], old[HR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    /* Concatenate by hand: "%s: %s" of two full buffers trips -Wformat-truncation. */
    const char *tail = old[0] ? old : hr_strerror(err->code);
    int n = snprintf(err->msg, sizeof err->msg, "%s: ", head);
    size_t off = n < 0 ? 0 : (size_t)n < sizeof err->msg ? (size_t)n : sizeof err->msg - 1;
    size_t tl = strlen(tail);
    if (tl > sizeof err->msg - 1 - off) tl = sizeof err->msg - 1 - off;
    memcpy(err->msg + off, tail, tl);
    err->msg[off + tl] = '\0';
}

const char *hr_error_message(const hr_error *err)
{
    if (!err) return "unknown error";
    return err->msg[0] ? err->msg : hr_strerror(err->code);
}
