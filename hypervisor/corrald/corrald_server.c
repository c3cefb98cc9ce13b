/* corrald_server: the control socket, its clients and the poll loop. */
#include "corrald.h"
#include "clock.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CORRALD_CLIENT_SEND_TIMEOUT_S 5

/* ---- clients --------------------------------------------------------------- */

void corrald_client_close(struct corrald_client *c)
{
    if (c->fd < 0)
        return;
    if (c->console_vm && c->console_vm->console_client == c)
        c->console_vm->console_client = NULL;
    corrald_upload_abort(c); /* a half upload leaves nothing behind */
    if (c->pass_fd >= 0)
        close(c->pass_fd);
    c->pass_fd = -1;
    close(c->fd);
    proto_linebuf_free(&c->in);
    c->fd = -1;
    c->console_vm = NULL;
}

void corrald_send_reply(struct corrald_client *c, struct json_writer *w)
{
    const char *text = json_writer_text(w);
    struct json_writer fallback;
    json_writer_init(&fallback, 1024);
    if (!text) {
        proto_error_reply(&fallback, PROTO_E_INTERNAL, "reply too large (%s)",
                          strerror(-w->error));
        text = json_writer_text(&fallback);
    }
    size_t len = strlen(text), sent = 0;
    if (c->pass_fd >= 0) { /* vm.vnc: the connection rides on the first byte */
        int rc = corrald_send_with_fd(c->fd, text, len, c->pass_fd);
        close(c->pass_fd);
        c->pass_fd = -1;
        if (rc < 0) {
            corrald_client_close(c);
            json_writer_free(&fallback);
            return;
        }
        sent = 1;
    }
    if (proto_send_line(c->fd, text + sent, len - sent) < 0)
        corrald_client_close(c);
    json_writer_free(&fallback);
}

