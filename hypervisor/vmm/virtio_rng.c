/* virtio_rng: entropy device on getrandom() (see virtio_rng.h). */
#include "virtio_rng.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "devices.h"

static ssize_t virtio_rng_getrandom(void *buf, size_t len)
{
    ssize_t n;
    do {
        n = getrandom(buf, len, 0);
    } while (n < 0 && errno == EINTR);
    return n;
}

uint32_t virtio_rng_fill_chain(struct virtio_rng *rng,
                               const struct virtq_chain *chain)
{
    uint8_t bytes[VIRTIO_RNG_MAX_REQUEST];
    size_t want = chain->writable_len < sizeof(bytes) ? chain->writable_len
                                                      : sizeof(bytes);
    ssize_t got = want ? rng->fill(bytes, want) : 0;
    if (got <= 0)
        return 0; /* nothing now; the driver asks again */
    return (uint32_t)virtq_iov_write(chain->seg + chain->n_readable,
                                     chain->n_writable, 0, bytes, (size_t)got);
}

static int virtio_rng_queue_notify(struct virtio_pci_dev *vdev, uint16_t q)
{
    struct virtio_rng *rng = vdev->cfg.opaque;
    struct virtq *vq = virtio_pci_queue_ring(vdev, q);
    int rc;
    do {
        while ((rc = virtq_pop(vq, &rng->chain)) > 0)
            virtq_push(vq, rng->chain.head, virtio_rng_fill_chain(rng, &rng->chain));
        if (rc < 0)
            return rc;
    } while (virtq_enable_notify(vq));
    virtio_pci_queue_interrupt(vdev, q);
    return 0;
}

/* No device configuration (5.4.4). */
static void virtio_rng_config_read(struct virtio_pci_dev *vdev, uint32_t offset,
                                   uint8_t *data, uint32_t len)
{
}

static const struct virtio_device_ops virtio_rng_ops = {
    .queue_notify = virtio_rng_queue_notify,
    .config_read = virtio_rng_config_read,
};

int virtio_rng_create(struct virtio_rng **out, struct pci_bus *pci)
{
    struct virtio_rng *rng = calloc(1, sizeof(*rng));
    if (!rng)
        return -ENOMEM;
    rng->fill = virtio_rng_getrandom;
    const struct virtio_pci_config cfg = {
        .device_id = VIRTIO_RNG_DEVICE_ID,
        .class_code = 0x00FF00, /* unclassified, as QEMU's */
        .features = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_F_INDIRECT_DESC,
        .num_queues = 1,
        .queue_max_size = VIRTIO_RNG_QUEUE_SIZE,
        .config_size = 0,
        .ops = &virtio_rng_ops,
        .opaque = rng,
        .name = "virtio-rng",
    };
    int rc = virtio_pci_init(&rng->vdev, pci, &cfg);
    if (rc < 0) {
        free(rng);
        return rc;
    }
    *out = rng;
    return 0;
}

void virtio_rng_destroy(struct virtio_rng *rng)
{
    if (!rng)
        return;
    virtio_pci_destroy(&rng->vdev);
    free(rng);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

/* Every guest gets an entropy source: early boot (and anything waiting
 * for the pool) should not stall in a VM with no other randomness. */
static int rng_add(struct board *b, const struct vmdef *def, size_t index,
                   void **dev)
{
    struct virtio_rng *rng;
    int rc = virtio_rng_create(&rng, &b->pci);
    if (rc < 0)
        return vm_error("virtio-rng: %s", strerror(-rc));
    *dev = rng;
    board_add_virtio(b, &rng->vdev);
    vm_log(&b->vm, "virtio-rng on getrandom()");
    return 0;
}

static void rng_destroy(void *dev)
{
    virtio_rng_destroy(dev);
}

const struct device_desc virtio_rng_device = {
    .name = "virtio-rng",
    .add = rng_add,
    .destroy = rng_destroy,
};
