/* install: install, upgrade and boot confirmation on the running control
 * domain (install.h). */
#include "install.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biosboot.h"
#include "bootcfg.h"
#include "conf.h"
#include "efi.h"
#include "layout.h"
#include "password.h"
#include "pbkdf2.h"
#include "sys.h"

#define SYS_BLOCK "/sys/block"

/* snprintf for paths and messages whose truncation is harmless (paths
 * here are short by construction; messages are only shown). */
__attribute__((format(printf, 3, 4))) static void fmt(char *out, size_t len, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(out, len, f, ap);
    va_end(ap);
}

/* ---- probing ------------------------------------------------------------- */

static void probe_partitions(struct disk *d)
{
    char path[PATH_MAX];
    fmt(path, sizeof(path), SYS_BLOCK "/%s", d->name);
    DIR *dir = opendir(path);
    if (!dir)
        return;
    for (struct dirent *e; (e = readdir(dir)) != NULL && d->partition_count < DISK_MAX_PARTITIONS;) {
        char attr[PATH_MAX];
        fmt(attr, sizeof(attr), SYS_BLOCK "/%s/%.64s/partition", d->name, e->d_name);
        if (access(attr, F_OK) == 0)
            fmt(d->partitions[d->partition_count++], DISK_NAME_MAX, "%.31s", e->d_name);
    }
    closedir(dir);
}

static void probe_disk(struct disk *d, const char *name)
{
    char path[PATH_MAX], value[128], real[PATH_MAX];
    memset(d, 0, sizeof(*d));
    fmt(d->name, sizeof(d->name), "%s", name);
#define ATTR(rel) (fmt(path, sizeof(path), SYS_BLOCK "/%s/" rel, name), path)
    read_attr(ATTR("size"), value, sizeof(value));
    d->size_bytes = strtoull(value, NULL, 10) * 512; /* sysfs counts 512-byte units */
    read_attr(ATTR("queue/logical_block_size"), value, sizeof(value));
    d->sector_size = (unsigned)strtoul(value, NULL, 10);
    if (d->sector_size == 0)
        d->sector_size = 512;
    read_attr(ATTR("removable"), value, sizeof(value));
    d->removable = value[0] == '1';
    read_attr(ATTR("ro"), value, sizeof(value));
    d->read_only = value[0] == '1';
    read_attr(ATTR("device/model"), d->model, sizeof(d->model));
    read_attr(ATTR("device/serial"), d->serial, sizeof(d->serial));
    if (!d->serial[0])
        read_attr(ATTR("serial"), d->serial, sizeof(d->serial));
    if (realpath(ATTR(""), real))
        disk_transport_from_path(real, d->transport, sizeof(d->transport));
#undef ATTR
    probe_partitions(d);
}

static size_t probe_blkid(struct blkid_entry *entries, size_t max)
{
    static char out[65536];
    char err[256];
    const char *argv[] = {"blkid", NULL};
    /* blkid exits 2 when it finds nothing; its output is all that counts. */
    run_program(argv, NULL, out, sizeof(out), err, sizeof(err));
    size_t n = 0;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line && n < max;
         line = strtok_r(NULL, "\n", &save))
        if (blkid_parse_line(line, &entries[n]) == 0)
            n++;
    return n;
}

int disks_probe(struct disk *disks, size_t max, size_t *count, char *err, size_t err_len)
{
    DIR *dir = opendir(SYS_BLOCK);
    if (!dir) {
        fmt(err, err_len, "cannot list " SYS_BLOCK ": %s", strerror(errno));
        return -1;
    }
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL && n < max;)
        if (e->d_name[0] != '.' && disk_name_is_candidate(e->d_name))
            probe_disk(&disks[n++], e->d_name);
    closedir(dir);
    static struct blkid_entry entries[256];
    disk_apply_blkid(disks, n, entries, probe_blkid(entries, 256));
    char *mounts = read_file("/proc/mounts", 1 << 20, NULL, err, err_len);
    if (!mounts)
        return -1;
    disk_apply_mounts(disks, n, mounts);
    free(mounts);
    *count = n;
    return 0;
}

/* ---- the medium and the answer file ---------------------------------------- */

static int is_mounted_at(const char *dir)
{
    char err[64], needle[PATH_MAX + 2];
    char *mounts = read_file("/proc/mounts", 1 << 20, NULL, err, sizeof(err));
    fmt(needle, sizeof(needle), " %s ", dir);
    int found = mounts && strstr(mounts, needle) != NULL;
    free(mounts);
    return found;
}

/* Mounts the first device blkid lists whose label is accepted (and of
 * type, if given). */
static int mount_labelled(int (*accept)(const char *label), const char *type,
                          const char *dir, char *err, size_t err_len)
{
    static struct blkid_entry entries[256];
    static const char *const types[] = {"iso9660", "vfat", "ext4"};
    size_t n = probe_blkid(entries, 256);
    if (make_dirs(dir, 0755, err, err_len))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!accept(entries[i].label) || (type && strcmp(entries[i].type, type) != 0))
            continue;
        char dev[80];
        fmt(dev, sizeof(dev), "/dev/%s", entries[i].device);
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
            if (mount(dev, dir, types[t], MS_RDONLY, NULL) == 0)
                return 0;
    }
    fmt(err, err_len, "found no such file system that mounts");
    return -1;
}

