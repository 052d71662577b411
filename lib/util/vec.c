/* Growable vector of fixed-size elements with an element-count limit. */
#include <headroom/util.h>

#include <stdlib.h>
#include <string.h>

#include "banned.h"

void hr_vec_init(hr_vec *v, size_t elem_size, size_t max_len)
{
    v->data = NULL;
    v->len = v->cap = 0;
    v->elem_size = elem_size;
    v->max_len = max_len;
}

void hr_vec_release(hr_vec *v)
{
    if (!v) return;
    free(v->data);
    v->data = NULL;
    v->len = v->cap = 0;
}

int hr_vec_reserve(hr_vec *v, size_t n)
{
    if (v->elem_size == 0) return HR_EINVAL;
    if (n <= v->cap) return 0;
    if (v->max_len && n > v->max_len) return HR_ELIMIT;
    if (n > SIZE_MAX / v->elem_size) return HR_ENOMEM;
    void *p = realloc(v->data, n * v->elem_size);
    if (!p) return HR_ENOMEM;
    v->data = p;
    v->cap = n;
    return 0;
}

int hr_vec_push(hr_vec *v, const void *elem)
{
    if (v->max_len && v->len >= v->max_len) return HR_ELIMIT;
    if (v->len == v->cap) {
        size_t want = v->cap < 8 ? 8 : v->cap > SIZE_MAX / 2 ? SIZE_MAX : v->cap * 2;
        if (v->max_len && want > v->max_len) want = v->max_len;
        int rc = hr_vec_reserve(v, want);
        if (rc < 0) return rc;
    }
    memcpy((char *)v->data + v->len * v->elem_size, elem, v->elem_size);
    v->len++;
    return 0;
}

void *hr_vec_at(const hr_vec *v, size_t i)
{
    if (i >= v->len) return NULL;
    return (char *)v->data + i * v->elem_size;
}

void *hr_vec_steal(hr_vec *v, size_t *len)
{
    void *p = v->data;
    if (len) *len = v->len;
    v->data = NULL;
    v->len = v->cap = 0;
    return p;
}
