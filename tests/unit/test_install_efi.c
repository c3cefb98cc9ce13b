/* Unit tests for the UEFI boot entry encodings (initramfs/installer/efi.c):
 * GUIDs in EFI byte order, the EFI_LOAD_OPTION with its device path, and
 * BootOrder. */
#include "check.h"
#include "../../initramfs/installer/efi.h"

#include <errno.h>
#include <stdint.h>

static void test_guid_byte_order(void)
{
    /* The ESP type GUID as it is stored in a GPT. */
    static const uint8_t esp[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                    0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
    uint8_t out[16];
    CHECK_EQ_INT(guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", out), 0);
    CHECK_EQ_INT(memcmp(out, esp, 16), 0);
    CHECK_EQ_INT(guid_parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b", out), 0);
    CHECK_EQ_INT(memcmp(out, esp, 16), 0);
    CHECK_EQ_INT(guid_parse("C12A7328F81F-11D2-BA4B-00A0C93EC93B0", out), -EINVAL);
    CHECK_EQ_INT(guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93", out), -EINVAL);
    CHECK_EQ_INT(guid_parse("G12A7328-F81F-11D2-BA4B-00A0C93EC93B", out), -EINVAL);
}

static void test_random_guid(void)
{
    uint8_t rnd[16], parsed[16];
    char text[37];
    memset(rnd, 0xff, sizeof(rnd));
    guid_format_random(rnd, text);
    CHECK_EQ_STR(text, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    CHECK_EQ_INT(guid_parse(text, parsed), 0);
}

static void test_load_option(void)
{
    uint8_t guid[16], buf[512];
    CHECK_EQ_INT(guid_parse("0ab1c2d3-1111-4222-8333-444455556666", guid), 0);
    size_t n = efi_load_option("Corral", 2, 4096, 1048576, guid, EFI_BOOT_PATH, buf, sizeof(buf));
    size_t path_units = strlen(EFI_BOOT_PATH) + 1;
    size_t file_node = 4 + 2 * path_units, list = 42 + file_node + 4;
    CHECK_EQ_INT(n, 4 + 2 + 2 * 7 + list);
    CHECK_EQ_INT(buf[0] | buf[1] << 8 | buf[2] << 16 | buf[3] << 24, 1); /* active */
    CHECK_EQ_INT(buf[4] | buf[5] << 8, list);
    CHECK_EQ_INT(buf[6], 'C');
    CHECK_EQ_INT(buf[7], 0);
    CHECK_EQ_INT(buf[6 + 12] | buf[6 + 13], 0); /* terminator */
    const uint8_t *hd = buf + 6 + 14;
    CHECK_EQ_INT(hd[0], 4);
    CHECK_EQ_INT(hd[1], 1);
    CHECK_EQ_INT(hd[2] | hd[3] << 8, 42);
    CHECK_EQ_INT(hd[4], 2);                       /* partition number */
    CHECK_EQ_INT(hd[8] | hd[9] << 8, 4096);       /* start LBA */
    CHECK_EQ_INT(hd[16] | hd[17] << 8 | hd[18] << 16, 1048576);
    CHECK_EQ_INT(memcmp(hd + 24, guid, 16), 0);
    CHECK_EQ_INT(hd[40], 2);
    CHECK_EQ_INT(hd[41], 2);
    const uint8_t *file = hd + 42;
    CHECK_EQ_INT(file[0], 4);
    CHECK_EQ_INT(file[1], 4);
    CHECK_EQ_INT(file[2] | file[3] << 8, file_node);
    CHECK_EQ_INT(file[4], '\\');
    CHECK_EQ_INT(file[6], 'E');
    const uint8_t *end = file + file_node;
    CHECK_EQ_INT(end[0], 0x7f);
    CHECK_EQ_INT(end[1], 0xff);
    CHECK_EQ_INT(end[2], 4);

    char desc[32];
    efi_load_option_description(buf, n, desc, sizeof(desc));
    CHECK_EQ_STR(desc, "Corral");
    efi_load_option_description(buf, 9, desc, sizeof(desc));
    CHECK_EQ_STR(desc, "");
    CHECK_EQ_INT(efi_load_option("Corral", 2, 4096, 1, guid, EFI_BOOT_PATH, buf, 50), 0);
    CHECK_EQ_INT(efi_load_option("Corr\xc3\xa4l", 2, 4096, 1, guid, EFI_BOOT_PATH, buf, sizeof(buf)), 0);
}

static void test_boot_order(void)
{
    uint8_t old[] = {0x01, 0x00, 0x03, 0x00, 0x00, 0x00}, out[16];
    size_t n = efi_boot_order_prepend(old, sizeof(old), 3, out, sizeof(out));
    CHECK_EQ_INT(n, 6);
    static const uint8_t want[] = {0x03, 0x00, 0x01, 0x00, 0x00, 0x00};
    CHECK_EQ_INT(memcmp(out, want, 6), 0);
    n = efi_boot_order_prepend(old, sizeof(old), 0x1234, out, sizeof(out));
    CHECK_EQ_INT(n, 8);
    CHECK_EQ_INT(out[0] | out[1] << 8, 0x1234);
    CHECK_EQ_INT(efi_boot_order_prepend(NULL, 0, 7, out, sizeof(out)), 2);
    CHECK_EQ_INT(efi_boot_order_prepend(old, sizeof(old), 9, out, 4), 0);
}

int main(void)
{
    RUN(test_guid_byte_order);
    RUN(test_random_guid);
    RUN(test_load_option);
    RUN(test_boot_order);
    return check_summary("install_efi");
}
