/* libFuzzer target for the split virtqueue and virtio-blk request parsing.
 *
 * Input: a 16-byte header, then the guest's RAM contents.
 *   [0]      queue size as log2 (mod 9: 1..256)
 *   [1]      bit 0 INDIRECT_DESC, bit 1 RING_EVENT_IDX, bit 2 hand each
 *            chain to virtio-blk, bit 3 use the read-only disk
 *   [2..13]  desc, avail, used addresses (le32; bit 31 set means high RAM
 *            at 4 GiB + the low 31 bits)
 * RAM is 32 KiB below the PCI hole plus 32 KiB at 4 GiB, so addresses can
 * land in RAM, past it, in the hole or straddle a region's end.
 *
 * Whatever the guest wrote, the VMM must not crash, and every segment of
 * every accepted chain must lie inside the host's RAM mapping with the
 * lengths adding up. */
#include "../../hypervisor/vmm/virtio_blk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM_SIZE 0x10000u
#define FUZZ_HEADER 16
#define FUZZ_MAX_POPS 64

static uint8_t ram[FUZZ_RAM_SIZE] __attribute__((aligned(4096)));
static const struct guest_mem mem = {
    ram, FUZZ_RAM_SIZE, FUZZ_RAM_SIZE / 2, FUZZ_RAM_SIZE / 2
};
static struct bus bus;
static struct pci_bus pci;
static struct virtio_blk *disk_rw, *disk_ro;

static struct virtio_blk *fuzz_open_disk(bool readonly)
{
    char path[] = "/tmp/corral-fuzz-blk-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, 64 * 512) < 0)
        abort();
    close(fd);
    struct virtio_blk *blk;
    struct virtio_blk_options o = { .path = path, .readonly = readonly };
    if (virtio_blk_create(&blk, &pci, &o) < 0)
        abort();
    unlink(path); /* the open descriptor keeps it */
    return blk;
}

static void fuzz_init_once(void)
{
    static const struct pci_platform platform = { .mem = &mem };
    if (disk_rw)
        return;
    bus_init(&bus);
    if (pci_bus_create(&pci, &bus, &platform) < 0)
        abort();
    disk_rw = fuzz_open_disk(false);
    disk_ro = fuzz_open_disk(true);
}

static uint64_t fuzz_gpa(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return (v & 0x80000000u) ? GUEST_MEM_HIGH_BASE + (v & 0x7FFFFFFFu) : v;
}

static bool fuzz_inside_ram(const struct iovec *seg)
{
    const uint8_t *b = seg->iov_base;
    return b >= ram && seg->iov_len <= FUZZ_RAM_SIZE &&
           (size_t)(b - ram) <= FUZZ_RAM_SIZE - seg->iov_len;
}

/* What virtq_pop promises about an accepted chain. */
static void fuzz_check_chain(const struct virtq *vq, const struct virtq_chain *c)
{
    unsigned n = c->n_readable + c->n_writable;
    uint64_t readable = 0, writable = 0;
    if (c->head >= vq->size || n > VIRTQ_MAX_SIZE)
        abort();
    for (unsigned i = 0; i < n; i++) {
        if (!fuzz_inside_ram(&c->seg[i]) || c->seg[i].iov_len == 0)
            abort();
        if (i < c->n_readable)
            readable += c->seg[i].iov_len;
        else
            writable += c->seg[i].iov_len;
    }
    if (readable != c->readable_len || writable != c->writable_len)
        abort();
}

static void fuzz_serve(struct virtq *vq, struct virtio_blk *blk, bool use_blk)
{
    static struct virtq_chain chain;
    for (int i = 0; i < FUZZ_MAX_POPS; i++) {
        if (virtq_pop(vq, &chain) <= 0)
            break;
        fuzz_check_chain(vq, &chain);
        uint32_t written = 0;
        if (use_blk && virtio_blk_handle_request(blk, &chain, &written) < 0)
            break;
        if (virtq_push(vq, chain.head, written) < 0)
            abort();
    }
    virtq_should_interrupt(vq);
    virtq_enable_notify(vq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FUZZ_HEADER)
        return 0;
    fuzz_init_once();
    memset(ram, 0, sizeof(ram));
    size_t body = size - FUZZ_HEADER;
    memcpy(ram, data + FUZZ_HEADER, body < sizeof(ram) ? body : sizeof(ram));

    uint8_t flags = data[1];
    struct virtq_layout layout = {
        .size = (uint16_t)(1u << (data[0] % 9)),
        .desc_gpa = fuzz_gpa(data + 2),
        .avail_gpa = fuzz_gpa(data + 6),
        .used_gpa = fuzz_gpa(data + 10),
    };
    uint64_t features = 0;
    if (flags & 1)
        features |= 1ULL << VIRTIO_F_INDIRECT_DESC;
    if (flags & 2)
        features |= 1ULL << VIRTIO_F_RING_EVENT_IDX;
    static struct virtq vq;
    if (virtq_start(&vq, &mem, &layout, features) < 0)
        return 0;
    fuzz_serve(&vq, (flags & 8) ? disk_ro : disk_rw, flags & 4);
    return 0;
}
