/* elf_pvh: ELF64 program headers and the PVH entry note (see elf_pvh.h).
 * Field offsets are those of Elf64_Ehdr, Elf64_Phdr and Elf64_Nhdr in the
 * System V ABI; the note is Xen's (xen/include/public/elfnote.h), which
 * Linux publishes when built with CONFIG_PVH. */
#include "elf_pvh.h"

#include <errno.h>
#include <string.h>

#include "boot_linux.h"
#include "byteorder.h"

#define EHDR_SIZE      64
#define EI_CLASS       4
#define EI_DATA        5
#define ELFCLASS64     2
#define ELFDATA2LSB    1
#define E_MACHINE      18
#define EM_X86_64      62
#define E_PHOFF        32
#define E_PHENTSIZE    54
#define E_PHNUM        56

#define PHDR_SIZE      56
#define P_TYPE         0
#define P_OFFSET       8
#define P_PADDR        24
#define P_FILESZ       32
#define P_MEMSZ        40
#define P_ALIGN        48
#define PT_LOAD        1
#define PT_NOTE        4

#define NHDR_SIZE      12
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

bool elf_is_elf(const uint8_t *img, size_t len)
{
    return len >= sizeof(elf_magic) && memcmp(img, elf_magic, sizeof(elf_magic)) == 0;
}

/* Is [off, off + size) inside a file of len bytes?  No overflow. */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
    return off <= len && size <= len - off;
}

static int elf_check_header(const uint8_t *img, size_t len, char *err,
                            size_t errlen)
{
    if (!elf_is_elf(img, len))
        return boot_fail(-EINVAL, err, errlen, "not an ELF file (no \\x7fELF magic)");
    if (len < EHDR_SIZE)
        return boot_fail(-EINVAL, err, errlen,
                         "truncated ELF: %zu bytes, the header alone is %d",
                         len, EHDR_SIZE);
    if (img[EI_CLASS] != ELFCLASS64 || img[EI_DATA] != ELFDATA2LSB ||
        get_le16(img + E_MACHINE) != EM_X86_64)
        return boot_fail(-EINVAL, err, errlen,
                         "not a 64-bit little-endian x86-64 ELF (class %u, "
                         "data %u, machine %u)", img[EI_CLASS], img[EI_DATA],
                         get_le16(img + E_MACHINE));
    uint64_t phoff = get_le64(img + E_PHOFF);
    unsigned phnum = get_le16(img + E_PHNUM);
    if (get_le16(img + E_PHENTSIZE) != PHDR_SIZE || phnum == 0 ||
        phnum > ELF_PVH_MAX_PHDRS)
        return boot_fail(-EINVAL, err, errlen,
                         "malformed ELF: %u program headers of %u bytes "
                         "(need 1 to %d of %d)", phnum,
                         get_le16(img + E_PHENTSIZE), ELF_PVH_MAX_PHDRS, PHDR_SIZE);
    if (!in_file(phoff, (uint64_t)phnum * PHDR_SIZE, len))
        return boot_fail(-EINVAL, err, errlen,
                         "truncated ELF: program headers at 0x%llx end past "
                         "the file's %zu bytes", (unsigned long long)phoff, len);
    return 0;
}