static int medium_mounted_here;

static int is_medium_label(const char *label)
{
    return strcmp(label, MEDIUM_LABEL) == 0;
}

int medium_mount(char *err, size_t err_len)
{
    if (is_mounted_at(MEDIUM_DIR))
        return 0;
    if (mount_labelled(is_medium_label, "iso9660", MEDIUM_DIR, err, err_len)) {
        fmt(err, err_len, "cannot find the Corral medium (the ISO, label %s) to copy the system from",
                 MEDIUM_LABEL);
        return -1;
    }
    medium_mounted_here = 1;
    return 0;
}

void medium_unmount(void)
{
    if (medium_mounted_here && umount(MEDIUM_DIR) == 0)
        medium_mounted_here = 0;
}

/* The value of corral.answer= on the kernel command line, if any. */
static int cmdline_answer(char *out, size_t len)
{
    char err[64];
    char *cmdline = read_file("/proc/cmdline", 4096, NULL, err, sizeof(err));
    const char *p = cmdline ? strstr(cmdline, "corral.answer=") : NULL;
    int found = p && (p == cmdline || p[-1] == ' ');
    if (found) {
        p += strlen("corral.answer=");
        fmt(out, len, "%.*s", (int)strcspn(p, " \n"), p);
    }
    free(cmdline);
    return found && out[0];
}

int answer_locate(char *path, size_t len, char *err, size_t err_len)
{
    char rel[256];
    if (cmdline_answer(rel, sizeof(rel))) {
        if (!is_mounted_at(ANSWER_MEDIA_DIR) &&
            mount_labelled(is_answer_label, NULL, ANSWER_MEDIA_DIR, err, err_len)) {
            fmt(err, err_len, "corral.answer=%s: found no partition labelled " ANSWER_LABEL
                " (or " ANSWER_LABEL_FAT " on FAT) that mounts", rel);
            return -1;
        }
        fmt(path, len, ANSWER_MEDIA_DIR "/%s", rel[0] == '/' ? rel + 1 : rel);
        if (access(path, R_OK) != 0) {
            fmt(err, err_len, "corral.answer=%s: no such file on the answer partition", rel);
            return -1;
        }
        return 1;
    }
    if (medium_mount(err, err_len) != 0)
        return 0; /* not booted from the ISO: no baked-in answer file */
    fmt(path, len, MEDIUM_DIR "/" MEDIUM_ANSWER_PATH);
    return access(path, R_OK) == 0 ? 1 : 0;
}

/* ---- install steps ------------------------------------------------------------ */

struct install_ctx {
    const struct disk *disk;
    const struct answer *answer;
    struct gpt_layout layout;
    char dev[80];
    char part[PART_COUNT + 1][80];
    char esp[64], data[64];
    int esp_mounted, data_mounted;
    char boot_password[GRUB_PBKDF2_MAX]; /* "" leaves the boot menu open */
    char err[1024];
};

__attribute__((format(printf, 2, 3))) static int fail(struct install_ctx *c, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(c->err, sizeof(c->err), format, ap);
    va_end(ap);
    return -1;
}

/* n bytes from /dev/urandom: 0 or -1. */
static int random_bytes(void *buf, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd < 0 ? -1 : read(fd, buf, n);
    if (fd >= 0)
        close(fd);
    return got == (ssize_t)n ? 0 : -1;
}

/* The ESP's GUID is chosen here, so that the UEFI boot entry can name it. */
static int choose_esp_guid(struct install_ctx *c)
{
    uint8_t random[16];
    if (random_bytes(random, sizeof(random)))
        return fail(c, "cannot read /dev/urandom for a partition GUID");
    guid_format_random(random, c->layout.part[PART_ESP - 1].uuid);
    return 0;
}

static int step_check_target(struct install_ctx *c)
{
    char reason[256], size[32];
    if (disk_refusal(c->disk, reason, sizeof(reason)))
        return fail(c, "cannot install to %s: %s", c->disk->name, reason);
    if (layout_compute(c->disk->size_bytes, c->disk->sector_size, &c->layout))
        return fail(c, "%s: no room for Corral's partitions", c->disk->name);
    if (choose_esp_guid(c))
        return -1;
    if (medium_mount(c->err, sizeof(c->err)))
        return -1;
    format_size(c->disk->size_bytes, size, sizeof(size));
    printf("corral-install: target %s (%s, %s%s%s), system from " MEDIUM_DIR "\n", c->dev, size,
           c->disk->transport, c->disk->model[0] ? " " : "", c->disk->model);
    return 0;
}

