/* QEMU micro-VMs: start (KVM or TCG, microvm or q35, optionally in a
 * network namespace), wait for the guest's console marker, balloon,
 * hot-add, stop; the registry file meta.json. Migration is in migrate.c. */
#include "act/internal.h"

#include <headroom/series.h>
#include <headroom/util.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <jansson.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/banned.h"

#define QMP_UP_MS 30000

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 63 || !strcmp(s, ".") || !strcmp(s, "..")) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
            return false;
    return true;
}

static bool cpu_flag(const char *flag)
{
    FILE *f = fopen("/proc/cpuinfo", "re");
    char line[4096];
    bool found = false;
    size_t k = strlen(flag);
    while (f && !found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5)) continue;
        for (const char *p = line; (p = strstr(p, flag)); p += k)
            if (p[-1] == ' ' && (p[k] == ' ' || p[k] == '\n')) found = true;
    }
    if (f) fclose(f);
    return found;
}

void hr_vm_accel_probe(char *out, size_t size, char *why, size_t why_size)
{
    const char *reason = NULL;
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        reason = "/dev/kvm cannot be opened";
    } else {
        int v = ioctl(fd, KVM_GET_API_VERSION, 0);
        if (v != KVM_API_VERSION) {
            reason = "/dev/kvm: KVM_GET_API_VERSION is not 12";
        } else {
            int vm = ioctl(fd, KVM_CREATE_VM, 0);
            if (vm < 0)
                reason = "/dev/kvm: KVM_CREATE_VM fails";
            else
                close(vm);
            if (!reason && !cpu_flag("vmx") && !cpu_flag("svm"))
                reason = "/dev/kvm answers but the CPU has no vmx/svm (a paravirtual KVM such as"
                         " PVM cannot boot an ordinary guest)";
        }
        close(fd);
    }
    snprintf(out, size, "%s", reason ? "tcg" : "kvm");
    if (why && why_size) snprintf(why, why_size, "%s", reason ? reason : "");
}

int64_t hr_vm_tsc_khz(void)
{
    FILE *f = fopen("/proc/cpuinfo", "re");
    char line[512];
    int64_t khz = 0;
    while (f && !khz && fgets(line, sizeof line, f)) {
        if (strncmp(line, "cpu MHz", 7)) continue;
        const char *c = strchr(line, ':');
        double mhz;
        if (c && !hr_parse_double(c + 2, strcspn(c + 2, "\n"), &mhz)) khz = (int64_t)(mhz * 1000);
    }
    if (f) fclose(f);
    return khz;
}

static int check_cfg(const hr_vm_config *c, hr_error *err)
{
    if (!name_ok(c->name)) return hr_error_set(err, HR_EINVAL, "vm: bad name \"%s\"", c->name);
    if (c->mem_mib < 32 || c->mem_mib > 65536)
        return hr_error_set(err, HR_EINVAL, "vm %s: memory %lld MiB outside 32..65536", c->name,
                            (long long)c->mem_mib);
    if (c->vcpus < 1 || c->vcpus > 64 || (c->max_vcpus && c->max_vcpus < c->vcpus))
        return hr_error_set(err, HR_EINVAL, "vm %s: bad vCPU counts", c->name);
    if (c->machine == HR_VM_MICROVM && (c->maxmem_mib || c->max_vcpus > c->vcpus))
        return hr_error_set(err, HR_ENOTSUP,
                            "vm %s: microvm cannot hot-plug CPUs or memory: use --machine q35",
                            c->name);
    /* With hot-plug room above 4 GiB the guest kernel reserves a 64 MiB
     * bounce buffer (swiotlb); 128 MiB guests then hang at boot. */
    if (c->maxmem_mib && c->mem_mib < 256)
        return hr_error_set(err, HR_EINVAL, "vm %s: memory hot-add (maxmem) needs at least 256 MiB",
                            c->name);
    if (c->maxmem_mib && c->maxmem_mib < c->mem_mib)
        return hr_error_set(err, HR_EINVAL, "vm %s: maxmem below memory", c->name);
    if (c->netns[0] && !name_ok(c->netns))
        return hr_error_set(err, HR_EINVAL, "vm %s: bad namespace \"%s\"", c->name, c->netns);
    struct stat st;
    if (stat(c->kernel, &st) != 0 || !S_ISREG(st.st_mode))
        return hr_error_set(err, HR_ENOTFOUND, "vm %s: missing kernel %s", c->name, c->kernel);
    if (stat(c->initrd, &st) != 0 || !S_ISREG(st.st_mode))
        return hr_error_set(err, HR_ENOTFOUND, "vm %s: missing initrd %s", c->name, c->initrd);
    return 0;
}

