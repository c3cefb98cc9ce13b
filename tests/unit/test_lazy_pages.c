/* lazy_pages: zeroes, and only the pages written become resident (what
 * keeps the machine's idle parts out of the VMM's RSS, issue 19). */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "../../hypervisor/vmm/lazy_pages.h"

#define PAGES 64

static size_t resident_pages(void *p, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char vec[PAGES];
    if (mincore(p, len, vec) != 0)
        return SIZE_MAX;
    size_t n = 0;
    for (size_t i = 0; i < (len + page - 1) / page; i++)
        n += vec[i] & 1;
    return n;
}

static void test_zero_and_resident_only_where_written(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = PAGES * page;
    unsigned char *p = lazy_pages_alloc(len);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_EQ_INT((uintptr_t)p % page, 0);
    CHECK_EQ_INT(resident_pages(p, len), 0);
    p[3 * page + 17] = 0xa5;
    p[40 * page] = 1;
    CHECK_EQ_INT(resident_pages(p, len), 2);
    size_t nonzero = 0;
    for (size_t i = 0; i < len; i++)
        nonzero += p[i] != 0;
    CHECK_EQ_INT(nonzero, 2); /* (last: mincore counts pages mapped by a read) */
    lazy_pages_free(p, len);
}

static void test_free_null(void)
{
    lazy_pages_free(NULL, 4096); /* a failed allocation's cleanup */
    CHECK(1);
}

int main(void)
{
    RUN(test_zero_and_resident_only_where_written);
    RUN(test_free_null);
    return check_summary("lazy_pages");
}
