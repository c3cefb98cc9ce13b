/* fw_cfg: port and DMA interfaces, file directory encoding, hostile
 * selectors, offsets and DMA addresses; the firmware items (e820, boot
 * order) and the CMOS bytes as SeaBIOS decodes them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../hypervisor/vmm/firmware.h"
#include "../../hypervisor/vmm/fw_cfg.h"
#include "../../hypervisor/vmm/rtc_cmos.h"

#define RAM_SIZE (4u << 20)

static void select_key(struct fw_cfg *fw, uint16_t key)
{
    uint8_t b[2] = { (uint8_t)key, (uint8_t)(key >> 8) };
    fw_cfg_io(fw, 0, b, 2, true);
}

static void read_data(struct fw_cfg *fw, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fw_cfg_io(fw, 1, &out[i], 1, false);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
}

static void test_signature_and_id(void)
{
    struct fw_cfg fw;
    uint8_t b[4];
    CHECK_EQ_INT(fw_cfg_init(&fw, NULL), 0);
    select_key(&fw, FW_CFG_SIGNATURE);
    read_data(&fw, b, 4);
    CHECK(memcmp(b, "QEMU", 4) == 0);
    select_key(&fw, FW_CFG_ID);
    read_data(&fw, b, 4);
    CHECK_EQ_INT(le(b, 4), FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA);
    /* the DMA register reads "QEMU CFG", big endian */
    fw_cfg_io(&fw, 4, b, 4, false);
    CHECK_EQ_INT(le(b, 4), 0x51454d55);
    fw_cfg_io(&fw, 8, b, 4, false);
    CHECK_EQ_INT(le(b, 4), 0x20434647);
    fw_cfg_destroy(&fw);
}

static void test_file_directory(void)
{
    struct fw_cfg fw;
    uint8_t dir[4 + 2 * FW_CFG_DIR_ENTRY_SIZE + 8];
    CHECK_EQ_INT(fw_cfg_init(&fw, NULL), 0);
    CHECK_EQ_INT(fw_cfg_add_file(&fw, "etc/one", "abc", 3), FW_CFG_FILE_FIRST);
    CHECK_EQ_INT(fw_cfg_add_file_int(&fw, "etc/sercon-port", 0x3f8, 2),
                 FW_CFG_FILE_FIRST + 1);
    CHECK_EQ_INT(fw_cfg_add_file(&fw, "etc/one", "x", 1), -EEXIST);
    char longname[FW_CFG_NAME_MAX + 1];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[FW_CFG_NAME_MAX] = '\0';
    CHECK_EQ_INT(fw_cfg_add_file(&fw, longname, "x", 1), -ENAMETOOLONG);
    CHECK_EQ_INT(fw_cfg_add_file_int(&fw, "etc/bad", 1, 3), -EINVAL);

    select_key(&fw, FW_CFG_FILE_DIR);
    read_data(&fw, dir, sizeof(dir));
    CHECK_EQ_INT(be32(dir), 2);
    const uint8_t *e = dir + 4;
    CHECK_EQ_INT(be32(e), 3);
    CHECK_EQ_INT(e[4] << 8 | e[5], FW_CFG_FILE_FIRST);
    CHECK_EQ_INT(e[6] | e[7], 0);
    CHECK_EQ_STR((const char *)e + 8, "etc/one");
    e += FW_CFG_DIR_ENTRY_SIZE;
    CHECK_EQ_INT(be32(e), 2);
    CHECK_EQ_INT(e[4] << 8 | e[5], FW_CFG_FILE_FIRST + 1);
    CHECK_EQ_STR((const char *)e + 8, "etc/sercon-port");
    /* past the end of the directory: zeros */
    CHECK_EQ_INT(le(dir + 4 + 2 * FW_CFG_DIR_ENTRY_SIZE, 8), 0);

    uint8_t port[2];
    select_key(&fw, FW_CFG_FILE_FIRST + 1);
    read_data(&fw, port, 2);
    CHECK_EQ_INT(le(port, 2), 0x3f8);
    fw_cfg_destroy(&fw);
}

static void test_hostile_selector(void)
{
    struct fw_cfg fw;
    uint8_t b[8];
    CHECK_EQ_INT(fw_cfg_init(&fw, NULL), 0);
    uint16_t keys[] = { 0x8003, 0xffff, FW_CFG_FILE_FIRST + 5, 0x4000 };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        select_key(&fw, keys[i]);
        memset(b, 0x55, sizeof(b));
        read_data(&fw, b, sizeof(b));
        CHECK_EQ_INT(le(b, 8), 0);
    }
    /* reading on and on saturates, never overflows */
    select_key(&fw, FW_CFG_SIGNATURE);
    for (int i = 0; i < 1000; i++)
        read_data(&fw, b, 1);
    CHECK_EQ_INT(b[0], 0);
    CHECK_EQ_INT(fw.offset, 4);
    /* DMA without guest memory is ignored */
    put_be32(b, 0);
    fw_cfg_io(&fw, 4, b, 4, true);
    fw_cfg_io(&fw, 8, b, 4, true);
    fw_cfg_destroy(&fw);
}

