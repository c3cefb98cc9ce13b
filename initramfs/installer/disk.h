/* disk: the disks corral-install may install to, and the rules that pick
 * or refuse one.
 *
 * The facts come from sysfs (size, model, serial, transport, partitions),
 * from blkid's output (labels and file system types) and from /proc/mounts
 * (what is in use).  Everything here works on text and structs, so the
 * rules are unit-tested without disks; install.c does the probing. */
#ifndef CORRAL_INSTALLER_DISK_H
#define CORRAL_INSTALLER_DISK_H

#include <stddef.h>
#include <stdint.h>

/* A disk below this cannot hold the BIOS boot partition, the 512 MiB ESP
 * and a data partition worth having (documented in docs/install.md). */
#define DISK_MIN_BYTES (4ULL << 30)

#define DISK_NAME_MAX 32
#define DISK_MAX_PARTITIONS 32
#define DISK_MAX 64

/* The label of the ISO's file system (iso/make-iso.sh: -volid CORRAL). */
#define MEDIUM_LABEL "CORRAL"
/* The answer file's partition: labelled CORRAL-ANSWER, or CORRAL-ANS on
 * FAT, whose labels have at most 11 characters. */
#define ANSWER_LABEL "CORRAL-ANSWER"
#define ANSWER_LABEL_FAT "CORRAL-ANS"

struct disk {
    char name[DISK_NAME_MAX];             /* "vda", "sda", "nvme0n1" */
    uint64_t size_bytes;
    unsigned sector_size;                 /* logical block size */
    int removable;
    int read_only;
    char model[64];
    char serial[64];
    char transport[16];                   /* virtio, nvme, usb, sata, scsi, ... */
    char partitions[DISK_MAX_PARTITIONS][DISK_NAME_MAX];
    size_t partition_count;
    char labels[256];                     /* "CORRAL-DATA (ext4), ..." for display */
    int holds_medium;                     /* the Corral ISO the system booted from */
    int holds_answer;                     /* the CORRAL-ANSWER partition */
    char in_use[160];                     /* "/dev/vda3 is mounted at /x", or "" */
};

/* One line of blkid output: `/dev/vda1: LABEL="x" UUID="..." TYPE="ext4"`. */
struct blkid_entry {
    char device[64]; /* without /dev/ */
    char label[64];
    char type[16];
};

/* Parses one blkid line; returns 0, or -EINVAL for a line that is not one. */
int blkid_parse_line(const char *line, struct blkid_entry *out);

/* Whether a file system label marks the answer file's partition. */
int is_answer_label(const char *label);

/* Whether name is a whole disk worth listing (not loop, ram, zram, a CD
 * drive, a floppy, device-mapper or md). */
int disk_name_is_candidate(const char *name);

/* Classifies the transport from the resolved sysfs path of the device. */
void disk_transport_from_path(const char *sysfs_path, char *out, size_t len);

/* Whether dev ("vda" or "vda1") is the disk d or one of its partitions. */
int disk_owns_device(const struct disk *d, const char *dev);

/* Records labels, the medium and the answer partition from blkid entries. */
void disk_apply_blkid(struct disk *disks, size_t n, const struct blkid_entry *e,
                      size_t ne);
/* Records mounted partitions from the text of /proc/mounts. */
void disk_apply_mounts(struct disk *disks, size_t n, const char *mounts);

/* Why d must not be installed to (written into buf, returned), or NULL
 * when it may be. */
const char *disk_refusal(const struct disk *d, char *buf, size_t len);

/* Picks the target from a rule: a disk name ("vda" or "/dev/vda"),
 * "largest" or "smallest" (among the disks that are not refused).
 * Returns the index, or -1 with the reason in why. */
int disk_pick(const struct disk *disks, size_t n, const char *rule, char *why,
              size_t why_len);

/* The device name of partition number of disk: vda -> vda3,
 * nvme0n1 -> nvme0n1p3 (a name ending in a digit takes a "p"). */
void partition_name(const char *disk, int number, char *out, size_t len);

struct json_writer;
/* The disk list as JSON for the console UI (`corral-install --list --json`):
 * {"min_bytes":N,"disks":[{"name","size_bytes","size","transport","model",
 * "serial","removable","partitions","labels","usable","refusal"}...]};
 * refusal is null for a disk that may be used. */
void disk_list_json(const struct disk *disks, size_t n, struct json_writer *w);

/* "20.0 GiB", "512 MiB". */
void format_size(uint64_t bytes, char *out, size_t len);

#endif
