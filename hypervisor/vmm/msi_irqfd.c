/* msi_irqfd: MSI through irqfds (see msi_irqfd.h). */
#include "msi_irqfd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define IOAPIC_PINS 24
#define PIC_PINS 16

void msi_irqfds_init(struct msi_irqfds *t, struct vm *vm, bool disabled)
{
    memset(t, 0, sizeof(*t));
    t->vm = vm;
    t->disabled = disabled;
    pthread_mutex_init(&t->lock, NULL);
}

void msi_irqfds_destroy(struct msi_irqfds *t)
{
    for (unsigned i = 0; i < t->n; i++)
        close(t->routes[i].fd);
    t->n = 0;
    pthread_mutex_destroy(&t->lock);
}

/* What KVM_CREATE_IRQCHIP set up (setting the table replaces it all):
 * GSIs 0-15 to the PICs and the IOAPIC, 16-23 to the IOAPIC. */
static unsigned msi_irqfds_default_routes(struct kvm_irq_routing_entry *e)
{
    unsigned n = 0;
    for (uint32_t gsi = 0; gsi < IOAPIC_PINS; gsi++) {
        if (gsi < PIC_PINS)
            e[n++] = (struct kvm_irq_routing_entry){
                .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
                .u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
                                                  : KVM_IRQCHIP_PIC_SLAVE,
                               .pin = gsi % 8 },
            };
        e[n++] = (struct kvm_irq_routing_entry){
            .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
            .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi },
        };
    }
    return n;
}

/* Lock held: the full table with the routes so far plus extra. */
static int msi_irqfds_set_routing(struct msi_irqfds *t,
                                  const struct msi_irqfd_route *extra)
{
    size_t max = PIC_PINS + IOAPIC_PINS + MSI_IRQFD_MAX;
    struct kvm_irq_routing *r = calloc(1, sizeof(*r) + max * sizeof(r->entries[0]));
    if (!r)
        return -ENOMEM;
    unsigned n = msi_irqfds_default_routes(r->entries);
    for (unsigned i = 0; i <= t->n; i++) {
        const struct msi_irqfd_route *m = i < t->n ? &t->routes[i] : extra;
        r->entries[n++] = (struct kvm_irq_routing_entry){
            .gsi = m->gsi, .type = KVM_IRQ_ROUTING_MSI,
            .u.msi = { .address_lo = (uint32_t)m->addr,
                       .address_hi = (uint32_t)(m->addr >> 32), .data = m->data },
        };
    }
    r->nr = n;
    int rc = ioctl(t->vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0 ? -errno : 0;
    free(r);
    return rc;
}

/* Lock held: a GSI, route and irqfd for a new message; NULL when full or
 * KVM refuses (the caller then uses the ioctl). */
static struct msi_irqfd_route *msi_irqfds_add(struct msi_irqfds *t,
                                              uint64_t addr, uint32_t data)
{
    if (t->n == MSI_IRQFD_MAX)
        return NULL;
    struct msi_irqfd_route m = {
        .addr = addr, .data = data, .gsi = MSI_IRQFD_FIRST_GSI + t->n,
        .fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
    };
    if (m.fd < 0)
        return NULL;
    struct kvm_irqfd irqfd = { .fd = (uint32_t)m.fd, .gsi = m.gsi };
    if (msi_irqfds_set_routing(t, &m) < 0 ||
        ioctl(t->vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
        close(m.fd);
        t->disabled = true; /* do not retry for every interrupt */
        vm_log(t->vm, "irqfd unavailable (%s): MSI by ioctl", strerror(errno));
        return NULL;
    }
    t->routes[t->n] = m;
    return &t->routes[t->n++];
}

static struct msi_irqfd_route *msi_irqfds_find(struct msi_irqfds *t,
                                               uint64_t addr, uint32_t data)
{
    for (unsigned i = 0; i < t->n; i++)
        if (t->routes[i].addr == addr && t->routes[i].data == data)
            return &t->routes[i];
    return NULL;
}

void msi_irqfds_signal(struct msi_irqfds *t, uint64_t addr, uint32_t data)
{
    int fd = -1;
    pthread_mutex_lock(&t->lock);
    if (!t->disabled) {
        struct msi_irqfd_route *m = msi_irqfds_find(t, addr, data);
        if (!m)
            m = msi_irqfds_add(t, addr, data);
        fd = m ? m->fd : -1;
    }
    if (fd >= 0)
        t->sent_by_irqfd++;
    else
        t->sent_by_ioctl++;
    pthread_mutex_unlock(&t->lock);
    uint64_t one = 1;
    if (fd < 0 || write(fd, &one, sizeof(one)) != sizeof(one))
        vm_signal_msi(t->vm, addr, data);
}
