/* proto: corrald's control protocol codec and framing (see proto.h). */
#include "proto.h"
#include "clock.h"
#include "fdio.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *proto_socket_path(void)
{
    const char *env = getenv(PROTO_SOCKET_ENV);
    return env && env[0] ? env : PROTO_SOCKET_PATH;
}

/* ---- requests ------------------------------------------------------------- */

static int proto_refuse(const char **code, const char *what, char *why,
                        size_t why_len, const char *reason)
{
    *code = what;
    snprintf(why, why_len, "%s", reason);
    return -EINVAL;
}

/* Checks {"v": PROTO_VERSION, ...} around a parsed message. */
static int proto_check_envelope(const struct json_doc *doc, const char **code,
                                char *why, size_t why_len)
{
    const struct json_node *root = json_root(doc);
    int64_t version;
    if (root->type != JSON_OBJECT)
        return proto_refuse(code, PROTO_E_BAD_REQUEST, why, why_len,
                            "a message is a JSON object");
    if (!json_get_int(doc, root, "v", &version))
        return proto_refuse(code, PROTO_E_BAD_REQUEST, why, why_len,
                            "missing protocol version \"v\"");
    if (version != PROTO_VERSION) {
        *code = PROTO_E_VERSION;
        snprintf(why, why_len, "protocol version %lld not supported (this is %d)",
                 (long long)version, PROTO_VERSION);
        return -EINVAL;
    }
    return 0;
}

int proto_decode_request(const char *line, size_t len, struct proto_request *req,
                         const char **code, char *why, size_t why_len)
{
    memset(req, 0, sizeof(*req));
    if (len > PROTO_MAX_REQUEST)
        return proto_refuse(code, PROTO_E_TOO_LARGE, why, why_len,
                            "request too large");
    int rc = json_parse(line, len, &req->doc, why, why_len);
    if (rc < 0) {
        *code = rc == -ENOMEM ? PROTO_E_INTERNAL : PROTO_E_BAD_REQUEST;
        return -EINVAL;
    }
    rc = proto_check_envelope(&req->doc, code, why, why_len);
    if (rc < 0)
        return rc;
    const struct json_node *root = json_root(&req->doc);
    req->cmd = json_get_string(&req->doc, root, "cmd");
    if (!req->cmd || !req->cmd[0])
        return proto_refuse(code, PROTO_E_BAD_REQUEST, why, why_len,
                            "missing command \"cmd\"");
    req->args = json_get(&req->doc, root, "args");
    if (req->args && req->args->type != JSON_OBJECT)
        return proto_refuse(code, PROTO_E_BAD_REQUEST, why, why_len,
                            "\"args\" must be an object");
    return 0;
}

void proto_request_free(struct proto_request *req)
{
    json_doc_free(&req->doc);
}

const struct json_node *proto_arg(const struct proto_request *req, const char *key)
{
    return json_get(&req->doc, req->args, key);
}

const char *proto_arg_string(const struct proto_request *req, const char *key)
{
    return json_get_string(&req->doc, req->args, key);
}

bool proto_arg_int(const struct proto_request *req, const char *key, long long *out)
{
    int64_t v;
    if (!json_get_int(&req->doc, req->args, key, &v))
        return false;
    *out = v;
    return true;
}

bool proto_arg_bool(const struct proto_request *req, const char *key, bool *out)
{
    return json_get_bool(&req->doc, req->args, key, out);
}

void proto_begin_request(struct json_writer *w, const char *cmd)
{
    json_begin_object(w);
    json_kv_int(w, "v", PROTO_VERSION);
    json_kv_string(w, "cmd", cmd);
    json_key(w, "args");
    json_begin_object(w);
}

void proto_end_request(struct json_writer *w)
{
    json_end_object(w);
    json_end_object(w);
}

/* ---- replies -------------------------------------------------------------- */

static void proto_begin_envelope(struct json_writer *w, bool ok)
{
    json_begin_object(w);
    json_kv_int(w, "v", PROTO_VERSION);
    json_kv_bool(w, "ok", ok);
}

void proto_begin_reply(struct json_writer *w)
{
    proto_begin_envelope(w, true);
    json_key(w, "data");
}

