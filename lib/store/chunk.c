/* The Gorilla chunk codec: delta-of-delta timestamps, XOR floats (see
 * include/headroom/store.h for the bit layout). */
#include <headroom/store.h>

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* ---- bits ----------------------------------------------------------------------------- */

static int enc_reserve(hr_chunk_enc *e, size_t more_bits)
{
    size_t need = (e->nbits + more_bits + 7) / 8;
    if (need <= e->cap) return 0;
    size_t cap = e->cap ? e->cap : 64;
    while (cap < need) cap *= 2;
    if (cap > HR_CHUNK_MAX_BYTES(HR_CHUNK_MAX_SAMPLES))
        cap = HR_CHUNK_MAX_BYTES(HR_CHUNK_MAX_SAMPLES);
    if (cap < need) return HR_ELIMIT;
    uint8_t *nb = realloc(e->buf, cap);
    if (!nb) return HR_ENOMEM;
    memset(nb + e->cap, 0, cap - e->cap);
    e->buf = nb;
    e->cap = cap;
    return 0;
}

/* Write the low `nbits` bits of x, most significant first (space reserved). */
static void put_bits(hr_chunk_enc *e, uint64_t x, unsigned nbits)
{
    while (nbits > 0) {
        size_t byte = e->nbits / 8;
        unsigned free_bits = 8 - (unsigned)(e->nbits % 8);
        unsigned take = nbits < free_bits ? nbits : free_bits;
        uint64_t part = (x >> (nbits - take)) & ((1u << take) - 1);
        e->buf[byte] |= (uint8_t)(part << (free_bits - take));
        e->nbits += take;
        nbits -= take;
    }
}

/* Read `nbits` (<= 64) bits; false when the buffer ends first. */
static bool get_bits(hr_chunk_iter *it, unsigned nbits, uint64_t *out)
{
    if (nbits > it->len * 8 - it->pos_bits) return false;
    uint64_t x = 0;
    while (nbits > 0) {
        size_t byte = it->pos_bits / 8;
        unsigned avail = 8 - (unsigned)(it->pos_bits % 8);
        unsigned take = nbits < avail ? nbits : avail;
        unsigned b = (it->buf[byte] >> (avail - take)) & ((1u << take) - 1);
        x = x << take | b;
        it->pos_bits += take;
        nbits -= take;
    }
    *out = x;
    return true;
}

static uint64_t dbits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static unsigned clz64(uint64_t x)
{
    return x ? (unsigned)__builtin_clzll(x) : 64;
}

static unsigned ctz64(uint64_t x)
{
    return x ? (unsigned)__builtin_ctzll(x) : 64;
}

/* ---- encoder -------------------------------------------------------------------------- */

void hr_chunk_enc_init(hr_chunk_enc *e)
{
    memset(e, 0, sizeof *e);
}

void hr_chunk_enc_release(hr_chunk_enc *e)
{
    if (!e) return;
    free(e->buf);
    memset(e, 0, sizeof *e);
}

static void write_header(hr_chunk_enc *e)
{
    e->buf[0] = HR_CHUNK_VERSION;
    e->buf[1] = (uint8_t)(e->n & 0xff);
    e->buf[2] = (uint8_t)(e->n >> 8);
}

/* Signed value fits in k bits (two's complement)? */
static bool fits(int64_t x, unsigned k)
{
    int64_t lo = -((int64_t)1 << (k - 1)), hi = ((int64_t)1 << (k - 1)) - 1;
    return x >= lo && x <= hi;
}

static void put_dod(hr_chunk_enc *e, int64_t dod)
{
    static const struct {
        unsigned prefix, plen, bits;
    } buckets[] = {{0x2, 2, 14}, {0x6, 3, 17}, {0xe, 4, 20}};
    if (dod == 0) {
        put_bits(e, 0, 1);
        return;
    }
    for (size_t i = 0; i < sizeof buckets / sizeof buckets[0]; i++) {
        if (fits(dod, buckets[i].bits)) {
            put_bits(e, buckets[i].prefix, buckets[i].plen);
            put_bits(e, (uint64_t)dod, buckets[i].bits);
            return;
        }
    }
    put_bits(e, 0xf, 4);
    put_bits(e, (uint64_t)dod, 64);
}

