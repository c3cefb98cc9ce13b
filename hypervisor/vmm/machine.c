/* machine: assembling and running the VM (see machine.h). */
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acpi.h"
#include "ahci.h"
#include "acpi_loader.h"
#include "acpi_pm.h"
#include "boot_linux.h"
#include "elf_pvh.h"
#include "clock.h"
#include "console.h"
#include "control.h"
#include "devices.h"
#include "exit_stats.h"
#include "firmware.h"
#include "fw_cfg.h"
#include "i8042.h"
#include "block_image.h"
#include "iothread.h"
#include "jail.h"
#include "lazy_pages.h"
#include "rfb.h"
#include "mptable.h"
#include "msi_irqfd.h"
#include "pci.h"
#include "pflash_dev.h"
#include "pvh_boot.h"
#include "queue_ioeventfd.h"
#include "rtc_cmos.h"
#include "vcpu.h"
#include "vm.h"

#define HALT_CHECK_MS 500
/* The test builds' forbidden call and runaway allocation (SIGUSR1 kicks
 * vCPUs; SIGURG's and SIGWINCH's default is to be ignored, so a product VMM
 * does nothing with them). */
#define JAIL_TEST_SIGNAL SIGURG
#define OOM_TEST_SIGNAL SIGWINCH
#define ERRLEN 512

struct machine {
    struct board board; /* the VM and its devices (devices.h) */
    struct vcpu vcpus[VMDEF_MAX_CPUS];
    int signal_fd;
    /* the control socket */
    struct control control;
    struct vcpu_gate gate;
    bool paused;
    struct kvm_clock_data clock; /* kvmclock when paused */
    long long started_ms;
    const struct vmdef *def;
    const char *control_path;
    /* the remote console (--vnc) */
    struct rfb_server rfb;
    bool rfb_opened; /* rfb_open ran: rfb's fields are set */
    const char *vnc_path;
    unsigned jail_uid; /* --jail: 0 = not jailed */
    /* boot = firmware */
    void *rom;          /* the BIOS image behind the read-only slot */
    size_t rom_size;
    /* boot = uefi: OVMF's code and variables flash (pflash_dev.h) */
    struct pflash_dev flash_code, flash_vars;
    bool flash_code_open, flash_vars_open;
    struct pflash_layout flash_at;
};

/* PIRQ A..D on IOAPIC pins 16-19, like QEMU's q35: under ACPI a PCI GSI
 * below 16 clashes with ISA IRQs and the SCI (see acpi.c).  The MP table
 * and the ACPI _PRT both route them. */
static const uint32_t machine_intx_gsi[4] = { 16, 17, 18, 19 };

struct mapped_file {
    const uint8_t *data;
    size_t len;
};

/* Read-only mapping: the bytes are copied into guest RAM once, and the
 * page cache, not our RSS, holds them meanwhile. */
static int map_file(const char *path, const char *what, struct mapped_file *f)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return vm_error("%s %s: %s", what, path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        close(fd);
        return vm_error("%s %s: not a regular, non-empty file", what, path);
    }
    f->len = (size_t)st.st_size;
    void *p = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return vm_error("%s %s: mmap: %s", what, path, strerror(errno));
    f->data = p;
    return 0;
}

static void unmap_file(struct mapped_file *f)
{
    if (f->data)
        munmap((void *)f->data, f->len);
    f->data = NULL;
}

static char *machine_cmdline(const struct vmdef *def)
{
    size_t len = strlen(MACHINE_CMDLINE_PREFIX) + 1 + strlen(def->cmdline) + 1;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "%s%s%s", MACHINE_CMDLINE_PREFIX,
                 def->cmdline[0] ? " " : "", def->cmdline);
    return s;
}

/* The kernel, initrd and command line, checked and planned before any KVM
 * object exists: a bad kernel fails fast and touches nothing. */
struct linux_boot {
    struct mapped_file kernel, initrd;
    bool pvh;               /* an ELF vmlinux, entered by PVH */
    struct bzimage_info bz; /* else a bzImage */
    struct elf_pvh_info elf;
    struct boot_plan plan;
    char *cmdline;
};

static void linux_boot_release(struct linux_boot *lb)
{
    unmap_file(&lb->kernel);
    unmap_file(&lb->initrd);
    free(lb->cmdline);
    lb->cmdline = NULL;
}

/* An ELF file is a vmlinux booted by PVH; anything else must be a bzImage. */
static int machine_plan_kernel(struct linux_boot *lb, const struct guest_mem *layout,
                               char *err, size_t errlen)
{
    const uint8_t *img = lb->kernel.data;
    size_t cmdline_len = strlen(lb->cmdline);
    lb->pvh = elf_is_elf(img, lb->kernel.len);
    if (lb->pvh)
        return elf_pvh_parse(img, lb->kernel.len, &lb->elf, err, errlen) ||
               pvh_plan_make(&lb->elf, layout, lb->initrd.len, cmdline_len,
                             &lb->plan, err, errlen);
    return bzimage_parse(img, lb->kernel.len, &lb->bz, err, errlen) ||
           boot_plan_make(&lb->bz, layout, lb->initrd.len, cmdline_len,
                          &lb->plan, err, errlen);
}

