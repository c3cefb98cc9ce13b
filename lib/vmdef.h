/* vmdef: the VM definition (vm.conf), shared by corral-vmm and corrald.
 *
 * A definition is a conf file (see conf.h).  vmdef_from_conf() turns it into
 * a struct vmdef and checks every key; errors read "path:line: key: reason".
 * Syntax and sense are checked here; whether the files exist is a separate
 * question (vmdef_check_files), since a definition may be checked on a host
 * where its files are not.
 *
 *   key          value                                     default
 *   ------------ ----------------------------------------- ----------------
 *   name         1-32 of letters, digits, '-'; starts with  (required)
 *                a letter or digit
 *   uuid         8-4-4-4-12 hex digits                     (none)
 *   memory       size; plain number = MiB; K/M/G/T suffix;  256M
 *                whole MiB, 16 MiB .. 4 TiB
 *   hugepages    yes | no: RAM on the admin's reserved 2 MiB no
 *                hugetlbfs pages, all taken at start
 *   cpus         1..64                                     1
 *   boot         kernel | firmware | uefi                  kernel
 *   kernel       bzImage path (boot = kernel only)         (required for
 *                                                           boot = kernel)
 *   initrd       initramfs path (boot = kernel only)       (none)
 *   cmdline      kernel command line (boot = kernel only)  (empty)
 *   firmware     BIOS image (boot = firmware only)         /usr/share/corral/bios.bin
 *   uefi_code    OVMF code image, read-only flash           /usr/share/OVMF/
 *                (boot = uefi only)                          OVMF_CODE_4M.fd
 *   nvram        the VM's UEFI variables file, writable     (required for
 *                flash (boot = uefi only); a copy of        boot = uefi)
 *                OVMF_VARS_4M.fd, checked by nvram_check();
 *                empty: none
 *   hyperv       on | off (also yes/no...): Hyper-V          off
 *                enlightenments for Windows guests
 *   disk         PATH[,ro][,iops=N][,bps=SIZE]               (none)
 *                [,bus=virtio|sata][,cache=none|writeback];
 *                repeatable, at most 16, in boot order; no
 *                ',' in PATH.  bus=sata: a disk on the AHCI
 *                controller (for guests without virtio
 *                drivers), else virtio-blk.  cache=none (the
 *                default): the image bypasses the host's page
 *                cache (O_DIRECT); writeback: through it
 *   cdrom        ISO | none: an ATAPI CD-ROM drive on the   (none)
 *                AHCI controller, with that image or
 *                empty; repeatable.  SATA disks and CD-ROM
 *                drives share the controller's 6 ports
 *   nic          [bridge=IF][,mac=XX:XX:XX:XX:XX:XX]       bridge=br0, MAC
 *                [,tap=IF][,bps=SIZE][,pps=N][,fd=N]        from
 *                [,model=virtio|e1000];                     vmdef_nic_mac(),
 *                repeatable, at most 8; an empty value      model=virtio
 *                means all defaults.  bps/pps: transmit
 *                and receive rate limits each way
 *                (bytes/packets per second); fd: an open
 *                tap inherited from the caller (corrald),
 *                only at run time, never written back
 *   serial       stdio | pty | unix:PATH | file:PATH       stdio
 *   display      std | none: a VGA screen (Bochs VBE) with  std with
 *                keyboard, mouse and tablet, reached by     boot = firmware,
 *                the remote console                         none with
 *                                                           boot = kernel
 *   autostart    yes | no (also true/false, on/off, 1/0)   no
 *   restart      no | on-failure | always                  on-failure
 *   stop_timeout seconds between the ACPI shutdown request 60
 *                and the forced stop, 0..86400
 *   cpu_limit    percent of one host CPU the VM may use at  (no limit)
 *                most (cgroup cpu.max), 1..100 x cpus
 *   cpu_weight   its share under contention (cgroup         100
 *                cpu.weight), 1..10000
 *   jail         yes | no: corrald runs the VMM jailed (own   yes
 *                uid, namespaces, empty root, seccomp; see
 *                docs/corral-vmm.md); no is for debugging
 *
 * Relative paths (kernel, initrd, firmware, uefi_code, nvram, disk, serial
 * unix:/file:) are
 * relative to the directory holding the definition file; struct vmdef holds
 * them resolved.  Unknown keys and a second occurrence of a key that is not
 * a list (disk, nic, cdrom) are errors. */
