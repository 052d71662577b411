/* Fuzz target: the ROADEF assignment reader on the subject's worked
 * example; an assignment that reads is checked, and a valid one is
 * improved by a few hundred solver iterations, which must give a valid
 * assignment no worse than it. */
#include <headroom/plan.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char example[] = "2\n1 100\n0  10\n4\n0 0 30 400 16  80 0 1 4 5\n"
                              "0 0 10 240  8 160 1 0 3 4\n1 1 15 100 12  80 4 3 0 2\n"
                              "1 2 10 100  8  80 5 4 2 0\n2\n2 0\n1 1 0\n3\n0 12  10 1000\n"
                              "0 10  20  100\n1  6 200    1\n1\n0 1 20 10\n1 10 100\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hr_roadef *in = NULL;
    hr_error err = {0};
    if (hr_roadef_parse_model(example, strlen(example), "example", &in, &err) < 0) abort();
    int32_t *a = NULL;
    if (hr_roadef_parse_assignment(in, (const char *)data, size, "fuzz", &a, &err) < 0) {
        if (!err.msg[0]) abort();
        hr_roadef_free(in);
        return 0;
    }
    hr_roadef_report rep;
    int n = hr_roadef_check(in, a, a, &rep, &err);
    if (n < 0) abort();
    int64_t before = rep.cost.total;
    hr_roadef_report_release(&rep);
    if (n == 0) {
        int32_t *m0 = malloc(3 * sizeof *m0), *b = malloc(3 * sizeof *b);
        if (!m0 || !b) abort();
        memcpy(m0, a, 3 * sizeof *m0);
        memcpy(b, a, 3 * sizeof *b);
        hr_roadef_opts o = {.seed = 7, .max_iters = 300};
        hr_roadef_cost c;
        if (hr_roadef_solve(in, m0, b, &o, &c, NULL, &err) < 0) abort();
        if (c.total > before) abort();
        if (hr_roadef_check(in, m0, b, &rep, &err) != 0 || rep.cost.total != c.total) abort();
        hr_roadef_report_release(&rep);
        free(m0);
        free(b);
    }
    free(a);
    hr_roadef_free(in);
    return 0;
}
