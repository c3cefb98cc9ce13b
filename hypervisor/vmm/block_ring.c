/* block_ring: disk requests in flight through io_uring (see block_ring.h). */
#include "block_ring.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* The image is the ring's registered file 0. */
#define BLOCK_RING_FILE 0

/* What the ring may ever do once enabled (block_ring.h, Security). */
static int block_ring_restrict(struct io_uring *ring)
{
    struct io_uring_restriction res[5];
    memset(res, 0, sizeof(res));
    res[0].opcode = IORING_RESTRICTION_SQE_OP;
    res[0].sqe_op = IORING_OP_READV;
    res[1].opcode = IORING_RESTRICTION_SQE_OP;
    res[1].sqe_op = IORING_OP_WRITEV;
    res[2].opcode = IORING_RESTRICTION_SQE_OP;
    res[2].sqe_op = IORING_OP_FSYNC;
    res[3].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
    res[3].sqe_flags = IOSQE_FIXED_FILE | IOSQE_IO_DRAIN;
    res[4].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
    res[4].sqe_flags = IOSQE_FIXED_FILE;
    return io_uring_register_restrictions(ring, res, 5);
}

int block_ring_init(struct block_ring *r, int image_fd, unsigned depth)
{
    memset(r, 0, sizeof(*r));
    r->event_fd = -1;
    if (depth == 0 || depth > BLOCK_RING_MAX_DEPTH)
        return -EINVAL;
    int rc = io_uring_queue_init(depth, &r->ring, IORING_SETUP_R_DISABLED);
    if (rc < 0)
        return rc;
    r->depth = depth;
    r->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->event_fd < 0)
        rc = -errno;
    if (rc == 0)
        rc = io_uring_register_files(&r->ring, &image_fd, 1);
    if (rc == 0)
        rc = io_uring_register_eventfd(&r->ring, r->event_fd);
    if (rc == 0)
        rc = block_ring_restrict(&r->ring);
    if (rc == 0)
        rc = io_uring_enable_rings(&r->ring);
    if (rc < 0)
        block_ring_destroy(r);
    return rc < 0 ? rc : 0;
}

void block_ring_destroy(struct block_ring *r)
{
    if (r->depth)
        io_uring_queue_exit(&r->ring);
    if (r->event_fd >= 0)
        close(r->event_fd);
    r->depth = 0;
    r->event_fd = -1;
}

unsigned block_ring_room(const struct block_ring *r)
{
    return r->in_flight < r->depth ? r->depth - r->in_flight : 0;
}

bool block_ring_has_room(const struct block_ring *r)
{
    return block_ring_room(r) > 0;
}

static struct io_uring_sqe *block_ring_sqe(struct block_ring *r, void *tag)
{
    if (!block_ring_has_room(r))
        return NULL;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    if (!sqe)
        return NULL;
    io_uring_sqe_set_data(sqe, tag);
    r->in_flight++;
    r->queued++;
    return sqe;
}

int block_ring_queue_rw(struct block_ring *r, const struct iovec *iov, unsigned n,
                        uint64_t offset, bool is_write, void *tag)
{
    struct io_uring_sqe *sqe = block_ring_sqe(r, tag);
    if (!sqe)
        return -EBUSY;
    if (is_write)
        io_uring_prep_writev(sqe, BLOCK_RING_FILE, iov, n, offset);
    else
        io_uring_prep_readv(sqe, BLOCK_RING_FILE, iov, n, offset);
    sqe->flags |= IOSQE_FIXED_FILE;
    return 0;
}

int block_ring_queue_flush(struct block_ring *r, void *tag)
{
    struct io_uring_sqe *sqe = block_ring_sqe(r, tag);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_fsync(sqe, BLOCK_RING_FILE, IORING_FSYNC_DATASYNC);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_DRAIN;
    return 0;
}

int block_ring_submit(struct block_ring *r)
{
    while (r->queued > 0) {
        int rc = io_uring_submit(&r->ring);
        if (rc == -EINTR)
            continue;
        if (rc < 0)
            return rc; /* still queued: the next submit tries again */
        r->enters++;
        r->queued -= (unsigned)rc < r->queued ? (unsigned)rc : r->queued;
        if (rc == 0)
            break;
    }
    return 0;
}

unsigned block_ring_reap(struct block_ring *r, struct block_ring_done *out,
                         unsigned max, bool wait)
{
    uint64_t count;
    if (read(r->event_fd, &count, sizeof(count)) < 0) {
        /* EAGAIN: nothing signalled yet; the CQ is looked at anyway */
    }
    struct io_uring_cqe *cqe;
    if (wait && r->in_flight > 0) {
        block_ring_submit(r);
        while (io_uring_wait_cqe(&r->ring, &cqe) == -EINTR) {
        }
    }
    unsigned n = 0;
    while (n < max && io_uring_peek_cqe(&r->ring, &cqe) == 0) {
        out[n].tag = io_uring_cqe_get_data(cqe);
        out[n].res = cqe->res;
        n++;
        io_uring_cqe_seen(&r->ring, cqe);
        r->in_flight--;
    }
    return n;
}