/* The end of a log file into buf, one line. */
static void log_tail(const char *path, char *buf, size_t size)
{
    buf[0] = 0;
    FILE *f = fopen(path, "re");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (line[0] != '\n') {
            line[strcspn(line, "\n")] = 0;
            snprintf(buf, size, "%.300s", line);
        }
    fclose(f);
}

bool hr_vm_alive(const hr_vm *vm)
{
    if (!vm || vm->pid <= 0) return false;
    int st;
    if (waitpid(vm->pid, &st, WNOHANG) == vm->pid) return false; /* our child, reaped */
    char p[64], cmd[256] = "";
    snprintf(p, sizeof p, "/proc/%d/cmdline", (int)vm->pid);
    FILE *f = fopen(p, "re");
    if (!f) return false;
    size_t n = fread(cmd, 1, sizeof cmd - 1, f);
    fclose(f);
    cmd[n] = 0;
    /* argv[0] of a zombie is empty; a reused pid runs something else. */
    snprintf(p, sizeof p, "/proc/%d/stat", (int)vm->pid);
    f = fopen(p, "re");
    char state = 0;
    if (f) {
        if (fscanf(f, "%*d %*s %c", &state) != 1) state = 0;
        fclose(f);
    }
    return state && state != 'Z' && strstr(cmd, "qemu-system") != NULL;
}

typedef struct argv_buf {
    const char *v[64];
    size_t n;
    char store[16][HR_VM_MAX_PATH + 160];
    size_t ns;
} argv_buf;