void proto_end_reply(struct json_writer *w)
{
    json_end_object(w);
}

void proto_error_reply(struct json_writer *w, const char *code,
                       const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    proto_begin_envelope(w, false);
    json_key(w, "error");
    json_begin_object(w);
    json_kv_string(w, "code", code);
    json_kv_string(w, "message", message);
    json_end_object(w);
    json_end_object(w);
}

int proto_decode_reply(const char *line, size_t len, struct proto_reply *rep,
                       char *why, size_t why_len)
{
    memset(rep, 0, sizeof(*rep));
    const char *code;
    int rc = json_parse(line, len, &rep->doc, why, why_len);
    if (rc < 0)
        return rc;
    rc = proto_check_envelope(&rep->doc, &code, why, why_len);
    if (rc < 0)
        return rc;
    const struct json_node *root = json_root(&rep->doc);
    if (!json_get_bool(&rep->doc, root, "ok", &rep->ok)) {
        snprintf(why, why_len, "reply without \"ok\"");
        return -EINVAL;
    }
    if (rep->ok) {
        rep->data = json_get(&rep->doc, root, "data");
        return 0;
    }
    const struct json_node *err = json_get(&rep->doc, root, "error");
    rep->error_code = json_get_string(&rep->doc, err, "code");
    rep->error_message = json_get_string(&rep->doc, err, "message");
    if (!rep->error_code || !rep->error_message) {
        snprintf(why, why_len, "error reply without code and message");
        return -EINVAL;
    }
    return 0;
}

void proto_reply_free(struct proto_reply *rep)
{
    json_doc_free(&rep->doc);
}

/* ---- framing -------------------------------------------------------------- */

int proto_linebuf_init(struct proto_linebuf *lb, size_t max)
{
    memset(lb, 0, sizeof(*lb));
    lb->max = max + 1; /* the line and its '\n' */
    lb->buf = malloc(lb->max + 1);
    return lb->buf ? 0 : -ENOMEM;
}

void proto_linebuf_free(struct proto_linebuf *lb)
{
    free(lb->buf);
    memset(lb, 0, sizeof(*lb));
}

/* Forgets the line handed out by the last take. */
static void proto_linebuf_drop_taken(struct proto_linebuf *lb)
{
    if (!lb->taken)
        return;
    memmove(lb->buf, lb->buf + lb->taken, lb->len - lb->taken);
    lb->len -= lb->taken;
    lb->taken = 0;
}

void proto_linebuf_reset(struct proto_linebuf *lb)
{
    lb->len = 0;
    lb->taken = 0;
}

int proto_linebuf_append(struct proto_linebuf *lb, const char *data, size_t n)
{
    proto_linebuf_drop_taken(lb);
    if (n > lb->max - lb->len)
        return -EMSGSIZE;
    memcpy(lb->buf + lb->len, data, n);
    lb->len += n;
    return 0;
}

long proto_linebuf_read(struct proto_linebuf *lb, int fd)
{
    proto_linebuf_drop_taken(lb);
    if (lb->len == lb->max)
        return -EMSGSIZE;
    for (;;) {
        ssize_t n = read(fd, lb->buf + lb->len, lb->max - lb->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        lb->len += (size_t)n;
        return (long)n;
    }
}

char *proto_linebuf_take(struct proto_linebuf *lb, size_t *len)
{
    proto_linebuf_drop_taken(lb);
    char *nl = memchr(lb->buf, '\n', lb->len);
    if (!nl)
        return NULL;
    *nl = '\0';
    *len = (size_t)(nl - lb->buf);
    lb->taken = *len + 1;
    return lb->buf;
}

const char *proto_linebuf_rest(struct proto_linebuf *lb, size_t *len)
{
    proto_linebuf_drop_taken(lb);
    *len = lb->len;
    return lb->buf;
}

int proto_send_line(int fd, const char *text, size_t len)
{
    int rc = fdio_write_all(fd, text, len);
    return rc < 0 ? rc : fdio_write_all(fd, "\n", 1);
}

int proto_wait_readable(int fd, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - clock_monotonic_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return 0; /* readable, or hung up: the read says which */
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}
