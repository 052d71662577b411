/* headroom vm: create, balloon, hot-add, migrate, list and stop QEMU
 * micro-VMs. Each VM has a directory under --dir (meta.json, QMP socket,
 * console log); migrations go through the action journal. */
#include "cli/cli.h"

#include <headroom/act.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef HR_SOURCE_DIR
#define HR_SOURCE_DIR "."
#endif
#ifndef HR_GUEST_DIR
#define HR_GUEST_DIR "build/guest"
#endif

extern char **environ;

static const char help[] =
    "usage: headroom vm create NAME --memory MIB [--machine q35|microvm] [--netns NS]\n"
    "                          [--vcpus N] [--max-vcpus N] [--maxmem MIB] [--accel auto|kvm|tcg]\n"
    "       headroom vm balloon NAME --target MIB\n"
    "       headroom vm add-cpu NAME | add-memory NAME --size MIB      (q35 only)\n"
    "       headroom vm virtio-mem NAME --size MIB   (q35: resize its virtio-mem device)\n"
    "       headroom vm migrate NAME --to-netns NS [--postcopy] [--max-bandwidth BYTES/S]\n"
    "                          [--attempts N] [--journal DB]\n"
    "       headroom vm ls\n"
    "       headroom vm stop NAME\n"
    "common options: --dir DIR (VM directories; default $HEADROOM_VM_DIR or /run/headroom/vm)\n"
    "                --guest DIR (vmlinuz + initrd.gz; default $HEADROOM_GUEST_DIR or the\n"
    "                build tree's guest/, built by scripts/build-guest.sh when missing)\n"
    "                --timeout SEC (default 60; 300 for migrate) --json\n"
    "\n"
    "create boots the test guest and waits for HEADROOM-READY on its console, then\n"
    "prints name, pid, qmp, boot_ms. migrate starts a QEMU in NS listening on NS's\n"
    "IPv4 address, live-migrates (retried with backoff, cancelled on timeout), stops\n"
    "the source once the destination runs, and prints status, pid, qmp, total_ms,\n"
    "downtime_ms and bytes. Running migrate again after a crash resumes the journaled\n"
    "migration instead of starting another.\n"
    "Exit status: 0 done, 1 failure (named), 2 usage.\n";

typedef struct vopts {
    const char *dir, *guest, *machine, *netns, *to_netns, *journal, *accel;
    int64_t memory, target, size, bandwidth, maxmem;
    int64_t timeout_s, attempts, vcpus, max_vcpus;
    bool json, postcopy;
} vopts;

static int num(const char *opt, const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t x;
    if (hr_parse_int64_z(v, &x) || x < lo || x > hi) {
        cli_usage("vm", "%s: \"%s\" is not an integer in [%lld, %lld]", opt, v, (long long)lo,
                  (long long)hi);
        return -1;
    }
    *out = x;
    return 0;
}

