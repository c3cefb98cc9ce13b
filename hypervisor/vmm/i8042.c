/* i8042: keyboard controller reset line and a minimal keyboard. */
#include "i8042.h"

#include <stdlib.h>
#include <string.h>

#include "devices.h"

#define STR_OBF        0x01 /* output buffer full */
#define STR_SYS        0x04 /* self test passed */
#define STR_CMD        0x08 /* last write was to the command port */
#define STR_UNLOCKED   0x10 /* keyboard not inhibited by the keylock */
#define CTR_KBDINT     0x01
#define CTR_SYS        0x04
#define CTR_AUXDIS     0x20
#define CTR_XLATE      0x40
#define CMD_READ_CTR   0x20
#define CMD_WRITE_CTR  0x60
#define CMD_AUX_TEST   0xa9
#define CMD_SELF_TEST  0xaa
#define CMD_KBD_TEST   0xab
#define CMD_WRITE_OUT  0xd1
#define CMD_WRITE_KBD_OBUF 0xd2
#define CMD_AUX_LOOP   0xd3
#define CMD_WRITE_AUX  0xd4
#define CMD_PULSE_RESET 0xfe
#define KBD_ACK        0xfa
#define KBD_RESET      0xff
#define KBD_GET_ID     0xf2
#define KBD_BAT_OK     0xaa

void i8042_init(struct i8042 *k, void (*irq)(void *, int),
                void (*reset)(void *), void *ctx)
{
    memset(k, 0, sizeof(*k));
    pthread_mutex_init(&k->lock, NULL);
    /* what a PC BIOS leaves: keyboard interrupt, translation, no mouse */
    k->ctr = CTR_KBDINT | CTR_SYS | CTR_AUXDIS | CTR_XLATE;
    k->irq = irq;
    k->reset = reset;
    k->ctx = ctx;
}

static void i8042_push(struct i8042 *k, uint8_t byte)
{
    if (k->q_count == I8042_QUEUE)
        return;
    k->queue[(k->q_head + k->q_count) % I8042_QUEUE] = byte;
    k->q_count++;
}

static uint8_t i8042_pop(struct i8042 *k)
{
    if (!k->q_count)
        return 0;
    uint8_t byte = k->queue[k->q_head];
    k->q_head = (k->q_head + 1) % I8042_QUEUE;
    k->q_count--;
    return byte;
}

/* Caller holds the lock. */
static void i8042_set_irq(struct i8042 *k, int level)
{
    if (level != k->irq_level) {
        k->irq_level = level;
        if (k->irq)
            k->irq(k->ctx, level);
    }
}

static void i8042_update_irq(struct i8042 *k)
{
    i8042_set_irq(k, k->q_count && (k->ctr & CTR_KBDINT));
}

uint8_t i8042_status(struct i8042 *k)
{
    return (uint8_t)(STR_SYS | STR_UNLOCKED | (k->q_count ? STR_OBF : 0));
}

static void i8042_keyboard_command(struct i8042 *k, uint8_t cmd)
{
    if (k->pending_kbd) { /* the parameter of LEDs, rate, scan set... */
        k->pending_kbd = 0;
        i8042_push(k, KBD_ACK);
        return;
    }
    i8042_push(k, KBD_ACK);
    if (cmd == KBD_RESET)
        i8042_push(k, KBD_BAT_OK);
    else if (cmd == KBD_GET_ID) {
        i8042_push(k, 0xab); /* MF2 keyboard */
        i8042_push(k, 0x83);
    } else if (cmd == 0xed || cmd == 0xf0 || cmd == 0xf3)
        k->pending_kbd = cmd;
}

