/* web_corrald: corral-web's client side of corrald's socket
 * (docs/protocol.md): one request line, one reply line, on a fresh
 * connection each time (corrald serves many clients; a connection is
 * cheap on a unix socket). */
#ifndef CORRAL_WEB_CORRALD_H
#define CORRAL_WEB_CORRALD_H

#include <stddef.h>

#include "json.h"

/* Sends the request being built in w (finished: proto_end_request done) and
 * reads the reply line into *reply (malloc'd, NUL terminated, *len bytes).
 * With console_fd, the connection is kept and handed over in it (after an
 * ok vm.console reply the console stream follows; after image.upload's,
 * the upload), with any bytes already read past the reply in *rest /
 * *rest_len (malloc'd).  0, or -errno with why. */
int web_corrald_call(const char *socket_path, struct json_writer *w, char **reply,
                     size_t *len, int *console_fd, char **rest, size_t *rest_len,
                     char *why, size_t why_len);

/* Reads one reply line from fd (a connection handed over by
 * web_corrald_call) into *reply (malloc'd).  0 or -errno with why. */
int web_corrald_read_reply(int fd, char **reply, size_t *len, char *why, size_t why_len);

/* A request whose ok reply brings a file descriptor (vm.vnc): the reply
 * into *reply (malloc'd) and the descriptor in *fd (-1 if none came).
 * 0 or -errno with why. */
int web_corrald_call_fd(const char *socket_path, struct json_writer *w, char **reply,
                        size_t *len, int *fd, char *why, size_t why_len);

#endif
