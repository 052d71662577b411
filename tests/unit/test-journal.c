/* The action journal and runner on a real SQLite file: idempotent adds,
 * durable state changes, retries with backoff (virtual time), timeouts,
 * per-host concurrency, stage order, and replay after a SIGKILL. */
#include "testutil.h"

#include <headroom/act.h>
#include <headroom/util.h>

#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- a scratch directory per test ---- */
typedef struct fx {
    char dir[64];
    char db[96];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/hr-test-journal-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->db, sizeof f->db, "%s/j.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

/* ---- a driver that writes files: apply writes params.value into
 * dir/target and logs "apply target" to dir/log; poll compares. ---- */
typedef struct mark {
    const char *dir;
    int crash_before; /* target number whose apply blocks before writing (child only) */
    int crash_after;  /* ... after writing */
    int crash_fd;     /* pipe to tell the parent */
    int fail_times;   /* transient failures before success, per action */
    int permanent;    /* apply fails with HR_EINVAL */
    int async_polls;  /* apply returns RUNNING; poll says DONE after this many polls */
    int never_done;   /* poll always RUNNING */
    int cancels;
    int running, max_running; /* concurrency seen */
    int polls[16];
    int failures[16];
} mark;

static int target_no(const hr_action *a)
{
    int64_t n = 0;
    hr_parse_int64_z(a->target + 1, &n);
    return (int)n;
}

static void log_line(mark *m, const char *what, const hr_action *a)
{
    char p[300];
    snprintf(p, sizeof p, "%s/log", m->dir);
    FILE *f = fopen(p, "a");
    fprintf(f, "%s %s\n", what, a->target);
    fclose(f);
}

static const char *value_of(const hr_action *a, char *buf, size_t n)
{
    json_t *p = json_loads(a->params, 0, NULL);
    snprintf(buf, n, "%s", json_string_value(json_object_get(p, "value")));
    json_decref(p);
    return buf;
}

static void block_forever(mark *m)
{
    char c = 'x';
    if (write(m->crash_fd, &c, 1) != 1) _exit(3);
    for (;;) pause();
}

static int mark_apply(void *ud, hr_action *a, hr_error *err)
{
    mark *m = ud;
    int t = target_no(a);
    if (m->permanent) return hr_error_set(err, HR_EINVAL, "%s: bad value", a->target);
    if (m->failures[t] < m->fail_times) {
        m->failures[t]++;
        return hr_error_set(err, HR_EIO, "%s: transient failure %d", a->target, m->failures[t]);
    }
    if (t == m->crash_before) block_forever(m);
    log_line(m, "apply", a);
    char p[300], v[64];
    snprintf(p, sizeof p, "%s/%s", m->dir, a->target);
    FILE *f = fopen(p, "w");
    fputs(value_of(a, v, sizeof v), f);
    fclose(f);
    if (t == m->crash_after) block_forever(m);
    if (m->async_polls || m->never_done) {
        m->running++;
        if (m->running > m->max_running) m->max_running = m->running;
        return HR_ACT_RUNNING;
    }
    return HR_ACT_DONE;
}

static int mark_poll(void *ud, hr_action *a, hr_error *err)
{
    mark *m = ud;
    int t = target_no(a);
    if (m->never_done) return HR_ACT_RUNNING;
    if (m->async_polls && ++m->polls[t] < m->async_polls) {
        a->progress = (double)m->polls[t] / m->async_polls;
        return HR_ACT_RUNNING;
    }
    char p[300], v[64], got[64] = "";
    snprintf(p, sizeof p, "%s/%s", m->dir, a->target);
    FILE *f = fopen(p, "r");
    if (f) {
        if (!fgets(got, sizeof got, f)) got[0] = 0;
        fclose(f);
    }
    if (strcmp(got, value_of(a, v, sizeof v))) return HR_ACT_PENDING;
    if (m->async_polls) m->running--;
    return HR_ACT_DONE;
}

static int mark_cancel(void *ud, hr_action *a, hr_error *err)
{
    mark *m = ud;
    m->cancels++;
    return 0;
}

static int reject_t1(void *ud, const hr_action *a, hr_error *err)
{
    return strcmp(a->target, "t1") ? 0 : hr_error_set(err, HR_EINVAL, "t1 rejected");
}

static hr_act_driver mark_driver(mark *m)
{
    hr_act_driver d = {
        .kind = "mark", .ud = m, .apply = mark_apply, .poll = mark_poll, .cancel = mark_cancel};
    return d;
}

static int count_lines(const char *dir, const char *line)
{
    char p[300], buf[256];
    snprintf(p, sizeof p, "%s/log", dir);
    FILE *f = fopen(p, "r");
    int n = 0;
    while (f && fgets(buf, sizeof buf, f)) n += !strcmp(buf, line);
    if (f) fclose(f);
    return n;
}

static void add(hr_journal *j, int t, int stage, const char *host, int64_t *id)
{
    hr_action a = {.stage = stage};
    snprintf(a.key, sizeof a.key, "plan1/step%d", t);
    snprintf(a.kind, sizeof a.kind, "mark");
    snprintf(a.host, sizeof a.host, "%s", host);
    snprintf(a.target, sizeof a.target, "t%d", t);
    char params[64];
    snprintf(params, sizeof params, "{\"value\": \"v%d\"}", t);
    a.params = params;
    hr_error err = {0};
    assert_int_equal(hr_journal_add(j, &a, id, &err), 0);
}

/* ---- virtual clock ---- */
typedef struct vclock {
    int64_t t;
} vclock;
static int64_t v_now(void *ud)
{
    return ((vclock *)ud)->t;
}
static void v_sleep(void *ud, int64_t ms)
{
    ((vclock *)ud)->t += ms > 0 ? ms : 1;
}

static void test_add_idempotent(void **state)
{
    fx *f = *state;
    hr_journal *j = NULL;
    hr_error err = {0};
    assert_int_equal(hr_journal_open(f->db, &j, &err), 0);
    int64_t id1, id2;
    add(j, 1, 0, "h1", &id1);
    hr_action a = {.params = "{\"value\": \"other\"}"};
    snprintf(a.key, sizeof a.key, "plan1/step1");
    snprintf(a.kind, sizeof a.kind, "mark");
    assert_int_equal(hr_journal_add(j, &a, &id2, &err), 1);
    assert_int_equal(id1, id2);
    hr_action got;
    assert_int_equal(hr_journal_get(j, id1, &got, &err), 0);
    assert_string_equal(got.params, "{\"value\": \"v1\"}"); /* the first one stands */
    assert_int_equal(got.state, HR_ACT_PENDING);
    hr_action_release(&got);
    /* Bad specs. */
    a.params = "[1]";
    snprintf(a.key, sizeof a.key, "k2");
    assert_int_equal(hr_journal_add(j, &a, &id2, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "not a JSON object"));
    a.key[0] = 0;
    assert_int_equal(hr_journal_add(j, &a, &id2, &err), HR_EINVAL);
    assert_int_equal(hr_journal_get(j, 999, &got, &err), HR_ENOTFOUND);
    hr_journal_close(j);
    /* Reopen: WAL mode persisted, the action is there. */
    assert_int_equal(hr_journal_open(f->db, &j, &err), 0);
    assert_int_equal(hr_journal_find(j, "plan1/step1", &got, &err), 0);
    assert_int_equal(got.id, id1);
    hr_action_release(&got);
    hr_journal_close(j);
    char wal[320];
    snprintf(wal, sizeof wal, "sqlite3 '%s' 'PRAGMA journal_mode' | grep -qx wal", f->db);
    assert_int_equal(system(wal), 0);
    /* Not a database. */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/bad.db", f->dir);
    FILE *b = fopen(bad, "w");
    fputs("this is not a database, just some text that is long enough to be read as a header", b);
    fclose(b);
    assert_int_equal(hr_journal_open(bad, &j, &err), HR_EIO);
    assert_non_null(strstr(err.msg, bad));
}

static void test_run_stages_and_events(void **state)
{
    fx *f = *state;
    hr_journal *j = NULL;
    hr_error err = {0};
    assert_int_equal(hr_journal_open(f->db, &j, &err), 0);
    int64_t ids[3];
    add(j, 1, 0, "h1", &ids[0]);
    add(j, 2, 1, "h1", &ids[1]);
    add(j, 3, 1, "h2", &ids[2]);
    mark m = {.dir = f->dir};
    hr_act_driver d = mark_driver(&m);
    hr_act_summary sum;
    assert_int_equal(hr_act_run(j, &d, 1, NULL, &sum, &err), 0);
    assert_int_equal(sum.done, 3);
    assert_int_equal(sum.retries, 0);
    for (int i = 0; i < 3; i++) {
        hr_action a;
        assert_int_equal(hr_journal_get(j, ids[i], &a, &err), 0);
        assert_int_equal(a.state, HR_ACT_DONE);
        assert_int_equal(a.attempts, 1);
        hr_action_release(&a);
        size_t ev = 0;
        assert_int_equal(hr_journal_events(j, ids[i], &ev, &err), 0);
        assert_int_equal(ev, 3); /* journaled, apply, done */
    }
    /* Running again repeats nothing. */
    assert_int_equal(hr_act_run(j, &d, 1, NULL, &sum, &err), 0);
    assert_int_equal(count_lines(f->dir, "apply t1\n"), 1);
    assert_int_equal(count_lines(f->dir, "apply t2\n"), 1);
    hr_journal_close(j);
}

static void test_retry_backoff(void **state)
{
    fx *f = *state;
    hr_journal *j = NULL;
    hr_error err = {0};
    assert_int_equal(hr_journal_open(f->db, &j, &err), 0);
    int64_t id;
    add(j, 1, 0, "h1", &id);
    mark m = {.dir = f->dir, .fail_times = 2};
    hr_act_driver d = mark_driver(&m);
    vclock vc = {.t = 1000000};
    hr_act_clock clk = {v_now, v_sleep, &vc};
    hr_act_opts o = {.clock = &clk, .backoff_base_ms = 1000, .backoff_max_ms = 1500, .seed = 7};
    hr_act_summary sum;
    assert_int_equal(hr_act_run(j, &d, 1, &o, &sum, &err), 0);
    assert_int_equal(sum.retries, 2);
    /* Delays: 1000 and min(2000, 1500) = 1500 ms, each times [0.5, 1). */
    int64_t spent = vc.t - 1000000;
    assert_true(spent >= 500 + 750);
    assert_true(spent <= 1000 + 1500 + 2 * 20);
    hr_action a;
    assert_int_equal(hr_journal_get(j, id, &a, &err), 0);
    assert_int_equal(a.attempts, 3);
    assert_int_equal(a.state, HR_ACT_DONE);
    hr_action_release(&a);
    /* Backoff bounds over many draws: doubling, capped, jittered in [0.5, 1). */
    uint64_t rng = 1;
    hr_act_opts b = {.backoff_base_ms = 100, .backoff_max_ms = 1000};
    for (int k = 0; k < 200; k++) {
        int32_t att = 2 + k % 8;
        int64_t full = 100;
        for (int i = 2; i < att; i++) full *= 2;
        if (full > 1000) full = 1000;
        int64_t ms = hr_act_backoff_ms(&b, att, &rng);
        assert_true(ms >= full / 2 && ms < full);
    }
    hr_journal_close(j);
}

static void test_exhausted_and_permanent(void **state)
{
    fx *f = *state;
    hr_journal *j = NULL;
    hr_error err = {0};
    assert_int_equal(hr_journal_open(f->db, &j, &err), 0);
    int64_t id1, id2;
    add(j, 1, 0, "h1", &id1);
    add(j, 2, 1, "h1", &id2);
    mark m = {.dir = f->dir, .fail_times = 5};
    hr_act_driver d = mark_driver(&m);
    vclock vc = {.t = 5000};
    hr_act_clock clk = {v_now, v_sleep, &vc};
    hr_act_opts o = {.clock = &clk, .max_attempts = 3, .seed = 3};
    hr_act_summary sum;
    assert_int_equal(hr_act_run(j, &d, 1, &o, &sum, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "transient failure 3"));
    assert_int_equal(sum.failed, 1);
    assert_int_equal(sum.pending, 1); /* stage 1 never started */
    hr_action a;
    assert_int_equal(hr_journal_get(j, id2, &a, &err), 0);
    assert_int_equal(a.state, HR_ACT_PENDING);
    assert_int_equal(a.attempts, 0);
    hr_action_release(&a);
    hr_journal_close(j);

    /* A permanent error fails at once. */
    char db2[320];
    snprintf(db2, sizeof db2, "%s/j2.db", f->dir);
    assert_int_equal(hr_journal_open(db2, &j, &err), 0);
    add(j, 1, 0, "h1", &id1);
    mark p = {.dir = f->dir, .permanent = 1};
    d = mark_driver(&p);
    assert_int_equal(hr_act_run(j, &d, 1, &o, &sum, &err), HR_EIO);
    assert_int_equal(sum.retries, 0);
    assert_int_equal(hr_journal_get(j, id1, &a, &err), 0);
    assert_int_equal(a.state, HR_ACT_FAILED);
    assert_int_equal(a.attempts, 1);
    assert_string_equal(a.error, "t1: bad value");
    hr_action_release(&a);
    hr_journal_close(j);
}

static void test_timeout_and_concurrency(void **state)
{
    fx *f = *state;
    hr_journal *j = NULL;
    hr_error err = {0};
    assert_int_equal(hr_journal_open(f->db, &j, &err), 0);
    int64_t id;
    for (int t = 1; t <= 6; t++) add(j, t, 0, t <= 4 ? "h1" : "h2", &id);
    mark m = {.dir = f->dir, .async_polls = 3};
    hr_act_driver d = mark_driver(&m);
    vclock vc = {.t = 0};
    hr_act_clock clk = {v_now, v_sleep, &vc};
    hr_act_opts o = {.clock = &clk, .host_concurrency = 2, .seed = 1};
    hr_act_summary sum;
    assert_int_equal(hr_act_run(j, &d, 1, &o, &sum, &err), 0);
    assert_int_equal(sum.done, 6);
    /* Two per host on two hosts. */
    assert_int_equal(m.max_running, 4);
    hr_journal_close(j);

    char db2[320];
    snprintf(db2, sizeof db2, "%s/j2.db", f->dir);
    assert_int_equal(hr_journal_open(db2, &j, &err), 0);
    add(j, 1, 0, "h1", &id);
    mark s = {.dir = f->dir, .never_done = 1};
    d = mark_driver(&s);
    vc.t = 0;
    o.timeout_ms = 1000;
    o.max_attempts = 2;
    assert_int_equal(hr_act_run(j, &d, 1, &o, &sum, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "timed out after 1000 ms"));
    assert_int_equal(s.cancels, 2);
    assert_int_equal(sum.retries, 1);
    assert_true(vc.t >= 2000 && vc.t < 2000 + 1000 + 100);
    hr_journal_close(j);
}

/* The child journals three actions and runs them; it blocks inside action
 * 2's apply (before or after its effect) and the parent kills it with
 * SIGKILL. Replaying the journal settles action 2 by poll and applies each
 * effect exactly once. */
static void crash_replay(fx *f, bool after_effect)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        hr_journal *j = NULL;
        if (hr_journal_open(f->db, &j, NULL)) _exit(2);
        int64_t id;
        for (int t = 1; t <= 3; t++) add(j, t, t - 1, "h1", &id);
        mark m = {.dir = f->dir, .crash_fd = pfd[1]};
        if (after_effect)
            m.crash_after = 2;
        else
            m.crash_before = 2;
        hr_act_driver d = mark_driver(&m);
        hr_act_run(j, &d, 1, NULL, NULL, NULL);
        _exit(4);
    }
    close(pfd[1]);
    char c;
    assert_int_equal(read(pfd[0], &c, 1), 1);
    close(pfd[0]);
    kill(pid, SIGKILL);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    hr_journal *j = NULL;
    hr_error err = {0};
    assert_int_equal(hr_journal_open(f->db, &j, &err), 0);
    hr_action a;
    assert_int_equal(hr_journal_find(j, "plan1/step2", &a, &err), 0);
    assert_int_equal(a.state, HR_ACT_RUNNING); /* durable before it started */
    hr_action_release(&a);
    assert_int_equal(hr_journal_find(j, "plan1/step3", &a, &err), 0);
    assert_int_equal(a.state, HR_ACT_PENDING);
    hr_action_release(&a);
    mark m = {.dir = f->dir};
    hr_act_driver d = mark_driver(&m);
    hr_act_summary sum;
    assert_int_equal(hr_act_run(j, &d, 1, NULL, &sum, &err), 0);
    assert_int_equal(sum.reconciled, 1);
    assert_int_equal(sum.done, 2); /* t1 was done before the crash */
    assert_int_equal(count_lines(f->dir, "apply t1\n"), 1);
    assert_int_equal(count_lines(f->dir, "apply t2\n"), 1);
    assert_int_equal(count_lines(f->dir, "apply t3\n"), 1);
    assert_int_equal(hr_journal_find(j, "plan1/step2", &a, &err), 0);
    assert_int_equal(a.attempts, 1);
    hr_action_release(&a);
    hr_journal_close(j);
}

