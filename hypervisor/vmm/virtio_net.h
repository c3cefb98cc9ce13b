/* virtio_net: a virtio network device (virtio 1.x, 5.1) on a Linux tap,
 * over the virtio-pci transport.
 *
 * The tap carries virtio-net headers (IFF_VNET_HDR, 12-byte v1 header), so
 * checksum and segmentation offloads pass between guest and host kernel
 * untouched: the guest may send unchecksummed and TSO frames of up to 64
 * KiB (VIRTIO_NET_F_CSUM, HOST_TSO4/6), and receives them when the tap
 * supports it (GUEST_CSUM, GUEST_TSO4/6, set on the tap with TUNSETOFFLOAD
 * to what the driver accepted).  Receive buffers are mergeable
 * (MRG_RXBUF): a large frame spans several of the driver's buffers.
 *
 * Queues: 0 receive, 1 transmit; no control queue.  The configuration
 * holds the MAC and the link status (always up).
 *
 * Transmit runs when the driver notifies queue 1 (on a vCPU thread, or on
 * the I/O thread with an ioeventfd): each chain's readable bytes are the
 * header and the frame, written to the tap with one writev straight from
 * guest memory.  Receive runs on the I/O thread when the tap is readable
 * or the driver added buffers: a frame is read into a bounce buffer, then
 * copied into as many receive buffers as it needs; while the driver has
 * too few buffers, the frame waits and the tap is not polled (rx_poll
 * callback), so the host's socket buffers, not our memory, absorb bursts.
 *
 * Rate limits (bps, pps; rate_limit.h) apply each way with their own
 * buckets: a frame costs one packet and its bytes without the 12-byte
 * header.  Transmit: a frame over the limit is held (taken off the ring,
 * order kept) and the ring is not read further until the limit's timer
 * fires.  Receive: the frame read from the tap waits in the bounce buffer
 * and the tap is not polled until the timer fires; meanwhile frames queue
 * in the tap (and the host drops what overflows it, as a switch port
 * would).  Nothing is dropped by the limit itself.
 *
 * Every guest value is hostile: a transmit chain shorter than the header
 * or longer than a header plus 64 KiB is dropped (counted in tx_dropped);
 * the header's fields are the host kernel's to validate (it checks GSO
 * types and sizes against the frame); receive buffers are bounded by
 * their chains. */
#ifndef CORRAL_VIRTIO_NET_H
#define CORRAL_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rate_limit.h"
#include "virtio_pci.h"

#define VIRTIO_NET_DEVICE_ID 1
#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr_v1: flags, gso_type, hdr_len, gso_size,
 * csum_start, csum_offset, num_buffers. */
#define VIRTIO_NET_HDR_LEN 12
#define VIRTIO_NET_NUM_BUFFERS_OFFSET 10
/* Largest frame either way: 64 KiB of GSO payload plus headers. */
#define VIRTIO_NET_MAX_FRAME (65536 + 256)
/* Receive buffers one frame may take (Linux's are at least 1.5 KiB). */
#define VIRTIO_NET_MAX_RX_CHAINS 64

struct virtio_net_options {
    int tap_fd;             /* an open tap with IFF_VNET_HDR; ours to close */
    uint8_t mac[6];
    bool tap_offloads;      /* the tap accepted TUNSETOFFLOAD */
    void (*rx_poll)(void *ctx, int tap_fd, bool enable);
    void *ctx;
    const char *name;       /* "net0" */
    uint64_t bps;           /* frame bytes per second, each way; 0: unlimited */
    uint64_t pps;           /* frames per second, each way; 0: unlimited */
    rate_limit_clock_fn clock_ns; /* NULL: CLOCK_MONOTONIC (tests set it) */
};

struct virtio_net {
    struct virtio_pci_dev vdev;
    struct virtio_net_options opts;
    int tap_fd;
    uint64_t offloads_applied; /* TUN_F_* last set; UINT64_MAX: never */
    /* Receive: the frame waiting for buffers, and the buffers held for it. */
    uint8_t *rx_frame;
    size_t rx_len;          /* 0: none waiting */
    struct virtq_chain *rx_chains;
    unsigned rx_held;
    /* Writable bytes of the held chains: each chain is below 2^32 bytes,
     * but up to VIRTIO_NET_MAX_RX_CHAINS of them are not, and a wrapped
     * count would wait for buffers the driver may never add. */
    uint64_t rx_held_bytes;
    bool rx_polling;
    bool rx_admitted;       /* the waiting frame passed the rate limit */
    struct rate_limit rx_limit;
    /* Transmit. */
    struct rate_limit tx_limit;
    bool tx_held;           /* tx_chain popped, the rate limit holds it */
    struct virtq_chain tx_chain;
    struct iovec tx_iov[VIRTQ_MAX_SIZE];
    /* Counters (for -v and tests). */
    uint64_t tx_frames, tx_dropped, rx_frames, rx_dropped;
};

int virtio_net_create(struct virtio_net **out, struct pci_bus *pci,
                      const struct virtio_net_options *opts);
void virtio_net_destroy(struct virtio_net *net);

/* I/O thread: the tap is readable. */
void virtio_net_tap_readable(struct virtio_net *net);

/* I/O thread: a rate limit's timer fired (rate_limit_fd(&net->tx_limit)
 * or rx_limit's; -1 when the NIC is unlimited): go on sending, or
 * receiving. */
void virtio_net_tx_limit_expired(struct virtio_net *net);
void virtio_net_rx_limit_expired(struct virtio_net *net);

/* Where both rings stand, one line (SIGUSR2, for a transfer that looks
 * stuck): each ring's indices and vector, the frame waiting for buffers,
 * whether the tap is polled, the counters.  Takes the device's lock.
 * Returns what snprintf returns. */
int virtio_net_state_format(struct virtio_net *net, char *buf, size_t len);
/* Transmit one chain (lock held); returns 0, or -EINVAL when the chain
 * was dropped as malformed. */
int virtio_net_transmit(struct virtio_net *net, const struct virtq_chain *c);

/* A NIC with model=virtio, on its tap (nic_backend.h's nic_device). */
struct nic_model;
extern const struct nic_model virtio_net_model;

#endif
