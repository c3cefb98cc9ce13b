/* rfb_client: a minimal RFB client (see rfb_client.h). */
#include "rfb_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "keymap.h"

#define RFBC_ENC_RAW 0
#define RFBC_ENC_DESKTOP_SIZE (-223)
#define RFBC_ENC_QEMU_EXT_KEY (-258)

__attribute__((format(printf, 2, 3)))
static int rfbc_fail(struct rfbc *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return -1;
}

static int rfbc_read(struct rfbc *c, void *buf, size_t n)
{
    int rc = c->read_exact(c->ctx, buf, n);
    if (rc < 0)
        return rfbc_fail(c, "%s", rc == -EPIPE ? "the server closed the connection"
                                               : strerror(-rc));
    return 0;
}

static int rfbc_write(struct rfbc *c, const void *buf, size_t n)
{
    int rc = c->write_all(c->ctx, buf, n);
    return rc < 0 ? rfbc_fail(c, "sending: %s", strerror(-rc)) : 0;
}

/* Reads and drops n bytes (a cut text, a refusal's tail). */
static int rfbc_skip(struct rfbc *c, uint32_t n)
{
    uint8_t buf[512];
    while (n) {
        uint32_t k = n < sizeof(buf) ? n : (uint32_t)sizeof(buf);
        if (rfbc_read(c, buf, k) < 0)
            return -1;
        n -= k;
    }
    return 0;
}

/* A reason string as the server sends it (length, text): into c->err. */
static int rfbc_read_reason(struct rfbc *c, const char *what)
{
    uint8_t len[4];
    char text[200];
    if (rfbc_read(c, len, 4) < 0)
        return -1;
    uint32_t n = get_be32(len), keep = n < sizeof(text) - 1 ? n : sizeof(text) - 1;
    if (rfbc_read(c, text, keep) < 0 || rfbc_skip(c, n - keep) < 0)
        return -1;
    text[keep] = '\0';
    return rfbc_fail(c, "%s: %s", what, text);
}

static int rfbc_resize(struct rfbc *c, uint32_t w, uint32_t h)
{
    if (w > RFBC_MAX_SIDE || h > RFBC_MAX_SIDE)
        return rfbc_fail(c, "the screen is %ux%u, larger than %u on a side", w, h,
                         RFBC_MAX_SIDE);
    uint32_t *p = calloc((size_t)w * h + 1, sizeof(uint32_t));
    if (!p)
        return rfbc_fail(c, "out of memory for a %ux%u screen", w, h);
    free(c->pixels);
    c->pixels = p;
    c->width = w;
    c->height = h;
    return 0;
}

static int rfbc_version_and_security(struct rfbc *c)
{
    char version[12];
    if (rfbc_read(c, version, 12) < 0)
        return -1;
    if (memcmp(version, "RFB 003.", 8) != 0 || version[11] != '\n')
        return rfbc_fail(c, "not an RFB server");
    if (memcmp(version + 8, "008", 3) < 0)
        return rfbc_fail(c, "the server speaks RFB %.7s, not 3.8", version + 4);
    if (rfbc_write(c, "RFB 003.008\n", 12) < 0)
        return -1;
    uint8_t count;
    if (rfbc_read(c, &count, 1) < 0)
        return -1;
    if (count == 0)
        return rfbc_read_reason(c, "the server refused the connection");
    uint8_t types[255];
    if (rfbc_read(c, types, count) < 0)
        return -1;
    if (!memchr(types, 1, count))
        return rfbc_fail(c, "the server wants authentication (no security type None)");
    uint8_t none = 1, result[4];
    if (rfbc_write(c, &none, 1) < 0 || rfbc_read(c, result, 4) < 0)
        return -1;
    if (get_be32(result) != 0)
        return rfbc_read_reason(c, "the server refused security type None");
    return 0;
}

static int rfbc_server_init(struct rfbc *c)
{
    uint8_t shared = 1, init[24];
    if (rfbc_write(c, &shared, 1) < 0 || rfbc_read(c, init, 24) < 0)
        return -1;
    if (rfbc_resize(c, get_be16(init), get_be16(init + 2)) < 0)
        return -1;
    uint32_t n = get_be32(init + 20);
    uint32_t keep = n < sizeof(c->name) - 1 ? n : (uint32_t)sizeof(c->name) - 1;
    if (rfbc_read(c, c->name, keep) < 0 || rfbc_skip(c, n - keep) < 0)
        return -1;
    c->name[keep] = '\0';
    return 0;
}

