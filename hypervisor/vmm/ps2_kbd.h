/* ps2_kbd: a PS/2 (MF2) keyboard behind the i8042, without the controller.
 *
 * Keys arrive as qnums (input.h: the set 1 make code, 0x80 for an 0xE0
 * prefix); the keyboard sends them in the scan code set the guest chose
 * with command F0: set 2 (the default, which the controller translates to
 * set 1 when its CTR XLATE bit is on, see ps2_translate) or set 1.  Set 3
 * is refused (FE), which guests take as "not supported".
 *
 * Commands (the guest's bytes on port 0x60): ED LEDs, EE echo, F0 scan
 * set, F2 identify (AB 83), F3 typematic, F4 enable, F5 disable, F6
 * defaults, F7-FD (set 3 key types: acknowledged), FE resend, FF reset
 * (FA AA).  Anything else is answered FE.
 *
 * The keyboard is pure state: the controller (i8042.c) holds the lock,
 * reads its queue and raises the interrupt. */
#ifndef CORRAL_PS2_KBD_H
#define CORRAL_PS2_KBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps2_queue.h"

#define PS2_ACK 0xFA
#define PS2_RESEND 0xFE
#define PS2_BAT_OK 0xAA
/* The longest sequence one key event produces (Pause in set 2). */
#define PS2_SCANCODE_MAX 8

struct ps2_kbd {
    struct ps2_queue out;
    uint8_t scan_set;   /* 1 or 2 */
    bool scanning;      /* F4 enables, F5 disables key reports */
    uint8_t pending;    /* a command waiting for its parameter byte */
    uint8_t leds;       /* ED's parameter: scroll, num, caps lock */
    uint8_t typematic;  /* F3's parameter */
    uint8_t last;       /* the last byte the controller took, for FE */
};

enum ps2_key_result {
    PS2_KEY_QUEUED,
    PS2_KEY_IGNORED, /* no such key, or scanning disabled */
    PS2_KEY_DROPPED, /* the queue is full: the guest does not read */
};

void ps2_kbd_init(struct ps2_kbd *k);
/* A byte from the controller: a command or a command's parameter. */
void ps2_kbd_write(struct ps2_kbd *k, uint8_t byte);
/* A key went down or up. */
enum ps2_key_result ps2_kbd_key(struct ps2_kbd *k, uint16_t qnum, bool down);
/* The next byte for the controller; false when there is none. */
bool ps2_kbd_read(struct ps2_kbd *k, uint8_t *byte);

/* The bytes of qnum going down or up in scan code set 1 or 2 (at most
 * PS2_SCANCODE_MAX); 0 for a key a PC keyboard does not have, and for
 * Pause going up (it sends everything on the press). */
size_t ps2_scancode(uint16_t qnum, bool down, unsigned set, uint8_t *out);
/* The i8042's translation of one set 2 byte to set 1 (a break's F0
 * prefix is the controller's business: it sets bit 7 of the next byte). */
uint8_t ps2_translate(uint8_t set2_byte);

#endif
