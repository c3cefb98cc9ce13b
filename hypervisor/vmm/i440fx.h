/* i440fx: the PCI host bridge at 00:00.0, an Intel 82441FX (i440FX) as
 * QEMU's "pc" machine has it.  Firmware identifies the platform by this
 * function's IDs: OVMF knows only the i440FX and Q35 bridges ("Unknown
 * Host Bridge Device ID" otherwise), and SeaBIOS finds the chipset it
 * expects around it (PIIX3 ISA bridge and PIIX4 PM at 00:01, piix3_isa.h
 * and piix4_pm.h).
 *
 * What is emulated is what firmware writes: the PAM registers (0x59-0x5F,
 * which shadow the BIOS area below 1 MiB) and SMRAM (0x72) keep what is
 * written, nothing more.  Memory below 1 MiB is always plain RAM here, so
 * "unlocking" it (SeaBIOS, after reading PAM0 without RAM enabled, copies
 * its image from the top of 4 GiB onto the identical copy firmware.h puts
 * there) changes nothing, and locking it does not make it read-only.  No
 * SMM: SMRAM is never opened. */
#ifndef CORRAL_I440FX_H
#define CORRAL_I440FX_H

#include "pci.h"

#define I440FX_VENDOR 0x8086
#define I440FX_DEVICE 0x1237
#define I440FX_REVISION 0x02
#define I440FX_PAM0 0x59
#define I440FX_PAM_COUNT 7
#define I440FX_SMRAM 0x72
#define I440FX_SMRAM_RESET 0x02 /* C_BASE_SEG: SMRAM at 0xA0000, closed */
#define I440FX_SMRAM_WRITABLE 0x78 /* D_OPEN, D_CLS, D_LCK, G_SMRAME */

/* Fill dev's header as an i440FX host bridge (no BARs, no interrupt). */
void i440fx_init(struct pci_device *dev);

#endif
