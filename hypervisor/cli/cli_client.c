/* cli_client: one request, one reply over corrald's socket. */
#include "cli.h"
#include "clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int cli_connect(const struct cli *cli, char *why, size_t why_len)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(cli->socket_path) >= sizeof(addr.sun_path)) {
        snprintf(why, why_len, "%s: path too long", cli->socket_path);
        return -ENAMETOOLONG;
    }
    strcpy(addr.sun_path, cli->socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = errno;
        snprintf(why, why_len, "cannot reach corrald at %s: %s%s", cli->socket_path,
                 strerror(err),
                 err == ENOENT || err == ECONNREFUSED
                     ? " (corrald is down: init starts it again within seconds; "
                       "`logread | grep corrald` says why it stopped)" : "");
        if (fd >= 0)
            close(fd);
        return -err;
    }
    return fd;
}

int cli_exchange(int fd, struct json_writer *w, struct proto_reply *rep,
                 struct proto_linebuf *rest, char *why, size_t why_len)
{
    const char *text = json_writer_text(w);
    struct proto_linebuf own, *lb = rest ? rest : &own;
    memset(rep, 0, sizeof(*rep));
    if (!text) {
        snprintf(why, why_len, "request too large");
        return -E2BIG;
    }
    int rc = proto_send_line(fd, text, strlen(text));
    if (rc < 0) {
        snprintf(why, why_len, "sending to corrald: %s", strerror(-rc));
        return rc;
    }
    if (proto_linebuf_init(lb, PROTO_MAX_REPLY) < 0)
        return -ENOMEM;
    char *line;
    size_t len;
    int64_t deadline = clock_monotonic_ms() + PROTO_REPLY_TIMEOUT_S * 1000;
    while (!(line = proto_linebuf_take(lb, &len))) {
        rc = proto_wait_readable(fd, deadline);
        if (rc < 0) {
            if (rc == -ETIMEDOUT)
                snprintf(why, why_len, PROTO_REPLY_TIMEOUT_TEXT, PROTO_REPLY_TIMEOUT_S);
            else
                snprintf(why, why_len, "waiting for corrald: %s", strerror(-rc));
            break;
        }
        long n = proto_linebuf_read(lb, fd);
        if (n <= 0) {
            snprintf(why, why_len, "corrald closed the connection without a reply%s%s",
                     n < 0 ? ": " : "", n < 0 ? strerror((int)-n) : "");
            rc = n < 0 ? (int)n : -EPIPE;
            break;
        }
    }
    if (line)
        rc = proto_decode_reply(line, len, rep, why, why_len);
    if (!rest || rc < 0)
        proto_linebuf_free(lb);
    return rc;
}

int cli_call(const struct cli *cli, struct json_writer *w, struct proto_reply *rep,
             char *why, size_t why_len)
{
    /* Callers free the reply on every path, also when no reply came. */
    memset(rep, 0, sizeof(*rep));
    int fd = cli_connect(cli, why, why_len);
    if (fd < 0)
        return fd;
    int rc = cli_exchange(fd, w, rep, NULL, why, why_len);
    close(fd);
    return rc;
}

int cli_fail(const struct cli *cli, const char *code, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (!cli->json) {
        fprintf(stderr, "corral: %s\n", message);
        return 1;
    }
    struct json_writer w;
    json_writer_init(&w, 4096);
    json_begin_object(&w);
    json_key(&w, "error");
    json_begin_object(&w);
    json_kv_string(&w, "code", code);
    json_kv_string(&w, "message", message);
    json_end_object(&w);
    json_end_object(&w);
    puts(json_writer_text(&w));
    json_writer_free(&w);
    return 1;
}

int cli_print_reply(const struct cli *cli, const struct proto_reply *rep,
                    void (*human)(const struct proto_reply *rep))
{
    if (!rep->ok)
        return cli_fail(cli, rep->error_code, "%s", rep->error_message);
    if (!cli->json) {
        if (human)
            human(rep);
        return 0;
    }
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REPLY);
    if (rep->data)
        json_node(&w, &rep->doc, rep->data);
    else
        json_null(&w);
    puts(json_writer_text(&w));
    json_writer_free(&w);
    return 0;
}
