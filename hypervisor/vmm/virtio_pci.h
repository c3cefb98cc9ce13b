/* virtio_pci: the virtio 1.x "modern" PCI transport, shared by every virtio
 * device (virtio_blk, virtio_net, virtio_rng).
 *
 * The device is vendor 0x1AF4, device 0x1040 + virtio ID, revision 1.  One
 * 32-bit memory BAR (BAR 0) holds, a page each, the common configuration,
 * the ISR byte, the device-specific configuration, the queue notification
 * area (queue q at q * 4), the MSI-X table and the PBA; vendor capabilities
 * in config space tell the driver where (virtio 1.x, 4.1.4).  The
 * PCI-configuration-access capability reaches the same registers through
 * config space, for firmware that cannot map the BAR.
 *
 * Interrupts go out by MSI-X when the driver enabled it (each queue and
 * the config change have their own vector, as Linux sets them up), else by
 * INTx: the ISR records why and reading it lowers the line.
 *
 * Threads: one lock per device guards the transport state, the queues and
 * the device's own request processing.  A queue is processed on the I/O
 * thread when its ioeventfd fires (queue_ioeventfd.h attaches one at
 * virtio_pci_notify_gpa() and calls virtio_pci_notify_queue()), or on the
 * vCPU thread that wrote its notify register when there is none
 * (CORRAL_VMM_SLOW_IO=1, or KVM refused).  Interrupts leave through the
 * pci_platform callbacks, which the machine sends by irqfd (msi_irqfd.h). */
#ifndef CORRAL_VIRTIO_PCI_H
#define CORRAL_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "pci_msix.h"
#include "virtq.h"

#define VIRTIO_PCI_VENDOR 0x1AF4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_MAX_QUEUES 8

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_F_VERSION_1 32

/* ISR bits. */
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

/* BAR 0 layout: one page per region. */
#define VIRTIO_PCI_BAR 0
#define VIRTIO_PCI_REGION_SIZE 0x1000
#define VIRTIO_PCI_COMMON_OFFSET 0x0000
#define VIRTIO_PCI_ISR_OFFSET 0x1000
#define VIRTIO_PCI_DEVICE_CFG_OFFSET 0x2000
#define VIRTIO_PCI_NOTIFY_OFFSET 0x3000
#define VIRTIO_PCI_MSIX_TABLE_OFFSET 0x4000
#define VIRTIO_PCI_MSIX_PBA_OFFSET 0x5000
#define VIRTIO_PCI_BAR_SIZE 0x8000
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 4

/* Common configuration registers (4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT 0x00
#define VIRTIO_PCI_COMMON_DF 0x04
#define VIRTIO_PCI_COMMON_GFSELECT 0x08
#define VIRTIO_PCI_COMMON_GF 0x0C
#define VIRTIO_PCI_COMMON_MSIX 0x10
#define VIRTIO_PCI_COMMON_NUMQ 0x12
#define VIRTIO_PCI_COMMON_STATUS 0x14
#define VIRTIO_PCI_COMMON_CFGGEN 0x15
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18
#define VIRTIO_PCI_COMMON_Q_MSIX 0x1A
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1C
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1E
#define VIRTIO_PCI_COMMON_Q_DESC 0x20
#define VIRTIO_PCI_COMMON_Q_DRIVER 0x28
#define VIRTIO_PCI_COMMON_Q_DEVICE 0x30
#define VIRTIO_PCI_COMMON_SIZE 0x38

struct virtio_pci_dev;

/* What a device implements; every hook runs with the device lock held. */
struct virtio_device_ops {
    /* The driver notified queue q (enabled, DRIVER_OK): process it.
     * Return 0, or -EPROTO when the driver broke the protocol; the
     * transport then sets DEVICE_NEEDS_RESET. */
    int (*queue_notify)(struct virtio_pci_dev *vdev, uint16_t q);
    /* Device-specific configuration, [offset, offset + len) inside
     * config_size.  config_write may be NULL (read-only configuration). */
    void (*config_read)(struct virtio_pci_dev *vdev, uint32_t offset,
                        uint8_t *data, uint32_t len);
    void (*config_write)(struct virtio_pci_dev *vdev, uint32_t offset,
                         const uint8_t *data, uint32_t len);
    /* The driver reset the device: forget per-session state.  May be NULL. */
    void (*reset)(struct virtio_pci_dev *vdev);
};

