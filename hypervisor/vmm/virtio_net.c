/* virtio_net: virtio network device on a tap (see virtio_net.h). */
#include "virtio_net.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices.h"
#include "nic_backend.h"
#include "tap.h"

#define VIRTIO_NET_CONFIG_BYTES 10 /* mac, status, max_virtqueue_pairs */
/* Frames handled per wake-up before others get the I/O thread. */
#define VIRTIO_NET_RX_BUDGET 256

static struct virtio_net *virtio_net_of(struct virtio_pci_dev *vdev)
{
    return vdev->cfg.opaque;
}

static bool virtio_net_has(const struct virtio_net *net, unsigned bit)
{
    return net->vdev.driver_features & (1ULL << bit);
}

/* --- transmit -------------------------------------------------------------- */

int virtio_net_transmit(struct virtio_net *net, const struct virtq_chain *c)
{
    if (c->readable_len < VIRTIO_NET_HDR_LEN ||
        c->readable_len > VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME) {
        net->tx_dropped++;
        return -EINVAL;
    }
    int n = virtq_iov_slice(c->seg, c->n_readable, 0, c->readable_len,
                            net->tx_iov, VIRTQ_MAX_SIZE);
    if (n < 0) {
        net->tx_dropped++;
        return -EINVAL;
    }
    ssize_t done;
    do {
        done = writev(net->tap_fd, net->tx_iov, n);
    } while (done < 0 && errno == EINTR);
    /* A full tap queue or a header the host kernel refuses drops the
     * frame, as a NIC would; the guest's TCP retransmits. */
    if (done < 0)
        net->tx_dropped++;
    else
        net->tx_frames++;
    return 0;
}

/* What a transmitted frame costs: one packet and its bytes without the
 * header (a malformed chain, dropped anyway, costs the packet only). */
static uint64_t virtio_net_tx_bytes(const struct virtq_chain *c)
{
    if (c->readable_len < VIRTIO_NET_HDR_LEN ||
        c->readable_len > VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME)
        return 0;
    return c->readable_len - VIRTIO_NET_HDR_LEN;
}

/* The next frame to send: the one the rate limit held back, else a new
 * one.  1: send it now; 0: none, or it must wait (held, timer armed);
 * <0: broken ring. */
static int virtio_net_tx_next(struct virtio_net *net, struct virtq *vq)
{
    if (!net->tx_held) {
        int rc = virtq_pop(vq, &net->tx_chain);
        if (rc <= 0)
            return rc;
        net->tx_held = true;
    }
    if (!rate_limit_admit(&net->tx_limit, 1, virtio_net_tx_bytes(&net->tx_chain)))
        return 0;
    net->tx_held = false;
    return 1;
}

static int virtio_net_tx_notify(struct virtio_net *net, struct virtq *vq)
{
    int rc;
    do {
        while ((rc = virtio_net_tx_next(net, vq)) > 0) {
            virtio_net_transmit(net, &net->tx_chain);
            virtq_push(vq, net->tx_chain.head, 0);
        }
        if (rc < 0)
            return rc;
    } while (!net->tx_held && virtq_enable_notify(vq));
    virtio_pci_queue_interrupt(&net->vdev, VIRTIO_NET_TXQ);
    return 0;
}

/* --- receive --------------------------------------------------------------- */

static void virtio_net_set_polling(struct virtio_net *net, bool on)
{
    if (net->rx_polling == on)
        return;
    net->rx_polling = on;
    if (net->opts.rx_poll)
        net->opts.rx_poll(net->opts.ctx, net->tap_fd, on);
}

/* The driver's offload choices decide what the tap may give us. */
static void virtio_net_apply_offloads(struct virtio_net *net)
{
    unsigned f = 0;
    if (net->opts.tap_offloads && virtio_net_has(net, VIRTIO_NET_F_GUEST_CSUM)) {
        f |= TUN_F_CSUM;
        if (virtio_net_has(net, VIRTIO_NET_F_GUEST_TSO4))
            f |= TUN_F_TSO4;
        if (virtio_net_has(net, VIRTIO_NET_F_GUEST_TSO6))
            f |= TUN_F_TSO6;
        if (virtio_net_has(net, VIRTIO_NET_F_GUEST_ECN))
            f |= TUN_F_TSO_ECN;
    }
    if (f != net->offloads_applied && tap_set_offloads(net->tap_fd, f) == 0)
        net->offloads_applied = f;
}

/* Drop the first used held chains, keeping the order of the others. */
static void virtio_net_rx_forget(struct virtio_net *net, unsigned used)
{
    for (unsigned i = 0; i < used; i++)
        net->rx_held_bytes -= net->rx_chains[i].writable_len;
    memmove(net->rx_chains, net->rx_chains + used,
            (net->rx_held - used) * sizeof(net->rx_chains[0]));
    net->rx_held -= used;
}

