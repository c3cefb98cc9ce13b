/* elf_pvh + pvh_boot: an ELF vmlinux's segments and PVH entry note
 * (including hostile and truncated files), the PVH layout, the
 * hvm_start_info page and loading into a fake guest RAM. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../hypervisor/vmm/pvh_boot.h"

#define MiB (1ULL << 20)
#define ELF_LEN 8192
#define PHOFF 64
#define NOTE_OFF 512
#define SEG_OFF 4096
#define SEG_FILESZ 4096
#define KERNEL_PADDR (16 * MiB)
#define ENTRY (KERNEL_PADDR + 0x40)
#define XEN_NOTE (NOTE_OFF + 24) /* after the 24-byte GNU note */
#define XEN_DESC (XEN_NOTE + 16)

static uint8_t elf[ELF_LEN];

static void put16(uint8_t *p, size_t off, uint16_t v) { memcpy(p + off, &v, 2); }
static void put32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }
static void put64(uint8_t *p, size_t off, uint64_t v) { memcpy(p + off, &v, 8); }
static uint32_t get32(const uint8_t *p, size_t off) { uint32_t v; memcpy(&v, p + off, 4); return v; }
static uint64_t get64(const uint8_t *p, size_t off) { uint64_t v; memcpy(&v, p + off, 8); return v; }

static void put_phdr(unsigned i, uint32_t type, uint64_t off, uint64_t paddr,
                     uint64_t filesz, uint64_t memsz, uint64_t align)
{
    uint8_t *ph = elf + PHOFF + i * 56;
    put32(ph, 0, type);
    put64(ph, 8, off);
    put64(ph, 16, 0xffffffff80000000ULL + paddr); /* vaddr: never used */
    put64(ph, 24, paddr);
    put64(ph, 32, filesz);
    put64(ph, 40, memsz);
    put64(ph, 48, align);
}

/* A note at off: name, type, 8-byte descriptor; returns its size. */
static size_t put_note(size_t off, const char *name, uint32_t type, uint64_t desc)
{
    size_t namesz = strlen(name) + 1, name_pad = (namesz + 3) & ~3u;
    put32(elf, off, (uint32_t)namesz);
    put32(elf, off + 4, 8);
    put32(elf, off + 8, type);
    memcpy(elf + off + 12, name, namesz);
    put64(elf, off + 12 + name_pad, desc);
    return 12 + name_pad + 8;
}

/* A vmlinux in miniature: one PT_LOAD with a .bss tail, a note segment
 * with an unrelated note before the PVH one. */
static void make_elf(void)
{
    memset(elf, 0, sizeof(elf));
    memcpy(elf, "\x7f" "ELF", 4);
    elf[4] = 2; /* ELFCLASS64 */
    elf[5] = 1; /* little-endian */
    elf[6] = 1;
    put16(elf, 16, 2);  /* ET_EXEC */
    put16(elf, 18, 62); /* x86-64 */
    put64(elf, 32, PHOFF);
    put16(elf, 54, 56);
    put16(elf, 56, 3);
    size_t n = put_note(NOTE_OFF, "GNU", 3, 0x1234);
    n += put_note(NOTE_OFF + n, "Xen", 18, ENTRY);
    put_phdr(0, 1, SEG_OFF, KERNEL_PADDR, SEG_FILESZ, SEG_FILESZ + 8192, 0x200000);
    put_phdr(1, 4, NOTE_OFF, 0, n, n, 4);
    put_phdr(2, 6, 0, 0, 0, 0, 8); /* PT_PHDR: ignored */
    for (size_t i = SEG_OFF; i < ELF_LEN; i++)
        elf[i] = (uint8_t)(i * 7);
}

static void test_parse_good(void)
{
    struct elf_pvh_info info;
    char err[256] = "";
    make_elf();
    CHECK(elf_is_elf(elf, ELF_LEN));
    CHECK_EQ_INT(elf_pvh_parse(elf, ELF_LEN, &info, err, sizeof(err)), 0);
    CHECK_EQ_INT(info.entry, ENTRY);
    CHECK_EQ_INT(info.n_segments, 1);
    CHECK_EQ_INT(info.seg[0].paddr, KERNEL_PADDR);
    CHECK_EQ_INT(info.seg[0].filesz, SEG_FILESZ);
    CHECK_EQ_INT(info.load_start, KERNEL_PADDR);
    CHECK_EQ_INT(info.load_end, KERNEL_PADDR + SEG_FILESZ + 8192);
    /* a 4-byte descriptor, as some PVH kernels write it */
    put32(elf, XEN_NOTE + 4, 4);
    CHECK_EQ_INT(elf_pvh_parse(elf, ELF_LEN, &info, err, sizeof(err)), 0);
}

