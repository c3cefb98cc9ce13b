/* Unit tests for virtio-blk on a temporary raw image: requests handed in
 * as chains, the read-only and range rules, and requests through the
 * whole path (ring, notify register, interrupt), both in flight through
 * io_uring and synchronously (where io_uring_setup fails, which a seccomp
 * filter in a child process makes it do). */
#include "check.h"
#include "../../hypervisor/vmm/block_image.h"
#include "../../hypervisor/vmm/virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#define DISK_SECTORS 64
#define RAM_SIZE (1u << 20)

static char image[] = "/tmp/corral-test-blk-XXXXXX";
static uint8_t *ram;
static struct guest_mem mem;
static struct bus bus;
static struct pci_bus pci;
static struct virtio_blk *blk;
static int irq_level;
static bool synchronous; /* the tests' pass without io_uring */
static unsigned nqueues = 1;

static void record_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; irq_level = level; }

struct request {
    struct virtio_blk_header_bytes { uint32_t type, reserved; uint64_t sector; } hdr;
    uint8_t data[4096];
    uint8_t status;
    struct virtq_chain chain;
};
static struct request req;

static void make_image(void)
{
    int fd = mkstemp(image);
    CHECK(fd >= 0);
    uint8_t sector[512];
    for (unsigned s = 0; s < DISK_SECTORS; s++) {
        memset(sector, (int)s, sizeof(sector));
        CHECK_EQ_INT(write(fd, sector, sizeof(sector)), 512);
    }
    close(fd);
}

static uint64_t fake_now = 7000000000ULL;
static uint64_t fake_clock(void) { return fake_now; }

static bool hold; /* interrupt moderation on the next disk */

static int open_disk_limited(bool readonly, const char *serial, uint64_t bps,
                             uint64_t iops)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = record_irq, .intx_gsi = { 5, 9, 10, 11 },
    };
    memset(ram, 0, RAM_SIZE);
    guest_mem_layout(&mem, ram, RAM_SIZE);
    bus_init(&bus);
    pci_bus_create(&pci, &bus, &platform);
    struct virtio_blk_options o = { .path = image, .readonly = readonly, .serial = serial,
                                    .bps = bps, .iops = iops, .clock_ns = fake_clock,
                                    .synchronous = synchronous, .queues = nqueues,
                                    .irq_hold = hold };
    return virtio_blk_create(&blk, &pci, &o);
}

static int open_disk(bool readonly, const char *serial)
{
    return open_disk_limited(readonly, serial, 0, 0);
}

static void close_disk(void)
{
    pci_bus_destroy(&pci);
    virtio_blk_destroy(blk);
    blk = NULL;
    bus_destroy(&bus);
}

/* header | data (readable for OUT, writable otherwise) | status */
static void build(uint32_t type, uint64_t sector, size_t data_len)
{
    memset(&req.chain, 0, sizeof(req.chain));
    req.hdr = (struct virtio_blk_header_bytes){ type, 0, sector };
    req.status = 0xEE;
    struct virtq_chain *c = &req.chain;
    c->seg[0] = (struct iovec){ &req.hdr, 16 };
    c->n_readable = 1;
    c->readable_len = 16;
    unsigned n = 1;
    if (data_len && type == VIRTIO_BLK_T_OUT) {
        c->seg[n++] = (struct iovec){ req.data, data_len };
        c->n_readable++;
        c->readable_len += (uint32_t)data_len;
    } else if (data_len) {
        c->seg[n++] = (struct iovec){ req.data, data_len };
        c->n_writable++;
        c->writable_len += (uint32_t)data_len;
    }
    c->seg[n] = (struct iovec){ &req.status, 1 };
    c->n_writable++;
    c->writable_len += 1;
}

static uint32_t run(void)
{
    uint32_t written = 0;
    CHECK_EQ_INT(virtio_blk_handle_request(blk, &req.chain, &written), 0);
    return written;
}

static uint8_t image_byte(uint64_t offset)
{
    uint8_t b = 0;
    FILE *f = fopen(image, "rb");
    fseek(f, (long)offset, SEEK_SET);
    CHECK_EQ_INT(fread(&b, 1, 1, f), 1);
    fclose(f);
    return b;
}

static void test_config_space(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    uint8_t cfg[0x24];
    blk->vdev.cfg.ops->config_read(&blk->vdev, 0, cfg, sizeof(cfg));
    uint64_t capacity;
    uint32_t size_max, seg_max, blk_size;
    memcpy(&capacity, cfg, 8);
    memcpy(&size_max, cfg + 8, 4);
    memcpy(&seg_max, cfg + 12, 4);
    memcpy(&blk_size, cfg + 20, 4);
    CHECK_EQ_INT(capacity, DISK_SECTORS);
    CHECK_EQ_INT(seg_max, VIRTIO_BLK_SEG_MAX);
    CHECK_EQ_INT(size_max, VIRTIO_BLK_SIZE_MAX);
    CHECK_EQ_INT(blk_size, 512);
    uint64_t f = blk->vdev.device_features;
    CHECK(f & 1ULL << VIRTIO_BLK_F_FLUSH);
    CHECK(f & 1ULL << VIRTIO_F_VERSION_1);
    CHECK(!(f & 1ULL << VIRTIO_BLK_F_RO));
    close_disk();
}

static void test_write_read_flush(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    build(VIRTIO_BLK_T_OUT, 3, 1024);
    for (unsigned i = 0; i < 1024; i++)
        req.data[i] = (uint8_t)(i * 7);
    CHECK_EQ_INT(run(), 1);
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(image_byte(3 * 512 + 5), 35);
    CHECK_EQ_INT(image_byte(5 * 512), 5); /* next sector untouched */

    build(VIRTIO_BLK_T_IN, 3, 1024);
    memset(req.data, 0, sizeof(req.data));
    CHECK_EQ_INT(run(), 1025);
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(req.data[1000], (uint8_t)(1000 * 7));

    build(VIRTIO_BLK_T_FLUSH, 0, 0);
    CHECK_EQ_INT(run(), 1);
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
    close_disk();
}

