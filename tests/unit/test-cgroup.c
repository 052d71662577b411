/* The cgroup driver on the machine's real cgroups: a test-unique parent,
 * limits set and read back, a process with three threads moved in, the CPU
 * quota observed, the action driver with undo, and a partition change
 * killed with SIGKILL half-way and reconciled from the journal. Needs root
 * and mounted cgroups; skips with a message otherwise. */
#include "testutil.h"

#include <headroom/act.h>

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct fx {
    char parent[64];
    char dir[64];
    hr_cgroup_sys *s;
    pid_t child;
} fx;

static const char *const groups[] = {"t1", "t2", "t3", "a", "b", "c"};

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->parent, sizeof f->parent, "hr-test-cgroup-%d", (int)getpid());
    snprintf(f->dir, sizeof f->dir, "/tmp/hr-test-cgroup-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->child > 0) {
        kill(f->child, SIGKILL);
        waitpid(f->child, NULL, 0);
    }
    if (f->s) {
        for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
            hr_cgroup_evacuate(f->s, groups[i], NULL);
            hr_cgroup_remove(f->s, groups[i], NULL);
        }
        hr_cgroup_remove(f->s, NULL, NULL);
        hr_cgroup_close(f->s);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

/* Open or skip with the reason. */
static void open_or_skip(fx *f)
{
    if (geteuid() != 0) {
        print_message("SKIP: cgroup tests need root\n");
        skip();
    }
    hr_error err = {0};
    int rc = hr_cgroup_open(f->parent, &f->s, &err);
    if (rc == HR_ENOTSUP || rc == HR_EIO) {
        print_message("SKIP: cgroups unusable here: %s\n", err.msg);
        skip();
    }
    assert_int_equal(rc, 0);
}

static void *spin_thread(void *arg)
{
    (void)arg;
    for (;;) pause();
    return NULL;
}

/* A child with three threads, the main one busy-looping. */
static pid_t spawn_threads(void)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t[2];
        for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, spin_thread, NULL);
        char c = 'x';
        if (write(pfd[1], &c, 1) != 1) _exit(1);
        volatile unsigned long n = 0;
        for (;;) n++;
    }
    char c;
    assert_int_equal(read(pfd[0], &c, 1), 1);
    close(pfd[0]);
    close(pfd[1]);
    return pid;
}

/* Whether every thread of pid is in `dir` (its tasks file, v1). */
static size_t threads_in(const char *dir, pid_t pid)
{
    char path[1300], tp[64], line[32];
    snprintf(tp, sizeof tp, "/proc/%d/task", (int)pid);
    DIR *d = opendir(tp);
    size_t n = 0, found = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        n++;
        snprintf(path, sizeof path, "%s/tasks", dir);
        FILE *f = fopen(path, "r");
        if (!f) {
            snprintf(path, sizeof path, "%s/cgroup.threads", dir);
            f = fopen(path, "r");
        }
        while (f && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            if (!strcmp(line, e->d_name)) found++;
        }
        if (f) fclose(f);
    }
    if (d) closedir(d);
    return found == n ? n : 0;
}

