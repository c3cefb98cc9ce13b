/* exit_stats: how often each vCPU comes back to corral-vmm from KVM_RUN,
 * by reason, and the line that reports it together with KVM's own counts
 * (kvm_stats.h).
 *
 * Each vCPU thread owns its counters and is their only writer, so a bump
 * is a plain load and store (relaxed atomics: no lock, no locked
 * instruction on the exit path); the main thread reads them at any time
 * for `kill -USR2` and, with -v, at the end. */
#ifndef CORRAL_EXIT_STATS_H
#define CORRAL_EXIT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "kvm_stats.h"

enum exit_kind {
    EXIT_KIND_IO,     /* port I/O to a device model */
    EXIT_KIND_MMIO,   /* MMIO to a device model */
    EXIT_KIND_HLT,    /* HLT (only without an in-kernel LAPIC) */
    EXIT_KIND_INTR,   /* KVM_RUN interrupted by a signal (a kick) */
    EXIT_KIND_OTHER,  /* system events, shutdown, errors */
    EXIT_KINDS,
};

struct exit_counters {
    uint64_t n[EXIT_KINDS];
};

static inline void exit_counters_bump(struct exit_counters *c, enum exit_kind k)
{
    __atomic_store_n(&c->n[k], __atomic_load_n(&c->n[k], __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
}

/* The kind of a KVM exit reason (KVM_EXIT_*). */
enum exit_kind exit_kind_of(uint32_t exit_reason);

/* Sums over the vCPUs: what the VMM saw and what KVM counted. */
struct exit_totals {
    uint64_t vmm[EXIT_KINDS];
    uint64_t kvm[KVM_STAT_COUNT];
    int have_kvm;     /* KVM's counters were readable */
};

void exit_totals_add(struct exit_totals *t, const struct exit_counters *c,
                     const struct kvm_stats *ks);

/* "exits at 12.345 s: vmm total=N io=N mmio=N hlt=N intr=N other=N;
 *  kvm total=N io=N mmio=N hlt=N irq=N" (the kvm part "kvm unavailable"
 * without KVM's counters), no newline. */
void exit_totals_format(const struct exit_totals *t, double seconds, char *buf,
                        size_t len);

#endif