struct dma_env {
    uint8_t *ram;
    struct guest_mem mem;
    struct fw_cfg fw;
};

static void dma_env_init(struct dma_env *env)
{
    env->ram = calloc(1, RAM_SIZE);
    guest_mem_layout(&env->mem, env->ram, RAM_SIZE);
    CHECK_EQ_INT(fw_cfg_init(&env->fw, &env->mem), 0);
}

static void dma_env_free(struct dma_env *env)
{
    fw_cfg_destroy(&env->fw);
    free(env->ram);
}

/* Write a descriptor at desc and start it; returns its control field after. */
static uint32_t dma(struct dma_env *env, uint64_t desc, uint32_t control,
                    uint32_t length, uint64_t addr)
{
    uint8_t b[4];
    if (desc + 16 <= RAM_SIZE) {
        put_be32(env->ram + desc, control);
        put_be32(env->ram + desc + 4, length);
        put_be32(env->ram + desc + 8, (uint32_t)(addr >> 32));
        put_be32(env->ram + desc + 12, (uint32_t)addr);
    }
    put_be32(b, (uint32_t)(desc >> 32));
    fw_cfg_io(&env->fw, 4, b, 4, true);
    put_be32(b, (uint32_t)desc);
    fw_cfg_io(&env->fw, 8, b, 4, true);
    return desc + 16 <= RAM_SIZE ? be32(env->ram + desc) : 0xdeadbeef;
}

static void test_dma(void)
{
    struct dma_env env;
    dma_env_init(&env);
    int key = fw_cfg_add_file(&env.fw, "etc/data", "0123456789", 10);
    CHECK_EQ_INT(key, FW_CFG_FILE_FIRST);
    uint32_t sel = (uint32_t)key << 16 | FW_CFG_DMA_SELECT;

    /* select + read 4, skip 2, read 8 (4 past the end read as zeros) */
    memset(env.ram + 0x2000, 0xaa, 16);
    CHECK_EQ_INT(dma(&env, 0x1000, sel | FW_CFG_DMA_READ, 4, 0x2000), 0);
    CHECK(memcmp(env.ram + 0x2000, "0123", 4) == 0);
    CHECK_EQ_INT(dma(&env, 0x1000, FW_CFG_DMA_SKIP, 2, 0), 0);
    CHECK_EQ_INT(dma(&env, 0x1000, FW_CFG_DMA_READ, 8, 0x2000), 0);
    CHECK(memcmp(env.ram + 0x2000, "6789\0\0\0\0", 8) == 0);

    /* a buffer outside RAM, or straddling its end: error, nothing written */
    CHECK_EQ_INT(dma(&env, 0x1000, sel | FW_CFG_DMA_READ, 10, RAM_SIZE - 4),
                 FW_CFG_DMA_ERROR);
    CHECK_EQ_INT(dma(&env, 0x1000, sel | FW_CFG_DMA_READ, 0xffffffff, 0x2000),
                 FW_CFG_DMA_ERROR);
    CHECK_EQ_INT(dma(&env, 0x1000, sel | FW_CFG_DMA_READ, 4,
                     0xfffffffffffffff0ULL), FW_CFG_DMA_ERROR);
    /* writes are refused: the items are the VMM's */
    CHECK_EQ_INT(dma(&env, 0x1000, sel | FW_CFG_DMA_WRITE, 4, 0x2000),
                 FW_CFG_DMA_ERROR);
    CHECK(memcmp(fw_cfg_item(&env.fw, (uint16_t)key)->data, "0123", 4) == 0);
    /* a descriptor outside RAM is ignored (the offset does not move) */
    select_key(&env.fw, (uint16_t)key);
    dma(&env, RAM_SIZE - 8, FW_CFG_DMA_SKIP, 4, 0);
    dma(&env, 0x7fffffffffffULL, FW_CFG_DMA_SKIP, 4, 0);
    CHECK_EQ_INT(env.fw.offset, 0);
    dma_env_free(&env);
}

