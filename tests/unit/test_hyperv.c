/* hyperv: the Hyper-V CPUID leaves composed from what KVM supports. */
#include "check.h"
#include "../../hypervisor/vmm/hyperv.h"

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid_entry2 *e, size_t n, uint32_t fn)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].function == fn)
            return &e[i];
    return NULL;
}

/* A guest's list as cpuid_fixup leaves it: leaf 1, KVM's two leaves. */
static size_t base_leaves(struct kvm_cpuid_entry2 *e)
{
    memset(e, 0, 4 * sizeof(*e));
    e[0].function = 0x1;
    e[0].ecx = 1u << 31;
    e[1].function = 0x40000000;
    memcpy(&e[1].ebx, "KVMKVMKVM\0\0\0", 12);
    e[2].function = 0x40000001;
    e[2].eax = 0xffff;
    e[3].function = 0x80000001;
    return 4;
}

/* What a recent KVM reports (KVM_GET_SUPPORTED_HV_CPUID). */
static size_t kvm_hv(struct kvm_cpuid_entry2 *hv, uint32_t feat_eax, uint32_t feat_edx)
{
    memset(hv, 0, 3 * sizeof(*hv));
    hv[0].function = HYPERV_LEAF_VENDOR;
    hv[0].eax = 0x4000000a;
    hv[1].function = HYPERV_LEAF_FEATURES;
    hv[1].eax = feat_eax;
    hv[1].edx = feat_edx;
    hv[2].function = HYPERV_LEAF_LIMITS;
    hv[2].eax = 1024;
    return 3;
}

static void test_all_features(void)
{
    struct kvm_cpuid_entry2 e[16], hv[3];
    size_t n = base_leaves(e);
    size_t nhv = kvm_hv(hv, 0x3fff, 0xffff);
    struct hyperv_result r = hyperv_cpuid(e, &n, 16, hv, nhv, true, 4);
    CHECK_EQ_INT(r.missing, 0);
    CHECK_EQ_INT(r.offered, (1u << HYPERV_FEATURE_COUNT) - 1);
    CHECK_EQ_INT(n, 2 + HYPERV_LEAF_COUNT);     /* KVM's leaves gone */
    CHECK(find(e, n, 0x1) && find(e, n, 0x80000001));
    struct kvm_cpuid_entry2 *v = find(e, n, HYPERV_LEAF_VENDOR);
    CHECK(v != NULL);
    CHECK_EQ_INT(v->eax, HYPERV_LEAF_MAX);
    CHECK(v->eax >= 0x40000005);                 /* Linux's HYPERV_CPUID_MIN */
    CHECK(memcmp(&v->ebx, "Micr", 4) == 0);
    CHECK(memcmp(&v->ecx, "osof", 4) == 0);
    CHECK(memcmp(&v->edx, "t Hv", 4) == 0);
    CHECK_EQ_INT(find(e, n, HYPERV_LEAF_INTERFACE)->eax, HYPERV_INTERFACE_SIG);
    struct kvm_cpuid_entry2 *f = find(e, n, HYPERV_LEAF_FEATURES);
    /* Linux requires the hypercall and VP index MSRs to detect Hyper-V */
    CHECK(f->eax & HV_MSR_HYPERCALL);
    CHECK(f->eax & HV_MSR_VP_INDEX);
    uint32_t want = HV_MSR_VP_RUNTIME | HV_MSR_TIME_REF_COUNT | HV_MSR_SYNIC |
                    HV_MSR_SYNTIMER | HV_MSR_APIC_ACCESS | HV_MSR_HYPERCALL |
                    HV_MSR_VP_INDEX | HV_MSR_REFERENCE_TSC | HV_MSR_FREQUENCIES;
    CHECK_EQ_INT(f->eax, want);                  /* nothing KVM has beyond them */
    CHECK_EQ_INT(f->edx, HV_FREQUENCY_MSRS_AVAILABLE);
    struct kvm_cpuid_entry2 *rec = find(e, n, HYPERV_LEAF_ENLIGHTEN);
    CHECK_EQ_INT(rec->eax, HV_RELAXED_TIMING_RECOMMENDED | HV_APIC_ACCESS_RECOMMENDED);
    CHECK_EQ_INT(rec->ebx, HYPERV_SPINLOCK_RETRIES);
    CHECK_EQ_INT(find(e, n, HYPERV_LEAF_LIMITS)->eax, 1024);
    CHECK(find(e, n, 0x40000001)->eax != 0xffff); /* not KVM's features */
}

