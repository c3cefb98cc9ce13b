/* Unit tests for the e1000 (82540EM): the EEPROM by EERD and by Microwire
 * bit-banging, the PHY through MDIC, interrupt registers and ITR
 * moderation, transmit of legacy and TSO packets (segments checked with
 * an independent checksum), receive into one and several descriptors,
 * the MAC filter, checksum status, and hostile rings and descriptors.
 * The "tap" is a datagram socket pair: one frame per datagram. */
#include "check.h"
#include "../../hypervisor/vmm/e1000.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define RAM_SIZE (1u << 20)
#define VNET 12
#define TX_RING 0x1000
#define RX_RING 0x2000
#define BUF 0x10000

static uint8_t *ram;
static struct guest_mem mem;
static struct bus bus;
static struct pci_bus pci;
static struct e1000 *nic;
static int peer_fd;
static int irq_level;
static uint64_t fake_now = 5000000000ULL;
static const uint8_t our_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static uint8_t got[70000];

static uint64_t fake_clock(void) { return fake_now; }
static void record_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; irq_level = level; }

static void open_nic_limited(uint64_t bps, uint64_t pps);

static void open_nic(void)
{
    open_nic_limited(0, 0);
}

static void open_nic_limited(uint64_t bps, uint64_t pps)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = record_irq, .intx_gsi = { 5, 9, 10, 11 },
    };
    int sv[2], big = 4 << 20;
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    peer_fd = sv[1];
    memset(ram, 0, RAM_SIZE);
    guest_mem_layout(&mem, ram, RAM_SIZE);
    bus_init(&bus);
    pci_bus_create(&pci, &bus, &platform);
    struct e1000_options o = { .tap_fd = sv[0], .clock_ns = fake_clock, .bps = bps,
                               .pps = pps };
    memcpy(o.mac, our_mac, 6);
    CHECK_EQ_INT(e1000_create(&nic, &pci, &o), 0);
    irq_level = 0;
}

static void close_nic(void)
{
    pci_bus_destroy(&pci);
    e1000_destroy(nic);
    nic = NULL;
    bus_destroy(&bus);
    close(peer_fd);
}

/* --- independent reference helpers ------------------------------------------- */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }
static void wbe16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* Ones' complement sum of 16-bit words, not folded to 16 bits yet. */
static uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i < n; i++)
        s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
    return s;
}

static uint16_t ref_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)s;
}

/* A TCP/UDP over IPv4 frame (14 + 20 + l4) verifies: IP and L4 sums. */
static int ipv4_l4_ok(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14;
    size_t total = be16(ip + 2);
    if (14 + total != len || ref_fold(ref_sum(ip, 20, 0)) != 0xFFFF)
        return 0;
    uint32_t s = ref_sum(ip + 12, 8, 0) + ip[9] + (uint32_t)(total - 20);
    return ref_fold(ref_sum(ip + 20, total - 20, s)) == 0xFFFF;
}

static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

/* Ethernet + IPv4 + TCP (54 bytes) to us, payload n bytes of a pattern. */
static size_t build_tcp(uint8_t *f, size_t n, int with_csums)
{
    memset(f, 0, 54);
    memcpy(f, our_mac, 6);
    memcpy(f + 6, "\x02\x00\x00\x00\x00\x09", 6);
    wbe16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *tcp = f + 34;
    ip[0] = 0x45; ip[8] = 64; ip[9] = 6;
    wbe16(ip + 2, (uint16_t)(20 + 20 + n));
    wbe16(ip + 4, 0x1234);
    memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
    wbe16(tcp, 40000); wbe16(tcp + 2, 5001);
    memcpy(tcp + 4, "\x10\x00\x00\x00", 4); /* seq 0x10000000 */
    tcp[12] = 0x50; tcp[13] = 0x19; /* ACK PSH FIN */
    for (size_t i = 0; i < n; i++)
        f[54 + i] = (uint8_t)(i * 7 + 3);
    if (with_csums) {
        wbe16(ip + 10, (uint16_t)~ref_fold(ref_sum(ip, 20, 0)));
        uint32_t s = ref_sum(ip + 12, 8, 0) + 6 + (uint32_t)(20 + n);
        wbe16(tcp + 16, (uint16_t)~ref_fold(ref_sum(tcp, 20 + n, s)));
    }
    return 54 + n;
}

/* --- the EEPROM ------------------------------------------------------------------ */

static void test_eeprom_image(void)
{
    uint16_t w[E1000_EEPROM_WORDS];
    e1000_eeprom_fill(w, our_mac);
    uint16_t sum = 0;
    for (unsigned i = 0; i < E1000_EEPROM_WORDS; i++)
        sum = (uint16_t)(sum + w[i]);
    CHECK_EQ_INT(sum, 0xBABA);
    CHECK_EQ_INT(w[0], 0x1102);
    CHECK_EQ_INT(w[1], 0x3322);
    CHECK_EQ_INT(w[2], 0x5544);
    CHECK_EQ_INT(w[0x0D], 0x100E);
    CHECK_EQ_INT(w[0x0E], 0x8086);
}

