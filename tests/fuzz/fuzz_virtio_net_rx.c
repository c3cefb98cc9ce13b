/* libFuzzer target for virtio-net's receive path: the guest's receive ring
 * and the frames arriving on the tap are the fuzzer's.
 *
 * Input: [0] driver features (bit 0 MRG_RXBUF, bit 1 RING_EVENT_IDX), [1]
 * chains made available (mod 17), then 16 descriptors of 6 bytes {le16
 * offset, le16 length, u8 flags (NEXT, WRITE, INDIRECT), u8 next (mod 32,
 * so it may point outside the table)}, then the available ring's heads (u8
 * mod 32), then up to 8 frames of 3 bytes {le16 length / 2, u8 fill}.
 * Descriptor i points into its own 8 KiB slot of guest RAM (offset and
 * length cut to fit), so distinct descriptors never overlap, but chains
 * may share descriptors and lengths range from 0 to a whole slot.
 *
 * Each frame is written to the tap and the device is told the tap is
 * readable.  Checked after each: every used element is a chain head and
 * reports no more than the chain's writable bytes; a delivered frame's
 * used lengths add up to it, it took one buffer without mergeable buffers
 * and num_buffers says how many (and its bytes are the frame's, where its
 * chains do not overlap); the held-bytes count matches the held chains.
 * At the end, no byte of guest RAM outside the writable descriptors and
 * the used ring changed. */
#include <assert.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_virtio_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QSIZE 16
#define DESC_GPA 0x0000
#define AVAIL_GPA 0x0100
#define USED_GPA 0x0200
#define USED_BYTES (4 + 8 * QSIZE + 2) /* with avail_event */
#define SLOT_GPA 0x1000
#define SLOT 0x2000
#define RAM_BYTES (SLOT_GPA + QSIZE * SLOT)
#define DESC_RECORD 6
#define MAX_FRAMES 8
#define FRAME_MAX (VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME)

static uint8_t ram[RAM_BYTES] __attribute__((aligned(4096)));
static uint8_t before[RAM_BYTES];
static bool may_write[RAM_BYTES];
static const struct guest_mem mem = { ram, sizeof(ram), sizeof(ram), 0 };
static struct fuzz_net fn;
static uint8_t frame[FRAME_MAX];
static uint8_t seen[FRAME_MAX];

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

/* The descriptor table as the fuzzer laid it out (never changed by the
 * device, so the chains it popped are these). */
static struct desc table[QSIZE];

static void bar_write(uint32_t reg, uint64_t v, uint32_t len)
{
    const struct pci_bar *bar = &fn.net->vdev.pci.bars[VIRTIO_PCI_BAR];
    bus_dispatch(&fn.bus, BUS_MMIO, bar->mapped_base + reg, (uint8_t *)&v, len, true);
}

/* Reset the device (it forgets held buffers and any waiting frame), empty
 * the tap of frames a previous input left, and start the driver. */
