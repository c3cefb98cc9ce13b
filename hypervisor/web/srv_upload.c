/* srv_upload: PUT /api/images/<name> - the body, Content-Length bytes, is
 * streamed to corrald's image.upload, which keeps it under a temporary
 * name and renames it only once complete: a browser that gives up half way
 * leaves nothing behind (see srv.h). */
#include "srv.h"

#include "fdio.h"
#include "proto.h"
#include "web_corrald.h"
#include "web_route.h"

#include <civetweb.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* corrald's reply as the HTTP reply, with the status its code calls for. */
static void srv_upload_reply(struct mg_connection *conn, const char *reply, size_t len)
{
    struct proto_reply rep;
    char why[200];
    int status = 502;
    if (proto_decode_reply(reply, len, &rep, why, sizeof(why)) == 0)
        status = rep.ok ? 200 : web_status_for_code(rep.error_code);
    proto_reply_free(&rep);
    srv_send_json(conn, status, "", reply);
}

/* Copies the body to fd; 0 when all of it went, else -1 (the browser went
 * away: -EPIPE; corrald refused more: -EIO). */
static int srv_upload_copy(struct mg_connection *conn, int fd, long long size)
{
    static __thread char buf[64 * 1024];
    long long left = size;
    while (left > 0) {
        int n = mg_read(conn, buf, left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));
        if (n <= 0)
            return -EPIPE;
        if (fdio_write_all(fd, buf, (size_t)n) < 0)
            return -EIO;
        left -= n;
    }
    return 0;
}

void srv_upload(struct srv *s, struct mg_connection *conn, const struct web_gate *g,
                const char *addr)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    char why[256], *reply = NULL, *rest = NULL;
    size_t len, rest_len;
    int fd = -1;
    if (ri->content_length < 0) {
        srv_send_error(conn, 411, "", "invalid", "an upload needs a Content-Length");
        return;
    }
    struct json_writer w;
    json_writer_init(&w, 4096);
    proto_begin_request(&w, "image.upload");
    json_kv_string(&w, "name", g->rest);
    json_kv_int(&w, "size", ri->content_length);
    proto_end_request(&w);
    int rc = web_corrald_call(s->opt.socket_path, &w, &reply, &len, &fd, &rest, &rest_len,
                              why, sizeof(why));
    json_writer_free(&w);
    free(rest); /* corrald sends nothing more before the upload */
    if (rc < 0) {
        srv_send_error(conn, 502, "", "io-error", why);
        return;
    }
    if (!strstr(reply, "\"ready\":true")) { /* refused: exists, bad name... */
        srv_upload_reply(conn, reply, len);
        free(reply);
        close(fd);
        return;
    }
    free(reply);
    syslog(LOG_NOTICE, "image upload %s (%lld bytes) from %s", g->rest, ri->content_length,
           addr);
    rc = srv_upload_copy(conn, fd, ri->content_length);
    if (rc == -EPIPE) {
        syslog(LOG_WARNING, "image upload %s from %s aborted: nothing kept", g->rest, addr);
        close(fd); /* corrald drops the temporary file */
        return;
    }
    /* complete, or corrald stopped taking it (its reply says why) */
    if (web_corrald_read_reply(fd, &reply, &len, why, sizeof(why)) == 0)
        srv_upload_reply(conn, reply, len);
    else
        srv_send_error(conn, 502, "", "io-error", why);
    free(reply);
    close(fd);
}
