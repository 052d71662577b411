/* Fuzz target: the InfluxDB line protocol reader. Every sample emitted has
 * a non-empty key and a finite value; failures carry a message. */
#include <headroom/store.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int emit(void *ud, const char *key, size_t line, int64_t t, double v)
{
    size_t *n = ud;
    (void)t;
    if (!key[0] || strlen(key) >= HR_LP_KEY_MAX || line == 0 || !isfinite(v)) abort();
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    hr_error err = {0};
    int rc = hr_lineproto_parse((const char *)data, size, "ns", 0, emit, &n, &err);
    if (rc >= 0 && (size_t)rc != n) abort();
    if (rc < 0 && err.msg[0] == '\0') abort();
    return 0;
}