static void test_e820(void)
{
    uint8_t out[FIRMWARE_E820_MAX * FIRMWARE_E820_ENTRY_SIZE];
    struct guest_mem mem;
    guest_mem_layout(&mem, NULL, 5ULL << 30); /* 3 GiB low, 2 GiB high */
    size_t n = firmware_e820(&mem, out);
    CHECK_EQ_INT(n, 3 * FIRMWARE_E820_ENTRY_SIZE);
    CHECK_EQ_INT(le(out, 8), 0);
    CHECK_EQ_INT(le(out + 8, 8), 3ULL << 30);
    CHECK_EQ_INT(le(out + 16, 4), 1);
    CHECK_EQ_INT(le(out + 20, 8), FIRMWARE_KVM_PAGES_ADDR);
    CHECK_EQ_INT(le(out + 28, 8), FIRMWARE_KVM_PAGES_SIZE);
    CHECK_EQ_INT(le(out + 36, 4), 2);
    CHECK_EQ_INT(le(out + 40, 8), 1ULL << 32);
    CHECK_EQ_INT(le(out + 48, 8), 2ULL << 30);
    CHECK_EQ_INT(le(out + 56, 4), 1);
    guest_mem_layout(&mem, NULL, 256ULL << 20);
    CHECK_EQ_INT(firmware_e820(&mem, out), 2 * FIRMWARE_E820_ENTRY_SIZE);
    CHECK_EQ_INT(le(out + 8, 8), 256ULL << 20);
}

static void test_bootorder(void)
{
    char buf[256];
    const struct firmware_boot_dev devs[] = { { 3, -1 }, { 1, -1 }, { 0x1f, -1 },
                                              { 4, 0 }, { 4, 5 } };
    size_t n = firmware_bootorder(devs, 5, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "/pci@i0cf8/scsi@3/disk@0,0\n/pci@i0cf8/scsi@1/disk@0,0\n"
                      "/pci@i0cf8/scsi@1f/disk@0,0\n"
                      "/pci@i0cf8/sata@4/drive@0/disk@0\n"
                      "/pci@i0cf8/sata@4/drive@5/disk@0\nHALT");
    CHECK_EQ_INT(n, strlen(buf));
    CHECK_EQ_INT(firmware_bootorder(devs, 0, buf, sizeof(buf)), 4);
    CHECK_EQ_INT(firmware_bootorder(devs, 3, buf, 40), 0); /* too small */
}

/* A blank first disk must not hide a bootable one (SeaBIOS tries only the
 * first hard disk of its order); otherwise the definition order holds. */
static void test_bootable_disks_first(void)
{
    uint8_t sector[512] = { 0 };
    CHECK(!firmware_sector_bootable(sector));
    sector[510] = 0x55;
    sector[511] = 0xAA;
    CHECK(firmware_sector_bootable(sector));
    sector[511] = 0xAB;
    CHECK(!firmware_sector_bootable(sector));

    const unsigned slots[] = { 3, 4, 5, 6 };
    unsigned out[4];
    const bool blank_then_iso[] = { false, true, false, true };
    CHECK_EQ_INT(firmware_boot_first(slots, blank_then_iso, 4, out), 2);
    CHECK(out[0] == 4 && out[1] == 6 && out[2] == 3 && out[3] == 5);
    const bool all[] = { true, true, true, true };
    CHECK_EQ_INT(firmware_boot_first(slots, all, 4, out), 4);
    CHECK(out[0] == 3 && out[1] == 4 && out[2] == 5 && out[3] == 6);
    const bool none[] = { false, false, false, false };
    CHECK_EQ_INT(firmware_boot_first(slots, none, 4, out), 0);
    CHECK(out[0] == 3 && out[3] == 6);
    CHECK_EQ_INT(firmware_boot_first(slots, none, 0, out), 0);
}

