/* pvh_boot: the PVH boot protocol (xen/include/public/arch-x86/hvm/
 * start_info.h, and Linux's arch/x86/platform/pvh) for an ELF kernel that
 * elf_pvh_parse() accepted: plan where segments, initrd and command line
 * go, build struct hvm_start_info (version 1, with the same e820 memory
 * map the bzImage path gives) and write everything into guest RAM.  The
 * vCPU then starts in 32-bit flat protected mode, paging off, at the
 * note's entry with EBX = the start_info's address (vcpu.c, from the
 * struct boot_plan this fills).  Pure logic: no ioctls. */
#ifndef CORRAL_PVH_BOOT_H
#define CORRAL_PVH_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "boot_linux.h"
#include "elf_pvh.h"

#define PVH_START_MAGIC   0x336ec578u
#define PVH_START_VERSION 1 /* 1: has the memory map */
/* The start_info page takes the zero page's place (unused with PVH):
 * start_info, then the one module (the initrd), then the memory map. */
#define PVH_START_INFO_ADDR BOOT_ZERO_PAGE_ADDR
#define PVH_START_INFO_SIZE 56
#define PVH_MODLIST_OFF     64
#define PVH_MODLIST_ENTRY   32
#define PVH_MEMMAP_OFF      128
#define PVH_MEMMAP_ENTRY    24
/* x86 Linux keeps COMMAND_LINE_SIZE (2048) bytes of a PVH command line;
 * a longer one would be cut silently, so it is refused. */
#define PVH_CMDLINE_MAX     2047
/* The initrd's highest address, as for a 64-bit bzImage
 * (initrd_addr_max in its setup header). */
#define PVH_INITRD_ADDR_MAX 0x7fffffffULL

/* Check that every segment lies in low guest RAM above 1 MiB (below it
 * are the boot tables) and place initrd and command line.  Fails with a
 * reason when the kernel does not fit or the command line is too long. */
int pvh_plan_make(const struct elf_pvh_info *elf, const struct guest_mem *mem,
                  uint64_t initrd_size, uint64_t cmdline_len,
                  struct boot_plan *plan, char *err, size_t errlen);

/* Fill the start_info page: struct hvm_start_info, the initrd as module 0
 * (when there is one), the memory map; rsdp is the ACPI RSDP's address. */
void pvh_start_info_build(uint8_t page[4096], const struct boot_plan *plan,
                          const struct e820_entry *e820, size_t n_e820,
                          uint64_t rsdp);

/* Copy the segments (zeroing each beyond its file size), the initrd and
 * the command line, and write the start_info page and the 32-bit GDT.
 * The plan must come from pvh_plan_make() on the same inputs. */
int pvh_boot_load(const struct guest_mem *mem, const struct elf_pvh_info *elf,
                  const struct boot_plan *plan, const uint8_t *img,
                  size_t img_len, const uint8_t *initrd, size_t initrd_len,
                  const char *cmdline, uint64_t rsdp, char *err, size_t errlen);

#endif
