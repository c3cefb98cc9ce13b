/* rfb_proto: the RFB server's protocol, pure (see rfb_proto.h). */
#include "rfb_proto.h"

#include "byteorder.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the output buffer --------------------------------------------------- */

void rfb_buf_init(struct rfb_buf *b, size_t limit)
{
    memset(b, 0, sizeof(*b));
    b->limit = limit;
}

void rfb_buf_free(struct rfb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int rfb_buf_reserve(struct rfb_buf *b, size_t more)
{
    if (more > b->limit || b->len > b->limit - more)
        return -ENOBUFS;
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    if (cap > b->limit)
        cap = b->limit;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int rfb_buf_put(struct rfb_buf *b, const void *data, size_t len)
{
    int rc = rfb_buf_reserve(b, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

void rfb_buf_consume(struct rfb_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/* ---- session and failures ------------------------------------------------- */

/* The server's own format until the client sets one: 32-bit 0x00RRGGBB,
 * little-endian, which is what the display holds. */
static const struct rfb_pixel_format rfb_default_format = {
    .bits_per_pixel = 32, .depth = 24, .big_endian = false, .true_colour = true,
    .red_max = 255, .green_max = 255, .blue_max = 255,
    .red_shift = 16, .green_shift = 8, .blue_shift = 0,
};

void rfb_session_init(struct rfb_session *s, size_t out_limit)
{
    memset(s, 0, sizeof(*s));
    s->phase = RFB_PHASE_VERSION;
    s->pf = rfb_default_format;
    rfb_buf_init(&s->out, out_limit);
    rfb_buf_init(&s->zlib_in, out_limit);
    rfb_buf_put(&s->out, "RFB 003.008\n", 12);
}

void rfb_session_destroy(struct rfb_session *s)
{
    if (s->zs_ready)
        deflateEnd(&s->zs);
    s->zs_ready = false;
    rfb_buf_free(&s->out);
    rfb_buf_free(&s->zlib_in);
}

__attribute__((format(printf, 2, 3)))
static int rfb_fail(struct rfb_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
    va_end(ap);
    s->phase = RFB_PHASE_CLOSED;
    return -1;
}

/* A failure the handshake can tell the client: a reason string after a
 * zero (3.3: security type 0; 3.7/3.8: no security types). */
static int rfb_fail_handshake(struct rfb_session *s, const char *reason)
{
    uint8_t hdr[4] = {0};
    size_t n = s->minor == 3 ? 4 : 1;
    uint8_t len[4];
    put_be32(len, (uint32_t)strlen(reason));
    if (rfb_buf_put(&s->out, hdr, n) == 0 && rfb_buf_put(&s->out, len, 4) == 0)
        rfb_buf_put(&s->out, reason, strlen(reason));
    return rfb_fail(s, "%s", reason);
}

/* ---- the handshake --------------------------------------------------------- */

static int parse_version(struct rfb_session *s, const uint8_t *in, size_t len)
{
    if (len < 12)
        return 0;
    unsigned minor = 0;
    if (memcmp(in, "RFB 003.", 8) != 0 || in[11] != '\n')
        return rfb_fail(s, "not an RFB client (bad ProtocolVersion)");
    for (int i = 8; i < 11; i++) {
        if (in[i] < '0' || in[i] > '9')
            return rfb_fail(s, "not an RFB client (bad ProtocolVersion)");
        minor = minor * 10 + (unsigned)(in[i] - '0');
    }
    /* RFC 6143 7.1.1: 3.3 to 3.6 speak 3.3; anything past 3.8 gets 3.8. */
    if (minor < 3) { /* said the 3.3 way, the oldest a client may read */
        s->minor = 3;
        return rfb_fail_handshake(s, "RFB versions before 3.3 are not supported");
    }
    s->minor = minor < 7 ? 3 : minor == 7 ? 7 : 8;
    if (s->minor == 3) {
        uint8_t none[4] = {0, 0, 0, 1};
        rfb_buf_put(&s->out, none, 4);
        s->phase = RFB_PHASE_INIT;
    } else {
        uint8_t types[2] = {1, 1}; /* one type: None */
        rfb_buf_put(&s->out, types, 2);
        s->phase = RFB_PHASE_SECURITY;
    }
    return 12;
}

static int parse_security(struct rfb_session *s, const uint8_t *in, size_t len)
{
    if (len < 1)
        return 0;
    if (in[0] != 1) {
        if (s->minor == 8) {
            static const char why[] = "only security type None (1) is offered";
            uint8_t res[8] = {0, 0, 0, 1};
            put_be32(res + 4, sizeof(why) - 1);
            if (rfb_buf_put(&s->out, res, 8) == 0)
                rfb_buf_put(&s->out, why, sizeof(why) - 1);
        }
        return rfb_fail(s, "client chose security type %u, not None", in[0]);
    }
    if (s->minor == 8) { /* 3.7 sends no SecurityResult for None */
        uint8_t ok[4] = {0};
        rfb_buf_put(&s->out, ok, 4);
    }
    s->phase = RFB_PHASE_INIT;
    return 1;
}

static int parse_client_init(struct rfb_session *s, const uint8_t *in,
                             size_t len, struct rfb_msg *msg)
{
    if (len < 1)
        return 0;
    /* The shared flag: every client shares the screen, whatever it asks. */
    s->phase = RFB_PHASE_NORMAL;
    msg->type = RFB_MSG_CLIENT_INIT;
    return 1;
}

/* ---- client messages ---------------------------------------------------------- */

static void read_pixel_format(const uint8_t *p, struct rfb_pixel_format *pf)
{
    pf->bits_per_pixel = p[0];
    pf->depth = p[1];
    pf->big_endian = p[2] != 0;
    pf->true_colour = p[3] != 0;
    pf->red_max = get_be16(p + 4);
    pf->green_max = get_be16(p + 6);
    pf->blue_max = get_be16(p + 8);
    pf->red_shift = p[10];
    pf->green_shift = p[11];
    pf->blue_shift = p[12];
}

static void write_pixel_format(uint8_t *p, const struct rfb_pixel_format *pf)
{
    memset(p, 0, 16);
    p[0] = pf->bits_per_pixel;
    p[1] = pf->depth;
    p[2] = pf->big_endian;
    p[3] = pf->true_colour;
    put_be16(p + 4, pf->red_max);
    put_be16(p + 6, pf->green_max);
    put_be16(p + 8, pf->blue_max);
    p[10] = pf->red_shift;
    p[11] = pf->green_shift;
    p[12] = pf->blue_shift;
}

static int parse_set_pixel_format(struct rfb_session *s, const uint8_t *in,
                                  size_t len, struct rfb_msg *msg)
{
    if (len < 20)
        return 0;
    struct rfb_pixel_format pf;
    read_pixel_format(in + 4, &pf);
    if (!pf.true_colour)
        return rfb_fail(s, "colour-map pixel formats are not supported");
    if (pf.bits_per_pixel != 8 && pf.bits_per_pixel != 16 && pf.bits_per_pixel != 32)
        return rfb_fail(s, "%u bits per pixel is not supported (8, 16, 32)",
                        pf.bits_per_pixel);
    if (pf.red_shift >= pf.bits_per_pixel || pf.green_shift >= pf.bits_per_pixel ||
        pf.blue_shift >= pf.bits_per_pixel)
        return rfb_fail(s, "a colour shift is beyond %u bits per pixel",
                        pf.bits_per_pixel);
    s->pf = pf;
    msg->type = RFB_MSG_PIXEL_FORMAT;
    return 20;
}

static void note_encoding(struct rfb_session *s, int32_t enc)
{
    /* The list is in the client's order of preference: the first of Raw
     * and Zlib wins. */
    if ((enc == RFB_ENC_ZLIB || enc == RFB_ENC_RAW) && !s->enc_chosen) {
        s->enc_zlib = enc == RFB_ENC_ZLIB;
        s->enc_chosen = true;
    } else if (enc == RFB_ENC_DESKTOP_SIZE)
        s->enc_desktop_size = true;
    else if (enc == RFB_ENC_QEMU_EXT_KEY)
        s->enc_ext_key = true;
}

/* QEMU tells a client it may send extended key events with an empty
 * rectangle of that pseudo-encoding; so do we, once. */
static int announce_ext_key(struct rfb_session *s)
{
    uint8_t m[16] = {0, 0, 0, 1};
    put_be32(m + 12, (uint32_t)RFB_ENC_QEMU_EXT_KEY);
    s->ext_key_announced = true;
    return rfb_buf_put(&s->out, m, sizeof(m));
}

/* SetEncodings' list may be long (up to 65535 entries): it is read as it
 * arrives, a few entries at a time, rather than buffered whole. */
static int parse_encoding_entries(struct rfb_session *s, const uint8_t *in,
                                  size_t len, struct rfb_msg *msg)
{
    size_t n = len / 4;
    if (n == 0)
        return 0;
    if (n > s->encodings_left)
        n = s->encodings_left;
    for (size_t i = 0; i < n; i++)
        note_encoding(s, (int32_t)get_be32(in + 4 * i));
    s->encodings_left -= (uint32_t)n;
    if (s->encodings_left == 0) {
        msg->type = RFB_MSG_ENCODINGS;
        if (s->enc_ext_key && !s->ext_key_announced && announce_ext_key(s) < 0)
            return rfb_fail(s, "output buffer full");
    }
    return (int)(4 * n);
}

static int parse_set_encodings(struct rfb_session *s, const uint8_t *in,
                               size_t len, struct rfb_msg *msg)
{
    if (len < 4)
        return 0;
    s->enc_zlib = s->enc_chosen = s->enc_desktop_size = s->enc_ext_key = false;
    s->encodings_left = get_be16(in + 2);
    if (s->encodings_left == 0)
        msg->type = RFB_MSG_ENCODINGS;
    return 4;
}

static int parse_update_request(const uint8_t *in, size_t len,
                                struct rfb_msg *msg)
{
    if (len < 10)
        return 0;
    msg->type = RFB_MSG_UPDATE_REQUEST;
    msg->incremental = in[1] != 0;
    msg->x = get_be16(in + 2);
    msg->y = get_be16(in + 4);
    msg->w = get_be16(in + 6);
    msg->h = get_be16(in + 8);
    return 10;
}

static int parse_key(const uint8_t *in, size_t len, struct rfb_msg *msg)
{
    if (len < 8)
        return 0;
    msg->type = RFB_MSG_KEY;
    msg->down = in[1] != 0;
    msg->keysym = get_be32(in + 4);
    return 8;
}

static int parse_pointer(const uint8_t *in, size_t len, struct rfb_msg *msg)
{
    if (len < 6)
        return 0;
    msg->type = RFB_MSG_POINTER;
    msg->buttons = in[1];
    msg->x = get_be16(in + 2);
    msg->y = get_be16(in + 4);
    return 6;
}

static int parse_cut_text(struct rfb_session *s, const uint8_t *in, size_t len)
{
    if (len < 8)
        return 0;
    /* The clipboard is not passed to the guest: its text, whatever length
     * it claims, is skipped as it arrives and never stored. */
    s->skip_left = get_be32(in + 4);
    return 8;
}

static int parse_qemu(struct rfb_session *s, const uint8_t *in, size_t len,
                      struct rfb_msg *msg)
{
    if (len < 2)
        return 0;
    if (in[1] != 0)
        return rfb_fail(s, "unknown QEMU client message subtype %u", in[1]);
    if (len < 12)
        return 0;
    msg->type = RFB_MSG_EXT_KEY;
    msg->down = get_be16(in + 2) != 0;
    msg->keysym = get_be32(in + 4);
    msg->qnum = get_be32(in + 8);
    return 12;
}

static int parse_message(struct rfb_session *s, const uint8_t *in, size_t len,
                         struct rfb_msg *msg)
{
    switch (in[0]) {
    case 0:
        return parse_set_pixel_format(s, in, len, msg);
    case 2:
        return parse_set_encodings(s, in, len, msg);
    case 3:
        return parse_update_request(in, len, msg);
    case 4:
        return parse_key(in, len, msg);
    case 5:
        return parse_pointer(in, len, msg);
    case 6:
        return parse_cut_text(s, in, len);
    case 255:
        return parse_qemu(s, in, len, msg);
    default:
        return rfb_fail(s, "unknown client message type %u", in[0]);
    }
}

int rfb_parse(struct rfb_session *s, const uint8_t *in, size_t len,
              struct rfb_msg *msg)
{
    memset(msg, 0, sizeof(*msg));
    if (len == 0)
        return s->phase == RFB_PHASE_CLOSED ? -1 : 0;
    switch (s->phase) {
    case RFB_PHASE_VERSION:
        return parse_version(s, in, len);
    case RFB_PHASE_SECURITY:
        return parse_security(s, in, len);
    case RFB_PHASE_INIT:
        return parse_client_init(s, in, len, msg);
    case RFB_PHASE_NORMAL:
        break;
    case RFB_PHASE_CLOSED:
        return -1;
    }
    if (s->skip_left) {
        size_t n = len < s->skip_left ? len : s->skip_left;
        s->skip_left -= (uint32_t)n;
        return (int)n;
    }
    if (s->encodings_left)
        return parse_encoding_entries(s, in, len, msg);
    return parse_message(s, in, len, msg);
}

/* ---- server messages ------------------------------------------------------- */

int rfb_put_server_init(struct rfb_session *s, uint32_t width,
                        uint32_t height, const char *name)
{
    size_t name_len = strlen(name);
    uint8_t m[24];
    put_be16(m, (uint16_t)width);
    put_be16(m + 2, (uint16_t)height);
    write_pixel_format(m + 4, &s->pf);
    put_be32(m + 20, (uint32_t)name_len);
    int rc = rfb_buf_reserve(&s->out, sizeof(m) + name_len);
    if (rc < 0)
        return rc;
    rfb_buf_put(&s->out, m, sizeof(m));
    return rfb_buf_put(&s->out, name, name_len);
}

static uint32_t scale_channel(uint32_t v8, uint16_t max)
{
    return (v8 * max + 127) / 255;
}

uint32_t rfb_convert_pixel(const struct rfb_pixel_format *pf, uint32_t rgb)
{
    uint32_t r = scale_channel((rgb >> 16) & 0xFF, pf->red_max);
    uint32_t g = scale_channel((rgb >> 8) & 0xFF, pf->green_max);
    uint32_t b = scale_channel(rgb & 0xFF, pf->blue_max);
    uint32_t v = r << pf->red_shift | g << pf->green_shift | b << pf->blue_shift;
    if (pf->bits_per_pixel < 32)
        v &= (1u << pf->bits_per_pixel) - 1;
    return v;
}

/* The rectangle's pixels in the client's format, appended to dst. */
static void convert_rect(const struct rfb_pixel_format *pf, const uint32_t *pixels,
                         uint32_t stride, const struct rfb_rect *r, uint8_t *dst)
{
    unsigned bytes = pf->bits_per_pixel / 8u;
    for (uint32_t y = 0; y < r->h; y++) {
        const uint32_t *src = pixels + (size_t)(r->y + y) * stride + r->x;
        for (uint32_t x = 0; x < r->w; x++) {
            uint32_t v = rfb_convert_pixel(pf, src[x]);
            for (unsigned i = 0; i < bytes; i++) {
                unsigned shift = pf->big_endian ? 8 * (bytes - 1 - i) : 8 * i;
                *dst++ = (uint8_t)(v >> shift);
            }
        }
    }
}

static void put_rect_header(uint8_t *p, const struct rfb_rect *r, int32_t enc)
{
    put_be16(p, (uint16_t)r->x);
    put_be16(p + 2, (uint16_t)r->y);
    put_be16(p + 4, (uint16_t)r->w);
    put_be16(p + 6, (uint16_t)r->h);
    put_be32(p + 8, (uint32_t)enc);
}

static int put_raw_rect(struct rfb_session *s, const uint32_t *pixels,
                        uint32_t stride, const struct rfb_rect *r)
{
    size_t size = (size_t)r->w * r->h * (s->pf.bits_per_pixel / 8u);
    int rc = rfb_buf_reserve(&s->out, 12 + size);
    if (rc < 0)
        return rc;
    put_rect_header(s->out.data + s->out.len, r, RFB_ENC_RAW);
    convert_rect(&s->pf, pixels, stride, r, s->out.data + s->out.len + 12);
    s->out.len += 12 + size;
    return 0;
}

/* Zlib (RFC 6143 7.7.2 of the extensions): the raw pixels through the
 * client's one deflate stream, flushed per rectangle, with its length. */
static int put_zlib_rect(struct rfb_session *s, const uint32_t *pixels,
                         uint32_t stride, const struct rfb_rect *r)
{
    size_t size = (size_t)r->w * r->h * (s->pf.bits_per_pixel / 8u);
    if (!s->zs_ready) {
        if (deflateInit(&s->zs, 6) != Z_OK)
            return -ENOMEM;
        s->zs_ready = true;
    }
    int rc = rfb_buf_reserve(&s->zlib_in, size);
    if (rc < 0)
        return rc;
    uint8_t *raw = s->zlib_in.data;
    convert_rect(&s->pf, pixels, stride, r, raw);
    size_t bound = deflateBound(&s->zs, (uLong)size) + 16;
    rc = rfb_buf_reserve(&s->out, 16 + bound);
    if (rc == 0) {
        uint8_t *hdr = s->out.data + s->out.len;
        s->zs.next_in = raw;
        s->zs.avail_in = (uInt)size;
        s->zs.next_out = hdr + 16;
        s->zs.avail_out = (uInt)bound;
        if (deflate(&s->zs, Z_SYNC_FLUSH) != Z_OK || s->zs.avail_in != 0) {
            rc = -ENOMEM;
        } else {
            size_t zlen = bound - s->zs.avail_out;
            put_rect_header(hdr, r, RFB_ENC_ZLIB);
            put_be32(hdr + 12, (uint32_t)zlen);
            s->out.len += 16 + zlen;
        }
    }
    return rc;
}

int rfb_put_update(struct rfb_session *s, const uint32_t *pixels,
                   uint32_t stride, const struct rfb_rect *rects, size_t n,
                   bool resized, uint32_t width, uint32_t height)
{
    bool size_rect = resized && s->enc_desktop_size;
    size_t total = n + size_rect;
    if (total > 0xFFFF)
        return -EINVAL;
    uint8_t hdr[4] = {0, 0};
    put_be16(hdr + 2, (uint16_t)total);
    size_t start = s->out.len;
    int rc = rfb_buf_put(&s->out, hdr, 4);
    if (rc == 0 && size_rect) {
        uint8_t m[12];
        struct rfb_rect whole = {0, 0, width, height};
        put_rect_header(m, &whole, RFB_ENC_DESKTOP_SIZE);
        rc = rfb_buf_put(&s->out, m, sizeof(m));
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = s->enc_zlib ? put_zlib_rect(s, pixels, stride, &rects[i])
                         : put_raw_rect(s, pixels, stride, &rects[i]);
    if (rc < 0)
        s->out.len = start; /* nothing half-written */
    return rc;
}

/* ---- which rectangles to send --------------------------------------------- */

static struct rfb_rect tile_run(uint32_t tx0, uint32_t tx1, uint32_t ty,
                                uint32_t tile, uint32_t width, uint32_t height)
{
    struct rfb_rect r = {tx0 * tile, ty * tile, (tx1 - tx0) * tile, tile};
    if (r.x + r.w > width)
        r.w = width - r.x;
    if (r.y + r.h > height)
        r.h = height - r.y;
    return r;
}

/* A run exactly under a rectangle that ends on the row above grows it. */
static bool grow_rect_above(struct rfb_rect *rects, size_t n,
                            const struct rfb_rect *run)
{
    for (size_t i = n; i-- > 0;) {
        if (rects[i].y + rects[i].h < run->y)
            break;
        if (rects[i].x == run->x && rects[i].w == run->w &&
            rects[i].y + rects[i].h == run->y) {
            rects[i].h += run->h;
            return true;
        }
    }
    return false;
}

size_t rfb_dirty_rects(const bool *dirty, uint32_t tiles_x, uint32_t tiles_y,
                       uint32_t tile, uint32_t width, uint32_t height,
                       struct rfb_rect *rects, size_t max)
{
    size_t n = 0;
    for (uint32_t ty = 0; ty < tiles_y && ty * tile < height; ty++) {
        for (uint32_t tx = 0; tx < tiles_x && tx * tile < width;) {
            if (!dirty[(size_t)ty * tiles_x + tx]) {
                tx++;
                continue;
            }
            uint32_t end = tx + 1;
            while (end < tiles_x && end * tile < width &&
                   dirty[(size_t)ty * tiles_x + end])
                end++;
            struct rfb_rect run = tile_run(tx, end, ty, tile, width, height);
            if (!grow_rect_above(rects, n, &run)) {
                if (n == max) { /* too many: the last and the rest as one */
                    uint32_t y = n ? rects[n - 1].y : run.y;
                    if (n)
                        rects[n - 1] = (struct rfb_rect){0, y, width, height - y};
                    return n;
                }
                rects[n++] = run;
            }
            tx = end;
        }
    }
    return n;
}
