/* The solver: incremental move evaluation against the checker on random
 * instances with every constraint kind (dense and hashed counters), and
 * hr_roadef_solve on the worked example (its optimum), a1_1 and a2_1:
 * valid, never worse, deterministic for a seed. */
#include "testutil.h"

#include <headroom/plan.h>
#include <headroom/util.h>

#include "plan/state.h"

static hr_roadef *model(const char *rel)
{
    hr_roadef *in = NULL;
    hr_error err = {0};
    int rc = hr_roadef_read_model(test_data(rel), &in, &err);
    if (rc < 0) print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return in;
}

static int32_t *assignment(const hr_roadef *in, const char *rel)
{
    int32_t *a = NULL;
    assert_int_equal(hr_roadef_read_assignment(in, test_data(rel), &a, NULL), 0);
    return a;
}

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

/* A random instance (as model text) whose assignment m0 is valid: 8
 * machines in 4 locations and 3 neighbourhoods, 3 resources (0 transient),
 * 40 processes in 14 services with spread and dependencies that m0
 * satisfies, capacities m0's usage plus slack. */
static hr_roadef *random_instance(uint64_t seed, int32_t **m0_out)
{
    enum { M = 8, P = 40, S = 14, R = 3 };
    uint64_t x = seed;
    int32_t serv[P], m0[P], loc[M], nb[M];
    int64_t req[P][R], use[M][R] = {{0}};
    for (int m = 0; m < M; m++) {
        loc[m] = m % 4;
        nb[m] = (m / 3) % 3;
    }
    for (int p = 0; p < P; p++) {
        serv[p] = p < S ? p : (int32_t)(lcg(&x) % S);
        /* conflict: a machine not used by the service yet */
        int tries = 0;
        for (;;) {
            int32_t m = (int32_t)(lcg(&x) % M);
            bool taken = false;
            for (int q = 0; q < p; q++) taken |= serv[q] == serv[p] && m0[q] == m;
            if (!taken || ++tries > 50) {
                m0[p] = m;
                break;
            }
        }
        for (int r = 0; r < R; r++) {
            req[p][r] = 1 + (int64_t)(lcg(&x) % 20);
            use[m0[p]][r] += req[p][r];
        }
    }
    char *buf = malloc(1 << 16);
    size_t n = 0, cap = 1 << 16;
#define OUT(...) n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__)
    OUT("%d\n1 10\n0 10\n0 3\n%d\n", R, M);
    for (int m = 0; m < M; m++) {
        OUT("%d %d", nb[m], loc[m]);
        for (int r = 0; r < R; r++)
            OUT(" %lld", (long long)(use[m][r] + 10 + (int64_t)(lcg(&x) % 40)));
        for (int r = 0; r < R; r++) OUT(" %lld", (long long)(use[m][r] * 3 / 4));
        for (int k = 0; k < M; k++) OUT(" %d", k == m ? 0 : (int)(lcg(&x) % 3));
        OUT("\n");
    }
    OUT("%d\n", S);
    for (int s = 0; s < S; s++) {
        /* spread: what m0 achieves, at most 2; deps on services present
         * in every neighbourhood where s runs */
        int nl = 0, seen[4] = {0};
        for (int p = 0; p < P; p++)
            if (serv[p] == s && !seen[loc[m0[p]]]++) nl++;
        int deps[S], nd = 0;
        for (int t = 0; t < S; t++) {
            if (t == s || lcg(&x) % 4) continue;
            bool ok = true;
            for (int p = 0; p < P && ok; p++) {
                if (serv[p] != s) continue;
                bool found = false;
                for (int q = 0; q < P; q++) found |= serv[q] == t && nb[m0[q]] == nb[m0[p]];
                ok = found;
            }
            if (ok) deps[nd++] = t;
        }
        OUT("%d %d", nl < 2 ? nl : 2, nd);
        for (int i = 0; i < nd; i++) OUT(" %d", deps[i]);
        OUT("\n");
    }
    OUT("%d\n", P);
    for (int p = 0; p < P; p++)
        OUT("%d %lld %lld %lld %d\n", serv[p], (long long)req[p][0], (long long)req[p][1],
            (long long)req[p][2], 1 + (int)(lcg(&x) % 3));
    OUT("1\n0 1 2 10\n1 10 100\n");
#undef OUT
    hr_roadef *in = NULL;
    hr_error err = {0};
    int rc = hr_roadef_parse_model(buf, n, "random", &in, &err);
    if (rc < 0) print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    free(buf);
    int32_t *a = malloc(P * sizeof *a);
    memcpy(a, m0, sizeof m0);
    *m0_out = a;
    return in;
}

/* Cost of `a` by the checker, -1 when invalid. */
static int64_t checked(const hr_roadef *in, const int32_t *m0, const int32_t *a)
{
    hr_roadef_report rep;
    int n = hr_roadef_check(in, m0, a, &rep, NULL);
    assert_true(n >= 0);
    int64_t c = n == 0 ? rep.cost.total : -1;
    hr_roadef_report_release(&rep);
    return c;
}

