/* Fuzz target: hr_time_parse. Any accepted calendar time that formats must
 * round-trip through hr_time_format. */
#include <headroom/util.h>

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t t;
    if (hr_time_parse((const char *)data, size, &t) != 0) return 0;
    char buf[32];
    int n = hr_time_format(t, buf, sizeof buf);
    if (n < 0) {
        if (n != HR_ERANGE) abort();
        return 0;
    }
    int64_t back;
    if (n != 19 || hr_time_parse(buf, (size_t)n, &back) != 0 || back != t) abort();
    return 0;
}
