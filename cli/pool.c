/* A parallel work queue: worker threads take item indices from one atomic
 * counter; the calling thread shows progress on a terminal. */
#include "cli/cli.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CLI_MAX_JOBS 256

struct pool {
    size_t n;
    void (*fn)(size_t i, void *ud);
    void *ud;
    atomic_size_t next; /* next item to hand out */
    atomic_size_t done; /* items finished */
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) break;
        p->fn(i, p->ud);
        atomic_fetch_add(&p->done, 1);
    }
    return NULL;
}

static void show_progress(const char *what, size_t done, size_t n, double t0, bool final)
{
    double el = hr_clock_sec() - t0;
    double rate = el > 0 ? (double)done / el : 0;
    if (done == 0) {
        fprintf(stderr, "\r%s: 0/%zu series, starting   ", what, n);
    } else if (final) {
        fprintf(stderr, "\r%s: %zu/%zu series, %.1f/s, %.1f s        \n", what, done, n, rate, el);
    } else {
        fprintf(stderr, "\r%s: %zu/%zu series, %.1f/s, ETA %.0f s   ", what, done, n, rate,
                (double)(n - done) / rate);
    }
    fflush(stderr);
}

int cli_parallel(size_t n, size_t jobs, void (*fn)(size_t i, void *ud), void *ud, const char *what)
{
    struct pool p = {.n = n, .fn = fn, .ud = ud};
    atomic_init(&p.next, 0);
    atomic_init(&p.done, 0);
    if (jobs < 1) jobs = 1;
    if (jobs > CLI_MAX_JOBS) jobs = CLI_MAX_JOBS;
    if (jobs > n) jobs = n ? n : 1;
    pthread_t *th = calloc(jobs, sizeof *th);
    if (!th) return HR_ENOMEM;
    size_t started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&th[started], NULL, worker, &p) != 0) break;
    if (started == 0) worker(&p); /* no thread at all: do the work here */
    bool tty = isatty(STDERR_FILENO);
    double t0 = hr_clock_sec();
    if (tty && started) {
        const struct timespec tick = {0, 250 * 1000 * 1000};
        while (atomic_load(&p.done) < n) {
            show_progress(what, atomic_load(&p.done), n, t0, false);
            nanosleep(&tick, NULL);
        }
    }
    for (size_t t = 0; t < started; t++) pthread_join(th[t], NULL);
    if (tty) show_progress(what, n, n, t0, true);
    free(th);
    return 0;
}