static void test_eerd(void)
{
    open_nic();
    e1000_write(nic, E1000_EERD, E1000_EERD_START | 1 << E1000_EERD_ADDR_SHIFT);
    uint32_t v = e1000_read(nic, E1000_EERD);
    CHECK(v & E1000_EERD_DONE);
    CHECK_EQ_INT(v >> 16, 0x3322);
    e1000_write(nic, E1000_EERD, E1000_EERD_START | 0x3F << E1000_EERD_ADDR_SHIFT);
    CHECK_EQ_INT(e1000_read(nic, E1000_EERD) >> 16, nic->eeprom[0x3F]);
    /* Past the 64 words: no such word, all ones. */
    e1000_write(nic, E1000_EERD, E1000_EERD_START | 0x80 << E1000_EERD_ADDR_SHIFT);
    CHECK_EQ_INT(e1000_read(nic, E1000_EERD) >> 16, 0xFFFF);
    close_nic();
}

/* Linux's e1000 for the 82540: Microwire, opcode 110, 6 address bits. */
static void ee_clock(uint32_t eecd)
{
    e1000_write(nic, E1000_EECD, eecd | E1000_EECD_SK);
    e1000_write(nic, E1000_EECD, eecd);
}

static uint16_t ee_microwire_read(unsigned addr)
{
    uint32_t base = E1000_EECD_REQ | E1000_EECD_CS;
    e1000_write(nic, E1000_EECD, E1000_EECD_REQ);
    CHECK(e1000_read(nic, E1000_EECD) & E1000_EECD_GNT);
    e1000_write(nic, E1000_EECD, base);
    uint32_t out = 0x6u << 6 | addr;
    for (int b = 8; b >= 0; b--) {
        uint32_t di = (out >> b) & 1 ? E1000_EECD_DI : 0;
        e1000_write(nic, E1000_EECD, base | di);
        ee_clock(base | di);
    }
    uint16_t word = 0;
    for (int b = 0; b < 16; b++) {
        e1000_write(nic, E1000_EECD, base | E1000_EECD_SK);
        word = (uint16_t)(word << 1 | !!(e1000_read(nic, E1000_EECD) & E1000_EECD_DO));
        e1000_write(nic, E1000_EECD, base);
    }
    e1000_write(nic, E1000_EECD, 0);
    return word;
}

static void test_eeprom_microwire(void)
{
    open_nic();
    uint16_t sum = 0;
    for (unsigned a = 0; a < E1000_EEPROM_WORDS; a++) {
        uint16_t w = ee_microwire_read(a);
        CHECK_EQ_INT(w, nic->eeprom[a]);
        sum = (uint16_t)(sum + w);
    }
    CHECK_EQ_INT(sum, 0xBABA);
    CHECK_EQ_INT(ee_microwire_read(2), 0x5544);
    close_nic();
}

/* --- the PHY --------------------------------------------------------------------- */

static uint32_t mdic(unsigned phy, unsigned reg, uint32_t op, uint16_t data)
{
    e1000_write(nic, E1000_MDIC, op | phy << E1000_MDIC_PHY_SHIFT | reg << E1000_MDIC_REG_SHIFT | data);
    return e1000_read(nic, E1000_MDIC);
}

static void test_phy(void)
{
    open_nic();
    uint32_t v = mdic(1, E1000_PHY_ID1_REG, E1000_MDIC_OP_READ, 0);
    CHECK(v & E1000_MDIC_READY);
    CHECK(!(v & E1000_MDIC_ERROR));
    CHECK_EQ_INT(v & 0xFFFF, 0x0141);
    CHECK_EQ_INT(mdic(1, E1000_PHY_ID2_REG, E1000_MDIC_OP_READ, 0) & 0xFFFF, 0x0C20);
    uint16_t bmsr = (uint16_t)mdic(1, E1000_PHY_BMSR, E1000_MDIC_OP_READ, 0);
    CHECK(bmsr & E1000_BMSR_LINK);
    CHECK(bmsr & E1000_BMSR_ANEG_DONE);
    /* Another PHY address answers with an error. */
    CHECK(mdic(2, E1000_PHY_ID1_REG, E1000_MDIC_OP_READ, 0) & E1000_MDIC_ERROR);
    /* Writes stick, read-only registers do not change, reset restores. */
    mdic(1, E1000_PHY_ANAR, E1000_MDIC_OP_WRITE, 0x0061);
    CHECK_EQ_INT(mdic(1, E1000_PHY_ANAR, E1000_MDIC_OP_READ, 0) & 0xFFFF, 0x0061);
    mdic(1, E1000_PHY_ID1_REG, E1000_MDIC_OP_WRITE, 0x1234);
    CHECK_EQ_INT(mdic(1, E1000_PHY_ID1_REG, E1000_MDIC_OP_READ, 0) & 0xFFFF, 0x0141);
    mdic(1, E1000_PHY_BMCR, E1000_MDIC_OP_WRITE, E1000_BMCR_RESET);
    CHECK_EQ_INT(mdic(1, E1000_PHY_ANAR, E1000_MDIC_OP_READ, 0) & 0xFFFF, 0x0DE1);
    CHECK(!(mdic(1, E1000_PHY_BMCR, E1000_MDIC_OP_READ, 0) & E1000_BMCR_RESET));
    CHECK(e1000_read(nic, E1000_STATUS) & E1000_STATUS_LU);
    close_nic();
}

