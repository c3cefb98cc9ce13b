/* srv: corral-web's server side - civetweb, mbedTLS and the files of the
 * control domain.  The srv_ files are the glue to those libraries (left out
 * of unit tests, like console-ui's ui_ files); the decisions they act on
 * are made in the web_ modules, which are tested. */
#ifndef CORRAL_WEB_SRV_H
#define CORRAL_WEB_SRV_H

#include <stddef.h>

#include "web_paths.h"
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
struct mg_context;
void srv_console_register(struct mg_context *ctx, struct srv *s);

/* srv_http helpers for the other srv files. */
struct mg_connection;
/* The client address as text (for the log). */
void srv_client_addr(const struct mg_connection *conn, char *out, size_t len);
/* Whether conn's cookie names a live session. */
int srv_session_ok(struct srv *s, const struct mg_connection *conn, char *csrf);

#endif
