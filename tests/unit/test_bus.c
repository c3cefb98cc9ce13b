/* bus: registration, overlap, dispatch with offsets, move, unregister. */
#include <errno.h>

#include "check.h"
#include "../../hypervisor/vmm/bus.h"

struct dev { uint64_t last_offset; uint32_t calls; uint8_t value; };

static void dev_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                   bool is_write)
{
    struct dev *d = opaque;
    d->last_offset = offset;
    d->calls++;
    if (is_write)
        d->value = data[0];
    else
        for (uint32_t i = 0; i < len; i++)
            data[i] = d->value;
}

static void test_register_dispatch(void)
{
    struct bus b;
    struct dev a = { 0 }, c = { 0 };
    uint8_t data[8] = { 0x42 };
    CHECK_EQ_INT(bus_init(&b), 0);
    CHECK_EQ_INT(bus_register(&b, BUS_PIO, 0x3f8, 8, dev_io, &a, "a"), 0);
    CHECK_EQ_INT(bus_register(&b, BUS_MMIO, 0x3f8, 8, dev_io, &c, "c"), 0);
    CHECK_EQ_INT(bus_register(&b, BUS_PIO, 0x3ff, 1, dev_io, &c, "x"), -EEXIST);
    CHECK_EQ_INT(bus_register(&b, BUS_PIO, 0x3f0, 9, dev_io, &c, "x"), -EEXIST);
    CHECK_EQ_INT(bus_register(&b, BUS_PIO, 0x3f0, 8, dev_io, &c, "ok"), 0);
    CHECK_EQ_INT(bus_register(&b, BUS_PIO, 0, 0, dev_io, &c, "empty"), -EINVAL);
    CHECK_EQ_INT(bus_register(&b, BUS_MMIO, UINT64_MAX, 2, dev_io, &c, "wrap"), -EINVAL);
    CHECK_EQ_INT(bus_register(&b, BUS_MMIO, UINT64_MAX, 1, dev_io, &c, "top"), 0);
    CHECK_EQ_INT(bus_dispatch(&b, BUS_PIO, 0x3fd, data, 1, true), 0);
    CHECK_EQ_INT(a.last_offset, 5);
    CHECK_EQ_INT(a.value, 0x42);
    CHECK_EQ_INT(bus_dispatch(&b, BUS_PIO, 0x400, data, 1, false), -ENOENT);
    CHECK_EQ_INT(bus_dispatch(&b, BUS_MMIO, UINT64_MAX, data, 1, false), 0);
    bus_destroy(&b);
}

static void test_move_unregister(void)
{
    struct bus b;
    struct dev a = { 0 }, c = { 0 };
    uint8_t data[4] = { 0 };
    CHECK_EQ_INT(bus_init(&b), 0);
    CHECK_EQ_INT(bus_register(&b, BUS_MMIO, 0xc0000000, 0x1000, dev_io, &a, "bar"), 0);
    CHECK_EQ_INT(bus_register(&b, BUS_MMIO, 0xc0002000, 0x1000, dev_io, &c, "other"), 0);
    CHECK_EQ_INT(bus_move(&b, BUS_MMIO, 0xc0000000, 0xc0002800, &a), -EEXIST);
    CHECK_EQ_INT(bus_move(&b, BUS_MMIO, 0xc0000000, 0xc0000800, &a), 0); /* overlaps itself */
    CHECK_EQ_INT(bus_move(&b, BUS_MMIO, 0xc0000800, 0xd0000000, &a), 0);
    CHECK_EQ_INT(bus_move(&b, BUS_MMIO, 0xc0000800, 0xe0000000, &a), -ENOENT);
    CHECK_EQ_INT(bus_move(&b, BUS_MMIO, 0xd0000000, UINT64_MAX, &a), -EINVAL);
    CHECK_EQ_INT(bus_dispatch(&b, BUS_MMIO, 0xc0000000, data, 4, false), -ENOENT);
    CHECK_EQ_INT(bus_dispatch(&b, BUS_MMIO, 0xd0000010, data, 4, false), 0);
    CHECK_EQ_INT(a.last_offset, 0x10);
    CHECK_EQ_INT(bus_unregister(&b, BUS_MMIO, 0xd0000000, &c), -ENOENT); /* not c's */
    CHECK_EQ_INT(bus_unregister(&b, BUS_MMIO, 0xd0000000, &a), 0);
    CHECK_EQ_INT(bus_dispatch(&b, BUS_MMIO, 0xd0000010, data, 4, false), -ENOENT);
    CHECK_EQ_INT(bus_dispatch(&b, BUS_MMIO, 0xc0002000, data, 4, false), 0);
    bus_destroy(&b);
}

static void test_full(void)
{
    struct bus b;
    struct dev a = { 0 };
    CHECK_EQ_INT(bus_init(&b), 0);
    for (uint64_t i = 0; i < BUS_MAX_RANGES; i++)
        CHECK_EQ_INT(bus_register(&b, BUS_PIO, i * 4, 4, dev_io, &a, "r"), 0);
    CHECK_EQ_INT(bus_register(&b, BUS_PIO, 0x10000, 4, dev_io, &a, "r"), -ENOSPC);
    bus_destroy(&b);
}

int main(void)
{
    RUN(test_register_dispatch);
    RUN(test_move_unregister);
    RUN(test_full);
    return check_summary("bus");
}
