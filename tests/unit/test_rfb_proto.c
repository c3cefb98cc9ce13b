/* rfb_proto: the RFB server's handshake and messages, fed as a client
 * would send them (whole, and a byte at a time), and hostile input. */
#include "check.h"
#include "../../hypervisor/vmm/rfb_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

#define LIMIT (1 << 20)

/* Feeds the bytes, collecting messages; returns the last rfb_parse result
 * (-1 on failure) and the messages seen. */
static int feed(struct rfb_session *s, const void *data, size_t len,
                struct rfb_msg *msgs, size_t max, size_t *nmsgs, size_t chunk)
{
    const uint8_t *p = data;
    uint8_t buf[4096];
    size_t have = 0, off = 0;
    *nmsgs = 0;
    for (;;) {
        size_t add = len - off < chunk ? len - off : chunk;
        memcpy(buf + have, p + off, add);
        have += add;
        off += add;
        for (;;) {
            struct rfb_msg m;
            int rc = rfb_parse(s, buf, have, &m);
            if (rc < 0)
                return -1;
            if (rc == 0)
                break;
            memmove(buf, buf + rc, have - (size_t)rc);
            have -= (size_t)rc;
            if (m.type != RFB_MSG_NONE && *nmsgs < max)
                msgs[(*nmsgs)++] = m;
        }
        if (off == len)
            return 0;
    }
}

static void take(struct rfb_session *s, const void *expect, size_t len)
{
    CHECK(s->out.len >= len);
    if (s->out.len >= len) {
        CHECK(memcmp(s->out.data, expect, len) == 0);
        rfb_buf_consume(&s->out, len);
    }
}

