/* cpuid: topology and hypervisor leaves (see cpuid.h).  Bit layouts are
 * from the Intel SDM (CPUID instruction) and AMD APM vol. 3 (appendix E). */
#include "cpuid.h"

#include <string.h>

#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define LEAF1_EDX_HTT        (1u << 28)
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define CLFLUSH_LINE_QWORDS  8u /* 64-byte lines, in units of 8 bytes */
#define LEAF_TOPO_LEVEL_SMT  1u
#define LEAF_TOPO_LEVEL_CORE 2u
#define KVM_SIG_LEAF         0x40000000u
#define KVM_FEATURES_LEAF    0x40000001u
#define KVM_TIMING_LEAF      0x40000010u
#define KVM_APIC_BUS_KHZ     1000000u /* KVM's local APIC timer runs at 1 GHz */

unsigned cpuid_core_bits(uint32_t nvcpus)
{
    unsigned bits = 0;
    while (bits < 31 && (1u << bits) < nvcpus)
        bits++;
    return bits;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid_entry2 *e, size_t n,
                                    uint32_t function, uint32_t index)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].function == function &&
            (!(e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e[i].index == index))
            return &e[i];
    return NULL;
}

static void cpuid_fix_leaf1(struct kvm_cpuid_entry2 *e, uint32_t apic_id,
                            uint32_t nvcpus)
{
    uint32_t logical = 1u << cpuid_core_bits(nvcpus);
    e->ebx = (apic_id << 24) | ((logical & 0xff) << 16) | (CLFLUSH_LINE_QWORDS << 8);
    e->ecx |= LEAF1_ECX_HYPERVISOR;
    if (nvcpus > 1)
        e->edx |= LEAF1_EDX_HTT;
    else
        e->edx &= ~LEAF1_EDX_HTT;
}

/* Deterministic cache parameters: cores per package in EAX[31:26], the
 * logical CPUs sharing the cache in EAX[25:14] (only L3 is shared). */
static void cpuid_fix_leaf4(struct kvm_cpuid_entry2 *e, uint32_t nvcpus)
{
    uint32_t cores = 1u << cpuid_core_bits(nvcpus);
    uint32_t level = (e->eax >> 5) & 0x7;
    uint32_t sharing = level == 3 ? cores : 1;
    if ((e->eax & 0x1f) == 0) /* no more caches */
        return;
    e->eax = (e->eax & 0x3fff) | ((sharing - 1) << 14) | ((cores - 1) << 26);
}

/* Extended topology (0xB, 0x1F): subleaf 0 is the SMT level (one thread),
 * subleaf 1 the core level; EDX is always the x2APIC ID. */
static void cpuid_fix_ext_topology(struct kvm_cpuid_entry2 *e,
                                   uint32_t apic_id, uint32_t nvcpus)
{
    if (e->index == 0) {
        e->eax = 0;
        e->ebx = 1;
        e->ecx = (LEAF_TOPO_LEVEL_SMT << 8) | 0;
    } else if (e->index == 1) {
        e->eax = cpuid_core_bits(nvcpus);
        e->ebx = nvcpus;
        e->ecx = (LEAF_TOPO_LEVEL_CORE << 8) | 1;
    } else {
        e->eax = 0;
        e->ebx = 0;
        e->ecx = e->index & 0xff;
    }
    e->edx = apic_id;
}

static void cpuid_set_kvm_signature(struct kvm_cpuid_entry2 *e)
{
    static const char sig[12] = "KVMKVMKVM\0\0\0";
    if (e->eax < KVM_FEATURES_LEAF)
        e->eax = KVM_FEATURES_LEAF;
    memcpy(&e->ebx, sig, 4);
    memcpy(&e->ecx, sig + 4, 4);
    memcpy(&e->edx, sig + 8, 4);
}

static void cpuid_fix_entry(struct kvm_cpuid_entry2 *e, uint32_t apic_id,
                            uint32_t nvcpus)
{
    switch (e->function) {
    case 0x1:
        cpuid_fix_leaf1(e, apic_id, nvcpus);
        break;
    case 0x4:
        cpuid_fix_leaf4(e, nvcpus);
        break;
    case 0xb:
    case 0x1f:
        cpuid_fix_ext_topology(e, apic_id, nvcpus);
        break;
    case 0x80000008: /* AMD: core count and APIC ID bits for cores */
        e->ecx = (cpuid_core_bits(nvcpus) << 12) | ((nvcpus - 1) & 0xff);
        break;
    case 0x8000001e: /* AMD: extended APIC ID, core ID, node */
        e->eax = apic_id;
        e->ebx = apic_id & 0xff; /* one thread per core */
        e->ecx = 0;              /* node 0, one node per socket */
        break;
    case KVM_SIG_LEAF:
        cpuid_set_kvm_signature(e);
        break;
    default:
        break;
    }
}

void cpuid_set_tsc_deadline(struct kvm_cpuid_entry2 *e, size_t n)
{
    struct kvm_cpuid_entry2 *leaf1 = cpuid_find(e, n, 0x1, 0);
    if (leaf1)
        leaf1->ecx |= LEAF1_ECX_TSC_DEADLINE;
}

void cpuid_fixup(struct kvm_cpuid_entry2 *e, size_t *n, size_t cap,
                 uint32_t vcpu_index, uint32_t nvcpus)
{
    if (nvcpus == 0)
        nvcpus = 1;
    for (size_t i = 0; i < *n; i++)
        cpuid_fix_entry(&e[i], vcpu_index, nvcpus);
    if (!cpuid_find(e, *n, KVM_SIG_LEAF, 0) && *n < cap) {
        memset(&e[*n], 0, sizeof(e[*n]));
        e[*n].function = KVM_SIG_LEAF;
        cpuid_set_kvm_signature(&e[*n]);
        (*n)++;
    }
}

int cpuid_set_timing(struct kvm_cpuid_entry2 *e, size_t *n, size_t cap,
                     uint32_t tsc_khz)
{
    struct kvm_cpuid_entry2 *sig = cpuid_find(e, *n, KVM_SIG_LEAF, 0);
    struct kvm_cpuid_entry2 *t = cpuid_find(e, *n, KVM_TIMING_LEAF, 0);
    if (!sig || tsc_khz == 0)
        return -1;
    if (!t) {
        if (*n >= cap)
            return -1;
        t = &e[(*n)++];
    }
    memset(t, 0, sizeof(*t));
    t->function = KVM_TIMING_LEAF;
    t->eax = tsc_khz;
    t->ebx = KVM_APIC_BUS_KHZ;
    if (sig->eax < KVM_TIMING_LEAF)
        sig->eax = KVM_TIMING_LEAF;
    return 0;
}
