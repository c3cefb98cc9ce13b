/* virtio_pci: virtio 1.x modern PCI transport (see virtio_pci.h). */
#include "virtio_pci.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Vendor capability types (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* Fields of the PCI-configuration-access capability (4.1.4.8). */
#define VIRTIO_PCI_CFG_BAR 4
#define VIRTIO_PCI_CFG_OFFSET 8
#define VIRTIO_PCI_CFG_LENGTH 12
#define VIRTIO_PCI_CFG_DATA 16
#define VIRTIO_PCI_CFG_CAP_SIZE 20

/* The common configuration as the driver sees it; every field is
 * naturally aligned, so the struct has the spec's layout. */
struct virtio_pci_common_regs {
    uint32_t device_feature_select;
    uint32_t device_feature;
    uint32_t driver_feature_select;
    uint32_t driver_feature;
    uint16_t msix_config;
    uint16_t num_queues;
    uint8_t device_status;
    uint8_t config_generation;
    uint16_t queue_select;
    uint16_t queue_size;
    uint16_t queue_msix_vector;
    uint16_t queue_enable;
    uint16_t queue_notify_off;
    uint64_t queue_desc;
    uint64_t queue_driver;
    uint64_t queue_device;
};
_Static_assert(sizeof(struct virtio_pci_common_regs) == VIRTIO_PCI_COMMON_SIZE,
               "common configuration layout");

struct virtio_pci_cap {
    uint8_t cap_vndr, cap_next, cap_len, cfg_type, bar, id, padding[2];
    uint32_t offset, length;
};

struct virtio_pci_notify_cap {
    struct virtio_pci_cap cap;
    uint32_t notify_off_multiplier;
};

static struct virtio_pci_queue *virtio_pci_selected(struct virtio_pci_dev *v)
{
    return v->queue_select < v->cfg.num_queues ? &v->queues[v->queue_select]
                                               : NULL;
}

