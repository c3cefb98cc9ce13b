/* ui_import: Virtual machines > Import an image from a USB stick or disk.
 * Lists the partitions blkid finds (not the system's own: medialist.c),
 * mounts the chosen one read-only, lists its ISOs and disk images, and
 * imports one with `corral image import` on the terminal - the command
 * line's own code, with its progress bar - then offers to create a VM
 * that boots from it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fdio.h"
#include "medialist.h"
#include "runcmd.h"
#include "screens.h"
#include "sysinfo.h"
#include "ui.h"
#include "vmdef.h"
#include "vmform.h"

#define MOUNT_DIR "/run/corral/import"
#define COMMAND_TIMEOUT_MS 30000
#define SCAN_DEPTH 3 /* the stick's top directory and two below it */
#define FILES_MAX 64
#define OUTPUT_MAX 16384

struct image_file {
    char path[VMFORM_PATH_MAX];
    char label[96]; /* "debian-12.iso  628M" as listed */
    char help[VMFORM_PATH_MAX + 200];
};

/* The partitions to offer, or 0 with the reason in why. */
static size_t find_partitions(struct media_part *parts, char *why, size_t len)
{
    const char *blkid[] = {"blkid", NULL};
    static char out[OUTPUT_MAX], mounts[OUTPUT_MAX];
    int status = run_command(blkid, NULL, out, sizeof(out), COMMAND_TIMEOUT_MS);
    size_t n;

    if (status < 0) {
        snprintf(why, len, "blkid could not run: %s", strerror(-status));
        return 0;
    }
    if (read_small_file("/proc/mounts", mounts, sizeof(mounts)) < 0)
        mounts[0] = '\0';
    n = medialist_parse(out, mounts, parts, MEDIALIST_MAX);
    if (n == 0)
        snprintf(why, len, "No USB stick or disk with files was found: plug the stick in "
                           "(wait a few seconds) and try again. Partitions in use by this "
                           "system are not listed.");
    return n;
}

static uint64_t partition_bytes(const char *device)
{
    char path[128], text[32];
    const char *name = strrchr(device, '/');

    snprintf(path, sizeof(path), "/sys/class/block/%s/size", name ? name + 1 : device);
    if (read_small_file(path, text, sizeof(text)) <= 0)
        return 0;
    return strtoull(text, NULL, 10) * 512;
}

/* Adds the images under dir (depth levels deep) to files; returns the
 * new count. */
static size_t find_images(const char *dir, int depth, struct image_file *files, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return n;
    while (n < FILES_MAX && (e = readdir(d)) != NULL) {
        char path[VMFORM_PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path)
            || lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth > 1) {
            n = find_images(path, depth - 1, files, n);
        } else if (S_ISREG(st.st_mode) && medialist_is_image(e->d_name)) {
            snprintf(files[n].path, sizeof(files[n].path), "%s", path);
            snprintf(files[n].label, sizeof(files[n].label), "%.60s", e->d_name);
            char size[16];
            medialist_size((uint64_t)st.st_size, size, sizeof(size));
            snprintf(files[n].help, sizeof(files[n].help), "%s (%s)\nCopied into "
                     VMFORM_IMAGES_DIR " by corral image import: hashed on the way, complete "
                     "or not at all. The stick is only read.", path + strlen(MOUNT_DIR) + 1,
                     size);
            n++;
        }
    }
    closedir(d);
    return n;
}

/* mount -o ro: 0, or the reason shown to the person. */
static int mount_read_only(const char *device)
{
    const char *mount[] = {"mount", "-o", "ro", device, MOUNT_DIR, NULL};
    char out[1024], text[1200];
    int status;

    fdio_mkdir_p(MOUNT_DIR, 0700);
    status = run_command(mount, NULL, out, sizeof(out), COMMAND_TIMEOUT_MS);
    if (status == 0)
        return 0;
    snprintf(text, sizeof(text), "%s could not be mounted: %s", device,
             out[0] ? out : status < 0 ? strerror(-status) : "mount failed");
    ui_message("Import an image", text);
    return -EIO;
}

static void unmount(void)
{
    const char *umount[] = {"umount", MOUNT_DIR, NULL};
    char out[512];

    run_command(umount, NULL, out, sizeof(out), COMMAND_TIMEOUT_MS);
}

/* The file the person picks among files, or -1. */
static int choose_file(const char *device, struct image_file *files, size_t n)
{
    static struct menu_item items[FILES_MAX];
    char title[64];
    struct menu m;

    for (size_t i = 0; i < n; i++)
        items[i] = (struct menu_item){0, files[i].label, files[i].help, true};
    menu_init(&m, items, n);
    snprintf(title, sizeof(title), "Images on %s", device + 5);
    return ui_menu_run(title, &m, NULL);
}

/* corral image import on the terminal (its progress bar); true when the
 * image is in the images directory now. */
static bool import_file(const struct image_file *f)
{
    const char *import[] = {"corral", "image", "import", f->path, NULL};
    char banner[VMFORM_PATH_MAX + 64];

    snprintf(banner, sizeof(banner), "Importing %s into %s ...", f->path, VMFORM_IMAGES_DIR);
    return run_in_terminal(import, banner, PAUSE_ON_ERROR) == 0;
}

/* Mounts part, lets the person pick an image and imports it; the imported
 * file's name into name, or "" when nothing was imported. */
static void import_from(const struct media_part *part, char *name, size_t len)
{
    static struct image_file files[FILES_MAX];
    size_t n;
    int chosen;

    name[0] = '\0';
    if (mount_read_only(part->device) != 0)
        return;
    n = find_images(MOUNT_DIR, SCAN_DEPTH, files, 0);
    if (n == 0) {
        char text[200];
        snprintf(text, sizeof(text), "No ISO or disk image (.iso, .img, .raw) on %s.",
                 part->device);
        ui_message("Import an image", text);
    } else if ((chosen = choose_file(part->device, files, n)) >= 0 && import_file(&files[chosen])) {
        const char *slash = strrchr(files[chosen].path, '/');
        snprintf(name, len, "%s", slash + 1);
    }
    unmount();
}

void import_screen(void)
{
    static struct media_part parts[MEDIALIST_MAX];
    static struct menu_item items[MEDIALIST_MAX];
    static char labels[MEDIALIST_MAX][80], helps[MEDIALIST_MAX][200];
    char why[300], name[VMFORM_NAME_MAX + 200], question[VMFORM_NAME_MAX + 300];
    size_t n = find_partitions(parts, why, sizeof(why));
    struct menu m;
    int chosen;

    if (n == 0) {
        ui_message("Import an image", why);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        medialist_describe(&parts[i], partition_bytes(parts[i].device), labels[i],
                           sizeof(labels[i]));
        snprintf(helps[i], sizeof(helps[i]), "%s\nMounted read-only to list its ISOs and disk "
                 "images; unmounted again after the import.", labels[i]);
        items[i] = (struct menu_item){0, labels[i], helps[i], true};
    }
    menu_init(&m, items, n);
    chosen = ui_menu_run("Import from", &m, NULL);
    if (chosen < 0)
        return;
    import_from(&parts[chosen], name, sizeof(name));
    if (!name[0])
        return;
    snprintf(question, sizeof(question), "%s is in %s now. Create a VM that boots from it?",
             name, VMFORM_IMAGES_DIR);
    if (ui_confirm("Import an image", question)) {
        char vm[VMDEF_NAME_MAX + 1];
        if (vm_create_screen(name, vm, sizeof(vm)))
            vm_created(vm);
    }
}
