/* iothread: the VM's I/O thread, an epoll loop that runs device work off
 * the vCPU threads: tap devices becoming readable, ioeventfds a vCPU
 * signalled without leaving the kernel (queue notifications), timers
 * (rate limits).  Handlers run on the I/O thread and take their device's
 * own lock; a handler must not block.
 *
 * Registration may happen before or after iothread_start(), from any
 * thread (epoll_ctl is thread-safe); iothread_stop() wakes the loop through
 * an eventfd and joins it. */
#ifndef CORRAL_IOTHREAD_H
#define CORRAL_IOTHREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define IOTHREAD_MAX_SOURCES 128

typedef void (*iothread_fn)(void *ctx, uint32_t events);

struct iothread_source {
    int fd;
    iothread_fn fn;
    void *ctx;
};

struct iothread {
    int epoll_fd;
    int stop_fd; /* eventfd */
    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards the sources table */
    struct iothread_source sources[IOTHREAD_MAX_SOURCES];
};

int iothread_init(struct iothread *io);
/* Watch fd for events (EPOLLIN...); returns 0 or -errno. */
int iothread_add(struct iothread *io, int fd, uint32_t events, iothread_fn fn,
                 void *ctx);
/* Change the events watched on fd (0: none for now). */
int iothread_modify(struct iothread *io, int fd, uint32_t events);
int iothread_remove(struct iothread *io, int fd);
int iothread_start(struct iothread *io);
void iothread_stop(struct iothread *io);
void iothread_destroy(struct iothread *io);

#endif
