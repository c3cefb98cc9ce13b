/* i8042: the keyboard controller, routing the keyboard and the PS/2 mouse
 * (see i8042.h). */
#include "i8042.h"

#include <stdlib.h>
#include <string.h>

#include "devices.h"

#define STR_OBF        0x01 /* output buffer full */
#define STR_SYS        0x04 /* self test passed */
#define STR_CMD        0x08 /* last write was to the command port */
#define STR_UNLOCKED   0x10 /* keyboard not inhibited by the keylock */
#define STR_AUX_OBF    0x20 /* the output buffer holds the mouse's byte */
#define CTR_KBDINT     0x01
#define CTR_AUXINT     0x02
#define CTR_SYS        0x04
#define CTR_KBDDIS     0x10
#define CTR_AUXDIS     0x20
#define CTR_XLATE      0x40
#define CMD_READ_CTR   0x20
#define CMD_WRITE_CTR  0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_AUX_TEST   0xa9
#define CMD_SELF_TEST  0xaa
#define CMD_KBD_TEST   0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_WRITE_OUT  0xd1
#define CMD_WRITE_KBD_OBUF 0xd2
#define CMD_WRITE_AUX_OBUF 0xd3
#define CMD_WRITE_AUX  0xd4
#define CMD_PULSE_RESET 0xfe
#define SELF_TEST_OK   0x55
#define PORT_TEST_OK   0x00
#define SET2_BREAK     0xf0

enum { LINE_KBD, LINE_AUX };
static const unsigned line_irq[2] = { I8042_KBD_IRQ, I8042_AUX_IRQ };

void i8042_init(struct i8042 *k, void (*irq)(void *, unsigned, int),
                void (*reset)(void *), void *ctx)
{
    memset(k, 0, sizeof(*k));
    pthread_mutex_init(&k->lock, NULL);
    /* what a PC BIOS leaves: keyboard interrupt, translation, mouse off */
    k->ctr = CTR_KBDINT | CTR_SYS | CTR_AUXDIS | CTR_XLATE;
    ps2_kbd_init(&k->kbd);
    ps2_mouse_init(&k->mouse);
    k->irq = irq;
    k->reset = reset;
    k->ctx = ctx;
}

static void i8042_log(struct i8042 *k, const char *msg)
{
    if (k->log)
        k->log(k->ctx, msg);
}

/* One byte per guest command: a guest that commands without ever
 * reading loses the oldest answers, it cannot grow anything. */
static void i8042_queue_reply(struct ps2_queue *q, uint8_t byte)
{
    uint8_t stale;
    if (!ps2_queue_put(q, &byte, 1) && ps2_queue_get(q, &stale))
        ps2_queue_put(q, &byte, 1);
}

static void i8042_reply(struct i8042 *k, uint8_t byte)
{
    i8042_queue_reply(&k->replies, byte);
}

/* Caller holds the lock (as every static function below). */
static void i8042_set_line(struct i8042 *k, int line, int level)
{
    if (level != k->irq_level[line]) {
        k->irq_level[line] = level;
        if (k->irq)
            k->irq(k->ctx, line_irq[line], level);
    }
}

static void i8042_update_irq(struct i8042 *k)
{
    i8042_set_line(k, LINE_KBD, k->obuf_full && !k->obuf_aux && (k->ctr & CTR_KBDINT));
    i8042_set_line(k, LINE_AUX, k->obuf_full && k->obuf_aux && (k->ctr & CTR_AUXINT));
}

/* The keyboard's next byte as the guest sees it: translated to set 1
 * when XLATE is on (a set 2 break's F0 becomes bit 7 of the next byte). */
static bool i8042_keyboard_byte(struct i8042 *k, uint8_t *byte)
{
    uint8_t raw;
    while (ps2_kbd_read(&k->kbd, &raw)) {
        if (!(k->ctr & CTR_XLATE)) {
            *byte = raw;
            return true;
        }
        if (raw == SET2_BREAK) {
            k->xlate_break = true;
            continue;
        }
        *byte = (uint8_t)(ps2_translate(raw) | (k->xlate_break ? 0x80 : 0));
        k->xlate_break = false;
        return true;
    }
    return false;
}

