/* srv_import: POST /api/cmd/image.import - runs the CLI's import (see
 * web_import.h) and answers in corrald's shape (see srv.h). */
#include "srv.h"

#include "proto.h"
#include "runcmd.h"
#include "web_import.h"
#include "web_route.h"

#include <civetweb.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define SRV_IMPORT_TIMEOUT_MS (2 * 60 * 60 * 1000) /* a DVD image on a slow link */

/* The CLI's --json output (its last line: the data, or {"error":{...}})
 * as a reply. */
static void srv_import_reply(struct mg_connection *conn, int exit_status, const char *out)
{
    const char *last = out, *nl;
    while ((nl = strchr(last, '\n')) && nl[1])
        last = nl + 1;
    struct json_doc doc;
    char why[128];
    if (json_parse(last, strcspn(last, "\n"), &doc, why, sizeof(why)) != 0 ||
        json_root(&doc)->type != JSON_OBJECT) {
        json_doc_free(&doc);
        srv_send_error(conn, 500, "", "internal", "corral image import said nothing usable");
        return;
    }
    const struct json_node *root = json_root(&doc), *err = json_get(&doc, root, "error");
    struct json_writer w;
    json_writer_init(&w, 1 << 16);
    json_begin_object(&w);
    json_kv_int(&w, "v", PROTO_VERSION);
    json_kv_bool(&w, "ok", exit_status == 0 && !err);
    json_key(&w, exit_status == 0 && !err ? "data" : "error");
    json_node(&w, &doc, exit_status == 0 && !err ? root : err ? err : root);
    json_end_object(&w);
    const char *code = err ? json_get_string(&doc, err, "code") : NULL;
    int status = exit_status == 0 && !err ? 200 : web_status_for_code(code);
    const char *text = json_writer_text(&w);
    srv_send_json(conn, text ? status : 500, "", text ? text : "{}");
    json_writer_free(&w);
    json_doc_free(&doc);
}

void srv_import(struct mg_connection *conn, const char *addr, const char *body, size_t len)
{
    struct web_import imp;
    char why[256];
    if (web_import_parse(body, len, &imp, why, sizeof(why)) < 0) {
        srv_send_error(conn, 400, "", "invalid", why);
        return;
    }
    syslog(LOG_NOTICE, "image.import from %s: %s as %s", addr, imp.url,
           imp.name[0] ? imp.name : "(its own name)");
    char *out = malloc(65536);
    struct run_request r = { .argv = imp.argv, .out = out, .len = 65536,
                             .timeout_ms = SRV_IMPORT_TIMEOUT_MS, .keep_tail = true };
    int rc = out ? run_request(&r) : -1;
    if (rc < 0)
        srv_send_error(conn, 502, "", "io-error", "corral image import did not run");
    else
        srv_import_reply(conn, rc, out);
    free(out);
}
