/* Unit tests: the partitions and files "Import an image from a USB stick
 * or disk" offers (console-ui/medialist.c). */
#include "../../console-ui/medialist.h"
#include "check.h"

static struct media_part parts[MEDIALIST_MAX];

static void test_lists_a_sticks_partitions_not_the_systems_own(void)
{
    const char *blkid =
        "/dev/sr0: LABEL=\"CORRAL_0_1_0\" TYPE=\"iso9660\"\n"
        "/dev/vda3: LABEL=\"corral-state\" UUID=\"1b2c\" TYPE=\"ext4\"\n"
        "/dev/vda4: UUID=\"77aa\" TYPE=\"swap\"\n"
        "/dev/sdb1: LABEL=\"STICK\" UUID=\"A1B2-C3D4\" TYPE=\"vfat\"\n"
        "/dev/sdb2: UUID=\"9f00\" TYPE=\"ext4\"\n";
    const char *mounts = "rootfs / rootfs rw 0 0\n/dev/vda3 /var/lib/corral ext4 rw 0 0\n";
    size_t n = medialist_parse(blkid, mounts, parts, MEDIALIST_MAX);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(parts[0].device, "/dev/sdb1");
    CHECK_EQ_STR(parts[0].label, "STICK");
    CHECK_EQ_STR(parts[0].type, "vfat");
    CHECK_EQ_STR(parts[1].device, "/dev/sdb2");
    CHECK_EQ_STR(parts[1].label, "");
    CHECK_EQ_STR(parts[1].type, "ext4");
}

static void test_odd_lines_are_skipped_and_labels_kept_whole(void)
{
    const char *blkid =
        "garbage\n"
        "/dev/: TYPE=\"vfat\"\n"
        "/dev/sdc1 TYPE=\"vfat\"\n"
        "/dev/sdc2: LABEL=\"unterminated TYPE=\"vfat\n"
        "/dev/sdc3: LABEL=\"my \"big\" disk\" TYPE=\"ntfs\"\n"
        "/dev/sdc4: LABEL=\"tab\there\" TYPE=\"exfat\"\n"
        "/dev/sdc5: LABEL=\"no type\"\n"
        "/dev/sdc6: TYPE=\"vfat\"";
    size_t n = medialist_parse(blkid, NULL, parts, MEDIALIST_MAX);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_STR(parts[0].device, "/dev/sdc3");
    CHECK_EQ_STR(parts[0].label, "my \"big\" disk");
    CHECK_EQ_STR(parts[0].type, "ntfs");
    CHECK_EQ_STR(parts[1].label, "tab?here"); /* no control characters on the screen */
    CHECK_EQ_STR(parts[2].device, "/dev/sdc6");
    CHECK_EQ_INT(medialist_parse("", NULL, parts, MEDIALIST_MAX), 0);
    CHECK_EQ_INT(medialist_parse("/dev/a1: TYPE=\"vfat\"\n/dev/a2: TYPE=\"vfat\"\n", NULL,
                                 parts, 1), 1);
}

static void test_mounted_means_the_whole_device_name(void)
{
    const char *blkid = "/dev/sda1: TYPE=\"vfat\"\n/dev/sda10: TYPE=\"vfat\"\n";
    size_t n = medialist_parse(blkid, "/dev/sda10 /mnt vfat ro 0 0\n", parts, MEDIALIST_MAX);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(parts[0].device, "/dev/sda1");
}

static void test_image_names(void)
{
    CHECK(medialist_is_image("debian-12.iso"));
    CHECK(medialist_is_image("WIN.ISO"));
    CHECK(medialist_is_image("disk.img"));
    CHECK(medialist_is_image("disk.raw"));
    CHECK(!medialist_is_image(".iso"));
    CHECK(!medialist_is_image(".hidden.iso"));
    CHECK(!medialist_is_image("notes.txt"));
    CHECK(!medialist_is_image("iso"));
    CHECK(!medialist_is_image("disk.qcow2"));
}

static void test_describe(void)
{
    struct media_part p = {"/dev/sdb1", "STICK", "vfat"}, q = {"/dev/vdc", "", "ext4"};
    char line[80];
    medialist_describe(&p, 8004829184ULL, line, sizeof(line));
    CHECK_EQ_STR(line, "sdb1 7.5G vfat STICK");
    medialist_describe(&p, 0, line, sizeof(line));
    CHECK_EQ_STR(line, "sdb1 ? vfat STICK");
    medialist_describe(&q, 64ULL << 20, line, sizeof(line));
    CHECK_EQ_STR(line, "vdc 64M ext4");
    medialist_size(112640, line, sizeof(line));
    CHECK_EQ_STR(line, "110K");
    medialist_size(3ULL << 40, line, sizeof(line));
    CHECK_EQ_STR(line, "3.0T");
}

int main(void)
{
    RUN(test_lists_a_sticks_partitions_not_the_systems_own);
    RUN(test_odd_lines_are_skipped_and_labels_kept_whole);
    RUN(test_mounted_means_the_whole_device_name);
    RUN(test_image_names);
    RUN(test_describe);
    return check_summary("setup_medialist");
}
