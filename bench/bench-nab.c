/* Throughput of the streaming detectors on NAB files: every file given is
 * read once (row reader), then each detector is fed every row of every file
 * (a fresh detector per file), repeated until about a second has passed.
 * Prints samples per second on one core and the state held per series.
 *   bench-nab FILE.csv...                                            */
#include <headroom/anomaly.h>
#include <headroom/series.h>
#include <headroom/util.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-nab FILE.csv...\n");
        return 2;
    }
    size_t nf = (size_t)argc - 1, total = 0;
    hr_csv_rows *rows = calloc(nf, sizeof *rows);
    if (!rows) return 1;
    for (size_t f = 0; f < nf; f++) {
        hr_error err = {0};
        if (hr_series_read_csv_rows(argv[f + 1], &rows[f], &err) < 0) {
            fprintf(stderr, "bench-nab: %s\n", hr_error_message(&err));
            return 1;
        }
        total += rows[f].len;
    }
    const char *names[16];
    size_t nd = hr_detector_list(names, NULL, 16);
    printf("%-10s %14s %12s %14s\n", "detector", "samples/s/core", "ns/sample", "state B/series");
    double sink = 0;
    for (size_t k = 0; k < nd && k < 16; k++) {
        size_t reps = 0, bytes = 0;
        double t0 = hr_clock_sec(), el;
        do {
            for (size_t f = 0; f < nf; f++) {
                hr_detector *d = NULL;
                if (hr_detector_new(names[k], NULL, &d, NULL) < 0) return 1;
                for (size_t i = 0; i < rows[f].len; i++) {
                    double s;
                    hr_detector_feed(d, rows[f].t[i], rows[f].values[i], &s, NULL);
                    sink += s;
                }
                bytes = hr_detector_state_bytes(d);
                hr_detector_free(d);
            }
            reps++;
            el = hr_clock_sec() - t0;
        } while (el < 1.0);
        double rate = (double)(reps * total) / el;
        printf("%-10s %14.0f %12.1f %14zu\n", names[k], rate, 1e9 / rate, bytes);
    }
    printf("(%zu files, %zu rows; checksum %.3f)\n", nf, total, sink);
    for (size_t f = 0; f < nf; f++) hr_csv_rows_release(&rows[f]);
    free(rows);
    return 0;
}