/* --- registers and interrupts ---------------------------------------------------- */

static void test_interrupt_registers(void)
{
    open_nic();
    e1000_write(nic, E1000_ICS, E1000_ICR_TXDW);
    CHECK_EQ_INT(irq_level, 0); /* masked */
    e1000_write(nic, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_RXT0);
    CHECK_EQ_INT(irq_level, 1);
    CHECK_EQ_INT(e1000_read(nic, E1000_IMS), E1000_ICR_TXDW | E1000_ICR_RXT0);
    uint32_t icr = e1000_read(nic, E1000_ICR);
    CHECK_EQ_INT(icr, E1000_ICR_TXDW | E1000_ICR_INT_ASSERTED);
    CHECK_EQ_INT(irq_level, 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_ICR), 0); /* read to clear */
    e1000_write(nic, E1000_ICS, E1000_ICR_RXT0);
    CHECK_EQ_INT(irq_level, 1);
    e1000_write(nic, E1000_IMC, E1000_ICR_RXT0);
    CHECK_EQ_INT(irq_level, 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_ICR), E1000_ICR_RXT0); /* pending, masked */
    /* Unknown registers read 0 and ignore writes; MTA and RA store. */
    e1000_write(nic, 0x0300, 0xFFFFFFFF);
    CHECK_EQ_INT(e1000_read(nic, 0x0300), 0);
    e1000_write(nic, E1000_MTA + 4 * 5, 0xA5A5A5A5);
    CHECK_EQ_INT(e1000_read(nic, E1000_MTA + 4 * 5), 0xA5A5A5A5);
    CHECK_EQ_INT(e1000_read(nic, E1000_RA), 0x33221102);
    CHECK_EQ_INT(e1000_read(nic, E1000_RA + 4), 0x5544 | E1000_RAH_AV);
    /* Reset clears the masks and the table. */
    e1000_write(nic, E1000_CTRL, E1000_CTRL_RST);
    CHECK_EQ_INT(e1000_read(nic, E1000_CTRL) & E1000_CTRL_RST, 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_IMS), 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_MTA + 4 * 5), 0);
    close_nic();
}

static void test_itr_moderation(void)
{
    open_nic();
    e1000_write(nic, E1000_ITR, 1000); /* 256 us */
    e1000_write(nic, E1000_IMS, E1000_ICR_TXDW);
    e1000_write(nic, E1000_ICS, E1000_ICR_TXDW);
    CHECK_EQ_INT(irq_level, 1); /* the first comes at once */
    e1000_read(nic, E1000_ICR);
    CHECK_EQ_INT(irq_level, 0);
    fake_now += 100000;
    e1000_write(nic, E1000_ICS, E1000_ICR_TXDW);
    CHECK_EQ_INT(irq_level, 0); /* held back: 100 us < 256 us */
    CHECK(nic->itr_armed);
    fake_now += 100000;
    e1000_itr_expired(nic);
    CHECK_EQ_INT(irq_level, 0); /* still too early */
    fake_now += 56000;
    e1000_itr_expired(nic);
    CHECK_EQ_INT(irq_level, 1);
    CHECK_EQ_INT(nic->irqs, 2);
    close_nic();
}

/* --- transmit -------------------------------------------------------------------- */

static void tx_setup(uint32_t descs)
{
    e1000_write(nic, E1000_TDBAL, TX_RING);
    e1000_write(nic, E1000_TDBAH, 0);
    e1000_write(nic, E1000_TDLEN, descs * 16);
    e1000_write(nic, E1000_TDH, 0);
    e1000_write(nic, E1000_TDT, 0);
    e1000_write(nic, E1000_TCTL, E1000_TCTL_EN);
    e1000_write(nic, E1000_IMS, E1000_ICR_TXDW);
}

