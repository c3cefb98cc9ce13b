/* devices: the device table is consistent (no two fixed ranges overlap,
 * every entry can be created), and walking it builds the machine the VMM
 * always built: the legacy ports, fw_cfg and the firmware log only for
 * firmware boot, the disks in the first PCI slots, then the rng.  No KVM:
 * the board gets a bus, guest RAM from calloc and a PCI bus. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../../hypervisor/vmm/block_image.h"
#include "../../hypervisor/vmm/debugcon.h"
#include "../../hypervisor/vmm/devices.h"
#include "../../hypervisor/vmm/fw_cfg.h"
#include "../../hypervisor/vmm/serial_8250.h"
#include "../../hypervisor/vmm/vga.h"
#include "../../hypervisor/vmm/virtio_input.h"

#define RAM_SIZE (64ULL << 20)

static struct board board;
static uint8_t *ram;
static char disk_paths[2][32];

static void no_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; (void)level; }

static bool ranges_overlap(const struct device_range *a, const struct device_range *b)
{
    return a->space == b->space && a->base < b->base + b->len &&
           b->base < a->base + a->len;
}

static void test_table_entries_are_complete(void)
{
    CHECK(device_table_len > 0);
    for (size_t t = 0; t < device_table_len; t++) {
        CHECK(device_table[t]->name != NULL);
        CHECK(device_table[t]->add != NULL);
    }
}

static void test_fixed_ranges_do_not_overlap(void)
{
    for (size_t t = 0; t < device_table_len; t++)
        for (size_t i = 0; i < DEVICE_MAX_RANGES && device_table[t]->ranges[i].len; i++)
            for (size_t u = t; u < device_table_len; u++)
                for (size_t j = (u == t ? i + 1 : 0);
                     j < DEVICE_MAX_RANGES && device_table[u]->ranges[j].len; j++)
                    CHECK(!ranges_overlap(&device_table[t]->ranges[i],
                                          &device_table[u]->ranges[j]));
}

static void make_disk(size_t i)
{
    snprintf(disk_paths[i], sizeof(disk_paths[i]), "/tmp/corral-devXXXXXX");
    int fd = mkstemp(disk_paths[i]);
    CHECK(fd >= 0);
    CHECK_EQ_INT(ftruncate(fd, 1 << 20), 0);
    close(fd);
}

static void setup(struct vmdef *def, enum vmdef_boot boot, size_t disks)
{
    static const struct pci_platform platform = {
        .irq_line = no_irq, .intx_gsi = { 16, 17, 18, 19 },
    };
    struct pci_platform plat = platform;
    memset(&board, 0, sizeof(board));
    input_init(&board.input);
    board.vm.vm_fd = board.vm.kvm_fd = -1; /* interrupts go nowhere */
    board.nvcpus = 1;
    ram = calloc(1, RAM_SIZE);
    guest_mem_layout(&board.vm.mem, ram, RAM_SIZE);
    plat.mem = &board.vm.mem;
    bus_init(&board.vm.bus);
    CHECK_EQ_INT(pci_bus_create(&board.pci, &board.vm.bus, &plat), 0);
    vmdef_init(def);
    def->boot = boot;
    for (size_t i = 0; i < disks; i++) {
        make_disk(i);
        snprintf(def->disks[i].path, sizeof(def->disks[i].path), "%s", disk_paths[i]);
    }
    def->disk_count = disks;
}

static void teardown(size_t disks)
{
    pci_bus_destroy(&board.pci);
    board_destroy_devices(&board);
    CHECK_EQ_INT(board.ndevices, 0);
    bus_destroy(&board.vm.bus);
    input_destroy(&board.input);
    free(ram);
    for (size_t i = 0; i < disks; i++)
        unlink(disk_paths[i]);
}

static int port_read(uint16_t port, uint8_t *value)
{
    return bus_dispatch(&board.vm.bus, BUS_PIO, port, value, 1, false);
}

