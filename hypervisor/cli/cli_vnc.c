/* cli_vnc: a VM's screen from the command line, through the RFB server of
 * its VMM (RUN/vms/NAME/vnc.sock, owner-only):
 *   corral vm vnc NAME [--listen 127.0.0.1:PORT]  relay it to a loopback port
 *   corral vm screenshot NAME FILE.png             the screen as a PNG
 *   corral vm sendkey NAME KEY...                  type keys and combos
 * The socket is found from corrald's run directory ($CORRAL_RUN_DIR, or
 * /run/corral, as corrald's --run-dir); whether the VM runs and has a
 * display, corrald says (vm.show). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fdio.h"
#include "keymap.h"
#include "png.h"
#include "rfb_client.h"

#define CLI_VNC_MAX_KEYS 64
/* Between key events: a guest's keyboard controller takes them one at a
 * time (QEMU's sendkey holds keys 100 ms; typing needs less). */
#define CLI_KEY_GAP_MS 20

static void cli_vnc_socket_path(const char *name, char *buf, size_t len)
{
    const char *run = getenv("CORRAL_RUN_DIR");
    snprintf(buf, len, "%s/vms/%s/vnc.sock", run && run[0] ? run : "/run/corral", name);
}

/* corrald says whether the VM runs and has a screen.  0, or the exit
 * status after saying why not. */
static int cli_vnc_check_vm(const struct cli *cli, const char *name)
{
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, "vm.show");
    json_kv_string(&w, "name", name);
    proto_end_request(&w);
    struct proto_reply rep;
    char why[512];
    int rc = cli_call(cli, &w, &rep, why, sizeof(why));
    json_writer_free(&w);
    if (rc < 0) {
        proto_reply_free(&rep);
        return cli_fail(cli, PROTO_E_IO, "%s", why);
    }
    int status = 0;
    if (!rep.ok) {
        status = cli_print_reply(cli, &rep, NULL);
    } else {
        const char *state = json_get_string(&rep.doc, rep.data, "state");
        const struct json_node *def = json_get(&rep.doc, rep.data, "definition");
        const char *display = def ? json_get_string(&rep.doc, def, "display") : NULL;
        if (!display || strcmp(display, "std") != 0)
            status = cli_fail(cli, PROTO_E_STATE, "VM %s has no display (display = "
                              "none): its console is the serial one, `corral console "
                              "%s`", name, name);
        else if (!state || (strcmp(state, "running") && strcmp(state, "paused")))
            status = cli_fail(cli, PROTO_E_STATE, "VM %s is not running (%s): start "
                              "it with `corral vm start %s`", name, state ? state : "?",
                              name);
    }
    proto_reply_free(&rep);
    return status;
}

static int cli_vnc_connect(const char *path, char *why, size_t len)
{
    int fd = fdio_unix_connect(path);
    if (fd < 0)
        snprintf(why, len, "%s: %s", path, strerror(-fd));
    return fd;
}

/* The VM's RFB socket, connected; -1 after saying why (*status set).  The
 * VMM opens the socket seconds after corrald calls the VM running, so while
 * the VM runs with a display and the socket is not there yet this waits
 * (up to PROTO_SCREEN_WAIT_MS): `corral vm start` then `corral vm
 * screenshot` works. */
static int cli_vnc_open(const struct cli *cli, const char *name, int *status)
{
    if (!vmdef_name_valid(name)) {
        *status = cli_fail(cli, PROTO_E_INVALID, "'%s' is not a VM name", name);
        return -1;
    }
    char path[PATH_MAX], why[PATH_MAX + 64];
    cli_vnc_socket_path(name, path, sizeof(path));
    int64_t deadline = clock_monotonic_ms() + PROTO_SCREEN_WAIT_MS;
    for (;;) {
        if ((*status = cli_vnc_check_vm(cli, name)) != 0)
            return -1;
        int fd = cli_vnc_connect(path, why, sizeof(why));
        if (fd >= 0)
            return fd;
        if ((fd != -ENOENT && fd != -ECONNREFUSED) || clock_monotonic_ms() >= deadline) {
            *status = cli_fail(cli, PROTO_E_IO, "the screen of VM %s: %s", name, why);
            return -1;
        }
        struct timespec pause = { 0, PROTO_SCREEN_RETRY_MS * 1000L * 1000L };
        nanosleep(&pause, NULL);
    }
}

