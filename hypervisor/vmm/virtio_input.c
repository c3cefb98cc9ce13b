/* virtio_input: the virtio-input tablet (see virtio_input.h). */
#include "virtio_input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "input.h"

#define TABLET_NAME "Corral Tablet"
#define TABLET_SERIAL "corral-tablet-0"
#define BUS_VIRTUAL 0x06
/* No USB vendor is ours: the IDs are the PCI function's (virtio's vendor,
 * virtio-input's device). */
#define TABLET_VENDOR 0x1AF4
#define TABLET_PRODUCT (VIRTIO_PCI_DEVICE_BASE + VIRTIO_INPUT_DEVICE_ID)
#define TABLET_VERSION 1
#define EVENT_SIZE 8
/* The most events one report needs: X, Y, three buttons, wheel, SYN. */
#define REPORT_MAX 7

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, (uint16_t)v);
    put_le16(p + 2, (uint16_t)(v >> 16));
}

static size_t set_bits(uint8_t *bitmap, const uint16_t *codes, size_t n)
{
    size_t size = 0;
    for (size_t i = 0; i < n; i++) {
        bitmap[codes[i] / 8] |= (uint8_t)(1u << (codes[i] % 8));
        if ((size_t)codes[i] / 8 + 1 > size)
            size = (size_t)codes[i] / 8 + 1;
    }
    return size;
}

static size_t event_bits(uint8_t type, uint8_t *out)
{
    static const uint16_t keys[] = { VIRTIO_INPUT_BTN_LEFT, VIRTIO_INPUT_BTN_RIGHT,
                                     VIRTIO_INPUT_BTN_MIDDLE };
    static const uint16_t rel[] = { VIRTIO_INPUT_REL_WHEEL };
    static const uint16_t abs_axes[] = { VIRTIO_INPUT_ABS_X, VIRTIO_INPUT_ABS_Y };
    switch (type) {
    case VIRTIO_INPUT_EV_KEY: return set_bits(out, keys, 3);
    case VIRTIO_INPUT_EV_REL: return set_bits(out, rel, 1);
    case VIRTIO_INPUT_EV_ABS: return set_bits(out, abs_axes, 2);
    default: return 0;
    }
}

static size_t copy_string(uint8_t *out, const char *s)
{
    size_t n = strlen(s);
    memcpy(out, s, n);
    return n;
}

size_t virtio_input_config_answer(uint8_t select, uint8_t subsel, uint8_t *out)
{
    memset(out, 0, 128);
    switch (select) {
    case VIRTIO_INPUT_CFG_ID_NAME:
        return subsel ? 0 : copy_string(out, TABLET_NAME);
    case VIRTIO_INPUT_CFG_ID_SERIAL:
        return subsel ? 0 : copy_string(out, TABLET_SERIAL);
    case VIRTIO_INPUT_CFG_ID_DEVIDS:
        if (subsel)
            return 0;
        put_le16(out, BUS_VIRTUAL);
        put_le16(out + 2, TABLET_VENDOR);
        put_le16(out + 4, TABLET_PRODUCT);
        put_le16(out + 6, TABLET_VERSION);
        return 8;
    case VIRTIO_INPUT_CFG_EV_BITS:
        return event_bits(subsel, out);
    case VIRTIO_INPUT_CFG_ABS_INFO:
        if (subsel != VIRTIO_INPUT_ABS_X && subsel != VIRTIO_INPUT_ABS_Y)
            return 0;
        put_le32(out + 4, INPUT_ABS_MAX); /* min 0, fuzz, flat, res 0 */
        return 20;
    default: /* PROP_BITS: none; UNSET and unknown selectors: nothing */
        return 0;
    }
}

static void virtio_input_config_read(struct virtio_pci_dev *vdev, uint32_t offset,
                                     uint8_t *data, uint32_t len)
{
    struct virtio_input *in = vdev->cfg.opaque;
    uint8_t cfg[VIRTIO_INPUT_CFG_SIZE] = { in->select, in->subsel };
    cfg[2] = (uint8_t)virtio_input_config_answer(in->select, in->subsel,
                                                  cfg + VIRTIO_INPUT_CFG_PAYLOAD);
    memcpy(data, cfg + offset, len); /* the transport keeps it inside */
}

static void virtio_input_config_write(struct virtio_pci_dev *vdev, uint32_t offset,
                                      const uint8_t *data, uint32_t len)
{
    struct virtio_input *in = vdev->cfg.opaque;
    for (uint32_t i = 0; i < len; i++) {
        if (offset + i == 0)
            in->select = data[i];
        else if (offset + i == 1)
            in->subsel = data[i];
        /* the rest is the device's to write */
    }
}

