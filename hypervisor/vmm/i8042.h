/* i8042: the PC keyboard controller at ports 0x60/0x64, with a PS/2
 * keyboard (ps2_kbd.h) on its first port, IRQ 1, and a PS/2 mouse
 * (ps2_mouse.h) on its AUX port, IRQ 12.
 *
 * The controller has one output buffer, which the guest reads at 0x60;
 * status bit 0 says it is full and bit 5 that the byte is the mouse's.
 * It refills from, in order: the controller's own replies (D3's as the
 * mouse's), the keyboard (unless its clock is disabled, CTR bit 4 or
 * command AD), the mouse (unless AUXDIS, CTR bit 5 or command A7).  With
 * CTR bit 6 (XLATE) the keyboard's set 2 bytes are translated to set 1 on
 * the way, as every PC's controller does; the guest chooses the set with
 * the keyboard's F0.
 *
 * It also holds the reset line a guest without ACPI uses (command FE, or
 * output port bit 0 cleared through D1): the VM ends "rebooted".  The
 * VMM's Ctrl-Alt-Del (SIGTERM for guests without ACPI) is three key
 * presses through the same path as the remote console's keys.
 *
 * The keyboard and the mouse are the board's input sinks (input.h);
 * events may come from any thread, the device lock orders them with the
 * guest's port accesses.  A guest that does not read loses the newest
 * events, whole, with one line in the log per run of losses. */
#ifndef CORRAL_I8042_H
#define CORRAL_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps2_kbd.h"
#include "ps2_mouse.h"
#include "ps2_queue.h"

#define I8042_DATA_PORT    0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_KBD_IRQ      1
#define I8042_AUX_IRQ      12

struct i8042 {
    pthread_mutex_t lock;
    uint8_t ctr;          /* controller configuration ("command byte") */
    uint8_t pending_cmd;  /* controller command waiting for its data byte */
    uint8_t obuf;         /* the output buffer the guest reads at 0x60 */
    bool obuf_full, obuf_aux;
    bool xlate_break;     /* translating: an F0 came, the next byte breaks */
    struct ps2_queue replies;     /* the controller's own answers */
    struct ps2_queue aux_replies; /* D3's bytes, which read as the mouse's */
    struct ps2_kbd kbd;
    struct ps2_mouse mouse;
    int irq_level[2];     /* IRQ 1, IRQ 12 */
    bool dropping_keys, dropping_motion; /* logged once per run */
    void (*irq)(void *ctx, unsigned irq, int level);
    void (*reset)(void *ctx); /* the guest pulled the reset line */
    void (*log)(void *ctx, const char *msg); /* may be NULL */
    void *ctx;
};

void i8042_init(struct i8042 *k, void (*irq)(void *, unsigned, int),
                void (*reset)(void *), void *ctx);
/* bus handlers: port 0x60 (data) and port 0x64 (status/command) */
void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                   bool is_write);
void i8042_command_io(void *opaque, uint64_t offset, uint8_t *data,
                      uint32_t len, bool is_write);
/* The input sinks (input.h): a key (qnum) went down or up; the mouse
 * moved (screen direction) with these buttons held.  ctx is the i8042. */
void i8042_key(void *ctx, uint16_t qnum, bool down);
void i8042_mouse_move(void *ctx, int dx, int dy, int dz, uint32_t buttons);
/* Press and release Ctrl-Alt-Del. */
void i8042_ctrl_alt_del(struct i8042 *k);
/* The status register as the guest reads it (for tests). */
uint8_t i8042_status(struct i8042 *k);

/* The i8042 wired to the board, for the device table (devices.h). */
struct device_desc;
extern const struct device_desc i8042_device;

#endif
