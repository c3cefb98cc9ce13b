/* bus: the dispatch table for port-I/O and MMIO exits (see bus.h).
 *
 * A linear scan is enough: a VM has a few dozen ranges, and the hot virtio
 * paths (queue kicks) reach the I/O thread by ioeventfd without an exit. */
#include "bus.h"

#include <errno.h>
#include <string.h>

int bus_init(struct bus *b)
{
    memset(b, 0, sizeof(*b));
    return -pthread_rwlock_init(&b->lock, NULL);
}

void bus_destroy(struct bus *b)
{
    pthread_rwlock_destroy(&b->lock);
}

/* [base, base+len) with len >= 1 and no wrap past 2^64. */
static bool bus_range_ok(uint64_t base, uint64_t len)
{
    return len != 0 && base + (len - 1) >= base;
}

static bool bus_overlaps(const struct bus_range *r, enum bus_space space,
                         uint64_t base, uint64_t len)
{
    uint64_t last = base + (len - 1), r_last = r->base + (r->len - 1);
    return r->space == space && base <= r_last && r->base <= last;
}

static bool bus_contains(const struct bus_range *r, enum bus_space space,
                         uint64_t addr)
{
    return r->space == space && addr >= r->base && addr - r->base < r->len;
}

/* Caller holds the write lock. */
static bool bus_free_locked(const struct bus *b, enum bus_space space,
                            uint64_t base, uint64_t len,
                            const struct bus_range *skip)
{
    for (size_t i = 0; i < b->count; i++) {
        if (&b->ranges[i] == skip)
            continue;
        if (bus_overlaps(&b->ranges[i], space, base, len))
            return false;
    }
    return true;
}

int bus_register(struct bus *b, enum bus_space space, uint64_t base,
                 uint64_t len, bus_handler_fn fn, void *opaque,
                 const char *name)
{
    int rc = 0;
    if (!bus_range_ok(base, len) || !fn)
        return -EINVAL;
    pthread_rwlock_wrlock(&b->lock);
    if (b->count == BUS_MAX_RANGES)
        rc = -ENOSPC;
    else if (!bus_free_locked(b, space, base, len, NULL))
        rc = -EEXIST;
    else
        b->ranges[b->count++] = (struct bus_range){
            .space = space, .base = base, .len = len,
            .handler = fn, .opaque = opaque, .name = name,
        };
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

static struct bus_range *bus_find_locked(struct bus *b, enum bus_space space,
                                         uint64_t base, const void *opaque)
{
    for (size_t i = 0; i < b->count; i++) {
        struct bus_range *r = &b->ranges[i];
        if (r->space == space && r->base == base && r->opaque == opaque)
            return r;
    }
    return NULL;
}

int bus_unregister(struct bus *b, enum bus_space space, uint64_t base,
                   void *opaque)
{
    int rc = -ENOENT;
    pthread_rwlock_wrlock(&b->lock);
    struct bus_range *r = bus_find_locked(b, space, base, opaque);
    if (r) {
        *r = b->ranges[--b->count];
        rc = 0;
    }
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

int bus_move(struct bus *b, enum bus_space space, uint64_t old_base,
             uint64_t new_base, void *opaque)
{
    int rc = 0;
    pthread_rwlock_wrlock(&b->lock);
    struct bus_range *r = bus_find_locked(b, space, old_base, opaque);
    if (!r)
        rc = -ENOENT;
    else if (!bus_range_ok(new_base, r->len))
        rc = -EINVAL;
    else {
        /* The range may overlap its own old place, not anyone else's. */
        if (bus_free_locked(b, space, new_base, r->len, r))
            r->base = new_base;
        else
            rc = -EEXIST;
    }
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

int bus_dispatch(struct bus *b, enum bus_space space, uint64_t addr,
                 uint8_t *data, uint32_t len, bool is_write)
{
    bus_handler_fn fn = NULL;
    void *opaque = NULL;
    uint64_t offset = 0;

    pthread_rwlock_rdlock(&b->lock);
    for (size_t i = 0; i < b->count; i++) {
        const struct bus_range *r = &b->ranges[i];
        if (bus_contains(r, space, addr)) {
            fn = r->handler;
            opaque = r->opaque;
            offset = addr - r->base;
            break;
        }
    }
    pthread_rwlock_unlock(&b->lock);
    /* Called unlocked so that a handler may move its own BAR; a range
     * removed meanwhile is harmless because devices outlive the bus. */
    if (!fn)
        return -ENOENT;
    fn(opaque, offset, data, len, is_write);
    return 0;
}
