/* control: the control socket (see control.h). */
#include "control.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdio.h"

int control_open(struct control *c, const char *path,
                 const struct control_ops *ops, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->ops = *ops;
    for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
        c->clients[i].fd = c->clients[i].passed_fd = -1;
    c->listen_fd = fdio_unix_listen(path, CONTROL_MAX_CLIENTS);
    if (c->listen_fd < 0) {
        snprintf(err, errlen, "control socket %s: %s", path, strerror(-c->listen_fd));
        c->listen_fd = -1;
        return -1;
    }
    snprintf(c->path, sizeof(c->path), "%s", path);
    return 0;
}

static void control_forget_fd(struct control_client *cl)
{
    if (cl->passed_fd >= 0)
        close(cl->passed_fd);
    cl->passed_fd = -1;
}

static void control_drop(struct control_client *cl)
{
    if (cl->fd >= 0 && !cl->handed_over)
        close(cl->fd);
    control_forget_fd(cl);
    cl->fd = -1;
    cl->handed_over = false;
}

void control_close(struct control *c)
{
    for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
        control_drop(&c->clients[i]);
    if (c->listen_fd >= 0) {
        close(c->listen_fd);
        if (c->path[0])
            unlink(c->path);
    }
    c->listen_fd = -1;
}

int control_pollfds(struct control *c, struct pollfd *fds, int max)
{
    int n = 0;
    if (c->listen_fd >= 0 && n < max)
        fds[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
    for (unsigned i = 0; i < CONTROL_MAX_CLIENTS && n < max; i++)
        if (c->clients[i].fd >= 0)
            fds[n++] = (struct pollfd){ .fd = c->clients[i].fd, .events = POLLIN };
    return n;
}

/* Replies are short and the client has just spoken: a full socket buffer
 * means a client that does not read, and it is dropped. */
static void control_send(struct control_client *cl, const char *text)
{
    size_t len = strlen(text);
    ssize_t w = send(cl->fd, text, len, MSG_NOSIGNAL);
    if (w != (ssize_t)len)
        control_drop(cl);
}

static void control_accept(struct control *c)
{
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++) {
        struct control_client *cl = &c->clients[i];
        if (cl->fd >= 0)
            continue;
        *cl = (struct control_client){ .fd = fd, .passed_fd = -1 };
        control_send(cl, CONTROL_GREETING);
        return;
    }
    static const char busy[] = "error " CONTROL_E_BUSY ": too many control "
                               "connections\n";
    if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0) {
        /* turned away either way */
    }
    close(fd);
}

struct control_line_ctx {
    struct control *c;
    struct control_client *cl;
    bool stop; /* the connection left request mode (or was dropped) */
};

static void control_console(struct control_line_ctx *x)
{
    char reply[CONTROL_REPLY_MAX];
    int fd = x->cl->fd;
    /* the "ok" first: after it, every byte is console output */
    if (send(fd, "ok console\n", 11, MSG_NOSIGNAL) != 11) {
        control_drop(x->cl);
        x->stop = true;
        return;
    }
    int rc = x->c->ops.console(x->c->ops.ctx, fd);
    if (rc == 0) {
        x->cl->handed_over = true;
        control_drop(x->cl);
        x->stop = true;
        return;
    }
    snprintf(reply, sizeof(reply), "error %s: %s\n",
             rc == -EBUSY ? CONTROL_E_BUSY : "internal",
             rc == -EBUSY ? "too many console readers" : strerror(-rc));
    control_send(x->cl, reply);
}

static void control_line(void *ctx, const char *line, size_t len, bool too_long)
{
    struct control_line_ctx *x = ctx;
    enum control_cmd cmd;
    struct control_args args;
    const char *code = CONTROL_E_TOO_LONG;
    char why[160] = "request longer than 128 bytes", reply[CONTROL_REPLY_MAX];
    char out[CONTROL_REPLY_MAX + 2];
    if (!too_long &&
        control_parse(line, len, &cmd, &args, &code, why, sizeof(why)) == 0) {
        if (cmd == CONTROL_CONSOLE) {
            control_console(x);
            return;
        }
        args.fd = -1;
        if (cmd == CONTROL_CDROM_INSERT) {
            args.fd = x->cl->passed_fd; /* the handler's now */
            x->cl->passed_fd = -1;
        }
        x->c->ops.request(x->c->ops.ctx, cmd, &args, reply, sizeof(reply));
    } else {
        snprintf(reply, sizeof(reply), "error %s: %s", code, why);
    }
    control_forget_fd(x->cl); /* one that came with another request, or a bad one */
    snprintf(out, sizeof(out), "%s\n", reply);
    control_send(x->cl, out);
    x->stop = x->cl->fd < 0;
}

/* A read that also takes a descriptor sent with the bytes: the last one
 * wins, extras are closed (MSG_CMSG_CLOEXEC: none leaks into a child). */
static ssize_t control_recv(struct control_client *cl, char *buf, size_t len)
{
    union {
        struct cmsghdr hdr;
        char space[CMSG_SPACE(sizeof(int) * 4)];
    } cbuf;
    struct iovec iov = { buf, len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = cbuf.space,
                          .msg_controllen = sizeof(cbuf.space) };
    ssize_t n = recvmsg(cl->fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0)
        return n;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
            control_forget_fd(cl);
            cl->passed_fd = fd;
        }
    }
    return n;
}

static void control_read(struct control *c, struct control_client *cl)
{
    char buf[512];
    ssize_t n = control_recv(cl, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        control_drop(cl);
        return;
    }
    struct control_line_ctx x = { .c = c, .cl = cl };
    control_linebuf_feed(&cl->in, buf, (size_t)n, control_line, &x, &x.stop);
    /* Bytes after "console" in the same read are lost as input; a client
     * waits for "ok console" before it types. */
}

void control_service(struct control *c, const struct pollfd *fds, int n)
{
    for (int i = 0; i < n; i++) {
        if (!fds[i].revents)
            continue;
        if (fds[i].fd == c->listen_fd) {
            control_accept(c);
            continue;
        }
        for (unsigned k = 0; k < CONTROL_MAX_CLIENTS; k++)
            if (c->clients[k].fd == fds[i].fd && c->clients[k].fd >= 0)
                control_read(c, &c->clients[k]);
    }
}
