/* biosboot: GRUB for legacy BIOS on a GPT disk, done the way
 * grub-bios-setup does it, since the control domain has no grub-install.
 *
 * The ISO build makes GRUB's i386-pc core.img with grub-mkimage (its first
 * sector is diskboot.img) and ships boot.img.  At install time:
 *
 * - core.img goes to the start of the BIOS boot partition, at core_lba.
 * - diskboot.img ends with a blocklist {u64 start, u16 len, u16 segment}
 *   naming the sectors it loads next; grub-mkimage fills len (the sectors
 *   after the first) and segment (0x820) and leaves start at 2, which is
 *   right only for a core at sector 1.  Its start becomes core_lba + 1.
 * - boot.img (the MBR's code, the first 440 bytes) gets the core's LBA at
 *   0x5c, 0xff at 0x64 (use the drive the BIOS booted from), and the jump
 *   at 0x66 replaced by two NOPs (for BIOSes that pass a wrong drive
 *   number); the disk signature, the protective MBR's partition table and
 *   0x55AA written by sfdisk stay as they are. */
#ifndef CORRAL_INSTALLER_BIOSBOOT_H
#define CORRAL_INSTALLER_BIOSBOOT_H

#include <stddef.h>
#include <stdint.h>

#define BOOT_SECTOR_BYTES 512
#define BOOT_KERNEL_SECTOR_OFFSET 0x5c
#define BOOT_DRIVE_OFFSET 0x64
#define BOOT_DRIVE_CHECK_OFFSET 0x66
#define BOOT_BPB_START 0x03
#define BOOT_BPB_END 0x5a
#define BOOT_CODE_END 0x1b8 /* the disk signature and partition table follow */
#define DISKBOOT_BLOCKLIST_OFFSET (BOOT_SECTOR_BYTES - 12)
#define DISKBOOT_SEGMENT 0x820

/* Patches core (core_len bytes, as grub-mkimage wrote it) for a place at
 * core_lba.  Returns 0, or -EINVAL (with why) when core is not an i386-pc
 * core image or does not fit max_sectors. */
int bios_core_patch(uint8_t *core, size_t core_len, uint64_t core_lba,
                    uint64_t max_sectors, char *why, size_t why_len);

/* Makes the new sector 0 in mbr: boot.img's code over the disk's current
 * sector 0 (given in mbr), pointing at core_lba.  Returns 0, or -EINVAL
 * (with why) when mbr has no 0x55AA signature (no partition table). */
int bios_mbr_patch(uint8_t mbr[BOOT_SECTOR_BYTES],
                   const uint8_t boot_img[BOOT_SECTOR_BYTES], uint64_t core_lba,
                   char *why, size_t why_len);

#endif