static int machine_prepare_linux(const struct vmdef *def, struct linux_boot *lb)
{
    struct guest_mem layout; /* addresses only: no RAM behind it yet */
    char err[ERRLEN];

    guest_mem_layout(&layout, NULL, def->memory_mib << 20);
    lb->cmdline = machine_cmdline(def);
    if (!lb->cmdline)
        return vm_error("out of memory");
    if (map_file(def->kernel, "kernel", &lb->kernel) ||
        (def->initrd[0] && map_file(def->initrd, "initrd", &lb->initrd)))
        return VM_EXIT_ERROR;
    if (machine_plan_kernel(lb, &layout, err, sizeof(err)))
        return vm_error("kernel %s: %s", def->kernel, err);
    return 0;
}

static int machine_load_linux(struct machine *m, const struct vmdef *def,
                              const struct linux_boot *lb)
{
    char err[ERRLEN], proto[40];
    const struct guest_mem *mem = &m->board.vm.mem;
    int rc;
    if (lb->pvh) {
        rc = pvh_boot_load(mem, &lb->elf, &lb->plan, lb->kernel.data,
                           lb->kernel.len, lb->initrd.data, lb->initrd.len,
                           lb->cmdline, ACPI_RSDP_GPA, err, sizeof(err));
        snprintf(proto, sizeof(proto), "PVH (ELF)");
    } else {
        rc = boot_linux_load(mem, &lb->bz, &lb->plan, lb->kernel.data,
                             lb->kernel.len, lb->initrd.data, lb->initrd.len,
                             lb->cmdline, err, sizeof(err));
        snprintf(proto, sizeof(proto), "boot protocol %u.%02u",
                 lb->bz.version >> 8, lb->bz.version & 0xff);
    }
    if (rc)
        return vm_error("kernel %s: %s", def->kernel, err);
    vm_log(&m->board.vm, "kernel: %s, %s entry at 0x%llx; initrd "
           "%zu bytes at 0x%llx; cmdline \"%s\"", proto,
           lb->plan.long_mode ? "64-bit" : "32-bit",
           (unsigned long long)lb->plan.entry, lb->initrd.len,
           (unsigned long long)lb->plan.initrd_addr, lb->cmdline);
    if (vcpu_setup_boot(&m->vcpus[0], &lb->plan, err, sizeof(err)))
        return vm_error("%s", err);
    return 0;
}

/* The BIOS image, checked before any KVM object exists; it is copied
 * into an anonymous mapping that backs the read-only ROM slot. */
static int machine_prepare_firmware(struct machine *m, const struct vmdef *def)
{
    struct mapped_file f = { 0 };
    char err[ERRLEN];
    if (map_file(def->firmware, "firmware", &f)) {
        fprintf(stderr, "corral-vmm: boot = firmware needs a firmware image: "
                "Debian's seabios package (bios-256k.bin), shipped as %s, or "
                "Debian's ovmf package (OVMF_CODE_4M.fd)\n",
                VMDEF_DEFAULT_FIRMWARE);
        return VM_EXIT_ERROR;
    }
    if (firmware_check_size(f.len, err, sizeof(err))) {
        unmap_file(&f);
        return vm_error("firmware %s: %s", def->firmware, err);
    }
    m->rom = mmap(NULL, f.len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m->rom == MAP_FAILED) {
        m->rom = NULL;
        unmap_file(&f);
        return vm_error("firmware: mmap: %s", strerror(errno));
    }
    memcpy(m->rom, f.data, f.len);
    m->rom_size = f.len;
    unmap_file(&f);
    return 0;
}

/* boot = uefi: the code and the variables file, checked (sizes, the
 * variable store's header) before any KVM object exists. */
static int machine_prepare_uefi(struct machine *m, const struct vmdef *def)
{
    char err[ERRLEN];
    if (pflash_dev_open_code(&m->flash_code, def->uefi_code, err, sizeof(err)))
        return vm_error("uefi_code %s", err);
    m->flash_code_open = true;
    if (pflash_dev_open_vars(&m->flash_vars, def->nvram, err, sizeof(err)))
        return vm_error("nvram %s", err);
    m->flash_vars_open = true;
    if (pflash_layout(m->flash_code.size, m->flash_vars.size, &m->flash_at, err,
                      sizeof(err)))
        return vm_error("uefi_code %s with nvram %s: %s", def->uefi_code, def->nvram,
                        err);
    return 0;
}

static void machine_close_uefi(struct machine *m)
{
    if (m->flash_vars_open && pflash_dev_close(&m->flash_vars) < 0)
        vm_log(&m->board.vm, "nvram %s: not every variable write reached the file",
               m->def->nvram);
    if (m->flash_code_open)
        pflash_dev_close(&m->flash_code);
    m->flash_vars_open = m->flash_code_open = false;
}

/* Every PCI slot in use gets its INTA# routed, as the PCI bus wires it. */
static size_t machine_pci_irqs(const struct machine *m,
                               struct mptable_pci_irq *out)
{
    size_t n = 0;
    for (unsigned slot = 0; m->board.pci_created && slot < PCI_MAX_SLOTS; slot++)
        if (pci_bus_slot(&m->board.pci, slot))
            out[n++] = (struct mptable_pci_irq){
                .slot = (uint8_t)slot, .pin = 1,
                .gsi = (uint8_t)pci_bus_slot_gsi(&m->board.pci, slot),
            };
    return n;
}

