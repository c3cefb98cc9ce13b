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
 * ok vm.console reply the console stream follows), with any stream bytes
 * already read in *rest / *rest_len (malloc'd).  0, or -errno with why. */
int web_corrald_call(const char *socket_path, struct json_writer *w, char **reply,
                     size_t *len, int *console_fd, char **rest, size_t *rest_len,
                     char *why, size_t why_len);

#endif