static void put_value(hr_chunk_enc *e, uint64_t v)
{
    uint64_t x = v ^ e->v_prev;
    if (x == 0) {
        put_bits(e, 0, 1);
        return;
    }
    unsigned lead = clz64(x), trail = ctz64(x);
    if (lead > 31) lead = 31;
    if (e->len && lead >= e->lead && trail >= 64u - e->lead - e->len) {
        put_bits(e, 0x2, 2);
        put_bits(e, x >> (64u - e->lead - e->len), e->len);
        return;
    }
    unsigned len = 64 - lead - trail;
    put_bits(e, 0x3, 2);
    put_bits(e, lead, 5);
    put_bits(e, len & 63, 6);
    put_bits(e, x >> trail, len);
    e->lead = (uint8_t)lead;
    e->len = (uint8_t)len;
}

int hr_chunk_enc_append(hr_chunk_enc *e, int64_t t, double v)
{
    if (e->n >= HR_CHUNK_MAX_SAMPLES) return HR_ELIMIT;
    if (e->nbits == 0) {
        int rc = enc_reserve(e, HR_CHUNK_HEADER * 8);
        if (rc < 0) return rc;
        e->nbits = HR_CHUNK_HEADER * 8;
    }
    int rc = enc_reserve(e, 145);
    if (rc < 0) return rc;
    uint64_t vb = dbits(v);
    if (e->n == 0) {
        put_bits(e, (uint64_t)t, 64);
        put_bits(e, vb, 64);
    } else {
        uint64_t d = (uint64_t)t - (uint64_t)e->t_prev;
        put_dod(e, (int64_t)(d - e->d_prev));
        put_value(e, vb);
        e->d_prev = d;
    }
    e->t_prev = t;
    e->v_prev = vb;
    e->n++;
    write_header(e);
    return 0;
}

const uint8_t *hr_chunk_enc_bytes(const hr_chunk_enc *e, size_t *len)
{
    static const uint8_t empty[HR_CHUNK_HEADER] = {HR_CHUNK_VERSION, 0, 0};
    if (e->nbits == 0) {
        *len = HR_CHUNK_HEADER;
        return empty;
    }
    *len = (e->nbits + 7) / 8;
    return e->buf;
}

int hr_chunk_encode(const int64_t *t, const double *v, size_t n, uint8_t **out, size_t *len)
{
    if (n > HR_CHUNK_MAX_SAMPLES) return HR_ELIMIT;
    hr_chunk_enc e;
    hr_chunk_enc_init(&e);
    for (size_t i = 0; i < n; i++) {
        int rc = hr_chunk_enc_append(&e, t[i], v[i]);
        if (rc < 0) {
            hr_chunk_enc_release(&e);
            return rc;
        }
    }
    size_t l;
    const uint8_t *b = hr_chunk_enc_bytes(&e, &l);
    uint8_t *copy = malloc(l);
    if (!copy) {
        hr_chunk_enc_release(&e);
        return HR_ENOMEM;
    }
    memcpy(copy, b, l);
    hr_chunk_enc_release(&e);
    *out = copy;
    *len = l;
    return 0;
}

/* ---- decoder -------------------------------------------------------------------------- */

int hr_chunk_iter_init(hr_chunk_iter *it, const uint8_t *buf, size_t len, size_t max_samples,
                       hr_error *err)
{
    if (len < HR_CHUNK_HEADER || !buf)
        return hr_error_set(err, HR_EPARSE, "chunk: %zu bytes, shorter than the header", len);
    if (buf[0] != HR_CHUNK_VERSION)
        return hr_error_set(err, HR_EPARSE, "chunk: unknown format version %u", buf[0]);
    uint32_t n = (uint32_t)buf[1] | (uint32_t)buf[2] << 8;
    if (n > max_samples)
        return hr_error_set(err, HR_ELIMIT, "chunk: %u samples, more than the limit %zu", n,
                            max_samples);
    memset(it, 0, sizeof *it);
    it->buf = buf;
    it->len = len;
    it->pos_bits = HR_CHUNK_HEADER * 8;
    it->n = n;
    return (int)n;
}

static int truncated(const hr_chunk_iter *it, hr_error *err)
{
    return hr_error_set(err, HR_EPARSE, "chunk: sample %u: stream ends early", it->i + 1);
}

