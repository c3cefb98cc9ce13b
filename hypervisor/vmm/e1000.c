/* e1000: the Intel 82540EM NIC on a tap (see e1000.h). */
#include "e1000.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "devices.h"
#include "nic_backend.h"

#define E1000_VNET_HDR_LEN 12
#define E1000_CRC_LEN 4
/* Largest frame without RCTL.LPE: 1518 bytes plus an 802.1Q tag. */
#define E1000_MAX_STD_FRAME 1522
/* Frames moved per wake-up before others get the I/O thread. */
#define E1000_RX_BUDGET 256
#define E1000_RX_BUF (E1000_VNET_HDR_LEN + E1000_TX_MAX_PACKET + E1000_CRC_LEN)
#define E1000_REG(off) ((off) / 4)
#define E1000_EEPROM_READ_OPCODE 0x6 /* start bit 1, opcode 10 */

static uint64_t e1000_now(const struct e1000 *e)
{
    if (e->opts.clock_ns)
        return e->opts.clock_ns();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- the EEPROM ---------------------------------------------------------------- */

void e1000_eeprom_fill(uint16_t eeprom[E1000_EEPROM_WORDS], const uint8_t mac[6])
{
    memset(eeprom, 0, E1000_EEPROM_WORDS * sizeof(eeprom[0]));
    for (unsigned i = 0; i < 3; i++)
        eeprom[i] = (uint16_t)(mac[2 * i] | mac[2 * i + 1] << 8);
    eeprom[0x0B] = E1000_SUBSYS_ID;
    eeprom[0x0C] = E1000_SUBSYS_VENDOR;
    eeprom[0x0D] = E1000_DEVICE_ID;
    eeprom[0x0E] = E1000_VENDOR_ID;
    uint16_t sum = 0;
    for (unsigned i = 0; i < E1000_EEPROM_CHECKSUM_WORD; i++)
        sum = (uint16_t)(sum + eeprom[i]);
    eeprom[E1000_EEPROM_CHECKSUM_WORD] = (uint16_t)(E1000_EEPROM_SUM - sum);
}

/* Microwire: while CS is high, each rising SK edge shifts DI in; after
 * the start bit, 2 opcode bits and 6 address bits of a READ, each falling
 * edge moves DO to the next bit, words following one another. */
static void e1000_eecd_write(struct e1000 *e, uint32_t v)
{
    struct e1000_eeprom_wire *w = &e->ee;
    uint32_t old = w->eecd;
    w->eecd = v & (E1000_EECD_SK | E1000_EECD_CS | E1000_EECD_DI | E1000_EECD_REQ);
    if (!(v & E1000_EECD_CS))
        return;
    if (!(old & E1000_EECD_CS)) {
        w->bits_in = 0;
        w->value_in = 0;
        w->reading = false;
        w->out_bit = 0;
    }
    if (!((old ^ v) & E1000_EECD_SK))
        return;
    if (!(v & E1000_EECD_SK)) {
        w->out_bit++;
        return;
    }
    w->value_in = w->value_in << 1 | !!(v & E1000_EECD_DI);
    if (++w->bits_in == 9 && !w->reading) {
        w->reading = ((w->value_in >> 6) & 7) == E1000_EEPROM_READ_OPCODE;
        /* The falling edge after the last address bit brings bit 15. */
        w->out_bit = ((w->value_in & 0x3F) << 4) - 1;
    }
}

static uint32_t e1000_eecd_read(const struct e1000 *e)
{
    const struct e1000_eeprom_wire *w = &e->ee;
    uint32_t v = w->eecd | E1000_EECD_PRES;
    if (w->eecd & E1000_EECD_REQ)
        v |= E1000_EECD_GNT;
    unsigned word = (w->out_bit >> 4) & (E1000_EEPROM_WORDS - 1), bit = 15 - (w->out_bit & 15);
    if (!w->reading || (e->eeprom[word] >> bit) & 1)
        v |= E1000_EECD_DO;
    return v;
}

static uint32_t e1000_eerd_read_word(const struct e1000 *e, uint32_t v)
{
    uint32_t addr = (v >> E1000_EERD_ADDR_SHIFT) & 0xFF;
    if (!(v & E1000_EERD_START))
        return v & ~E1000_EERD_DONE;
    uint16_t data = addr < E1000_EEPROM_WORDS ? e->eeprom[addr] : 0xFFFF;
    return (uint32_t)data << E1000_EERD_DATA_SHIFT | addr << E1000_EERD_ADDR_SHIFT |
           E1000_EERD_DONE;
}

/* --- the PHY ------------------------------------------------------------------- */

static void e1000_phy_reset(struct e1000 *e)
{
    memset(e->phy, 0, sizeof(e->phy));
    e->phy[E1000_PHY_BMCR] = 0x1140;   /* autoneg on, full duplex, 1000 */
    e->phy[E1000_PHY_BMSR] = 0x796D;   /* link up, autoneg complete, abilities */
    e->phy[E1000_PHY_ID1_REG] = E1000_PHY_ID1;
    e->phy[E1000_PHY_ID2_REG] = E1000_PHY_ID2;
    e->phy[E1000_PHY_ANAR] = 0x0DE1;
    e->phy[E1000_PHY_ANLPAR] = 0x45E1; /* the partner can do all we can */
    e->phy[E1000_PHY_ANER] = 0x0001;
    e->phy[E1000_PHY_GTCR] = 0x0E00;
    e->phy[E1000_PHY_GTSR] = 0x3C00;   /* partner 1000 FD/HD, receivers OK */
    e->phy[E1000_PHY_EXSR] = 0x3000;
    e->phy[E1000_PHY_SPEC_CTRL] = 0x0068;
    e->phy[E1000_PHY_SPEC_STATUS] = 0xAC00; /* 1000 FD, resolved, link */
}

static bool e1000_phy_read_only(unsigned reg)
{
    return reg == E1000_PHY_BMSR || reg == E1000_PHY_ID1_REG || reg == E1000_PHY_ID2_REG ||
           reg == E1000_PHY_ANLPAR || reg == E1000_PHY_ANER || reg == E1000_PHY_GTSR ||
           reg == E1000_PHY_EXSR || reg == E1000_PHY_SPEC_STATUS;
}

static void e1000_phy_write(struct e1000 *e, unsigned reg, uint16_t v)
{
    if (reg == E1000_PHY_BMCR && (v & E1000_BMCR_RESET)) {
        e1000_phy_reset(e);
        return;
    }
    if (reg == E1000_PHY_BMCR)
        v &= (uint16_t)~E1000_BMCR_ANRESTART; /* autoneg completes at once */
    if (!e1000_phy_read_only(reg))
        e->phy[reg] = v;
}

static void e1000_raise(struct e1000 *e, uint32_t causes);

static uint32_t e1000_mdic(struct e1000 *e, uint32_t v)
{
    unsigned phy = (v >> E1000_MDIC_PHY_SHIFT) & 0x1F, reg = (v >> E1000_MDIC_REG_SHIFT) & 0x1F;
    uint32_t out = v & ~(E1000_MDIC_ERROR | E1000_MDIC_DATA_MASK);
    if (phy != E1000_PHY_ADDR) {
        out |= E1000_MDIC_ERROR; /* no PHY answers there */
    } else if (v & E1000_MDIC_OP_READ) {
        out |= e->phy[reg];
    } else if (v & E1000_MDIC_OP_WRITE) {
        e1000_phy_write(e, reg, (uint16_t)v);
        out |= v & E1000_MDIC_DATA_MASK;
    }
    out |= E1000_MDIC_READY;
    if (v & E1000_MDIC_INT_EN)
        e1000_raise(e, E1000_ICR_MDAC);
    return out;
}

/* --- interrupts ---------------------------------------------------------------- */

static void e1000_set_line(struct e1000 *e, bool on)
{
    if (e->irq_asserted == on)
        return;
    e->irq_asserted = on;
    e->irqs += on;
    pci_device_set_intx(&e->pci, on);
}

static void e1000_arm_itr(struct e1000 *e, uint64_t ns)
{
    if (e->itr_armed || e->itr_fd < 0)
        return;
    struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ns / 1000000000ULL),
                                            .tv_nsec = (long)(ns % 1000000000ULL) } };
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    e->itr_armed = timerfd_settime(e->itr_fd, 0, &its, NULL) == 0;
}

