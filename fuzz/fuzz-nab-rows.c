/* Fuzz target: the row-oriented NAB reader on arbitrary bytes. Rows are
 * non-decreasing and their timestamp text parses back to their time. */
#include <headroom/series.h>
#include <headroom/util.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hr_csv_rows r = {0};
    hr_error err = {0};
    if (hr_series_parse_csv_rows((const char *)data, size, "fuzz.csv", &r, &err) == 0) {
        if (r.len == 0) abort();
        for (size_t i = 0; i < r.len; i++) {
            int64_t t;
            const char *s = hr_csv_rows_time_text(&r, i);
            if (!isfinite(r.values[i]) || (i > 0 && r.t[i] < r.t[i - 1])) abort();
            if (hr_time_parse(s, strlen(s), &t) < 0 || t != r.t[i]) abort();
        }
        hr_csv_rows_release(&r);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    return 0;
}
