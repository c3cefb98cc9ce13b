/* acpi: the ACPI tables corral-vmm gives a guest (ACPI 6.x): RSDP, XSDT,
 * FADT (with FACS), DSDT and MADT.
 *
 * What they describe:
 *  - MADT: one local APIC per vCPU (APIC ID = vCPU index), the IOAPIC
 *    (ID = vCPU count, as in the MP table) with IRQ 0 overridden to GSI 2
 *    (the PIT) and the SCI as a level, active-high GSI 9, and LINT1 as NMI.
 *  - FADT: a PC with a fixed-feature power button, PM1a event and
 *    control blocks and the PM timer in port I/O (acpi_pm.c), no SMI command port (the
 *    guest is in ACPI mode from the start), i8042 and legacy devices.
 *  - DSDT: \_SB.PCI0, the PCI host bridge with the windows pci.c assigns
 *    BARs from (_CRS) and each used slot's INTA routed to its GSI (_PRT,
 *    matching pci_bus_slot_gsi), and \_S5 so that Linux powers off by
 *    writing SLP_TYP 5 with SLP_EN to PM1a_CNT.
 *
 * Pure logic: writes into a buffer standing for guest memory at
 * region_gpa, RSDP first (16-byte aligned; Linux scans 0xE0000-0xFFFFF). */
#ifndef CORRAL_ACPI_H
#define CORRAL_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mptable.h"

/* The PIIX4 PM block (piix4_pm.h) at its power-up base, which SeaBIOS
 * programs too: the registers the FADT points at. */
#define ACPI_PM_BASE 0x600
#define ACPI_PM1_EVT_PORT ACPI_PM_BASE /* PM1a status (2 bytes), enable (2 bytes) */
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_CNT_PORT (ACPI_PM_BASE + 4) /* PM1a control (2 bytes) */
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_PORT (ACPI_PM_BASE + 8) /* PM timer (24 bits) */
#define ACPI_PM_TMR_LEN 4
#define ACPI_SCI_IRQ 9
/* PCI INTx GSIs: the IOAPIC pins no ISA IRQ can take (see acpi.c). */
#define ACPI_PCI_GSI_FIRST 16
#define ACPI_IOAPIC_PINS 24
#define ACPI_S5_SLP_TYP 5

/* The guest-physical region the tables go to: inside the BIOS area the
 * e820 map reserves, where Linux looks for the RSDP. */
#define ACPI_REGION_GPA 0xF0000u
#define ACPI_REGION_SIZE 0x10000u
/* acpi_build() allocates the RSDP first: with direct kernel boot it sits
 * at the region's start (what the PVH start_info passes the kernel). */
#define ACPI_RSDP_GPA ACPI_REGION_GPA

struct acpi_config {
    uint32_t nvcpus;
    const struct mptable_pci_irq *pci; /* INTA of each used slot */
    size_t n_pci;
    uint64_t pci_mmio_base, pci_mmio_end; /* [base, end) */
    uint32_t pci_pio_base, pci_pio_end;
};

/* Where acpi_build put the tables that hold pointers, as offsets from the
 * start of the region: what a firmware relocating them must patch
 * (acpi_loader.c). */
struct acpi_layout {
    uint32_t rsdp, xsdt, xsdt_entries, fadt;
};

/* Offsets inside the tables of the pointers and checksums (ACPI 6.0). */
#define ACPI_HEADER_LEN 36
#define ACPI_HEADER_CHECKSUM 9
#define ACPI_HEADER_LENGTH 4
#define ACPI_RSDP_LEN 36
#define ACPI_RSDP_V1_LEN 20
#define ACPI_RSDP_CHECKSUM 8
#define ACPI_RSDP_EXT_CHECKSUM 32
#define ACPI_RSDP_XSDT 24
#define ACPI_FADT_LEN 276
#define ACPI_FADT_FIRMWARE_CTRL 36
#define ACPI_FADT_DSDT 40
#define ACPI_FADT_X_DSDT 140

/* Returns the bytes used from the start of region, or 0 when the tables
 * do not fit or the configuration is invalid.  layout (may be NULL) gets
 * where the tables went. */
size_t acpi_build(uint8_t *region, size_t region_size, uint32_t region_gpa,
                  const struct acpi_config *cfg, struct acpi_layout *layout);

/* Byte sum mod 256: zero for a table with a correct checksum. */
uint8_t acpi_sum(const uint8_t *p, size_t len);

#endif