static int parse(int argc, char **argv, vopts *o, const char **name)
{
    static const struct option lo[] = {
        {"dir", required_argument, 0, 'd'},      {"guest", required_argument, 0, 'g'},
        {"memory", required_argument, 0, 'm'},   {"machine", required_argument, 0, 'M'},
        {"netns", required_argument, 0, 'n'},    {"to-netns", required_argument, 0, 't'},
        {"target", required_argument, 0, 'T'},   {"size", required_argument, 0, 's'},
        {"postcopy", no_argument, 0, 'p'},       {"max-bandwidth", required_argument, 0, 'b'},
        {"attempts", required_argument, 0, 'a'}, {"journal", required_argument, 0, 'j'},
        {"timeout", required_argument, 0, 'o'},  {"json", no_argument, 0, 'J'},
        {"vcpus", required_argument, 0, 'c'},    {"max-vcpus", required_argument, 0, 'C'},
        {"maxmem", required_argument, 0, 'X'},   {"accel", required_argument, 0, 'A'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->dir = getenv("HEADROOM_VM_DIR") ? getenv("HEADROOM_VM_DIR") : "/run/headroom/vm";
    o->guest = getenv("HEADROOM_GUEST_DIR") ? getenv("HEADROOM_GUEST_DIR") : HR_GUEST_DIR;
    o->machine = "microvm";
    o->vcpus = 1;
    o->attempts = 3;
    opterr = 0;
    optind = 2; /* argv[1] is the verb */
    int c, rc = 0;
    while (!rc && (c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->dir = optarg;
            break;
        case 'g':
            o->guest = optarg;
            break;
        case 'm':
            rc = num("--memory", optarg, 32, 65536, &o->memory);
            break;
        case 'M':
            o->machine = optarg;
            break;
        case 'n':
            o->netns = optarg;
            break;
        case 't':
            o->to_netns = optarg;
            break;
        case 'T':
            rc = num("--target", optarg, 16, 65536, &o->target);
            break;
        case 's':
            rc = num("--size", optarg, 0, 65536, &o->size);
            break;
        case 'p':
            o->postcopy = true;
            break;
        case 'b':
            rc = num("--max-bandwidth", optarg, 1 << 20, INT64_C(1) << 40, &o->bandwidth);
            break;
        case 'a':
            rc = num("--attempts", optarg, 1, 20, &o->attempts);
            break;
        case 'j':
            o->journal = optarg;
            break;
        case 'o':
            rc = num("--timeout", optarg, 1, 86400, &o->timeout_s);
            break;
        case 'J':
            o->json = true;
            break;
        case 'c':
            rc = num("--vcpus", optarg, 1, 64, &o->vcpus);
            break;
        case 'C':
            rc = num("--max-vcpus", optarg, 1, 64, &o->max_vcpus);
            break;
        case 'X':
            rc = num("--maxmem", optarg, 32, 65536, &o->maxmem);
            break;
        case 'A':
            o->accel = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 1;
        case ':':
            return cli_usage("vm", "option %s needs a value", argv[optind - 1]);
        default:
            return cli_usage("vm", "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (rc) return CLI_EUSAGE;
    *name = NULL;
    if (optind < argc) *name = argv[optind++];
    if (optind < argc) return cli_usage("vm", "unexpected argument \"%s\"", argv[optind]);
    if (strcmp(o->machine, "microvm") && strcmp(o->machine, "q35"))
        return cli_usage("vm", "--machine: \"%s\" is not q35 or microvm", o->machine);
    if (o->accel && strcmp(o->accel, "auto") && strcmp(o->accel, "kvm") && strcmp(o->accel, "tcg"))
        return cli_usage("vm", "--accel: \"%s\" is not auto, kvm or tcg", o->accel);
    return 0;
}

static int vm_dir(const vopts *o, const char *name, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/%s", o->dir, name);
    return n < 0 || (size_t)n >= 400 ? -1 : 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run scripts/build-guest.sh GUEST when vmlinuz or initrd.gz is missing. */
static int ensure_guest(const vopts *o, hr_error *err)
{
    char k[600], i[600];
    snprintf(k, sizeof k, "%s/vmlinuz", o->guest);
    snprintf(i, sizeof i, "%s/initrd.gz", o->guest);
    if (access(k, R_OK) == 0 && access(i, R_OK) == 0) return 0;
    /* Only the build tree's own guest is built on demand. */
    if (strcmp(o->guest, HR_GUEST_DIR))
        return hr_error_set(err, HR_ENOTFOUND, "missing kernel or initrd: %s, %s", k, i);
    char script[600];
    snprintf(script, sizeof script, "%s/scripts/build-guest.sh", HR_SOURCE_DIR);
    if (access(script, X_OK) != 0)
        return hr_error_set(err, HR_ENOTFOUND, "missing kernel %s (and no %s to build it)", k,
                            script);
    fprintf(stderr, "headroom: vm: building the test guest into %s\n", o->guest);
    char *argv[] = {script, (char *)o->guest, NULL};
    pid_t pid;
    int st = 0;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    int rc = posix_spawn(&pid, script, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
        return hr_error_set(err, HR_EIO, "%s %s failed", script, o->guest);
    return 0;
}

static void print_vm(const hr_vm *vm, bool json, const char *extra_key, int64_t extra)
{
    json_t *j = json_pack(
        "{s:s, s:I, s:s, s:I, s:s, s:s, s:I, s:s, s:s}", "name", vm->cfg.name, "pid",
        (json_int_t)vm->pid, "qmp", vm->qmp, "boot_ms", (json_int_t)vm->boot_ms, "machine",
        vm->cfg.machine == HR_VM_Q35 ? "q35" : "microvm", "accel", vm->accel, "memory_mib",
        (json_int_t)vm->cfg.mem_mib, "netns", vm->cfg.netns, "console", vm->console);
    if (extra_key) json_object_set_new(j, extra_key, json_integer(extra));
    if (json) {
        char *t = json_dumps(j, JSON_COMPACT);
        puts(t);
        free(t);
    } else {
        printf("%s: pid %d, %s/%s, %lld MiB, qmp %s", vm->cfg.name, (int)vm->pid,
               vm->cfg.machine == HR_VM_Q35 ? "q35" : "microvm", vm->accel,
               (long long)vm->cfg.mem_mib, vm->qmp);
        if (vm->boot_ms) printf(", ready in %lld ms", (long long)vm->boot_ms);
        if (extra_key) printf(", %s %lld", extra_key, (long long)extra);
        printf("\n");
    }
    json_decref(j);
}

static int do_create(const vopts *o, const char *name, hr_error *err)
{
    if (!o->memory) return cli_usage("vm", "create needs --memory MIB");
    hr_vm_config c;
    memset(&c, 0, sizeof c);
    if (strlen(name) >= sizeof c.name) return cli_usage("vm", "name \"%s\" is too long", name);
    snprintf(c.name, sizeof c.name, "%s", name);
    c.machine = !strcmp(o->machine, "q35") ? HR_VM_Q35 : HR_VM_MICROVM;
    c.mem_mib = o->memory;
    c.maxmem_mib = o->maxmem;
    c.vcpus = (int32_t)o->vcpus;
    c.max_vcpus = (int32_t)o->max_vcpus;
    if (vm_dir(o, name, c.dir, sizeof c.dir)) return cli_usage("vm", "--dir is too long");
    snprintf(c.netns, sizeof c.netns, "%s", o->netns ? o->netns : "");
    snprintf(c.accel, sizeof c.accel, "%s", o->accel ? o->accel : "");
    hr_vm old;
    if (hr_vm_load(c.dir, &old, NULL) == 0 && hr_vm_alive(&old))
        return hr_error_set(err, HR_EEXIST, "vm %s exists (pid %d)", name, (int)old.pid);
    int rc = ensure_guest(o, err);
    if (rc) return rc;
    snprintf(c.kernel, sizeof c.kernel, "%.500s/vmlinuz", o->guest);
    snprintf(c.initrd, sizeof c.initrd, "%.500s/initrd.gz", o->guest);
    hr_vm vm;
    int64_t t0 = mono_ms();
    if ((rc = hr_vm_start(&c, &vm, err))) return rc;
    rc = hr_vm_wait_console(&vm, "HEADROOM-READY", (o->timeout_s ? o->timeout_s : 60) * 1000, err);
    if (rc) {
        hr_vm_stop(&vm, 2000, NULL);
        return rc;
    }
    vm.boot_ms = mono_ms() - t0;
    if ((rc = hr_vm_save(&vm, err))) {
        hr_vm_stop(&vm, 2000, NULL);
        return rc;
    }
    print_vm(&vm, o->json, NULL, 0);
    return 0;
}

static int load(const vopts *o, const char *name, hr_vm *vm, hr_error *err)
{
    char dir[HR_VM_MAX_PATH];
    if (vm_dir(o, name, dir, sizeof dir)) return hr_error_set(err, HR_EINVAL, "--dir too long");
    int rc = hr_vm_load(dir, vm, err);
    if (!rc && !hr_vm_alive(vm))
        rc = hr_error_set(err, HR_ESTATE, "vm %s is not running (pid %d gone)", name, (int)vm->pid);
    return rc;
}

static int do_balloon(const vopts *o, const char *name, hr_error *err)
{
    if (!o->target) return cli_usage("vm", "balloon needs --target MIB");
    hr_vm vm;
    int64_t actual = 0;
    int rc = load(o, name, &vm, err);
    if (!rc)
        rc = hr_vm_balloon(&vm, o->target, (o->timeout_s ? o->timeout_s : 60) * 1000, &actual, err);
    if (rc) return rc;
    if (o->json)
        printf("{\"name\": \"%s\", \"actual_mib\": %lld}\n", name, (long long)actual);
    else
        printf("%s: balloon at %lld MiB\n", name, (long long)actual);
    return 0;
}

static int do_hotplug(const vopts *o, const char *name, const char *verb, hr_error *err)
{
    hr_vm vm;
    bool cpu = !strcmp(verb, "add-cpu"), vmem = !strcmp(verb, "virtio-mem");
    int rc = load(o, name, &vm, err);
    if (!rc && !cpu && !o->size && !vmem) return cli_usage("vm", "add-memory needs --size MIB");
    if (rc) return rc;
    if (cpu)
        rc = hr_vm_add_cpu(&vm, err);
    else if (vmem)
        rc = hr_vm_set_vmem(&vm, o->size, (o->timeout_s ? o->timeout_s : 60) * 1000, err);
    else
        rc = hr_vm_add_memory(&vm, o->size, err);
    if (!rc && vmem)
        printf("%s: virtio-mem at %lld MiB\n", name, (long long)o->size);
    else if (!rc)
        printf("%s: %s added\n", name, cpu ? "one vCPU" : "memory");
    return rc;
}

static int do_migrate(const vopts *o, const char *name, hr_error *err)
{
    if (!o->to_netns) return cli_usage("vm", "migrate needs --to-netns NS");
    hr_vm vm;
    char dir[HR_VM_MAX_PATH], db[HR_VM_MAX_PATH + 16];
    if (vm_dir(o, name, dir, sizeof dir)) return hr_error_set(err, HR_EINVAL, "--dir too long");
    int rc = hr_vm_load(dir, &vm, err);
    if (rc) return rc;
    snprintf(db, sizeof db, "%s/journal.db", o->dir);
    hr_journal *j = NULL;
    if ((rc = hr_journal_open(o->journal ? o->journal : db, &j, err))) return rc;
    json_t *p = json_pack("{s:s, s:s, s:b, s:I}", "dir", dir, "to_netns", o->to_netns, "postcopy",
                          o->postcopy, "max_bandwidth", (json_int_t)o->bandwidth);
    char *params = json_dumps(p, JSON_SORT_KEYS);
    json_decref(p);
    int64_t tmo = (o->timeout_s ? o->timeout_s : 300) * 1000;
    hr_action a = {.params = params, .max_attempts = (int32_t)o->attempts, .timeout_ms = tmo};
    /* One migration per VM generation and destination: re-running the
     * command after a crash finds the journaled one. */
    snprintf(a.key, sizeof a.key, "vm.migrate/%.60s/%lld/%.60s", name, (long long)vm.generation,
             o->to_netns);
    snprintf(a.plan, sizeof a.plan, "%s", a.key);
    snprintf(a.kind, sizeof a.kind, "vm.migrate");
    snprintf(a.host, sizeof a.host, "%.60s", vm.cfg.netns[0] ? vm.cfg.netns : "local");
    snprintf(a.target, sizeof a.target, "%s", name);
    int64_t id = 0;
    rc = hr_journal_add(j, &a, &id, err);
    free(params);
    hr_act_driver d = hr_vm_migrate_driver();
    hr_act_opts ro = {.poll_ms = 20, .timeout_ms = tmo, .backoff_base_ms = 1000};
    if (rc >= 0) rc = hr_act_run(j, &d, 1, &ro, NULL, err);
    hr_action got;
    int grc = hr_journal_get(j, id, &got, NULL);
    hr_vm_migration m;
    memset(&m, 0, sizeof m);
    if (!grc && got.result) hr_vm_migration_result(got.result, &m);
    if (rc && !grc) snprintf(m.status, sizeof m.status, "%.31s", got.error);
    hr_vm now;
    bool have = hr_vm_load(dir, &now, NULL) == 0;
    json_t *out =
        json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:i}", "name", name, "status",
                  rc ? (grc ? "failed" : got.error) : "completed", "pid",
                  (json_int_t)(have ? now.pid : 0), "qmp", have ? now.qmp : "", "total_ms",
                  (json_int_t)m.total_ms, "downtime_ms", (json_int_t)m.downtime_ms, "bytes",
                  (json_int_t)m.bytes, "attempts", grc ? 0 : got.attempts);
    if (o->json) {
        char *t = json_dumps(out, JSON_COMPACT);
        puts(t);
        free(t);
    } else if (!rc) {
        printf("%s: migrated to %s: pid %d, total %lld ms, downtime %lld ms, %lld bytes\n", name,
               o->to_netns, have ? (int)now.pid : 0, (long long)m.total_ms,
               (long long)m.downtime_ms, (long long)m.bytes);
    }
    json_decref(out);
    if (!grc) hr_action_release(&got);
    hr_journal_close(j);
    return rc;
}

static int do_ls(const vopts *o)
{
    DIR *d = opendir(o->dir);
    json_t *arr = json_array();
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char dir[HR_VM_MAX_PATH];
        hr_vm vm;
        if (vm_dir(o, e->d_name, dir, sizeof dir) || hr_vm_load(dir, &vm, NULL)) continue;
        bool alive = hr_vm_alive(&vm);
        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:s, s:I}", "name", vm.cfg.name, "pid",
                           (json_int_t)vm.pid, "state", alive ? "running" : "stopped", "machine",
                           vm.cfg.machine == HR_VM_Q35 ? "q35" : "microvm", "memory_mib",
                           (json_int_t)vm.cfg.mem_mib, "netns", vm.cfg.netns, "qmp", vm.qmp,
                           "generation", (json_int_t)vm.generation));
        if (!o->json)
            printf("%-20s %-8s pid %-8d %-8s %6lld MiB  netns %s\n", vm.cfg.name,
                   alive ? "running" : "stopped", (int)vm.pid,
                   vm.cfg.machine == HR_VM_Q35 ? "q35" : "microvm", (long long)vm.cfg.mem_mib,
                   vm.cfg.netns[0] ? vm.cfg.netns : "-");
    }
    if (d) closedir(d);
    if (o->json) {
        char *t = json_dumps(arr, JSON_COMPACT);
        puts(t);
        free(t);
    }
    json_decref(arr);
    return 0;
}

/* rm -r of a VM directory (files and one level of gen* subdirectories). */
static void remove_dir(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[HR_VM_MAX_PATH + 300];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && depth < 2)
            remove_dir(p, depth + 1);
        else
            unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

static int do_stop(const vopts *o, const char *name, hr_error *err)
{
    char dir[HR_VM_MAX_PATH];
    hr_vm vm;
    if (vm_dir(o, name, dir, sizeof dir)) return hr_error_set(err, HR_EINVAL, "--dir too long");
    int rc = hr_vm_load(dir, &vm, err);
    if (!rc) rc = hr_vm_stop(&vm, 5000, err);
    if (!rc) remove_dir(dir, 0);
    return rc;
}

int cmd_vm(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EUSAGE : CLI_OK;
    }
    const char *verb = argv[1], *name = NULL;
    vopts o;
    int rc = parse(argc, argv, &o, &name);
    if (rc) return rc == 1 ? CLI_OK : rc;
    bool needs_name = strcmp(verb, "ls") != 0;
    if (needs_name && !name) return cli_usage("vm", "%s needs a VM name", verb);
    hr_error err = {0};
    if (!strcmp(verb, "create"))
        rc = do_create(&o, name, &err);
    else if (!strcmp(verb, "balloon"))
        rc = do_balloon(&o, name, &err);
    else if (!strcmp(verb, "add-cpu") || !strcmp(verb, "add-memory") || !strcmp(verb, "virtio-mem"))
        rc = do_hotplug(&o, name, verb, &err);
    else if (!strcmp(verb, "migrate"))
        rc = do_migrate(&o, name, &err);
    else if (!strcmp(verb, "ls"))
        rc = do_ls(&o);
    else if (!strcmp(verb, "stop"))
        rc = do_stop(&o, name, &err);
    else
        return cli_usage("vm", "unknown subcommand \"%s\"", verb);
    if (rc == CLI_EUSAGE) return rc;
    return rc ? cli_data_error(&err) : CLI_OK;
}
