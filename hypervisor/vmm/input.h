/* input: keyboard and pointer events from the remote console (rfb.c) to
 * the guest's input devices (the i8042 keyboard and PS/2 mouse, a
 * virtio-input tablet).
 *
 * Keys are "qnum" codes, as in QEMU's RFB extended key event: the PC XT
 * (scan code set 1) make code, plus 0x80 for a key sent with an 0xE0
 * prefix (right Ctrl 0x9D, the arrows 0xC8/0xD0/0xCB/0xCD, Delete 0xD3);
 * Pause/Break is 0xC6.  The keyboard device turns a qnum into the bytes of
 * the scan code set the guest chose.
 *
 * The pointer arrives as an absolute position on the screen (RFB sends
 * nothing else) with the buttons held: bit 0 left, 1 middle, 2 right,
 * 3 wheel up, 4 wheel down (RFB's button mask).  When a tablet is present
 * and its guest driver is ready it gets the position scaled to its range;
 * otherwise the PS/2 mouse gets the movement since the last position, as
 * relative motion (guests then see their own pointer acceleration, which
 * is why the tablet is preferred).
 *
 * Sinks register at device creation; events may come from any thread.
 * The router holds no device lock while calling a sink. */
#ifndef CORRAL_INPUT_H
#define CORRAL_INPUT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define INPUT_BUTTON_LEFT 0x01
#define INPUT_BUTTON_MIDDLE 0x02
#define INPUT_BUTTON_RIGHT 0x04
#define INPUT_WHEEL_UP 0x08
#define INPUT_WHEEL_DOWN 0x10

/* The tablet's coordinate range: 0..INPUT_ABS_MAX on each axis. */
#define INPUT_ABS_MAX 0x7FFF

struct input_keyboard {
    void *ctx;
    void (*key)(void *ctx, uint16_t qnum, bool down);
};

struct input_mouse { /* relative: the PS/2 mouse */
    void *ctx;
    void (*move)(void *ctx, int dx, int dy, int dz, uint32_t buttons);
};

struct input_tablet { /* absolute: virtio-input */
    void *ctx;
    bool (*ready)(void *ctx); /* the guest's driver set it up */
    void (*move)(void *ctx, uint32_t x, uint32_t y, int dz, uint32_t buttons);
};

struct input {
    pthread_mutex_t lock;
    struct input_keyboard kbd;
    struct input_mouse mouse;
    struct input_tablet tablet;
    bool has_kbd, has_mouse, has_tablet;
    bool have_last;          /* a position seen: the mouse gets deltas */
    uint32_t last_x, last_y; /* the last position, in screen pixels */
};

void input_init(struct input *in);
void input_destroy(struct input *in);
void input_set_keyboard(struct input *in, const struct input_keyboard *k);
void input_set_mouse(struct input *in, const struct input_mouse *m);
void input_set_tablet(struct input *in, const struct input_tablet *t);

/* A key went down or up (unknown qnums are dropped). */
void input_key(struct input *in, uint16_t qnum, bool down);
/* The pointer is at (x, y) on a screen of width x height pixels. */
void input_pointer(struct input *in, uint32_t x, uint32_t y, uint32_t width,
                   uint32_t height, uint32_t buttons);

#endif
