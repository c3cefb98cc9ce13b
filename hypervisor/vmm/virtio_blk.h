/* virtio_blk: a virtio block device (virtio 1.x, 5.2) on a raw image file
 * or a host block device, over the virtio-pci transport.
 *
 * Queues: one per vCPU up to VIRTIO_BLK_MAX_QUEUES (VIRTIO_BLK_F_MQ), each
 * with its own ioeventfd and MSI-X vector.  Reads, writes and flushes go in
 * flight through io_uring (block_ring.h), as many at once as the ring holds
 * (BLOCK_RING_MAX_DEPTH, shared by the queues), and complete in any order
 * on the disk's I/O thread; reads (or writes) of adjacent ranges taken in
 * one pass go as one (block_merge.h); the rest (GET_ID, DISCARD, WRITE_ZEROES, and
 * everything where io_uring is unavailable) is served synchronously.  A
 * FLUSH starts only after every request before it completed (IO_DRAIN).
 *
 * Interrupts: a completion on the ring may wait a window (twice the
 * guest's mean time between requests; until the first completion after
 * it, a timer the backstop) for the guest's next requests while it runs,
 * so that it takes one interrupt per batch (irq_hold.h); never while
 * every vCPU is halted (blk->vcpus), nor for synchronous requests.
 *
 * Requests: IN (read), OUT (write), FLUSH (fdatasync, so what the guest
 * flushed survives a host crash; we offer VIRTIO_BLK_F_FLUSH, so the guest
 * treats the disk as having a volatile write cache and flushes when it
 * must), GET_ID (the serial), and on writable disks DISCARD (a hole punched
 * in the image, so a sparse image gives space back when the guest trims)
 * and WRITE_ZEROES.  Read-only disks are opened O_RDONLY and
 * offer VIRTIO_BLK_F_RO; writes to them fail with IOERR.  Every request is
 * checked: a header and a status byte must be there, data is a whole
 * number of sectors inside the capacity; a bad request fails with IOERR
 * (or UNSUPP for unknown types), a chain without header or status byte is
 * a protocol error and the device then needs a reset.
 *
 * Rate limits (bps, iops; rate_limit.h): every request is one operation,
 * and reads and writes cost their data bytes (flush, discard and
 * write-zeroes move no data and cost only the operation).  A request over
 * the limit is kept, in order, and the queue is not read further until
 * the limit's timer fires on the I/O thread; the guest sees its requests
 * complete later, never fail.  With kicks handled on vCPU threads
 * (CORRAL_VMM_SLOW_IO=1) the kick only arms the timer; the I/O thread
 * resumes the queue either way.
 *
 * The image is locked (flock: exclusive, or shared when read-only) so two
 * VMs cannot write one disk by mistake.
 *
 * The image is opened O_DIRECT where the file system allows it, else
 * buffered (block_image.h), and vmm.log says which.
 *
 * Wiring: virtio_blk_device (the device table, devices.h) creates one per
 * disk of the definition with virtio_blk_create(), gives it an I/O thread
 * of its own (so its I/O never delays a NIC's packets, nor theirs its
 * requests), puts its rate limit's timer there and its queue kicks on an
 * ioeventfd served there, and releases it with virtio_blk_destroy() after
 * pci_bus_destroy().
 *
 * The guest needs virtio_pci and virtio_blk (CONFIG_VIRTIO_PCI,
 * CONFIG_VIRTIO_BLK) and sees the disks as /dev/vda, /dev/vdb, ... in the
 * order they were created (PCI slot order). */
#ifndef CORRAL_VIRTIO_BLK_H
#define CORRAL_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block_merge.h"
#include "block_ring.h"
#include "iothread.h"
#include "irq_hold.h"
#include "kvm_stats.h"
#include "obj_cache.h"
#include "rate_limit.h"
#include "virtio_pci.h"

#define VIRTIO_BLK_DEVICE_ID 2
#define VIRTIO_BLK_SECTOR_SIZE 512
#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_ID_BYTES 20
/* Request queues: one per vCPU (so each submits without contending on
 * another's ring), up to this many. */
#define VIRTIO_BLK_MAX_QUEUES 4
/* Limits we advertise: data segments per request (the chain also holds
 * the header and the status byte) and bytes per segment. */
#define VIRTIO_BLK_SEG_MAX (VIRTQ_MAX_SIZE - 2)
#define VIRTIO_BLK_SIZE_MAX (1u << 20)
/* Discard and write-zeroes: ranges per request, sectors per range, and the
 * granularity (4 KiB, a file system block) discards are worth doing at. */
#define VIRTIO_BLK_DISCARD_SEG_MAX 32
#define VIRTIO_BLK_RANGE_SECTORS_MAX (1u << 22)
#define VIRTIO_BLK_DISCARD_ALIGNMENT 8

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_RANGE_F_UNMAP 1
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

struct virtio_blk_options {
    const char *path;
    bool readonly;
    bool writeback;     /* through the host's page cache, not O_DIRECT */
    const char *serial; /* GET_ID answer; NULL: the file's base name */
    uint64_t bps;       /* bytes read or written per second; 0: unlimited */
    uint64_t iops;      /* requests per second; 0: unlimited */
    rate_limit_clock_fn clock_ns; /* NULL: CLOCK_MONOTONIC (tests set it) */
    unsigned queues;    /* 1..VIRTIO_BLK_MAX_QUEUES; 0: 1 */
    bool synchronous;   /* no io_uring even where there is one (tests) */
    bool irq_hold;      /* interrupt moderation (irq_hold.h) */
};

