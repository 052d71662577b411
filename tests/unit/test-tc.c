/* The tc driver in two network namespaces joined by a veth pair, made by
 * the test: an HTB tree read back, a TCP stream measured against its class
 * rate, ingress shaping through ifb, the action driver with undo, and tc's
 * own errors. Needs root, ip and tc; skips with a message otherwise. */
#include "testutil.h"

#include <headroom/act.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct fx {
    char a[32], b[32];
    char dir[64];
    bool made;
} fx;

static int sh(const char *fmt, ...) HR_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->a, sizeof f->a, "hrtc%da", (int)getpid());
    snprintf(f->b, sizeof f->b, "hrtc%db", (int)getpid());
    snprintf(f->dir, sizeof f->dir, "/tmp/hr-test-tc-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->made) sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", f->a, f->b);
    sh("rm -rf '%s'", f->dir);
    free(f);
    return 0;
}

static void make_hosts(fx *f)
{
    if (geteuid() != 0) {
        print_message("SKIP: tc tests need root\n");
        skip();
    }
    if (sh("command -v tc >/dev/null && command -v ip >/dev/null") != 0) {
        print_message("SKIP: tc or ip is not installed (iproute2)\n");
        skip();
    }
    if (sh("ip netns add %s && ip netns add %s", f->a, f->b) != 0) {
        print_message("SKIP: cannot create network namespaces\n");
        skip();
    }
    f->made = true;
    assert_int_equal(sh("ip -n %s link add va type veth peer name vb netns %s", f->a, f->b), 0);
    assert_int_equal(sh("ip -n %s addr add 10.201.0.1/24 dev va && ip -n %s link set va up"
                        " && ip -n %s link set lo up",
                        f->a, f->a, f->a),
                     0);
    assert_int_equal(sh("ip -n %s addr add 10.201.0.2/24 dev vb && ip -n %s link set vb up"
                        " && ip -n %s link set lo up",
                        f->b, f->b, f->b),
                     0);
}

static void enter(const char *ns)
{
    char p[128];
    snprintf(p, sizeof p, "/run/netns/%s", ns);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(10);
    close(fd);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Send for `secs` from ns a (10.201.0.1) to ns b; return bits/s received. */
static double stream(fx *f, double secs)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t rx = fork();
    if (rx == 0) {
        enter(f->b);
        int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5201)};
        inet_pton(AF_INET, "10.201.0.2", &a.sin_addr);
        if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1)) _exit(11);
        char c = 'r';
        if (write(pfd[1], &c, 1) != 1) _exit(12);
        int cs = accept(s, NULL, NULL);
        static char buf[65536];
        double t0 = 0, bytes = 0;
        ssize_t r;
        while ((r = read(cs, buf, sizeof buf)) > 0) {
            if (t0 == 0) t0 = now();
            bytes += (double)r;
        }
        double rate = bytes * 8 / (now() - t0);
        if (write(pfd[1], &rate, sizeof rate) != sizeof rate) _exit(13);
        _exit(0);
    }
    char c;
    assert_int_equal(read(pfd[0], &c, 1), 1);
    pid_t tx = fork();
    if (tx == 0) {
        enter(f->a);
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5201)};
        inet_pton(AF_INET, "10.201.0.2", &a.sin_addr);
        if (connect(s, (struct sockaddr *)&a, sizeof a)) _exit(14);
        static char buf[16384];
        double t0 = now();
        while (now() - t0 < secs)
            if (write(s, buf, sizeof buf) < 0) _exit(15);
        _exit(0);
    }
    int st;
    waitpid(tx, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    double rate = 0;
    assert_int_equal(read(pfd[0], &rate, sizeof rate), (ssize_t)sizeof rate);
    waitpid(rx, &st, 0);
    close(pfd[0]);
    close(pfd[1]);
    return rate;
}

static hr_tc_spec spec(fx *f, hr_tc_class *c, bool ingress)
{
    memset(c, 0, 2 * sizeof *c);
    snprintf(c[0].name, sizeof c[0].name, "web");
    c[0].minor = 0x10;
    c[0].rate_bps = 4000000;
    c[0].ceil_bps = 8000000;
    c[0].prio = 1;
    snprintf(c[0].match, sizeof c[0].match, ingress ? "10.201.0.2/32" : "10.201.0.1/32");
    snprintf(c[1].name, sizeof c[1].name, "batch");
    c[1].minor = 0x11;
    c[1].rate_bps = 2000000;
    c[1].ceil_bps = 50000000;
    c[1].prio = 3;
    hr_tc_spec s = {.link_bps = 100000000, .classes = c, .nclasses = 2, .ingress = ingress};
    snprintf(s.netns, sizeof s.netns, "%s", ingress ? f->b : f->a);
    snprintf(s.dev, sizeof s.dev, "%s", ingress ? "vb" : "va");
    return s;
}

