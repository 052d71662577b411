/* Fuzz target: the ROADEF model reader, then the checker and the lower
 * bound on what loads (every process on machine 0, moved to machine
 * nmach - 1). */
#include <headroom/plan.h>

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hr_roadef *in = NULL;
    hr_error err = {0};
    if (hr_roadef_parse_model((const char *)data, size, "fuzz", &in, &err) < 0) {
        if (!err.msg[0]) abort(); /* every failure explains itself */
        return 0;
    }
    if (in->nproc > 100000 || in->nmach > 1000) {
        hr_roadef_free(in);
        return 0;
    }
    int32_t *m0 = calloc((size_t)in->nproc, sizeof *m0), *a = calloc((size_t)in->nproc, sizeof *a);
    if (!m0 || !a) abort();
    for (int32_t p = 0; p < in->nproc; p++) a[p] = in->nmach - 1;
    hr_roadef_report rep;
    int n = hr_roadef_check(in, m0, a, &rep, &err);
    if (n < 0) abort();
    if (rep.nkept > rep.nviol) abort();
    hr_roadef_report_release(&rep);
    (void)hr_roadef_lower_bound(in);
    free(m0);
    free(a);
    hr_roadef_free(in);
    return 0;
}