/* Per request queue. */
struct virtio_blk_queue {
    bool held;    /* chain was popped, the rate limit holds it */
    bool stalled; /* the ring is full: draining waits for completions */
    unsigned in_flight; /* its requests on the ring (see virtio_blk.c,
                         * "notifications while busy") */
    unsigned unsignalled;        /* ring completions not yet signalled... */
    uint64_t unsignalled_since;  /* ...as of this clock reading (ns) */
    struct virtq_chain chain; /* scratch (or the held request), under the lock */
};

/* What the disk did: the counts that explain its speed, printed at the
 * end with -v (virtio_blk_stats_format).  Under the device lock. */
struct virtio_blk_stats {
    uint64_t notifies;    /* queue_notify calls: the driver's kicks plus... */
    uint64_t rechecks;    /* ...the device's own looks (completions, timer) */
    uint64_t requests;    /* chains taken off the queues */
    uint64_t synchronous; /* of which served synchronously, not on the ring */
    uint64_t flushes;     /* FLUSH requests (fdatasync) */
    uint64_t redone;      /* ring requests done again synchronously
                           * (O_DIRECT refused the buffers, short transfer) */
    uint64_t reaps;       /* completion wakeups that completed something */
    uint64_t interrupts;  /* queue interrupts sent to the driver */
    uint64_t joined;      /* requests that went in flight with the one
                           * before them, as one read or write (block_merge.h) */
    /* Where a ring request's time goes in the VMM, summed over requests
     * (ns): from taken off the queue to completed, and from completed to
     * signalled (an interrupt, or one the driver did not ask for); a hold
     * is what makes the second more than nothing. */
    uint64_t in_flight_ns;
    uint64_t held_ns;
};

struct virtio_blk {
    struct virtio_pci_dev vdev;
    int fd;
    bool readonly;
    bool direct;    /* opened O_DIRECT (the file system allowed it) */
    bool writeback; /* cache = writeback: buffered by choice */
    struct iothread io; /* its own: queue kicks and the limit's timer */
    bool io_created;
    uint64_t capacity; /* in 512-byte sectors */
    char serial[VIRTIO_BLK_ID_BYTES];
    struct rate_limit limit;
    struct block_ring ring; /* requests in flight, when ring_active */
    bool ring_active;
    /* The adjacent reads or writes being taken off a queue (block_merge.h):
     * on the ring as one request at the end of the pass.  Empty outside
     * one (a pass holds the device lock). */
    struct block_merge_run run;
    /* The requests in flight, kept for the next when they complete
     * (obj_cache.h: musl would map and unmap them); under the lock. */
    struct obj_caches reqs;
    uint32_t generation;    /* counts resets: a completion from before one is dropped */
    struct virtio_blk_queue queues[VIRTIO_BLK_MAX_QUEUES];
    struct virtio_blk_stats stats;
    /* Interrupt moderation (irq_hold.h), on the ring only: the window's
     * timer, and the requests taken when the running hold started. */
    struct irq_hold hold;
    int hold_timer_fd; /* -1: off */
    uint64_t hold_requests;
    const struct guest_vcpus *vcpus; /* NULL: not known (tests) */
    uint64_t sent_to_halted; /* completions sent at once: the guest waited */
    bool verbose; /* print the statistics when destroyed */
    struct iovec data[VIRTQ_MAX_SIZE];      /* scratch, under the lock */
};

/* Open the image and add the device to pci.  Returns 0 with *out set, or
 * a negative errno (-ENOENT, -EACCES, -EBUSY when another VM holds the
 * image, -ENOSPC when the bus is full...). */
int virtio_blk_create(struct virtio_blk **out, struct pci_bus *pci,
                      const struct virtio_blk_options *opts);
void virtio_blk_destroy(struct virtio_blk *blk);

/* The rate limit's timer (rate_limit_fd(&blk->limit), -1 when the disk
 * is unlimited) fired: serve what was held back.  For the I/O thread. */
void virtio_blk_limit_expired(struct virtio_blk *blk);

/* The ring's eventfd (blk->ring.event_fd, when ring_active) fired: complete
 * what the ring finished, interrupt the driver, and go on with queues that
 * waited for room.  With wait, first waits for at least one completion
 * (tests).  For the disk's I/O thread. */
void virtio_blk_requests_done(struct virtio_blk *blk, bool wait);

/* The interrupt hold's timer (blk->hold_timer_fd, when not -1) fired: send
 * what was held and look at the queues.  For the disk's I/O thread. */
void virtio_blk_hold_expired(struct virtio_blk *blk);

/* Serve one request synchronously.  Returns 0 with the status byte written and *written
 * set to the bytes written into the chain, or -EPROTO when the chain has
 * no room for a header or a status byte.  Exposed for tests and fuzzing. */
int virtio_blk_handle_request(struct virtio_blk *blk,
                              const struct virtq_chain *chain,
                              uint32_t *written);

/* The statistics as one line ("requests N, kicks K (x per request),
 * ..."), with the ring's io_uring_enter calls and the process's bounced
 * transfers.  Returns what snprintf returns. */
int virtio_blk_stats_format(const struct virtio_blk *blk, char *buf, size_t len);

/* Where each queue stands, as one line (SIGUSR2, for I/O that looks
 * stuck): per queue its requests in flight, held by the rate limit or
 * waiting for room, and the ring's indices (virtq_state_format); then the
 * ring's requests in flight.  Takes the device lock.  Returns the length
 * of the line (cut to fit len). */
int virtio_blk_state_format(struct virtio_blk *blk, char *buf, size_t len);

/* One virtio-blk per disk of the definition, for the device table (devices.h). */
struct device_desc;
extern const struct device_desc virtio_blk_device;

#endif