static uint8_t *txd(unsigned i) { return ram + TX_RING + 16 * i; }

static void legacy_desc(unsigned i, uint64_t addr, uint16_t len, uint8_t cmd)
{
    uint8_t *d = txd(i);
    memset(d, 0, 16);
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 2);
    d[11] = cmd;
}

static void data_desc(unsigned i, uint64_t addr, uint32_t len, uint8_t dcmd, uint8_t popts)
{
    uint8_t *d = txd(i);
    memset(d, 0, 16);
    memcpy(d, &addr, 8);
    uint32_t cl = (len & 0xFFFFF) | E1000_TXD_DTYP_DATA << 20 |
                  (uint32_t)(dcmd | E1000_TXD_CMD_DEXT) << 24;
    memcpy(d + 8, &cl, 4);
    d[13] = popts;
}

static void context_desc(unsigned i, uint32_t paylen, uint8_t tucmd, uint8_t hdrlen,
                         uint16_t mss)
{
    uint8_t *d = txd(i);
    memset(d, 0, 16);
    d[0] = 14; d[1] = 24; d[2] = 33;  /* IP: start, checksum, end */
    d[4] = 34; d[5] = 50;             /* TCP: start, checksum, to the end */
    uint32_t cl = (paylen & 0xFFFFF) | (uint32_t)(tucmd | E1000_TXD_CMD_DEXT) << 24;
    memcpy(d + 8, &cl, 4);
    d[13] = hdrlen;
    memcpy(d + 14, &mss, 2);
}

static ssize_t recv_frame(void)
{
    ssize_t n = recv(peer_fd, got, sizeof(got), MSG_DONTWAIT);
    if (n >= VNET) {
        static const uint8_t zero[VNET];
        CHECK(memcmp(got, zero, VNET) == 0);
    }
    return n < 0 ? n : n - VNET;
}

static void test_tx_legacy(void)
{
    open_nic();
    tx_setup(8);
    size_t len = build_tcp(ram + BUF, 100, 1);
    legacy_desc(0, BUF, 30, 0);
    legacy_desc(1, BUF + 30, (uint16_t)(len - 30), E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS);
    e1000_write(nic, E1000_TDT, 2);
    CHECK_EQ_INT(recv_frame(), (ssize_t)len);
    CHECK(memcmp(got + VNET, ram + BUF, len) == 0);
    CHECK_EQ_INT(txd(0)[12] & E1000_TXD_STAT_DD, 0); /* no RS there */
    CHECK(txd(1)[12] & E1000_TXD_STAT_DD);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 2);
    CHECK_EQ_INT(irq_level, 1);
    CHECK(e1000_read(nic, E1000_ICR) & E1000_ICR_TXDW);
    CHECK_EQ_INT(e1000_read(nic, E1000_GPTC), 1);
    CHECK_EQ_INT(e1000_read(nic, E1000_GPTC), 0); /* read to clear */
    CHECK_EQ_INT(e1000_read(nic, E1000_GOTCL), len + 4);
    /* Legacy checksum insertion (IC): the TCP sum from CSS at CSO. */
    uint8_t *f = ram + BUF + 0x1000;
    build_tcp(f, 100, 1);
    wbe16(f + 50, 0);
    uint32_t s = ref_sum(f + 26, 8, 0) + 6 + 120; /* the pseudo header */
    wbe16(f + 50, ref_fold(s));
    legacy_desc(2, BUF + 0x1000, (uint16_t)len, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IC);
    txd(2)[10] = 50; txd(2)[13] = 34;
    e1000_write(nic, E1000_TDT, 3);
    CHECK_EQ_INT(recv_frame(), (ssize_t)len);
    CHECK(ipv4_l4_ok(got + VNET, len));
    close_nic();
}

/* An 8 KiB TCP packet with TSE: segments of MSS 1448, each with its own
 * IP length, id and checksum, sequence number, flags and TCP checksum. */
