/* Whole-file reads with a size limit; atomic whole-file writes. */
#include <headroom/series.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static int io_error(hr_error *err, const char *path, const char *what, int e)
{
    hr_error_set(err, HR_EIO, "%s: %s: %s", path, what, strerror(e));
    if (err) err->sys_errno = e;
    return HR_EIO;
}

int hr_read_file(const char *path, size_t limit_bytes, char **out, size_t *len, hr_error *err)
{
    if (!path || !out) return hr_error_set(err, HR_EINVAL, "hr_read_file: no path");
    if (limit_bytes == 0 || limit_bytes > SIZE_MAX / 4) limit_bytes = SIZE_MAX / 4;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error(err, path, "cannot open", errno);
    int rc = 0;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = io_error(err, path, "cannot stat", errno);
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = io_error(err, path, "cannot read", EISDIR);
        goto out;
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > limit_bytes) {
        rc = hr_error_set(err, HR_ELIMIT, "%s: file is larger than %zu bytes", path, limit_bytes);
        goto out;
    }
    /* One byte more than the expected size, so EOF is seen without a regrow. */
    cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
    if (cap > limit_bytes + 1) cap = limit_bytes + 1;
    buf = malloc(cap + 1);
    if (!buf) {
        rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (;;) {
        if (n == cap) {
            if (cap > limit_bytes) break; /* read limit + 1 bytes: too large */
            size_t ncap = cap > limit_bytes / 2 ? limit_bytes + 1 : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                rc = hr_error_set(err, HR_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            rc = io_error(err, path, "cannot read", errno);
            goto out;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (n > limit_bytes) {
        rc = hr_error_set(err, HR_ELIMIT, "%s: file is larger than %zu bytes", path, limit_bytes);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return rc;
}

/* mkostemp makes 0600 files; give the result the usual 0666 & ~umask. The
 * umask is read without changing it where the kernel can say it. */
static mode_t default_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

int hr_write_file_atomic(const char *path, const void *buf, size_t len, hr_error *err)
{
    if (!path || (!buf && len))
        return hr_error_set(err, HR_EINVAL, "hr_write_file_atomic: no path");
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) return hr_error_set(err, HR_ENOMEM, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int rc = 0, fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = io_error(err, path, "cannot create a temporary file", errno);
        free(tmp);
        return rc;
    }
    const char *p = buf;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, p + off, len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = io_error(err, path, "write", errno);
            break;
        }
        off += (size_t)n;
    }
    if (rc == 0 && fchmod(fd, default_mode()) != 0) rc = io_error(err, path, "chmod", errno);
    if (rc == 0 && fsync(fd) != 0) rc = io_error(err, path, "fsync", errno);
    if (close(fd) != 0 && rc == 0) rc = io_error(err, path, "close", errno);
    if (rc == 0 && rename(tmp, path) != 0) rc = io_error(err, path, "rename", errno);
    if (rc < 0) {
        unlink(tmp);
    } else {
        /* Make the rename itself durable: fsync the directory. */
        char *dir = strdup(path);
        if (dir) {
            char *slash = strrchr(dir, '/');
            const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
            int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
            }
            free(dir);
        }
    }
    free(tmp);
    return rc;
}
