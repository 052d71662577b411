/* Large-neighbourhood search step: the processes of a few machines are
 * re-placed among those machines by an exact MIP solved with COIN-OR CBC
 * (C interface), everything else fixed. The model is exact for the
 * sub-problem: assignment, capacity, transient usage, conflict, spread,
 * dependency (both directions), load, balance and the three move costs
 * (the service move cost through max over services). The answer is
 * re-checked by the checker before it is taken. */
#ifdef HR_HAVE_CBC
#include <headroom/plan.h>
#include <headroom/util.h>

#include <Cbc_C_Interface.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plan/internal.h"
#include "util/banned.h"

#define LNS_MAX_VARS 20000

/* Each sub-MIP is solved in a child process (fork): CBC's C interface
 * keeps process-wide state (so sub-MIPs of several threads cannot share a
 * process), and Clp can abort on an internal assertion, which must not take
 * the solver with it. The child writes its answer to a pipe; the parent
 * waits at most the time cap plus half of it (at most CHILD_GRACE seconds)
 * or until *stop, then kills it. */
#define CHILD_GRACE 1.0

typedef struct sub {
    const hr_roadef *in;
    const int32_t *m0, *a;
    const int32_t *mach; /* [k] */
    int32_t k;
    int32_t *q; /* [nq] processes in the sub-problem */
    int32_t nq;
    int32_t *slot; /* [nmach] index in mach or -1 */
    int32_t *qidx; /* [nproc] index in q or -1 */
    Cbc_Model *lp;
    int ncols;
    /* row buffers */
    int *cols;
    double *coef;
    int cap;
} sub;

static int xcol(const sub *s, int32_t qi, int32_t j)
{
    return qi * s->k + j;
}

static int add_col(sub *s, double lb, double ub, double obj, char integer)
{
    char name[16];
    snprintf(name, sizeof name, "c%d", s->ncols);
    Cbc_addCol(s->lp, name, lb, ub, obj, integer, 0, NULL, NULL);
    return s->ncols++;
}

static int row_reserve(sub *s, int n)
{
    if (n <= s->cap) return 0;
    int nc = n * 2;
    int *c = realloc(s->cols, (size_t)nc * sizeof *c);
    if (!c) return HR_ENOMEM;
    s->cols = c;
    double *v = realloc(s->coef, (size_t)nc * sizeof *v);
    if (!v) return HR_ENOMEM;
    s->coef = v;
    s->cap = nc;
    return 0;
}

static void add_row(sub *s, int n, char sense, double rhs)
{
    Cbc_addRow(s->lp, "r", n, s->cols, s->coef, sense, rhs);
}