bool virtio_pci_driver_ok(const struct virtio_pci_dev *vdev)
{
    return (vdev->status & VIRTIO_STATUS_DRIVER_OK) &&
           !(vdev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

/* --- interrupts ---------------------------------------------------------- */

static void virtio_pci_raise(struct virtio_pci_dev *v, uint16_t vector,
                             uint8_t isr_bit)
{
    if (v->msix.enabled) {
        pci_msix_notify(&v->msix, vector);
        return;
    }
    v->isr |= isr_bit;
    pci_device_set_intx(&v->pci, true);
}

bool virtio_pci_queue_interrupt(struct virtio_pci_dev *vdev, uint16_t q)
{
    if (q >= vdev->cfg.num_queues ||
        !virtq_should_interrupt(&vdev->queues[q].vq))
        return false;
    virtio_pci_raise(vdev, vdev->queues[q].msix_vector, VIRTIO_ISR_QUEUE);
    return true;
}

void virtio_pci_config_changed(struct virtio_pci_dev *vdev)
{
    vdev->config_generation++;
    if (vdev->status & VIRTIO_STATUS_DRIVER_OK)
        virtio_pci_raise(vdev, vdev->msix_config_vector, VIRTIO_ISR_CONFIG);
}

void virtio_pci_device_error(struct virtio_pci_dev *vdev)
{
    if (vdev->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
        return;
    vdev->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    virtio_pci_config_changed(vdev);
}

/* --- status and reset ---------------------------------------------------- */

static void virtio_pci_reset(struct virtio_pci_dev *v)
{
    if (v->cfg.ops->reset)
        v->cfg.ops->reset(v);
    for (unsigned q = 0; q < v->cfg.num_queues; q++) {
        struct virtio_pci_queue *queue = &v->queues[q];
        memset(queue, 0, sizeof(*queue));
        virtq_reset(&queue->vq);
        queue->size = v->cfg.queue_max_size;
        queue->msix_vector = PCI_MSIX_NO_VECTOR;
    }
    v->driver_features = 0;
    v->device_feature_select = v->driver_feature_select = 0;
    v->msix_config_vector = PCI_MSIX_NO_VECTOR;
    v->queue_select = 0;
    v->status = 0;
    v->isr = 0;
    pci_device_set_intx(&v->pci, false);
}

/* FEATURES_OK only for a subset of what we offer that includes VERSION_1:
 * this transport has no legacy interface to fall back to. */
static bool virtio_pci_features_acceptable(const struct virtio_pci_dev *v)
{
    return (v->driver_features & ~v->device_features) == 0 &&
           (v->driver_features & (1ULL << VIRTIO_F_VERSION_1));
}

static void virtio_pci_write_status(struct virtio_pci_dev *v, uint8_t status)
{
    if (status == 0) {
        virtio_pci_reset(v);
        return;
    }
    bool features_ok_now = (status & VIRTIO_STATUS_FEATURES_OK) &&
                           !(v->status & VIRTIO_STATUS_FEATURES_OK);
    if (features_ok_now && !virtio_pci_features_acceptable(v))
        status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
    /* NEEDS_RESET is the device's to set and only a reset clears it. */
    v->status = status | (v->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

/* --- common configuration ------------------------------------------------ */

static void virtio_pci_common_snapshot(struct virtio_pci_dev *v,
                                       struct virtio_pci_common_regs *r)
{
    const struct virtio_pci_queue *q = virtio_pci_selected(v);
    memset(r, 0, sizeof(*r));
    r->device_feature_select = v->device_feature_select;
    if (v->device_feature_select < 2)
        r->device_feature =
            (uint32_t)(v->device_features >> (32 * v->device_feature_select));
    r->driver_feature_select = v->driver_feature_select;
    if (v->driver_feature_select < 2)
        r->driver_feature =
            (uint32_t)(v->driver_features >> (32 * v->driver_feature_select));
    r->msix_config = v->msix_config_vector;
    r->num_queues = v->cfg.num_queues;
    r->device_status = v->status;
    r->config_generation = v->config_generation;
    r->queue_select = v->queue_select;
    if (!q)
        return; /* size 0: no such queue */
    r->queue_size = q->size;
    r->queue_msix_vector = q->msix_vector;
    r->queue_enable = q->enabled;
    r->queue_notify_off = v->queue_select;
    r->queue_desc = q->desc_gpa;
    r->queue_driver = q->driver_gpa;
    r->queue_device = q->device_gpa;
}

static void virtio_pci_set_driver_features(struct virtio_pci_dev *v,
                                           uint32_t value)
{
    /* Fixed once FEATURES_OK is set (3.1.1). */
    if ((v->status & VIRTIO_STATUS_FEATURES_OK) || v->driver_feature_select > 1)
        return;
    unsigned shift = 32 * v->driver_feature_select;
    v->driver_features = (v->driver_features & ~(0xFFFFFFFFULL << shift)) |
                         (uint64_t)value << shift;
}

/* A vector the table does not have reads back as NO_VECTOR, which is how
 * the driver learns the mapping failed (4.1.5.1.2). */
static uint16_t virtio_pci_checked_vector(const struct virtio_pci_dev *v,
                                          uint16_t vector)
{
    return vector < v->msix.nvec ? vector : PCI_MSIX_NO_VECTOR;
}

static void virtio_pci_enable_queue(struct virtio_pci_dev *v,
                                    struct virtio_pci_queue *q)
{
    struct virtq_layout layout = {
        .size = q->size, .desc_gpa = q->desc_gpa,
        .avail_gpa = q->driver_gpa, .used_gpa = q->device_gpa,
    };
    if (q->size > v->cfg.queue_max_size ||
        virtq_start(&q->vq, v->pci.pci->platform.mem, &layout,
                    v->driver_features) < 0) {
        virtio_pci_device_error(v);
        return;
    }
    q->enabled = true;
}

/* Queue registers change only while the queue is off (4.1.4.3.2). */
static void virtio_pci_write_queue_field(struct virtio_pci_dev *v,
                                         uint32_t field,
                                         const struct virtio_pci_common_regs *r)
{
    struct virtio_pci_queue *q = virtio_pci_selected(v);
    if (!q)
        return;
    if (field == VIRTIO_PCI_COMMON_Q_MSIX) {
        q->msix_vector = virtio_pci_checked_vector(v, r->queue_msix_vector);
        return;
    }
    if (q->enabled)
        return;
    switch (field) {
    case VIRTIO_PCI_COMMON_Q_SIZE: q->size = r->queue_size; break;
    case VIRTIO_PCI_COMMON_Q_DESC: q->desc_gpa = r->queue_desc; break;
    case VIRTIO_PCI_COMMON_Q_DRIVER: q->driver_gpa = r->queue_driver; break;
    case VIRTIO_PCI_COMMON_Q_DEVICE: q->device_gpa = r->queue_device; break;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        if (r->queue_enable == 1)
            virtio_pci_enable_queue(v, q);
        break;
    }
}

static void virtio_pci_write_common_field(struct virtio_pci_dev *v,
                                          uint32_t field,
                                          const struct virtio_pci_common_regs *r)
{
    switch (field) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        v->device_feature_select = r->device_feature_select;
        break;
    case VIRTIO_PCI_COMMON_GFSELECT:
        v->driver_feature_select = r->driver_feature_select;
        break;
    case VIRTIO_PCI_COMMON_GF:
        virtio_pci_set_driver_features(v, r->driver_feature);
        break;
    case VIRTIO_PCI_COMMON_MSIX:
        v->msix_config_vector = virtio_pci_checked_vector(v, r->msix_config);
        break;
    case VIRTIO_PCI_COMMON_STATUS:
        virtio_pci_write_status(v, r->device_status);
        break;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        v->queue_select = r->queue_select;
        break;
    default:
        virtio_pci_write_queue_field(v, field, r);
    }
}

/* Field offsets and sizes, in order, for applying partial writes. */
static const struct { uint8_t offset, size; } virtio_pci_common_fields[] = {
    { VIRTIO_PCI_COMMON_DFSELECT, 4 }, { VIRTIO_PCI_COMMON_DF, 4 },
    { VIRTIO_PCI_COMMON_GFSELECT, 4 }, { VIRTIO_PCI_COMMON_GF, 4 },
    { VIRTIO_PCI_COMMON_MSIX, 2 },     { VIRTIO_PCI_COMMON_NUMQ, 2 },
    { VIRTIO_PCI_COMMON_STATUS, 1 },   { VIRTIO_PCI_COMMON_CFGGEN, 1 },
    { VIRTIO_PCI_COMMON_Q_SELECT, 2 }, { VIRTIO_PCI_COMMON_Q_SIZE, 2 },
    { VIRTIO_PCI_COMMON_Q_MSIX, 2 },   { VIRTIO_PCI_COMMON_Q_ENABLE, 2 },
    { VIRTIO_PCI_COMMON_Q_NOFF, 2 },   { VIRTIO_PCI_COMMON_Q_DESC, 8 },
    { VIRTIO_PCI_COMMON_Q_DRIVER, 8 }, { VIRTIO_PCI_COMMON_Q_DEVICE, 8 },
};

/* Any width at any offset: overlay the written bytes on a snapshot of the
 * registers, then apply each field the write touched.  A 64-bit address
 * written as two dwords thus updates once per half, as the spec allows. */
static void virtio_pci_common_access(struct virtio_pci_dev *v, uint32_t offset,
                                     uint8_t *data, uint32_t len, bool is_write)
{
    struct virtio_pci_common_regs regs;
    if (offset >= sizeof(regs) || len > sizeof(regs) - offset) {
        if (!is_write)
            memset(data, 0, len);
        return;
    }
    virtio_pci_common_snapshot(v, &regs);
    if (!is_write) {
        memcpy(data, (uint8_t *)&regs + offset, len);
        return;
    }
    memcpy((uint8_t *)&regs + offset, data, len);
    size_t n = sizeof(virtio_pci_common_fields) / sizeof(virtio_pci_common_fields[0]);
    for (size_t i = 0; i < n; i++) {
        uint32_t f = virtio_pci_common_fields[i].offset;
        if (f < offset + len && f + virtio_pci_common_fields[i].size > offset)
            virtio_pci_write_common_field(v, f, &regs);
    }
}

/* --- ISR, device config, notify ------------------------------------------ */

/* Reading the ISR acknowledges it and lowers INTx (4.1.4.5). */
static void virtio_pci_isr_access(struct virtio_pci_dev *v, uint32_t offset,
                                  uint8_t *data, uint32_t len, bool is_write)
{
    if (is_write)
        return;
    memset(data, 0, len);
    if (offset != 0)
        return;
    data[0] = v->isr;
    v->isr = 0;
    pci_device_set_intx(&v->pci, false);
}

static void virtio_pci_device_cfg_access(struct virtio_pci_dev *v,
                                         uint32_t offset, uint8_t *data,
                                         uint32_t len, bool is_write)
{
    bool inside = offset < v->cfg.config_size &&
                  len <= v->cfg.config_size - offset;
    if (!inside) {
        if (!is_write)
            memset(data, 0, len);
        return;
    }
    if (!is_write)
        v->cfg.ops->config_read(v, offset, data, len);
    else if (v->cfg.ops->config_write)
        v->cfg.ops->config_write(v, offset, data, len);
}

/* Caller holds the lock. */
static void virtio_pci_process_queue(struct virtio_pci_dev *v, uint16_t q)
{
    if (q >= v->cfg.num_queues || !v->queues[q].enabled ||
        !virtio_pci_driver_ok(v))
        return;
    if (v->cfg.ops->queue_notify(v, q) < 0)
        virtio_pci_device_error(v);
}

static void virtio_pci_notify_access(struct virtio_pci_dev *v, uint32_t offset,
                                     uint8_t *data, uint32_t len, bool is_write)
{
    if (!is_write) {
        memset(data, 0, len);
        return;
    }
    if (offset % VIRTIO_PCI_NOTIFY_MULTIPLIER == 0)
        virtio_pci_process_queue(v, (uint16_t)(offset / VIRTIO_PCI_NOTIFY_MULTIPLIER));
}

void virtio_pci_notify_queue(struct virtio_pci_dev *vdev, uint16_t q)
{
    pthread_mutex_lock(&vdev->lock);
    virtio_pci_process_queue(vdev, q);
    pthread_mutex_unlock(&vdev->lock);
}

uint64_t virtio_pci_notify_gpa(struct virtio_pci_dev *vdev, uint16_t q)
{
    const struct pci_bar *bar = &vdev->pci.bars[VIRTIO_PCI_BAR];
    if (!bar->mapped || q >= vdev->cfg.num_queues)
        return 0;
    return bar->mapped_base + VIRTIO_PCI_NOTIFY_OFFSET +
           (uint64_t)q * VIRTIO_PCI_NOTIFY_MULTIPLIER;
}

struct virtq *virtio_pci_queue_ring(struct virtio_pci_dev *vdev, uint16_t q)
{
    return q < vdev->cfg.num_queues ? &vdev->queues[q].vq : NULL;
}

int virtio_pci_queue_vector_format(const struct virtio_pci_dev *vdev, uint16_t q,
                                   char *buf, size_t len)
{
    if (q >= vdev->cfg.num_queues)
        return snprintf(buf, len, "no queue");
    if (!vdev->msix.enabled)
        return snprintf(buf, len, "INTx, ISR 0x%x", vdev->isr);
    return pci_msix_vector_format(&vdev->msix, vdev->queues[q].msix_vector, buf, len);
}

/* BAR 0: route by region, one page each. */
static void virtio_pci_bar_access(void *opaque, uint64_t offset, uint8_t *data,
                                  uint32_t len, bool is_write)
{
    struct virtio_pci_dev *v = opaque;
    uint32_t region = (uint32_t)(offset & ~(uint64_t)(VIRTIO_PCI_REGION_SIZE - 1));
    uint32_t within = (uint32_t)(offset - region);

    pthread_mutex_lock(&v->lock);
    switch (region) {
    case VIRTIO_PCI_COMMON_OFFSET:
        virtio_pci_common_access(v, within, data, len, is_write);
        break;
    case VIRTIO_PCI_ISR_OFFSET:
        virtio_pci_isr_access(v, within, data, len, is_write);
        break;
    case VIRTIO_PCI_DEVICE_CFG_OFFSET:
        virtio_pci_device_cfg_access(v, within, data, len, is_write);
        break;
    case VIRTIO_PCI_NOTIFY_OFFSET:
        virtio_pci_notify_access(v, within, data, len, is_write);
        break;
    case VIRTIO_PCI_MSIX_TABLE_OFFSET:
        pci_msix_table_access(&v->msix, within, data, len, is_write);
        break;
    case VIRTIO_PCI_MSIX_PBA_OFFSET:
        pci_msix_pba_access(&v->msix, within, data, len, is_write);
        break;
    default:
        if (!is_write)
            memset(data, 0xFF, len);
    }
    pthread_mutex_unlock(&v->lock);
}

/* --- PCI side -------------------------------------------------------------- */

static struct virtio_pci_dev *virtio_pci_of(struct pci_device *dev)
{
    return (struct virtio_pci_dev *)((uint8_t *)dev -
                                     offsetof(struct virtio_pci_dev, pci));
}

static bool virtio_pci_touches_cfg_data(const struct virtio_pci_dev *v,
                                        uint32_t offset, uint32_t len)
{
    uint32_t data = v->pci_cfg_cap + VIRTIO_PCI_CFG_DATA;
    return v->pci_cfg_cap && offset < data + 4 && offset + len > data;
}

/* Access the BAR window the PCI-configuration-access capability selects:
 * BAR 0 only, 1, 2 or 4 bytes, aligned (4.1.4.8); the data bytes of the
 * capability are the value.  Called with the bus lock held, not ours. */
static void virtio_pci_cfg_window(struct virtio_pci_dev *v, bool is_write)
{
    const struct pci_device *dev = &v->pci;
    uint32_t cap = v->pci_cfg_cap;
    uint32_t bar = pci_config_read(dev, cap + VIRTIO_PCI_CFG_BAR, 1);
    uint32_t offset = pci_config_read(dev, cap + VIRTIO_PCI_CFG_OFFSET, 4);
    uint32_t len = pci_config_read(dev, cap + VIRTIO_PCI_CFG_LENGTH, 4);
    uint8_t *data = v->pci.config + cap + VIRTIO_PCI_CFG_DATA;

    if (bar != VIRTIO_PCI_BAR || (len != 1 && len != 2 && len != 4) ||
        offset % len || offset >= VIRTIO_PCI_BAR_SIZE)
        return;
    virtio_pci_bar_access(v, offset, data, len, is_write);
}

static void virtio_pci_config_reading(struct pci_device *dev, uint32_t offset,
                                      uint32_t len)
{
    struct virtio_pci_dev *v = virtio_pci_of(dev);
    if (virtio_pci_touches_cfg_data(v, offset, len))
        virtio_pci_cfg_window(v, false);
}

/* MSI-X enable changes which interrupt path is live; INTx must be quiet
 * while MSI-X is on (PCI 3.0, 6.8.2). */
static void virtio_pci_config_written(struct pci_device *dev, uint32_t offset,
                                      uint32_t len)
{
    struct virtio_pci_dev *v = virtio_pci_of(dev);
    if (virtio_pci_touches_cfg_data(v, offset, len))
        virtio_pci_cfg_window(v, true);
    pthread_mutex_lock(&v->lock);
    bool was_enabled = v->msix.enabled;
    pci_msix_config_written(&v->msix, offset, len);
    if (v->msix.enabled && !was_enabled) {
        v->isr = 0;
        pci_device_set_intx(&v->pci, false);
    }
    pthread_mutex_unlock(&v->lock);
}

static void virtio_pci_bar_mapped(struct pci_device *dev, unsigned index,
                                  bool mapped, uint64_t base)
{
    struct virtio_pci_dev *v = virtio_pci_of(dev);
    if (index == VIRTIO_PCI_BAR && v->notify_moved)
        v->notify_moved(v->notify_ctx, v);
}

void virtio_pci_set_notify_moved(struct virtio_pci_dev *vdev,
                                 void (*fn)(void *, struct virtio_pci_dev *),
                                 void *ctx)
{
    vdev->notify_ctx = ctx;
    vdev->notify_moved = fn;
}

static const struct pci_device_ops virtio_pci_device_ops = {
    .config_reading = virtio_pci_config_reading,
    .config_written = virtio_pci_config_written,
    .bar_mapped = virtio_pci_bar_mapped,
};

static int virtio_pci_add_cap(struct virtio_pci_dev *v, uint8_t type,
                              uint32_t offset, uint32_t length)
{
    struct virtio_pci_cap cap = {
        .cap_vndr = PCI_CAP_ID_VENDOR, .cap_len = sizeof(cap),
        .cfg_type = type, .bar = VIRTIO_PCI_BAR,
        .offset = offset, .length = length,
    };
    return pci_device_add_capability(&v->pci, &cap, sizeof(cap));
}

static int virtio_pci_add_notify_cap(struct virtio_pci_dev *v)
{
    struct virtio_pci_notify_cap cap = {
        .cap = { .cap_vndr = PCI_CAP_ID_VENDOR, .cap_len = sizeof(cap),
                 .cfg_type = VIRTIO_PCI_CAP_NOTIFY_CFG, .bar = VIRTIO_PCI_BAR,
                 .offset = VIRTIO_PCI_NOTIFY_OFFSET,
                 .length = (uint32_t)v->cfg.num_queues *
                           VIRTIO_PCI_NOTIFY_MULTIPLIER },
        .notify_off_multiplier = VIRTIO_PCI_NOTIFY_MULTIPLIER,
    };
    return pci_device_add_capability(&v->pci, &cap, sizeof(cap));
}

static int virtio_pci_add_cfg_access_cap(struct virtio_pci_dev *v)
{
    uint8_t cap[VIRTIO_PCI_CFG_CAP_SIZE] = {
        PCI_CAP_ID_VENDOR, 0, VIRTIO_PCI_CFG_CAP_SIZE, VIRTIO_PCI_CAP_PCI_CFG,
    };
    int off = pci_device_add_capability(&v->pci, cap, sizeof(cap));
    if (off < 0)
        return off;
    v->pci_cfg_cap = (uint8_t)off;
    pci_config_set_wmask(&v->pci, (uint32_t)off + VIRTIO_PCI_CFG_BAR, 1, 0xFF);
    pci_config_set_wmask(&v->pci, (uint32_t)off + VIRTIO_PCI_CFG_OFFSET, 4, ~0u);
    pci_config_set_wmask(&v->pci, (uint32_t)off + VIRTIO_PCI_CFG_LENGTH, 4, ~0u);
    pci_config_set_wmask(&v->pci, (uint32_t)off + VIRTIO_PCI_CFG_DATA, 4, ~0u);
    return 0;
}

/* MSI-X first, then the virtio structures in the spec's order. */
static int virtio_pci_add_caps(struct virtio_pci_dev *v)
{
    int rc = pci_msix_init(&v->msix, &v->pci, (uint16_t)(v->cfg.num_queues + 1),
                           VIRTIO_PCI_BAR, VIRTIO_PCI_MSIX_TABLE_OFFSET,
                           VIRTIO_PCI_MSIX_PBA_OFFSET);
    if (rc >= 0)
        rc = virtio_pci_add_cap(v, VIRTIO_PCI_CAP_COMMON_CFG,
                                VIRTIO_PCI_COMMON_OFFSET, VIRTIO_PCI_COMMON_SIZE);
    if (rc >= 0)
        rc = virtio_pci_add_notify_cap(v);
    if (rc >= 0)
        rc = virtio_pci_add_cap(v, VIRTIO_PCI_CAP_ISR_CFG,
                                VIRTIO_PCI_ISR_OFFSET, 1);
    /* Only a device with a configuration has the structure: Linux refuses
     * the device ("bad capability len 0") for an empty one (virtio-rng). */
    if (rc >= 0 && v->cfg.config_size > 0)
        rc = virtio_pci_add_cap(v, VIRTIO_PCI_CAP_DEVICE_CFG,
                                VIRTIO_PCI_DEVICE_CFG_OFFSET, v->cfg.config_size);
    if (rc >= 0)
        rc = virtio_pci_add_cfg_access_cap(v);
    return rc < 0 ? rc : 0;
}

static bool virtio_pci_config_ok(const struct virtio_pci_config *cfg)
{
    uint16_t qs = cfg->queue_max_size;
    return cfg->ops && cfg->ops->queue_notify && cfg->ops->config_read &&
           cfg->num_queues >= 1 && cfg->num_queues <= VIRTIO_PCI_MAX_QUEUES &&
           qs >= 1 && qs <= VIRTQ_MAX_SIZE && (qs & (qs - 1)) == 0 &&
           cfg->config_size <= VIRTIO_PCI_REGION_SIZE;
}

int virtio_pci_init(struct virtio_pci_dev *vdev, struct pci_bus *pci,
                    const struct virtio_pci_config *cfg)
{
    if (!virtio_pci_config_ok(cfg))
        return -EINVAL;
    memset(vdev, 0, sizeof(*vdev));
    vdev->cfg = *cfg;
    vdev->device_features = cfg->features | (1ULL << VIRTIO_F_VERSION_1);
    pthread_mutex_init(&vdev->lock, NULL);
    pci_device_init(&vdev->pci, VIRTIO_PCI_VENDOR,
                    (uint16_t)(VIRTIO_PCI_DEVICE_BASE + cfg->device_id),
                    cfg->class_code, 1, &virtio_pci_device_ops);
    pci_config_write(&vdev->pci, PCI_SUBSYSTEM_VENDOR_ID, 2, VIRTIO_PCI_VENDOR);
    pci_config_write(&vdev->pci, PCI_SUBSYSTEM_ID, 2, 0x1100);
    int rc = virtio_pci_add_caps(vdev);
    if (rc == 0)
        rc = pci_device_add_bar(&vdev->pci, VIRTIO_PCI_BAR, PCI_BAR_MEM32,
                                VIRTIO_PCI_BAR_SIZE, virtio_pci_bar_access,
                                vdev, cfg->name);
    virtio_pci_reset(vdev);
    if (rc == 0)
        rc = pci_bus_add_device(pci, &vdev->pci);
    if (rc < 0)
        virtio_pci_destroy(vdev);
    return rc;
}

void virtio_pci_destroy(struct virtio_pci_dev *vdev)
{
    pci_device_destroy(&vdev->pci);
    pthread_mutex_destroy(&vdev->lock);
}
