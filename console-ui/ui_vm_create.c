/* ui_vm_create: the Create a VM wizard.  Its fields are checked with
 * corrald's own rules (vmlist.h), and what it runs is the `corral vm
 * create` command line vmform builds, exactly the options a person would
 * type (boot from a kernel, a disk image or an installer ISO, a NIC on
 * one of the bridges that exist). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runcmd.h"
#include "screens.h"
#include "ui.h"
#include "vmform.h"
#include "vmlist.h"

#define CORRAL_TIMEOUT_MS 20000
#define INTRO_MAX 76
#define SYS_CLASS_NET "/sys/class/net"

enum { NEW_NAME, NEW_MEMORY, NEW_CPUS, NEW_DISK, NEW_BOOT, NEW_KERNEL, NEW_INITRD, NEW_CMDLINE,
       NEW_DISK_IMAGE, NEW_ISO, NEW_NIC, NEW_AUTOSTART, NEW_DEVICES, NEW_FIRMWARE,
       NEW_COUNT };
/* In enum vmform_boot's order. */
static const char *const boot_choices[] = {"kernel", "disk image", "installer ISO"};
/* In vmform_devices order. */
static const char *const device_choices[] = {"virtio (Linux)", "SATA + e1000 (Windows...)"};
/* In vmform_firmware order. */
static const char *const firmware_choices[] = {"BIOS (SeaBIOS)", "UEFI (OVMF)"};
static const char *const yes_no[] = {"no", "yes"};

/* The lists the choice fields offer, filled when the wizard opens. */
struct choices {
    char names[VMFORM_LIST_MAX + 1][VMFORM_NAME_MAX];
    const char *ptrs[VMFORM_LIST_MAX + 1];
    size_t count;
};
static struct choices disk_images, isos, nics;

static enum vmform_boot boot_of(const struct ui_form *f)
{
    return (enum vmform_boot)f->fields[NEW_BOOT].choice;
}

static bool kernel_boot(const struct ui_form *f)
{
    return boot_of(f) == VMFORM_BOOT_KERNEL;
}

static bool disk_image_boot(const struct ui_form *f)
{
    return boot_of(f) == VMFORM_BOOT_DISK_IMAGE;
}

static bool iso_boot(const struct ui_form *f)
{
    return boot_of(f) == VMFORM_BOOT_ISO;
}

/* A disk image or an ISO boots by firmware: BIOS or UEFI. */
static bool firmware_boot(const struct ui_form *f)
{
    return boot_of(f) != VMFORM_BOOT_KERNEL;
}

static int check_name(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_vm_name(ui_field_value(f, i), why, len);
}

static int check_memory(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_vm_memory(ui_field_value(f, i), why, len);
}

static int check_cpus(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_vm_cpus(ui_field_value(f, i), why, len);
}

static int check_disk(const struct ui_form *f, size_t i, char *why, size_t len)
{
    int r = validate_vm_disk_size(ui_field_value(f, i), why, len);

    return r ? r : vmform_check_disk_for_boot(boot_of(f), ui_field_value(f, i), why, len);
}

static int check_image(const struct ui_form *f, size_t i, char *why, size_t len, bool required)
{
    const char *text = ui_field_value(f, i);
    char path[VMFORM_PATH_MAX];

    if (!*text) {
        if (!required)
            return 0;
        snprintf(why, len, "required: an image name or a path");
        return -EINVAL;
    }
    vmform_image_path(VMFORM_IMAGES_DIR, text, path, sizeof(path));
    if (access(path, R_OK) != 0) {
        snprintf(why, len, "%.200s: %s", path, strerror(errno));
        return -ENOENT;
    }
    return 0;
}

static int check_kernel(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return check_image(f, i, why, len, true);
}

static int check_initrd(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return check_image(f, i, why, len, false);
}

/* A choice among the images: there must be one to choose. */
static int check_listed(const struct ui_form *f, size_t i, char *why, size_t len)
{
    if (f->fields[i].choice_count)
        return 0;
    snprintf(why, len, "none in %s (corral image import)", VMFORM_IMAGES_DIR);
    return -ENOENT;
}