static void test_kvm_without_synic(void)
{
    struct kvm_cpuid_entry2 e[16], hv[3];
    size_t n = base_leaves(e);
    size_t nhv = kvm_hv(hv, 0x3fff, 0xffff);
    struct hyperv_result r = hyperv_cpuid(e, &n, 16, hv, nhv, false, 2);
    CHECK_EQ_INT(r.missing, (1u << HYPERV_SYNIC) | (1u << HYPERV_STIMER));
    struct kvm_cpuid_entry2 *f = find(e, n, HYPERV_LEAF_FEATURES);
    CHECK(!(f->eax & HV_MSR_SYNIC));
    CHECK(!(f->eax & HV_MSR_SYNTIMER));
    CHECK(f->eax & HV_MSR_REFERENCE_TSC);
}

static void test_old_kvm(void)
{
    struct kvm_cpuid_entry2 e[16], hv[3];
    size_t n = base_leaves(e);
    /* no reference TSC, no frequency MSRs */
    size_t nhv = kvm_hv(hv, 0x3fff & ~(HV_MSR_REFERENCE_TSC | HV_MSR_FREQUENCIES), 0);
    struct hyperv_result r = hyperv_cpuid(e, &n, 16, hv, nhv, true, 2);
    CHECK_EQ_INT(r.missing, (1u << HYPERV_TIME) | (1u << HYPERV_STIMER) |
                                (1u << HYPERV_FREQUENCIES));
    struct kvm_cpuid_entry2 *f = find(e, n, HYPERV_LEAF_FEATURES);
    CHECK(!(f->eax & HV_MSR_TIME_REF_COUNT));
    CHECK(f->eax & HV_MSR_SYNIC);
    CHECK_EQ_INT(f->edx, 0);
    CHECK_EQ_INT(find(e, n, HYPERV_LEAF_LIMITS)->eax, 1024);
    /* no features leaf at all: only the hypercall MSR, limits from nvcpus */
    n = base_leaves(e);
    r = hyperv_cpuid(e, &n, 16, NULL, 0, true, 3);
    CHECK_EQ_INT(r.offered, (1u << HYPERV_RELAXED) | (1u << HYPERV_SPINLOCKS));
    CHECK_EQ_INT(find(e, n, HYPERV_LEAF_FEATURES)->eax, HV_MSR_HYPERCALL);
    CHECK_EQ_INT(find(e, n, HYPERV_LEAF_LIMITS)->eax, 3);
}

static void test_no_room(void)
{
    struct kvm_cpuid_entry2 e[8], hv[3];
    size_t n = base_leaves(e);
    size_t nhv = kvm_hv(hv, 0x3fff, 0xffff);
    struct hyperv_result r = hyperv_cpuid(e, &n, 5, hv, nhv, true, 1);
    CHECK_EQ_INT(r.offered, 0);
    CHECK_EQ_INT(n, 2);                /* KVM's leaves dropped, none added */
    CHECK(find(e, n, HYPERV_LEAF_VENDOR) == NULL);
    CHECK_EQ_STR(hyperv_feature_name(HYPERV_STIMER), "hv_stimer");
    CHECK_EQ_STR(hyperv_feature_name(HYPERV_FEATURE_COUNT), "?");
}

int main(void)
{
    RUN(test_all_features);
    RUN(test_kvm_without_synic);
    RUN(test_old_kvm);
    RUN(test_no_room);
    return check_summary("hyperv");
}
