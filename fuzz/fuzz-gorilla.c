/* Fuzz target: the Gorilla chunk decoder. Whatever decodes must re-encode
 * to a chunk that decodes to the same samples, bit for bit. */
#include <headroom/store.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t *t = NULL, *t2 = NULL;
    double *v = NULL, *v2 = NULL;
    size_t n = 0, n2 = 0, len = 0;
    uint8_t *buf = NULL;
    hr_error err = {0};
    int rc = hr_chunk_decode(data, size, HR_CHUNK_MAX_SAMPLES, &t, &v, &n, &err);
    if (rc < 0) {
        if (err.msg[0] == '\0') abort();
        return 0;
    }
    if (n > size * 8) abort(); /* every sample after the first costs at least 2 bits */
    if (hr_chunk_encode(t, v, n, &buf, &len) != 0) abort();
    if (hr_chunk_decode(buf, len, n, &t2, &v2, &n2, &err) != 0 || n2 != n) abort();
    if (n && (memcmp(t, t2, n * sizeof *t) || memcmp(v, v2, n * sizeof *v))) abort();
    free(t);
    free(v);
    free(t2);
    free(v2);
    free(buf);
    return 0;
}
