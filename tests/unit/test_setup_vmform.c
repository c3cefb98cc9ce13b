/* Unit tests: the console's VM screens' corral command lines and lists
 * (console-ui/vmform.c), and the upgrade screen's ISO check
 * (console-ui/isofile.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../console-ui/isofile.h"
#include "../../console-ui/vmform.h"
#include "check.h"

static char why[256];
static char dir[] = "/tmp/corral-vmform-XXXXXX";

/* argv joined with single spaces, for comparing whole command lines. */
static const char *joined(const char **argv)
{
    static char line[2048];
    size_t used = 0;

    line[0] = '\0';
    for (size_t i = 0; argv[i]; i++)
        used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s", i ? " " : "",
                                 argv[i]);
    return line;
}

static void test_create_kernel_with_nic(void)
{
    struct vmform_create c = {"web1", "512M", "2", "", VMFORM_BOOT_KERNEL, "vmlinuz",
                              "initrd.img", "console=ttyS0", "br0", true,
                              VMFORM_DEVICES_VIRTIO, VMFORM_FIRMWARE_BIOS};
    char paths[VMFORM_ARGS][VMFORM_PATH_MAX];
    const char *argv[VMFORM_ARGV_MAX];

    CHECK_EQ_INT(vmform_create_argv(&c, "/img", paths, argv), 17);
    CHECK_EQ_STR(joined(argv), "corral vm create web1 --memory 512M --cpus 2 --kernel "
                               "/img/vmlinuz --initrd /img/initrd.img --cmdline console=ttyS0 "
                               "--nic br0 --autostart");
    c.initrd = "";
    c.image = "/mnt/test/vmlinuz"; /* a path is used as it is */
    c.nic = "none";
    c.autostart = false;
    vmform_create_argv(&c, "/img", paths, argv);
    CHECK_EQ_STR(joined(argv), "corral vm create web1 --memory 512M --cpus 2 --kernel "
                               "/mnt/test/vmlinuz --cmdline console=ttyS0");
}

static void test_create_iso_and_disk_image(void)
{
    struct vmform_create c = {"inst", "1G", "1", "20G", VMFORM_BOOT_ISO, "debian.iso",
                              "ignored", "ignored", "br1", false, VMFORM_DEVICES_VIRTIO,
                              VMFORM_FIRMWARE_BIOS};
    char paths[VMFORM_ARGS][VMFORM_PATH_MAX];
    const char *argv[VMFORM_ARGV_MAX];

    vmform_create_argv(&c, "/img", paths, argv);
    CHECK_EQ_STR(joined(argv), "corral vm create inst --memory 1G --cpus 1 --disk 20G --iso "
                               "/img/debian.iso --nic br1");
    c.boot = VMFORM_BOOT_DISK_IMAGE;
    c.disk_size = "";
    c.image = "cloud.img";
    vmform_create_argv(&c, "/img", paths, argv);
    CHECK_EQ_STR(joined(argv), "corral vm create inst --memory 1G --cpus 1 --attach "
                               "/img/cloud.img --firmware --nic br1");
}

/* A guest without virtio drivers: its disks on SATA, its NIC an e1000. */
static void test_create_for_a_guest_without_virtio(void)
{
    struct vmform_create c = {"win1", "4G", "2", "60G", VMFORM_BOOT_ISO, "windows.iso",
                              "", "", "br0", false, VMFORM_DEVICES_COMPAT,
                              VMFORM_FIRMWARE_BIOS};
    char paths[VMFORM_ARGS][VMFORM_PATH_MAX];
    const char *argv[VMFORM_ARGV_MAX];

    vmform_create_argv(&c, "/img", paths, argv);
    CHECK_EQ_STR(joined(argv), "corral vm create win1 --memory 4G --cpus 2 --disk 60G,bus=sata "
                               "--iso /img/windows.iso --nic bridge=br0,model=e1000");
    c.boot = VMFORM_BOOT_DISK_IMAGE;
    c.disk_size = "";
    c.image = "win.img";
    c.nic = "none";
    vmform_create_argv(&c, "/img", paths, argv);
    CHECK_EQ_STR(joined(argv), "corral vm create win1 --memory 4G --cpus 2 --attach "
                               "/img/win.img,bus=sata --firmware");
}

