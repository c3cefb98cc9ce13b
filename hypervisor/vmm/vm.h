/* vm: one KVM virtual machine: /dev/kvm, guest RAM (lazily backed, or on
 * hugetlbfs pages; with the PCI hole below 4 GiB), the in-kernel irqchip
 * (PIC, IOAPIC, LAPICs) and PIT, and the bus every exit dispatches through.  Device code raises
 * interrupts with vm_irq_line() (ISA/INTx, by GSI) and vm_signal_msi(). */
#ifndef CORRAL_VM_H
#define CORRAL_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "bus.h"
#include "guest_mem.h"

/* Why the VM stopped: also corral-vmm's exit status. */
enum vm_exit_status {
    VM_EXIT_POWEROFF = 0,
    VM_EXIT_REBOOT = 1,
    VM_EXIT_CRASH = 2,
    VM_EXIT_ERROR = 3,
    VM_EXIT_NO_BOOT = 4, /* firmware boot: no disk was bootable */
    VM_EXIT_STOPPED = 5, /* stopped by force: "stop" on the control socket */
    VM_RUNNING = -1,
};

struct vm {
    int kvm_fd, vm_fd;
    int vcpu_mmap_size;
    struct guest_mem mem;
    uint64_t ram_map_bytes; /* length of the mapping behind mem.host */
    struct bus bus;
    struct kvm_cpuid2 *supported_cpuid; /* from KVM_GET_SUPPORTED_CPUID */
    bool verbose;
    int exit_status;     /* VM_RUNNING until the first stop reason */
    int shutdown_requested; /* SIGTERM seen: a reset now ends a shutdown */
    int stop_fd[2];      /* pipe: written once when exit_status is set */
};

/* Opens /dev/kvm (or the path in $CORRAL_KVM_DEV), creates the VM and its
 * memory: 2 MiB-aligned anonymous memory with transparent huge pages
 * advised, or with hugepages the admin's reserved 2 MiB hugetlbfs pages,
 * all taken at once (an error when too few are free).  Returns 0 or -errno
 * with the device or reason in err. */
int vm_create(struct vm *vm, uint64_t mem_bytes, bool hugepages, bool verbose,
              char *err, size_t errlen);
void vm_destroy(struct vm *vm);

/* Map size bytes at host as read-only guest memory at gpa (a BIOS ROM):
 * guest writes there become MMIO exits nothing claims, so they are
 * dropped.  The mapping must outlive the VM. */
int vm_map_rom(struct vm *vm, uint64_t gpa, uint64_t size, void *host,
               char *err, size_t errlen);

int vm_irq_line(struct vm *vm, uint32_t gsi, int level);
int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data);

/* Record why the VM stops (the first reason wins) and wake the main loop.
 * After vm_request_shutdown() a guest reset counts as powered off: a guest
 * without ACPI answers Ctrl-Alt-Del by rebooting, and the caller asked for
 * the VM to stop, not to come back. */
void vm_request_stop(struct vm *vm, enum vm_exit_status status);
bool vm_stopping(const struct vm *vm);
void vm_request_shutdown(struct vm *vm);

/* Start the clock -v timestamps count from (call first thing in main). */
void vm_log_start_clock(void);
/* Seconds since vm_log_start_clock(). */
double vm_uptime_s(void);
/* printf to stderr only with -v, with milliseconds since the start. */
void vm_log(const struct vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "corral-vmm: " and the message on stderr, always; returns VM_EXIT_ERROR
 * so that a setup step can fail with one line: return vm_error(...). */
int vm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
