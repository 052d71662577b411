/* String-keyed hash map: open addressing, linear probing, power-of-two
 * capacity, load factor <= 3/4. Deletion shifts later entries of the probe
 * run back (Knuth's Algorithm R), so there are no tombstones and lookups
 * never slow down after many deletions. */
#include <headroom/util.h>

#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define MAP_MIN_CAP 16

struct hr_map_slot {
    char *key; /* NULL = empty */
    uint64_t hash;
    void *value;
};

void hr_map_init(hr_map *m, size_t max_entries)
{
    m->slots = NULL;
    m->cap = m->len = 0;
    m->max_entries = max_entries;
}

void hr_map_release(hr_map *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->cap; i++) free(m->slots[i].key);
    free(m->slots);
    m->slots = NULL;
    m->cap = m->len = 0;
}

/* FNV-1a with a murmur3 finaliser so that the low bits are well mixed. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Slot holding key, or the empty slot where it would go. cap > 0. */
static size_t probe(const hr_map *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    while (m->slots[i].key && (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0))
        i = (i + 1) & mask;
    return i;
}

static int grow(hr_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : MAP_MIN_CAP;
    if (ncap < m->cap || ncap > SIZE_MAX / sizeof(hr_map_slot)) return HR_ENOMEM;
    hr_map_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns) return HR_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        hr_map_slot *s = &m->slots[i];
        if (!s->key) continue;
        size_t j = (size_t)s->hash & (ncap - 1);
        while (ns[j].key) j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

int hr_map_put(hr_map *m, const char *key, void *value, void **old)
{
    if (!key) return HR_EINVAL;
    uint64_t h = hash_str(key);
    if (m->cap) {
        size_t i = probe(m, key, h);
        if (m->slots[i].key) {
            if (old) *old = m->slots[i].value;
            m->slots[i].value = value;
            return 0;
        }
    }
    if (m->max_entries && m->len >= m->max_entries) return HR_ELIMIT;
    /* Keep len + 1 <= 3/4 cap. */
    if (m->cap == 0 || (m->len + 1) > m->cap / 4 * 3) {
        int rc = grow(m);
        if (rc < 0) return rc;
    }
    size_t n = strlen(key);
    char *k = malloc(n + 1);
    if (!k) return HR_ENOMEM;
    memcpy(k, key, n + 1);
    size_t i = probe(m, key, h);
    m->slots[i] = (hr_map_slot){.key = k, .hash = h, .value = value};
    m->len++;
    if (old) *old = NULL;
    return 0;
}

void *hr_map_get(const hr_map *m, const char *key)
{
    if (!key || !m->cap) return NULL;
    size_t i = probe(m, key, hash_str(key));
    return m->slots[i].key ? m->slots[i].value : NULL;
}

bool hr_map_has(const hr_map *m, const char *key)
{
    if (!key || !m->cap) return false;
    return m->slots[probe(m, key, hash_str(key))].key != NULL;
}

int hr_map_del(hr_map *m, const char *key, void **old)
{
    if (!key) return HR_EINVAL;
    if (!m->cap) return HR_ENOTFOUND;
    size_t mask = m->cap - 1, i = probe(m, key, hash_str(key));
    if (!m->slots[i].key) return HR_ENOTFOUND;
    if (old) *old = m->slots[i].value;
    free(m->slots[i].key);
    m->len--;
    /* Backward shift: move each later entry of the run whose home slot is
     * not cyclically inside (i, j] into the hole. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].key) break;
        size_t k = (size_t)m->slots[j].hash & mask;
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays) continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
    m->slots[i] = (hr_map_slot){0};
    return 0;
}

int hr_map_foreach(const hr_map *m, int (*fn)(const char *key, void *value, void *ud), void *ud)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key) continue;
        int rc = fn(m->slots[i].key, m->slots[i].value, ud);
        if (rc) return rc;
    }
    return 0;
}
