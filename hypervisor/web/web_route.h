/* web_route: corral-web's one table of routes and of the corrald commands
 * the API passes on, and the gate every request goes through (route,
 * session, CSRF token, command) before anything is done for it.
 *
 * Pure: no I/O, so that the unit tests and the fuzz target can throw any
 * method, path, cookie and token at it.  `corral-web --routes` prints the
 * table (the integration test checks that every route refuses a request
 * without a session). */
#ifndef CORRAL_WEB_ROUTE_H
#define CORRAL_WEB_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "json.h"

enum web_handler {
    WEB_H_LOGIN,
    WEB_H_LOGOUT,
    WEB_H_SESSION,
    WEB_H_CMD,        /* /api/cmd/<command>: passed on to corrald */
    WEB_H_WS_CONSOLE, /* /ws/console/<vm> */
    WEB_H_WS_VNC,     /* /ws/vnc/<vm> */
    WEB_H_UPLOAD,     /* PUT /api/images/<name>: the body is the image */
    WEB_H_HISTORY,    /* the host's use over the last hour */
    WEB_H_LOGS,       /* the system log */
    WEB_H_IMPORT,     /* image.import: the CLI's import, run by corral-web */
};

struct web_route {
    const char *method;
    const char *path;
    bool prefix;        /* path is a prefix; the rest names a command or VM */
    enum web_handler handler;
    bool needs_session; /* else anyone may call it (login) */
};

/* A corrald command reachable as /api/cmd/<cmd>.  Read-only ones may also
 * be called with GET and their arguments in the query string. */
struct web_command {
    const char *cmd;
    bool read_only;
};

extern const struct web_route web_routes[];
extern const size_t web_route_count;
extern const struct web_command web_commands[];
extern const size_t web_command_count;

const struct web_command *web_command_find(const char *cmd);

/* The outcome of the gate: status 0 lets the request through to
 * route->handler, with rest (after a prefix route's path) and, for
 * WEB_H_CMD, command.  Else status is the HTTP status to refuse with and
 * code/message the error to send. */
struct web_gate {
    int status;
    const char *code, *message;
    const struct web_route *route;
    const char *rest;
    const struct web_command *command;
};

/* method and path (without query) of the request; session_ok whether its
 * cookie names a live session; csrf_header the X-CSRF-Token header (or
 * NULL) and session_csrf the session's token. */
void web_gate(const char *method, const char *path, bool session_ok,
              const char *csrf_header, const char *session_csrf, struct web_gate *g);

/* Whether method changes something (so needs the CSRF token). */
bool web_method_changes(const char *method);
/* The HTTP status for a corrald error code. */
int web_status_for_code(const char *code);

/* The members of the API request's arguments, from a query string
 * ("name=web1&bytes=4096"; percent-encoding and '+' decoded) into the
 * args object being written to w.  Known keys only: name, disk (strings),
 * bytes, lines (non-negative integers).  0 or -EINVAL with why. */
int web_query_args(const char *query, struct json_writer *w, char *why, size_t why_len);
/* The members of a JSON body (an object; an empty body is {}) into the
 * args object being written to w.  0 or -EINVAL with why. */
int web_body_args(const char *body, size_t len, struct json_writer *w, char *why,
                  size_t why_len);

/* Whether a WebSocket's Origin header names the site it connects to
 * (https://HOST with the request's Host header); browsers send Origin, so
 * another site's page cannot open a console with the user's cookie. */
bool web_origin_matches(const char *origin, const char *host);

/* The host part of a Host header ("name:port", "[v6]:port"), without the
 * port, into out; "" when the header is absent or not a plausible host
 * name or address (letters, digits, '.', '-', ':' in brackets). */
void web_host_name(const char *header, char *out, size_t len);
/* The path and query of a redirect's Location header: the decoded path
 * percent-encoded again (so a space or a CR LF cannot end the header) and
 * "?query" when the raw query is printable ASCII without spaces.  A path
 * that is not absolute, or that does not fit, becomes "/". */
void web_redirect_target(const char *path, const char *query, char *out, size_t len);

/* Prints "METHOD PATH" for every route, a prefix route once per command
 * (cmd routes) or with "X" for the name (others). */
void web_routes_print(FILE *out);

#endif