static void start_driver(uint32_t features)
{
    uint8_t sink[FRAME_MAX];
    bar_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
    while (read(fn.net->tap_fd, sink, sizeof(sink)) >= 0)
        ;
    bar_write(VIRTIO_PCI_COMMON_STATUS, 1 | 2, 1);
    bar_write(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
    bar_write(VIRTIO_PCI_COMMON_GF, features, 4);
    bar_write(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
    bar_write(VIRTIO_PCI_COMMON_GF, 1, 4); /* VERSION_1 */
    bar_write(VIRTIO_PCI_COMMON_STATUS, 1 | 2 | 8, 1);
    bar_write(VIRTIO_PCI_COMMON_Q_SELECT, VIRTIO_NET_RXQ, 2);
    bar_write(VIRTIO_PCI_COMMON_Q_SIZE, QSIZE, 2);
    bar_write(VIRTIO_PCI_COMMON_Q_DESC, DESC_GPA, 8);
    bar_write(VIRTIO_PCI_COMMON_Q_DRIVER, AVAIL_GPA, 8);
    bar_write(VIRTIO_PCI_COMMON_Q_DEVICE, USED_GPA, 8);
    bar_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
    bar_write(VIRTIO_PCI_COMMON_STATUS, 1 | 2 | 8 | 4, 1);
}

/* Descriptor i from its record, kept inside slot i; the bytes it may let
 * the device write are marked. */
static void load_desc(unsigned i, const uint8_t *rec)
{
    uint32_t off = (uint32_t)(rec[0] | rec[1] << 8) % SLOT;
    uint32_t len = (uint32_t)(rec[2] | rec[3] << 8) % (SLOT - off + 1);
    struct desc *d = &table[i];
    *d = (struct desc){ SLOT_GPA + (uint64_t)i * SLOT + off, len,
                        (uint16_t)(rec[4] & 7), (uint16_t)(rec[5] % 32) };
    memcpy(ram + DESC_GPA + i * 16, d, sizeof(*d));
    if (d->flags & VIRTQ_DESC_F_WRITE)
        memset(may_write + d->addr, 1, d->len);
}

/* The ring from the input; returns the bytes used, 0 if too short. */
static size_t load_ring(const uint8_t *data, size_t size)
{
    size_t need = 2 + QSIZE * DESC_RECORD;
    if (size < need)
        return 0;
    uint16_t avail = data[1] % (QSIZE + 1);
    if (size < need + avail)
        return 0;
    memset(ram, 0, sizeof(ram));
    memset(may_write, 0, sizeof(may_write));
    memset(may_write + USED_GPA, 1, USED_BYTES);
    for (unsigned i = 0; i < QSIZE; i++)
        load_desc(i, data + 2 + i * DESC_RECORD);
    for (unsigned k = 0; k < avail; k++) {
        uint16_t head = data[need + k] % 32;
        memcpy(ram + AVAIL_GPA + 4 + 2 * k, &head, 2);
    }
    memcpy(ram + AVAIL_GPA + 2, &avail, 2);
    /* Guest RAM the device must not write: a pattern, not zeros. */
    for (size_t a = SLOT_GPA; a < sizeof(ram); a++)
        ram[a] = (uint8_t)(a * 31 + 7);
    return need + avail;
}

/* Walk the chain from head as the device accepted it; the descriptors it
 * takes (a bit each) and its writable bytes. */
static uint16_t chain_descs(uint16_t head, uint64_t *writable)
{
    uint16_t set = 0, i = head;
    *writable = 0;
    for (unsigned n = 0; n < QSIZE && i < QSIZE; n++) {
        set |= (uint16_t)(1u << i);
        if (table[i].flags & VIRTQ_DESC_F_WRITE)
            *writable += table[i].len;
        if (!(table[i].flags & VIRTQ_DESC_F_NEXT))
            break;
        i = table[i].next;
    }
    return set;
}

/* The first len writable bytes of the chain at head, into out. */
static void chain_read(uint16_t head, uint8_t *out, size_t len)
{
    uint16_t i = head;
    for (unsigned n = 0; n < QSIZE && len > 0 && i < QSIZE; n++) {
        const struct desc *d = &table[i];
        if (d->flags & VIRTQ_DESC_F_WRITE) {
            size_t chunk = d->len < len ? d->len : len;
            memcpy(out, ram + d->addr, chunk);
            out += chunk;
            len -= chunk;
        }
        i = d->next;
    }
}

static void used_elem(uint16_t k, uint32_t *id, uint32_t *len)
{
    const uint8_t *e = ram + USED_GPA + 4 + 8 * (k % QSIZE);
    memcpy(id, e, 4);
    memcpy(len, e + 4, 4);
}

/* Elements [from, to) of the used ring, pushed while one frame arrived:
 * buffers given back unused (length 0), then the frame's, if delivered.
 * Returns the frame's buffers; *total their lengths; *overlap when two
 * of them share a descriptor (the later copy then overwrites). */
static unsigned check_used(uint16_t from, uint16_t to, size_t *total, bool *overlap)
{
    uint16_t taken = 0;
    unsigned bufs = 0;
    *total = 0;
    *overlap = false;
    for (uint16_t k = from; k != to; k++) {
        uint32_t id, len;
        uint64_t writable;
        used_elem(k, &id, &len);
        assert(id < QSIZE);
        uint16_t set = chain_descs((uint16_t)id, &writable);
        assert(len <= writable);
        if (len == 0) {
            assert(bufs == 0); /* unused buffers go back before the frame's */
            continue;
        }
        *overlap |= (taken & set) != 0;
        taken |= set;
        *total += len;
        bufs++;
    }
    return bufs;
}

/* The delivered frame, gathered back out of its buffers, is the frame
 * sent with num_buffers set. */
static void check_payload(uint16_t from, uint16_t to, size_t len, unsigned bufs)
{
    size_t at = 0;
    for (uint16_t k = from; k != to; k++) {
        uint32_t id, n;
        used_elem(k, &id, &n);
        chain_read((uint16_t)id, seen + at, n);
        at += n;
    }
    uint16_t nbuf = (uint16_t)bufs;
    memcpy(frame + VIRTIO_NET_NUM_BUFFERS_OFFSET, &nbuf, 2);
    assert(memcmp(seen, frame, len) == 0);
}

/* The held-bytes count is the sum of the held chains' writable bytes. */
static void check_held(void)
{
    const struct virtio_net *net = fn.net;
    uint64_t sum = 0;
    for (unsigned i = 0; i < net->rx_held; i++)
        sum += net->rx_chains[i].writable_len;
    assert(net->rx_held <= VIRTIO_NET_MAX_RX_CHAINS);
    assert(sum == net->rx_held_bytes);
}

static uint16_t used_idx(void)
{
    uint16_t idx;
    memcpy(&idx, ram + USED_GPA + 2, 2);
    return idx;
}

/* One frame from the tap; false once the device stopped taking frames
 * (it waits for buffers, or the driver broke the ring). */
static bool receive(size_t len, uint8_t fill, bool mergeable)
{
    struct virtio_net *net = fn.net;
    uint64_t frames = net->rx_frames;
    uint16_t from = used_idx();
    for (size_t i = 0; i < len; i++)
        frame[i] = (uint8_t)(fill + i * 7);
    assert(send(fn.peer_fd, frame, len, 0) == (ssize_t)len);
    virtio_net_tap_readable(net);
    uint16_t to = used_idx();
    size_t total;
    bool overlap;
    unsigned bufs = check_used(from, to, &total, &overlap);
    check_held();
    if (net->rx_frames == frames) {
        assert(bufs == 0);
        return net->rx_len == 0 && !virtio_pci_queue_ring(&net->vdev, VIRTIO_NET_RXQ)->broken;
    }
    assert(total == len && bufs >= 1);
    assert(bufs <= (mergeable ? VIRTIO_NET_MAX_RX_CHAINS : 1u));
    if (!overlap)
        check_payload(from, to, len, bufs);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fn.net)
        fuzz_net_open(&fn, &mem);
    size_t off = size >= 2 ? load_ring(data, size) : 0;
    if (off == 0)
        return 0;
    bool mergeable = data[0] & 1;
    uint32_t features = (mergeable ? 1u << VIRTIO_NET_F_MRG_RXBUF : 0) |
                        (data[0] & 2 ? 1u << VIRTIO_F_RING_EVENT_IDX : 0);
    memcpy(before, ram, sizeof(ram));
    start_driver(features);
    for (unsigned f = 0; f < MAX_FRAMES && off + 3 <= size; f++, off += 3) {
        size_t len = (size_t)(data[off] | data[off + 1] << 8) * 2 % (FRAME_MAX + 1);
        if (!receive(len, data[off + 2], mergeable))
            break;
    }
    for (size_t a = 0; a < sizeof(ram); a++)
        assert(ram[a] == before[a] || may_write[a]);
    return 0;
}
