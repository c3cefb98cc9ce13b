/* rfb: the VM's remote console, an RFB (VNC) server on a unix socket
 * (corral-vmm --vnc PATH; corrald keeps it at RUN/vms/NAME/vnc.sock).
 *
 * The socket is mode 0600 and the protocol offers no authentication
 * (security type None): only the socket's owner can connect, and `corral
 * vm vnc` relays it to a loopback TCP port only.  Everything runs on the
 * I/O thread: the listening socket, each client's non-blocking socket, and
 * a frame timer (30 Hz, slower on a static screen: RFB_IDLE_FRAME_MS) that
 * runs only while some client waits for an update; it
 * has the display device refresh the picture and sends each waiting client
 * the tiles that changed since its last update.  rfb_proto.c speaks the
 * protocol.
 *
 * A client's output is bounded: it gets a new update only once it has
 * read most of the last, its queue can never pass RFB_OUT_LIMIT, and a
 * client that reads nothing for RFB_STALL_MS while output waits is
 * dropped; the VM and the other clients never wait for it. */
#ifndef CORRAL_RFB_H
#define CORRAL_RFB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "display.h"
#include "input.h"
#include "iothread.h"
#include "rfb_proto.h"
#include "vm.h"
#include "vmdef.h"

#define RFB_MAX_CLIENTS 8
#define RFB_IN_BUF 4096
/* A full update of the largest screen, raw at 32 bits, and room beside. */
#define RFB_OUT_LIMIT ((size_t)DISPLAY_MAX_WIDTH * DISPLAY_MAX_HEIGHT * 4 + (4u << 20))
/* A client gets its next update once less than this waits to be sent. */
#define RFB_OUT_LOW (256u << 10)
#define RFB_STALL_MS 30000
/* Frames come every RFB_FRAME_MS while the screen changes; each look that
 * finds nothing new waits RFB_FRAME_MS longer, up to RFB_IDLE_FRAME_MS, and
 * a change or the viewer's input brings the pace back at once (as QEMU's
 * VNC server backs off).  A viewer always has a request pending, so on a
 * static screen this is what a connected viewer costs. */
#define RFB_FRAME_MS 33
#define RFB_IDLE_FRAME_MS 500
#define RFB_MAX_RECTS 512

struct rfb_server;

struct rfb_client {
    struct rfb_server *server;
    int fd; /* -1: free */
    struct rfb_session s;
    uint8_t in[RFB_IN_BUF];
    size_t in_len;
    bool update_wanted; /* a FramebufferUpdateRequest is pending */
    bool full_wanted;   /* ... and it was not incremental */
    bool initialised;   /* ServerInit sent */
    uint64_t sent_gen, sent_size_gen;
    uint32_t width, height; /* the size the client was last told */
    uint64_t stalled_since_ms; /* output waiting and none taken; 0: not */
};

struct rfb_server {
    int listen_fd;
    int timer_fd;
    bool timer_armed;
    unsigned frame_ms;     /* the timer's period now (armed or next) */
    unsigned armed_ms;     /* the period it is armed with */
    uint64_t seen_gen;     /* the display's generation at the last look */
    char path[VMDEF_PATH_MAX];
    char name[VMDEF_NAME_MAX + 1];
    struct display *display;
    struct input *input;
    struct iothread *io;
    const struct vm *vm; /* for -v messages */
    struct rfb_client clients[RFB_MAX_CLIENTS];
    bool dirty[DISPLAY_TILES_X * DISPLAY_TILES_Y];
    struct rfb_rect rects[RFB_MAX_RECTS];
};

/* The next frame period after a look at the screen: RFB_FRAME_MS when it
 * changed, else one step slower up to RFB_IDLE_FRAME_MS. */
unsigned rfb_next_frame_ms(unsigned now_ms, bool changed);

/* Listens at path (mode 0600) and serves on io.  0, or -1 with err set. */
int rfb_open(struct rfb_server *r, const char *path, const char *name,
             struct display *d, struct input *in, struct iothread *io,
             const struct vm *vm, char *err, size_t errlen);
/* After the I/O thread stopped: closes every client and the socket. */
void rfb_close(struct rfb_server *r);

#endif
