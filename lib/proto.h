/* proto: the control protocol between corrald and its clients (corral).
 *
 * A stream (unix socket) of messages, each one line of JSON ending in '\n'
 * (the writer escapes every control character, so a message never holds a
 * raw newline).  Requests are at most PROTO_MAX_REQUEST bytes, replies at
 * most PROTO_MAX_REPLY.  Documented in docs/protocol.md.
 *
 *   request  {"v":1,"cmd":"vm.start","args":{"name":"web1"}}
 *   reply    {"v":1,"ok":true,"data":{...}}
 *            {"v":1,"ok":false,"error":{"code":"not-found","message":"..."}}
 *
 * A request that is malformed, too large or of another version gets an
 * error reply and the connection carries on (after a too large one, with
 * the line that follows it). */
#ifndef CORRAL_PROTO_H
#define CORRAL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define PROTO_VERSION 1
#define PROTO_MAX_REQUEST (64 * 1024)
#define PROTO_MAX_REPLY (4 * 1024 * 1024)
#define PROTO_SOCKET_PATH "/run/corral/corrald.sock"
#define PROTO_SOCKET_ENV "CORRAL_SOCKET" /* overrides the path (tests) */

/* Error codes in replies (stable; scripts may test them). */
#define PROTO_E_BAD_REQUEST "bad-request"  /* not a request at all */
#define PROTO_E_VERSION "bad-version"      /* v is not PROTO_VERSION */
#define PROTO_E_TOO_LARGE "too-large"      /* over PROTO_MAX_REQUEST */
#define PROTO_E_UNKNOWN_COMMAND "unknown-command"
#define PROTO_E_INVALID "invalid"          /* bad argument or definition */
#define PROTO_E_NOT_FOUND "not-found"
#define PROTO_E_EXISTS "exists"
#define PROTO_E_STATE "wrong-state"        /* e.g. start of a running VM */
#define PROTO_E_NO_MEMORY "no-memory"      /* start would overcommit */
#define PROTO_E_IO "io-error"
#define PROTO_E_NOT_READY "not-ready"      /* not yet: try again (a screen while its VMM starts) */
#define PROTO_E_INTERNAL "internal"

/* The socket path: $CORRAL_SOCKET or PROTO_SOCKET_PATH. */
const char *proto_socket_path(void);

struct proto_request {
    struct json_doc doc;
    const char *cmd;
    const struct json_node *args; /* an object; an empty one if absent */
};

/* Decodes one message (without its '\n').  Returns 0, or -EINVAL with the
 * reply's error code in *code and a reason in why. */
int proto_decode_request(const char *line, size_t len, struct proto_request *req,
                         const char **code, char *why, size_t why_len);
void proto_request_free(struct proto_request *req);
/* Typed arguments of a decoded request (NULL / false when absent). */
const char *proto_arg_string(const struct proto_request *req, const char *key);
bool proto_arg_int(const struct proto_request *req, const char *key, long long *out);
bool proto_arg_bool(const struct proto_request *req, const char *key, bool *out);
const struct json_node *proto_arg(const struct proto_request *req, const char *key);

/* Building a request: begin, add "args" members with json_kv_*, end. */
void proto_begin_request(struct json_writer *w, const char *cmd);
void proto_end_request(struct json_writer *w);

/* Building a reply: begin, write exactly one value (the data), end. */
void proto_begin_reply(struct json_writer *w);
void proto_end_reply(struct json_writer *w);
/* A whole error reply. */
void proto_error_reply(struct json_writer *w, const char *code,
                       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct proto_reply {
    struct json_doc doc;
    bool ok;
    const char *error_code, *error_message; /* when !ok */
    const struct json_node *data;           /* when ok */
};

int proto_decode_reply(const char *line, size_t len, struct proto_reply *rep,
                       char *why, size_t why_len);
void proto_reply_free(struct proto_reply *rep);

/* Accumulates a byte stream and cuts it into lines. */
struct proto_linebuf {
    char *buf;
    size_t len, max;
    size_t taken; /* length + 1 of the line handed out by take, 0 if none */
};

int proto_linebuf_init(struct proto_linebuf *lb, size_t max);
void proto_linebuf_free(struct proto_linebuf *lb);
/* Forgets everything buffered. */
void proto_linebuf_reset(struct proto_linebuf *lb);
/* Appends n bytes (0 or -EMSGSIZE if they do not fit). */
int proto_linebuf_append(struct proto_linebuf *lb, const char *data, size_t n);
/* One read() from fd into the buffer: bytes read, 0 at end of stream,
 * -EMSGSIZE when the buffer is full without a complete line, or -errno. */
long proto_linebuf_read(struct proto_linebuf *lb, int fd);
/* The next complete line (NUL terminated, '\n' removed) or NULL; valid
 * until the next call on lb.  Drops the line handed out before. */
char *proto_linebuf_take(struct proto_linebuf *lb, size_t *len);

/* Whatever follows the lines taken so far (e.g. a console stream after
 * its reply); *len bytes, not NUL terminated. */
const char *proto_linebuf_rest(struct proto_linebuf *lb, size_t *len);

/* Writes all of text and then '\n' (blocking; EINTR retried).  Callers
 * ignore SIGPIPE, so a vanished peer is an -EPIPE here. */
int proto_send_line(int fd, const char *text, size_t len);

/* How long a client waits for corrald's reply to one request.  corrald's
 * loop answers every request at once (long work - a VM stopping, a
 * download - is polled for by the client, never waited on inside one
 * request), so this much silence means corrald is stuck or stopped. */
#define PROTO_REPLY_TIMEOUT_S 30
/* How long a client waits for the screen of a VM it saw start (vm.vnc's
 * not-ready): the VMM opens the screen's socket once guest RAM is set up
 * and the kernel or firmware loaded, seconds after corrald calls it running. */
#define PROTO_SCREEN_WAIT_MS 30000
#define PROTO_SCREEN_RETRY_MS 250 /* between two tries meanwhile */
/* What a client says then. */
#define PROTO_REPLY_TIMEOUT_TEXT "corrald did not answer in %d s (it is running but " \
    "stuck or stopped; `logread | grep corrald` may say why)"

/* Waits until fd is readable or the monotonic clock (clock.h) reaches
 * deadline_ms: 0, -ETIMEDOUT, or -errno. */
int proto_wait_readable(int fd, int64_t deadline_ms);

#endif
