/* Running helper programs (tc, ip, qemu) with posix_spawn: no shell, argv
 * passed as is, output captured through pipes, a timeout. */
#include "act/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/banned.h"

extern char **environ;

int64_t hr__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hr__sleep_ms(int64_t ms)
{
    if (ms <= 0) return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void close_pair(int p[2])
{
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    p[0] = p[1] = -1;
}

/* Read what is there into buf (keeping room for the NUL); -1 at EOF. */
static int drain(int fd, char *buf, size_t size, size_t *len)
{
    char tmp[4096];
    ssize_t r = read(fd, tmp, sizeof tmp);
    if (r <= 0) return r == 0 || (errno != EINTR && errno != EAGAIN) ? -1 : 0;
    if (buf && size > 1 && *len < size - 1) {
        size_t k = (size_t)r < size - 1 - *len ? (size_t)r : size - 1 - *len;
        memcpy(buf + *len, tmp, k);
        *len += k;
        buf[*len] = 0;
    }
    return 0;
}

int hr__run(const char *const *argv, const char *input, char *out, size_t outsize, char *errout,
            size_t errsize, int64_t timeout_ms, hr_error *err)
{
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1};
    if (out && outsize) out[0] = 0;
    if (errout && errsize) errout[0] = 0;
    if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) {
        int er = errno;
        close_pair(in);
        close_pair(o);
        close_pair(e);
        return hr_error_set(err, HR_EIO, "%s: cannot make pipes: %s", argv[0], strerror(er));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(o[1]);
    close(e[1]);
    in[0] = o[1] = e[1] = -1;
    if (rc) {
        close_pair(in);
        close_pair(o);
        close_pair(e);
        return hr_error_set(err, HR_EIO, "%s: cannot run: %s", argv[0], strerror(rc));
    }
    if (input) {
        /* Inputs are small (a tc batch): a pipe buffer holds them. */
        size_t n = strlen(input);
        if (write(in[1], input, n) != (ssize_t)n) {}
    }
    close(in[1]);
    in[1] = -1;
    size_t olen = 0, elen = 0;
    bool oopen = true, eopen = true, killed = false;
    int64_t t0 = hr__mono_ms();
    while (oopen || eopen) {
        struct pollfd p[2] = {{.fd = oopen ? o[0] : -1, .events = POLLIN},
                              {.fd = eopen ? e[0] : -1, .events = POLLIN}};
        int wait = 200;
        if (timeout_ms > 0) {
            int64_t left = timeout_ms - (hr__mono_ms() - t0);
            if (left <= 0) {
                kill(pid, SIGKILL);
                killed = true;
                break;
            }
            if (left < wait) wait = (int)left;
        }
        if (poll(p, 2, wait) < 0 && errno != EINTR) break;
        if (oopen && (p[0].revents & (POLLIN | POLLHUP)) && drain(o[0], out, outsize, &olen) < 0)
            oopen = false;
        if (eopen && (p[1].revents & (POLLIN | POLLHUP)) && drain(e[0], errout, errsize, &elen) < 0)
            eopen = false;
    }
    close_pair(o);
    close_pair(e);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (killed) {
        hr_error_set(err, HR_EIO, "%s: killed after %lld ms", argv[0], (long long)timeout_ms);
        return 128 + SIGKILL;
    }
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

int hr__spawn_bg(const char *const *argv, const char *log, pid_t *pid, hr_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc = posix_spawnp(pid, argv[0], &fa, &at, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc) return hr_error_set(err, HR_EIO, "%s: cannot start: %s", argv[0], strerror(rc));
    return 0;
}
