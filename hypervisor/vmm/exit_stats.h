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

#include <linux/kvm.h>

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
    /* Where the thread is: 1 inside KVM_RUN, 0 in the VMM (handling
     * last_reason, a KVM_EXIT_*), so that a stuck vCPU tells whether the
     * guest or corral-vmm holds it (SIGUSR2). */
    uint32_t in_kvm_run;
    uint32_t last_reason;
    /* What the last halt check (machine.c, every half second) read: the
     * vCPU halted at halt_rip with interrupts on or off, or not halted.  A
     * vCPU halted with interrupts off waits for nothing but an NMI or a
     * paravirtual kick (run BH's hang, docs/disk-benchmark-log.md). */
    uint32_t halt_check; /* enum exit_halt_check */
    uint64_t halt_rip;
};

enum exit_halt_check { EXIT_HALT_UNCHECKED, EXIT_HALT_NOT, EXIT_HALT_IRQS_ON, EXIT_HALT_IRQS_OFF };

/* The halt check's answer: check is an enum exit_halt_check. */
static inline void exit_counters_halt_checked(struct exit_counters *c, enum exit_halt_check check,
                                              uint64_t rip)
{
    __atomic_store_n(&c->halt_rip, rip, __ATOMIC_RELAXED);
    __atomic_store_n(&c->halt_check, (uint32_t)check, __ATOMIC_RELAXED);
}

static inline void exit_counters_bump(struct exit_counters *c, enum exit_kind k)
{
    __atomic_store_n(&c->n[k], __atomic_load_n(&c->n[k], __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
}

/* The vCPU thread enters KVM_RUN. */
static inline void exit_counters_entering(struct exit_counters *c)
{
    __atomic_store_n(&c->in_kvm_run, 1, __ATOMIC_RELAXED);
}

/* The kind of a KVM exit reason (KVM_EXIT_*). */
enum exit_kind exit_kind_of(uint32_t exit_reason);

/* It came back with exit_reason (rc 0) or was interrupted (rc < 0: a
 * kick, counted as KVM_EXIT_INTR). */
static inline void exit_counters_returned(struct exit_counters *c, int rc, uint32_t exit_reason)
{
    __atomic_store_n(&c->in_kvm_run, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&c->last_reason, rc == 0 ? exit_reason : (uint32_t)KVM_EXIT_INTR,
                     __ATOMIC_RELAXED);
    exit_counters_bump(c, rc == 0 ? exit_kind_of(exit_reason) : EXIT_KIND_INTR);
}

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

/* One vCPU as SIGUSR2 finds it: read from its counters and KVM's. */
struct exit_vcpu_state {
    int in_kvm_run;
    uint32_t last_reason;
    uint64_t returns;          /* from KVM_RUN, every kind */
    int have_kvm;
    uint64_t kvm_exits, kvm_halts;
    int halted;                /* KVM's "blocking": waiting for an interrupt */
    uint32_t halt_check;       /* enum exit_halt_check, at the last check */
    uint64_t halt_rip;
};

struct exit_vcpu_state exit_vcpu_state_of(const struct exit_counters *c,
                                          const struct kvm_stats *ks);
/* "vcpu N: in KVM_RUN, halted|running; returns N, last exit R (kind); kvm
 * exits N, hlt N" or "vcpu N: in corral-vmm, handling exit R (kind); ...",
 * then, when the last halt check found it halted, "; at the last halt
 * check halted at rip 0xX, interrupts on|off":
 * two of them some seconds apart tell a guest stuck in guest mode (KVM's
 * exits still), a guest spinning (exits moving) and a vCPU thread stuck in
 * corral-vmm.  No newline. */
void exit_vcpu_format(unsigned index, const struct exit_vcpu_state *v, char *buf, size_t len);

#endif
