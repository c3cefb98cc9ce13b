/* rfb_client: the CLI's RFB client against the VMM's own protocol code
 * (rfb_proto) in memory, and against hostile servers. */
#include "check.h"
#include "rfb_client.h"
#include "keymap.h"
#include "../../hypervisor/vmm/rfb_proto.h"

#include <errno.h>
#include <stdlib.h>

#define W 37
#define H 20

/* The server side: what the client wrote is parsed at once and answered. */
struct loop {
    struct rfb_session s;
    bool announce_ext_key; /* false: act as a server without the extension */
    uint32_t pixels[W * H];
    uint16_t keys[16];
    bool downs[16];
    size_t nkeys;
    uint8_t raw[64]; /* hostile server: these bytes instead */
    size_t raw_len, raw_off;
};

static void loop_answer(struct loop *l, const struct rfb_msg *m)
{
    if (m->type == RFB_MSG_CLIENT_INIT)
        rfb_put_server_init(&l->s, W, H, "test-vm");
    if (m->type == RFB_MSG_UPDATE_REQUEST) {
        struct rfb_rect r[2] = {{0, 0, W, 10}, {0, 10, W, H - 10}};
        rfb_put_update(&l->s, l->pixels, W, r, 2, false, W, H);
    }
    if ((m->type == RFB_MSG_KEY || m->type == RFB_MSG_EXT_KEY) && l->nkeys < 16) {
        l->keys[l->nkeys] = m->type == RFB_MSG_KEY ? keymap_keysym_to_qnum(m->keysym)
                                                    : (uint16_t)m->qnum;
        l->downs[l->nkeys++] = m->down;
    }
}

static int loop_write(void *ctx, const void *buf, size_t n)
{
    struct loop *l = ctx;
    const uint8_t *p = buf;
    while (n) {
        struct rfb_msg m;
        int rc = rfb_parse(&l->s, p, n, &m);
        if (rc <= 0)
            return -EPIPE; /* the client sends whole messages */
        if (m.type == RFB_MSG_ENCODINGS && !l->announce_ext_key)
            l->s.out.len -= l->s.out.len >= 16 ? 16 : 0; /* take it back */
        loop_answer(l, &m);
        p += rc;
        n -= (size_t)rc;
    }
    return 0;
}

static int loop_read(void *ctx, void *buf, size_t n)
{
    struct loop *l = ctx;
    if (l->raw_len) {
        if (l->raw_len - l->raw_off < n)
            return -EPIPE;
        memcpy(buf, l->raw + l->raw_off, n);
        l->raw_off += n;
        return 0;
    }
    if (l->s.out.len < n)
        return -EPIPE;
    memcpy(buf, l->s.out.data, n);
    rfb_buf_consume(&l->s.out, n);
    return 0;
}

static void loop_init(struct loop *l, struct rfbc *c, bool ext)
{
    memset(l, 0, sizeof(*l));
    rfb_session_init(&l->s, 1 << 20);
    l->announce_ext_key = ext;
    for (int i = 0; i < W * H; i++)
        l->pixels[i] = (uint32_t)(i * 2654435761u) & 0xFFFFFF;
    memset(c, 0, sizeof(*c));
    c->read_exact = loop_read;
    c->write_all = loop_write;
    c->ctx = l;
}

static void test_screenshot_against_the_server(void)
{
    struct loop l;
    struct rfbc c;
    loop_init(&l, &c, true);
    CHECK_EQ_INT(rfbc_handshake(&c), 0);
    CHECK_EQ_STR(c.name, "test-vm");
    CHECK_EQ_INT(c.width, W);
    CHECK_EQ_INT(c.height, H);
    CHECK_EQ_INT(rfbc_fetch_screen(&c), 0);
    CHECK(c.ext_key);
    CHECK(memcmp(c.pixels, l.pixels, sizeof(l.pixels)) == 0);
    rfbc_free(&c);
    rfb_session_destroy(&l.s);
}

static void test_keys_raw_and_as_keysyms(void)
{
    for (int ext = 0; ext < 2; ext++) {
        struct loop l;
        struct rfbc c;
        loop_init(&l, &c, ext);
        CHECK_EQ_INT(rfbc_handshake(&c), 0);
        CHECK_EQ_INT(rfbc_fetch_screen(&c), 0);
        CHECK_EQ_INT(c.ext_key, ext);
        CHECK_EQ_INT(rfbc_key(&c, 0x1D, true), 0);  /* ctrl */
        CHECK_EQ_INT(rfbc_key(&c, 0xD3, true), 0);  /* delete */
        CHECK_EQ_INT(rfbc_key(&c, 0xD3, false), 0);
        CHECK_EQ_INT(l.nkeys, 3);
        CHECK_EQ_INT(l.keys[0], 0x1D);
        CHECK_EQ_INT(l.keys[1], 0xD3);
        CHECK(l.downs[1] && !l.downs[2]);
        rfbc_free(&c);
        rfb_session_destroy(&l.s);
    }
}

static void run_hostile(const void *bytes, size_t len, const char *expect)
{
    struct loop l;
    struct rfbc c;
    loop_init(&l, &c, true);
    memcpy(l.raw, bytes, len);
    l.raw_len = len;
    int rc = rfbc_handshake(&c);
    if (rc == 0)
        rc = rfbc_fetch_screen(&c);
    CHECK_EQ_INT(rc, -1);
    if (!strstr(c.err, expect))
        fprintf(stderr, "error was: %s\n", c.err);
    CHECK(strstr(c.err, expect) != NULL);
    rfbc_free(&c);
    rfb_session_destroy(&l.s);
}

static void test_hostile_servers(void)
{
    run_hostile("SSH-2.0-Open\n", 12, "not an RFB server");
    run_hostile("RFB 003.003\n", 12, "not 3.8");
    run_hostile("RFB 003.008\n\0\0\0\0\x04nope", 21, "refused the connection: nope");
    run_hostile("RFB 003.008\n\x01\x02", 14, "authentication");
    /* A 65535 x 65535 screen: refused, not allocated. */
    static const uint8_t huge[] = {
        'R', 'F', 'B', ' ', '0', '0', '3', '.', '0', '0', '8', '\n', 1, 1, 0, 0, 0, 0,
        0xFF, 0xFF, 0xFF, 0xFF, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0,
        0, 0, 0, 0};
    run_hostile(huge, sizeof(huge), "larger than");
    /* A rectangle outside the screen. */
    static const uint8_t outside[] = {
        'R', 'F', 'B', ' ', '0', '0', '3', '.', '0', '0', '8', '\n', 1, 1, 0, 0, 0, 0,
        0, 4, 0, 4, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 1, 0, 2, 0, 2, 0, 4, 0, 4, 0, 0, 0, 0};
    run_hostile(outside, sizeof(outside), "outside");
    /* The connection ends mid-handshake. */
    run_hostile("RFB 003.008\n\x01", 13, "closed the connection");
}

int main(void)
{
    RUN(test_screenshot_against_the_server);
    RUN(test_keys_raw_and_as_keysyms);
    RUN(test_hostile_servers);
    return check_summary("rfb_client");
}