static void i8042_controller_data(struct i8042 *k, uint8_t cmd, uint8_t v)
{
    if (cmd == CMD_WRITE_CTR)
        k->ctr = v;
    else if (cmd == CMD_WRITE_OUT && !(v & 0x01) && k->reset)
        k->reset(k->ctx); /* output port bit 0 low: CPU reset */
    else if (cmd == CMD_WRITE_KBD_OBUF)
        i8042_push(k, v);
    /* CMD_WRITE_AUX: there is no mouse, the byte goes nowhere */
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
    switch (cmd) {
    case CMD_READ_CTR:  i8042_push(k, k->ctr); break;
    case CMD_SELF_TEST: i8042_push(k, 0x55); break;
    case CMD_KBD_TEST:  i8042_push(k, 0x00); break;
    /* No AUX port: the loop test answers as keyboard data (Linux sees an
     * error at once), the interface test reports a stuck clock line. */
    case CMD_AUX_LOOP:  k->pending_cmd = cmd; break;
    case CMD_AUX_TEST:  i8042_push(k, 0x01); break;
    case 0xa7: k->ctr |= CTR_AUXDIS; break;
    case 0xa8: k->ctr &= (uint8_t)~CTR_AUXDIS; break;
    case 0xad: k->ctr |= 0x10; break; /* keyboard clock disabled */
    case 0xae: k->ctr &= (uint8_t)~0x10; break;
    case CMD_WRITE_CTR:
    case CMD_WRITE_OUT:
    case CMD_WRITE_KBD_OBUF:
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

void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                   bool is_write)
{
    struct i8042 *k = opaque;
    pthread_mutex_lock(&k->lock);
    if (!is_write) {
        data[0] = i8042_pop(k);
        i8042_set_irq(k, 0); /* one edge per byte: lower, then re-raise */
    } else if (k->pending_cmd) {
        uint8_t cmd = k->pending_cmd;
        k->pending_cmd = 0;
        if (cmd == CMD_AUX_LOOP)
            i8042_push(k, data[0]); /* echoed as keyboard data, see above */
        else
            i8042_controller_data(k, cmd, data[0]);
    } else {
        i8042_keyboard_command(k, data[0]);
    }
    for (uint32_t i = 1; i < len && !is_write; i++)
        data[i] = 0;
    i8042_update_irq(k);
    pthread_mutex_unlock(&k->lock);
}

void i8042_command_io(void *opaque, uint64_t offset, uint8_t *data,
                      uint32_t len, bool is_write)
{
    struct i8042 *k = opaque;
    pthread_mutex_lock(&k->lock);
    if (is_write)
        i8042_command(k, data[0]);
    else
        data[0] = (uint8_t)(i8042_status(k) | STR_CMD);
    for (uint32_t i = 1; i < len && !is_write; i++)
        data[i] = 0;
    i8042_update_irq(k);
    pthread_mutex_unlock(&k->lock);
}

void i8042_ctrl_alt_del(struct i8042 *k)
{
    static const uint8_t seq[] = { 0x1d, 0x38, 0xe0, 0x53,   /* press */
                                   0xe0, 0xd3, 0xb8, 0x9d }; /* release */
    pthread_mutex_lock(&k->lock);
    for (size_t i = 0; i < sizeof(seq); i++)
        i8042_push(k, seq[i]);
    i8042_update_irq(k);
    pthread_mutex_unlock(&k->lock);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

static void kbd_irq(void *ctx, int level)
{
    struct board *b = ctx;
    vm_irq_line(&b->vm, I8042_KBD_IRQ, level);
}

static void kbd_reset(void *ctx)
{
    struct board *b = ctx;
    vm_log(&b->vm, "guest reset the CPU through the i8042");
    vm_request_stop(&b->vm, VM_EXIT_REBOOT);
}

static int kbd_add(struct board *b, const struct vmdef *def, size_t index,
                   void **dev)
{
    struct i8042 *k = board_alloc_device(dev, sizeof(*k), "i8042");
    if (!k)
        return VM_EXIT_ERROR;
    i8042_init(k, kbd_irq, kbd_reset, b);
    b->kbd = k; /* for Ctrl-Alt-Del */
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
