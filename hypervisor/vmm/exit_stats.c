/* exit_stats: per-vCPU exit counters and their report (see exit_stats.h). */
#include "exit_stats.h"

#include <stdio.h>
#include <string.h>
#include <linux/kvm.h>

enum exit_kind exit_kind_of(uint32_t exit_reason)
{
    switch (exit_reason) {
    case KVM_EXIT_IO:   return EXIT_KIND_IO;
    case KVM_EXIT_MMIO: return EXIT_KIND_MMIO;
    case KVM_EXIT_HLT:  return EXIT_KIND_HLT;
    case KVM_EXIT_INTR: return EXIT_KIND_INTR;
    default:            return EXIT_KIND_OTHER;
    }
}

void exit_totals_add(struct exit_totals *t, const struct exit_counters *c,
                     const struct kvm_stats *ks)
{
    for (int k = 0; k < EXIT_KINDS; k++)
        t->vmm[k] += __atomic_load_n(&c->n[k], __ATOMIC_RELAXED);
    if (!ks || ks->fd < 0)
        return;
    uint64_t v[KVM_STAT_COUNT];
    kvm_stats_read(ks, v);
    for (int k = 0; k < KVM_STAT_COUNT; k++)
        t->kvm[k] += v[k];
    t->have_kvm = 1;
}

void exit_totals_format(const struct exit_totals *t, double seconds, char *buf,
                        size_t len)
{
    uint64_t total = 0;
    for (int k = 0; k < EXIT_KINDS; k++)
        total += t->vmm[k];
    int n = snprintf(buf, len,
                     "exits at %.3f s: vmm total=%llu io=%llu mmio=%llu hlt=%llu "
                     "intr=%llu other=%llu; ", seconds, (unsigned long long)total,
                     (unsigned long long)t->vmm[EXIT_KIND_IO],
                     (unsigned long long)t->vmm[EXIT_KIND_MMIO],
                     (unsigned long long)t->vmm[EXIT_KIND_HLT],
                     (unsigned long long)t->vmm[EXIT_KIND_INTR],
                     (unsigned long long)t->vmm[EXIT_KIND_OTHER]);
    if (n < 0 || (size_t)n >= len)
        return;
    if (!t->have_kvm)
        snprintf(buf + n, len - (size_t)n, "kvm unavailable");
    else
        snprintf(buf + n, len - (size_t)n, "kvm total=%llu io=%llu mmio=%llu hlt=%llu irq=%llu "
                 "pf_taken=%llu pf_fixed=%llu",
                 (unsigned long long)t->kvm[KVM_STAT_EXITS],
                 (unsigned long long)t->kvm[KVM_STAT_IO],
                 (unsigned long long)t->kvm[KVM_STAT_MMIO],
                 (unsigned long long)t->kvm[KVM_STAT_HALT],
                 (unsigned long long)t->kvm[KVM_STAT_IRQ],
                 (unsigned long long)t->kvm[KVM_STAT_PF_TAKEN],
                 (unsigned long long)t->kvm[KVM_STAT_PF_FIXED]);
}

struct exit_vcpu_state exit_vcpu_state_of(const struct exit_counters *c,
                                          const struct kvm_stats *ks)
{
    struct exit_vcpu_state v = {
        .in_kvm_run = (int)__atomic_load_n(&c->in_kvm_run, __ATOMIC_RELAXED),
        .last_reason = __atomic_load_n(&c->last_reason, __ATOMIC_RELAXED),
        .halt_check = __atomic_load_n(&c->halt_check, __ATOMIC_RELAXED),
        .halt_rip = __atomic_load_n(&c->halt_rip, __ATOMIC_RELAXED),
    };
    for (int k = 0; k < EXIT_KINDS; k++)
        v.returns += __atomic_load_n(&c->n[k], __ATOMIC_RELAXED);
    if (!ks || ks->fd < 0)
        return v;
    uint64_t s[KVM_STAT_COUNT];
    kvm_stats_read(ks, s);
    v.have_kvm = 1;
    v.kvm_exits = s[KVM_STAT_EXITS];
    v.kvm_halts = s[KVM_STAT_HALT];
    v.halted = s[KVM_STAT_BLOCKING] != 0;
    return v;
}

static const char *exit_reason_name(uint32_t reason)
{
    static const char *const kinds[EXIT_KINDS] = { "io", "mmio", "hlt", "signal", "other" };
    return kinds[exit_kind_of(reason)];
}

void exit_vcpu_format(unsigned index, const struct exit_vcpu_state *v, char *buf, size_t len)
{
    int n;
    if (v->in_kvm_run)
        n = snprintf(buf, len, "vcpu %u: in KVM_RUN, %s; returns %llu, last exit %u (%s); ",
                     index, !v->have_kvm ? "halted or not: unknown" : v->halted ? "halted" : "running",
                     (unsigned long long)v->returns, v->last_reason,
                     exit_reason_name(v->last_reason));
    else
        n = snprintf(buf, len, "vcpu %u: in corral-vmm, handling exit %u (%s); returns %llu; ",
                     index, v->last_reason, exit_reason_name(v->last_reason),
                     (unsigned long long)v->returns);
    if (n < 0 || (size_t)n >= len)
        return;
    int m;
    if (!v->have_kvm)
        m = snprintf(buf + n, len - (size_t)n, "kvm unavailable");
    else
        m = snprintf(buf + n, len - (size_t)n, "kvm exits %llu, hlt %llu",
                     (unsigned long long)v->kvm_exits, (unsigned long long)v->kvm_halts);
    if (m < 0 || (size_t)m >= len - (size_t)n)
        return;
    n += m;
    if (v->halt_check == EXIT_HALT_IRQS_ON || v->halt_check == EXIT_HALT_IRQS_OFF)
        snprintf(buf + n, len - (size_t)n, "; at the last halt check halted at rip 0x%llx, "
                 "interrupts %s", (unsigned long long)v->halt_rip,
                 v->halt_check == EXIT_HALT_IRQS_OFF ? "off" : "on");
}
