/* Ingestion and read benchmark for `headroom serve` (run by bench/serve.sh).
 *
 *   bench-serve ingest PORT TOKEN SERIES BATCHES CLIENTS
 *       POST /api/v1/write batches of 1,000 lines over CLIENTS keep-alive
 *       connections; prints samples/s and request latency percentiles.
 *   bench-serve read PORT TOKEN NAME REPEAT
 *       GET a series' samples REPEAT times; prints latency percentiles.
 *   bench-serve sqlite DIR SERIES BATCHES
 *       The baseline: the same samples as rows (series, t, v) inserted into
 *       a plain SQLite table (WAL, synchronous=FULL), one transaction per
 *       batch of 1,000 (acknowledged when durable, like the daemon).
 *
 * Values: with a PlanetLab directory (one file of 288 CPU percentages per
 * VM, 300 s apart), series s replays file s % nfiles from an offset, day
 * after day; without one, a noisy daily cycle rounded to 0.1. One sample
 * per series every 300 s. */
#include <headroom/headroom.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define BATCH 1000
#define T0    1700000000

static int port;
static const char *token;
static size_t nseries, nbatches, nclients;
static double *lat; /* per request seconds */

static double **traces; /* PlanetLab days, [ntraces][288] */
static size_t ntraces;

static void load_traces(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        exit(1);
    }
    struct dirent *e;
    while ((e = readdir(d)) && ntraces < 20000) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md")) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        hr_series sr;
        if (hr_series_read_lines(path, 0, 300, &sr, NULL) < 0 || sr.len != 288) continue;
        traces = realloc(traces, (ntraces + 1) * sizeof *traces);
        traces[ntraces++] = sr.values;
        sr.values = NULL;
        hr_series_release(&sr);
    }
    closedir(d);
    if (!ntraces) {
        fprintf(stderr, "bench-serve: no PlanetLab traces in %s\n", dir);
        exit(1);
    }
}

static double value_of(size_t series, size_t step)
{
    if (ntraces) return traces[series % ntraces][(step + series / ntraces * 37) % 288];
    double day = sin(2 * M_PI * (double)(step % 288) / 288.0);
    uint64_t h = (series * 2654435761u + step * 40503u) % 1000;
    return round((50 + 30 * day + (double)h / 100.0 + (double)(series % 7)) * 10) / 10;
}

/* Like agents, client c sends the series s with s % nclients == c, step
 * after step (a series never goes through two clients, so its samples
 * arrive in order however fast each client goes). Batch b is client
 * b % nclients's (b / nclients)-th: lines i of that client's stream, where
 * line i is series c + (i % m) * nclients at step i / m (m: the client's
 * series). */
static char *make_batch(size_t b, size_t *len)
{
    size_t cap = BATCH * 64, n = 0, c = b % nclients;
    size_t m = nseries / nclients + (c < nseries % nclients ? 1 : 0);
    char *buf = malloc(cap);
    for (size_t j = 0; j < BATCH; j++) {
        size_t i = (b / nclients) * BATCH + j, s = c + (i % m) * nclients, step = i / m;
        n += (size_t)snprintf(buf + n, cap - n, "cpu,host=h%05zu usage=%.17g %lld\n", s,
                              value_of(s, step), (long long)(T0 + 300 * (int64_t)step));
    }
    *len = n;
    return buf;
}

static int connect_local(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

/* Send one request on a keep-alive connection; returns the status and
 * discards the body (Content-Length). */
static int request(int fd, const char *method, const char *path, const char *body, size_t len,
                   size_t *body_len)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer %s\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, token, len);
    /* Head and body in one writev, as HTTP clients do: two writes would
     * leave the body waiting behind Nagle for the server's delayed ACK of
     * the head (40 ms on Linux). */
    struct iovec iov[2] = {{head, (size_t)n}, {(void *)body, len}};
    size_t left = (size_t)n + len;
    while (left) {
        ssize_t w = writev(fd, iov, 2);
        if (w <= 0) return -1;
        left -= (size_t)w;
        for (int i = 0; i < 2; i++) {
            size_t k = (size_t)w < iov[i].iov_len ? (size_t)w : iov[i].iov_len;
            iov[i].iov_base = (char *)iov[i].iov_base + k;
            iov[i].iov_len -= k;
            w -= (ssize_t)k;
        }
    }
    static __thread char buf[1 << 16];
    size_t got = 0;
    char *end = NULL;
    while (!end) {
        ssize_t k = read(fd, buf + got, sizeof buf - 1 - got);
        if (k <= 0) return -1;
        got += (size_t)k;
        buf[got] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    int status = 0;
    sscanf(buf, "HTTP/1.1 %d", &status);
    size_t clen = 0;
    char *cl = strcasestr(buf, "Content-Length:");
    if (cl && cl < end) clen = (size_t)strtoull(cl + 15, NULL, 10);
    size_t have = got - (size_t)(end + 4 - buf);
    while (have < clen) {
        ssize_t k = read(fd, buf, sizeof buf);
        if (k <= 0) return -1;
        have += (size_t)k;
    }
    if (body_len) *body_len = clen;
    return status;
}

struct ing {
    size_t id;
    char **bodies;
    size_t *lens;
};

