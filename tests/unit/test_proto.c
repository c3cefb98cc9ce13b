/* Unit tests for lib/json.c and proto.c: the control protocol's
 * JSON reader/writer, request/reply codec and line framing. */
#include "check.h"
#include "proto.h"
#include "clock.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse(const char *text, struct json_doc *doc, char *why)
{
    return json_parse(text, strlen(text), doc, why, 128);
}

/* Parses text, writes it back, and compares with want. */
static void check_rewrite(const char *text, const char *want)
{
    struct json_doc doc;
    char why[128] = "";
    int rc = parse(text, &doc, why);
    if (rc)
        fprintf(stderr, "parse \"%s\": %s\n", text, why);
    CHECK_EQ_INT(rc, 0);
    struct json_writer w;
    json_writer_init(&w, 4096);
    if (rc == 0)
        json_node(&w, &doc, json_root(&doc));
    CHECK_EQ_STR(json_writer_text(&w), want);
    json_writer_free(&w);
    json_doc_free(&doc);
}

static void check_refused(const char *text, size_t len, const char *want)
{
    struct json_doc doc;
    char why[128] = "";
    CHECK_EQ_INT(json_parse(text, len, &doc, why, sizeof(why)), -EINVAL);
    if (!strstr(why, want)) {
        fprintf(stderr, "\"%s\": reason \"%s\" lacks \"%s\"\n", text, why, want);
        CHECK(0);
    }
    json_doc_free(&doc);
}

static void test_json_values(void)
{
    check_rewrite(" { \"a\" : [1, -2, true, false, null, \"x\"], \"b\": {} } ",
                  "{\"a\":[1,-2,true,false,null,\"x\"],\"b\":{}}");
    check_rewrite("[]", "[]");
    check_rewrite("\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\"",
                  "\"\xc3\xa9\xf0\x9f\x98\x80\\u000a\\u0009\\\"\\\\/\"");
    check_rewrite("9223372036854775807", "9223372036854775807");
    check_rewrite("-9223372036854775808", "-9223372036854775808");
    check_rewrite("\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"");
}

static void test_json_refused(void)
{
    check_refused("", 0, "unexpected end");
    check_refused("{", 1, "expected a member name");
    check_refused("[1,]", 4, "unexpected");
    check_refused("[1 2]", 5, "expected ','");
    check_refused("{\"a\":1,\"a\":2}", 13, "duplicate member");
    check_refused("1.5", 3, "integers");
    check_refused("1e3", 3, "integers");
    check_refused("01", 2, "bad number");
    check_refused("-", 1, "bad number");
    check_refused("9223372036854775808", 19, "out of range");
    check_refused("\"abc", 4, "unterminated");
    check_refused("\"a\x01\"", 4, "control character");
    check_refused("\"\\u0000\"", 8, "NUL");
    check_refused("\"\\ud800\"", 8, "lone surrogate");
    check_refused("\"\\udc00\"", 8, "lone surrogate");
    check_refused("\"\\x\"", 4, "bad escape");
    check_refused("\"\xff\"", 3, "invalid UTF-8");
    check_refused("\"\xc0\xaf\"", 4, "invalid UTF-8"); /* overlong '/' */
    check_refused("\"\xed\xa0\x80\"", 5, "invalid UTF-8"); /* surrogate */
    check_refused("tru", 3, "unexpected character");
    check_refused("1 2", 3, "text after");
    check_refused("[1]\0", 4, "text after");

    char deep[JSON_MAX_DEPTH + 2];
    memset(deep, '[', sizeof(deep));
    check_refused(deep, sizeof(deep), "nested deeper");
}

static void test_json_get(void)
{
    struct json_doc doc;
    char why[128];
    CHECK_EQ_INT(parse("{\"s\":\"x\",\"i\":42,\"b\":true,\"o\":{\"n\":null}}", &doc, why), 0);
    const struct json_node *root = json_root(&doc);
    int64_t i = 0;
    bool b = false;
    CHECK_EQ_STR(json_get_string(&doc, root, "s"), "x");
    CHECK(json_get_string(&doc, root, "i") == NULL);
    CHECK(json_get_int(&doc, root, "i", &i) && i == 42);
    CHECK(!json_get_int(&doc, root, "s", &i));
    CHECK(json_get_bool(&doc, root, "b", &b) && b);
    CHECK(json_get(&doc, root, "missing") == NULL);
    CHECK(json_get(&doc, json_get(&doc, root, "s"), "x") == NULL);
    CHECK_EQ_INT(json_get(&doc, json_get(&doc, root, "o"), "n")->type, JSON_NULL);
    CHECK_EQ_INT(root->count, 4);
    json_doc_free(&doc);
}

static void test_json_writer(void)
{
    struct json_writer w;
    json_writer_init(&w, 1024);
    json_begin_object(&w);
    json_kv_string(&w, "bytes", "a\nb\x01\"\xff");
    json_key(&w, "list");
    json_begin_array(&w);
    json_int(&w, 1);
    json_string_bytes(&w, "n\0l", 3);
    json_begin_object(&w);
    json_end_object(&w);
    json_end_array(&w);
    json_kv_bool(&w, "t", true);
    json_end_object(&w);
    CHECK_EQ_STR(json_writer_text(&w),
                 "{\"bytes\":\"a\\u000ab\\u0001\\\"\xef\xbf\xbd\","
                 "\"list\":[1,\"n\\u0000l\",{}],\"t\":true}");
    json_writer_free(&w);

    /* Over the cap: an error, never a truncated message. */
    json_writer_init(&w, 16);
    json_begin_array(&w);
    json_string(&w, "more than sixteen bytes");
    json_end_array(&w);
    CHECK(json_writer_text(&w) == NULL);
    CHECK_EQ_INT(w.error, -E2BIG);
    json_writer_free(&w);

    /* Unbalanced. */
    json_writer_init(&w, 64);
    json_begin_array(&w);
    CHECK(json_writer_text(&w) == NULL);
    json_writer_free(&w);
}

static int decode_request(const char *text, struct proto_request *req,
                          const char **code)
{
    char why[128];
    return proto_decode_request(text, strlen(text), req, code, why, sizeof(why));
}

static void test_request_round_trip(void)
{
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, "vm.stop");
    json_kv_string(&w, "name", "web1");
    json_kv_int(&w, "timeout", 30);
    json_kv_bool(&w, "wait", true);
    proto_end_request(&w);
    const char *text = json_writer_text(&w);
    CHECK_EQ_STR(text, "{\"v\":1,\"cmd\":\"vm.stop\",\"args\":{\"name\":\"web1\","
                       "\"timeout\":30,\"wait\":true}}");
    struct proto_request req;
    const char *code = NULL;
    CHECK_EQ_INT(decode_request(text, &req, &code), 0);
    CHECK_EQ_STR(req.cmd, "vm.stop");
    CHECK_EQ_STR(proto_arg_string(&req, "name"), "web1");
    long long t = 0;
    bool wait = false;
    CHECK(proto_arg_int(&req, "timeout", &t) && t == 30);
    CHECK(proto_arg_bool(&req, "wait", &wait) && wait);
    CHECK(proto_arg_string(&req, "absent") == NULL);
    proto_request_free(&req);
    json_writer_free(&w);

    /* args may be left out. */
    CHECK_EQ_INT(decode_request("{\"v\":1,\"cmd\":\"host.info\"}", &req, &code), 0);
    CHECK(proto_arg_string(&req, "name") == NULL);
    proto_request_free(&req);
}

