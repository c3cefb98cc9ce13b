/* Unit tests for joining adjacent reads or writes (block_merge.h): only
 * what continues the run the same way joins, within the limits, and no
 * arithmetic wraps. */
#include <stdint.h>

#include "check.h"
#include "../../hypervisor/vmm/block_merge.h"

static void test_adjacent_same_way_joins(void)
{
    struct block_merge_run run = { 0 };
    CHECK(!block_merge_joins(&run, false, 0, 4096, 1)); /* no run: it starts one */
    block_merge_add(&run, false, 1 << 20, 1 << 20, 4);
    CHECK(block_merge_joins(&run, false, 2 << 20, 1 << 20, 4));
    CHECK(!block_merge_joins(&run, true, 2 << 20, 1 << 20, 4));  /* a write after reads */
    CHECK(!block_merge_joins(&run, false, 3 << 20, 4096, 1));    /* a gap */
    CHECK(!block_merge_joins(&run, false, 0, 1 << 20, 4));       /* before it */
    CHECK(!block_merge_joins(&run, false, 1 << 20, 4096, 1));    /* the same range again */
    block_merge_add(&run, false, 2 << 20, 1 << 20, 4);
    CHECK_EQ_INT(run.members, 2);
    CHECK_EQ_INT(run.len, 2 << 20);
    CHECK_EQ_INT(run.n_iov, 8);
    CHECK(run.offset == 1 << 20);
    block_merge_clear(&run);
    CHECK_EQ_INT(run.members, 0);
    CHECK(!block_merge_joins(&run, false, 0, 512, 1));
}

static void test_limits(void)
{
    struct block_merge_run run = { 0 };
    block_merge_add(&run, true, 0, BLOCK_MERGE_MAX_BYTES - 4096, 10);
    CHECK(block_merge_joins(&run, true, run.len, 4096, 1));
    CHECK(!block_merge_joins(&run, true, run.len, 8192, 1)); /* a page too many */
    block_merge_clear(&run);
    block_merge_add(&run, true, 0, 4096, BLOCK_MERGE_MAX_IOV - 2);
    CHECK(block_merge_joins(&run, true, 4096, 4096, 2));
    CHECK(!block_merge_joins(&run, true, 4096, 4096, 3));
    /* A request larger than the limits alone: nothing joins it (no
     * wrap of the room that is left). */
    block_merge_clear(&run);
    block_merge_add(&run, false, 0, 2ull * BLOCK_MERGE_MAX_BYTES, 254);
    CHECK(!block_merge_joins(&run, false, run.len, 512, 1));
    block_merge_clear(&run);
    block_merge_add(&run, false, 0, 512, BLOCK_MERGE_MAX_IOV + 1);
    CHECK(!block_merge_joins(&run, false, 512, 512, 1));
}

static void test_no_wrap_at_the_end_of_the_address_space(void)
{
    struct block_merge_run run = { 0 };
    block_merge_add(&run, false, UINT64_MAX - 4095, 4096, 1);
    /* its end wraps to 0: a request at 0 does not continue it */
    CHECK(!block_merge_joins(&run, false, 0, 512, 1));
    CHECK(!block_merge_joins(&run, false, UINT64_MAX, 512, 1));
}

int main(void)
{
    RUN(test_adjacent_same_way_joins);
    RUN(test_limits);
    RUN(test_no_wrap_at_the_end_of_the_address_space);
    return check_summary("block_merge");
}