/* Random shifts and swaps: the incremental verdict and cost agree with the
 * checker's on the candidate assignment, for every move tried. */
static void cross_check(const hr_roadef *in, const int32_t *m0, uint64_t seed, int moves)
{
    hr__state st;
    assert_int_equal(hr__state_init(&st, in, m0, m0), 0);
    assert_int_equal(st.cost, checked(in, m0, m0));
    int32_t *cand = malloc((size_t)in->nproc * sizeof *cand);
    uint64_t x = seed;
    int applied = 0, rejected = 0;
    for (int it = 0; it < moves; it++) {
        memcpy(cand, st.a, (size_t)in->nproc * sizeof *cand);
        int32_t p = (int32_t)(lcg(&x) % (uint64_t)in->nproc);
        bool swap = lcg(&x) % 3 == 0;
        int64_t d;
        bool ok;
        int32_t q = -1, m = (int32_t)(lcg(&x) % (uint64_t)in->nmach);
        if (swap) {
            q = (int32_t)(lcg(&x) % (uint64_t)in->nproc);
            if (st.a[p] == st.a[q] || in->serv[p] == in->serv[q]) continue;
            d = hr__swap_delta(&st, p, q);
            ok = d != INT64_MAX && hr__swap_ok(&st, p, q);
            cand[p] = st.a[q];
            cand[q] = st.a[p];
        } else {
            if (m == st.a[p]) continue;
            d = hr__shift_delta(&st, p, m);
            ok = d != INT64_MAX && hr__shift_ok(&st, p, m);
            cand[p] = m;
        }
        int64_t want = checked(in, m0, cand);
        if (ok != (want >= 0))
            print_error("move %d (%s p=%d q=%d m=%d): incremental %d, checker %lld\n", it,
                        swap ? "swap" : "shift", p, q, m, ok, (long long)want);
        assert_int_equal(ok, want >= 0);
        if (!ok) {
            rejected++;
            continue;
        }
        assert_int_equal(st.cost + d, want);
        int32_t m1 = st.a[p];
        if (swap) {
            int32_t m2 = st.a[q];
            assert_int_equal(hr__shift_apply(&st, p, m2), 0);
            assert_int_equal(hr__shift_apply(&st, q, m1), 0);
        } else {
            assert_int_equal(hr__shift_apply(&st, p, m), 0);
        }
        assert_int_equal(st.cost, want);
        assert_int_equal(st.cost, hr__state_recost(&st));
        applied++;
    }
    if (getenv("HR_TEST_VERBOSE") || applied <= moves / 20)
        print_error("applied %d of %d\n", applied, moves);
    assert_true(applied > moves / 20);
    assert_true(rejected > 0);
    free(cand);
    hr__state_release(&st);
}

static void test_incremental_random(void **state)
{
    (void)state;
    int n = under_valgrind() ? 3 : 12;
    for (int k = 0; k < n; k++) {
        int32_t *m0;
        hr_roadef *in = random_instance(1000 + (uint64_t)k, &m0);
        assert_int_equal(checked(in, m0, m0) >= 0, 1);
        hr__plan_dense_max = (int64_t)1 << 22;
        cross_check(in, m0, (uint64_t)k, 1500);
        hr__plan_dense_max = 0; /* the hash tables */
        cross_check(in, m0, (uint64_t)k + 77, 1500);
        hr__plan_dense_max = (int64_t)1 << 22;
        free(m0);
        hr_roadef_free(in);
    }
}

static void test_incremental_example(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_example.txt");
    int32_t *m0 = assignment(in, "roadef/initial_solution_example.txt");
    cross_check(in, m0, 5, 400);
    free(m0);
    hr_roadef_free(in);
}

static void test_solve_example(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_example.txt");
    int32_t *m0 = assignment(in, "roadef/initial_solution_example.txt");
    int32_t a[3];
    memcpy(a, m0, sizeof a);
    hr_roadef_opts o = {.seed = 3, .max_iters = 20000};
    hr_roadef_cost c;
    hr_roadef_stats st;
    assert_int_equal(hr_roadef_solve(in, m0, a, &o, &c, &st, NULL), 0);
    assert_int_equal(c.total, 2411); /* the subject's optimum */
    assert_int_equal(a[0], 0);
    assert_int_equal(a[1], 2);
    assert_int_equal(a[2], 1);
    assert_int_equal(st.iters, 20000);
    free(m0);
    hr_roadef_free(in);
}

