/* control_conn: the client side of corral-vmm's control socket
 * (control_proto.h), for corrald and corral-vmm --control-send: connect
 * and check the greeting, then one request line, one reply line. */
#ifndef CORRAL_CONTROL_CONN_H
#define CORRAL_CONTROL_CONN_H

#include <stddef.h>

/* Connects to path and reads the greeting; reads and writes give up after
 * timeout_ms.  Returns the fd, -EPROTO when the other end does not speak
 * protocol CONTROL_PROTO_VERSION, or -errno. */
int control_conn_open(const char *path, int timeout_ms);
/* Sends cmd (as given) and reads the reply line into reply (without its
 * '\n').  Returns 0 for "ok ...", 1 for "error ...", or -errno when the
 * VMM went away or did not answer.  Nothing past the reply is read: after
 * "ok console" the console stream follows on fd. */
int control_conn_request(int fd, const char *cmd, char *reply, size_t len);
/* The same with passed_fd (>= 0) sent along (SCM_RIGHTS): how a jailed
 * VMM gets a file (cdrom-insert's image). */
int control_conn_request_fd(int fd, const char *cmd, int passed_fd, char *reply,
                            size_t len);
int control_conn_call_fd(const char *path, const char *cmd, int passed_fd,
                         int timeout_ms, char *reply, size_t len);
/* control_conn_open + one request + close. */
int control_conn_call(const char *path, const char *cmd, int timeout_ms,
                      char *reply, size_t len);

#endif
