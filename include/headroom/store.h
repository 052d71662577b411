/* headroom/store.h - the telemetry chunk codec (Gorilla / Prometheus XOR).
 *
 * A chunk holds up to HR_CHUNK_MAX_SAMPLES (timestamp, value) pairs of one
 * series, compressed as in Pelkonen et al., "Gorilla: A Fast, Scalable,
 * In-Memory Time Series Database" (VLDB 2015):
 *
 *   - timestamps (int64 Unix seconds, any order) as delta-of-delta in
 *     variable-width buckets: '0' (unchanged delta), '10'+14 bits,
 *     '110'+17 bits, '1110'+20 bits (signed ranges [-2^(k-1), 2^(k-1))),
 *     '1111'+64 bits (anything else; deltas wrap modulo 2^64, so every int64
 *     sequence round-trips);
 *   - values as the XOR of their IEEE 754 bits with the previous value's:
 *     '0' (same bits), '10' + the meaningful bits inside the previous
 *     window, '11' + 5 bits of leading zeros (capped at 31) + 6 bits of
 *     length (64 stored as 0) + the meaningful bits.
 *
 * Values round-trip bit for bit: NaN payloads, infinities and -0.0 included.
 *
 * Layout: byte 0 is the format version (1), bytes 1-2 the sample count
 * (little-endian uint16), then the first timestamp (64 bits) and value
 * (64 bits), then the bit stream above, most significant bit first, padded
 * with zero bits to a whole byte. An empty chunk is the 3-byte header.
 *
 * The encoder and decoder are pure (no I/O, no globals); distinct objects
 * may be used from different threads.
 */
#ifndef HEADROOM_STORE_H
#define HEADROOM_STORE_H

#include "common.h"
#include "error.h"

#define HR_CHUNK_VERSION     1
#define HR_CHUNK_MAX_SAMPLES 65535u
#define HR_CHUNK_HEADER      3u
/* Worst case encoded size of n samples: the header, the first sample, then
 * at most 68 + 77 bits per sample. */
#define HR_CHUNK_MAX_BYTES(n) (HR_CHUNK_HEADER + 16u + ((size_t)(n)*145u + 7u) / 8u)

/* A chunk being written. Zero-initialise or hr_chunk_enc_init; the buffer
 * grows as samples are appended (at most HR_CHUNK_MAX_BYTES(65535)). */
typedef struct hr_chunk_enc {
    uint8_t *buf;      /* owned; the header is kept current */
    size_t cap;        /* bytes allocated */
    size_t nbits;      /* bits written, header included */
    uint32_t n;        /* samples */
    int64_t t_prev;    /* last timestamp */
    uint64_t d_prev;   /* last delta (mod 2^64) */
    uint64_t v_prev;   /* last value's bits */
    uint8_t lead, len; /* the current XOR window (len 0: none yet) */
} hr_chunk_enc;

HR_EXPORT void hr_chunk_enc_init(hr_chunk_enc *e);
/* Free the buffer; the encoder may be initialised again. NULL-safe. */
HR_EXPORT void hr_chunk_enc_release(hr_chunk_enc *e);
/* Append one sample. HR_ELIMIT past HR_CHUNK_MAX_SAMPLES, HR_ENOMEM; on
 * failure the chunk is unchanged. */
HR_EXPORT int hr_chunk_enc_append(hr_chunk_enc *e, int64_t t, double v);
/* The encoded bytes so far (valid until the next append or release). */
HR_EXPORT const uint8_t *hr_chunk_enc_bytes(const hr_chunk_enc *e, size_t *len);

/* Encode t[0..n), v[0..n) into a new buffer (free() it): HR_ELIMIT when n
 * exceeds HR_CHUNK_MAX_SAMPLES, HR_ENOMEM. *out and *len are written only
 * on success. */
HR_EXPORT int hr_chunk_encode(const int64_t *t, const double *v, size_t n, uint8_t **out,
                              size_t *len);

/* Reading a chunk sample by sample, without allocating. */
typedef struct hr_chunk_iter {
    const uint8_t *buf;
    size_t len, pos_bits;
    uint32_t n, i;
    int64_t t;
    uint64_t d, v;
    uint8_t lead, vlen;
} hr_chunk_iter;

/* Check the header and start reading. HR_EPARSE (err says why: short
 * buffer, unknown version) or, when the count exceeds `max_samples`,
 * HR_ELIMIT. Returns the sample count. */
HR_EXPORT int hr_chunk_iter_init(hr_chunk_iter *it, const uint8_t *buf, size_t len,
                                 size_t max_samples, hr_error *err);
/* The next sample: 1 and *t, *v written; 0 at the end (then the padding is
 * checked: more than 7 bits left, or a non-zero padding bit, is HR_EPARSE);
 * HR_EPARSE for a truncated or malformed stream ("chunk: sample 17: ..."). */
HR_EXPORT int hr_chunk_iter_next(hr_chunk_iter *it, int64_t *t, double *v, hr_error *err);

/* Decode a whole chunk into new arrays t and v (free() both). Empty chunks
 * give n 0 and NULL arrays. Errors as the iterator. */
HR_EXPORT int hr_chunk_decode(const uint8_t *buf, size_t len, size_t max_samples, int64_t **t,
                              double **v, size_t *n, hr_error *err);

