/* boot_linux: bzImage header parsing (including hostile headers), boot
 * layout, e820 map, zero page and loading into a fake guest RAM. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../hypervisor/vmm/boot_linux.h"

#define MiB (1ULL << 20)
#define IMG_LEN (64 * 1024)

static uint8_t img[IMG_LEN];

static void put16(uint8_t *p, size_t off, uint16_t v) { memcpy(p + off, &v, 2); }
static void put32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }
static uint16_t get16(const uint8_t *p, size_t off) { uint16_t v; memcpy(&v, p + off, 2); return v; }
static uint32_t get32(const uint8_t *p, size_t off) { uint32_t v; memcpy(&v, p + off, 4); return v; }
static uint64_t get64(const uint8_t *p, size_t off) { uint64_t v; memcpy(&v, p + off, 8); return v; }

/* A plausible 64-bit bzImage: 4 setup sectors, protocol 2.15. */
static void make_bzimage(void)
{
    memset(img, 0, sizeof(img));
    img[0x1f1] = 4;                 /* setup_sects */
    put16(img, 0x1fe, 0xaa55);
    img[0x200] = 0xeb;              /* jmp */
    img[0x201] = 0x66;              /* header ends at 0x268 */
    put32(img, 0x202, 0x53726448);  /* HdrS */
    put16(img, 0x206, 0x020f);
    img[0x211] = 0x01;              /* LOADED_HIGH */
    put32(img, 0x214, 0x100000);
    put32(img, 0x22c, 0x7fffffff);  /* initrd_addr_max */
    put32(img, 0x230, 0x200000);
    img[0x234] = 1;
    put16(img, 0x236, 0x3);         /* XLF_KERNEL_64 | above 4G */
    put32(img, 0x238, 2047);        /* cmdline_size */
    put32(img, 0x260, 8 * MiB);     /* init_size */
    for (size_t i = 5 * 512; i < IMG_LEN; i++)
        img[i] = (uint8_t)i;
}

static struct guest_mem fake_mem(uint64_t size)
{
    struct guest_mem m;
    guest_mem_layout(&m, NULL, size);
    return m;
}

static void test_parse_good(void)
{
    struct bzimage_info bz;
    char err[256] = "";
    make_bzimage();
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
    CHECK_EQ_INT(bz.version, 0x020f);
    CHECK_EQ_INT(bz.setup_size, 5 * 512);
    CHECK_EQ_INT(bz.payload_offset, 5 * 512);
    CHECK_EQ_INT(bz.payload_size, IMG_LEN - 5 * 512);
    CHECK_EQ_INT(bz.init_size, 8 * MiB);
    CHECK_EQ_INT(bz.cmdline_size, 2047);
    CHECK(bz.has_64bit_entry);
}

static void test_parse_not_bzimage(void)
{
    struct bzimage_info bz;
    char err[256] = "";
    static const uint8_t elf[0x300] = { 0x7f, 'E', 'L', 'F' };
    CHECK_EQ_INT(bzimage_parse(elf, sizeof(elf), &bz, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "not a bzImage") != NULL);
    CHECK_EQ_INT(bzimage_parse(elf, 10, &bz, err, sizeof(err)), -EINVAL);
    make_bzimage();
    put16(img, 0x1fe, 0x1234); /* no boot flag */
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), -EINVAL);
}

static void test_parse_hostile(void)
{
    struct bzimage_info bz;
    char err[256] = "";
    make_bzimage();
    put16(img, 0x206, 0x0204); /* too old */
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "2.04") != NULL);

    make_bzimage();
    img[0x211] = 0; /* zImage */
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), -EINVAL);

    make_bzimage();
    img[0x1f1] = 0xff; /* setup larger than the file */
    CHECK_EQ_INT(bzimage_parse(img, 0x1000, &bz, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "truncated") != NULL);

    make_bzimage();
    img[0x1f1] = 0; /* 0 means 4 */
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
    CHECK_EQ_INT(bz.setup_size, 5 * 512);

    make_bzimage();
    put32(img, 0x260, 0); /* init_size smaller than the payload */
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
    CHECK(bz.init_size >= bz.payload_size);

    make_bzimage();
    put16(img, 0x206, 0x0206); /* 2.06: no xloadflags, no init_size */
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
    CHECK(!bz.has_64bit_entry);
    CHECK_EQ_INT(bz.init_size, bz.payload_size * 4);
}

