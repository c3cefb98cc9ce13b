/* block_merge: adjacent reads or writes joined (see block_merge.h). */
#include "block_merge.h"

#include <errno.h>
#include <string.h>

bool block_merge_joins(const struct block_merge_run *run, const struct block_merge_req *r)
{
    const struct block_merge_req *first = run->first;
    if (!first || first->is_write != r->is_write || first->len == 0 || r->len == 0)
        return false;
    /* r->offset - first->offset cannot wrap: a run never ends past UINT64_MAX */
    if (r->offset < first->offset || r->offset - first->offset != run->len)
        return false;
    /* A request alone may be larger than the limits: nothing joins it. */
    return run->len <= BLOCK_MERGE_MAX_BYTES && r->len <= BLOCK_MERGE_MAX_BYTES - run->len &&
           run->n_iov <= BLOCK_MERGE_MAX_IOV && r->n_iov <= BLOCK_MERGE_MAX_IOV - run->n_iov;
}

void block_merge_add(struct block_merge_run *run, struct block_merge_req *r)
{
    r->next = NULL;
    if (run->last)
        run->last->next = r;
    else
        run->first = r;
    run->last = r;
    run->members++;
    run->len += r->len;
    run->n_iov += r->n_iov;
}

unsigned block_merge_room_needed(const struct block_merge_run *run)
{
    return run->first ? 2u : 1u;
}

void block_merge_run_init(struct block_merge_run *run)
{
    *run = (struct block_merge_run){ 0 };
    obj_cache_init(&run->joined_iovs, BLOCK_MERGE_MAX_IOV * sizeof(struct iovec),
                   BLOCK_MERGE_JOINED_KEPT);
}

void block_merge_run_destroy(struct block_merge_run *run)
{
    obj_cache_drain(&run->joined_iovs);
}

/* Every segment of the run, in order, in a list from the run's cache
 * (block_merge_joins keeps a run within BLOCK_MERGE_MAX_IOV). */
static struct iovec *block_merge_iov(struct block_merge_run *run)
{
    struct iovec *iov = run->n_iov <= BLOCK_MERGE_MAX_IOV ? obj_cache_get(&run->joined_iovs)
                                                          : NULL;
    unsigned at = 0;
    for (const struct block_merge_req *r = run->first; iov && r; r = r->next) {
        memcpy(iov + at, r->iov, r->n_iov * sizeof(*iov));
        at += r->n_iov;
    }
    return iov;
}

struct block_merge_req *block_merge_queue(struct block_merge_run *run, struct block_ring *ring,
                                          int *rc, uint64_t *joined)
{
    struct block_merge_req *first = run->first;
    *rc = 0;
    if (!first)
        return NULL;
    const struct iovec *iov = first->iov;
    if (run->members > 1) {
        iov = first->joined_iov = block_merge_iov(run);
        first->joined_from = &run->joined_iovs;
    }
    first->submitted_len = run->len;
    *rc = iov ? block_ring_queue_rw(ring, iov, run->n_iov, first->offset, first->is_write, first)
              : -ENOMEM;
    *joined += run->members - 1u;
    run->first = run->last = NULL;
    run->members = run->n_iov = 0;
    run->len = 0;
    return first;
}

struct block_merge_outcome block_merge_came_back(struct block_merge_req *first, int32_t res)
{
    struct block_merge_outcome o = {
        .joined = first->next != NULL,
        .whole = res >= 0 && (uint64_t)res == first->submitted_len,
        .res = res,
    };
    if (first->joined_iov)
        obj_cache_put(first->joined_from, first->joined_iov);
    first->joined_iov = NULL;
    return o;
}

int32_t block_merge_result(const struct block_merge_outcome *o, const struct block_merge_req *r)
{
    if (!o->joined)
        return o->res;
    return o->whole ? (int32_t)r->len : -EIO;
}
