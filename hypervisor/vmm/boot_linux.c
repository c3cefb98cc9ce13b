/* boot_linux: bzImage parsing, boot layout, e820 and zero page (see
 * boot_linux.h).  Offsets are those of struct setup_header / struct
 * boot_params in the kernel's boot protocol documentation. */
#include "boot_linux.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* setup_header fields, as offsets into the bzImage file and zero page. */
#define HDR_SETUP_SECTS     0x1f1
#define HDR_VID_MODE        0x1fa
#define HDR_BOOT_FLAG       0x1fe
#define HDR_JUMP            0x200 /* 2-byte jump; its 2nd byte ends the header */
#define HDR_MAGIC           0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_CODE32_START    0x214
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_HEAP_END_PTR    0x224
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN    0x230
#define HDR_RELOCATABLE     0x234
#define HDR_XLOADFLAGS      0x236
#define HDR_CMDLINE_SIZE    0x238
#define HDR_INIT_SIZE       0x260
#define HDR_END_MAX         0x290 /* boot_params continues after this */
#define HDR_MIN_FILE        0x268 /* every field we read lies below this */

/* boot_params fields outside the setup header. */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_E820_ENTRIES      0x1e8
#define BP_E820_TABLE        0x2d0
#define BP_E820_ENTRY_SIZE   20

#define BZ_MAGIC            0x53726448u /* "HdrS" */
#define BZ_BOOT_FLAG        0xaa55
#define LOADED_HIGH         0x01
#define CAN_USE_HEAP        0x80
#define XLF_KERNEL_64       0x01
#define LOADER_TYPE_OTHER   0xff
#define DEFAULT_INITRD_MAX  0x37ffffffu /* protocol's default before 2.03 */
#define LONG_MODE_ENTRY_OFF 0x200
#define PAGE_MASK_4K        0xfffULL

static uint16_t get16(const uint8_t *p, size_t off)
{
    uint16_t v;
    memcpy(&v, p + off, sizeof(v));
    return v;
}

static uint32_t get32(const uint8_t *p, size_t off)
{
    uint32_t v;
    memcpy(&v, p + off, sizeof(v));
    return v;
}

static void put16(uint8_t *p, size_t off, uint16_t v) { memcpy(p + off, &v, sizeof(v)); }
static void put32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, sizeof(v)); }
static void put64(uint8_t *p, size_t off, uint64_t v) { memcpy(p + off, &v, sizeof(v)); }

int boot_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (len < HDR_MIN_FILE || get32(img, HDR_MAGIC) != BZ_MAGIC ||
        get16(img, HDR_BOOT_FLAG) != BZ_BOOT_FLAG)
        return boot_fail(-EINVAL, err, errlen,
                         "not a bzImage (no \"HdrS\" boot header at 0x202)");
    out->version = get16(img, HDR_VERSION);
    if (out->version < BZ_MIN_VERSION)
        return boot_fail(-EINVAL, err, errlen,
                         "boot protocol %u.%02u is too old (need 2.06 or later)",
                         out->version >> 8, out->version & 0xff);
    if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
        return boot_fail(-EINVAL, err, errlen,
                         "zImage (loaded low) is not supported, need a bzImage");
    uint32_t sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    out->setup_size = (sects + 1) * 512;
    if (out->setup_size >= len)
        return boot_fail(-EINVAL, err, errlen,
                         "truncated bzImage: setup is %u bytes, file is %zu",
                         out->setup_size, len);
    out->payload_offset = out->setup_size;
    out->payload_size = len - out->setup_size;
    out->initrd_addr_max = get32(img, HDR_INITRD_ADDR_MAX);
    if (!out->initrd_addr_max)
        out->initrd_addr_max = DEFAULT_INITRD_MAX;
    out->cmdline_size = get32(img, HDR_CMDLINE_SIZE);
    out->kernel_alignment = get32(img, HDR_KERNEL_ALIGN);
    out->relocatable = img[HDR_RELOCATABLE] != 0;
    if (out->version >= 0x020c)
        out->has_64bit_entry = get16(img, HDR_XLOADFLAGS) & XLF_KERNEL_64;
    /* Before 2.10 the kernel did not say how much room it needs while
     * decompressing; assume four times the compressed size. */
    if (out->version >= 0x020a)
        out->init_size = get32(img, HDR_INIT_SIZE);
    if (out->init_size < out->payload_size)
        out->init_size = out->payload_size > UINT32_MAX / 4
                             ? UINT32_MAX : (uint32_t)out->payload_size * 4;
    return 0;
}

int boot_plan_initrd(uint64_t initrd_addr_max, const struct guest_mem *mem,
                     uint64_t size, struct boot_plan *plan, char *err,
                     size_t errlen)
{
    uint64_t limit = initrd_addr_max + 1;
    if (limit > mem->low_size)
        limit = mem->low_size;
    if (size > limit || ((limit - size) & ~PAGE_MASK_4K) < plan->kernel_end)
        return boot_fail(-EFBIG, err, errlen,
                         "initrd of %llu bytes does not fit between the kernel's "
                         "end at 0x%llx and 0x%llx (top of low RAM or the "
                         "kernel's initrd_addr_max)",
                         (unsigned long long)size,
                         (unsigned long long)plan->kernel_end,
                         (unsigned long long)limit);
    plan->initrd_addr = (limit - size) & ~PAGE_MASK_4K;
    plan->initrd_size = size;
    return 0;
}

