/* libFuzzer target for the AHCI controller's command path: the fuzzer
 * writes the guest's RAM (command lists, command tables, FISes, PRDTs,
 * ATAPI packets) and then a series of register writes, on a controller
 * with a SATA disk (port 0) and a CD-ROM drive (port 1).  Whatever it
 * writes must end in completed or failed commands, never a crash, a hang
 * or an access outside guest RAM (ASan watches the RAM's edges: it is an
 * exact-size heap block).
 *
 * Input: le16 n, then n bytes copied to guest RAM from address 0 (at most
 * the RAM's size), then 6-byte register writes: [0] which registers
 * (port 0, port 1 or the HBA's), [1] register index, [2..5] the le32
 * value.  Both ports start with their command list at 0x0000/0x0400,
 * their received-FIS area at 0x0800/0x0900, FIS receive and the list
 * running, so a write to PxCI (index 14) issues commands at once.  Queued
 * reads and writes on the disk go in flight through io_uring: what
 * completed is reaped after every register write, the rest at the end of
 * the input. */
#include "../../hypervisor/vmm/ahci.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM (64u << 10)
#define FUZZ_DISK_BYTES (256u << 10)
#define FUZZ_ISO_BYTES (64u << 10)
#define FUZZ_OP_BYTES 6

static uint8_t *ram;
static struct guest_mem mem;
static struct bus bus;
static struct pci_bus pci;
static struct ahci *hba;

static void no_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; (void)level; }

static void make_image(char *path, size_t bytes)
{
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0)
        abort();
    close(fd);
}

static void fuzz_setup(void)
{
    static char disk[] = "/tmp/corral-fuzz-ahci-XXXXXX";
    static char iso[] = "/tmp/corral-fuzz-ahci-iso-XXXXXX";
    static struct pci_platform platform = {
        .mem = &mem, .irq_line = no_irq, .intx_gsi = { 5, 9, 10, 11 },
    };
    ram = malloc(FUZZ_RAM);
    if (!ram)
        abort();
    guest_mem_layout(&mem, ram, FUZZ_RAM);
    make_image(disk, FUZZ_DISK_BYTES);
    make_image(iso, FUZZ_ISO_BYTES);
    struct ahci_port_options ports[2] = {
        { .kind = AHCI_PORT_DISK, .path = disk },
        { .kind = AHCI_PORT_CDROM, .path = iso },
    };
    int failed;
    bus_init(&bus);
    pci_bus_create(&pci, &bus, &platform);
    if (ahci_create(&hba, &pci, ports, 2, &failed) < 0)
        abort();
    /* The files stay open; nothing else needs their names. */
    unlink(disk);
    unlink(iso);
}

static void port_write(unsigned port, uint32_t reg, uint32_t value)
{
    ahci_write(hba, AHCI_PORT_BASE + port * AHCI_PORT_SIZE + reg, value);
}

/* A reset controller with both ports running, as a driver leaves it. */
static void start_ports(void)
{
    ahci_write(hba, AHCI_GHC, AHCI_GHC_HR);
    ahci_write(hba, AHCI_GHC, AHCI_GHC_AE | AHCI_GHC_IE);
    for (unsigned p = 0; p < 2; p++) {
        port_write(p, AHCI_PxCLB, p * 0x400);
        port_write(p, AHCI_PxFB, 0x800 + p * 0x100);
        port_write(p, AHCI_PxIE, 0xFFFFFFFF);
        port_write(p, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!hba)
        fuzz_setup();
    if (size < 2)
        return 0;
    size_t n = (size_t)(data[0] | data[1] << 8);
    data += 2, size -= 2;
    if (n > size)
        n = size;
    memset(ram, 0, FUZZ_RAM);
    memcpy(ram, data, n < FUZZ_RAM ? n : FUZZ_RAM);
    data += n, size -= n;
    start_ports();
    for (; size >= FUZZ_OP_BYTES; data += FUZZ_OP_BYTES, size -= FUZZ_OP_BYTES) {
        uint32_t value;
        memcpy(&value, data + 2, sizeof(value));
        uint32_t reg = (uint32_t)(data[1] % 32) * 4;
        if (data[0] % 3 == 2)
            ahci_write(hba, reg, value);
        else
            port_write(data[0] % 3, reg, value);
        (void)ahci_read(hba, AHCI_IS);
        ahci_requests_done(hba, 0, false); /* queued commands the ring finished */
    }
    /* Nothing stays in flight into the next input. */
    while (hba->ports[0].ring_active && hba->ports[0].ring.in_flight > 0)
        ahci_requests_done(hba, 0, true);
    return 0;
}