static void test_firmware_machine(void)
{
    static struct vmdef def;
    uint8_t v = 0;
    setup(&def, VMDEF_BOOT_FIRMWARE, 2);
    /* No screen: the VGA's framebuffer and window need KVM memory slots
     * (test_vga.c tests its logic, test_display.py the device, and
     * test_display_follows_the_definition that firmware boot has one). */
    def.display = VMDEF_DISPLAY_NONE;
    CHECK_EQ_INT(board_add_devices(&board, &def), 0);
    /* COM1, i8042, RTC, ISA bridge, PM, fw_cfg, firmware log, two disks, rng */
    CHECK_EQ_INT(board.ndevices, 10);
    CHECK(board.kbd && board.pm && board.rtc && board.fw_cfg);
    CHECK(board.console.uart != NULL);
    CHECK_EQ_INT(port_read(DEBUGCON_PORT, &v), 0);
    CHECK_EQ_INT(v, DEBUGCON_READBACK);
    CHECK_EQ_INT(port_read(SERIAL_COM1_PORT + 5, &v), 0); /* LSR */
    /* the host bridge is slot 0, the chipset slot 1 (ISA bridge and PM):
     * the disks follow in order, then the rng */
    CHECK_EQ_INT(pci_config_read(pci_bus_slot(&board.pci, 1), PCI_DEVICE_ID, 2), 0x7000);
    CHECK_EQ_INT(pci_config_read(board.pci.functions[1][3], PCI_DEVICE_ID, 2), 0x7113);
    CHECK_EQ_INT(board.n_boot_disks, 2);
    CHECK_EQ_INT(board.boot_disks[0].slot, 2);
    CHECK_EQ_INT(board.boot_disks[1].slot, 3);
    CHECK(pci_bus_slot(&board.pci, 4) != NULL);
    CHECK(pci_bus_slot(&board.pci, 5) == NULL);
    CHECK_EQ_INT(board.n_virtio, 3); /* each one's kicks, by ioeventfd */
    CHECK(board.input.has_kbd && board.input.has_mouse && !board.input.has_tablet);
    teardown(2);
}

/* A SATA disk and a CD-ROM drive: one AHCI controller after the virtio
 * disks, its ports bootable after them (disk first, then the drive). */
static void test_ahci_for_sata_disks_and_cdroms(void)
{
    static struct vmdef def;
    setup(&def, VMDEF_BOOT_FIRMWARE, 2);
    def.disks[0].bus = VMDEF_BUS_SATA;
    def.disks[1].cache = VMDEF_CACHE_WRITEBACK;
    def.cdrom_count = 1; /* an empty drive */
    def.display = VMDEF_DISPLAY_NONE; /* the VGA needs KVM's memory slots */
    CHECK_EQ_INT(board_add_devices(&board, &def), 0);
    /* COM1, i8042, RTC, ISA, PM, fw_cfg, firmware log, a virtio disk, AHCI, rng */
    CHECK_EQ_INT(board.ndevices, 10);
    CHECK(board.ahci != NULL);
    CHECK_EQ_INT(board.n_boot_disks, 3);
    CHECK_EQ_INT(board.boot_disks[0].slot, 2); /* disks[1], on virtio */
    CHECK_EQ_INT(board.boot_disks[0].ahci_port, -1);
    CHECK_EQ_INT(board.boot_disks[1].slot, 3);
    CHECK_EQ_INT(board.boot_disks[1].ahci_port, 0);
    CHECK(!board.boot_disks[1].cdrom);
    CHECK_EQ_INT(board.boot_disks[2].ahci_port, 1);
    CHECK(board.boot_disks[2].cdrom);
    CHECK_EQ_INT(board.boot_disks[2].fd, -1);
    CHECK_EQ_INT(pci_config_read(pci_bus_slot(&board.pci, 3), PCI_DEVICE_ID, 2), 0x2922);
    /* "disk N" on the control socket: by definition index, whatever the
     * bus; each disk's device answers; the CD-ROM drive is no disk */
    struct board_disk_io io;
    CHECK_EQ_INT(board_disk_io(&board, 0, &io), 0);
    CHECK_EQ_STR(io.bus, "sata");
    CHECK_EQ_STR(io.io, block_image_cache_mode(board.boot_disks[1].fd, false));
    CHECK(!strcmp(io.engine, "io_uring") || !strcmp(io.engine, "synchronous"));
    CHECK_EQ_INT(board_disk_io(&board, 1, &io), 0);
    CHECK_EQ_STR(io.bus, "virtio");
    CHECK_EQ_STR(io.io, "buffered (cache = writeback)");
    CHECK(!strcmp(io.engine, "io_uring") || !strcmp(io.engine, "synchronous"));
    CHECK_EQ_INT(board_disk_io(&board, 2, &io), -ENODEV);
    CHECK_EQ_INT(board_disk_io(&board, 99, &io), -ENODEV);
    teardown(2);
}

