/* nic_backend: the tap, bridge, MAC and I/O thread wiring every NIC model
 * shares (see nic_backend.h). */
#include "nic_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "devices.h"
#include "e1000.h"
#include "virtio_net.h"

/* The tap: inherited (fd=N, from corrald) or created here; then on its
 * bridge and up.  Returns the fd, or -1 after saying why. */
static int nic_backend_tap(const struct vmdef_nic *nic, size_t index,
                           char name[TAP_NAME_MAX])
{
    int fd = nic->has_fd ? nic->fd : tap_open(nic->tap, name);
    int rc = nic->has_fd ? tap_adopt(fd, name) : (fd < 0 ? fd : 0);
    if (rc < 0) {
        vm_error("nic %zu: %s%s: %s", index, nic->has_fd ? "fd " : "tap ",
                 nic->has_fd ? "" : (nic->tap[0] ? nic->tap : "(new)"),
                 rc == -EINVAL ? "not a tap with IFF_NO_PI and IFF_VNET_HDR"
                 : rc == -ENOENT ? "no /dev/net/tun (is the tun module loaded?)"
                                 : strerror(-rc));
        return -1;
    }
    if ((rc = tap_attach(name, nic->bridge)) < 0) {
        vm_error("nic %zu: tap %s on bridge '%s': %s", index, name,
                 nic->bridge, strerror(-rc));
        close(fd);
        return -1;
    }
    return fd;
}

int nic_backend_open(const struct vmdef *def, size_t index, struct nic_backend *nb)
{
    const struct vmdef_nic *nic = &def->nics[index];
    nb->tap_fd = nic_backend_tap(nic, index, nb->tap_name);
    if (nb->tap_fd < 0)
        return VM_EXIT_ERROR;
    int offloads = tap_setup_vnet(nb->tap_fd);
    if (offloads < 0) {
        close(nb->tap_fd);
        return vm_error("nic %zu (tap %s): vnet header: %s", index, nb->tap_name,
                        strerror(-offloads));
    }
    nb->tap_offloads = offloads > 0;
    if (nic->has_mac)
        memcpy(nb->mac, nic->mac, 6);
    else
        vmdef_nic_mac(def->name, index, nb->mac);
    return 0;
}

void nic_backend_rx_poll(void *ctx, int tap_fd, bool enable)
{
    struct board *b = ctx;
    iothread_modify(&b->io, tap_fd, enable ? EPOLLIN : 0);
}

static void nic_backend_log(struct board *b, const struct vmdef_nic *nic,
                            size_t index, const struct nic_backend *nb,
                            const char *model, bool offloads)
{
    char text[18];
    vmdef_format_mac(nb->mac, text);
    vm_log(&b->vm, "nic %zu: %s %s on tap %s%s%s%s, limits %llu bytes/s "
           "%llu packets/s each way (0: none)", index, model, text, nb->tap_name,
           nic->bridge[0] ? " in bridge " : "", nic->bridge,
           offloads ? ", offloads" : "", (unsigned long long)nic->bps,
           (unsigned long long)nic->pps);
}

int nic_backend_watch(struct board *b, const struct vmdef *def, size_t index,
                      const struct nic_backend *nb, const char *model,
                      const struct nic_backend_watch *w, void *dev)
{
    int rc = iothread_add(&b->io, nb->tap_fd, EPOLLIN, w->tap_ready, dev);
    if (rc < 0)
        return vm_error("nic %zu: I/O thread: %s", index, strerror(-rc));
    nic_backend_log(b, &def->nics[index], index, nb, model, w->tap_offloads);
    return board_watch_limit(b, w->tx_limit, w->tx_limit_expired, dev) ||
           board_watch_limit(b, w->rx_limit, w->rx_limit_expired, dev);
}

/* ---- the NICs on the board (devices.h) ------------------------------------- */

struct nic_instance {
    const struct nic_model *model;
    void *dev;
};

static size_t nic_count(const struct vmdef *def)
{
    return def->nic_count;
}

static int nic_add(struct board *b, const struct vmdef *def, size_t index, void **dev)
{
    struct nic_instance *ni = board_alloc_device(dev, sizeof(*ni), "nic");
    if (!ni)
        return VM_EXIT_ERROR;
    ni->model = def->nics[index].model == VMDEF_NIC_E1000 ? &e1000_model : &virtio_net_model;
    return ni->model->add(b, def, index, &ni->dev);
}

static void nic_destroy(void *dev)
{
    struct nic_instance *ni = dev;
    if (ni->dev)
        ni->model->destroy(ni->dev);
    free(ni);
}

const struct device_desc nic_device = {
    .name = "nic",
    .count = nic_count,
    .add = nic_add,
    .destroy = nic_destroy,
};
