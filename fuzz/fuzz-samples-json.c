/* Fuzz target: JSON ingestion bodies. Whatever is accepted emits valid
 * series keys; whatever is refused says why and emits nothing. */
#include <headroom/store.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int emit(void *ud, const char *series, const char *labels, int64_t t, double v)
{
    size_t *n = ud;
    (void)t, (void)v;
    if (!hr_series_key_ok(series) || (labels && labels[0] != '{')) abort();
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    char field[200];
    hr_error err = {0};
    int rc = hr_samples_json_parse((const char *)data, size, emit, &n, field, sizeof field, &err);
    if (rc >= 0 && (size_t)rc != n) abort();
    if (rc < 0 && (n != 0 || err.msg[0] == '\0')) abort();
    if (rc == HR_EINVAL && strncmp(err.msg, field, strlen(field))) abort();
    return 0;
}