/* Copy the waiting frame into the held chains, first to last. */
static void virtio_net_rx_copy(struct virtio_net *net, struct virtq *vq)
{
    unsigned used = 0;
    size_t off = 0;
    while (off < net->rx_len)
        off += net->rx_chains[used++].writable_len;
    uint16_t nbuf = (uint16_t)used;
    memcpy(net->rx_frame + VIRTIO_NET_NUM_BUFFERS_OFFSET, &nbuf, 2);
    off = 0;
    for (unsigned i = 0; i < used; i++) {
        const struct virtq_chain *c = &net->rx_chains[i];
        size_t n = net->rx_len - off < c->writable_len ? net->rx_len - off
                                                        : c->writable_len;
        virtq_iov_write(c->seg + c->n_readable, c->n_writable, 0,
                        net->rx_frame + off, n);
        virtq_push(vq, c->head, (uint32_t)n);
        off += n;
    }
    virtio_net_rx_forget(net, used);
    net->rx_len = 0;
    net->rx_frames++;
}

/* Hold receive buffers until the waiting frame fits.  Returns 1 when the
 * frame was delivered (or dropped as undeliverable), 0 when the driver has
 * too few buffers for now, <0 when it broke the ring. */
static int virtio_net_rx_deliver(struct virtio_net *net, struct virtq *vq)
{
    bool mergeable = virtio_net_has(net, VIRTIO_NET_F_MRG_RXBUF);
    unsigned max_chains = mergeable ? VIRTIO_NET_MAX_RX_CHAINS : 1;
    while (net->rx_held_bytes < net->rx_len) {
        if (net->rx_held == max_chains) {
            /* Buffers too small for this frame: it is lost, they stay. */
            net->rx_dropped++;
            net->rx_len = 0;
            return 1;
        }
        struct virtq_chain *c = &net->rx_chains[net->rx_held];
        int rc = virtq_pop(vq, c);
        if (rc <= 0)
            return rc;
        if (c->writable_len < VIRTIO_NET_HDR_LEN) {
            virtq_push(vq, c->head, 0); /* useless buffer: give it back */
            continue;
        }
        net->rx_held++;
        net->rx_held_bytes += c->writable_len;
    }
    virtio_net_rx_copy(net, vq);
    return 1;
}

/* Read the next frame from the tap; false when there is none. */
static bool virtio_net_rx_read(struct virtio_net *net)
{
    for (;;) {
        ssize_t n = read(net->tap_fd, net->rx_frame,
                         VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n < VIRTIO_NET_HDR_LEN)
            continue; /* not a frame the tap should give: skip it */
        net->rx_len = (size_t)n;
        net->rx_admitted = false;
        return true;
    }
}

/* The waiting frame against the receive limit, once per frame. */
static bool virtio_net_rx_admit(struct virtio_net *net)
{
    if (!net->rx_admitted)
        net->rx_admitted = rate_limit_admit(&net->rx_limit, 1,
                                            net->rx_len - VIRTIO_NET_HDR_LEN);
    return net->rx_admitted;
}

/* Lock held.  Moves frames from the tap to the guest until the tap is
 * empty (poll it), the driver runs out of buffers (stop polling until it
 * adds some), the rate limit holds the next frame back (stop polling
 * until its timer fires), or the budget is spent (the poll fires again).
 * The budget counts frames delivered, so that it never runs out with a
 * frame read and waiting: the tap's poll would not fire for that one, and
 * a driver that added buffers while we looked does not kick again. */
static int virtio_net_rx_process(struct virtio_net *net)
{
    struct virtq *vq = virtio_pci_queue_ring(&net->vdev, VIRTIO_NET_RXQ);
    if (!virtio_pci_driver_ok(&net->vdev) || !net->vdev.queues[VIRTIO_NET_RXQ].enabled) {
        virtio_net_set_polling(net, false); /* the RX kick turns it on */
        return 0;
    }
    virtio_net_apply_offloads(net);
    int rc = 0;
    unsigned budget = VIRTIO_NET_RX_BUDGET;
    bool wait = false; /* for buffers or for the rate limit */
    while (budget > 0) {
        if (net->rx_len == 0 && !virtio_net_rx_read(net))
            break;
        if (!virtio_net_rx_admit(net)) {
            wait = true;
            break;
        }
        rc = virtio_net_rx_deliver(net, vq);
        if (rc < 0)
            break;
        if (rc == 1)
            budget--;
        else if (!virtq_enable_notify(vq)) { /* else: buffers came meanwhile */
            wait = true;
            break;
        }
    }
    virtio_pci_queue_interrupt(&net->vdev, VIRTIO_NET_RXQ);
    virtio_net_set_polling(net, !wait && rc >= 0);
    return rc < 0 ? rc : 0;
}

