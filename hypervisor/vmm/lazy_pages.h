/* lazy_pages: zero-filled memory for the VMM's large, mostly idle state
 * (the machine, the parsed definition), on its own anonymous pages: a page
 * becomes resident only when written, where a static object that is
 * memset (or a calloc'ed one) is resident whole.  The machine's devices
 * and vCPU slots a VM does not have then cost it nothing (issue 19: the
 * VMM's RSS beyond guest RAM). */
#ifndef CORRAL_LAZY_PAGES_H
#define CORRAL_LAZY_PAGES_H

#include <stddef.h>

/* len bytes of zeroes, page-aligned; NULL (errno set) on failure. */
void *lazy_pages_alloc(size_t len);
void lazy_pages_free(void *p, size_t len);

#endif
