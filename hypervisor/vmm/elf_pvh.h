/* elf_pvh: what the PVH boot protocol needs from an ELF kernel (an
 * uncompressed `vmlinux`): its loadable segments and the 32-bit entry
 * point it publishes in the Xen note XEN_ELFNOTE_PHYS32_ENTRY.  Pure
 * parsing of a hostile file: every offset, size and count is checked
 * against the file before it is read, and nothing is loaded here
 * (pvh_boot.c checks the segments against guest RAM and copies them). */
#ifndef CORRAL_ELF_PVH_H
#define CORRAL_ELF_PVH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_PVH_MAX_SEGMENTS 16 /* PT_LOADs we accept; vmlinux has 4 */
#define ELF_PVH_MAX_PHDRS    64 /* program headers we are willing to walk */

struct elf_segment {
    uint64_t offset; /* in the file */
    uint64_t paddr;  /* guest-physical load address */
    uint64_t filesz; /* bytes copied from the file */
    uint64_t memsz;  /* bytes occupied; the rest after filesz is zeroed */
};

struct elf_pvh_info {
    uint32_t entry;  /* guest-physical 32-bit PVH entry point */
    size_t n_segments;
    struct elf_segment seg[ELF_PVH_MAX_SEGMENTS];
    uint64_t load_start, load_end; /* lowest paddr, highest paddr + memsz */
};

/* Does the file start with the ELF magic? (what --kernel detects first) */
bool elf_is_elf(const uint8_t *img, size_t len);

/* Parse a 64-bit little-endian x86-64 ELF executable.  Fails with -EINVAL
 * and a reason in err (no file name: the caller adds it) when the headers
 * are malformed or point outside the file, when there is no PT_LOAD, or
 * when no PT_NOTE carries the PVH entry note. */
int elf_pvh_parse(const uint8_t *img, size_t len, struct elf_pvh_info *out,
                  char *err, size_t errlen);

#endif
