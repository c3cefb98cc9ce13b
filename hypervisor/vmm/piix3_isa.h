/* piix3_isa: the PCI-to-ISA bridge at 00:01.0 (Intel 82371SB, PIIX3),
 * function 0 of the chipset slot whose function 3 is the power management
 * function (piix4_pm.h), as on QEMU's "pc" machine.
 *
 * Firmware looks for it: OVMF binds its ISA drivers (COM1, the PS/2
 * keyboard) below the ISA bridge it finds here and gives its serial
 * console that device path; SeaBIOS programs its PIRQ routing.  The PIRQ
 * route control registers (0x60-0x63) and the few others firmware and
 * Linux touch keep what is written and route nothing: PCI interrupts reach
 * the IOAPIC on GSIs 16-19 as the ACPI _PRT and the MP table say (see
 * machine.c), never through the 8259 PIRQ steering. */
#ifndef CORRAL_PIIX3_ISA_H
#define CORRAL_PIIX3_ISA_H

#include "pci.h"

#define PIIX3_ISA_VENDOR 0x8086
#define PIIX3_ISA_DEVICE 0x7000
#define PIIX3_ISA_CLASS 0x060100 /* bridge, ISA */
#define PIIX_SLOT 1              /* the chipset's slot: 00:01 */
#define PIIX3_ISA_FUNC 0
#define PIIX3_PIRQ_ROUTE 0x60    /* PIRQRC[A:D], 4 bytes */
#define PIIX3_PIRQ_DISABLED 0x80 /* IRQROUTEN: the reset value of each */

/* Fill dev's header as the PIIX3 ISA bridge (no BARs, no interrupt). */
void piix3_isa_init(struct pci_device *dev);

struct device_desc;
extern const struct device_desc piix3_isa_device;

#endif