static void test_egress_shapes(void **state)
{
    fx *f = *state;
    make_hosts(f);
    double free_rate = stream(f, 0.4);
    hr_tc_class c[2];
    hr_tc_spec s = spec(f, c, false);
    hr_error err = {0};
    assert_int_equal(hr_tc_apply(&s, &err), 0);
    assert_int_equal(hr_tc_apply(&s, &err), 0); /* idempotent */
    hr_tc_class got[8];
    size_t n = 0;
    assert_int_equal(hr_tc_read(f->a, "va", false, got, 8, &n, &err), 0);
    assert_int_equal(n, 4); /* 1:1, default, two tenants */
    bool seen = false;
    for (size_t i = 0; i < n; i++)
        if (got[i].minor == 0x10) {
            seen = true;
            assert_int_equal(got[i].rate_bps, 4000000);
            assert_int_equal(got[i].ceil_bps, 8000000);
            assert_int_equal(got[i].prio, 1);
        }
    assert_true(seen);
    /* Traffic from 10.201.0.1 is in class web: at most its ceiling (plus
     * one HTB burst and 10 %). */
    double shaped = stream(f, 1.0);
    print_message("unshaped %.1f Mbit/s, class ceiling 8 Mbit/s: %.2f Mbit/s\n", free_rate / 1e6,
                  shaped / 1e6);
    assert_true(shaped <= 8e6 * 1.1 + 200e3);
    assert_true(shaped >= 8e6 * 0.5);
    assert_true(free_rate > 5 * shaped);
    assert_int_equal(hr_tc_clear(f->a, "va", false, &err), 0);
    assert_int_equal(hr_tc_read(f->a, "va", false, got, 8, &n, &err), 0);
    assert_int_equal(n, 0);
}

static void test_ingress_ifb(void **state)
{
    fx *f = *state;
    make_hosts(f);
    hr_tc_class c[2];
    hr_tc_spec s = spec(f, c, true);
    hr_error err = {0};
    assert_int_equal(hr_tc_apply(&s, &err), 0);
    hr_tc_class got[8];
    size_t n = 0;
    assert_int_equal(hr_tc_read(f->b, "vb", true, got, 8, &n, &err), 0);
    assert_int_equal(n, 4);
    double shaped = stream(f, 1.0);
    print_message("ingress through ifb, ceiling 8 Mbit/s: %.2f Mbit/s\n", shaped / 1e6);
    assert_true(shaped <= 8e6 * 1.1 + 200e3);
    assert_int_equal(hr_tc_clear(f->b, "vb", true, &err), 0);
    assert_int_equal(sh("ip -n %s link show ifb-vb >/dev/null 2>&1", f->b) != 0, 1);
}

static void test_driver_and_errors(void **state)
{
    fx *f = *state;
    make_hosts(f);
    hr_tc_class c[2];
    hr_tc_spec s = spec(f, c, false);
    char *params = hr_tc_spec_to_json(&s);
    assert_non_null(params);
    char db[128];
    snprintf(db, sizeof db, "%s/j.db", f->dir);
    hr_journal *j = NULL;
    hr_error err = {0};
    assert_int_equal(hr_journal_open(db, &j, &err), 0);
    hr_action a = {.params = params};
    snprintf(a.key, sizeof a.key, "tc/1");
    snprintf(a.kind, sizeof a.kind, "tc");
    snprintf(a.host, sizeof a.host, "%s", f->a);
    snprintf(a.target, sizeof a.target, "va");
    int64_t id;
    assert_int_equal(hr_journal_add(j, &a, &id, &err), 0);
    hr_act_driver d = hr_tc_driver();
    assert_int_equal(hr_act_run(j, &d, 1, NULL, NULL, &err), 0);
    hr_action got;
    assert_int_equal(hr_journal_get(j, id, &got, &err), 0);
    assert_int_equal(got.state, HR_ACT_DONE);
    /* poll agrees with the world */
    assert_int_equal(d.poll(NULL, &got, &err), HR_ACT_DONE);
    assert_int_equal(hr_act_undo(j, &d, 1, id, &err), 0);
    assert_int_equal(d.poll(NULL, &got, &err), HR_ACT_PENDING);
    hr_action_release(&got);
    hr_journal_close(j);
    free(params);
    /* tc's own message comes through; bad specs never reach tc. */
    snprintf(s.dev, sizeof s.dev, "nosuchdev");
    assert_int_equal(hr_tc_apply(&s, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "nosuchdev"));
    snprintf(s.dev, sizeof s.dev, "va");
    c[0].ceil_bps = 1;
    assert_int_equal(hr_tc_apply(&s, &err), HR_EINVAL);
    c[0].ceil_bps = 8000000;
    snprintf(c[0].match, sizeof c[0].match, "10.0.0.300");
    assert_int_equal(hr_tc_apply(&s, &err), HR_EINVAL);
    assert_non_null(strstr(err.msg, "not an IPv4 prefix"));
}

