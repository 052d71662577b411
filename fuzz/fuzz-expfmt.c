/* Fuzz target: the Prometheus text exposition reader. */
#include <headroom/store.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int emit(void *ud, const char *key, size_t line, int64_t t, double v)
{
    size_t *n = ud;
    (void)t, (void)v;
    if (!key[0] || strlen(key) >= HR_LP_KEY_MAX || line == 0) abort();
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    hr_error err = {0};
    int rc = hr_expfmt_parse((const char *)data, size, "job=fuzz", 0, emit, &n, &err);
    if (rc >= 0 && (size_t)rc != n) abort();
    if (rc < 0 && (n != 0 || err.msg[0] == '\0')) abort();
    return 0;
}