static int machine_write_mptable(struct machine *m)
{
    struct mptable_pci_irq irqs[PCI_MAX_SLOTS];
    size_t n_irqs = machine_pci_irqs(m, irqs);
    uint8_t *ebda = guest_mem_ptr(&m->board.vm.mem, BOOT_EBDA_ADDR, BOOT_EBDA_SIZE);
    if (!ebda || !mptable_build(ebda, BOOT_EBDA_SIZE, (uint32_t)BOOT_EBDA_ADDR,
                                m->board.nvcpus, irqs, n_irqs))
        return vm_error("cannot build the MP table for %u vCPUs", m->board.nvcpus);
    return 0;
}

/* The ACPI tables describe the same CPUs, IOAPIC and PCI routing as the
 * MP table, which stays for guests booted with acpi=off.  irqs: room for
 * PCI_MAX_SLOTS, which cfg points into. */
static void machine_acpi_config(const struct machine *m, struct acpi_config *cfg,
                                struct mptable_pci_irq *irqs)
{
    *cfg = (struct acpi_config){
        .nvcpus = m->board.nvcpus, .pci = irqs,
        .n_pci = machine_pci_irqs(m, irqs),
        .pci_mmio_base = PCI_MMIO_WINDOW_BASE, .pci_mmio_end = PCI_MMIO_WINDOW_END,
        .pci_pio_base = PCI_PIO_WINDOW_BASE, .pci_pio_end = PCI_PIO_WINDOW_END,
    };
}

/* Under firmware the tables go through fw_cfg for SeaBIOS to place. */
static int machine_acpi_to_fw_cfg(struct machine *m)
{
    static struct acpi_loader loader; /* 18 KiB; one machine per process */
    struct mptable_pci_irq irqs[PCI_MAX_SLOTS];
    struct acpi_config cfg;
    machine_acpi_config(m, &cfg, irqs);
    int rc = acpi_loader_build(&loader, &cfg);
    return rc ? rc : acpi_loader_add_files(m->board.fw_cfg, &loader);
}

static int machine_write_acpi(struct machine *m)
{
    struct mptable_pci_irq irqs[PCI_MAX_SLOTS];
    struct acpi_config cfg;
    machine_acpi_config(m, &cfg, irqs);
    uint8_t *region = guest_mem_ptr(&m->board.vm.mem, ACPI_REGION_GPA, ACPI_REGION_SIZE);
    if (!region || !acpi_build(region, ACPI_REGION_SIZE, ACPI_REGION_GPA, &cfg, NULL))
        return vm_error("cannot build the ACPI tables for %u vCPUs", m->board.nvcpus);
    return 0;
}

/* Does the firmware find something to boot on d: a boot sector, or for
 * a CD an El Torito boot record? */
static bool machine_boot_disk_bootable(const struct board_disk *d)
{
    /* block_image_transfer: the disk may be O_DIRECT, which a stack
     * buffer does not satisfy. */
    uint8_t buf[512];
    if (d->cdrom) {
        struct iovec iov = { buf, FIRMWARE_ELTORITO_LEN };
        return block_image_transfer(d->fd, &iov, 1, FIRMWARE_ELTORITO_OFFSET,
                                    false) == 0 && firmware_cd_bootable(buf);
    }
    struct iovec iov = { buf, sizeof(buf) };
    return block_image_transfer(d->fd, &iov, 1, 0, false) == 0 &&
           firmware_sector_bootable(buf);
}

/* The disks and CDs in the order SeaBIOS should try them (see
 * firmware_boot_first: one with a boot sector before a blank one). */
static void machine_boot_order(struct machine *m, struct firmware_boot_dev *devs)
{
    const struct board *b = &m->board;
    unsigned defined[BOARD_MAX_BOOT_DISKS], order[BOARD_MAX_BOOT_DISKS];
    bool bootable[BOARD_MAX_BOOT_DISKS];
    for (size_t i = 0; i < b->n_boot_disks; i++) {
        defined[i] = (unsigned)i;
        bootable[i] = machine_boot_disk_bootable(&b->boot_disks[i]);
    }
    size_t leading = firmware_boot_first(defined, bootable, b->n_boot_disks, order);
    if (b->n_boot_disks > 1 && leading && leading < b->n_boot_disks && !bootable[0])
        vm_log(&b->vm, "firmware: disk 0 has no boot sector: SeaBIOS tries the "
               "disks that have one first");
    for (size_t i = 0; i < b->n_boot_disks; i++) {
        const struct board_disk *d = &b->boot_disks[order[i]];
        devs[i] = (struct firmware_boot_dev){ d->slot, d->ahci_port };
    }
}

/* fw_cfg, the firmware log and the RTC are on the board already (the
 * device table creates them for firmware boot); here they get what
 * SeaBIOS and OVMF read. */
