/* piix4_pm: the power management function at 00:01.3 (Intel 82371AB,
 * PIIX4 ACPI), which decodes the ACPI fixed hardware (acpi_pm.h) in port
 * I/O wherever its PMBA register says.
 *
 * Layout of the 64-port block at PMBA (PIIX4 datasheet 290562, 7.1):
 * PM1 status/enable at +0, PM1 control at +4, the PM timer at +8.  The
 * block decodes while PMREGMISC (0x80) bit 0 (PMIOSE) is set, whatever the
 * command register says (as QEMU's piix4 does).
 *
 * Firmware programs it: SeaBIOS writes PMBA 0x600 and sets PMIOSE; OVMF
 * sets both only when PMIOSE is clear and otherwise keeps the base it
 * finds (its ACPI timer then reads PMBA + 8).  corral-vmm powers the
 * function up already decoding at ACPI_PM_BASE, the address the ACPI
 * tables (FADT) give, as firmware would have left it; so direct kernel
 * boot, SeaBIOS and OVMF all see the block where the FADT says.  A guest
 * that moves it elsewhere gets the registers there (the FADT then tells a
 * later reader the old address, as on hardware); a base that would
 * overlap another device's ports leaves the block off the bus.
 *
 * DEVACTB (0x58) reads with APMC_EN set, which tells SeaBIOS "SMM is set
 * up already" (QEMU does the same without SMM): there is no SMM here.  The
 * SMBus host (0x90, 0xD2) is never enabled, so Linux's i2c-piix4 leaves
 * it alone. */
#ifndef CORRAL_PIIX4_PM_H
#define CORRAL_PIIX4_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi_pm.h"
#include "bus.h"
#include "pci.h"

#define PIIX4_PM_VENDOR 0x8086
#define PIIX4_PM_DEVICE 0x7113
#define PIIX4_PM_REVISION 0x03
#define PIIX4_PM_CLASS 0x068000 /* bridge, other */
#define PIIX4_PM_FUNC 3
#define PIIX4_PMBA 0x40
#define PIIX4_PMBA_IO 0x1u      /* RTE: the block is in I/O space */
#define PIIX4_PMBA_MASK 0xFFC0u /* 64 ports, 64-aligned */
#define PIIX4_DEVACTB 0x58
#define PIIX4_DEVACTB_APMC_EN (1u << 25)
#define PIIX4_PMREGMISC 0x80
#define PIIX4_PMREGMISC_PMIOSE 0x01
#define PIIX4_SMBHSTBASE 0x90
/* Offsets in the block of the registers acpi_pm.c implements. */
#define PIIX4_PM_EVT_OFFSET 0
#define PIIX4_PM_CNT_OFFSET 4
#define PIIX4_PM_TMR_OFFSET 8

struct piix4_pm {
    struct pci_device pci;
    struct acpi_pm *pm;  /* the registers the block decodes to */
    struct bus *bus;     /* where the block goes (port I/O) */
    bool mapped;         /* the block is on the bus ... */
    uint16_t mapped_base; /* ... at this base */
};

/* Fill the function's header; the block decodes at base (a multiple of
 * 64, or 0 for a function that waits for firmware to program it) once
 * piix4_pm_update_mapping runs.  pm and bus stay the caller's. */
void piix4_pm_init(struct piix4_pm *p, struct acpi_pm *pm, struct bus *bus,
                   uint16_t base);
/* Put the block where PMBA and PMIOSE say (called after every config
 * write; the PCI bus lock or exclusive access held).  Returns 0, or
 * -EBUSY when the ports at the new base are taken (the block stays off). */
int piix4_pm_update_mapping(struct piix4_pm *p);
/* Take the block off the bus. */
void piix4_pm_unmap(struct piix4_pm *p);

struct device_desc;
extern const struct device_desc piix4_pm_device;

#endif
