/* corral-web's logic: sessions and tokens, the cookie, login rate
 * limiting, and the request gate and argument decoding, with hostile input
 * (forged and missing cookies and tokens, bad JSON, oversized values,
 * path tricks). */
#include "check.h"

#include "../../hypervisor/web/web_cookie.h"
#include "../../hypervisor/web/web_history.h"
#include "../../hypervisor/web/web_import.h"
#include "../../hypervisor/web/web_logs.h"
#include "../../hypervisor/web/web_ratelimit.h"
#include "../../hypervisor/web/web_route.h"
#include "../../hypervisor/web/web_session.h"

#include <errno.h>
#include <stdlib.h>

/* Deterministic "random" bytes (xorshift32), so that runs repeat. */
static unsigned fake_state = 2463534242u;
static int fake_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) {
        fake_state ^= fake_state << 13;
        fake_state ^= fake_state >> 17;
        fake_state ^= fake_state << 5;
        p[i] = (unsigned char)fake_state;
    }
    return 0;
}

static int failing_random(void *buf, size_t n)
{
    (void)buf;
    (void)n;
    return -EAGAIN;
}

static struct web_sessions sessions;

static void test_session_lifecycle(void)
{
    char id[WEB_TOKEN_HEX + 1], csrf[WEB_TOKEN_HEX + 1], got[WEB_TOKEN_HEX + 1];
    web_sessions_init(&sessions, fake_random);
    CHECK_EQ_INT(web_sessions_create(&sessions, 1000, id, csrf), 0);
    CHECK(web_token_valid(id));
    CHECK(web_token_valid(csrf));
    CHECK(strcmp(id, csrf) != 0);
    CHECK(web_sessions_check(&sessions, id, 1001, got));
    CHECK_EQ_STR(got, csrf);
    /* idle expiry, counted from the last use */
    CHECK(web_sessions_check(&sessions, id, 1000 + WEB_SESSION_IDLE_S - 1, NULL));
    CHECK(!web_sessions_check(&sessions, id, 1000 + 2 * WEB_SESSION_IDLE_S, NULL));
    /* absolute expiry even when used all the time */
    CHECK_EQ_INT(web_sessions_create(&sessions, 5000, id, csrf), 0);
    for (time_t t = 5000; t < 5000 + WEB_SESSION_MAX_S; t += WEB_SESSION_IDLE_S / 2)
        CHECK(web_sessions_check(&sessions, id, t, NULL));
    CHECK(!web_sessions_check(&sessions, id, 5000 + WEB_SESSION_MAX_S, NULL));
    /* a clock that went back does not revive or keep a session */
    CHECK_EQ_INT(web_sessions_create(&sessions, 9000, id, csrf), 0);
    CHECK(!web_sessions_check(&sessions, id, 8000, NULL));
    /* logout */
    CHECK_EQ_INT(web_sessions_create(&sessions, 20000, id, csrf), 0);
    web_sessions_destroy(&sessions, id);
    CHECK(!web_sessions_check(&sessions, id, 20001, NULL));
}

static void test_session_forged_ids(void)
{
    char id[WEB_TOKEN_HEX + 1], csrf[WEB_TOKEN_HEX + 1], forged[WEB_TOKEN_HEX + 2];
    web_sessions_init(&sessions, fake_random);
    CHECK_EQ_INT(web_sessions_create(&sessions, 100, id, csrf), 0);
    CHECK(!web_sessions_check(&sessions, NULL, 100, NULL));
    CHECK(!web_sessions_check(&sessions, "", 100, NULL));
    CHECK(!web_sessions_check(&sessions, csrf, 100, NULL)); /* the token is no id */
    memcpy(forged, id, sizeof(id));
    forged[0] = forged[0] == 'a' ? 'b' : 'a';
    CHECK(!web_sessions_check(&sessions, forged, 100, NULL));
    memcpy(forged, id, sizeof(id));
    forged[WEB_TOKEN_HEX - 1] = '\0'; /* a prefix */
    CHECK(!web_sessions_check(&sessions, forged, 100, NULL));
    memcpy(forged, id, WEB_TOKEN_HEX);
    forged[WEB_TOKEN_HEX] = '0'; /* one longer */
    forged[WEB_TOKEN_HEX + 1] = '\0';
    CHECK(!web_sessions_check(&sessions, forged, 100, NULL));
    memcpy(forged, id, sizeof(id));
    for (char *p = forged; *p; p++)
        *p = (char)(*p >= 'a' ? *p - 32 : *p); /* upper case is another id */
    CHECK(!web_sessions_check(&sessions, forged, 100, NULL));
    /* an empty slot (all zero) never matches an empty or zero id */
    memset(forged, '0', WEB_TOKEN_HEX);
    forged[WEB_TOKEN_HEX] = '\0';
    CHECK(!web_sessions_check(&sessions, forged, 100, NULL));
    CHECK(web_sessions_check(&sessions, id, 100, NULL));
}