static void corrald_accept(struct corrald *d)
{
    int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct timeval tv = { CORRALD_CLIENT_SEND_TIMEOUT_S, 0 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    for (size_t i = 0; i < CORRALD_MAX_CLIENTS; i++) {
        struct corrald_client *c = &d->clients[i];
        if (c->fd >= 0)
            continue;
        if (proto_linebuf_init(&c->in, PROTO_MAX_REQUEST) < 0)
            break;
        c->fd = fd;
        c->console_vm = NULL;
        c->skipping = false;
        c->upload.fd = -1;
        c->pass_fd = -1;
        return;
    }
    struct corrald_client busy = { .fd = fd, .upload.fd = -1, .pass_fd = -1 };
    struct json_writer w;
    json_writer_init(&w, 1024);
    proto_error_reply(&w, PROTO_E_INTERNAL, "too many clients (%d)", CORRALD_MAX_CLIENTS);
    corrald_send_reply(&busy, &w);
    json_writer_free(&w);
    close(fd);
}

/* Drops buffered bytes up to and including the first newline, if any. */
static void corrald_skip_to_next_line(struct corrald_client *c)
{
    size_t len;
    const char *buf = proto_linebuf_rest(&c->in, &len);
    const char *nl = memchr(buf, '\n', len);
    if (!nl) {
        proto_linebuf_reset(&c->in);
        return;
    }
    size_t keep = len - (size_t)(nl + 1 - buf);
    memmove(c->in.buf, nl + 1, keep);
    c->in.len = keep;
    c->skipping = false;
}

/* Raw upload bytes, straight from the socket (not through the line buffer). */
static void corrald_upload_readable(struct corrald_client *c)
{
    static char buf[64 * 1024];
    uint64_t left = c->upload.size - c->upload.done;
    ssize_t n = read(c->fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        corrald_client_close(c);
        return;
    }
    corrald_upload_feed(c, buf, (size_t)n);
}

/* After a request that switched the client to upload mode, what came with
 * the request line belongs to the upload. */
static void corrald_upload_start(struct corrald_client *c)
{
    size_t len;
    const char *rest = proto_linebuf_rest(&c->in, &len);
    uint64_t left = c->upload.size - c->upload.done;
    size_t take = len < left ? len : (size_t)left;
    char *copy = take ? malloc(take) : NULL;
    if (take && !copy) {
        corrald_client_close(c);
        return;
    }
    if (take)
        memcpy(copy, rest, take);
    /* the rest past the upload (a next request) stays buffered */
    memmove(c->in.buf, rest + take, len - take);
    c->in.len = len - take;
    c->in.taken = 0;
    if (take || c->upload.size == 0)
        corrald_upload_feed(c, copy, take);
    free(copy);
}

static void corrald_client_readable(struct corrald *d, struct corrald_client *c)
{
    if (c->console_vm) {
        corrald_console_from_client(c);
        return;
    }
    if (c->upload.fd >= 0) {
        corrald_upload_readable(c);
        return;
    }
    long n = proto_linebuf_read(&c->in, c->fd);
    if (n > 0 && c->skipping)
        corrald_skip_to_next_line(c);
    if (n == -EMSGSIZE) {
        struct json_writer w;
        json_writer_init(&w, 1024);
        proto_error_reply(&w, PROTO_E_TOO_LARGE, "request larger than %d bytes",
                          PROTO_MAX_REQUEST);
        corrald_send_reply(c, &w);
        json_writer_free(&w);
        proto_linebuf_reset(&c->in);
        c->skipping = true; /* until its newline: then the next one starts */
        return;
    }
    if (n <= 0) {
        corrald_client_close(c);
        return;
    }
    size_t len;
    char *line;
    while (c->fd >= 0 && !c->console_vm && c->upload.fd < 0 &&
           (line = proto_linebuf_take(&c->in, &len))) {
        corrald_handle_request(d, c, line, len);
        if (c->fd >= 0 && c->upload.fd >= 0)
            corrald_upload_start(c);
    }
}

/* ---- set-up ---------------------------------------------------------------- */

static int corrald_listen(struct corrald *d, char *why, size_t why_len)
{
    const char *path = d->cfg.socket_path;
    int fd = fdio_unix_listen(path, 16); /* root only */
    if (fd < 0) {
        snprintf(why, why_len, "%s: %s", path, fd == -ENAMETOOLONG
                 ? "socket path too long" : strerror(-fd));
        return fd;
    }
    d->listen_fd = fd;
    return 0;
}

static int corrald_signals(struct corrald *d, char *why, size_t why_len)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    d->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (d->signal_fd < 0) {
        snprintf(why, why_len, "signalfd: %s", strerror(errno));
        return -errno;
    }
    return 0;
}

/* Autostart runs once per boot of the host: RUN is a tmpfs. */
static void corrald_queue_autostart(struct corrald *d)
{
    char marker[CORRALD_PATH_MAX];
    snprintf(marker, sizeof(marker), "%s/autostart.done", d->cfg.run_dir);
    if (access(marker, F_OK) == 0)
        return;
    write_file_atomic(marker, "", 0, 0600);
    /* Queue in reverse: the queue is popped from its end, in name order. */
    for (size_t i = d->vm_count; i > 0; i--) {
        struct corrald_vm *vm = d->vms[i - 1];
        if (vm->def.autostart && vm->state == CORRALD_VM_STOPPED)
            snprintf(d->autostart_queue[d->autostart_count++],
                     sizeof(d->autostart_queue[0]), "%s", vm->name);
    }
    d->autostart_next_ms = clock_monotonic_ms();
}

/* One corrald per run directory: a second one would fight over the VMs. */
static int corrald_lock(struct corrald *d, char *why, size_t why_len)
{
    char path[CORRALD_PATH_MAX];
    snprintf(path, sizeof(path), "%s/corrald.lock", d->cfg.run_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        snprintf(why, why_len, "%s: %s", path,
                 err == EWOULDBLOCK ? "another corrald is running" : strerror(err));
        if (fd >= 0)
            close(fd);
        return -err;
    }
    /* For scripts: `pidof corrald` also finds the monitors (their
     * executable is corrald too), the pid file names only the daemon. */
    char pid_path[CORRALD_PATH_MAX], text[32];
    snprintf(pid_path, sizeof(pid_path), "%s/corrald.pid", d->cfg.run_dir);
    int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
    write_file_atomic(pid_path, text, (size_t)n, 0644);
    return 0; /* the lock is held until exit; monitors close their copy */
}

