/* vmform: what the console's VM screens send to corral, and the lists
 * they offer, without any drawing: the create wizard's `corral vm create`
 * command line (the same options a person would type), the edit screen's
 * `corral vm edit NAME KEY=VALUE...`, the images in the images directory
 * and the bridges a NIC can join.  The UI adds no VM logic of its own:
 * corrald checks and refuses exactly as for the CLI. */
#ifndef CORRAL_SETUP_VMFORM_H
#define CORRAL_SETUP_VMFORM_H

#include <stdbool.h>
#include <stddef.h>

#define VMFORM_IMAGES_DIR "/var/lib/corral/images"
#define VMFORM_NAME_MAX 64     /* a file or bridge name in a list */
#define VMFORM_LIST_MAX 32     /* names offered in one list */
#define VMFORM_PATH_MAX 1024
#define VMFORM_ARGV_MAX 40

/* How a new VM boots: a kernel (direct Linux boot), an existing disk image
 * (firmware, the image as its first disk), or an installer ISO (firmware,
 * a new blank disk and the ISO in a CD-ROM drive: corral's --iso). */
enum vmform_boot { VMFORM_BOOT_KERNEL, VMFORM_BOOT_DISK_IMAGE, VMFORM_BOOT_ISO };

/* The devices a guest gets: virtio (fast; Linux has the drivers), or the
 * ones every OS has drivers for (SATA disks, an e1000 NIC: Windows, older
 * systems).  One choice for both, as a person thinks of the guest. */
enum vmform_devices { VMFORM_DEVICES_VIRTIO, VMFORM_DEVICES_COMPAT };

/* The firmware a disk image or an ISO boots by: SeaBIOS (corral's
 * --firmware, the default) or OVMF (--uefi, variables in VMDIR/nvram.fd). */
enum vmform_firmware { VMFORM_FIRMWARE_BIOS, VMFORM_FIRMWARE_UEFI };

/* Room for the strings vmform_create_argv makes: the image, the initrd,
 * the new disk and the NIC with their options. */
enum { VMFORM_ARG_IMAGE, VMFORM_ARG_INITRD, VMFORM_ARG_DISK, VMFORM_ARG_NIC, VMFORM_ARGS };

struct vmform_create {
    const char *name, *memory, *cpus;
    const char *disk_size;  /* "" for no new disk */
    enum vmform_boot boot;
    const char *image;      /* kernel, disk image or ISO: a file name in
                             * images_dir, or a path */
    const char *initrd;     /* kernel boot: "" for none */
    const char *cmdline;    /* kernel boot */
    const char *nic;        /* a bridge name, or "none" / "" for no NIC */
    bool autostart;
    enum vmform_devices devices;
    enum vmform_firmware firmware; /* not for kernel boot */
};

/* The path an image field names: text itself when it holds a '/', else
 * images_dir/text. */
void vmform_image_path(const char *images_dir, const char *text, char *out, size_t len);

/* argv (NULL terminated, at most VMFORM_ARGV_MAX entries) for `corral vm
 * create`; the strings point into c and into paths.  Returns argc. */
size_t vmform_create_argv(const struct vmform_create *c, const char *images_dir,
                          char paths[VMFORM_ARGS][VMFORM_PATH_MAX], const char **argv);

/* The new disk's size against the way the VM boots: an ISO needs one (the
 * disk it installs onto, booted first), a disk image must be the first
 * disk so it takes none (corral puts a new disk first).  0, or -EINVAL
 * with the reason in why. */
int vmform_check_disk_for_boot(enum vmform_boot boot, const char *disk_size, char *why,
                               size_t len);

/* The edit screen: the VM's current values and the ones typed. */
struct vmform_edit {
    const char *memory, *cpus, *autostart, *restart;
};

/* argv for `corral vm edit NAME KEY=VALUE...` with only the settings that
 * differ from now (memory compared in MiB, so "1G" over 1024 MiB is no
 * change); settings[] holds the KEY=VALUE strings.  Returns argc, or 0
 * when nothing changed. */
size_t vmform_edit_argv(const char *name, const struct vmform_edit *now,
                        const struct vmform_edit *typed, char settings[4][80],
                        const char **argv);

/* File names in dir, sorted; iso: only *.iso (any case), else all but
 * those.  Hidden files and directories are left out.  Returns how many
 * (at most max), or -errno when dir cannot be read. */
int vmform_list_images(const char *dir, bool iso, char names[][VMFORM_NAME_MAX], size_t max);

/* The bridges that exist: interfaces in sys_class_net (/sys/class/net)
 * with a bridge/ directory, sorted.  Returns how many or -errno. */
int vmform_list_bridges(const char *sys_class_net, char names[][VMFORM_NAME_MAX], size_t max);

#endif
