/* i440fx: the host bridge's configuration registers (see i440fx.h). */
#include "i440fx.h"

void i440fx_init(struct pci_device *dev)
{
    pci_device_init(dev, I440FX_VENDOR, I440FX_DEVICE, PCI_CLASS_HOST_BRIDGE,
                    I440FX_REVISION, NULL);
    /* A host bridge raises no interrupts and decodes nothing of its own. */
    pci_config_write(dev, PCI_INTERRUPT_PIN, 1, 0);
    pci_config_set_wmask(dev, PCI_INTERRUPT_LINE, 1, 0);
    for (unsigned i = 0; i < I440FX_PAM_COUNT; i++)
        pci_config_set_wmask(dev, I440FX_PAM0 + i, 1, 0xFF);
    pci_config_write(dev, I440FX_SMRAM, 1, I440FX_SMRAM_RESET);
    pci_config_set_wmask(dev, I440FX_SMRAM, 1, I440FX_SMRAM_WRITABLE);
}