/* ---- the RFB client on a socket --------------------------------------------- */

static int cli_sock_read(void *ctx, void *buf, size_t n)
{
    int fd = *(int *)ctx;
    uint8_t *p = buf;
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k == 0 ? -EPIPE : -errno;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int cli_sock_write(void *ctx, const void *buf, size_t n)
{
    return fdio_write_all(*(int *)ctx, buf, n);
}

/* Connected and through the handshake, the screen fetched. */
static int cli_vnc_session(const struct cli *cli, const char *name, int *fd,
                           struct rfbc *c)
{
    int status;
    if ((*fd = cli_vnc_open(cli, name, &status)) < 0)
        return status;
    memset(c, 0, sizeof(*c));
    c->read_exact = cli_sock_read;
    c->write_all = cli_sock_write;
    c->ctx = fd;
    if (rfbc_handshake(c) < 0 || rfbc_fetch_screen(c) < 0) {
        status = cli_fail(cli, PROTO_E_IO, "the screen of VM %s: %s", name, c->err);
        rfbc_free(c);
        close(*fd);
        return status;
    }
    return 0;
}

/* ---- screenshot -------------------------------------------------------------------- */

/* Written beside the target and renamed over it: a reader never sees half
 * a picture. */
static int cli_write_file_atomic(const char *path, const uint8_t *data, size_t len,
                                 char *why, size_t why_len)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -errno : fdio_write_all(fd, data, len);
    if (fd >= 0 && close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        snprintf(why, why_len, "%s: %s", path, strerror(-rc));
        if (fd >= 0)
            unlink(tmp);
    }
    return rc;
}

int cli_screenshot(const struct cli *cli, const char *name, const char *file)
{
    struct rfbc c;
    int fd, status = cli_vnc_session(cli, name, &fd, &c);
    if (status)
        return status;
    close(fd);
    if (c.width == 0 || c.height == 0) {
        rfbc_free(&c);
        return cli_fail(cli, PROTO_E_STATE, "VM %s has drawn nothing on its screen "
                        "yet (0x0)", name);
    }
    uint8_t *png;
    size_t len;
    int rc = png_encode(c.pixels, c.width, c.height, c.width, &png, &len);
    rfbc_free(&c);
    if (rc < 0)
        return cli_fail(cli, PROTO_E_INTERNAL, "PNG: %s", strerror(-rc));
    char why[PATH_MAX + 64];
    rc = cli_write_file_atomic(file, png, len, why, sizeof(why));
    free(png);
    if (rc < 0)
        return cli_fail(cli, PROTO_E_IO, "%s", why);
    if (cli->json) {
        struct json_writer w;
        json_writer_init(&w, PATH_MAX + 256);
        json_begin_object(&w);
        json_kv_string(&w, "name", name);
        json_kv_string(&w, "file", file);
        json_kv_int(&w, "width", c.width);
        json_kv_int(&w, "height", c.height);
        json_kv_int(&w, "bytes", (int64_t)len);
        json_end_object(&w);
        puts(json_writer_text(&w));
        json_writer_free(&w);
    } else
        printf("%s: %ux%u, %zu bytes\n", file, c.width, c.height, len);
    return 0;
}

/* ---- sendkey -------------------------------------------------------------------------- */

static void cli_key_gap(void)
{
    struct timespec ts = { 0, CLI_KEY_GAP_MS * 1000000L };
    nanosleep(&ts, NULL);
}

/* Each combo: its keys pressed in order, released in reverse. */
static int cli_send_combos(struct rfbc *c, const uint16_t *keys, const int *sizes,
                           int ncombos)
{
    for (int i = 0, at = 0; i < ncombos; at += sizes[i++]) {
        for (int k = 0; k < sizes[i]; k++, cli_key_gap())
            if (rfbc_key(c, keys[at + k], true) < 0)
                return -1;
        for (int k = sizes[i]; k-- > 0; cli_key_gap())
            if (rfbc_key(c, keys[at + k], false) < 0)
                return -1;
    }
    return 0;
}