static void i8042_fill_obuf(struct i8042 *k)
{
    uint8_t byte;
    if (k->obuf_full)
        return;
    if (ps2_queue_get(&k->replies, &byte))
        k->obuf_aux = false;
    else if (ps2_queue_get(&k->aux_replies, &byte))
        k->obuf_aux = true;
    else if (!(k->ctr & CTR_KBDDIS) && i8042_keyboard_byte(k, &byte))
        k->obuf_aux = false;
    else if (!(k->ctr & CTR_AUXDIS) && ps2_mouse_read(&k->mouse, &byte))
        k->obuf_aux = true;
    else
        return;
    k->obuf = byte;
    k->obuf_full = true;
}

/* After anything that may have produced bytes or changed the CTR. */
static void i8042_sync(struct i8042 *k)
{
    i8042_fill_obuf(k);
    i8042_update_irq(k);
}

uint8_t i8042_status(struct i8042 *k)
{
    return (uint8_t)(STR_SYS | STR_UNLOCKED | (k->obuf_full ? STR_OBF : 0) |
                     (k->obuf_full && k->obuf_aux ? STR_AUX_OBF : 0));
}

static void i8042_controller_data(struct i8042 *k, uint8_t cmd, uint8_t v)
{
    if (cmd == CMD_WRITE_CTR)
        k->ctr = v;
    else if (cmd == CMD_WRITE_OUT && !(v & 0x01) && k->reset)
        k->reset(k->ctx); /* output port bit 0 low: CPU reset */
    else if (cmd == CMD_WRITE_KBD_OBUF)
        i8042_reply(k, v);
    else if (cmd == CMD_WRITE_AUX_OBUF) /* as if the mouse sent it, even */
        i8042_queue_reply(&k->aux_replies, v); /* with the port disabled */
    else if (cmd == CMD_WRITE_AUX)
        ps2_mouse_write(&k->mouse, v);
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
    switch (cmd) {
    case CMD_READ_CTR:    i8042_reply(k, k->ctr); break;
    case CMD_SELF_TEST:   i8042_reply(k, SELF_TEST_OK); break;
    case CMD_KBD_TEST:    i8042_reply(k, PORT_TEST_OK); break;
    case CMD_AUX_TEST:    i8042_reply(k, PORT_TEST_OK); break;
    case CMD_AUX_DISABLE: k->ctr |= CTR_AUXDIS; break;
    case CMD_AUX_ENABLE:  k->ctr &= (uint8_t)~CTR_AUXDIS; break;
    case CMD_KBD_DISABLE: k->ctr |= CTR_KBDDIS; break;
    case CMD_KBD_ENABLE:  k->ctr &= (uint8_t)~CTR_KBDDIS; break;
    case CMD_WRITE_CTR:
    case CMD_WRITE_OUT:
    case CMD_WRITE_KBD_OBUF:
    case CMD_WRITE_AUX_OBUF:
    case CMD_WRITE_AUX:
        k->pending_cmd = cmd;
        break;
    case CMD_PULSE_RESET:
        if (k->reset)
            k->reset(k->ctx);
        break;
    default:
        break; /* other pulses and vendor commands: nothing to do */
    }
}

static uint8_t i8042_read_obuf(struct i8042 *k)
{
    /* an empty buffer reads as its last byte, as on hardware */
    k->obuf_full = false;
    /* one edge per byte: lower the line, the refill raises it again */
    i8042_set_line(k, LINE_KBD, 0);
    i8042_set_line(k, LINE_AUX, 0);
    return k->obuf;
}