static void arg(argv_buf *a, const char *s)
{
    if (a->n < 63) a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static const char *argf(argv_buf *a, const char *fmt, ...) HR_PRINTF(2, 3);
static const char *argf(argv_buf *a, const char *fmt, ...)
{
    if (a->ns >= 16) return "";
    char *s = a->store[a->ns++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s, sizeof a->store[0], fmt, ap);
    va_end(ap);
    return s;
}

static void build_argv(const hr_vm *vm, argv_buf *a)
{
    const hr_vm_config *c = &vm->cfg;
    bool q35 = c->machine == HR_VM_Q35, kvm = !strcmp(vm->accel, "kvm");
    if (c->netns[0]) {
        arg(a, "ip");
        arg(a, "netns");
        arg(a, "exec");
        arg(a, c->netns);
    }
    arg(a, "qemu-system-x86_64");
    arg(a, "-name");
    arg(a, c->name);
    arg(a, "-accel");
    arg(a, kvm ? "kvm" : "tcg");
    arg(a, "-cpu");
    arg(a, kvm ? "host" : "max");
    arg(a, "-M");
    arg(a, q35 ? "q35" : "microvm");
    arg(a, "-m");
    if (c->maxmem_mib)
        arg(a,
            argf(a, "%lld,slots=4,maxmem=%lldM", (long long)c->mem_mib, (long long)c->maxmem_mib));
    else
        arg(a, argf(a, "%lld", (long long)c->mem_mib));
    arg(a, "-smp");
    arg(a, argf(a, "%d,maxcpus=%d", c->vcpus, c->max_vcpus > c->vcpus ? c->max_vcpus : c->vcpus));
    arg(a, "-display");
    arg(a, "none");
    arg(a, "-monitor");
    arg(a, "none");
    arg(a, "-serial");
    arg(a, argf(a, "file:%s", vm->console));
    arg(a, "-no-reboot");
    arg(a, "-net");
    arg(a, "none");
    arg(a, "-kernel");
    arg(a, c->kernel);
    arg(a, "-initrd");
    arg(a, c->initrd);
    int64_t khz = hr_vm_tsc_khz();
    char tsc[48] = "";
    /* microvm has no HPET or PM timer: under TCG the PIT calibration can
     * fail and hang the boot without the TSC rate given. */
    if (!q35 && !kvm && khz > 0) snprintf(tsc, sizeof tsc, " tsc_early_khz=%lld", (long long)khz);
    arg(a, "-append");
    arg(a, argf(a, "console=ttyS0 quiet panic=-1%s%s%s", tsc, c->append[0] ? " " : "", c->append));
    arg(a, "-qmp");
    arg(a, argf(a, "unix:%s,server=on,wait=off", vm->qmp));
    arg(a, "-pidfile");
    arg(a, argf(a, "%s/qemu.pid", c->dir));
    arg(a, "-device");
    arg(a, q35 ? "virtio-balloon-pci,id=balloon0" : "virtio-balloon-device,id=balloon0");
    if (q35 && c->maxmem_mib) {
        /* A hot-plug capable root port for a virtio-mem device. */
        arg(a, "-device");
        arg(a, "pcie-root-port,id=hr-rp1,chassis=1,slot=1");
    }
    if (c->incoming[0]) {
        arg(a, "-incoming");
        arg(a, c->incoming);
    }
}

static int make_dirs(const char *dir, hr_error *err)
{
    char p[HR_VM_MAX_PATH];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return hr_error_set(err, HR_EIO, "%s: cannot create: %s", p, strerror(errno));
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return hr_error_set(err, HR_EIO, "%s: cannot create: %s", p, strerror(errno));
    return 0;
}

int hr_vm_start(const hr_vm_config *cfg, hr_vm *out, hr_error *err)
{
    if (!cfg || !out) return hr_error_set(err, HR_EINVAL, "vm: no config");
    int rc = check_cfg(cfg, err);
    if (rc) return rc;
    if ((rc = make_dirs(cfg->dir, err))) return rc;
    hr_vm *vm = calloc(1, sizeof *vm);
    argv_buf *a = calloc(1, sizeof *a);
    if (!vm || !a) {
        free(vm);
        free(a);
        return hr_error_set(err, HR_ENOMEM, "vm: out of memory");
    }
    vm->cfg = *cfg;
    snprintf(vm->home, sizeof vm->home, "%s", cfg->dir);
    snprintf(vm->qmp, sizeof vm->qmp, "%s/qmp.sock", cfg->dir);
    snprintf(vm->console, sizeof vm->console, "%s/console.log", cfg->dir);
    if (cfg->accel[0] && strcmp(cfg->accel, "auto"))
        snprintf(vm->accel, sizeof vm->accel, "%s", cfg->accel);
    else
        hr_vm_accel_probe(vm->accel, sizeof vm->accel, NULL, 0);
    char log[HR_VM_MAX_PATH + 32];
    snprintf(log, sizeof log, "%s/qemu.log", cfg->dir);
    unlink(vm->qmp);
    unlink(vm->console);
    unlink(log);
    build_argv(vm, a);
    rc = hr__spawn_bg(a->v, log, &vm->pid, err);
    /* Up when QMP answers; a QEMU that exits first says why in its log. */
    int64_t deadline = hr__mono_ms() + QMP_UP_MS;
    while (!rc) {
        hr_qmp *q = NULL;
        if (hr_qmp_connect(vm->qmp, 200, &q, NULL) == 0) {
            hr_qmp_close(q);
            break;
        }
        if (!hr_vm_alive(vm)) {
            char tail[400];
            log_tail(log, tail, sizeof tail);
            rc = hr_error_set(err, HR_EIO, "vm %s: QEMU exited: %s", cfg->name,
                              tail[0] ? tail : "(no message)");
        } else if (hr__mono_ms() > deadline) {
            kill(vm->pid, SIGKILL);
            waitpid(vm->pid, NULL, 0);
            rc = hr_error_set(err, HR_EIO, "vm %s: QMP did not come up in %d ms", cfg->name,
                              QMP_UP_MS);
        }
    }
    if (!rc) *out = *vm;
    free(vm);
    free(a);
    return rc;
}

int hr_vm_wait_console(const hr_vm *vm, const char *marker, int64_t timeout_ms, hr_error *err)
{
    int64_t deadline = hr__mono_ms() + timeout_ms;
    size_t mlen = strlen(marker);
    char buf[8192];
    size_t keep = 0;
    long off = 0;
    for (;;) {
        FILE *f = fopen(vm->console, "re");
        if (f) {
            fseek(f, off, SEEK_SET);
            size_t got;
            while ((got = fread(buf + keep, 1, sizeof buf - 1 - keep, f)) > 0) {
                off += (long)got;
                size_t len = keep + got;
                buf[len] = 0;
                /* The log may hold NULs from the early console: search bytes. */
                for (size_t i = 0; i + mlen <= len; i++)
                    if (!memcmp(buf + i, marker, mlen)) {
                        fclose(f);
                        return 0;
                    }
                keep = len < mlen ? len : mlen - 1;
                memmove(buf, buf + len - keep, keep);
            }
            fclose(f);
        }
        if (!hr_vm_alive(vm))
            return hr_error_set(err, HR_EIO, "vm %s: QEMU exited before \"%s\"", vm->cfg.name,
                                marker);
        if (hr__mono_ms() > deadline)
            return hr_error_set(err, HR_EIO, "vm %s: no \"%s\" on the console after %lld ms",
                                vm->cfg.name, marker, (long long)timeout_ms);
        hr__sleep_ms(20);
    }
}

static int with_qmp(const hr_vm *vm, hr_qmp **q, hr_error *err)
{
    int rc = hr_qmp_connect(vm->qmp, 3000, q, err);
    if (rc) hr_error_prefix(err, "vm %s", vm->cfg.name);
    return rc;
}

static int64_t json_int_at(const char *json, const char *key)
{
    json_t *o = json_loads(json ? json : "", JSON_DECODE_ANY, NULL);
    json_t *v = json_object_get(o, key);
    int64_t x = json_is_integer(v) ? json_integer_value(v) : -1;
    json_decref(o);
    return x;
}

int hr_vm_balloon(hr_vm *vm, int64_t target_mib, int64_t timeout_ms, int64_t *actual_mib,
                  hr_error *err)
{
    if (!vm || target_mib < 16 || target_mib > vm->cfg.mem_mib)
        return hr_error_set(err, HR_EINVAL, "vm %s: balloon target %lld MiB outside 16..%lld",
                            vm ? vm->cfg.name : "", (long long)target_mib,
                            (long long)(vm ? vm->cfg.mem_mib : 0));
    hr_qmp *q = NULL;
    int rc = with_qmp(vm, &q, err);
    if (rc) return rc;
    char args[64];
    snprintf(args, sizeof args, "{\"value\": %lld}", (long long)(target_mib << 20));
    rc = hr_qmp_exec(q, "balloon", args, NULL, 5000, err);
    int64_t deadline = hr__mono_ms() + timeout_ms, actual = -1;
    while (!rc) {
        char *r = NULL;
        if ((rc = hr_qmp_exec(q, "query-balloon", NULL, &r, 5000, err))) break;
        actual = json_int_at(r, "actual");
        free(r);
        int64_t d = actual - (target_mib << 20);
        if (d < 0) d = -d;
        if (actual >= 0 && d < (1 << 20)) break;
        if (hr__mono_ms() > deadline)
            rc = hr_error_set(err, HR_EIO, "vm %s: balloon at %lld MiB, not %lld, after %lld ms",
                              vm->cfg.name, (long long)(actual >> 20), (long long)target_mib,
                              (long long)timeout_ms);
        else
            hr__sleep_ms(50);
    }
    hr_qmp_close(q);
    if (!rc && actual_mib) *actual_mib = (actual + (1 << 19)) >> 20;
    return rc;
}

int hr_vm_add_cpu(hr_vm *vm, hr_error *err)
{
    if (vm->cfg.machine != HR_VM_Q35)
        return hr_error_set(err, HR_ENOTSUP, "vm %s: microvm cannot hot-plug CPUs", vm->cfg.name);
    hr_qmp *q = NULL;
    int rc = with_qmp(vm, &q, err);
    if (rc) return rc;
    char *r = NULL;
    rc = hr_qmp_exec(q, "query-hotpluggable-cpus", NULL, &r, 5000, err);
    json_t *list = rc ? NULL : json_loads(r, JSON_DECODE_ANY, NULL), *slot = NULL;
    free(r);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (!json_object_get(v, "qom-path")) slot = v;
    }
    if (!rc && !slot)
        rc = hr_error_set(err, HR_ENOTSUP, "vm %s: no free vCPU slot (max_vcpus)", vm->cfg.name);
    if (!rc) {
        json_t *args = json_deep_copy(json_object_get(slot, "props"));
        json_object_set_new(args, "driver", json_incref(json_object_get(slot, "type")));
        char id[32];
        snprintf(id, sizeof id, "cpu%lld", (long long)hr__mono_ms());
        json_object_set_new(args, "id", json_string(id));
        char *txt = json_dumps(args, JSON_COMPACT);
        json_decref(args);
        rc = hr_qmp_exec(q, "device_add", txt, NULL, 10000, err);
        free(txt);
    }
    json_decref(list);
    hr_qmp_close(q);
    return rc;
}