static void check_bad_request(const char *text, const char *want_code)
{
    struct proto_request req;
    const char *code = NULL;
    CHECK_EQ_INT(decode_request(text, &req, &code), -EINVAL);
    CHECK_EQ_STR(code, want_code);
    proto_request_free(&req);
}

static void test_bad_requests(void)
{
    check_bad_request("", PROTO_E_BAD_REQUEST);
    check_bad_request("not json", PROTO_E_BAD_REQUEST);
    check_bad_request("[1]", PROTO_E_BAD_REQUEST);
    check_bad_request("{\"cmd\":\"vm.list\"}", PROTO_E_BAD_REQUEST);
    check_bad_request("{\"v\":2,\"cmd\":\"vm.list\"}", PROTO_E_VERSION);
    check_bad_request("{\"v\":\"1\",\"cmd\":\"vm.list\"}", PROTO_E_BAD_REQUEST);
    check_bad_request("{\"v\":1}", PROTO_E_BAD_REQUEST);
    check_bad_request("{\"v\":1,\"cmd\":\"\"}", PROTO_E_BAD_REQUEST);
    check_bad_request("{\"v\":1,\"cmd\":7}", PROTO_E_BAD_REQUEST);
    check_bad_request("{\"v\":1,\"cmd\":\"x\",\"args\":[]}", PROTO_E_BAD_REQUEST);

    char *big = malloc(PROTO_MAX_REQUEST + 2);
    memset(big, ' ', PROTO_MAX_REQUEST + 1);
    big[PROTO_MAX_REQUEST + 1] = '\0';
    check_bad_request(big, PROTO_E_TOO_LARGE);
    free(big);
}