static int machine_fill_fw_cfg(struct machine *m)
{
    struct board *b = &m->board;
    struct firmware_boot_dev devs[BOARD_MAX_BOOT_DISKS];
    machine_boot_order(m, devs);
    int rc = firmware_fill_fw_cfg(b->fw_cfg, &b->vm.mem, b->nvcpus, devs,
                                  b->n_boot_disks);
    if (!rc)
        rc = machine_acpi_to_fw_cfg(m);
    if (rc)
        return vm_error("fw_cfg: %s", strerror(-rc));
    rtc_cmos_set(b->rtc, FIRMWARE_CMOS_BOOT_FLAG2, FIRMWARE_CMOS_BOOT_HDD);
    return 0;
}

static int machine_load_firmware(struct machine *m, const struct vmdef *def)
{
    struct board *b = &m->board;
    char err[ERRLEN];
    if (vm_map_rom(&b->vm, firmware_rom_base(m->rom_size), m->rom_size, m->rom,
                   err, sizeof(err)))
        return vm_error("firmware %s: %s", def->firmware, err);
    if (firmware_load_low(&b->vm.mem, m->rom, m->rom_size))
        return vm_error("firmware %s: guest RAM below 1 MiB is too small",
                        def->firmware);
    if (machine_fill_fw_cfg(m))
        return VM_EXIT_ERROR;
    vm_log(&b->vm, "firmware %s: %zu KiB at 0x%llx, vCPU 0 at the reset vector",
           def->firmware, m->rom_size >> 10,
           (unsigned long long)firmware_rom_base(m->rom_size));
    return 0;
}

/* OVMF's two flash devices where QEMU puts them: the code ending at 4 GiB
 * (read-only), the variables right below it. */
static int machine_load_uefi(struct machine *m, const struct vmdef *def)
{
    struct board *b = &m->board;
    char err[ERRLEN];
    if (pflash_dev_map(&m->flash_code, &b->vm, VM_SLOT_ROM, m->flash_at.code_base,
                       err, sizeof(err)))
        return vm_error("uefi_code %s", err);
    if (pflash_dev_map(&m->flash_vars, &b->vm, VM_SLOT_FLASH_VARS,
                       m->flash_at.vars_base, err, sizeof(err)))
        return vm_error("nvram %s", err);
    if (machine_fill_fw_cfg(m))
        return VM_EXIT_ERROR;
    vm_log(&b->vm, "uefi: code %s: %llu KiB at 0x%llx; variables %s: %llu KiB at "
           "0x%llx; vCPU 0 at the reset vector", def->uefi_code,
           (unsigned long long)(m->flash_code.size >> 10),
           (unsigned long long)m->flash_at.code_base, def->nvram,
           (unsigned long long)(m->flash_vars.size >> 10),
           (unsigned long long)m->flash_at.vars_base);
    return 0;
}

static void pci_irq_line(void *ctx, uint32_t gsi, int level)
{
    struct board *b = ctx;
    vm_irq_line(&b->vm, gsi, level);
}

static void pci_signal_msi(void *ctx, uint64_t addr, uint32_t data)
{
    struct board *b = ctx;
    msi_irqfds_signal(&b->msi, addr, data);
}

static int machine_add_pci(struct board *b)
{
    struct pci_platform plat = {
        .mem = &b->vm.mem, .ctx = b,
        .irq_line = pci_irq_line, .signal_msi = pci_signal_msi,
    };
    memcpy(plat.intx_gsi, machine_intx_gsi, sizeof(plat.intx_gsi));
    int rc = pci_bus_create(&b->pci, &b->vm.bus, &plat);
    if (rc < 0)
        return vm_error("PCI bus: %s", strerror(-rc));
    b->pci_created = true;
    return 0;
}

/* What the devices plug into - the I/O thread, interrupt delivery, the
 * console backend, the PCI bus - then the devices, from the table. */
static int machine_add_devices(struct machine *m, const struct vmdef *def)
{
    struct board *b = &m->board;
    char err[ERRLEN];
    int rc = iothread_init(&b->io);
    b->io_created = true;
    if (rc < 0)
        return vm_error("I/O thread: %s", strerror(-rc));
    const char *slow = getenv("CORRAL_VMM_SLOW_IO");
    b->fast_io = !(slow && slow[0] == '1');
    msi_irqfds_init(&b->msi, &b->vm, !b->fast_io);
    queue_ioeventfds_init(&b->kicks, &b->vm, &b->io);
    if (console_open(&b->console, def->serial, def->serial_path, err, sizeof(err)))
        return vm_error("%s", err);
    input_init(&b->input);
    if (vmdef_has_display(def)) {
        if (display_init(&b->display) < 0)
            return vm_error("display: out of memory");
        b->display_created = true;
    }
    return machine_add_pci(b) || board_add_devices(b, def);
}

_Static_assert(KVM_STATS_MAX_VCPUS >= VMDEF_MAX_CPUS, "every vCPU in the devices' view");

static int machine_create_vcpus(struct machine *m)
{
    char err[ERRLEN];
    for (unsigned i = 0; i < m->board.nvcpus; i++) {
        m->vcpus[i].fd = -1;
        m->vcpus[i].kstats.fd = -1;
        if (vcpu_create(&m->vcpus[i], &m->board.vm, i, m->board.nvcpus, err, sizeof(err)))
            return vm_error("%s", err);
        m->board.vcpus.stats[m->board.vcpus.n++] = &m->vcpus[i].kstats;
    }
    return 0;
}

