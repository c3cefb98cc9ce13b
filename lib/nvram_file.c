/* nvram_file: the variables file's I/O (see nvram_file.h). */
#include "nvram_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "nvram.h"

static int nvram_io_fail(char *err, size_t errlen, const char *path,
                         const char *what, int e)
{
    snprintf(err, errlen, "%s: %s%s%s", path, what, *what ? ": " : "", strerror(e));
    return -e;
}

static int read_all(int fd, uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO; /* the file shrank under us */
        done += (size_t)n;
    }
    return 0;
}

int nvram_file_read(const char *path, uint8_t **buf, size_t *len, char *err,
                    size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return nvram_io_fail(err, errlen, path, "", e);
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)NVRAM_MAX_SIZE) {
        close(fd);
        snprintf(err, errlen, "%s: not a UEFI variables file: %s", path,
                 S_ISREG(st.st_mode) ? "larger than 8 MiB" : "not a regular file");
        return -EINVAL;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *b = malloc(n ? n : 1);
    int rc = b ? read_all(fd, b, n) : -ENOMEM;
    close(fd);
    if (rc) {
        free(b);
        return nvram_io_fail(err, errlen, path, "read", -rc);
    }
    char why[200];
    if (nvram_check(b, n, why, sizeof(why))) {
        free(b);
        snprintf(err, errlen, "%s: %s", path, why);
        return -EINVAL;
    }
    *buf = b;
    *len = n;
    return 0;
}

int nvram_file_check(const char *path, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    int rc = nvram_file_read(path, &buf, &len, err, errlen);
    if (!rc)
        free(buf);
    return rc;
}

static int fsync_parent(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

/* Writes buf to tmp (created new), fsynced; 0 or -errno. */
static int write_durably(const char *tmp, const uint8_t *buf, size_t len)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = fdio_write_all(fd, buf, len);
    if (!rc && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && !rc)
        rc = -errno;
    return rc;
}

int nvram_file_create(const char *template_path, const char *dest, char *err,
                      size_t errlen)
{
    uint8_t *buf;
    size_t len;
    int rc = nvram_file_read(template_path, &buf, &len, err, errlen);
    if (rc)
        return rc;
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", dest) >= (int)sizeof(tmp)) {
        free(buf);
        return nvram_io_fail(err, errlen, dest, "", ENAMETOOLONG);
    }
    unlink(tmp); /* a leftover of a crash before its rename */
    rc = write_durably(tmp, buf, len);
    free(buf);
    if (!rc && rename(tmp, dest) < 0)
        rc = -errno;
    if (rc) {
        unlink(tmp);
        return nvram_io_fail(err, errlen, dest, "write", -rc);
    }
    rc = fsync_parent(dest);
    return rc ? nvram_io_fail(err, errlen, dest, "fsync directory", -rc) : 0;
}