static int corrald_sort_names(const void *a, const void *b)
{
    const struct corrald_vm *const *x = a, *const *y = b;
    return strcmp((*y)->name, (*x)->name);
}

int corrald_init(struct corrald *d, char *why, size_t why_len)
{
    char dir[CORRALD_PATH_MAX];
    d->listen_fd = d->signal_fd = -1;
    for (size_t i = 0; i < CORRALD_MAX_CLIENTS; i++)
        d->clients[i] = (struct corrald_client){ .fd = -1, .upload.fd = -1, .pass_fd = -1 };
    const char *const dirs[] = { d->cfg.run_dir, d->cfg.state_dir };
    for (size_t i = 0; i < 2; i++) {
        snprintf(dir, sizeof(dir), "%s/vms", dirs[i]);
        int rc = fdio_mkdir_p(dir, 0700);
        if (rc < 0) {
            snprintf(why, why_len, "%s: %s", dir, strerror(-rc));
            return rc;
        }
    }
    int rc = corrald_lock(d, why, why_len);
    if (rc == 0)
        rc = corrald_signals(d, why, why_len);
    if (rc == 0)
        rc = corrald_listen(d, why, why_len);
    if (rc < 0)
        return rc;
    corrald_scan_vms(d);
    qsort(d->vms, d->vm_count, sizeof(d->vms[0]), corrald_sort_names);
    for (size_t i = 0; i < d->vm_count; i++)
        corrald_adopt_vm(d, d->vms[i]);
    corrald_queue_autostart(d);
    corrald_log("serving %s (%zu VMs)", d->cfg.socket_path, d->vm_count);
    return 0;
}

/* ---- the loop -------------------------------------------------------------- */

enum corrald_fd_kind { CORRALD_FD_LISTEN, CORRALD_FD_SIGNAL, CORRALD_FD_CLIENT,
                       CORRALD_FD_PIDFD, CORRALD_FD_CONSOLE };

struct corrald_pollset {
    struct pollfd fds[2 + CORRALD_MAX_CLIENTS + 2 * CORRALD_MAX_VMS];
    enum corrald_fd_kind kind[2 + CORRALD_MAX_CLIENTS + 2 * CORRALD_MAX_VMS];
    void *what[2 + CORRALD_MAX_CLIENTS + 2 * CORRALD_MAX_VMS];
    nfds_t n;
};

static void corrald_poll_add(struct corrald_pollset *ps, int fd,
                             enum corrald_fd_kind kind, void *what)
{
    ps->fds[ps->n] = (struct pollfd){ fd, POLLIN, 0 };
    ps->kind[ps->n] = kind;
    ps->what[ps->n++] = what;
}

static void corrald_build_pollset(struct corrald *d, struct corrald_pollset *ps)
{
    ps->n = 0;
    corrald_poll_add(ps, d->signal_fd, CORRALD_FD_SIGNAL, NULL);
    if (!d->shutting_down)
        corrald_poll_add(ps, d->listen_fd, CORRALD_FD_LISTEN, NULL);
    for (size_t i = 0; i < CORRALD_MAX_CLIENTS; i++)
        if (d->clients[i].fd >= 0)
            corrald_poll_add(ps, d->clients[i].fd, CORRALD_FD_CLIENT, &d->clients[i]);
    for (size_t i = 0; i < d->vm_count; i++) {
        struct corrald_vm *vm = d->vms[i];
        if (vm->pidfd >= 0)
            corrald_poll_add(ps, vm->pidfd, CORRALD_FD_PIDFD, vm);
        if (vm->console_fd >= 0)
            corrald_poll_add(ps, vm->console_fd, CORRALD_FD_CONSOLE, vm);
    }
}

