/* srv_vnc: /ws/vnc/<vm>, the VM's screen for noVNC - RFB as binary
 * WebSocket frames both ways.  corrald's vm.vnc hands over a connection to
 * the VMM's RFB socket; a thread per viewer copies the screen to the
 * browser, the viewer's frames go back (keys, pointer).  While the VM's
 * VMM starts (vm.vnc's not-ready) the bridge asks again for up to
 * PROTO_SCREEN_WAIT_MS before it closes the WebSocket.  Each viewer has
 * its own RFB connection (the VMM serves several). */
#include "srv.h"

#include "clock.h"
#include "fdio.h"
#include "proto.h"
#include "vmdef.h"
#include "web_corrald.h"
#include "web_route.h"

#include <civetweb.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

struct srv_vnc {
    char vm[VMDEF_NAME_MAX + 1];
    int fd;
    struct mg_connection *conn;
    pthread_mutex_t lock;
    bool closed;  /* the browser went (close handler ran) */
    bool ended;   /* the reader thread is done */
};

static void srv_vnc_free_if_done(struct srv_vnc *v, bool closed, bool ended)
{
    pthread_mutex_lock(&v->lock);
    v->closed |= closed;
    v->ended |= ended;
    bool done = v->closed && v->ended;
    pthread_mutex_unlock(&v->lock);
    if (done) {
        if (v->fd >= 0)
            close(v->fd);
        pthread_mutex_destroy(&v->lock);
        free(v);
    }
}

static void *srv_vnc_reader(void *arg)
{
    struct srv_vnc *v = arg;
    char buf[16384];
    for (;;) {
        ssize_t n = read(v->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        pthread_mutex_lock(&v->lock);
        bool gone = v->closed;
        if (!gone)
            mg_websocket_write(v->conn, MG_WEBSOCKET_OPCODE_BINARY, buf, (size_t)n);
        pthread_mutex_unlock(&v->lock);
        if (gone)
            break;
    }
    pthread_mutex_lock(&v->lock);
    if (!v->closed)
        mg_websocket_write(v->conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, "\x03\xe8screen ended",
                           14);
    pthread_mutex_unlock(&v->lock);
    srv_vnc_free_if_done(v, false, true);
    return NULL;
}

static int srv_vnc_connect(const struct mg_connection *conn, void *cbdata)
{
    const char *vm = srv_ws_vm(cbdata, conn, "/ws/vnc/", "screen");
    if (!vm)
        return 1;
    struct srv_vnc *v = calloc(1, sizeof(*v));
    if (!v)
        return 1;
    snprintf(v->vm, sizeof(v->vm), "%s", vm);
    v->fd = -1;
    v->ended = true; /* until a reader runs */
    pthread_mutex_init(&v->lock, NULL);
    mg_set_user_connection_data(conn, v);
    return 0;
}

/* One vm.vnc: the screen's connection (>= 0), or -1 with why filled and
 * *not_ready set when corrald says to try again. */
static int srv_vnc_ask(struct srv *s, const char *vm, bool *not_ready, char *why, size_t why_len)
{
    struct json_writer w;
    struct proto_reply rep;
    char *reply = NULL;
    size_t len;
    int fd = -1;
    snprintf(why, why_len, "no reply");
    json_writer_init(&w, 1024);
    proto_begin_request(&w, "vm.vnc");
    json_kv_string(&w, "name", vm);
    proto_end_request(&w);
    int rc = web_corrald_call_fd(s->opt.socket_path, &w, &reply, &len, &fd, why, why_len);
    json_writer_free(&w);
    memset(&rep, 0, sizeof(rep));
    if (rc == 0 && proto_decode_reply(reply, len, &rep, why, why_len) == 0 && !rep.ok) {
        snprintf(why, why_len, "%s", rep.error_message);
        *not_ready = rep.error_code && strcmp(rep.error_code, PROTO_E_NOT_READY) == 0;
    }
    bool ok = rc == 0 && rep.ok && fd >= 0;
    proto_reply_free(&rep);
    free(reply);
    if (!ok && fd >= 0)
        close(fd);
    return ok ? fd : -1;
}

/* The screen's connection, waiting while the VM's VMM starts (a viewer
 * opened right after "start" would otherwise be told the VM has no
 * screen); the browser shows "Connecting" meanwhile.  -1 with why. */
static int srv_vnc_open(struct srv *s, const char *vm, char *why, size_t why_len)
{
    int64_t deadline = clock_monotonic_ms() + PROTO_SCREEN_WAIT_MS;
    for (;;) {
        bool not_ready = false;
        int fd = srv_vnc_ask(s, vm, &not_ready, why, why_len);
        if (fd >= 0 || !not_ready || clock_monotonic_ms() >= deadline)
            return fd;
        struct timespec pause = { 0, PROTO_SCREEN_RETRY_MS * 1000L * 1000L };
        nanosleep(&pause, NULL);
    }
}

static void srv_vnc_ready(struct mg_connection *conn, void *cbdata)
{
    struct srv *s = cbdata;
    struct srv_vnc *v = mg_get_user_connection_data(conn);
    char why[256], frame[260];
    int fd = srv_vnc_open(s, v->vm, why, sizeof(why));
    pthread_t thread;
    v->conn = conn;
    v->fd = fd;
    if (fd >= 0) {
        v->ended = false;
        if (pthread_create(&thread, NULL, srv_vnc_reader, v) == 0) {
            pthread_detach(thread);
            return;
        }
        v->ended = true;
        snprintf(why, sizeof(why), "no thread for the screen");
    }
    snprintf(frame, sizeof(frame), "\x03\xf3%.250s", why);
    mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, frame, strlen(frame));
}

static int srv_vnc_data(struct mg_connection *conn, int bits, char *data, size_t len,
                        void *cbdata)
{
    struct srv_vnc *v = mg_get_user_connection_data(conn);
    int opcode = bits & 0xf;
    if (opcode == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE)
        return 0;
    if (opcode != MG_WEBSOCKET_OPCODE_BINARY && opcode != MG_WEBSOCKET_OPCODE_CONTINUATION)
        return 1;
    return v && v->fd >= 0 && fdio_write_all(v->fd, data, len) == 0;
}

static void srv_vnc_close(const struct mg_connection *conn, void *cbdata)
{
    struct srv_vnc *v = mg_get_user_connection_data(conn);
    if (!v)
        return;
    if (v->fd >= 0)
        shutdown(v->fd, SHUT_RDWR); /* the reader ends */
    srv_vnc_free_if_done(v, true, false);
}

void srv_vnc_register(struct mg_context *ctx, struct srv *s)
{
    mg_set_websocket_handler(ctx, "/ws/vnc/", srv_vnc_connect, srv_vnc_ready, srv_vnc_data,
                             srv_vnc_close, s);
}
