/* pvh_boot: layout, hvm_start_info and loading of a PVH kernel (see
 * pvh_boot.h).  Field offsets are those of struct hvm_start_info,
 * hvm_modlist_entry and hvm_memmap_table_entry in Xen's start_info.h. */
#include "pvh_boot.h"

#include <errno.h>
#include <string.h>

#define SI_MAGIC          0
#define SI_VERSION        4
#define SI_NR_MODULES     12
#define SI_MODLIST_PADDR  16
#define SI_CMDLINE_PADDR  24
#define SI_RSDP_PADDR     32
#define SI_MEMMAP_PADDR   40
#define SI_MEMMAP_ENTRIES 48
#define MOD_PADDR         0
#define MOD_SIZE          8
#define MM_ADDR           0
#define MM_SIZE           8
#define MM_TYPE           16

static void put32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, sizeof(v)); }
static void put64(uint8_t *p, size_t off, uint64_t v) { memcpy(p + off, &v, sizeof(v)); }

int pvh_plan_make(const struct elf_pvh_info *elf, const struct guest_mem *mem,
                  uint64_t initrd_size, uint64_t cmdline_len,
                  struct boot_plan *plan, char *err, size_t errlen)
{
    memset(plan, 0, sizeof(*plan));
    if (elf->load_start < BOOT_KERNEL_ADDR)
        return boot_fail(-EINVAL, err, errlen,
                         "ELF segment at 0x%llx lies below 1 MiB, where the "
                         "boot tables are", (unsigned long long)elf->load_start);
    if (elf->load_end > mem->low_size)
        return boot_fail(-EFBIG, err, errlen,
                         "kernel too big for guest RAM: its segments end at "
                         "0x%llx, the guest has %llu MiB below 4 GiB",
                         (unsigned long long)elf->load_end,
                         (unsigned long long)(mem->low_size >> 20));
    if (cmdline_len > PVH_CMDLINE_MAX)
        return boot_fail(-EINVAL, err, errlen,
                         "command line is %llu bytes, a PVH kernel takes at most %d",
                         (unsigned long long)cmdline_len, PVH_CMDLINE_MAX);
    plan->kernel_addr = elf->load_start;
    plan->kernel_end = elf->load_end;
    plan->cmdline_addr = BOOT_CMDLINE_ADDR;
    plan->cmdline_len = cmdline_len;
    plan->start_info_addr = PVH_START_INFO_ADDR;
    plan->entry = elf->entry;
    plan->long_mode = false;
    if (initrd_size)
        return boot_plan_initrd(PVH_INITRD_ADDR_MAX, mem, initrd_size, plan,
                                err, errlen);
    return 0;
}

void pvh_start_info_build(uint8_t page[4096], const struct boot_plan *plan,
                          const struct e820_entry *e820, size_t n_e820,
                          uint64_t rsdp)
{
    uint64_t base = plan->start_info_addr;
    memset(page, 0, 4096);
    put32(page, SI_MAGIC, PVH_START_MAGIC);
    put32(page, SI_VERSION, PVH_START_VERSION);
    put64(page, SI_CMDLINE_PADDR, plan->cmdline_addr);
    put64(page, SI_RSDP_PADDR, rsdp);
    if (plan->initrd_size) {
        put32(page, SI_NR_MODULES, 1);
        put64(page, SI_MODLIST_PADDR, base + PVH_MODLIST_OFF);
        put64(page, PVH_MODLIST_OFF + MOD_PADDR, plan->initrd_addr);
        put64(page, PVH_MODLIST_OFF + MOD_SIZE, plan->initrd_size);
    }
    if (n_e820 > E820_MAX)
        n_e820 = E820_MAX;
    put64(page, SI_MEMMAP_PADDR, base + PVH_MEMMAP_OFF);
    put32(page, SI_MEMMAP_ENTRIES, (uint32_t)n_e820);
    for (size_t i = 0; i < n_e820; i++) {
        uint8_t *e = page + PVH_MEMMAP_OFF + i * PVH_MEMMAP_ENTRY;
        put64(e, MM_ADDR, e820[i].addr);
        put64(e, MM_SIZE, e820[i].size);
        put32(e, MM_TYPE, e820[i].type);
    }
}

/* One segment: its file bytes, then zeros up to its memory size (guest
 * RAM is not necessarily fresh: the segment's .bss must read as zero). */
static int pvh_load_segment(const struct guest_mem *mem,
                            const struct elf_segment *s, const uint8_t *img,
                            size_t img_len, char *err, size_t errlen)
{
    uint8_t *dst = guest_mem_ptr(mem, s->paddr, s->memsz);
    if (!dst)
        return boot_fail(-EINVAL, err, errlen,
                         "ELF segment (%llu bytes at 0x%llx) is outside guest RAM",
                         (unsigned long long)s->memsz, (unsigned long long)s->paddr);
    if (s->offset > img_len || s->filesz > img_len - s->offset)
        return boot_fail(-EINVAL, err, errlen, "boot plan does not match its inputs");
    memcpy(dst, img + s->offset, s->filesz);
    memset(dst + s->filesz, 0, s->memsz - s->filesz);
    return 0;
}

int pvh_boot_load(const struct guest_mem *mem, const struct elf_pvh_info *elf,
                  const struct boot_plan *plan, const uint8_t *img,
                  size_t img_len, const uint8_t *initrd, size_t initrd_len,
                  const char *cmdline, uint64_t rsdp, char *err, size_t errlen)
{
    struct e820_entry e820[E820_MAX];
    uint8_t page[4096];
    int rc = boot_copy_initrd_cmdline(mem, plan, initrd, initrd_len, cmdline,
                                      err, errlen);
    for (size_t i = 0; i < elf->n_segments && !rc; i++)
        rc = pvh_load_segment(mem, &elf->seg[i], img, img_len, err, errlen);
    if (rc)
        return rc;
    size_t n = e820_build(mem, e820, E820_MAX);
    pvh_start_info_build(page, plan, e820, n, rsdp);
    rc = boot_copy_to_guest(mem, plan->start_info_addr, page, sizeof(page),
                            "PVH start_info", err, errlen);
    return rc ? rc : boot_write_cpu_tables(mem, false, err, errlen);
}
