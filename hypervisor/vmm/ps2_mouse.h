/* ps2_mouse: a PS/2 mouse on the i8042's AUX port, without the controller.
 *
 * It starts as a plain 3-button mouse (ID 0, 3-byte packets); the
 * IntelliMouse knock (sample rates 200, 100, 80 in a row) makes it an
 * IntelliMouse (ID 3) whose packets carry a fourth byte, the wheel, which
 * Linux's psmouse calls "ImPS/2 Generic Wheel Mouse".
 *
 * Commands (bytes the guest sends through the controller's D4): FF reset
 * (FA AA 00), FE resend, F6 defaults, F5 disable, F4 enable, F3 sample
 * rate, F2 get ID, F0 remote mode, EE wrap mode, EC leave wrap mode, EB
 * read data (remote mode's poll), EA stream mode, E9 status, E8
 * resolution, E7/E6 scaling 2:1/1:1.  Others are answered FE; in wrap
 * mode every byte but EC and FF is echoed.
 *
 * Motion (ps2_mouse_move, from input.h's mouse sink) is in screen
 * direction (y grows downwards); the packets have y growing upwards, 9-bit
 * deltas, and a large motion becomes several packets.  The mouse is pure
 * state: the controller (i8042.c) holds the lock and raises IRQ 12. */
#ifndef CORRAL_PS2_MOUSE_H
#define CORRAL_PS2_MOUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "ps2_queue.h"

#define PS2_MOUSE_ID_PLAIN 0
#define PS2_MOUSE_ID_WHEEL 3

struct ps2_mouse {
    struct ps2_queue out;
    uint8_t id;            /* 0, or 3 after the IntelliMouse knock */
    bool reporting;        /* F4/F5 */
    bool remote;           /* F0 remote, EA stream */
    bool wrap;             /* EE/EC */
    bool scaling_2to1;     /* E7/E6 */
    uint8_t sample_rate;
    uint8_t resolution;    /* 0..3: 1, 2, 4, 8 counts per mm */
    uint8_t rates[3];      /* the last sample rates set, for the knock */
    uint8_t pending;       /* a command waiting for its parameter byte */
    uint8_t last;          /* the last byte the controller took, for FE */
    uint8_t buttons;       /* held now, in packet order: left 1, right 2, middle 4 */
    int dx, dy, dz;        /* motion not yet reported (remote mode) */
};

void ps2_mouse_init(struct ps2_mouse *m);
/* A byte from the controller (D4): a command or a command's parameter. */
void ps2_mouse_write(struct ps2_mouse *m, uint8_t byte);
/* Motion since the last call and the buttons held (input.h's bits).
 * Returns false when packets were dropped because the queue is full. */
bool ps2_mouse_move(struct ps2_mouse *m, int dx, int dy, int dz,
                    uint32_t buttons);
/* The next byte for the controller; false when there is none. */
bool ps2_mouse_read(struct ps2_mouse *m, uint8_t *byte);

#endif
