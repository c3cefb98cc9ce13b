/* Unit tests for joining adjacent reads or writes (block_merge.h): only
 * what continues the run the same way joins, within the limits, with no
 * arithmetic that wraps; a run goes on a ring as one transfer of all its
 * segments, and each request gets its own result back. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../../hypervisor/vmm/block_merge.h"

static struct block_merge_req req(bool is_write, uint64_t offset, uint64_t len, unsigned n_iov)
{
    return (struct block_merge_req){ .is_write = is_write, .offset = offset, .len = len,
                                     .n_iov = n_iov };
}

static void test_adjacent_same_way_joins(void)
{
    struct block_merge_run run;
    block_merge_run_init(&run);
    struct block_merge_req a = req(false, 1 << 20, 1 << 20, 4), b = req(false, 2 << 20, 1 << 20, 4);
    CHECK(!block_merge_joins(&run, &a)); /* no run: it starts one */
    CHECK_EQ_INT(block_merge_room_needed(&run), 1);
    block_merge_add(&run, &a);
    CHECK_EQ_INT(block_merge_room_needed(&run), 2);
    CHECK(block_merge_joins(&run, &b));
    struct block_merge_req write = req(true, 2 << 20, 1 << 20, 4), gap = req(false, 3 << 20, 4096, 1),
                           before = req(false, 0, 1 << 20, 4), again = req(false, 1 << 20, 4096, 1),
                           flush = req(true, 2 << 20, 0, 0);
    CHECK(!block_merge_joins(&run, &write)); /* a write after reads */
    CHECK(!block_merge_joins(&run, &gap));
    CHECK(!block_merge_joins(&run, &before));
    CHECK(!block_merge_joins(&run, &again)); /* the same range again */
    CHECK(!block_merge_joins(&run, &flush));
    block_merge_add(&run, &b);
    CHECK_EQ_INT(run.members, 2);
    CHECK_EQ_INT(run.len, 2 << 20);
    CHECK_EQ_INT(run.n_iov, 8);
    CHECK(run.first == &a && a.next == &b && b.next == NULL && run.last == &b);
    block_merge_run_destroy(&run);
}

static void test_limits(void)
{
    struct block_merge_run run;
    block_merge_run_init(&run);
    struct block_merge_req big = req(true, 0, BLOCK_MERGE_MAX_BYTES - 4096, 10);
    struct block_merge_req page = req(true, big.len, 4096, 1), two = req(true, big.len, 8192, 1);
    block_merge_add(&run, &big);
    CHECK(block_merge_joins(&run, &page));
    CHECK(!block_merge_joins(&run, &two)); /* a page too many */
    run = (struct block_merge_run){ 0 };
    struct block_merge_req many = req(true, 0, 4096, BLOCK_MERGE_MAX_IOV - 2);
    struct block_merge_req fits = req(true, 4096, 4096, 2), over = req(true, 4096, 4096, 3);
    block_merge_add(&run, &many);
    CHECK(block_merge_joins(&run, &fits));
    CHECK(!block_merge_joins(&run, &over));
    /* A request larger than the limits alone: nothing joins it (no wrap
     * of the room that is left). */
    run = (struct block_merge_run){ 0 };
    struct block_merge_req huge = req(false, 0, 2ull * BLOCK_MERGE_MAX_BYTES, 254);
    struct block_merge_req next = req(false, huge.len, 512, 1);
    block_merge_add(&run, &huge);
    CHECK(!block_merge_joins(&run, &next));
    run = (struct block_merge_run){ 0 };
    struct block_merge_req scattered = req(false, 0, 512, BLOCK_MERGE_MAX_IOV + 1);
    struct block_merge_req after = req(false, 512, 512, 1);
    block_merge_add(&run, &scattered);
    CHECK(!block_merge_joins(&run, &after));
    block_merge_run_destroy(&run);
}

static void test_no_wrap_at_the_end_of_the_address_space(void)
{
    struct block_merge_run run;
    block_merge_run_init(&run);
    struct block_merge_req last = req(false, UINT64_MAX - 4095, 4096, 1);
    struct block_merge_req zero = req(false, 0, 512, 1), inside = req(false, UINT64_MAX, 512, 1);
    block_merge_add(&run, &last);
    /* its end wraps to 0: a request at 0 does not continue it */
    CHECK(!block_merge_joins(&run, &zero));
    CHECK(!block_merge_joins(&run, &inside));
    block_merge_run_destroy(&run);
}

/* A ring on a file of 8 sectors, each byte of sector n being n. */
static int ring_file(struct block_ring *ring, char *path)
{
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    uint8_t sector[512];
    for (unsigned s = 0; s < 8; s++) {
        memset(sector, (int)s, sizeof(sector));
        CHECK_EQ_INT(write(fd, sector, sizeof(sector)), 512);
    }
    CHECK_EQ_INT(block_ring_init(ring, fd, 8), 0);
    return fd;
}

