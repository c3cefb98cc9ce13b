/* libFuzzer: the control socket's request framing and parser.  Bytes are
 * fed in chunks (the first byte picks the chunk size) as reads would
 * bring them; every line goes through control_parse.  Checks: no crash,
 * no over-read, a parsed command is one of the known ones, and a line the
 * framing passes on is never longer than the limit (plus its '\r'), and a
 * parsed drive or disk number is in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/control_proto.h"

static void on_line(void *ctx, const char *line, size_t len, bool too_long)
{
    (void)ctx;
    char why[160];
    const char *code = NULL;
    enum control_cmd cmd;
    struct control_args args;
    if (too_long)
        return;
    if (len > CONTROL_LINE_MAX + 1)
        abort();
    /* an exact copy, so that ASan sees any read past the line */
    char *copy = malloc(len ? len : 1);
    memcpy(copy, line, len);
    if (control_parse(copy, len, &cmd, &args, &code, why, sizeof(why)) == 0) {
        if ((unsigned)cmd > CONTROL_CMD_LAST)
            abort();
        if (cmd == CONTROL_CDROM_INSERT &&
            (!args.path[0] || strlen(args.path) >= len || args.drive > CONTROL_DRIVE_MAX))
            abort();
        if (cmd == CONTROL_DISK && args.disk > CONTROL_DRIVE_MAX)
            abort();
        control_cmd_name(cmd);
    } else if (!code || !memchr(why, 0, sizeof(why))) {
        abort();
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] % 64 + 1;
    struct control_linebuf lb = { 0 };
    for (size_t off = 1; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        control_linebuf_feed(&lb, (const char *)data + off, n, on_line, NULL, NULL);
    }
    return 0;
}