/* Assignment, conflict, capacity, transient, load and balance rows. */
static int machine_rows(sub *s, const int64_t *txfix)
{
    const hr_roadef *in = s->in;
    int32_t R = in->nres, k = s->k;
    if (row_reserve(s, s->nq + 2) < 0) return HR_ENOMEM;
    for (int32_t qi = 0; qi < s->nq; qi++) {
        for (int32_t j = 0; j < k; j++) {
            s->cols[j] = xcol(s, qi, j);
            s->coef[j] = 1;
        }
        add_row(s, k, 'E', 1);
    }
    for (int32_t j = 0; j < k; j++) {
        int32_t m = s->mach[j];
        const int64_t *c = in->cap + (size_t)m * R, *sc = in->safety + (size_t)m * R;
        for (int32_t r = 0; r < R; r++) {
            int n = 0;
            for (int32_t qi = 0; qi < s->nq; qi++) {
                int64_t v = in->req[(size_t)s->q[qi] * R + r];
                if (v) {
                    s->cols[n] = xcol(s, qi, j);
                    s->coef[n++] = (double)v;
                }
            }
            add_row(s, n, 'L', (double)c[r]);
            if (in->wload[r]) { /* o >= usage - SC  <=>  usage - o <= SC */
                s->cols[n] = add_col(s, 0, 1e15, (double)in->wload[r], 0);
                s->coef[n++] = -1;
                add_row(s, n, 'L', (double)sc[r]);
            }
            if (in->transient[r]) {
                double rhs = (double)(c[r] - txfix[(size_t)j * R + r]);
                n = 0;
                for (int32_t qi = 0; qi < s->nq; qi++) {
                    int32_t p = s->q[qi];
                    int64_t v = in->req[(size_t)p * R + r];
                    if (s->m0[p] == m)
                        rhs -= (double)v; /* held here whatever happens */
                    else if (v) {
                        s->cols[n] = xcol(s, qi, j);
                        s->coef[n++] = (double)v;
                    }
                }
                add_row(s, n, 'L', rhs);
            }
        }
        for (int32_t b = 0; b < in->nbal; b++) {
            /* bal >= t (C1 - U1) - (C2 - U2)  <=>  bal + t U1 - U2 >= t C1 - C2 */
            const hr_roadef_balance *bl = &in->bal[b];
            if (!bl->weight) continue;
            int n = 0;
            for (int32_t qi = 0; qi < s->nq; qi++) {
                double v = (double)bl->target * (double)in->req[(size_t)s->q[qi] * R + bl->r1] -
                           (double)in->req[(size_t)s->q[qi] * R + bl->r2];
                if (v != 0) {
                    s->cols[n] = xcol(s, qi, j);
                    s->coef[n++] = v;
                }
            }
            s->cols[n] = add_col(s, 0, 1e15, (double)bl->weight, 0);
            s->coef[n++] = 1;
            add_row(s, n, 'G', (double)bl->target * (double)c[bl->r1] - (double)c[bl->r2]);
        }
    }
    return 0;
}

