/* rfb_client: the small RFB (VNC) client `corral vm screenshot` and `corral
 * vm sendkey` use on a VM's vnc.sock.  It speaks 3.8 with security None,
 * asks for 32-bit 0x00RRGGBB pixels in Raw encoding with DesktopSize and
 * QEMU's extended key event, keeps the picture, and sends keys as raw scan
 * codes when the server announced the extension (as keysyms otherwise).
 *
 * The I/O is the caller's: two callbacks read exactly n bytes and write n
 * bytes, so the same code runs on a socket and, in the unit tests, on
 * bytes in memory. */
#ifndef CORRAL_RFB_CLIENT_H
#define CORRAL_RFB_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest screen the client takes (a picture of 256 MiB). */
#define RFBC_MAX_SIDE 8192

struct rfbc {
    /* 0, or -errno (-EPIPE for a connection that ended) */
    int (*read_exact)(void *ctx, void *buf, size_t n);
    int (*write_all)(void *ctx, const void *buf, size_t n);
    void *ctx;
    uint32_t width, height;
    uint32_t *pixels; /* width * height, malloc'd */
    char name[256];   /* the desktop's name (truncated) */
    bool ext_key;     /* the server takes raw scan codes */
    char err[256];    /* why a call failed */
};

/* Connects the protocol (the transport is up): version, security, init,
 * our pixel format and encodings.  0 or -1 (c->err). */
int rfbc_handshake(struct rfbc *c);
/* Asks for the whole screen and reads until it came (other messages are
 * taken in passing).  Afterwards c->ext_key is known.  0 or -1. */
int rfbc_fetch_screen(struct rfbc *c);
/* A key (qnum, as in keymap.h) down or up.  0 or -1. */
int rfbc_key(struct rfbc *c, uint16_t qnum, bool down);
void rfbc_free(struct rfbc *c);

#endif
