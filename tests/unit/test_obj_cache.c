/* Unit tests for obj_cache.h: freed objects come back (the last freed
 * first), at most max_kept are kept, a drain frees them all; ASan catches a
 * leak or a double free. */
#include "check.h"
#include "../../hypervisor/vmm/obj_cache.h"

static void test_a_freed_object_is_handed_out_again(void)
{
    struct obj_cache c;
    obj_cache_init(&c, 4096, 4);
    char *a = obj_cache_get(&c), *b = obj_cache_get(&c);
    CHECK(a && b && a != b);
    memset(a, 0xa5, 4096); /* the whole size is the caller's */
    CHECK_EQ_INT(c.allocated, 2);
    obj_cache_put(&c, a);
    obj_cache_put(&c, b);
    CHECK_EQ_INT(c.kept, 2);
    CHECK(obj_cache_get(&c) == b); /* last in, first out: still warm */
    CHECK(obj_cache_get(&c) == a);
    CHECK_EQ_INT(c.kept, 0);
    CHECK_EQ_INT(c.allocated, 2); /* nothing new was allocated */
    obj_cache_put(&c, a);
    obj_cache_put(&c, b);
    obj_cache_drain(&c);
    CHECK_EQ_INT(c.kept, 0);
    CHECK_EQ_INT(c.allocated, 0);
}

/* More in flight than max_kept: the excess goes back to the allocator. */
static void test_keeps_at_most_max_kept(void)
{
    struct obj_cache c;
    void *p[10];
    obj_cache_init(&c, 100, 3);
    for (int i = 0; i < 10; i++)
        CHECK((p[i] = obj_cache_get(&c)) != NULL);
    CHECK_EQ_INT(c.allocated, 10);
    for (int i = 0; i < 10; i++)
        obj_cache_put(&c, p[i]);
    CHECK_EQ_INT(c.kept, 3);
    CHECK_EQ_INT(c.allocated, 3);
    obj_cache_drain(&c);
    CHECK_EQ_INT(c.allocated, 0);
}

/* Objects smaller than the link still work; NULL is ignored. */
static void test_tiny_objects_and_null(void)
{
    struct obj_cache c;
    obj_cache_init(&c, 1, 2);
    CHECK(c.size >= sizeof(void *));
    void *a = obj_cache_get(&c);
    obj_cache_put(&c, NULL);
    CHECK_EQ_INT(c.kept, 0);
    obj_cache_put(&c, a);
    CHECK(obj_cache_get(&c) == a);
    obj_cache_put(&c, a);
    obj_cache_drain(&c);
    obj_cache_drain(&c); /* twice: nothing left */
    CHECK_EQ_INT(c.allocated, 0);
}

/* Two sizes: a small request reuses a small object, a large one a full
 * one; more items than the most is refused. */
static void test_two_sizes(void)
{
    struct obj_caches c;
    obj_caches_init(&c, 64, 16, 4, 256, 8);
    CHECK_EQ_INT(c.small.size, 64 + 4 * 16);
    CHECK_EQ_INT(c.full.size, 64 + 256 * 16);
    char *one = obj_caches_get(&c, 1), *many = obj_caches_get(&c, 256);
    CHECK(one && many);
    memset(many, 0, 64 + 256 * 16);
    memset(one, 0, 64 + 4 * 16);
    CHECK(obj_caches_get(&c, 257) == NULL);
    obj_caches_put(&c, one, 1);
    obj_caches_put(&c, many, 256);
    CHECK_EQ_INT(c.small.kept, 1);
    CHECK_EQ_INT(c.full.kept, 1);
    CHECK(obj_caches_get(&c, 4) == one);
    CHECK(obj_caches_get(&c, 5) == many);
    obj_caches_put(&c, one, 4);
    obj_caches_put(&c, many, 5);
    obj_caches_drain(&c);
    CHECK_EQ_INT(c.small.allocated + c.full.allocated, 0);
}

int main(void)
{
    RUN(test_a_freed_object_is_handed_out_again);
    RUN(test_keeps_at_most_max_kept);
    RUN(test_tiny_objects_and_null);
    RUN(test_two_sizes);
    return check_summary("obj_cache");
}
