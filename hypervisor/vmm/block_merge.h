/* block_merge: a disk's reads (or writes) of adjacent ranges joined into
 * one submission, as QEMU's virtio-blk does ("multireq").
 *
 * Why: a guest streaming at depth puts many requests of 1 MiB on its
 * queue at once, each starting where the one before ended.  Submitted one
 * by one, each becomes a request of the host's own disk with its own
 * completion; joined, the host's block layer makes fewer, larger requests
 * of them and completes them with fewer interrupts.  Measured (issue 19,
 * run AG): QEMU's appliance disk made 0.87 requests per guest request at
 * sequential 1 MiB, iodepth 32, corral-vmm's 1.00, and took 0.22
 * interrupts per request against corral-vmm's 0.31: the control domain's
 * disk takes at most 1280 KiB a request, so only runs of 5 MiB and more
 * save it requests, and QEMU bounds a run only by its segments.
 *
 * A run is what the device took off one queue in one pass, in order: a
 * request joins the run when it goes the same way (read or write) and
 * starts at the run's end, and the run stays within the limits below.
 * Flushes and synchronous requests end a run (the device queues it first,
 * so that order between them is kept).  The run goes on the ring as one
 * readv/writev, tagged with its first request; when it comes back, each
 * request gets its own result: its length when the whole moved, else an
 * error, so that the device does it again on its own (which handles
 * O_DIRECT refusing one request's buffers, and reports a real error
 * against the request it belongs to).
 *
 * A device embeds struct block_merge_req in each request it puts on the
 * ring (flushes too: tags are then all of one kind) and finds its request
 * again from it (container_of). */
#ifndef CORRAL_BLOCK_MERGE_H
#define CORRAL_BLOCK_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "block_ring.h"
#include "obj_cache.h"

/* The most one submission carries: segments (UIO_MAXIOV, what one
 * preadv/pwritev takes) and bytes (what a guest at iodepth 32 of 1 MiB
 * has in flight; it bounds how long the run's first request waits for
 * its last). */
#define BLOCK_MERGE_MAX_IOV 1024u
#define BLOCK_MERGE_MAX_BYTES (32u << 20)
/* Joined segment lists kept for reuse (obj_cache.h: each is 16 KiB, which
 * musl would otherwise map and unmap per submission): what a device has
 * on its ring at iodepth 32 of 1 MiB joined into runs. */
#define BLOCK_MERGE_JOINED_KEPT 16u

/* One read or write (or flush: len 0, never joined), in the device's
 * request; iov stays valid until the request completes. */
struct block_merge_req {
    struct block_merge_req *next; /* the next request of its submission */
    bool is_write;
    uint64_t offset, len;
    const struct iovec *iov;
    unsigned n_iov;
    uint64_t submitted_len;   /* the first's: the submission's bytes */
    struct iovec *joined_iov; /* the first's, when others joined: all
                               * their segments, in order */
    struct obj_cache *joined_from; /* the run's cache joined_iov goes back to */
};

/* The requests being taken, not yet on the ring; and the device's
 * joined segment lists (each BLOCK_MERGE_MAX_IOV long). */
struct block_merge_run {
    struct block_merge_req *first, *last; /* first NULL: no run */
    unsigned members, n_iov;
    uint64_t len;
    struct obj_cache joined_iovs;
};

/* An empty run (and its lists' cache); destroy frees the kept lists, once
 * every submission came back. */
void block_merge_run_init(struct block_merge_run *run);
void block_merge_run_destroy(struct block_merge_run *run);

/* May r join run: the same way, starting at the run's end, within the
 * limits?  Never an empty run: r starts one (block_merge_add). */
bool block_merge_joins(const struct block_merge_run *run, const struct block_merge_req *r);

/* r joins run, or starts it when run is empty. */
void block_merge_add(struct block_merge_run *run, struct block_merge_req *r);

/* The ring places a device must have free before it takes one more
 * request: the run will need one of its own. */
unsigned block_merge_room_needed(const struct block_merge_run *run);

/* Queue run on ring as one read or write tagged with its first request,
 * and empty run.  Returns the first (NULL when there was no run), *rc 0
 * or the ring's error (-EBUSY, -ENOMEM for the joined segments): then
 * the device completes the run's requests now, as it would on their
 * completion (block_merge_came_back with *rc).  *joined counts the
 * requests that went with the one before them. */
struct block_merge_req *block_merge_queue(struct block_merge_run *run, struct block_ring *ring,
                                          int *rc, uint64_t *joined);

/* A submission (tagged first) came back with res: each of its requests'
 * own results, for block_merge_result.  Releases the joined segments:
 * call it before completing (and freeing) the first. */
struct block_merge_outcome {
    bool joined, whole;
    int32_t res;
};
struct block_merge_outcome block_merge_came_back(struct block_merge_req *first, int32_t res);

/* Request r's own result: the submission's when it went alone; else its
 * length when the whole moved, or -EIO. */
int32_t block_merge_result(const struct block_merge_outcome *o, const struct block_merge_req *r);

#endif
