/* One guest access to a virtio-pci function, for the fuzz targets that
 * drive a virtio device as its driver would (fuzz_virtio_pci.c,
 * fuzz_virtio_input.c).  A record is 12 bytes {u8 kind, u8 size, le16
 * offset, le64 value}:
 *   kind % 4: 0 BAR write, 1 BAR read, 2 config write, 3 config read
 *   size % 4: 1, 2, 4 or 8 bytes (config accesses use at most 4)
 * Config accesses go through ports 0xCF8/0xCFC. */
#ifndef CORRAL_FUZZ_VPCI_ACCESS_H
#define CORRAL_FUZZ_VPCI_ACCESS_H

#include <string.h>

#include "../../hypervisor/vmm/virtio_pci.h"

#define FUZZ_VPCI_RECORD 12

static inline void fuzz_vpci_ignore_irq(void *ctx, uint32_t gsi, int level)
{
    (void)ctx, (void)gsi, (void)level;
}

static inline void fuzz_vpci_ignore_msi(void *ctx, uint64_t addr, uint32_t value)
{
    (void)ctx, (void)addr, (void)value;
}

/* An input is a le16 record count (taken modulo max + 1), the records,
 * then guest RAM (zero-filled past the input).  Returns the count, or -1
 * when the input is too short for its records. */
static inline long fuzz_vpci_load(const uint8_t *data, size_t size, size_t max,
                                  uint8_t *ram, size_t ram_size)
{
    uint16_t count;
    if (size < 2)
        return -1;
    memcpy(&count, data, 2);
    count %= max + 1;
    size_t ops_end = 2 + (size_t)count * FUZZ_VPCI_RECORD;
    if (size < ops_end)
        return -1;
    memset(ram, 0, ram_size);
    size_t body = size - ops_end;
    memcpy(ram, data + ops_end, body < ram_size ? body : ram_size);
    return count;
}

static inline void fuzz_vpci_access(struct bus *bus,
                                    const struct virtio_pci_dev *vdev,
                                    const uint8_t *rec)
{
    uint8_t kind = rec[0] % 4;
    uint32_t len = 1u << (rec[1] % 4);
    uint16_t offset;
    uint8_t value[8];
    memcpy(&offset, rec + 2, 2);
    memcpy(value, rec + 4, 8);
    if (kind < 2) {
        const struct pci_bar *bar = &vdev->pci.bars[VIRTIO_PCI_BAR];
        uint64_t addr = bar->mapped_base + offset % VIRTIO_PCI_BAR_SIZE;
        if (bar->mapped)
            bus_dispatch(bus, BUS_MMIO, addr, value, len, kind == 0);
        return;
    }
    if (len > 4)
        len = 4;
    uint32_t cf8 = 0x80000000u | (uint32_t)vdev->pci.slot << 11 |
                   (offset & 0xFCu);
    bus_dispatch(bus, BUS_PIO, PCI_CONFIG_ADDRESS_PORT, (uint8_t *)&cf8, 4, true);
    bus_dispatch(bus, BUS_PIO, PCI_CONFIG_DATA_PORT + (offset & 3u), value,
                 len, kind == 2);
}

#endif