static void test_plan(void)
{
    struct bzimage_info bz;
    struct boot_plan plan;
    char err[256] = "";
    struct guest_mem mem = fake_mem(256 * MiB);
    make_bzimage();
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
    CHECK_EQ_INT(boot_plan_make(&bz, &mem, 10 * MiB + 5, 100, &plan, err, sizeof(err)), 0);
    CHECK_EQ_INT(plan.kernel_addr, 0x100000);
    CHECK_EQ_INT(plan.entry, 0x100200);
    CHECK(plan.long_mode);
    CHECK_EQ_INT(plan.initrd_addr & 0xfff, 0);
    CHECK(plan.initrd_addr + plan.initrd_size <= 256 * MiB);
    CHECK(plan.initrd_addr >= plan.kernel_end);
    CHECK_EQ_INT(plan.zero_page_addr, BOOT_ZERO_PAGE_ADDR);

    /* initrd_addr_max below RAM top: the initrd goes under it */
    put32(img, 0x22c, 64 * MiB - 1);
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
    CHECK_EQ_INT(boot_plan_make(&bz, &mem, 1 * MiB, 0, &plan, err, sizeof(err)), 0);
    CHECK(plan.initrd_addr + plan.initrd_size <= 64 * MiB);
}

static void test_plan_errors(void)
{
    struct bzimage_info bz;
    struct boot_plan plan;
    char err[256] = "";
    struct guest_mem small = fake_mem(8 * MiB), mem = fake_mem(64 * MiB);
    make_bzimage();
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
    CHECK_EQ_INT(boot_plan_make(&bz, &small, 0, 0, &plan, err, sizeof(err)), -EFBIG);
    CHECK(strstr(err, "too big") != NULL);
    CHECK_EQ_INT(boot_plan_make(&bz, &mem, 60 * MiB, 0, &plan, err, sizeof(err)), -EFBIG);
    CHECK(strstr(err, "initrd") != NULL);
    CHECK_EQ_INT(boot_plan_make(&bz, &mem, UINT64_MAX, 0, &plan, err, sizeof(err)), -EFBIG);
    CHECK_EQ_INT(boot_plan_make(&bz, &mem, 0, 2048, &plan, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "command line") != NULL);
    CHECK_EQ_INT(boot_plan_make(&bz, &mem, 0, 2047, &plan, err, sizeof(err)), 0);
}

static void test_e820(void)
{
    struct e820_entry e[E820_MAX];
    struct guest_mem low = fake_mem(512 * MiB);
    size_t n = e820_build(&low, e, E820_MAX);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(e[0].addr, 0);
    CHECK_EQ_INT(e[0].size, BOOT_EBDA_ADDR);
    CHECK_EQ_INT(e[0].type, E820_RAM);
    CHECK_EQ_INT(e[1].type, E820_RESERVED);
    CHECK_EQ_INT(e[2].addr, 0xf0000);
    CHECK_EQ_INT(e[3].addr, 0x100000);
    CHECK_EQ_INT(e[3].addr + e[3].size, 512 * MiB);

    struct guest_mem high = fake_mem(5000 * MiB);
    n = e820_build(&high, e, E820_MAX);
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_INT(e[3].addr + e[3].size, GUEST_MEM_LOW_LIMIT);
    CHECK_EQ_INT(e[4].addr, GUEST_MEM_HIGH_BASE);
    CHECK_EQ_INT(e[4].size, 5000 * MiB - GUEST_MEM_LOW_LIMIT);
    /* entries never overlap and RAM adds up */
    uint64_t ram = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].type == E820_RAM)
            ram += e[i].size;
        if (i)
            CHECK(e[i].addr >= e[i - 1].addr + e[i - 1].size);
    }
    CHECK_EQ_INT(ram, 5000 * MiB - (BOOT_KERNEL_ADDR - BOOT_EBDA_ADDR));
    CHECK_EQ_INT(e820_build(&high, e, 2), 2); /* truncated, not overflowed */
}

