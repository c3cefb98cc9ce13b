/* e1000_ring: the 82540EM's descriptor rings as pure logic over guest
 * memory - no registers, no fds, no locks - so that the transmit and
 * receive paths can be unit tested and fuzzed without KVM or a tap.
 *
 * Transmit: from head to tail, descriptors are gathered into packets (a
 * packet ends with EOP).  Context descriptors set the offload context
 * (where the IP and TCP/UDP headers and checksums are; for TCP
 * segmentation the MSS and header length).  A whole packet is copied out
 * of guest memory into a bounce buffer, its checksums are inserted, and a
 * TSE packet is cut into MSS-sized segments, each with its own IP length,
 * IP id and checksum, TCP sequence number, flags and checksum (as the
 * hardware does and bhyve's pci_e82545.c models).  Descriptors with RS get
 * DD written back.  A packet is handed to the caller's send callback only
 * after its admit callback (the rate limit) agreed; when it refuses, the
 * head stays before that packet and the run stops.
 *
 * Receive: a frame goes into as many receive buffers (of RCTL's size) as
 * it needs; the last gets EOP.  When the ring has too few free
 * descriptors the frame is not delivered, and the caller keeps it.
 *
 * Every guest value is hostile: a ring outside RAM or of a length that is
 * not a multiple of 128 bytes is not used; head or tail past the ring
 * stops the run; a packet with a buffer outside RAM, longer than the
 * limit, or a TSE context whose header length is beyond the packet or
 * whose MSS is 0 is dropped (counted) and its descriptors completed, so
 * the guest's driver moves on.  Runs are bounded by the ring's size. */
#ifndef CORRAL_E1000_RING_H
#define CORRAL_E1000_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/* Largest frame either way without segmentation (jumbo frames of the
 * 8254x family are at most 16 KiB). */
#define E1000_MAX_FRAME 16384
/* Largest packet a TSE context may describe: 64 KiB of payload plus
 * headers. */
#define E1000_TX_MAX_PACKET (65536 + 256)
/* An 802.1Q tag inserted on transmit (VLE). */
#define E1000_VLAN_TAG_LEN 4

/* A ring as the registers describe it. */
struct e1000_ring {
    uint64_t base;
    uint32_t count; /* descriptors */
};

/* The ring base (BAL/BAH) and length (LEN, bytes): false unless LEN is a
 * non-zero multiple of 128 bytes and the whole ring is RAM. */
bool e1000_ring_from_regs(const struct guest_mem *mem, uint32_t bal,
                          uint32_t bah, uint32_t len, struct e1000_ring *ring);

/* --- checksums (network byte order, RFC 1071) ------------------------------- */

uint32_t e1000_csum_add(uint32_t sum, const uint8_t *data, size_t len);
uint16_t e1000_csum_fold(uint32_t sum); /* the complemented 16-bit result */

/* --- transmit ---------------------------------------------------------------- */

/* The offload context a context descriptor sets. */
struct e1000_tx_context {
    uint8_t ipcss, ipcso;  /* IP header start, IP checksum offset */
    uint16_t ipcse;        /* last byte summed for IP (0: end of packet) */
    uint8_t tucss, tucso;  /* TCP/UDP start and checksum offset */
    uint16_t tucse;        /* last byte summed for TCP/UDP (0: end) */
    uint32_t paylen;       /* TSE: payload bytes after the header */
    uint8_t tucmd;         /* E1000_TXD_TUCMD_* */
    uint8_t hdrlen;        /* TSE: header bytes every segment repeats */
    uint16_t mss;          /* TSE: payload bytes per segment */
};

/* What one packet asks of the device, from its data descriptors. */
struct e1000_tx_packet {
    bool tse;              /* segment it (extended data with TSE) */
    bool ip_csum, l4_csum; /* insert the IP / TCP-UDP checksum (IXSM, TXSM) */
    bool legacy_csum;      /* legacy descriptor with IC: css/cso */
    uint8_t css, cso;
    bool vlan;             /* insert an 802.1Q tag (VLE, with CTRL.VME) */
    uint16_t vlan_tci;
};