int hr_vm_add_memory(hr_vm *vm, int64_t mib, hr_error *err)
{
    if (vm->cfg.machine != HR_VM_Q35)
        return hr_error_set(err, HR_ENOTSUP, "vm %s: microvm cannot hot-plug memory", vm->cfg.name);
    if (!vm->cfg.maxmem_mib || mib <= 0 || mib % 128)
        return hr_error_set(err, HR_EINVAL,
                            "vm %s: memory hot-add needs maxmem and a multiple of 128 MiB",
                            vm->cfg.name);
    hr_qmp *q = NULL;
    int rc = with_qmp(vm, &q, err);
    if (rc) return rc;
    long long t = (long long)hr__mono_ms();
    char a1[160], a2[160];
    snprintf(a1, sizeof a1,
             "{\"qom-type\": \"memory-backend-ram\", \"id\": \"mem%lld\", \"size\": %lld}", t,
             (long long)(mib << 20));
    snprintf(a2, sizeof a2,
             "{\"driver\": \"pc-dimm\", \"id\": \"dimm%lld\", \"memdev\": \"mem%lld\"}", t, t);
    rc = hr_qmp_exec(q, "object-add", a1, NULL, 10000, err);
    if (!rc) rc = hr_qmp_exec(q, "device_add", a2, NULL, 10000, err);
    hr_qmp_close(q);
    return rc;
}

