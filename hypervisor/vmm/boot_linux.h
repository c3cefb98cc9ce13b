/* boot_linux: the Linux x86 boot protocol (Documentation/arch/x86/boot.rst)
 * as pure logic: parse a bzImage's setup header, plan where kernel, initrd,
 * command line and zero page go, build the e820 map and the zero page, and
 * write it all into guest RAM (plus the GDT and identity page tables the
 * 64-bit entry needs).  No ioctls here, so every step is unit-testable and
 * fuzzable; vcpu.c sets the registers from struct boot_plan. */
#ifndef CORRAL_BOOT_LINUX_H
#define CORRAL_BOOT_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/* Fixed low-memory layout (guest-physical), below the EBDA at 0x9f000. */
#define BOOT_GDT_ADDR       0x500ULL
#define BOOT_ZERO_PAGE_ADDR 0x7000ULL
#define BOOT_STACK_TOP      0x8ff0ULL
#define BOOT_PML4_ADDR      0x9000ULL
#define BOOT_PDPT_ADDR      0xa000ULL
#define BOOT_PD_ADDR        0xb000ULL /* 4 pages: 4 GiB of 2 MiB pages */
#define BOOT_CMDLINE_ADDR   0x20000ULL
#define BOOT_CMDLINE_MAX    0x10000ULL /* bytes incl. NUL we ever offer */
#define BOOT_EBDA_ADDR      0x9f000ULL /* 4 KiB reserved: MP table */
#define BOOT_EBDA_SIZE      0x1000ULL
#define BOOT_KERNEL_ADDR    0x100000ULL /* protected-mode kernel, 1 MiB */
#define BOOT_BIOS_ADDR      0xf0000ULL
#define BOOT_LOW_RAM_MIN    (32ULL << 20) /* smaller guests are refused */

/* Selectors of the boot GDT: the protocol asks for __BOOT_CS/__BOOT_DS. */
#define BOOT_GDT_CS 0x10
#define BOOT_GDT_DS 0x18

#define BZ_MIN_VERSION 0x0206 /* 2.06: cmdline_size, initrd_addr_max */

struct bzimage_info {
    uint16_t version;
    uint32_t setup_size;     /* real-mode part incl. boot sector, bytes */
    uint64_t payload_offset; /* where the protected-mode kernel starts */
    uint64_t payload_size;
    uint32_t init_size;      /* memory the kernel needs from its load address */
    uint32_t initrd_addr_max;
    uint32_t cmdline_size;   /* max length without the NUL */
    uint32_t kernel_alignment;
    bool relocatable;
    bool has_64bit_entry;    /* XLF_KERNEL_64: startup_64 at load + 0x200 */
};

/* Where everything goes; what vcpu.c needs to start the boot CPU. */
struct boot_plan {
    uint64_t kernel_addr, kernel_end; /* kernel_end: load + init_size */
    uint64_t initrd_addr, initrd_size;
    uint64_t cmdline_addr, cmdline_len; /* len without NUL */
    uint64_t zero_page_addr;  /* boot_params in RSI (0 with PVH) */
    uint64_t start_info_addr; /* PVH: hvm_start_info in EBX (else 0) */
    uint64_t entry;          /* rip */
    bool long_mode;          /* 64-bit entry, else 32-bit protected mode */
};

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_MAX      128 /* entries the zero page holds */

struct e820_entry {
    uint64_t addr, size;
    uint32_t type;
};

/* Format a reason into err (when there is room) and return rc: how every
 * boot loader step (bzImage, ELF/PVH) reports what is wrong. */
int boot_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parse and check the setup header.  On error returns -EINVAL (or -EFBIG)
 * with a reason in err (no file name: the caller adds it). */
int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *out,
                  char *err, size_t errlen);

/* Choose addresses for a kernel, an initrd of initrd_size bytes (0: none)
 * and a command line of cmdline_len bytes inside mem.  Fails with a reason
 * when the kernel is too big for RAM, the initrd does not fit below
 * initrd_addr_max or the command line is too long for the kernel. */
int boot_plan_make(const struct bzimage_info *bz, const struct guest_mem *mem,
                   uint64_t initrd_size, uint64_t cmdline_len,
                   struct boot_plan *plan, char *err, size_t errlen);

/* Place an initrd of size bytes at the top of low RAM, page-aligned, below
 * initrd_addr_max and above plan->kernel_end; fails with a reason. */
int boot_plan_initrd(uint64_t initrd_addr_max, const struct guest_mem *mem,
                     uint64_t size, struct boot_plan *plan, char *err,
                     size_t errlen);

/* The guest's memory map: low RAM, EBDA and BIOS reserved, RAM above 4 GiB.
 * Returns the number of entries (at most max). */
size_t e820_build(const struct guest_mem *mem, struct e820_entry *tab,
                  size_t max);

/* Fill the 4 KiB zero page: the kernel's setup header copied from img,
 * loader fields, initrd, command line and the e820 map. */
void zero_page_build(uint8_t zp[4096], const uint8_t *img, size_t img_len,
                     const struct boot_plan *plan,
                     const struct e820_entry *e820, size_t n_e820);

/* Copy len bytes to guest RAM at gpa; -EINVAL naming what when any byte
 * of the range is not RAM. */
int boot_copy_to_guest(const struct guest_mem *mem, uint64_t gpa,
                       const void *src, size_t len, const char *what,
                       char *err, size_t errlen);

/* Check that initrd and command line are those the plan was made for,
 * and copy them to the plan's addresses. */
int boot_copy_initrd_cmdline(const struct guest_mem *mem,
                             const struct boot_plan *plan, const uint8_t *initrd,
                             size_t initrd_len, const char *cmdline, char *err,
                             size_t errlen);

/* The boot GDT (flat segments, 64-bit or 32-bit code) and, for long mode,
 * the identity page tables, at their fixed low addresses. */
int boot_write_cpu_tables(const struct guest_mem *mem, bool long_mode,
                          char *err, size_t errlen);

/* Write kernel, initrd, command line, zero page, GDT and (for long mode)
 * identity page tables into guest RAM.  The plan must come from
 * boot_plan_make() on the same sizes.  Returns 0 or -EINVAL with err. */
int boot_linux_load(const struct guest_mem *mem, const struct bzimage_info *bz,
                    const struct boot_plan *plan, const uint8_t *img,
                    size_t img_len, const uint8_t *initrd, size_t initrd_len,
                    const char *cmdline, char *err, size_t errlen);

#endif
