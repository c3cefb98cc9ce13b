/* srv_http: civetweb's set-up and the /api handlers (see srv.h). */
#include "srv.h"

#include "proto.h"
#include "shadow.h"
#include "vmdef.h"
#include "web_cookie.h"
#include "web_corrald.h"
#include "web_route.h"

#include <civetweb.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define SRV_BODY_MAX PROTO_MAX_REQUEST
#define SRV_PASSWORD_MAX 512

void srv_client_addr(const struct mg_connection *conn, char *out, size_t len)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    snprintf(out, len, "%s", ri && ri->remote_addr[0] ? ri->remote_addr : "?");
}

int srv_session_ok(struct srv *s, const struct mg_connection *conn, char *csrf)
{
    char id[WEB_TOKEN_HEX + 1];
    if (web_cookie_get(mg_get_header(conn, "Cookie"), WEB_COOKIE_NAME, id, sizeof(id)) < 0)
        return 0;
    return web_sessions_check(&s->sessions, id, time(NULL), csrf);
}

const char *srv_ws_vm(struct srv *s, const struct mg_connection *conn, const char *prefix,
                      const char *what)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *vm = ri->local_uri + strlen(prefix);
    char addr[WEB_ADDR_MAX];
    srv_client_addr(conn, addr, sizeof(addr));
    if (!srv_session_ok(s, conn, NULL) ||
        !web_origin_matches(mg_get_header(conn, "Origin"), mg_get_header(conn, "Host")) ||
        !vmdef_name_valid(vm)) {
        syslog(LOG_WARNING, "%s %s from %s refused (session, origin or name)", what,
               ri->local_uri, addr);
        return NULL;
    }
    syslog(LOG_NOTICE, "%s of %s opened from %s", what, vm, addr);
    return vm;
}

/* ---- replies -------------------------------------------------------------- */

static const char *srv_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 502: return "Bad Gateway";
    default: return "Error";
    }
}

/* A JSON reply; extra is more header lines ("Name: value\r\n...") or "". */
void srv_send_json(struct mg_connection *conn, int status, const char *extra,
                   const char *body)
{
    /* One write for head and body: two would wait on the peer's delayed
     * ACK (Nagle) between them. */
    size_t len = strlen(body);
    char head[1024];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n",
                     status, srv_reason(status), len + 1, extra);
    char *all = n > 0 && (size_t)n < sizeof(head) ? malloc((size_t)n + len + 1) : NULL;
    if (!all) {
        mg_send_http_error(conn, 500, "out of memory");
        return;
    }
    memcpy(all, head, (size_t)n);
    memcpy(all + n, body, len);
    all[(size_t)n + len] = '\n';
    mg_write(conn, all, (size_t)n + len + 1);
    free(all);
}

void srv_send_error(struct mg_connection *conn, int status, const char *extra,
                           const char *code, const char *message)
{
    struct json_writer w;
    json_writer_init(&w, 4096);
    proto_error_reply(&w, code, "%s", message);
    const char *text = json_writer_text(&w);
    srv_send_json(conn, status, extra, text ? text : "{}");
    json_writer_free(&w);
}

/* The request body (at most SRV_BODY_MAX bytes) into a malloc'd buffer. */
static int srv_read_body(struct mg_connection *conn, char **body, size_t *len)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    *body = NULL;
    *len = 0;
    if (ri->content_length > SRV_BODY_MAX)
        return -E2BIG;
    size_t want = ri->content_length > 0 ? (size_t)ri->content_length : 0;
    *body = malloc(want + 1);
    if (!*body)
        return -ENOMEM;
    while (*len < want) {
        int n = mg_read(conn, *body + *len, want - *len);
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    (*body)[*len] = '\0';
    return *len == want ? 0 : -EIO;
}

/* ---- login ---------------------------------------------------------------- */

