/* Checked, locale-independent number parsing. strtod_l/strtoll are used only
 * on a NUL-terminated copy of an exact span, with errno and end checks.
 * strtod follows LC_NUMERIC (a program that calls setlocale() with a locale
 * whose decimal point is ',' would read "12.5" as garbage), so doubles are
 * converted with strtod_l in the "C" locale. */
#include <headroom/util.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define NUM_MAX 128 /* longer spans are not numbers we accept */

static int copy_span(const char *s, size_t len, char *buf)
{
    if (!s || len == 0 || len >= NUM_MAX) return HR_EPARSE;
    memcpy(buf, s, len);
    buf[len] = '\0';
    /* strtod would skip leading space and accept hex, inf, nan: refuse. */
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return HR_EPARSE;
    }
    return 0;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

int hr_parse_double(const char *s, size_t len, double *out)
{
    char buf[NUM_MAX], *end;
    if (copy_span(s, len, buf) < 0) return HR_EPARSE;
    /* A digit is required before any exponent ("e5", "." and "-" are not numbers). */
    bool digit = false;
    for (size_t i = 0; i < len && buf[i] != 'e' && buf[i] != 'E'; i++)
        if (buf[i] >= '0' && buf[i] <= '9') digit = true;
    if (!digit) return HR_EPARSE;
    pthread_once(&c_locale_once, c_locale_init);
    if (!c_locale) return HR_ENOMEM;
    errno = 0;
    double v = strtod_l(buf, &end, c_locale);
    if (end != buf + len) return HR_EPARSE;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL)) return HR_ERANGE;
    if (!isfinite(v)) return HR_ERANGE;
    *out = v;
    return 0;
}

int hr_parse_int64(const char *s, size_t len, int64_t *out)
{
    char buf[NUM_MAX], *end;
    if (copy_span(s, len, buf) < 0) return HR_EPARSE;
    size_t i = (buf[0] == '-' || buf[0] == '+') ? 1 : 0;
    if (i == len) return HR_EPARSE;
    for (; i < len; i++)
        if (buf[i] < '0' || buf[i] > '9') return HR_EPARSE;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (end != buf + len) return HR_EPARSE;
    if (errno == ERANGE) return HR_ERANGE;
    *out = (int64_t)v;
    return 0;
}

int hr_parse_uint64(const char *s, size_t len, uint64_t *out)
{
    char buf[NUM_MAX], *end;
    if (copy_span(s, len, buf) < 0) return HR_EPARSE;
    for (size_t i = 0; i < len; i++)
        if (buf[i] < '0' || buf[i] > '9') return HR_EPARSE;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end != buf + len) return HR_EPARSE;
    if (errno == ERANGE) return HR_ERANGE;
    *out = (uint64_t)v;
    return 0;
}

int hr_parse_double_z(const char *s, double *out)
{
    return s ? hr_parse_double(s, strlen(s), out) : HR_EPARSE;
}

int hr_parse_int64_z(const char *s, int64_t *out)
{
    return s ? hr_parse_int64(s, strlen(s), out) : HR_EPARSE;
}
