/* cpuid: what each vCPU's CPUID says, derived from KVM_GET_SUPPORTED_CPUID.
 *
 * Pure logic on struct kvm_cpuid_entry2 (no ioctls).  The topology is one
 * socket of nvcpus single-threaded cores, APIC ID = vCPU index; every leaf
 * that describes topology (1, 4, 0xB, 0x1F, 0x80000008, 0x8000001E) is made
 * to agree with that, the hypervisor bit is set and leaf 0x40000000 carries
 * KVM's signature so that the guest uses kvm-clock and PV features. */
#ifndef CORRAL_CPUID_H
#define CORRAL_CPUID_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define CPUID_MAX_VCPUS 64

/* Bits needed to number nvcpus cores (ceil(log2(nvcpus))). */
unsigned cpuid_core_bits(uint32_t nvcpus);

/* Patch the n entries in place for vCPU vcpu_index of nvcpus; may append
 * the KVM signature leaf when KVM did not report it (needs cap > *n). */
void cpuid_fixup(struct kvm_cpuid_entry2 *e, size_t *n, size_t cap,
                 uint32_t vcpu_index, uint32_t nvcpus);

/* Advertise the LAPIC TSC-deadline timer (CPUID.1:ECX[24]).  KVM emulates
 * it (KVM_CAP_TSC_DEADLINE_TIMER) but leaves it out of the supported list;
 * without it Linux calibrates the LAPIC timer against the PIT, which under
 * nested virtualization fails ("APIC timer disabled due to verification
 * failure") and costs boot time. */
void cpuid_set_tsc_deadline(struct kvm_cpuid_entry2 *e, size_t n);

/* The hypervisor timing leaf 0x40000010 (TSC and local APIC bus frequency
 * in kHz, as QEMU and VMware offer it), with the KVM signature leaf's limit
 * raised to reach it.  SeaBIOS reads it and keeps time by the TSC; without
 * it, on a PIIX4 it reads the ACPI PM timer, whose every read is an exit
 * (slow under nested virtualization).  Needs the signature leaf and, when
 * the leaf is new, cap > *n; returns 0 or -1. */
int cpuid_set_timing(struct kvm_cpuid_entry2 *e, size_t *n, size_t cap,
                     uint32_t tsc_khz);

/* The entry for (function, index), or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid_entry2 *e, size_t n,
                                    uint32_t function, uint32_t index);

#endif
