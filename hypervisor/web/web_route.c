/* web_route: the route and command tables and the request gate (see
 * web_route.h). */
#include "web_route.h"

#include "hex.h"
#include "image_name.h"
#include "web_session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct web_route web_routes[] = {
    { "POST", "/api/login", false, WEB_H_LOGIN, false },
    { "POST", "/api/logout", false, WEB_H_LOGOUT, true },
    { "GET", "/api/session", false, WEB_H_SESSION, true },
    /* before the prefix routes: the first route that fits wins */
    { "POST", "/api/cmd/image.import", false, WEB_H_IMPORT, true },
    { "GET", "/api/cmd/", true, WEB_H_CMD, true },
    { "POST", "/api/cmd/", true, WEB_H_CMD, true },
    { "PUT", "/api/images/", true, WEB_H_UPLOAD, true },
    { "GET", "/api/host/history", false, WEB_H_HISTORY, true },
    { "GET", "/api/logs", false, WEB_H_LOGS, true },
    { "GET", "/ws/console/", true, WEB_H_WS_CONSOLE, true },
    { "GET", "/ws/vnc/", true, WEB_H_WS_VNC, true },
};
const size_t web_route_count = sizeof(web_routes) / sizeof(web_routes[0]);

/* docs/protocol.md's commands, less vm.console (a stream: /ws/console). */
const struct web_command web_commands[] = {
    { "host.info", true },    { "vm.list", true },     { "vm.show", true },
    { "vm.create", false },   { "vm.edit", false },    { "vm.start", false },
    { "vm.stop", false },     { "vm.kill", false },    { "vm.pause", false },
    { "vm.resume", false },   { "vm.restart", false }, { "vm.delete", false },
    { "vm.cdrom", false },    { "disk.create", false }, { "disk.resize", false },
    { "disk.list", true },    { "vm.log", true },      { "image.list", true },
    { "image.delete", false }, { "host.reboot", false }, { "host.shutdown", false },
};
const size_t web_command_count = sizeof(web_commands) / sizeof(web_commands[0]);

const struct web_command *web_command_find(const char *cmd)
{
    for (size_t i = 0; i < web_command_count; i++) {
        if (strcmp(web_commands[i].cmd, cmd) == 0)
            return &web_commands[i];
    }
    return NULL;
}

bool web_method_changes(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static void web_refuse(struct web_gate *g, int status, const char *code, const char *message)
{
    g->status = status;
    g->code = code;
    g->message = message;
}

/* The route for method and path; on a miss, 404 (no such path) or 405
 * (the path exists for another method). */
static void web_gate_route(const char *method, const char *path, struct web_gate *g)
{
    bool path_known = false;
    for (size_t i = 0; i < web_route_count; i++) {
        const struct web_route *r = &web_routes[i];
        size_t n = strlen(r->path);
        bool hit = r->prefix ? strncmp(path, r->path, n) == 0 && path[n] != '\0'
                             : strcmp(path, r->path) == 0;
        if (!hit)
            continue;
        path_known = true;
        if (strcmp(method, r->method) == 0) {
            g->route = r;
            g->rest = r->prefix ? path + n : NULL;
            return;
        }
    }
    if (path_known)
        web_refuse(g, 405, "method", "this path does not take that method");
    else
        web_refuse(g, 404, "not-found", "no such API path");
}

void web_gate(const char *method, const char *path, bool session_ok,
              const char *csrf_header, const char *session_csrf, struct web_gate *g)
{
    memset(g, 0, sizeof(*g));
    web_gate_route(method, path, g);
    if (g->status)
        return;
    if (g->route->needs_session && !session_ok) {
        web_refuse(g, 401, "denied", "not logged in (or the session has expired)");
        return;
    }
    /* Login takes no token (there is no session yet); SameSite=Strict and
     * the JSON body keep other sites from logging a browser in. */
    if (g->route->needs_session && web_method_changes(method) &&
        !web_token_equal(csrf_header, session_csrf)) {
        web_refuse(g, 403, "csrf", "missing or wrong X-CSRF-Token header");
        return;
    }
    if (g->route->handler == WEB_H_UPLOAD && (!image_name_valid(g->rest) ||
                                              strstr(g->rest, ".part."))) {
        web_refuse(g, 400, "invalid", "not an image name (letters, digits, . _ - +; "
                                      "not starting with '.')");
        return;
    }
    if (g->route->handler == WEB_H_CMD) {
        g->command = web_command_find(g->rest);
        if (!g->command)
            web_refuse(g, 404, "unknown-command", "no such command");
        else if (!g->command->read_only && !web_method_changes(method))
            web_refuse(g, 405, "method", "this command changes things: use POST");
    }
}

int web_status_for_code(const char *code)
{
    static const struct {
        const char *code;
        int status;
    } map[] = {
        { "bad-request", 400 }, { "bad-version", 400 }, { "invalid", 400 },
        { "too-large", 413 },   { "unknown-command", 404 }, { "not-found", 404 },
        { "exists", 409 },      { "wrong-state", 409 },  { "no-memory", 409 },
        { "io-error", 500 },    { "internal", 500 },
    };
    for (size_t i = 0; code && i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].code, code) == 0)
            return map[i].status;
    }
    return 500;
}

/* ---- arguments ------------------------------------------------------------ */

/* Decodes len bytes of a query component into out (NUL terminated).
 * -EINVAL on a bad %XX, a NUL byte or a value too long for out. */