static int step_partition(struct install_ctx *c)
{
    char script[1024];
    if (layout_sfdisk_script(&c->layout, script, sizeof(script)))
        return fail(c, "partition script too long");
    /* --wipe: old signatures (a previous file system or RAID member) on
     * the disk and in the new partitions would confuse blkid later. */
    const char *argv[] = {"sfdisk", "--quiet", "--wipe", "always", "--wipe-partitions",
                          "always", c->dev, NULL};
    if (run_program(argv, script, NULL, 0, c->err, sizeof(c->err)))
        return -1;
    for (int i = 1; i <= PART_COUNT; i++)
        if (wait_for_path(c->part[i], 10.0))
            return fail(c, "%s did not appear after partitioning", c->part[i]);
    return 0;
}

static int step_format_esp(struct install_ctx *c)
{
    const char *argv[] = {"mkfs.fat", "-F", "32", "-n", ESP_LABEL, c->part[PART_ESP], NULL};
    return run_program(argv, NULL, NULL, 0, c->err, sizeof(c->err));
}

static int step_format_data(struct install_ctx *c)
{
    const char *argv[] = {"mke2fs", "-q", "-F", "-t", "ext4", "-j", "-L", DATA_LABEL,
                          "-m", "1", c->part[PART_DATA], NULL};
    return run_program(argv, NULL, NULL, 0, c->err, sizeof(c->err));
}

static int step_mount(struct install_ctx *c)
{
    fmt(c->esp, sizeof(c->esp), TARGET_DIR "/esp");
    fmt(c->data, sizeof(c->data), TARGET_DIR "/data");
    if (make_dirs(c->esp, 0755, c->err, sizeof(c->err)) ||
        make_dirs(c->data, 0755, c->err, sizeof(c->err)))
        return -1;
    if (mount(c->part[PART_ESP], c->esp, "vfat", 0, "umask=0077,shortname=mixed"))
        return fail(c, "cannot mount %s (vfat) at %s: %s", c->part[PART_ESP], c->esp, strerror(errno));
    c->esp_mounted = 1;
    if (mount(c->part[PART_DATA], c->data, "ext4", 0, NULL))
        return fail(c, "cannot mount %s (ext4) at %s: %s", c->part[PART_DATA], c->data, strerror(errno));
    c->data_mounted = 1;
    return 0;
}

/* Copies the medium's kernel and initramfs into esp/SLOT/. */
static int copy_slot(const char *medium, const char *esp, const char *slot, char *err,
                     size_t err_len)
{
    static const char *const files[][2] = {{"boot/vmlinuz", "vmlinuz"},
                                           {"boot/initrd.img", "initrd.img"}};
    char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
    fmt(dir, sizeof(dir), "%s/%s", esp, slot);
    if (make_dirs(dir, 0755, err, err_len))
        return -1;
    for (size_t i = 0; i < 2; i++) {
        fmt(src, sizeof(src), "%s/%s", medium, files[i][0]);
        fmt(dst, sizeof(dst), "%s/%s", dir, files[i][1]);
        if (copy_file_synced(src, dst, 0644, err, err_len))
            return -1;
    }
    return 0;
}

static int step_copy_system(struct install_ctx *c)
{
    return copy_slot(MEDIUM_DIR, c->esp, "a", c->err, sizeof(c->err));
}

/* ---- carrying the live settings over ------------------------------------------ */

static int carry_system_conf(struct install_ctx *c)
{
    struct conf sys;
    struct conf_error cerr;
    char path[PATH_MAX];
    conf_init(&sys);
    if (access(LIVE_STATE_DIR "/system.conf", F_OK) == 0 &&
        conf_load(LIVE_STATE_DIR "/system.conf", &sys, &cerr)) {
        conf_error_format(&cerr, c->err, sizeof(c->err));
        conf_free(&sys);
        return -1;
    }
    int rc = answer_apply_system_conf(c->answer, &sys);
    fmt(path, sizeof(path), "%s/system.conf", c->data);
    if (!rc)
        rc = conf_write_atomic(path, &sys, 0644);
    conf_free(&sys);
    return rc ? fail(c, "cannot write %s: %s", path, strerror(-rc)) : 0;
}

/* Host keys and authorized_keys of the live session, then the answer's keys. */
static int carry_ssh(struct install_ctx *c)
{
    char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
    fmt(dir, sizeof(dir), "%s/ssh", c->data);
    if (make_dirs(dir, 0700, c->err, sizeof(c->err)))
        return -1;
    DIR *live = opendir(LIVE_STATE_DIR "/ssh");
    for (struct dirent *e; live && (e = readdir(live)) != NULL;) {
        fmt(src, sizeof(src), LIVE_STATE_DIR "/ssh/%.200s", e->d_name);
        fmt(dst, sizeof(dst), "%s/%.200s", dir, e->d_name);
        struct stat st;
        if (e->d_name[0] == '.' || stat(src, &st) || !S_ISREG(st.st_mode))
            continue;
        if (copy_file_synced(src, dst, 0600, c->err, sizeof(c->err))) {
            closedir(live);
            return -1;
        }
    }
    if (live)
        closedir(live);
    fmt(dst, sizeof(dst), "%s/authorized_keys", dir);
    FILE *f = fopen(dst, "a");
    if (!f)
        return fail(c, "cannot open %s: %s", dst, strerror(errno));
    for (size_t i = 0; i < c->answer->ssh_key_count; i++)
        fprintf(f, "%s\n", c->answer->ssh_keys[i]);
    int bad = fflush(f) || fsync(fileno(f));
    bad |= fclose(f);
    chmod(dst, 0600);
    return bad ? fail(c, "cannot write %s: %s", dst, strerror(errno)) : 0;
}