static void test_tx_tso(void)
{
    open_nic();
    tx_setup(16);
    enum { PAY = 8192, MSS = 1448, HDR = 54 };
    uint8_t *pkt = ram + BUF;
    build_tcp(pkt, PAY, 0);
    /* What Linux's e1000_tso leaves: IP length and checksum 0, the TCP
     * checksum the pseudo-header sum without the length. */
    wbe16(pkt + 16, 0);
    wbe16(pkt + 24, 0);
    wbe16(pkt + 50, ref_fold(ref_sum(pkt + 26, 8, 0) + 6));
    uint8_t *orig = malloc(HDR + PAY);
    memcpy(orig, pkt, HDR + PAY);
    context_desc(0, PAY, E1000_TXD_TUCMD_TCP | E1000_TXD_TUCMD_IP | E1000_TXD_TUCMD_TSE,
                 HDR, MSS);
    uint8_t popts = E1000_TXD_POPTS_IXSM | E1000_TXD_POPTS_TXSM;
    data_desc(1, BUF, HDR, E1000_TXD_CMD_TSE, popts);
    data_desc(2, BUF + HDR, 5000, E1000_TXD_CMD_TSE, popts);
    data_desc(3, BUF + HDR + 5000, PAY - 5000,
              E1000_TXD_CMD_TSE | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, popts);
    e1000_write(nic, E1000_TDT, 4);
    size_t off = 0;
    unsigned segs = 0;
    ssize_t n;
    while ((n = recv_frame()) > 0) {
        const uint8_t *f = got + VNET;
        size_t seg = (size_t)n - HDR;
        CHECK(seg <= MSS);
        CHECK(ipv4_l4_ok(f, (size_t)n));
        CHECK_EQ_INT(be16(f + 18), 0x1234 + segs);           /* IP id */
        CHECK_EQ_INT(be32(f + 38), 0x10000000u + off);       /* sequence */
        bool last = off + seg == PAY;
        CHECK_EQ_INT(f[47], last ? 0x19 : 0x10);             /* FIN, PSH last */
        CHECK(memcmp(f + HDR, orig + HDR + off, seg) == 0);
        off += seg;
        segs++;
    }
    CHECK_EQ_INT(segs, (PAY + MSS - 1) / MSS);
    CHECK_EQ_INT(off, PAY);
    CHECK(txd(3)[12] & E1000_TXD_STAT_DD);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 4);
    CHECK_EQ_INT(e1000_read(nic, E1000_TSCTC), 1);
    CHECK_EQ_INT(e1000_read(nic, E1000_GPTC), segs);
    free(orig);
    close_nic();
}

/* The transmit limit holds a packet on the ring (TDH before it) until
 * its timer fires; a TSO packet costs its segments. */
static void test_tx_rate_limit(void)
{
    open_nic_limited(0, 2); /* 2 frames per second, a burst of 2 */
    tx_setup(8);
    size_t len = build_tcp(ram + BUF, 100, 1);
    uint8_t eop_rs = E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS;
    for (unsigned i = 0; i < 3; i++)
        legacy_desc(i, BUF, (uint16_t)len, eop_rs);
    e1000_write(nic, E1000_TDT, 3);
    CHECK_EQ_INT(recv_frame(), (ssize_t)len);
    CHECK_EQ_INT(recv_frame(), (ssize_t)len);
    CHECK(recv_frame() < 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 2);
    CHECK_EQ_INT(txd(2)[12] & E1000_TXD_STAT_DD, 0);
    fake_now += 500000000ULL; /* one token back */
    e1000_tx_limit_expired(nic);
    CHECK_EQ_INT(recv_frame(), (ssize_t)len);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 3);
    CHECK(txd(2)[12] & E1000_TXD_STAT_DD);
    close_nic();
}

/* --- hostile transmit ------------------------------------------------------------ */

static void test_tx_hostile_rings(void)
{
    open_nic();
    tx_setup(8);
    build_tcp(ram + BUF, 100, 1);
    legacy_desc(0, BUF, 154, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS);
    /* Tail past the ring: nothing moves. */
    e1000_write(nic, E1000_TDT, 9);
    CHECK(recv_frame() < 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 0);
    CHECK(nic->tx_bad_ring > 0);
    /* A ring outside RAM, or of a length not a multiple of 128. */
    e1000_write(nic, E1000_TDT, 0);
    e1000_write(nic, E1000_TDBAL, RAM_SIZE - 64);
    e1000_write(nic, E1000_TDT, 1);
    CHECK(recv_frame() < 0);
    e1000_write(nic, E1000_TDBAL, 0xFFFFFFF0);
    e1000_write(nic, E1000_TDBAH, 0xFFFFFFFF);
    e1000_write(nic, E1000_TDT, 1);
    CHECK(recv_frame() < 0);
    e1000_write(nic, E1000_TDBAL, TX_RING);
    e1000_write(nic, E1000_TDBAH, 0);
    e1000_write(nic, E1000_TDLEN, 100); /* rounds to 0: no ring */
    e1000_write(nic, E1000_TDT, 1);
    CHECK(recv_frame() < 0);
    /* Sane again: the frame goes. */
    e1000_write(nic, E1000_TDLEN, 128);
    e1000_write(nic, E1000_TDT, 0);
    e1000_write(nic, E1000_TDT, 1);
    CHECK_EQ_INT(recv_frame(), 154);
    close_nic();
}

