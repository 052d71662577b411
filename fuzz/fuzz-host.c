/* Fuzz target: host files (YAML or JSON) for the partition solver. What
 * loads must solve or fail cleanly, and a solution must respect the host:
 * guarantees within capacity, limits at least the guarantees. */
#include <headroom/act.h>

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hr_part_host h;
    hr_error err = {0};
    if (hr_part_host_parse((const char *)data, size, "fuzz", &h, &err) < 0) return 0;
    hr_part_alloc *a = calloc(h.ntenants, sizeof *a);
    if (!a) abort();
    if (hr_part_solve(&h, NULL, 0, NULL, a, &err) == 0) {
        int64_t cpu = 0, mem = 0;
        for (size_t i = 0; i < h.ntenants; i++) {
            if (!a[i].pinned) cpu += a[i].guarantee[HR_PART_CPU];
            mem += a[i].guarantee[HR_PART_MEM];
            for (int r = 0; r < HR_PART_RES_COUNT_; r++)
                if (a[i].limit[r] < a[i].guarantee[r]) abort();
        }
        if (cpu > (int64_t)h.ncpus * 1000 || mem > h.mem_bytes) abort();
        char *js = hr_part_alloc_to_json(&h, a, h.ntenants);
        hr_part_alloc *back = NULL;
        size_t n = 0;
        if (!js || hr_part_alloc_from_json(js, __builtin_strlen(js), "dump", &back, &n, &err))
            abort();
        if (n != h.ntenants) abort();
        free(back);
        free(js);
    }
    free(a);
    hr_part_host_release(&h);
    return 0;
}