/* The root password: rcS links /etc/shadow to the data partition's copy,
 * so what passwd changes later is kept too. */
static int carry_shadow(struct install_ctx *c)
{
    char path[PATH_MAX];
    char *shadow = read_file("/etc/shadow", 1 << 20, NULL, c->err, sizeof(c->err));
    if (!shadow)
        return -1;
    if (c->answer->root_password_hash[0]) {
        char *updated = shadow_with_root_hash(shadow, c->answer->root_password_hash);
        free(shadow);
        if (!updated)
            return fail(c, "/etc/shadow has no root entry");
        shadow = updated;
    }
    fmt(path, sizeof(path), "%s/shadow", c->data);
    int rc = write_file_synced(path, shadow, strlen(shadow), 0600, c->err, sizeof(c->err));
    free(shadow);
    return rc;
}

/* The boot menu password: the answer's, else the live session's (set with
 * the root password from the console UI or corral-install's prompt). */
static int carry_boot_password(struct install_ctx *c)
{
    char path[PATH_MAX], err[256];
    fmt(c->boot_password, sizeof(c->boot_password), "%s", c->answer->boot_password_pbkdf2);
    if (!c->boot_password[0]) {
        char *live = read_file(BOOT_PASSWORD_FILE, GRUB_PBKDF2_MAX, NULL, err, sizeof(err));
        if (live) {
            live[strcspn(live, "\n")] = '\0';
            if (grub_pbkdf2_valid(live))
                fmt(c->boot_password, sizeof(c->boot_password), "%s", live);
            free(live);
        }
    }
    if (!c->boot_password[0])
        return 0;
    fmt(path, sizeof(path), "%s/boot-password", c->data);
    char line[GRUB_PBKDF2_MAX + 1];
    fmt(line, sizeof(line), "%s\n", c->boot_password);
    return write_file_synced(path, line, strlen(line), 0600, c->err, sizeof(c->err));
}

static int step_carry_settings(struct install_ctx *c)
{
    static const char *const dirs[] = {"vms", "images"};
    char path[PATH_MAX];
    for (size_t i = 0; i < 2; i++) {
        fmt(path, sizeof(path), "%s/%s", c->data, dirs[i]);
        if (make_dirs(path, 0755, c->err, sizeof(c->err)))
            return -1;
    }
    return carry_system_conf(c) || carry_ssh(c) || carry_shadow(c) || carry_boot_password(c)
               ? -1 : 0;
}

/* ---- boot loader ------------------------------------------------------------ */

static int write_grubenv(const char *esp, const struct grubenv *env, char *err, size_t err_len)
{
    char block[GRUBENV_BYTES], path[PATH_MAX];
    if (grubenv_format(env, block)) {
        fmt(err, err_len, "grubenv: the variables do not fit 1024 bytes");
        return -1;
    }
    fmt(path, sizeof(path), "%s/grub/grubenv", esp);
    return write_file_synced(path, block, sizeof(block), 0644, err, err_len);
}

/* grub/password.cfg: written when there is a password, removed when not. */
static int write_password_cfg(const char *esp, const char *pbkdf2, char *err, size_t err_len)
{
    char cfg[1024], path[PATH_MAX];
    fmt(path, sizeof(path), "%s/grub/" BOOTCFG_PASSWORD_FILE, esp);
    if (!pbkdf2[0]) {
        if (unlink(path) == 0 || errno == ENOENT)
            return 0;
        fmt(err, err_len, "cannot remove %s: %s", path, strerror(errno));
        return -1;
    }
    if (bootcfg_password_render(pbkdf2, cfg, sizeof(cfg))) {
        fmt(err, err_len, "the boot menu password is not GRUB's PBKDF2 form");
        return -1;
    }
    return write_file_synced(path, cfg, strlen(cfg), 0600, err, err_len);
}

static int step_boot_menu(struct install_ctx *c)
{
    char cfg[8192], path[PATH_MAX];
    struct grubenv env = {0};
    fmt(path, sizeof(path), "%s/grub", c->esp);
    if (make_dirs(path, 0755, c->err, sizeof(c->err)))
        return -1;
    if (bootcfg_render(CORRAL_VERSION, c->answer->console, cfg, sizeof(cfg)))
        return fail(c, "grub.cfg too long");
    grubenv_set(&env, "slot", "a");
    grubenv_set(&env, "try_slot", "");
    fmt(path, sizeof(path), "%s/grub/grub.cfg", c->esp);
    if (write_grubenv(c->esp, &env, c->err, sizeof(c->err)) ||
        write_password_cfg(c->esp, c->boot_password, c->err, sizeof(c->err)))
        return -1;
    return write_file_synced(path, cfg, strlen(cfg), 0644, c->err, sizeof(c->err));
}