/* The line follows ICR & IMS, but rises at most once per ITR interval
 * (ITR counts 256 ns units; 0 means no moderation). */
static void e1000_update_irq(struct e1000 *e)
{
    uint32_t pending = e->regs[E1000_REG(E1000_ICR)] & e->regs[E1000_REG(E1000_IMS)];
    if (!pending) {
        e1000_set_line(e, false);
        return;
    }
    if (e->irq_asserted)
        return;
    uint64_t interval = (uint64_t)(e->regs[E1000_REG(E1000_ITR)] & 0xFFFF) * 256;
    uint64_t now = e1000_now(e);
    if (interval && e->last_irq_ns && now - e->last_irq_ns < interval) {
        e1000_arm_itr(e, e->last_irq_ns + interval - now);
        return;
    }
    e->last_irq_ns = now;
    e1000_set_line(e, true);
}

static void e1000_raise(struct e1000 *e, uint32_t causes)
{
    if (!causes)
        return;
    e->regs[E1000_REG(E1000_ICR)] |= causes & E1000_ICR_CAUSES;
    e1000_update_irq(e);
}

/* --- statistics ---------------------------------------------------------------- */

static void e1000_stat_add(struct e1000 *e, uint32_t reg, uint32_t n)
{
    uint32_t *r = &e->regs[E1000_REG(reg)];
    *r = *r + n < *r ? UINT32_MAX : *r + n; /* the counters saturate */
}

