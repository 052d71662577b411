/* Fuzz target: NAB's JSON inputs (labels and profiles) and the results CSV
 * on arbitrary bytes. Whatever loads is consistent; failures explain
 * themselves; everything is freed. */
#include <headroom/anomaly.h>

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    hr_error err = {0};
    hr_nab_labels *l = NULL;
    if (hr_nab_labels_parse(buf, size, "fuzz.json", &l, &err) == 0) {
        for (size_t i = 0; i < hr_nab_labels_count(l); i++) {
            const hr_nab_window *w;
            size_t nw = hr_nab_labels_windows(l, i, &w);
            for (size_t k = 0; k < nw; k++)
                if (w[k].end < w[k].start || (k > 0 && w[k].start <= w[k - 1].end)) abort();
            if (hr_nab_labels_find(l, hr_nab_labels_key(l, i)) < 0) abort();
        }
        hr_nab_labels_free(l);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    hr_nab_profile p[HR_NAB_MAX_PROFILES];
    err.msg[0] = '\0';
    int n = hr_nab_profiles_parse(buf, size, "fuzz.json", p, HR_NAB_MAX_PROFILES, &err);
    if (n == 0 || (n < 0 && err.msg[0] == '\0')) abort();
    double *s = NULL;
    size_t ns = 0;
    err.msg[0] = '\0';
    if (hr_nab_results_parse(buf, size, "fuzz.csv", &s, &ns, &err) == 0) {
        if (ns == 0) abort();
        for (size_t i = 0; i < ns; i++)
            if (!(s[i] >= 0 && s[i] <= 1)) abort();
        free(s);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    return 0;
}
