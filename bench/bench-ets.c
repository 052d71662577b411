/* ETS microbenchmark: online updates per second of a fitted ETS(A,Ad,A)
 * (m = 24) and ETS(A,N,N) against a loop of as many plain additions, and
 * the automatic fit ("ZZZ", m = 24) per series on the M4 hourly sample
 * (with its sMAPE/MASE on the 48-step test set, for information).
 *
 * Built with the project (CMake globs bench/bench-*.c) and run by `make
 * bench` (bench/run.sh):
 *
 *   build/bench-ets [train.csv test.csv [updates]]
 *
 * Defaults: ../shared/data/m4-hourly-sample/Hourly-{train,test}-sample20.csv
 * and 50,000,000 updates. Prints ets_update_per_sec=..., the ratio to the
 * addition loop and ets_fit_sec_per_series=... */
#include <headroom/headroom.h>
#include <headroom/metrics.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    double t0 = hr_clock_sec();
    for (size_t i = 0; i < count; i++) {
        if (hr_model_update(m, y[i % n]) != 0) {
            fprintf(stderr, "bench-ets: update failed at %zu\n", i);
            exit(1);
        }
    }
    double dt = hr_clock_sec() - t0;
    hr_fit_info fi;
    hr_model_info(m, &fi);
    printf("%s: %zu updates in %.3f s, sigma2 after %.6g\n", fi.desc, count, dt, fi.sigma2);
    hr_model_free(m);
    return (double)count / dt;
}

static double bench_additions(const double *y, size_t n, size_t count)
{
    volatile double sink = 0;
    double s = 0, t0 = hr_clock_sec();
    for (size_t i = 0; i < count; i++) {
        s += y[i % n];
        if ((i & 1023) == 0) sink = s;
    }
    double dt = hr_clock_sec() - t0;
    sink = s;
    (void)sink;
    return (double)count / dt;
}

int main(int argc, char **argv)
{
    const char *train =
        argc > 2 ? argv[1] : "../shared/data/m4-hourly-sample/Hourly-train-sample20.csv";
    const char *test =
        argc > 2 ? argv[2] : "../shared/data/m4-hourly-sample/Hourly-test-sample20.csv";
    uint64_t count = 50000000;
    hr_series_set tr, te;
    hr_error err = {0};
    if ((argc > 3 && (hr_parse_uint64(argv[3], strlen(argv[3]), &count) < 0 || count == 0)) ||
        hr_m4_read(train, &tr, &err) < 0) {
        fprintf(stderr, "bench-ets: %s\n", err.msg[0] ? err.msg : "bad update count");
        return 1;
    }
    if (hr_m4_read(test, &te, &err) < 0) {
        fprintf(stderr, "bench-ets: %s\n", err.msg);
        hr_series_set_release(&tr);
        return 1;
    }

    const hr_series *s0 = &tr.items[0];
    double base = bench_additions(s0->values, s0->len, count);
    double aada = bench_updates("AAdA", s0->values, s0->len, count);
    double ann = bench_updates("ANN", s0->values, s0->len, count);
    printf("baseline_add_per_sec=%.4g\n", base);
    printf("ets_update_per_sec=%.4g (ETS(A,Ad,A) m=24), ratio to additions %.3f\n", aada,
           aada / base);
    printf("ets_update_per_sec=%.4g (ETS(A,N,N)), ratio to additions %.3f\n", ann, ann / base);

    double total = 0, smape = 0, mase = 0;
    size_t ns = 0;
    for (size_t k = 0; k < tr.len; k++) {
        const double *y = tr.items[k].values;
        size_t n = tr.items[k].len;
        double t0 = hr_clock_sec();
        hr_model *m = fitted("ZZZ", y, n);
        total += hr_clock_sec() - t0;
        hr_fit_info fi;
        hr_model_info(m, &fi);
        if (k < te.len && te.items[k].len >= 48) {
            hr_forecast f;
            hr_forecast_init(&f, 48, NULL, 0, &err);
            hr_model_forecast(m, 48, &f, &err);
            smape += hr_smape(te.items[k].values, f.mean, 48);
            mase += hr_mase(te.items[k].values, f.mean, 48, hr_mase_scale(y, n, 24));
            ns++;
            hr_forecast_release(&f);
        }
        printf("series %zu: n=%zu %s aicc=%.2f\n", k + 1, n, fi.desc, fi.aicc);
        hr_model_free(m);
    }
    printf("ets_fit_sec_per_series=%.4f (auto ZZZ, m=24, %zu series)\n", total / (double)tr.len,
           tr.len);
    if (ns)
        printf("m4_sample_smape=%.4f m4_sample_mase=%.4f\n", smape / (double)ns, mase / (double)ns);
    hr_series_set_release(&tr);
    hr_series_set_release(&te);
    return 0;
}
