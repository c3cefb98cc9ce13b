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
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fdio.h"

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
    /* Nobody is connected yet: keep the boot output for who comes first
     * (allocated before the socket, so that a failure leaves nothing open). */
    if (console_fanout_keep_early(&c->fan) < 0)
        return console_fail(err, errlen, "buffer", NULL);
    c->listen_fd = fdio_unix_listen(path, CONSOLE_MAX_READERS);
    if (c->listen_fd < 0) {
        errno = -c->listen_fd;
        c->listen_fd = -1;
        return console_fail(err, errlen, "socket", path);
    }
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
    if (console_fanout_init(&c->fan) < 0)
        return console_fail(err, errlen, "eventfd", NULL);
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
    console_fanout_destroy(&c->fan);
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
        /* EAGAIN on a pty nobody reads: the byte is dropped */
    }
    pthread_mutex_unlock(&c->lock);
    console_fanout_push(&c->fan, &byte, 1, clock_monotonic_ms());
}

bool console_tx_ready(struct console *c)
{
    return console_fanout_has_room(&c->fan);
}

int console_attach(struct console *c, int fd)
{
    return console_fanout_add(&c->fan, fd);
}

int console_pollfds(struct console *c, struct pollfd *fds, int max)
{
    int readers[CONSOLE_MAX_READERS], n = 0;
    bool pending[CONSOLE_MAX_READERS];
    /* Read input only when the UART can take it: the rest waits in the
     * kernel's buffer rather than being dropped. */
    bool room = c->uart && serial_8250_rx_space(c->uart) > 0;
    int nr = console_fanout_fds(&c->fan, readers, pending, CONSOLE_MAX_READERS);
    c->input_held = !room && (c->in_fd >= 0 || nr > 0);
    if (c->in_fd >= 0 && room && n < max)
        fds[n++] = (struct pollfd){ .fd = c->in_fd, .events = POLLIN };
    if (c->listen_fd >= 0 && n < max)
        fds[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
    if (n < max)
        fds[n++] = (struct pollfd){ .fd = c->fan.wake_fd, .events = POLLIN };
    for (int i = 0; i < nr && n < max; i++)
        fds[n++] = (struct pollfd){ .fd = readers[i],
            .events = (short)((room ? POLLIN : 0) | (pending[i] ? POLLOUT : 0)) };
    return n;
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

/* Returns false at EOF or on an error: the source is gone. */
static bool console_read_input(struct console *c, int fd)
{
    uint8_t buf[SERIAL_RX_FIFO - 1], out[SERIAL_RX_FIFO];
    size_t space = serial_8250_rx_space(c->uart);
    if (space == 0)
        return true; /* another source filled the FIFO first */
    /* one byte of room for a held-back Ctrl-A */
    size_t want = space > 1 ? space - 1 : 1;
    ssize_t n = read(fd, buf, want < sizeof(buf) ? want : sizeof(buf));
    if (n > 0) {
        bool quit;
        size_t m = console_filter_input(c, buf, (size_t)n, out, &quit);
        serial_8250_receive(c->uart, out, m);
        if (quit)
            console_quit(c);
        return true;
    }
    return n < 0 && (errno == EAGAIN || errno == EINTR);
}

static void console_accept(struct console *c)
{
    static const char full[] = "corral-vmm: too many console readers\r\n";
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    if (console_attach(c, fd) < 0) {
        if (write(fd, full, sizeof(full) - 1) < 0) {
            /* it is being turned away anyway */
        }
        close(fd);
    }
}

static void console_service_reader(struct console *c, const struct pollfd *p)
{
    bool alive = true;
    if (p->revents & POLLOUT)
        alive = console_fanout_flush(&c->fan, p->fd, clock_monotonic_ms()) == 0;
    if (alive && (p->revents & POLLIN))
        alive = console_read_input(c, p->fd);
    else if (p->revents & (POLLHUP | POLLERR | POLLNVAL))
        alive = false;
    if (!alive)
        console_fanout_remove(&c->fan, p->fd);
}

void console_service(struct console *c, const struct pollfd *fds, int n)
{
    for (int i = 0; i < n; i++) {
        uint64_t count;
        if (!fds[i].revents)
            continue;
        if (fds[i].fd == c->listen_fd) {
            console_accept(c);
        } else if (fds[i].fd == c->fan.wake_fd) {
            if (read(c->fan.wake_fd, &count, sizeof(count)) < 0) {
                /* EAGAIN: someone else drained it */
            }
        } else if (fds[i].fd == c->in_fd) {
            if (!console_read_input(c, c->in_fd))
                c->in_fd = -1; /* stdin at EOF: the guest keeps running */
        } else {
            console_service_reader(c, &fds[i]);
        }
    }
    console_fanout_drop_stuck(&c->fan, clock_monotonic_ms());
    if (c->uart)
        serial_8250_tx_resume(c->uart); /* a reader drained or left */
}
