/* guest_mem: the 2 MiB alignment arithmetic behind huge-page-backed guest
 * RAM, and the address checks device code relies on. */
#include "check.h"
#include "../../hypervisor/vmm/guest_mem.h"

#define MIB (1ULL << 20)

static void test_align_up(void)
{
    CHECK_EQ_INT(guest_mem_align_up(0, 2 * MIB), 0);
    CHECK_EQ_INT(guest_mem_align_up(1, 2 * MIB), 2 * MIB);
    CHECK_EQ_INT(guest_mem_align_up(2 * MIB, 2 * MIB), 2 * MIB);
    CHECK_EQ_INT(guest_mem_align_up(2 * MIB + 4096, 2 * MIB), 4 * MIB);
    CHECK_EQ_INT(guest_mem_align_up(257 * MIB, GUEST_MEM_HUGE_PAGE), 258 * MIB);
}

/* Wherever mmap put the oversized mapping, what stays is aligned, lies
 * inside it, and head + kept + tail is the whole mapping. */
static void check_trim(uint64_t mapped_at, uint64_t bytes)
{
    struct guest_mem_trim t = guest_mem_trim_for(mapped_at);
    uint64_t start = mapped_at + t.head;
    CHECK_EQ_INT(start % GUEST_MEM_HUGE_PAGE, 0);
    CHECK(t.head < GUEST_MEM_HUGE_PAGE);
    CHECK_EQ_INT(t.head + bytes + t.tail, bytes + GUEST_MEM_HUGE_PAGE);
    CHECK_EQ_INT(t.head % 4096, 0);
    CHECK_EQ_INT(t.tail % 4096, 0);
}

static void test_trim(void)
{
    check_trim(0x7f0000000000ULL, 256 * MIB);            /* already aligned */
    check_trim(0x7f0000001000ULL, 256 * MIB);            /* one page past */
    check_trim(0x7f00001ff000ULL, 257 * MIB);            /* one page short */
    check_trim(0x7f1234567000ULL, 5000 * MIB);
    struct guest_mem_trim t = guest_mem_trim_for(0x7f0000000000ULL);
    CHECK_EQ_INT(t.head, 0);
    CHECK_EQ_INT(t.tail, 2 * MIB);
    t = guest_mem_trim_for(0x7f0000101000ULL);
    CHECK_EQ_INT(t.head, 0xff000);
    CHECK_EQ_INT(t.tail, 0x101000);
}

/* Both KVM slots start 2 MiB-aligned in host memory when the mapping does:
 * the high one begins GUEST_MEM_LOW_LIMIT bytes in. */
static void test_slots_stay_aligned(void)
{
    struct guest_mem m;
    guest_mem_layout(&m, (uint8_t *)(uintptr_t)0x7f0000200000ULL, 5000 * MIB);
    CHECK_EQ_INT(m.low_size % GUEST_MEM_HUGE_PAGE, 0);
    uint8_t *high = guest_mem_ptr(&m, GUEST_MEM_HIGH_BASE, 1);
    CHECK((uintptr_t)high % GUEST_MEM_HUGE_PAGE == 0);
    CHECK(guest_mem_ptr(&m, GUEST_MEM_LOW_LIMIT, 1) == NULL); /* the PCI hole */
}

static void test_huge_pages_needed(void)
{
    CHECK_EQ_INT(guest_mem_huge_pages(256 * MIB), 128);
    CHECK_EQ_INT(guest_mem_huge_pages(257 * MIB), 129);
    CHECK_EQ_INT(guest_mem_huge_pages(16 * MIB), 8);
    CHECK_EQ_INT(guest_mem_huge_pages((uint64_t)4 << 40), 2 * 1024 * 1024);
}

int main(void)
{
    RUN(test_align_up);
    RUN(test_trim);
    RUN(test_slots_stay_aligned);
    RUN(test_huge_pages_needed);
    return check_summary("guest_mem");
}
