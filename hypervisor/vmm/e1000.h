/* e1000: an Intel 82540EM gigabit Ethernet controller on a tap, the NIC
 * every operating system has a driver for (Windows' in-box driver, Linux's
 * e1000, the BSDs' em).  Guests with virtio drivers should use virtio-net,
 * which costs far fewer exits per packet.
 *
 * PCI 8086:100E, class 0x020000; BAR0 the 128 KiB of registers, BAR1 the
 * same registers through IOADDR/IODATA in port space; INTx only (the
 * 82540EM has no MSI).
 *
 * The registers (e1000_regs.h): CTRL (reset, set link up), STATUS (link up,
 * full duplex, 1000 Mb/s: the tap always has carrier), the EEPROM through
 * EECD (Microwire bit-banging, as Linux drives the 82540) and EERD (as
 * Windows does) holding the MAC, the IDs and a checksum word making the
 * sum 0xBABA; the PHY (Marvell 88E1011, ID 0x0141/0x0C20) through MDIC
 * with link up and autonegotiation complete; the interrupt registers ICR
 * (read to clear), ICS, IMS, IMC and ITR, whose interval is honoured with
 * a timer: an interrupt comes at most every ITR x 256 ns; the rings (RDBA,
 * RDLEN, RDH, RDT, TDBA, TDLEN, TDH, TDT) and their controls (RCTL, TCTL,
 * RXCSUM, RXDCTL, TXDCTL, RDTR, RADV, TIDV, TADV, RSRPD: stored; the delay
 * timers are not modelled, ITR moderates instead); the receive address
 * array, MTA and VFTA (the receive filter); statistics counters (read to
 * clear).  Registers it does not know read 0 and ignore writes.
 *
 * The rings are e1000_ring.h's.  Transmit runs on the vCPU thread that
 * wrote TDT (or TCTL), writing each frame to the tap behind a zeroed
 * virtio-net header; checksums and TCP segmentation are done here, so the
 * tap needs no offloads.  Receive runs on the I/O thread when the tap is
 * readable (and on a vCPU writing RDT when frames wait): the frame goes
 * through the MAC filter, gets its checksum status and (unless RCTL.SECRC)
 * a CRC, and fills receive descriptors.  When the ring has no room the
 * frame waits, the tap is not polled (host buffers absorb the burst) and
 * RXO tells the driver to refill; a new RDT delivers it.
 *
 * Rate limits (bps, pps; rate_limit.h) work as for virtio-net: a packet
 * over the transmit limit stays on the ring (TDH before it) until the
 * limit's timer fires; a received frame over the limit waits with the tap
 * unpolled.  A TSE packet costs its segments. */
#ifndef CORRAL_E1000_H
#define CORRAL_E1000_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e1000_regs.h"
#include "e1000_ring.h"
#include "pci.h"
#include "rate_limit.h"

struct e1000_options {
    int tap_fd;              /* a tap with the 12-byte vnet header; ours to close */
    uint8_t mac[6];
    void (*rx_poll)(void *ctx, int tap_fd, bool enable);
    void *ctx;
    const char *name;        /* for -v */
    uint64_t bps, pps;       /* each way; 0: unlimited */
    rate_limit_clock_fn clock_ns; /* NULL: CLOCK_MONOTONIC (tests set it) */
};

/* The EEPROM's Microwire shift register. */
struct e1000_eeprom_wire {
    uint32_t eecd;      /* SK, CS, DI as last written */
    unsigned bits_in;   /* bits clocked in since CS rose */
    uint32_t value_in;
    bool reading;       /* a READ opcode and address came in */
    uint32_t out_bit;   /* word * 16 + bit being shifted out */
};

struct e1000 {
    struct pci_device pci;
    pthread_mutex_t lock;
    struct e1000_options opts;
    int tap_fd;
    uint32_t *regs;      /* E1000_MMIO_SIZE / 4 words */
    uint16_t eeprom[E1000_EEPROM_WORDS];
    uint16_t phy[E1000_PHY_REGS];
    struct e1000_eeprom_wire ee;
    uint32_t ioaddr;     /* BAR1's IOADDR */
    struct e1000_tx tx;
    /* Receive: the frame read from the tap, waiting for room or the limit. */
    uint8_t *rx_buf;     /* vnet header + frame + CRC */
    size_t rx_len;       /* frame bytes; 0: none waiting */
    bool rx_admitted, rx_polling;
    struct rate_limit tx_limit, rx_limit;
    /* Interrupt moderation (ITR). */
    int itr_fd;          /* timerfd */
    bool itr_armed, irq_asserted;
    uint64_t last_irq_ns;
    /* Counters beyond the statistics registers (for -v and tests). */
    uint64_t rx_frames, rx_dropped, rx_filtered, tx_bad_ring, irqs;
};

int e1000_create(struct e1000 **out, struct pci_bus *pci, const struct e1000_options *opts);
void e1000_destroy(struct e1000 *e);

/* Register access as the guest does it through BAR0 (offset, 4 bytes). */
uint32_t e1000_read(struct e1000 *e, uint32_t offset);
void e1000_write(struct e1000 *e, uint32_t offset, uint32_t value);

/* I/O thread: the tap is readable; a limit's timer fired; the ITR timer
 * fired (e1000_itr_fd). */
void e1000_tap_readable(struct e1000 *e);
void e1000_tx_limit_expired(struct e1000 *e);
void e1000_rx_limit_expired(struct e1000 *e);
void e1000_itr_expired(struct e1000 *e);

/* The EEPROM image for a MAC: MAC words, IDs, checksum word. */
void e1000_eeprom_fill(uint16_t eeprom[E1000_EEPROM_WORDS], const uint8_t mac[6]);

/* A NIC with model=e1000, on its tap (nic_backend.h's nic_device). */
struct nic_model;
extern const struct nic_model e1000_model;

#endif