/* UEFI: --uefi in place of --firmware, or beside --iso. */
static void test_create_uefi(void)
{
    struct vmform_create c = {"efi1", "2G", "2", "30G", VMFORM_BOOT_ISO, "debian.iso",
                              "", "", "none", false, VMFORM_DEVICES_VIRTIO,
                              VMFORM_FIRMWARE_UEFI};
    char paths[VMFORM_ARGS][VMFORM_PATH_MAX];
    const char *argv[VMFORM_ARGV_MAX];

    vmform_create_argv(&c, "/img", paths, argv);
    CHECK_EQ_STR(joined(argv), "corral vm create efi1 --memory 2G --cpus 2 --disk 30G --iso "
                               "/img/debian.iso --uefi");
    c.boot = VMFORM_BOOT_DISK_IMAGE;
    c.disk_size = "";
    c.image = "gpt.img";
    vmform_create_argv(&c, "/img", paths, argv);
    CHECK_EQ_STR(joined(argv), "corral vm create efi1 --memory 2G --cpus 2 --attach "
                               "/img/gpt.img --uefi");
    c.boot = VMFORM_BOOT_KERNEL; /* a kernel boots directly: no firmware */
    c.image = "vmlinuz";
    vmform_create_argv(&c, "/img", paths, argv);
    CHECK_EQ_STR(joined(argv), "corral vm create efi1 --memory 2G --cpus 2 --kernel "
                               "/img/vmlinuz --cmdline ");
}

static void test_disk_against_boot(void)
{
    CHECK_EQ_INT(vmform_check_disk_for_boot(VMFORM_BOOT_ISO, "", why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "required with an ISO: the disk it installs onto");
    CHECK_EQ_INT(vmform_check_disk_for_boot(VMFORM_BOOT_ISO, "20G", why, sizeof(why)), 0);
    CHECK_EQ_INT(vmform_check_disk_for_boot(VMFORM_BOOT_DISK_IMAGE, "8G", why, sizeof(why)),
                 -EINVAL);
    CHECK_EQ_STR(why, "leave empty with a disk image: it must be the first disk");
    CHECK_EQ_INT(vmform_check_disk_for_boot(VMFORM_BOOT_DISK_IMAGE, "", why, sizeof(why)), 0);
    CHECK_EQ_INT(vmform_check_disk_for_boot(VMFORM_BOOT_KERNEL, "", why, sizeof(why)), 0);
    CHECK_EQ_INT(vmform_check_disk_for_boot(VMFORM_BOOT_KERNEL, "4G", why, sizeof(why)), 0);
}

static void test_edit_sends_only_changes(void)
{
    struct vmform_edit now = {"1024M", "2", "no", "on-failure"};
    struct vmform_edit typed = now;
    char settings[4][80];
    const char *argv[16];

    CHECK_EQ_INT(vmform_edit_argv("web1", &now, &typed, settings, argv), 0);
    typed.memory = "1G"; /* the same amount */
    CHECK_EQ_INT(vmform_edit_argv("web1", &now, &typed, settings, argv), 0);
    typed.memory = "384M";
    typed.autostart = "yes";
    CHECK_EQ_INT(vmform_edit_argv("web1", &now, &typed, settings, argv), 6);
    CHECK_EQ_STR(joined(argv), "corral vm edit web1 memory=384M autostart=yes");
    typed = (struct vmform_edit){"2G", "4", "yes", "always"};
    CHECK_EQ_INT(vmform_edit_argv("web1", &now, &typed, settings, argv), 8);
    CHECK_EQ_STR(joined(argv), "corral vm edit web1 memory=2G cpus=4 autostart=yes "
                               "restart=always");
    typed = now;
    typed.memory = "lots"; /* not a size: sent, so corrald says why */
    CHECK_EQ_INT(vmform_edit_argv("web1", &now, &typed, settings, argv), 5);
    CHECK_EQ_STR(argv[4], "memory=lots");
}

static void touch(const char *name, const char *data)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(data, f);
        fclose(f);
    }
}