/* root's hash from the shadow file: 1 usable, 0 none set, -1 unreadable. */
static int srv_root_hash(const struct srv *s, char *hash, size_t len)
{
    char text[8192];
    int fd = open(s->opt.shadow_path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
    if (fd >= 0)
        close(fd);
    if (n < 0)
        return -1;
    text[n] = '\0';
    if (shadow_root_hash(text, hash, len) < 0)
        return -1;
    return shadow_hash_is_password(hash) ? 1 : 0;
}

static bool srv_password_matches(const char *password, const char *hash)
{
    struct crypt_data *data = calloc(1, sizeof(*data));
    if (!data)
        return false;
    const char *out = crypt_r(password, hash, data);
    bool ok = out && out[0] != '*' && strlen(out) == strlen(hash) &&
              web_bytes_equal(out, hash, strlen(hash));
    free(data);
    return ok;
}

static void srv_login(struct srv *s, struct mg_connection *conn, const char *addr)
{
    char *body, hash[256], reason[128], header[320];
    size_t len;
    time_t now = time(NULL);
    long wait = web_ratelimit_wait(&s->ratelimit, addr, now);
    if (wait > 0) {
        snprintf(header, sizeof(header), "Retry-After: %ld\r\n", wait);
        syslog(LOG_WARNING, "login from %s refused: rate limited for %ld s", addr, wait);
        srv_send_error(conn, 429, header, "rate-limited", "too many failed logins: wait and try again");
        return;
    }
    int have = srv_root_hash(s, hash, sizeof(hash));
    if (have <= 0) {
        srv_send_error(conn, 409, "", "no-password",
                       "root has no password yet: set one on the console (Security, "
                       "Root password) or with passwd over SSH, then log in");
        return;
    }
    struct json_doc doc;
    const char *password = NULL;
    memset(&doc, 0, sizeof(doc)); /* freed on every path below */
    int rc = srv_read_body(conn, &body, &len);
    if (rc == 0 && json_parse(body, len, &doc, reason, sizeof(reason)) == 0)
        password = json_get_string(&doc, json_root(&doc), "password");
    if (!password || strlen(password) > SRV_PASSWORD_MAX) {
        srv_send_error(conn, 400, "", "bad-request", "the body must be {\"password\":\"...\"}");
    } else if (!srv_password_matches(password, hash)) {
        wait = web_ratelimit_failed(&s->ratelimit, addr, now);
        syslog(LOG_WARNING, "login from %s failed (wrong password)", addr);
        srv_send_error(conn, 401, "", "denied", "wrong password");
    } else {
        char id[WEB_TOKEN_HEX + 1], csrf[WEB_TOKEN_HEX + 1], cookie[256], reply[256];
        web_ratelimit_succeeded(&s->ratelimit, addr);
        if (web_sessions_create(&s->sessions, now, id, csrf) < 0 ||
            web_cookie_set(cookie, sizeof(cookie), id, WEB_SESSION_MAX_S) < 0) {
            srv_send_error(conn, 500, "", "internal", "no session could be made");
        } else {
            syslog(LOG_NOTICE, "login from %s: root logged in", addr);
            snprintf(header, sizeof(header), "Set-Cookie: %s\r\n", cookie);
            snprintf(reply, sizeof(reply), "{\"user\":\"root\",\"csrf\":\"%s\"}", csrf);
            srv_send_json(conn, 200, header, reply);
        }
    }
    json_doc_free(&doc);
    free(body);
}

static void srv_logout(struct srv *s, struct mg_connection *conn, const char *addr)
{
    char id[WEB_TOKEN_HEX + 1], cookie[256], header[300];
    if (web_cookie_get(mg_get_header(conn, "Cookie"), WEB_COOKIE_NAME, id, sizeof(id)) == 0)
        web_sessions_destroy(&s->sessions, id);
    web_cookie_set(cookie, sizeof(cookie), NULL, 0);
    snprintf(header, sizeof(header), "Set-Cookie: %s\r\n", cookie);
    syslog(LOG_NOTICE, "logout from %s", addr);
    srv_send_json(conn, 200, header, "{}");
}

/* ---- corrald commands ----------------------------------------------------- */

static int srv_cmd_request(struct mg_connection *conn, const struct web_gate *g,
                           struct json_writer *w, char *why, size_t why_len)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    proto_begin_request(w, g->command->cmd);
    int rc;
    if (!web_method_changes(ri->request_method)) {
        rc = web_query_args(ri->query_string, w, why, why_len);
    } else {
        char *body;
        size_t len;
        rc = srv_read_body(conn, &body, &len);
        if (rc == -E2BIG)
            snprintf(why, why_len, "the body is larger than %d bytes", SRV_BODY_MAX);
        else if (rc < 0)
            snprintf(why, why_len, "the body could not be read");
        else
            rc = web_body_args(body, len, w, why, why_len);
        free(body);
    }
    proto_end_request(w);
    return rc;
}