/* SIGTERM/SIGINT/SIGHUP (and SIGUSR2, the exit counters) arrive through a
 * signalfd; every thread blocks them (the vCPU threads inherit the mask),
 * and SIGPIPE is ignored so that a console client going away is only a
 * failed write. */
static int machine_setup_signals(struct machine *m)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR2);
#ifdef CORRAL_VMM_TEST_HOOKS
    sigaddset(&set, JAIL_TEST_SIGNAL);
    sigaddset(&set, OOM_TEST_SIGNAL);
#endif
    sigaddset(&set, VCPU_KICK_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigdelset(&set, VCPU_KICK_SIGNAL);
    signal(SIGPIPE, SIG_IGN);
    vcpu_install_kick_handler();
    m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return m->signal_fd < 0 ? vm_error("signalfd: %s", strerror(errno)) : 0;
}

/* One line on stderr with every vCPU's exit counts summed (SIGUSR2, and
 * at the end with -v): two of them a known time apart give exits/s.
 * SIGUSR2 adds where each vCPU thread is and where each disk's requests
 * and each NIC's frames stand. */
static void machine_print_exits(struct machine *m)
{
    struct exit_totals t;
    char line[400];
    memset(&t, 0, sizeof(t));
    for (unsigned i = 0; i < m->board.nvcpus; i++)
        exit_totals_add(&t, &m->vcpus[i].exits, &m->vcpus[i].kstats);
    exit_totals_format(&t, vm_uptime_s(), line, sizeof(line));
    fprintf(stderr, "corral-vmm: %s\n", line);
}

/* SIGUSR2: where each vCPU thread is (exit_stats.h). */
static void machine_print_vcpus(struct machine *m)
{
    char line[200];
    for (unsigned i = 0; i < m->board.nvcpus; i++) {
        struct exit_vcpu_state v = exit_vcpu_state_of(&m->vcpus[i].exits, &m->vcpus[i].kstats);
        exit_vcpu_format(i, &v, line, sizeof(line));
        fprintf(stderr, "corral-vmm: %s\n", line);
    }
}

static void machine_resume(struct machine *m);

/* SIGTERM and "shutdown": returns false when the guest got Ctrl-Alt-Del. */
static bool machine_shutdown(struct machine *m)
{
    vm_request_shutdown(&m->board.vm);
    if (m->paused) /* a paused guest could not act on the button */
        machine_resume(m);
    /* A guest that never enabled the power button event (booted with
     * acpi=off) gets Ctrl-Alt-Del on its keyboard instead. */
    if (acpi_pm_press_power_button(m->board.pm))
        return true;
    vm_log(&m->board.vm, "power button not enabled by the guest: Ctrl-Alt-Del");
    i8042_ctrl_alt_del(m->board.kbd);
    return false;
}

static void machine_handle_signal(struct machine *m)
{
    struct signalfd_siginfo si;
    while (read(m->signal_fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGUSR2) {
            machine_print_exits(m);
            machine_print_vcpus(m);
            board_print_states(&m->board);
            continue;
        }
#ifdef CORRAL_VMM_TEST_HOOKS
        /* Test builds only (tests/integration/test_jail.py): a VMM taken
         * over by its guest tries to read another VM's files. */
        if (si.ssi_signo == JAIL_TEST_SIGNAL) {
            vm_log(&m->board.vm, "test hook: opening /var/lib/corral");
            int fd = open("/var/lib/corral", O_RDONLY | O_CLOEXEC);
            vm_error("test hook: open /var/lib/corral: %s",
                     fd < 0 ? strerror(errno) : "opened");
            continue;
        }
        /* A VMM whose own memory runs away (a leak, or one taken over by
         * its guest): it touches 16 MiB after 16 MiB until its cgroup's
         * memory.max has the kernel kill it. */
        if (si.ssi_signo == OOM_TEST_SIGNAL) {
            vm_log(&m->board.vm, "test hook: allocating without end");
            for (;;) {
                size_t len = 16u << 20;
                void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED) {
                    vm_error("test hook: mmap: %s", strerror(errno));
                    return;
                }
                memset(p, 0xa5, len);
            }
        }
#endif
        vm_log(&m->board.vm, "signal %u: pressing the ACPI power button",
               si.ssi_signo);
        machine_shutdown(m);
    }
}

/* ---- the control socket's requests ---------------------------------------- */

/* The vCPUs park out of KVM_RUN; kvmclock is saved so that on resume the
 * guest's clock goes on from where it stopped (as QEMU does): its timers
 * see no jump, so its work resumes where it was. */
static int machine_pause(struct machine *m)
{
    if (vcpu_gate_pause(&m->gate, m->vcpus, m->board.nvcpus, 2000) < 0) {
        vcpu_gate_resume(&m->gate);
        return -ETIMEDOUT;
    }
    m->clock = (struct kvm_clock_data){ 0 };
    if (ioctl(m->board.vm.vm_fd, KVM_GET_CLOCK, &m->clock) < 0)
        vm_log(&m->board.vm, "KVM_GET_CLOCK: %s; the guest's clock runs on while "
               "paused", strerror(errno));
    m->paused = true;
    vm_log(&m->board.vm, "paused");
    return 0;
}

