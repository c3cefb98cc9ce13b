/* firmware: what booting a firmware image (SeaBIOS, or OVMF's UEFI) takes,
 * as pure logic so it is unit-testable: checking the image, where its
 * copies go, and the fw_cfg items that describe the machine to it (e820
 * RAM map, boot order, serial console, CPU counts).  machine.c maps the
 * image and fills fw_cfg (the device table, devices.h, puts fw_cfg and the
 * firmware log on the board for boot = firmware); the vCPUs start in their
 * reset state (CS:IP f000:fff0, linear 0xfffffff0), which is inside the
 * copy at the top of 4 GiB.
 *
 * Both find the chipset they know (i440FX host bridge, PIIX3 ISA, PIIX4
 * PM: i440fx.h, piix3_isa.h, piix4_pm.h) and read fw_cfg; OVMF reaches
 * the ACPI tables through etc/table-loader as SeaBIOS does.
 *
 * Memory: the whole image is a read-only memory slot ending at 4 GiB, as
 * on a PC; up to 4 MiB, the flash area QEMU gives OVMF (OVMF_CODE_4M.fd
 * is 3.5 MiB).  Without the variable store's flash below it, OVMF keeps
 * its variables in RAM (it probes the flash and finds none).
 *
 * A BIOS image (at most 256 KiB) is also copied into guest RAM so that it
 * ends at 1 MiB (0xc0000-0xfffff for 256 KiB).  On QEMU only the last
 * 128 KiB are aliased there and SeaBIOS, after unlocking the i440FX's PAM
 * registers, copies its 32-bit init code from the 4 GiB copy to the same
 * offset below 1 MiB.  We do not emulate PAM (i440fx.h): the window is
 * plain RAM holding the whole image when the vCPU starts, and SeaBIOS's
 * copy writes the same bytes again.  A larger image (UEFI firmware) gets
 * no low copy: it runs from the top of 4 GiB and owns that area itself. */
#ifndef CORRAL_FIRMWARE_H
#define CORRAL_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "fw_cfg.h"
#include "guest_mem.h"

#define FIRMWARE_SIZE_UNIT   0x1000ULL   /* images are whole 4 KiB pages */
#define FIRMWARE_SIZE_MAX    0x400000ULL /* 4 MiB: the flash area below 4 GiB */
#define FIRMWARE_TOP         0x100000000ULL /* the image ends at 4 GiB */
#define FIRMWARE_LOW_END     0x100000ULL /* the legacy copy ends at 1 MiB */
#define FIRMWARE_LOW_MAX     0x40000ULL  /* 0xc0000-0xfffff: a BIOS image */
/* KVM's real-mode TSS and identity-map pages (vm.c), reserved in e820. */
#define FIRMWARE_KVM_PAGES_ADDR GUEST_MEM_KVM_PAGES_ADDR
#define FIRMWARE_KVM_PAGES_SIZE GUEST_MEM_KVM_PAGES_SIZE

#define FIRMWARE_E820_ENTRY_SIZE 20 /* le64 address, le64 length, le32 type */
#define FIRMWARE_E820_MAX 4
#define FIRMWARE_SERCON_PORT 0x3f8 /* COM1 */
/* CMOS: the boot device SeaBIOS reads when no bootorder names one. */
#define FIRMWARE_CMOS_BOOT_FLAG1 0x38
#define FIRMWARE_CMOS_BOOT_FLAG2 0x3d
#define FIRMWARE_CMOS_BOOT_HDD   0x02

/* 0, or -EINVAL with a reason when size is no BIOS image we can map. */
int firmware_check_size(uint64_t size, char *err, size_t errlen);
/* The guest-physical address the image starts at (it ends at 4 GiB). */
uint64_t firmware_rom_base(uint64_t size);
/* A BIOS image (at most FIRMWARE_LOW_MAX; checked by firmware_check_size):
 * copy it so that it ends at 1 MiB in guest RAM.  A larger image is left
 * alone.  Returns 0, or -EINVAL when RAM is too small. */
int firmware_load_low(const struct guest_mem *mem, const uint8_t *img,
                      size_t size);
/* etc/e820: RAM below the PCI hole, KVM's pages, RAM above 4 GiB.
 * Returns the bytes written to out (room for FIRMWARE_E820_MAX entries). */
size_t firmware_e820(const struct guest_mem *mem,
                     uint8_t out[FIRMWARE_E820_MAX * FIRMWARE_E820_ENTRY_SIZE]);
/* A device SeaBIOS may boot from: a virtio-blk disk, by its PCI slot,
 * or a disk or CD-ROM drive on a port of the AHCI controller in slot. */
struct firmware_boot_dev {
    unsigned slot;
    int ahci_port; /* -1: a virtio-blk disk */
};
/* bootorder: one OpenFirmware path per device, in the given order
 * ("/pci@i0cf8/scsi@SLOT/disk@0,0" for virtio-blk as QEMU writes it,
 * "/pci@i0cf8/sata@SLOT/drive@PORT/disk@0" for an AHCI port, which is
 * what SeaBIOS looks for its AHCI disks and CDs under), then HALT so that
 * nothing else is tried.  Returns the length written (NUL-terminated),
 * or 0 when it does not fit. */
size_t firmware_bootorder(const struct firmware_boot_dev *devs, size_t n,
                          char *out, size_t outlen);
/* SeaBIOS boots only the first hard disk of its boot order: it maps that
 * one to BIOS drive 0x80 and, when it fails, tries no other hard disk.
 * So that a blank disk does not hide the installer ISO behind it, the
 * disks whose first sector ends in the boot signature 0x55AA (an MBR, a
 * GPT's protective MBR, a hybrid ISO) go first, each group in definition
 * order.  Writes the ordered slots to out; returns how many lead (0: no
 * disk looks bootable). */
size_t firmware_boot_first(const unsigned *slots, const bool *bootable, size_t n,
                           unsigned *out);
/* Whether a first sector (512 bytes) carries the boot signature. */
bool firmware_sector_bootable(const uint8_t sector[512]);
/* Whether a CD's volume descriptor at sector 17 (its first
 * FIRMWARE_ELTORITO_LEN bytes) is El Torito's boot record. */
#define FIRMWARE_ELTORITO_OFFSET (17 * 2048)
#define FIRMWARE_ELTORITO_LEN 32
bool firmware_cd_bootable(const uint8_t record[FIRMWARE_ELTORITO_LEN]);
/* All of the above into fw (plus CPU counts and the serial console). */
int firmware_fill_fw_cfg(struct fw_cfg *fw, const struct guest_mem *mem,
                         unsigned cpus, const struct firmware_boot_dev *devs,
                         size_t ndevs);

#endif
