/* libFuzzer target for virtio-net's transmit path with hostile chains.
 *
 * Input: [0] number of readable segments (mod 8 + 1), [1] number of
 * writable ones (mod 4), then per segment a le16 length (up to 64 KiB +
 * some, so chains can be shorter than the 12-byte header, exactly it, or
 * longer than header + 64 KiB), then the bytes the segments show.  The
 * "tap" is a datagram socket pair whose other end is drained: what the
 * device writes must be exactly the readable bytes of a well-formed chain,
 * and malformed chains must be dropped without writing. */
#include <assert.h>
#include <string.h>

#include "fuzz_virtio_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_SEGS 12
#define FUZZ_POOL (VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME + 4096)

static uint8_t ram[0x10000] __attribute__((aligned(4096)));
static const struct guest_mem mem = { ram, sizeof(ram), sizeof(ram), 0 };
static struct fuzz_net fn;
static uint8_t pool[FUZZ_POOL];
static uint8_t got[FUZZ_POOL];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct virtq_chain chain;
    if (!fn.net)
        fuzz_net_open(&fn, &mem);
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

    int rc = virtio_net_transmit(fn.net, &chain);
    ssize_t n = recv(fn.peer_fd, got, sizeof(got), 0);
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