/* ---- InfluxDB line protocol -------------------------------------------------------
 *
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp]
 *
 * Each numeric field of a line becomes one sample of the series named
 *   measurement.field[,tag=value...]      (tags sorted by key; "measurement"
 * alone when the field is called "value"), with escapes (\, \  \= \")
 * removed. Field values: floats, integers ("12i"), unsigned ("12u"),
 * booleans (t/true/f/false in any case, as 1 and 0); string fields ("...")
 * are skipped. NaN and infinities are refused (the grammar has none).
 * Timestamps are integers in `precision` ("ns", the default when NULL,
 * "us", "ms", "s"), converted to Unix seconds rounding down; a line without
 * one takes `now_sec`. Blank lines and lines starting with '#' are skipped.
 *
 * `emit` is called once per sample, in input order, with the series key
 * (NUL-terminated, valid during the call) and the 1-based line; a negative
 * return stops parsing and is returned. Limits: keys up to
 * HR_LP_KEY_MAX bytes, HR_LP_MAX_TAGS tags per line. Errors: HR_EPARSE
 * with "line N: what" (the offending text quoted), HR_EINVAL for a bad
 * precision. Returns the number of samples emitted. */
#define HR_LP_KEY_MAX  512
#define HR_LP_MAX_TAGS 32

typedef int (*hr_lp_emit)(void *ud, const char *key, size_t line, int64_t t, double v);

HR_EXPORT int hr_lineproto_parse(const char *buf, size_t len, const char *precision,
                                 int64_t now_sec, hr_lp_emit emit, void *ud, hr_error *err);

/* ---- series keys and JSON sample batches ----------------------------------------------- */

#define HR_SERIES_KEY_MAX 200

/* A series key: 1..HR_SERIES_KEY_MAX bytes of printable ASCII without
 * space and " \\ ? # % { }, not starting or ending with '/' (line-protocol
 * keys such as "disk.free,path=/var" are keys). */
HR_EXPORT bool hr_series_key_ok(const char *key);

/* Called once per sample; `labels` is the batch's labels as compact JSON
 * with sorted keys, or NULL. A negative return stops parsing. */
typedef int (*hr_samples_emit)(void *ud, const char *series, const char *labels, int64_t t,
                               double v);

#define HR_SAMPLES_MAX_LABELS 64

/* Parse a JSON ingestion body: one object
 *   {"series": KEY, "labels": {"k": "v", ...}, "samples": [[unix_seconds, value], ...]}
 * or an array of them. Timestamps are integers (a real with an integral
 * value is accepted); values are numbers, or null for a gap (NaN). Unknown
 * members, labels that are not strings (at most HR_SAMPLES_MAX_LABELS, keys
 * up to 128 bytes, values up to 1024) and keys failing hr_series_key_ok are
 * errors. Nothing is emitted unless the whole body is valid.
 * On failure: HR_EPARSE for malformed JSON ("body: ... at line L column C",
 * `field` set to ""), HR_EINVAL for an invalid member, with `field` (when
 * not NULL) set to its path, e.g. "[2].samples[3][1]", and the message
 * starting with that path. Returns the number of samples emitted. */
HR_EXPORT int hr_samples_json_parse(const char *buf, size_t len, hr_samples_emit emit, void *ud,
                                    char *field, size_t field_size, hr_error *err);

/* ---- Prometheus remote write ------------------------------------------------------------
 *
 * A snappy-compressed (block format) protobuf WriteRequest, as Prometheus
 * POSTs it. Each sample is emitted with the series key
 *   NAME[,label=value...]    (NAME the __name__ label; others sorted by name)
 * and its timestamp in Unix seconds (milliseconds rounded down). Prometheus
 * staleness markers (a NaN with the bits 0x7ff0000000000002) are skipped;
 * other values are emitted as they are. Nothing is emitted unless the whole
 * request decodes and every series has a __name__ and a key of at most
 * HR_LP_KEY_MAX bytes. Errors: HR_EPARSE ("snappy: ...", "protobuf: ...",
 * "timeseries[3]: ..."), HR_ELIMIT when the uncompressed size exceeds
 * `max_bytes`. Returns the number of samples emitted. */
#define HR_PROM_STALE_NAN 0x7ff0000000000002ull

HR_EXPORT int hr_promwrite_parse(const void *buf, size_t len, size_t max_bytes, hr_lp_emit emit,
                                 void *ud, hr_error *err);

/* ---- Prometheus text exposition format (scraping) ---------------------------------------
 *
 *   # HELP / # TYPE comments, blank lines: skipped
 *   name[{label="value",...}] value [timestamp_ms]
 *
 * Each sample is emitted with the series key name[,label=value...] (labels
 * sorted by name, `extra_label` "k=v" added when not NULL, escapes \\ \" \n
 * removed) and its timestamp in Unix seconds (milliseconds rounded down), or
 * `now_sec` without one. Values may be NaN, +Inf, -Inf. Nothing is emitted
 * unless the whole text parses. Errors: HR_EPARSE "line N: what". Returns
 * the number of samples emitted. */
HR_EXPORT int hr_expfmt_parse(const char *buf, size_t len, const char *extra_label, int64_t now_sec,
                              hr_lp_emit emit, void *ud, hr_error *err);

#endif