/* ---- events ------------------------------------------------------------ */

static struct virtio_input_event *pending_at(struct virtio_input *in, size_t i)
{
    return &in->pending[(in->p_head + i) % VIRTIO_INPUT_PENDING];
}

/* Make room for n events by dropping the oldest whole reports (each ends
 * with its SYN_REPORT), so that the guest never sees half of one. */
static void drop_oldest_reports(struct virtio_input *in, size_t n)
{
    while (in->p_count > 0 && VIRTIO_INPUT_PENDING - in->p_count < n) {
        bool end_of_report;
        do {
            end_of_report = pending_at(in, 0)->type == VIRTIO_INPUT_EV_SYN;
            in->p_head = (in->p_head + 1) % VIRTIO_INPUT_PENDING;
            in->p_count--;
            in->dropped++;
        } while (!end_of_report && in->p_count > 0);
    }
}

static void queue_report(struct virtio_input *in,
                         const struct virtio_input_event *ev, size_t n)
{
    drop_oldest_reports(in, n);
    for (size_t i = 0; i < n; i++)
        *pending_at(in, in->p_count++) = ev[i];
}

/* One pending event into one guest buffer; a buffer too short for an
 * event goes back unused (written 0) and the event waits for the next. */
static uint32_t write_event(struct virtio_input *in, const struct virtq_chain *c)
{
    if (c->writable_len < EVENT_SIZE)
        return 0;
    const struct virtio_input_event *ev = pending_at(in, 0);
    uint8_t bytes[EVENT_SIZE];
    put_le16(bytes, ev->type);
    put_le16(bytes + 2, ev->code);
    put_le32(bytes + 4, ev->value);
    in->p_head = (in->p_head + 1) % VIRTIO_INPUT_PENDING;
    in->p_count--;
    return (uint32_t)virtq_iov_write(c->seg + c->n_readable, c->n_writable, 0,
                                     bytes, EVENT_SIZE);
}

/* Give pending events to the guest's buffers.  With events left and no
 * buffer, ask the driver to notify us when it adds some.  Caller holds
 * the device lock; returns 0 or -EPROTO (a broken ring). */
static int deliver_pending(struct virtio_input *in)
{
    struct virtq *vq = virtio_pci_queue_ring(&in->vdev, VIRTIO_INPUT_EVENTQ);
    int rc = 0;
    bool pushed = false;
    do {
        while (in->p_count > 0 && (rc = virtq_pop(vq, &in->chain)) > 0) {
            virtq_push(vq, in->chain.head, write_event(in, &in->chain));
            pushed = true;
        }
    } while (rc >= 0 && in->p_count > 0 && virtq_enable_notify(vq));
    if (pushed)
        virtio_pci_queue_interrupt(&in->vdev, VIRTIO_INPUT_EVENTQ);
    return rc < 0 ? rc : 0;
}

/* LED events from the guest: a tablet has no LEDs. */
static int consume_status(struct virtio_input *in)
{
    struct virtq *vq = virtio_pci_queue_ring(&in->vdev, VIRTIO_INPUT_STATUSQ);
    int rc;
    bool pushed = false;
    do {
        while ((rc = virtq_pop(vq, &in->chain)) > 0) {
            virtq_push(vq, in->chain.head, 0);
            pushed = true;
        }
    } while (rc == 0 && virtq_enable_notify(vq));
    if (pushed)
        virtio_pci_queue_interrupt(&in->vdev, VIRTIO_INPUT_STATUSQ);
    return rc;
}

static int virtio_input_queue_notify(struct virtio_pci_dev *vdev, uint16_t q)
{
    struct virtio_input *in = vdev->cfg.opaque;
    return q == VIRTIO_INPUT_EVENTQ ? deliver_pending(in) : consume_status(in);
}

static void virtio_input_reset(struct virtio_pci_dev *vdev)
{
    struct virtio_input *in = vdev->cfg.opaque;
    in->select = in->subsel = 0;
    in->buttons = 0;
    in->p_head = in->p_count = 0;
}

/* Caller holds the lock. */
static bool eventq_live(struct virtio_input *in)
{
    return virtio_pci_driver_ok(&in->vdev) &&
           in->vdev.queues[VIRTIO_INPUT_EVENTQ].enabled;
}

bool virtio_input_ready(void *ctx)
{
    struct virtio_input *in = ctx;
    pthread_mutex_lock(&in->vdev.lock);
    bool ready = eventq_live(in);
    pthread_mutex_unlock(&in->vdev.lock);
    return ready;
}