/* A partition with egress shaping becomes one tc action whose classes carry
 * each tenant's guarantee and limit; the driver puts them on the device. */
static void test_partition_egress(void **state)
{
    fx *f = *state;
    make_hosts(f);
    hr_part_tenant t[2];
    memset(t, 0, sizeof t);
    const char *names[] = {"web", "batch"};
    const double p95[] = {30e6, 80e6};
    for (int i = 0; i < 2; i++) {
        snprintf(t[i].name, sizeof t[i].name, "%s", names[i]);
        t[i].priority = i == 0 ? 10 : 0;
        t[i].quantile = 0.95;
        t[i].demand[HR_PART_CPU] = (hr_part_demand){.levels = {0.95}, .values = {100}, .n = 1};
        t[i].demand[HR_PART_NET] =
            (hr_part_demand){.levels = {0.95, 0.99}, .values = {p95[i], p95[i] * 1.2}, .n = 2};
    }
    snprintf(t[0].match, sizeof t[0].match, "10.201.0.1/32");
    hr_part_host h = {
        .ncpus = 2, .mem_bytes = 1 << 30, .net_bps = 100000000, .tenants = t, .ntenants = 2};
    h.cpus[1] = 1;
    snprintf(h.name, sizeof h.name, "h");
    snprintf(h.net_dev, sizeof h.net_dev, "va");
    snprintf(h.netns, sizeof h.netns, "%s", f->a);
    hr_part_alloc a[2];
    hr_error err = {0};
    assert_int_equal(hr_part_solve(&h, NULL, 0, NULL, a, &err), 0);
    /* web's 30 Mbit/s first; batch gets the remaining 70 of its 80. */
    assert_int_equal(a[0].guarantee[HR_PART_NET], 30000000);
    assert_int_equal(a[1].guarantee[HR_PART_NET], 70000000);
    hr_action *acts = NULL;
    size_t n = 0;
    assert_int_equal(hr_part_actions(&h, a, NULL, 0, false, &acts, &n, &err), 0);
    hr_action *tca = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(acts[i].kind, "tc")) tca = &acts[i];
    assert_non_null(tca);
    assert_int_equal(tca->stage, 1);
    hr_act_driver d = hr_tc_driver();
    assert_int_equal(d.validate(NULL, tca, &err), 0);
    assert_int_equal(d.apply(NULL, tca, &err), HR_ACT_DONE);
    assert_int_equal(d.poll(NULL, tca, &err), HR_ACT_DONE);
    hr_tc_class got[8];
    size_t ng = 0;
    assert_int_equal(hr_tc_read(f->a, "va", false, got, 8, &ng, &err), 0);
    assert_int_equal(ng, 4);
    for (size_t i = 0; i < ng; i++)
        if (got[i].minor == 0x10) {
            assert_int_equal(got[i].rate_bps, 30000000);
            assert_int_equal(got[i].ceil_bps, 36000000);
            assert_int_equal(got[i].prio, 0);
        }
    hr_action_list_free(acts, n);
}

static void test_parse_classes(void **state)
{
    (void)state;
    const char *text = "class htb 1:1 root rate 100Mbit ceil 100Mbit burst 1600b cburst 1600b \n"
                       "class htb 1:a parent 1:1 prio 2 rate 20Mbit ceil 40Mbit burst 1600b\n"
                       "class htb 1:fff0 parent 1:1 prio 7 rate 12345Kbit ceil 1Gbit\n";
    hr_tc_class c[4];
    size_t n;
    assert_int_equal(hr_tc_parse_classes(text, c, 4, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(c[1].minor, 10);
    assert_int_equal(c[1].prio, 2);
    assert_int_equal(c[1].rate_bps, 20000000);
    assert_int_equal(c[2].rate_bps, 12345000);
    assert_int_equal(c[2].ceil_bps, 1000000000);
    assert_int_equal(hr_tc_parse_classes("class htb 1:zz rate 1bit\n", c, 4, &n), HR_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_classes),
        cmocka_unit_test_setup_teardown(test_egress_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingress_ifb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_driver_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_egress, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