static void test_replies(void)
{
    struct json_writer w;
    struct proto_reply rep;
    char why[128];
    json_writer_init(&w, PROTO_MAX_REPLY);
    proto_begin_reply(&w);
    json_begin_object(&w);
    json_kv_int(&w, "n", 3);
    json_end_object(&w);
    proto_end_reply(&w);
    const char *text = json_writer_text(&w);
    CHECK_EQ_INT(proto_decode_reply(text, strlen(text), &rep, why, sizeof(why)), 0);
    CHECK(rep.ok);
    int64_t n = 0;
    CHECK(json_get_int(&rep.doc, rep.data, "n", &n) && n == 3);
    proto_reply_free(&rep);
    json_writer_free(&w);

    json_writer_init(&w, PROTO_MAX_REPLY);
    proto_error_reply(&w, PROTO_E_NOT_FOUND, "no VM called '%s'", "x");
    text = json_writer_text(&w);
    CHECK_EQ_STR(text, "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"not-found\","
                       "\"message\":\"no VM called 'x'\"}}");
    CHECK_EQ_INT(proto_decode_reply(text, strlen(text), &rep, why, sizeof(why)), 0);
    CHECK(!rep.ok);
    CHECK_EQ_STR(rep.error_code, "not-found");
    CHECK_EQ_STR(rep.error_message, "no VM called 'x'");
    proto_reply_free(&rep);
    json_writer_free(&w);

    const char *bad = "{\"v\":1,\"ok\":false}";
    CHECK_EQ_INT(proto_decode_reply(bad, strlen(bad), &rep, why, sizeof(why)), -EINVAL);
    proto_reply_free(&rep);
}

static void test_linebuf(void)
{
    struct proto_linebuf lb;
    size_t len;
    CHECK_EQ_INT(proto_linebuf_init(&lb, 8), 0);
    CHECK_EQ_INT(proto_linebuf_append(&lb, "ab\ncd", 5), 0);
    char *line = proto_linebuf_take(&lb, &len);
    CHECK(line && len == 2 && strcmp(line, "ab") == 0);
    CHECK(proto_linebuf_take(&lb, &len) == NULL);
    CHECK_EQ_INT(proto_linebuf_append(&lb, "ef\n\n", 4), 0);
    line = proto_linebuf_take(&lb, &len);
    CHECK(line && strcmp(line, "cdef") == 0);
    line = proto_linebuf_take(&lb, &len);
    CHECK(line && len == 0);
    /* 8 bytes plus '\n' fit; 9 without a newline do not. */
    CHECK_EQ_INT(proto_linebuf_append(&lb, "12345678\n", 9), 0);
    line = proto_linebuf_take(&lb, &len);
    CHECK(line && len == 8);
    CHECK_EQ_INT(proto_linebuf_append(&lb, "123456789", 9), 0);
    CHECK(proto_linebuf_take(&lb, &len) == NULL);
    CHECK_EQ_INT(proto_linebuf_append(&lb, "0", 1), -EMSGSIZE);
    proto_linebuf_free(&lb);
}

static void test_linebuf_read_and_send(void)
{
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ_INT(proto_send_line(sv[0], "{\"v\":1}", 7), 0);
    struct proto_linebuf lb;
    size_t len;
    proto_linebuf_init(&lb, 16);
    CHECK_EQ_INT(proto_linebuf_read(&lb, sv[1]), 8);
    char *line = proto_linebuf_take(&lb, &len);
    CHECK(line && strcmp(line, "{\"v\":1}") == 0);
    CHECK_EQ_INT(write(sv[0], "0123456789abcdefXYZ", 19), 19);
    CHECK_EQ_INT(proto_linebuf_read(&lb, sv[1]), 17);
    CHECK(proto_linebuf_take(&lb, &len) == NULL);
    CHECK_EQ_INT(proto_linebuf_read(&lb, sv[1]), -EMSGSIZE);
    close(sv[0]);
    proto_linebuf_free(&lb);
    proto_linebuf_init(&lb, 16);
    CHECK_EQ_INT(proto_linebuf_read(&lb, sv[1]), 2); /* "YZ" */
    CHECK_EQ_INT(proto_linebuf_read(&lb, sv[1]), 0); /* end of stream */
    close(sv[1]);
    proto_linebuf_free(&lb);
}

/* A silent peer ends the wait at the deadline, not before; bytes or a
 * hang-up end it at once. */
static void test_wait_readable(void)
{
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int64_t start = clock_monotonic_ms();
    CHECK_EQ_INT(proto_wait_readable(sv[0], start + 80), -ETIMEDOUT);
    CHECK(clock_monotonic_ms() - start >= 80);
    CHECK_EQ_INT(proto_wait_readable(sv[0], start - 1), -ETIMEDOUT); /* already past */
    CHECK_EQ_INT(write(sv[1], "x\n", 2), 2);
    CHECK_EQ_INT(proto_wait_readable(sv[0], clock_monotonic_ms() + 5000), 0);
    char c[2];
    CHECK_EQ_INT(read(sv[0], c, 2), 2);
    close(sv[1]);
    start = clock_monotonic_ms();
    CHECK_EQ_INT(proto_wait_readable(sv[0], start + 5000), 0); /* hung up */
    CHECK(clock_monotonic_ms() - start < 1000);
    close(sv[0]);
}

int main(void)
{
    RUN(test_wait_readable);
    RUN(test_json_values);
    RUN(test_json_refused);
    RUN(test_json_get);
    RUN(test_json_writer);
    RUN(test_request_round_trip);
    RUN(test_bad_requests);
    RUN(test_replies);
    RUN(test_linebuf);
    RUN(test_linebuf_read_and_send);
    return check_summary("proto");
}