void virtio_net_tap_readable(struct virtio_net *net)
{
    pthread_mutex_lock(&net->vdev.lock);
    if (virtio_net_rx_process(net) < 0)
        virtio_pci_device_error(&net->vdev);
    pthread_mutex_unlock(&net->vdev.lock);
}

/* --- state ----------------------------------------------------------------- */

int virtio_net_state_format(struct virtio_net *net, char *buf, size_t len)
{
    char rx[200], tx[200], rx_vec[100], tx_vec[100];
    pthread_mutex_lock(&net->vdev.lock);
    virtq_state_format(virtio_pci_queue_ring(&net->vdev, VIRTIO_NET_RXQ), rx, sizeof(rx));
    virtq_state_format(virtio_pci_queue_ring(&net->vdev, VIRTIO_NET_TXQ), tx, sizeof(tx));
    virtio_pci_queue_vector_format(&net->vdev, VIRTIO_NET_RXQ, rx_vec, sizeof(rx_vec));
    virtio_pci_queue_vector_format(&net->vdev, VIRTIO_NET_TXQ, tx_vec, sizeof(tx_vec));
    int n = snprintf(buf, len,
                     "rx: %s, %s; frame waiting %zu bytes on %u buffers, tap %s, "
                     "%llu frames, %llu dropped; tx: %s, %s; %s%llu frames, %llu dropped",
                     rx, rx_vec, net->rx_len, net->rx_held,
                     net->rx_polling ? "polled" : "not polled",
                     (unsigned long long)net->rx_frames, (unsigned long long)net->rx_dropped,
                     tx, tx_vec, net->tx_held ? "a frame held by the rate limit, " : "",
                     (unsigned long long)net->tx_frames, (unsigned long long)net->tx_dropped);
    pthread_mutex_unlock(&net->vdev.lock);
    return n;
}

/* --- transport hooks ------------------------------------------------------- */

static int virtio_net_queue_notify(struct virtio_pci_dev *vdev, uint16_t q)
{
    struct virtio_net *net = virtio_net_of(vdev);
    if (q == VIRTIO_NET_TXQ)
        return virtio_net_tx_notify(net, virtio_pci_queue_ring(vdev, q));
    return virtio_net_rx_process(net);
}

static void virtio_net_config_read(struct virtio_pci_dev *vdev, uint32_t offset,
                                   uint8_t *data, uint32_t len)
{
    const struct virtio_net *net = virtio_net_of(vdev);
    uint8_t regs[VIRTIO_NET_CONFIG_BYTES] = { 0 };
    uint16_t status = VIRTIO_NET_S_LINK_UP, pairs = 1;
    memcpy(regs, net->opts.mac, 6);
    memcpy(regs + 6, &status, 2);
    memcpy(regs + 8, &pairs, 2);
    memcpy(data, regs + offset, len);
}

/* A reset forgets the buffers the driver gave us and the frame waiting
 * for them; the tap keeps its own queue. */
static void virtio_net_reset(struct virtio_pci_dev *vdev)
{
    struct virtio_net *net = virtio_net_of(vdev);
    net->rx_held = 0;
    net->rx_held_bytes = 0;
    net->rx_len = 0;
    net->offloads_applied = UINT64_MAX;
    net->tx_held = false;
    rate_limit_cancel(&net->tx_limit);
}

void virtio_net_tx_limit_expired(struct virtio_net *net)
{
    rate_limit_timer_ack(&net->tx_limit);
    virtio_pci_notify_queue(&net->vdev, VIRTIO_NET_TXQ);
}

void virtio_net_rx_limit_expired(struct virtio_net *net)
{
    rate_limit_timer_ack(&net->rx_limit);
    virtio_net_tap_readable(net);
}

static const struct virtio_device_ops virtio_net_ops = {
    .queue_notify = virtio_net_queue_notify,
    .config_read = virtio_net_config_read,
    .reset = virtio_net_reset,
};

/* --- setup ----------------------------------------------------------------- */

static uint64_t virtio_net_features(bool tap_offloads)
{
    uint64_t f = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_F_INDIRECT_DESC |
                 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
                 1ULL << VIRTIO_NET_F_MRG_RXBUF | 1ULL << VIRTIO_NET_F_CSUM |
                 1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6 |
                 1ULL << VIRTIO_NET_F_HOST_ECN;
    if (tap_offloads)
        f |= 1ULL << VIRTIO_NET_F_GUEST_CSUM | 1ULL << VIRTIO_NET_F_GUEST_TSO4 |
             1ULL << VIRTIO_NET_F_GUEST_TSO6 | 1ULL << VIRTIO_NET_F_GUEST_ECN;
    return f;
}