static int elf_add_load(const uint8_t *ph, size_t len, struct elf_pvh_info *out,
                        char *err, size_t errlen)
{
    struct elf_segment s = {
        .offset = get_le64(ph + P_OFFSET), .paddr = get_le64(ph + P_PADDR),
        .filesz = get_le64(ph + P_FILESZ), .memsz = get_le64(ph + P_MEMSZ),
    };
    if (!in_file(s.offset, s.filesz, len))
        return boot_fail(-EINVAL, err, errlen,
                         "truncated ELF: segment of %llu bytes at file offset "
                         "0x%llx ends past the file's %zu bytes",
                         (unsigned long long)s.filesz,
                         (unsigned long long)s.offset, len);
    if (s.filesz > s.memsz || s.paddr + s.memsz < s.paddr)
        return boot_fail(-EINVAL, err, errlen,
                         "malformed ELF: segment at 0x%llx has %llu bytes in "
                         "the file and %llu in memory",
                         (unsigned long long)s.paddr, (unsigned long long)s.filesz,
                         (unsigned long long)s.memsz);
    if (s.memsz == 0)
        return 0;
    if (out->n_segments == ELF_PVH_MAX_SEGMENTS)
        return boot_fail(-EINVAL, err, errlen,
                         "ELF has more than %d loadable segments",
                         ELF_PVH_MAX_SEGMENTS);
    if (out->n_segments == 0 || s.paddr < out->load_start)
        out->load_start = s.paddr;
    if (s.paddr + s.memsz > out->load_end)
        out->load_end = s.paddr + s.memsz;
    out->seg[out->n_segments++] = s;
    return 0;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* Walk the notes of one PT_NOTE segment; sets *entry and returns true
 * when it holds XEN_ELFNOTE_PHYS32_ENTRY.  A note running past its
 * segment ends the walk (garbage, not a reason to refuse the kernel). */
static bool elf_find_pvh_note(const uint8_t *notes, uint64_t size,
                              uint64_t align, uint64_t *entry)
{
    uint64_t pad = align == 8 ? 8 : 4;
    uint64_t off = 0;
    while (size - off >= NHDR_SIZE) {
        const uint8_t *n = notes + off;
        uint64_t namesz = get_le32(n), descsz = get_le32(n + 4);
        uint32_t type = get_le32(n + 8);
        uint64_t name_off = off + NHDR_SIZE;
        uint64_t desc_off = name_off + align_up(namesz, pad);
        if (desc_off > size || descsz > size - desc_off)
            return false;
        if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
            memcmp(notes + name_off, "Xen", 4) == 0 &&
            (descsz == 4 || descsz == 8)) {
            /* Linux writes it as a pointer-sized value (8 bytes on x86-64) */
            *entry = descsz == 4 ? get_le32(notes + desc_off)
                                 : get_le64(notes + desc_off);
            return true;
        }
        off = desc_off + align_up(descsz, pad);
        if (off > size)
            return false;
    }
    return false;
}

static bool entry_is_loaded(const struct elf_pvh_info *info, uint64_t entry)
{
    for (size_t i = 0; i < info->n_segments; i++) {
        const struct elf_segment *s = &info->seg[i];
        if (entry >= s->paddr && entry - s->paddr < s->filesz)
            return true;
    }
    return false;
}

static int elf_check_entry(const struct elf_pvh_info *info, bool found,
                           uint64_t entry, char *err, size_t errlen)
{
    if (info->n_segments == 0)
        return boot_fail(-EINVAL, err, errlen, "ELF has no loadable segment");
    if (!found)
        return boot_fail(-EINVAL, err, errlen,
                         "ELF has no PVH entry point (Xen note "
                         "XEN_ELFNOTE_PHYS32_ENTRY): a vmlinux needs "
                         "CONFIG_PVH=y, or boot the bzImage");
    if (entry > UINT32_MAX || !entry_is_loaded(info, entry))
        return boot_fail(-EINVAL, err, errlen,
                         "PVH entry point 0x%llx is not inside a loaded segment",
                         (unsigned long long)entry);
    return 0;
}

int elf_pvh_parse(const uint8_t *img, size_t len, struct elf_pvh_info *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    int rc = elf_check_header(img, len, err, errlen);
    if (rc)
        return rc;
    uint64_t phoff = get_le64(img + E_PHOFF), entry = 0;
    unsigned phnum = get_le16(img + E_PHNUM);
    bool found = false;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (uint64_t)i * PHDR_SIZE;
        uint32_t type = get_le32(ph + P_TYPE);
        if (type == PT_LOAD) {
            rc = elf_add_load(ph, len, out, err, errlen);
            if (rc)
                return rc;
        } else if (type == PT_NOTE && !found) {
            uint64_t off = get_le64(ph + P_OFFSET), size = get_le64(ph + P_FILESZ);
            if (!in_file(off, size, len))
                return boot_fail(-EINVAL, err, errlen,
                                 "truncated ELF: note segment at file offset "
                                 "0x%llx ends past the file's %zu bytes",
                                 (unsigned long long)off, len);
            found = elf_find_pvh_note(img + off, size, get_le64(ph + P_ALIGN),
                                      &entry);
        }
    }
    rc = elf_check_entry(out, found, entry, err, errlen);
    if (!rc)
        out->entry = (uint32_t)entry;
    return rc;
}