static void test_tx_hostile_descriptors(void)
{
    open_nic();
    tx_setup(64);
    uint8_t eop_rs = E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS;
    build_tcp(ram + BUF, 100, 1);
    /* A buffer outside RAM: dropped, completed, the next one goes. */
    legacy_desc(0, RAM_SIZE - 10, 100, eop_rs);
    legacy_desc(1, UINT64_MAX - 5, 100, eop_rs);
    legacy_desc(2, BUF, 154, eop_rs);
    e1000_write(nic, E1000_TDT, 3);
    CHECK_EQ_INT(recv_frame(), 154);
    CHECK(recv_frame() < 0);
    CHECK(txd(0)[12] & E1000_TXD_STAT_DD);
    CHECK(txd(1)[12] & E1000_TXD_STAT_DD);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 3);
    CHECK_EQ_INT(nic->tx.dropped, 2);
    /* A frame over 16 KiB without TSE, in two descriptors. */
    legacy_desc(3, BUF, 10000, 0);
    legacy_desc(4, BUF, 10000, eop_rs);
    e1000_write(nic, E1000_TDT, 5);
    CHECK(recv_frame() < 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 5);
    CHECK_EQ_INT(nic->tx.dropped, 3);
    /* TSE with a header longer than the packet, then with MSS 0. */
    uint8_t tse_eop = E1000_TXD_CMD_TSE | eop_rs;
    uint8_t tcp_tse = E1000_TXD_TUCMD_TCP | E1000_TXD_TUCMD_IP | E1000_TXD_TUCMD_TSE;
    context_desc(5, 100, tcp_tse, 200, 1448);
    data_desc(6, BUF, 154, tse_eop, E1000_TXD_POPTS_TXSM);
    context_desc(7, 100, tcp_tse, 54, 0);
    data_desc(8, BUF, 154, tse_eop, E1000_TXD_POPTS_TXSM);
    /* Header offsets beyond the header length. */
    context_desc(9, 100, tcp_tse, 30, 1448);
    data_desc(10, BUF, 154, tse_eop, E1000_TXD_POPTS_TXSM);
    e1000_write(nic, E1000_TDT, 11);
    CHECK(recv_frame() < 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 11);
    CHECK_EQ_INT(nic->tx.dropped, 6);
    /* More than 64 KiB + header with TSE: dropped whole. */
    context_desc(11, 70000, tcp_tse, 54, 1448);
    for (unsigned i = 12; i < 20; i++)
        data_desc(i, BUF, 9000, E1000_TXD_CMD_TSE | (i == 19 ? eop_rs : 0), 0);
    e1000_write(nic, E1000_TDT, 20);
    CHECK(recv_frame() < 0);
    CHECK_EQ_INT(nic->tx.dropped, 7);
    /* A packet without EOP up to the tail waits; the ring wraps round. */
    legacy_desc(20, BUF, 154, 0);
    e1000_write(nic, E1000_TDT, 21);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 20);
    legacy_desc(21, BUF + 154, 0, eop_rs);
    e1000_write(nic, E1000_TDT, 22);
    CHECK_EQ_INT(recv_frame(), 154);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 22);
    /* Head past the ring. */
    e1000_write(nic, E1000_TDH, 70);
    e1000_write(nic, E1000_TDT, 23);
    CHECK(recv_frame() < 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_TDH), 70);
    close_nic();
}

/* --- receive --------------------------------------------------------------------- */

static uint8_t *rxd(unsigned i) { return ram + RX_RING + 16 * i; }

static void rx_setup(unsigned descs, uint32_t rctl)
{
    for (unsigned i = 0; i < descs; i++) {
        uint64_t addr = BUF + 0x4000ull * i;
        memset(rxd(i), 0, 16);
        memcpy(rxd(i), &addr, 8);
    }
    e1000_write(nic, E1000_RDBAL, RX_RING);
    e1000_write(nic, E1000_RDLEN, descs * 16);
    e1000_write(nic, E1000_RDH, 0);
    e1000_write(nic, E1000_RDT, descs - 1);
    e1000_write(nic, E1000_IMS, E1000_ICR_RXT0 | E1000_ICR_RXO);
    e1000_write(nic, E1000_RCTL, rctl | E1000_RCTL_EN);
}

static void send_frame(const uint8_t *frame, size_t len)
{
    static uint8_t buf[70000];
    memset(buf, 0, VNET);
    memcpy(buf + VNET, frame, len);
    CHECK_EQ_INT(send(peer_fd, buf, VNET + len, 0), (ssize_t)(VNET + len));
}

static uint16_t rxd_len(unsigned i) { return (uint16_t)(rxd(i)[8] | rxd(i)[9] << 8); }