/* ---- the UEFI boot entry (efivarfs) ------------------------------------------ */

#define EFIVARS_DIR "/sys/firmware/efi/efivars"
#define EFI_DESCRIPTION "Corral"

static void efivar_path(const char *name, char *out, size_t len)
{
    fmt(out, len, EFIVARS_DIR "/%s-" EFI_GLOBAL_VARIABLE_GUID, name);
}

/* efivarfs marks variables immutable; writing one means lifting that. */
static int efivar_write(const char *name, const uint8_t *data, size_t len, char *err,
                        size_t err_len)
{
    char path[PATH_MAX];
    uint8_t buf[4096];
    efivar_path(name, path, sizeof(path));
    if (len + 4 > sizeof(buf))
        return fmt(err, err_len, "%s: too long", name), -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        int flags;
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
            flags &= ~FS_IMMUTABLE_FL;
            ioctl(fd, FS_IOC_SETFLAGS, &flags);
        }
        close(fd);
    }
    buf[0] = EFI_VARIABLE_ATTRIBUTES;
    buf[1] = buf[2] = buf[3] = 0;
    memcpy(buf + 4, data, len);
    /* One write: efivarfs sets the whole variable from it. */
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ssize_t w = fd < 0 ? -1 : write(fd, buf, len + 4);
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (w != (ssize_t)(len + 4))
        return fmt(err, err_len, "cannot write %s: %s", path, strerror(saved)), -1;
    return 0;
}

/* The variable's data (after its attributes); NULL when it does not exist. */
static uint8_t *efivar_read(const char *name, size_t *len)
{
    char path[PATH_MAX], err[64];
    size_t n;
    efivar_path(name, path, sizeof(path));
    char *raw = read_file(path, 65536, &n, err, sizeof(err));
    if (!raw || n < 4) {
        free(raw);
        return NULL;
    }
    memmove(raw, raw + 4, n - 4);
    *len = n - 4;
    return (uint8_t *)raw;
}

/* Corral's earlier entry if there is one, else the lowest free number. */
static int efi_entry_number(void)
{
    uint32_t used[0x10000 / 32] = {0};
    DIR *dir = opendir(EFIVARS_DIR);
    for (struct dirent *e; dir && (e = readdir(dir)) != NULL;) {
        unsigned number;
        char name[16], desc[64];
        size_t len;
        if (sscanf(e->d_name, "Boot%4X-", &number) != 1 || strlen(e->d_name) != 9 + 36 ||
            strcmp(e->d_name + 9, EFI_GLOBAL_VARIABLE_GUID) != 0)
            continue;
        used[number / 32] |= 1u << (number % 32);
        fmt(name, sizeof(name), "Boot%04X", number);
        uint8_t *data = efivar_read(name, &len);
        efi_load_option_description(data ? data : (const uint8_t *)"", data ? len : 0, desc, sizeof(desc));
        free(data);
        if (strcmp(desc, EFI_DESCRIPTION) == 0) {
            closedir(dir);
            return (int)number;
        }
    }
    if (dir)
        closedir(dir);
    for (int n = 0; n < 0x10000; n++)
        if (!(used[n / 32] & (1u << (n % 32))))
            return n;
    return -1;
}

static int efi_write_entry(const struct install_ctx *c, int number, char *err, size_t err_len)
{
    const struct gpt_partition *esp = &c->layout.part[PART_ESP - 1];
    uint8_t guid[16], option[512], order[1024];
    char name[16];
    size_t order_len = 0, n;
    if (guid_parse(esp->uuid, guid))
        return fmt(err, err_len, "bad ESP GUID %s", esp->uuid), -1;
    n = efi_load_option(EFI_DESCRIPTION, PART_ESP, esp->start_lba, esp->sectors, guid,
                        EFI_BOOT_PATH, option, sizeof(option));
    fmt(name, sizeof(name), "Boot%04X", number);
    if (n == 0 || efivar_write(name, option, n, err, err_len))
        return -1;
    uint8_t *old = efivar_read("BootOrder", &order_len);
    n = efi_boot_order_prepend(old, old ? order_len : 0, (uint16_t)number, order, sizeof(order));
    free(old);
    return n ? efivar_write("BootOrder", order, n, err, err_len) : -1;
}

/* A boot entry where the firmware's variables can be written.  Not fatal:
 * the removable-media path boots the disk anyway. */
