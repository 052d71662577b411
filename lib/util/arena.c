/* Bump allocator: a list of blocks, newest first, freed all at once. */
#include <headroom/util.h>

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define ARENA_ALIGN         alignof(max_align_t)
#define ARENA_DEFAULT_BLOCK 8192

struct hr_arena_block {
    hr_arena_block *next;
    size_t size; /* usable bytes in data */
    size_t used; /* bytes taken from data */
    max_align_t data[];
};

void hr_arena_init(hr_arena *a, size_t block_size, size_t limit_bytes)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
    a->used_bytes = 0;
    a->limit_bytes = limit_bytes;
}

static hr_arena_block *block_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(hr_arena_block)) return NULL;
    hr_arena_block *b = malloc(sizeof *b + size);
    if (!b) return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *hr_arena_alloc(hr_arena *a, size_t size)
{
    if (size == 0) size = 1;
    if (size > SIZE_MAX - (ARENA_ALIGN - 1)) return NULL;
    size = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    if (a->limit_bytes && (a->used_bytes > a->limit_bytes || size > a->limit_bytes - a->used_bytes))
        return NULL;
    hr_arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        if (size > a->block_size / 2 && b) {
            /* Large request: its own block, behind the current one, so the
             * current block's free space stays usable. */
            hr_arena_block *big = block_new(size);
            if (!big) return NULL;
            big->next = b->next;
            b->next = big;
            big->used = size;
            a->used_bytes += size;
            return big->data;
        }
        b = block_new(size > a->block_size ? size : a->block_size);
        if (!b) return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    a->used_bytes += size;
    return p;
}

void *hr_arena_calloc(hr_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = hr_arena_alloc(a, n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

char *hr_arena_strndup(hr_arena *a, const char *s, size_t len)
{
    const char *nul = memchr(s, '\0', len);
    if (nul) len = (size_t)(nul - s);
    if (len == SIZE_MAX) return NULL;
    char *p = hr_arena_alloc(a, len + 1);
    if (!p) return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void hr_arena_reset(hr_arena *a)
{
    hr_arena_block *b = a->head, *keep = NULL;
    while (b) {
        hr_arena_block *next = b->next;
        if (next)
            free(b);
        else
            keep = b; /* the oldest block: the first one allocated */
        b = next;
    }
    if (keep) keep->used = 0;
    a->head = keep;
    a->used_bytes = 0;
}

void hr_arena_release(hr_arena *a)
{
    if (!a) return;
    hr_arena_block *b = a->head;
    while (b) {
        hr_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}