/* A 64-bit counter in a low/high register pair. */
static void e1000_stat_add64(struct e1000 *e, uint32_t low, uint64_t n)
{
    uint32_t *lo = &e->regs[E1000_REG(low)], *hi = lo + 1;
    uint64_t v = ((uint64_t)*hi << 32 | *lo) + n;
    *lo = (uint32_t)v;
    *hi = (uint32_t)(v >> 32);
}

static void e1000_count_frame(struct e1000 *e, const uint8_t *frame, size_t len, bool tx)
{
    static const uint8_t bcast[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    e1000_stat_add(e, tx ? E1000_GPTC : E1000_GPRC, 1);
    e1000_stat_add(e, tx ? E1000_TPT : E1000_TPR, 1);
    e1000_stat_add64(e, tx ? E1000_GOTCL : E1000_GORCL, len + E1000_CRC_LEN);
    e1000_stat_add64(e, tx ? E1000_TOTL : E1000_TORL, len + E1000_CRC_LEN);
    if (len >= 6 && memcmp(frame, bcast, 6) == 0)
        e1000_stat_add(e, tx ? E1000_BPTC : E1000_BPRC, 1);
    else if (len >= 6 && (frame[0] & 1))
        e1000_stat_add(e, tx ? E1000_MPTC : E1000_MPRC, 1);
}

/* --- transmit ------------------------------------------------------------------ */

static bool e1000_tx_admit(void *ctx, uint64_t frames, uint64_t bytes)
{
    struct e1000 *e = ctx;
    return rate_limit_admit(&e->tx_limit, frames, bytes);
}

static void e1000_tx_to_tap(void *ctx, const uint8_t *frame, size_t len)
{
    struct e1000 *e = ctx;
    static const uint8_t vnet_hdr[E1000_VNET_HDR_LEN]; /* no offloads */
    struct iovec iov[2] = { { (void *)vnet_hdr, sizeof(vnet_hdr) }, { (void *)frame, len } };
    ssize_t done;
    do {
        done = writev(e->tap_fd, iov, 2);
    } while (done < 0 && errno == EINTR);
    /* A full tap queue drops the frame, as a wire would; TCP resends. */
    if (done >= 0)
        e1000_count_frame(e, frame, len, true);
}

/* Lock held: send what the ring holds from TDH to TDT. */
static void e1000_tx_run(struct e1000 *e)
{
    uint32_t *r = e->regs;
    struct e1000_ring ring;
    if (!(r[E1000_REG(E1000_TCTL)] & E1000_TCTL_EN))
        return;
    if (!e1000_ring_from_regs(e->pci.pci->platform.mem, r[E1000_REG(E1000_TDBAL)],
                              r[E1000_REG(E1000_TDBAH)], r[E1000_REG(E1000_TDLEN)], &ring)) {
        e->tx_bad_ring++;
        return;
    }
    const struct e1000_tx_io io = {
        .mem = e->pci.pci->platform.mem, .admit = e1000_tx_admit, .send = e1000_tx_to_tap,
        .ctx = e, .vlan_enabled = r[E1000_REG(E1000_CTRL)] & E1000_CTRL_VME,
        .vlan_ether_type = (uint16_t)r[E1000_REG(E1000_VET)],
    };
    uint64_t tso_before = e->tx.tso_packets;
    struct e1000_tx_run run = e1000_tx_process(&e->tx, &io, &ring, r[E1000_REG(E1000_TDH)],
                                               r[E1000_REG(E1000_TDT)]);
    if (run.bad_ring) {
        e->tx_bad_ring++;
        return;
    }
    e1000_stat_add(e, E1000_TSCTC, (uint32_t)(e->tx.tso_packets - tso_before));
    r[E1000_REG(E1000_TDH)] = run.head;
    uint32_t causes = run.wrote_back ? E1000_ICR_TXDW : 0;
    if (run.head == r[E1000_REG(E1000_TDT)])
        causes |= E1000_ICR_TXQE;
    e1000_raise(e, causes);
}

/* --- receive ------------------------------------------------------------------- */

static void e1000_set_polling(struct e1000 *e, bool on)
{
    if (e->rx_polling == on)
        return;
    e->rx_polling = on;
    if (e->opts.rx_poll)
        e->opts.rx_poll(e->opts.ctx, e->tap_fd, on);
}

/* Read the next frame from the tap; false when there is none. */
static bool e1000_rx_read(struct e1000 *e)
{
    for (;;) {
        ssize_t n = read(e->tap_fd, e->rx_buf, E1000_RX_BUF - E1000_CRC_LEN);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n <= E1000_VNET_HDR_LEN)
            continue; /* not a frame the tap should give: skip it */
        e->rx_len = (size_t)n - E1000_VNET_HDR_LEN;
        e->rx_admitted = false;
        return true;
    }
}