/* Conflict, spread, service move cost and dependency rows, service by service. */
static int service_rows(sub *s, const int32_t *rdep_start, const int32_t *rdeps)
{
    const hr_roadef *in = s->in;
    int32_t k = s->k;
    int rc = 0;
    /* stamps per location / neighbourhood: fixed presence of the service */
    int32_t *lfix = hr__plan_calloc((size_t)in->nloc, sizeof *lfix);
    int32_t *nfix = hr__plan_calloc((size_t)in->nneigh, sizeof *nfix);
    int32_t *nfix2 = hr__plan_calloc((size_t)in->nneigh, sizeof *nfix2);
    int32_t *nhand = hr__plan_calloc((size_t)in->nneigh, sizeof *nhand);
    int32_t *done = hr__plan_calloc((size_t)in->nserv, sizeof *done);
    if (!lfix || !nfix || !nfix2 || !nhand || !done) {
        rc = HR_ENOMEM;
        goto out;
    }
    /* z >= moved count of every service; services outside give a constant */
    int32_t *movedfix = hr__plan_calloc((size_t)in->nserv, sizeof *movedfix);
    if (!movedfix) {
        rc = HR_ENOMEM;
        goto out;
    }
    int32_t zmin = 0;
    for (int32_t p = 0; p < in->nproc; p++)
        if (s->qidx[p] < 0 && s->a[p] != s->m0[p]) {
            int32_t v = ++movedfix[in->serv[p]];
            if (v > zmin) zmin = v;
        }
    int z = add_col(s, zmin, 1e9, (double)in->w_smc, 0);
    int32_t svs = 0, stamp = 0;
    for (int32_t qi = 0; qi < s->nq && rc == 0; qi++) {
        int32_t sv = in->serv[s->q[qi]];
        if (done[sv]) continue;
        done[sv] = 1;
        svs++;
        int32_t nlf = 0;
        int n = 0, nq_s = 0;
        for (int32_t i = in->sp_start[sv]; i < in->sp_start[sv + 1]; i++) {
            int32_t p = in->sp[i];
            if (s->qidx[p] >= 0) {
                nq_s++;
                continue;
            }
            int32_t l = in->loc[s->a[p]], nb = in->neigh[s->a[p]];
            if (lfix[l] != svs) {
                lfix[l] = svs;
                nlf++;
            }
            nfix[nb] = svs;
        }
        if ((rc = row_reserve(s, (nq_s + 1) * k + 8)) < 0) break;
        /* conflict: at most one of the service per machine */
        if (nq_s > 1)
            for (int32_t j = 0; j < k; j++) {
                n = 0;
                for (int32_t i = in->sp_start[sv]; i < in->sp_start[sv + 1]; i++) {
                    int32_t p = in->sp[i];
                    if (s->qidx[p] >= 0) {
                        s->cols[n] = xcol(s, s->qidx[p], j);
                        s->coef[n++] = 1;
                    }
                }
                add_row(s, n, 'L', 1);
            }
        /* service move: z >= fixed moved + moved in the sub-problem */
        {
            double rhs = movedfix[sv];
            n = 0;
            for (int32_t i = in->sp_start[sv]; i < in->sp_start[sv + 1]; i++) {
                int32_t p = in->sp[i];
                if (s->qidx[p] < 0) continue;
                int32_t j0 = s->slot[s->m0[p]];
                rhs += 1; /* moved unless it sits on its original machine */
                if (j0 >= 0) {
                    s->cols[n] = xcol(s, s->qidx[p], j0);
                    s->coef[n++] = 1;
                }
            }
            /* z + sum x_home >= rhs */
            s->cols[n] = z;
            s->coef[n++] = 1;
            add_row(s, n, 'G', rhs);
        }
        /* spread: enough new locations among the sub-problem's machines */
        int32_t need = in->spread_min[sv] - nlf;
        if (need > 0) {
            int yrow_cols = 0;
            int32_t *ycol = hr__plan_calloc((size_t)k, sizeof *ycol);
            if (!ycol) {
                rc = HR_ENOMEM;
                break;
            }
            for (int32_t j = 0; j < k; j++) {
                int32_t l = in->loc[s->mach[j]];
                if (lfix[l] == svs) continue;
                bool first_of_l = true;
                for (int32_t jj = 0; jj < j; jj++) first_of_l &= in->loc[s->mach[jj]] != l;
                if (!first_of_l) continue;
                /* y_l <= sum of x over machines of location l */
                int y = add_col(s, 0, 1, 0, 0);
                ycol[yrow_cols++] = y;
                n = 0;
                for (int32_t jj = 0; jj < k; jj++) {
                    if (in->loc[s->mach[jj]] != l) continue;
                    for (int32_t i = in->sp_start[sv]; i < in->sp_start[sv + 1]; i++) {
                        int32_t p = in->sp[i];
                        if (s->qidx[p] >= 0) {
                            s->cols[n] = xcol(s, s->qidx[p], jj);
                            s->coef[n++] = 1;
                        }
                    }
                }
                s->cols[n] = y;
                s->coef[n++] = -1;
                add_row(s, n, 'G', 0);
            }
            for (int i = 0; i < yrow_cols; i++) {
                s->cols[i] = ycol[i];
                s->coef[i] = 1;
            }
            add_row(s, yrow_cols, 'G', need);
            free(ycol);
        }
        /* dependencies of sv: x[p][j] <= presence of each dependency in neigh(j) */
        for (int32_t d = in->dep_start[sv]; d < in->dep_start[sv + 1] && rc == 0; d++) {
            int32_t sb = in->deps[d];
            if (sb == sv) continue;
            stamp++;
            for (int32_t i = in->sp_start[sb]; i < in->sp_start[sb + 1]; i++) {
                int32_t p = in->sp[i];
                if (s->qidx[p] < 0) nfix2[in->neigh[s->a[p]]] = stamp;
            }
            if ((rc = row_reserve(s, (in->sp_start[sb + 1] - in->sp_start[sb]) * k + 2)) < 0) break;
            for (int32_t j = 0; j < k; j++) {
                int32_t nb = in->neigh[s->mach[j]];
                if (nfix2[nb] == stamp) continue;
                n = 0;
                for (int32_t i = in->sp_start[sb]; i < in->sp_start[sb + 1]; i++) {
                    int32_t q = in->sp[i];
                    if (s->qidx[q] < 0) continue;
                    for (int32_t jj = 0; jj < k; jj++)
                        if (in->neigh[s->mach[jj]] == nb) {
                            s->cols[n] = xcol(s, s->qidx[q], jj);
                            s->coef[n++] = -1;
                        }
                }
                int base = n;
                for (int32_t i = in->sp_start[sv]; i < in->sp_start[sv + 1]; i++) {
                    int32_t p = in->sp[i];
                    if (s->qidx[p] < 0) continue;
                    s->cols[base] = xcol(s, s->qidx[p], j);
                    s->coef[base] = 1;
                    add_row(s, base + 1, 'L', 0);
                }
            }
        }
        /* services depending on sv, with fixed processes in a neighbourhood
         * where sv has no fixed process: sv must stay present there */
        for (int32_t i = rdep_start[sv]; i < rdep_start[sv + 1] && rc == 0; i++) {
            int32_t sa = rdeps[i];
            for (int32_t t = in->sp_start[sa]; t < in->sp_start[sa + 1]; t++) {
                int32_t p = in->sp[t];
                if (s->qidx[p] >= 0) continue;
                int32_t nb = in->neigh[s->a[p]];
                if (nfix[nb] == svs || nhand[nb] == svs) continue;
                nhand[nb] = svs;
                if ((rc = row_reserve(s, (nq_s + 1) * k + 2)) < 0) break;
                n = 0;
                for (int32_t u = in->sp_start[sv]; u < in->sp_start[sv + 1]; u++) {
                    int32_t q = in->sp[u];
                    if (s->qidx[q] < 0) continue;
                    for (int32_t jj = 0; jj < k; jj++)
                        if (in->neigh[s->mach[jj]] == nb) {
                            s->cols[n] = xcol(s, s->qidx[q], jj);
                            s->coef[n++] = 1;
                        }
                }
                add_row(s, n, 'G', 1);
            }
        }
    }
    free(movedfix);
out:
    free(lfix);
    free(nfix);
    free(nfix2);
    free(nhand);
    free(done);
    return rc;
}

