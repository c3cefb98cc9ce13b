/* libFuzzer target for the chipset a guest programs: configuration
 * mechanism 1 reaching the i440FX, the PIIX3 ISA bridge and the PIIX4 PM
 * function (any function, register, width and value), and port I/O
 * anywhere the PM block may have gone.
 *
 * Input: records of 8 bytes {u8 kind, u8 fn, u8 reg, u8 width, le32 value}:
 *   kind % 4: 0 config write, 1 config read (slot 0 when fn & 8, else the
 *             chipset's slot 1; function fn % 8), 2 port write, 3 port
 *             read (port = le16 of value's upper half, width 1/2/4).
 * Invariant checked after every record: the PM block is on the bus
 * exactly when PMREGMISC's PMIOSE is set and PMBA holds a base other than
 * 0 (nothing else here can take its ports), at that base. */
#include "../../hypervisor/vmm/acpi_pm.h"
#include "../../hypervisor/vmm/piix3_isa.h"
#include "../../hypervisor/vmm/piix4_pm.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; (void)level; }
static void no_sci(void *ctx, int level) { (void)ctx; (void)level; }
static void no_sleep(void *ctx, unsigned t) { (void)ctx; (void)t; }

struct chipset {
    struct bus bus;
    struct pci_bus pci;
    struct pci_device isa;
    struct piix4_pm fn;
    struct acpi_pm pm;
};

static void port_io(struct chipset *c, uint16_t port, uint32_t *v, uint32_t len,
                    bool is_write)
{
    if (bus_dispatch(&c->bus, BUS_PIO, port, (uint8_t *)v, len, is_write) < 0 && !is_write)
        *v = 0xFFFFFFFF;
}

static void fuzz_record(struct chipset *c, const uint8_t *r)
{
    uint32_t value;
    memcpy(&value, r + 4, 4);
    uint32_t len = 1u << (r[3] % 3);
    unsigned slot = (r[1] & 8) ? 0 : PIIX_SLOT;
    uint32_t addr = 0x80000000u | slot << 11 | (r[1] % 8u) << 8 | (r[2] & 0xFCu);
    switch (r[0] % 4) {
    case 0:
    case 1:
        port_io(c, 0xCF8, &addr, 4, true);
        port_io(c, (uint16_t)(0xCFC + (r[2] & 3)), &value, len, r[0] % 4 == 0);
        break;
    default:
        port_io(c, (uint16_t)(value >> 16), &value, len, r[0] % 4 == 2);
        break;
    }
    const struct pci_device *d = &c->fn.pci;
    uint16_t base = (uint16_t)(pci_config_read(d, PIIX4_PMBA, 4) & PIIX4_PMBA_MASK);
    bool on = (pci_config_read(d, PIIX4_PMREGMISC, 1) & PIIX4_PMREGMISC_PMIOSE) && base;
    if (c->fn.mapped != on || (on && c->fn.mapped_base != base))
        abort();
    if (!(pci_config_read(d, PIIX4_PMBA, 4) & PIIX4_PMBA_IO))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct pci_platform platform = { .irq_line = no_irq };
    struct chipset *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    bus_init(&c->bus);
    if (pci_bus_create(&c->pci, &c->bus, &platform) < 0)
        abort();
    piix3_isa_init(&c->isa);
    acpi_pm_init(&c->pm, no_sci, no_sleep, NULL);
    piix4_pm_init(&c->fn, &c->pm, &c->bus, 0x600);
    if (pci_bus_add_function(&c->pci, &c->isa, PIIX_SLOT, PIIX3_ISA_FUNC) < 0 ||
        pci_bus_add_function(&c->pci, &c->fn.pci, PIIX_SLOT, PIIX4_PM_FUNC) < 0 ||
        piix4_pm_update_mapping(&c->fn) < 0)
        abort();
    for (size_t i = 0; i + 8 <= size; i += 8)
        fuzz_record(c, data + i);
    piix4_pm_unmap(&c->fn);
    pci_bus_destroy(&c->pci);
    pci_device_destroy(&c->isa);
    pci_device_destroy(&c->fn.pci);
    acpi_pm_destroy(&c->pm);
    bus_destroy(&c->bus);
    free(c);
    return 0;
}
