/* url: what `corral image import` accepts as a URL, and the reply heads it
 * reads (a server's words, so anything odd is refused). */
#include "check.h"
#include "url.h"

#include <errno.h>
#include <string.h>

static void test_urls(void)
{
    struct url_parts u;
    CHECK_EQ_INT(url_parse("https://deb.debian.org/debian/x.iso", &u), 0);
    CHECK(u.https);
    CHECK_EQ_STR(u.host, "deb.debian.org");
    CHECK_EQ_STR(u.port, "443");
    CHECK_EQ_STR(u.host_header, "deb.debian.org");
    CHECK_EQ_STR(u.path, "/debian/x.iso");
    CHECK_EQ_INT(url_parse("http://127.0.0.1:8089", &u), 0);
    CHECK(!u.https);
    CHECK_EQ_STR(u.host, "127.0.0.1");
    CHECK_EQ_STR(u.port, "8089");
    CHECK_EQ_STR(u.host_header, "127.0.0.1:8089");
    CHECK_EQ_STR(u.path, "/");
    CHECK_EQ_INT(url_parse("https://[::1]:8443/a?b=c", &u), 0);
    CHECK_EQ_STR(u.host, "::1");
    CHECK_EQ_STR(u.port, "8443");
    CHECK_EQ_STR(u.host_header, "[::1]:8443");
    CHECK_EQ_STR(u.path, "/a?b=c");
    CHECK_EQ_INT(url_parse("http://[fe80::1]/", &u), 0);
    CHECK_EQ_STR(u.port, "80");
}

static void test_bad_urls(void)
{
    static const char *const bad[] = {
        "ftp://host/x", "https:/host/x", "https://", "https:///x", "https://:443/x",
        "https://host:/x", "https://host:0/x", "https://host:65536/x", "https://host:44a/x",
        "https://user@host/x", "https://ho st/x", "http://host/a b",
        "http://host/a\r\nX-Evil: 1", "https://[::1/x", "https://[]/x", "https://[::1]x/",
        "https://[zz::1]/", "https://host_name/x", "https://host:123456/x",
        "http://h\x80/x",
    };
    struct url_parts u;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (url_parse(bad[i], &u) != -EINVAL) {
            CHECK(!"accepted");
            fprintf(stderr, "  accepted: %s\n", bad[i]);
        }
    char long_path[URL_PATH_MAX + 32] = "http://h/";
    memset(long_path + 9, 'a', URL_PATH_MAX);
    long_path[9 + URL_PATH_MAX] = '\0';
    CHECK_EQ_INT(url_parse(long_path, &u), -EINVAL);
}

static void test_reply_heads(void)
{
    int status = 0;
    long long len = 0;
    CHECK_EQ_INT(url_reply_head("HTTP/1.0 200 OK\r\nContent-Length: 3145728\r\n\r\n",
                                &status, &len), 0);
    CHECK_EQ_INT(status, 200);
    CHECK_EQ_INT(len, 3145728);
    CHECK_EQ_INT(url_reply_head("HTTP/1.1 404 Not Found\r\ncontent-length:0\r\n\r\n",
                                &status, &len), 0);
    CHECK_EQ_INT(status, 404);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(url_reply_head("HTTP/1.1 200 OK\r\n\r\n", &status, &len), 0);
    CHECK_EQ_INT(len, -1);
    CHECK_EQ_INT(url_reply_head("SSH-2.0-dropbear\r\n", &status, &len), -EPROTO);
    CHECK_EQ_INT(url_reply_head("HTTP/1.1 20 OK\r\n\r\n", &status, &len), -EPROTO);
    CHECK_EQ_INT(url_reply_head("HTTP/1.1 2000 OK\r\n\r\n", &status, &len), -EPROTO);
    CHECK_EQ_INT(url_reply_head("", &status, &len), -EPROTO);
    CHECK_EQ_INT(url_reply_head("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
                                &status, &len), -EPROTO);
    CHECK_EQ_INT(url_reply_head("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n",
                                &status, &len), -EPROTO);
    CHECK_EQ_INT(url_reply_head("HTTP/1.1 200 OK\r\nContent-Length: "
                                "99999999999999999999999\r\n\r\n", &status, &len), -EPROTO);
}

int main(void)
{
    RUN(test_urls);
    RUN(test_bad_urls);
    RUN(test_reply_heads);
    return check_summary("url");
}
