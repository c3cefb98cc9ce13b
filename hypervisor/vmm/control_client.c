/* control_client: --control-send (see control_client.h). */
#include "control_client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_proto.h"
#include "fdio.h"

static int control_client_fail(const char *path, const char *what)
{
    fprintf(stderr, "corral-vmm: control socket %s: %s\n", path, what);
    return 2;
}

/* One '\n'-terminated line, a byte at a time: nothing after it is read,
 * so the console stream that may follow stays in the socket. */
static int control_client_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    while (n + 1 < len) {
        ssize_t r = read(fd, buf + n, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
    return 0;
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
            if (n <= 0)
                return 0;
            if (fdio_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
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

static int control_client_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

int control_client_run(const char *path, char **cmds, int ncmds)
{
    char line[CONTROL_REPLY_MAX + 2];
    signal(SIGPIPE, SIG_IGN); /* a VMM that goes away is a failed write */
    int fd = control_client_connect(path);
    if (fd < 0)
        return control_client_fail(path, strerror(-fd));
    if (control_client_line(fd, line, sizeof(line)) < 0 ||
        strcmp(line, "corral-vmm control 1") != 0) {
        close(fd);
        return control_client_fail(path, "not a corral-vmm control socket "
                                   "(protocol 1)");
    }
    int status = 0;
    for (int i = 0; i < ncmds && status == 0; i++) {
        /* sent as given, however long: the VMM is the one to judge */
        if (fdio_write_all(fd, cmds[i], strlen(cmds[i])) < 0 ||
            fdio_write_all(fd, "\n", 1) < 0 ||
            control_client_line(fd, line, sizeof(line)) < 0) {
            close(fd);
            return control_client_fail(path, "the VMM closed the connection");
        }
        puts(line);
        fflush(stdout);
        status = strncmp(line, "ok", 2) == 0 ? 0 : 1;
        if (status == 0 && strcmp(line, "ok console") == 0)
            status = control_client_relay(fd);
    }
    close(fd);
    return status;
}