/* A screen (the VGA and the tablet) by default for firmware boot, none for
 * a kernel booted directly; display = std|none decides when given. */
static void test_display_follows_the_definition(void)
{
    static struct vmdef def;
    vmdef_init(&def);
    def.boot = VMDEF_BOOT_FIRMWARE;
    CHECK_EQ_INT(vga_device.count(&def), 1);
    CHECK_EQ_INT(virtio_input_device.count(&def), 1);
    def.display = VMDEF_DISPLAY_NONE;
    CHECK_EQ_INT(vga_device.count(&def), 0);
    CHECK_EQ_INT(virtio_input_device.count(&def), 0);
    def.boot = VMDEF_BOOT_KERNEL;
    def.display = VMDEF_DISPLAY_AUTO;
    CHECK_EQ_INT(vga_device.count(&def), 0);
    def.display = VMDEF_DISPLAY_STD;
    CHECK_EQ_INT(vga_device.count(&def), 1);
    CHECK_EQ_INT(virtio_input_device.count(&def), 1);
}

/* OVMF by boot = uefi reads fw_cfg and logs to 0x402 as SeaBIOS does, and
 * has a screen by default. */
static void test_uefi_gets_the_firmware_devices(void)
{
    static struct vmdef def;
    vmdef_init(&def);
    def.boot = VMDEF_BOOT_UEFI;
    CHECK(board_boots_firmware(&def));
    CHECK_EQ_INT(fw_cfg_device.count(&def), 1);
    CHECK_EQ_INT(debugcon_device.count(&def), 1);
    CHECK_EQ_INT(vga_device.count(&def), 1);
    def.boot = VMDEF_BOOT_KERNEL;
    CHECK(!board_boots_firmware(&def));
    CHECK_EQ_INT(fw_cfg_device.count(&def), 0);
    CHECK_EQ_INT(debugcon_device.count(&def), 0);
}

static void test_kernel_machine_has_no_firmware_devices(void)
{
    static struct vmdef def;
    uint8_t v = 0;
    setup(&def, VMDEF_BOOT_KERNEL, 0);
    CHECK_EQ_INT(board_add_devices(&board, &def), 0);
    CHECK_EQ_INT(board.ndevices, 6); /* COM1, i8042, RTC, ISA, PM, rng */
    CHECK(!board.input.has_tablet); /* no display (serial console): no tablet */
    CHECK(board.fw_cfg == NULL);
    CHECK(port_read(DEBUGCON_PORT, &v) < 0);
    CHECK(pci_bus_slot(&board.pci, 2) != NULL);
    teardown(0);
}

static void test_failed_disk_stops_the_walk(void)
{
    static struct vmdef def;
    setup(&def, VMDEF_BOOT_KERNEL, 0);
    def.disk_count = 1;
    snprintf(def.disks[0].path, sizeof(def.disks[0].path), "/nonexistent/disk.img");
    CHECK(board_add_devices(&board, &def) != 0);
    CHECK_EQ_INT(board.ndevices, 5); /* what came before the disk, to release */
    CHECK(pci_bus_slot(&board.pci, 2) == NULL);
    teardown(0);
}

int main(void)
{
    RUN(test_table_entries_are_complete);
    RUN(test_fixed_ranges_do_not_overlap);
    RUN(test_firmware_machine);
    RUN(test_ahci_for_sata_disks_and_cdroms);
    RUN(test_display_follows_the_definition);
    RUN(test_uefi_gets_the_firmware_devices);
    RUN(test_kernel_machine_has_no_firmware_devices);
    RUN(test_failed_disk_stops_the_walk);
    return check_summary("devices");
}