void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                   bool is_write)
{
    struct i8042 *k = opaque;
    pthread_mutex_lock(&k->lock);
    if (!is_write) {
        data[0] = i8042_read_obuf(k);
    } else if (k->pending_cmd) {
        uint8_t cmd = k->pending_cmd;
        k->pending_cmd = 0;
        i8042_controller_data(k, cmd, data[0]);
    } else {
        ps2_kbd_write(&k->kbd, data[0]);
    }
    for (uint32_t i = 1; i < len && !is_write; i++)
        data[i] = 0;
    i8042_sync(k);
    pthread_mutex_unlock(&k->lock);
}

void i8042_command_io(void *opaque, uint64_t offset, uint8_t *data,
                      uint32_t len, bool is_write)
{
    struct i8042 *k = opaque;
    pthread_mutex_lock(&k->lock);
    if (is_write) {
        k->pending_cmd = 0; /* a new command cancels one waiting for data */
        i8042_command(k, data[0]);
    } else {
        data[0] = (uint8_t)(i8042_status(k) | STR_CMD);
    }
    for (uint32_t i = 1; i < len && !is_write; i++)
        data[i] = 0;
    i8042_sync(k);
    pthread_mutex_unlock(&k->lock);
}

void i8042_key(void *ctx, uint16_t qnum, bool down)
{
    struct i8042 *k = ctx;
    pthread_mutex_lock(&k->lock);
    enum ps2_key_result r = ps2_kbd_key(&k->kbd, qnum, down);
    if (r == PS2_KEY_DROPPED && !k->dropping_keys)
        i8042_log(k, "i8042: keyboard queue full (the guest does not read it): dropping keys");
    if (r != PS2_KEY_IGNORED)
        k->dropping_keys = r == PS2_KEY_DROPPED;
    i8042_sync(k);
    pthread_mutex_unlock(&k->lock);
}

void i8042_mouse_move(void *ctx, int dx, int dy, int dz, uint32_t buttons)
{
    struct i8042 *k = ctx;
    pthread_mutex_lock(&k->lock);
    bool queued = ps2_mouse_move(&k->mouse, dx, dy, dz, buttons);
    if (!queued && !k->dropping_motion)
        i8042_log(k, "i8042: mouse queue full (the guest does not read it): dropping motion");
    k->dropping_motion = !queued;
    i8042_sync(k);
    pthread_mutex_unlock(&k->lock);
}

void i8042_ctrl_alt_del(struct i8042 *k)
{
    static const uint16_t keys[] = { 0x1d, 0x38, 0xd3 }; /* Ctrl Alt Delete */
    for (size_t i = 0; i < 3; i++)
        i8042_key(k, keys[i], true);
    for (size_t i = 3; i-- > 0;)
        i8042_key(k, keys[i], false);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

static void kbd_irq(void *ctx, unsigned irq, int level)
{
    struct board *b = ctx;
    vm_irq_line(&b->vm, irq, level);
}

static void kbd_reset(void *ctx)
{
    struct board *b = ctx;
    vm_log(&b->vm, "guest reset the CPU through the i8042");
    vm_request_stop(&b->vm, VM_EXIT_REBOOT);
}

static void kbd_log(void *ctx, const char *msg)
{
    struct board *b = ctx;
    vm_log(&b->vm, "%s", msg);
}

static int kbd_add(struct board *b, const struct vmdef *def, size_t index,
                   void **dev)
{
    struct i8042 *k = board_alloc_device(dev, sizeof(*k), "i8042");
    if (!k)
        return VM_EXIT_ERROR;
    i8042_init(k, kbd_irq, kbd_reset, b);
    k->log = kbd_log;
    b->kbd = k; /* for Ctrl-Alt-Del */
    input_set_keyboard(&b->input, &(struct input_keyboard){ k, i8042_key });
    input_set_mouse(&b->input, &(struct input_mouse){ k, i8042_mouse_move });
    return 0;
}

const struct device_desc i8042_device = {
    .name = "i8042",
    .add = kbd_add,
    .ranges = {
        { BUS_PIO, I8042_DATA_PORT, 1, i8042_data_io, "i8042 data" },
        { BUS_PIO, I8042_COMMAND_PORT, 1, i8042_command_io, "i8042 command" },
    },
    .destroy = free,
};
