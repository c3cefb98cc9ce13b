/* libFuzzer target for the RFB server's parser: the input is what a
 * client sends, handed to the parser in pieces of a size the first byte
 * chooses (as a socket would deliver it); every message is answered as
 * rfb.c does (ServerInit, updates of a small picture in whatever pixel
 * format and encoding the input set), so the builders see hostile formats
 * too.  The parser must consume at most what it is given, always make
 * progress or ask for more, and fail only with a reason. */
#include "../../hypervisor/vmm/rfb_proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_W 40
#define FUZZ_H 24

static uint32_t fuzz_pixels[FUZZ_W * FUZZ_H];

static void fuzz_rfb_answer(struct rfb_session *s, const struct rfb_msg *m)
{
    if (m->type == RFB_MSG_CLIENT_INIT) {
        rfb_put_server_init(s, FUZZ_W, FUZZ_H, "fuzz");
    } else if (m->type == RFB_MSG_UPDATE_REQUEST) {
        bool dirty[3 * 2] = {1, 0, 1, 1, 1, 0};
        struct rfb_rect rects[4];
        size_t n = rfb_dirty_rects(dirty, 3, 2, 16, FUZZ_W, FUZZ_H, rects, 4);
        rfb_put_update(s, fuzz_pixels, FUZZ_W, rects, n, !m->incremental,
                       FUZZ_W, FUZZ_H);
    }
    if (s->out.len > 4096) /* the client read it */
        rfb_buf_consume(&s->out, s->out.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)(data[0] % 64) + 1;
    data++, size--;
    for (size_t i = 0; i < FUZZ_W * FUZZ_H; i++)
        fuzz_pixels[i] = (uint32_t)(i * 2654435761u) & 0xFFFFFF;
    struct rfb_session s;
    rfb_session_init(&s, 1 << 16);
    uint8_t buf[256];
    size_t have = 0, off = 0;
    while (off < size || have) {
        size_t room = sizeof(buf) - have;
        size_t add = size - off < chunk ? size - off : chunk;
        if (add > room)
            add = room;
        memcpy(buf + have, data + off, add);
        have += add, off += add;
        int rc;
        struct rfb_msg m;
        while ((rc = rfb_parse(&s, buf, have, &m)) > 0) {
            if ((size_t)rc > have)
                abort();
            memmove(buf, buf + rc, have - (size_t)rc);
            have -= (size_t)rc;
            fuzz_rfb_answer(&s, &m);
        }
        if (rc < 0) {
            if (s.reason[0] == '\0' || s.phase != RFB_PHASE_CLOSED)
                abort();
            break;
        }
        if (add == 0) /* input over, the rest is an incomplete message */
            break;
    }
    rfb_session_destroy(&s);
    return 0;
}
