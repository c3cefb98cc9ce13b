/* virtio_rng: the virtio entropy device (virtio 1.x, 5.4) over virtio-pci,
 * fed from the host's getrandom().
 *
 * One request queue: each chain's writable buffers are filled with random
 * bytes (at most VIRTIO_RNG_MAX_REQUEST per chain, so a hostile guest
 * cannot make one notification hold the device for long); readable
 * buffers in a chain are ignored.  The guest sees /dev/hwrng (Linux's
 * virtio_rng driver) feeding its entropy pool. */
#ifndef CORRAL_VIRTIO_RNG_H
#define CORRAL_VIRTIO_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "virtio_pci.h"

#define VIRTIO_RNG_DEVICE_ID 4
#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_MAX_REQUEST 4096

struct virtio_rng {
    struct virtio_pci_dev vdev;
    struct virtq_chain chain;
    /* Where the bytes come from: getrandom() unless a test says else. */
    ssize_t (*fill)(void *buf, size_t len);
};

int virtio_rng_create(struct virtio_rng **out, struct pci_bus *pci);
void virtio_rng_destroy(struct virtio_rng *rng);
/* Fill the writable part of one chain; returns the bytes written. */
uint32_t virtio_rng_fill_chain(struct virtio_rng *rng,
                               const struct virtq_chain *chain);

/* The virtio-rng every VM gets, for the device table (devices.h). */
struct device_desc;
extern const struct device_desc virtio_rng_device;

#endif