/* The report for a pointer at (x, y): position, changed buttons, wheel.
 * Caller holds the lock (in->buttons). */
static size_t build_report(struct virtio_input *in, uint32_t x, uint32_t y,
                           int dz, uint32_t buttons, struct virtio_input_event *ev)
{
    static const struct { uint32_t bit; uint16_t code; } map[] = {
        { INPUT_BUTTON_LEFT, VIRTIO_INPUT_BTN_LEFT },
        { INPUT_BUTTON_RIGHT, VIRTIO_INPUT_BTN_RIGHT },
        { INPUT_BUTTON_MIDDLE, VIRTIO_INPUT_BTN_MIDDLE },
    };
    size_t n = 0;
    ev[n++] = (struct virtio_input_event){ VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_X,
                                           x > INPUT_ABS_MAX ? INPUT_ABS_MAX : x };
    ev[n++] = (struct virtio_input_event){ VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_Y,
                                           y > INPUT_ABS_MAX ? INPUT_ABS_MAX : y };
    for (size_t i = 0; i < 3; i++)
        if ((buttons ^ in->buttons) & map[i].bit)
            ev[n++] = (struct virtio_input_event){ VIRTIO_INPUT_EV_KEY, map[i].code,
                                                   (buttons & map[i].bit) ? 1 : 0 };
    in->buttons = buttons;
    if (dz) /* evdev's wheel counts up as positive; input.h's dz down */
        ev[n++] = (struct virtio_input_event){ VIRTIO_INPUT_EV_REL, VIRTIO_INPUT_REL_WHEEL,
                                               (uint32_t)-dz };
    ev[n++] = (struct virtio_input_event){ VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0 };
    return n;
}

void virtio_input_move(void *ctx, uint32_t x, uint32_t y, int dz,
                       uint32_t buttons)
{
    struct virtio_input *in = ctx;
    struct virtio_input_event ev[REPORT_MAX];
    pthread_mutex_lock(&in->vdev.lock);
    queue_report(in, ev, build_report(in, x, y, dz, buttons, ev));
    if (eventq_live(in) && deliver_pending(in) < 0)
        virtio_pci_device_error(&in->vdev);
    pthread_mutex_unlock(&in->vdev.lock);
}

static const struct virtio_device_ops virtio_input_ops = {
    .queue_notify = virtio_input_queue_notify,
    .config_read = virtio_input_config_read,
    .config_write = virtio_input_config_write,
    .reset = virtio_input_reset,
};

int virtio_input_create(struct virtio_input **out, struct pci_bus *pci)
{
    struct virtio_input *in = calloc(1, sizeof(*in));
    if (!in)
        return -ENOMEM;
    const struct virtio_pci_config cfg = {
        .device_id = VIRTIO_INPUT_DEVICE_ID,
        .class_code = 0x098000, /* input device, other */
        .features = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_F_INDIRECT_DESC,
        .num_queues = 2,
        .queue_max_size = VIRTIO_INPUT_QUEUE_SIZE,
        .config_size = VIRTIO_INPUT_CFG_SIZE,
        .ops = &virtio_input_ops,
        .opaque = in,
        .name = "virtio-input",
    };
    int rc = virtio_pci_init(&in->vdev, pci, &cfg);
    if (rc < 0) {
        free(in);
        return rc;
    }
    *out = in;
    return 0;
}

void virtio_input_destroy(struct virtio_input *in)
{
    if (!in)
        return;
    virtio_pci_destroy(&in->vdev);
    free(in);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

/* A VM with a screen gets a tablet: the remote console's pointer then
 * lands exactly where it points, in guests with a driver for it. */
static size_t tablet_count(const struct vmdef *def)
{
    return vmdef_has_display(def) ? 1 : 0;
}

static int tablet_add(struct board *b, const struct vmdef *def, size_t index,
                      void **dev)
{
    struct virtio_input *in;
    int rc = virtio_input_create(&in, &b->pci);
    if (rc < 0)
        return vm_error("virtio-input: %s", strerror(-rc));
    *dev = in;
    board_add_virtio(b, &in->vdev);
    input_set_tablet(&b->input, &(struct input_tablet){
        in, virtio_input_ready, virtio_input_move });
    vm_log(&b->vm, "virtio-input tablet");
    return 0;
}

static void tablet_destroy(void *dev)
{
    virtio_input_destroy(dev);
}

const struct device_desc virtio_input_device = {
    .name = "virtio-input",
    .count = tablet_count,
    .add = tablet_add,
    .destroy = tablet_destroy,
};
