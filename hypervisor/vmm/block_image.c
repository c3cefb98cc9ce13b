/* block_image: backing files of disks and CD-ROMs (see block_image.h). */
#include "block_image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtq.h"

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

void block_image_close(int fd)
{
    if (fd < 0)
        return;
    flock(fd, LOCK_UN);
    close(fd);
}

bool block_image_use_direct(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_DIRECT) == 0;
}

bool block_image_is_direct(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && (flags & O_DIRECT);
}

const char *block_image_cache_mode(int fd, bool writeback)
{
    if (block_image_is_direct(fd))
        return "O_DIRECT";
    return writeback ? "buffered (cache = writeback)" : "buffered (no O_DIRECT here)";
}

/* preadv/pwritev until all of iov moved. */
static int block_image_transfer_plain(int fd, const struct iovec *src, int n,
                                      uint64_t offset, bool is_write)
{
    struct iovec iov[BLOCK_IMAGE_MAX_IOV];
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

static size_t block_image_iov_bytes(const struct iovec *iov, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += iov[i].iov_len;
    return total;
}

static uint64_t block_image_bounced; /* atomic: disks have their own threads */

uint64_t block_image_bounced_count(void)
{
    return __atomic_load_n(&block_image_bounced, __ATOMIC_RELAXED);
}

/* The same transfer through one page-aligned buffer, a piece at a time:
 * the offset and the length stay the caller's (whole sectors), only the
 * guest's buffers are replaced. */
static int block_image_transfer_bounced(int fd, const struct iovec *iov, int n,
                                        uint64_t offset, bool is_write)
{
    size_t total = block_image_iov_bytes(iov, n);
    uint8_t *buf = aligned_alloc(BLOCK_IMAGE_BOUNCE_ALIGN, BLOCK_IMAGE_BOUNCE_BYTES);
    if (!buf)
        return -ENOMEM;
    __atomic_fetch_add(&block_image_bounced, 1, __ATOMIC_RELAXED);
    int rc = 0;
    for (size_t done = 0; done < total && rc == 0;) {
        size_t chunk = total - done;
        if (chunk > BLOCK_IMAGE_BOUNCE_BYTES)
            chunk = BLOCK_IMAGE_BOUNCE_BYTES;
        struct iovec one = { buf, chunk };
        if (is_write)
            virtq_iov_read(iov, (unsigned)n, done, buf, chunk);
        rc = block_image_transfer_plain(fd, &one, 1, offset + done, is_write);
        if (rc == 0 && !is_write)
            virtq_iov_write(iov, (unsigned)n, done, buf, chunk);
        done += chunk;
    }
    free(buf);
    return rc;
}

/* O_DIRECT refused even an aligned buffer (a file system that takes the
 * flag but not the I/O, or a device with a larger block): buffered from
 * now on, for every request of this image. */
static void block_image_go_buffered(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_DIRECT) == 0)
        fprintf(stderr, "corral-vmm: disk fd %d: O_DIRECT I/O refused (EINVAL); "
                        "buffered from now on\n", fd);
}

int block_image_transfer(int fd, const struct iovec *iov, int n,
                         uint64_t offset, bool is_write)
{
    if (n < 0 || n > BLOCK_IMAGE_MAX_IOV)
        return -EINVAL;
    int rc = block_image_transfer_plain(fd, iov, n, offset, is_write);
    /* The kernel checks O_DIRECT's alignment before moving anything, so
     * trying again moves each byte once. */
    if (rc != -EINVAL || !block_image_is_direct(fd))
        return rc;
    rc = block_image_transfer_bounced(fd, iov, n, offset, is_write);
    if (rc != -EINVAL)
        return rc;
    block_image_go_buffered(fd);
    return block_image_transfer_plain(fd, iov, n, offset, is_write);
}