/* The Ethernet CRC-32 (reflected, polynomial 0xEDB88320), by table. */
static uint32_t e1000_crc_table[256];
static pthread_once_t e1000_crc_once = PTHREAD_ONCE_INIT;

static void e1000_crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        e1000_crc_table[i] = c;
    }
}

static uint32_t e1000_crc32(const uint8_t *p, size_t len)
{
    pthread_once(&e1000_crc_once, e1000_crc_table_init);
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        crc = e1000_crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* An 802.1Q tag is taken off into the descriptor when CTRL.VME is set. */
static void e1000_rx_strip_vlan(struct e1000 *e, uint8_t *frame, struct e1000_rx_meta *meta)
{
    uint16_t vet = (uint16_t)e->regs[E1000_REG(E1000_VET)];
    if (!(e->regs[E1000_REG(E1000_CTRL)] & E1000_CTRL_VME) ||
        e->rx_len < 14 + E1000_VLAN_TAG_LEN || (frame[12] << 8 | frame[13]) != vet)
        return;
    meta->special = (uint16_t)(frame[14] << 8 | frame[15]);
    meta->status |= E1000_RXD_STAT_VP;
    memmove(frame + 12, frame + 12 + E1000_VLAN_TAG_LEN, e->rx_len - 12 - E1000_VLAN_TAG_LEN);
    e->rx_len -= E1000_VLAN_TAG_LEN;
}

/* Whether the waiting frame is one the guest must not see: the filter
 * refuses it, or it is longer than RCTL allows. */
static bool e1000_rx_unwanted(struct e1000 *e, const uint8_t *frame)
{
    const uint32_t *r = e->regs;
    const struct e1000_rx_filter f = {
        .rctl = r[E1000_REG(E1000_RCTL)], .ra = r + E1000_REG(E1000_RA),
        .mta = r + E1000_REG(E1000_MTA), .vfta = r + E1000_REG(E1000_VFTA),
        .vlan_ether_type = (uint16_t)r[E1000_REG(E1000_VET)],
    };
    size_t max = (f.rctl & E1000_RCTL_LPE) ? E1000_MAX_FRAME : E1000_MAX_STD_FRAME;
    if (e->rx_len > max) {
        e1000_stat_add(e, E1000_ROC, 1);
        return true;
    }
    if (!e1000_rx_accept(&f, frame, e->rx_len)) {
        e->rx_filtered++;
        return true;
    }
    return false;
}

/* Receive descriptors left at or below RCTL.RDMTS' fraction of the ring. */
static bool e1000_rx_low(const struct e1000 *e, const struct e1000_ring *ring)
{
    unsigned rdmts = (e->regs[E1000_REG(E1000_RCTL)] >> E1000_RCTL_RDMTS_SHIFT) & 3;
    uint32_t free_descs = e1000_ring_free(ring, e->regs[E1000_REG(E1000_RDH)],
                                          e->regs[E1000_REG(E1000_RDT)]);
    return free_descs <= ring->count >> (rdmts + 1);
}

/* Put the waiting frame in the ring; returns the interrupt causes, and
 * *wait when it must wait for descriptors. */
static uint32_t e1000_rx_deliver(struct e1000 *e, const struct e1000_ring *ring, bool *wait)
{
    uint8_t *frame = e->rx_buf + E1000_VNET_HDR_LEN;
    if (e1000_rx_unwanted(e, frame)) {
        e->rx_len = 0;
        return 0;
    }
    struct e1000_rx_meta meta = { 0 };
    e1000_rx_strip_vlan(e, frame, &meta);
    e1000_rx_checksum(e->regs[E1000_REG(E1000_RXCSUM)], frame, e->rx_len, &meta);
    size_t len = e->rx_len;
    if (!(e->regs[E1000_REG(E1000_RCTL)] & E1000_RCTL_SECRC)) {
        uint32_t crc = e1000_crc32(frame, len);
        memcpy(frame + len, &crc, E1000_CRC_LEN); /* little endian on the wire */
        len += E1000_CRC_LEN;
    }
    uint32_t head = e->regs[E1000_REG(E1000_RDH)];
    enum e1000_rx_result res = e1000_rx_put(e->pci.pci->platform.mem, ring, &head,
                                            e->regs[E1000_REG(E1000_RDT)],
                                            e1000_rx_buffer_size(e->regs[E1000_REG(E1000_RCTL)]),
                                            frame, len, &meta);
    e->regs[E1000_REG(E1000_RDH)] = head;
    if (res == E1000_RX_NO_BUFFERS) {
        e1000_stat_add(e, E1000_RNBC, 1);
        *wait = true;
        return E1000_ICR_RXO;
    }
    if (res == E1000_RX_DELIVERED) {
        e1000_count_frame(e, frame, e->rx_len, false);
        e->rx_frames++;
    } else {
        e->rx_dropped++;
        e1000_stat_add(e, E1000_MPC, 1);
    }
    e->rx_len = 0;
    return E1000_ICR_RXT0 | (e1000_rx_low(e, ring) ? E1000_ICR_RXDMT0 : 0);
}

/* The waiting frame against the receive limit, once per frame. */
static bool e1000_rx_admit(struct e1000 *e)
{
    if (!e->rx_admitted)
        e->rx_admitted = rate_limit_admit(&e->rx_limit, 1, e->rx_len);
    return e->rx_admitted;
}

/* Lock held.  Moves frames from the tap into the ring until the tap is
 * empty (keep polling), the ring is full or the limit holds the next
 * frame (stop polling until RDT or the limit's timer), or the budget is
 * spent (the poll fires again). */
static void e1000_rx_process(struct e1000 *e)
{
    const uint32_t *r = e->regs;
    struct e1000_ring ring;
    if (!(r[E1000_REG(E1000_RCTL)] & E1000_RCTL_EN) ||
        !e1000_ring_from_regs(e->pci.pci->platform.mem, r[E1000_REG(E1000_RDBAL)],
                              r[E1000_REG(E1000_RDBAH)], r[E1000_REG(E1000_RDLEN)], &ring)) {
        e1000_set_polling(e, false); /* RCTL or RDT turn it back on */
        return;
    }
    uint32_t causes = 0;
    bool wait = false;
    for (unsigned budget = E1000_RX_BUDGET; budget > 0 && !wait; budget--) {
        if (e->rx_len == 0 && !e1000_rx_read(e))
            break;
        if (!e1000_rx_admit(e)) {
            wait = true;
            break;
        }
        causes |= e1000_rx_deliver(e, &ring, &wait);
    }
    e1000_raise(e, causes);
    e1000_set_polling(e, !wait);
}

void e1000_tap_readable(struct e1000 *e)
{
    pthread_mutex_lock(&e->lock);
    e1000_rx_process(e);
    pthread_mutex_unlock(&e->lock);
}

void e1000_tx_limit_expired(struct e1000 *e)
{
    rate_limit_timer_ack(&e->tx_limit);
    pthread_mutex_lock(&e->lock);
    e1000_tx_run(e);
    pthread_mutex_unlock(&e->lock);
}

void e1000_rx_limit_expired(struct e1000 *e)
{
    rate_limit_timer_ack(&e->rx_limit);
    e1000_tap_readable(e);
}

void e1000_itr_expired(struct e1000 *e)
{
    uint64_t expirations;
    if (e->itr_fd >= 0 && read(e->itr_fd, &expirations, sizeof(expirations)) < 0) {
        /* Not expired yet (a test calling early): nothing to consume. */
    }
    pthread_mutex_lock(&e->lock);
    e->itr_armed = false;
    e1000_update_irq(e);
    pthread_mutex_unlock(&e->lock);
}

/* --- registers ----------------------------------------------------------------- */

/* The power-on values; the MAC in receive address 0, from the EEPROM. */
static void e1000_reset(struct e1000 *e)
{
    uint32_t *r = e->regs;
    memset(r, 0, E1000_MMIO_SIZE);
    r[E1000_REG(E1000_CTRL)] = E1000_CTRL_FD | E1000_CTRL_ASDE | E1000_CTRL_SLU |
                               E1000_CTRL_SPD_1000;
    r[E1000_REG(E1000_PBA)] = 0x00100030; /* 48 KiB receive, 16 KiB transmit */
    r[E1000_REG(E1000_LEDCTL)] = 0x07068302;
    r[E1000_REG(E1000_RXCSUM)] = E1000_RXCSUM_IPOFL | E1000_RXCSUM_TUOFL;
    r[E1000_REG(E1000_VET)] = 0x8100;
    r[E1000_REG(E1000_TXDCTL)] = r[E1000_REG(E1000_RXDCTL)] = 0x00010000;
    const uint16_t *w = e->eeprom;
    r[E1000_REG(E1000_RA)] = (uint32_t)w[0] | (uint32_t)w[1] << 16;
    r[E1000_REG(E1000_RA) + 1] = w[2] | E1000_RAH_AV;
    e1000_phy_reset(e);
    memset(&e->ee, 0, sizeof(e->ee));
    memset(&e->tx.ctx, 0, sizeof(e->tx.ctx));
    e1000_set_line(e, false);
}

/* Registers with contents: the ones named in e1000_regs.h and the arrays. */
static bool e1000_reg_known(uint32_t off)
{
    static const uint32_t singles[] = {
        E1000_CTRL, E1000_STATUS, E1000_EECD, E1000_EERD, E1000_CTRL_EXT, E1000_MDIC,
        E1000_FCAL, E1000_FCAH, E1000_FCT, E1000_VET, E1000_ICR, E1000_ITR, E1000_ICS,
        E1000_IMS, E1000_IMC, E1000_RCTL, E1000_FCTTV, E1000_TXCW, E1000_RXCW, E1000_TCTL,
        E1000_TIPG, E1000_LEDCTL, E1000_PBA, E1000_FCRTL, E1000_FCRTH, E1000_RDBAL,
        E1000_RDBAH, E1000_RDLEN, E1000_RDH, E1000_RDT, E1000_RDTR, E1000_RXDCTL,
        E1000_RADV, E1000_RSRPD, E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH,
        E1000_TDT, E1000_TIDV, E1000_TXDCTL, E1000_TADV, E1000_RXCSUM, E1000_WUC,
        E1000_MANC,
    };
    if ((off >= E1000_STATS_FIRST && off <= E1000_STATS_LAST) ||
        (off >= E1000_MTA && off < E1000_MTA + 4 * E1000_MTA_WORDS) ||
        (off >= E1000_RA && off < E1000_RA + 8 * E1000_RA_ENTRIES) ||
        (off >= E1000_VFTA && off < E1000_VFTA + 4 * 128))
        return true;
    for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++)
        if (singles[i] == off)
            return true;
    return false;
}

