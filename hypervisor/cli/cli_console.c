/* cli_console: `corral console NAME` - the guest's serial console through
 * corrald.  The terminal is put in raw mode (restored on the way out);
 * Ctrl-] detaches and leaves the VM running. */
#include "cli.h"
#include "fdio.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define CLI_DETACH_KEY 0x1d /* Ctrl-] */

/* Copies keyboard to guest; returns false at Ctrl-] or end of input. */
static bool cli_console_keys(int sock)
{
    char buf[256];
    ssize_t n = read(0, buf, sizeof(buf));
    if (n <= 0)
        return false;
    char *detach = memchr(buf, CLI_DETACH_KEY, (size_t)n);
    size_t len = detach ? (size_t)(detach - buf) : (size_t)n;
    if (fdio_write_all(sock, buf, len) < 0)
        return false;
    return detach == NULL;
}

static void cli_console_relay(int sock)
{
    struct pollfd fds[2] = { { 0, POLLIN, 0 }, { sock, POLLIN, 0 } };
    char buf[4096];
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (fds[0].revents && !cli_console_keys(sock))
            return;
        if (fds[1].revents) {
            ssize_t n = read(sock, buf, sizeof(buf));
            if (n <= 0 || fdio_write_all(1, buf, (size_t)n) < 0) {
                fprintf(stderr, "\r\n[console closed by corrald: the VM stopped "
                                "or another console attached]\r\n");
                return;
            }
        }
    }
}

int cli_console(const struct cli *cli, const char *name)
{
    char why[512];
    int sock = cli_connect(cli, why, sizeof(why));
    if (sock < 0)
        return cli_fail(cli, PROTO_E_IO, "%s", why);
    struct json_writer w;
    struct proto_reply rep;
    struct proto_linebuf rest;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, "vm.console");
    json_kv_string(&w, "name", name);
    proto_end_request(&w);
    int rc = cli_exchange(sock, &w, &rep, &rest, why, sizeof(why));
    json_writer_free(&w);
    int status = rc < 0 ? cli_fail(cli, PROTO_E_IO, "%s", why)
                 : !rep.ok ? cli_print_reply(cli, &rep, NULL)
                           : 0;
    proto_reply_free(&rep);
    if (status == 0) {
        size_t len;
        const char *early = proto_linebuf_rest(&rest, &len); /* console bytes */
        fdio_write_all(1, early, len);
        struct termios saved, raw;
        bool tty = isatty(0) && tcgetattr(0, &saved) == 0;
        fprintf(stderr, "[attached to %s; Ctrl-] detaches]\r\n", name);
        if (tty) {
            raw = saved;
            cfmakeraw(&raw);
            tcsetattr(0, TCSANOW, &raw);
        }
        cli_console_relay(sock);
        if (tty)
            tcsetattr(0, TCSANOW, &saved);
        fprintf(stderr, "\n[detached from %s]\n", name);
    }
    if (rc == 0)
        proto_linebuf_free(&rest);
    close(sock);
    return status;
}