int cli_sendkey(const struct cli *cli, const char *name, char **combos, int ncombos)
{
    uint16_t keys[CLI_VNC_MAX_KEYS];
    int sizes[CLI_VNC_MAX_KEYS], used = 0;
    if (ncombos > CLI_VNC_MAX_KEYS)
        return cli_fail(cli, PROTO_E_INVALID, "at most %d keys at once",
                        CLI_VNC_MAX_KEYS);
    for (int i = 0; i < ncombos; i++) {
        int n = keymap_parse_combo(combos[i], keys + used,
                                   (size_t)(CLI_VNC_MAX_KEYS - used));
        if (n < 0)
            return cli_fail(cli, PROTO_E_INVALID, "unknown key '%s' (keys are named "
                            "like %s)", combos[i], keymap_name_examples);
        sizes[i] = n;
        used += n;
    }
    struct rfbc c;
    int fd, status = cli_vnc_session(cli, name, &fd, &c);
    if (status)
        return status;
    int rc = cli_send_combos(&c, keys, sizes, ncombos);
    close(fd);
    if (rc < 0) {
        status = cli_fail(cli, PROTO_E_IO, "the screen of VM %s: %s", name, c.err);
    } else if (cli->json) {
        printf("{\"name\":\"%s\",\"keys\":%d}\n", name, used); /* a valid VM name */
    } else {
        printf("%s: sent %d key%s%s\n", name, used, used == 1 ? "" : "s",
               c.ext_key ? "" : " (as keysyms: the server has no raw key events)");
    }
    rfbc_free(&c);
    return status;
}

/* ---- vnc: the relay ----------------------------------------------------------------- */

/* Copies both ways between a viewer and the VM's socket until either
 * ends (one process per viewer: a slow one holds up nobody). */
static void cli_relay_pair(int a, int b)
{
    struct pollfd fds[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
    char buf[65536];
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        for (int i = 0; i < 2; i++) {
            if (!fds[i].revents)
                continue;
            ssize_t n = read(fds[i].fd, buf, sizeof(buf));
            if (n <= 0 || fdio_write_all(fds[1 - i].fd, buf, (size_t)n) < 0)
                return;
        }
    }
}

static void cli_relay_viewer(int viewer, const char *path)
{
    char why[PATH_MAX + 64];
    int vm = cli_vnc_connect(path, why, sizeof(why));
    if (vm < 0) {
        fprintf(stderr, "corral: a viewer connected, but %s\n", why);
        close(viewer);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        cli_relay_pair(viewer, vm);
        _exit(0);
    }
    if (pid < 0)
        fprintf(stderr, "corral: cannot relay a viewer: %s\n", strerror(errno));
    close(viewer);
    close(vm);
}

static int cli_listen_tcp(const struct cli_listen *l, char *why, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = cli_listen_sockaddr(l, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
        bind(fd, (struct sockaddr *)&ss, sl) == 0 && listen(fd, 8) == 0)
        return fd;
    snprintf(why, len, "%s:%u: %s", l->host, l->port, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

int cli_vnc(const struct cli *cli, const char *name, const char *listen_arg)
{
    struct cli_listen l;
    char why[PATH_MAX + 64];
    if (cli_parse_listen(listen_arg ? listen_arg : "127.0.0.1:5900", &l, why,
                         sizeof(why)) < 0)
        return cli_fail(cli, PROTO_E_INVALID, "--listen %s: %s", listen_arg, why);
    int status, probe = cli_vnc_open(cli, name, &status);
    if (probe < 0)
        return status;
    close(probe);
    int lfd = cli_listen_tcp(&l, why, sizeof(why));
    if (lfd < 0)
        return cli_fail(cli, PROTO_E_IO, "%s", why);
    char path[PATH_MAX];
    cli_vnc_socket_path(name, path, sizeof(path));
    signal(SIGCHLD, SIG_IGN); /* relays end on their own, reaped by the kernel */
    char host[sizeof(l.host) + 2]; /* ssh -L wants an IPv6 address in [] */
    snprintf(host, sizeof(host), l.family == AF_INET6 ? "[%s]" : "%s", l.host);
    printf("The screen of VM %s is on %s:%u (no password: loopback only).\n"
           "From your workstation:\n"
           "  ssh -L %u:%s:%u root@THIS-HOST\n"
           "then point a VNC viewer at localhost:%u.  Ctrl-C here ends it.\n",
           name, host, l.port, l.port, host, l.port, l.port);
    fflush(stdout);
    for (;;) {
        int viewer = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (viewer < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            status = cli_fail(cli, PROTO_E_IO, "accept: %s", strerror(errno));
            break;
        }
        cli_relay_viewer(viewer, path);
    }
    close(lfd);
    return status;
}
