/* srv_console: /ws/console/<vm>, the VM's serial console over a WebSocket
 * (binary frames both ways).
 *
 * corrald lets one client attach to a VM's console at a time, so the
 * viewers of one VM share one attachment here (a hub): a thread reads the
 * console and sends every byte to each viewer; what any viewer types goes
 * to the console.  The hub goes when its last viewer leaves (or the
 * console ends: the VM stopped, or another client such as `corral console`
 * took the attachment over). */
#include "srv.h"

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
#include <unistd.h>

#define SRV_VIEWERS_MAX 32

struct srv_hub {
    char vm[VMDEF_NAME_MAX + 1];
    int fd;
    bool dead; /* the console ended; the hub stays until its viewers go */
    /* Held while the console's output goes to the viewers, and to change
     * the list of them (after srv_hubs_lock): a viewer slow to take its
     * bytes holds up its own VM's viewers only. */
    pthread_mutex_t out;
    struct mg_connection *viewers[SRV_VIEWERS_MAX];
    size_t viewer_count;
    struct srv_hub *next;
};

/* Per connection: the VM it asked for, then its hub. */
struct srv_viewer {
    char vm[VMDEF_NAME_MAX + 1];
    struct srv_hub *hub;
};

/* The list of hubs, each hub's fd and dead flag. */
static pthread_mutex_t srv_hubs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct srv_hub *srv_hubs;

static void srv_hub_free(struct srv_hub *hub)
{
    pthread_mutex_destroy(&hub->out);
    free(hub);
}

static void srv_hub_unlink(struct srv_hub *hub)
{
    for (struct srv_hub **p = &srv_hubs; *p; p = &(*p)->next) {
        if (*p == hub) {
            *p = hub->next;
            return;
        }
    }
}

static void srv_hub_close_viewers(struct srv_hub *hub, const char *why)
{
    for (size_t i = 0; i < hub->viewer_count; i++)
        mg_websocket_write(hub->viewers[i], MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, why,
                           strlen(why));
}

static void *srv_hub_reader(void *arg)
{
    struct srv_hub *hub = arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(hub->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        pthread_mutex_lock(&hub->out);
        for (size_t i = 0; i < hub->viewer_count; i++)
            mg_websocket_write(hub->viewers[i], MG_WEBSOCKET_OPCODE_BINARY, buf, (size_t)n);
        pthread_mutex_unlock(&hub->out);
    }
    pthread_mutex_lock(&srv_hubs_lock);
    close(hub->fd);
    hub->fd = -1;
    hub->dead = true;
    srv_hub_unlink(hub);
    pthread_mutex_lock(&hub->out);
    srv_hub_close_viewers(hub, "\x03\xe8the console ended");
    bool orphan = hub->viewer_count == 0;
    pthread_mutex_unlock(&hub->out);
    pthread_mutex_unlock(&srv_hubs_lock);
    if (orphan)
        srv_hub_free(hub);
    return NULL;
}

/* A hub attached to vm's console (the caller holds the lock), with the
 * bytes that came with the reply sent to conn. */
static struct srv_hub *srv_hub_open(struct srv *s, struct mg_connection *conn,
                                    const char *vm, char *why, size_t why_len)
{
    struct json_writer w;
    char *reply = NULL, *rest = NULL;
    size_t len, rest_len = 0;
    int fd = -1;
    json_writer_init(&w, 4096);
    proto_begin_request(&w, "vm.console");
    json_kv_string(&w, "name", vm);
    proto_end_request(&w);
    int rc = web_corrald_call(s->opt.socket_path, &w, &reply, &len, &fd, &rest, &rest_len,
                              why, why_len);
    json_writer_free(&w);
    struct proto_reply rep;
    memset(&rep, 0, sizeof(rep));
    if (rc == 0 && proto_decode_reply(reply, len, &rep, why, why_len) == 0 && !rep.ok) {
        snprintf(why, why_len, "%s", rep.error_message);
        rc = -EINVAL;
    }
    proto_reply_free(&rep);
    free(reply);
    struct srv_hub *hub = rc == 0 ? calloc(1, sizeof(*hub)) : NULL;
    pthread_t thread;
    if (hub) {
        pthread_mutex_init(&hub->out, NULL);
        snprintf(hub->vm, sizeof(hub->vm), "%s", vm);
        hub->fd = fd;
        if (rest_len)
            mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_BINARY, rest, rest_len);
        if (pthread_create(&thread, NULL, srv_hub_reader, hub) == 0) {
            pthread_detach(thread);
            hub->next = srv_hubs;
            srv_hubs = hub;
        } else {
            snprintf(why, why_len, "no thread for the console");
            srv_hub_free(hub);
            hub = NULL;
        }
    }
    if (!hub && fd >= 0)
        close(fd);
    free(rest);
    return hub;
}