static void test_session_table_full(void)
{
    char first[WEB_TOKEN_HEX + 1], id[WEB_TOKEN_HEX + 1], csrf[WEB_TOKEN_HEX + 1];
    web_sessions_init(&sessions, fake_random);
    CHECK_EQ_INT(web_sessions_create(&sessions, 10, first, csrf), 0);
    for (int i = 0; i < WEB_SESSIONS_MAX; i++)
        CHECK_EQ_INT(web_sessions_create(&sessions, 20 + i, id, csrf), 0);
    CHECK_EQ_INT(web_sessions_count(&sessions, 100), WEB_SESSIONS_MAX);
    CHECK(!web_sessions_check(&sessions, first, 100, NULL)); /* the oldest went */
    CHECK(web_sessions_check(&sessions, id, 100, NULL));
    web_sessions_init(&sessions, failing_random);
    CHECK_EQ_INT(web_sessions_create(&sessions, 10, id, csrf), -EAGAIN);
    CHECK_EQ_INT(web_sessions_count(&sessions, 10), 0);
}

static void test_tokens(void)
{
    const char *t = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    CHECK(web_token_valid(t));
    CHECK(web_token_equal(t, t));
    CHECK(!web_token_equal(t, NULL));
    CHECK(!web_token_equal(NULL, NULL));
    CHECK(!web_token_equal("", ""));
    CHECK(!web_token_equal("abc", "abc"));
    CHECK(!web_token_valid("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
    CHECK(!web_token_valid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg"));
    CHECK(!web_token_valid(NULL));
    CHECK(web_bytes_equal("abc", "abd", 2));
    CHECK(!web_bytes_equal("abc", "abd", 3));
}

static void test_cookie_get(void)
{
    char out[80];
    CHECK_EQ_INT(web_cookie_get("corral_session=abc", "corral_session", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "abc");
    CHECK_EQ_INT(web_cookie_get("a=1; corral_session=xyz ; b=2", "corral_session", out,
                                sizeof(out)), 0);
    CHECK_EQ_STR(out, "xyz");
    CHECK_EQ_INT(web_cookie_get("xcorral_session=1; corral_session=2", "corral_session", out,
                                sizeof(out)), 0);
    CHECK_EQ_STR(out, "2");
    CHECK_EQ_INT(web_cookie_get("corral_session=1;corral_session=2", "corral_session", out,
                                sizeof(out)), 0);
    CHECK_EQ_STR(out, "1");
    CHECK_EQ_INT(web_cookie_get("corral_session=", "corral_session", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "");
    CHECK_EQ_INT(web_cookie_get(NULL, "corral_session", out, sizeof(out)), -ENOENT);
    CHECK_EQ_INT(web_cookie_get("", "corral_session", out, sizeof(out)), -ENOENT);
    CHECK_EQ_INT(web_cookie_get(";;; ;", "corral_session", out, sizeof(out)), -ENOENT);
    CHECK_EQ_INT(web_cookie_get("corral_session", "corral_session", out, sizeof(out)), -ENOENT);
    char big[400];
    memset(big, 'a', sizeof(big));
    memcpy(big, "corral_session=", 15);
    big[sizeof(big) - 1] = '\0';
    CHECK_EQ_INT(web_cookie_get(big, "corral_session", out, sizeof(out)), -E2BIG);
}

static void test_cookie_set(void)
{
    char out[256];
    CHECK_EQ_INT(web_cookie_set(out, sizeof(out), "abc", 60), 0);
    CHECK_EQ_STR(out, "corral_session=abc; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict");
    CHECK_EQ_INT(web_cookie_set(out, sizeof(out), NULL, 60), 0);
    CHECK_EQ_STR(out, "corral_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    CHECK_EQ_INT(web_cookie_set(out, 20, "abc", 60), -E2BIG);
}

static struct web_ratelimit rl;

static void test_ratelimit(void)
{
    web_ratelimit_init(&rl);
    for (int i = 1; i < WEB_RATE_FREE_FAILURES; i++)
        CHECK_EQ_INT(web_ratelimit_failed(&rl, "10.0.0.1", 100), 0);
    CHECK_EQ_INT(web_ratelimit_wait(&rl, "10.0.0.1", 100), 0);
    CHECK_EQ_INT(web_ratelimit_failed(&rl, "10.0.0.1", 100), WEB_RATE_BASE_S);
    CHECK_EQ_INT(web_ratelimit_wait(&rl, "10.0.0.1", 101), WEB_RATE_BASE_S - 1);
    CHECK_EQ_INT(web_ratelimit_wait(&rl, "10.0.0.2", 101), 0); /* per address */
    CHECK_EQ_INT(web_ratelimit_wait(&rl, "10.0.0.1", 100 + WEB_RATE_BASE_S), 0);
    CHECK_EQ_INT(web_ratelimit_failed(&rl, "10.0.0.1", 200), 2 * WEB_RATE_BASE_S);
    for (int i = 0; i < 30; i++)
        web_ratelimit_failed(&rl, "10.0.0.1", 300);
    CHECK_EQ_INT(web_ratelimit_wait(&rl, "10.0.0.1", 300), WEB_RATE_MAX_S);
    web_ratelimit_succeeded(&rl, "10.0.0.1");
    CHECK_EQ_INT(web_ratelimit_wait(&rl, "10.0.0.1", 300), 0);
    /* forgotten after a quiet hour */
    for (int i = 0; i < 10; i++)
        web_ratelimit_failed(&rl, "10.0.0.3", 1000);
    CHECK_EQ_INT(web_ratelimit_failed(&rl, "10.0.0.3", 1000 + WEB_RATE_FORGET_S), 0);
    /* a flood of addresses fills the table without breaking it */
    char addr[WEB_ADDR_MAX];
    for (int i = 0; i < 3 * WEB_RATE_ENTRIES; i++) {
        snprintf(addr, sizeof(addr), "192.168.%d.%d", i / 256, i % 256);
        web_ratelimit_failed(&rl, addr, 5000 + i);
    }
    char longaddr[200];
    memset(longaddr, '1', sizeof(longaddr) - 1);
    longaddr[sizeof(longaddr) - 1] = '\0';
    for (int i = 0; i < WEB_RATE_FREE_FAILURES; i++)
        web_ratelimit_failed(&rl, longaddr, 9000);
    CHECK(web_ratelimit_wait(&rl, longaddr, 9000) > 0);
}

static const char *token = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void gate(const char *method, const char *path, bool session, const char *csrf,
                 struct web_gate *g)
{
    web_gate(method, path, session, csrf, token, g);
}

static void test_gate_routes(void)
{
    struct web_gate g;
    gate("POST", "/api/login", false, NULL, &g);
    CHECK_EQ_INT(g.status, 0);
    CHECK_EQ_INT(g.route->handler, WEB_H_LOGIN);
    gate("GET", "/api/login", false, NULL, &g);
    CHECK_EQ_INT(g.status, 405);
    gate("GET", "/api/nothing", true, NULL, &g);
    CHECK_EQ_INT(g.status, 404);
    gate("GET", "/api/cmd/", true, NULL, &g);
    CHECK_EQ_INT(g.status, 404);
    gate("GET", "/api/cmd/vm.list", true, NULL, &g);
    CHECK_EQ_INT(g.status, 0);
    CHECK_EQ_STR(g.command->cmd, "vm.list");
    gate("GET", "/api/cmd/vm.list/../../etc/shadow", true, NULL, &g);
    CHECK_EQ_INT(g.status, 404);
    gate("GET", "/api/cmd/vm.console", true, NULL, &g);
    CHECK_EQ_INT(g.status, 404); /* a stream: only through /ws/console */
    gate("GET", "/api/cmd/vm.start", true, NULL, &g);
    CHECK_EQ_INT(g.status, 405); /* changes: POST only */
    gate("DELETE", "/api/cmd/vm.delete", true, token, &g);
    CHECK_EQ_INT(g.status, 405);
    gate("get", "/api/cmd/vm.list", true, NULL, &g);
    CHECK_EQ_INT(g.status, 405);
    /* uploads: the name is checked before anything is read or made */
    gate("PUT", "/api/images/debian.iso", true, token, &g);
    CHECK_EQ_INT(g.status, 0);
    CHECK_EQ_STR(g.rest, "debian.iso");
    const char *bad_names[] = { "../x", "..", ".hidden", "a/b", "a b", "x.iso.part.abc",
                                "%2e%2e", "" };
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), "/api/images/%s", bad_names[i]);
        gate("PUT", path, true, token, &g);
        CHECK(g.status == 400 || g.status == 404);
    }
    gate("PUT", "/api/images/debian.iso", true, NULL, &g);
    CHECK_EQ_INT(g.status, 403);
    gate("PUT", "/api/images/debian.iso", false, token, &g);
    CHECK_EQ_INT(g.status, 401);
}

static void test_gate_session_and_csrf(void)
{
    struct web_gate g;
    /* every route but login refuses a request without a session */
    for (size_t i = 0; i < web_route_count; i++) {
        const struct web_route *r = &web_routes[i];
        char path[128];
        snprintf(path, sizeof(path), "%s%s", r->path, r->prefix ? "vm.list" : "");
        gate(r->method, path, false, token, &g);
        if (r->handler == WEB_H_LOGIN)
            CHECK_EQ_INT(g.status, 0);
        else
            CHECK_EQ_INT(g.status, 401);
    }
    gate("POST", "/api/cmd/vm.start", true, NULL, &g);
    CHECK_EQ_INT(g.status, 403);
    CHECK_EQ_STR(g.code, "csrf");
    gate("POST", "/api/cmd/vm.start", true, "", &g);
    CHECK_EQ_INT(g.status, 403);
    gate("POST", "/api/cmd/vm.start", true,
         "00112233445566778899aabbccddeeff00112233445566778899aabbccddeefe", &g);
    CHECK_EQ_INT(g.status, 403);
    gate("POST", "/api/cmd/vm.start", true, token, &g);
    CHECK_EQ_INT(g.status, 0);
    gate("POST", "/api/logout", true, NULL, &g);
    CHECK_EQ_INT(g.status, 403);
    /* a read-only command by POST still needs the token */
    gate("POST", "/api/cmd/vm.list", true, NULL, &g);
    CHECK_EQ_INT(g.status, 403);
    /* the session has no token (should not happen): nothing matches it */
    web_gate("POST", "/api/cmd/vm.start", true, "", "", &g);
    CHECK_EQ_INT(g.status, 403);
}

static const char *args_of(int (*fn)(const char *, size_t, struct json_writer *, char *, size_t),
                           const char *in, char *why, size_t why_len, struct json_writer *w)
{
    json_writer_init(w, 4096);
    json_begin_object(w);
    int rc = fn(in, strlen(in), w, why, why_len);
    json_end_object(w);
    return rc == 0 ? json_writer_text(w) : NULL;
}

static int query_fn(const char *in, size_t len, struct json_writer *w, char *why, size_t wl)
{
    (void)len;
    return web_query_args(in, w, why, wl);
}

static void test_query_args(void)
{
    struct json_writer w;
    char why[160];
    CHECK_EQ_STR(args_of(query_fn, "name=web1&bytes=4096", why, sizeof(why), &w),
                 "{\"name\":\"web1\",\"bytes\":4096}");
    json_writer_free(&w);
    CHECK_EQ_STR(args_of(query_fn, "name=a%20b+c&&", why, sizeof(why), &w),
                 "{\"name\":\"a b c\"}");
    json_writer_free(&w);
    CHECK_EQ_STR(args_of(query_fn, "", why, sizeof(why), &w), "{}");
    json_writer_free(&w);
    const char *bad[] = { "name", "name=%", "name=%4", "name=%zz", "name=a%00b", "evil=1",
                          "bytes=-1", "bytes=12x", "bytes=", "bytes=99999999999999999999",
                          "lines=+5", "name=a&name=b", "name=a&bytes=1&name=a" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(args_of(query_fn, bad[i], why, sizeof(why), &w) == NULL);
        json_writer_free(&w);
    }
    char huge[3000];
    memset(huge, 'a', sizeof(huge));
    memcpy(huge, "name=", 5);
    huge[sizeof(huge) - 1] = '\0';
    CHECK(args_of(query_fn, huge, why, sizeof(why), &w) == NULL);
    json_writer_free(&w);
    /* a NULL query (no '?') is no arguments */
    json_writer_init(&w, 100);
    CHECK_EQ_INT(web_query_args(NULL, &w, why, sizeof(why)), 0);
    json_writer_free(&w);
}

static void test_body_args(void)
{
    struct json_writer w;
    char why[160];
    CHECK_EQ_STR(args_of(web_body_args, "{\"name\":\"w\",\"config\":[\"memory=1G\"]}", why,
                         sizeof(why), &w),
                 "{\"name\":\"w\",\"config\":[\"memory=1G\"]}");
    json_writer_free(&w);
    CHECK_EQ_STR(args_of(web_body_args, "", why, sizeof(why), &w), "{}");
    json_writer_free(&w);
    const char *bad[] = { "[]", "\"x\"", "{", "{\"a\":1,\"a\":2}", "{\"a\":1.5}", "nul",
                          "{\"a\":\"\\u0000\"}", "{} {}", "\xff" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(args_of(web_body_args, bad[i], why, sizeof(why), &w) == NULL);
        json_writer_free(&w);
    }
    /* deep nesting is refused by the parser, not recursed into */
    char deep[200];
    memset(deep, '[', sizeof(deep));
    memcpy(deep, "{\"a\":", 5);
    deep[sizeof(deep) - 1] = '\0';
    CHECK(args_of(web_body_args, deep, why, sizeof(why), &w) == NULL);
    json_writer_free(&w);
}

static void test_status_for_code(void)
{
    CHECK_EQ_INT(web_status_for_code("not-found"), 404);
    CHECK_EQ_INT(web_status_for_code("exists"), 409);
    CHECK_EQ_INT(web_status_for_code("invalid"), 400);
    CHECK_EQ_INT(web_status_for_code("something-new"), 500);
    CHECK_EQ_INT(web_status_for_code(NULL), 500);
}

static void test_origin_and_host(void)
{
    char host[64];
    CHECK(web_origin_matches("https://corral.lan", "corral.lan"));
    CHECK(web_origin_matches("https://10.0.0.5:8443", "10.0.0.5:8443"));
    CHECK(!web_origin_matches("http://corral.lan", "corral.lan"));
    CHECK(!web_origin_matches("https://evil.example", "corral.lan"));
    CHECK(!web_origin_matches("https://corral.lan.evil.example", "corral.lan"));
    CHECK(!web_origin_matches(NULL, "corral.lan"));
    CHECK(!web_origin_matches("https://", ""));
    web_host_name("corral.lan:80", host, sizeof(host));
    CHECK_EQ_STR(host, "corral.lan");
    web_host_name("[fe80::1]:80", host, sizeof(host));
    CHECK_EQ_STR(host, "[fe80::1]");
    web_host_name("evil.example\r\nSet-Cookie: x", host, sizeof(host));
    CHECK_EQ_STR(host, "");
    web_host_name(NULL, host, sizeof(host));
    CHECK_EQ_STR(host, "");
}

static void test_redirect_target(void)
{
    char out[32];
    web_redirect_target("/static/app.js", NULL, out, sizeof(out));
    CHECK_EQ_STR(out, "/static/app.js");
    web_redirect_target("/vms/web1", "tab=log&n=2", out, sizeof(out));
    CHECK_EQ_STR(out, "/vms/web1?tab=log&n=2");
    /* a decoded CR LF or space cannot end the header: encoded again */
    web_redirect_target("/a\r\nSet-Cookie: x", "", out, sizeof(out));
    CHECK_EQ_STR(out, "/a%0D%0ASet-Cookie:%20x");
    /* a query with a space or a control byte is dropped, the path kept */
    web_redirect_target("/vms", "a=b\r\nX: y", out, sizeof(out));
    CHECK_EQ_STR(out, "/vms");
    web_redirect_target("relative", "q=1", out, sizeof(out));
    CHECK_EQ_STR(out, "/");
    web_redirect_target(NULL, NULL, out, sizeof(out));
    CHECK_EQ_STR(out, "/");
    /* too long for the buffer: "/", never a cut path */
    web_redirect_target("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, out, sizeof(out));
    CHECK_EQ_STR(out, "/");
    web_redirect_target("/vms", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out, sizeof(out));
    CHECK_EQ_STR(out, "/vms");
}

static void test_routes_print(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    web_routes_print(f);
    fclose(f);
    CHECK(strstr(text, "POST /api/login\n") != NULL);
    CHECK(strstr(text, "GET /api/cmd/vm.list\n") != NULL);
    CHECK(strstr(text, "POST /api/cmd/vm.start\n") != NULL);
    CHECK(strstr(text, "GET /api/cmd/vm.start\n") == NULL);
    CHECK(strstr(text, "GET /ws/console/X\n") != NULL);
    free(text);
}

static struct web_history history;

static int add_info(int64_t t, const char *json)
{
    struct json_doc doc;
    char why[64];
    if (json_parse(json, strlen(json), &doc, why, sizeof(why)) != 0)
        return -99;
    int rc = web_history_add(&history, t, &doc, json_root(&doc));
    json_doc_free(&doc);
    return rc;
}

static void test_history(void)
{
    struct json_writer w;
    char info[400];
    web_history_init(&history);
    json_writer_init(&w, 1 << 20);
    web_history_write(&history, &w);
    CHECK_EQ_STR(json_writer_text(&w), "{\"interval_s\":10,\"samples\":[]}");
    json_writer_free(&w);
    CHECK_EQ_INT(add_info(1, "{}"), -EINVAL);
    CHECK_EQ_INT(add_info(1, "{\"memory_total_mib\":100,\"memory_available_mib\":200,"
                             "\"cpu_busy_ticks\":0,\"cpu_total_ticks\":0,"
                             "\"storage_total_bytes\":0,\"storage_used_bytes\":0}"), -EINVAL);
    for (int i = 0; i < WEB_HISTORY_SAMPLES + 5; i++) {
        snprintf(info, sizeof(info),
                 "{\"memory_total_mib\":1024,\"memory_available_mib\":256,"
                 "\"cpu_busy_ticks\":%d,\"cpu_total_ticks\":%d,"
                 "\"storage_total_bytes\":1000,\"storage_used_bytes\":%d}",
                 i * 25, i * 100, i);
        CHECK_EQ_INT(add_info(100 + 10 * i, info), 0);
    }
    json_writer_init(&w, 1 << 20);
    web_history_write(&history, &w);
    const char *text = json_writer_text(&w);
    struct json_doc doc;
    char why[64];
    CHECK_EQ_INT(json_parse(text, strlen(text), &doc, why, sizeof(why)), 0);
    const struct json_node *samples = json_get(&doc, json_root(&doc), "samples");
    CHECK_EQ_INT(samples->count, WEB_HISTORY_SAMPLES);
    const struct json_node *first = json_first(&doc, samples);
    int64_t v;
    CHECK(json_get_int(&doc, first, "t", &v) && v == 100 + 10 * 5); /* oldest kept */
    CHECK(json_get_int(&doc, first, "cpu_pct", &v) && v == 25);
    CHECK(json_get_int(&doc, first, "mem_used", &v) && v == 768LL << 20);
    CHECK(json_get_int(&doc, first, "storage_used", &v) && v == 5);
    json_doc_free(&doc);
    json_writer_free(&w);
}

static const char *logs_of(const char *text, const char *q, size_t lines, struct json_writer *w)
{
    json_writer_init(w, 1 << 16);
    web_logs_write(text, strlen(text), q, lines, w);
    return json_writer_text(w);
}

static void test_logs(void)
{
    struct json_writer w;
    const char *log = "a one\nb two\na three\nb four\n";
    CHECK_EQ_STR(logs_of(log, "", 10, &w), "{\"lines\":[\"a one\",\"b two\",\"a three\",\"b four\"]}");
    json_writer_free(&w);
    CHECK_EQ_STR(logs_of(log, "a ", 10, &w), "{\"lines\":[\"a one\",\"a three\"]}");
    json_writer_free(&w);
    CHECK_EQ_STR(logs_of(log, NULL, 2, &w), "{\"lines\":[\"a three\",\"b four\"]}");
    json_writer_free(&w);
    CHECK_EQ_STR(logs_of(log, "b", 1, &w), "{\"lines\":[\"b four\"]}");
    json_writer_free(&w);
    CHECK_EQ_STR(logs_of("no newline", "new", 5, &w), "{\"lines\":[\"no newline\"]}");
    json_writer_free(&w);
    CHECK_EQ_STR(logs_of("", "x", 5, &w), "{\"lines\":[]}");
    json_writer_free(&w);
    CHECK_EQ_STR(logs_of("x\n", "a very long search text", 5, &w), "{\"lines\":[]}");
    json_writer_free(&w);
    CHECK_EQ_INT(web_logs_lines(NULL), WEB_LOG_LINES_DEFAULT);
    CHECK_EQ_INT(web_logs_lines(""), WEB_LOG_LINES_DEFAULT);
    CHECK_EQ_INT(web_logs_lines("50"), 50);
    CHECK_EQ_INT(web_logs_lines("0"), -1);
    CHECK_EQ_INT(web_logs_lines("-5"), -1);
    CHECK_EQ_INT(web_logs_lines("5001"), -1);
    CHECK_EQ_INT(web_logs_lines(" 5"), -1);
    CHECK_EQ_INT(web_logs_lines("5x"), -1);
}

static void test_import_args(void)
{
    struct web_import imp;
    char why[160], body[400];
    const char *sum = "4092dd6d76bfc1a7ac0d8e694f7943896b80eeb8160e75ed2170841e846ff1b1";
    snprintf(body, sizeof(body), "{\"url\":\"https://example.org/d.iso\",\"sha256\":\"%s\","
             "\"name\":\"d.iso\"}", sum);
    CHECK_EQ_INT(web_import_parse(body, strlen(body), &imp, why, sizeof(why)), 0);
    CHECK_EQ_STR(imp.argv[0], "corral");
    CHECK_EQ_STR(imp.argv[4], "https://example.org/d.iso");
    CHECK_EQ_STR(imp.argv[6], sum);
    CHECK_EQ_STR(imp.argv[8], "d.iso");
    CHECK(imp.argv[9] == NULL);
    snprintf(body, sizeof(body), "{\"url\":\"http://h/x\",\"sha256\":\"%s\"}", sum);
    CHECK_EQ_INT(web_import_parse(body, strlen(body), &imp, why, sizeof(why)), 0);
    CHECK(imp.argv[7] == NULL); /* no --name */
    const char *bad[] = {
        "{\"url\":\"file:///etc/shadow\",\"sha256\":\"%s\"}",
        "{\"url\":\"http://h/a b\",\"sha256\":\"%s\"}",
        "{\"url\":\"http://h/x\",\"sha256\":\"%.63s\"}",
        "{\"url\":\"http://h/x\"}%s",
        "{\"url\":\"http://h/x\",\"sha256\":\"%s\",\"name\":\"../x\"}",
        "{\"url\":\"http://h/x\",\"sha256\":\"%s\",\"name\":\"--help\"}",
        "{\"url\":\"-http://h\",\"sha256\":\"%s\"}",
        "[\"%s\"]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(body, sizeof(body), bad[i], sum);
        CHECK_EQ_INT(web_import_parse(body, strlen(body), &imp, why, sizeof(why)), -EINVAL);
    }
}

int main(void)
{
    RUN(test_session_lifecycle);
    RUN(test_session_forged_ids);
    RUN(test_session_table_full);
    RUN(test_tokens);
    RUN(test_cookie_get);
    RUN(test_cookie_set);
    RUN(test_ratelimit);
    RUN(test_gate_routes);
    RUN(test_gate_session_and_csrf);
    RUN(test_query_args);
    RUN(test_body_args);
    RUN(test_status_for_code);
    RUN(test_origin_and_host);
    RUN(test_redirect_target);
    RUN(test_routes_print);
    RUN(test_history);
    RUN(test_logs);
    RUN(test_import_args);
    return check_summary("web");
}