static void test_solve_a1_1(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_a1_1.txt");
    int32_t *m0 = assignment(in, "roadef/assignment_a1_1.txt");
    int32_t *a = malloc(100 * sizeof *a), *b = malloc(100 * sizeof *b);
    memcpy(a, m0, 100 * sizeof *a);
    memcpy(b, m0, 100 * sizeof *b);
    uint64_t iters = under_valgrind() ? 20000 : 400000;
    hr_roadef_opts o = {.seed = 11, .max_iters = iters};
    hr_roadef_cost ca, cb;
    assert_int_equal(hr_roadef_solve(in, m0, a, &o, &ca, NULL, NULL), 0);
    assert_int_equal(hr_roadef_solve(in, m0, b, &o, &cb, NULL, NULL), 0);
    assert_int_equal(ca.total, cb.total); /* deterministic for a seed */
    assert_memory_equal(a, b, 100 * sizeof *a);
    assert_int_equal(checked(in, m0, a), ca.total);
    /* the optimum is 44,306,501 (initial 49,528,750) */
    assert_true(ca.total >= 44306501);
    assert_true(ca.total <= (under_valgrind() ? 49528750 : 44306501 + 44306501 / 1000));
    /* a stop flag already set: the input comes back unchanged */
    atomic_int stop = 1;
    hr_roadef_opts os = {.seed = 1, .stop = &stop};
    memcpy(b, m0, 100 * sizeof *b);
    assert_int_equal(hr_roadef_solve(in, m0, b, &os, &cb, NULL, NULL), 0);
    assert_int_equal(cb.total, 49528750);
    /* an invalid start is refused */
    int32_t bad[100] = {0};
    hr_error err = {0};
    assert_int_equal(hr_roadef_solve(in, m0, bad, &o, &cb, NULL, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "violations"));
    free(a);
    free(b);
    free(m0);
    hr_roadef_free(in);
}

static void test_solve_a2_1_deadline(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_a2_1.txt");
    int32_t *m0 = assignment(in, "roadef/assignment_a2_1.txt");
    int32_t *a = malloc(1000 * sizeof *a);
    memcpy(a, m0, 1000 * sizeof *a);
    double t0 = hr_clock_sec();
    hr_roadef_opts o = {.seed = 5, .deadline_sec = t0 + 0.3};
    hr_roadef_cost c;
    assert_int_equal(hr_roadef_solve(in, m0, a, &o, &c, NULL, NULL), 0);
    double took = hr_clock_sec() - t0;
    assert_true(took < 0.3 + 0.25); /* stops within a check interval, plus the final check */
    assert_int_equal(checked(in, m0, a), c.total);
    /* initial 391,189,190; best known 167-198. How far 0.3 s gets depends
     * on the machine (sanitizers, valgrind, load): only "better" is asserted */
    assert_true(c.total < 391189190);
    free(a);
    free(m0);
    hr_roadef_free(in);
}

/* A long history with peeks (short descents from the exploring state):
 * they run, the answer is valid, never worse, and deterministic. */
static void test_solve_peeks(void **state)
{
    (void)state;
    hr_roadef *in = model("roadef/model_a1_1.txt");
    int32_t *m0 = assignment(in, "roadef/assignment_a1_1.txt");
    int32_t *a = malloc(100 * sizeof *a), *b = malloc(100 * sizeof *b);
    memcpy(a, m0, 100 * sizeof *a);
    memcpy(b, m0, 100 * sizeof *b);
    uint64_t iters = under_valgrind() ? 40000 : 400000;
    hr_roadef_opts o = {.seed = 7, .max_iters = iters, .lahc_len = 300000, .peek_every = iters / 8};
    hr_roadef_cost ca, cb;
    hr_roadef_stats sa, sb;
    assert_int_equal(hr_roadef_solve(in, m0, a, &o, &ca, &sa, NULL), 0);
    assert_int_equal(hr_roadef_solve(in, m0, b, &o, &cb, &sb, NULL), 0);
    assert_int_equal(sa.peeks, 7); /* at 1/8, 2/8, ... 7/8 of the attempts */
    assert_int_equal(sa.iters, iters);
    assert_int_equal(ca.total, cb.total);
    assert_memory_equal(a, b, 100 * sizeof *a);
    assert_int_equal(checked(in, m0, a), ca.total);
    assert_true(ca.total >= 44306501);
    assert_true(ca.total < 49528750);
    /* a short history: no peeks */
    hr_roadef_opts os = {.seed = 7, .max_iters = iters / 4, .peek_every = iters / 64};
    memcpy(b, m0, 100 * sizeof *b);
    assert_int_equal(hr_roadef_solve(in, m0, b, &os, &cb, &sb, NULL), 0);
    assert_int_equal(sb.peeks, 0);
    free(a);
    free(b);
    free(m0);
    hr_roadef_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incremental_random),  cmocka_unit_test(test_incremental_example),
        cmocka_unit_test(test_solve_example),       cmocka_unit_test(test_solve_a1_1),
        cmocka_unit_test(test_solve_a2_1_deadline), cmocka_unit_test(test_solve_peeks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