/* What a device declares to the transport. */
struct virtio_pci_config {
    uint16_t device_id;       /* virtio device ID: 1 net, 2 block, 4 rng */
    uint32_t class_code;      /* PCI class, e.g. 0x018000 */
    uint64_t features;        /* offered; VERSION_1 is added */
    uint16_t num_queues;      /* 1..VIRTIO_PCI_MAX_QUEUES */
    uint16_t queue_max_size;  /* power of two <= VIRTQ_MAX_SIZE */
    uint32_t config_size;     /* bytes of device configuration */
    const struct virtio_device_ops *ops;
    void *opaque;             /* the device's own state */
    const char *name;         /* for the bus range and messages */
};

struct virtio_pci_queue {
    uint16_t size;        /* as the driver set it; starts at the maximum */
    uint16_t msix_vector;
    bool enabled;
    uint64_t desc_gpa, driver_gpa, device_gpa;
    struct virtq vq;
};

struct virtio_pci_dev {
    struct pci_device pci;
    struct pci_msix msix;
    pthread_mutex_t lock;
    struct virtio_pci_config cfg;
    uint64_t device_features;
    uint64_t driver_features;
    uint32_t device_feature_select;
    uint32_t driver_feature_select;
    uint16_t msix_config_vector;
    uint16_t queue_select;
    uint8_t status;
    uint8_t config_generation;
    uint8_t isr;
    uint8_t pci_cfg_cap; /* offset of the PCI-configuration-access cap */
    struct virtio_pci_queue queues[VIRTIO_PCI_MAX_QUEUES];
    /* Told when BAR 0 (and so every notify address) moves: where an
     * ioeventfd for the queues must be re-attached. */
    void (*notify_moved)(void *ctx, struct virtio_pci_dev *vdev);
    void *notify_ctx;
};

/* Build the PCI function (capabilities, MSI-X, BAR 0) for cfg and add it
 * to pci.  Returns the slot, or a negative errno. */
int virtio_pci_init(struct virtio_pci_dev *vdev, struct pci_bus *pci,
                    const struct virtio_pci_config *cfg);
/* After the VM stopped: releases the lock (the bus owns no memory of ours). */
void virtio_pci_destroy(struct virtio_pci_dev *vdev);

/* The driver's notification for queue q, from the notify register or an
 * ioeventfd: processes the queue under the device lock. */
void virtio_pci_notify_queue(struct virtio_pci_dev *vdev, uint16_t q);
/* Guest-physical address of queue q's notify register in the current BAR
 * placement, or 0 while the BAR is not mapped. */
uint64_t virtio_pci_notify_gpa(struct virtio_pci_dev *vdev, uint16_t q);

/* Call fn whenever the notify addresses change (BAR 0 moved, mapped or
 * unmapped); from the bus's configuration path, bus lock held. */
void virtio_pci_set_notify_moved(struct virtio_pci_dev *vdev,
                                 void (*fn)(void *, struct virtio_pci_dev *),
                                 void *ctx);

/* For device code, with the device lock held (inside a hook). */
struct virtq *virtio_pci_queue_ring(struct virtio_pci_dev *vdev, uint16_t q);
/* Queue q's interrupt, for a state line: its MSI-X vector
 * (pci_msix_vector_format) or INTx with the ISR.  Lock held. */
int virtio_pci_queue_vector_format(const struct virtio_pci_dev *vdev, uint16_t q,
                                   char *buf, size_t len);
/* Interrupt the driver for queue q if the ring says it wants one.
 * Returns whether it did. */
bool virtio_pci_queue_interrupt(struct virtio_pci_dev *vdev, uint16_t q);
/* The device configuration changed (config_generation, config interrupt). */
void virtio_pci_config_changed(struct virtio_pci_dev *vdev);
/* The device cannot go on without a reset (a broken ring). */
void virtio_pci_device_error(struct virtio_pci_dev *vdev);
bool virtio_pci_driver_ok(const struct virtio_pci_dev *vdev);

#endif
