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

int nvram_file_read(const char *path, uint8_t **buf, size_t *len, char *err,
                    size_t errlen)
{
    uint8_t *b;
    size_t n;
    int rc = fdio_read_file(path, NVRAM_MAX_SIZE, &b, &n);
    if (rc == -EINVAL || rc == -EFBIG) {
        snprintf(err, errlen, "%s: not a UEFI variables file: %s", path,
                 rc == -EFBIG ? "larger than 8 MiB" : "not a regular file");
        return -EINVAL;
    }
    if (rc)
        return nvram_io_fail(err, errlen, path, "", -rc);
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
