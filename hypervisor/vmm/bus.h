/* bus: the one table every VM exit for port I/O and MMIO dispatches through.
 *
 * A device registers a range [base, base + len) in one address space with a
 * handler; bus_dispatch() finds the range and calls the handler with the
 * offset inside it.  Ranges may be moved or removed while vCPUs run (a guest
 * or firmware reprogramming a PCI BAR), so the table is guarded by a
 * read-write lock.  Handlers are called without any bus lock held for
 * writing; each device serialises its own state. */
#ifndef CORRAL_BUS_H
#define CORRAL_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bus_space { BUS_PIO, BUS_MMIO };

/* data holds len bytes (1, 2, 4 or 8): filled by the handler on a read,
 * the guest's value on a write (little endian). */
typedef void (*bus_handler_fn)(void *opaque, uint64_t offset, uint8_t *data,
                               uint32_t len, bool is_write);

#define BUS_MAX_RANGES 128

struct bus_range {
    enum bus_space space;
    uint64_t base, len;
    bus_handler_fn handler;
    void *opaque;
    const char *name; /* for -v logging and error messages */
};

struct bus {
    pthread_rwlock_t lock;
    struct bus_range ranges[BUS_MAX_RANGES];
    size_t count;
};

int bus_init(struct bus *b);
void bus_destroy(struct bus *b);
/* Returns 0, -EEXIST when it overlaps another range, -ENOSPC when full. */
int bus_register(struct bus *b, enum bus_space space, uint64_t base,
                 uint64_t len, bus_handler_fn fn, void *opaque,
                 const char *name);
/* Removes the range registered with this handler/opaque at base. */
int bus_unregister(struct bus *b, enum bus_space space, uint64_t base,
                   void *opaque);
/* Move a registered range (BAR reprogramming). */
int bus_move(struct bus *b, enum bus_space space, uint64_t old_base,
             uint64_t new_base, void *opaque);
/* Returns 0 when a handler took the access, -ENOENT when nothing is mapped
 * there (the caller then reads all-ones and ignores writes). */
int bus_dispatch(struct bus *b, enum bus_space space, uint64_t addr,
                 uint8_t *data, uint32_t len, bool is_write);

#endif
