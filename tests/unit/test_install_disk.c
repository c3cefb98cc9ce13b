/* Unit tests for the installer's disk rules (initramfs/installer/disk.c):
 * blkid output, which disks are refused and why, picking by rule,
 * partition names, sizes. */
#include "check.h"
#include "../../initramfs/installer/disk.h"
#include "json.h"

#include <errno.h>
#include <stdint.h>

#define GIB (1ULL << 30)

static struct disk make_disk(const char *name, uint64_t size)
{
    struct disk d;
    memset(&d, 0, sizeof(d));
    snprintf(d.name, sizeof(d.name), "%s", name);
    d.size_bytes = size;
    d.sector_size = 512;
    return d;
}

static void add_partition(struct disk *d, const char *name)
{
    snprintf(d->partitions[d->partition_count++], DISK_NAME_MAX, "%s", name);
}

static void test_blkid_lines(void)
{
    struct blkid_entry e;
    CHECK_EQ_INT(blkid_parse_line("/dev/vda3: LABEL=\"CORRAL-DATA\" UUID=\"1-2\" TYPE=\"ext4\"", &e), 0);
    CHECK_EQ_STR(e.device, "vda3");
    CHECK_EQ_STR(e.label, "CORRAL-DATA");
    CHECK_EQ_STR(e.type, "ext4");
    CHECK_EQ_INT(blkid_parse_line("/dev/sr0: UUID=\"2024\" LABEL=\"CORRAL\" TYPE=\"iso9660\"", &e), 0);
    CHECK_EQ_STR(e.label, "CORRAL");
    /* PARTLABEL must not be taken for LABEL. */
    CHECK_EQ_INT(blkid_parse_line("/dev/vda1: PARTLABEL=\"BIOS boot\" PARTUUID=\"x\"", &e), 0);
    CHECK_EQ_STR(e.label, "");
    CHECK_EQ_INT(blkid_parse_line("vda: TYPE=\"x\"", &e), -EINVAL);
    CHECK_EQ_INT(blkid_parse_line("/dev/: TYPE=\"x\"", &e), -EINVAL);
    CHECK_EQ_INT(blkid_parse_line("/dev/vda TYPE=\"x\"", &e), -EINVAL);
    CHECK_EQ_INT(blkid_parse_line("/dev/vda: LABEL=\"unterminated", &e), 0);
    CHECK_EQ_STR(e.label, "");
}

static void test_candidate_names(void)
{
    CHECK(disk_name_is_candidate("vda"));
    CHECK(disk_name_is_candidate("sda"));
    CHECK(disk_name_is_candidate("nvme0n1"));
    CHECK(!disk_name_is_candidate("loop0"));
    CHECK(!disk_name_is_candidate("sr0"));
    CHECK(!disk_name_is_candidate("ram0"));
    CHECK(!disk_name_is_candidate("zram0"));
    CHECK(!disk_name_is_candidate("dm-0"));
    CHECK(!disk_name_is_candidate(""));
}

static void test_transport(void)
{
    char t[16];
    disk_transport_from_path("/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda", t, sizeof(t));
    CHECK_EQ_STR(t, "virtio");
    disk_transport_from_path("/sys/devices/pci0000:00/0000:00:1d.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb", t, sizeof(t));
    CHECK_EQ_STR(t, "usb");
    disk_transport_from_path("/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda", t, sizeof(t));
    CHECK_EQ_STR(t, "sata");
    disk_transport_from_path("/sys/devices/pci0000:00/0000:00:03.0/nvme/nvme0/nvme0n1", t, sizeof(t));
    CHECK_EQ_STR(t, "nvme");
    disk_transport_from_path("/sys/devices/platform/x/block/foo", t, sizeof(t));
    CHECK_EQ_STR(t, "other");
}