static void test_rx_basic(void)
{
    open_nic();
    rx_setup(8, E1000_RCTL_BAM | E1000_RCTL_SECRC);
    uint8_t f[200];
    size_t len = build_tcp(f, 100, 1);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(rxd(0)[12] & (E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP),
                 E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP);
    CHECK(rxd(0)[12] & E1000_RXD_STAT_IPCS);
    CHECK(rxd(0)[12] & E1000_RXD_STAT_TCPCS);
    CHECK_EQ_INT(rxd(0)[13], 0);
    CHECK_EQ_INT(rxd_len(0), len);
    CHECK(memcmp(ram + BUF, f, len) == 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 1);
    CHECK_EQ_INT(irq_level, 1);
    CHECK(e1000_read(nic, E1000_ICR) & E1000_ICR_RXT0);
    CHECK_EQ_INT(e1000_read(nic, E1000_GPRC), 1);
    /* A bad TCP checksum is reported, the frame still delivered. */
    f[60] ^= 0xFF;
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK(rxd(1)[13] & E1000_RXD_ERR_TCPE);
    CHECK(!(rxd(1)[13] & E1000_RXD_ERR_IPE));
    /* Without SECRC the frame carries its CRC. */
    e1000_write(nic, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM);
    f[60] ^= 0xFF;
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(rxd_len(2), len + 4);
    uint32_t crc = ref_crc32(f, len), crc_got;
    memcpy(&crc_got, ram + BUF + 2 * 0x4000 + len, 4);
    CHECK_EQ_INT(crc_got, crc);
    /* Checksum offload off: IXSM. */
    e1000_write(nic, E1000_RXCSUM, 0);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK(rxd(3)[12] & E1000_RXD_STAT_IXSM);
    CHECK(!(rxd(3)[12] & E1000_RXD_STAT_TCPCS));
    close_nic();
}

static void test_rx_spanning_and_full(void)
{
    open_nic();
    /* 1 KiB buffers, long frames allowed: 3000 bytes take 3 descriptors. */
    rx_setup(8, E1000_RCTL_SECRC | E1000_RCTL_LPE | 1u << E1000_RCTL_BSIZE_SHIFT);
    e1000_write(nic, E1000_RDT, 3);
    static uint8_t f[3000];
    size_t len = build_tcp(f, sizeof(f) - 54, 1);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(rxd_len(0), 1024);
    CHECK_EQ_INT(rxd_len(1), 1024);
    CHECK_EQ_INT(rxd_len(2), 952);
    CHECK_EQ_INT(rxd(0)[12], E1000_RXD_STAT_DD);
    CHECK_EQ_INT(rxd(1)[12], E1000_RXD_STAT_DD);
    CHECK(rxd(2)[12] & E1000_RXD_STAT_EOP);
    CHECK(memcmp(ram + BUF + 0x4000, f + 1024, 1024) == 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 3);
    /* The ring is full: the next frame waits, RXO, the tap not polled. */
    e1000_read(nic, E1000_ICR);
    send_frame(f, 100);
    e1000_tap_readable(nic);
    CHECK(e1000_read(nic, E1000_ICR) & E1000_ICR_RXO);
    CHECK(!nic->rx_polling);
    CHECK(nic->rx_len > 0);
    /* The driver gives buffers: the frame arrives, polling resumes. */
    e1000_write(nic, E1000_RDT, 5);
    CHECK_EQ_INT(rxd_len(3), 100);
    CHECK(nic->rx_polling);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 4);
    /* Too long for the whole ring (8 x 1 KiB): dropped, not waiting for ever. */
    static uint8_t big[9000];
    build_tcp(big, sizeof(big) - 54, 1);
    send_frame(big, sizeof(big));
    e1000_tap_readable(nic);
    CHECK_EQ_INT(nic->rx_len, 0);
    CHECK_EQ_INT(nic->rx_dropped, 1);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 4);
    close_nic();
}

static void test_rx_filter(void)
{
    open_nic();
    rx_setup(8, E1000_RCTL_SECRC);
    uint8_t f[200];
    size_t len = build_tcp(f, 50, 1);
    /* Another unicast address: filtered. */
    f[5] = 0x99;
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 0);
    CHECK_EQ_INT(nic->rx_filtered, 1);
    /* Broadcast: only with BAM. */
    memset(f, 0xFF, 6);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 0);
    e1000_write(nic, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_SECRC | E1000_RCTL_BAM);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 1);
    /* Multicast 01:00:5e:00:00:fb through its MTA bit (MO 0: bits 47:36). */
    memcpy(f, "\x01\x00\x5e\x00\x00\xfb", 6);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 1);
    unsigned hash = (0x00 >> 4 | 0xfb << 4) & 0xFFF;
    e1000_write(nic, E1000_MTA + 4 * (hash >> 5), 1u << (hash & 31));
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 2);
    /* Promiscuous takes any unicast; a second RA entry matches too. */
    memcpy(f, "\x02\x00\x00\x00\x00\x77", 6);
    e1000_write(nic, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_SECRC | E1000_RCTL_UPE);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 3);
    e1000_write(nic, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_SECRC);
    e1000_write(nic, E1000_RA + 8, 0x00000002);
    e1000_write(nic, E1000_RA + 12, 0x7700 | E1000_RAH_AV);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 4);
    close_nic();
}

