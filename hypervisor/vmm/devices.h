/* devices: the guest's devices as a table, in the spirit of kvmtool's init
 * lists.  Each device file defines one struct device_desc saying what the
 * device needs of the machine, and devices.c lists them; the machine
 * walks that list instead of knowing any device by hand.  Adding a device
 * is its file (logic plus descriptor) and one line in devices.c.
 *
 * A descriptor says:
 *  - how many instances a VM definition asks for (every disk, every NIC,
 *    one COM1, fw_cfg only when booting firmware...);
 *  - how to create instance i: set up its state, wire its interrupts and
 *    callbacks to the board, put its PCI function on the bus (the bus then
 *    places its BARs), add its fds to the I/O thread, and name its virtio
 *    function for queue kicks by ioeventfd (board_add_virtio);
 *  - its fixed port-I/O and MMIO ranges, which the walker registers with
 *    the instance as the handler's opaque (legacy devices: COM1 at 0x3f8,
 *    a VGA window at 0xa0000...; a PCI function's BARs are the bus's);
 *  - how to release an instance after the VM stopped.
 *
 * There is no reset hook: a guest reset ends corral-vmm with status
 * "rebooted" and corrald starts a fresh process, so no device state
 * outlives a reset.
 *
 * struct board is what device wiring may use of the machine: the VM, the
 * PCI bus, the I/O thread, the console backend.  A few devices are also
 * named on the board because the machine itself talks to them (the power
 * button, Ctrl-Alt-Del, the firmware's CMOS boot flag and fw_cfg). */
#ifndef CORRAL_DEVICES_H
#define CORRAL_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "console.h"
#include "display.h"
#include "input.h"
#include "iothread.h"
#include "kvm_stats.h"
#include "msi_irqfd.h"
#include "pci.h"
#include "queue_ioeventfd.h"
#include "rate_limit.h"
#include "virtio_pci.h"
#include "vm.h"
#include "vmdef.h"

#define DEVICE_MAX_RANGES 4
/* Every instance a definition can ask for: the singletons, each disk and
 * each NIC. */
#define BOARD_MAX_DEVICES (16 + VMDEF_MAX_DISKS + VMDEF_MAX_NICS)

struct board;

/* One fixed range; len 0 ends the list. */
struct device_range {
    enum bus_space space;
    uint64_t base, len;
    bus_handler_fn handler; /* called with the instance as opaque */
    const char *name;       /* for -v and error messages */
};

struct device_desc {
    const char *name;
    /* Instances def asks for; NULL: exactly one, on every machine. */
    size_t (*count)(const struct vmdef *def);
    /* Create instance index and wire it to b.  Returns 0, or
     * VM_EXIT_ERROR after saying why on stderr.  *dev is the instance the
     * other hooks and the ranges get; set it as soon as there is
     * something to release, also when failing later. */
    int (*add)(struct board *b, const struct vmdef *def, size_t index,
               void **dev);
    struct device_range ranges[DEVICE_MAX_RANGES];
    /* The vCPUs and the I/O thread stopped and the PCI bus is gone.  May
     * be NULL (nothing to release). */
    void (*destroy)(void *dev);
};

struct device_instance {
    const struct device_desc *desc;
    void *dev;
};

/* A disk or CD the firmware may boot from: its PCI slot (and AHCI port,
 * -1 for virtio-blk), and its image to look for a boot sector (a CD: an
 * El Torito boot record) in. */
struct board_disk {
    unsigned slot;
    int ahci_port;
    bool cdrom;
    int fd;
};
#define BOARD_MAX_BOOT_DISKS (VMDEF_MAX_DISKS + VMDEF_MAX_SATA_PORTS)
/* Threads of their own: one per virtio disk, one for the AHCI controller. */
#define BOARD_MAX_DISK_THREADS (VMDEF_MAX_DISKS + 1)

/* How a disk's I/O actually goes, for the control socket's "disk N": its
 * bus ("virtio", "sata"), how its image is cached
 * (block_image_cache_mode's words) and what serves its requests
 * (block_ring_engine's).  Each disk device answers for its own disks. */
struct board_disk_io {
    const char *bus, *io, *engine;
};
typedef void (*board_disk_io_fn)(const void *disk, struct board_disk_io *out);
struct board_disk_io_source {
    board_disk_io_fn fn; /* NULL: no such disk (yet) */
    const void *disk;
};

/* Where a disk's requests or a NIC's frames stand, one line (SIGUSR2, for
 * I/O that looks stuck).  Called from the main thread: fn takes the locks
 * its device's threads hold.  Returns the length of the line. */
typedef int (*board_state_fn)(void *dev, char *buf, size_t len);
struct board_state_source {
    board_state_fn fn; /* NULL: the device has none to show */
    void *dev;
};

