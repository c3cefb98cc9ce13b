/* biosboot: GRUB's boot.img and core.img placed on a GPT disk (biosboot.h). */
#include "biosboot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++, v >>= 8)
        p[i] = (uint8_t)(v & 0xff);
}

int bios_core_patch(uint8_t *core, size_t core_len, uint64_t core_lba,
                    uint64_t max_sectors, char *why, size_t why_len)
{
    uint64_t sectors = (core_len + BOOT_SECTOR_BYTES - 1) / BOOT_SECTOR_BYTES;
    if (core_len < 2 * BOOT_SECTOR_BYTES) {
        snprintf(why, why_len, "core image too short (%zu bytes)", core_len);
        return -EINVAL;
    }
    if (sectors > max_sectors) {
        snprintf(why, why_len, "core image (%llu sectors) does not fit the BIOS boot partition (%llu)",
                 (unsigned long long)sectors, (unsigned long long)max_sectors);
        return -EINVAL;
    }
    uint8_t *block = core + DISKBOOT_BLOCKLIST_OFFSET;
    uint64_t len = get_le(block + 8, 2), segment = get_le(block + 10, 2);
    if (segment != DISKBOOT_SEGMENT || len != sectors - 1) {
        snprintf(why, why_len, "not a GRUB i386-pc core image (blocklist: %llu sectors at segment 0x%llx)",
                 (unsigned long long)len, (unsigned long long)segment);
        return -EINVAL;
    }
    put_le(block, core_lba + 1, 8);
    return 0;
}

int bios_mbr_patch(uint8_t mbr[BOOT_SECTOR_BYTES],
                   const uint8_t boot_img[BOOT_SECTOR_BYTES], uint64_t core_lba,
                   char *why, size_t why_len)
{
    if (mbr[510] != 0x55 || mbr[511] != 0xaa) {
        snprintf(why, why_len, "sector 0 has no partition table signature");
        return -EINVAL;
    }
    uint8_t code[BOOT_CODE_END];
    memcpy(code, boot_img, sizeof(code));
    /* A BPB in the old sector stays (grub-bios-setup does the same). */
    memcpy(code + BOOT_BPB_START, mbr + BOOT_BPB_START, BOOT_BPB_END - BOOT_BPB_START);
    put_le(code + BOOT_KERNEL_SECTOR_OFFSET, core_lba, 8);
    code[BOOT_DRIVE_OFFSET] = 0xff;
    code[BOOT_DRIVE_CHECK_OFFSET] = 0x90;
    code[BOOT_DRIVE_CHECK_OFFSET + 1] = 0x90;
    memcpy(mbr, code, sizeof(code));
    return 0;
}