static void machine_resume(struct machine *m)
{
    struct kvm_clock_data clock = { .clock = m->clock.clock };
    if (clock.clock && ioctl(m->board.vm.vm_fd, KVM_SET_CLOCK, &clock) < 0)
        vm_log(&m->board.vm, "KVM_SET_CLOCK: %s", strerror(errno));
    m->paused = false;
    vcpu_gate_resume(&m->gate);
    vm_log(&m->board.vm, "resumed");
}

static const char *machine_state(const struct machine *m)
{
    if (m->paused)
        return "paused";
    return __atomic_load_n(&m->board.vm.shutdown_requested, __ATOMIC_SEQ_CST)
               ? "shutting-down" : "running";
}

static void machine_status(struct machine *m, char *reply, size_t len)
{
    snprintf(reply, len, "ok {\"protocol\":%d,\"name\":\"%s\",\"state\":\"%s\","
             "\"vcpus\":%u,\"memory_mib\":%llu,\"uptime_s\":%lld}",
             CONTROL_PROTO_VERSION, m->def->name, machine_state(m), m->board.nvcpus,
             (unsigned long long)m->def->memory_mib,
             (clock_monotonic_ms() - m->started_ms) / 1000);
}

/* cdrom-eject, cdrom-insert: the media of the AHCI CD-ROM drives. */
static void machine_control_cdrom(struct machine *m, enum control_cmd cmd,
                                  const struct control_args *args, char *reply,
                                  size_t len)
{
    struct ahci *a = m->board.ahci;
    bool eject = cmd == CONTROL_CDROM_EJECT;
    if (!eject && args->fd < 0 && jail_active()) {
        snprintf(reply, len, "error %s: %s: a jailed VMM opens no file: send the "
                 "image's descriptor with the request (SCM_RIGHTS)",
                 CONTROL_E_BAD_REQUEST, args->path);
        return;
    }
    int rc = !a ? -ENODEV : eject ? ahci_cdrom_eject(a, args->drive)
                                  : ahci_cdrom_insert(a, args->drive, args->path, args->fd);
    if (rc < 0 && !eject && args->fd >= 0)
        close(args->fd);
    if (rc == 0) {
        vm_log(&m->board.vm, "control: CD-ROM drive %u: %s%s", args->drive,
               eject ? "medium ejected" : "inserted ", eject ? "" : args->path);
        snprintf(reply, len, "ok %s", eject ? "ejected" : "inserted");
    } else if (rc == -ENODEV) {
        snprintf(reply, len, "error %s: no CD-ROM drive %u", CONTROL_E_NO_DEVICE,
                 args->drive);
    } else if (rc == -EBUSY) {
        snprintf(reply, len, "error %s: the guest locked the tray", CONTROL_E_BUSY);
    } else if (eject) {
        snprintf(reply, len, "error %s: the drive is empty", CONTROL_E_STATE);
    } else {
        snprintf(reply, len, "error %s: %s: %s", CONTROL_E_BAD_REQUEST, args->path,
                 rc == -EINVAL ? "not an ISO image (empty?)" : strerror(-rc));
    }
}

/* disk N: how disk N of the definition (every bus) does its I/O, as the
 * disk's device says. */
static void machine_control_disk(struct machine *m, unsigned n, char *reply,
                                 size_t len)
{
    struct board_disk_io io;
    if (board_disk_io(&m->board, n, &io) < 0)
        snprintf(reply, len, "error %s: no disk %u (the disks are numbered from 0 "
                 "in definition order)", CONTROL_E_NO_DEVICE, n);
    else
        snprintf(reply, len, "ok {\"disk\":%u,\"bus\":\"%s\",\"io\":\"%s\","
                 "\"engine\":\"%s\"}", n, io.bus, io.io, io.engine);
}

static void machine_control_request(void *ctx, enum control_cmd cmd,
                                    const struct control_args *args,
                                    char *reply, size_t len)
{
    struct machine *m = ctx;
    const char *bad_state = NULL;
    switch (cmd) {
    case CONTROL_CDROM_EJECT:
    case CONTROL_CDROM_INSERT:
        machine_control_cdrom(m, cmd, args, reply, len);
        return;
    case CONTROL_DISK:
        machine_control_disk(m, args->disk, reply, len);
        return;
    case CONTROL_PAUSE:
        if (m->paused)
            bad_state = "already paused";
        else if (machine_pause(m) < 0)
            bad_state = "the vCPUs did not stop within 2 s";
        break;
    case CONTROL_RESUME:
        if (!m->paused)
            bad_state = "not paused";
        else
            machine_resume(m);
        break;
    case CONTROL_SHUTDOWN:
        vm_log(&m->board.vm, "control: shutdown: pressing the ACPI power button");
        snprintf(reply, len, machine_shutdown(m) ? "ok shutting-down"
                 : "ok shutting-down (no ACPI power button: Ctrl-Alt-Del)");
        return;
    case CONTROL_STOP:
        vm_log(&m->board.vm, "control: stop: stopping the VM at once");
        vm_request_stop(&m->board.vm, VM_EXIT_STOPPED);
        snprintf(reply, len, "ok stopping");
        return;
    default:
        break;
    }
    if (bad_state)
        snprintf(reply, len, "error %s: %s", CONTROL_E_STATE, bad_state);
    else if (cmd == CONTROL_STATUS || cmd == CONTROL_PAUSE || cmd == CONTROL_RESUME)
        machine_status(m, reply, len);
}