/* MiB of DIMMs plugged so far (query-memory-devices). */
static int64_t dimm_mib(hr_qmp *q)
{
    char *r = NULL;
    if (hr_qmp_exec(q, "query-memory-devices", NULL, &r, 5000, NULL)) return -1;
    json_t *v = json_loads(r, JSON_DECODE_ANY, NULL), *d;
    free(r);
    size_t i;
    int64_t sum = 0;
    json_array_foreach(v, i, d)
    {
        const char *type = json_string_value(json_object_get(d, "type"));
        if (type && !strcmp(type, "dimm"))
            sum += json_integer_value(json_object_get(json_object_get(d, "data"), "size")) >> 20;
    }
    json_decref(v);
    return sum;
}

int hr_vm_set_vmem(hr_vm *vm, int64_t mib, int64_t timeout_ms, hr_error *err)
{
    if (vm->cfg.machine != HR_VM_Q35)
        return hr_error_set(err, HR_ENOTSUP, "vm %s: microvm has no virtio-mem", vm->cfg.name);
    if (!vm->cfg.maxmem_mib || mib < 0 || mib % 128)
        return hr_error_set(err, HR_EINVAL,
                            "vm %s: virtio-mem needs maxmem and a multiple of 128 MiB",
                            vm->cfg.name);
    hr_qmp *q = NULL;
    int rc = with_qmp(vm, &q, err);
    if (rc) return rc;
    char *r = NULL, args[256];
    bool exists = hr_qmp_exec(q, "qom-get",
                              "{\"path\": \"/machine/peripheral/hr-vmem\", \"property\": \"size\"}",
                              &r, 5000, NULL) == 0;
    free(r);
    if (!exists) {
        int64_t room = vm->cfg.maxmem_mib - vm->cfg.mem_mib - dimm_mib(q);
        room -= room % 128;
        if (mib > room || room <= 0)
            rc = hr_error_set(err, HR_ELIMIT, "vm %s: %lld MiB asked, %lld MiB of maxmem left",
                              vm->cfg.name, (long long)mib, (long long)room);
        snprintf(args, sizeof args,
                 "{\"qom-type\": \"memory-backend-ram\", \"id\": \"hr-vmemb\", \"size\": %lld}",
                 (long long)(room << 20));
        if (!rc) rc = hr_qmp_exec(q, "object-add", args, NULL, 10000, err);
        snprintf(args, sizeof args,
                 "{\"driver\": \"virtio-mem-pci\", \"id\": \"hr-vmem\", \"memdev\": \"hr-vmemb\","
                 " \"bus\": \"hr-rp1\", \"requested-size\": %lld}",
                 (long long)(mib << 20));
        if (!rc) rc = hr_qmp_exec(q, "device_add", args, NULL, 10000, err);
    } else {
        snprintf(args, sizeof args,
                 "{\"path\": \"/machine/peripheral/hr-vmem\", \"property\": \"requested-size\","
                 " \"value\": %lld}",
                 (long long)(mib << 20));
        rc = hr_qmp_exec(q, "qom-set", args, NULL, 10000, err);
    }
    /* Plugged when the device's size reaches the request (the guest's
     * driver does the plugging). */
    int64_t deadline = hr__mono_ms() + timeout_ms, size = -1;
    while (!rc) {
        r = NULL;
        rc = hr_qmp_exec(q, "qom-get",
                         "{\"path\": \"/machine/peripheral/hr-vmem\", \"property\": \"size\"}", &r,
                         5000, err);
        json_t *v = rc ? NULL : json_loads(r, JSON_DECODE_ANY, NULL);
        size = json_is_integer(v) ? json_integer_value(v) : -1;
        json_decref(v);
        free(r);
        if (rc || size == mib << 20) break;
        if (hr__mono_ms() > deadline)
            rc = hr_error_set(err, HR_EIO, "vm %s: virtio-mem at %lld MiB, not %lld, after %lld ms",
                              vm->cfg.name, (long long)(size >> 20), (long long)mib,
                              (long long)timeout_ms);
        else
            hr__sleep_ms(50);
    }
    hr_qmp_close(q);
    return rc;
}

