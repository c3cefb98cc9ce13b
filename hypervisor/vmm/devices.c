/* devices: the device table and its walkers (see devices.h). */
#include "devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "ahci.h"
#include "debugcon.h"
#include "fw_cfg.h"
#include "i8042.h"
#include "rtc_cmos.h"
#include "serial_8250.h"
#include "vga.h"
#include "virtio_blk.h"
#include "nic_backend.h"
#include "piix3_isa.h"
#include "piix4_pm.h"
#include "virtio_input.h"
#include "virtio_rng.h"

/* Creation order.  The PCI functions take slots in this order: the
 * chipset at 00:01 (after the host bridge at 00:00), the virtio disks (the guest's vda, vdb...), then the AHCI controller
 * (SATA disks and CD-ROM drives), then the NICs in definition order
 * (whatever their models), then the rng, then the tablet, then the VGA
 * (last, so that a screen moves no disk's or NIC's PCI address). */
const struct device_desc *const device_table[] = {
    &serial_8250_device, /* COM1, the console */
    &i8042_device,
    &rtc_cmos_device,
    &piix3_isa_device,   /* 00:01.0, the chipset's slot */
    &piix4_pm_device,    /* 00:01.3: the ACPI PM registers */
    &fw_cfg_device,      /* firmware boot only */
    &debugcon_device,    /* firmware boot only */
    &virtio_blk_device,
    &ahci_device,        /* SATA disks and CD-ROM drives only */
    &nic_device,         /* virtio-net or e1000, per NIC */
    &virtio_rng_device,
    &virtio_input_device, /* VMs with a display */
    /* Last, so that a screen moves no disk's or NIC's PCI address; the
     * only display function either way, so the one SeaBIOS picks. */
    &vga_device,         /* display = std */
};
const size_t device_table_len = sizeof(device_table) / sizeof(device_table[0]);

static int board_register_ranges(struct board *b, const struct device_desc *d,
                                 void *dev)
{
    for (size_t i = 0; i < DEVICE_MAX_RANGES && d->ranges[i].len; i++) {
        const struct device_range *r = &d->ranges[i];
        int rc = bus_register(&b->vm.bus, r->space, r->base, r->len,
                              r->handler, dev, r->name);
        if (rc < 0)
            return vm_error("cannot register %s at 0x%llx: %s", r->name,
                            (unsigned long long)r->base, strerror(-rc));
    }
    return 0;
}

static int board_add_instance(struct board *b, const struct device_desc *d,
                              const struct vmdef *def, size_t index)
{
    void *dev = NULL;
    if (b->ndevices == BOARD_MAX_DEVICES)
        return vm_error("%s: more devices than the board has room for", d->name);
    int rc = d->add(b, def, index, &dev);
    if (dev)
        b->devices[b->ndevices++] = (struct device_instance){ .desc = d, .dev = dev };
    return rc ? rc : board_register_ranges(b, d, dev);
}

bool board_boots_firmware(const struct vmdef *def)
{
    return def->boot == VMDEF_BOOT_FIRMWARE || def->boot == VMDEF_BOOT_UEFI;
}

int board_add_devices(struct board *b, const struct vmdef *def)
{
    for (size_t t = 0; t < device_table_len; t++) {
        const struct device_desc *d = device_table[t];
        size_t n = d->count ? d->count(def) : 1;
        for (size_t i = 0; i < n; i++)
            if (board_add_instance(b, d, def, i))
                return VM_EXIT_ERROR;
    }
    return 0;
}

void board_attach_kicks(struct board *b)
{
    for (size_t i = 0; b->fast_io && i < b->n_virtio; i++) {
        int rc = queue_ioeventfds_attach(&b->kicks, b->virtio[i], b->virtio_io[i]);
        if (rc < 0)
            vm_log(&b->vm, "%s: ioeventfd: %s; queue kicks by exit",
                   b->virtio[i]->cfg.name, strerror(-rc));
    }
    vm_log(&b->vm, "virtio: %s", b->fast_io ? "ioeventfd kicks, irqfd interrupts"
                                            : "kicks by exit, interrupts by ioctl");
}

void board_destroy_devices(struct board *b)
{
    while (b->ndevices > 0) {
        struct device_instance *inst = &b->devices[--b->ndevices];
        if (inst->desc->destroy)
            inst->desc->destroy(inst->dev);
    }
}

int board_watch_limit(struct board *b, const struct rate_limit *rl,
                      iothread_fn fn, void *dev)
{
    return board_watch_limit_on(b, &b->io, rl, fn, dev);
}