static int srv_console_connect(const struct mg_connection *conn, void *cbdata)
{
    const char *vm = srv_ws_vm(cbdata, conn, "/ws/console/", "console");
    if (!vm)
        return 1;
    struct srv_viewer *v = calloc(1, sizeof(*v));
    if (!v)
        return 1;
    snprintf(v->vm, sizeof(v->vm), "%s", vm);
    mg_set_user_connection_data(conn, v);
    return 0;
}

static void srv_console_ready(struct mg_connection *conn, void *cbdata)
{
    struct srv_viewer *v = mg_get_user_connection_data(conn);
    char why[256] = "";
    pthread_mutex_lock(&srv_hubs_lock);
    struct srv_hub *hub = srv_hubs;
    while (hub && strcmp(hub->vm, v->vm) != 0)
        hub = hub->next;
    if (!hub)
        hub = srv_hub_open(cbdata, conn, v->vm, why, sizeof(why));
    bool added = false;
    if (hub) {
        pthread_mutex_lock(&hub->out);
        added = hub->viewer_count < SRV_VIEWERS_MAX;
        if (added)
            hub->viewers[hub->viewer_count++] = conn;
        pthread_mutex_unlock(&hub->out);
    }
    if (added) {
        v->hub = hub;
    } else {
        char frame[260];
        snprintf(frame, sizeof(frame), "\x03\xf3%.250s", hub ? "too many viewers" : why);
        mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, frame, strlen(frame));
    }
    pthread_mutex_unlock(&srv_hubs_lock);
}

static int srv_console_data(struct mg_connection *conn, int bits, char *data, size_t len,
                            void *cbdata)
{
    struct srv_viewer *v = mg_get_user_connection_data(conn);
    int opcode = bits & 0xf;
    if (opcode == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE)
        return 0;
    if (opcode != MG_WEBSOCKET_OPCODE_BINARY && opcode != MG_WEBSOCKET_OPCODE_TEXT &&
        opcode != MG_WEBSOCKET_OPCODE_CONTINUATION)
        return 1;
    pthread_mutex_lock(&srv_hubs_lock);
    int fd = v && v->hub && !v->hub->dead ? v->hub->fd : -1;
    /* Typing is a few bytes: a blocking write under the lock is short. */
    bool ok = fd >= 0 && fdio_write_all(fd, data, len) == 0;
    pthread_mutex_unlock(&srv_hubs_lock);
    return ok ? 1 : 0;
}

static void srv_console_close(const struct mg_connection *conn, void *cbdata)
{
    struct srv_viewer *v = mg_get_user_connection_data(conn);
    if (!v)
        return;
    pthread_mutex_lock(&srv_hubs_lock);
    struct srv_hub *hub = v->hub, *to_free = NULL;
    if (hub) {
        pthread_mutex_lock(&hub->out);
        for (size_t i = 0; i < hub->viewer_count; i++) {
            if (hub->viewers[i] == conn) {
                hub->viewers[i] = hub->viewers[--hub->viewer_count];
                break;
            }
        }
        size_t left = hub->viewer_count;
        pthread_mutex_unlock(&hub->out);
        if (left == 0) {
            if (hub->dead)
                to_free = hub;
            else {
                /* The reader ends and frees it; new viewers get a new hub. */
                srv_hub_unlink(hub);
                shutdown(hub->fd, SHUT_RDWR);
            }
        }
    }
    pthread_mutex_unlock(&srv_hubs_lock);
    if (to_free)
        srv_hub_free(to_free);
    free(v);
}

void srv_console_register(struct mg_context *ctx, struct srv *s)
{
    mg_set_websocket_handler(ctx, "/ws/console/", srv_console_connect, srv_console_ready,
                             srv_console_data, srv_console_close, s);
}
