/* kvm_stats: the VM exits KVM itself counts for a vCPU, read from its
 * binary statistics file (KVM_GET_STATS_FD, Linux 5.14+).
 *
 * Most exits never reach the VMM: KVM handles them in the kernel (HLT with
 * the in-kernel LAPIC, an ioeventfd's MMIO write, external interrupts...).
 * These counters are the whole picture; exit_stats.h counts the part that
 * comes back to corral-vmm.  Reading them costs the vCPU nothing: KVM keeps
 * them anyway, and the VMM reads them with pread when asked. */
#ifndef CORRAL_KVM_STATS_H
#define CORRAL_KVM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kvm_stat {
    KVM_STAT_EXITS,   /* every exit */
    KVM_STAT_IO,      /* port I/O passed on to the VMM */
    KVM_STAT_MMIO,    /* MMIO passed on to the VMM (an ioeventfd hit is not) */
    KVM_STAT_HALT,    /* HLT */
    KVM_STAT_IRQ,     /* an external (host) interrupt */
    KVM_STAT_PF_TAKEN, /* guest-physical (nested) page faults KVM handled */
    KVM_STAT_PF_FIXED, /* of which installed a mapping: one per 4 KiB page
                        * first touched, one per 2 MiB on huge pages */
    KVM_STAT_BLOCKING, /* not a count: 1 while the vCPU is halted, waiting
                        * for an interrupt (Linux 5.17+) */
    KVM_STAT_COUNT,
};

/* KVM's names: "exits", "io_exits", ..., "pf_taken", "pf_fixed" */
extern const char *const kvm_stat_names[KVM_STAT_COUNT];

struct kvm_stats {
    int fd;                        /* -1: KVM has no stats file */
    int64_t pos[KVM_STAT_COUNT];   /* file offset of each value; -1: absent */
};

/* Finds the wanted counters in a descriptor block as KVM lays it out
 * (num_desc descriptors of 16 bytes + name_size each; values at
 * data_offset + descriptor offset).  Descriptors that run past len, or
 * names without a NUL, are not trusted.  Returns how many were found. */
int kvm_stats_locate(const uint8_t *descs, size_t len, uint32_t num_desc,
                     uint32_t name_size, uint32_t data_offset,
                     int64_t pos[KVM_STAT_COUNT]);

/* Opens the vCPU's stats file; s->fd is -1 when that fails (old kernel). */
void kvm_stats_open(struct kvm_stats *s, int vcpu_fd);
/* Current values; 0 for the ones KVM does not have. */
void kvm_stats_read(const struct kvm_stats *s, uint64_t out[KVM_STAT_COUNT]);
/* Is the vCPU halted now, waiting for an interrupt?  false where KVM does
 * not say.  One pread: cheap enough for a device deciding whether to
 * interrupt the guest now (irq_hold.h). */
bool kvm_stats_blocking(const struct kvm_stats *s);
void kvm_stats_close(struct kvm_stats *s);

/* A VM's vCPUs, as a device sees them: is the whole guest waiting? */
#define KVM_STATS_MAX_VCPUS 64
struct guest_vcpus {
    const struct kvm_stats *stats[KVM_STATS_MAX_VCPUS];
    unsigned n;
};
/* true when there are vCPUs and every one is halted (kvm_stats_blocking). */
bool guest_vcpus_all_halted(const struct guest_vcpus *g);

#endif