int hr_vm_stop(hr_vm *vm, int64_t timeout_ms, hr_error *err)
{
    if (!hr_vm_alive(vm)) return 0;
    hr_qmp *q = NULL;
    if (hr_qmp_connect(vm->qmp, 1000, &q, NULL) == 0) {
        hr_qmp_exec(q, "quit", NULL, NULL, 2000, NULL);
        hr_qmp_close(q);
    }
    int64_t deadline = hr__mono_ms() + timeout_ms;
    while (hr_vm_alive(vm)) {
        if (hr__mono_ms() > deadline) {
            kill(vm->pid, SIGKILL);
            deadline = hr__mono_ms() + 5000;
            timeout_ms = -1;
        }
        hr__sleep_ms(20);
        if (timeout_ms < 0 && hr__mono_ms() > deadline)
            return hr_error_set(err, HR_EIO, "vm %s: pid %d does not end", vm->cfg.name,
                                (int)vm->pid);
    }
    waitpid(vm->pid, NULL, WNOHANG);
    return 0;
}

/* ---- meta.json -------------------------------------------------------------------------- */

int hr_vm_save(const hr_vm *vm, hr_error *err)
{
    const hr_vm_config *c = &vm->cfg;
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:I, s:i, s:i, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I,"
        " s:I, s:s}",
        "name", c->name, "machine", c->machine == HR_VM_Q35 ? "q35" : "microvm", "memory_mib",
        (json_int_t)c->mem_mib, "maxmem_mib", (json_int_t)c->maxmem_mib, "vcpus", c->vcpus,
        "max_vcpus", c->max_vcpus, "kernel", c->kernel, "initrd", c->initrd, "dir", c->dir, "netns",
        c->netns, "pid", (json_int_t)vm->pid, "qmp", vm->qmp, "console", vm->console, "boot_ms",
        (json_int_t)vm->boot_ms, "generation", (json_int_t)vm->generation, "accel", vm->accel);
    char *txt = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!txt) return hr_error_set(err, HR_ENOMEM, "vm: out of memory");
    char path[HR_VM_MAX_PATH + 16];
    snprintf(path, sizeof path, "%s/meta.json", vm->home[0] ? vm->home : c->dir);
    int rc = hr_write_file_atomic(path, txt, strlen(txt), err);
    free(txt);
    return rc;
}