#ifndef CORRAL_VMDEF_H
#define CORRAL_VMDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define VMDEF_NAME_MAX 32
#define VMDEF_PATH_MAX 1024
#define VMDEF_CMDLINE_MAX 2048
#define VMDEF_IFNAME_MAX 15 /* IFNAMSIZ - 1 */
#define VMDEF_MAX_DISKS 16
#define VMDEF_MAX_NICS 8
/* The AHCI controller's ports: SATA disks and CD-ROM drives together. */
#define VMDEF_MAX_SATA_PORTS 6
#define VMDEF_MAX_CPUS 64
#define VMDEF_MIN_MEMORY_MIB 16
#define VMDEF_MAX_MEMORY_MIB ((uint64_t)4 << 20) /* 4 TiB */
#define VMDEF_MAX_STOP_TIMEOUT 86400
#define VMDEF_DEFAULT_CPU_WEIGHT 100 /* cgroup v2's own default */
#define VMDEF_MAX_CPU_WEIGHT 10000
#define VMDEF_DEFAULT_FIRMWARE "/usr/share/corral/bios.bin"
/* Debian's ovmf package, as the control domain ships it: the code, and
 * the variables template corrald copies to a new VM's nvram. */
#define VMDEF_DEFAULT_UEFI_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define VMDEF_DEFAULT_UEFI_VARS "/usr/share/OVMF/OVMF_VARS_4M.fd"
#define VMDEF_DEFAULT_BRIDGE "br0"

enum vmdef_boot { VMDEF_BOOT_KERNEL, VMDEF_BOOT_FIRMWARE, VMDEF_BOOT_UEFI };
enum vmdef_serial { VMDEF_SERIAL_STDIO, VMDEF_SERIAL_PTY, VMDEF_SERIAL_UNIX,
                    VMDEF_SERIAL_FILE };
/* AUTO: decided by the boot method (vmdef_has_display). */
enum vmdef_display { VMDEF_DISPLAY_AUTO, VMDEF_DISPLAY_STD, VMDEF_DISPLAY_NONE };
enum vmdef_restart { VMDEF_RESTART_NO, VMDEF_RESTART_ON_FAILURE,
                     VMDEF_RESTART_ALWAYS };

enum vmdef_disk_bus { VMDEF_BUS_VIRTIO, VMDEF_BUS_SATA };
/* NONE: O_DIRECT where the file system allows (the guest has its own
 * cache); WRITEBACK: the host's page cache too.  Flushes are fdatasync
 * either way. */
enum vmdef_disk_cache { VMDEF_CACHE_NONE, VMDEF_CACHE_WRITEBACK };

struct vmdef_disk {
    char path[VMDEF_PATH_MAX];
    bool readonly;
    enum vmdef_disk_bus bus;
    enum vmdef_disk_cache cache;
    uint64_t iops; /* 0 = unlimited */
    uint64_t bps;  /* bytes per second, 0 = unlimited */
};

/* The device a NIC is to the guest: virtio-net (fast, needs the guest's
 * virtio driver) or an Intel e1000 (82540EM) every OS has a driver for. */
enum vmdef_nic_model { VMDEF_NIC_VIRTIO, VMDEF_NIC_E1000 };
/* A CD-ROM drive: its ISO image, "" when empty. */
struct vmdef_cdrom {
    char path[VMDEF_PATH_MAX];
};

struct vmdef_nic {
    enum vmdef_nic_model model;        /* default VMDEF_NIC_VIRTIO */
    char bridge[VMDEF_IFNAME_MAX + 1]; /* "" = none: the tap is left alone */
    char tap[VMDEF_IFNAME_MAX + 1];    /* "" = let the kernel choose */
    bool has_mac;                      /* false: use vmdef_nic_mac() */
    uint8_t mac[6];
    uint64_t bps;                      /* bytes per second, 0 = unlimited */
    uint64_t pps;                      /* packets per second, 0 = unlimited */
    bool has_fd;                       /* run time only: an inherited tap */
    int fd;
};