static void test_zero_page(void)
{
    struct bzimage_info bz;
    struct boot_plan plan;
    struct e820_entry e[E820_MAX];
    uint8_t zp[4096];
    char err[256];
    struct guest_mem mem = fake_mem(256 * MiB);
    make_bzimage();
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
    CHECK_EQ_INT(boot_plan_make(&bz, &mem, 4096, 11, &plan, err, sizeof(err)), 0);
    size_t n = e820_build(&mem, e, E820_MAX);
    zero_page_build(zp, img, IMG_LEN, &plan, e, n);
    CHECK_EQ_INT(get32(zp, 0x202), 0x53726448); /* header copied */
    CHECK_EQ_INT(get16(zp, 0x206), 0x020f);
    CHECK_EQ_INT(zp[0x210], 0xff);               /* type_of_loader */
    CHECK(zp[0x211] & 0x01);
    CHECK_EQ_INT(get32(zp, 0x228), BOOT_CMDLINE_ADDR);
    CHECK_EQ_INT(get32(zp, 0x218), plan.initrd_addr);
    CHECK_EQ_INT(get32(zp, 0x21c), 4096);
    CHECK_EQ_INT(zp[0x1e8], n);
    CHECK_EQ_INT(get64(zp, 0x2d0 + 3 * 20), 0x100000);
    CHECK_EQ_INT(get32(zp, 0x2d0 + 3 * 20 + 16), E820_RAM);
    /* nothing of the file beyond the header leaks into boot_params */
    CHECK_EQ_INT(zp[0x290], 0);
    img[0x201] = 0xff; /* header claims to run past boot_params' hdr */
    zero_page_build(zp, img, IMG_LEN, &plan, e, n);
    CHECK_EQ_INT(zp[0x290], 0);
}

static void test_load(void)
{
    struct bzimage_info bz;
    struct boot_plan plan;
    char err[256] = "";
    uint64_t size = 64 * MiB;
    uint8_t *ram = calloc(1, size);
    struct guest_mem mem;
    static const uint8_t initrd[5000] = { 1, 2, 3 };
    const char *cmdline = "console=ttyS0 hello";
    guest_mem_layout(&mem, ram, size);
    make_bzimage();
    CHECK_EQ_INT(bzimage_parse(img, IMG_LEN, &bz, err, sizeof(err)), 0);
    CHECK_EQ_INT(boot_plan_make(&bz, &mem, sizeof(initrd), strlen(cmdline), &plan,
                                err, sizeof(err)), 0);
    CHECK_EQ_INT(boot_linux_load(&mem, &bz, &plan, img, IMG_LEN, initrd,
                                 sizeof(initrd), cmdline, err, sizeof(err)), 0);
    CHECK(memcmp(ram + 0x100000, img + bz.payload_offset, bz.payload_size) == 0);
    CHECK(memcmp(ram + plan.initrd_addr, initrd, sizeof(initrd)) == 0);
    CHECK_EQ_STR((char *)ram + BOOT_CMDLINE_ADDR, cmdline);
    CHECK_EQ_INT(get32(ram, BOOT_ZERO_PAGE_ADDR + 0x202), 0x53726448);
    /* identity map: PML4 -> PDPT -> PD, 2 MiB pages */
    CHECK_EQ_INT(get64(ram, BOOT_PML4_ADDR), BOOT_PDPT_ADDR | 3);
    CHECK_EQ_INT(get64(ram, BOOT_PD_ADDR + 8), (2 * MiB) | 0x83);
    CHECK_EQ_INT(get64(ram, BOOT_GDT_ADDR + 16), 0x00af9b000000ffffULL);
    /* a plan that does not match the inputs is refused */
    CHECK_EQ_INT(boot_linux_load(&mem, &bz, &plan, img, IMG_LEN, initrd, 10,
                                 cmdline, err, sizeof(err)), -EINVAL);
    free(ram);
}

int main(void)
{
    RUN(test_parse_good);
    RUN(test_parse_not_bzimage);
    RUN(test_parse_hostile);
    RUN(test_plan);
    RUN(test_plan_errors);
    RUN(test_e820);
    RUN(test_zero_page);
    RUN(test_load);
    return check_summary("boot_linux");
}