static int copy_str(json_t *o, const char *k, char *dst, size_t size)
{
    const char *s = json_string_value(json_object_get(o, k));
    if (!s || strlen(s) >= size) return -1;
    snprintf(dst, size, "%s", s);
    return 0;
}

int hr_vm_load(const char *dir, hr_vm *out, hr_error *err)
{
    char path[HR_VM_MAX_PATH + 16], *buf = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/meta.json", dir);
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return hr_error_set(err, HR_ENOTFOUND, "no VM in %s", dir);
    int rc = hr_read_file(path, 1 << 20, &buf, &len, err);
    if (rc) return rc;
    json_error_t je;
    json_t *o = json_loadb(buf, len, 0, &je);
    free(buf);
    hr_vm vm;
    memset(&vm, 0, sizeof vm);
    const char *m = json_string_value(json_object_get(o, "machine"));
    json_int_t mem = 0, maxmem = 0, pid = 0, boot = 0, gen = 0;
    int vc = 0, mvc = 0;
    if (!o || !m ||
        json_unpack(o, "{s:I, s:I, s:i, s:i, s:I, s:I, s:I}", "memory_mib", &mem, "maxmem_mib",
                    &maxmem, "vcpus", &vc, "max_vcpus", &mvc, "pid", &pid, "boot_ms", &boot,
                    "generation", &gen) ||
        copy_str(o, "name", vm.cfg.name, sizeof vm.cfg.name) ||
        copy_str(o, "kernel", vm.cfg.kernel, sizeof vm.cfg.kernel) ||
        copy_str(o, "initrd", vm.cfg.initrd, sizeof vm.cfg.initrd) ||
        copy_str(o, "dir", vm.cfg.dir, sizeof vm.cfg.dir) ||
        copy_str(o, "netns", vm.cfg.netns, sizeof vm.cfg.netns) ||
        copy_str(o, "qmp", vm.qmp, sizeof vm.qmp) ||
        copy_str(o, "console", vm.console, sizeof vm.console) ||
        copy_str(o, "accel", vm.accel, sizeof vm.accel)) {
        json_decref(o);
        return hr_error_set(err, HR_EPARSE, "%s: not a VM description", path);
    }
    vm.cfg.machine = !strcmp(m, "q35") ? HR_VM_Q35 : HR_VM_MICROVM;
    vm.cfg.mem_mib = mem;
    vm.cfg.maxmem_mib = maxmem;
    vm.cfg.vcpus = vc;
    vm.cfg.max_vcpus = mvc;
    vm.pid = (pid_t)pid;
    vm.boot_ms = boot;
    vm.generation = gen;
    snprintf(vm.home, sizeof vm.home, "%s", dir);
    json_decref(o);
    *out = vm;
    return 0;
}

int hr_vm_netns_addr(const char *ns, char *buf, size_t size, hr_error *err)
{
    const char *argv[10];
    size_t n = 0;
    argv[n++] = "ip";
    if (ns && *ns) {
        argv[n++] = "-n";
        argv[n++] = ns;
    }
    argv[n++] = "-4";
    argv[n++] = "-o";
    argv[n++] = "addr";
    argv[n++] = "show";
    argv[n++] = "scope";
    argv[n++] = "global";
    argv[n] = NULL;
    char out[4096], eout[512];
    int rc = hr__run(argv, NULL, out, sizeof out, eout, sizeof eout, 10000, err);
    if (rc < 0) return rc;
    if (rc)
        return hr_error_set(err, HR_ENOTFOUND, "no network namespace \"%s\": %.200s", ns ? ns : "",
                            eout);
    const char *p = strstr(out, " inet ");
    if (!p) return hr_error_set(err, HR_ENOTFOUND, "namespace \"%s\" has no IPv4 address", ns);
    p += 6;
    size_t k = strcspn(p, "/ ");
    if (k == 0 || k >= size) return hr_error_set(err, HR_EPARSE, "ip: unexpected output");
    snprintf(buf, size, "%.*s", (int)k, p);
    return 0;
}