static void test_detect_and_limits(void **state)
{
    fx *f = *state;
    open_or_skip(f);
    hr_error err = {0};
    /* Every controller the issue names is found on this kind of machine. */
    for (int c = 0; c < HR_CG_CTL_COUNT_; c++) assert_true(hr_cgroup_version(f->s, c) >= 1);
    /* The memory parent lies under this process's own memory cgroup. */
    char dir[1200], own[512] = "";
    FILE *pc = fopen("/proc/self/cgroup", "r");
    char line[600];
    while (pc && fgets(line, sizeof line, pc))
        if (strstr(line, ":memory:")) {
            line[strcspn(line, "\n")] = 0;
            snprintf(own, sizeof own, "%s", strstr(line, ":memory:") + 8);
        }
    if (pc) fclose(pc);
    assert_int_equal(hr_cgroup_dir(f->s, HR_CG_MEMORY, NULL, dir, sizeof dir), 0);
    if (hr_cgroup_version(f->s, HR_CG_MEMORY) == 1 && strcmp(own, "/"))
        assert_non_null(strstr(dir, own));
    assert_non_null(strstr(dir, f->parent));

    assert_int_equal(hr_cgroup_create(f->s, "t1", &err), 0);
    assert_int_equal(hr_cgroup_create(f->s, "t1", &err), 0); /* idempotent */
    hr_cgroup_limits l, got;
    hr_cgroup_limits_init(&l);
    l.cpu_quota_usec = 20000;
    l.cpu_period_usec = 100000;
    l.cpu_weight = 50;
    snprintf(l.cpus, sizeof l.cpus, "0");
    snprintf(l.mems, sizeof l.mems, "0");
    l.mem_max = 64 << 20;
    l.mem_low = 32 << 20;
    l.pids_max = 10;
    assert_int_equal(hr_cgroup_set(f->s, "t1", &l, &err), 0);
    assert_int_equal(hr_cgroup_get(f->s, "t1", &got, &err), 0);
    assert_int_equal(got.cpu_quota_usec, 20000);
    assert_int_equal(got.cpu_period_usec, 100000);
    assert_int_equal(got.cpu_weight, 50);
    assert_string_equal(got.cpus, "0");
    assert_string_equal(got.mems, "0");
    assert_int_equal(got.mem_max, 64 << 20);
    assert_int_equal(got.mem_low, 32 << 20);
    assert_int_equal(got.pids_max, 10);
    /* Back to unlimited. */
    hr_cgroup_limits_init(&l);
    l.cpu_quota_usec = HR_CG_MAX;
    l.mem_max = HR_CG_MAX;
    l.pids_max = HR_CG_MAX;
    assert_int_equal(hr_cgroup_set(f->s, "t1", &l, &err), 0);
    assert_int_equal(hr_cgroup_get(f->s, "t1", &got, &err), 0);
    assert_int_equal(got.cpu_quota_usec, HR_CG_MAX);
    assert_int_equal(got.mem_max, HR_CG_MAX);
    assert_int_equal(got.pids_max, HR_CG_MAX);

    /* What the machine cannot do, and bad values, say so. */
    hr_cgroup_limits_init(&l);
    l.mem_high = 1 << 20;
    if (hr_cgroup_version(f->s, HR_CG_MEMORY) == 1) {
        assert_int_equal(hr_cgroup_set(f->s, "t1", &l, &err), HR_ENOTSUP);
        assert_non_null(strstr(err.msg, "memory.high"));
        assert_false(hr_cgroup_supports(f->s, "mem_high"));
    }
    hr_cgroup_limits_init(&l);
    snprintf(l.cpus, sizeof l.cpus, "999");
    assert_int_equal(hr_cgroup_set(f->s, "t1", &l, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "cpuset.cpus"));
    hr_cgroup_limits_init(&l);
    l.cpu_weight = 0;
    assert_int_equal(hr_cgroup_set(f->s, "t1", &l, &err), HR_EINVAL);
    assert_int_equal(hr_cgroup_create(f->s, "../x", &err), HR_EINVAL);
    assert_int_equal(hr_cgroup_get(f->s, "nosuch", &got, &err), HR_ENOTFOUND);
}

