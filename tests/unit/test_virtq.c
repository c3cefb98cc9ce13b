/* Unit tests for the split virtqueue: well-formed chains and, mostly,
 * hostile ones that must fail the queue without touching host memory
 * outside guest RAM. */
#include "check.h"
#include "../../hypervisor/vmm/virtq.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#define RAM_SIZE (1u << 20)
#define DESC_GPA 0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA 0x3000
#define DATA_GPA 0x10000
#define QSIZE 16

static uint8_t *ram;
static struct guest_mem mem;
static struct virtq vq;
static struct virtq_chain chain;

static void put16(uint64_t gpa, uint16_t v) { memcpy(ram + gpa, &v, 2); }
static void put32(uint64_t gpa, uint32_t v) { memcpy(ram + gpa, &v, 4); }
static void put64(uint64_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }
static uint16_t get16(uint64_t gpa) { uint16_t v; memcpy(&v, ram + gpa, 2); return v; }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

static void write_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                       uint16_t flags, uint16_t next)
{
    uint64_t d = table + 16ull * i;
    put64(d, addr);
    put32(d + 8, len);
    put16(d + 12, flags);
    put16(d + 14, next);
}

/* Make head available as the next entry of the available ring. */
static void offer(uint16_t head)
{
    uint16_t idx = get16(AVAIL_GPA + 2);
    put16(AVAIL_GPA + 4 + 2 * (idx % QSIZE), head);
    put16(AVAIL_GPA + 2, (uint16_t)(idx + 1));
}

static void setup_with(uint64_t features)
{
    memset(ram, 0, RAM_SIZE);
    guest_mem_layout(&mem, ram, RAM_SIZE);
    struct virtq_layout l = { QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA };
    CHECK_EQ_INT(virtq_start(&vq, &mem, &l, features), 0);
}

static void setup(void)
{
    setup_with((1ull << VIRTIO_F_INDIRECT_DESC));
}

static void test_start_validates_layout(void)
{
    guest_mem_layout(&mem, ram, RAM_SIZE);
    struct virtq_layout l = { QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA };
    l.size = 12; /* not a power of two */
    CHECK_EQ_INT(virtq_start(&vq, &mem, &l, 0), -EINVAL);
    l.size = 0;
    CHECK_EQ_INT(virtq_start(&vq, &mem, &l, 0), -EINVAL);
    l.size = QSIZE;
    l.desc_gpa = DESC_GPA + 8; /* misaligned table */
    CHECK_EQ_INT(virtq_start(&vq, &mem, &l, 0), -EINVAL);
    l.desc_gpa = RAM_SIZE - 16 * QSIZE + 16; /* runs past the end of RAM */
    CHECK_EQ_INT(virtq_start(&vq, &mem, &l, 0), -EFAULT);
    l.desc_gpa = DESC_GPA;
    l.used_gpa = UINT64_MAX - 3; /* address + length wraps */
    CHECK_EQ_INT(virtq_start(&vq, &mem, &l, 0), -EFAULT);
    CHECK(!vq.ready);
}

static void test_indices_start_at_zero(void)
{
    /* Stale used->idx in guest memory must not desynchronise the rings. */
    memset(ram, 0, RAM_SIZE);
    put16(USED_GPA + 2, 0x1234);
    guest_mem_layout(&mem, ram, RAM_SIZE);
    struct virtq_layout l = { QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA };
    CHECK_EQ_INT(virtq_start(&vq, &mem, &l, 0), 0);
    write_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    CHECK_EQ_INT(virtq_push(&vq, chain.head, 0), 0);
    CHECK_EQ_INT(get16(USED_GPA + 2), 1);
}

static void test_queue_in_pci_hole_refused(void)
{
    /* 1 MiB below the hole and 1 MiB above 4 GiB, one host buffer. */
    struct guest_mem split = { ram, RAM_SIZE, RAM_SIZE / 2, RAM_SIZE / 2 };
    struct virtq_layout l = { QSIZE, GUEST_MEM_LOW_LIMIT, AVAIL_GPA, USED_GPA };
    CHECK_EQ_INT(virtq_start(&vq, &split, &l, 0), -EFAULT);
    l.desc_gpa = GUEST_MEM_HIGH_BASE; /* high RAM is fine */
    CHECK_EQ_INT(virtq_start(&vq, &split, &l, 0), 0);
    /* A table straddling the end of low RAM is not. */
    l.desc_gpa = RAM_SIZE / 2 - 16 * 4;
    CHECK_EQ_INT(virtq_start(&vq, &split, &l, 0), -EFAULT);
}

