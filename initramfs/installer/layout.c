/* layout: the GPT corral-install writes (layout.h). */
#include "layout.h"

#include <errno.h>
#include <stdio.h>

/* A GPT keeps its backup header and a 16 KiB entry array at the end of the
 * disk; partitions must end before them. */
#define GPT_ENTRY_ARRAY_BYTES 16384ULL

static uint64_t last_usable_lba(uint64_t total_sectors, unsigned sector_size)
{
    uint64_t entry_sectors = (GPT_ENTRY_ARRAY_BYTES + sector_size - 1) / sector_size;
    return total_sectors - 1 - 1 - entry_sectors; /* backup header, entries */
}

static void set_partition(struct gpt_partition *p, int number, uint64_t start_bytes,
                          uint64_t bytes, unsigned sector_size, const char *type,
                          const char *name)
{
    p->number = number;
    p->start_lba = start_bytes / sector_size;
    p->sectors = bytes / sector_size;
    p->type_guid = type;
    p->name = name;
    p->uuid[0] = '\0';
}

int layout_compute(uint64_t disk_bytes, unsigned sector_size, struct gpt_layout *out)
{
    if (sector_size != 512 && sector_size != 4096)
        return -EINVAL;
    uint64_t total = disk_bytes / sector_size;
    uint64_t bios_start = 1 * MIB; /* the first 1 MiB: MBR, GPT, alignment */
    uint64_t esp_start = bios_start + LAYOUT_BIOS_BOOT_BYTES;
    uint64_t data_start = esp_start + LAYOUT_ESP_BYTES;
    if (total < 64)
        return -ENOSPC;
    uint64_t usable_end = (last_usable_lba(total, sector_size) + 1) * sector_size;
    if (usable_end < data_start + LAYOUT_MIN_DATA_BYTES)
        return -ENOSPC;
    uint64_t data_bytes = (usable_end - data_start) / MIB * MIB;

    out->sector_size = sector_size;
    set_partition(&out->part[0], PART_BIOS_BOOT, bios_start, LAYOUT_BIOS_BOOT_BYTES,
                  sector_size, GPT_TYPE_BIOS_BOOT, "BIOS boot");
    set_partition(&out->part[1], PART_ESP, esp_start, LAYOUT_ESP_BYTES, sector_size,
                  GPT_TYPE_ESP, "EFI system");
    set_partition(&out->part[2], PART_DATA, data_start, data_bytes, sector_size,
                  GPT_TYPE_LINUX_FS, DATA_LABEL);
    return 0;
}

int layout_sfdisk_script(const struct gpt_layout *l, char *buf, size_t len)
{
    size_t used = 0;
    /* first-lba right after the primary entry array (sfdisk would say
     * 2048), so that sgdisk --verify sees no unusual gap. */
    uint64_t first_lba = 2 + (GPT_ENTRY_ARRAY_BYTES + l->sector_size - 1) / l->sector_size;
    int n = snprintf(buf, len, "label: gpt\nunit: sectors\nfirst-lba: %llu\n",
                     (unsigned long long)first_lba);
    if (n < 0 || (size_t)n >= len)
        return -ENOSPC;
    used = (size_t)n;
    for (int i = 0; i < PART_COUNT; i++) {
        const struct gpt_partition *p = &l->part[i];
        n = snprintf(buf + used, len - used,
                     "start=%llu, size=%llu, type=%s, %s%s%sname=\"%s\"\n",
                     (unsigned long long)p->start_lba, (unsigned long long)p->sectors,
                     p->type_guid, p->uuid[0] ? "uuid=" : "", p->uuid,
                     p->uuid[0] ? ", " : "", p->name);
        if (n < 0 || (size_t)n >= len - used)
            return -ENOSPC;
        used += (size_t)n;
    }
    return 0;
}
