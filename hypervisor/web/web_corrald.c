/* web_corrald: requests to corrald (see web_corrald.h). */
#include "web_corrald.h"

#include "clock.h"
#include "fdio.h"
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int web_corrald_connect(const char *path, char *why, size_t why_len)
{
    int fd = fdio_unix_connect(path);
    if (fd < 0)
        snprintf(why, why_len, "cannot reach corrald at %s: %s", path, strerror(-fd));
    return fd;
}

/* Waits for corrald's next bytes (the reply is due within
 * PROTO_REPLY_TIMEOUT_S of the request, when deadline_ms is not 0). */
static int web_corrald_wait(int fd, int64_t deadline_ms, char *why, size_t why_len)
{
    int rc = deadline_ms ? proto_wait_readable(fd, deadline_ms) : 0;
    if (rc == -ETIMEDOUT)
        snprintf(why, why_len, PROTO_REPLY_TIMEOUT_TEXT, PROTO_REPLY_TIMEOUT_S);
    else if (rc < 0)
        snprintf(why, why_len, "waiting for corrald: %s", strerror(-rc));
    return rc;
}

static int64_t web_corrald_deadline(void)
{
    return clock_monotonic_ms() + PROTO_REPLY_TIMEOUT_S * 1000;
}

/* Reads lines until the first, copied into *reply (deadline_ms 0: no
 * limit, for the reply that follows an upload, which corrald first syncs). */
static int web_corrald_reply(int fd, struct proto_linebuf *lb, char **reply, size_t *len,
                             int64_t deadline_ms, char *why, size_t why_len)
{
    char *line;
    while (!(line = proto_linebuf_take(lb, len))) {
        int rc = web_corrald_wait(fd, deadline_ms, why, why_len);
        if (rc < 0)
            return rc;
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

int web_corrald_read_reply(int fd, char **reply, size_t *len, char *why, size_t why_len)
{
    struct proto_linebuf lb;
    *reply = NULL;
    int rc = proto_linebuf_init(&lb, PROTO_MAX_REPLY);
    if (rc == 0)
        rc = web_corrald_reply(fd, &lb, reply, len, 0, why, why_len);
    proto_linebuf_free(&lb);
    return rc;
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
            rc = web_corrald_reply(fd, &lb, reply, len, web_corrald_deadline(), why,
                                   why_len);
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

/* One recvmsg() into buf, taking any descriptor passed with it. */
static ssize_t web_corrald_recv(int sock, char *buf, size_t len, int *fd)
{
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                          .msg_controllen = sizeof(control) };
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n >= 0 && c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && *fd < 0)
            memcpy(fd, CMSG_DATA(c), sizeof(int));
    }
    return n;
}

int web_corrald_call_fd(const char *socket_path, struct json_writer *w, char **reply,
                        size_t *len, int *fd, char *why, size_t why_len)
{
    const char *text = json_writer_text(w);
    char buf[4096];
    size_t used = 0;
    *reply = NULL;
    *fd = -1;
    if (!text) {
        snprintf(why, why_len, "request too large");
        return -E2BIG;
    }
    int sock = web_corrald_connect(socket_path, why, why_len);
    if (sock < 0)
        return sock;
    int rc = proto_send_line(sock, text, strlen(text));
    int64_t deadline = web_corrald_deadline();
    /* The reply is short (vm.vnc's is one small object); the line ends it. */
    while (rc == 0 && !memchr(buf, '\n', used)) {
        rc = web_corrald_wait(sock, deadline, why, why_len);
        if (rc < 0)
            break;
        ssize_t n = used < sizeof(buf) ? web_corrald_recv(sock, buf + used,
                                                          sizeof(buf) - used, fd) : -1;
        if (n <= 0) {
            snprintf(why, why_len, "corrald closed the connection without a reply");
            rc = -EPIPE;
            break;
        }
        used += (size_t)n;
    }
    close(sock);
    if (rc == 0) {
        *len = (size_t)((char *)memchr(buf, '\n', used) - buf);
        *reply = malloc(*len + 1);
        if (!*reply) {
            rc = -ENOMEM;
        } else {
            memcpy(*reply, buf, *len);
            (*reply)[*len] = '\0';
        }
    }
    if (rc < 0 && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}