static int machine_control_console(void *ctx, int fd)
{
    struct machine *m = ctx;
    return console_attach(&m->board.console, fd);
}

/* The RFB server, on the I/O thread (main.c refuses --vnc without a
 * display, so the board has one here). */
static int machine_open_vnc(struct machine *m, const struct vmdef *def)
{
    char err[ERRLEN];
    if (!m->board.display_created)
        return vm_error("--vnc: this VM has no display");
    m->rfb_opened = true; /* rfb_open sets every field, even when it fails */
    if (rfb_open(&m->rfb, m->vnc_path, def->name, &m->board.display,
                 &m->board.input, &m->board.io, &m->board.vm, err, sizeof(err)))
        return vm_error("%s", err);
    vm_log(&m->board.vm, "vnc socket on %s", m->vnc_path);
    return 0;
}

static int machine_open_control(struct machine *m, const char *path)
{
    char err[ERRLEN];
    struct control_ops ops = { .ctx = m, .request = machine_control_request,
                               .console = machine_control_console };
    if (control_open(&m->control, path, &ops, err, sizeof(err)) < 0)
        return vm_error("%s", err);
    vm_log(&m->board.vm, "control socket on %s", path);
    return 0;
}

/* Linux without ACPI "powers off" by halting every CPU with interrupts
 * disabled; nothing can wake such a guest, so that is the powered-off
 * state.  The answers of the previous round are checked, then a new round
 * of questions goes out. */
static void machine_check_halt(struct machine *m)
{
    bool all_off = true;
    for (unsigned i = 0; i < m->board.nvcpus; i++) {
        struct vcpu *c = &m->vcpus[i];
        if (__atomic_load_n(&c->check_halt, __ATOMIC_SEQ_CST) ||
            !__atomic_load_n(&c->halted_off, __ATOMIC_SEQ_CST))
            all_off = false;
    }
    if (all_off) {
        vm_log(&m->board.vm, "every vCPU halted with interrupts off: powered off");
        vm_request_stop(&m->board.vm, VM_EXIT_POWEROFF);
        return;
    }
    for (unsigned i = 0; i < m->board.nvcpus; i++) {
        __atomic_store_n(&m->vcpus[i].check_halt, 1, __ATOMIC_SEQ_CST);
        vcpu_kick(&m->vcpus[i]);
    }
}

static void machine_loop(struct machine *m)
{
    long long next_check = clock_monotonic_ms() + HALT_CHECK_MS;
    while (!vm_stopping(&m->board.vm)) {
        struct pollfd fds[2 + CONSOLE_POLLFDS + CONTROL_POLLFDS];
        int n = 0;
        fds[n++] = (struct pollfd){ .fd = m->board.vm.stop_fd[0], .events = POLLIN };
        fds[n++] = (struct pollfd){ .fd = m->signal_fd, .events = POLLIN };
        int ncons = console_pollfds(&m->board.console, fds + n, CONSOLE_POLLFDS);
        int nctl = control_pollfds(&m->control, fds + n + ncons, CONTROL_POLLFDS);
        long long wait = next_check - clock_monotonic_ms();
        /* A full UART FIFO: look again soon rather than at the next check. */
        if (m->board.console.input_held && wait > 10)
            wait = 10;
        int rc = poll(fds, (nfds_t)(n + ncons + nctl), wait < 0 ? 0 : (int)wait);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc > 0 && fds[1].revents)
            machine_handle_signal(m);
        /* also without events: a stuck console reader is timed out */
        console_service(&m->board.console, fds + n, rc > 0 ? ncons : 0);
        if (rc > 0)
            control_service(&m->control, fds + n + ncons, nctl);
        if (clock_monotonic_ms() >= next_check) {
            if (!m->paused) /* parked vCPUs do not answer */
                machine_check_halt(m);
            next_check = clock_monotonic_ms() + HALT_CHECK_MS;
        }
    }
}

static void machine_teardown(struct machine *m)
{
    vcpu_gate_resume(&m->gate); /* parked vCPUs see the VM stopping */
    control_close(&m->control);
    for (unsigned i = 0; i < m->board.nvcpus; i++)
        vcpu_kick(&m->vcpus[i]);
    for (unsigned i = 0; i < m->board.nvcpus; i++)
        vcpu_join(&m->vcpus[i]);
    if (m->board.vm.verbose && m->board.vm.exit_status != VM_EXIT_ERROR)
        machine_print_exits(m);
    if (m->board.io_created) {
        iothread_stop(&m->board.io);
        board_stop_disk_threads(&m->board); /* before the vCPUs' stats go */
        if (m->rfb_opened)
            rfb_close(&m->rfb);
        queue_ioeventfds_destroy(&m->board.kicks);
        msi_irqfds_destroy(&m->board.msi);
    }
    for (unsigned i = 0; i < m->board.nvcpus; i++)
        vcpu_destroy(&m->vcpus[i]);
    if (m->board.pci_created)
        pci_bus_destroy(&m->board.pci);
    if (m->board.io_created)
        iothread_destroy(&m->board.io);
    console_close(&m->board.console);
    board_destroy_devices(&m->board); /* after the console: it feeds COM1 */
    if (m->board.display_created)
        display_destroy(&m->board.display);
    input_destroy(&m->board.input);
    vm_destroy(&m->board.vm);
    if (m->rom)
        munmap(m->rom, m->rom_size);
    machine_close_uefi(m); /* after the VM: its slots pointed into the arrays */
}

