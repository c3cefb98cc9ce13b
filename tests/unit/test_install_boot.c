/* Unit tests for the installer's disk layout and boot loader pieces:
 * GPT layout and sfdisk script (layout.c), boot.img/core.img placement
 * (biosboot.c), grub.cfg, grubenv and boot slots (bootcfg.c). */
#include "check.h"
#include "../../initramfs/installer/biosboot.h"
#include "../../initramfs/installer/bootcfg.h"
#include "../../initramfs/installer/layout.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define GIB (1ULL << 30)

static void test_layout_20g(void)
{
    struct gpt_layout l;
    CHECK_EQ_INT(layout_compute(20 * GIB, 512, &l), 0);
    CHECK_EQ_INT(l.part[0].number, 1);
    CHECK_EQ_INT(l.part[0].start_lba, 2048);
    CHECK_EQ_INT(l.part[0].sectors, 2048);
    CHECK_EQ_STR(l.part[0].type_guid, GPT_TYPE_BIOS_BOOT);
    CHECK_EQ_INT(l.part[1].start_lba, 4096);
    CHECK_EQ_INT(l.part[1].sectors, 512 * 2048);
    CHECK_EQ_STR(l.part[1].type_guid, GPT_TYPE_ESP);
    CHECK_EQ_INT(l.part[2].start_lba, 514 * 2048);
    /* The data partition ends on a MiB boundary before the backup GPT. */
    uint64_t end = l.part[2].start_lba + l.part[2].sectors;
    CHECK_EQ_INT(end % 2048, 0);
    CHECK(end <= 20 * GIB / 512 - 34 + 1);
    CHECK_EQ_INT(end, 20 * GIB / 512 - 2048);
    CHECK_EQ_STR(l.part[2].name, "CORRAL-DATA");
}

static void test_layout_4k_sectors_and_odd_sizes(void)
{
    struct gpt_layout l;
    CHECK_EQ_INT(layout_compute(20 * GIB, 4096, &l), 0);
    CHECK_EQ_INT(l.part[0].start_lba, 256);
    CHECK_EQ_INT(l.part[1].sectors, 512 * 256);
    /* A size that is not a whole number of MiB still ends aligned. */
    CHECK_EQ_INT(layout_compute(20 * GIB + 12345 * 512, 512, &l), 0);
    CHECK_EQ_INT((l.part[2].start_lba + l.part[2].sectors) % 2048, 0);
    CHECK_EQ_INT(layout_compute(20 * GIB, 1000, &l), -EINVAL);
}

static void test_layout_too_small(void)
{
    struct gpt_layout l;
    CHECK_EQ_INT(layout_compute(1 * GIB, 512, &l), -ENOSPC);
    CHECK_EQ_INT(layout_compute(0, 512, &l), -ENOSPC);
    CHECK_EQ_INT(layout_compute(4 * GIB, 512, &l), 0);
    CHECK(l.part[2].sectors * 512 >= LAYOUT_MIN_DATA_BYTES);
}

static void test_sfdisk_script(void)
{
    struct gpt_layout l;
    char buf[1024];
    CHECK_EQ_INT(layout_compute(20 * GIB, 512, &l), 0);
    CHECK_EQ_INT(layout_sfdisk_script(&l, buf, sizeof(buf)), 0);
    CHECK(strncmp(buf, "label: gpt\nunit: sectors\nfirst-lba: 34\n", 39) == 0);
    CHECK(strstr(buf, "start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, name=\"BIOS boot\"\n"));
    CHECK(strstr(buf, "start=4096, size=1048576, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=\"EFI system\"\n"));
    CHECK(strstr(buf, "start=1052672, size=40888320, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=\"CORRAL-DATA\"\n"));
    CHECK_EQ_INT(layout_sfdisk_script(&l, buf, 40), -ENOSPC);
    /* A GUID chosen by the installer (for the UEFI boot entry) is kept. */
    snprintf(l.part[1].uuid, sizeof(l.part[1].uuid), "0ab1c2d3-1111-4222-8333-444455556666");
    CHECK_EQ_INT(layout_sfdisk_script(&l, buf, sizeof(buf)), 0);
    CHECK(strstr(buf, "type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=0ab1c2d3-1111-4222-8333-444455556666, name=\"EFI system\"\n"));
}

