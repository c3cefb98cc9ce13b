/* Unit tests for virtio-net: the vnet header with hostile lengths on the
 * transmit and receive paths, and the bps/pps rate limits each way.  The
 * "tap" is a datagram socket pair: one frame per datagram, like a tap. */
#include "check.h"
#include "../../hypervisor/vmm/virtio_net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define RAM_SIZE (1u << 20)
#define HDR VIRTIO_NET_HDR_LEN
#define RXQ_DESC 0x1000
#define RXQ_AVAIL 0x2000
#define RXQ_USED 0x3000
#define TXQ_DESC 0x4000
#define TXQ_AVAIL 0x5000
#define TXQ_USED 0x6000
#define BUF 0x10000 /* guest buffers from here */

static uint8_t *ram;
static uint64_t ram_size = RAM_SIZE; /* the rings and buffers: first RAM_SIZE */
static struct guest_mem mem;
static struct bus bus;
static struct pci_bus pci;
static struct virtio_net *net;
static int peer_fd;
static int polling = -1; /* last rx_poll call */
static uint64_t fake_now = 3000000000ULL;
static uint64_t fake_clock(void) { return fake_now; }
static uint8_t pool[HDR + VIRTIO_NET_MAX_FRAME + 64];
static uint8_t got[HDR + VIRTIO_NET_MAX_FRAME + 64];

static void no_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; (void)level; }
static void record_poll(void *ctx, int fd, bool on) { (void)ctx; (void)fd; polling = on; }

static void open_nic(uint64_t bps, uint64_t pps)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = no_irq, .intx_gsi = { 5, 9, 10, 11 },
    };
    int sv[2], big = 1 << 20;
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    peer_fd = sv[1];
    memset(ram, 0, RAM_SIZE);
    guest_mem_layout(&mem, ram, ram_size);
    bus_init(&bus);
    pci_bus_create(&pci, &bus, &platform);
    struct virtio_net_options o = {
        .tap_fd = sv[0], .mac = { 2, 0, 0, 0, 0, 1 }, .rx_poll = record_poll,
        .bps = bps, .pps = pps, .clock_ns = fake_clock,
    };
    CHECK_EQ_INT(virtio_net_create(&net, &pci, &o), 0);
}

static void close_nic(void)
{
    pci_bus_destroy(&pci);
    virtio_net_destroy(net);
    net = NULL;
    bus_destroy(&bus);
    close(peer_fd);
}

/* --- transmit, chains handed in directly ------------------------------------ */

static struct virtq_chain chain;

/* Readable segments of the given lengths, cut from pool in order. */
static void tx_chain(const size_t *lens, unsigned n)
{
    memset(&chain, 0, sizeof(chain));
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        chain.seg[i] = (struct iovec){ pool + off, lens[i] };
        off += lens[i];
        chain.readable_len += (uint32_t)lens[i];
    }
    chain.n_readable = (uint16_t)n;
    for (size_t i = 0; i < off; i++)
        pool[i] = (uint8_t)(i * 13);
}

static ssize_t peer_recv(void)
{
    return recv(peer_fd, got, sizeof(got), 0);
}