static void *ingest_client(void *arg)
{
    struct ing *c = arg;
    int fd = connect_local();
    for (size_t b = c->id; b < nbatches; b += nclients) {
        double t0 = hr_clock_sec();
        int st = request(fd, "POST", "/api/v1/write?precision=s", c->bodies[b], c->lens[b], NULL);
        lat[b] = hr_clock_sec() - t0;
        if (st != 204) {
            fprintf(stderr, "bench-serve: batch %zu: status %d\n", b, st);
            exit(1);
        }
    }
    close(fd);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void percentiles(const char *what, double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_d);
    printf("%s latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", what,
           1e3 * hr_quantile_sorted(x, n, 0.5), 1e3 * hr_quantile_sorted(x, n, 0.9),
           1e3 * hr_quantile_sorted(x, n, 0.99), 1e3 * x[n - 1]);
}

static int run_ingest(void)
{
    char **bodies = malloc(nbatches * sizeof *bodies);
    size_t *lens = malloc(nbatches * sizeof *lens);
    lat = malloc(nbatches * sizeof *lat);
    for (size_t b = 0; b < nbatches; b++) bodies[b] = make_batch(b, &lens[b]);
    pthread_t th[64];
    struct ing c[64];
    double t0 = hr_clock_sec();
    for (size_t i = 0; i < nclients; i++) {
        c[i] = (struct ing){i, bodies, lens};
        pthread_create(&th[i], NULL, ingest_client, &c[i]);
    }
    for (size_t i = 0; i < nclients; i++) pthread_join(th[i], NULL);
    double sec = hr_clock_sec() - t0;
    size_t total = nbatches * BATCH;
    printf("ingest: %zu samples (%zu series, batches of %d lines, %zu clients) in %.2f s: "
           "%.0f samples/s\n",
           total, nseries, BATCH, nclients, sec, (double)total / sec);
    percentiles("request", lat, nbatches);
    for (size_t b = 0; b < nbatches; b++) free(bodies[b]);
    free(bodies);
    free(lens);
    free(lat);
    return 0;
}

static int run_read(const char *name, size_t repeat)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/series/%s/samples", name);
    int fd = connect_local();
    double *x = malloc(repeat * sizeof *x);
    size_t len = 0;
    for (size_t i = 0; i < repeat; i++) {
        double t0 = hr_clock_sec();
        if (request(fd, "GET", path, "", 0, &len) != 200) {
            fprintf(stderr, "bench-serve: read failed\n");
            return 1;
        }
        x[i] = hr_clock_sec() - t0;
    }
    printf("read %s (%zu bytes of JSON): ", name, len);
    percentiles("", x, repeat);
    free(x);
    close(fd);
    return 0;
}

static int run_sqlite(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/baseline.db", dir);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) return 1;
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE IF NOT EXISTS s(series INTEGER, t INTEGER, v REAL);",
                 NULL, NULL, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO s VALUES(?,?,?)", -1, &st, NULL);
    lat = malloc(nbatches * sizeof *lat);
    double t0 = hr_clock_sec();
    for (size_t b = 0; b < nbatches; b++) {
        double t1 = hr_clock_sec();
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        for (size_t j = 0; j < BATCH; j++) {
            size_t k = b * BATCH + j, s = k % nseries, step = k / nseries;
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, (sqlite3_int64)s);
            sqlite3_bind_int64(st, 2, T0 + 300 * (int64_t)step);
            sqlite3_bind_double(st, 3, value_of(s, step));
            sqlite3_step(st);
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        lat[b] = hr_clock_sec() - t1;
    }
    double sec = hr_clock_sec() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    size_t total = nbatches * BATCH;
    printf("baseline (plain SQLite rows, one durable transaction per 1,000): %.0f samples/s\n",
           (double)total / sec);
    percentiles("transaction", lat, nbatches);
    free(lat);
    return 0;
}

static size_t arg_size(const char *s)
{
    uint64_t v;
    if (hr_parse_uint64(s, strlen(s), &v) < 0 || v == 0) {
        fprintf(stderr, "bench-serve: \"%s\" is not a positive integer\n", s);
        exit(2);
    }
    return (size_t)v;
}

int main(int argc, char **argv)
{
    if ((argc == 7 || argc == 8) && !strcmp(argv[1], "ingest")) {
        if (argc == 8) load_traces(argv[7]);
        port = (int)arg_size(argv[2]);
        token = argv[3];
        nseries = arg_size(argv[4]);
        nbatches = arg_size(argv[5]);
        nclients = arg_size(argv[6]);
        if (nclients > 64) nclients = 64;
        if (nclients > nseries) nclients = nseries;
        return run_ingest();
    }
    if (argc == 6 && !strcmp(argv[1], "read")) {
        port = (int)arg_size(argv[2]);
        token = argv[3];
        return run_read(argv[4], arg_size(argv[5]));
    }
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "sqlite")) {
        if (argc == 6) load_traces(argv[5]);
        nseries = arg_size(argv[3]);
        nbatches = arg_size(argv[4]);
        return run_sqlite(argv[2]);
    }
    fprintf(stderr, "usage: bench-serve ingest PORT TOKEN SERIES BATCHES CLIENTS [PLANETLAB_DIR]\n"
                    "       bench-serve read PORT TOKEN NAME REPEAT\n"
                    "       bench-serve sqlite DIR SERIES BATCHES [PLANETLAB_DIR]\n");
    return 2;
}
