/* block_image: backing files of disks and CD-ROMs (see block_image.h). */
#include "block_image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Size in bytes of a regular file or a block device. */
static int block_image_bytes(int fd, uint64_t *bytes)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISBLK(st.st_mode))
        return ioctl(fd, BLKGETSIZE64, bytes) < 0 ? -errno : 0;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    *bytes = (uint64_t)st.st_size;
    return 0;
}

int block_image_adopt(int fd, bool readonly, uint64_t *bytes)
{
    if (flock(fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0)
        return errno == EWOULDBLOCK ? -EBUSY : -errno;
    int rc = block_image_bytes(fd, bytes);
    return rc < 0 ? rc : fd;
}

int block_image_open(const char *path, bool readonly, uint64_t *bytes)
{
    int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = block_image_adopt(fd, readonly, bytes);
    if (rc < 0)
        close(fd);
    return rc;
}

int block_image_transfer(int fd, const struct iovec *src, int n,
                         uint64_t offset, bool is_write)
{
    struct iovec iov[BLOCK_IMAGE_MAX_IOV];
    if (n < 0 || n > BLOCK_IMAGE_MAX_IOV)
        return -EINVAL;
    memcpy(iov, src, sizeof(iov[0]) * (size_t)n);
    struct iovec *cur = iov;
    while (n > 0) {
        ssize_t done = is_write ? pwritev(fd, cur, n, (off_t)offset)
                                : preadv(fd, cur, n, (off_t)offset);
        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0)
            return -errno;
        if (done == 0)
            return -EIO;
        offset += (uint64_t)done;
        while (n > 0 && (size_t)done >= cur->iov_len) {
            done -= (ssize_t)cur->iov_len;
            cur++;
            n--;
        }
        if (n > 0) {
            cur->iov_base = (uint8_t *)cur->iov_base + done;
            cur->iov_len -= (size_t)done;
        }
    }
    return 0;
}