static uint32_t e1000_read_locked(struct e1000 *e, uint32_t off)
{
    uint32_t *r = e->regs;
    if (off >= E1000_MMIO_SIZE || (off & 3) || !e1000_reg_known(off))
        return 0;
    switch (off) {
    case E1000_STATUS:
        return E1000_STATUS_FD | E1000_STATUS_LU | E1000_STATUS_SPEED_1000 |
               E1000_STATUS_ASDV_1000;
    case E1000_EECD:
        return e1000_eecd_read(e);
    case E1000_ICR: {
        /* Read to clear: the driver's interrupt handler takes every cause. */
        uint32_t v = r[E1000_REG(E1000_ICR)];
        if (v & r[E1000_REG(E1000_IMS)])
            v |= E1000_ICR_INT_ASSERTED;
        r[E1000_REG(E1000_ICR)] = 0;
        e1000_update_irq(e);
        return v;
    }
    case E1000_ICS:
    case E1000_IMC:
        return 0; /* write-only */
    }
    uint32_t v = r[E1000_REG(off)];
    if (off >= E1000_STATS_FIRST && off <= E1000_STATS_LAST)
        r[E1000_REG(off)] = 0; /* statistics are read to clear */
    return v;
}

/* Writes with side effects; true when handled. */
static bool e1000_write_special(struct e1000 *e, uint32_t off, uint32_t v)
{
    uint32_t *r = e->regs;
    switch (off) {
    case E1000_CTRL: {
        if (v & E1000_CTRL_RST) {
            e1000_reset(e);
            return true;
        }
        bool link_up = (v & E1000_CTRL_SLU) && !(r[E1000_REG(E1000_CTRL)] & E1000_CTRL_SLU);
        if (v & E1000_CTRL_PHY_RST)
            e1000_phy_reset(e);
        r[E1000_REG(E1000_CTRL)] = v & ~(E1000_CTRL_RST | E1000_CTRL_PHY_RST);
        if (link_up)
            e1000_raise(e, E1000_ICR_LSC);
        return true;
    }
    case E1000_STATUS:
        return true; /* read-only */
    case E1000_EECD:
        e1000_eecd_write(e, v);
        return true;
    case E1000_EERD:
        r[E1000_REG(E1000_EERD)] = e1000_eerd_read_word(e, v);
        return true;
    case E1000_MDIC:
        r[E1000_REG(E1000_MDIC)] = e1000_mdic(e, v);
        return true;
    case E1000_ICR:
        r[E1000_REG(E1000_ICR)] &= ~v; /* write 1 to clear */
        e1000_update_irq(e);
        return true;
    case E1000_ICS:
        e1000_raise(e, v);
        return true;
    case E1000_IMS:
        r[E1000_REG(E1000_IMS)] |= v & E1000_ICR_CAUSES;
        e1000_update_irq(e);
        return true;
    case E1000_IMC:
        r[E1000_REG(E1000_IMS)] &= ~v;
        e1000_update_irq(e);
        return true;
    case E1000_ITR:
        r[E1000_REG(E1000_ITR)] = v & 0xFFFF;
        e1000_update_irq(e);
        return true;
    }
    return false;
}

