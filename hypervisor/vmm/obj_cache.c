/* obj_cache: freed objects kept for reuse (see obj_cache.h). */
#include "obj_cache.h"

#include <stdlib.h>
#include <string.h>

void obj_cache_init(struct obj_cache *c, size_t size, unsigned max_kept)
{
    *c = (struct obj_cache){ .size = size < sizeof(void *) ? sizeof(void *) : size,
                             .max_kept = max_kept };
}

void *obj_cache_get(struct obj_cache *c)
{
    void *p = c->free_list;
    if (p) {
        memcpy(&c->free_list, p, sizeof(void *));
        c->kept--;
        return p;
    }
    p = malloc(c->size);
    c->allocated += p != NULL;
    return p;
}

void obj_cache_put(struct obj_cache *c, void *p)
{
    if (!p)
        return;
    if (c->kept >= c->max_kept) {
        free(p);
        c->allocated--;
        return;
    }
    memcpy(p, &c->free_list, sizeof(void *));
    c->free_list = p;
    c->kept++;
}

void obj_cache_drain(struct obj_cache *c)
{
    while (c->free_list) {
        void *p = c->free_list;
        memcpy(&c->free_list, p, sizeof(void *));
        free(p);
        c->allocated--;
    }
    c->kept = 0;
}

void obj_caches_init(struct obj_caches *c, size_t head, size_t item, unsigned small_items,
                     unsigned max_items, unsigned max_kept)
{
    *c = (struct obj_caches){ .head = head, .item = item, .small_items = small_items,
                              .max_items = max_items };
    obj_cache_init(&c->small, head + small_items * item, max_kept);
    obj_cache_init(&c->full, head + max_items * item, max_kept);
}

static struct obj_cache *obj_caches_for(struct obj_caches *c, unsigned items)
{
    return items <= c->small_items ? &c->small : &c->full;
}

void *obj_caches_get(struct obj_caches *c, unsigned items)
{
    return items > c->max_items ? NULL : obj_cache_get(obj_caches_for(c, items));
}

void obj_caches_put(struct obj_caches *c, void *p, unsigned items)
{
    obj_cache_put(obj_caches_for(c, items), p);
}

void obj_caches_drain(struct obj_caches *c)
{
    obj_cache_drain(&c->small);
    obj_cache_drain(&c->full);
}