static void choice_field(struct ui_field *fl, const char *label, const char *const *choices,
                         size_t count)
{
    ui_field_text(fl, label, "", 0);
    fl->kind = UI_FIELD_CHOICE;
    fl->choices = choices;
    fl->choice_count = count;
}

/* c gets the images (ISOs or not) in the images directory. */
static void load_images(struct choices *c, bool iso)
{
    int n = vmform_list_images(VMFORM_IMAGES_DIR, iso, c->names, VMFORM_LIST_MAX);

    c->count = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < c->count; i++)
        c->ptrs[i] = c->names[i];
}

/* "none" and the bridges that exist; *preferred gets br0's place. */
static void load_nics(struct choices *c, size_t *preferred)
{
    int n = vmform_list_bridges(SYS_CLASS_NET, c->names + 1, VMFORM_LIST_MAX);

    snprintf(c->names[0], sizeof(c->names[0]), "none");
    c->count = 1 + (n > 0 ? (size_t)n : 0);
    *preferred = 0;
    for (size_t i = 0; i < c->count; i++) {
        c->ptrs[i] = c->names[i];
        if (strcmp(c->names[i], "br0") == 0)
            *preferred = i;
    }
}

/* "Images in DIR: a,b,c" for the wizard's introduction, on one line. */
static void list_images(char *out, size_t len)
{
    struct choices all;
    size_t used = (size_t)snprintf(out, len, "Images in %s: ", VMFORM_IMAGES_DIR);
    int n = vmform_list_images(VMFORM_IMAGES_DIR, false, all.names, VMFORM_LIST_MAX);
    int m = n < 0 ? n : vmform_list_images(VMFORM_IMAGES_DIR, true, all.names + n,
                                            VMFORM_LIST_MAX - (size_t)n);

    if (n < 0 || m < 0 || n + m == 0) {
        snprintf(out + used, len - used, "none yet (corral image import)");
        return;
    }
    for (int i = 0; i < n + m && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", all.names[i]);
    if (len > INTRO_MAX + 1 && strlen(out) > INTRO_MAX)
        memcpy(out + INTRO_MAX - 3, "...", 4);
}

static void setup_fields(struct ui_field *fields)
{
    size_t br0;

    load_images(&disk_images, false);
    load_images(&isos, true);
    load_nics(&nics, &br0);
    ui_field_text(&fields[NEW_NAME], "Name", "", VMDEF_NAME_MAX + 8);
    fields[NEW_NAME].hint = "letters, digits, '-'";
    fields[NEW_NAME].check = check_name;
    ui_field_text(&fields[NEW_MEMORY], "Memory", "256M", 16);
    fields[NEW_MEMORY].check = check_memory;
    ui_field_text(&fields[NEW_CPUS], "vCPUs", "1", 4);
    fields[NEW_CPUS].check = check_cpus;
    ui_field_text(&fields[NEW_DISK], "New disk size", "", 16);
    fields[NEW_DISK].hint = "e.g. 20G; empty: no disk";
    fields[NEW_DISK].check = check_disk;
    choice_field(&fields[NEW_BOOT], "Boot from", boot_choices, 3);
    ui_field_text(&fields[NEW_KERNEL], "Kernel", "", 512);
    fields[NEW_KERNEL].check = check_kernel;
    fields[NEW_KERNEL].active = kernel_boot;
    fields[NEW_KERNEL].hint = "an image name or a path";
    ui_field_text(&fields[NEW_INITRD], "Initrd", "", 512);
    fields[NEW_INITRD].check = check_initrd;
    fields[NEW_INITRD].active = kernel_boot;
    fields[NEW_INITRD].hint = "optional";
    ui_field_text(&fields[NEW_CMDLINE], "Kernel command line", "console=ttyS0", 512);
    fields[NEW_CMDLINE].active = kernel_boot;
    choice_field(&fields[NEW_DISK_IMAGE], "Disk image", disk_images.ptrs, disk_images.count);
    fields[NEW_DISK_IMAGE].active = disk_image_boot;
    fields[NEW_DISK_IMAGE].check = check_listed;
    fields[NEW_DISK_IMAGE].hint = "Left/Right: choose; used as it is, not copied";
    choice_field(&fields[NEW_ISO], "Installer ISO", isos.ptrs, isos.count);
    fields[NEW_ISO].active = iso_boot;
    fields[NEW_ISO].check = check_listed;
    fields[NEW_ISO].hint = "Left/Right: choose; in a CD-ROM drive";
    choice_field(&fields[NEW_NIC], "Network (NIC)", nics.ptrs, nics.count);
    fields[NEW_NIC].choice = br0;
    fields[NEW_NIC].hint = "Left/Right: a bridge, or none";
    choice_field(&fields[NEW_AUTOSTART], "Start at boot", yes_no, 2);
    choice_field(&fields[NEW_DEVICES], "Disk and NIC", device_choices, 2);
    fields[NEW_DEVICES].hint = "without virtio drivers: SATA + e1000";
    choice_field(&fields[NEW_FIRMWARE], "Firmware", firmware_choices, 2);
    fields[NEW_FIRMWARE].active = firmware_boot;
    fields[NEW_FIRMWARE].hint = "UEFI: GPT disks, UEFI-only installers";
}

/* Boot from image (a name in the images directory): an ISO in a CD-ROM
 * drive with a new disk to install onto, or a disk image as it is. */
static void choose_image(struct ui_field *fields, const char *image)
{
    for (size_t i = 0; i < isos.count; i++)
        if (strcmp(isos.names[i], image) == 0) {
            fields[NEW_BOOT].choice = VMFORM_BOOT_ISO;
            fields[NEW_ISO].choice = i;
            lineedit_init(&fields[NEW_DISK].edit, "20G", fields[NEW_DISK].edit.max);
        }
    for (size_t i = 0; i < disk_images.count; i++)
        if (strcmp(disk_images.names[i], image) == 0) {
            fields[NEW_BOOT].choice = VMFORM_BOOT_DISK_IMAGE;
            fields[NEW_DISK_IMAGE].choice = i;
        }
}

bool vm_create_screen(const char *image, char *name, size_t len)
{
    static struct ui_field fields[NEW_COUNT];
    static char paths[VMFORM_ARGS][VMFORM_PATH_MAX];
    char intro[1200];
    struct ui_form form = {"Create a VM", intro, fields, NEW_COUNT, NULL, true, 0};
    const char *argv[VMFORM_ARGV_MAX];
    struct vmform_create c;
    enum vmform_boot boot;

    list_images(intro, sizeof(intro));
    setup_fields(fields);
    if (image)
        choose_image(fields, image);
    if (!ui_form_run(&form))
        return false;
    boot = boot_of(&form);
    c = (struct vmform_create){
        ui_field_value(&form, NEW_NAME), ui_field_value(&form, NEW_MEMORY),
        ui_field_value(&form, NEW_CPUS), ui_field_value(&form, NEW_DISK), boot,
        ui_field_value(&form, boot == VMFORM_BOOT_KERNEL       ? NEW_KERNEL
                              : boot == VMFORM_BOOT_DISK_IMAGE ? NEW_DISK_IMAGE
                                                               : NEW_ISO),
        ui_field_value(&form, NEW_INITRD), ui_field_value(&form, NEW_CMDLINE),
        ui_field_value(&form, NEW_NIC), strcmp(ui_field_value(&form, NEW_AUTOSTART), "yes") == 0,
        (enum vmform_devices)form.fields[NEW_DEVICES].choice,
        (enum vmform_firmware)form.fields[NEW_FIRMWARE].choice,
    };
    vmform_create_argv(&c, VMFORM_IMAGES_DIR, paths, argv);
    snprintf(name, len, "%s", c.name);
    return show_command("Create a VM", argv, CORRAL_TIMEOUT_MS) == 0;
}