static void test_image_lists(void)
{
    char names[VMFORM_LIST_MAX][VMFORM_NAME_MAX], sub[512];

    touch("vmlinuz", "k");
    touch("b.ISO", "x");
    touch("a.iso", "x");
    touch(".hidden.iso", "x");
    touch("initrd.img", "i");
    snprintf(sub, sizeof(sub), "%s/dir.iso", dir);
    CHECK_EQ_INT(mkdir(sub, 0700), 0);
    CHECK_EQ_INT(vmform_list_images(dir, true, names, VMFORM_LIST_MAX), 2);
    CHECK_EQ_STR(names[0], "a.iso");
    CHECK_EQ_STR(names[1], "b.ISO");
    CHECK_EQ_INT(vmform_list_images(dir, false, names, VMFORM_LIST_MAX), 2);
    CHECK_EQ_STR(names[0], "initrd.img");
    CHECK_EQ_STR(names[1], "vmlinuz");
    CHECK_EQ_INT(vmform_list_images(dir, false, names, 1), 1);
    CHECK_EQ_INT(vmform_list_images("/nonexistent/images", true, names, 4), -ENOENT);
    rmdir(sub);
}

static void test_bridge_list(void)
{
    char names[VMFORM_LIST_MAX][VMFORM_NAME_MAX], path[512];
    static const char *const made[] = {"eth0", "br1", "br1/bridge", "br0", "br0/bridge", "lo"};

    snprintf(path, sizeof(path), "%s/net", dir);
    CHECK_EQ_INT(mkdir(path, 0700), 0);
    for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        snprintf(path, sizeof(path), "%s/net/%s", dir, made[i]);
        CHECK_EQ_INT(mkdir(path, 0700), 0);
    }
    snprintf(path, sizeof(path), "%s/net", dir);
    CHECK_EQ_INT(vmform_list_bridges(path, names, VMFORM_LIST_MAX), 2);
    CHECK_EQ_STR(names[0], "br0");
    CHECK_EQ_STR(names[1], "br1");
    CHECK_EQ_INT(vmform_list_bridges("/nonexistent/net", names, 4), -ENOENT);
}

static void test_iso_signature(void)
{
    char path[512];
    int fd;

    CHECK_EQ_INT(isofile_check("", why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "required: the path of the new Corral ISO");
    CHECK_EQ_INT(isofile_check("/nonexistent/new.iso", why, sizeof(why)), -ENOENT);
    CHECK_EQ_STR(why, "No such file or directory");
    CHECK_EQ_INT(isofile_check(dir, why, sizeof(why)), -EISDIR);
    touch("junk.iso", "not an image at all");
    snprintf(path, sizeof(path), "%s/junk.iso", dir);
    CHECK_EQ_INT(isofile_check(path, why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "not an ISO image (no ISO 9660 signature)");
    snprintf(path, sizeof(path), "%s/real.iso", dir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0);
    CHECK_EQ_INT(pwrite(fd, "\001CD001\001", 7, 16 * 2048), 7);
    close(fd);
    CHECK_EQ_INT(isofile_check(path, why, sizeof(why)), 0);
}

int main(void)
{
    char cmd[600];

    if (!mkdtemp(dir))
        return 1;
    RUN(test_create_kernel_with_nic);
    RUN(test_create_iso_and_disk_image);
    RUN(test_create_for_a_guest_without_virtio);
    RUN(test_create_uefi);
    RUN(test_disk_against_boot);
    RUN(test_edit_sends_only_changes);
    RUN(test_image_lists);
    RUN(test_bridge_list);
    RUN(test_iso_signature);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return check_summary("setup_vmform");
}