static int64_t corrald_min_deadline(int64_t a, int64_t b)
{
    return a == 0 || (b != 0 && b < a) ? b : a;
}

/* Milliseconds until the nearest timer, capped so pid files are polled. */
static int corrald_poll_timeout(const struct corrald *d)
{
    int64_t next = clock_monotonic_ms() + 1000;
    for (size_t i = 0; i < d->vm_count; i++) {
        const struct corrald_vm *vm = d->vms[i];
        if (vm->state == CORRALD_VM_STOPPING)
            next = corrald_min_deadline(next, vm->stop_deadline_ms);
        if (vm->state == CORRALD_VM_RESTARTING)
            next = corrald_min_deadline(next, vm->restart_at_ms);
        if (vm->state == CORRALD_VM_RUNNING && vm->console_fd < 0)
            next = corrald_min_deadline(next, vm->console_retry_ms);
    }
    if (d->autostart_count)
        next = corrald_min_deadline(next, d->autostart_next_ms);
    int64_t wait = next - clock_monotonic_ms();
    return wait < 0 ? 0 : (int)wait;
}

static void corrald_shutdown(struct corrald *d)
{
    d->shutting_down = true;
    d->autostart_count = 0;
    for (size_t i = 0; i < d->vm_count; i++)
        corrald_stop_vm(d, d->vms[i], d->vms[i]->def.stop_timeout_s);
}

static void corrald_handle_signals(struct corrald *d)
{
    struct signalfd_siginfo si;
    while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            corrald_log("stopping every VM, then exiting");
            corrald_shutdown(d);
        } else if (si.ssi_signo == SIGQUIT) {
            corrald_log("exiting; VMs keep running and will be adopted");
            d->exit_now = true;
        } else if (si.ssi_signo == SIGCHLD) {
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ; /* monitors; their end is seen through their pidfd */
        } else if (si.ssi_signo == SIGHUP) {
            corrald_scan_vms(d); /* pick up definitions added by hand */
        }
    }
}

static bool corrald_any_alive(const struct corrald *d)
{
    for (size_t i = 0; i < d->vm_count; i++)
        if (d->vms[i]->pidfd >= 0)
            return true;
    return false;
}

static void corrald_dispatch_ready(struct corrald *d, struct corrald_pollset *ps)
{
    for (nfds_t i = 0; i < ps->n; i++) {
        if (!ps->fds[i].revents)
            continue;
        switch (ps->kind[i]) {
        case CORRALD_FD_SIGNAL:
            corrald_handle_signals(d);
            break;
        case CORRALD_FD_LISTEN:
            corrald_accept(d);
            break;
        case CORRALD_FD_CLIENT:
            if (((struct corrald_client *)ps->what[i])->fd == ps->fds[i].fd)
                corrald_client_readable(d, ps->what[i]);
            break;
        case CORRALD_FD_PIDFD:
            if (((struct corrald_vm *)ps->what[i])->pidfd == ps->fds[i].fd)
                corrald_vm_ended(d, ps->what[i]);
            break;
        case CORRALD_FD_CONSOLE:
            if (((struct corrald_vm *)ps->what[i])->console_fd == ps->fds[i].fd)
                corrald_console_from_vm(d, ps->what[i]);
            break;
        }
    }
}

int corrald_loop(struct corrald *d)
{
    static struct corrald_pollset ps;
    while (!d->exit_now && !(d->shutting_down && !corrald_any_alive(d))) {
        corrald_build_pollset(d, &ps);
        int n = poll(ps.fds, ps.n, corrald_poll_timeout(d));
        if (n < 0 && errno != EINTR) {
            corrald_log("poll: %s", strerror(errno));
            return 1;
        }
        if (n > 0)
            corrald_dispatch_ready(d, &ps);
        corrald_run_timers(d);
    }
    unlink(d->cfg.socket_path);
    char pid_path[CORRALD_PATH_MAX];
    snprintf(pid_path, sizeof(pid_path), "%s/corrald.pid", d->cfg.run_dir);
    unlink(pid_path);
    return 0;
}