struct board {
    struct vm vm;
    unsigned nvcpus;
    /* The vCPUs' KVM statistics (they are created before the devices), for
     * a device asking whether the guest waits (irq_hold.h); read on the
     * devices' threads until those stop, before the vCPUs go. */
    struct guest_vcpus vcpus;
    struct pci_bus pci;
    bool pci_created;
    struct iothread io;
    bool io_created;
    struct msi_irqfds msi;
    struct queue_ioeventfds kicks;
    bool fast_io; /* ioeventfd + irqfd; off with CORRAL_VMM_SLOW_IO=1 */
    struct console console;
    bool console_started; /* the guest's first byte on COM1 (for -v) */
    /* The screen (when vmdef_has_display) and the input router: the
     * display and input devices draw and register there, and the remote
     * console reads and sends there. */
    struct display display;
    bool display_created;
    struct input input;
    /* The devices the machine talks to itself; NULL when absent. */
    struct i8042 *kbd;
    struct acpi_pm *pm;
    struct rtc_cmos *rtc;
    struct fw_cfg *fw_cfg;
    struct ahci *ahci; /* CD-ROM media changes by the control socket */
    struct board_disk boot_disks[BOARD_MAX_BOOT_DISKS];
    size_t n_boot_disks;
    /* Every disk = of the definition, by its index there (every bus). */
    struct board_disk_io_source disk_io_of[VMDEF_MAX_DISKS];
    struct board_state_source disk_state_of[VMDEF_MAX_DISKS];
    struct board_state_source nic_state_of[VMDEF_MAX_NICS]; /* by NIC index */
    struct virtio_pci_dev *virtio[BOARD_MAX_DEVICES]; /* for queue kicks */
    struct iothread *virtio_io[BOARD_MAX_DEVICES];    /* ...served there */
    size_t n_virtio;
    /* Disks' I/O threads (owned by their devices), so that disk I/O never
     * runs on the thread that serves the NICs: started with the I/O
     * thread, after the jail (unshare wants a single-threaded process),
     * and stopped with it. */
    struct iothread *disk_io[BOARD_MAX_DISK_THREADS];
    size_t n_disk_io;
    struct device_instance devices[BOARD_MAX_DEVICES];
    size_t ndevices;
};

/* The table, in creation order (which is also PCI slot order). */
extern const struct device_desc *const device_table[];
extern const size_t device_table_len;

/* Create every instance the table and def ask for, registering their
 * fixed ranges.  Returns 0 or VM_EXIT_ERROR (reported). */
int board_add_devices(struct board *b, const struct vmdef *def);
/* Whether def boots firmware (SeaBIOS by boot = firmware, OVMF by
 * boot = uefi or boot = firmware): fw_cfg and the firmware log are then on
 * the board. */
bool board_boots_firmware(const struct vmdef *def);
/* Just before the vCPUs run: every virtio function's queue kicks by
 * ioeventfd on the I/O thread when fast I/O is on; else (or where KVM
 * refuses) the kicks stay vCPU exits, which work as well. */
void board_attach_kicks(struct board *b);
/* Each instance's destroy hook, last created first. */
void board_destroy_devices(struct board *b);

/* Helpers for the add hooks. */
/* A zeroed instance of size bytes, already in *dev for release; NULL
 * after saying so on stderr. */
void *board_alloc_device(void **dev, size_t size, const char *name);
/* A rate limit's timer goes to the I/O thread (nothing when unlimited). */
int board_watch_limit(struct board *b, const struct rate_limit *rl,
                      iothread_fn fn, void *dev);
/* The same on a disk's own thread io. */
int board_watch_limit_on(struct board *b, struct iothread *io,
                         const struct rate_limit *rl, iothread_fn fn, void *dev);
/* A virtio function whose queue kicks board_attach_kicks() attaches, to
 * the I/O thread or (the _on form) to a disk's own thread. */
void board_add_virtio(struct board *b, struct virtio_pci_dev *vdev);
void board_add_virtio_on(struct board *b, struct virtio_pci_dev *vdev,
                         struct iothread *io);
/* A disk's own I/O thread (initialised by the device, which destroys it
 * in its destroy hook): the machine starts and stops it with the I/O
 * thread.  Returns 0 or VM_EXIT_ERROR (reported). */
int board_add_disk_thread(struct board *b, struct iothread *io);
/* Start them all (0, or -errno); stop them all (idempotent). */
int board_start_disk_threads(struct board *b);
void board_stop_disk_threads(struct board *b);
void board_add_boot_disk(struct board *b, unsigned slot, int fd);
/* Disk def_disk (its index in the definition's disks) says how its I/O
 * goes through fn(disk, ...). */
void board_add_disk_io(struct board *b, const struct vmdef *def,
                       const struct vmdef_disk *def_disk, board_disk_io_fn fn,
                       const void *disk);
/* Disk n's I/O (n: its index in the definition's disks).  Returns 0, or
 * -ENODEV when there is no such disk. */
int board_disk_io(const struct board *b, unsigned n, struct board_disk_io *out);
/* Disk def_disk shows where its requests stand through fn(disk, ...). */
void board_add_disk_state(struct board *b, const struct vmdef *def,
                          const struct vmdef_disk *def_disk, board_state_fn fn,
                          void *disk);
/* NIC index (in the definition's NICs) shows where its frames stand. */
void board_add_nic_state(struct board *b, size_t index, board_state_fn fn, void *nic);
/* One line per disk, then per NIC, that has a state: "corral-vmm: disk N:
 * ..." and "corral-vmm: nic N: ..." on stderr (N: its index in the
 * definition's disks or NICs). */
void board_print_states(const struct board *b);
/* A disk or CD-ROM drive (fd -1: empty) on port of the AHCI controller
 * in slot. */
void board_add_boot_drive(struct board *b, unsigned slot, unsigned port,
                          bool cdrom, int fd);

#endif