static void test_tx_hostile_lengths(void)
{
    open_nic(0, 0);
    /* No bytes at all, and shorter than the header: dropped, not sent. */
    tx_chain((const size_t[]){ 0 }, 1);
    CHECK_EQ_INT(virtio_net_transmit(net, &chain), -EINVAL);
    tx_chain((const size_t[]){ 4, 7 }, 2);
    CHECK_EQ_INT(virtio_net_transmit(net, &chain), -EINVAL);
    CHECK_EQ_INT(peer_recv(), -1);
    CHECK_EQ_INT(net->tx_dropped, 2);
    /* The header split 5 + 7 over two descriptors, then a frame. */
    tx_chain((const size_t[]){ 5, 7, 60 }, 3);
    CHECK_EQ_INT(virtio_net_transmit(net, &chain), 0);
    CHECK_EQ_INT(peer_recv(), 72);
    CHECK(memcmp(got, pool, 72) == 0);
    /* A header and no frame: the tap's (the host kernel's) to refuse. */
    tx_chain((const size_t[]){ HDR }, 1);
    CHECK_EQ_INT(virtio_net_transmit(net, &chain), 0);
    CHECK_EQ_INT(peer_recv(), HDR);
    /* The largest frame goes; one byte more is dropped. */
    tx_chain((const size_t[]){ HDR, VIRTIO_NET_MAX_FRAME }, 2);
    CHECK_EQ_INT(virtio_net_transmit(net, &chain), 0);
    CHECK_EQ_INT(peer_recv(), HDR + VIRTIO_NET_MAX_FRAME);
    tx_chain((const size_t[]){ HDR, VIRTIO_NET_MAX_FRAME + 1 }, 2);
    CHECK_EQ_INT(virtio_net_transmit(net, &chain), -EINVAL);
    CHECK_EQ_INT(peer_recv(), -1);
    CHECK_EQ_INT(net->tx_frames, 3);
    CHECK_EQ_INT(net->tx_dropped, 3);
    close_nic();
}

/* --- through the rings -------------------------------------------------------- */

struct ring {
    uint64_t desc, avail, used;
    uint16_t next_desc, avail_idx;
};
static struct ring rxq, txq;

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

static void common_write(uint32_t reg, uint64_t v, uint32_t len)
{
    uint64_t bar = net->vdev.pci.bars[0].mapped_base;
    bus_dispatch(&bus, BUS_MMIO, bar + reg, (uint8_t *)&v, len, true);
}

