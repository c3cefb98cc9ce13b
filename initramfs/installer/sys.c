/* sys: programs, files and devices for the installer (sys.h). */
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"

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

static void child_exec(const char *const argv[], int in_fd, int out_fd)
{
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    execvp(argv[0], (char *const *)argv);
    dprintf(out_fd, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Feeds input and collects output without deadlocking on full pipes. */
static void pump(int in_fd, const char *input, int out_fd, char *buf, size_t cap)
{
    size_t in_left = input ? strlen(input) : 0, used = 0;
    if (in_left == 0 && in_fd >= 0) {
        close(in_fd);
        in_fd = -1;
    }
    for (;;) {
        struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
        if (poll(fds, in_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
            break;
        if (in_fd >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in_fd, input, in_left);
            if (w > 0) {
                input += w;
                in_left -= (size_t)w;
            }
            if (w <= 0 || in_left == 0) {
                close(in_fd);
                in_fd = -1;
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char chunk[4096];
            ssize_t r = read(out_fd, chunk, sizeof(chunk));
            if (r <= 0)
                break;
            /* Keep the tail: that is where tools say what went wrong.
             * (cap is far larger than one chunk.) */
            if (used + (size_t)r > cap - 1) {
                size_t drop = used + (size_t)r - (cap - 1);
                memmove(buf, buf + drop, used - drop);
                used -= drop;
            }
            memcpy(buf + used, chunk, (size_t)r);
            used += (size_t)r;
        }
    }
    if (in_fd >= 0)
        close(in_fd);
    buf[used] = '\0';
}

int run_program(const char *const argv[], const char *input, char *out, size_t out_len,
                char *err, size_t err_len)
{
    int in_pipe[2], out_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC)) {
        snprintf(err, err_len, "%s: pipe: %s", argv[0], strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_len, "%s: fork: %s", argv[0], strerror(errno));
        return -1;
    }
    if (pid == 0)
        child_exec(argv, in_pipe[0], out_pipe[1]);
    close(in_pipe[0]);
    close(out_pipe[1]);
    signal(SIGPIPE, SIG_IGN);
    char *buf = malloc(65536);
    if (!buf)
        abort();
    pump(in_pipe[1], input, out_pipe[0], buf, 65536);
    close(out_pipe[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (out)
        snprintf(out, out_len, "%s", buf);
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
        char line[300];
        last_line(buf, line, sizeof(line));
        if (WIFEXITED(status))
            snprintf(err, err_len, "%s exited with status %d%s%s", argv[0],
                     WEXITSTATUS(status), line[0] ? ": " : "", line);
        else
            snprintf(err, err_len, "%s was killed by signal %d", argv[0], WTERMSIG(status));
    }
    free(buf);
    return ok ? 0 : -1;
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

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
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
        int rc = write_all(out, buf, (size_t)r);
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
