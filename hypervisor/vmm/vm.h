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
    bool hyperv;         /* Hyper-V enlightenments in every vCPU (hyperv.h) */
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

/* KVM memory slots: each number has one owner. */
enum vm_slot {
    VM_SLOT_RAM_LOW = 0,   /* RAM from 0 (to 640 KiB once a VGA punched its hole) */
    VM_SLOT_RAM_HIGH = 1,  /* RAM from 4 GiB */
    VM_SLOT_ROM = 2,       /* the BIOS image below 4 GiB */
    VM_SLOT_RAM_ABOVE_VGA = 3, /* RAM from 0xC0000, beside the VGA window */
    VM_SLOT_VGA_VRAM = 4,  /* the VGA's linear framebuffer (its PCI BAR0) */
    VM_SLOT_FLASH_VARS = 5, /* UEFI variables flash while it reads as ROM
                               (the code flash takes VM_SLOT_ROM) */
};

/* The legacy VGA window 0xA0000-0xBFFFF becomes MMIO: low RAM is split
 * around it (the RAM behind it stays mapped but unused). */
#define VM_VGA_HOLE_BASE 0xA0000ULL
#define VM_VGA_HOLE_END 0xC0000ULL
int vm_punch_vga_hole(struct vm *vm, char *err, size_t errlen);

/* Map size bytes of host memory at gpa as guest RAM in an empty slot,
 * optionally with KVM's dirty-page log; vm_unmap_slot() empties it again
 * (-EINVAL when it was empty: KVM's answer).  Return 0 or -errno. */
int vm_map_ram_slot(struct vm *vm, enum vm_slot slot, uint64_t gpa,
                    uint64_t size, void *host, bool log_dirty);
int vm_unmap_slot(struct vm *vm, enum vm_slot slot);
/* The same, read-only (writes exit as MMIO): a ROM in a slot of its own,
 * which may be unmapped and mapped again (the variables flash). */
int vm_map_readonly_slot(struct vm *vm, enum vm_slot slot, uint64_t gpa,
                         uint64_t size, void *host);
/* The slot's pages written since the last call (one bit per 4 KiB page,
 * bitmap holding at least size / 4096 bits, 64-bit aligned); clears KVM's
 * log.  0 or -errno. */
int vm_dirty_log(struct vm *vm, enum vm_slot slot, uint64_t *bitmap);

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