int boot_plan_make(const struct bzimage_info *bz, const struct guest_mem *mem,
                   uint64_t initrd_size, uint64_t cmdline_len,
                   struct boot_plan *plan, char *err, size_t errlen)
{
    memset(plan, 0, sizeof(*plan));
    plan->kernel_addr = BOOT_KERNEL_ADDR;
    plan->kernel_end = BOOT_KERNEL_ADDR + bz->init_size;
    if (plan->kernel_end > mem->low_size)
        return boot_fail(-EFBIG, err, errlen,
                         "kernel too big for guest RAM: it needs %u MiB from "
                         "1 MiB up, the guest has %llu MiB below 4 GiB",
                         (bz->init_size + (1u << 20) - 1) >> 20,
                         (unsigned long long)(mem->low_size >> 20));
    uint64_t max_cmdline = bz->cmdline_size;
    if (max_cmdline > BOOT_CMDLINE_MAX - 1)
        max_cmdline = BOOT_CMDLINE_MAX - 1;
    if (cmdline_len > max_cmdline)
        return boot_fail(-EINVAL, err, errlen,
                         "command line is %llu bytes, the kernel takes at most %llu",
                         (unsigned long long)cmdline_len,
                         (unsigned long long)max_cmdline);
    plan->cmdline_addr = BOOT_CMDLINE_ADDR;
    plan->cmdline_len = cmdline_len;
    plan->zero_page_addr = BOOT_ZERO_PAGE_ADDR;
    plan->long_mode = bz->has_64bit_entry;
    plan->entry = BOOT_KERNEL_ADDR + (plan->long_mode ? LONG_MODE_ENTRY_OFF : 0);
    if (initrd_size)
        return boot_plan_initrd(bz->initrd_addr_max, mem, initrd_size, plan,
                                err, errlen);
    return 0;
}

static size_t e820_add(struct e820_entry *tab, size_t n, size_t max,
                       uint64_t addr, uint64_t size, uint32_t type)
{
    if (n >= max || size == 0)
        return n;
    tab[n] = (struct e820_entry){ .addr = addr, .size = size, .type = type };
    return n + 1;
}

size_t e820_build(const struct guest_mem *mem, struct e820_entry *tab,
                  size_t max)
{
    size_t n = 0;
    uint64_t base_ram = mem->low_size < BOOT_EBDA_ADDR ? mem->low_size
                                                       : BOOT_EBDA_ADDR;
    n = e820_add(tab, n, max, 0, base_ram, E820_RAM);
    n = e820_add(tab, n, max, BOOT_EBDA_ADDR, BOOT_EBDA_SIZE,
                 E820_RESERVED);
    n = e820_add(tab, n, max, BOOT_BIOS_ADDR, BOOT_KERNEL_ADDR - BOOT_BIOS_ADDR,
                 E820_RESERVED);
    if (mem->low_size > BOOT_KERNEL_ADDR)
        n = e820_add(tab, n, max, BOOT_KERNEL_ADDR,
                     mem->low_size - BOOT_KERNEL_ADDR, E820_RAM);
    n = e820_add(tab, n, max, GUEST_MEM_HIGH_BASE, mem->high_size, E820_RAM);
    return n;
}

/* The setup header's length is encoded in its leading jump instruction. */
static size_t setup_header_end(const uint8_t *img, size_t img_len)
{
    size_t end = HDR_JUMP + 2 + img[HDR_JUMP + 1];
    if (end > HDR_END_MAX)
        end = HDR_END_MAX;
    if (end > img_len)
        end = img_len;
    return end;
}

void zero_page_build(uint8_t zp[4096], const uint8_t *img, size_t img_len,
                     const struct boot_plan *plan,
                     const struct e820_entry *e820, size_t n_e820)
{
    memset(zp, 0, 4096);
    size_t end = setup_header_end(img, img_len);
    memcpy(zp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, end - HDR_SETUP_SECTS);
    put16(zp, HDR_VID_MODE, 0xffff); /* "normal", no mode prompt */
    zp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_OTHER;
    zp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
    put16(zp, HDR_HEAP_END_PTR, 0xfe00);
    put32(zp, HDR_CODE32_START, (uint32_t)plan->kernel_addr);
    put32(zp, HDR_CMD_LINE_PTR, (uint32_t)plan->cmdline_addr);
    put32(zp, BP_EXT_CMD_LINE_PTR, (uint32_t)(plan->cmdline_addr >> 32));
    put32(zp, HDR_RAMDISK_IMAGE, (uint32_t)plan->initrd_addr);
    put32(zp, HDR_RAMDISK_SIZE, (uint32_t)plan->initrd_size);
    put32(zp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(plan->initrd_addr >> 32));
    put32(zp, BP_EXT_RAMDISK_SIZE, (uint32_t)(plan->initrd_size >> 32));
    if (n_e820 > E820_MAX)
        n_e820 = E820_MAX;
    zp[BP_E820_ENTRIES] = (uint8_t)n_e820;
    for (size_t i = 0; i < n_e820; i++) {
        uint8_t *e = zp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
        put64(e, 0, e820[i].addr);
        put64(e, 8, e820[i].size);
        put32(e, 16, e820[i].type);
    }
}

