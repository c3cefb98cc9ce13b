/* control_conn: client of the VMM's control socket (see control_conn.h). */
#include "control_conn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "control_proto.h"
#include "fdio.h"

/* One '\n'-terminated line, a byte at a time, so that nothing after it
 * (the console stream) is consumed; longer lines are cut to len - 1. */
static int control_conn_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -ECONNRESET;
        if (ch == '\n')
            break;
        if (n + 1 < len)
            buf[n++] = ch;
    }
    buf[n] = '\0';
    return 0;
}

int control_conn_open(const char *path, int timeout_ms)
{
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    char greeting[64];
    int fd = fdio_unix_connect(path);
    if (fd < 0)
        return fd;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int rc = control_conn_line(fd, greeting, sizeof(greeting));
    if (rc == 0 && (strlen(greeting) + 1 != sizeof(CONTROL_GREETING) - 1 ||
                    strncmp(greeting, CONTROL_GREETING, strlen(greeting)) != 0))
        rc = -EPROTO;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* The request line in one sendmsg, with passed_fd (if >= 0) attached. */
static int control_conn_send_line(int fd, const char *cmd, int passed_fd)
{
    char line[CONTROL_LINE_MAX + 2];
    if (passed_fd < 0) { /* as given, however long: the VMM answers that */
        int rc = fdio_write_all(fd, cmd, strlen(cmd));
        return rc < 0 ? rc : fdio_write_all(fd, "\n", 1);
    }
    int n = snprintf(line, sizeof(line), "%s\n", cmd);
    if (n < 0 || (size_t)n >= sizeof(line))
        return -EMSGSIZE;
    union {
        struct cmsghdr hdr;
        char space[CMSG_SPACE(sizeof(int))];
    } cbuf;
    memset(&cbuf, 0, sizeof(cbuf));
    struct iovec iov = { line, (size_t)n };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = cbuf.space,
                          .msg_controllen = sizeof(cbuf.space) };
    struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &passed_fd, sizeof(int));
    ssize_t w;
    do
        w = sendmsg(fd, &msg, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return -errno;
    return w == n ? 0 : -EIO; /* a line this short goes in whole */
}

int control_conn_request_fd(int fd, const char *cmd, int passed_fd, char *reply,
                            size_t len)
{
    int rc = control_conn_send_line(fd, cmd, passed_fd);
    if (rc == 0)
        rc = control_conn_line(fd, reply, len);
    if (rc < 0)
        return rc;
    return strncmp(reply, "ok", 2) == 0 && (reply[2] == '\0' || reply[2] == ' ')
               ? 0 : 1;
}

int control_conn_request(int fd, const char *cmd, char *reply, size_t len)
{
    return control_conn_request_fd(fd, cmd, -1, reply, len);
}

int control_conn_call_fd(const char *path, const char *cmd, int passed_fd,
                         int timeout_ms, char *reply, size_t len)
{
    int fd = control_conn_open(path, timeout_ms);
    if (fd < 0)
        return fd;
    int rc = control_conn_request_fd(fd, cmd, passed_fd, reply, len);
    close(fd);
    return rc;
}

int control_conn_call(const char *path, const char *cmd, int timeout_ms,
                      char *reply, size_t len)
{
    return control_conn_call_fd(path, cmd, -1, timeout_ms, reply, len);
}