typedef bool (*e1000_tx_admit_fn)(void *ctx, uint64_t frames, uint64_t bytes);
typedef void (*e1000_tx_send_fn)(void *ctx, const uint8_t *frame, size_t len);

struct e1000_tx_io {
    const struct guest_mem *mem;
    e1000_tx_admit_fn admit; /* NULL: everything may go */
    e1000_tx_send_fn send;
    void *ctx;
    bool vlan_enabled;       /* CTRL.VME */
    uint16_t vlan_ether_type;/* VET */
};

struct e1000_tx {
    struct e1000_tx_context ctx; /* kept from packet to packet */
    uint8_t *packet;             /* E1000_TX_MAX_PACKET bytes */
    uint8_t *frame;              /* one frame out: E1000_MAX_FRAME + tag */
    /* Counters (statistics registers, -v and tests). */
    uint64_t packets, frames, bytes, dropped, tso_packets;
};

/* The result of one run. */
struct e1000_tx_run {
    uint32_t head;         /* the new TDH */
    bool wrote_back;       /* some descriptor got DD (TXDW) */
    bool held;             /* the admit callback refused a packet */
    bool bad_ring;         /* head or tail past the ring: nothing done */
};

int e1000_tx_init(struct e1000_tx *tx);
void e1000_tx_free(struct e1000_tx *tx);

/* Process descriptors from head up to tail (exclusive). */
struct e1000_tx_run e1000_tx_process(struct e1000_tx *tx, const struct e1000_tx_io *io,
                                     const struct e1000_ring *ring,
                                     uint32_t head, uint32_t tail);

/* Offloads and segmentation for one assembled packet of len bytes in
 * tx->packet: sends its frames.  Returns the frames sent, or -EINVAL when
 * the packet was dropped (counted). */
int e1000_tx_emit(struct e1000_tx *tx, const struct e1000_tx_io *io,
                  const struct e1000_tx_packet *p, size_t len);

/* --- receive ----------------------------------------------------------------- */

/* The receive filter's registers. */
struct e1000_rx_filter {
    uint32_t rctl;
    const uint32_t *ra;    /* E1000_RA_ENTRIES pairs of RAL, RAH */
    const uint32_t *mta;   /* E1000_MTA_WORDS */
    const uint32_t *vfta;  /* 128 words */
    uint16_t vlan_ether_type;
};

/* Does the MAC filter take this frame (unicast match, broadcast with BAM,
 * multicast through the MTA or MPE, anything with UPE; the VLAN filter
 * with VFE)? */
bool e1000_rx_accept(const struct e1000_rx_filter *f, const uint8_t *frame,
                     size_t len);

/* The receive buffer size RCTL's BSIZE and BSEX select. */
uint32_t e1000_rx_buffer_size(uint32_t rctl);

/* What the last descriptor of a frame reports. */
struct e1000_rx_meta {
    uint8_t status, errors; /* beyond DD and EOP */
    uint16_t csum;          /* packet checksum from RXCSUM.PCSS */
    uint16_t special;       /* stripped VLAN tag */
};

/* Checksum status for a received frame per RXCSUM (IPv4 header, TCP and
 * UDP over IPv4; anything else is not checked, and IXSM says so when the
 * offloads are off). */
void e1000_rx_checksum(uint32_t rxcsum, const uint8_t *frame, size_t len,
                       struct e1000_rx_meta *meta);

enum e1000_rx_result {
    E1000_RX_DELIVERED,
    E1000_RX_NO_BUFFERS,  /* too few free descriptors now: keep the frame */
    E1000_RX_DROPPED,     /* can never fit, or a buffer outside RAM */
};

/* Free descriptors between head and tail. */
uint32_t e1000_ring_free(const struct e1000_ring *ring, uint32_t head, uint32_t tail);

/* Write frame into the ring from *head (advanced past the descriptors
 * used).  bad_ring when head or tail is past the ring. */
enum e1000_rx_result e1000_rx_put(const struct guest_mem *mem,
                                  const struct e1000_ring *ring, uint32_t *head,
                                  uint32_t tail, uint32_t bufsize,
                                  const uint8_t *frame, size_t len,
                                  const struct e1000_rx_meta *meta);

#endif
