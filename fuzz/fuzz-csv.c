/* Fuzz target: the NAB reader on arbitrary bytes. A parsed series must be
 * regular and consistent; everything is freed. */
#include <headroom/series.h>

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hr_series s;
    hr_error err = {0};
    if (hr_series_parse_csv((const char *)data, size, "fuzz.csv", &s, &err) == 0) {
        if (s.len < 2 || s.step <= 0 || s.len > s.cap || isnan(s.values[0]) ||
            isnan(s.values[s.len - 1]))
            abort();
        hr_series_release(&s);
    } else if (err.msg[0] == '\0') {
        abort(); /* every failure explains itself */
    }
    return 0;
}
