/* libFuzzer target for virtio-net's transmit path with hostile chains.
 *
 * Input: [0] number of readable segments (mod 8 + 1), [1] number of
 * writable ones (mod 4), then per segment a le16 length (up to 64 KiB +
 * some, so chains can be shorter than the 12-byte header, exactly it, or
 * longer than header + 64 KiB), then the bytes the segments show.  The
 * "tap" is a datagram socket pair whose other end is drained: what the
 * device writes must be exactly the readable bytes of a well-formed chain,
 * and malformed chains must be dropped without writing. */
#include "../../hypervisor/vmm/virtio_net.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_SEGS 12
#define FUZZ_POOL (VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME + 4096)

static uint8_t ram[0x10000] __attribute__((aligned(4096)));
static const struct guest_mem mem = { ram, sizeof(ram), sizeof(ram), 0 };
static struct bus bus;
static struct pci_bus pci;
static struct virtio_net *net;
static int peer_fd;
static uint8_t pool[FUZZ_POOL];
static uint8_t got[FUZZ_POOL];

static void no_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; (void)level; }

static void fuzz_setup(void)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = no_irq, .intx_gsi = { 5, 9, 10, 11 },
    };
    int sv[2];
    int buf = 4 << 20;
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) < 0)
        abort();
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    peer_fd = sv[1];
    bus_init(&bus);
    pci_bus_create(&pci, &bus, &platform);
    struct virtio_net_options o = { .tap_fd = sv[0], .mac = { 2, 0, 0, 0, 0, 1 } };
    if (virtio_net_create(&net, &pci, &o) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct virtq_chain chain;
    if (!net)
        fuzz_setup();
    if (size < 2)
        return 0;
    unsigned nr = data[0] % 8 + 1, nw = data[1] % 4;
    size_t off = 2, used = 0;
    memset(&chain, 0, sizeof(chain));
    for (unsigned i = 0; i < nr + nw && i < FUZZ_MAX_SEGS; i++) {
        if (off + 2 > size)
            return 0;
        size_t len = (size_t)(data[off] | data[off + 1] << 8) * 2; /* up to 128 KiB */
        off += 2;
        if (len > FUZZ_POOL - used)
            len = FUZZ_POOL - used;
        chain.seg[i] = (struct iovec){ pool + used, len };
        used += len;
        if (i < nr) {
            chain.n_readable++;
            chain.readable_len += (uint32_t)len;
        } else {
            chain.n_writable++;
            chain.writable_len += (uint32_t)len;
        }
    }
    size_t fill = size - off < used ? size - off : used;
    memcpy(pool, data + off, fill);
    memset(pool + fill, 0x5A, used - fill);

    int rc = virtio_net_transmit(net, &chain);
    ssize_t n = recv(peer_fd, got, sizeof(got), 0);
    bool well_formed = chain.readable_len >= VIRTIO_NET_HDR_LEN &&
                       chain.readable_len <= VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME;
    assert(well_formed == (rc == 0));
    if (!well_formed) {
        assert(n < 0); /* nothing went out */
    } else if (n >= 0) {
        /* What went out is the readable bytes, in order. */
        assert((size_t)n == chain.readable_len);
        assert(memcmp(got, pool, (size_t)n) == 0);
    }
    return 0;
}
