/* vcpu: one KVM vCPU and the thread that runs it.
 *
 * Every vCPU gets CPUID (cpuid.c topology), MSRs, FPU and LAPIC LINT pins
 * set as Linux expects; the boot CPU also gets the registers of the boot
 * protocol (64-bit or 32-bit entry); the others wait for INIT/SIPI in the
 * in-kernel LAPIC.  The run loop dispatches port-I/O and MMIO exits through
 * the VM's bus and turns shutdown/internal-error exits into a stop reason. */
#ifndef CORRAL_VCPU_H
#define CORRAL_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "boot_linux.h"
#include "exit_stats.h"
#include "kvm_stats.h"
#include "vm.h"

/* How much nicer than the VMM's other threads a vCPU thread runs: a disk
 * or NIC thread woken by a completion or a kick then gets a CPU ahead of
 * a vCPU thread busy running the guest, instead of waiting out its time
 * slice while the request it would finish holds the guest up (the nice
 * value is per thread on Linux; 5 gives a vCPU about a third of a device
 * thread's weight).  Only this VM's threads are weighed against each
 * other where corrald runs each VM in its own cgroup. */
#define VCPU_NICE_INCREMENT 5

/* The signal that kicks a vCPU thread out of KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

/* Pausing: the main thread closes the gate and kicks every vCPU; each
 * parks between two exits (out of KVM_RUN) until the gate opens again. */
struct vcpu_gate {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int closed;       /* read without the lock by the vCPU threads */
    unsigned parked;  /* vCPU threads waiting at the gate */
};

struct vcpu {
    struct vm *vm;
    struct vcpu_gate *gate; /* NULL: never paused */
    unsigned index, count;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool thread_started;
    /* Set by the main thread before a kick; answered in halted_off. */
    int check_halt;
    int halted_off;   /* halted with interrupts off (or never started) */
    struct exit_counters exits; /* returns from KVM_RUN, by reason */
    struct kvm_stats kstats;    /* what KVM counted, exits in the kernel too */
};

int vcpu_create(struct vcpu *c, struct vm *vm, unsigned index, unsigned count,
                char *err, size_t errlen);
/* Registers of the boot protocol for the boot CPU. */
int vcpu_setup_boot(struct vcpu *c, const struct boot_plan *plan, char *err,
                    size_t errlen);
/* Installs the kick signal handler: once, before any vcpu_start(). */
void vcpu_install_kick_handler(void);
int vcpu_start(struct vcpu *c);
/* Make KVM_RUN return now (immediate_exit + signal). */
void vcpu_kick(struct vcpu *c);
void vcpu_join(struct vcpu *c);

void vcpu_gate_init(struct vcpu_gate *g);
/* Closes the gate and waits (up to timeout_ms) until the n vCPU threads
 * still running are parked; 0, or -ETIMEDOUT (the gate stays closed: the
 * late ones park when they come out of KVM_RUN). */
int vcpu_gate_pause(struct vcpu_gate *g, struct vcpu *vcpus, unsigned n,
                    int timeout_ms);
/* Opens the gate: the vCPUs run on. */
void vcpu_gate_resume(struct vcpu_gate *g);
void vcpu_destroy(struct vcpu *c);

#endif
