/* virtio_input: a virtio-input tablet (virtio 1.x, 5.8) over virtio-pci:
 * an absolute pointer, so that the guest's pointer is exactly where the
 * remote console's is, with no acceleration to fight (Linux: the
 * virtio_input driver, seen as an evdev device "Corral Tablet").
 *
 * Configuration: the driver writes select and subsel, then reads size and
 * the answer (5.8.4): ID_NAME, ID_SERIAL, ID_DEVIDS, PROP_BITS (none, as
 * QEMU's tablet: absolute X/Y with buttons and no BTN_TOUCH is what makes
 * Linux's input stack treat it as a tablet rather than a touch screen),
 * EV_BITS for EV_KEY (BTN_LEFT, BTN_RIGHT, BTN_MIDDLE), EV_REL (REL_WHEEL)
 * and EV_ABS (ABS_X, ABS_Y), ABS_INFO for ABS_X and ABS_Y
 * (0..INPUT_ABS_MAX).  Anything else reads as size 0.
 *
 * Queues: the eventq (0), whose guest buffers the device fills with one
 * 8-byte event each (le16 type, le16 code, le32 value), every report
 * ending with EV_SYN/SYN_REPORT; events that find no buffer wait in a
 * bounded ring that drops the oldest whole reports.  The statusq (1)
 * carries the guest's LED events, which a tablet consumes and ignores.
 *
 * Events come from the input router (input.h's tablet sink) on any
 * thread; the transport's device lock orders them with the guest. */
#ifndef CORRAL_VIRTIO_INPUT_H
#define CORRAL_VIRTIO_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_pci.h"

#define VIRTIO_INPUT_DEVICE_ID 18
#define VIRTIO_INPUT_QUEUE_SIZE 64
#define VIRTIO_INPUT_EVENTQ 0
#define VIRTIO_INPUT_STATUSQ 1
/* Events kept while the guest has no buffer (a few hundred reports). */
#define VIRTIO_INPUT_PENDING 1024

/* Configuration selectors (5.8.4). */
#define VIRTIO_INPUT_CFG_UNSET 0x00
#define VIRTIO_INPUT_CFG_ID_NAME 0x01
#define VIRTIO_INPUT_CFG_ID_SERIAL 0x02
#define VIRTIO_INPUT_CFG_ID_DEVIDS 0x03
#define VIRTIO_INPUT_CFG_PROP_BITS 0x10
#define VIRTIO_INPUT_CFG_EV_BITS 0x11
#define VIRTIO_INPUT_CFG_ABS_INFO 0x12
/* select, subsel, size, 5 reserved, then a 128-byte union */
#define VIRTIO_INPUT_CFG_PAYLOAD 8
#define VIRTIO_INPUT_CFG_SIZE (VIRTIO_INPUT_CFG_PAYLOAD + 128)

/* evdev codes (linux/input-event-codes.h, which guests share). */
#define VIRTIO_INPUT_EV_SYN 0x00
#define VIRTIO_INPUT_EV_KEY 0x01
#define VIRTIO_INPUT_EV_REL 0x02
#define VIRTIO_INPUT_EV_ABS 0x03
#define VIRTIO_INPUT_SYN_REPORT 0
#define VIRTIO_INPUT_BTN_LEFT 0x110
#define VIRTIO_INPUT_BTN_RIGHT 0x111
#define VIRTIO_INPUT_BTN_MIDDLE 0x112
#define VIRTIO_INPUT_REL_WHEEL 0x08
#define VIRTIO_INPUT_ABS_X 0x00
#define VIRTIO_INPUT_ABS_Y 0x01

struct virtio_input_event {
    uint16_t type, code;
    uint32_t value;
};

struct virtio_input {
    struct virtio_pci_dev vdev;
    uint8_t select, subsel;
    uint32_t buttons; /* held, as reported (input.h's bits) */
    struct virtio_input_event pending[VIRTIO_INPUT_PENDING];
    size_t p_head, p_count;
    uint64_t dropped; /* events lost to a guest not reading */
    struct virtq_chain chain;
};

int virtio_input_create(struct virtio_input **out, struct pci_bus *pci);
void virtio_input_destroy(struct virtio_input *in);

/* The configuration's union for select/subsel (at most 128 bytes into
 * out); returns its size, 0 for what the device does not have. */
size_t virtio_input_config_answer(uint8_t select, uint8_t subsel, uint8_t *out);

/* The tablet sink (input.h), ctx being the virtio_input. */
bool virtio_input_ready(void *ctx);
void virtio_input_move(void *ctx, uint32_t x, uint32_t y, int dz,
                       uint32_t buttons);

/* The tablet of a VM with a display, for the device table (devices.h). */
struct device_desc;
extern const struct device_desc virtio_input_device;

#endif