static void efi_register(const struct install_ctx *c)
{
    char err[512];
    if (access("/sys/firmware/efi", F_OK) != 0) {
        printf("corral-install: booted by legacy BIOS: no UEFI boot entry written "
               "(UEFI boots the disk through EFI/BOOT/BOOTX64.EFI)\n");
        return;
    }
    if (access(EFIVARS_DIR "/BootOrder-" EFI_GLOBAL_VARIABLE_GUID, F_OK) != 0 &&
        mount("efivarfs", EFIVARS_DIR, "efivarfs", 0, NULL) != 0 && errno != EBUSY) {
        printf("corral-install: warning: efivars unavailable (%s): no UEFI boot entry written\n",
               strerror(errno));
        return;
    }
    int number = efi_entry_number();
    if (number < 0 || efi_write_entry(c, number, err, sizeof(err)))
        printf("corral-install: warning: no UEFI boot entry written: %s\n",
               number < 0 ? "no free Boot#### number" : err);
    else
        printf("corral-install: UEFI boot entry Boot%04X \"" EFI_DESCRIPTION "\" written, first in BootOrder\n",
               number);
}

static int step_grub_uefi(struct install_ctx *c)
{
    char dir[PATH_MAX], dst[PATH_MAX];
    fmt(dir, sizeof(dir), "%s/EFI/BOOT", c->esp);
    fmt(dst, sizeof(dst), "%s/BOOTX64.EFI", dir);
    if (make_dirs(dir, 0755, c->err, sizeof(c->err)))
        return -1;
    if (copy_file_synced(GRUB_IMAGE_DIR "/bootx64.efi", dst, 0644, c->err, sizeof(c->err)))
        return -1;
    efi_register(c);
    return 0;
}

static int step_grub_bios(struct install_ctx *c)
{
    const struct gpt_partition *bios = &c->layout.part[PART_BIOS_BOOT - 1];
    uint8_t boot_img[BOOT_SECTOR_BYTES], mbr[BOOT_SECTOR_BYTES];
    size_t core_len, boot_len;
    if (c->disk->sector_size != 512) {
        printf("corral-install: %s has %u-byte sectors: legacy BIOS boot skipped (UEFI only)\n",
               c->dev, c->disk->sector_size);
        return 0;
    }
    char *boot = read_file(GRUB_IMAGE_DIR "/boot.img", 4096, &boot_len, c->err, sizeof(c->err));
    char *core = read_file(GRUB_IMAGE_DIR "/core.img", 4 << 20, &core_len, c->err, sizeof(c->err));
    int rc = -1;
    if (!boot || !core)
        goto out;
    if (boot_len != BOOT_SECTOR_BYTES) {
        fail(c, GRUB_IMAGE_DIR "/boot.img is %zu bytes, not 512", boot_len);
        goto out;
    }
    memcpy(boot_img, boot, sizeof(boot_img));
    if (bios_core_patch((uint8_t *)core, core_len, bios->start_lba, bios->sectors, c->err,
                        sizeof(c->err)) ||
        write_device(c->part[PART_BIOS_BOOT], 0, core, core_len, c->err, sizeof(c->err)) ||
        read_device(c->dev, 0, mbr, sizeof(mbr), c->err, sizeof(c->err)) ||
        bios_mbr_patch(mbr, boot_img, bios->start_lba, c->err, sizeof(c->err)) ||
        write_device(c->dev, 0, mbr, sizeof(mbr), c->err, sizeof(c->err)))
        goto out;
    rc = 0;
out:
    free(boot);
    free(core);
    return rc;
}

static void unmount_target(struct install_ctx *c)
{
    if (c->esp_mounted && umount(c->esp) == 0)
        c->esp_mounted = 0;
    if (c->data_mounted && umount(c->data) == 0)
        c->data_mounted = 0;
}

static int step_finish(struct install_ctx *c)
{
    sync();
    unmount_target(c);
    if (c->esp_mounted || c->data_mounted)
        return fail(c, "cannot unmount %s: %s", c->esp_mounted ? c->esp : c->data, strerror(errno));
    sync();
    return 0;
}

typedef int (*install_step_fn)(struct install_ctx *);

static const struct {
    const char *name;
    install_step_fn run;
} install_steps[] = {
    {"check the target disk and the medium", step_check_target},
    {"write the partition table (GPT: BIOS boot, ESP, data)", step_partition},
    {"format the EFI system partition (FAT32, " ESP_LABEL ")", step_format_esp},
    {"format the data partition (ext4, " DATA_LABEL ")", step_format_data},
    {"mount the new file systems", step_mount},
    {"copy the kernel and initramfs into boot slot a", step_copy_system},
    {"carry over the settings (system.conf, SSH keys, root password)", step_carry_settings},
    {"write the boot menu (grub.cfg, grubenv, password.cfg)", step_boot_menu},
    {"install GRUB for UEFI (EFI/BOOT/BOOTX64.EFI, boot entry)", step_grub_uefi},
    {"install GRUB for legacy BIOS (MBR, BIOS boot partition)", step_grub_bios},
    {"unmount and flush", step_finish},
};
const int install_step_count = sizeof(install_steps) / sizeof(install_steps[0]);

