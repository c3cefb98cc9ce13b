/* corrald_cgroup_io: the cgroup v2 io.max of a VM's group, mirroring the
 * per-disk iops=/bps= of its definition on the block device that holds each
 * disk image.
 *
 * corral-vmm already enforces iops=/bps= per disk with token buckets
 * (rate_limit.c); io.max is the kernel's backstop behind it, so that a VMM
 * its guest took over still cannot use more of the device.  It limits
 * reads and writes each at the disk's figures (the VMM's budget is shared,
 * so the VMM's limit is the one that bites first).  Disks on one device
 * share its line: their limits add up, and one unlimited disk leaves that
 * figure unlimited ("max").
 *
 * io.max only works on a real block device: an image on tmpfs or overlayfs
 * has none, and some drivers refuse (no throttling for them); `vm show`
 * then says "io.max: not available on DEVICE (why)". */
#ifndef CORRAL_CORRALD_CGROUP_IO_H
#define CORRAL_CORRALD_CGROUP_IO_H

#include <stddef.h>
#include <stdint.h>

#include "vmdef.h"

struct corrald_io_limit {
    unsigned major, minor; /* the whole disk (io.max refuses partitions) */
    uint64_t iops, bps;    /* 0 = unlimited */
};

/* Pure: folds per-disk limits into one per device (order of first
 * appearance); returns how many went into out (at most n). */
size_t corrald_io_fold(const struct corrald_io_limit *disks, size_t n,
                       struct corrald_io_limit *out);

/* Pure: "MAJ:MIN rbps=B wbps=B riops=N wiops=N" ("max" for unlimited);
 * 0, or -ENOSPC when it does not fit. */
int corrald_io_max_line(const struct corrald_io_limit *l, char *buf, size_t len);

/* The whole disk holding path (its own device when path is a block
 * device); name gets its kernel name ("vda"); 0 or -errno, with why
 * saying what is missing. */
int corrald_io_device_of(const char *path, unsigned *major, unsigned *minor,
                         char *name, size_t name_len, char *why, size_t why_len);

/* Writes group/io.max for def's disks with a limit; note gets "" or what
 * could not be limited ("io.max: not available on vda (...)"), for vm show. */
void corrald_io_apply(const char *group, const struct vmdef *def, char *note,
                      size_t note_len);

/* The group's io.max as the kernel shows it (one "MAJ:MIN rbps=..." line
 * per limited device; "" for none); 0 or -errno. */
int corrald_io_read(const char *group, char *buf, size_t len);

#endif