static void setup_queue(uint16_t q, struct ring *r, uint64_t desc, uint64_t avail,
                        uint64_t used)
{
    *r = (struct ring){ desc, avail, used, 0, 0 };
    common_write(VIRTIO_PCI_COMMON_Q_SELECT, q, 2);
    common_write(VIRTIO_PCI_COMMON_Q_SIZE, 16, 2);
    common_write(VIRTIO_PCI_COMMON_Q_DESC, desc, 8);
    common_write(VIRTIO_PCI_COMMON_Q_DRIVER, avail, 8);
    common_write(VIRTIO_PCI_COMMON_Q_DEVICE, used, 8);
    common_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

/* A driver with VERSION_1 and the given low feature bits. */
static void start_driver_with(uint32_t features)
{
    common_write(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
    common_write(VIRTIO_PCI_COMMON_GF, features, 4);
    common_write(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
    common_write(VIRTIO_PCI_COMMON_GF, 1, 4);
    common_write(VIRTIO_PCI_COMMON_STATUS, 1 | 2 | 8, 1);
    setup_queue(VIRTIO_NET_RXQ, &rxq, RXQ_DESC, RXQ_AVAIL, RXQ_USED);
    setup_queue(VIRTIO_NET_TXQ, &txq, TXQ_DESC, TXQ_AVAIL, TXQ_USED);
    common_write(VIRTIO_PCI_COMMON_STATUS, 1 | 2 | 8 | 4, 1);
}

/* A driver with VERSION_1 only: no mergeable buffers. */
static void start_driver(void)
{
    start_driver_with(0);
}

/* Segments (gpa, len) as one chain, all writable or all readable. */
static void add_chain(struct ring *r, const uint64_t (*segs)[2], unsigned n,
                      bool writable)
{
    uint16_t head = r->next_desc;
    for (unsigned i = 0; i < n; i++) {
        uint16_t at = (uint16_t)(r->next_desc++ % 16);
        struct desc d = {
            segs[i][0], (uint32_t)segs[i][1],
            (uint16_t)((writable ? VIRTQ_DESC_F_WRITE : 0) |
                       (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
            (uint16_t)((at + 1) % 16),
        };
        memcpy(ram + r->desc + at * 16u, &d, sizeof(d));
    }
    uint16_t slot = (uint16_t)(head % 16);
    memcpy(ram + r->avail + 4 + (r->avail_idx % 16) * 2u, &slot, 2);
    r->avail_idx++;
    memcpy(ram + r->avail + 2, &r->avail_idx, 2);
}

static uint16_t used_idx(const struct ring *r)
{
    uint16_t idx;
    memcpy(&idx, ram + r->used + 2, 2);
    return idx;
}

static uint32_t used_len(const struct ring *r, unsigned k)
{
    uint32_t len;
    memcpy(&len, ram + r->used + 4 + 8 * k + 4, 4);
    return len;
}

static void peer_send(size_t len, uint8_t fill)
{
    memset(pool, fill, len);
    CHECK_EQ_INT(send(peer_fd, pool, len, 0), (ssize_t)len);
}

static void test_rx_hostile_lengths(void)
{
    open_nic(0, 0);
    start_driver();
    /* A buffer too short for the header is given back unused. */
    add_chain(&rxq, (const uint64_t[][2]){ { BUF, HDR - 1 } }, 1, true);
    /* The header split 5 + 7, then room for 100 bytes. */
    add_chain(&rxq, (const uint64_t[][2]){ { BUF + 0x1000, 5 }, { BUF + 0x1100, 7 },
                                           { BUF + 0x1200, 100 } }, 3, true);
    peer_send(3, 0x11); /* shorter than a header: not a frame, skipped */
    peer_send(HDR + 60, 0x22);
    virtio_net_tap_readable(net);
    CHECK_EQ_INT(used_idx(&rxq), 2);
    CHECK_EQ_INT(used_len(&rxq, 0), 0);
    CHECK_EQ_INT(used_len(&rxq, 1), HDR + 60);
    CHECK_EQ_INT(ram[BUF + 0x1000 + 4], 0x22);
    CHECK_EQ_INT(ram[BUF + 0x1100], 0x22);
    uint16_t nbuf; /* num_buffers, the header's last field, split too */
    memcpy(&nbuf, ram + BUF + 0x1100 + 5, 2);
    CHECK_EQ_INT(nbuf, 1);
    CHECK_EQ_INT(ram[BUF + 0x1200 + 59], 0x22);
    CHECK_EQ_INT(ram[BUF + 0x1200 + 60], 0);
    CHECK_EQ_INT(net->rx_frames, 1);
    /* A bare header (zero-length frame) fits a header-sized buffer. */
    add_chain(&rxq, (const uint64_t[][2]){ { BUF + 0x2000, HDR } }, 1, true);
    peer_send(HDR, 0x33);
    virtio_net_tap_readable(net);
    CHECK_EQ_INT(used_idx(&rxq), 3);
    CHECK_EQ_INT(used_len(&rxq, 2), HDR);
    /* Larger than the buffer (no mergeable buffers): the frame is
     * dropped, the buffer stays for the next one. */
    add_chain(&rxq, (const uint64_t[][2]){ { BUF + 0x3000, 200 } }, 1, true);
    peer_send(HDR + 1500, 0x44);
    peer_send(HDR + 50, 0x55);
    virtio_net_tap_readable(net);
    CHECK_EQ_INT(net->rx_dropped, 1);
    CHECK_EQ_INT(used_idx(&rxq), 4);
    CHECK_EQ_INT(used_len(&rxq, 3), HDR + 50);
    CHECK_EQ_INT(ram[BUF + 0x3000 + HDR], 0x55);
    /* The largest frame the tap can give, into a buffer that fits. */
    add_chain(&rxq, (const uint64_t[][2]){ { BUF + 0x10000, HDR + VIRTIO_NET_MAX_FRAME } },
              1, true);
    peer_send(HDR + VIRTIO_NET_MAX_FRAME, 0x66);
    virtio_net_tap_readable(net);
    CHECK_EQ_INT(used_idx(&rxq), 5);
    CHECK_EQ_INT(used_len(&rxq, 4), HDR + VIRTIO_NET_MAX_FRAME);
    close_nic();
}

/* Mergeable buffers whose writable lengths add up to 2^32: a 12-byte
 * buffer, then one of 2^32 - 12 bytes (two overlapping 2 GiB descriptors,
 * in RAM that is mapped but never touched).  Together they hold any frame;
 * a 32-bit count of held bytes wraps to 0, so the device holds both and
 * waits for more buffers, which a driver that has given them all never
 * adds: receive stalls for good. */
static void test_rx_held_bytes_past_4g(void)
{
    const uint64_t half = 0x7FFFFFFA, big_ram = 0x90000000;
    uint8_t *small = ram;
    ram = mmap(NULL, big_ram, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(ram != MAP_FAILED);
    ram_size = big_ram;
    open_nic(0, 0);
    start_driver_with(1u << VIRTIO_NET_F_MRG_RXBUF);
    add_chain(&rxq, (const uint64_t[][2]){ { BUF, HDR } }, 1, true);
    add_chain(&rxq, (const uint64_t[][2]){ { BUF + 0x1000, half }, { BUF + 0x1000, half } },
              2, true);
    peer_send(HDR + 1000, 0x91);
    virtio_net_tap_readable(net);
    CHECK_EQ_INT(used_idx(&rxq), 2);
    CHECK_EQ_INT(used_len(&rxq, 0), HDR);
    CHECK_EQ_INT(used_len(&rxq, 1), 1000);
    uint16_t nbuf;
    memcpy(&nbuf, ram + BUF + VIRTIO_NET_NUM_BUFFERS_OFFSET, 2);
    CHECK_EQ_INT(nbuf, 2);
    CHECK_EQ_INT(ram[BUF + 0x1000 + 999], 0x91);
    CHECK_EQ_INT(net->rx_held, 0);
    CHECK_EQ_INT(net->rx_held_bytes, 0);
    /* And the path goes on: the next buffer takes the next frame. */
    add_chain(&rxq, (const uint64_t[][2]){ { BUF + 0x2000, 2048 } }, 1, true);
    peer_send(HDR + 100, 0x92);
    virtio_net_tap_readable(net);
    CHECK_EQ_INT(used_idx(&rxq), 3);
    CHECK_EQ_INT(used_len(&rxq, 2), HDR + 100);
    CHECK_EQ_INT(net->rx_frames, 2);
    close_nic();
    munmap(ram, big_ram);
    ram = small;
    ram_size = RAM_SIZE;
}

/* pps = 2 on transmit: two frames go, the third is held (not dropped)
 * until its token arrives and the timer calls the device back. */
static void test_tx_rate_limit(void)
{
    open_nic(0, 2);
    start_driver();
    CHECK(rate_limit_fd(&net->tx_limit) >= 0);
    for (unsigned i = 0; i < 3; i++) {
        memset(ram + BUF + i * 0x100, (int)(0x70 + i), HDR + 40);
        add_chain(&txq, (const uint64_t[][2]){ { BUF + i * 0x100, HDR + 40 } }, 1,
                  false);
    }
    uint64_t bar = net->vdev.pci.bars[0].mapped_base;
    uint16_t q = VIRTIO_NET_TXQ;
    bus_dispatch(&bus, BUS_MMIO, bar + VIRTIO_PCI_NOTIFY_OFFSET + q * 4,
                 (uint8_t *)&q, 2, true);
    CHECK_EQ_INT(used_idx(&txq), 2);
    CHECK(net->tx_held);
    CHECK_EQ_INT(peer_recv(), HDR + 40);
    CHECK_EQ_INT(peer_recv(), HDR + 40);
    CHECK_EQ_INT(peer_recv(), -1);
    fake_now += 500000000;
    virtio_net_tx_limit_expired(net);
    CHECK_EQ_INT(used_idx(&txq), 3);
    CHECK_EQ_INT(peer_recv(), HDR + 40);
    CHECK_EQ_INT(got[HDR], 0x72); /* the held frame, in order */
    CHECK_EQ_INT(net->tx_dropped, 0);
    close_nic();
}

/* bps = 1000 on receive: the bucket's 1000 bytes pass the first frame
 * (600 bytes without the header) and hold the second; the tap is not
 * polled until the timer fires. */
static void test_rx_rate_limit(void)
{
    open_nic(1000, 0);
    start_driver();
    for (unsigned i = 0; i < 2; i++)
        add_chain(&rxq, (const uint64_t[][2]){ { BUF + i * 0x1000, 2048 } }, 1, true);
    peer_send(HDR + 600, 0x81);
    peer_send(HDR + 600, 0x82);
    polling = -1;
    virtio_net_tap_readable(net);
    CHECK_EQ_INT(used_idx(&rxq), 1);
    CHECK_EQ_INT(polling, 0);
    fake_now += 100000000; /* 100 more bytes: 500 now, 600 needed */
    virtio_net_rx_limit_expired(net);
    CHECK_EQ_INT(used_idx(&rxq), 1);
    fake_now += 100000000;
    virtio_net_rx_limit_expired(net);
    CHECK_EQ_INT(used_idx(&rxq), 2);
    CHECK_EQ_INT(ram[BUF + 0x1000 + HDR], 0x82);
    CHECK_EQ_INT(polling, 1);
    CHECK_EQ_INT(net->rx_dropped, 0);
    close_nic();
}

/* SIGUSR2's line: a frame that waits for buffers, with the tap no longer
 * polled, then delivered once the driver adds one; the transmit side's
 * counts. */
static void test_state_line(void)
{
    char line[1024];
    open_nic(0, 0);
    start_driver();
    peer_send(HDR + 100, 0xa1);
    polling = -1;
    virtio_net_tap_readable(net);
    CHECK_EQ_INT(polling, 0);
    CHECK(virtio_net_state_format(net, line, sizeof(line)) > 0);
    CHECK(strstr(line, "rx: avail 0, taken 0, used 0") != NULL);
    CHECK(strstr(line, "frame waiting 112 bytes on 0 buffers, tap not polled, 0 frames") != NULL);
    add_chain(&rxq, (const uint64_t[][2]){ { BUF, 2048 } }, 1, true);
    virtio_net_tap_readable(net);
    CHECK_EQ_INT(used_idx(&rxq), 1);
    memset(ram + BUF + 0x4000, 0xa2, HDR + 40);
    add_chain(&txq, (const uint64_t[][2]){ { BUF + 0x4000, HDR + 40 } }, 1, false);
    uint64_t bar = net->vdev.pci.bars[0].mapped_base;
    uint16_t q = VIRTIO_NET_TXQ;
    bus_dispatch(&bus, BUS_MMIO, bar + VIRTIO_PCI_NOTIFY_OFFSET + q * 4,
                 (uint8_t *)&q, 2, true);
    CHECK(virtio_net_state_format(net, line, sizeof(line)) > 0);
    CHECK(strstr(line, "rx: avail 1, taken 1, used 1") != NULL);
    CHECK(strstr(line, "frame waiting 0 bytes on 0 buffers, tap polled, 1 frames, 0 dropped") !=
          NULL);
    CHECK(strstr(line, "; tx: avail 1, taken 1, used 1") != NULL);
    CHECK(strstr(line, "; 1 frames, 0 dropped") != NULL);
    /* A short buffer truncates the line, never overruns it. */
    memset(line, 0x5a, sizeof(line));
    CHECK(virtio_net_state_format(net, line, 16) > 16);
    CHECK_EQ_INT((int)strlen(line), 15);
    CHECK_EQ_INT((unsigned char)line[16], 0x5a);
    close_nic();
}

int main(void)
{
    ram = aligned_alloc(4096, RAM_SIZE);
    RUN(test_tx_hostile_lengths);
    RUN(test_rx_hostile_lengths);
    RUN(test_rx_held_bytes_past_4g);
    RUN(test_tx_rate_limit);
    RUN(test_rx_rate_limit);
    RUN(test_state_line);
    free(ram);
    return check_summary("virtio_net");
}
