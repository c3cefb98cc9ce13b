/* libFuzzer target for the virtio-pci transport with a virtio-blk disk
 * behind it: the guest's register accesses (BAR 0 and PCI config space)
 * come from the input, as does guest RAM, so feature negotiation, status
 * changes, queue setup, MSI-X programming, the config-access window and
 * notifications run in any order with any values.
 *
 * Input: le16 count of accesses (at most 128), then count records of 12
 * bytes {u8 kind, u8 size, le16 offset, le64 value}, then guest RAM.
 *   kind % 4: 0 BAR write, 1 BAR read, 2 config write, 3 config read
 *   size % 4: 1, 2, 4 or 8 bytes (config accesses use at most 4)
 * RAM is 32 KiB below the PCI hole plus 32 KiB at 4 GiB. */
#include "../../hypervisor/vmm/virtio_blk.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM_SIZE 0x10000u
#define FUZZ_MAX_ACCESSES 128
#define FUZZ_RECORD 12

static uint8_t ram[FUZZ_RAM_SIZE] __attribute__((aligned(4096)));
static const struct guest_mem mem = {
    ram, FUZZ_RAM_SIZE, FUZZ_RAM_SIZE / 2, FUZZ_RAM_SIZE / 2
};
static char image[] = "/tmp/corral-fuzz-vpci-XXXXXX";

static void fuzz_ignore_irq(void *ctx, uint32_t gsi, int level)
{
    (void)ctx, (void)gsi, (void)level;
}

static void fuzz_ignore_msi(void *ctx, uint64_t addr, uint32_t value)
{
    (void)ctx, (void)addr, (void)value;
}

static void fuzz_remove_image(void)
{
    unlink(image);
}

/* The disk is reopened by path for every input, so the file stays until
 * the fuzzer exits. */
static void fuzz_make_image_once(void)
{
    static bool made;
    if (made)
        return;
    int fd = mkstemp(image);
    if (fd < 0 || ftruncate(fd, 64 * 512) < 0)
        abort();
    close(fd);
    atexit(fuzz_remove_image);
    made = true;
}

/* One guest access; config accesses go through ports 0xCF8/0xCFC. */
static void fuzz_access(struct bus *bus, const struct virtio_blk *blk,
                        const uint8_t *rec)
{
    uint8_t kind = rec[0] % 4;
    uint32_t len = 1u << (rec[1] % 4);
    uint16_t offset;
    uint8_t value[8];
    memcpy(&offset, rec + 2, 2);
    memcpy(value, rec + 4, 8);
    if (kind < 2) {
        const struct pci_bar *bar = &blk->vdev.pci.bars[VIRTIO_PCI_BAR];
        uint64_t addr = bar->mapped_base + offset % VIRTIO_PCI_BAR_SIZE;
        if (bar->mapped)
            bus_dispatch(bus, BUS_MMIO, addr, value, len, kind == 0);
        return;
    }
    if (len > 4)
        len = 4;
    uint32_t cf8 = 0x80000000u | (uint32_t)blk->vdev.pci.slot << 11 |
                   (offset & 0xFCu);
    bus_dispatch(bus, BUS_PIO, PCI_CONFIG_ADDRESS_PORT, (uint8_t *)&cf8, 4, true);
    bus_dispatch(bus, BUS_PIO, PCI_CONFIG_DATA_PORT + (offset & 3u), value,
                 len, kind == 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = fuzz_ignore_irq, .signal_msi = fuzz_ignore_msi,
        .intx_gsi = { 5, 9, 10, 11 },
    };
    uint16_t count;
    if (size < 2)
        return 0;
    memcpy(&count, data, 2);
    count %= FUZZ_MAX_ACCESSES + 1;
    size_t ops_end = 2 + (size_t)count * FUZZ_RECORD;
    if (size < ops_end)
        return 0;
    memset(ram, 0, sizeof(ram));
    size_t body = size - ops_end;
    memcpy(ram, data + ops_end, body < sizeof(ram) ? body : sizeof(ram));

    fuzz_make_image_once();
    struct bus bus;
    struct pci_bus pci;
    struct virtio_blk *blk;
    struct virtio_blk_options o = { .path = image };
    bus_init(&bus);
    if (pci_bus_create(&pci, &bus, &platform) < 0 ||
        virtio_blk_create(&blk, &pci, &o) < 0)
        abort();
    for (size_t i = 0; i < count; i++)
        fuzz_access(&bus, blk, data + 2 + i * FUZZ_RECORD);
    pci_bus_destroy(&pci);
    virtio_blk_destroy(blk);
    bus_destroy(&bus);
    return 0;
}
