/* debugcon: the firmware's log port (see debugcon.h). */
#include "debugcon.h"

#include <string.h>

void debugcon_init(struct debugcon *d, debugcon_line_fn on_line, void *ctx)
{
    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->lock, NULL);
    d->on_line = on_line;
    d->ctx = ctx;
}

static void debugcon_flush(struct debugcon *d)
{
    d->line[d->len] = '\0';
    d->len = 0;
    d->on_line(d->ctx, d->line);
}

static void debugcon_byte(struct debugcon *d, uint8_t c)
{
    if (c == '\r')
        return;
    if (c == '\n') {
        debugcon_flush(d);
        return;
    }
    d->line[d->len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?';
    if (d->len == DEBUGCON_LINE_MAX)
        debugcon_flush(d);
}

/* The callback runs under the lock: lines arrive whole and in order. */
void debugcon_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                 bool is_write)
{
    struct debugcon *d = opaque;
    if (!is_write) {
        memset(data, 0, len);
        data[0] = DEBUGCON_READBACK;
        return;
    }
    pthread_mutex_lock(&d->lock);
    for (uint32_t i = 0; i < len; i++)
        debugcon_byte(d, data[i]);
    pthread_mutex_unlock(&d->lock);
}