static int web_query_decode(const char *in, size_t len, char *out, size_t out_len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (len - i < 3)
                return -EINVAL;
            int hi = hex_digit_value(in[i + 1]), lo = hex_digit_value(in[i + 2]);
            if (hi < 0 || lo < 0)
                return -EINVAL;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c == '\0' || n + 1 >= out_len)
            return -EINVAL;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 0;
}

/* The query keys the API knows, and whether each is a number. */
static const struct {
    const char *key;
    bool number;
} web_query_keys[] = {
    { "name", false }, { "disk", false }, { "bytes", true }, { "lines", true },
};

/* One key=value; seen has a bit per key of web_query_keys given before (a
 * repeated key would make an object corrald refuses). */
static int web_query_pair(const char *pair, size_t len, struct json_writer *w,
                          unsigned *seen, char *why, size_t why_len)
{
    const char *eq = memchr(pair, '=', len);
    char key[16], value[1024];
    if (!eq || web_query_decode(pair, (size_t)(eq - pair), key, sizeof(key)) < 0 ||
        web_query_decode(eq + 1, len - (size_t)(eq - pair) - 1, value, sizeof(value)) < 0) {
        snprintf(why, why_len, "bad query parameter (key=value, percent-encoded)");
        return -EINVAL;
    }
    for (size_t i = 0; i < sizeof(web_query_keys) / sizeof(web_query_keys[0]); i++) {
        if (strcmp(web_query_keys[i].key, key) != 0)
            continue;
        if (*seen & (1u << i)) {
            snprintf(why, why_len, "query parameter %s given twice", key);
            return -EINVAL;
        }
        *seen |= 1u << i;
        if (!web_query_keys[i].number) {
            json_kv_string(w, key, value);
            return 0;
        }
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (!value[0] || *end || errno || v < 0 || value[0] == '-' || value[0] == '+' ||
            value[0] == ' ') {
            snprintf(why, why_len, "query parameter %s: not a number", key);
            return -EINVAL;
        }
        json_kv_int(w, key, v);
        return 0;
    }
    snprintf(why, why_len, "unknown query parameter '%.16s'", key);
    return -EINVAL;
}

int web_query_args(const char *query, struct json_writer *w, char *why, size_t why_len)
{
    const char *p = query;
    unsigned seen = 0;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > 0 && web_query_pair(p, len, w, &seen, why, why_len) < 0)
            return -EINVAL;
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

int web_body_args(const char *body, size_t len, struct json_writer *w, char *why,
                  size_t why_len)
{
    struct json_doc doc;
    char reason[128];
    if (len == 0)
        return 0;
    int rc = json_parse(body, len, &doc, reason, sizeof(reason));
    if (rc == 0 && json_root(&doc)->type != JSON_OBJECT) {
        snprintf(reason, sizeof(reason), "not an object");
        rc = -EINVAL;
    }
    if (rc < 0) {
        snprintf(why, why_len, "the body is not a JSON object: %s", reason);
        json_doc_free(&doc);
        return -EINVAL;
    }
    const struct json_node *root = json_root(&doc);
    for (const struct json_node *m = json_first(&doc, root); m; m = json_next(&doc, m)) {
        json_key(w, m->key);
        json_node(w, &doc, m);
    }
    json_doc_free(&doc);
    return 0;
}

bool web_origin_matches(const char *origin, const char *host)
{
    static const char scheme[] = "https://";
    if (!origin || !host || !host[0] || strncmp(origin, scheme, sizeof(scheme) - 1) != 0)
        return false;
    return strcmp(origin + sizeof(scheme) - 1, host) == 0;
}

void web_host_name(const char *header, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    if (!header || len == 0)
        return;
    bool bracket = header[0] == '[';
    for (const char *p = header; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || (bracket && (c == ':' || c == '[' || c == ']'));
        if (!bracket && c == ':')
            break;
        if (!ok || n + 1 >= len) {
            out[0] = '\0';
            return;
        }
        out[n++] = c;
        if (bracket && c == ']')
            break;
    }
    out[n] = '\0';
}

/* RFC 3986 pchar and '/': the bytes a path may carry unencoded. */
static bool web_path_char_plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("-._~/!$&'()*+,;=:@", c));
}

static bool web_query_printable(const char *query)
{
    for (const char *p = query; *p; p++) {
        if (*p <= ' ' || *p >= 0x7f)
            return false;
    }
    return true;
}

void web_redirect_target(const char *path, const char *query, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    if (len < 2)
        return;
    snprintf(out, len, "/");
    if (!path || path[0] != '/')
        return;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (n + 4 > len) {
            snprintf(out, len, "/");
            return;
        }
        if (web_path_char_plain(*p)) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
    if (query && query[0] && web_query_printable(query) && n + 1 + strlen(query) < len)
        snprintf(out + n, len - n, "?%s", query);
}

/* ---- listing -------------------------------------------------------------- */

void web_routes_print(FILE *out)
{
    for (size_t i = 0; i < web_route_count; i++) {
        const struct web_route *r = &web_routes[i];
        if (r->handler != WEB_H_CMD) {
            fprintf(out, "%s %s%s\n", r->method, r->path, r->prefix ? "X" : "");
            continue;
        }
        for (size_t c = 0; c < web_command_count; c++) {
            if (strcmp(r->method, "GET") != 0 || web_commands[c].read_only)
                fprintf(out, "%s %s%s\n", r->method, r->path, web_commands[c].cmd);
        }
    }
}