static int read_dod(hr_chunk_iter *it, int64_t *dod)
{
    static const unsigned widths[] = {14, 17, 20, 64};
    unsigned ones = 0;
    uint64_t b;
    while (ones < 4) {
        if (!get_bits(it, 1, &b)) return -1;
        if (!b) break;
        ones++;
    }
    if (ones == 0) {
        *dod = 0;
        return 0;
    }
    unsigned w = widths[ones - 1];
    uint64_t x;
    if (!get_bits(it, w, &x)) return -1;
    if (w < 64 && (x >> (w - 1)) & 1) x |= ~(uint64_t)0 << w; /* sign-extend */
    *dod = (int64_t)x;
    return 0;
}

static int read_value(hr_chunk_iter *it, hr_error *err)
{
    uint64_t b, x;
    if (!get_bits(it, 1, &b)) return truncated(it, err);
    if (!b) return 0;
    if (!get_bits(it, 1, &b)) return truncated(it, err);
    if (b) {
        uint64_t lead, len;
        if (!get_bits(it, 5, &lead) || !get_bits(it, 6, &len)) return truncated(it, err);
        if (len == 0) len = 64;
        if (lead + len > 64)
            return hr_error_set(err, HR_EPARSE,
                                "chunk: sample %u: XOR window of %u+%u bits exceeds 64", it->i + 1,
                                (unsigned)lead, (unsigned)len);
        it->lead = (uint8_t)lead;
        it->vlen = (uint8_t)len;
    } else if (it->vlen == 0) {
        return hr_error_set(err, HR_EPARSE, "chunk: sample %u: XOR window reused before set",
                            it->i + 1);
    }
    if (!get_bits(it, it->vlen, &x)) return truncated(it, err);
    it->v ^= x << (64u - it->lead - it->vlen);
    return 0;
}

int hr_chunk_iter_next(hr_chunk_iter *it, int64_t *t, double *v, hr_error *err)
{
    if (it->i >= it->n) {
        size_t left = it->len * 8 - it->pos_bits;
        uint64_t pad = 0;
        if (left > 7)
            return hr_error_set(err, HR_EPARSE, "chunk: %zu bits after the last sample", left);
        if (left && (!get_bits(it, (unsigned)left, &pad) || pad))
            return hr_error_set(err, HR_EPARSE, "chunk: non-zero padding bits");
        it->pos_bits = it->len * 8 - left; /* stay at the end on repeated calls */
        return 0;
    }
    if (it->i == 0) {
        uint64_t tb, vb;
        if (!get_bits(it, 64, &tb) || !get_bits(it, 64, &vb)) return truncated(it, err);
        it->t = (int64_t)tb;
        it->v = vb;
    } else {
        int64_t dod;
        if (read_dod(it, &dod) < 0) return truncated(it, err);
        it->d += (uint64_t)dod;
        it->t = (int64_t)((uint64_t)it->t + it->d);
        int rc = read_value(it, err);
        if (rc < 0) return rc;
    }
    it->i++;
    *t = it->t;
    *v = bitsd(it->v);
    return 1;
}

int hr_chunk_decode(const uint8_t *buf, size_t len, size_t max_samples, int64_t **t_out,
                    double **v_out, size_t *n_out, hr_error *err)
{
    hr_chunk_iter it;
    int n = hr_chunk_iter_init(&it, buf, len, max_samples, err);
    if (n < 0) return n;
    int64_t *t = NULL;
    double *v = NULL;
    if (n > 0) {
        t = malloc((size_t)n * sizeof *t);
        v = malloc((size_t)n * sizeof *v);
        if (!t || !v) {
            free(t);
            free(v);
            return hr_error_set(err, HR_ENOMEM, "out of memory");
        }
    }
    size_t i = 0;
    int64_t ti;
    double vi;
    int rc;
    while ((rc = hr_chunk_iter_next(&it, &ti, &vi, err)) == 1) {
        t[i] = ti;
        v[i] = vi;
        i++;
    }
    if (rc < 0) {
        free(t);
        free(v);
        return rc;
    }
    *t_out = t;
    *v_out = v;
    *n_out = i;
    return 0;
}
