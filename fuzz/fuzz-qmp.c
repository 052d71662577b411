/* Fuzz target: QMP message classification (greeting, reply, error, event)
 * and the tc class listing parser. */
#include <headroom/act.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hr_qmp_kind kind;
    char name[64];
    hr_error err = {0};
    if (hr_qmp_parse((const char *)data, size, &kind, name, sizeof name, &err) == 0 &&
        (unsigned)kind > HR_QMP_EVENT)
        abort();
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = 0;
    hr_tc_class c[8];
    size_t n = 0;
    if (hr_tc_parse_classes(text, c, 8, &n) == 0 && n > 8) abort();
    free(text);
    return 0;
}
