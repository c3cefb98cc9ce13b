/* cpuid: topology leaves agree with APIC IDs and the vCPU count. */
#include <string.h>

#include "check.h"
#include "../../hypervisor/vmm/cpuid.h"

#define CAP 16

static size_t fake_supported(struct kvm_cpuid_entry2 *e)
{
    memset(e, 0, CAP * sizeof(*e));
    size_t n = 0;
    e[n].function = 0x1; e[n].ebx = 0xff0b0800; e[n].ecx = 0; e[n].edx = 0; n++;
    e[n].function = 0x4; e[n].index = 0; e[n].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    e[n].eax = 0x121; n++;           /* L1 data cache */
    e[n].function = 0x4; e[n].index = 1; e[n].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    e[n].eax = 0x163; n++;           /* L3 unified */
    e[n].function = 0xb; e[n].index = 0; e[n].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX; n++;
    e[n].function = 0xb; e[n].index = 1; e[n].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX; n++;
    e[n].function = 0xb; e[n].index = 2; e[n].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX; n++;
    e[n].function = 0x80000008; e[n].ecx = 0x7007; n++;
    e[n].function = 0x8000001e; e[n].eax = 99; e[n].ebx = 0x107; n++;
    return n;
}

static void test_core_bits(void)
{
    CHECK_EQ_INT(cpuid_core_bits(1), 0);
    CHECK_EQ_INT(cpuid_core_bits(2), 1);
    CHECK_EQ_INT(cpuid_core_bits(3), 2);
    CHECK_EQ_INT(cpuid_core_bits(4), 2);
    CHECK_EQ_INT(cpuid_core_bits(5), 3);
    CHECK_EQ_INT(cpuid_core_bits(64), 6);
}

static void test_topology(void)
{
    struct kvm_cpuid_entry2 e[CAP];
    for (uint32_t ncpu = 1; ncpu <= 8; ncpu++) {
        for (uint32_t i = 0; i < ncpu; i++) {
            size_t n = fake_supported(e);
            cpuid_fixup(e, &n, CAP, i, ncpu);
            struct kvm_cpuid_entry2 *l1 = cpuid_find(e, n, 1, 0);
            CHECK_EQ_INT(l1->ebx >> 24, i);               /* APIC ID */
            CHECK((l1->ebx >> 16 & 0xff) >= ncpu);        /* logical count */
            CHECK_EQ_INT(l1->ebx >> 8 & 0xff, 8);         /* CLFLUSH 64 B */
            CHECK(l1->ecx & (1u << 31));                  /* hypervisor */
            CHECK_EQ_INT(!!(l1->edx & (1u << 28)), ncpu > 1);
            struct kvm_cpuid_entry2 *smt = cpuid_find(e, n, 0xb, 0);
            struct kvm_cpuid_entry2 *core = cpuid_find(e, n, 0xb, 1);
            struct kvm_cpuid_entry2 *inval = cpuid_find(e, n, 0xb, 2);
            CHECK_EQ_INT(smt->ebx, 1);
            CHECK_EQ_INT(smt->edx, i);
            CHECK_EQ_INT(core->ebx, ncpu);
            CHECK_EQ_INT(core->eax, cpuid_core_bits(ncpu));
            CHECK_EQ_INT(core->ecx >> 8 & 0xff, 2);
            CHECK_EQ_INT(inval->ecx >> 8 & 0xff, 0);
            CHECK_EQ_INT(inval->ebx, 0);
            struct kvm_cpuid_entry2 *l4 = cpuid_find(e, n, 4, 1);
            CHECK_EQ_INT((l4->eax >> 26) + 1, 1u << cpuid_core_bits(ncpu));
            CHECK_EQ_INT(l4->eax & 0x3fff, 0x163);        /* cache kept */
            CHECK_EQ_INT(cpuid_find(e, n, 0x80000008, 0)->ecx & 0xff, ncpu - 1);
            CHECK_EQ_INT(cpuid_find(e, n, 0x8000001e, 0)->eax, i);
            CHECK_EQ_INT(cpuid_find(e, n, 0x8000001e, 0)->ebx >> 8 & 0xff, 0);
        }
    }
}

