/* iothread: the VM's epoll-driven I/O thread (see iothread.h). */
#include "iothread.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define IOTHREAD_BATCH 32

int iothread_init(struct iothread *io)
{
    memset(io, 0, sizeof(*io));
    pthread_mutex_init(&io->lock, NULL);
    for (unsigned i = 0; i < IOTHREAD_MAX_SOURCES; i++)
        io->sources[i].fd = -1;
    io->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    io->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (io->epoll_fd < 0 || io->stop_fd < 0)
        return -errno;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
    return epoll_ctl(io->epoll_fd, EPOLL_CTL_ADD, io->stop_fd, &ev) < 0 ? -errno : 0;
}

int iothread_add(struct iothread *io, int fd, uint32_t events, iothread_fn fn,
                 void *ctx)
{
    pthread_mutex_lock(&io->lock);
    unsigned slot = 0;
    while (slot < IOTHREAD_MAX_SOURCES && io->sources[slot].fd >= 0)
        slot++;
    int rc = -ENOSPC;
    if (slot < IOTHREAD_MAX_SOURCES) {
        io->sources[slot] = (struct iothread_source){ fd, fn, ctx };
        struct epoll_event ev = { .events = events, .data.u32 = slot };
        rc = epoll_ctl(io->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
        if (rc < 0)
            io->sources[slot].fd = -1;
    }
    pthread_mutex_unlock(&io->lock);
    return rc;
}

static int iothread_slot_of(struct iothread *io, int fd)
{
    for (unsigned i = 0; i < IOTHREAD_MAX_SOURCES; i++)
        if (io->sources[i].fd == fd)
            return (int)i;
    return -1;
}

int iothread_modify(struct iothread *io, int fd, uint32_t events)
{
    pthread_mutex_lock(&io->lock);
    int slot = iothread_slot_of(io, fd), rc = -ENOENT;
    if (slot >= 0) {
        struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)slot };
        rc = epoll_ctl(io->epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
    }
    pthread_mutex_unlock(&io->lock);
    return rc;
}

int iothread_remove(struct iothread *io, int fd)
{
    pthread_mutex_lock(&io->lock);
    int slot = iothread_slot_of(io, fd), rc = -ENOENT;
    if (slot >= 0) {
        rc = epoll_ctl(io->epoll_fd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
        io->sources[slot].fd = -1;
    }
    pthread_mutex_unlock(&io->lock);
    return rc;
}

static void iothread_dispatch(struct iothread *io, uint32_t slot, uint32_t events)
{
    pthread_mutex_lock(&io->lock);
    struct iothread_source s = io->sources[slot];
    pthread_mutex_unlock(&io->lock);
    if (s.fd >= 0)
        s.fn(s.ctx, events);
}

static void *iothread_main(void *arg)
{
    struct iothread *io = arg;
    for (;;) {
        struct epoll_event ev[IOTHREAD_BATCH];
        int n = epoll_wait(io->epoll_fd, ev, IOTHREAD_BATCH, -1);
        if (n < 0 && errno != EINTR)
            return NULL;
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u32 == UINT32_MAX)
                return NULL; /* stop */
            if (ev[i].data.u32 < IOTHREAD_MAX_SOURCES)
                iothread_dispatch(io, ev[i].data.u32, ev[i].events);
        }
    }
}

int iothread_start(struct iothread *io)
{
    int rc = pthread_create(&io->thread, NULL, iothread_main, io);
    io->started = rc == 0;
    return -rc;
}

void iothread_stop(struct iothread *io)
{
    if (!io->started)
        return;
    uint64_t one = 1;
    if (write(io->stop_fd, &one, sizeof(one)) < 0) {
        /* an eventfd write cannot fail short of overflow */
    }
    pthread_join(io->thread, NULL);
    io->started = false;
}

void iothread_destroy(struct iothread *io)
{
    iothread_stop(io);
    if (io->epoll_fd >= 0)
        close(io->epoll_fd);
    if (io->stop_fd >= 0)
        close(io->stop_fd);
    pthread_mutex_destroy(&io->lock);
}
