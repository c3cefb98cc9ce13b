/* control_client: --control-send (see control_client.h). */
#include "control_client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control_conn.h"
#include "control_proto.h"
#include "fdio.h"

#define CONTROL_CLIENT_TIMEOUT_MS 10000

static int control_client_fail(const char *path, int rc)
{
    fprintf(stderr, "corral-vmm: control socket %s: %s\n", path,
            rc == -EPROTO ? "not a corral-vmm control socket (protocol 1)"
            : rc == -ECONNRESET ? "the VMM closed the connection"
                                : strerror(-rc));
    return 2;
}

/* stdin to the guest, the guest's output to stdout, until the VMM ends. */
static int control_client_relay(int fd)
{
    struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
                           { .fd = STDIN_FILENO, .events = POLLIN } };
    char buf[4096];
    for (;;) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            return 2;
        if (p[0].revents) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0 || fdio_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
                return 0;
        }
        if (p[1].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n <= 0)
                p[1].fd = -1; /* stdin at its end: keep reading the guest */
            else if (fdio_write_all(fd, buf, (size_t)n) < 0)
                return 0;
        }
    }
}

int control_client_run(const char *path, char **cmds, int ncmds)
{
    char line[CONTROL_REPLY_MAX + 2];
    signal(SIGPIPE, SIG_IGN); /* a VMM that goes away is a failed write */
    int fd = control_conn_open(path, CONTROL_CLIENT_TIMEOUT_MS);
    if (fd < 0)
        return control_client_fail(path, fd);
    int status = 0;
    for (int i = 0; i < ncmds && status == 0; i++) {
        int rc = control_conn_request(fd, cmds[i], line, sizeof(line));
        if (rc < 0) {
            close(fd);
            return control_client_fail(path, rc);
        }
        puts(line);
        fflush(stdout);
        status = rc;
        if (rc == 0 && strcmp(line, "ok console") == 0)
            status = control_client_relay(fd);
    }
    close(fd);
    return status;
}
