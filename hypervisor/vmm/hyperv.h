/* hyperv: the Hyper-V enlightenments a Windows guest asks a hypervisor
 * for, provided by KVM and described to the guest in CPUID leaves
 * 0x40000000-0x40000006 (Microsoft's Hypervisor Top Level Functional
 * Specification, "feature discovery").  Only with hyperv = on.
 *
 * What is offered (QEMU's names; each only when KVM's
 * KVM_GET_SUPPORTED_HV_CPUID says it can):
 *   hv_relaxed      no watchdog on long intercepts (a recommendation)
 *   hv_vapic        APIC EOI/ICR/TPR by MSR (and recommended)
 *   hv_spinlocks    spin 0x1fff times before the long-spin hypercall
 *   hv_vpindex      the VP index MSR
 *   hv_runtime      the VP runtime MSR
 *   hv_time         the partition reference counter and TSC page
 *   hv_synic        the synthetic interrupt controller (KVM_CAP_HYPERV_SYNIC2
 *                   enabled on each vCPU)
 *   hv_stimer       synthetic timers (with synic and time)
 *   hv_frequencies  the TSC and APIC frequency MSRs
 * plus the hypercall MSR, which every enlightened guest needs.
 *
 * The leaves replace KVM's own (signature "KVMKVMKVM", kvm-clock and
 * PV features): a guest finds one hypervisor at 0x40000000, and Linux
 * then reports "Hypervisor detected: Microsoft Hyper-V" and uses the
 * Hyper-V clock.  Pure logic on struct kvm_cpuid_entry2; vcpu.c does the
 * ioctls. */
#ifndef CORRAL_HYPERV_H
#define CORRAL_HYPERV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define HYPERV_LEAF_VENDOR     0x40000000u
#define HYPERV_LEAF_INTERFACE  0x40000001u
#define HYPERV_LEAF_VERSION    0x40000002u
#define HYPERV_LEAF_FEATURES   0x40000003u
#define HYPERV_LEAF_ENLIGHTEN  0x40000004u
#define HYPERV_LEAF_LIMITS     0x40000005u
#define HYPERV_LEAF_HW         0x40000006u
#define HYPERV_LEAF_MAX        HYPERV_LEAF_HW
#define HYPERV_LEAF_COUNT      (HYPERV_LEAF_MAX - HYPERV_LEAF_VENDOR + 1)
/* KVM's and any hypervisor's range: every leaf in it is replaced. */
#define HYPERV_RANGE_END       0x40000100u

/* 0x40000003 EAX: MSRs the partition may access. */
#define HV_MSR_VP_RUNTIME       (1u << 0)
#define HV_MSR_TIME_REF_COUNT   (1u << 1)
#define HV_MSR_SYNIC            (1u << 2)
#define HV_MSR_SYNTIMER         (1u << 3)
#define HV_MSR_APIC_ACCESS      (1u << 4)
#define HV_MSR_HYPERCALL        (1u << 5)
#define HV_MSR_VP_INDEX         (1u << 6)
#define HV_MSR_REFERENCE_TSC    (1u << 9)
#define HV_MSR_FREQUENCIES      (1u << 11)
/* 0x40000003 EDX */
#define HV_FREQUENCY_MSRS_AVAILABLE (1u << 8)
/* 0x40000004 EAX: recommendations */
#define HV_APIC_ACCESS_RECOMMENDED    (1u << 3)
#define HV_RELAXED_TIMING_RECOMMENDED (1u << 5)
#define HYPERV_SPINLOCK_RETRIES 0x1fff

/* "Hv#1": the interface Windows and Linux look for. */
#define HYPERV_INTERFACE_SIG 0x31237648u

enum hyperv_feature {
    HYPERV_RELAXED, HYPERV_VAPIC, HYPERV_SPINLOCKS, HYPERV_VPINDEX,
    HYPERV_RUNTIME, HYPERV_TIME, HYPERV_SYNIC, HYPERV_STIMER,
    HYPERV_FREQUENCIES, HYPERV_FEATURE_COUNT,
};

/* Features KVM could not provide are left out; which, as a bit mask of
 * 1 << enum hyperv_feature, for the log. */
struct hyperv_result {
    uint32_t offered, missing;
};

const char *hyperv_feature_name(enum hyperv_feature f);

/* Replace the hypervisor leaves (0x40000000-0x400000ff) in e[0..*n) with
 * the Hyper-V ones, composed from KVM's supported Hyper-V leaves hv[0..nhv)
 * (KVM_GET_SUPPORTED_HV_CPUID).  synic_enabled: KVM_CAP_HYPERV_SYNIC2 is
 * on for the vCPU (else synic and stimer are left out).  Needs cap >= *n +
 * HYPERV_LEAF_COUNT. */
struct hyperv_result hyperv_cpuid(struct kvm_cpuid_entry2 *e, size_t *n, size_t cap,
                                  const struct kvm_cpuid_entry2 *hv, size_t nhv,
                                  bool synic_enabled, uint32_t nvcpus);

#endif
