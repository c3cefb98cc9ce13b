/* sys: programs, files and devices for the installer (sys.h). */
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "runcmd.h"

/* The last non-empty line of text, for error messages. */
static void last_line(const char *text, char *out, size_t len)
{
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
        n--;
    size_t start = n;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    snprintf(out, len, "%.*s", (int)(n - start), text + start);
}

/* The end of what a program printed is kept: that is where tools say what
 * went wrong. */
#define RUN_OUTPUT_MAX 65536

int run_program(const char *const argv[], const char *input, char *out, size_t out_len,
                char *err, size_t err_len)
{
    char *buf = malloc(RUN_OUTPUT_MAX);
    if (!buf)
        abort();
    struct run_request r = {argv, input, buf, RUN_OUTPUT_MAX, -1, true, false, 0};
    int rc = run_request(&r);
    if (out)
        snprintf(out, out_len, "%s", buf);
    if (rc < 0) {
        snprintf(err, err_len, "cannot run %s: %s", argv[0], strerror(-rc));
    } else if (r.killed_by) {
        snprintf(err, err_len, "%s was killed by signal %d", argv[0], r.killed_by);
    } else if (rc) {
        char line[300];
        last_line(buf, line, sizeof(line));
        snprintf(err, err_len, "%s exited with status %d%s%s", argv[0], rc,
                 line[0] ? ": " : "", line);
    }
    free(buf);
    return rc ? -1 : 0;
}

char *read_file(const char *path, size_t max, size_t *len, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t used = 0;
    ssize_t r = 0;
    while (buf && used < max && (r = read(fd, buf + used, max - used)) > 0)
        used += (size_t)r;
    int saved = errno;
    close(fd);
    if (!buf || r < 0) {
        snprintf(err, err_len, "cannot read %s: %s", path, strerror(buf ? saved : ENOMEM));
        free(buf);
        return NULL;
    }
    buf[used] = '\0';
    if (len)
        *len = used;
    return buf;
}

void read_attr(const char *path, char *out, size_t len)
{
    char err[16];
    out[0] = '\0';
    char *text = read_file(path, 4096, NULL, err, sizeof(err));
    if (!text)
        return;
    char *s = text;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strcspn(s, "\n");
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    snprintf(out, len, "%.*s", (int)n, s);
    free(text);
}

int write_file_synced(const char *dst, const void *data, size_t len, mode_t mode,
                      char *err, size_t err_len)
{
    int rc = write_file_atomic(dst, data, len, mode);
    if (rc)
        snprintf(err, err_len, "cannot write %s: %s", dst, strerror(-rc));
    return rc;
}

static int copy_fd(int in, int out)
{
    static char buf[1 << 20];
    for (;;) {
        ssize_t r = read(in, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return 0;
        int rc = fdio_write_all(out, buf, (size_t)r);
        if (rc)
            return rc;
    }
}

static int fsync_dir_of(const char *path)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof(copy), "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) ? -errno : 0;
    close(fd);
    return rc;
}

int copy_file_synced(const char *src, const char *dst, mode_t mode, char *err,
                     size_t err_len)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, err_len, "cannot open %s: %s", src, strerror(errno));
        return -1;
    }
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (out < 0) {
        snprintf(err, err_len, "cannot create %s: %s", tmp, strerror(errno));
        close(in);
        return -1;
    }
    int rc = copy_fd(in, out);
    if (!rc && fsync(out))
        rc = -errno;
    close(in);
    if (close(out) && !rc)
        rc = -errno;
    if (!rc && rename(tmp, dst))
        rc = -errno;
    if (!rc)
        rc = fsync_dir_of(dst);
    if (rc) {
        snprintf(err, err_len, "cannot copy %s to %s: %s", src, dst, strerror(-rc));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int device_io(const char *dev, uint64_t offset, void *data, size_t len, int writing,
                     char *err, size_t err_len)
{
    int fd = open(dev, (writing ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "cannot open %s: %s", dev, strerror(errno));
        return -1;
    }
    ssize_t n = writing ? pwrite(fd, data, len, (off_t)offset) : pread(fd, data, len, (off_t)offset);
    int rc = n == (ssize_t)len ? 0 : (n < 0 ? errno : EIO);
    if (!rc && writing && fsync(fd))
        rc = errno;
    close(fd);
    if (rc)
        snprintf(err, err_len, "cannot %s %zu bytes at offset %llu of %s: %s",
                 writing ? "write" : "read", len, (unsigned long long)offset, dev, strerror(rc));
    return rc ? -1 : 0;
}

int write_device(const char *dev, uint64_t offset, const void *data, size_t len,
                 char *err, size_t err_len)
{
    return device_io(dev, offset, (void *)data, len, 1, err, err_len);
}

int read_device(const char *dev, uint64_t offset, void *data, size_t len, char *err,
                size_t err_len)
{
    return device_io(dev, offset, data, len, 0, err, err_len);
}

int make_dirs(const char *path, mode_t mode, char *err, size_t err_len)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) && errno != EEXIST) {
            snprintf(err, err_len, "cannot create %s: %s", buf, strerror(errno));
            return -1;
        }
        *p = saved;
        if (saved == '\0')
            return 0;
    }
}

int wait_for_path(const char *path, double timeout_s)
{
    for (double waited = 0; waited < timeout_s; waited += 0.1) {
        if (access(path, F_OK) == 0)
            return 0;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return access(path, F_OK) == 0 ? 0 : -1;
}