/* A stand-in core.img as grub-mkimage writes it: n sectors, the blocklist
 * at the end of the first one naming the n-1 that follow at 0x820. */
static uint8_t *fake_core(size_t sectors, size_t *len)
{
    *len = sectors * 512 - 100; /* the last sector is partly used */
    uint8_t *core = calloc(1, sectors * 512);
    uint8_t *bl = core + DISKBOOT_BLOCKLIST_OFFSET;
    bl[0] = 2;                             /* start: 2 */
    bl[8] = (uint8_t)(sectors - 1);        /* len */
    bl[9] = (uint8_t)((sectors - 1) >> 8);
    bl[10] = 0x20;                         /* segment 0x0820 */
    bl[11] = 0x08;
    return core;
}

static void test_core_patch(void)
{
    char why[256];
    size_t len;
    uint8_t *core = fake_core(306, &len);
    CHECK_EQ_INT(bios_core_patch(core, len, 2048, 2048, why, sizeof(why)), 0);
    uint8_t *bl = core + DISKBOOT_BLOCKLIST_OFFSET;
    CHECK_EQ_INT(bl[0] | bl[1] << 8, 2049);
    for (int i = 2; i < 8; i++)
        CHECK_EQ_INT(bl[i], 0);
    CHECK_EQ_INT(bl[8] | bl[9] << 8, 305); /* untouched */
    CHECK_EQ_INT(bios_core_patch(core, len, 2048, 100, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "does not fit") != NULL);
    free(core);

    /* Not a core image: wrong segment, or a length that does not match. */
    core = fake_core(10, &len);
    core[DISKBOOT_BLOCKLIST_OFFSET + 10] = 0;
    CHECK_EQ_INT(bios_core_patch(core, len, 2048, 2048, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "not a GRUB i386-pc core image") != NULL);
    free(core);
    core = fake_core(10, &len);
    CHECK_EQ_INT(bios_core_patch(core, len - 1024, 2048, 2048, why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(bios_core_patch(core, 100, 2048, 2048, why, sizeof(why)), -EINVAL);
    free(core);
}

static void test_mbr_patch(void)
{
    char why[256];
    uint8_t boot[512], mbr[512], before[512];
    for (int i = 0; i < 512; i++) {
        boot[i] = (uint8_t)(i * 7);
        mbr[i] = (uint8_t)(0xA0 ^ i);
    }
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    memcpy(before, mbr, sizeof(mbr));
    CHECK_EQ_INT(bios_mbr_patch(mbr, boot, 0x12345678ULL, why, sizeof(why)), 0);
    /* boot.img's code, the old BPB, the patched fields; the partition
     * table region and signature untouched. */
    CHECK_EQ_INT(memcmp(mbr, boot, 3), 0);
    CHECK_EQ_INT(memcmp(mbr + 3, before + 3, 0x5a - 3), 0);
    CHECK_EQ_INT(mbr[0x5c], 0x78);
    CHECK_EQ_INT(mbr[0x5d], 0x56);
    CHECK_EQ_INT(mbr[0x5e], 0x34);
    CHECK_EQ_INT(mbr[0x5f], 0x12);
    CHECK_EQ_INT(mbr[0x60] | mbr[0x61] | mbr[0x62] | mbr[0x63], 0);
    CHECK_EQ_INT(mbr[0x64], 0xff);
    CHECK_EQ_INT(mbr[0x66], 0x90);
    CHECK_EQ_INT(mbr[0x67], 0x90);
    CHECK_EQ_INT(memcmp(mbr + 0x68, boot + 0x68, 0x1b8 - 0x68), 0);
    CHECK_EQ_INT(memcmp(mbr + 0x1b8, before + 0x1b8, 512 - 0x1b8), 0);

    mbr[511] = 0;
    memcpy(before, mbr, sizeof(mbr));
    CHECK_EQ_INT(bios_mbr_patch(mbr, boot, 2048, why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(memcmp(mbr, before, 512), 0);
}

static void test_grub_cfg(void)
{
    char cfg[8192];
    CHECK_EQ_INT(bootcfg_render("1.2.3", BOOT_CONSOLE_SCREEN, cfg, sizeof(cfg)), 0);
    CHECK(strstr(cfg, "# Corral 1.2.3 boot menu") != NULL);
    CHECK(strstr(cfg, "set default=normal\n") != NULL);
    CHECK(strstr(cfg, "load_env\n") != NULL);
    CHECK(strstr(cfg, "save_env try_slot\n") != NULL);
    CHECK(strstr(cfg, "linux /${boot_slot}/vmlinuz corral.slot=${boot_slot} console=ttyS0,115200n8 console=tty0 quiet") != NULL);
    CHECK(strstr(cfg, "linux /${boot_slot}/vmlinuz corral.slot=${boot_slot} console=tty0 console=ttyS0,115200n8 quiet") != NULL);
    CHECK(strstr(cfg, "initrd /${boot_slot}/initrd.img") != NULL);
    CHECK(strstr(cfg, "--id serial --unrestricted {") != NULL);
    /* Every entry boots without the menu password; only editing needs it. */
    size_t entries = 0, unrestricted = 0;
    for (const char *p = cfg; (p = strstr(p, "menuentry ")) != NULL; p++)
        entries++;
    for (const char *p = cfg; (p = strstr(p, "--unrestricted {")) != NULL; p++)
        unrestricted++;
    CHECK_EQ_INT(entries, 3);
    CHECK_EQ_INT(unrestricted, entries);
    CHECK(strstr(cfg, "if [ -f \"${prefix}/password.cfg\" ]; then source \"${prefix}/password.cfg\"; fi\n") != NULL);
    /* The menu never names a slot without a kernel. */
    CHECK(strstr(cfg, "if [ ! -f \"/${boot_slot}/vmlinuz\" ]; then") != NULL);
    CHECK_EQ_INT(bootcfg_render("1.2.3", BOOT_CONSOLE_SERIAL, cfg, sizeof(cfg)), 0);
    CHECK(strstr(cfg, "set default=serial\n") != NULL);
    CHECK_EQ_INT(bootcfg_render("1.2.3", BOOT_CONSOLE_SERIAL, cfg, 100), -ENOSPC);
}

static void test_password_cfg(void)
{
    char cfg[1024];
    const char *pbkdf2 = "grub.pbkdf2.sha512.10000.0011AA.FF22";
    CHECK_EQ_INT(bootcfg_password_render(pbkdf2, cfg, sizeof(cfg)), 0);
    CHECK(strstr(cfg, "\nset superusers=\"root\"\npassword_pbkdf2 root grub.pbkdf2.sha512.10000.0011AA.FF22\n") != NULL);
    /* Nothing but the hash can reach GRUB's script. */
    CHECK_EQ_INT(bootcfg_password_render("grub.pbkdf2.sha512.10000.0011AA.FF22\nset superusers=",
                                         cfg, sizeof(cfg)), -EINVAL);
    CHECK_EQ_INT(bootcfg_password_render("$6$salt$hash", cfg, sizeof(cfg)), -EINVAL);
    CHECK_EQ_INT(bootcfg_password_render(pbkdf2, cfg, 40), -ENOSPC);
}

static void test_grubenv_round_trip(void)
{
    struct grubenv env = {0}, back;
    char block[GRUBENV_BYTES];
    CHECK_EQ_INT(grubenv_set(&env, "slot", "a"), 0);
    CHECK_EQ_INT(grubenv_set(&env, "try_slot", ""), 0);
    CHECK_EQ_INT(grubenv_format(&env, block), 0);
    CHECK_EQ_INT(memcmp(block, "# GRUB Environment Block\nslot=a\ntry_slot=\n###", 45), 0);
    CHECK_EQ_INT(block[GRUBENV_BYTES - 1], '#');
    CHECK_EQ_INT(grubenv_parse(block, sizeof(block), &back), 0);
    CHECK_EQ_STR(grubenv_get(&back, "slot"), "a");
    CHECK_EQ_STR(grubenv_get(&back, "try_slot"), "");
    CHECK(grubenv_get(&back, "other") == NULL);
    CHECK_EQ_INT(grubenv_set(&back, "slot", "b"), 0);
    CHECK_EQ_INT(back.count, 2);
    CHECK_EQ_STR(grubenv_get(&back, "slot"), "b");
}

static void test_grubenv_rejects(void)
{
    struct grubenv env = {0};
    char block[GRUBENV_BYTES];
    CHECK_EQ_INT(grubenv_set(&env, "bad name", "x"), -EINVAL);
    CHECK_EQ_INT(grubenv_set(&env, "", "x"), -EINVAL);
    CHECK_EQ_INT(grubenv_set(&env, "x", "new\nline"), -EINVAL);
    char long_value[100];
    memset(long_value, 'v', sizeof(long_value) - 1);
    long_value[sizeof(long_value) - 1] = '\0';
    CHECK_EQ_INT(grubenv_set(&env, "x", long_value), -E2BIG);
    for (int i = 0; i < GRUBENV_MAX_VARS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "v%d", i);
        CHECK_EQ_INT(grubenv_set(&env, name, "1"), 0);
    }
    CHECK_EQ_INT(grubenv_set(&env, "one_more", "1"), -E2BIG);
    memset(block, '#', sizeof(block));
    CHECK_EQ_INT(grubenv_parse(block, sizeof(block), &env), -EINVAL); /* no header */
    CHECK_EQ_INT(grubenv_format(&(struct grubenv){0}, block), 0);
    CHECK_EQ_INT(grubenv_parse(block, 1000, &env), -EINVAL);         /* wrong size */
    memcpy(block + 25, "junk\n", 5);
    CHECK_EQ_INT(grubenv_parse(block, sizeof(block), &env), -EINVAL); /* no '=' */
}

static void test_slots(void)
{
    char buf[8];
    CHECK(slot_valid("a") && slot_valid("b"));
    CHECK(!slot_valid("c") && !slot_valid("") && !slot_valid(NULL) && !slot_valid("ab"));
    CHECK_EQ_STR(slot_other("a"), "b");
    CHECK_EQ_STR(slot_other("b"), "a");
    CHECK_EQ_STR(slot_from_cmdline("corral.slot=b console=tty0", buf, sizeof(buf)), "b");
    CHECK_EQ_STR(slot_from_cmdline("quiet corral.slot=a\n", buf, sizeof(buf)), "a");
    CHECK(slot_from_cmdline("quiet corral.slot=c", buf, sizeof(buf)) == NULL);
    CHECK(slot_from_cmdline("xcorral.slot=a", buf, sizeof(buf)) == NULL);
    CHECK(slot_from_cmdline("console=tty0", buf, sizeof(buf)) == NULL);
    CHECK(slot_from_cmdline("corral.slot=aaaaaaaaaaaa", buf, sizeof(buf)) == NULL);
}

int main(void)
{
    RUN(test_layout_20g);
    RUN(test_layout_4k_sectors_and_odd_sizes);
    RUN(test_layout_too_small);
    RUN(test_sfdisk_script);
    RUN(test_core_patch);
    RUN(test_mbr_patch);
    RUN(test_grub_cfg);
    RUN(test_password_cfg);
    RUN(test_grubenv_round_trip);
    RUN(test_grubenv_rejects);
    RUN(test_slots);
    return check_summary("install_boot");
}