/* Reverse dependencies (services depending on each service, self excluded). */
static int rdeps_build(const hr_roadef *in, int32_t **start, int32_t **list)
{
    int32_t *st = hr__plan_calloc((size_t)in->nserv + 1, sizeof *st);
    int32_t *li = hr__plan_calloc((size_t)in->dep_start[in->nserv], sizeof *li);
    int32_t *fill = hr__plan_calloc((size_t)in->nserv, sizeof *fill);
    if (!st || !li || !fill) {
        free(st);
        free(li);
        free(fill);
        return HR_ENOMEM;
    }
    for (int32_t sa = 0; sa < in->nserv; sa++)
        for (int32_t d = in->dep_start[sa]; d < in->dep_start[sa + 1]; d++)
            if (in->deps[d] != sa) st[in->deps[d] + 1]++;
    for (int32_t s = 0; s < in->nserv; s++) st[s + 1] += st[s];
    for (int32_t sa = 0; sa < in->nserv; sa++)
        for (int32_t d = in->dep_start[sa]; d < in->dep_start[sa + 1]; d++) {
            int32_t sb = in->deps[d];
            if (sb != sa) li[st[sb] + fill[sb]++] = sa;
        }
    free(fill);
    *start = st;
    *list = li;
    return 0;
}

static int64_t cost_of(const hr_roadef *in, const int32_t *m0, const int32_t *a)
{
    hr_roadef_report rep;
    int n = hr_roadef_check(in, m0, a, &rep, NULL);
    int64_t c = n == 0 ? rep.cost.total : -1;
    hr_roadef_report_release(&rep);
    return c;
}

