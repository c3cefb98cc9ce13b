/* ps2_queue: a PS/2 device's output bytes (see ps2_queue.h). */
#include "ps2_queue.h"

#include <string.h>

void ps2_queue_clear(struct ps2_queue *q)
{
    q->head = q->count = 0;
}

bool ps2_queue_put(struct ps2_queue *q, const uint8_t *bytes, size_t n)
{
    if (n > PS2_QUEUE_SIZE - q->count)
        return false;
    for (size_t i = 0; i < n; i++)
        q->buf[(q->head + q->count + i) % PS2_QUEUE_SIZE] = bytes[i];
    q->count += n;
    return true;
}

void ps2_queue_put_reply(struct ps2_queue *q, const uint8_t *bytes, size_t n)
{
    if (!ps2_queue_put(q, bytes, n)) {
        ps2_queue_clear(q);
        ps2_queue_put(q, bytes, n);
    }
}

bool ps2_queue_get(struct ps2_queue *q, uint8_t *byte)
{
    if (!q->count)
        return false;
    *byte = q->buf[q->head];
    q->head = (q->head + 1) % PS2_QUEUE_SIZE;
    q->count--;
    return true;
}
