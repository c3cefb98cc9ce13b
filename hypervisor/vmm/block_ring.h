/* block_ring: a disk image's requests in flight together, through io_uring
 * (liburing).  A device submits reads, writes and flushes tagged with its
 * own request pointer, submits the batch with one system call, and later,
 * when the ring's eventfd (on the disk's I/O thread) fires, reaps what
 * completed, in any order.
 *
 * Security: io_uring's operations do not pass through seccomp, so the ring
 * is locked down before first use: created disabled, the image registered
 * as its only file, then IORING_REGISTER_RESTRICTIONS allows exactly
 * READV, WRITEV and FSYNC, each on a registered file only (IOSQE_FIXED_FILE
 * required; IO_DRAIN the only other flag), and no later registration.  A
 * compromised VMM can do through the ring only what it could already do with
 * preadv/pwritev/fdatasync on its disk.
 *
 * Where io_uring_setup fails (ENOSYS: a kernel without io_uring; EPERM:
 * forbidden by a sysctl or a container's filter), block_ring_init fails
 * and the device serves its requests synchronously instead.
 *
 * Flushes are submitted with IOSQE_IO_DRAIN: the fdatasync starts only
 * after every request submitted before it completed, so a flush covers
 * every write the guest saw complete before it (and more).
 *
 * Not thread-safe: the device's lock serialises submit and reap. */
#ifndef CORRAL_BLOCK_RING_H
#define CORRAL_BLOCK_RING_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/* The deepest a ring goes (the virtio queue size, AHCI's 32 tags fit). */
#define BLOCK_RING_MAX_DEPTH 256

struct block_ring {
    struct io_uring ring;
    int event_fd; /* readable when completions wait */
    unsigned depth;
    unsigned in_flight; /* submitted or queued, not yet reaped */
    unsigned queued;    /* prepared, not yet submitted */
    uint64_t enters;    /* io_uring_enter calls that submitted (a count
                         * for the disk's statistics: requests per call) */
};

/* One completion: the tag given at submission, and the result (bytes
 * moved, 0 for a flush, or -errno). */
struct block_ring_done {
    void *tag;
    int32_t res;
};

/* A ring of depth entries (<= BLOCK_RING_MAX_DEPTH) for image_fd, locked
 * down as above.  Returns 0, or -errno (ENOSYS/EPERM: no io_uring here). */
int block_ring_init(struct block_ring *r, int image_fd, unsigned depth);
/* Releases the ring.  The device first reaps (waiting) until nothing is
 * in flight: guest memory and its tags must outlive every request. */
void block_ring_destroy(struct block_ring *r);

/* What serves a disk's requests, for the control socket's "disk N": its
 * ring (active: block_ring_init succeeded), or the device's thread one at
 * a time. */
static inline const char *block_ring_engine(bool active)
{
    return active ? "io_uring" : "synchronous";
}

/* Room for one more request?  For how many? */
bool block_ring_has_room(const struct block_ring *r);
unsigned block_ring_room(const struct block_ring *r);
/* Queue a read or write of iov (n entries; they must stay valid until the
 * request completes) at offset, or a flush (fdatasync after everything
 * queued before).  -EBUSY when full.  Nothing reaches the kernel before
 * block_ring_submit(). */
int block_ring_queue_rw(struct block_ring *r, const struct iovec *iov, unsigned n,
                        uint64_t offset, bool is_write, void *tag);
int block_ring_queue_flush(struct block_ring *r, void *tag);
/* Hand everything queued to the kernel.  Returns 0 or -errno. */
int block_ring_submit(struct block_ring *r);

/* Up to max completions that arrived; clears the eventfd.  With wait, and
 * something in flight, waits for at least one (a device's teardown). */
unsigned block_ring_reap(struct block_ring *r, struct block_ring_done *out,
                         unsigned max, bool wait);

#endif
