/* block_merge: adjacent reads or writes joined (see block_merge.h). */
#include "block_merge.h"

bool block_merge_joins(const struct block_merge_run *run, bool is_write, uint64_t offset,
                       uint64_t len, unsigned n_iov)
{
    if (run->members == 0 || run->is_write != is_write)
        return false;
    /* offset - run->offset cannot wrap: a run never ends past UINT64_MAX */
    if (offset < run->offset || offset - run->offset != run->len)
        return false;
    /* A request alone may be larger than the limits: nothing joins it. */
    return run->len <= BLOCK_MERGE_MAX_BYTES && len <= BLOCK_MERGE_MAX_BYTES - run->len &&
           run->n_iov <= BLOCK_MERGE_MAX_IOV && n_iov <= BLOCK_MERGE_MAX_IOV - run->n_iov;
}

void block_merge_add(struct block_merge_run *run, bool is_write, uint64_t offset,
                     uint64_t len, unsigned n_iov)
{
    if (run->members == 0)
        *run = (struct block_merge_run){ .is_write = is_write, .offset = offset };
    run->members++;
    run->len += len;
    run->n_iov += n_iov;
}

void block_merge_clear(struct block_merge_run *run)
{
    *run = (struct block_merge_run){ 0 };
}
