/* rfb_proto: the RFB 3.8 protocol (RFC 6143, "VNC") as the server speaks
 * it, without any I/O: the parser takes the client's bytes from a buffer
 * and says what they asked for, the builders append the server's messages
 * to an output buffer.  rfb.c does the sockets, the display and the input.
 *
 * What is spoken:
 *  - versions 3.3, 3.7 and 3.8 (the client's choice; 3.4-3.6 count as 3.3
 *    and anything newer as 3.8, as the RFC says);
 *  - security type None only: the server's socket is owner-only (mode
 *    0600), so whoever can connect is already root on the host;
 *  - SetPixelFormat (true colour at 8, 16 or 32 bits per pixel, either
 *    byte order, any shifts and maxima; colour-map formats are refused),
 *    SetEncodings, FramebufferUpdateRequest, KeyEvent, PointerEvent,
 *    ClientCutText (its text is skipped, however long it claims to be, and
 *    never stored), and QEMU's extended key event (message 255, subtype 0);
 *  - encodings Raw (0) and Zlib (6, one zlib stream per client), and the
 *    pseudo-encodings DesktopSize (-223) and QEMU's extended key event
 *    (-258, announced back to the client as QEMU does).
 * Anything else a client sends (an unknown message type, a bad version, a
 * pixel format we cannot give) ends that client with a reason; the
 * server's other clients and the VM carry on. */
#ifndef CORRAL_RFB_PROTO_H
#define CORRAL_RFB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#define RFB_ENC_RAW 0
#define RFB_ENC_ZLIB 6
#define RFB_ENC_DESKTOP_SIZE (-223)
#define RFB_ENC_QEMU_EXT_KEY (-258)

#define RFB_REASON_MAX 128

/* An output buffer with a hard limit: appending past it fails (-ENOBUFS),
 * so a client that does not read cannot make the server grow without
 * bound. */
struct rfb_buf {
    uint8_t *data;
    size_t len, cap, limit;
};

void rfb_buf_init(struct rfb_buf *b, size_t limit);
void rfb_buf_free(struct rfb_buf *b);
/* 0, or -ENOBUFS (past the limit) / -ENOMEM; nothing appended then. */
int rfb_buf_reserve(struct rfb_buf *b, size_t more);
int rfb_buf_put(struct rfb_buf *b, const void *data, size_t len);
/* The first n bytes were sent. */
void rfb_buf_consume(struct rfb_buf *b, size_t n);

struct rfb_pixel_format {
    uint8_t bits_per_pixel, depth;
    bool big_endian, true_colour;
    uint16_t red_max, green_max, blue_max;
    uint8_t red_shift, green_shift, blue_shift;
};

enum rfb_phase {
    RFB_PHASE_VERSION,   /* waiting for the client's ProtocolVersion */
    RFB_PHASE_SECURITY,  /* 3.7/3.8: waiting for the chosen type */
    RFB_PHASE_INIT,      /* waiting for ClientInit */
    RFB_PHASE_NORMAL,    /* client messages */
    RFB_PHASE_CLOSED,    /* failed: send what is queued, then close */
};

/* What a client message asked for (rfb_parse's *msg). */
enum rfb_msg_type {
    RFB_MSG_NONE,           /* handled inside (handshake, skipped text...) */
    RFB_MSG_CLIENT_INIT,    /* send ServerInit: rfb_put_server_init */
    RFB_MSG_PIXEL_FORMAT,   /* the session's format changed */
    RFB_MSG_ENCODINGS,      /* the session's encodings changed */
    RFB_MSG_UPDATE_REQUEST,
    RFB_MSG_KEY,            /* keysym (KeyEvent) */
    RFB_MSG_EXT_KEY,        /* qnum (QEMU extended key event) */
    RFB_MSG_POINTER,
};

struct rfb_msg {
    enum rfb_msg_type type;
    bool incremental;            /* UPDATE_REQUEST */
    uint16_t x, y, w, h;         /* UPDATE_REQUEST; x, y for POINTER */
    bool down;                   /* KEY, EXT_KEY */
    uint32_t keysym;             /* KEY, EXT_KEY (may be 0 there) */
    uint32_t qnum;               /* EXT_KEY */
    uint8_t buttons;             /* POINTER */
};

struct rfb_session {
    enum rfb_phase phase;
    unsigned minor;              /* 3, 7 or 8 once the version is read */
    struct rfb_pixel_format pf;
    /* the client's encodings, as far as we use them */
    bool enc_zlib, enc_desktop_size, enc_ext_key;
    bool enc_chosen; /* Raw or Zlib seen in the list */
    /* SetEncodings entries still to come, ClientCutText bytes to skip */
    uint32_t encodings_left;
    uint32_t skip_left;
    bool ext_key_announced;
    z_stream zs;                 /* the client's Zlib encoding stream */
    bool zs_ready;
    struct rfb_buf out;
    /* A Zlib rectangle's pixels in the client's format, before deflate:
     * kept between rectangles, since musl maps and unmaps an allocation of
     * a tile's size each time (a TLB shootdown IPI to the vCPUs). */
    struct rfb_buf zlib_in;
    char reason[RFB_REASON_MAX]; /* why the session failed */
};

/* The server's greeting goes into s->out at once. */
void rfb_session_init(struct rfb_session *s, size_t out_limit);
void rfb_session_destroy(struct rfb_session *s);

/* Reads one step of the client's input.  Returns the bytes consumed (0:
 * more are needed) and fills *msg, or -1 when the session failed: the
 * reason is in s->reason and s->phase is RFB_PHASE_CLOSED (a failure the
 * protocol can report, such as a refused version, is queued in s->out). */
int rfb_parse(struct rfb_session *s, const uint8_t *in, size_t len,
              struct rfb_msg *msg);

/* The server's messages; each returns 0 or -ENOBUFS/-ENOMEM. */
int rfb_put_server_init(struct rfb_session *s, uint32_t width,
                        uint32_t height, const char *name);

/* A rectangle of the picture, in pixels. */
struct rfb_rect {
    uint32_t x, y, w, h;
};

/* One FramebufferUpdate: a DesktopSize rectangle first when resized (and
 * the client takes them), then the rectangles of the picture (0x00RRGGBB
 * pixels, stride pixels a row) in the session's format and best encoding.
 * n may be 0 with resized set (only the new size). */
int rfb_put_update(struct rfb_session *s, const uint32_t *pixels,
                   uint32_t stride, const struct rfb_rect *rects, size_t n,
                   bool resized, uint32_t width, uint32_t height);

/* The rectangles to send for changed tiles: dirty[ty * tiles_x + tx] says
 * which tiles changed; runs of tiles in a row become one rectangle, and a
 * run exactly under one of the row above grows it.  Rectangles are clipped
 * to width x height.  Returns the count (at most max: past it, the rest of
 * the picture becomes one last rectangle covering all remaining rows). */
size_t rfb_dirty_rects(const bool *dirty, uint32_t tiles_x, uint32_t tiles_y,
                       uint32_t tile, uint32_t width, uint32_t height,
                       struct rfb_rect *rects, size_t max);

/* A pixel 0x00RRGGBB in the client's format: the value to write in
 * pf->bits_per_pixel bits. */
uint32_t rfb_convert_pixel(const struct rfb_pixel_format *pf, uint32_t rgb);

#endif