static void expect_error(size_t len, const char *reason)
{
    struct elf_pvh_info info;
    char err[256] = "";
    CHECK_EQ_INT(elf_pvh_parse(elf, len, &info, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, reason) != NULL);
}

static void test_parse_errors(void)
{
    make_elf();
    CHECK(!elf_is_elf((const uint8_t *)"MZ\x90", 3));
    expect_error(3, "not an ELF");
    expect_error(40, "truncated ELF");
    expect_error(PHOFF + 100, "truncated ELF: program headers");
    expect_error(SEG_OFF + 100, "truncated ELF: segment");
    elf[4] = 1; /* 32-bit */
    expect_error(ELF_LEN, "not a 64-bit");
    make_elf();
    put16(elf, 54, 32);
    expect_error(ELF_LEN, "malformed ELF");
    make_elf();
    put16(elf, 56, 0xffff);
    expect_error(ELF_LEN, "malformed ELF");
    make_elf();
    put64(elf, 32, 0xfffffffffffffff0ULL); /* phoff wraps */
    expect_error(ELF_LEN, "truncated ELF");
    make_elf();
    put_phdr(0, 1, 0xffffffffffffff00ULL, KERNEL_PADDR, 0x200, 0x200, 0);
    expect_error(ELF_LEN, "truncated ELF: segment");
    make_elf();
    put_phdr(0, 1, SEG_OFF, 0xfffffffffffff000ULL, 16, 0x2000, 0); /* wraps */
    expect_error(ELF_LEN, "malformed ELF");
    make_elf();
    put_phdr(0, 1, SEG_OFF, KERNEL_PADDR, 32, 16, 0); /* filesz > memsz */
    expect_error(ELF_LEN, "malformed ELF");
    make_elf();
    put_phdr(1, 4, NOTE_OFF, 0, ELF_LEN, ELF_LEN, 4); /* note past the end */
    expect_error(ELF_LEN, "truncated ELF: note");
    make_elf();
    put32(elf, XEN_NOTE + 8, 17); /* the Xen note, other type */
    expect_error(ELF_LEN, "no PVH entry point");
    make_elf();
    put32(elf, NOTE_OFF, 0xfffffff0u); /* first note's namesz runs away */
    expect_error(ELF_LEN, "no PVH entry point");
    make_elf();
    put_phdr(0, 5, SEG_OFF, KERNEL_PADDR, 16, 16, 0); /* no PT_LOAD left */
    expect_error(ELF_LEN, "no loadable segment");
    make_elf();
    put64(elf, XEN_DESC, 0x100000000ULL + 0x40); /* entry >4G */
    expect_error(ELF_LEN, "not inside a loaded segment");
    make_elf();
    put64(elf, XEN_DESC, KERNEL_PADDR + SEG_FILESZ + 16); /* in .bss */
    expect_error(ELF_LEN, "not inside a loaded segment");
    make_elf();
    put16(elf, 56, ELF_PVH_MAX_SEGMENTS + 2);
    for (unsigned i = 2; i < ELF_PVH_MAX_SEGMENTS + 2; i++)
        put_phdr(i, 1, SEG_OFF, KERNEL_PADDR, 16, 16, 0);
    expect_error(ELF_LEN, "more than");
}

static struct guest_mem fake_mem(uint64_t size)
{
    struct guest_mem m;
    guest_mem_layout(&m, NULL, size);
    return m;
}

static void test_plan(void)
{
    struct elf_pvh_info info;
    struct boot_plan plan;
    char err[256] = "";
    struct guest_mem mem = fake_mem(64 * MiB);
    make_elf();
    CHECK_EQ_INT(elf_pvh_parse(elf, ELF_LEN, &info, err, sizeof(err)), 0);
    CHECK_EQ_INT(pvh_plan_make(&info, &mem, 5000, 10, &plan, err, sizeof(err)), 0);
    CHECK_EQ_INT(plan.entry, ENTRY);
    CHECK(!plan.long_mode);
    CHECK_EQ_INT(plan.start_info_addr, PVH_START_INFO_ADDR);
    CHECK_EQ_INT(plan.zero_page_addr, 0);
    CHECK_EQ_INT(plan.initrd_addr, (64 * MiB - 5000) & ~0xfffULL);
    CHECK(plan.initrd_addr >= info.load_end);
    /* kernel beyond RAM, initrd with no room, command line too long */
    struct guest_mem small = fake_mem(16 * MiB);
    CHECK_EQ_INT(pvh_plan_make(&info, &small, 0, 10, &plan, err, sizeof(err)), -EFBIG);
    CHECK(strstr(err, "too big for guest RAM") != NULL);
    CHECK_EQ_INT(pvh_plan_make(&info, &mem, 60 * MiB, 10, &plan, err, sizeof(err)),
                 -EFBIG);
    CHECK_EQ_INT(pvh_plan_make(&info, &mem, 0, PVH_CMDLINE_MAX + 1, &plan, err,
                               sizeof(err)), -EINVAL);
    /* a segment over the boot tables below 1 MiB */
    info.load_start = 0x7000;
    CHECK_EQ_INT(pvh_plan_make(&info, &mem, 0, 10, &plan, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "below 1 MiB") != NULL);
}

