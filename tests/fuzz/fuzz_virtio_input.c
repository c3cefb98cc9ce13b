/* libFuzzer target for the virtio-input tablet behind the virtio-pci
 * transport: the guest's register accesses (BAR 0, with the device
 * configuration's select/subsel, and PCI config space), the tablet's
 * events from the remote console and guest RAM (the rings and buffers)
 * all come from the input, in any order with any values.
 *
 * Input: le16 count of records (at most 128), then count records of 12
 * bytes {u8 kind, u8 size, le16 offset, le64 value}, then guest RAM.
 *   kind % 5: 0-3 as fuzz_vpci_access.h (BAR and config accesses),
 *             4 a pointer event: x = offset, y = value bits 0-15,
 *               dz = (int8_t)value bits 16-23, buttons = value bits 24-31
 *   size % 4: 1, 2, 4 or 8 bytes (config accesses use at most 4)
 * RAM is 64 KiB. */
#include "../../hypervisor/vmm/virtio_input.h"
#include "fuzz_vpci_access.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM_SIZE 0x10000u
#define FUZZ_MAX_RECORDS 128

static uint8_t ram[FUZZ_RAM_SIZE] __attribute__((aligned(4096)));
static const struct guest_mem mem = { ram, FUZZ_RAM_SIZE, FUZZ_RAM_SIZE, 0 };

static void fuzz_pointer(struct virtio_input *tab, uint16_t offset,
                         const uint8_t *value)
{
    uint32_t v;
    memcpy(&v, value, 4);
    if (virtio_input_ready(tab))
        virtio_input_move(tab, offset, v & 0xFFFF, (int8_t)(v >> 16), v >> 24);
}

static void fuzz_record(struct bus *bus, struct virtio_input *tab,
                        const uint8_t *rec)
{
    uint16_t offset;
    memcpy(&offset, rec + 2, 2);
    if (rec[0] % 5 == 4)
        fuzz_pointer(tab, offset, rec + 4);
    else
        fuzz_vpci_access(bus, &tab->vdev, rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = fuzz_vpci_ignore_irq, .signal_msi = fuzz_vpci_ignore_msi,
        .intx_gsi = { 16, 17, 18, 19 },
    };
    long count = fuzz_vpci_load(data, size, FUZZ_MAX_RECORDS, ram, sizeof(ram));
    if (count < 0)
        return 0;

    struct bus bus;
    struct pci_bus pci;
    struct virtio_input *tab;
    bus_init(&bus);
    if (pci_bus_create(&pci, &bus, &platform) < 0 ||
        virtio_input_create(&tab, &pci) < 0)
        abort();
    for (long i = 0; i < count; i++)
        fuzz_record(&bus, tab, data + 2 + i * FUZZ_VPCI_RECORD);
    pci_bus_destroy(&pci);
    virtio_input_destroy(tab);
    bus_destroy(&bus);
    return 0;
}