static void srv_cmd(struct srv *s, struct mg_connection *conn, const struct web_gate *g,
                    const char *addr)
{
    struct json_writer w;
    char why[256], *reply = NULL;
    size_t len;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    int rc = srv_cmd_request(conn, g, &w, why, sizeof(why));
    if (rc < 0) {
        srv_send_error(conn, rc == -E2BIG ? 413 : 400, "", rc == -E2BIG ? "too-large" : "bad-request", why);
        json_writer_free(&w);
        return;
    }
    if (!g->command->read_only)
        syslog(LOG_NOTICE, "%s from %s: %s", g->command->cmd, addr, json_writer_text(&w));
    rc = web_corrald_call(s->opt.socket_path, &w, &reply, &len, NULL, NULL, NULL, why,
                          sizeof(why));
    json_writer_free(&w);
    if (rc < 0) {
        srv_send_error(conn, 502, "", "io-error", why);
        return;
    }
    struct proto_reply rep;
    int status = 502;
    if (proto_decode_reply(reply, len, &rep, why, sizeof(why)) == 0)
        status = rep.ok ? 200 : web_status_for_code(rep.error_code);
    if (status != 200 && !g->command->read_only)
        syslog(LOG_NOTICE, "%s from %s failed: %s", g->command->cmd, addr,
               rep.error_message ? rep.error_message : why);
    proto_reply_free(&rep);
    srv_send_json(conn, status, "", reply);
    free(reply);
}

/* ---- the gate --------------------------------------------------------------- */

static int srv_api(struct mg_connection *conn, void *cbdata)
{
    struct srv *s = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    char addr[WEB_ADDR_MAX], csrf[WEB_TOKEN_HEX + 1] = "";
    struct web_gate g;
    srv_client_addr(conn, addr, sizeof(addr));
    bool session = srv_session_ok(s, conn, csrf);
    web_gate(ri->request_method, ri->local_uri, session, mg_get_header(conn, "X-CSRF-Token"),
             csrf, &g);
    if (g.status) {
        if (g.status == 401 || g.status == 403)
            syslog(LOG_WARNING, "%s %s from %s refused: %s", ri->request_method,
                   ri->local_uri, addr, g.message);
        srv_send_error(conn, g.status, "", g.code, g.message);
        return g.status;
    }
    switch (g.route->handler) {
    case WEB_H_LOGIN:
        srv_login(s, conn, addr);
        break;
    case WEB_H_LOGOUT:
        srv_logout(s, conn, addr);
        break;
    case WEB_H_SESSION: {
        char reply[200];
        snprintf(reply, sizeof(reply), "{\"user\":\"root\",\"csrf\":\"%s\"}", csrf);
        srv_send_json(conn, 200, "", reply);
        break;
    }
    case WEB_H_CMD:
        srv_cmd(s, conn, &g, addr);
        break;
    case WEB_H_HISTORY: {
        struct json_writer w;
        json_writer_init(&w, 1 << 20);
        web_history_write(&s->history, &w);
        const char *text = json_writer_text(&w);
        srv_send_json(conn, text ? 200 : 500, "", text ? text : "{}");
        json_writer_free(&w);
        break;
    }
    case WEB_H_LOGS:
        srv_logs(conn);
        break;
    case WEB_H_IMPORT: {
        char *body;
        size_t len;
        if (srv_read_body(conn, &body, &len) < 0)
            srv_send_error(conn, 413, "", "too-large", "the body is too large");
        else
            srv_import(conn, addr, body, len);
        free(body);
        break;
    }
    case WEB_H_UPLOAD:
        srv_upload(s, conn, &g, addr);
        break;
    case WEB_H_WS_CONSOLE: /* reached only without the Upgrade header */
    case WEB_H_WS_VNC:
        srv_send_error(conn, 400, "", "bad-request", "a WebSocket path");
        break;
    }
    return 200;
}