static void test_get_id(void)
{
    CHECK_EQ_INT(open_disk(false, "disk-serial-0123456789abc"), 0);
    build(VIRTIO_BLK_T_GET_ID, 0, 20);
    CHECK_EQ_INT(run(), 21);
    CHECK(memcmp(req.data, "disk-serial-01234567", 20) == 0); /* no NUL */
    build(VIRTIO_BLK_T_GET_ID, 0, 8); /* short buffer: truncated */
    memset(req.data, 0, sizeof(req.data));
    CHECK_EQ_INT(run(), 9);
    CHECK(memcmp(req.data, "disk-ser\0", 9) == 0);
    close_disk();
    /* Default serial: the image's base name. */
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    build(VIRTIO_BLK_T_GET_ID, 0, 20);
    run();
    CHECK(memcmp(req.data, "corral-test-blk-", 16) == 0);
    close_disk();
}

static void test_read_only_refuses_writes(void)
{
    CHECK_EQ_INT(open_disk(true, NULL), 0);
    CHECK(blk->vdev.device_features & 1ULL << VIRTIO_BLK_F_RO);
    build(VIRTIO_BLK_T_OUT, 10, 512);
    memset(req.data, 0x77, 512);
    CHECK_EQ_INT(run(), 1);
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    CHECK_EQ_INT(image_byte(10 * 512), 10);
    build(VIRTIO_BLK_T_IN, 10, 512);
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(req.data[0], 10);
    build(VIRTIO_BLK_T_FLUSH, 0, 0);
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
    close_disk();
}

static void test_out_of_range_and_bad_lengths(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    build(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 512); /* last sector: fine */
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
    build(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024); /* runs past the end */
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    build(VIRTIO_BLK_T_OUT, DISK_SECTORS, 512);
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    build(VIRTIO_BLK_T_OUT, UINT64_MAX, 512); /* sector * 512 would wrap */
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    build(VIRTIO_BLK_T_IN, 0, 100); /* not whole sectors */
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    build(99, 0, 512); /* no such request type */
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_UNSUPP);
    close_disk();
}

/* header | n ranges (readable) | status */
static void build_ranges(uint32_t type, const uint32_t (*ranges)[4], unsigned n)
{
    build(VIRTIO_BLK_T_OUT, 0, 16 * n);
    req.hdr.type = type;
    memcpy(req.data, ranges, 16 * n);
}

static void write_sectors(uint64_t sector, unsigned count, uint8_t fill)
{
    build(VIRTIO_BLK_T_OUT, sector, 512 * count);
    memset(req.data, fill, 512 * count);
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
}

static void test_discard_and_write_zeroes(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    CHECK(blk->vdev.device_features & 1ULL << VIRTIO_BLK_F_DISCARD);
    CHECK(blk->vdev.device_features & 1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
    write_sectors(16, 8, 0x55);
    /* {sector lo, sector hi, num_sectors, flags} */
    const uint32_t discard[2][4] = { { 16, 0, 8, 0 }, { 40, 0, 8, 0 } };
    build_ranges(VIRTIO_BLK_T_DISCARD, discard, 2);
    CHECK_EQ_INT(run(), 1);
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(image_byte(16 * 512 + 100), 0); /* punched: reads zero */
    CHECK_EQ_INT(image_byte(24 * 512), 24);      /* neighbour intact */

    write_sectors(30, 2, 0x66);
    const uint32_t zero[1][4] = { { 30, 0, 1, 0 } };
    build_ranges(VIRTIO_BLK_T_WRITE_ZEROES, zero, 1);
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(image_byte(30 * 512 + 511), 0);
    CHECK_EQ_INT(image_byte(31 * 512), 0x66);
    const uint32_t zero_unmap[1][4] = { { 31, 0, 1, VIRTIO_BLK_RANGE_F_UNMAP } };
    build_ranges(VIRTIO_BLK_T_WRITE_ZEROES, zero_unmap, 1);
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(image_byte(31 * 512), 0);
    close_disk();
}

static void test_bad_discard_requests(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    const uint32_t unmap[1][4] = { { 0, 0, 8, VIRTIO_BLK_RANGE_F_UNMAP } };
    build_ranges(VIRTIO_BLK_T_DISCARD, unmap, 1); /* unmap: not for discard */
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_UNSUPP);
    const uint32_t reserved[1][4] = { { 0, 0, 8, 0x80 } };
    build_ranges(VIRTIO_BLK_T_WRITE_ZEROES, reserved, 1);
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_UNSUPP);
    const uint32_t past_end[1][4] = { { DISK_SECTORS - 4, 0, 8, 0 } };
    build_ranges(VIRTIO_BLK_T_DISCARD, past_end, 1);
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    const uint32_t wraps[1][4] = { { 0xFFFFFFFF, 0xFFFFFFFF, 8, 0 } };
    build_ranges(VIRTIO_BLK_T_WRITE_ZEROES, wraps, 1);
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    const uint32_t two[2][4] = { { 0, 0, 1, 0 }, { 2, 0, 1, 0 } };
    build_ranges(VIRTIO_BLK_T_WRITE_ZEROES, two, 2); /* one range at most */
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    build(VIRTIO_BLK_T_DISCARD, 0, 0); /* no range at all */
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    build_ranges(VIRTIO_BLK_T_DISCARD, two, 1);
    req.chain.seg[1].iov_len = 12; /* not a whole range */
    req.chain.readable_len = 28;
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    close_disk();
    /* Read-only disks neither offer nor do it. */
    CHECK_EQ_INT(open_disk(true, NULL), 0);
    CHECK(!(blk->vdev.device_features & 1ULL << VIRTIO_BLK_F_DISCARD));
    const uint32_t one[1][4] = { { 8, 0, 8, 0 } };
    build_ranges(VIRTIO_BLK_T_DISCARD, one, 1);
    run();
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_IOERR);
    CHECK_EQ_INT(image_byte(9 * 512), 9);
    close_disk();
}

