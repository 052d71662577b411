/* headroom/error.h - error codes and error messages.
 *
 * Every library function that can fail returns int: 0 (or a count) on
 * success, a negative HR_E* code on failure. Out-parameters are written only
 * on success. Functions that can say more take an `hr_error *err` (which may
 * be NULL): on failure they fill it with a message that names the offending
 * input and its position, e.g.
 *
 *     trace.csv:17:12: value "12,5" is not a number
 *
 * The library never prints and never exits; the caller says it once.
 */
#ifndef HEADROOM_ERROR_H
#define HEADROOM_ERROR_H

#include "common.h"

enum hr_errcode {
    HR_OK = 0,
    HR_ENOMEM = -1,     /* out of memory */
    HR_EINVAL = -2,     /* invalid argument */
    HR_EPARSE = -3,     /* malformed input */
    HR_EIO = -4,        /* I/O error (errno in hr_error.sys_errno) */
    HR_ERANGE = -5,     /* value out of range / overflow */
    HR_ENOTFOUND = -6,  /* no such item */
    HR_EEXIST = -7,     /* item already exists */
    HR_ENOTSUP = -8,    /* operation not supported by this object */
    HR_ELIMIT = -9,     /* a configured size limit was reached */
    HR_ECONVERGE = -10, /* numerical method failed to converge */
    HR_ESTATE = -11,    /* object in the wrong state (e.g. not fitted) */
    HR_EDATA = -12,     /* data unusable for this operation (too short, all NaN) */
    HR_ECANCELED = -13, /* canceled by the caller */
};

#define HR_ERROR_MSG_MAX 512

/* A caller-owned error report. Zero-initialise it (`hr_error err = {0};`). */
typedef struct hr_error {
    int code;                   /* last HR_E* code, 0 if none */
    int sys_errno;              /* errno for HR_EIO, else 0 */
    char msg[HR_ERROR_MSG_MAX]; /* "file:line:col: what" or "what" */
} hr_error;

/* Static description of an error code ("out of memory"); never NULL. */
HR_EXPORT const char *hr_strerror(int code);

/* Fill `err` (if non-NULL) with `code` and a formatted message; returns
 * `code` so that callers can `return hr_error_set(err, HR_EINVAL, ...)`. */
HR_EXPORT int hr_error_set(hr_error *err, int code, const char *fmt, ...) HR_PRINTF(3, 4);

/* As hr_error_set, prefixing the position: "name:line:col: ". `line` and
 * `col` are 1-based; pass 0 to omit them. */
HR_EXPORT int hr_error_setpos(hr_error *err, int code, const char *name, long line, long col,
                              const char *fmt, ...) HR_PRINTF(6, 7);

/* Prefix an existing message with "context: " (e.g. the series id). */
HR_EXPORT void hr_error_prefix(hr_error *err, const char *fmt, ...) HR_PRINTF(2, 3);

/* The message, or hr_strerror(code) when no message was set. */
HR_EXPORT const char *hr_error_message(const hr_error *err);

#endif
