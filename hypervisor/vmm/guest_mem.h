/* guest_mem: the guest's RAM as the VMM sees it, and the only way device
 * code turns a guest-physical address into a host pointer.
 *
 * Guest RAM is one lazily-backed mmap.  Below 4 GiB it stops at the PCI
 * hole (GUEST_MEM_LOW_LIMIT); RAM beyond that is mapped again from 4 GiB up.
 * Every address or length a guest wrote is hostile: guest_mem_ptr() returns
 * NULL unless the whole range [gpa, gpa + len) lies inside one RAM region,
 * and it never overflows on huge values. */
#ifndef CORRAL_GUEST_MEM_H
#define CORRAL_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_LOW_LIMIT 0xC0000000ULL /* 3 GiB: PCI hole above */
#define GUEST_MEM_HIGH_BASE 0x100000000ULL /* 4 GiB */
/* Intel VMX's real-mode TSS (3 pages) above its identity-map page (vm.c),
 * where QEMU puts them: no RAM, device or firmware image lives there (the
 * firmware's flash ends 4 GiB and starts above 0xFF000000). */
#define GUEST_MEM_KVM_PAGES_ADDR 0xfeffc000ULL
#define GUEST_MEM_KVM_PAGES_SIZE 0x4000ULL
/* KVM maps guest RAM with 2 MiB pages only where the host address and the
 * guest-physical address agree modulo 2 MiB and a huge page backs it. */
#define GUEST_MEM_HUGE_PAGE (2ULL << 20)

struct guest_mem {
    uint8_t *host;      /* start of the host mapping (all RAM, contiguous) */
    uint64_t size;      /* total bytes of guest RAM */
    uint64_t low_size;  /* bytes mapped at gpa 0 (<= GUEST_MEM_LOW_LIMIT) */
    uint64_t high_size; /* bytes mapped at GUEST_MEM_HIGH_BASE */
};

/* Split size bytes of RAM into the low and high regions (no mapping). */
static inline void guest_mem_layout(struct guest_mem *m, uint8_t *host,
                                    uint64_t size)
{
    m->host = host;
    m->size = size;
    m->low_size = size < GUEST_MEM_LOW_LIMIT ? size : GUEST_MEM_LOW_LIMIT;
    m->high_size = size - m->low_size;
}

/* x rounded up to a multiple of align (a power of two). */
static inline uint64_t guest_mem_align_up(uint64_t x, uint64_t align)
{
    return (x + align - 1) & ~(align - 1);
}

/* mmap gives no alignment beyond 4 KiB, so guest RAM is carved out of a
 * mapping one huge page longer than needed: given where that mapping (of
 * bytes + GUEST_MEM_HUGE_PAGE) landed, how much to unmap before and after
 * the 2 MiB-aligned stretch of bytes kept.  Both slots stay aligned: the
 * low one starts at gpa 0 and the high one GUEST_MEM_LOW_LIMIT (a multiple
 * of 2 MiB) further on, at gpa 4 GiB. */
struct guest_mem_trim {
    uint64_t head; /* bytes from the mapping's start to the aligned start */
    uint64_t tail; /* bytes after the kept stretch, to the mapping's end */
};

static inline struct guest_mem_trim guest_mem_trim_for(uint64_t mapped_at)
{
    struct guest_mem_trim t;
    t.head = guest_mem_align_up(mapped_at, GUEST_MEM_HUGE_PAGE) - mapped_at;
    t.tail = GUEST_MEM_HUGE_PAGE - t.head;
    return t;
}

/* 2 MiB pages needed to back size bytes of RAM with hugetlbfs pages. */
static inline uint64_t guest_mem_huge_pages(uint64_t size)
{
    return guest_mem_align_up(size, GUEST_MEM_HUGE_PAGE) / GUEST_MEM_HUGE_PAGE;
}

/* Host pointer for [gpa, gpa + len), or NULL when any byte of it is not RAM. */
static inline void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa,
                                  uint64_t len)
{
    if (gpa < m->low_size) {
        if (len > m->low_size - gpa)
            return NULL;
        return m->host + gpa;
    }
    if (gpa >= GUEST_MEM_HIGH_BASE && gpa - GUEST_MEM_HIGH_BASE < m->high_size) {
        uint64_t off = gpa - GUEST_MEM_HIGH_BASE;
        if (len > m->high_size - off)
            return NULL;
        return m->host + m->low_size + off;
    }
    return NULL;
}

static inline bool guest_mem_valid(const struct guest_mem *m, uint64_t gpa,
                                   uint64_t len)
{
    return guest_mem_ptr(m, gpa, len) != NULL;
}

#endif