int install_run(const struct disk *target, const struct answer *answer, struct progress *p)
{
    static struct install_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.disk = target;
    ctx.answer = answer;
    fmt(ctx.dev, sizeof(ctx.dev), "/dev/%s", target->name);
    for (int i = 1; i <= PART_COUNT; i++) {
        char name[DISK_NAME_MAX + 8];
        partition_name(target->name, i, name, sizeof(name));
        fmt(ctx.part[i], sizeof(ctx.part[i]), "/dev/%s", name);
    }
    for (int i = 0; i < install_step_count; i++) {
        progress_step(p, install_steps[i].name);
        if (install_steps[i].run(&ctx) != 0) {
            progress_fail(p, ctx.err);
            unmount_target(&ctx);
            return -1;
        }
        progress_step_done(p);
    }
    return 0;
}

/* ---- upgrade and boot confirmation ------------------------------------------ */

/* The ESP of the disk whose data partition is mounted at LIVE_STATE_DIR. */
static int installed_esp(char *dev, size_t len, char *err, size_t err_len)
{
    static struct disk disks[DISK_MAX];
    size_t n;
    if (disks_probe(disks, DISK_MAX, &n, err, err_len))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!strstr(disks[i].in_use, " is mounted at " LIVE_STATE_DIR))
            continue;
        char name[DISK_NAME_MAX + 8];
        partition_name(disks[i].name, PART_ESP, name, sizeof(name));
        fmt(dev, len, "/dev/%s", name);
        return 0;
    }
    fmt(err, err_len, "Corral is not installed here: no data partition is mounted at " LIVE_STATE_DIR);
    return -1;
}

static int mount_installed_esp(const char *dir, char *err, size_t err_len)
{
    char dev[80];
    if (installed_esp(dev, sizeof(dev), err, err_len) || make_dirs(dir, 0755, err, err_len))
        return -1;
    if (mount(dev, dir, "vfat", 0, "umask=0077")) {
        fmt(err, err_len, "cannot mount the ESP %s: %s", dev, strerror(errno));
        return -1;
    }
    return 0;
}

static int load_grubenv(const char *esp, struct grubenv *env, char *err, size_t err_len)
{
    char path[PATH_MAX];
    size_t len;
    fmt(path, sizeof(path), "%s/grub/grubenv", esp);
    char *data = read_file(path, GRUBENV_BYTES * 2, &len, err, err_len);
    if (!data)
        return -1;
    int rc = grubenv_parse(data, len, env);
    free(data);
    if (rc)
        fmt(err, err_len, "%s is not a GRUB environment block", path);
    return rc ? -1 : 0;
}

/* The slot running now: corral.slot= on the command line, else grubenv's. */
static const char *running_slot(const struct grubenv *env, char *buf, size_t len)
{
    char err[64];
    char *cmdline = read_file("/proc/cmdline", 4096, NULL, err, sizeof(err));
    const char *slot = cmdline ? slot_from_cmdline(cmdline, buf, len) : NULL;
    free(cmdline);
    if (slot)
        return slot;
    slot = grubenv_get(env, "slot");
    return slot_valid(slot) ? slot : "a";
}

#define UPGRADE_ISO_DIR "/run/corral/upgrade-iso"
#define UPGRADE_ESP_DIR "/run/corral/upgrade-esp"

struct upgrade_ctx {
    const char *iso;
    struct grubenv env;
    char new_slot[4];
    int iso_mounted, esp_mounted;
    char err[1024];
};

static int upgrade_mount_iso(struct upgrade_ctx *u)
{
    if (make_dirs(UPGRADE_ISO_DIR, 0755, u->err, sizeof(u->err)))
        return -1;
    const char *argv[] = {"mount", "-o", "loop,ro", "-t", "iso9660", u->iso, UPGRADE_ISO_DIR, NULL};
    if (run_program(argv, NULL, NULL, 0, u->err, sizeof(u->err)))
        return -1;
    u->iso_mounted = 1;
    if (access(UPGRADE_ISO_DIR "/boot/vmlinuz", R_OK) || access(UPGRADE_ISO_DIR "/boot/initrd.img", R_OK))
        {
        fmt(u->err, sizeof(u->err), "%s is not a Corral ISO (no boot/vmlinuz and boot/initrd.img)", u->iso);
        return -1;
    }
    return 0;
}

static int upgrade_mount_esp(struct upgrade_ctx *u)
{
    if (mount_installed_esp(UPGRADE_ESP_DIR, u->err, sizeof(u->err)))
        return -1;
    u->esp_mounted = 1;
    if (load_grubenv(UPGRADE_ESP_DIR, &u->env, u->err, sizeof(u->err)))
        return -1;
    char buf[8];
    fmt(u->new_slot, sizeof(u->new_slot), "%s", slot_other(running_slot(&u->env, buf, sizeof(buf))));
    return 0;
}

static int upgrade_copy(struct upgrade_ctx *u)
{
    printf("corral-install: writing the new system into boot slot %s\n", u->new_slot);
    return copy_slot(UPGRADE_ISO_DIR, UPGRADE_ESP_DIR, u->new_slot, u->err, sizeof(u->err));
}