/* Writes that move the rings. */
static void e1000_write_ring(struct e1000 *e, uint32_t off, uint32_t v)
{
    uint32_t *r = e->regs;
    switch (off) {
    case E1000_RDH: case E1000_RDT: case E1000_TDH: case E1000_TDT:
        v &= 0xFFFF;
        break;
    case E1000_RDLEN: case E1000_TDLEN:
        v &= 0xFFF80;
        break;
    }
    r[E1000_REG(off)] = v;
    if (off == E1000_TDT || off == E1000_TCTL)
        e1000_tx_run(e);
    else if (off == E1000_RDT || off == E1000_RCTL)
        e1000_rx_process(e); /* frames may wait for these buffers */
}

static void e1000_write_locked(struct e1000 *e, uint32_t off, uint32_t v)
{
    if (off >= E1000_MMIO_SIZE || (off & 3) || !e1000_reg_known(off))
        return;
    if (off >= E1000_STATS_FIRST && off <= E1000_STATS_LAST)
        return; /* counters are read-only */
    if (!e1000_write_special(e, off, v))
        e1000_write_ring(e, off, v);
}

uint32_t e1000_read(struct e1000 *e, uint32_t offset)
{
    pthread_mutex_lock(&e->lock);
    uint32_t v = e1000_read_locked(e, offset);
    pthread_mutex_unlock(&e->lock);
    return v;
}