static void test_image_placement(void)
{
    char err[200];
    CHECK_EQ_INT(firmware_check_size(256 << 10, err, sizeof(err)), 0);
    CHECK_EQ_INT(firmware_check_size(128 << 10, err, sizeof(err)), 0);
    CHECK(firmware_check_size(0, err, sizeof(err)) < 0);
    CHECK(firmware_check_size(100000, err, sizeof(err)) < 0); /* not whole pages */
    CHECK(strstr(err, "OVMF_CODE_4M.fd") != NULL);
    CHECK_EQ_INT(firmware_check_size(3653632, err, sizeof(err)), 0); /* OVMF_CODE_4M.fd */
    CHECK_EQ_INT(firmware_check_size(4 << 20, err, sizeof(err)), 0);
    CHECK(firmware_check_size((4 << 20) + 4096, err, sizeof(err)) < 0);
    CHECK(firmware_check_size(1ULL << 40, err, sizeof(err)) < 0);
    CHECK_EQ_INT(firmware_rom_base(256 << 10), 0xfffc0000);
    CHECK_EQ_INT(firmware_rom_base(3653632), 0xffc84000); /* as on QEMU */
    /* KVM's pages lie outside the largest image and the PCI window */
    CHECK(FIRMWARE_KVM_PAGES_ADDR + FIRMWARE_KVM_PAGES_SIZE <= firmware_rom_base(FIRMWARE_SIZE_MAX));
    CHECK(FIRMWARE_KVM_PAGES_ADDR >= 0xFEC00000ULL);

    struct dma_env env;
    dma_env_init(&env);
    uint8_t *img = malloc(128 << 10);
    for (size_t i = 0; i < (128 << 10); i++)
        img[i] = (uint8_t)(i * 7);
    CHECK_EQ_INT(firmware_load_low(&env.mem, img, 128 << 10), 0);
    CHECK(memcmp(env.ram + 0xe0000, img, 128 << 10) == 0);
    struct guest_mem tiny;
    guest_mem_layout(&tiny, env.ram, 512 << 10);
    CHECK(firmware_load_low(&tiny, img, 128 << 10) < 0);
    free(img);
    /* a UEFI image gets no low copy: the area stays as it was */
    uint8_t *big = calloc(1, 1 << 20);
    memset(big, 0xEE, 1 << 20);
    memset(env.ram + 0xc0000, 0, 0x40000);
    CHECK_EQ_INT(firmware_load_low(&env.mem, big, 1 << 20), 0);
    CHECK(env.ram[0xc0000] == 0 && env.ram[0xfffff] == 0);
    free(big);
    dma_env_free(&env);
}

/* A CD boots when sector 17 is El Torito's boot record. */
static void test_cd_bootable(void)
{
    uint8_t rec[FIRMWARE_ELTORITO_LEN] = { 0, 'C', 'D', '0', '0', '1', 1 };
    memcpy(rec + 7, "EL TORITO SPECIFICATION", 23);
    CHECK(firmware_cd_bootable(rec));
    rec[0] = 1; /* a primary volume descriptor instead */
    CHECK(!firmware_cd_bootable(rec));
    rec[0] = 0;
    rec[7] = 'X';
    CHECK(!firmware_cd_bootable(rec));
}

/* The firmware items as SeaBIOS looks them up, by name in the directory. */
static void test_fill(void)
{
    struct dma_env env;
    dma_env_init(&env);
    const struct firmware_boot_dev devs[] = { { 2, -1 } };
    CHECK_EQ_INT(firmware_fill_fw_cfg(&env.fw, &env.mem, 2, devs, 1), 0);
    const char *want[] = { "etc/e820", "bootorder", "etc/sercon-port" };
    const struct fw_cfg_item *dir = fw_cfg_item(&env.fw, FW_CFG_FILE_DIR);
    CHECK_EQ_INT(be32(dir->data), 3);
    for (unsigned i = 0; i < 3; i++)
        CHECK_EQ_STR((const char *)dir->data + 4 + i * FW_CFG_DIR_ENTRY_SIZE + 8,
                     want[i]);
    CHECK_EQ_INT(le(fw_cfg_item(&env.fw, FW_CFG_NB_CPUS)->data, 2), 2);
    CHECK_EQ_INT(le(fw_cfg_item(&env.fw, FW_CFG_BOOT_MENU)->data, 2), 0);
    dma_env_free(&env);
}

/* SeaBIOS without etc/e820 computes RAM below 4 GiB from CMOS 0x34/0x35
 * (+16 MiB) and above from 0x5b-0x5d: both must give our sizes back. */
static void test_cmos_as_seabios_reads_it(void)
{
    struct rtc_cmos rtc;
    rtc_cmos_init(&rtc, NULL);
    rtc_cmos_set_memory(&rtc, 3ULL << 30, 1ULL << 30, 2);
    uint64_t low = ((uint64_t)rtc.ram[0x34] << 16 | (uint64_t)rtc.ram[0x35] << 24)
                   + (16u << 20);
    uint64_t high = (uint64_t)rtc.ram[0x5b] << 16 | (uint64_t)rtc.ram[0x5c] << 24 |
                    (uint64_t)rtc.ram[0x5d] << 32;
    CHECK_EQ_INT(low, 3ULL << 30);
    CHECK_EQ_INT(high, 1ULL << 30);
}

int main(void)
{
    RUN(test_signature_and_id);
    RUN(test_file_directory);
    RUN(test_hostile_selector);
    RUN(test_dma);
    RUN(test_e820);
    RUN(test_bootorder);
    RUN(test_bootable_disks_first);
    RUN(test_cd_bootable);
    RUN(test_image_placement);
    RUN(test_fill);
    RUN(test_cmos_as_seabios_reads_it);
    return check_summary("fw_cfg");
}