static int machine_start(struct machine *m, const struct vmdef *def, bool verbose)
{
    char err[ERRLEN];
    struct linux_boot lb;
    int rc;

    memset(&lb, 0, sizeof(lb));
    rc = machine_setup_signals(m);
    if (!rc)
        rc = def->boot == VMDEF_BOOT_FIRMWARE ? machine_prepare_firmware(m, def)
             : def->boot == VMDEF_BOOT_UEFI   ? machine_prepare_uefi(m, def)
                                              : machine_prepare_linux(def, &lb);
    if (rc) {
        linux_boot_release(&lb);
        return VM_EXIT_ERROR;
    }
    if (vm_create(&m->board.vm, def->memory_mib << 20, def->hugepages, verbose,
                  err, sizeof(err))) {
        rc = vm_error("%s", err);
    } else {
        m->board.vm.hyperv = def->hyperv; /* before the vCPUs' CPUID */
        rc = machine_create_vcpus(m) || machine_add_devices(m, def);
    }
    /* Under firmware the vCPUs stay in their reset state. */
    if (!rc && def->boot == VMDEF_BOOT_FIRMWARE)
        rc = machine_load_firmware(m, def);
    else if (!rc && def->boot == VMDEF_BOOT_UEFI)
        rc = machine_load_uefi(m, def);
    else if (!rc)
        rc = machine_load_linux(m, def, &lb) || machine_write_mptable(m) ||
             machine_write_acpi(m);
    linux_boot_release(&lb); /* copied into guest RAM: the files can go */
    if (rc)
        return VM_EXIT_ERROR;
    if (m->control_path && machine_open_control(m, m->control_path))
        return VM_EXIT_ERROR;
    if (m->vnc_path && machine_open_vnc(m, def))
        return VM_EXIT_ERROR;
    if (m->jail_uid && jail_enter(m->jail_uid, def->name, err, sizeof(err)))
        return vm_error("%s", err);
    if (m->jail_uid)
        vm_log(&m->board.vm, "jailed: uid %u, empty root, seccomp", m->jail_uid);
    board_attach_kicks(&m->board);
    if (iothread_start(&m->board.io) || board_start_disk_threads(&m->board))
        return vm_error("cannot start the I/O threads");
    m->started_ms = clock_monotonic_ms();
    for (unsigned i = 0; i < m->board.nvcpus; i++)
        m->vcpus[i].gate = &m->gate;
    for (unsigned i = 0; i < m->board.nvcpus; i++)
        if (vcpu_start(&m->vcpus[i]))
            return vm_error("cannot start the thread of vCPU %u", i);
    vm_log(&m->board.vm, "%u vCPU(s) running", m->board.nvcpus);
    return 0;
}

/* The fields whose "none" is not zero; the rest is the zero of fresh pages. */
static void machine_init(struct machine *m, const struct vmdef *def,
                         const struct machine_opts *opts)
{
    m->def = def;
    m->control.listen_fd = -1;
    for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
        m->control.clients[i].fd = m->control.clients[i].passed_fd = -1;
    vcpu_gate_init(&m->gate);
    m->board.nvcpus = def->cpus ? def->cpus : 1;
    m->signal_fd = -1;
    m->board.vm.vm_fd = m->board.vm.kvm_fd = -1;
    m->board.vm.stop_fd[0] = m->board.vm.stop_fd[1] = -1;
    m->board.vm.exit_status = VM_RUNNING;
    /* only the slots of this VM's vCPUs (the rest stay untouched pages) */
    for (unsigned i = 0; i < m->board.nvcpus && i < VMDEF_MAX_CPUS; i++)
        m->vcpus[i].fd = -1, m->vcpus[i].kstats.fd = -1;
    m->control_path = opts->control_path;
    m->vnc_path = opts->vnc_path;
    m->jail_uid = opts->jail_uid;
    /* m->rfb (60 KiB) is set up by rfb_open, with --vnc only */
}

int machine_run(const struct vmdef *def, const struct machine_opts *opts)
{
    /* About 100 KiB, most of it for what a VM may not have (a remote
     * console's clients, 64 vCPU slots): on lazy pages, only what this VM
     * touches becomes resident (a memset static copy was all resident). */
    struct machine *m = lazy_pages_alloc(sizeof(*m));
    if (!m)
        return vm_error("cannot allocate the machine: %s", strerror(errno));
    machine_init(m, def, opts);
    int status = machine_start(m, def, opts->verbose);
    if (status == 0) {
        machine_loop(m);
        status = m->board.vm.exit_status;
    } else {
        vm_request_stop(&m->board.vm, VM_EXIT_ERROR);
    }
    machine_teardown(m);
    lazy_pages_free(m, sizeof(*m));
    return status == VM_RUNNING ? VM_EXIT_ERROR : status;
}
