/* libFuzzer target for the control protocol's decoders: the input is a
 * byte stream, cut into lines as corrald and corral do; each line must
 * decode as a request (and as a reply, what the CLI reads) or be refused,
 * never crash; a decoded request must serialise and parse back to the same
 * text. */
#include "proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *fuzz_proto_serialise(const struct json_doc *doc)
{
    struct json_writer w;
    json_writer_init(&w, 16 * PROTO_MAX_REQUEST);
    json_node(&w, doc, json_root(doc));
    const char *text = json_writer_text(&w);
    char *copy = text ? strdup(text) : NULL;
    json_writer_free(&w);
    if (!copy)
        abort();
    return copy;
}

static void fuzz_proto_reply(const char *line, size_t len)
{
    struct proto_reply rep;
    char why[256];
    if (proto_decode_reply(line, len, &rep, why, sizeof(why)) == 0 && !rep.ok &&
        (!rep.error_code || !rep.error_message))
        abort(); /* an error reply always says what and why */
    proto_reply_free(&rep);
}

static void fuzz_proto_line(const char *line, size_t len)
{
    struct proto_request req;
    fuzz_proto_reply(line, len);
    const char *code = NULL;
    char why[256];
    if (proto_decode_request(line, len, &req, &code, why, sizeof(why)) != 0) {
        if (!code)
            abort();
        proto_request_free(&req);
        return;
    }
    char *once = fuzz_proto_serialise(&req.doc);
    struct json_doc again;
    if (json_parse(once, strlen(once), &again, why, sizeof(why)) != 0)
        abort();
    char *twice = fuzz_proto_serialise(&again);
    if (strcmp(once, twice) != 0)
        abort();
    free(once);
    free(twice);
    json_doc_free(&again);
    proto_request_free(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_linebuf lb;
    if (proto_linebuf_init(&lb, PROTO_MAX_REQUEST) < 0)
        return 0;
    /* Arrive in chunks of up to 7 bytes, as reads from a socket might. */
    for (size_t pos = 0; pos < size;) {
        size_t n = size - pos < 7 ? size - pos : 7;
        if (proto_linebuf_append(&lb, (const char *)data + pos, n) < 0)
            break;
        pos += n;
        size_t len;
        char *line;
        while ((line = proto_linebuf_take(&lb, &len)))
            fuzz_proto_line(line, len);
    }
    proto_linebuf_free(&lb);
    return 0;
}
