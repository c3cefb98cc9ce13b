/* nic_backend: the host side every guest NIC model shares - the tap
 * (inherited as fd=N from corrald, or created), put on its bridge with
 * the 12-byte virtio-net header, the MAC (mac= or vmdef_nic_mac), and the
 * I/O thread watching the tap and the rate limits' timers.  virtio-net and
 * e1000 differ only in what the guest sees. */
#ifndef CORRAL_NIC_BACKEND_H
#define CORRAL_NIC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iothread.h"
#include "rate_limit.h"
#include "tap.h"
#include "vmdef.h"

struct board;

struct nic_backend {
    int tap_fd;              /* the device's to close once created */
    char tap_name[TAP_NAME_MAX];
    uint8_t mac[6];
    bool tap_offloads;       /* the tap accepts TUNSETOFFLOAD */
};

/* Open (or adopt) the tap of def's NIC index, put it on its bridge, set
 * up the vnet header and choose the MAC.  Returns 0, or VM_EXIT_ERROR
 * after saying why (nothing left open). */
int nic_backend_open(const struct vmdef *def, size_t index, struct nic_backend *nb);

/* The callbacks a NIC device gives the I/O thread. */
struct nic_backend_watch {
    iothread_fn tap_ready;          /* the tap is readable */
    iothread_fn tx_limit_expired;   /* tx_limit's timer fired */
    iothread_fn rx_limit_expired;
    const struct rate_limit *tx_limit, *rx_limit;
    bool tap_offloads;              /* the device hands offloads to the tap */
};

/* Watch the tap (EPOLLIN) and both limits' timers for dev, then log the
 * NIC with -v.  Returns 0 or VM_EXIT_ERROR (said why). */
int nic_backend_watch(struct board *b, const struct vmdef *def, size_t index,
                      const struct nic_backend *nb, const char *model,
                      const struct nic_backend_watch *w, void *dev);

/* A device's rx_poll callback (ctx: the board): poll the tap or not. */
void nic_backend_rx_poll(void *ctx, int tap_fd, bool enable);

/* What the guest sees of a NIC: create the device for def->nics[index]
 * (as a device_desc's add hook does) and release it. */
struct nic_model {
    int (*add)(struct board *b, const struct vmdef *def, size_t index, void **dev);
    void (*destroy)(void *dev);
};

/* Every NIC of the definition, in its order, each created by its model
 * (virtio_net_model, e1000_model): one table entry, so that the NICs'
 * PCI slots follow the definition whatever their models. */
struct device_desc;
extern const struct device_desc nic_device;

#endif
