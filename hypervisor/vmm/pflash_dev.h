/* pflash_dev: the firmware flash on the machine: OVMF's code and its
 * variables, each a pflash_dev in page-aligned memory at the top of 4 GiB
 * (pflash_layout() says where).
 *
 *   code       read-only: a read-only KVM memory slot for good; writes
 *              exit as MMIO and are dropped.
 *   variables  the CFI flash of pflash.h over the per-VM file (checked by
 *              nvram_check() when opened).  While it reads as an array
 *              (romd) the array is a read-only KVM slot, so reads cost
 *              nothing and writes (commands) exit as MMIO; the first
 *              command unmaps the slot so that status, CFI and
 *              identifier reads trap too, and the return to read-array
 *              mode maps it again (QEMU's romd mode).
 *
 * Durability: every program and erase is written to the file at once
 * (pwrite: it survives corral-vmm's death), and fdatasync()ed when the
 * guest ends the sequence (its read-array command after programs, the
 * erase's confirm), so each of OVMF's flash writes reaches the disk
 * before the next begins, in the order its fault-tolerant variable store
 * relies on after a host crash.  pflash_dev_close() syncs what is left. */
#ifndef CORRAL_PFLASH_DEV_H
#define CORRAL_PFLASH_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pflash.h"
#include "vm.h"

/* Map (romd true) or unmap the array's read-only slot; 0 or -errno. */
typedef int (*pflash_romd_fn)(void *ctx, bool romd);

struct pflash_dev {
    pthread_mutex_t lock;
    struct pflash flash;
    uint8_t *array;      /* page-aligned, size bytes */
    uint64_t size;
    bool writable;       /* the variables; the code is not */
    int fd;              /* the variables file, or -1 */
    bool unsynced;       /* written since the last fdatasync */
    int io_error;        /* the first write-back error (-errno), logged once */
    const char *path;    /* for messages */
    pflash_romd_fn set_romd;
    void *romd_ctx;
    /* set by pflash_dev_map() */
    struct vm *vm;
    enum vm_slot slot;
    uint64_t gpa;
};

/* The code image: read-only, any non-empty multiple of PFLASH_BLOCK_SIZE
 * up to PFLASH_TOTAL_MAX.  0 or -errno with "PATH: reason" in err. */
int pflash_dev_open_code(struct pflash_dev *d, const char *path, char *err,
                         size_t errlen);
/* The variables file, opened read-write and checked (nvram_check()).
 * 0 or -errno with "PATH: reason" in err. */
int pflash_dev_open_vars(struct pflash_dev *d, const char *path, char *err,
                         size_t errlen);
/* Who maps and unmaps the array (pflash_dev_map() sets the KVM one;
 * unit tests their own).  Called with the device's lock held. */
void pflash_dev_set_romd_fn(struct pflash_dev *d, pflash_romd_fn fn, void *ctx);
/* Put the device at gpa: its array as a read-only memory slot and its
 * range on the bus.  0 or -errno with the reason in err. */
int pflash_dev_map(struct pflash_dev *d, struct vm *vm, enum vm_slot slot,
                   uint64_t gpa, char *err, size_t errlen);
/* The bus handler (offset inside the device). */
void pflash_dev_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                     bool is_write);
/* Sync and close the file, free the array.  0, or the first write-back
 * error (-errno): the variables may not all have reached the file. */
int pflash_dev_close(struct pflash_dev *d);

#endif