static void test_blkid_marks_medium_answer_and_labels(void)
{
    struct disk d[2] = {make_disk("sda", 8 * GIB), make_disk("vda", 20 * GIB)};
    add_partition(&d[0], "sda1");
    add_partition(&d[0], "sda2");
    struct blkid_entry e[3] = {
        {"sda", "CORRAL", "iso9660"}, {"sda2", "ESP", "vfat"}, {"vdb1", "CORRAL-ANSWER", "vfat"}};
    disk_apply_blkid(d, 2, e, 3);
    CHECK(d[0].holds_medium);
    CHECK(!d[0].holds_answer);
    CHECK_EQ_STR(d[0].labels, "CORRAL (iso9660), ESP (vfat)");
    CHECK(!d[1].holds_medium);
    CHECK_EQ_STR(d[1].labels, "");
    struct disk fat = make_disk("vdd", 8 * GIB);
    struct blkid_entry short_label = {"vdd", "CORRAL-ANS", "vfat"};
    disk_apply_blkid(&fat, 1, &short_label, 1);
    CHECK(fat.holds_answer);
    CHECK(is_answer_label("CORRAL-ANSWER"));
    CHECK(!is_answer_label("CORRAL-ANSWERS"));
    /* A CORRAL label that is not the ISO's file system is just a label. */
    struct disk other = make_disk("vdc", 8 * GIB);
    struct blkid_entry fake = {"vdc", "CORRAL", "ext4"};
    disk_apply_blkid(&other, 1, &fake, 1);
    CHECK(!other.holds_medium);
}

static void test_mounts_mark_disks_in_use(void)
{
    struct disk d[2] = {make_disk("vda", 20 * GIB), make_disk("vdb", 20 * GIB)};
    add_partition(&d[0], "vda3");
    disk_apply_mounts(d, 2, "proc /proc proc rw 0 0\n/dev/vda3 /var/lib/corral ext4 rw 0 0\n"
                            "tmpfs /run tmpfs rw 0 0\n");
    CHECK_EQ_STR(d[0].in_use, "/dev/vda3 is mounted at /var/lib/corral");
    CHECK_EQ_STR(d[1].in_use, "");
    /* vdb10 is not vdb1's disk and "vd" is no disk of ours. */
    struct disk x = make_disk("vdb1", 20 * GIB);
    disk_apply_mounts(&x, 1, "/dev/vdb10 /mnt ext4 rw 0 0");
    CHECK_EQ_STR(x.in_use, "");
}

static void test_refusals(void)
{
    char buf[256];
    struct disk ok = make_disk("vda", 20 * GIB);
    CHECK(disk_refusal(&ok, buf, sizeof(buf)) == NULL);
    struct disk small = make_disk("vdb", 1 * GIB);
    CHECK(disk_refusal(&small, buf, sizeof(buf)) != NULL);
    CHECK_EQ_STR(buf, "it is too small (1.0 GiB; Corral needs at least 4.0 GiB)");
    struct disk just = make_disk("vdc", DISK_MIN_BYTES);
    CHECK(disk_refusal(&just, buf, sizeof(buf)) == NULL);
    struct disk medium = make_disk("sdb", 32 * GIB);
    medium.holds_medium = 1;
    CHECK(strstr(disk_refusal(&medium, buf, sizeof(buf)), "booted from") != NULL);
    struct disk answer = make_disk("sdc", 32 * GIB);
    answer.holds_answer = 1;
    CHECK(strstr(disk_refusal(&answer, buf, sizeof(buf)), "CORRAL-ANSWER") != NULL);
    struct disk ro = make_disk("sdd", 32 * GIB);
    ro.read_only = 1;
    CHECK_EQ_STR(disk_refusal(&ro, buf, sizeof(buf)), "it is read-only");
    struct disk busy = make_disk("sde", 32 * GIB);
    snprintf(busy.in_use, sizeof(busy.in_use), "/dev/sde1 is mounted at /mnt");
    CHECK_EQ_STR(disk_refusal(&busy, buf, sizeof(buf)), "it is in use: /dev/sde1 is mounted at /mnt");
}

static void test_pick_rules(void)
{
    char why[256];
    struct disk d[4] = {make_disk("sda", 32 * GIB), make_disk("vda", 20 * GIB),
                        make_disk("vdb", 1 * GIB), make_disk("vdc", 100 * GIB)};
    d[3].holds_medium = 1; /* the largest is the boot medium: never picked */
    CHECK_EQ_INT(disk_pick(d, 4, "largest", why, sizeof(why)), 0);
    CHECK_EQ_INT(disk_pick(d, 4, "smallest", why, sizeof(why)), 1);
    CHECK_EQ_INT(disk_pick(d, 4, "vda", why, sizeof(why)), 1);
    CHECK_EQ_INT(disk_pick(d, 4, "/dev/vda", why, sizeof(why)), 1);
    CHECK_EQ_INT(disk_pick(d, 4, "vdb", why, sizeof(why)), -1);
    CHECK(strstr(why, "cannot install to vdb: it is too small") != NULL);
    CHECK_EQ_INT(disk_pick(d, 4, "vdc", why, sizeof(why)), -1);
    CHECK(strstr(why, "booted from") != NULL);
    CHECK_EQ_INT(disk_pick(d, 4, "sdz", why, sizeof(why)), -1);
    CHECK(strstr(why, "no disk named sdz") != NULL);
    CHECK_EQ_INT(disk_pick(d + 2, 2, "largest", why, sizeof(why)), -1);
    CHECK(strstr(why, "no disk can be installed to") != NULL);
    CHECK_EQ_INT(disk_pick(d, 0, "smallest", why, sizeof(why)), -1);
}

