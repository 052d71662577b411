/* Fuzz target: the JSON fleet loader, then save and reload of what loads.
 * Anything that loads must dump, and its dump must load back. */
#include <headroom/fleet.h>

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hr_fleet *f = NULL, *g = NULL;
    hr_error err = {0};
    if (hr_fleet_parse_json((const char *)data, size, "fuzz", &f, &err) < 0) return 0;
    char *s = NULL;
    size_t len = 0;
    if (hr_fleet_dump_json(f, &s, &len, &err) < 0) abort();
    if (hr_fleet_parse_json(s, len, "dump", &g, &err) < 0) abort();
    if (g->nhosts != f->nhosts || g->nworkloads != f->nworkloads) abort();
    for (size_t h = 0; h < f->nhosts; h++) {
        int64_t load[HR_FLEET_MAX_RESOURCES];
        if (hr_fleet_host_load(f, (int32_t)h, load) == HR_EINVAL) abort();
    }
    free(s);
    hr_fleet_free(g);
    hr_fleet_free(f);
    return 0;
}