static void test_malformed_chains(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    uint32_t written;
    build(VIRTIO_BLK_T_IN, 0, 512);
    req.chain.seg[0].iov_len = 8; /* header cut short */
    req.chain.readable_len = 8;
    CHECK_EQ_INT(virtio_blk_handle_request(blk, &req.chain, &written), -EPROTO);
    build(VIRTIO_BLK_T_FLUSH, 0, 0);
    req.chain.n_writable = 0; /* no status byte */
    req.chain.writable_len = 0;
    CHECK_EQ_INT(virtio_blk_handle_request(blk, &req.chain, &written), -EPROTO);
    /* A header split over two segments is still a header. */
    build(VIRTIO_BLK_T_IN, 2, 512);
    struct virtq_chain *c = &req.chain;
    memmove(&c->seg[1], &c->seg[0], sizeof(c->seg[0]) * 3);
    c->seg[0] = (struct iovec){ &req.hdr, 5 };
    c->seg[1] = (struct iovec){ (uint8_t *)&req.hdr + 5, 11 };
    c->n_readable = 2;
    CHECK_EQ_INT(virtio_blk_handle_request(blk, c, &written), 0);
    CHECK_EQ_INT(req.status, VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(req.data[0], 2);
    close_disk();
}

static void test_open_errors_and_lock(void)
{
    struct virtio_blk *other;
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    struct virtio_blk_options o = { .path = image };
    CHECK_EQ_INT(virtio_blk_create(&other, &pci, &o), -EBUSY);
    o.path = "/nonexistent/corral.img";
    CHECK_EQ_INT(virtio_blk_create(&other, &pci, &o), -ENOENT);
    o.path = "/tmp";
    CHECK(virtio_blk_create(&other, &pci, &o) < 0);
    close_disk();
}

static void put(uint64_t gpa, const void *p, size_t n) { memcpy(ram + gpa, p, n); }

static void common_write(uint64_t bar, uint32_t reg, uint64_t v, uint32_t len)
{
    bus_dispatch(&bus, BUS_MMIO, bar + reg, (uint8_t *)&v, len, true);
}

/* Feature negotiation (VERSION_1 and the features of low, bits 0-31) and
 * one 64-entry queue: descriptors at 0x1000, avail at 0x2000, used at
 * 0x3000.  Returns BAR 0's address. */
static uint64_t start_queue_with(uint32_t low)
{
    uint64_t bar = blk->vdev.pci.bars[0].mapped_base;
    common_write(bar, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
    common_write(bar, VIRTIO_PCI_COMMON_GF, low, 4);
    common_write(bar, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
    common_write(bar, VIRTIO_PCI_COMMON_GF, 1, 4); /* VERSION_1 */
    common_write(bar, VIRTIO_PCI_COMMON_STATUS, 1 | 2 | 8, 1);
    common_write(bar, VIRTIO_PCI_COMMON_Q_SIZE, 64, 2);
    common_write(bar, VIRTIO_PCI_COMMON_Q_DESC, 0x1000, 8);
    common_write(bar, VIRTIO_PCI_COMMON_Q_DRIVER, 0x2000, 8);
    common_write(bar, VIRTIO_PCI_COMMON_Q_DEVICE, 0x3000, 8);
    common_write(bar, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
    common_write(bar, VIRTIO_PCI_COMMON_STATUS, 1 | 2 | 8 | 4, 1);
    return bar;
}

static uint64_t start_queue(void)
{
    return start_queue_with(0);
}

/* Request i (0..20) reads data_len bytes of sector into 0x9000 + i * 0x1000,
 * its status byte at 0x8800 + i; it is made available as avail entry i. */
static void queue_read(unsigned i, uint64_t sector, uint32_t data_len)
{
    uint32_t hdr[4] = { VIRTIO_BLK_T_IN, 0, (uint32_t)sector, 0 };
    put(0x8000 + i * 16, hdr, 16);
    uint16_t d0 = (uint16_t)(3 * i);
    struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d[3] = {
        { 0x8000 + i * 16, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(d0 + 1) },
        { 0x9000 + i * 0x1000, data_len, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
          (uint16_t)(d0 + 2) },
        { 0x8800 + i, 1, VIRTQ_DESC_F_WRITE, 0 },
    };
    put(0x1000 + d0 * 16, d, sizeof(d));
    ram[0x8800 + i] = 0xEE;
    put(0x2004 + i * 2, &d0, 2);
    uint16_t idx = (uint16_t)(i + 1);
    put(0x2002, &idx, 2);
}

static uint16_t used_idx(void)
{
    uint16_t idx;
    memcpy(&idx, ram + 0x3002, 2);
    return idx;
}

/* Everything in flight completed, as the disk's I/O thread would see it. */
static void settle(void)
{
    while (blk->ring_active && blk->ring.in_flight > 0)
        virtio_blk_requests_done(blk, true);
}

static void kick(uint64_t bar)
{
    common_write(bar, VIRTIO_PCI_NOTIFY_OFFSET, 0, 2);
    settle();
}

static void expire(void)
{
    virtio_blk_limit_expired(blk);
    settle();
}

/* A read request through the ring: descriptors, avail, notify, used. */
static void test_request_through_ring(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    uint64_t bar = start_queue();
    queue_read(0, 7, 512);
    kick(bar);
    CHECK_EQ_INT(ram[0x9000], 7);
    CHECK_EQ_INT(ram[0x8800], VIRTIO_BLK_S_OK);
    uint32_t used_len;
    memcpy(&used_len, ram + 0x3008, 4);
    CHECK_EQ_INT(used_idx(), 1);
    CHECK_EQ_INT(used_len, 513);
    CHECK_EQ_INT(irq_level, 1);
    CHECK_EQ_INT(rate_limit_fd(&blk->limit), -1); /* unlimited: no timer */
    close_disk();
}

/* iops = 2: two requests go at once, the third waits for its token and
 * the timer, kicks meanwhile do not let it (or the fourth) pass. */
static void test_iops_limit_holds_requests(void)
{
    CHECK_EQ_INT(open_disk_limited(false, NULL, 0, 2), 0);
    CHECK(rate_limit_fd(&blk->limit) >= 0);
    uint64_t bar = start_queue();
    for (unsigned i = 0; i < 4; i++)
        queue_read(i, 10 + i, 512);
    kick(bar);
    CHECK_EQ_INT(used_idx(), 2);
    CHECK_EQ_INT(ram[0x9000 + 0x1000], 11);
    CHECK_EQ_INT(ram[0x8802], 0xEE); /* not served, not failed */
    CHECK(blk->queues[0].held);
    fake_now += 400000000; /* 0.4 s: not yet a token */
    kick(bar);
    CHECK_EQ_INT(used_idx(), 2);
    fake_now += 100000000; /* 0.5 s: one token */
    expire();
    CHECK_EQ_INT(used_idx(), 3);
    CHECK_EQ_INT(ram[0x8802], VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(ram[0x9000 + 0x2000], 12);
    uint32_t head;
    memcpy(&head, ram + 0x3004 + 2 * 8, 4);
    CHECK_EQ_INT(head, 6); /* in order: the third chain */
    fake_now += 500000000;
    expire();
    CHECK_EQ_INT(used_idx(), 4);
    CHECK(!blk->queues[0].held);
    close_disk();
}

/* bps = 1024: a 2048-byte read passes on the full bucket and leaves a
 * second of debt; the next waits for it.  A reset drops the held one. */
static void test_bps_limit_and_reset(void)
{
    CHECK_EQ_INT(open_disk_limited(false, NULL, 1024, 0), 0);
    uint64_t bar = start_queue();
    queue_read(0, 1, 2048);
    queue_read(1, 2, 512);
    kick(bar);
    CHECK_EQ_INT(used_idx(), 1);
    fake_now += 1000000000;
    expire();
    CHECK_EQ_INT(used_idx(), 1); /* the debt is paid, 512 more needed */
    fake_now += 500000000;
    expire();
    CHECK_EQ_INT(used_idx(), 2);
    queue_read(2, 3, 2048);
    kick(bar);
    CHECK(blk->queues[0].held);
    common_write(bar, VIRTIO_PCI_COMMON_STATUS, 0, 1); /* reset */
    CHECK(!blk->queues[0].held);
    fake_now += 10000000000ULL;
    expire(); /* after a reset: nothing to do */
    CHECK_EQ_INT(ram[0x8802], 0xEE);
    close_disk();
}

/* Request i (0..15) writes one sector of byte value v at sector 20 + i from
 * 0x9000 + i * 0x1000, as avail entry i; a flush instead when v < 0. */
static void queue_write_or_flush(unsigned i, int v)
{
    uint32_t type = v < 0 ? VIRTIO_BLK_T_FLUSH : VIRTIO_BLK_T_OUT;
    uint32_t hdr[4] = { type, 0, 20 + i, 0 };
    put(0x8000 + i * 16, hdr, 16);
    uint16_t d0 = (uint16_t)(3 * i);
    memset(ram + 0x9000 + i * 0x1000, v, 512);
    struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d[3] = {
        { 0x8000 + i * 16, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(d0 + 1) },
        { 0x9000 + i * 0x1000, 512, VIRTQ_DESC_F_NEXT, (uint16_t)(d0 + 2) },
        { 0x8800 + i, 1, VIRTQ_DESC_F_WRITE, 0 },
    };
    if (v < 0)
        d[0].next = (uint16_t)(d0 + 2); /* no data */
    put(0x1000 + d0 * 16, d, sizeof(d));
    ram[0x8800 + i] = 0xEE;
    put(0x2004 + i * 2, &d0, 2);
    uint16_t idx = (uint16_t)(i + 1);
    put(0x2002, &idx, 2);
}

static uint16_t used_head(unsigned n)
{
    uint32_t head;
    memcpy(&head, ram + 0x3004 + n * 8, 4);
    return (uint16_t)head;
}

/* Sixteen reads of adjacent sectors go in flight with one kick (none
 * reaped before the I/O thread looks), joined into one read of the ring
 * (block_merge.h), then all complete with the right data. */
static void test_requests_in_flight_together(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    CHECK(blk->ring_active);
    uint64_t bar = start_queue();
    for (unsigned i = 0; i < 16; i++) {
        uint8_t mark = (uint8_t)(0xC0 + i);
        int fd = open(image, O_WRONLY);
        CHECK_EQ_INT(pwrite(fd, &mark, 1, (30 + i) * 512 + 511), 1);
        close(fd);
        queue_read(i, 30 + i, 512);
    }
    common_write(bar, VIRTIO_PCI_NOTIFY_OFFSET, 0, 2);
    CHECK_EQ_INT(blk->ring.in_flight, 1);
    CHECK_EQ_INT(blk->queues[0].in_flight, 16);
    CHECK_EQ_INT(blk->stats.joined, 15);
    CHECK_EQ_INT(used_idx(), 0);
    settle();
    CHECK_EQ_INT(used_idx(), 16);
    CHECK_EQ_INT(blk->queues[0].in_flight, 0);
    CHECK_EQ_INT(blk->stats.redone, 0);
    for (unsigned i = 0; i < 16; i++) {
        CHECK_EQ_INT(ram[0x8800 + i], VIRTIO_BLK_S_OK);
        CHECK_EQ_INT(ram[0x9000 + i * 0x1000 + 511], 0xC0 + i);
        CHECK_EQ_INT(ram[0x8800 + i], VIRTIO_BLK_S_OK);
    }
    CHECK_EQ_INT(irq_level, 1);
    close_disk();
}

/* Writes, then a flush, in flight together: the flush completes last
 * (it waits for everything before it), and the writes are in the image. */
static void test_flush_completes_after_earlier_writes(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    uint64_t bar = start_queue();
    for (unsigned i = 0; i < 5; i++)
        queue_write_or_flush(i, 0x60 + (int)i);
    queue_write_or_flush(5, -1);
    kick(bar);
    CHECK_EQ_INT(used_idx(), 6);
    CHECK_EQ_INT(used_head(5), 15); /* the flush's chain, last */
    for (unsigned i = 0; i < 6; i++)
        CHECK_EQ_INT(ram[0x8800 + i], VIRTIO_BLK_S_OK);
    for (unsigned i = 0; i < 5; i++)
        CHECK_EQ_INT(image_byte((20 + i) * 512 + 100), 0x60 + i);
    close_disk();
}

/* Request i (0..20) as queue_read, of sector, but writing when is_write
 * (its data: 512 bytes of v) or a flush when v < 0. */
static void queue_request(unsigned i, uint64_t sector, bool is_write, int v)
{
    if (!is_write) {
        queue_read(i, sector, 512);
        return;
    }
    queue_write_or_flush(i, v);
    uint32_t hdr[4] = { v < 0 ? VIRTIO_BLK_T_FLUSH : VIRTIO_BLK_T_OUT, 0, (uint32_t)sector, 0 };
    put(0x8000 + i * 16, hdr, 16);
}

/* Every byte of sector in the image becomes v (behind the device's back:
 * earlier tests discard and write). */
static void fill_sector(uint64_t sector, uint8_t v)
{
    uint8_t data[512];
    memset(data, v, sizeof(data));
    int fd = open(image, O_WRONLY);
    CHECK_EQ_INT(pwrite(fd, data, sizeof(data), (off_t)(sector * 512)), 512);
    close(fd);
}

/* What joins (block_merge.h): reads of sectors 46 and 47 go as one; the
 * write to 48 after them, the read of 49, the read of 1 (not adjacent)
 * each start a run of their own; a flush ends the writes 60-61 before it,
 * and the write to 62 after it starts again.  Every request completes
 * with its own data and status, in one kick's pass.  (Sectors no other
 * test reads or writes after it.) */
static void test_only_adjacent_requests_join(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    CHECK(blk->ring_active);
    uint64_t bar = start_queue();
    for (uint64_t sector = 46; sector < 50; sector++)
        fill_sector(sector, (uint8_t)sector);
    fill_sector(1, 1);
    fill_sector(63, 63);
    const struct { uint64_t sector; bool is_write; int v; } reqs[] = {
        { 46, false, 0 }, { 47, false, 0 }, { 48, true, 0x31 }, { 49, false, 0 },
        { 1, false, 0 }, { 60, true, 0x32 }, { 61, true, 0x33 }, { 0, true, -1 },
        { 62, true, 0x34 },
    };
    for (unsigned i = 0; i < 9; i++)
        queue_request(i, reqs[i].sector, reqs[i].is_write, reqs[i].v);
    common_write(bar, VIRTIO_PCI_NOTIFY_OFFSET, 0, 2);
    /* [46 47] [w48] [49] [1] [w60 w61] flush [w62] */
    CHECK_EQ_INT(blk->ring.in_flight, 7);
    CHECK_EQ_INT(blk->stats.joined, 2);
    settle();
    CHECK_EQ_INT(used_idx(), 9);
    for (unsigned i = 0; i < 9; i++)
        CHECK_EQ_INT(ram[0x8800 + i], VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(ram[0x9000], 46);
    CHECK_EQ_INT(ram[0x9000 + 1 * 0x1000 + 511], 47);
    CHECK_EQ_INT(ram[0x9000 + 3 * 0x1000], 49);
    CHECK_EQ_INT(ram[0x9000 + 4 * 0x1000 + 511], 1);
    CHECK_EQ_INT(image_byte(48 * 512 + 7), 0x31);
    CHECK_EQ_INT(image_byte(60 * 512), 0x32);
    CHECK_EQ_INT(image_byte(61 * 512 + 511), 0x33);
    CHECK_EQ_INT(image_byte(62 * 512), 0x34);
    CHECK_EQ_INT(image_byte(63 * 512), 63);
    CHECK_EQ_INT(blk->stats.redone, 0);
    close_disk();
}

/* Two adjacent reads joined, one with a buffer O_DIRECT cannot take (an
 * odd address): where the joined read fails, each is done again on its
 * own, with its own data. */
static void test_joined_requests_done_again_alone(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    uint64_t bar = start_queue();
    fill_sector(4, 0x44);
    fill_sector(5, 0x55);
    queue_read(0, 4, 512);
    queue_read(1, 5, 512);
    uint64_t odd = 0xA003;
    put(0x1000 + 4 * 16, &odd, 8); /* request 1's data descriptor */
    kick(bar);
    CHECK_EQ_INT(used_idx(), 2);
    CHECK_EQ_INT(blk->stats.joined, 1);
    CHECK_EQ_INT(ram[0x8800], VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(ram[0x8801], VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(ram[0x9000], 0x44);
    CHECK_EQ_INT(ram[0x9000 + 511], 0x44);
    CHECK_EQ_INT(ram[0xA003], 0x55);
    CHECK_EQ_INT(ram[0xA003 + 511], 0x55);
    /* O_DIRECT refuses the joined read, and each is done again */
    CHECK_EQ_INT(blk->stats.redone, blk->direct ? 2 : 0);
    close_disk();
}

/* A reset while requests are in flight: their completions are dropped,
 * nothing is pushed to the (new) ring. */
static void test_reset_drops_requests_in_flight(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    uint64_t bar = start_queue();
    for (unsigned i = 0; i < 4; i++)
        queue_read(i, 40 + i, 512);
    common_write(bar, VIRTIO_PCI_NOTIFY_OFFSET, 0, 2);
    common_write(bar, VIRTIO_PCI_COMMON_STATUS, 0, 1); /* reset */
    settle();
    CHECK_EQ_INT(used_idx(), 0);
    CHECK_EQ_INT(ram[0x8800], 0xEE);
    close_disk();
}

/* A guest buffer O_DIRECT cannot take (an odd address): the ring refuses
 * it, the request is done again through the bounce buffer. */
static void test_unaligned_guest_buffer(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    uint64_t bar = start_queue();
    queue_read(0, 9, 512);
    uint64_t odd = 0x9003;
    put(0x1000 + 16, &odd, 8); /* descriptor 1's address */
    kick(bar);
    CHECK_EQ_INT(used_idx(), 1);
    CHECK_EQ_INT(ram[0x8800], VIRTIO_BLK_S_OK);
    CHECK_EQ_INT(ram[0x9003], 9);
    CHECK_EQ_INT(ram[0x9003 + 511], 9);
    CHECK(blk->direct == block_image_is_direct(blk->fd)); /* bounced, not given up */
    close_disk();
}

/* The 64-entry queue's event indices (EVENT_IDX): used_event after the
 * avail ring, avail_event after the used ring. */
#define USED_EVENT_GPA (0x2000 + 4 + 2 * 64)
#define AVAIL_EVENT_GPA (0x3000 + 4 + 8 * 64)

static uint16_t avail_event(void)
{
    uint16_t v;
    memcpy(&v, ram + AVAIL_EVENT_GPA, 2);
    return v;
}

/* Notifications while busy: with EVENT_IDX, avail_event stays behind while
 * requests are in flight (the driver need not kick), a request made then
 * is taken when a completion comes, and once nothing is in flight
 * avail_event asks for the next kick.  The statistics count one kick. */
static void test_no_kicks_needed_while_requests_in_flight(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    CHECK(blk->ring_active);
    uint64_t bar = start_queue_with(1u << VIRTIO_F_RING_EVENT_IDX);
    uint16_t zero = 0, sentinel = 0x7777;
    put(USED_EVENT_GPA, &zero, 2); /* an interrupt for the first completion */
    put(AVAIL_EVENT_GPA, &sentinel, 2);
    for (unsigned i = 0; i < 4; i++)
        queue_read(i, 50 + i, 512);
    common_write(bar, VIRTIO_PCI_NOTIFY_OFFSET, 0, 2);
    CHECK_EQ_INT(blk->queues[0].in_flight, 4);
    CHECK_EQ_INT(avail_event(), 0x7777); /* not asked for: 4 in flight */
    char state[512];
    virtio_blk_state_format(blk, state, sizeof(state));
    CHECK(strstr(state, "q0: in flight 4, avail 4, taken 4, used 0, ") == state);
    /* four reads of adjacent sectors: one read on the ring */
    CHECK(strstr(state, "avail_event 30583, INTx, ISR 0x0; ring: in flight 1") != NULL);
    queue_read(4, 54, 512); /* no kick: a completion finds it */
    virtio_blk_requests_done(blk, true);
    CHECK(blk->ring.in_flight > 0 || used_idx() == 5);
    settle();
    CHECK_EQ_INT(used_idx(), 5);
    for (unsigned i = 0; i < 5; i++) {
        CHECK_EQ_INT(ram[0x8800 + i], VIRTIO_BLK_S_OK);
        CHECK_EQ_INT(ram[0x9000 + i * 0x1000], 50 + i);
    }
    CHECK_EQ_INT(blk->queues[0].in_flight, 0);
    CHECK_EQ_INT(avail_event(), 5); /* idle: the next request kicks */
    virtio_blk_state_format(blk, state, sizeof(state));
    CHECK(strstr(state, "q0: in flight 0, avail 5, taken 5, used 5, ") == state);
    CHECK(strstr(state, "avail_event 5, INTx, ISR 0x") != NULL);
    CHECK(strstr(state, "; ring: in flight 0") != NULL);
    CHECK_EQ_INT(virtio_blk_state_format(blk, state, 16), 15); /* cut, terminated */
    CHECK_EQ_STR(state, "q0: in flight 0");
    char line[512];
    virtio_blk_stats_format(blk, line, sizeof(line));
    CHECK(strstr(line, "requests 5, kicks 1 (0.20 per request)") != NULL);
    CHECK(strstr(line, "synchronous 0, redone 0, flushes 0") != NULL);
    close_disk();
}

/* One read (of sector 50 + i % 10, which no test writes), kicked and
 * completed; returns whether the guest was interrupted for it. */
static bool read_interrupted(uint64_t bar, unsigned i)
{
    uint64_t before = blk->stats.interrupts;
    queue_read(i, 50 + i % 10, 512);
    kick(bar);
    return blk->stats.interrupts == before + 1;
}

/* The hold's next tick comes now (the disk's I/O thread would see its
 * timer). */
static void tick_hold(void)
{
    const struct itimerspec now = { .it_value = { .tv_nsec = 1 } };
    CHECK_EQ_INT(timerfd_settime(blk->hold_timer_fd, 0, &now, NULL), 0);
    struct pollfd p = { .fd = blk->hold_timer_fd, .events = POLLIN };
    CHECK_EQ_INT(poll(&p, 1, 1000), 1);
    virtio_blk_hold_expired(blk);
}

/* The hold's ticks until it ends (all of a probe's, the backstop of a
 * hold while moderating: no vCPU is known to be halted); returns whether
 * the guest was interrupted then, and only then. */
static bool end_hold(void)
{
    uint64_t before = blk->stats.interrupts;
    unsigned ticks = 0, expect = blk->hold.probing ? IRQ_HOLD_TICKS : 1;
    while (irq_hold_running(&blk->hold) && ticks < 2 * IRQ_HOLD_TICKS) {
        CHECK_EQ_INT(blk->stats.interrupts, before);
        tick_hold();
        ticks++;
    }
    CHECK_EQ_INT(ticks, expect);
    return blk->stats.interrupts == before + 1;
}

/* A disk with interrupt moderation whose first IRQ_HOLD_PROBE_MIN reads
 * were each signalled as they completed (the next completion is the
 * probe's); returns the queue's BAR. */
static uint64_t open_disk_until_probe(void)
{
    hold = true; /* the fake clock stands still: the window is the minimum,
                  * and only end_hold() looks at the timer */
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    hold = false;
    uint64_t bar = start_queue();
    for (unsigned i = 0; i < IRQ_HOLD_PROBE_MIN; i++)
        CHECK(read_interrupted(bar, i));
    return bar;
}

/* Interrupt moderation (irq_hold.h) through the device: completions are
 * sent at once until a probe holds one; a request the guest makes during
 * the hold (without a kick) is taken when it ends, with the interrupt, and
 * keeps moderation on; a hold the guest sat out turns it off. */
static void test_interrupt_hold(void)
{
    uint64_t bar = open_disk_until_probe();
    CHECK(blk->hold_timer_fd >= 0);
    CHECK(!read_interrupted(bar, 4)); /* the probe holds it */
    CHECK_EQ_INT(used_idx(), 5);      /* returned, not yet told */
    CHECK_EQ_INT(ram[0x8804], VIRTIO_BLK_S_OK);
    queue_read(5, 55, 512); /* the guest goes on, no kick */
    CHECK(end_hold());
    CHECK_EQ_INT(blk->hold.kept_on, 1);
    uint64_t sent = blk->stats.interrupts;
    settle(); /* request 5 completes: held again, moderation is on */
    CHECK_EQ_INT(used_idx(), 6);
    CHECK_EQ_INT(ram[0x9000 + 5 * 0x1000], 55);
    CHECK_EQ_INT(blk->stats.interrupts, sent);
    CHECK_EQ_INT(blk->hold.holds, 2);
    CHECK(end_hold()); /* nothing new: sent, moderation off */
    CHECK_EQ_INT(blk->hold.kept_on, 1);
    CHECK(read_interrupted(bar, 6));
    char line[512];
    virtio_blk_stats_format(blk, line, sizeof(line));
    CHECK(strstr(line, "interrupt holds 2 (guest went on in 1, cut short in 0, halted at 0)") != NULL);
    /* A reset during a hold disarms it. */
    for (unsigned i = 7; i < 7 + 2 * IRQ_HOLD_PROBE_MIN && !irq_hold_running(&blk->hold); i++)
        read_interrupted(bar, i);
    CHECK(irq_hold_running(&blk->hold));
    common_write(bar, VIRTIO_PCI_COMMON_STATUS, 0, 1);
    CHECK(!irq_hold_running(&blk->hold));
    struct pollfd p = { .fd = blk->hold_timer_fd, .events = POLLIN };
    CHECK_EQ_INT(poll(&p, 1, 0), 0);
    close_disk();
}

/* Where a ring request's time goes (-v's last figures): from taken off the
 * queue to completed, and from completed to signalled, which a hold
 * (moderation) makes more than nothing. */
static void test_time_in_flight_and_held(void)
{
    uint64_t bar = open_disk_until_probe();
    CHECK_EQ_INT(blk->stats.held_ns, 0); /* each signalled as it completed */
    CHECK_EQ_INT(blk->stats.in_flight_ns, 0); /* the clock stood still */
    queue_read(IRQ_HOLD_PROBE_MIN, 54, 512);
    common_write(bar, VIRTIO_PCI_NOTIFY_OFFSET, 0, 2); /* taken now */
    fake_now += 3000000; /* completed 3 ms later... */
    settle();
    CHECK(irq_hold_running(&blk->hold)); /* ...and held by the probe */
    CHECK_EQ_INT(blk->stats.in_flight_ns, 3000000);
    fake_now += 2000000;
    CHECK(end_hold()); /* signalled 2 ms after it completed */
    CHECK_EQ_INT(blk->stats.held_ns, 2000000);
    char line[768];
    virtio_blk_stats_format(blk, line, sizeof(line));
    CHECK(strstr(line, "; per ring request: in flight 600 us, completion held 400 us") != NULL);
    close_disk();
}

/* A completion after a running hold's window ends the hold there, without
 * its timer: sent with what was held, the timer disarmed. */
static void test_completion_ends_the_hold(void)
{
    uint64_t bar = open_disk_until_probe();
    CHECK(!read_interrupted(bar, 4)); /* the probe holds it */
    queue_read(5, 55, 512);
    CHECK(end_hold()); /* 5 taken meanwhile: moderating */
    settle(); /* 5 completes within the window (the clock stands still) */
    CHECK(irq_hold_running(&blk->hold));
    CHECK(!blk->hold.probing);
    CHECK_EQ_INT(used_idx(), 6);
    fake_now += irq_hold_window_ns(&blk->hold);
    CHECK(read_interrupted(bar, 6)); /* completes after it: the hold ends */
    CHECK(!irq_hold_running(&blk->hold));
    CHECK_EQ_INT(used_idx(), 7);
    CHECK_EQ_INT(blk->hold.kept_on, 2);
    struct pollfd p = { .fd = blk->hold_timer_fd, .events = POLLIN };
    CHECK_EQ_INT(poll(&p, 1, 0), 0);
    close_disk();
}

/* A fake vCPU whose KVM "blocking" value is the 8 bytes at the start of a
 * temporary file. */
static void set_blocking(int fd, uint64_t v)
{
    CHECK_EQ_INT(pwrite(fd, &v, sizeof(v), 0), (ssize_t)sizeof(v));
}

/* While every vCPU is halted the guest waits for its completions: they go
 * at once, even when a probe is due; once a vCPU runs, the probe holds. */
static void test_no_hold_while_guest_halted(void)
{
    char path[] = "/tmp/corral-test-vcpu-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    struct kvm_stats stats = { .fd = fd };
    for (int k = 0; k < KVM_STAT_COUNT; k++)
        stats.pos[k] = -1;
    stats.pos[KVM_STAT_BLOCKING] = 0;
    struct guest_vcpus vcpus = { .stats = { &stats }, .n = 1 };
    set_blocking(fd, 1);
    CHECK(guest_vcpus_all_halted(&vcpus));
    hold = true;
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    hold = false;
    blk->vcpus = &vcpus;
    uint64_t bar = start_queue();
    for (unsigned i = 0; i < 3 * IRQ_HOLD_PROBE_MIN; i++)
        CHECK(read_interrupted(bar, i));
    CHECK_EQ_INT(blk->sent_to_halted, 3 * IRQ_HOLD_PROBE_MIN);
    CHECK_EQ_INT(blk->hold.holds, 0);
    set_blocking(fd, 0);
    CHECK(!guest_vcpus_all_halted(&vcpus));
    unsigned sent = 0;
    while (sent <= IRQ_HOLD_PROBE_MIN && read_interrupted(bar, 12 + sent))
        sent++;
    CHECK_EQ_INT(sent, IRQ_HOLD_PROBE_MIN);
    CHECK(irq_hold_running(&blk->hold));
    /* The guest halts during the hold: the next tick ends it. */
    uint64_t before = blk->stats.interrupts;
    tick_hold();
    CHECK(irq_hold_running(&blk->hold));
    set_blocking(fd, 1);
    tick_hold();
    CHECK(!irq_hold_running(&blk->hold));
    CHECK_EQ_INT(blk->stats.interrupts, before + 1);
    close_disk();
    close(fd);
}

/* With no ring (every request done before the guest can make another)
 * nothing is held. */
static void test_no_hold_without_ring(void)
{
    hold = true;
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    hold = false;
    CHECK_EQ_INT(blk->hold_timer_fd, -1);
    uint64_t bar = start_queue();
    for (unsigned i = 0; i < 3 * IRQ_HOLD_PROBE_MIN; i++)
        CHECK(read_interrupted(bar, i));
    close_disk();
}

/* Without EVENT_IDX the driver kicks anyway; requests still complete and
 * the statistics see every request served synchronously when there is no
 * ring. */
static void test_statistics_count_synchronous_requests(void)
{
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    uint64_t bar = start_queue();
    queue_read(0, 3, 512);
    kick(bar);
    queue_read(1, 4, 512);
    kick(bar);
    CHECK_EQ_INT(used_idx(), 2);
    CHECK_EQ_INT(blk->stats.requests, 2);
    CHECK_EQ_INT(blk->stats.synchronous, synchronous ? 2 : 0);
    CHECK_EQ_INT(blk->stats.notifies - blk->stats.rechecks, 2);
    close_disk();
}

/* Several queues: the count in the configuration, VIRTIO_BLK_F_MQ, one
 * MSI-X vector per queue and one for the configuration. */
static void test_multiple_queues(void)
{
    nqueues = 4;
    CHECK_EQ_INT(open_disk(false, NULL), 0);
    nqueues = 1;
    uint16_t n = 0;
    blk->vdev.cfg.ops->config_read(&blk->vdev, 0x22, (uint8_t *)&n, 2);
    CHECK_EQ_INT(n, 4);
    CHECK(blk->vdev.device_features & 1ULL << VIRTIO_BLK_F_MQ);
    CHECK_EQ_INT(blk->vdev.cfg.num_queues, 4);
    close_disk();
    struct virtio_blk_options o = { .path = image, .queues = VIRTIO_BLK_MAX_QUEUES + 1 };
    struct virtio_blk *other;
    CHECK_EQ_INT(virtio_blk_create(&other, &pci, &o), -EINVAL);
}

/* In a child whose io_uring_setup fails with ENOSYS (a seccomp filter, as
 * a kernel without io_uring would): the disk serves synchronously. */
static int child_without_io_uring(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { 4, f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
        return 2;
    if (open_disk(false, NULL) != 0 || blk->ring_active)
        return 3;
    uint64_t bar = start_queue();
    queue_read(0, 12, 512);
    common_write(bar, VIRTIO_PCI_NOTIFY_OFFSET, 0, 2);
    int ok = used_idx() == 1 && ram[0x8800] == VIRTIO_BLK_S_OK && ram[0x9000] == 12;
    close_disk();
    return ok ? 0 : 4;
}

static void test_no_io_uring_falls_back_to_synchronous(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(child_without_io_uring());
    int status = -1;
    CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

int main(void)
{
    ram = aligned_alloc(4096, RAM_SIZE);
    make_image();
    RUN(test_config_space);
    RUN(test_write_read_flush);
    RUN(test_get_id);
    RUN(test_read_only_refuses_writes);
    RUN(test_out_of_range_and_bad_lengths);
    RUN(test_malformed_chains);
    RUN(test_discard_and_write_zeroes);
    RUN(test_bad_discard_requests);
    RUN(test_open_errors_and_lock);
    RUN(test_request_through_ring);
    RUN(test_iops_limit_holds_requests);
    RUN(test_bps_limit_and_reset);
    RUN(test_requests_in_flight_together);
    RUN(test_only_adjacent_requests_join);
    RUN(test_joined_requests_done_again_alone);
    RUN(test_flush_completes_after_earlier_writes);
    RUN(test_reset_drops_requests_in_flight);
    RUN(test_unaligned_guest_buffer);
    RUN(test_multiple_queues);
    RUN(test_no_kicks_needed_while_requests_in_flight);
    RUN(test_statistics_count_synchronous_requests);
    RUN(test_interrupt_hold);
    RUN(test_time_in_flight_and_held);
    RUN(test_completion_ends_the_hold);
    RUN(test_no_hold_while_guest_halted);
    RUN(test_no_io_uring_falls_back_to_synchronous);
    /* The queue's own tests again without io_uring. */
    synchronous = true;
    RUN(test_request_through_ring);
    RUN(test_iops_limit_holds_requests);
    RUN(test_bps_limit_and_reset);
    RUN(test_flush_completes_after_earlier_writes);
    RUN(test_unaligned_guest_buffer);
    RUN(test_statistics_count_synchronous_requests);
    RUN(test_no_hold_without_ring);
    unlink(image);
    free(ram);
    return check_summary("virtio_blk");
}