int boot_copy_to_guest(const struct guest_mem *mem, uint64_t gpa,
                       const void *src, size_t len, const char *what,
                       char *err, size_t errlen)
{
    void *dst = guest_mem_ptr(mem, gpa, len);
    if (!dst)
        return boot_fail(-EINVAL, err, errlen,
                         "%s (%zu bytes at 0x%llx) is outside guest RAM", what,
                         len, (unsigned long long)gpa);
    memcpy(dst, src, len);
    return 0;
}

/* Flat 4 GiB segments; the code segment is 64-bit (L) or 32-bit (D). */
static void boot_write_gdt(uint64_t *gdt, bool long_mode)
{
    gdt[0] = 0;
    gdt[1] = 0;
    gdt[2] = long_mode ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL;
    gdt[3] = 0x00cf93000000ffffULL;
}

/* Identity map of the first 4 GiB with 2 MiB pages: startup_64 needs the
 * kernel, zero page and command line mapped; it builds its own tables. */
static void boot_write_page_tables(uint8_t *pml4, uint8_t *pdpt, uint8_t *pd)
{
    memset(pml4, 0, 4096);
    memset(pdpt, 0, 4096);
    put64(pml4, 0, BOOT_PDPT_ADDR | 0x3);
    for (uint64_t i = 0; i < 4; i++)
        put64(pdpt, i * 8, (BOOT_PD_ADDR + i * 4096) | 0x3);
    for (uint64_t i = 0; i < 4 * 512; i++)
        put64(pd, i * 8, (i << 21) | 0x83); /* present, writable, 2 MiB */
}

int boot_copy_initrd_cmdline(const struct guest_mem *mem,
                             const struct boot_plan *plan, const uint8_t *initrd,
                             size_t initrd_len, const char *cmdline, char *err,
                             size_t errlen)
{
    if (initrd_len != plan->initrd_size || strlen(cmdline) != plan->cmdline_len)
        return boot_fail(-EINVAL, err, errlen, "boot plan does not match its inputs");
    int rc = 0;
    if (initrd_len)
        rc = boot_copy_to_guest(mem, plan->initrd_addr, initrd, initrd_len,
                                "initrd", err, errlen);
    if (!rc)
        rc = boot_copy_to_guest(mem, plan->cmdline_addr, cmdline,
                                plan->cmdline_len + 1, "command line", err, errlen);
    return rc;
}

int boot_write_cpu_tables(const struct guest_mem *mem, bool long_mode,
                          char *err, size_t errlen)
{
    uint64_t *gdt = guest_mem_ptr(mem, BOOT_GDT_ADDR, 4 * sizeof(uint64_t));
    uint8_t *pml4 = guest_mem_ptr(mem, BOOT_PML4_ADDR, 4096);
    uint8_t *pdpt = guest_mem_ptr(mem, BOOT_PDPT_ADDR, 4096);
    uint8_t *pd = guest_mem_ptr(mem, BOOT_PD_ADDR, 4 * 4096);
    if (!gdt || !pml4 || !pdpt || !pd)
        return boot_fail(-EINVAL, err, errlen, "guest RAM too small for boot tables");
    boot_write_gdt(gdt, long_mode);
    if (long_mode)
        boot_write_page_tables(pml4, pdpt, pd);
    return 0;
}

int boot_linux_load(const struct guest_mem *mem, const struct bzimage_info *bz,
                    const struct boot_plan *plan, const uint8_t *img,
                    size_t img_len, const uint8_t *initrd, size_t initrd_len,
                    const char *cmdline, char *err, size_t errlen)
{
    struct e820_entry e820[E820_MAX];
    uint8_t zp[4096];
    int rc;

    if (bz->payload_offset + bz->payload_size != img_len)
        return boot_fail(-EINVAL, err, errlen, "boot plan does not match its inputs");
    rc = boot_copy_initrd_cmdline(mem, plan, initrd, initrd_len, cmdline, err,
                                  errlen);
    if (!rc)
        rc = boot_copy_to_guest(mem, plan->kernel_addr, img + bz->payload_offset,
                                bz->payload_size, "kernel", err, errlen);
    if (rc)
        return rc;
    size_t n = e820_build(mem, e820, E820_MAX);
    zero_page_build(zp, img, img_len, plan, e820, n);
    rc = boot_copy_to_guest(mem, plan->zero_page_addr, zp, sizeof(zp),
                            "zero page", err, errlen);
    return rc ? rc : boot_write_cpu_tables(mem, plan->long_mode, err, errlen);
}
