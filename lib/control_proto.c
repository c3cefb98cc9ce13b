/* control_proto: framing and parsing of control requests (see control_proto.h). */
#include "control_proto.h"

#include <stdio.h>
#include <string.h>

static const char *const control_names[] = {
    [CONTROL_STATUS] = "status",
    [CONTROL_PAUSE] = "pause",
    [CONTROL_RESUME] = "resume",
    [CONTROL_SHUTDOWN] = "shutdown",
    [CONTROL_STOP] = "stop",
    [CONTROL_CONSOLE] = "console",
};

#define CONTROL_NCMDS (sizeof(control_names) / sizeof(control_names[0]))

const char *control_cmd_name(enum control_cmd cmd)
{
    return (unsigned)cmd < CONTROL_NCMDS ? control_names[cmd] : "?";
}

static int control_reject(const char **code, const char *c, char *why,
                          size_t why_len, const char *msg, const char *word,
                          size_t word_len)
{
    *code = c;
    snprintf(why, why_len, "%s%.*s", msg, (int)word_len, word);
    return -1;
}

int control_parse(const char *line, size_t len, enum control_cmd *cmd,
                  const char **code, char *why, size_t why_len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > CONTROL_LINE_MAX)
        return control_reject(code, CONTROL_E_TOO_LONG, why, why_len,
                              "request longer than 128 bytes", "", 0);
    for (size_t i = 0; i < len; i++)
        if (line[i] < 0x20 || line[i] > 0x7e)
            return control_reject(code, CONTROL_E_BAD_REQUEST, why, why_len,
                                  "control character or non-ASCII byte in "
                                  "the request", "", 0);
    /* surrounding blanks are forgiven; anything after the word is not */
    while (len > 0 && line[len - 1] == ' ')
        len--;
    while (len > 0 && line[0] == ' ')
        line++, len--;
    if (len == 0)
        return control_reject(code, CONTROL_E_BAD_REQUEST, why, why_len,
                              "empty request", "", 0);
    for (size_t i = 0; i < CONTROL_NCMDS; i++) {
        size_t n = strlen(control_names[i]);
        if (len == n && memcmp(line, control_names[i], n) == 0) {
            *cmd = (enum control_cmd)i;
            return 0;
        }
        if (len > n && memcmp(line, control_names[i], n) == 0 && line[n] == ' ')
            return control_reject(code, CONTROL_E_BAD_REQUEST, why, why_len,
                                  "takes no arguments: ", line, n);
    }
    return control_reject(code, CONTROL_E_UNKNOWN, why, why_len,
                          "no such command (status, pause, resume, shutdown, "
                          "stop, console): ", line, len > 32 ? 32 : len);
}

size_t control_linebuf_feed(struct control_linebuf *lb, const char *data,
                            size_t n, control_line_fn fn, void *ctx,
                            const bool *stop)
{
    size_t i = 0;
    while (i < n && !(stop && *stop)) {
        char ch = data[i++];
        if (ch == '\n') {
            if (!lb->skipping)
                fn(ctx, lb->buf, lb->len, false);
            lb->len = 0;
            lb->skipping = false;
        } else if (lb->skipping) {
            continue;
        } else if (lb->len == sizeof(lb->buf)) {
            /* the one byte over the limit ('\r' included) */
            lb->skipping = true;
            lb->len = 0;
            fn(ctx, NULL, 0, true);
        } else {
            lb->buf[lb->len++] = ch;
        }
    }
    return i;
}
