/* block_image: what every disk-like device does with its backing file -
 * open and lock it, learn its size, and move data between it and a list
 * of guest buffers.  Shared by virtio-blk and the AHCI disks and CD-ROMs
 * so the rules (locking, short transfers, EINTR) are in one place.
 *
 * The image is locked with flock, exclusive for writing and shared when
 * read-only, so two VMs cannot write one disk by mistake.
 *
 * Disks bypass the host's page cache (O_DIRECT, block_image_use_direct):
 * the guest has its own cache, and copying every request into the host's
 * cost 60-75% of the host time per request.  Where the file system
 * refuses O_DIRECT (tmpfs) the image stays buffered.  O_DIRECT wants the
 * buffers, the offset and the length aligned to the device's logical block;
 * block_image_transfer takes a request the kernel refuses as unaligned
 * (EINVAL) through an aligned bounce buffer, and should even that be
 * refused, turns O_DIRECT off for good and goes buffered.  Flushes are
 * fdatasync either way: O_DIRECT skips the page cache, not the disk's
 * own write cache. */
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

/* Unlock and close.  Unlocking first matters: an io_uring that registered
 * the fd keeps the file open a while after the ring is gone, and with it
 * the lock, so the image could not be opened again at once. */
void block_image_close(int fd);

/* Make fd bypass the page cache (O_DIRECT), when its file system allows.
 * Returns whether it does. */
bool block_image_use_direct(int fd);
/* Whether fd is O_DIRECT now (for the log: a refused first I/O may have
 * turned it off since). */
bool block_image_is_direct(int fd);
/* How the image is cached, for vmm.log: "O_DIRECT", "buffered (cache =
 * writeback)" when the definition asked for the page cache, else
 * "buffered (no O_DIRECT here)". */
const char *block_image_cache_mode(int fd, bool writeback);

/* The alignment a bounced transfer uses: a page, which satisfies every
 * logical block size up to 4 KiB. */
#define BLOCK_IMAGE_BOUNCE_ALIGN 4096u
/* Bytes moved per bounce (the buffer lives only during the transfer). */
#define BLOCK_IMAGE_BOUNCE_BYTES (256u * 1024)

/* Transfer all of iov (n <= BLOCK_IMAGE_MAX_IOV entries) at offset,
 * retrying short transfers and EINTR, through a bounce buffer when O_DIRECT
 * refuses the buffers' alignment (see above).  Returns 0, -EIO when the file
 * ended early, or -errno. */
int block_image_transfer(int fd, const struct iovec *iov, int n,
                         uint64_t offset, bool is_write);

/* Transfers that went through the bounce buffer, in this process, so far
 * (every disk together: a statistic, to see whether guests' buffers are
 * aligned). */
uint64_t block_image_bounced_count(void);

#endif
