/* control: corral-vmm's control socket (--control PATH): a unix socket,
 * mode 0600, served by the main loop beside the console (no thread of its
 * own).  Up to CONTROL_MAX_CLIENTS connections at a time; each gets the
 * greeting and then one reply per request line (control_proto.h).  A
 * "console" request hands the connection over to the console's readers.
 * A descriptor sent with a request (SCM_RIGHTS, one per read) goes to that
 * request (cdrom-insert: the jailed VMM cannot open the ISO itself) and is
 * closed if the request does not take it.
 * What the requests do is the machine's business: it answers through
 * struct control_ops. */
#ifndef CORRAL_CONTROL_H
#define CORRAL_CONTROL_H

#include <poll.h>
#include <stddef.h>

#include "control_proto.h"
#include "vmdef.h"

#define CONTROL_MAX_CLIENTS 8

/* Each op writes its reply line (without '\n') into reply. */
struct control_ops {
    void *ctx;
    /* args: what control_parse found for the requests that take some. */
    void (*request)(void *ctx, enum control_cmd cmd,
                    const struct control_args *args, char *reply, size_t len);
    /* "console": take over fd as a console reader; 0 or -errno (fd stays
     * the caller's). */
    int (*console)(void *ctx, int fd);
};

struct control_client {
    int fd;
    struct control_linebuf in;
    bool handed_over; /* became a console reader: not ours any more */
    int passed_fd;    /* a descriptor sent with the pending request, or -1 */
};

struct control {
    int listen_fd;
    char path[VMDEF_PATH_MAX];
    struct control_client clients[CONTROL_MAX_CLIENTS];
    struct control_ops ops;
};

int control_open(struct control *c, const char *path,
                 const struct control_ops *ops, char *err, size_t errlen);
void control_close(struct control *c);
#define CONTROL_POLLFDS (1 + CONTROL_MAX_CLIENTS)
int control_pollfds(struct control *c, struct pollfd *fds, int max);
void control_service(struct control *c, const struct pollfd *fds, int n);

#endif