/* Plain HTTP (port 80) only redirects: 301 to the same path on https, at
 * the host the browser asked for (civetweb's own redirect names a
 * configured domain instead). */
static int srv_begin_request(struct mg_connection *conn)
{
    struct srv *s = mg_get_user_data(mg_get_context(conn));
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (ri->is_ssl)
        return 0;
    char host[256], port[16] = "", target[1024];
    web_host_name(mg_get_header(conn, "Host"), host, sizeof(host));
    if (s->opt.https_port != 443)
        snprintf(port, sizeof(port), ":%u", s->opt.https_port);
    web_redirect_target(ri->local_uri, ri->query_string, target, sizeof(target));
    mg_printf(conn,
              "HTTP/1.1 301 Moved Permanently\r\nLocation: https://%s%s%s\r\n"
              "Content-Length: 0\r\nConnection: close\r\n\r\n",
              host[0] ? host : "localhost", port, target);
    return 301;
}

static int srv_log_message(const struct mg_connection *conn, const char *message)
{
    syslog(LOG_ERR, "%s", message);
    return 1;
}

struct mg_context *srv_http_start(struct srv *s, char *why, size_t why_len)
{
    /* Each open WebSocket (console, screen) holds a worker thread. */
    char ports[160], threads[] = "48";
    const char *bind = s->opt.listen[0] ? s->opt.listen : "";
    const char *colon = s->opt.listen[0] ? ":" : "";
    if (s->opt.http_port)
        snprintf(ports, sizeof(ports), "%s%s%u,%s%s%us", bind, colon, s->opt.http_port,
                 bind, colon, s->opt.https_port);
    else
        snprintf(ports, sizeof(ports), "%s%s%us", bind, colon, s->opt.https_port);
    const char *options[] = {
        "listening_ports", ports,
        "ssl_certificate", s->pem_path,
        "document_root", s->opt.root,
        "enable_directory_listing", "no",
        "num_threads", threads,
        "enable_keep_alive", "yes",
        "tcp_nodelay", "1",
        "request_timeout_ms", "30000",
        "websocket_timeout_ms", "3600000",
        "additional_header",
        "X-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n"
        "Referrer-Policy: no-referrer\r\nStrict-Transport-Security: max-age=31536000",
        NULL,
    };
    struct mg_callbacks callbacks = { .log_message = srv_log_message,
                                   .begin_request = srv_begin_request };
    struct mg_init_data init = { .callbacks = &callbacks, .user_data = s,
                                 .configuration_options = options };
    struct mg_error_data err = { .text = why, .text_buffer_size = why_len };
    mg_init_library(MG_FEATURES_TLS | MG_FEATURES_WEBSOCKET);
    struct mg_context *ctx = mg_start2(&init, &err);
    if (!ctx)
        return NULL;
    mg_set_request_handler(ctx, "/api", srv_api, s);
    /* /ws/... without the WebSocket upgrade: through the gate as well */
    mg_set_request_handler(ctx, "/ws", srv_api, s);
    srv_console_register(ctx, s);
    srv_vnc_register(ctx, s);
    return ctx;
}
