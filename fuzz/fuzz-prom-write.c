/* Fuzz target: Prometheus remote write. The first byte picks the layer:
 * odd -> the rest is snappy-compressed here first, so that the protobuf
 * decoding and key building see arbitrary bytes; even -> the rest goes in
 * as it is (the snappy decoder sees arbitrary bytes). Emitted keys are
 * bounded; failures say why and emit nothing. */
#include <headroom/store.h>

#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int emit(void *ud, const char *key, size_t idx, int64_t t, double v)
{
    size_t *n = ud;
    (void)t, (void)v;
    if (!key[0] || strlen(key) >= HR_LP_KEY_MAX || idx == 0) abort();
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    char *comp = NULL;
    if (data[0] & 1) {
        size_t clen = snappy_max_compressed_length(len);
        comp = malloc(clen);
        if (!comp || snappy_compress(in, len, comp, &clen) != SNAPPY_OK) abort();
        in = comp;
        len = clen;
    }
    size_t n = 0;
    hr_error err = {0};
    int rc = hr_promwrite_parse(in, len, 1 << 20, emit, &n, &err);
    if (rc >= 0 && (size_t)rc != n) abort();
    if (rc < 0 && (n != 0 || err.msg[0] == '\0')) abort();
    free(comp);
    return 0;
}
