/* isofile: the ISO 9660 signature check (see isofile.h). */
#include "isofile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first volume descriptor: sector 16 of 2048 bytes; its bytes 1-5. */
#define ISO_DESCRIPTOR_OFFSET (16 * 2048)

int isofile_check(const char *path, char *why, size_t len)
{
    char magic[6] = "";
    struct stat st;
    ssize_t got;
    int fd, r = 0;

    if (!path || !*path) {
        snprintf(why, len, "required: the path of the new Corral ISO");
        return -EINVAL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        r = -errno;
        snprintf(why, len, "%s", strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        r = -EISDIR;
        snprintf(why, len, "a directory: name the ISO file in it");
    } else {
        got = pread(fd, magic, 5, ISO_DESCRIPTOR_OFFSET + 1);
        if (got != 5 || memcmp(magic, "CD001", 5) != 0) {
            r = -EINVAL;
            snprintf(why, len, "not an ISO image (no ISO 9660 signature)");
        }
    }
    if (fd >= 0)
        close(fd);
    return r;
}
