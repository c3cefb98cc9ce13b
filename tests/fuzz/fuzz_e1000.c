/* libFuzzer target for the e1000's transmit path (and receive, the ring
 * logic it shares): the input is the guest's memory and a sequence of
 * register writes, so descriptors, rings, contexts and TSO parameters
 * are all hostile.
 *
 * Input: le16 n, then n bytes copied to guest RAM at 0 (the rest of the
 * 64 KiB is zero), then operations of 5 bytes: [sel][le32 value].  sel
 * below the table writes that register; E1000_FUZZ_OP_RX sends a frame of
 * (value & 0x3FFF) bytes taken from RAM at 0x8000 through the "tap" and
 * lets the device receive it; E1000_FUZZ_OP_READ reads the register
 * value selects (read-to-clear side effects); anything else advances the
 * fake clock (ITR).  The "tap" is a datagram socket pair drained after
 * every operation: each frame the device sends must be at most the
 * largest frame plus a VLAN tag, behind the 12-byte header. */
#include "../../hypervisor/vmm/e1000.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM 0x10000
#define VNET 12

static const uint32_t fuzz_regs[] = {
    E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH, E1000_TDT, E1000_TCTL,
    E1000_CTRL, E1000_ICR, E1000_ICS, E1000_IMS, E1000_IMC, E1000_ITR, E1000_RCTL,
    E1000_RDBAL, E1000_RDBAH, E1000_RDLEN, E1000_RDH, E1000_RDT, E1000_RXCSUM,
    E1000_EECD, E1000_EERD, E1000_MDIC, E1000_VET, E1000_MTA, E1000_RA, E1000_RA + 4,
    E1000_VFTA,
};
#define FUZZ_NREGS (sizeof(fuzz_regs) / sizeof(fuzz_regs[0]))
#define E1000_FUZZ_OP_RX 0xF0
#define E1000_FUZZ_OP_READ 0xF1

static uint8_t ram[FUZZ_RAM] __attribute__((aligned(4096)));
static const struct guest_mem mem = { ram, sizeof(ram), sizeof(ram), 0 };
static uint64_t fake_now = 1000000000ULL;
static uint64_t fake_clock(void) { return fake_now; }
static void no_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; (void)level; }
static uint8_t got[VNET + E1000_TX_MAX_PACKET + 64];

static void drain(int fd)
{
    ssize_t n;
    while ((n = recv(fd, got, sizeof(got), MSG_DONTWAIT)) >= 0)
        if ((size_t)n > VNET + E1000_MAX_FRAME + E1000_VLAN_TAG_LEN)
            abort(); /* a frame longer than any the device may send */
}

static void fuzz_rx(int fd, uint32_t v)
{
    size_t len = v & 0x3FFF;
    static uint8_t frame[VNET + 0x4000];
    memset(frame, 0, VNET);
    memcpy(frame + VNET, ram + 0x8000, len);
    if (send(fd, frame, VNET + len, MSG_DONTWAIT) < 0)
        return;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = no_irq, .intx_gsi = { 5, 9, 10, 11 },
    };
    if (size < 2)
        return 0;
    size_t n = (size_t)(data[0] | data[1] << 8);
    n = n < size - 2 ? n : size - 2;
    n = n < FUZZ_RAM ? n : FUZZ_RAM;
    memset(ram, 0, sizeof(ram));
    memcpy(ram, data + 2, n);
    int sv[2], buf = 4 << 20;
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) < 0)
        abort();
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    struct bus bus;
    struct pci_bus pci;
    struct e1000 *e;
    bus_init(&bus);
    pci_bus_create(&pci, &bus, &platform);
    struct e1000_options o = { .tap_fd = sv[0], .mac = { 2, 0, 0, 0, 0, 1 },
                               .clock_ns = fake_clock };
    if (e1000_create(&e, &pci, &o) < 0)
        abort();
    for (size_t off = 2 + n; off + 5 <= size; off += 5) {
        uint8_t sel = data[off];
        uint32_t v;
        memcpy(&v, data + off + 1, 4);
        if (sel < FUZZ_NREGS) {
            e1000_write(e, fuzz_regs[sel], v);
        } else if (sel == E1000_FUZZ_OP_RX) {
            fuzz_rx(sv[1], v);
            e1000_tap_readable(e);
        } else if (sel == E1000_FUZZ_OP_READ) {
            e1000_read(e, fuzz_regs[v % FUZZ_NREGS]);
        } else {
            fake_now += v;
            e1000_itr_expired(e);
        }
        drain(sv[1]);
    }
    pci_bus_destroy(&pci);
    e1000_destroy(e);
    bus_destroy(&bus);
    close(sv[1]);
    return 0;
}
