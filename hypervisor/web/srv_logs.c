/* srv_logs: GET /api/logs - BusyBox's logread (the system log's ring in
 * memory), searched by web_logs (see srv.h). */
#include "srv.h"

#include "runcmd.h"
#include "web_logs.h"

#include <civetweb.h>
#include <stdlib.h>
#include <string.h>

#define SRV_LOG_MAX (1024 * 1024)

void srv_logs(struct mg_connection *conn)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *query = ri->query_string ? ri->query_string : "";
    char q[256] = "", lines_text[16] = "";
    if (mg_get_var(query, strlen(query), "q", q, sizeof(q)) == -2 ||
        mg_get_var(query, strlen(query), "lines", lines_text, sizeof(lines_text)) == -2) {
        srv_send_error(conn, 400, "", "invalid", "q or lines is too long");
        return;
    }
    long lines = web_logs_lines(lines_text);
    if (lines < 0) {
        srv_send_error(conn, 400, "", "invalid", "lines: a number from 1 to 5000");
        return;
    }
    const char *argv[] = { "logread", NULL };
    char *out = malloc(SRV_LOG_MAX);
    struct run_request r = { .argv = argv, .out = out, .len = SRV_LOG_MAX,
                             .timeout_ms = 5000, .keep_tail = true };
    int rc = out ? run_request(&r) : -1;
    if (rc != 0) {
        srv_send_error(conn, 502, "", "io-error", "logread did not run");
        free(out);
        return;
    }
    struct json_writer w;
    json_writer_init(&w, 8 * SRV_LOG_MAX);
    web_logs_write(out, strlen(out), q, (size_t)lines, &w);
    const char *text = json_writer_text(&w);
    srv_send_json(conn, text ? 200 : 500, "", text ? text : "{}");
    json_writer_free(&w);
    free(out);
}
