/* medialist: what "Import an image from a USB stick or disk" offers.  The
 * partitions come from BusyBox blkid's listing (one line a file system:
 * `/dev/sdb1: LABEL="STICK" UUID="..." TYPE="vfat"`), less those mounted
 * already (/proc/mounts: the control domain's own) and those that hold no
 * files to copy (swap, an ISO written to a stick); the files offered are
 * the images a VM can use (ISOs and raw disk images).  No I/O here. */
#ifndef CORRAL_SETUP_MEDIALIST_H
#define CORRAL_SETUP_MEDIALIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEDIALIST_MAX 32

struct media_part {
    char device[64]; /* /dev/sdb1 */
    char label[48];  /* "" when it has none */
    char type[16];   /* vfat, ext4, ntfs... */
};

/* Fills out with the partitions blkid lists that can be imported from,
 * in its order; mounts is /proc/mounts' text (NULL: none).  Lines it
 * cannot read are skipped.  Returns how many (at most max). */
size_t medialist_parse(const char *blkid, const char *mounts, struct media_part *out,
                       size_t max);

/* Whether a file name is an image a VM can use: *.iso, *.img, *.raw
 * (any case), not a hidden file. */
bool medialist_is_image(const char *name);

/* "sdb1 7.5G vfat STICK" for the list; size_bytes 0: unknown. */
void medialist_describe(const struct media_part *p, uint64_t size_bytes, char *out, size_t len);
/* A size as "7.5G", "64M", "110K" (binary units). */
void medialist_size(uint64_t bytes, char *out, size_t len);

#endif