static int upgrade_arm(struct upgrade_ctx *u)
{
    if (grubenv_set(&u->env, "try_slot", u->new_slot))
        {
        fmt(u->err, sizeof(u->err), "grubenv is full");
        return -1;
    }
    return write_grubenv(UPGRADE_ESP_DIR, &u->env, u->err, sizeof(u->err));
}

static void upgrade_unmount(struct upgrade_ctx *u)
{
    if (u->esp_mounted && umount(UPGRADE_ESP_DIR) == 0)
        u->esp_mounted = 0;
    if (u->iso_mounted && umount(UPGRADE_ISO_DIR) == 0)
        u->iso_mounted = 0;
}

static int upgrade_finish(struct upgrade_ctx *u)
{
    sync();
    upgrade_unmount(u);
    if (u->esp_mounted || u->iso_mounted)
        {
        fmt(u->err, sizeof(u->err), "cannot unmount: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static const struct {
    const char *name;
    int (*run)(struct upgrade_ctx *);
} upgrade_steps[] = {
    {"mount the new ISO", upgrade_mount_iso},
    {"mount the installed ESP and read grubenv", upgrade_mount_esp},
    {"copy the new kernel and initramfs into the other boot slot", upgrade_copy},
    {"make the new slot boot once (try_slot in grubenv)", upgrade_arm},
    {"unmount and flush", upgrade_finish},
};
const int upgrade_step_count = sizeof(upgrade_steps) / sizeof(upgrade_steps[0]);

int upgrade_run(const char *iso, struct progress *p)
{
    static struct upgrade_ctx u;
    memset(&u, 0, sizeof(u));
    u.iso = iso;
    for (int i = 0; i < upgrade_step_count; i++) {
        progress_step(p, upgrade_steps[i].name);
        if (upgrade_steps[i].run(&u)) {
            progress_fail(p, u.err);
            upgrade_unmount(&u);
            return -1;
        }
        progress_step_done(p);
    }
    return 0;
}

int boot_ok(char *msg, size_t msg_len)
{
    char err[512], buf[8];
    struct grubenv env;
    const char *dir = "/run/corral/boot-esp";
    if (mount_installed_esp(dir, msg, msg_len))
        return -1;
    int rc = load_grubenv(dir, &env, err, sizeof(err));
    const char *slot = rc ? NULL : running_slot(&env, buf, sizeof(buf));
    const char *current = rc ? NULL : grubenv_get(&env, "slot");
    if (rc)
        fmt(msg, msg_len, "%s", err);
    else if (current && strcmp(current, slot) == 0)
        fmt(msg, msg_len, "boot slot %s is the default already", slot);
    else if (grubenv_set(&env, "slot", slot) || write_grubenv(dir, &env, err, sizeof(err)))
        {
        rc = -1;
        fmt(msg, msg_len, "cannot make slot %s the default: %s", slot, err);
    }
    else
        fmt(msg, msg_len, "boot slot %s reached the ready state: it is the default now", slot);
    sync();
    umount(dir);
    return rc;
}

/* ---- the boot menu password --------------------------------------------------- */

static int boot_password_pbkdf2(const char *password, char *out, size_t len, char *err,
                                size_t err_len)
{
    uint8_t salt[GRUB_PBKDF2_SALT_BYTES];
    if (random_bytes(salt, sizeof(salt))) {
        fmt(err, err_len, "cannot read /dev/urandom for a salt");
        return -1;
    }
    if (grub_pbkdf2_format(password, salt, sizeof(salt), GRUB_PBKDF2_ITERATIONS, out, len)) {
        fmt(err, err_len, "the PBKDF2 form does not fit");
        return -1;
    }
    return 0;
}

int boot_password_set(const char *password, char *msg, size_t msg_len)
{
    char pbkdf2[GRUB_PBKDF2_MAX], line[GRUB_PBKDF2_MAX + 1], err[512], dev[80];
    const char *dir = "/run/corral/boot-esp";
    if (password_check_rules(password, err, sizeof(err))) {
        fmt(msg, msg_len, "the password is not usable: %s", err);
        return -1;
    }
    if (boot_password_pbkdf2(password, pbkdf2, sizeof(pbkdf2), msg, msg_len))
        return -1;
    fmt(line, sizeof(line), "%s\n", pbkdf2);
    if (write_file_synced(BOOT_PASSWORD_FILE, line, strlen(line), 0600, msg, msg_len))
        return -1;
    /* Live: the file is all there is; the install carries it over. */
    if (installed_esp(dev, sizeof(dev), err, sizeof(err))) {
        fmt(msg, msg_len, "the boot menu password is set; it locks the boot menu of the "
                          "system this live session installs");
        return 0;
    }
    if (mount_installed_esp(dir, msg, msg_len))
        return -1;
    int rc = write_password_cfg(dir, pbkdf2, err, sizeof(err));
    sync();
    umount(dir);
    if (rc)
        fmt(msg, msg_len, "cannot lock the boot menu: %s", err);
    else
        fmt(msg, msg_len, "the boot menu is locked with the root password (grub/"
                          BOOTCFG_PASSWORD_FILE " on %s)", dev);
    return rc;
}
