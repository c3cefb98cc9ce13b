/* web_corrald: requests to corrald (see web_corrald.h). */
#include "web_corrald.h"

#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int web_corrald_connect(const char *path, char *why, size_t why_len)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(why, why_len, "%s: path too long", path);
        return -ENAMETOOLONG;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = errno;
        snprintf(why, why_len, "cannot reach corrald at %s: %s", path, strerror(err));
        if (fd >= 0)
            close(fd);
        return -err;
    }
    return fd;
}

/* Reads lines until the first, copied into *reply. */
static int web_corrald_reply(int fd, struct proto_linebuf *lb, char **reply, size_t *len,
                             char *why, size_t why_len)
{
    char *line;
    while (!(line = proto_linebuf_take(lb, len))) {
        long n = proto_linebuf_read(lb, fd);
        if (n <= 0) {
            snprintf(why, why_len, "corrald closed the connection without a reply");
            return n < 0 ? (int)n : -EPIPE;
        }
    }
    *reply = malloc(*len + 1);
    if (!*reply)
        return -ENOMEM;
    memcpy(*reply, line, *len + 1);
    return 0;
}

int web_corrald_call(const char *socket_path, struct json_writer *w, char **reply,
                     size_t *len, int *console_fd, char **rest, size_t *rest_len,
                     char *why, size_t why_len)
{
    const char *text = json_writer_text(w);
    struct proto_linebuf lb;
    *reply = NULL;
    if (!text) {
        snprintf(why, why_len, "request too large");
        return -E2BIG;
    }
    int fd = web_corrald_connect(socket_path, why, why_len);
    if (fd < 0)
        return fd;
    int rc = proto_linebuf_init(&lb, PROTO_MAX_REPLY);
    if (rc == 0) {
        rc = proto_send_line(fd, text, strlen(text));
        if (rc < 0)
            snprintf(why, why_len, "sending to corrald: %s", strerror(-rc));
        else
            rc = web_corrald_reply(fd, &lb, reply, len, why, why_len);
    }
    if (rc == 0 && console_fd) {
        size_t n;
        const char *tail = proto_linebuf_rest(&lb, &n);
        *rest = malloc(n + 1);
        if (!*rest) {
            rc = -ENOMEM;
        } else {
            memcpy(*rest, tail, n);
            *rest_len = n;
            *console_fd = fd;
            fd = -1;
        }
    }
    proto_linebuf_free(&lb);
    if (fd >= 0)
        close(fd);
    return rc;
}
