/* srv: corral-web's server side - civetweb, mbedTLS and the files of the
 * control domain.  The srv_ files are the glue to those libraries (left out
 * of unit tests, like console-ui's ui_ files); the decisions they act on
 * are made in the web_ modules, which are tested. */
#ifndef CORRAL_WEB_SRV_H
#define CORRAL_WEB_SRV_H

#include <stddef.h>

#include "web_paths.h"

struct mg_context;
struct mg_connection;
struct web_gate;
#include "web_history.h"
#include "web_ratelimit.h"
#include "web_session.h"

#define SRV_WEB_ROOT "/usr/share/corral/web"

struct srv_options {
    const char *root;        /* static files */
    const char *state_dir;   /* cert.pem, key.pem, fingerprint */
    const char *run_dir;     /* the combined PEM civetweb reads */
    const char *listen;      /* address to bind, "" for all */
    unsigned https_port, http_port; /* http_port 0: no redirect port */
    const char *socket_path; /* corrald's */
    const char *shadow_path;
};

struct srv {
    struct srv_options opt;
    struct web_sessions sessions;
    struct web_ratelimit ratelimit;
    struct web_history history;
    char pem_path[512];
    char fingerprint[96 + 1]; /* SHA-256 as AB:CD:..., 95 chars */
};

/* srv_tls: the certificate.  Uses state_dir's cert.pem and key.pem, making
 * a self-signed EC P-256 pair first when there is none; writes the
 * certificate's SHA-256 fingerprint to state_dir/fingerprint and the pair
 * (key first) to run_dir for civetweb.  0, or -1 with why. */
int srv_tls_prepare(struct srv *s, char *why, size_t why_len);

/* srv_http: starts civetweb with every handler; returns the context or NULL
 * with why. */
struct mg_context *srv_http_start(struct srv *s, char *why, size_t why_len);

/* srv_console: the /ws/console/<vm> WebSocket bridge. */
void srv_console_register(struct mg_context *ctx, struct srv *s);
/* srv_vnc: the /ws/vnc/<vm> WebSocket bridge (noVNC). */
void srv_vnc_register(struct mg_context *ctx, struct srv *s);

/* srv_upload: PUT /api/images/<name>, streamed to corrald's image.upload. */
void srv_upload(struct srv *s, struct mg_connection *conn, const struct web_gate *g,
                const char *addr);

/* srv_history: samples host.info every WEB_HISTORY_INTERVAL_S in a thread
 * of its own; 0 or -errno. */
int srv_history_start(struct srv *s);
/* srv_logs: GET /api/logs?q=TEXT&lines=N (logread, searched). */
void srv_logs(struct mg_connection *conn);

/* srv_import: POST /api/cmd/image.import with its body. */
void srv_import(struct mg_connection *conn, const char *addr, const char *body, size_t len);

/* srv_http helpers for the other srv files. */
/* The client address as text (for the log). */
void srv_client_addr(const struct mg_connection *conn, char *out, size_t len);
/* Whether conn's cookie names a live session. */
int srv_session_ok(struct srv *s, const struct mg_connection *conn, char *csrf);
/* The VM a WebSocket request for prefix + NAME asks for, when its session,
 * Origin and name are good (what: "console", "screen", for the log);
 * else NULL, logged with the client's address. */
const char *srv_ws_vm(struct srv *s, const struct mg_connection *conn, const char *prefix,
                      const char *what);
/* A JSON reply (body plus '\n'); extra: more header lines or "". */
void srv_send_json(struct mg_connection *conn, int status, const char *extra,
                   const char *body);
void srv_send_error(struct mg_connection *conn, int status, const char *extra,
                    const char *code, const char *message);

#endif
