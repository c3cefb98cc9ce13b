/* mptable: the Intel MultiProcessor Specification 1.4 tables that tell a
 * guest without ACPI about its CPUs, the IOAPIC and interrupt routing.
 *
 * Pure logic: builds the floating pointer and configuration table into a
 * buffer standing for guest memory at region_gpa.  The configuration table
 * starts the region and the floating pointer takes its last 16 bytes, which
 * Linux finds by scanning 639K..640K when the region is the 4 KiB EBDA at
 * 0x9f000.  The ACPI tables (acpi.h) say the same; the MP table stays for
 * guests booted with acpi=off. */
#ifndef CORRAL_MPTABLE_H
#define CORRAL_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_LAPIC_ADDR  0xfee00000u
#define MPTABLE_IOAPIC_ADDR 0xfec00000u
#define MPTABLE_IOAPIC_PINS 24
#define MPTABLE_ISA_IRQS    16
#define MPTABLE_BUS_PCI     0
#define MPTABLE_BUS_ISA     1

/* A PCI device's INTx line routed to an IOAPIC pin (= GSI). */
struct mptable_pci_irq {
    uint8_t slot; /* device number on bus 0 */
    uint8_t pin;  /* 1..4 for INTA#..INTD# */
    uint8_t gsi;
};

/* Returns the bytes of the configuration table written, or 0 when the
 * tables do not fit region_size or the arguments are invalid. */
size_t mptable_build(uint8_t *region, size_t region_size, uint32_t region_gpa,
                     uint32_t nvcpus, const struct mptable_pci_irq *pci,
                     size_t n_pci);

/* Sum of len bytes mod 256: zero for a table with a correct checksum. */
uint8_t mptable_sum(const uint8_t *p, size_t len);

#endif