int board_watch_limit_on(struct board *b, struct iothread *io,
                         const struct rate_limit *rl, iothread_fn fn, void *dev)
{
    (void)b;
    int fd = rate_limit_fd(rl);
    int rc = fd < 0 ? 0 : iothread_add(io, fd, EPOLLIN, fn, dev);
    if (rc < 0)
        return vm_error("rate limit timer: I/O thread: %s", strerror(-rc));
    return 0;
}

void *board_alloc_device(void **dev, size_t size, const char *name)
{
    *dev = calloc(1, size);
    if (!*dev)
        vm_error("%s: out of memory", name);
    return *dev;
}

void board_add_virtio(struct board *b, struct virtio_pci_dev *vdev)
{
    board_add_virtio_on(b, vdev, &b->io);
}

void board_add_virtio_on(struct board *b, struct virtio_pci_dev *vdev,
                         struct iothread *io)
{
    if (b->n_virtio < BOARD_MAX_DEVICES) {
        b->virtio_io[b->n_virtio] = io;
        b->virtio[b->n_virtio++] = vdev;
    }
}

int board_add_disk_thread(struct board *b, struct iothread *io)
{
    if (b->n_disk_io == BOARD_MAX_DISK_THREADS)
        return vm_error("disk I/O threads: more than %d", BOARD_MAX_DISK_THREADS);
    b->disk_io[b->n_disk_io++] = io;
    return 0;
}

int board_start_disk_threads(struct board *b)
{
    for (size_t i = 0; i < b->n_disk_io; i++) {
        int rc = iothread_start(b->disk_io[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void board_stop_disk_threads(struct board *b)
{
    for (size_t i = 0; i < b->n_disk_io; i++)
        iothread_stop(b->disk_io[i]);
}

void board_add_disk_io(struct board *b, const struct vmdef *def,
                       const struct vmdef_disk *def_disk, board_disk_io_fn fn,
                       const void *disk)
{
    size_t n = (size_t)(def_disk - def->disks);
    if (n < VMDEF_MAX_DISKS)
        b->disk_io_of[n] = (struct board_disk_io_source){ .fn = fn, .disk = disk };
}

int board_disk_io(const struct board *b, unsigned n, struct board_disk_io *out)
{
    if (n >= VMDEF_MAX_DISKS || !b->disk_io_of[n].fn)
        return -ENODEV;
    b->disk_io_of[n].fn(b->disk_io_of[n].disk, out);
    return 0;
}

void board_add_disk_state(struct board *b, const struct vmdef *def,
                          const struct vmdef_disk *def_disk, board_state_fn fn,
                          void *disk)
{
    size_t n = (size_t)(def_disk - def->disks);
    if (n < VMDEF_MAX_DISKS)
        b->disk_state_of[n] = (struct board_state_source){ .fn = fn, .dev = disk };
}

void board_add_nic_state(struct board *b, size_t index, board_state_fn fn, void *nic)
{
    if (index < VMDEF_MAX_NICS)
        b->nic_state_of[index] = (struct board_state_source){ .fn = fn, .dev = nic };
}

static void board_print_state_list(const char *what, const struct board_state_source *src,
                                   unsigned n)
{
    char line[1024];
    for (unsigned i = 0; i < n; i++) {
        if (!src[i].fn)
            continue;
        src[i].fn(src[i].dev, line, sizeof(line));
        fprintf(stderr, "corral-vmm: %s %u: %s\n", what, i, line);
    }
}

void board_print_states(const struct board *b)
{
    board_print_state_list("disk", b->disk_state_of, VMDEF_MAX_DISKS);
    board_print_state_list("nic", b->nic_state_of, VMDEF_MAX_NICS);
}

void board_add_boot_disk(struct board *b, unsigned slot, int fd)
{
    if (b->n_boot_disks < BOARD_MAX_BOOT_DISKS)
        b->boot_disks[b->n_boot_disks++] =
            (struct board_disk){ .slot = slot, .ahci_port = -1, .fd = fd };
}

void board_add_boot_drive(struct board *b, unsigned slot, unsigned port,
                          bool cdrom, int fd)
{
    if (b->n_boot_disks < BOARD_MAX_BOOT_DISKS)
        b->boot_disks[b->n_boot_disks++] = (struct board_disk){
            .slot = slot, .ahci_port = (int)port, .cdrom = cdrom, .fd = fd };
}
