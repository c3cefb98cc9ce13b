/* piix3_isa: the PIIX3 ISA bridge function (see piix3_isa.h). */
#include "piix3_isa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"

/* Registers that keep what is written (offset, length): ISA I/O recovery
 * and the X-bus chip select (0x4C-0x4F), PIRQ routing (0x60-0x63), the
 * top-of-memory and misc status (0x69-0x6B, Linux's "passive release"
 * quirk writes 0x82's neighbours) and the DMA/APIC controls (0x80-0x82). */
static const struct { uint8_t offset, len; } piix3_storage[] = {
    { 0x4C, 4 }, { PIIX3_PIRQ_ROUTE, 4 }, { 0x69, 3 }, { 0x80, 3 },
};

void piix3_isa_init(struct pci_device *dev)
{
    pci_device_init(dev, PIIX3_ISA_VENDOR, PIIX3_ISA_DEVICE, PIIX3_ISA_CLASS,
                    0, NULL);
    pci_config_write(dev, PCI_INTERRUPT_PIN, 1, 0);
    pci_config_set_wmask(dev, PCI_INTERRUPT_LINE, 1, 0);
    for (size_t i = 0; i < sizeof(piix3_storage) / sizeof(piix3_storage[0]); i++)
        for (unsigned b = 0; b < piix3_storage[i].len; b++)
            pci_config_set_wmask(dev, piix3_storage[i].offset + b, 1, 0xFF);
    pci_config_write(dev, PIIX3_PIRQ_ROUTE, 4, PIIX3_PIRQ_DISABLED * 0x01010101u);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

static int piix3_add(struct board *b, const struct vmdef *def, size_t index,
                     void **dev)
{
    (void)def;
    (void)index;
    struct pci_device *isa = board_alloc_device(dev, sizeof(*isa), "PIIX3 ISA");
    if (!isa)
        return VM_EXIT_ERROR;
    piix3_isa_init(isa);
    int rc = pci_bus_add_function(&b->pci, isa, PIIX_SLOT, PIIX3_ISA_FUNC);
    if (rc < 0)
        return vm_error("PIIX3 ISA bridge: cannot take 00:%02x.%x: %s", PIIX_SLOT,
                        PIIX3_ISA_FUNC, strerror(-rc));
    return 0;
}

static void piix3_destroy(void *dev)
{
    pci_device_destroy(dev);
    free(dev);
}

const struct device_desc piix3_isa_device = {
    .name = "PIIX3 ISA bridge",
    .add = piix3_add,
    .destroy = piix3_destroy,
};
