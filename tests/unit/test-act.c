/* The QEMU driver and its QMP client against real QEMU: a microvm booted,
 * queried, ballooned and refused a hot-plug; a q35 VM given a vCPU and a
 * DIMM that the guest onlines; the KVM probe; QMP message parsing and an
 * unreachable socket. Needs root-free QEMU and the test guest (built by
 * scripts/build-guest.sh); skips with a message when they are missing,
 * except in CI (CI=true), where it fails. */
#include "testutil.h"

#include <headroom/act.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

static char guest[256] = "guest";

static void need(const char *what)
{
    const char *ci = getenv("CI");
    if (ci && !strcmp(ci, "true")) {
        print_error("%s (required in CI)\n", what);
        fail();
    }
    print_message("SKIP: %s\n", what);
    skip();
}

/* The guest exists or is built now; skip (or fail in CI) otherwise. */
static void need_guest(void)
{
    if (system("command -v qemu-system-x86_64 >/dev/null 2>&1") != 0)
        need("qemu-system-x86_64 is not installed (scripts/deps.sh)");
    char k[300];
    snprintf(k, sizeof k, "%s/vmlinuz", guest);
    if (access(k, R_OK) == 0) return;
    const char *data = getenv("HR_TEST_DATA");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/../../scripts/build-guest.sh' '%s' >/dev/null 2>&1",
             data ? data : "tests/data", guest);
    if (system(cmd) != 0) need("the test guest cannot be built (scripts/build-guest.sh)");
}

typedef struct fx {
    char dir[64];
    hr_vm vm;
    bool started;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/hr-test-act-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->started && hr_vm_alive(&f->vm)) kill(f->vm.pid, SIGKILL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static hr_vm_config config(const fx *f, const char *name, hr_vm_machine m)
{
    hr_vm_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    c.machine = m;
    c.mem_mib = 128;
    c.vcpus = 1;
    snprintf(c.kernel, sizeof c.kernel, "%s/vmlinuz", guest);
    snprintf(c.initrd, sizeof c.initrd, "%s/initrd.gz", guest);
    snprintf(c.dir, sizeof c.dir, "%s/%s", f->dir, name);
    return c;
}

static void test_qmp_parse(void **state)
{
    (void)state;
    hr_qmp_kind k;
    char name[64];
    hr_error err = {0};
    const char *g = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}";
    assert_int_equal(hr_qmp_parse(g, strlen(g), &k, name, sizeof name, &err), 0);
    assert_int_equal(k, HR_QMP_GREETING);
    const char *e = "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"x\"}}";
    assert_int_equal(hr_qmp_parse(e, strlen(e), &k, name, sizeof name, &err), 0);
    assert_int_equal(k, HR_QMP_ERROR);
    assert_string_equal(name, "DeviceNotFound");
    const char *ev = "{\"event\": \"BALLOON_CHANGE\", \"data\": {}}";
    assert_int_equal(hr_qmp_parse(ev, strlen(ev), &k, name, sizeof name, &err), 0);
    assert_int_equal(k, HR_QMP_EVENT);
    assert_string_equal(name, "BALLOON_CHANGE");
    const char *r = "{\"return\": {}}";
    assert_int_equal(hr_qmp_parse(r, strlen(r), &k, name, sizeof name, &err), 0);
    assert_int_equal(k, HR_QMP_RETURN);
    assert_int_equal(hr_qmp_parse("{\"x\": 1}", 8, &k, name, sizeof name, &err), HR_EPARSE);
    assert_int_equal(hr_qmp_parse("{\"return\"", 9, &k, name, sizeof name, &err), HR_EPARSE);
    /* Nobody listening. */
    hr_qmp *q = NULL;
    assert_int_equal(hr_qmp_connect("/tmp/hr-test-act-none.sock", 100, &q, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "unreachable QMP socket /tmp/hr-test-act-none.sock"));
}

static void test_accel_probe(void **state)
{
    (void)state;
    char accel[8], why[256];
    hr_vm_accel_probe(accel, sizeof accel, why, sizeof why);
    bool hw = system("grep -qwE 'vmx|svm' /proc/cpuinfo") == 0;
    bool dev = access("/dev/kvm", R_OK | W_OK) == 0;
    print_message("accel %s%s%s\n", accel, why[0] ? ": " : "", why);
    if (!hw || !dev) {
        assert_string_equal(accel, "tcg");
        assert_true(why[0] != 0);
    }
    assert_true(hr_vm_tsc_khz() > 100000); /* a real CPU runs above 100 MHz */
}