struct vmdef {
    char name[VMDEF_NAME_MAX + 1];
    char uuid[37]; /* "" = none */
    uint64_t memory_mib;
    bool hugepages; /* RAM on preallocated hugetlbfs pages */
    unsigned cpus;
    enum vmdef_boot boot;
    char kernel[VMDEF_PATH_MAX];
    char initrd[VMDEF_PATH_MAX];   /* "" = none */
    char cmdline[VMDEF_CMDLINE_MAX];
    char firmware[VMDEF_PATH_MAX];
    char uefi_code[VMDEF_PATH_MAX];
    char nvram[VMDEF_PATH_MAX];    /* "" = none (boot = uefi needs one) */
    bool hyperv;                   /* Hyper-V enlightenments */
    struct vmdef_disk disks[VMDEF_MAX_DISKS];
    size_t disk_count;
    struct vmdef_cdrom cdroms[VMDEF_MAX_SATA_PORTS];
    size_t cdrom_count;
    struct vmdef_nic nics[VMDEF_MAX_NICS];
    size_t nic_count;
    enum vmdef_serial serial;
    char serial_path[VMDEF_PATH_MAX]; /* for unix: and file: */
    enum vmdef_display display;
    bool autostart;
    enum vmdef_restart restart;
    unsigned stop_timeout_s;
    bool jail; /* corrald jails the VMM (the default) */
    unsigned cpu_limit;  /* percent of one CPU; 0 = no limit */
    unsigned cpu_weight; /* 1..10000 */
};

/* The disks on bus, and the index-th of them (in definition order). */
size_t vmdef_disks_on_bus(const struct vmdef *d, enum vmdef_disk_bus bus);
/* "none" or "writeback", as the definition spells it. */
const char *vmdef_disk_cache_name(enum vmdef_disk_cache cache);
const struct vmdef_disk *vmdef_disk_on_bus(const struct vmdef *d,
                                           enum vmdef_disk_bus bus, size_t index);

/* Zeroes d and sets the defaults of the table above. */
void vmdef_init(struct vmdef *d);

/* Parse and check a whole definition.  path names the file in errors and
 * is where relative paths are resolved from (NULL: the working directory).
 * Returns 0 or -EINVAL with err set. */
int vmdef_from_conf(const struct conf *c, const char *path, struct vmdef *out,
                    struct conf_error *err);
/* conf_load + vmdef_from_conf; -errno or -EINVAL with err set. */
int vmdef_load(const char *path, struct vmdef *out, struct conf_error *err);

/* Set one key on a definition (the same syntax as in the file), e.g. for
 * command-line flags or `corral vm edit KEY=VALUE`.  List keys append.
 * Relative paths resolve against base_dir (NULL: left as they are).
 * Returns 0 or -EINVAL with a reason (without the key) in why. */
int vmdef_set_key(struct vmdef *d, const char *key, const char *value,
                  const char *base_dir, char *why, size_t why_len);
/* Checks that hold for the definition as a whole (name present, kernel for
 * boot = kernel, no kernel options with boot = firmware).  Returns 0 or
 * -EINVAL with "key: reason" in why. */
int vmdef_check(const struct vmdef *d, char *why, size_t why_len);

/* The definition as conf entries (canonical order, defaults written out),
 * appended to out.  Returns 0 or -ENOMEM / -E2BIG. */
int vmdef_to_conf(const struct vmdef *d, struct conf *out);

/* Reports the first kernel/initrd/firmware/uefi_code/nvram/disk file that
 * is missing or not a readable regular file (or block device for disks;
 * nvram must be writable too, and a good variables file: nvram_check());
 * the message names the key and the path.  Returns 0 or -errno with err set (path = the
 * definition's path given here, may be NULL). */
int vmdef_check_files(const struct vmdef *d, const char *def_path,
                      struct conf_error *err);

/* Names: 1-32 of [A-Za-z0-9-], first a letter or digit. */
bool vmdef_name_valid(const char *name);
/* The MAC a NIC without mac= gets: locally administered, unicast, stable
 * for (VM name, NIC index). */
void vmdef_nic_mac(const char *vm_name, size_t index, uint8_t mac[6]);
/* "52:54:00:12:34:56" into buf (at least 18 bytes). */
void vmdef_format_mac(const uint8_t mac[6], char *buf);

const char *vmdef_boot_name(enum vmdef_boot b);
const char *vmdef_nic_model_name(enum vmdef_nic_model model);

const char *vmdef_restart_name(enum vmdef_restart r);

/* Whether the VM gets a screen: display = std, or display unset and the
 * VM boots firmware or UEFI (a directly booted kernel has the serial
 * console). */
bool vmdef_has_display(const struct vmdef *d);

#endif
