/* obj_cache: objects of one size that a device allocates and frees per
 * request, kept when freed and handed out again instead of going back to
 * the allocator.
 *
 * Why: musl's allocator (mallocng) gives an emptied group of slots back to
 * the kernel at once, and serves allocations of a few KiB from mappings of
 * their own, so a disk request's header and segments (up to 4 KiB) and a
 * joined submission's segment list (up to 16 KiB) cost an mmap and an
 * munmap each.  In the VMM every munmap is a TLB shootdown: an IPI to each
 * CPU that runs one of its threads, and a vCPU thread that is running the
 * guest leaves it to take that IPI (under nested virtualization, a full
 * #VMEXIT).  With the objects kept, the steady state allocates nothing.
 *
 * A cache keeps at most max_kept objects (what a device has in flight at
 * once, at the depths it is measured at); one freed beyond that goes back
 * to the allocator.  Not thread-safe: a device uses its caches under its
 * lock. */
#ifndef CORRAL_OBJ_CACHE_H
#define CORRAL_OBJ_CACHE_H

#include <stddef.h>

struct obj_cache {
    size_t size;        /* of every object, at least a pointer's */
    unsigned max_kept;
    unsigned kept;      /* objects on the free list */
    unsigned allocated; /* objects the allocator gave out, kept ones too */
    void *free_list;    /* linked through each kept object's first bytes */
};

void obj_cache_init(struct obj_cache *c, size_t size, unsigned max_kept);

/* An object of c->size bytes (its contents undefined), or NULL when the
 * allocator has none. */
void *obj_cache_get(struct obj_cache *c);

/* Gives p (from obj_cache_get on c, or NULL) back: kept, or freed when the
 * cache is full. */
void obj_cache_put(struct obj_cache *c, void *p);

/* Frees every kept object (the device goes away). */
void obj_cache_drain(struct obj_cache *c);

/* Requests of a header and up to max_items items after it (a device's
 * request with its segments), from two caches: small ones, for up to
 * small_items (a 4 KiB request has one segment), and full ones, so that a
 * small request keeps a small object resident rather than a 4 KiB one.
 * put takes the same items count get was given. */
struct obj_caches {
    size_t head, item;
    unsigned small_items, max_items;
    struct obj_cache small, full;
};

void obj_caches_init(struct obj_caches *c, size_t head, size_t item, unsigned small_items,
                     unsigned max_items, unsigned max_kept);
/* NULL when items > max_items or the allocator has none. */
void *obj_caches_get(struct obj_caches *c, unsigned items);
void obj_caches_put(struct obj_caches *c, void *p, unsigned items);
void obj_caches_drain(struct obj_caches *c);

#endif
