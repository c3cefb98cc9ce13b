/* virtio_blk: virtio block device on a raw image (see virtio_blk.h). */
#include "virtio_blk.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "block_image.h"
#include "devices.h"
#include "lazy_pages.h"

#define VIRTIO_BLK_HEADER_BYTES 16
#define VIRTIO_BLK_RANGE_BYTES 16
#define VIRTIO_BLK_CONFIG_BYTES 0x3C

/* The request header the driver puts first (5.2.6). */
struct virtio_blk_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

/* Device configuration up to the fields we offer (5.2.4). */
struct virtio_blk_config_regs {
    uint64_t capacity;
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t cylinders;
    uint8_t heads, sectors;
    uint32_t blk_size;
    uint8_t physical_block_exp, alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint8_t writeback, unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap, unused1[3];
};
/* The struct may have tail padding; the guest sees only the fields. */
_Static_assert(offsetof(struct virtio_blk_config_regs, unused1) + 3 ==
                   VIRTIO_BLK_CONFIG_BYTES,
               "virtio-blk configuration layout");

_Static_assert(VIRTQ_MAX_SIZE <= BLOCK_IMAGE_MAX_IOV,
               "a chain's data fits one block_image_transfer");

/* One range of a discard or write-zeroes request (5.2.6). */
struct virtio_blk_range {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};

static struct virtio_blk *virtio_blk_of(struct virtio_pci_dev *vdev)
{
    return vdev->cfg.opaque;
}

/* --- requests ---------------------------------------------------------- */

/* sectors starting at sector, all inside the disk (no overflow). */
static bool virtio_blk_range_ok(const struct virtio_blk *blk, uint64_t sector,
                                uint64_t sectors)
{
    return sector <= blk->capacity && sectors <= blk->capacity - sector;
}

/* Data of len bytes at sector: whole sectors, bounded, inside the disk. */
static bool virtio_blk_data_ok(const struct virtio_blk *blk, uint64_t sector,
                               uint64_t len)
{
    return len % VIRTIO_BLK_SECTOR_SIZE == 0 &&
           len <= (uint64_t)VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX &&
           virtio_blk_range_ok(blk, sector, len / VIRTIO_BLK_SECTOR_SIZE);
}

/* An IN or OUT request's data, checked: the writable bytes before the
 * status byte, or the readable bytes after the header. */
struct virtio_blk_rw {
    bool is_write;
    uint64_t offset;
    size_t len;
    int n;
    struct iovec *iov;
};

/* Check an IN or OUT request and describe its data in rw->iov (room for
 * VIRTQ_MAX_SIZE entries).  Returns VIRTIO_BLK_S_OK or the status it
 * fails with. */