static struct block_merge_req *wait_one(struct block_ring *ring, int32_t *res)
{
    struct block_ring_done done;
    CHECK_EQ_INT(block_ring_submit(ring), 0);
    CHECK_EQ_INT(block_ring_reap(ring, &done, 1, true), 1);
    *res = done.res;
    return done.tag;
}

/* Three reads of sectors 2, 3-4 (two segments) and 5 go as one readv of
 * four segments, tagged with the first; each gets its length back.  A
 * run that comes back short gives every request -EIO; one alone gets the
 * submission's own result. */
static void test_run_on_a_ring(void)
{
    char path[] = "/tmp/corral-test-merge.XXXXXX";
    struct block_ring ring;
    int fd = ring_file(&ring, path);
    uint8_t a[512], b1[256], b2[768], c[512];
    struct iovec ia = { a, 512 }, ib[2] = { { b1, 256 }, { b2, 768 } }, ic = { c, 512 };
    struct block_merge_req ra = req(false, 1024, 512, 1), rb = req(false, 1536, 1024, 2),
                           rc = req(false, 2560, 512, 1);
    ra.iov = &ia, rb.iov = ib, rc.iov = &ic;
    struct block_merge_run run;
    block_merge_run_init(&run);
    block_merge_add(&run, &ra);
    CHECK(block_merge_joins(&run, &rb));
    block_merge_add(&run, &rb);
    CHECK(block_merge_joins(&run, &rc));
    block_merge_add(&run, &rc);
    int err;
    uint64_t joined = 0;
    CHECK(block_merge_queue(&run, &ring, &err, &joined) == &ra);
    CHECK_EQ_INT(err, 0);
    CHECK_EQ_INT(joined, 2);
    CHECK(run.first == NULL && run.members == 0 && run.len == 0);
    CHECK(ra.joined_iov != NULL);
    const struct iovec *first_list = ra.joined_iov;
    int32_t res;
    CHECK(wait_one(&ring, &res) == &ra);
    CHECK_EQ_INT(res, 2048);
    struct block_merge_outcome o = block_merge_came_back(&ra, res);
    CHECK(ra.joined_iov == NULL);
    CHECK_EQ_INT(block_merge_result(&o, &ra), 512);
    CHECK_EQ_INT(block_merge_result(&o, &rb), 1024);
    CHECK_EQ_INT(block_merge_result(&o, &rc), 512);
    CHECK(a[0] == 2 && a[511] == 2 && b1[255] == 3 && b2[0] == 3 && b2[767] == 4 &&
          c[0] == 5 && c[511] == 5);
    /* short: the run reaches past the end of the file */
    struct block_merge_req rd = req(false, 3072, 512, 1), re = req(false, 3584, 1024, 2);
    rd.iov = &ia, re.iov = ib;
    block_merge_add(&run, &rd);
    block_merge_add(&run, &re);
    CHECK(block_merge_queue(&run, &ring, &err, &joined) == &rd);
    CHECK_EQ_INT(joined, 3);
    CHECK(rd.joined_iov == first_list); /* the list came back and went again */
    CHECK_EQ_INT(run.joined_iovs.allocated, 1);
    CHECK(wait_one(&ring, &res) == &rd);
    CHECK_EQ_INT(res, 1024);
    o = block_merge_came_back(&rd, res);
    CHECK_EQ_INT(block_merge_result(&o, &rd), -EIO);
    CHECK_EQ_INT(block_merge_result(&o, &re), -EIO);
    /* alone: its own result, whatever it is */
    struct block_merge_req alone = req(false, 3584, 1024, 2);
    alone.iov = ib;
    block_merge_add(&run, &alone);
    CHECK(block_merge_queue(&run, &ring, &err, &joined) == &alone);
    CHECK(alone.joined_iov == NULL);
    CHECK(wait_one(&ring, &res) == &alone);
    o = block_merge_came_back(&alone, res);
    CHECK_EQ_INT(block_merge_result(&o, &alone), 512);
    CHECK(block_merge_queue(&run, &ring, &err, &joined) == NULL); /* no run */
    CHECK_EQ_INT(err, 0);
    block_ring_destroy(&ring);
    close(fd);
    unlink(path);
    block_merge_run_destroy(&run);
}

int main(void)
{
    RUN(test_adjacent_same_way_joins);
    RUN(test_limits);
    RUN(test_no_wrap_at_the_end_of_the_address_space);
    RUN(test_run_on_a_ring);
    return check_summary("block_merge");
}
