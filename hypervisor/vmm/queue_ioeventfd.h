/* queue_ioeventfd: virtio queue notifications through KVM ioeventfds, so
 * that a guest kicking a queue costs no exit to user space and the queue
 * is processed on the I/O thread instead of the vCPU that kicked it.
 *
 * Each queue's notify register (a 2-byte write at its address in BAR 0)
 * gets an eventfd registered with KVM_IOEVENTFD; the I/O thread reads the
 * eventfd and calls virtio_pci_notify_queue() (a disk's queues go to the
 * disk's own I/O thread instead).  When the guest moves BAR 0
 * the eventfds follow it; while the BAR is unmapped they are detached.  A
 * write KVM does not match (another width) still reaches the device the
 * slow way, through the bus. */
#ifndef CORRAL_QUEUE_IOEVENTFD_H
#define CORRAL_QUEUE_IOEVENTFD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "iothread.h"
#include "virtio_pci.h"
#include "vm.h"

#define QUEUE_IOEVENTFD_MAX 64

struct queue_ioeventfd {
    struct vm *vm;
    struct virtio_pci_dev *vdev;
    struct iothread *io; /* the thread that serves this queue */
    uint16_t queue;
    int fd;
    uint64_t gpa; /* where it is attached; 0: not attached */
};

struct queue_ioeventfds {
    struct vm *vm;
    struct iothread *io;
    pthread_mutex_t lock;
    unsigned n;
    struct queue_ioeventfd e[QUEUE_IOEVENTFD_MAX];
};

void queue_ioeventfds_init(struct queue_ioeventfds *t, struct vm *vm,
                           struct iothread *io);
/* One ioeventfd per queue of vdev, served on io (NULL: the table's I/O
 * thread; a disk passes its own).  Returns 0 or -errno. */
int queue_ioeventfds_attach(struct queue_ioeventfds *t,
                            struct virtio_pci_dev *vdev, struct iothread *io);
void queue_ioeventfds_destroy(struct queue_ioeventfds *t);

#endif