/* A session through the 3.8 handshake and ClientInit. */
static void handshake38(struct rfb_session *s, size_t chunk)
{
    rfb_session_init(s, LIMIT);
    take(s, "RFB 003.008\n", 12);
    struct rfb_msg m[4];
    size_t n;
    CHECK_EQ_INT(feed(s, "RFB 003.008\n", 12, m, 4, &n, chunk), 0);
    take(s, "\x01\x01", 2);
    CHECK_EQ_INT(feed(s, "\x01", 1, m, 4, &n, chunk), 0);
    take(s, "\0\0\0\0", 4);
    CHECK_EQ_INT(feed(s, "\x01", 1, m, 4, &n, chunk), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(m[0].type, RFB_MSG_CLIENT_INIT);
    CHECK_EQ_INT(s->phase, RFB_PHASE_NORMAL);
}

static void test_handshake_38_and_server_init(void)
{
    struct rfb_session s;
    handshake38(&s, 1);
    CHECK_EQ_INT(rfb_put_server_init(&s, 640, 480, "web1"), 0);
    static const uint8_t expect[] = {
        0x02, 0x80, 0x01, 0xE0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0,
        0, 0, 0, 0, 0, 0, 4, 'w', 'e', 'b', '1'};
    take(&s, expect, sizeof(expect));
    CHECK_EQ_INT(s.out.len, 0);
    rfb_session_destroy(&s);
}

static void test_handshake_33_and_37(void)
{
    struct rfb_session s;
    struct rfb_msg m[2];
    size_t n;
    rfb_session_init(&s, LIMIT);
    rfb_buf_consume(&s.out, 12);
    CHECK_EQ_INT(feed(&s, "RFB 003.003\n\x01", 13, m, 2, &n, 13), 0);
    take(&s, "\0\0\0\x01", 4); /* 3.3: the server names the type */
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(m[0].type, RFB_MSG_CLIENT_INIT);
    CHECK_EQ_INT(s.minor, 3);
    rfb_session_destroy(&s);

    rfb_session_init(&s, LIMIT);
    rfb_buf_consume(&s.out, 12);
    CHECK_EQ_INT(feed(&s, "RFB 003.007\n\x01\x00", 14, m, 2, &n, 14), 0);
    take(&s, "\x01\x01", 2); /* and no SecurityResult for None in 3.7 */
    CHECK_EQ_INT(s.out.len, 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(s.minor, 7);
    rfb_session_destroy(&s);

    rfb_session_init(&s, LIMIT);
    CHECK_EQ_INT(feed(&s, "RFB 003.889\n", 12, m, 2, &n, 12), 0);
    CHECK_EQ_INT(s.minor, 8);
    rfb_session_destroy(&s);
}

static void test_bad_versions_and_security(void)
{
    struct rfb_session s;
    struct rfb_msg m[2];
    size_t n;
    rfb_session_init(&s, LIMIT);
    CHECK_EQ_INT(feed(&s, "GET / HTTP/1.1\r\n", 16, m, 2, &n, 16), -1);
    CHECK(strstr(s.reason, "ProtocolVersion") != NULL);
    CHECK_EQ_INT(s.phase, RFB_PHASE_CLOSED);
    rfb_session_destroy(&s);

    rfb_session_init(&s, LIMIT);
    CHECK_EQ_INT(feed(&s, "RFB 003.00x\n", 12, m, 2, &n, 12), -1);
    rfb_session_destroy(&s);

    rfb_session_init(&s, LIMIT);
    CHECK_EQ_INT(feed(&s, "RFB 003.002\n", 12, m, 2, &n, 12), -1);
    rfb_session_destroy(&s);

    /* 3.8 client choosing VNC authentication: a failed SecurityResult
     * with the reason. */
    rfb_session_init(&s, LIMIT);
    rfb_buf_consume(&s.out, 12);
    CHECK_EQ_INT(feed(&s, "RFB 003.008\n\x02", 13, m, 2, &n, 13), -1);
    take(&s, "\x01\x01\0\0\0\x01", 6);
    CHECK(s.out.len > 4);
    CHECK(strstr(s.reason, "security type 2") != NULL);
    rfb_session_destroy(&s);
}

static void test_messages(void)
{
    struct rfb_session s;
    handshake38(&s, 64);
    static const uint8_t msgs[] = {
        3, 1, 0, 10, 0, 20, 1, 0, 0, 200,            /* update request */
        4, 1, 0, 0, 0, 0, 0xFF, 0x0D,                 /* key Return down */
        5, 0x05, 0x01, 0x00, 0x00, 0x80,              /* pointer */
        255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0x1E,   /* ext key 'a' */
        6, 0, 0, 0, 0, 0, 0, 3, 'x', 'y', 'z',        /* cut text */
        3, 0, 0, 0, 0, 0, 0, 8, 0, 8,                 /* full request */
    };
    for (size_t chunk = 1; chunk <= sizeof(msgs); chunk += 7) {
        struct rfb_msg m[8];
        size_t n;
        CHECK_EQ_INT(feed(&s, msgs, sizeof(msgs), m, 8, &n, chunk), 0);
        CHECK_EQ_INT(n, 5);
        CHECK_EQ_INT(m[0].type, RFB_MSG_UPDATE_REQUEST);
        CHECK(m[0].incremental);
        CHECK_EQ_INT(m[0].x, 10);
        CHECK_EQ_INT(m[0].y, 20);
        CHECK_EQ_INT(m[0].w, 256);
        CHECK_EQ_INT(m[0].h, 200);
        CHECK_EQ_INT(m[1].type, RFB_MSG_KEY);
        CHECK(m[1].down);
        CHECK_EQ_INT(m[1].keysym, 0xFF0D);
        CHECK_EQ_INT(m[2].type, RFB_MSG_POINTER);
        CHECK_EQ_INT(m[2].buttons, 5);
        CHECK_EQ_INT(m[2].x, 256);
        CHECK_EQ_INT(m[2].y, 128);
        CHECK_EQ_INT(m[3].type, RFB_MSG_EXT_KEY);
        CHECK(m[3].down);
        CHECK_EQ_INT(m[3].keysym, 0x61);
        CHECK_EQ_INT(m[3].qnum, 0x1E);
        CHECK_EQ_INT(m[4].type, RFB_MSG_UPDATE_REQUEST);
        CHECK(!m[4].incremental);
    }
    rfb_session_destroy(&s);
}

static void test_set_encodings_announces_ext_key(void)
{
    struct rfb_session s;
    handshake38(&s, 64);
    static const uint8_t msg[] = {
        2, 0, 0, 4, 0, 0, 0, 6, 0xFF, 0xFF, 0xFF, 0x21, /* zlib, desktop size */
        0xFF, 0xFF, 0xFE, 0xFE, 0, 0, 0, 5};            /* ext key, hextile */
    struct rfb_msg m[2];
    size_t n;
    CHECK_EQ_INT(feed(&s, msg, sizeof(msg), m, 2, &n, 3), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(m[0].type, RFB_MSG_ENCODINGS);
    CHECK(s.enc_zlib && s.enc_desktop_size && s.enc_ext_key);
    static const uint8_t announce[] = {0, 0, 0, 1, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0xFF, 0xFF, 0xFE, 0xFE};
    take(&s, announce, sizeof(announce));
    /* A second SetEncodings does not announce again, and resets. */
    CHECK_EQ_INT(feed(&s, "\x02\x00\x00\x01\x00\x00\x00\x00", 8, m, 2, &n, 8), 0);
    CHECK_EQ_INT(s.out.len, 0);
    CHECK(!s.enc_zlib && !s.enc_ext_key);
    /* Raw before Zlib: the client prefers Raw. */
    static const uint8_t raw_first[] = {2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 6};
    CHECK_EQ_INT(feed(&s, raw_first, sizeof(raw_first), m, 2, &n, 12), 0);
    CHECK(!s.enc_zlib);
    rfb_session_destroy(&s);
}

static void test_hostile_lengths(void)
{
    struct rfb_session s;
    handshake38(&s, 64);
    /* Cut text claiming 4 GiB: skipped as it comes, nothing allocated. */
    static const uint8_t cut[] = {6, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF};
    struct rfb_msg m[2];
    size_t n;
    CHECK_EQ_INT(feed(&s, cut, sizeof(cut), m, 2, &n, 8), 0);
    CHECK_EQ_INT(s.skip_left, 0xFFFFFFFFu);
    uint8_t junk[1000];
    memset(junk, 0xAB, sizeof(junk));
    CHECK_EQ_INT(feed(&s, junk, sizeof(junk), m, 2, &n, 1000), 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(s.skip_left, 0xFFFFFFFFu - 1000);
    rfb_session_destroy(&s);

    /* 65535 encodings: read in pieces, never buffered whole. */
    handshake38(&s, 64);
    CHECK_EQ_INT(feed(&s, "\x02\x00\xFF\xFF", 4, m, 2, &n, 4), 0);
    CHECK_EQ_INT(s.encodings_left, 65535);
    rfb_session_destroy(&s);
}

static void test_unknown_and_refused_messages(void)
{
    struct rfb_session s;
    struct rfb_msg m[2];
    size_t n;
    handshake38(&s, 64);
    CHECK_EQ_INT(feed(&s, "\x07", 1, m, 2, &n, 1), -1);
    CHECK(strstr(s.reason, "unknown client message type 7") != NULL);
    struct rfb_msg one;
    CHECK_EQ_INT(rfb_parse(&s, (const uint8_t *)"\x03", 1, &one), -1);
    rfb_session_destroy(&s);

    handshake38(&s, 64);
    CHECK_EQ_INT(feed(&s, "\xFF\x01", 2, m, 2, &n, 2), -1);
    CHECK(strstr(s.reason, "subtype 1") != NULL);
    rfb_session_destroy(&s);

    /* A colour map, 24 bpp, a shift past the pixel: refused. */
    static const uint8_t pf_map[20] = {0, 0, 0, 0, 8, 8, 0, 0};
    static const uint8_t pf_24[20] = {0, 0, 0, 0, 24, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0};
    static const uint8_t pf_shift[20] = {0, 0, 0, 0, 16, 16, 0, 1, 0, 31, 0, 63, 0, 31, 16, 5, 0};
    const uint8_t *bad[] = {pf_map, pf_24, pf_shift};
    for (int i = 0; i < 3; i++) {
        handshake38(&s, 64);
        CHECK_EQ_INT(feed(&s, bad[i], 20, m, 2, &n, 20), -1);
        CHECK(s.reason[0] != '\0');
        rfb_session_destroy(&s);
    }
}

static void test_pixel_formats(void)
{
    struct rfb_pixel_format rgb565 = {16, 16, false, true, 31, 63, 31, 11, 5, 0};
    CHECK_EQ_INT(rfb_convert_pixel(&rgb565, 0xFFFFFF), 0xFFFF);
    CHECK_EQ_INT(rfb_convert_pixel(&rgb565, 0xFF0000), 0xF800);
    CHECK_EQ_INT(rfb_convert_pixel(&rgb565, 0x00FF00), 0x07E0);
    struct rfb_pixel_format bgr233 = {8, 8, false, true, 7, 7, 3, 0, 3, 6};
    CHECK_EQ_INT(rfb_convert_pixel(&bgr233, 0x0000FF), 0xC0);
    CHECK_EQ_INT(rfb_convert_pixel(&bgr233, 0xFF0000), 0x07);

    /* A big-endian 16-bit client gets each pixel high byte first. */
    struct rfb_session s;
    handshake38(&s, 64);
    static const uint8_t pf[20] = {0, 0, 0, 0, 16, 16, 1, 1, 0, 31, 0, 63, 0, 31, 11, 5, 0};
    struct rfb_msg m[2];
    size_t n;
    CHECK_EQ_INT(feed(&s, pf, 20, m, 2, &n, 20), 0);
    CHECK_EQ_INT(m[0].type, RFB_MSG_PIXEL_FORMAT);
    uint32_t pixels[2] = {0xFF0000, 0x0000FF};
    struct rfb_rect r = {0, 0, 2, 1};
    CHECK_EQ_INT(rfb_put_update(&s, pixels, 2, &r, 1, false, 2, 1), 0);
    static const uint8_t expect[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0,
                                     0xF8, 0x00, 0x00, 0x1F};
    take(&s, expect, sizeof(expect));
    rfb_session_destroy(&s);
}

static void test_zlib_update_and_desktop_size(void)
{
    struct rfb_session s;
    handshake38(&s, 64);
    static const uint8_t enc[] = {2, 0, 0, 2, 0, 0, 0, 6, 0xFF, 0xFF, 0xFF, 0x21};
    struct rfb_msg m[2];
    size_t n;
    CHECK_EQ_INT(feed(&s, enc, sizeof(enc), m, 2, &n, 12), 0);
    uint32_t pixels[64 * 32];
    for (int i = 0; i < 64 * 32; i++)
        pixels[i] = (uint32_t)i * 77;
    struct rfb_rect rects[2] = {{0, 0, 64, 16}, {16, 16, 32, 16}};
    z_stream in;
    memset(&in, 0, sizeof(in));
    CHECK_EQ_INT(inflateInit(&in), Z_OK);
    const uint8_t *scratch = NULL;
    for (int round = 0; round < 2; round++) { /* one stream across updates */
        CHECK_EQ_INT(rfb_put_update(&s, pixels, 64, rects, 2, round == 0, 64, 32), 0);
        /* the pixels before deflate: one buffer, kept across rectangles */
        CHECK(s.zlib_in.cap >= 64 * 16 * 4 && s.zlib_in.len == 0);
        CHECK(round == 0 || s.zlib_in.data == scratch);
        scratch = s.zlib_in.data;
        const uint8_t *p = s.out.data;
        CHECK_EQ_INT(p[3], round == 0 ? 3 : 2);
        p += 4;
        if (round == 0) {
            CHECK(memcmp(p, "\0\0\0\0\0\x40\0\x20\xFF\xFF\xFF\x21", 12) == 0);
            p += 12;
        }
        for (int i = 0; i < 2; i++) {
            CHECK_EQ_INT(p[11], 6);
            uint32_t zlen = (uint32_t)p[12] << 24 | p[13] << 16 | p[14] << 8 | p[15];
            uint8_t raw[64 * 16 * 4];
            in.next_in = (uint8_t *)p + 16;
            in.avail_in = zlen;
            in.next_out = raw;
            in.avail_out = sizeof(raw);
            CHECK_EQ_INT(inflate(&in, Z_SYNC_FLUSH), Z_OK);
            size_t got = sizeof(raw) - in.avail_out;
            CHECK_EQ_INT(got, rects[i].w * rects[i].h * 4);
            uint32_t first = (uint32_t)raw[0] | raw[1] << 8 | raw[2] << 16;
            CHECK_EQ_INT(first, pixels[rects[i].y * 64 + rects[i].x]);
            p += 16 + zlen;
        }
        CHECK_EQ_INT(p - s.out.data, s.out.len);
        rfb_buf_consume(&s.out, s.out.len);
    }
    inflateEnd(&in);
    rfb_session_destroy(&s);
}

static void test_output_limit(void)
{
    struct rfb_session s;
    rfb_session_init(&s, 64);
    rfb_buf_consume(&s.out, 12);
    uint32_t pixels[16 * 16] = {0};
    struct rfb_rect r = {0, 0, 16, 16};
    CHECK_EQ_INT(rfb_put_update(&s, pixels, 16, &r, 1, false, 16, 16), -ENOBUFS);
    CHECK_EQ_INT(s.out.len, 0); /* nothing half-written */
    rfb_session_destroy(&s);
}

static void test_dirty_rects(void)
{
    /* 4 x 3 tiles of 16 on a 60 x 40 picture:
     *   X X . X
     *   X X . .
     *   . . . X     */
    bool dirty[12] = {1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1};
    struct rfb_rect r[8];
    size_t n = rfb_dirty_rects(dirty, 4, 3, 16, 60, 40, r, 8);
    CHECK_EQ_INT(n, 3);
    CHECK(r[0].x == 0 && r[0].y == 0 && r[0].w == 32 && r[0].h == 32);
    CHECK(r[1].x == 48 && r[1].y == 0 && r[1].w == 12 && r[1].h == 16);
    CHECK(r[2].x == 48 && r[2].y == 32 && r[2].w == 12 && r[2].h == 8);
    /* Too many: the last becomes everything from its row down. */
    bool checker[12] = {1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0};
    n = rfb_dirty_rects(checker, 4, 3, 16, 64, 48, r, 2);
    CHECK_EQ_INT(n, 2);
    CHECK(r[1].x == 0 && r[1].y == 0 && r[1].w == 64 && r[1].h == 48);
    bool none[12] = {0};
    CHECK_EQ_INT(rfb_dirty_rects(none, 4, 3, 16, 64, 48, r, 8), 0);
}

int main(void)
{
    RUN(test_handshake_38_and_server_init);
    RUN(test_handshake_33_and_37);
    RUN(test_bad_versions_and_security);
    RUN(test_messages);
    RUN(test_set_encodings_announces_ext_key);
    RUN(test_hostile_lengths);
    RUN(test_unknown_and_refused_messages);
    RUN(test_pixel_formats);
    RUN(test_zlib_update_and_desktop_size);
    RUN(test_output_limit);
    RUN(test_dirty_rects);
    return check_summary("rfb_proto");
}