void e1000_write(struct e1000 *e, uint32_t offset, uint32_t value)
{
    pthread_mutex_lock(&e->lock);
    e1000_write_locked(e, offset, value);
    pthread_mutex_unlock(&e->lock);
}

/* BAR0.  Drivers use aligned 32-bit accesses; a 64-bit one is two, and a
 * narrower one reads its bytes of the register or merges into it. */
static void e1000_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                       bool is_write)
{
    struct e1000 *e = opaque;
    for (uint32_t done = 0; done < len; done += 4) {
        uint32_t off = (uint32_t)((offset + done) & ~3ULL), shift = (uint32_t)((offset + done) & 3);
        uint32_t n = len - done < 4 - shift ? len - done : 4 - shift;
        if (!is_write) {
            uint32_t v = e1000_read(e, off) >> (8 * shift);
            memcpy(data + done, &v, n);
            continue;
        }
        uint32_t v = 0;
        if (n < 4) {
            pthread_mutex_lock(&e->lock);
            v = off < E1000_MMIO_SIZE ? e->regs[E1000_REG(off)] : 0;
            pthread_mutex_unlock(&e->lock);
        }
        uint32_t mask = n == 4 ? UINT32_MAX : ((1u << (8 * n)) - 1) << (8 * shift), in = 0;
        memcpy(&in, data + done, n);
        e1000_write(e, off, (v & ~mask) | ((in << (8 * shift)) & mask));
    }
}

/* BAR1: IOADDR (offset 0) selects a register, IODATA (offset 4) reaches it. */
static void e1000_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                     bool is_write)
{
    struct e1000 *e = opaque;
    uint32_t v = 0;
    if (len != 4 || (offset != 0 && offset != 4)) {
        if (!is_write)
            memset(data, 0xFF, len);
        return;
    }
    if (is_write)
        memcpy(&v, data, 4);
    /* IOADDR is device state like any register: under the lock. */
    pthread_mutex_lock(&e->lock);
    if (offset == 0 && is_write)
        e->ioaddr = v & (E1000_MMIO_SIZE - 4);
    else if (offset == 0)
        v = e->ioaddr;
    else if (is_write)
        e1000_write_locked(e, e->ioaddr, v);
    else
        v = e1000_read_locked(e, e->ioaddr);
    pthread_mutex_unlock(&e->lock);
    if (!is_write)
        memcpy(data, &v, 4);
}

/* --- setup --------------------------------------------------------------------- */

