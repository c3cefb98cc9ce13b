/* libFuzzer: corral-web's request parsing - the gate (method, path, token),
 * the Cookie header, the query string, the JSON body and the Host and
 * Origin headers, image.import's body.  The input is split at '\n' into those fields.  Checks:
 * no crash, no over-read, a request let through without a session is a
 * login, one that changes something without the right token never passes,
 * and the arguments written are always a JSON object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/web/web_cookie.h"
#include "../../hypervisor/web/web_import.h"
#include "../../hypervisor/web/web_route.h"
#include "../../hypervisor/web/web_session.h"
#include "../../lib/json.h"

#define FIELDS 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_args_object(struct json_writer *w)
{
    const char *text = json_writer_text(w);
    struct json_doc doc;
    char why[64];
    if (!text)
        return;
    if (json_parse(text, strlen(text), &doc, why, sizeof(why)) != 0 ||
        json_root(&doc)->type != JSON_OBJECT)
        abort();
    json_doc_free(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char token[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    char *copy = malloc(size + 1), *field[FIELDS];
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *p = copy;
    for (int i = 0; i < FIELDS; i++) {
        field[i] = p;
        p = p ? strchr(p, '\n') : NULL;
        if (p)
            *p++ = '\0';
        if (!field[i])
            field[i] = "";
    }
    const char *method = field[0], *path = field[1], *cookie = field[2], *csrf = field[3];
    const char *query = field[4], *host = field[5], *body = field[6];

    struct web_gate g;
    for (int session = 0; session < 2; session++) {
        web_gate(method, path, session, csrf, token, &g);
        if (g.status == 0 && !session && g.route->handler != WEB_H_LOGIN)
            abort();
        if (g.status == 0 && session && g.route->needs_session && web_method_changes(method) &&
            strcmp(csrf, token) != 0)
            abort();
        if (g.status == 0 && g.route->handler == WEB_H_CMD && !g.command)
            abort();
    }

    char value[80], name[64];
    if (web_cookie_get(cookie, WEB_COOKIE_NAME, value, sizeof(value)) == 0 &&
        strlen(value) >= sizeof(value))
        abort();
    web_host_name(host, name, sizeof(name));
    web_origin_matches(cookie, host);
    char target[64];
    web_redirect_target(path, cookie, target, sizeof(target));
    /* a Location header's path: absolute, and nothing a header could end on */
    if (target[0] != '/')
        abort();
    for (const char *t = target; *t; t++)
        if (*t <= ' ' || *t >= 0x7f)
            abort();

    struct json_writer w;
    char why[160];
    json_writer_init(&w, 1 << 16);
    json_begin_object(&w);
    if (web_query_args(query, &w, why, sizeof(why)) == 0) {
        json_end_object(&w);
        check_args_object(&w);
    }
    json_writer_free(&w);
    json_writer_init(&w, 1 << 20);
    json_begin_object(&w);
    if (web_body_args(body, strlen(body), &w, why, sizeof(why)) == 0) {
        json_end_object(&w);
        check_args_object(&w);
    }
    json_writer_free(&w);
    struct web_import imp;
    if (web_import_parse(body, strlen(body), &imp, why, sizeof(why)) == 0 &&
        (strncmp(imp.argv[4], "http", 4) != 0 || strlen(imp.argv[6]) != 64))
        abort();
    free(copy);
    return 0;
}
