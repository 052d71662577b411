/* ETS microbenchmark: online updates per second of a fitted ETS(A,Ad,A)
 * (m = 24) and ETS(A,N,N) against a loop of as many plain additions, and
 * the automatic fit ("ZZZ", m = 24) per series on the M4 hourly sample
 * (with its sMAPE/MASE on the 48-step test set, for information).
 *
 * Build and run from the repository root, after the library is built:
 *
 *   cmake -S . -B build && cmake --build build -j2
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Ilib bench/bench-ets.c \
 *      build/libheadroom.a -ljansson -lm -o build/bench-ets
 *   build/bench-ets [train.csv test.csv [updates]]
 *
 * Defaults: /work/shared/data/m4-hourly-sample/Hourly-{train,test}-sample20.csv
 * and 50,000,000 updates. Prints ets_update_per_sec=..., the ratio to the
 * addition loop and ets_fit_sec_per_series=... */
#include <headroom/headroom.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXSERIES 64
#define MAXLEN    1024

typedef struct m4 {
    size_t n;
    double *v[MAXSERIES];
    size_t len[MAXSERIES];
} m4;

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* M4 wide CSV: a header line, then "id","v1","v2",... with trailing empty cells. */
static int read_m4(const char *path, m4 *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    static char line[1 << 16];
    memset(out, 0, sizeof *out);
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return -1;
    }
    while (out->n < MAXSERIES && fgets(line, sizeof line, f)) {
        double *v = malloc(MAXLEN * sizeof(double));
        if (!v) break;
        size_t k = 0;
        char *p = strchr(line, ',');
        while (p && k < MAXLEN) {
            p++;
            if (*p == '"') {
                char *e = strchr(p + 1, '"');
                if (!e) break;
                *e = '\0';
                double x;
                if (hr_parse_double_z(p + 1, &x) == 0) v[k++] = x;
                p = strchr(e + 1, ',');
            } else {
                p = strchr(p, ',');
            }
        }
        out->v[out->n] = v;
        out->len[out->n++] = k;
    }
    fclose(f);
    return 0;
}

static hr_model *fitted(const char *spec, const double *y, size_t n)
{
    hr_model_opts o = {.periods = {24}, .nperiods = 1};
    snprintf(o.spec, sizeof o.spec, "%s", spec);
    hr_model *m = NULL;
    hr_error err = {0};
    if (hr_model_new("ets", &o, &m, &err) < 0 || hr_model_fit(m, y, n, &err) < 0) {
        fprintf(stderr, "bench-ets: %s: %s\n", spec, hr_error_message(&err));
        exit(1);
    }
    return m;
}

static double bench_updates(const char *spec, const double *y, size_t n, size_t count)
{
    hr_model *m = fitted(spec, y, n);
    double t0 = now_sec();
    for (size_t i = 0; i < count; i++) {
        if (hr_model_update(m, y[i % n]) != 0) {
            fprintf(stderr, "bench-ets: update failed at %zu\n", i);
            exit(1);
        }
    }
    double dt = now_sec() - t0;
    hr_fit_info fi;
    hr_model_info(m, &fi);
    printf("%s: %zu updates in %.3f s, sigma2 after %.6g\n", fi.desc, count, dt, fi.sigma2);
    hr_model_free(m);
    return (double)count / dt;
}

static double bench_additions(const double *y, size_t n, size_t count)
{
    volatile double sink = 0;
    double s = 0, t0 = now_sec();
    for (size_t i = 0; i < count; i++) {
        s += y[i % n];
        if ((i & 1023) == 0) sink = s;
    }
    double dt = now_sec() - t0;
    sink = s;
    (void)sink;
    return (double)count / dt;
}

int main(int argc, char **argv)
{
    const char *train =
        argc > 2 ? argv[1] : "/work/shared/data/m4-hourly-sample/Hourly-train-sample20.csv";
    const char *test =
        argc > 2 ? argv[2] : "/work/shared/data/m4-hourly-sample/Hourly-test-sample20.csv";
    size_t count = argc > 3 ? (size_t)strtoull(argv[3], NULL, 10) : 50000000;
    static m4 tr, te;
    if (read_m4(train, &tr) < 0 || read_m4(test, &te) < 0 || tr.n == 0) {
        fprintf(stderr, "bench-ets: cannot read %s / %s\n", train, test);
        return 1;
    }

    double base = bench_additions(tr.v[0], tr.len[0], count);
    double aada = bench_updates("AAdA", tr.v[0], tr.len[0], count);
    double ann = bench_updates("ANN", tr.v[0], tr.len[0], count);
    printf("baseline_add_per_sec=%.4g\n", base);
    printf("ets_update_per_sec=%.4g (ETS(A,Ad,A) m=24), ratio to additions %.3f\n", aada,
           aada / base);
    printf("ets_update_per_sec=%.4g (ETS(A,N,N)), ratio to additions %.3f\n", ann, ann / base);

    double total = 0, smape = 0, mase = 0;
    size_t ns = 0;
    for (size_t k = 0; k < tr.n; k++) {
        const double *y = tr.v[k];
        size_t n = tr.len[k];
        double t0 = now_sec();
        hr_model *m = fitted("ZZZ", y, n);
        total += now_sec() - t0;
        hr_fit_info fi;
        hr_model_info(m, &fi);
        if (k < te.n && te.len[k] >= 48) {
            hr_forecast f;
            hr_error err = {0};
            hr_forecast_init(&f, 48, NULL, 0, &err);
            hr_model_forecast(m, 48, &f, &err);
            double sc = 0, s = 0, a = 0;
            for (size_t t = 24; t < n; t++) sc += fabs(y[t] - y[t - 24]);
            sc /= (double)(n - 24);
            for (size_t i = 0; i < 48; i++) {
                double yt = te.v[k][i];
                s += 200 * fabs(yt - f.mean[i]) / (fabs(yt) + fabs(f.mean[i]));
                a += fabs(yt - f.mean[i]) / sc;
            }
            smape += s / 48;
            mase += a / 48;
            ns++;
            hr_forecast_release(&f);
        }
        printf("series %zu: n=%zu %s aicc=%.2f\n", k + 1, n, fi.desc, fi.aicc);
        hr_model_free(m);
    }
    printf("ets_fit_sec_per_series=%.4f (auto ZZZ, m=24, %zu series)\n", total / (double)tr.n,
           tr.n);
    if (ns)
        printf("m4_sample_smape=%.4f m4_sample_mase=%.4f\n", smape / (double)ns, mase / (double)ns);
    for (size_t k = 0; k < tr.n; k++) free(tr.v[k]);
    for (size_t k = 0; k < te.n; k++) free(te.v[k]);
    return 0;
}
