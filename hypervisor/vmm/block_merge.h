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
 * interrupts per request against corral-vmm's 0.31.
 *
 * A run is what the device took off one queue in one pass, in order: a
 * request joins the run when it goes the same way (read or write) and
 * starts at the run's end, and the run stays within the limits below.
 * Flushes and synchronous requests end a run (the device queues it first,
 * so that order between them is kept).  The device keeps its requests in
 * the run; this file decides only whether one may join. */
#ifndef CORRAL_BLOCK_MERGE_H
#define CORRAL_BLOCK_MERGE_H

#include <stdbool.h>
#include <stdint.h>

/* The most one submission carries: segments (UIO_MAXIOV, what one
 * preadv/pwritev takes) and bytes.  Bytes are bounded so that the
 * guest's first requests of a long stream do not wait for the whole of
 * it, and the host disk keeps several submissions in flight. */
#define BLOCK_MERGE_MAX_IOV 1024u
#define BLOCK_MERGE_MAX_BYTES (4u << 20)

struct block_merge_run {
    unsigned members; /* 0: no run */
    bool is_write;
    uint64_t offset; /* the run's first byte on the disk */
    uint64_t len;
    unsigned n_iov;
};

/* May a request (is_write, offset, len bytes in n_iov segments) join run?
 * Never an empty run: the request starts one (block_merge_add). */
bool block_merge_joins(const struct block_merge_run *run, bool is_write, uint64_t offset,
                       uint64_t len, unsigned n_iov);

/* The request joins run, or starts it when run is empty. */
void block_merge_add(struct block_merge_run *run, bool is_write, uint64_t offset,
                     uint64_t len, unsigned n_iov);

/* No run (it was queued). */
void block_merge_clear(struct block_merge_run *run);

#endif