static void test_load(void)
{
    struct elf_pvh_info info;
    struct boot_plan plan;
    char err[256] = "";
    uint64_t size = 64 * MiB;
    uint8_t *ram = malloc(size);
    struct guest_mem mem;
    static const uint8_t initrd[5000] = { 1, 2, 3 };
    const char *cmdline = "console=ttyS0 hello";
    memset(ram, 0xaa, size); /* .bss must come out zero anyway */
    guest_mem_layout(&mem, ram, size);
    make_elf();
    CHECK_EQ_INT(elf_pvh_parse(elf, ELF_LEN, &info, err, sizeof(err)), 0);
    CHECK_EQ_INT(pvh_plan_make(&info, &mem, sizeof(initrd), strlen(cmdline), &plan,
                               err, sizeof(err)), 0);
    CHECK_EQ_INT(pvh_boot_load(&mem, &info, &plan, elf, ELF_LEN, initrd,
                               sizeof(initrd), cmdline, 0xf0000, err, sizeof(err)), 0);
    CHECK(memcmp(ram + KERNEL_PADDR, elf + SEG_OFF, SEG_FILESZ) == 0);
    CHECK_EQ_INT(ram[KERNEL_PADDR + SEG_FILESZ], 0);
    CHECK_EQ_INT(ram[KERNEL_PADDR + SEG_FILESZ + 8191], 0);
    CHECK_EQ_INT(ram[KERNEL_PADDR + SEG_FILESZ + 8192], 0xaa);
    CHECK(memcmp(ram + plan.initrd_addr, initrd, sizeof(initrd)) == 0);
    CHECK_EQ_STR((char *)ram + BOOT_CMDLINE_ADDR, cmdline);
    const uint8_t *si = ram + PVH_START_INFO_ADDR;
    CHECK_EQ_INT(get32(si, 0), PVH_START_MAGIC);
    CHECK_EQ_INT(get32(si, 4), 1);
    CHECK_EQ_INT(get32(si, 12), 1); /* nr_modules */
    CHECK_EQ_INT(get64(si, 16), PVH_START_INFO_ADDR + PVH_MODLIST_OFF);
    CHECK_EQ_INT(get64(si, 24), BOOT_CMDLINE_ADDR);
    CHECK_EQ_INT(get64(si, 32), 0xf0000);
    CHECK_EQ_INT(get64(si + PVH_MODLIST_OFF, 0), plan.initrd_addr);
    CHECK_EQ_INT(get64(si + PVH_MODLIST_OFF, 8), sizeof(initrd));
    /* the same memory map as the bzImage path */
    struct e820_entry e[E820_MAX];
    size_t n = e820_build(&mem, e, E820_MAX);
    CHECK_EQ_INT(get64(si, 40), PVH_START_INFO_ADDR + PVH_MEMMAP_OFF);
    CHECK_EQ_INT(get32(si, 48), n);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *m = si + PVH_MEMMAP_OFF + i * PVH_MEMMAP_ENTRY;
        CHECK_EQ_INT(get64(m, 0), e[i].addr);
        CHECK_EQ_INT(get64(m, 8), e[i].size);
        CHECK_EQ_INT(get32(m, 16), e[i].type);
    }
    /* 32-bit flat code segment, no page tables needed */
    CHECK_EQ_INT(get64(ram, BOOT_GDT_ADDR + 16), 0x00cf9b000000ffffULL);
    /* a plan that does not match the inputs is refused */
    CHECK_EQ_INT(pvh_boot_load(&mem, &info, &plan, elf, ELF_LEN, initrd, 10,
                               cmdline, 0, err, sizeof(err)), -EINVAL);
    free(ram);
}

static void test_start_info_without_initrd(void)
{
    static uint8_t page[4096];
    struct boot_plan plan = { .start_info_addr = PVH_START_INFO_ADDR,
                              .cmdline_addr = BOOT_CMDLINE_ADDR };
    struct e820_entry e = { .addr = 0, .size = 0x9f000, .type = E820_RAM };
    pvh_start_info_build(page, &plan, &e, 1, 0);
    CHECK_EQ_INT(get32(page, 12), 0);
    CHECK_EQ_INT(get64(page, 16), 0);
    CHECK_EQ_INT(get32(page, 48), 1);
}

int main(void)
{
    RUN(test_parse_good);
    RUN(test_parse_errors);
    RUN(test_plan);
    RUN(test_load);
    RUN(test_start_info_without_initrd);
    return check_summary("elf_pvh");
}