static double cpu_sec(pid_t pid)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    unsigned long ut = 0, st = 0;
    if (f) {
        if (fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
            ut = st = 0;
        fclose(f);
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_attach_threads_and_quota(void **state)
{
    fx *f = *state;
    open_or_skip(f);
    hr_error err = {0};
    assert_int_equal(hr_cgroup_create(f->s, "t2", &err), 0);
    hr_cgroup_limits l;
    hr_cgroup_limits_init(&l);
    l.cpu_quota_usec = 20000;
    l.cpu_period_usec = 100000;
    assert_int_equal(hr_cgroup_set(f->s, "t2", &l, &err), 0);
    f->child = spawn_threads();
    assert_int_equal(hr_cgroup_attach(f->s, "t2", f->child, &err), 0);
    /* All three threads moved, in every hierarchy. */
    char dir[1200];
    for (int c = 0; c < HR_CG_CTL_COUNT_; c++) {
        if (hr_cgroup_version(f->s, c) != 1) continue;
        assert_int_equal(hr_cgroup_dir(f->s, c, "t2", dir, sizeof dir), 0);
        assert_int_equal(threads_in(dir, f->child), 3);
    }
    hr_cgroup_usage u;
    assert_int_equal(hr_cgroup_read_usage(f->s, "t2", &u, &err), 0);
    assert_int_equal(u.pids, 3);
    /* The quota holds: a busy loop gets at most 20 % of a core (plus one
     * period of slack), however loaded the machine is. */
    double c0 = cpu_sec(f->child), t0 = mono();
    usleep(under_valgrind() ? 1000000 : 600000);
    double share = (cpu_sec(f->child) - c0) / (mono() - t0);
    print_message("busy loop under a 20%% quota: %.1f%% of a core\n", share * 100);
    assert_true(share <= 0.20 + 0.1 / (mono() - t0) + 0.02);
    hr_cgroup_usage u2;
    assert_int_equal(hr_cgroup_read_usage(f->s, "t2", &u2, &err), 0);
    assert_true(u2.cpu_usec > u.cpu_usec);
    /* A group with a process cannot be removed; evacuated it can. */
    assert_int_equal(hr_cgroup_remove(f->s, "t2", &err), HR_EIO);
    kill(f->child, SIGKILL);
    waitpid(f->child, NULL, 0);
    f->child = 0;
    assert_int_equal(hr_cgroup_remove(f->s, "t2", &err), 0);
}

static void add_action(hr_journal *j, const char *key, const char *group, int stage,
                       const char *params)
{
    hr_action a = {.stage = stage, .params = (char *)params};
    snprintf(a.key, sizeof a.key, "%s", key);
    snprintf(a.kind, sizeof a.kind, "cgroup");
    snprintf(a.host, sizeof a.host, "local");
    snprintf(a.target, sizeof a.target, "%s", group);
    int64_t id;
    hr_error err = {0};
    assert_int_equal(hr_journal_add(j, &a, &id, &err), 0);
}

static void test_driver_undo(void **state)
{
    fx *f = *state;
    open_or_skip(f);
    hr_error err = {0};
    char db[128];
    snprintf(db, sizeof db, "%s/j.db", f->dir);
    hr_journal *j = NULL;
    assert_int_equal(hr_journal_open(db, &j, &err), 0);
    add_action(j, "p/t3", "t3", 0, "{\"cpu_quota_usec\": 50000, \"pids_max\": 7}");
    hr_act_driver d = hr_cgroup_driver(f->s);
    assert_int_equal(hr_act_run(j, &d, 1, NULL, NULL, &err), 0);
    hr_cgroup_limits got;
    assert_int_equal(hr_cgroup_get(f->s, "t3", &got, &err), 0);
    assert_int_equal(got.cpu_quota_usec, 50000);
    assert_int_equal(got.pids_max, 7);
    hr_action a;
    assert_int_equal(hr_journal_find(j, "p/t3", &a, &err), 0);
    assert_non_null(strstr(a.result, "\"before\""));
    assert_int_equal(hr_act_undo(j, &d, 1, a.id, &err), 0);
    assert_int_equal(hr_cgroup_get(f->s, "t3", &got, &err), 0);
    assert_int_equal(got.cpu_quota_usec, HR_CG_MAX);
    assert_int_equal(got.pids_max, HR_CG_MAX);
    hr_action_release(&a);
    /* A knob the machine lacks fails validation and changes nothing. */
    if (!hr_cgroup_supports(f->s, "mem_high")) {
        add_action(j, "p/t3b", "t3", 1, "{\"mem_high\": 1048576, \"pids_max\": 9}");
        assert_int_equal(hr_act_run(j, &d, 1, NULL, NULL, &err), HR_EIO);
        print_message("%s\n", err.msg);
        assert_non_null(strstr(err.msg, "mem_high is not available"));
        assert_int_equal(hr_cgroup_get(f->s, "t3", &got, &err), 0);
        assert_int_equal(got.pids_max, HR_CG_MAX);
    }
    hr_journal_close(j);
}

/* A partition change over three groups is killed after the first group
 * changed; the journal then reconciles to the full change. */
static void block_on_second(const hr_action *a, void *ud)
{
    int fd = *(int *)ud;
    if (a->state == HR_ACT_RUNNING && !strcmp(a->target, "b")) {
        char c = 'x';
        if (write(fd, &c, 1) != 1) _exit(3);
        for (;;) pause();
    }
}

static void test_crash_mid_partition(void **state)
{
    fx *f = *state;
    open_or_skip(f);
    hr_error err = {0};
    char db[128];
    snprintf(db, sizeof db, "%s/j.db", f->dir);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        hr_journal *j = NULL;
        if (hr_journal_open(db, &j, NULL)) _exit(2);
        add_action(j, "part/a", "a", 0, "{\"cpu_quota_usec\": 30000}");
        add_action(j, "part/b", "b", 0, "{\"cpu_quota_usec\": 40000}");
        add_action(j, "part/c", "c", 0, "{\"cpu_quota_usec\": 50000}");
        hr_act_driver d = hr_cgroup_driver(f->s);
        hr_act_opts o = {.on_change = block_on_second, .ud = &pfd[1]};
        hr_act_run(j, &d, 1, &o, NULL, NULL);
        _exit(4);
    }
    close(pfd[1]);
    char c;
    assert_int_equal(read(pfd[0], &c, 1), 1);
    close(pfd[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    hr_cgroup_limits got;
    assert_int_equal(hr_cgroup_get(f->s, "a", &got, &err), 0);
    assert_int_equal(got.cpu_quota_usec, 30000);
    /* b was journaled RUNNING but never applied; c never started. */
    assert_int_equal(hr_cgroup_get(f->s, "c", &got, &err), HR_ENOTFOUND);
    hr_journal *j = NULL;
    assert_int_equal(hr_journal_open(db, &j, &err), 0);
    hr_act_driver d = hr_cgroup_driver(f->s);
    hr_act_summary sum;
    assert_int_equal(hr_act_run(j, &d, 1, NULL, &sum, &err), 0);
    assert_int_equal(sum.reconciled, 1);
    assert_int_equal(sum.done, 2); /* a was done before the crash */
    const char *g[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(hr_cgroup_get(f->s, g[i], &got, &err), 0);
        assert_int_equal(got.cpu_quota_usec, 30000 + 10000 * i);
    }
    hr_journal_close(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_detect_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_threads_and_quota, setup, teardown),
        cmocka_unit_test_setup_teardown(test_driver_undo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_mid_partition, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
