/* control_proto: the line protocol of corral-vmm's control socket
 * (--control PATH), documented in docs/corral-vmm.md.
 *
 * On connect the VMM sends a greeting with the protocol version,
 *     corral-vmm control 1
 * then each request is one line of printable ASCII (at most
 * CONTROL_LINE_MAX bytes before the '\n'; a '\r' before it is ignored),
 * a command word - and for the CD-ROM and disk requests their arguments:
 *     cdrom-eject N            N: the drive, 0 for the first cdrom = ...
 *     cdrom-insert N PATH      PATH: the rest of the line
 *     disk N                   N: the disk, 0 for the first disk = (every bus)
 * - and each reply is one line:
 *     ok[ DETAIL]            status: ok {"protocol":1,...} (one JSON line);
 *                            disk: ok {"disk":N,"bus":...,"io":...,"engine":...}
 *     error CODE: MESSAGE
 * A plain line protocol rather than corrald's JSON framing (lib/proto):
 * the requests carry at most a number and a path, a person can type them (socat, or
 * corral-vmm --control-send), and the VMM needs no JSON parser for them.
 *
 * This module is the pure part - framing and parsing - so that it can be
 * unit-tested and fuzzed; hypervisor/vmm/control.c serves the socket,
 * control_conn.c is the client side (corrald, corral-vmm --control-send). */
#ifndef CORRAL_CONTROL_PROTO_H
#define CORRAL_CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define CONTROL_PROTO_VERSION 1
#define CONTROL_GREETING "corral-vmm control 1\n"
#define CONTROL_LINE_MAX 128
#define CONTROL_REPLY_MAX 512

/* Error codes (stable: scripts may test them). */
#define CONTROL_E_BAD_REQUEST "bad-request"
#define CONTROL_E_TOO_LONG "too-long"
#define CONTROL_E_UNKNOWN "unknown-command"
#define CONTROL_E_STATE "wrong-state"
#define CONTROL_E_BUSY "busy"
#define CONTROL_E_NO_DEVICE "no-device"

enum control_cmd {
    CONTROL_STATUS,
    CONTROL_PAUSE,
    CONTROL_RESUME,
    CONTROL_SHUTDOWN,
    CONTROL_STOP,
    CONTROL_CONSOLE,
    CONTROL_CDROM_EJECT,
    CONTROL_CDROM_INSERT,
    CONTROL_DISK,
};
#define CONTROL_CMD_LAST CONTROL_DISK
/* The highest CD-ROM drive (and disk) number a request can name (0..99). */
#define CONTROL_DRIVE_MAX 99

/* The arguments of the requests that take some. */
struct control_args {
    unsigned drive;                  /* cdrom-eject, cdrom-insert */
    unsigned disk;                   /* disk */
    char path[CONTROL_LINE_MAX + 1]; /* cdrom-insert */
    /* cdrom-insert: the image, opened by the client and passed with the
     * request (SCM_RIGHTS), or -1 to open path (an unjailed VMM only).
     * Set by the server after parsing; the request handler owns it. */
    int fd;
};

/* Parses one request line (without '\n').  Returns 0 with *cmd (and
 * *args for the requests that take some), or -1 with the error code in
 * *code and a reason in why. */
int control_parse(const char *line, size_t len, enum control_cmd *cmd,
                  struct control_args *args, const char **code, char *why,
                  size_t why_len);
const char *control_cmd_name(enum control_cmd cmd);

/* The request line (without '\n') that ejects the medium of drive, or
 * with iso inserts that image.  Returns 0, or -1 with why set when drive
 * is past CONTROL_DRIVE_MAX, iso is not an absolute path of printable
 * ASCII, or the line would be longer than CONTROL_LINE_MAX. */
int control_cdrom_line(char *out, size_t len, unsigned drive, const char *iso,
                       char *why, size_t why_len);

/* Splits a byte stream into request lines.  A line longer than
 * CONTROL_LINE_MAX is reported once (too_long) and the rest of it, up to
 * its '\n', is skipped: the connection carries on with the next line. */
struct control_linebuf {
    char buf[CONTROL_LINE_MAX + 1];
    size_t len;
    bool skipping;
};

typedef void (*control_line_fn)(void *ctx, const char *line, size_t len,
                                bool too_long);
/* Feeds n bytes; calls fn for each complete line (and for each too long
 * one).  fn returning makes the feed go on, unless *stop was set by it -
 * for a connection that leaves request mode (console).  Returns the bytes
 * consumed (all of them unless stopped). */
size_t control_linebuf_feed(struct control_linebuf *lb, const char *data,
                            size_t n, control_line_fn fn, void *ctx,
                            const bool *stop);

#endif
