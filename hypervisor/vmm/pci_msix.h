/* pci_msix: an MSI-X capability with its vector table and pending-bit
 * array (PBA) living in one of the device's memory BARs.
 *
 * The guest programs each vector's message (address, data) and mask bit
 * in the table; the capability's message control word holds the global
 * enable and function mask.  pci_msix_notify() sends a vector's message, or
 * when the vector or the function is masked sets its pending bit, which is
 * delivered as soon as the guest unmasks it (PCI 3.0, 6.8.2).
 *
 * Not locked: the owning device serialises every call with its own lock
 * (table accesses come from its BAR handler, control changes from its
 * config_written hook, notifications from its I/O path). */
#ifndef CORRAL_PCI_MSIX_H
#define CORRAL_PCI_MSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci.h"

#define PCI_MSIX_MAX_VECTORS 64
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_NO_VECTOR 0xFFFF

/* Message control bits. */
#define PCI_MSIX_CTRL_ENABLE 0x8000
#define PCI_MSIX_CTRL_MASKALL 0x4000
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1

struct pci_msix_entry {
    uint32_t addr_lo, addr_hi, data, ctrl;
};

struct pci_msix {
    struct pci_device *dev;
    uint16_t nvec;
    uint8_t cap_offset;
    bool enabled;
    bool function_masked;
    struct pci_msix_entry table[PCI_MSIX_MAX_VECTORS];
    uint64_t pba[PCI_MSIX_MAX_VECTORS / 64];
    uint64_t sent[PCI_MSIX_MAX_VECTORS]; /* messages sent, per vector */
};

/* Add the capability to dev: nvec vectors, table and PBA at the given
 * offsets of BAR bar (which the caller declares and routes here).  Every
 * vector starts masked.  Returns 0 or a negative errno. */
int pci_msix_init(struct pci_msix *m, struct pci_device *dev, uint16_t nvec,
                  uint8_t bar, uint32_t table_offset, uint32_t pba_offset);

/* Bytes of BAR space the table and the PBA need. */
uint32_t pci_msix_table_bytes(uint16_t nvec);
uint32_t pci_msix_pba_bytes(uint16_t nvec);

/* Guest accesses to the table / PBA region, offset relative to its start. */
void pci_msix_table_access(struct pci_msix *m, uint64_t offset, uint8_t *data,
                           uint32_t len, bool is_write);
void pci_msix_pba_access(struct pci_msix *m, uint64_t offset, uint8_t *data,
                         uint32_t len, bool is_write);

/* Call from the device's config_written hook: picks up enable and function
 * mask changes and delivers what became unmasked. */
void pci_msix_config_written(struct pci_msix *m, uint32_t offset, uint32_t len);

/* Send vector's message (or mark it pending).  Vectors out of range and
 * PCI_MSIX_NO_VECTOR are dropped: the driver asked for no interrupt. */
void pci_msix_notify(struct pci_msix *m, uint16_t vector);

/* Where vector stands, for a device's state line (SIGUSR2): "MSI-X
 * vector V to APIC A as 0xNN, sent N" plus ", masked" and ", pending"
 * when set; "MSI-X off" or "MSI-X no vector".  Returns what snprintf
 * returns. */
int pci_msix_vector_format(const struct pci_msix *m, uint16_t vector, char *buf,
                           size_t len);

#endif
