/* control_conn: client of the VMM's control socket (see control_conn.h). */
#include "control_conn.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
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
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    char greeting[64];
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
    if (rc == 0)
        rc = control_conn_line(fd, greeting, sizeof(greeting));
    if (rc == 0 && (strlen(greeting) + 1 != sizeof(CONTROL_GREETING) - 1 ||
                    strncmp(greeting, CONTROL_GREETING, strlen(greeting)) != 0))
        rc = -EPROTO;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

int control_conn_request(int fd, const char *cmd, char *reply, size_t len)
{
    int rc = fdio_write_all(fd, cmd, strlen(cmd));
    if (rc == 0)
        rc = fdio_write_all(fd, "\n", 1);
    if (rc == 0)
        rc = control_conn_line(fd, reply, len);
    if (rc < 0)
        return rc;
    return strncmp(reply, "ok", 2) == 0 && (reply[2] == '\0' || reply[2] == ' ')
               ? 0 : 1;
}

int control_conn_call(const char *path, const char *cmd, int timeout_ms,
                      char *reply, size_t len)
{
    int fd = control_conn_open(path, timeout_ms);
    if (fd < 0)
        return fd;
    int rc = control_conn_request(fd, cmd, reply, len);
    close(fd);
    return rc;
}
