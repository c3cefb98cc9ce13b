/* vmform: the VM screens' corral command lines and lists (see vmform.h). */
#include "vmform.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "vmdef.h"

void vmform_image_path(const char *images_dir, const char *text, char *out, size_t len)
{
    if (strchr(text, '/'))
        snprintf(out, len, "%s", text);
    else
        snprintf(out, len, "%s/%s", images_dir, text);
}

/* A disk's options for the guest's devices: SATA when it has no virtio. */
static const char *disk_options(const struct vmform_create *c)
{
    return c->devices == VMFORM_DEVICES_COMPAT ? ",bus=sata" : "";
}

/* The boot options: --kernel/--initrd/--cmdline, --attach + --firmware,
 * or --iso (firmware boot, the ISO in a CD-ROM drive beside the new disk);
 * --uefi for either when the firmware is UEFI.  A disk image attached on
 * SATA when the guest has no virtio drivers. */
static size_t boot_args(const struct vmform_create *c, const char *images_dir,
                        char paths[VMFORM_ARGS][VMFORM_PATH_MAX], const char **argv, size_t n)
{
    vmform_image_path(images_dir, c->image, paths[0], VMFORM_PATH_MAX);
    switch (c->boot) {
    case VMFORM_BOOT_KERNEL:
        argv[n++] = "--kernel";
        argv[n++] = paths[0];
        if (c->initrd && *c->initrd) {
            vmform_image_path(images_dir, c->initrd, paths[1], VMFORM_PATH_MAX);
            argv[n++] = "--initrd";
            argv[n++] = paths[1];
        }
        argv[n++] = "--cmdline";
        argv[n++] = c->cmdline ? c->cmdline : "";
        break;
    case VMFORM_BOOT_DISK_IMAGE:
        snprintf(paths[0] + strlen(paths[0]), VMFORM_PATH_MAX - strlen(paths[0]), "%s",
                 disk_options(c));
        argv[n++] = "--attach";
        argv[n++] = paths[0];
        argv[n++] = c->firmware == VMFORM_FIRMWARE_UEFI ? "--uefi" : "--firmware";
        break;
    case VMFORM_BOOT_ISO:
        argv[n++] = "--iso";
        argv[n++] = paths[0];
        if (c->firmware == VMFORM_FIRMWARE_UEFI)
            argv[n++] = "--uefi";
        break;
    }
    return n;
}

size_t vmform_create_argv(const struct vmform_create *c, const char *images_dir,
                          char paths[VMFORM_ARGS][VMFORM_PATH_MAX], const char **argv)
{
    size_t n = 0;

    argv[n++] = "corral";
    argv[n++] = "vm";
    argv[n++] = "create";
    argv[n++] = c->name;
    argv[n++] = "--memory";
    argv[n++] = c->memory;
    argv[n++] = "--cpus";
    argv[n++] = c->cpus;
    if (c->disk_size && *c->disk_size) {
        argv[n++] = "--disk";
        snprintf(paths[VMFORM_ARG_DISK], VMFORM_PATH_MAX, "%s%s", c->disk_size,
                 disk_options(c));
        argv[n++] = paths[VMFORM_ARG_DISK];
    }
    n = boot_args(c, images_dir, paths, argv, n);
    if (c->nic && *c->nic && strcmp(c->nic, "none") != 0) {
        argv[n++] = "--nic";
        if (c->devices == VMFORM_DEVICES_COMPAT) {
            snprintf(paths[VMFORM_ARG_NIC], VMFORM_PATH_MAX, "bridge=%s,model=e1000", c->nic);
            argv[n++] = paths[VMFORM_ARG_NIC];
        } else {
            argv[n++] = c->nic;
        }
    }
    if (c->autostart)
        argv[n++] = "--autostart";
    argv[n] = NULL;
    return n;
}

int vmform_check_disk_for_boot(enum vmform_boot boot, const char *disk_size, char *why,
                               size_t len)
{
    bool empty = !disk_size || !*disk_size;

    if (boot == VMFORM_BOOT_ISO && empty) {
        snprintf(why, len, "required with an ISO: the disk it installs onto");
        return -EINVAL;
    }
    if (boot == VMFORM_BOOT_DISK_IMAGE && !empty) {
        snprintf(why, len, "leave empty with a disk image: it must be the first disk");
        return -EINVAL;
    }
    return 0;
}

/* Memory as corrald reads it, in MiB; 0 when it does not parse. */
static unsigned long long memory_mib(const char *text)
{
    struct vmdef d;
    char why[128];

    vmdef_init(&d);
    if (vmdef_set_key(&d, "memory", text, NULL, why, sizeof(why)) != 0)
        return 0;
    return (unsigned long long)d.memory_mib;
}

static bool memory_changed(const char *now, const char *typed)
{
    unsigned long long a = memory_mib(now), b = memory_mib(typed);

    return a == 0 || b == 0 ? strcmp(now, typed) != 0 : a != b;
}

size_t vmform_edit_argv(const char *name, const struct vmform_edit *now,
                        const struct vmform_edit *typed, char settings[4][80],
                        const char **argv)
{
    const char *keys[4] = {"memory", "cpus", "autostart", "restart"};
    const char *was[4] = {now->memory, now->cpus, now->autostart, now->restart};
    const char *is[4] = {typed->memory, typed->cpus, typed->autostart, typed->restart};
    size_t n = 4, changes = 0;

    argv[0] = "corral";
    argv[1] = "vm";
    argv[2] = "edit";
    argv[3] = name;
    for (size_t i = 0; i < 4; i++) {
        bool changed = i == 0 ? memory_changed(was[i], is[i]) : strcmp(was[i], is[i]) != 0;
        if (!changed)
            continue;
        snprintf(settings[changes], sizeof(settings[0]), "%s=%s", keys[i], is[i]);
        argv[n++] = settings[changes++];
    }
    argv[n] = NULL;
    return changes ? n : 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static bool is_iso_name(const char *name)
{
    size_t len = strlen(name);

    return len > 4 && strcasecmp(name + len - 4, ".iso") == 0;
}

/* Names in dir that keep() accepts, sorted; how many, or -errno. */
static int list_dir(const char *dir, bool (*keep)(const char *dir, const char *name, bool arg),
                    bool arg, char names[][VMFORM_NAME_MAX], size_t max)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    if (!d)
        return -errno;
    while ((e = readdir(d)) && n < max)
        if (e->d_name[0] != '.' && strlen(e->d_name) < VMFORM_NAME_MAX && keep(dir, e->d_name, arg))
            memcpy(names[n++], e->d_name, strlen(e->d_name) + 1); /* fits: checked */
    closedir(d);
    qsort(names, n, VMFORM_NAME_MAX, compare_names);
    return (int)n;
}

/* A file (not a directory) that is an ISO by its name when iso is set. */
static bool keep_image(const char *dir, const char *name, bool iso)
{
    char path[VMFORM_PATH_MAX];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && is_iso_name(name) == iso;
}

int vmform_list_images(const char *dir, bool iso, char names[][VMFORM_NAME_MAX], size_t max)
{
    return list_dir(dir, keep_image, iso, names, max);
}

/* An interface that is a bridge (sysfs gives it a bridge/ directory). */
static bool keep_bridge(const char *dir, const char *name, bool unused)
{
    char path[VMFORM_PATH_MAX];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s/bridge", dir, name);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int vmform_list_bridges(const char *sys_class_net, char names[][VMFORM_NAME_MAX], size_t max)
{
    return list_dir(sys_class_net, keep_bridge, false, names, max);
}
