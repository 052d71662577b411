/* Fuzz target: the M4 wide-CSV reader. Parsed sets have unique, non-empty
 * ids and finite values; everything is freed. */
#include <headroom/series.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hr_series_set set;
    hr_error err = {0};
    if (hr_m4_parse((const char *)data, size, "fuzz.csv", &set, &err) == 0) {
        if (set.len == 0) abort();
        for (size_t i = 0; i < set.len; i++) {
            const hr_series *s = &set.items[i];
            if (!s->name || s->len == 0 || s->step != 0) abort();
            if (hr_series_set_find(&set, s->name) != (int)i) abort();
            for (size_t j = 0; j < s->len; j++)
                if (!isfinite(s->values[j])) abort();
        }
        hr_series_set_release(&set);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    return 0;
}
