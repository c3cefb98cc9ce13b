/* ps2_queue: the bytes a PS/2 device (keyboard, mouse) has for the
 * controller, in order.  A key press or a mouse packet is several bytes
 * that only mean something together, so a sequence goes in whole or not
 * at all: a full queue drops the newest event, never half of one. */
#ifndef CORRAL_PS2_QUEUE_H
#define CORRAL_PS2_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PS2_QUEUE_SIZE 256

struct ps2_queue {
    uint8_t buf[PS2_QUEUE_SIZE];
    size_t head, count;
};

void ps2_queue_clear(struct ps2_queue *q);
/* Append all n bytes, or none when they do not fit (returns false). */
bool ps2_queue_put(struct ps2_queue *q, const uint8_t *bytes, size_t n);
/* A reply to the guest's command, which it is waiting for: it goes in
 * even when stale events fill the queue (they are thrown away). */
void ps2_queue_put_reply(struct ps2_queue *q, const uint8_t *bytes, size_t n);
/* Take the oldest byte; false when empty. */
bool ps2_queue_get(struct ps2_queue *q, uint8_t *byte);

#endif
