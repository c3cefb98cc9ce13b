/* console: serial console backends (see console.h). */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int console_fail(char *err, size_t errlen, const char *what,
                        const char *path)
{
    int rc = -errno;
    snprintf(err, errlen, "serial console %s%s%s: %s", what, path ? " " : "",
             path ? path : "", strerror(errno));
    return rc;
}

static void console_set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int console_open_stdio(struct console *c)
{
    c->in_fd = STDIN_FILENO;
    c->out_fd = STDOUT_FILENO;
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &c->saved_tty) == 0) {
        struct termios raw = c->saved_tty;
        cfmakeraw(&raw);
        raw.c_oflag |= OPOST | ONLCR; /* keep our own stderr lines readable */
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
            c->tty_raw = true;
    }
    return 0;
}

static int console_open_pty(struct console *c, char *err, size_t errlen)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
        return console_fail(err, errlen, "pty", "/dev/ptmx (is devpts mounted?)");
    struct termios raw;
    if (tcgetattr(m, &raw) == 0) {
        cfmakeraw(&raw);
        tcsetattr(m, TCSANOW, &raw);
    }
    snprintf(c->path, sizeof(c->path), "%s", ptsname(m));
    /* Holding the slave open keeps the master from reporting hang-ups
     * while nobody is attached. */
    c->pty_slave_fd = open(c->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    console_set_nonblock(m);
    c->in_fd = c->out_fd = m;
    c->out_nonblocking = true;
    fprintf(stderr, "corral-vmm: serial console on %s\n", c->path);
    return 0;
}

static int console_open_unix(struct console *c, const char *path, char *err,
                             size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return console_fail(err, errlen, "socket", path);
    }
    strcpy(sa.sun_path, path);
    c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->listen_fd < 0)
        return console_fail(err, errlen, "socket", path);
    unlink(path); /* a stale socket from an earlier run */
    mode_t old = umask(077);
    int rc = bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc < 0 || listen(c->listen_fd, 1) < 0)
        return console_fail(err, errlen, "socket", path);
    snprintf(c->path, sizeof(c->path), "%s", path);
    c->out_nonblocking = true;
    return 0;
}

static int console_open_file(struct console *c, const char *path, char *err,
                             size_t errlen)
{
    c->out_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (c->out_fd < 0)
        return console_fail(err, errlen, "file", path);
    snprintf(c->path, sizeof(c->path), "%s", path);
    return 0;
}

int console_open(struct console *c, enum vmdef_serial kind, const char *path,
                 char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    c->kind = kind;
    c->in_fd = c->out_fd = c->listen_fd = c->pty_slave_fd = -1;
    switch (kind) {
    case VMDEF_SERIAL_PTY:  return console_open_pty(c, err, errlen);
    case VMDEF_SERIAL_UNIX: return console_open_unix(c, path, err, errlen);
    case VMDEF_SERIAL_FILE: return console_open_file(c, path, err, errlen);
    default:                return console_open_stdio(c);
    }
}

void console_close(struct console *c)
{
    if (c->tty_raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &c->saved_tty);
    c->tty_raw = false;
    if (c->kind == VMDEF_SERIAL_STDIO)
        return;
    if (c->in_fd >= 0 && c->in_fd != c->out_fd)
        close(c->in_fd);
    if (c->out_fd >= 0)
        close(c->out_fd);
    if (c->pty_slave_fd >= 0)
        close(c->pty_slave_fd);
    if (c->listen_fd >= 0) {
        close(c->listen_fd);
        unlink(c->path);
    }
    c->in_fd = c->out_fd = c->listen_fd = c->pty_slave_fd = -1;
}

void console_tx(void *ctx, uint8_t byte)
{
    struct console *c = ctx;
    pthread_mutex_lock(&c->lock);
    if (c->out_fd >= 0) {
        ssize_t n;
        do
            n = write(c->out_fd, &byte, 1);
        while (n < 0 && errno == EINTR);
        /* EAGAIN on a pty/socket nobody reads: the byte is dropped */
    }
    pthread_mutex_unlock(&c->lock);
}

int console_pollfds(struct console *c, struct pollfd *fds)
{
    int n = 0;
    /* Read input only when the UART can take it: the rest waits in the
     * kernel's buffer rather than being dropped. */
    if (c->in_fd >= 0 && c->uart && serial_8250_rx_space(c->uart) > 0)
        fds[n++] = (struct pollfd){ .fd = c->in_fd, .events = POLLIN };
    if (c->listen_fd >= 0)
        fds[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
    return n;
}

static void console_set_client(struct console *c, int fd)
{
    pthread_mutex_lock(&c->lock);
    if (c->out_fd >= 0)
        close(c->out_fd);
    c->in_fd = c->out_fd = fd;
    pthread_mutex_unlock(&c->lock);
}

size_t console_filter_input(struct console *c, const uint8_t *in, size_t n,
                            uint8_t *out, bool *quit)
{
    size_t o = 0;
    *quit = false;
    for (size_t i = 0; i < n; i++) {
        if (!c->tty_raw) {
            out[o++] = in[i];
        } else if (c->escape_pending) {
            c->escape_pending = false;
            if (in[i] == 'x') {
                *quit = true;
                return o;
            }
            if (in[i] != CONSOLE_ESCAPE)
                out[o++] = CONSOLE_ESCAPE;
            out[o++] = in[i];
        } else if (in[i] == CONSOLE_ESCAPE) {
            c->escape_pending = true;
        } else {
            out[o++] = in[i];
        }
    }
    return o;
}

/* Ctrl-A x: the user at the terminal wants out now, as with SIGKILL. */
static void console_quit(struct console *c)
{
    console_close(c);
    fputs("\ncorral-vmm: stopped from the console (Ctrl-A x)\n", stderr);
    raise(SIGKILL);
}

static void console_read_input(struct console *c)
{
    uint8_t buf[SERIAL_RX_FIFO - 1], out[SERIAL_RX_FIFO];
    size_t space = serial_8250_rx_space(c->uart);
    /* one byte of room for a held-back Ctrl-A */
    size_t want = space > 1 ? space - 1 : 1;
    ssize_t n = read(c->in_fd, buf, want < sizeof(buf) ? want : sizeof(buf));
    if (n > 0) {
        bool quit;
        size_t m = console_filter_input(c, buf, (size_t)n, out, &quit);
        serial_8250_receive(c->uart, out, m);
        if (quit)
            console_quit(c);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        if (c->kind == VMDEF_SERIAL_UNIX)
            console_set_client(c, -1); /* client left; wait for the next */
        else
            c->in_fd = -1; /* stdin at EOF: the guest keeps running */
    }
}

void console_service(struct console *c, const struct pollfd *fds, int n)
{
    for (int i = 0; i < n; i++) {
        if (!fds[i].revents)
            continue;
        if (fds[i].fd == c->listen_fd) {
            int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0)
                console_set_client(c, fd); /* a new client replaces the old */
        } else if (fds[i].fd == c->in_fd) {
            console_read_input(c);
        }
    }
}