static void test_kvm_signature(void)
{
    struct kvm_cpuid_entry2 e[CAP];
    size_t n = fake_supported(e);
    size_t before = n;
    cpuid_fixup(e, &n, CAP, 0, 1);
    CHECK_EQ_INT(n, before + 1); /* appended */
    struct kvm_cpuid_entry2 *sig = cpuid_find(e, n, 0x40000000, 0);
    CHECK(sig != NULL);
    CHECK(sig && sig->eax >= 0x40000001);
    CHECK(sig && memcmp(&sig->ebx, "KVMK", 4) == 0);
    CHECK(sig && memcmp(&sig->ecx, "VMKV", 4) == 0);
    CHECK(sig && memcmp(&sig->edx, "M\0\0\0", 4) == 0);
    n = fake_supported(e);
    cpuid_fixup(e, &n, n, 0, 1); /* no room: nothing appended, no overflow */
    CHECK_EQ_INT(n, before);
}

static void test_tsc_deadline(void)
{
    struct kvm_cpuid_entry2 e[CAP];
    size_t n = fake_supported(e);
    cpuid_fixup(e, &n, CAP, 0, 2);
    CHECK_EQ_INT(cpuid_find(e, n, 1, 0)->ecx & (1u << 24), 0);
    cpuid_set_tsc_deadline(e, n);
    CHECK(cpuid_find(e, n, 1, 0)->ecx & (1u << 24));
    CHECK(cpuid_find(e, n, 1, 0)->ecx & (1u << 31)); /* others kept */
    cpuid_set_tsc_deadline(e, 0); /* no leaf 1: nothing happens */
}

/* The timing leaf SeaBIOS looks for: TSC kHz in EAX, the 1 GHz APIC bus in
 * EBX, reachable from the signature leaf's limit; never past cap. */
static void test_timing_leaf(void)
{
    struct kvm_cpuid_entry2 e[CAP];
    size_t n = fake_supported(e);
    cpuid_fixup(e, &n, CAP, 0, 1);
    size_t before = n;
    CHECK_EQ_INT(cpuid_set_timing(e, &n, CAP, 2994372), 0);
    CHECK_EQ_INT(n, before + 1);
    struct kvm_cpuid_entry2 *t = cpuid_find(e, n, 0x40000010, 0);
    CHECK(t && t->eax == 2994372 && t->ebx == 1000000 && t->ecx == 0);
    CHECK(cpuid_find(e, n, 0x40000000, 0)->eax >= 0x40000010);
    CHECK_EQ_INT(cpuid_set_timing(e, &n, CAP, 1000), 0); /* replaced, not added */
    CHECK_EQ_INT(n, before + 1);
    CHECK_EQ_INT(cpuid_find(e, n, 0x40000010, 0)->eax, 1000);
    n = fake_supported(e);
    CHECK_EQ_INT(cpuid_set_timing(e, &n, CAP, 1000), -1); /* no signature leaf */
    cpuid_fixup(e, &n, CAP, 0, 1);
    before = n;
    CHECK_EQ_INT(cpuid_set_timing(e, &n, n, 1000), -1); /* no room */
    CHECK_EQ_INT(cpuid_set_timing(e, &n, CAP, 0), -1);  /* unknown frequency */
    CHECK_EQ_INT(n, before);
    CHECK_EQ_INT(cpuid_find(e, n, 0x40000000, 0)->eax, 0x40000001);
}

int main(void)
{
    RUN(test_timing_leaf);
    RUN(test_tsc_deadline);
    RUN(test_core_bits);
    RUN(test_topology);
    RUN(test_kvm_signature);
    return check_summary("cpuid");
}
