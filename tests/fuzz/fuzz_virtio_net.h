/* A virtio-net device on a fake tap, for the fuzz targets of its transmit
 * (fuzz_virtio_net.c) and receive (fuzz_virtio_net_rx.c) paths.  The tap
 * is a datagram socket pair, one frame per datagram as a tap gives them:
 * the device holds one end, the fuzzer writes or reads the other. */
#ifndef CORRAL_FUZZ_VIRTIO_NET_H
#define CORRAL_FUZZ_VIRTIO_NET_H

#include <stdlib.h>
#include <sys/socket.h>

#include "../../hypervisor/vmm/virtio_net.h"
#include "fuzz_vpci_access.h"

struct fuzz_net {
    struct pci_platform platform; /* the PCI bus keeps a pointer to it */
    struct bus bus;
    struct pci_bus pci;
    struct virtio_net *net;
    int peer_fd; /* the tap's other end */
};

/* Create the device on its own bus over mem; aborts on failure (a fuzz
 * target cannot run without it).  Socket buffers hold several of the
 * largest frames, so a fuzz input never blocks on them. */
static inline void fuzz_net_open(struct fuzz_net *f, const struct guest_mem *mem)
{
    int sv[2], buf = 4 << 20;
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) < 0)
        abort();
    for (int i = 0; i < 2; i++) {
        setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
        setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    }
    f->peer_fd = sv[1];
    f->platform = (struct pci_platform){
        .mem = mem, .irq_line = fuzz_vpci_ignore_irq,
        .signal_msi = fuzz_vpci_ignore_msi, .intx_gsi = { 5, 9, 10, 11 },
    };
    bus_init(&f->bus);
    pci_bus_create(&f->pci, &f->bus, &f->platform);
    struct virtio_net_options o = { .tap_fd = sv[0], .mac = { 2, 0, 0, 0, 0, 1 } };
    if (virtio_net_create(&f->net, &f->pci, &o) < 0)
        abort();
}

#endif