static int build_and_solve(sub *s, const int64_t *txfix, const int32_t *rs, const int32_t *rl,
                           double sub_sec, int32_t *out)
{
    const hr_roadef *in = s->in;
    int rc;
    /* x columns with their move costs, home machine first in the MIP start */
    for (int32_t qi = 0; qi < s->nq; qi++) {
        int32_t p = s->q[qi], o = s->m0[p];
        for (int32_t j = 0; j < s->k; j++) {
            int32_t m = s->mach[j];
            double c = (double)(in->w_mmc * in->mmc[(size_t)o * in->nmach + m]);
            if (m != o) c += (double)(in->w_pmc * in->pmc[p]);
            add_col(s, 0, 1, c, 1);
        }
    }
    if ((rc = machine_rows(s, txfix)) < 0) return rc;
    if ((rc = service_rows(s, rs, rl)) < 0) return rc;
    int *idx = malloc((size_t)s->nq * (size_t)s->k * sizeof *idx);
    double *val = malloc((size_t)s->nq * (size_t)s->k * sizeof *val);
    if (!idx || !val) {
        free(idx);
        free(val);
        return HR_ENOMEM;
    }
    int n = 0;
    for (int32_t qi = 0; qi < s->nq; qi++)
        for (int32_t j = 0; j < s->k; j++) {
            idx[n] = xcol(s, qi, j);
            val[n++] = s->a[s->q[qi]] == s->mach[j] ? 1.0 : 0.0;
        }
    Cbc_setMIPStartI(s->lp, n, idx, val);
    free(idx);
    free(val);
    Cbc_setLogLevel(s->lp, 0);
    Cbc_setMaximumSeconds(s->lp, sub_sec);
    Cbc_solve(s->lp);
    if (Cbc_numberSavedSolutions(s->lp) < 1 && !Cbc_isProvenOptimal(s->lp)) return 0;
    const double *x = Cbc_getColSolution(s->lp);
    if (!x) return 0;
    for (int32_t qi = 0; qi < s->nq; qi++) {
        int32_t best = -1;
        for (int32_t j = 0; j < s->k; j++)
            if (x[xcol(s, qi, j)] > 0.5) best = j;
        if (best < 0) return 0;
        out[s->q[qi]] = s->mach[best];
    }
    return 1;
}

/* All of buf to fd (the child's side). */
static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Read len bytes from fd before `deadline` (hr_clock_sec); false on EOF,
 * error, time out or *stop (checked every 50 ms; may be NULL). */
