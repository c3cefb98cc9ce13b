/* layout: the GPT corral-install writes (docs/install.md):
 *
 *   1  BIOS boot   1 MiB    GRUB's core image for legacy BIOS
 *   2  ESP         512 MiB  FAT32, label CORRAL-ESP: GRUB for UEFI,
 *                           grub.cfg, grubenv, boot slots a/ and b/
 *   3  data        the rest ext4, label CORRAL-DATA: /var/lib/corral
 *
 * Every partition starts and ends on a 1 MiB boundary.  The layout is
 * computed here and handed to sfdisk as a script, so the numbers are
 * tested without a disk and sfdisk only checks and writes them. */
#ifndef CORRAL_INSTALLER_LAYOUT_H
#define CORRAL_INSTALLER_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define MIB (1ULL << 20)
#define LAYOUT_BIOS_BOOT_BYTES (1 * MIB)
#define LAYOUT_ESP_BYTES (512 * MIB)
/* Less than this for /var/lib/corral is not worth installing to. */
#define LAYOUT_MIN_DATA_BYTES (1024 * MIB)

#define GPT_TYPE_BIOS_BOOT "21686148-6449-6E6F-744E-656564454649"
#define GPT_TYPE_ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define GPT_TYPE_LINUX_FS "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

#define ESP_LABEL "CORRAL-ESP"
#define DATA_LABEL "CORRAL-DATA"

enum { PART_BIOS_BOOT = 1, PART_ESP = 2, PART_DATA = 3, PART_COUNT = 3 };

struct gpt_partition {
    int number;
    uint64_t start_lba; /* in logical sectors of the disk */
    uint64_t sectors;
    const char *type_guid;
    const char *name;   /* the GPT partition name */
    char uuid[37];      /* its unique GUID; "" lets sfdisk choose */
};

struct gpt_layout {
    unsigned sector_size;
    struct gpt_partition part[PART_COUNT]; /* part[i].number == i + 1 */
};

/* Computes the layout for a disk of disk_bytes with sector_size logical
 * sectors (512 or 4096).  Returns 0, -EINVAL for a bad sector size, or
 * -ENOSPC when the disk is too small for a data partition. */
int layout_compute(uint64_t disk_bytes, unsigned sector_size, struct gpt_layout *out);

/* Writes the sfdisk script for the layout.  Returns 0, or -ENOSPC when
 * buf is too small. */
int layout_sfdisk_script(const struct gpt_layout *l, char *buf, size_t len);

#endif