static void virtio_net_free(struct virtio_net *net)
{
    rate_limit_destroy(&net->tx_limit);
    rate_limit_destroy(&net->rx_limit);
    free(net->rx_frame);
    free(net->rx_chains);
    free(net);
}

/* Each way has its own buckets, both at the NIC's bps and pps. */
static int virtio_net_init_limits(struct virtio_net *net,
                                  const struct virtio_net_options *opts)
{
    int rc = rate_limit_init(&net->tx_limit, opts->bps, opts->pps, opts->clock_ns);
    return rc < 0 ? rc
                  : rate_limit_init(&net->rx_limit, opts->bps, opts->pps, opts->clock_ns);
}

int virtio_net_create(struct virtio_net **out, struct pci_bus *pci,
                      const struct virtio_net_options *opts)
{
    struct virtio_net *net = calloc(1, sizeof(*net));
    if (!net)
        return -ENOMEM;
    net->tx_limit.timer_fd = net->rx_limit.timer_fd = -1; /* for the error path */
    net->opts = *opts;
    net->tap_fd = opts->tap_fd;
    net->offloads_applied = UINT64_MAX;
    net->rx_polling = true; /* the caller starts with the tap polled */
    net->rx_frame = malloc(VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME);
    net->rx_chains = calloc(VIRTIO_NET_MAX_RX_CHAINS, sizeof(*net->rx_chains));
    const struct virtio_pci_config cfg = {
        .device_id = VIRTIO_NET_DEVICE_ID,
        .class_code = 0x020000, /* Ethernet controller */
        .features = virtio_net_features(opts->tap_offloads),
        .num_queues = 2,
        .queue_max_size = VIRTIO_NET_QUEUE_SIZE,
        .config_size = VIRTIO_NET_CONFIG_BYTES,
        .ops = &virtio_net_ops,
        .opaque = net,
        .name = opts->name ? opts->name : "virtio-net",
    };
    int rc = net->rx_frame && net->rx_chains ? 0 : -ENOMEM;
    if (rc == 0)
        rc = virtio_net_init_limits(net, opts);
    if (rc == 0)
        rc = virtio_pci_init(&net->vdev, pci, &cfg);
    if (rc < 0) {
        virtio_net_free(net);
        return rc;
    }
    *out = net;
    return 0;
}

void virtio_net_destroy(struct virtio_net *net)
{
    if (!net)
        return;
    virtio_pci_destroy(&net->vdev);
    if (net->tap_fd >= 0)
        close(net->tap_fd);
    virtio_net_free(net);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

static void nic_tap_ready(void *ctx, uint32_t events)
{
    virtio_net_tap_readable(ctx);
}

static void nic_tx_limit_expired(void *ctx, uint32_t events)
{
    virtio_net_tx_limit_expired(ctx);
}

static void nic_rx_limit_expired(void *ctx, uint32_t events)
{
    virtio_net_rx_limit_expired(ctx);
}

static int nic_state(void *dev, char *buf, size_t len)
{
    return virtio_net_state_format(dev, buf, len);
}

static int nic_add(struct board *b, const struct vmdef *def, size_t index,
                   void **dev)
{
    const struct vmdef_nic *nic = &def->nics[index];
    struct nic_backend nb;
    if (nic_backend_open(def, index, &nb))
        return VM_EXIT_ERROR;
    struct virtio_net_options o = {
        .tap_fd = nb.tap_fd, .tap_offloads = nb.tap_offloads,
        .rx_poll = nic_backend_rx_poll, .ctx = b, .name = "virtio-net",
        .bps = nic->bps, .pps = nic->pps,
    };
    memcpy(o.mac, nb.mac, 6);
    struct virtio_net *net;
    int rc = virtio_net_create(&net, &b->pci, &o);
    if (rc < 0) {
        close(nb.tap_fd);
        return vm_error("nic %zu (tap %s): %s", index, nb.tap_name, strerror(-rc));
    }
    *dev = net;
    board_add_virtio(b, &net->vdev);
    board_add_nic_state(b, index, nic_state, net);
    const struct nic_backend_watch w = {
        .tap_ready = nic_tap_ready,
        .tx_limit_expired = nic_tx_limit_expired, .tx_limit = &net->tx_limit,
        .rx_limit_expired = nic_rx_limit_expired, .rx_limit = &net->rx_limit,
        .tap_offloads = nb.tap_offloads,
    };
    return nic_backend_watch(b, def, index, &nb, "virtio-net", &w, net);
}

static void nic_destroy(void *dev)
{
    virtio_net_destroy(dev);
}

const struct nic_model virtio_net_model = {
    .add = nic_add,
    .destroy = nic_destroy,
};