static void test_simple_chain(void)
{
    setup();
    write_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
    write_desc(DESC_GPA, 1, DATA_GPA + 0x100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    write_desc(DESC_GPA, 2, DATA_GPA + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    CHECK_EQ_INT(chain.head, 0);
    CHECK_EQ_INT(chain.n_readable, 1);
    CHECK_EQ_INT(chain.n_writable, 2);
    CHECK_EQ_INT(chain.readable_len, 16);
    CHECK_EQ_INT(chain.writable_len, 513);
    CHECK(chain.seg[0].iov_base == ram + DATA_GPA);
    CHECK(chain.seg[2].iov_base == ram + DATA_GPA + 0x400);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 0);

    CHECK_EQ_INT(virtq_push(&vq, 0, 513), 0);
    CHECK_EQ_INT(get16(USED_GPA + 2), 1);
    CHECK_EQ_INT(get32(USED_GPA + 4), 0);
    CHECK_EQ_INT(get32(USED_GPA + 8), 513);
    CHECK(virtq_should_interrupt(&vq));
    CHECK(!virtq_should_interrupt(&vq)); /* nothing new since */
    CHECK_EQ_INT(virtq_push(&vq, QSIZE, 0), -EINVAL);
}

static void test_loop_detected(void)
{
    setup();
    write_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
    write_desc(DESC_GPA, 1, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO);
    CHECK(vq.broken);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO); /* stays broken */
}

static void test_self_loop_detected(void)
{
    setup();
    write_desc(DESC_GPA, 3, DATA_GPA, 0, VIRTQ_DESC_F_NEXT, 3);
    offer(3);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO);
}

static void test_full_length_chain_accepted(void)
{
    setup();
    for (unsigned i = 0; i < QSIZE; i++)
        write_desc(DESC_GPA, i, DATA_GPA + 64 * i, 64,
                   i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    CHECK_EQ_INT(chain.n_readable, QSIZE);
    CHECK_EQ_INT(chain.readable_len, 64 * QSIZE);
}

static void test_next_out_of_range(void)
{
    setup();
    write_desc(DESC_GPA, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, QSIZE);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO);
}

static void test_head_out_of_range(void)
{
    setup();
    offer(QSIZE + 3);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO);
}

static void test_buffer_outside_ram(void)
{
    setup();
    write_desc(DESC_GPA, 0, RAM_SIZE - 8, 16, 0, 0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO);
}

static void test_address_plus_length_overflow(void)
{
    setup();
    write_desc(DESC_GPA, 0, UINT64_MAX - 15, 32, 0, 0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO);
}