static void test_microvm(void **state)
{
    fx *f = *state;
    need_guest();
    hr_error err = {0};
    hr_vm_config c = config(f, "m1", HR_VM_MICROVM);
    /* A missing kernel changes nothing. */
    hr_vm_config bad = c;
    snprintf(bad.kernel, sizeof bad.kernel, "%s/none/vmlinuz", f->dir);
    assert_int_equal(hr_vm_start(&bad, &f->vm, &err), HR_ENOTFOUND);
    assert_non_null(strstr(err.msg, "missing kernel"));
    struct stat st;
    assert_int_equal(stat(c.dir, &st), -1);
    /* microvm cannot hot-plug: refused before anything starts. */
    bad = c;
    bad.max_vcpus = 2;
    assert_int_equal(hr_vm_start(&bad, &f->vm, &err), HR_ENOTSUP);

    assert_int_equal(hr_vm_start(&c, &f->vm, &err), 0);
    f->started = true;
    assert_true(hr_vm_alive(&f->vm));
    hr_qmp *q = NULL;
    assert_int_equal(hr_qmp_connect(f->vm.qmp, 5000, &q, &err), 0);
    char *ret = NULL;
    assert_int_equal(hr_qmp_exec(q, "query-status", NULL, &ret, 5000, &err), 0);
    assert_non_null(strstr(ret, "\"running\""));
    free(ret);
    assert_int_equal(hr_qmp_exec(q, "no-such-command", NULL, NULL, 5000, &err), HR_EIO);
    assert_non_null(strstr(err.msg, "CommandNotFound"));
    hr_qmp_close(q);
    assert_int_equal(hr_vm_wait_console(&f->vm, "HEADROOM-READY", 60000, &err), 0);
    int64_t actual = 0;
    assert_int_equal(hr_vm_balloon(&f->vm, 96, 30000, &actual, &err), 0);
    assert_int_equal(actual, 96);
    assert_int_equal(hr_vm_add_cpu(&f->vm, &err), HR_ENOTSUP);
    assert_non_null(strstr(err.msg, "microvm cannot hot-plug"));
    assert_int_equal(hr_vm_set_vmem(&f->vm, 128, 1000, &err), HR_ENOTSUP);
    assert_int_equal(hr_vm_save(&f->vm, &err), 0);
    hr_vm back;
    assert_int_equal(hr_vm_load(c.dir, &back, &err), 0);
    assert_int_equal(back.pid, f->vm.pid);
    assert_string_equal(back.qmp, f->vm.qmp);
    assert_int_equal(hr_vm_stop(&f->vm, 10000, &err), 0);
    assert_false(hr_vm_alive(&f->vm));
}

/* The memtotal_kb of the last TICK line on the console (0 if none). */
static long last_memtotal(const char *console, char *cpus, size_t size)
{
    FILE *fp = fopen(console, "r");
    char line[512];
    long mem = 0;
    while (fp && fgets(line, sizeof line, fp)) {
        const char *m = strstr(line, "memtotal_kb="), *c = strstr(line, "cpus_online=");
        if (!m || !c || strncmp(line, "TICK", 4)) continue;
        mem = strtol(m + 12, NULL, 10);
        snprintf(cpus, size, "%.*s", (int)strcspn(c + 12, " \n"), c + 12);
    }
    if (fp) fclose(fp);
    return mem;
}

static void test_q35_hotplug(void **state)
{
    fx *f = *state;
    need_guest();
    hr_error err = {0};
    hr_vm_config c = config(f, "q1", HR_VM_Q35);
    c.maxmem_mib = 512;
    c.max_vcpus = 2;
    hr_vm_config small = c;
    assert_int_equal(hr_vm_start(&small, &f->vm, &err), HR_EINVAL); /* 128 MiB + maxmem */
    assert_non_null(strstr(err.msg, "at least 256 MiB"));
    c.mem_mib = 256;
    assert_int_equal(hr_vm_start(&c, &f->vm, &err), 0);
    f->started = true;
    int wrc = hr_vm_wait_console(&f->vm, "TICK 1 ", 60000, &err);
    if (wrc) print_error("%s\n", err.msg);
    assert_int_equal(wrc, 0);
    char cpus[32] = "";
    long mem0 = last_memtotal(f->vm.console, cpus, sizeof cpus);
    assert_true(mem0 > 0);
    assert_string_equal(cpus, "0");
    assert_int_equal(hr_vm_add_cpu(&f->vm, &err), 0);
    /* The guest's init onlines the new CPU; its TICK line shows it. */
    assert_int_equal(hr_vm_wait_console(&f->vm, "cpus_online=0-1", 30000, &err), 0);
    assert_int_equal(hr_vm_add_memory(&f->vm, 100, &err), HR_EINVAL);
    int arc = hr_vm_add_memory(&f->vm, 128, &err);
    if (arc) print_error("%s\n", err.msg);
    assert_int_equal(arc, 0);
    long mem = mem0;
    for (int i = 0; i < 600 && mem < mem0 + 131072 - 4096; i++) {
        assert_true(hr_vm_alive(&f->vm));
        usleep(50000); /* polling the console, bounded at 30 s */
        mem = last_memtotal(f->vm.console, cpus, sizeof cpus);
    }
    print_message("q35: memtotal %ld -> %ld kB, cpus %s\n", mem0, mem, cpus);
    assert_true(mem >= mem0 + 131072 - 4096);
    /* virtio-mem: grow by 128 MiB (what maxmem leaves: 512 - 256 - 128), then
     * back to 0; the guest's MemTotal follows both ways. */
    assert_int_equal(hr_vm_set_vmem(&f->vm, 256, 5000, &err), HR_ELIMIT);
    assert_int_equal(hr_vm_set_vmem(&f->vm, 128, 30000, &err), 0);
    long mem1 = mem;
    for (int i = 0; i < 600 && mem < mem1 + 131072 - 4096; i++) {
        usleep(50000);
        mem = last_memtotal(f->vm.console, cpus, sizeof cpus);
    }
    assert_true(mem >= mem1 + 131072 - 4096);
    assert_int_equal(hr_vm_set_vmem(&f->vm, 0, 30000, &err), 0);
    for (int i = 0; i < 600 && mem > mem1 + 4096; i++) {
        usleep(50000);
        mem = last_memtotal(f->vm.console, cpus, sizeof cpus);
    }
    print_message("virtio-mem: memtotal %ld -> +128 MiB -> %ld kB\n", mem1, mem);
    assert_true(mem <= mem1 + 4096);
    assert_int_equal(hr_vm_stop(&f->vm, 10000, &err), 0);
}

int main(void)
{
    const char *b = getenv("HR_GUEST_DIR");
    if (b) snprintf(guest, sizeof guest, "%s", b);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qmp_parse),
        cmocka_unit_test(test_accel_probe),
        cmocka_unit_test_setup_teardown(test_microvm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_q35_hotplug, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
