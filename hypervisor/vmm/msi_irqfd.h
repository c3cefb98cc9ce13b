/* msi_irqfd: MSI messages delivered through KVM irqfds instead of one
 * KVM_SIGNAL_MSI ioctl each.
 *
 * A device's MSI-X vector is an (address, data) message.  The first time a
 * message is sent it gets a GSI of its own, routed to that message
 * (KVM_SET_GSI_ROUTING: the irqchip's default routes for GSIs 0-23 plus
 * every MSI route so far) and an eventfd bound to the GSI (KVM_IRQFD);
 * from then on sending it is a write to the eventfd, which KVM turns into
 * the interrupt without the ioctl path.  A guest reprogramming a vector
 * just makes a new message, up to MSI_IRQFD_MAX of them; past that (or
 * when KVM refuses) messages go out by KVM_SIGNAL_MSI as before. */
#ifndef CORRAL_MSI_IRQFD_H
#define CORRAL_MSI_IRQFD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

#define MSI_IRQFD_MAX 128
#define MSI_IRQFD_FIRST_GSI 24 /* after the IOAPIC's pins */

struct msi_irqfd_route {
    uint64_t addr;
    uint32_t data;
    uint32_t gsi;
    int fd;
};

struct msi_irqfds {
    struct vm *vm;
    pthread_mutex_t lock;
    bool disabled; /* always KVM_SIGNAL_MSI (benchmarks, old KVM) */
    unsigned n;
    struct msi_irqfd_route routes[MSI_IRQFD_MAX];
    uint64_t sent_by_irqfd, sent_by_ioctl;
};

void msi_irqfds_init(struct msi_irqfds *t, struct vm *vm, bool disabled);
void msi_irqfds_destroy(struct msi_irqfds *t);
/* Deliver one message; from any thread. */
void msi_irqfds_signal(struct msi_irqfds *t, uint64_t addr, uint32_t data);

#endif