static void test_rx_hostile(void)
{
    open_nic();
    rx_setup(8, E1000_RCTL_SECRC);
    uint8_t f[200];
    size_t len = build_tcp(f, 50, 1);
    /* A buffer outside RAM: an error descriptor, the frame dropped. */
    uint64_t bad = RAM_SIZE - 8;
    memcpy(rxd(0), &bad, 8);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK(rxd(0)[12] & E1000_RXD_STAT_DD);
    CHECK(rxd(0)[13] & 0x80);
    CHECK_EQ_INT(rxd_len(0), 0);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 1);
    CHECK_EQ_INT(nic->rx_dropped, 1);
    /* Tail past the ring: the frame waits, nothing written. */
    e1000_write(nic, E1000_RDT, 100);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 1);
    CHECK(nic->rx_len > 0);
    e1000_write(nic, E1000_RDT, 5);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 2);
    /* A ring outside RAM: receive stops until a sane one. */
    e1000_write(nic, E1000_RDBAL, 0xFFFFF000);
    send_frame(f, len);
    e1000_tap_readable(nic);
    CHECK(!nic->rx_polling);
    e1000_write(nic, E1000_RDBAL, RX_RING);
    e1000_write(nic, E1000_RDT, 6);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 3);
    /* Oversized without LPE. */
    static uint8_t big[2000];
    build_tcp(big, sizeof(big) - 54, 1);
    send_frame(big, sizeof(big));
    e1000_tap_readable(nic);
    CHECK_EQ_INT(e1000_read(nic, E1000_RDH), 3);
    CHECK_EQ_INT(e1000_read(nic, E1000_ROC), 1);
    close_nic();
}

/* BAR1: IOADDR selects, IODATA reaches the register. */
static void test_io_bar(void)
{
    open_nic();
    uint32_t v = E1000_STATUS;
    uint8_t d[4];
    memcpy(d, &v, 4);
    bus_dispatch(&bus, BUS_PIO, nic->pci.bars[1].mapped_base, d, 4, true);
    bus_dispatch(&bus, BUS_PIO, nic->pci.bars[1].mapped_base + 4, d, 4, false);
    memcpy(&v, d, 4);
    CHECK(v & E1000_STATUS_LU);
    /* A write through IODATA reaches the register IOADDR names. */
    uint64_t io = nic->pci.bars[1].mapped_base;
    v = E1000_MTA + 8;
    memcpy(d, &v, 4);
    bus_dispatch(&bus, BUS_PIO, io, d, 4, true);
    v = 0x600DF00D;
    memcpy(d, &v, 4);
    bus_dispatch(&bus, BUS_PIO, io + 4, d, 4, true);
    CHECK_EQ_INT(e1000_read(nic, E1000_MTA + 8), 0x600DF00D);
    bus_dispatch(&bus, BUS_PIO, io, d, 4, false);
    memcpy(&v, d, 4);
    CHECK_EQ_INT(v, E1000_MTA + 8);
    /* Other widths and offsets of BAR1 read all-ones. */
    bus_dispatch(&bus, BUS_PIO, io + 8, d, 4, false);
    memcpy(&v, d, 4);
    CHECK_EQ_INT(v, 0xFFFFFFFF);
    /* Through BAR0 as a guest does. */
    bus_dispatch(&bus, BUS_MMIO, nic->pci.bars[0].mapped_base + E1000_RA, d, 4, false);
    memcpy(&v, d, 4);
    CHECK_EQ_INT(v, 0x33221102);
    CHECK_EQ_INT(pci_config_read(&nic->pci, PCI_VENDOR_ID, 2), 0x8086);
    CHECK_EQ_INT(pci_config_read(&nic->pci, PCI_DEVICE_ID, 2), 0x100E);
    close_nic();
}

int main(void)
{
    ram = aligned_alloc(4096, RAM_SIZE);
    RUN(test_eeprom_image);
    RUN(test_eerd);
    RUN(test_eeprom_microwire);
    RUN(test_phy);
    RUN(test_interrupt_registers);
    RUN(test_itr_moderation);
    RUN(test_tx_legacy);
    RUN(test_tx_tso);
    RUN(test_tx_rate_limit);
    RUN(test_tx_hostile_rings);
    RUN(test_tx_hostile_descriptors);
    RUN(test_rx_basic);
    RUN(test_rx_spanning_and_full);
    RUN(test_rx_filter);
    RUN(test_rx_hostile);
    RUN(test_io_bar);
    free(ram);
    return check_summary("e1000");
}
