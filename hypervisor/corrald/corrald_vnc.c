/* corrald_vnc: vm.vnc - a connection to a running VM's screen (the VMM's
 * RFB socket, RUN/vms/NAME/vnc.sock) handed to the client as a file
 * descriptor (SCM_RIGHTS) with the ok reply, so that the screen's stream
 * never passes through corrald's loop.  The web client's noVNC bridge is
 * its user; it needs no access to the VMM's files. */
#include "corrald_cmd.h"

#include "fdio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Why there is no connection.  A VM with a display whose socket is not
 * there (or not listening) yet is starting: corrald calls it running when
 * it forks the VMM, which opens the socket seconds later, so the client is
 * told to try again rather than that the VM has no screen. */
static void corrald_vnc_fail(struct corrald_request *r, const struct corrald_vm *vm,
                             const char *path, int err)
{
    char msg[CORRALD_PATH_MAX + 96];
    bool starting = (err == ENOENT || err == ECONNREFUSED) && vmdef_has_display(&vm->def);
    if (starting)
        snprintf(msg, sizeof(msg), "the screen of %s is not up yet (its VMM is starting): "
                 "try again in a moment", vm->name);
    else if (err == ENOENT)
        snprintf(msg, sizeof(msg), "%s has no screen (display = std gives one)", vm->name);
    else
        snprintf(msg, sizeof(msg), "%s: %s", path, strerror(err));
    corrald_fail(r, starting ? PROTO_E_NOT_READY : err == ENOENT ? PROTO_E_INVALID : PROTO_E_IO,
                 msg);
}

void corrald_cmd_vm_vnc(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    char path[CORRALD_PATH_MAX], msg[CORRALD_PATH_MAX + 96];
    if (!vm)
        return;
    if (vm->state != CORRALD_VM_RUNNING) {
        snprintf(msg, sizeof(msg), "%s is %s", vm->name, corrald_state_name(vm->state));
        corrald_fail(r, PROTO_E_STATE, msg);
        return;
    }
    corrald_run_path(r->d, vm->name, CORRALD_VNC_SOCKET, path, sizeof(path));
    int fd = fdio_unix_connect(path);
    if (fd < 0) {
        corrald_vnc_fail(r, vm, path, -fd);
        return;
    }
    r->client->pass_fd = fd;
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_kv_string(r->w, "name", vm->name);
    json_end_object(r->w);
    proto_end_reply(r->w);
}

int corrald_send_with_fd(int sock, const char *text, size_t len, int fd)
{
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = (void *)text, .iov_len = len ? 1 : 0 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                          .msg_controllen = sizeof(control) };
    memset(control, 0, sizeof(control));
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -EPIPE;
}