/* 32 bits, little-endian, 0x00RRGGBB: the picture as the server holds it. */
static int rfbc_set_format_and_encodings(struct rfbc *c)
{
    uint8_t pf[20] = {0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0};
    uint8_t enc[16] = {2, 0, 0, 3};
    put_be32(enc + 4, RFBC_ENC_RAW);
    put_be32(enc + 8, (uint32_t)RFBC_ENC_DESKTOP_SIZE);
    put_be32(enc + 12, (uint32_t)RFBC_ENC_QEMU_EXT_KEY);
    return rfbc_write(c, pf, sizeof(pf)) < 0 ? -1 : rfbc_write(c, enc, sizeof(enc));
}

int rfbc_handshake(struct rfbc *c)
{
    if (rfbc_version_and_security(c) < 0 || rfbc_server_init(c) < 0)
        return -1;
    return rfbc_set_format_and_encodings(c);
}

static int rfbc_raw_rect(struct rfbc *c, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    if (x + w > c->width || y + h > c->height)
        return rfbc_fail(c, "a rectangle %ux%u+%u+%u outside the %ux%u screen", w, h,
                         x, y, c->width, c->height);
    uint8_t row[RFBC_MAX_SIDE * 4];
    for (uint32_t i = 0; i < h; i++) {
        if (rfbc_read(c, row, (size_t)w * 4) < 0)
            return -1;
        uint32_t *dst = c->pixels + (size_t)(y + i) * c->width + x;
        for (uint32_t j = 0; j < w; j++)
            dst[j] = (uint32_t)row[4 * j] | (uint32_t)row[4 * j + 1] << 8 |
                     (uint32_t)row[4 * j + 2] << 16;
    }
    return 0;
}

/* One FramebufferUpdate's rectangles; *picture: any was of the picture
 * (not only pseudo-encodings). */
static int rfbc_update(struct rfbc *c, bool *picture)
{
    uint8_t hdr[3];
    if (rfbc_read(c, hdr, 3) < 0)
        return -1;
    uint16_t n = get_be16(hdr + 1);
    *picture = n == 0; /* an empty update answers a request too */
    for (uint16_t i = 0; i < n; i++) {
        uint8_t r[12];
        if (rfbc_read(c, r, 12) < 0)
            return -1;
        uint32_t x = get_be16(r), y = get_be16(r + 2), w = get_be16(r + 4),
                 h = get_be16(r + 6);
        int32_t enc = (int32_t)get_be32(r + 8);
        int rc;
        if (enc == RFBC_ENC_QEMU_EXT_KEY) {
            c->ext_key = true;
            continue;
        }
        *picture = true;
        if (enc == RFBC_ENC_DESKTOP_SIZE)
            rc = rfbc_resize(c, w, h);
        else if (enc == RFBC_ENC_RAW)
            rc = rfbc_raw_rect(c, x, y, w, h);
        else
            rc = rfbc_fail(c, "the server sent encoding %d, not asked for", enc);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Reads one server message; *picture as for rfbc_update. */
static int rfbc_message(struct rfbc *c, bool *picture)
{
    uint8_t type, pad[7];
    *picture = false;
    if (rfbc_read(c, &type, 1) < 0)
        return -1;
    switch (type) {
    case 0:
        return rfbc_update(c, picture);
    case 2: /* Bell */
        return 0;
    case 3: /* ServerCutText: not wanted */
        if (rfbc_read(c, pad, 7) < 0)
            return -1;
        return rfbc_skip(c, get_be32(pad + 3));
    default:
        return rfbc_fail(c, "unexpected server message type %u", type);
    }
}

int rfbc_fetch_screen(struct rfbc *c)
{
    uint8_t req[10] = {3, 0, 0, 0, 0, 0};
    put_be16(req + 6, (uint16_t)c->width);
    put_be16(req + 8, (uint16_t)c->height);
    if (rfbc_write(c, req, sizeof(req)) < 0)
        return -1;
    bool picture = false;
    while (!picture)
        if (rfbc_message(c, &picture) < 0)
            return -1;
    return 0;
}

int rfbc_key(struct rfbc *c, uint16_t qnum, bool down)
{
    if (c->ext_key) {
        uint8_t m[12] = {255, 0, 0, down};
        put_be32(m + 4, keymap_qnum_to_keysym(qnum));
        put_be32(m + 8, qnum);
        return rfbc_write(c, m, sizeof(m));
    }
    uint32_t keysym = keymap_qnum_to_keysym(qnum);
    if (!keysym)
        return rfbc_fail(c, "key 0x%x has no keysym, and the server takes only "
                            "keysyms", qnum);
    uint8_t m[8] = {4, down};
    put_be32(m + 4, keysym);
    return rfbc_write(c, m, sizeof(m));
}

void rfbc_free(struct rfbc *c)
{
    free(c->pixels);
    c->pixels = NULL;
}