static uint8_t virtio_blk_rw_prepare(const struct virtio_blk *blk,
                                     const struct virtq_chain *c,
                                     const struct virtio_blk_header *h,
                                     struct virtio_blk_rw *rw)
{
    bool is_write = h->type == VIRTIO_BLK_T_OUT;
    const struct iovec *segs = is_write ? c->seg : c->seg + c->n_readable;
    unsigned nsegs = is_write ? c->n_readable : c->n_writable;
    size_t skip = is_write ? VIRTIO_BLK_HEADER_BYTES : 0;
    rw->is_write = is_write;
    rw->len = is_write ? c->readable_len - VIRTIO_BLK_HEADER_BYTES
                       : c->writable_len - 1u;
    rw->offset = h->sector * VIRTIO_BLK_SECTOR_SIZE;
    if (is_write && blk->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (!virtio_blk_data_ok(blk, h->sector, rw->len))
        return VIRTIO_BLK_S_IOERR;
    rw->n = virtq_iov_slice(segs, nsegs, skip, rw->len, rw->iov, VIRTQ_MAX_SIZE);
    return rw->n < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* IN or OUT, synchronously. */
static uint8_t virtio_blk_read_write(struct virtio_blk *blk,
                                     const struct virtq_chain *c,
                                     const struct virtio_blk_header *h,
                                     uint32_t *written)
{
    struct virtio_blk_rw rw = { .iov = blk->data };
    uint8_t status = virtio_blk_rw_prepare(blk, c, h, &rw);
    if (status != VIRTIO_BLK_S_OK)
        return status;
    if (block_image_transfer(blk->fd, rw.iov, rw.n, rw.offset, rw.is_write) < 0)
        return VIRTIO_BLK_S_IOERR;
    if (!rw.is_write)
        *written += (uint32_t)rw.len;
    return VIRTIO_BLK_S_OK;
}

/* Zeros written the slow way, for files whose file system cannot
 * allocate zeroed ranges. */
static int virtio_blk_write_zeros(int fd, uint64_t offset, uint64_t len)
{
    /* Not const: a const array of zeros goes into .rodata and adds 64 KiB
     * to the binary; in .bss it costs nothing until used.  Never written. */
    static uint8_t zeros[64 * 1024] __attribute__((aligned(BLOCK_IMAGE_BOUNCE_ALIGN)));
    while (len > 0) {
        size_t chunk = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        struct iovec iov = { zeros, chunk };
        int rc = block_image_transfer(fd, &iov, 1, offset, true);
        if (rc < 0)
            return rc;
        offset += chunk;
        len -= chunk;
    }
    return 0;
}

/* Discard punches a hole (a hint: failure loses nothing); write-zeroes
 * must leave zeros, by a hole when the driver allows unmapping. */
static uint8_t virtio_blk_apply_range(struct virtio_blk *blk,
                                      const struct virtio_blk_range *r,
                                      uint32_t type)
{
    bool unmap = r->flags & VIRTIO_BLK_RANGE_F_UNMAP;
    if ((r->flags & ~VIRTIO_BLK_RANGE_F_UNMAP) ||
        (type == VIRTIO_BLK_T_DISCARD && unmap))
        return VIRTIO_BLK_S_UNSUPP;
    if (r->num_sectors > VIRTIO_BLK_RANGE_SECTORS_MAX ||
        !virtio_blk_range_ok(blk, r->sector, r->num_sectors))
        return VIRTIO_BLK_S_IOERR;
    off_t offset = (off_t)(r->sector * VIRTIO_BLK_SECTOR_SIZE);
    off_t len = (off_t)r->num_sectors * VIRTIO_BLK_SECTOR_SIZE;
    if (len == 0)
        return VIRTIO_BLK_S_OK;
    int punch = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    if (type == VIRTIO_BLK_T_DISCARD) {
        fallocate(blk->fd, punch, offset, len);
        return VIRTIO_BLK_S_OK;
    }
    int mode = unmap ? punch : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
    if (fallocate(blk->fd, mode, offset, len) == 0 ||
        virtio_blk_write_zeros(blk->fd, (uint64_t)offset, (uint64_t)len) == 0)
        return VIRTIO_BLK_S_OK;
    return VIRTIO_BLK_S_IOERR;
}

/* The ranges are the readable bytes after the header. */
static uint8_t virtio_blk_discard_write_zeroes(struct virtio_blk *blk,
                                               const struct virtq_chain *c,
                                               uint32_t type)
{
    uint32_t bytes = c->readable_len - VIRTIO_BLK_HEADER_BYTES;
    uint32_t max = type == VIRTIO_BLK_T_DISCARD ? VIRTIO_BLK_DISCARD_SEG_MAX : 1;
    if (blk->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (bytes == 0 || bytes % VIRTIO_BLK_RANGE_BYTES ||
        bytes / VIRTIO_BLK_RANGE_BYTES > max)
        return VIRTIO_BLK_S_IOERR;
    for (uint32_t i = 0; i < bytes / VIRTIO_BLK_RANGE_BYTES; i++) {
        struct virtio_blk_range r;
        virtq_iov_read(c->seg, c->n_readable,
                       VIRTIO_BLK_HEADER_BYTES + (size_t)i * VIRTIO_BLK_RANGE_BYTES,
                       &r, sizeof(r));
        uint8_t status = virtio_blk_apply_range(blk, &r, type);
        if (status != VIRTIO_BLK_S_OK)
            return status;
    }
    return VIRTIO_BLK_S_OK;
}

/* The serial, zero-padded, as much as fits before the status byte. */
static uint8_t virtio_blk_get_id(struct virtio_blk *blk,
                                 const struct virtq_chain *c, uint32_t *written)
{
    size_t room = c->writable_len - 1u;
    size_t n = room < VIRTIO_BLK_ID_BYTES ? room : VIRTIO_BLK_ID_BYTES;
    *written += (uint32_t)virtq_iov_write(c->seg + c->n_readable, c->n_writable,
                                          0, blk->serial, n);
    return VIRTIO_BLK_S_OK;
}

static uint8_t virtio_blk_flush(struct virtio_blk *blk)
{
    if (blk->readonly)
        return VIRTIO_BLK_S_OK; /* nothing of ours to make durable */
    return fdatasync(blk->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

static uint8_t virtio_blk_dispatch(struct virtio_blk *blk,
                                   const struct virtq_chain *c,
                                   const struct virtio_blk_header *h,
                                   uint32_t *written)
{
    switch (h->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        return virtio_blk_read_write(blk, c, h, written);
    case VIRTIO_BLK_T_FLUSH:
        return virtio_blk_flush(blk);
    case VIRTIO_BLK_T_GET_ID:
        return virtio_blk_get_id(blk, c, written);
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        return virtio_blk_discard_write_zeroes(blk, c, h->type);
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

/* Where the status byte goes: the chain's last writable byte. */
static void virtio_blk_put_status(const struct virtq_chain *c, uint8_t status)
{
    virtq_iov_write(c->seg + c->n_readable, c->n_writable, c->writable_len - 1u,
                    &status, 1);
}

/* The header, or false when the chain has no room for it or for a status
 * byte (a protocol error). */
static bool virtio_blk_header_of(const struct virtq_chain *c,
                                 struct virtio_blk_header *h)
{
    if (c->readable_len < VIRTIO_BLK_HEADER_BYTES || c->writable_len < 1)
        return false;
    virtq_iov_read(c->seg, c->n_readable, 0, h, sizeof(*h));
    return true;
}

int virtio_blk_handle_request(struct virtio_blk *blk,
                              const struct virtq_chain *chain,
                              uint32_t *written)
{
    struct virtio_blk_header h;
    if (!virtio_blk_header_of(chain, &h))
        return -EPROTO;
    *written = 0;
    uint8_t status = virtio_blk_dispatch(blk, chain, &h, written);
    virtio_blk_put_status(chain, status);
    *written += 1;
    return 0;
}

/* --- requests in flight (io_uring) ------------------------------------------- */

/* Requests of up to this many segments come from the small cache (a 4 KiB
 * request has one), the rest from the full one (VIRTQ_MAX_SIZE); each
 * keeps what a guest at iodepth 32 on two queues has in flight. */
#define VIRTIO_BLK_REQ_SMALL_IOV 4u
#define VIRTIO_BLK_REQS_KEPT 64u

/* A read, write or flush handed to the ring; back to the device's cache
 * when it completes.
 * Reads (or writes) of adjacent ranges go as one submission, the first's
 * (block_merge.h); the ring's tag is m. */
struct virtio_blk_req {
    uint16_t queue, head;
    uint32_t generation; /* the device's at submission (a reset drops it) */
    uint64_t taken_ns;   /* when it was taken off the queue */
    bool is_flush;
    struct virtio_blk_rw rw;
    uint8_t *status; /* the status byte, in guest RAM */
    struct block_merge_req m;
    struct iovec iov[];
};

static struct virtio_blk_req *virtio_blk_req_of(struct block_merge_req *m)
{
    return (struct virtio_blk_req *)((char *)m - offsetof(struct virtio_blk_req, m));
}

/* The status byte's address: the chain's segments are guest RAM the
 * queue checked, which outlives every request. */
static uint8_t *virtio_blk_status_byte(const struct virtq_chain *c)
{
    size_t at = c->writable_len - 1u;
    for (unsigned i = c->n_readable; i < c->n_readable + c->n_writable; i++) {
        if (at < c->seg[i].iov_len)
            return (uint8_t *)c->seg[i].iov_base + at;
        at -= c->seg[i].iov_len;
    }
    return NULL; /* not reached: writable_len is the segments' sum */
}

static struct virtio_blk_req *virtio_blk_req_new(struct virtio_blk *blk, uint16_t q,
                                                 const struct virtq_chain *c,
                                                 const struct virtio_blk_rw *rw)
{
    unsigned n = rw ? (unsigned)rw->n : 0;
    struct virtio_blk_req *r = obj_caches_get(&blk->reqs, n);
    if (!r)
        return NULL;
    *r = (struct virtio_blk_req){ .queue = q, .head = c->head,
                                  .generation = blk->generation,
                                  .taken_ns = blk->limit.now_ns(),
                                  .is_flush = !rw, .status = virtio_blk_status_byte(c) };
    if (rw) {
        r->rw = *rw;
        r->rw.iov = r->iov;
        memcpy(r->iov, rw->iov, n * sizeof(struct iovec));
        r->m = (struct block_merge_req){ .is_write = rw->is_write, .offset = rw->offset,
                                         .len = rw->len, .iov = r->iov, .n_iov = n };
    }
    return r;
}

static void virtio_blk_req_free(struct virtio_blk *blk, struct virtio_blk_req *r)
{
    obj_caches_put(&blk->reqs, r, r->is_flush ? 0 : (unsigned)r->rw.n);
}

static uint32_t virtio_blk_submission_done(struct virtio_blk *blk,
                                           struct block_merge_req *first, int32_t res);

/* Add the time queue q's unsignalled completions have waited up to now to
 * held_ns; n more join them (0: just the tally). */
static void virtio_blk_unsignalled(struct virtio_blk *blk, uint16_t q, uint64_t now,
                                   unsigned n)
{
    struct virtio_blk_queue *qs = &blk->queues[q];
    if (qs->unsignalled && now > qs->unsignalled_since)
        blk->stats.held_ns += (uint64_t)qs->unsignalled * (now - qs->unsignalled_since);
    qs->unsignalled_since = now;
    qs->unsignalled += n;
}

/* The run taken so far goes on the ring as one request.  Where the ring
 * refuses it (no room, no memory for the joined segments), its requests
 * are done synchronously now; the pass that took them sends their
 * interrupt. */
static void virtio_blk_run_queue(struct virtio_blk *blk)
{
    int rc;
    struct block_merge_req *first = block_merge_queue(&blk->run, &blk->ring, &rc,
                                                      &blk->stats.joined);
    if (first && rc < 0)
        virtio_blk_submission_done(blk, first, rc);
}

/* Put an IN, OUT or FLUSH request in flight: a read or write joins the
 * run being taken when it continues it, else the run goes on the ring
 * and it starts the next; a flush goes after the run.  Returns true when
 * it is in flight (or will be at the end of the pass); false when it must
 * be served synchronously (any other type, a request that fails its
 * checks, no memory). */
static bool virtio_blk_submit(struct virtio_blk *blk, uint16_t q,
                              const struct virtq_chain *c,
                              const struct virtio_blk_header *h)
{
    struct virtio_blk_rw rw = { .iov = blk->data };
    struct virtio_blk_req *r = NULL;
    if (h->type == VIRTIO_BLK_T_FLUSH && !blk->readonly)
        r = virtio_blk_req_new(blk, q, c, NULL);
    else if ((h->type == VIRTIO_BLK_T_IN || h->type == VIRTIO_BLK_T_OUT) &&
             virtio_blk_rw_prepare(blk, c, h, &rw) == VIRTIO_BLK_S_OK)
        r = virtio_blk_req_new(blk, q, c, &rw);
    if (!r)
        return false;
    if (r->is_flush || !block_merge_joins(&blk->run, &r->m))
        virtio_blk_run_queue(blk);
    if (r->is_flush && block_ring_queue_flush(&blk->ring, &r->m) < 0) {
        virtio_blk_req_free(blk, r);
        return false;
    }
    if (!r->is_flush)
        block_merge_add(&blk->run, &r->m);
    blk->queues[q].in_flight++;
    blk->stats.flushes += r->is_flush;
    return true;
}

/* A request came back from the ring with res.  A read or write the ring
 * did not finish whole (O_DIRECT refusing the guest's buffers, a short
 * transfer) is done again synchronously, which handles those cases. */
static uint8_t virtio_blk_req_status(struct virtio_blk *blk,
                                     const struct virtio_blk_req *r, int32_t res)
{
    if (r->is_flush)
        return res == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
    if (res >= 0 && (size_t)res == r->rw.len)
        return VIRTIO_BLK_S_OK;
    blk->stats.redone++;
    return block_image_transfer(blk->fd, r->rw.iov, r->rw.n, r->rw.offset,
                                r->rw.is_write) == 0 ? VIRTIO_BLK_S_OK
                                                      : VIRTIO_BLK_S_IOERR;
}

/* Complete one request; returns the queue to interrupt, or -1 when a reset
 * came in between and the request is no longer the driver's (then it is
 * not re-run either: its buffers may already serve something else). */
static int virtio_blk_req_done(struct virtio_blk *blk, struct virtio_blk_req *r,
                               int32_t res, uint64_t now)
{
    int q = -1;
    if (r->generation == blk->generation) {
        blk->queues[r->queue].in_flight--;
        blk->stats.in_flight_ns += now > r->taken_ns ? now - r->taken_ns : 0;
        virtio_blk_unsignalled(blk, r->queue, now, 1);
        uint8_t status = virtio_blk_req_status(blk, r, res);
        *r->status = status;
        uint32_t written = 1;
        if (!r->is_flush && !r->rw.is_write && status == VIRTIO_BLK_S_OK)
            written += (uint32_t)r->rw.len;
        virtq_push(virtio_pci_queue_ring(&blk->vdev, r->queue), r->head, written);
        q = r->queue;
    }
    virtio_blk_req_free(blk, r);
    return q;
}

/* A submission came back with res: complete its requests, each with its
 * own result (block_merge.h).  Returns the queues to interrupt, as a bit
 * mask. */
static uint32_t virtio_blk_submission_done(struct virtio_blk *blk,
                                           struct block_merge_req *first, int32_t res)
{
    struct block_merge_outcome o = block_merge_came_back(first, res);
    uint32_t queues = 0;
    uint64_t now = blk->limit.now_ns();
    for (struct block_merge_req *m = first, *next; m; m = next) {
        next = m->next;
        int q = virtio_blk_req_done(blk, virtio_blk_req_of(m), block_merge_result(&o, m), now);
        if (q >= 0)
            queues |= 1u << q;
    }
    return queues;
}

/* Reap what completed (waiting for one when wait), under the device lock.
 * Returns the queues to interrupt, as a bit mask. */
static uint32_t virtio_blk_reap(struct virtio_blk *blk, bool wait)
{
    struct block_ring_done done[32];
    uint32_t queues = 0;
    unsigned n;
    do {
        n = block_ring_reap(&blk->ring, done, 32, wait);
        for (unsigned i = 0; i < n; i++)
            queues |= virtio_blk_submission_done(blk, done[i].tag, done[i].res);
        wait = false;
    } while (n == 32);
    return queues;
}

/* Interrupt the driver for queue q if it asked to be (used_event); not
 * while a hold runs: its end sends. */
static void virtio_blk_interrupt(struct virtio_blk *blk, uint16_t q)
{
    if (irq_hold_running(&blk->hold))
        return;
    if (blk->queues[q].unsignalled) {
        virtio_blk_unsignalled(blk, q, blk->limit.now_ns(), 0);
        blk->queues[q].unsignalled = 0;
    }
    if (virtio_pci_queue_interrupt(&blk->vdev, q))
        blk->stats.interrupts++;
}

/* The hold's next tick, one timer period from now. */
static bool virtio_blk_hold_arm(struct virtio_blk *blk)
{
    uint64_t ns = irq_hold_tick_ns(&blk->hold);
    struct itimerspec t = { .it_value = { .tv_sec = (time_t)(ns / 1000000000u),
                                          .tv_nsec = (long)(ns % 1000000000u) } };
    return timerfd_settime(blk->hold_timer_fd, 0, &t, NULL) == 0;
}

/* No hold: its timer disarmed, so that it does not fire for nothing. */
static void virtio_blk_hold_disarm(struct virtio_blk *blk)
{
    const struct itimerspec off = { 0 };
    timerfd_settime(blk->hold_timer_fd, 0, &off, NULL);
}

/* Did the guest make requests since the running hold started: taken
 * meanwhile (a completion looks at its queue), or waiting on a ring? */
static bool virtio_blk_guest_made_requests(struct virtio_blk *blk)
{
    if (blk->stats.requests != blk->hold_requests)
        return true;
    for (uint16_t q = 0; q < blk->vdev.cfg.num_queues; q++)
        if (virtq_has_avail(virtio_pci_queue_ring(&blk->vdev, q)))
            return true;
    return false;
}

/* Should the completions just made wait for the end of a hold
 * (irq_hold.h)?  Never when every vCPU is halted: the guest waits for
 * them and has nothing else to do.  *ended: they ended the running hold,
 * whose completions go with them (every queue wants a look). */
static bool virtio_blk_hold_back(struct virtio_blk *blk, bool *ended)
{
    if (blk->hold_timer_fd < 0)
        return false;
    bool halted = blk->vcpus && guest_vcpus_all_halted(blk->vcpus);
    switch (irq_hold_completion(&blk->hold, blk->limit.now_ns(), halted)) {
    case IRQ_HOLD_JOIN:
        return true;
    case IRQ_HOLD_END:
        virtio_blk_hold_disarm(blk);
        irq_hold_ended(&blk->hold, virtio_blk_guest_made_requests(blk));
        *ended = true;
        return false;
    case IRQ_HOLD_SEND:
        blk->sent_to_halted += halted;
        return false;
    case IRQ_HOLD_START:
        break;
    }
    blk->hold_requests = blk->stats.requests;
    if (virtio_blk_hold_arm(blk))
        return true;
    irq_hold_ended(&blk->hold, false); /* no timer: send now */
    return false;
}

/* Completions on the queues in the mask want the driver interrupted: now,
 * or at the end of a hold.  Returns the queues to look at: the mask, or
 * every queue when they ended a hold. */
static uint32_t virtio_blk_completed(struct virtio_blk *blk, uint32_t queues)
{
    bool ended = false;
    if (queues == 0 || virtio_blk_hold_back(blk, &ended))
        return queues;
    if (ended)
        queues = (1u << blk->vdev.cfg.num_queues) - 1u;
    for (uint16_t q = 0; q < blk->vdev.cfg.num_queues; q++)
        if (queues & (1u << q))
            virtio_blk_interrupt(blk, q);
    return queues;
}

void virtio_blk_requests_done(struct virtio_blk *blk, bool wait)
{
    if (!blk->ring_active)
        return;
    pthread_mutex_lock(&blk->vdev.lock);
    uint32_t queues = virtio_blk_reap(blk, wait);
    blk->stats.reaps += queues != 0;
    /* Look at every queue that completed something (the driver does not
     * kick while it has requests in flight, "notifications while busy")
     * and at those that waited for room on the ring. */
    uint32_t recheck = virtio_blk_completed(blk, queues);
    for (uint16_t q = 0; q < blk->vdev.cfg.num_queues; q++) {
        if (blk->queues[q].stalled)
            recheck |= 1u << q;
        blk->queues[q].stalled = false;
        blk->stats.rechecks += (recheck >> q) & 1u;
    }
    pthread_mutex_unlock(&blk->vdev.lock);
    /* The transport checks the queue is still live. */
    for (uint16_t q = 0; q < blk->vdev.cfg.num_queues; q++)
        if (recheck & (1u << q))
            virtio_pci_notify_queue(&blk->vdev, q);
}

/* --- transport hooks ------------------------------------------------------ */

/* What a request costs against the rate limit: one operation, and the
 * bytes it moves for reads and writes (a chain too short for a header
 * costs no bytes; it fails anyway). */
static uint64_t virtio_blk_request_bytes(const struct virtq_chain *c)
{
    struct virtio_blk_header h = { .type = UINT32_MAX };
    if (c->readable_len >= VIRTIO_BLK_HEADER_BYTES)
        virtq_iov_read(c->seg, c->n_readable, 0, &h, sizeof(h));
    if (h.type == VIRTIO_BLK_T_OUT)
        return c->readable_len - VIRTIO_BLK_HEADER_BYTES;
    if (h.type == VIRTIO_BLK_T_IN && c->writable_len > 0)
        return c->writable_len - 1u;
    return 0;
}

/* The next request to serve on queue q: the one the rate limit held
 * back, else a new one.  Returns 1 when it may be served now (in
 * qs->chain), 0 when there is none or it must wait (held, the limit's
 * timer armed; or the ring is full, stalled until completions make room),
 * <0 broken. */
static int virtio_blk_next(struct virtio_blk *blk, struct virtq *vq,
                           struct virtio_blk_queue *qs)
{
    if (blk->ring_active && block_ring_room(&blk->ring) < block_merge_room_needed(&blk->run)) {
        qs->stalled = true;
        return 0;
    }
    if (!qs->held) {
        int rc = virtq_pop(vq, &qs->chain);
        if (rc <= 0)
            return rc;
        qs->held = true;
        blk->stats.requests++;
        if (blk->hold_timer_fd >= 0)
            irq_hold_request(&blk->hold, blk->limit.now_ns());
    }
    if (!rate_limit_admit(&blk->limit, 1, virtio_blk_request_bytes(&qs->chain)))
        return 0;
    qs->held = false;
    return 1;
}

/* Serve one request of queue q: in flight on the ring when it can be,
 * else now.  Returns 0, or -EPROTO (no header or status byte). */
static int virtio_blk_serve(struct virtio_blk *blk, uint16_t q, struct virtq *vq,
                            const struct virtq_chain *c)
{
    struct virtio_blk_header h;
    if (!virtio_blk_header_of(c, &h))
        return -EPROTO;
    if (blk->ring_active && virtio_blk_submit(blk, q, c, &h))
        return 0;
    if (blk->ring_active)
        virtio_blk_run_queue(blk); /* what came before it goes first */
    uint32_t written;
    virtio_blk_handle_request(blk, c, &written);
    virtq_push(vq, c->head, written);
    blk->stats.synchronous++;
    return 0;
}

/* Notifications while busy: the queue is drained; ask the driver to kick
 * for its next request, and say whether one came meanwhile.  Not while
 * requests of the queue are in flight: each of their completions looks at
 * the queue anyway (virtio_blk_requests_done), so a kick would only cost
 * the guest a VM exit.  With EVENT_IDX, leaving avail_event behind is what
 * keeps the driver from kicking (it kicks only when its new avail index
 * passes avail_event); once the last request completes, notifications are
 * on again and the queue is looked at once more.  Without EVENT_IDX the
 * driver kicks regardless, and only the look-again matters. */
static bool virtio_blk_rearm(const struct virtio_blk *blk,
                             const struct virtio_blk_queue *qs, struct virtq *vq)
{
    /* A hold's end looks at every queue, like a completion. */
    if ((qs->in_flight > 0 || irq_hold_running(&blk->hold)) && vq->event_idx)
        return false;
    return virtq_enable_notify(vq);
}

/* Drain queue q, re-checking after telling the driver where we stopped
 * so that a request made meanwhile is not left waiting.  A request the
 * rate limit holds back stops the draining until its timer fires (kicks
 * meanwhile change nothing: order is kept); so does a full ring, until
 * completions make room.  What went in flight is submitted in one call. */
static int virtio_blk_queue_notify(struct virtio_pci_dev *vdev, uint16_t q)
{
    struct virtio_blk *blk = virtio_blk_of(vdev);
    struct virtio_blk_queue *qs = &blk->queues[q];
    struct virtq *vq = virtio_pci_queue_ring(vdev, q);
    int rc;
    blk->stats.notifies++;
    do {
        while ((rc = virtio_blk_next(blk, vq, qs)) > 0)
            if ((rc = virtio_blk_serve(blk, q, vq, &qs->chain)) < 0)
                break;
    } while (rc == 0 && !qs->held && !qs->stalled && virtio_blk_rearm(blk, qs, vq));
    if (blk->ring_active) {
        virtio_blk_run_queue(blk);
        block_ring_submit(&blk->ring);
    }
    if (rc < 0)
        return rc;
    virtio_blk_interrupt(blk, q);
    return 0;
}

/* No hold: its timer disarmed (a reset). */
static void virtio_blk_hold_cancel(struct virtio_blk *blk)
{
    if (blk->hold_timer_fd < 0)
        return;
    virtio_blk_hold_disarm(blk);
    irq_hold_reset(&blk->hold);
}

void virtio_blk_hold_expired(struct virtio_blk *blk)
{
    uint64_t expirations;
    if (read(blk->hold_timer_fd, &expirations, sizeof(expirations)) < 0)
        return; /* disarmed by a reset meanwhile (EAGAIN) */
    pthread_mutex_lock(&blk->vdev.lock);
    bool ended = false;
    if (irq_hold_running(&blk->hold)) {
        bool halted = blk->vcpus && guest_vcpus_all_halted(blk->vcpus);
        ended = irq_hold_tick(&blk->hold, halted, virtio_blk_guest_made_requests(blk));
        if (!ended && !virtio_blk_hold_arm(blk)) {
            irq_hold_ended(&blk->hold, false);
            ended = true;
        }
    }
    blk->stats.rechecks += ended ? blk->vdev.cfg.num_queues : 0;
    pthread_mutex_unlock(&blk->vdev.lock);
    /* Every queue: take what the guest made meanwhile (it did not kick),
     * ask for kicks again, and send what was held. */
    for (uint16_t q = 0; ended && q < blk->vdev.cfg.num_queues; q++)
        virtio_pci_notify_queue(&blk->vdev, q);
}

/* A reset takes back every request: the held ones, and those in flight
 * (their completions are dropped). */
static void virtio_blk_reset(struct virtio_pci_dev *vdev)
{
    struct virtio_blk *blk = virtio_blk_of(vdev);
    for (unsigned q = 0; q < VIRTIO_BLK_MAX_QUEUES; q++) {
        blk->queues[q].held = blk->queues[q].stalled = false;
        blk->queues[q].in_flight = 0; /* their completions are dropped */
        blk->queues[q].unsignalled = 0; /* the driver starts over */
    }
    blk->generation++;
    rate_limit_cancel(&blk->limit);
    virtio_blk_hold_cancel(blk);
}

void virtio_blk_limit_expired(struct virtio_blk *blk)
{
    rate_limit_timer_ack(&blk->limit);
    for (uint16_t q = 0; q < blk->vdev.cfg.num_queues; q++) {
        pthread_mutex_lock(&blk->vdev.lock);
        blk->stats.rechecks++;
        pthread_mutex_unlock(&blk->vdev.lock);
        virtio_pci_notify_queue(&blk->vdev, q);
    }
}

/* Per request, in hundredths (requests 0: 0). */
static unsigned long long virtio_blk_per_request(uint64_t n, uint64_t requests)
{
    return requests ? (unsigned long long)(n * 100 / requests) : 0;
}

int virtio_blk_stats_format(const struct virtio_blk *blk, char *buf, size_t len)
{
    const struct virtio_blk_stats *s = &blk->stats;
    uint64_t kicks = s->notifies - (s->rechecks < s->notifies ? s->rechecks : s->notifies);
    uint64_t enters = blk->ring_active ? blk->ring.enters : 0;
    uint64_t per[] = { kicks, enters, s->interrupts, s->reaps };
    unsigned long long h[4];
    for (unsigned i = 0; i < 4; i++)
        h[i] = virtio_blk_per_request(per[i], s->requests);
    uint64_t ring = s->requests - (s->synchronous < s->requests ? s->synchronous : s->requests);
    unsigned long long in_flight_us = ring ? s->in_flight_ns / ring / 1000u : 0;
    unsigned long long held_us = ring ? s->held_ns / ring / 1000u : 0;
    return snprintf(buf, len,
                    "requests %llu, kicks %llu (%llu.%02llu per request), "
                    "io_uring_enter %llu (%llu.%02llu), interrupts %llu (%llu.%02llu), "
                    "completion wakeups %llu (%llu.%02llu), interrupt holds %llu "
                    "(guest went on in %llu, cut short in %llu, halted at %llu), "
                    "joined %llu, synchronous %llu, "
                    "redone %llu, flushes %llu, bounced (every disk) %llu; "
                    "per ring request: in flight %llu us, completion held %llu us",
                    (unsigned long long)s->requests, (unsigned long long)kicks,
                    h[0] / 100, h[0] % 100, (unsigned long long)enters, h[1] / 100,
                    h[1] % 100, (unsigned long long)s->interrupts, h[2] / 100, h[2] % 100,
                    (unsigned long long)s->reaps, h[3] / 100, h[3] % 100,
                    (unsigned long long)blk->hold.holds, (unsigned long long)blk->hold.kept_on,
                    (unsigned long long)blk->hold.cut_short,
                    (unsigned long long)blk->sent_to_halted,
                    (unsigned long long)s->joined,
                    (unsigned long long)s->synchronous, (unsigned long long)s->redone,
                    (unsigned long long)s->flushes,
                    (unsigned long long)block_image_bounced_count(), in_flight_us, held_us);
}

/* Count n more bytes written at buf + *used (n: what snprintf returned),
 * keeping *used within len so that the next write lands inside buf. */
static void virtio_blk_append(size_t len, size_t *used, int n)
{
    if (n > 0)
        *used += (size_t)n;
    if (*used >= len)
        *used = len - 1;
}

int virtio_blk_state_format(struct virtio_blk *blk, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return 0;
    buf[0] = '\0';
    pthread_mutex_lock(&blk->vdev.lock);
    for (uint16_t q = 0; q < blk->vdev.cfg.num_queues; q++) {
        const struct virtio_blk_queue *qs = &blk->queues[q];
        virtio_blk_append(len, &used,
                          snprintf(buf + used, len - used, "q%u: in flight %u%s%s, ", q,
                                   qs->in_flight, qs->held ? ", held" : "",
                                   qs->stalled ? ", waiting for room" : ""));
        virtio_blk_append(len, &used,
                          virtq_state_format(virtio_pci_queue_ring(&blk->vdev, q),
                                             buf + used, len - used));
        virtio_blk_append(len, &used, snprintf(buf + used, len - used, ", "));
        virtio_blk_append(len, &used, virtio_pci_queue_vector_format(&blk->vdev, q,
                                                                     buf + used, len - used));
        virtio_blk_append(len, &used, snprintf(buf + used, len - used, "; "));
    }
    virtio_blk_append(len, &used,
                      snprintf(buf + used, len - used, "ring: in flight %u",
                               blk->ring_active ? blk->ring.in_flight : 0));
    pthread_mutex_unlock(&blk->vdev.lock);
    return (int)used;
}

static void virtio_blk_config_read(struct virtio_pci_dev *vdev, uint32_t offset,
                                   uint8_t *data, uint32_t len)
{
    const struct virtio_blk *blk = virtio_blk_of(vdev);
    struct virtio_blk_config_regs regs = {
        .capacity = blk->capacity,
        .size_max = VIRTIO_BLK_SIZE_MAX,
        .seg_max = VIRTIO_BLK_SEG_MAX,
        .blk_size = VIRTIO_BLK_SECTOR_SIZE,
        .max_discard_sectors = VIRTIO_BLK_RANGE_SECTORS_MAX,
        .max_discard_seg = VIRTIO_BLK_DISCARD_SEG_MAX,
        .discard_sector_alignment = VIRTIO_BLK_DISCARD_ALIGNMENT,
        .max_write_zeroes_sectors = VIRTIO_BLK_RANGE_SECTORS_MAX,
        .max_write_zeroes_seg = 1,
        .write_zeroes_may_unmap = 1,
        .num_queues = blk->vdev.cfg.num_queues,
    };
    memcpy(data, (const uint8_t *)&regs + offset, len);
}

static const struct virtio_device_ops virtio_blk_ops = {
    .queue_notify = virtio_blk_queue_notify,
    .config_read = virtio_blk_config_read,
    .reset = virtio_blk_reset,
};

/* --- setup ------------------------------------------------------------- */

static int virtio_blk_open(struct virtio_blk *blk,
                           const struct virtio_blk_options *opts)
{
    uint64_t bytes;
    blk->fd = block_image_open(opts->path, opts->readonly, &bytes);
    if (blk->fd < 0)
        return blk->fd;
    blk->writeback = opts->writeback;
    blk->direct = !opts->writeback && block_image_use_direct(blk->fd);
    /* A partial last sector cannot be addressed; it is left alone. */
    blk->capacity = bytes / VIRTIO_BLK_SECTOR_SIZE;
    return 0;
}

static void virtio_blk_set_serial(struct virtio_blk *blk,
                                  const struct virtio_blk_options *opts)
{
    const char *serial = opts->serial;
    if (!serial) {
        const char *slash = strrchr(opts->path, '/');
        serial = slash ? slash + 1 : opts->path;
    }
    size_t n = strlen(serial);
    memcpy(blk->serial, serial, n < VIRTIO_BLK_ID_BYTES ? n : VIRTIO_BLK_ID_BYTES);
}

static uint64_t virtio_blk_features(bool readonly)
{
    uint64_t f = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_F_INDIRECT_DESC |
                 1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
                 1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH |
                 1ULL << VIRTIO_BLK_F_MQ;
    if (readonly)
        return f | 1ULL << VIRTIO_BLK_F_RO;
    return f | 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
}

/* Interrupt moderation where requests go in flight (a synchronous request
 * is done before the guest can make another). */
static int virtio_blk_hold_init(struct virtio_blk *blk, bool hold)
{
    irq_hold_init(&blk->hold);
    if (!hold || !blk->ring_active)
        return 0;
    blk->hold_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    return blk->hold_timer_fd < 0 ? -errno : 0;
}

static void virtio_blk_caches_drain(struct virtio_blk *blk)
{
    obj_caches_drain(&blk->reqs);
    block_merge_run_destroy(&blk->run);
}

int virtio_blk_create(struct virtio_blk **out, struct pci_bus *pci,
                      const struct virtio_blk_options *opts)
{
    /* On lazily zeroed pages: the per-queue scratch (16 KiB of iovecs)
     * costs RSS only where a request has written it (issue 19). */
    struct virtio_blk *blk = lazy_pages_alloc(sizeof(*blk));
    if (!blk)
        return -ENOMEM;
    blk->readonly = opts->readonly;
    blk->fd = -1;
    block_merge_run_init(&blk->run);
    obj_caches_init(&blk->reqs, sizeof(struct virtio_blk_req), sizeof(struct iovec),
                    VIRTIO_BLK_REQ_SMALL_IOV, VIRTQ_MAX_SIZE, VIRTIO_BLK_REQS_KEPT);
    blk->hold_timer_fd = -1;
    int rc = opts->queues > VIRTIO_BLK_MAX_QUEUES ? -EINVAL : 0;
    if (rc == 0)
        rc = rate_limit_init(&blk->limit, opts->bps, opts->iops, opts->clock_ns);
    if (rc == 0)
        rc = virtio_blk_open(blk, opts);
    /* No io_uring here (ENOSYS, EPERM): every request synchronously. */
    if (rc == 0 && !opts->synchronous)
        blk->ring_active = block_ring_init(&blk->ring, blk->fd, BLOCK_RING_MAX_DEPTH) == 0;
    if (rc == 0)
        rc = virtio_blk_hold_init(blk, opts->irq_hold);
    virtio_blk_set_serial(blk, opts);
    const struct virtio_pci_config cfg = {
        .device_id = VIRTIO_BLK_DEVICE_ID,
        .class_code = 0x018000, /* mass storage, other */
        .features = virtio_blk_features(opts->readonly),
        .num_queues = (uint16_t)(opts->queues ? opts->queues : 1),
        .queue_max_size = VIRTIO_BLK_QUEUE_SIZE,
        .config_size = VIRTIO_BLK_CONFIG_BYTES,
        .ops = &virtio_blk_ops,
        .opaque = blk,
        .name = "virtio-blk",
    };
    if (rc == 0)
        rc = virtio_pci_init(&blk->vdev, pci, &cfg);
    if (rc < 0) {
        if (blk->hold_timer_fd >= 0)
            close(blk->hold_timer_fd);
        if (blk->ring_active)
            block_ring_destroy(&blk->ring);
        block_image_close(blk->fd);
        rate_limit_destroy(&blk->limit);
        virtio_blk_caches_drain(blk);
        lazy_pages_free(blk, sizeof(*blk));
        return rc;
    }
    *out = blk;
    return 0;
}

void virtio_blk_destroy(struct virtio_blk *blk)
{
    if (!blk)
        return;
    if (blk->io_created)
        iothread_destroy(&blk->io);
    if (blk->ring_active) {
        /* Guest RAM and the requests must outlive what is in flight. */
        while (blk->ring.in_flight > 0)
            virtio_blk_reap(blk, true);
    }
    if (blk->verbose) {
        char line[768];
        virtio_blk_stats_format(blk, line, sizeof(line));
        fprintf(stderr, "corral-vmm: disk %.*s: %s\n", VIRTIO_BLK_ID_BYTES, blk->serial,
                line);
    }
    if (blk->ring_active)
        block_ring_destroy(&blk->ring);
    if (blk->hold_timer_fd >= 0)
        close(blk->hold_timer_fd);
    virtio_pci_destroy(&blk->vdev);
    block_image_close(blk->fd);
    rate_limit_destroy(&blk->limit);
    virtio_blk_caches_drain(blk);
    lazy_pages_free(blk, sizeof(*blk));
}

/* ---- on the board (devices.h) ---------------------------------------------- */

static size_t blk_count(const struct vmdef *def)
{
    return vmdef_disks_on_bus(def, VMDEF_BUS_VIRTIO);
}

static void blk_limit_expired(void *ctx, uint32_t events)
{
    virtio_blk_limit_expired(ctx);
}

static void blk_requests_done(void *ctx, uint32_t events)
{
    virtio_blk_requests_done(ctx, false);
}

static void blk_hold_expired(void *ctx, uint32_t events)
{
    virtio_blk_hold_expired(ctx);
}

/* For the control socket's "disk N" (from the main thread: the fd and the
 * ring are the disk's for its whole life). */
static void blk_disk_io(const void *disk, struct board_disk_io *out)
{
    const struct virtio_blk *blk = disk;
    *out = (struct board_disk_io){ .bus = "virtio",
                                   .io = block_image_cache_mode(blk->fd, blk->writeback),
                                   .engine = block_ring_engine(blk->ring_active) };
}

static int blk_disk_state(void *disk, char *buf, size_t len)
{
    return virtio_blk_state_format(disk, buf, len);
}

/* One virtio-blk per disk on the virtio bus, in definition order:
 * /dev/vda, /dev/vdb... */
static int blk_add(struct board *b, const struct vmdef *def, size_t index,
                   void **dev)
{
    const struct vmdef_disk *d = vmdef_disk_on_bus(def, VMDEF_BUS_VIRTIO, index);
    unsigned queues = b->nvcpus < VIRTIO_BLK_MAX_QUEUES ? b->nvcpus : VIRTIO_BLK_MAX_QUEUES;
    struct virtio_blk_options o = { .path = d->path, .readonly = d->readonly,
                                    .writeback = d->cache == VMDEF_CACHE_WRITEBACK,
                                    .bps = d->bps, .iops = d->iops,
                                    .queues = queues ? queues : 1,
                                    .irq_hold = true };
    struct virtio_blk *blk;
    int rc = virtio_blk_create(&blk, &b->pci, &o);
    if (rc < 0)
        return vm_error("disk %s: %s", d->path,
                        rc == -EBUSY ? "in use by another VM" : strerror(-rc));
    *dev = blk;
    blk->verbose = b->vm.verbose;
    blk->vcpus = &b->vcpus;
    rc = iothread_init(&blk->io);
    blk->io_created = true;
    if (rc < 0)
        return vm_error("disk %s: I/O thread: %s", d->path, strerror(-rc));
    if (board_add_disk_thread(b, &blk->io))
        return VM_EXIT_ERROR;
    board_add_virtio_on(b, &blk->vdev, &blk->io);
    board_add_boot_disk(b, blk->vdev.pci.slot, blk->fd);
    board_add_disk_io(b, def, d, blk_disk_io, blk);
    board_add_disk_state(b, def, d, blk_disk_state, blk);
    vm_log(&b->vm, "disk %s: virtio-blk%s, %s, %s%s, %u queue(s), limits %llu bytes/s "
           "%llu ops/s (0: none)", d->path, d->readonly ? ", read-only" : "",
           block_image_cache_mode(blk->fd, o.writeback),
           block_ring_engine(blk->ring_active), blk->ring_active ? "" : " (no io_uring here)",
           o.queues, (unsigned long long)d->bps, (unsigned long long)d->iops);
    if (blk->ring_active) {
        rc = iothread_add(&blk->io, blk->ring.event_fd, EPOLLIN, blk_requests_done, blk);
        if (rc == 0 && blk->hold_timer_fd >= 0)
            rc = iothread_add(&blk->io, blk->hold_timer_fd, EPOLLIN, blk_hold_expired, blk);
        if (rc < 0)
            return vm_error("disk %s: I/O thread: %s", d->path, strerror(-rc));
    }
    return board_watch_limit_on(b, &blk->io, &blk->limit, blk_limit_expired, blk);
}

static void blk_destroy(void *dev)
{
    virtio_blk_destroy(dev);
}

const struct device_desc virtio_blk_device = {
    .name = "virtio-blk",
    .count = blk_count,
    .add = blk_add,
    .destroy = blk_destroy,
};
