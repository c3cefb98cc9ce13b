/* block_image: what every disk-like device does with its backing file -
 * open and lock it, learn its size, and move data between it and a list
 * of guest buffers.  Shared by virtio-blk and the AHCI disks and CD-ROMs
 * so the rules (locking, short transfers, EINTR) are in one place.
 *
 * The image is locked with flock, exclusive for writing and shared when
 * read-only, so two VMs cannot write one disk by mistake. */
#ifndef CORRAL_BLOCK_IMAGE_H
#define CORRAL_BLOCK_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/* The most buffers one transfer may have. */
#define BLOCK_IMAGE_MAX_IOV 256

/* Open path (O_RDONLY when readonly, else O_RDWR), lock it, and give its
 * size in bytes (a regular file or a block device).  Returns the fd, or
 * -errno: -EBUSY when another VM holds the lock, -EINVAL when it is
 * neither a file nor a block device. */
int block_image_open(const char *path, bool readonly, uint64_t *bytes);

/* The same for an image opened by someone else (corrald, for a jailed
 * VMM): locks fd and gives its size.  Returns fd, or -errno (fd is then
 * still the caller's). */
int block_image_adopt(int fd, bool readonly, uint64_t *bytes);

/* Transfer all of iov (n <= BLOCK_IMAGE_MAX_IOV entries) at offset,
 * retrying short transfers and EINTR.  Returns 0, -EIO when the file
 * ended early, or -errno. */
int block_image_transfer(int fd, const struct iovec *iov, int n,
                         uint64_t offset, bool is_write);

#endif
