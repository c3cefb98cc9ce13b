/* corrald_console: corrald is the one client of each VMM's console socket
 * (serial = unix:PATH).  What the guest writes goes to console.log (bounded:
 * at CORRALD_LOG_MAX it moves to console.log.1) and to the attached
 * `corral console` client, if any; what that client types goes to the guest.
 * Output written while corrald is not connected is lost (the VMM drops it). */
#include "corrald.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CORRALD_CONSOLE_RETRY_MS 250

static int corrald_console_open_log(struct corrald *d, struct corrald_vm *vm)
{
    char path[CORRALD_PATH_MAX];
    corrald_vm_path(d, vm->name, "console.log", path, sizeof(path));
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

void corrald_console_connect(struct corrald *d, struct corrald_vm *vm)
{
    vm->console_retry_ms = clock_monotonic_ms() + CORRALD_CONSOLE_RETRY_MS;
    if (vm->def.serial != VMDEF_SERIAL_UNIX)
        return;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(vm->def.serial_path) >= sizeof(addr.sun_path))
        return;
    strcpy(addr.sun_path, vm->def.serial_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd); /* the VMM has not created it yet: retry soon */
        return;
    }
    vm->console_fd = fd;
    if (vm->log_fd < 0)
        vm->log_fd = corrald_console_open_log(d, vm);
}

void corrald_console_close(struct corrald_vm *vm)
{
    if (vm->console_fd >= 0)
        close(vm->console_fd);
    if (vm->log_fd >= 0)
        close(vm->log_fd);
    vm->console_fd = vm->log_fd = -1;
    if (vm->console_client)
        corrald_client_close(vm->console_client);
    vm->console_client = NULL;
}

static void corrald_console_rotate(struct corrald *d, struct corrald_vm *vm)
{
    struct stat st;
    if (vm->log_fd < 0 || fstat(vm->log_fd, &st) < 0 || st.st_size < CORRALD_LOG_MAX)
        return;
    char path[CORRALD_PATH_MAX], old[CORRALD_PATH_MAX + 4];
    corrald_vm_path(d, vm->name, "console.log", path, sizeof(path));
    snprintf(old, sizeof(old), "%s.1", path);
    rename(path, old);
    close(vm->log_fd);
    vm->log_fd = corrald_console_open_log(d, vm);
}

/* Best effort: a console client that cannot keep up loses output rather
 * than stalling corrald. */
static void corrald_write_some(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == ENOTSOCK)
            n = write(fd, buf, len);
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

void corrald_console_from_vm(struct corrald *d, struct corrald_vm *vm)
{
    char buf[4096];
    ssize_t n = read(vm->console_fd, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        /* The VMM went away or dropped us; reconnect while it runs. */
        close(vm->console_fd);
        vm->console_fd = -1;
        vm->console_retry_ms = clock_monotonic_ms() + CORRALD_CONSOLE_RETRY_MS;
        return;
    }
    if (vm->log_fd >= 0 && write(vm->log_fd, buf, (size_t)n) > 0)
        corrald_console_rotate(d, vm);
    if (vm->console_client)
        corrald_write_some(vm->console_client->fd, buf, (size_t)n);
}

void corrald_console_from_client(struct corrald_client *c)
{
    char buf[4096];
    ssize_t n = read(c->fd, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    struct corrald_vm *vm = c->console_vm;
    if (n <= 0) {
        vm->console_client = NULL;
        corrald_client_close(c);
        return;
    }
    if (vm->console_fd >= 0)
        corrald_write_some(vm->console_fd, buf, (size_t)n);
}

void corrald_console_attach(struct corrald *d, struct corrald_vm *vm,
                            struct corrald_client *c)
{
    if (vm->console_client && vm->console_client != c)
        corrald_client_close(vm->console_client); /* the newer one wins */
    vm->console_client = c;
    c->console_vm = vm;
    if (vm->console_fd < 0)
        corrald_console_connect(d, vm);
}
