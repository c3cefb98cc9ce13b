/* console: where the guest's serial console goes - the VMM's stdin/stdout
 * (a terminal is put in raw mode and restored on exit), a pty (its path is
 * printed on stderr), a unix socket (up to CONSOLE_MAX_READERS clients at
 * once, all seeing the same output; output is dropped while none is
 * connected) or an append-only file (no input).  Whatever the backend,
 * the control socket's "console" attaches more readers (console_attach);
 * socket readers share the output through console_fanout.c, and input
 * from any of them goes to the guest. */
#ifndef CORRAL_CONSOLE_H
#define CORRAL_CONSOLE_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <termios.h>

#include "console_fanout.h"
#include "serial_8250.h"
#include "vmdef.h"

struct console {
    enum vmdef_serial kind;
    pthread_mutex_t lock;   /* out_fd changes while vCPUs write */
    int in_fd, out_fd, listen_fd, pty_slave_fd;
    bool out_nonblocking;   /* drop output instead of stalling the guest */
    bool tty_raw;
    bool escape_pending;    /* Ctrl-A seen on a terminal: next byte is ours */
    struct termios saved_tty;
    char path[VMDEF_PATH_MAX];
    struct serial_8250 *uart;
    struct console_fanout fan; /* socket readers */
    bool input_held;        /* input waits for room in the UART's FIFO */
};

int console_open(struct console *c, enum vmdef_serial kind, const char *path,
                 char *err, size_t errlen);
void console_close(struct console *c);
/* serial_8250 tx callback (ctx = the console) */
void console_tx(void *ctx, uint8_t byte);
/* On a raw terminal, Ctrl-A is an escape: Ctrl-A x stops the VM (like
 * SIGKILL, after restoring the terminal), Ctrl-A Ctrl-A sends one Ctrl-A,
 * Ctrl-A followed by anything else sends both.  Filters n input bytes from
 * in into out (room for n + 1); returns the bytes for the guest and sets
 * *quit on Ctrl-A x.  Without a raw terminal the bytes pass unchanged. */
#define CONSOLE_ESCAPE 0x01
size_t console_filter_input(struct console *c, const uint8_t *in, size_t n,
                            uint8_t *out, bool *quit);
/* The UART's tx_ready: false while a socket reader is behind. */
bool console_tx_ready(struct console *c);
/* Another reader (a control socket client); 0 or -EBUSY / -ENOMEM (the
 * caller keeps fd then). */
int console_attach(struct console *c, int fd);
/* Fill up to max pollfds (CONSOLE_POLLFDS is enough); returns how many.
 * Sets c->input_held when input waits for the UART's FIFO to drain (the
 * caller polls again soon). */
#define CONSOLE_POLLFDS (4 + CONSOLE_MAX_READERS)
int console_pollfds(struct console *c, struct pollfd *fds, int max);
/* Handle what poll() reported on those fds. */
void console_service(struct console *c, const struct pollfd *fds, int n);

#endif
