/* ISO 8601 / Unix-seconds timestamps and the monotonic clock. */
#include <headroom/util.h>

#include <stdio.h>
#include <time.h>

#include "banned.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms", days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Exactly n digits at s[*i]; advances *i. */
static bool digits(const char *s, size_t len, size_t *i, int n, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9') return false;
        v = v * 10 + (unsigned)(s[*i] - '0');
    }
    *out = v;
    return true;
}

static bool all_digits_signed(const char *s, size_t len)
{
    size_t i = (len > 0 && s[0] == '-') ? 1 : 0;
    if (i == len) return false;
    for (; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* "Z", "+HH", "+HH:MM", "+HHMM" (or '-') at s[i..len); seconds east of UTC. */
static int parse_offset(const char *s, size_t len, size_t i, int64_t *off)
{
    if (i == len) {
        *off = 0;
        return 0;
    }
    if (s[i] == 'Z' || s[i] == 'z') {
        *off = 0;
        return i + 1 == len ? 0 : HR_EPARSE;
    }
    if (s[i] != '+' && s[i] != '-') return HR_EPARSE;
    int sign = s[i] == '-' ? -1 : 1;
    unsigned hh, mm = 0;
    i++;
    if (!digits(s, len, &i, 2, &hh)) return HR_EPARSE;
    if (i < len) {
        if (s[i] == ':') i++;
        if (!digits(s, len, &i, 2, &mm)) return HR_EPARSE;
    }
    if (i != len) return HR_EPARSE;
    if (hh > 23 || mm > 59) return HR_ERANGE;
    *off = sign * (int64_t)(hh * 3600 + mm * 60);
    return 0;
}

int hr_time_parse(const char *s, size_t len, int64_t *out_unix)
{
    if (!s || len == 0) return HR_EPARSE;
    if (all_digits_signed(s, len)) return hr_parse_int64(s, len, out_unix);

    size_t i = 0;
    unsigned y, mo, d, hh = 0, mi = 0, ss = 0;
    if (!digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' || !digits(s, len, &i, 2, &mo) ||
        i >= len || s[i++] != '-' || !digits(s, len, &i, 2, &d))
        return HR_EPARSE;
    if (i < len) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return HR_EPARSE;
        i++;
        if (!digits(s, len, &i, 2, &hh) || i >= len || s[i++] != ':' || !digits(s, len, &i, 2, &mi))
            return HR_EPARSE;
        if (i < len && s[i] == ':') {
            i++;
            if (!digits(s, len, &i, 2, &ss)) return HR_EPARSE;
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                size_t f = ++i;
                while (i < len && s[i] >= '0' && s[i] <= '9') i++;
                if (i == f) return HR_EPARSE; /* fraction needs a digit; truncated */
            }
        }
    }
    int64_t off;
    int rc = parse_offset(s, len, i, &off);
    if (rc < 0) return rc;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || hh > 23 || mi > 59 || ss > 59)
        return HR_ERANGE;
    int64_t t = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss;
    *out_unix = t - off;
    return 0;
}

int hr_time_format(int64_t t, char *buf, size_t size)
{
    /* 0000-01-01 .. 9999-12-31 23:59:59 */
    if (t < -62167219200LL || t > 253402300799LL) return HR_ERANGE;
    if (!buf || size < 20) return HR_EINVAL;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - days * 86400, y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, size, "%04d-%02u-%02u %02d:%02d:%02d", (int)y, m, d, (int)(sec / 3600),
                     (int)(sec / 60 % 60), (int)(sec % 60));
    return n;
}

uint64_t hr_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double hr_clock_sec(void)
{
    return (double)hr_clock_ns() * 1e-9;
}