static void test_partition_names(void)
{
    char n[48];
    partition_name("vda", 3, n, sizeof(n));
    CHECK_EQ_STR(n, "vda3");
    partition_name("sda", 1, n, sizeof(n));
    CHECK_EQ_STR(n, "sda1");
    partition_name("nvme0n1", 2, n, sizeof(n));
    CHECK_EQ_STR(n, "nvme0n1p2");
    partition_name("mmcblk0", 1, n, sizeof(n));
    CHECK_EQ_STR(n, "mmcblk0p1");
}

static void test_sizes(void)
{
    char s[32];
    format_size(20 * GIB, s, sizeof(s));
    CHECK_EQ_STR(s, "20.0 GiB");
    format_size(512ULL << 20, s, sizeof(s));
    CHECK_EQ_STR(s, "512 MiB");
    format_size(1536ULL << 30, s, sizeof(s));
    CHECK_EQ_STR(s, "1.5 TiB");
    format_size(100, s, sizeof(s));
    CHECK_EQ_STR(s, "100 B");
}

static void test_list_json(void)
{
    struct disk d[2] = {make_disk("vda", 20 * GIB), make_disk("sdb", 16 * GIB)};
    d[1].holds_medium = 1;
    d[1].removable = 1;
    snprintf(d[1].model, sizeof(d[1].model), "Cruzer \"Blade\"");
    add_partition(&d[1], "sdb1");
    struct json_writer w;
    struct json_doc doc;
    char why[128];
    json_writer_init(&w, 1 << 16);
    disk_list_json(d, 2, &w);
    const char *text = json_writer_text(&w);
    CHECK(text != NULL);
    CHECK_EQ_INT(json_parse(text, strlen(text), &doc, why, sizeof(why)), 0);
    const struct json_node *root = json_root(&doc);
    int64_t min = 0, size = 0, parts = -1;
    bool usable = false;
    CHECK(json_get_int(&doc, root, "min_bytes", &min) && min == (int64_t)DISK_MIN_BYTES);
    const struct json_node *list = json_get(&doc, root, "disks");
    CHECK(list && list->count == 2);
    const struct json_node *vda = json_first(&doc, list), *sdb = json_next(&doc, vda);
    CHECK_EQ_STR(json_get_string(&doc, vda, "name"), "vda");
    CHECK(json_get_int(&doc, vda, "size_bytes", &size) && size == (int64_t)(20 * GIB));
    CHECK_EQ_STR(json_get_string(&doc, vda, "size"), "20.0 GiB");
    CHECK(json_get_bool(&doc, vda, "usable", &usable) && usable);
    CHECK(json_get(&doc, vda, "refusal")->type == JSON_NULL);
    CHECK_EQ_STR(json_get_string(&doc, sdb, "model"), "Cruzer \"Blade\"");
    CHECK(json_get_bool(&doc, sdb, "usable", &usable) && !usable);
    CHECK(json_get_int(&doc, sdb, "partitions", &parts) && parts == 1);
    CHECK_EQ_STR(json_get_string(&doc, sdb, "refusal"), "it holds the Corral medium the system booted from");
    json_doc_free(&doc);
    json_writer_free(&w);
}

int main(void)
{
    RUN(test_list_json);
    RUN(test_blkid_lines);
    RUN(test_candidate_names);
    RUN(test_transport);
    RUN(test_blkid_marks_medium_answer_and_labels);
    RUN(test_mounts_mark_disks_in_use);
    RUN(test_refusals);
    RUN(test_pick_rules);
    RUN(test_partition_names);
    RUN(test_sizes);
    return check_summary("install_disk");
}