static void e1000_free(struct e1000 *e)
{
    rate_limit_destroy(&e->tx_limit);
    rate_limit_destroy(&e->rx_limit);
    if (e->itr_fd >= 0)
        close(e->itr_fd);
    e1000_tx_free(&e->tx);
    free(e->rx_buf);
    free(e->regs);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

static int e1000_init_parts(struct e1000 *e, const struct e1000_options *opts)
{
    e->regs = malloc(E1000_MMIO_SIZE);
    e->rx_buf = malloc(E1000_RX_BUF);
    if (!e->regs || !e->rx_buf || e1000_tx_init(&e->tx) < 0)
        return -ENOMEM;
    e->itr_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (e->itr_fd < 0)
        return -errno;
    int rc = rate_limit_init(&e->tx_limit, opts->bps, opts->pps, opts->clock_ns);
    return rc < 0 ? rc : rate_limit_init(&e->rx_limit, opts->bps, opts->pps, opts->clock_ns);
}

static int e1000_add_to_bus(struct e1000 *e, struct pci_bus *pci)
{
    pci_device_init(&e->pci, E1000_VENDOR_ID, E1000_DEVICE_ID, E1000_CLASS,
                    E1000_REVISION, NULL);
    pci_config_write(&e->pci, PCI_SUBSYSTEM_VENDOR_ID, 2, E1000_SUBSYS_VENDOR);
    pci_config_write(&e->pci, PCI_SUBSYSTEM_ID, 2, E1000_SUBSYS_ID);
    int rc = pci_device_add_bar(&e->pci, 0, PCI_BAR_MEM32, E1000_MMIO_SIZE, e1000_mmio, e,
                                e->opts.name);
    if (rc == 0)
        rc = pci_device_add_bar(&e->pci, 1, PCI_BAR_IO, E1000_IO_SIZE, e1000_io, e,
                                e->opts.name);
    if (rc == 0)
        rc = pci_bus_add_device(pci, &e->pci);
    return rc < 0 ? rc : 0;
}

int e1000_create(struct e1000 **out, struct pci_bus *pci, const struct e1000_options *opts)
{
    struct e1000 *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->tx_limit.timer_fd = e->rx_limit.timer_fd = e->itr_fd = -1; /* for e1000_free */
    pthread_mutex_init(&e->lock, NULL);
    e->opts = *opts;
    if (!e->opts.name)
        e->opts.name = "e1000";
    e->tap_fd = opts->tap_fd;
    e->rx_polling = true; /* the caller starts with the tap polled */
    int rc = e1000_init_parts(e, opts);
    if (rc == 0) {
        e1000_eeprom_fill(e->eeprom, opts->mac);
        e1000_reset(e);
        rc = e1000_add_to_bus(e, pci);
    }
    if (rc < 0) {
        e1000_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

void e1000_destroy(struct e1000 *e)
{
    if (!e)
        return;
    pci_device_destroy(&e->pci);
    if (e->tap_fd >= 0)
        close(e->tap_fd);
    e1000_free(e);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

static void e1000_tap_ready(void *ctx, uint32_t events)
{
    e1000_tap_readable(ctx);
}

static void e1000_tx_limit_fired(void *ctx, uint32_t events)
{
    e1000_tx_limit_expired(ctx);
}

static void e1000_rx_limit_fired(void *ctx, uint32_t events)
{
    e1000_rx_limit_expired(ctx);
}

static void e1000_itr_fired(void *ctx, uint32_t events)
{
    e1000_itr_expired(ctx);
}

static int e1000_add(struct board *b, const struct vmdef *def, size_t index, void **dev)
{
    const struct vmdef_nic *nic = &def->nics[index];
    struct nic_backend nb;
    if (nic_backend_open(def, index, &nb))
        return VM_EXIT_ERROR;
    struct e1000_options o = {
        .tap_fd = nb.tap_fd, .rx_poll = nic_backend_rx_poll, .ctx = b,
        .name = "e1000", .bps = nic->bps, .pps = nic->pps,
    };
    memcpy(o.mac, nb.mac, 6);
    struct e1000 *e;
    int rc = e1000_create(&e, &b->pci, &o);
    if (rc < 0) {
        close(nb.tap_fd);
        return vm_error("nic %zu (tap %s): e1000: %s", index, nb.tap_name, strerror(-rc));
    }
    *dev = e;
    rc = iothread_add(&b->io, e->itr_fd, EPOLLIN, e1000_itr_fired, e);
    if (rc < 0)
        return vm_error("nic %zu: e1000 interrupt timer: %s", index, strerror(-rc));
    const struct nic_backend_watch w = {
        .tap_ready = e1000_tap_ready,
        .tx_limit_expired = e1000_tx_limit_fired, .tx_limit = &e->tx_limit,
        .rx_limit_expired = e1000_rx_limit_fired, .rx_limit = &e->rx_limit,
        .tap_offloads = false, /* it checksums and segments itself */
    };
    return nic_backend_watch(b, def, index, &nb, "e1000", &w, e);
}

static void e1000_destroy_dev(void *dev)
{
    e1000_destroy(dev);
}

const struct nic_model e1000_model = {
    .add = e1000_add,
    .destroy = e1000_destroy_dev,
};