static void test_total_length_over_4g(void)
{
    /* 3 GiB of lazily mapped guest RAM, of which only the rings are ever
     * touched: two 2 GiB buffers fit in RAM and in 2^32 bytes; a third
     * pushes the chain past what used.len can report. */
    uint64_t big = GUEST_MEM_LOW_LIMIT;
    uint8_t *host = mmap(NULL, big, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(host != MAP_FAILED);
    if (host == MAP_FAILED)
        return;
    uint8_t *saved = ram;
    ram = host;
    struct guest_mem m;
    guest_mem_layout(&m, host, big);
    struct virtq_layout l = { QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA };
    CHECK_EQ_INT(virtq_start(&vq, &m, &l, 0), 0);
    write_desc(DESC_GPA, 0, DATA_GPA, 0x7fffffff, VIRTQ_DESC_F_NEXT, 1);
    write_desc(DESC_GPA, 1, DATA_GPA, 0x7fffffff, 0, 0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    CHECK_EQ_INT(chain.readable_len, 0xfffffffeu);
    write_desc(DESC_GPA, 1, DATA_GPA, 0x7fffffff, VIRTQ_DESC_F_NEXT, 2);
    write_desc(DESC_GPA, 2, DATA_GPA, 2, 0, 0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO);
    ram = saved;
    munmap(host, big);
}

static void test_zero_length_descriptor_skipped(void)
{
    setup();
    /* Address garbage is fine when nothing is transferred. */
    write_desc(DESC_GPA, 0, UINT64_MAX, 0, VIRTQ_DESC_F_NEXT, 1);
    write_desc(DESC_GPA, 1, DATA_GPA, 8, 0, 0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    CHECK_EQ_INT(chain.n_readable, 1);
    CHECK_EQ_INT(chain.readable_len, 8);
}

static void test_readable_after_writable_refused(void)
{
    setup();
    write_desc(DESC_GPA, 0, DATA_GPA, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    write_desc(DESC_GPA, 1, DATA_GPA, 8, 0, 0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO);
}

static void test_avail_idx_jump_refused(void)
{
    setup();
    write_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
    put16(AVAIL_GPA + 2, QSIZE + 1);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO);
}

static void test_avail_idx_wraps(void)
{
    /* Indices are free-running u16s: 0xffff -> 0 is normal. */
    setup();
    vq.last_avail_idx = 0xffff;
    vq.used_idx = 0xffff;
    write_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
    put16(AVAIL_GPA + 4 + 2 * (0xffff % QSIZE), 0);
    put16(AVAIL_GPA + 2, 0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    CHECK_EQ_INT(virtq_push(&vq, chain.head, 0), 0);
    CHECK_EQ_INT(get16(USED_GPA + 2), 0);
}

static void test_indirect_table(void)
{
    setup();
    uint64_t table = 0x8000;
    write_desc(table, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
    write_desc(table, 1, DATA_GPA + 0x200, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    write_desc(table, 2, DATA_GPA + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
    write_desc(DESC_GPA, 5, table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(5);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    CHECK_EQ_INT(chain.head, 5);
    CHECK_EQ_INT(chain.n_readable, 1);
    CHECK_EQ_INT(chain.n_writable, 2);
    CHECK_EQ_INT(chain.writable_len, 513);
}

static void pop_indirect_expect_failure(uint64_t table, uint32_t len,
                                        uint16_t flags)
{
    write_desc(DESC_GPA, 0, table, len, flags, 1);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), -EPROTO);
}

static void test_bad_indirect_tables(void)
{
    uint64_t table = 0x8000;
    setup();
    write_desc(table, 0, DATA_GPA, 16, 0, 0);
    pop_indirect_expect_failure(table, 24, VIRTQ_DESC_F_INDIRECT); /* not *16 */
    setup();
    pop_indirect_expect_failure(table, 0, VIRTQ_DESC_F_INDIRECT);
    setup();
    pop_indirect_expect_failure(RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT);
    setup();
    pop_indirect_expect_failure(table, 16 * (VIRTQ_MAX_SIZE + 1),
                                VIRTQ_DESC_F_INDIRECT);
    setup();
    write_desc(table, 0, DATA_GPA, 16, 0, 0);
    pop_indirect_expect_failure(table, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT);
    /* Nested indirect. */
    setup();
    write_desc(table, 0, 0x9000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    write_desc(0x9000, 0, DATA_GPA, 16, 0, 0);
    pop_indirect_expect_failure(table, 16, VIRTQ_DESC_F_INDIRECT);
    /* Loop inside the table. */
    setup();
    write_desc(table, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
    write_desc(table, 1, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 0);
    pop_indirect_expect_failure(table, 32, VIRTQ_DESC_F_INDIRECT);
    /* next beyond the table's own length. */
    setup();
    write_desc(table, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 2);
    pop_indirect_expect_failure(table, 32, VIRTQ_DESC_F_INDIRECT);
    /* Indirect descriptors the driver did not negotiate. */
    setup_with(0);
    write_desc(table, 0, DATA_GPA, 16, 0, 0);
    pop_indirect_expect_failure(table, 16, VIRTQ_DESC_F_INDIRECT);
}

static void test_no_interrupt_flag(void)
{
    setup();
    write_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
    offer(0);
    put16(AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    virtq_push(&vq, chain.head, 0);
    CHECK(!virtq_should_interrupt(&vq));
}

static void test_event_idx(void)
{
    setup_with(1ull << VIRTIO_F_RING_EVENT_IDX);
    write_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
    /* used_event = 1: interrupt only once used idx passes 1 -> 2. */
    put16(AVAIL_GPA + 4 + 2 * QSIZE, 1);
    offer(0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    virtq_push(&vq, chain.head, 0);
    CHECK(!virtq_should_interrupt(&vq));
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    virtq_push(&vq, chain.head, 0);
    CHECK(virtq_should_interrupt(&vq));
    /* avail_event tells the driver where we are; nothing more pending. */
    CHECK(!virtq_enable_notify(&vq));
    CHECK_EQ_INT(get16(USED_GPA + 4 + 8 * QSIZE), 2);
    offer(0);
    CHECK(virtq_enable_notify(&vq));
}

/* EVENT_IDX across the u16 wrap: used_event 0xffff asks for an interrupt
 * when used idx passes 0xffff -> 0, not before; avail_event written at
 * the wrap is 0, and a request the driver makes then is seen. */
static void test_event_idx_wraps(void)
{
    setup_with(1ull << VIRTIO_F_RING_EVENT_IDX);
    vq.last_avail_idx = 0xfffe;
    vq.used_idx = vq.used_at_last_irq = 0xfffe;
    put16(AVAIL_GPA + 2, 0xfffe);
    write_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
    put16(AVAIL_GPA + 4 + 2 * QSIZE, 0xffff); /* used_event */
    offer(0);
    offer(0);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    virtq_push(&vq, chain.head, 0); /* used idx 0xffff: not past 0xffff */
    CHECK(!virtq_should_interrupt(&vq));
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    virtq_push(&vq, chain.head, 0); /* used idx 0: passed it */
    CHECK_EQ_INT(get16(USED_GPA + 2), 0);
    CHECK(virtq_should_interrupt(&vq));
    CHECK(!virtq_enable_notify(&vq));
    CHECK_EQ_INT(get16(USED_GPA + 4 + 8 * QSIZE), 0); /* avail_event */
    offer(0);
    CHECK(virtq_enable_notify(&vq));
}

/* The SIGUSR2 line: what the driver made available against what was
 * taken, used, decided on, and both event indices; never past the buffer. */
static void test_state_format(void)
{
    char line[200];
    struct virtq idle;
    virtq_reset(&idle);
    CHECK_EQ_INT(virtq_state_format(&idle, line, sizeof(line)), 9);
    CHECK_EQ_STR(line, "not ready");
    setup_with(1ull << VIRTIO_F_RING_EVENT_IDX);
    write_desc(DESC_GPA, 0, DATA_GPA, 8, 0, 0);
    offer(0);
    offer(0);
    offer(0);
    put16(AVAIL_GPA + 4 + 2 * QSIZE, 1); /* used_event */
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    CHECK_EQ_INT(virtq_pop(&vq, &chain), 1);
    virtq_push(&vq, chain.head, 0);
    CHECK(!virtq_should_interrupt(&vq));
    CHECK(virtq_enable_notify(&vq)); /* the third is still there */
    virtq_state_format(&vq, line, sizeof(line));
    CHECK_EQ_STR(line, "avail 3, taken 2, used 1, decided at 1, avail flags 0, "
                       "used_event 1, avail_event 2");
    /* Without EVENT_IDX, the flags say whether the driver wants interrupts. */
    setup();
    put16(AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
    virtq_state_format(&vq, line, sizeof(line));
    CHECK_EQ_STR(line, "avail 0, taken 0, used 0, decided at 0, avail flags 0x1");
    vq.broken = true;
    int full = virtq_state_format(&vq, line, sizeof(line));
    CHECK(full > 20 && strncmp(line, "broken, avail 0", 15) == 0);
    char tiny[12];
    memset(tiny, 'x', sizeof(tiny));
    CHECK_EQ_INT(virtq_state_format(&vq, tiny, 8), full);
    CHECK_EQ_STR(tiny, "broken,");
    CHECK_EQ_INT(tiny[8], 'x');
}

static void test_iov_helpers(void)
{
    uint8_t a[3] = { 1, 2, 3 }, b[4] = { 4, 5, 6, 7 }, out[7] = { 0 };
    struct iovec iov[2] = { { a, 3 }, { b, 4 } }, slice[2];
    CHECK_EQ_INT(virtq_iov_read(iov, 2, 2, out, 7), 5);
    CHECK_EQ_INT(out[0], 3);
    CHECK_EQ_INT(out[4], 7);
    CHECK_EQ_INT(virtq_iov_slice(iov, 2, 1, 4, slice, 2), 2);
    CHECK(slice[0].iov_base == a + 1 && slice[0].iov_len == 2);
    CHECK(slice[1].iov_base == b && slice[1].iov_len == 2);
    CHECK_EQ_INT(virtq_iov_slice(iov, 2, 1, 7, slice, 2), -1); /* too long */
    CHECK_EQ_INT(virtq_iov_slice(iov, 2, 0, 7, slice, 1), -1); /* too many */
    uint8_t nine = 9;
    CHECK_EQ_INT(virtq_iov_write(iov, 2, 6, &nine, 1), 1);
    CHECK_EQ_INT(b[3], 9);
    CHECK_EQ_INT(virtq_iov_write(iov, 2, 7, &nine, 1), 0);
}

int main(void)
{
    ram = aligned_alloc(4096, RAM_SIZE);
    RUN(test_start_validates_layout);
    RUN(test_indices_start_at_zero);
    RUN(test_queue_in_pci_hole_refused);
    RUN(test_simple_chain);
    RUN(test_loop_detected);
    RUN(test_self_loop_detected);
    RUN(test_full_length_chain_accepted);
    RUN(test_next_out_of_range);
    RUN(test_head_out_of_range);
    RUN(test_buffer_outside_ram);
    RUN(test_address_plus_length_overflow);
    RUN(test_total_length_over_4g);
    RUN(test_zero_length_descriptor_skipped);
    RUN(test_readable_after_writable_refused);
    RUN(test_avail_idx_jump_refused);
    RUN(test_avail_idx_wraps);
    RUN(test_indirect_table);
    RUN(test_bad_indirect_tables);
    RUN(test_no_interrupt_flag);
    RUN(test_event_idx);
    RUN(test_event_idx_wraps);
    RUN(test_state_format);
    RUN(test_iov_helpers);
    free(ram);
    return check_summary("virtq");
}
