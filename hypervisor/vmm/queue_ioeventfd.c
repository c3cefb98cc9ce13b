/* queue_ioeventfd: virtio notifications by ioeventfd (see queue_ioeventfd.h). */
#include "queue_ioeventfd.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Linux's virtio-pci driver writes the queue index with iowrite16. */
#define QUEUE_NOTIFY_WIDTH 2

void queue_ioeventfds_init(struct queue_ioeventfds *t, struct vm *vm,
                           struct iothread *io)
{
    memset(t, 0, sizeof(*t));
    t->vm = vm;
    t->io = io;
    pthread_mutex_init(&t->lock, NULL);
}

static int queue_ioeventfd_kvm(struct queue_ioeventfd *e, uint64_t gpa,
                               bool assign)
{
    struct kvm_ioeventfd req = {
        .addr = gpa, .len = QUEUE_NOTIFY_WIDTH, .fd = e->fd,
        .flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
    };
    return ioctl(e->vm->vm_fd, KVM_IOEVENTFD, &req) < 0 ? -errno : 0;
}

/* Follow the notify register to where it is now. */
static void queue_ioeventfd_place(struct queue_ioeventfd *e)
{
    uint64_t gpa = virtio_pci_notify_gpa(e->vdev, e->queue);
    if (gpa == e->gpa)
        return;
    if (e->gpa)
        queue_ioeventfd_kvm(e, e->gpa, false);
    e->gpa = 0;
    if (gpa && queue_ioeventfd_kvm(e, gpa, true) == 0)
        e->gpa = gpa;
}

static void queue_ioeventfds_moved(void *ctx, struct virtio_pci_dev *vdev)
{
    struct queue_ioeventfds *t = ctx;
    pthread_mutex_lock(&t->lock);
    for (unsigned i = 0; i < t->n; i++)
        if (t->e[i].vdev == vdev)
            queue_ioeventfd_place(&t->e[i]);
    pthread_mutex_unlock(&t->lock);
}

static void queue_ioeventfd_ready(void *ctx, uint32_t events)
{
    struct queue_ioeventfd *e = ctx;
    uint64_t count;
    if (read(e->fd, &count, sizeof(count)) == sizeof(count))
        virtio_pci_notify_queue(e->vdev, e->queue);
}

int queue_ioeventfds_attach(struct queue_ioeventfds *t,
                            struct virtio_pci_dev *vdev, struct iothread *io)
{
    int rc = 0;
    if (!io)
        io = t->io;
    pthread_mutex_lock(&t->lock);
    for (uint16_t q = 0; q < vdev->cfg.num_queues && rc == 0; q++) {
        if (t->n == QUEUE_IOEVENTFD_MAX) {
            rc = -ENOSPC;
            break;
        }
        struct queue_ioeventfd *e = &t->e[t->n];
        *e = (struct queue_ioeventfd){ .vm = t->vm, .vdev = vdev, .io = io,
                                       .queue = q };
        e->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (e->fd < 0) {
            rc = -errno;
            break;
        }
        rc = iothread_add(io, e->fd, EPOLLIN, queue_ioeventfd_ready, e);
        if (rc < 0) {
            close(e->fd);
            break;
        }
        t->n++;
        queue_ioeventfd_place(e);
        if (!e->gpa)
            rc = -EIO; /* KVM refused: the caller falls back to exits */
    }
    pthread_mutex_unlock(&t->lock);
    /* Even after a failure: the queues attached so far must follow BAR 0. */
    virtio_pci_set_notify_moved(vdev, queue_ioeventfds_moved, t);
    return rc;
}

void queue_ioeventfds_destroy(struct queue_ioeventfds *t)
{
    for (unsigned i = 0; i < t->n; i++) {
        struct queue_ioeventfd *e = &t->e[i];
        if (e->gpa)
            queue_ioeventfd_kvm(e, e->gpa, false);
        iothread_remove(e->io, e->fd);
        close(e->fd);
    }
    t->n = 0;
    pthread_mutex_destroy(&t->lock);
}
