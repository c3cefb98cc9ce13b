/* hyperv: the Hyper-V CPUID leaves (see hyperv.h). */
#include "hyperv.h"

#include <string.h>

/* What each feature needs in 0x40000003 EAX/EDX (KVM must support all of
 * it) and recommends in 0x40000004 EAX. */
static const struct {
    const char *name;
    uint32_t features_eax, features_edx, recommend_eax;
} hyperv_features[HYPERV_FEATURE_COUNT] = {
    [HYPERV_RELAXED] = { "hv_relaxed", 0, 0, HV_RELAXED_TIMING_RECOMMENDED },
    [HYPERV_VAPIC] = { "hv_vapic", HV_MSR_APIC_ACCESS, 0, HV_APIC_ACCESS_RECOMMENDED },
    [HYPERV_SPINLOCKS] = { "hv_spinlocks", 0, 0, 0 },
    [HYPERV_VPINDEX] = { "hv_vpindex", HV_MSR_VP_INDEX, 0, 0 },
    [HYPERV_RUNTIME] = { "hv_runtime", HV_MSR_VP_RUNTIME, 0, 0 },
    [HYPERV_TIME] = { "hv_time", HV_MSR_TIME_REF_COUNT | HV_MSR_REFERENCE_TSC, 0, 0 },
    [HYPERV_SYNIC] = { "hv_synic", HV_MSR_SYNIC, 0, 0 },
    [HYPERV_STIMER] = { "hv_stimer", HV_MSR_SYNTIMER, 0, 0 },
    [HYPERV_FREQUENCIES] = { "hv_frequencies", HV_MSR_FREQUENCIES,
                             HV_FREQUENCY_MSRS_AVAILABLE, 0 },
};

const char *hyperv_feature_name(enum hyperv_feature f)
{
    return f < HYPERV_FEATURE_COUNT ? hyperv_features[f].name : "?";
}

static const struct kvm_cpuid_entry2 *hv_find(const struct kvm_cpuid_entry2 *hv,
                                              size_t nhv, uint32_t function)
{
    for (size_t i = 0; i < nhv; i++)
        if (hv[i].function == function)
            return &hv[i];
    return NULL;
}

/* Whether KVM supports f (and what f depends on is offered too). */
static bool hyperv_can(enum hyperv_feature f, const struct kvm_cpuid_entry2 *sup,
                       bool synic_enabled, uint32_t offered)
{
    uint32_t eax = sup ? sup->eax : 0, edx = sup ? sup->edx : 0;
    if ((eax & hyperv_features[f].features_eax) != hyperv_features[f].features_eax ||
        (edx & hyperv_features[f].features_edx) != hyperv_features[f].features_edx)
        return false;
    if (f == HYPERV_SYNIC)
        return synic_enabled;
    if (f == HYPERV_STIMER) /* timers deliver through the synic, count in ref time */
        return (offered & (1u << HYPERV_SYNIC)) && (offered & (1u << HYPERV_TIME));
    return true;
}

static void hyperv_put(struct kvm_cpuid_entry2 *e, uint32_t function, uint32_t eax,
                       uint32_t ebx, uint32_t ecx, uint32_t edx)
{
    memset(e, 0, sizeof(*e));
    e->function = function;
    e->eax = eax;
    e->ebx = ebx;
    e->ecx = ecx;
    e->edx = edx;
}

/* Drop every leaf in the hypervisor range; returns the new count. */
static size_t hyperv_drop_range(struct kvm_cpuid_entry2 *e, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (e[i].function < HYPERV_LEAF_VENDOR || e[i].function >= HYPERV_RANGE_END)
            e[kept++] = e[i];
    return kept;
}

struct hyperv_result hyperv_cpuid(struct kvm_cpuid_entry2 *e, size_t *n, size_t cap,
                                  const struct kvm_cpuid_entry2 *hv, size_t nhv,
                                  bool synic_enabled, uint32_t nvcpus)
{
    struct hyperv_result r = { 0, 0 };
    const struct kvm_cpuid_entry2 *sup = hv_find(hv, nhv, HYPERV_LEAF_FEATURES);
    uint32_t feat_eax = HV_MSR_HYPERCALL, feat_edx = 0, rec_eax = 0, spin = 0xffffffff;
    for (unsigned f = 0; f < HYPERV_FEATURE_COUNT; f++) {
        if (!hyperv_can(f, sup, synic_enabled, r.offered)) {
            r.missing |= 1u << f;
            continue;
        }
        r.offered |= 1u << f;
        feat_eax |= hyperv_features[f].features_eax;
        feat_edx |= hyperv_features[f].features_edx;
        rec_eax |= hyperv_features[f].recommend_eax;
        if (f == HYPERV_SPINLOCKS)
            spin = HYPERV_SPINLOCK_RETRIES;
    }
    *n = hyperv_drop_range(e, *n);
    if (cap < *n + HYPERV_LEAF_COUNT) {
        r.missing = (1u << HYPERV_FEATURE_COUNT) - 1;
        r.offered = 0;
        return r;
    }
    const struct kvm_cpuid_entry2 *lim = hv_find(hv, nhv, HYPERV_LEAF_LIMITS);
    uint32_t max_vps = lim && lim->eax ? lim->eax : nvcpus;
    static const char vendor[12] = "Microsoft Hv";
    uint32_t v[3];
    memcpy(v, vendor, sizeof(v));
    struct kvm_cpuid_entry2 *o = e + *n;
    hyperv_put(o++, HYPERV_LEAF_VENDOR, HYPERV_LEAF_MAX, v[0], v[1], v[2]);
    hyperv_put(o++, HYPERV_LEAF_INTERFACE, HYPERV_INTERFACE_SIG, 0, 0, 0);
    /* build 14393, version 10.0: Windows Server 2016's, as QEMU reports */
    hyperv_put(o++, HYPERV_LEAF_VERSION, 14393, 0x000a0000, 0, 0);
    hyperv_put(o++, HYPERV_LEAF_FEATURES, feat_eax, 0, 0, feat_edx);
    hyperv_put(o++, HYPERV_LEAF_ENLIGHTEN, rec_eax, spin, 0, 0);
    hyperv_put(o++, HYPERV_LEAF_LIMITS, max_vps, max_vps, 0, 0);
    hyperv_put(o++, HYPERV_LEAF_HW, 0, 0, 0, 0);
    *n += HYPERV_LEAF_COUNT;
    return r;
}