static bool read_all(int fd, void *buf, size_t len, double deadline, atomic_int *stop)
{
    char *p = buf;
    while (len) {
        double left = deadline - hr_clock_sec();
        if (left <= 0 || (stop && atomic_load_explicit(stop, memory_order_relaxed))) return false;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int r = poll(&pf, 1, left > 0.05 ? 50 : (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return false;
        if (r == 0) continue;
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Build and solve the sub-MIP in a child process; its answer (the machines
 * of the sub-problem's processes) comes back through a pipe into `out`.
 * 1: a solution, 0: none (no solution, the child failed or was late). */
static int solve_in_child(sub *s, const int64_t *txfix, const int32_t *rs, const int32_t *rl,
                          double sub_sec, atomic_int *stop, int32_t *out)
{
    int fd[2];
    if (pipe(fd) < 0) return 0;
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return 0;
    }
    if (pid == 0) { /* the child: solve, write (status, machines), leave */
        close(fd[0]);
        /* quiet, and no core file should Clp abort */
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
            close(devnull);
        }
        struct rlimit nocore = {0, 0};
        setrlimit(RLIMIT_CORE, &nocore);
        int32_t st = 0;
        s->lp = Cbc_newModel();
        if (s->lp) st = build_and_solve(s, txfix, rs, rl, sub_sec, out) == 1;
        bool ok = write_all(fd[1], &st, sizeof st);
        for (int32_t qi = 0; ok && st && qi < s->nq; qi++)
            ok = write_all(fd[1], &out[s->q[qi]], sizeof out[0]);
        _exit(ok ? 0 : 1);
    }
    close(fd[1]);
    double deadline =
        hr_clock_sec() + sub_sec + (sub_sec / 2 < CHILD_GRACE ? sub_sec / 2 : CHILD_GRACE);
    int32_t st = 0;
    bool ok = read_all(fd[0], &st, sizeof st, deadline, stop);
    for (int32_t qi = 0; ok && st && qi < s->nq; qi++) {
        int32_t m;
        ok = read_all(fd[0], &m, sizeof m, deadline, stop) && m >= 0 && m < s->in->nmach;
        if (ok) out[s->q[qi]] = m;
    }
    close(fd[0]);
    if (!ok) kill(pid, SIGKILL); /* late or broken: it has nothing more to say */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    return ok && st ? 1 : 0;
}

int hr__lns_solve(const hr_roadef *in, const int32_t *m0, int32_t *assign, const int32_t *mach,
                  int32_t k, double sub_sec, atomic_int *stop, hr_error *err)
{
    sub s = {.in = in, .m0 = m0, .a = assign, .mach = mach, .k = k};
    int32_t R = in->nres, *rs = NULL, *rl = NULL, *cand = NULL;
    int64_t *txfix = NULL;
    int rc = HR_ENOMEM;
    s.slot = malloc((size_t)in->nmach * sizeof *s.slot);
    s.qidx = malloc((size_t)in->nproc * sizeof *s.qidx);
    s.q = malloc((size_t)in->nproc * sizeof *s.q);
    txfix = hr__plan_calloc((size_t)k * (size_t)R, sizeof *txfix);
    if (!s.slot || !s.qidx || !s.q || !txfix) goto out;
    memset(s.slot, 0xff, (size_t)in->nmach * sizeof *s.slot);
    memset(s.qidx, 0xff, (size_t)in->nproc * sizeof *s.qidx);
    for (int32_t j = 0; j < k; j++) s.slot[mach[j]] = j;
    for (int32_t p = 0; p < in->nproc; p++) {
        int32_t j = s.slot[assign[p]];
        if (j >= 0) {
            s.qidx[p] = s.nq;
            s.q[s.nq++] = p;
        } else if (s.slot[m0[p]] >= 0) { /* moved away from a sub-problem machine */
            for (int32_t r = 0; r < R; r++)
                if (in->transient[r])
                    txfix[(size_t)s.slot[m0[p]] * R + r] += in->req[(size_t)p * R + r];
        }
    }
    rc = 0;
    if (s.nq < 2 || (int64_t)s.nq * k > LNS_MAX_VARS) goto out;
    rc = HR_ENOMEM;
    if (rdeps_build(in, &rs, &rl) < 0) goto out;
    cand = malloc((size_t)in->nproc * sizeof *cand);
    if (!cand) goto out;
    memcpy(cand, assign, (size_t)in->nproc * sizeof *cand);
    rc = solve_in_child(&s, txfix, rs, rl, sub_sec, stop, cand);
    if (rc == 1) {
        int64_t before = cost_of(in, m0, assign), after = cost_of(in, m0, cand);
        if (after >= 0 && after < before)
            memcpy(assign, cand, (size_t)in->nproc * sizeof *assign);
        else
            rc = 0;
    }
out:
    if (rc == HR_ENOMEM) hr_error_set(err, rc, "lns: out of memory");
    free(s.slot);
    free(s.qidx);
    free(s.q);
    free(s.cols);
    free(s.coef);
    free(txfix);
    free(rs);
    free(rl);
    free(cand);
    return rc;
}
#else
/* Built without CBC: nothing here (hr_roadef_have_cbc() is false). */
typedef int hr__lns_unused;
#endif