static void test_crash_after_effect(void **state)
{
    crash_replay(*state, true);
}

static void test_crash_before_effect(void **state)
{
    crash_replay(*state, false);
}

/* Stages order a plan, not the journal: a failure in plan A holds back A's
 * later stage only. */
static void test_plans(void **state)
{
    fx *f = *state;
    hr_journal *j = NULL;
    hr_error err = {0};
    assert_int_equal(hr_journal_open(f->db, &j, &err), 0);
    const char *plans[] = {"A", "A", "B", "B"};
    const int stages[] = {0, 1, 0, 1};
    int64_t ids[4];
    for (int t = 0; t < 4; t++) {
        hr_action a = {.stage = stages[t], .params = "{\"value\": \"v\"}"};
        snprintf(a.key, sizeof a.key, "k%d", t);
        snprintf(a.kind, sizeof a.kind, "mark");
        snprintf(a.plan, sizeof a.plan, "%s", plans[t]);
        snprintf(a.target, sizeof a.target, "t%d", t + 1);
        assert_int_equal(hr_journal_add(j, &a, &ids[t], &err), 0);
    }
    /* t1 (plan A, stage 0) is rejected by validation: a permanent failure. */
    mark m = {.dir = f->dir};
    hr_act_driver d = mark_driver(&m);
    d.validate = reject_t1;
    hr_act_summary sum;
    assert_int_equal(hr_act_run(j, &d, 1, NULL, &sum, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "t1 rejected"));
    hr_action a;
    const hr_act_state want[] = {HR_ACT_FAILED, HR_ACT_PENDING, HR_ACT_DONE, HR_ACT_DONE};
    for (int t = 0; t < 4; t++) {
        assert_int_equal(hr_journal_get(j, ids[t], &a, &err), 0);
        assert_int_equal(a.state, want[t]);
        hr_action_release(&a);
    }
    /* Running again: the old failure is not this run's, but A's stage 1 is
     * still blocked and says so. */
    assert_int_equal(hr_act_run(j, &d, 1, NULL, &sum, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "blocked by a failed earlier stage"));
    assert_int_equal(sum.failed, 0);
    assert_int_equal(sum.pending, 1);
    hr_journal_close(j);
}

static void test_undo_cancel(void **state)
{
    fx *f = *state;
    hr_journal *j = NULL;
    hr_error err = {0};
    assert_int_equal(hr_journal_open(f->db, &j, &err), 0);
    int64_t id1, id2;
    add(j, 1, 0, "h1", &id1);
    add(j, 2, 1, "h1", &id2);
    mark m = {.dir = f->dir};
    hr_act_driver d = mark_driver(&m);
    assert_int_equal(hr_act_cancel(j, &d, 1, id2, &err), 0);
    assert_int_equal(hr_act_run(j, &d, 1, NULL, NULL, &err), 0);
    assert_int_equal(count_lines(f->dir, "apply t2\n"), 0);
    assert_int_equal(hr_act_cancel(j, &d, 1, id1, &err), HR_ESTATE);
    assert_int_equal(hr_act_undo(j, &d, 1, id1, &err), HR_ENOTSUP);
    hr_journal_close(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_stages_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exhausted_and_permanent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_and_concurrency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_after_effect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_before_effect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undo_cancel, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
