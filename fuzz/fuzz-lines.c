/* Fuzz target: the PlanetLab one-number-per-line reader. */
#include <headroom/series.h>

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hr_series s;
    hr_error err = {0};
    if (hr_series_parse_lines((const char *)data, size, "fuzz", 0, 300, &s, &err) == 0) {
        if (s.len == 0 || s.len > size) abort();
        for (size_t i = 0; i < s.len; i++)
            if (!isfinite(s.values[i])) abort();
        hr_series_release(&s);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    return 0;
}
