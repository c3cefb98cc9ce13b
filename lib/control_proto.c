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
    [CONTROL_CDROM_EJECT] = "cdrom-eject",
    [CONTROL_CDROM_INSERT] = "cdrom-insert",
    [CONTROL_DISK] = "disk",
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

static bool control_takes_args(enum control_cmd cmd)
{
    return cmd == CONTROL_CDROM_EJECT || cmd == CONTROL_CDROM_INSERT ||
           cmd == CONTROL_DISK;
}

/* A drive or disk number: 1 or 2 digits, then the end or a space.
 * Returns the bytes it took, or 0. */
static size_t control_parse_number(const char *s, size_t len, unsigned *number)
{
    size_t n = 0;
    *number = 0;
    while (n < len && n < 3 && s[n] >= '0' && s[n] <= '9')
        *number = *number * 10 + (unsigned)(s[n++] - '0');
    if (n == 0 || *number > CONTROL_DRIVE_MAX || (n < len && s[n] != ' '))
        return 0;
    return n;
}

/* The arguments after cmd's word (rest: len bytes, blanks trimmed). */
static int control_parse_args(enum control_cmd cmd, const char *rest, size_t len,
                              struct control_args *args, const char **code,
                              char *why, size_t why_len)
{
    size_t n = 0;
    if (control_takes_args(cmd))
        n = control_parse_number(rest, len,
                                 cmd == CONTROL_DISK ? &args->disk : &args->drive);
    if ((cmd == CONTROL_CDROM_EJECT || cmd == CONTROL_DISK) && n > 0 && n == len)
        return 0;
    if (cmd == CONTROL_CDROM_INSERT && n > 0 && n + 1 < len) {
        memcpy(args->path, rest + n + 1, len - n - 1);
        args->path[len - n - 1] = '\0';
        return 0;
    }
    if (cmd == CONTROL_CDROM_EJECT)
        return control_reject(code, CONTROL_E_BAD_REQUEST, why, why_len,
                              "usage: cdrom-eject DRIVE (0-99)", "", 0);
    if (cmd == CONTROL_CDROM_INSERT)
        return control_reject(code, CONTROL_E_BAD_REQUEST, why, why_len,
                              "usage: cdrom-insert DRIVE (0-99) PATH", "", 0);
    if (cmd == CONTROL_DISK)
        return control_reject(code, CONTROL_E_BAD_REQUEST, why, why_len,
                              "usage: disk N (0-99)", "", 0);
    return control_reject(code, CONTROL_E_BAD_REQUEST, why, why_len,
                          "takes no arguments: ", control_names[cmd],
                          strlen(control_names[cmd]));
}

int control_parse(const char *line, size_t len, enum control_cmd *cmd,
                  struct control_args *args, const char **code, char *why,
                  size_t why_len)
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
    /* surrounding blanks are forgiven */
    while (len > 0 && line[len - 1] == ' ')
        len--;
    while (len > 0 && line[0] == ' ')
        line++, len--;
    if (len == 0)
        return control_reject(code, CONTROL_E_BAD_REQUEST, why, why_len,
                              "empty request", "", 0);
    const char *space = memchr(line, ' ', len);
    size_t word = space ? (size_t)(space - line) : len;
    for (size_t i = 0; i < CONTROL_NCMDS; i++) {
        size_t n = strlen(control_names[i]);
        if (word != n || memcmp(line, control_names[i], n) != 0)
            continue;
        *cmd = (enum control_cmd)i;
        if (len == n && !control_takes_args(*cmd))
            return 0;
        size_t skip = len > n ? n + 1 : n;
        return control_parse_args(*cmd, line + skip, len - skip, args, code,
                                  why, why_len);
    }
    return control_reject(code, CONTROL_E_UNKNOWN, why, why_len,
                          "no such command (status, pause, resume, shutdown, "
                          "stop, console, cdrom-eject, cdrom-insert, disk): ", line,
                          len > 32 ? 32 : len);
}

int control_cdrom_line(char *out, size_t len, unsigned drive, const char *iso,
                       char *why, size_t why_len)
{
    if (drive > CONTROL_DRIVE_MAX) {
        snprintf(why, why_len, "drive %u: the drives are numbered 0 to %d", drive,
                 CONTROL_DRIVE_MAX);
        return -1;
    }
    for (const char *c = iso; c && *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            iso = ""; /* refused below */
    if (iso && iso[0] != '/') {
        snprintf(why, why_len, "the ISO must be an absolute path of printable ASCII");
        return -1;
    }
    int n = iso ? snprintf(out, len, "cdrom-insert %u %s", drive, iso)
                : snprintf(out, len, "cdrom-eject %u", drive);
    if (n < 0 || (size_t)n >= len || n > CONTROL_LINE_MAX) {
        snprintf(why, why_len, "the ISO's path is too long for a control request "
                 "(%d bytes at most)", CONTROL_LINE_MAX - 17);
        return -1;
    }
    return 0;
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
