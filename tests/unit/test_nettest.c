/* corral-nettest: command line, statistics, the hello's checks, and both
 * ends talking over the loopback (a server thread on 127.0.0.1). */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "../../hypervisor/nettest/nettest_args.h"
#include "../../hypervisor/nettest/nettest_net.h"
#include "../../hypervisor/nettest/nettest_stats.h"

static int parse(struct nettest_opts *o, char *err, const char *a1, const char *a2,
                 const char *a3, const char *a4, const char *a5)
{
    char *argv[] = { "corral-nettest", (char *)a1, (char *)a2, (char *)a3, (char *)a4,
                     (char *)a5, NULL };
    int argc = 1;
    while (argv[argc])
        argc++;
    return nettest_parse_args(argc, argv, o, err, 256);
}

static void test_args_modes_and_defaults(void)
{
    struct nettest_opts o;
    char err[256];
    CHECK_EQ_INT(parse(&o, err, "server", NULL, NULL, NULL, NULL), 0);
    CHECK_EQ_INT(o.mode, NETTEST_SERVER);
    CHECK_EQ_INT(o.port, NETTEST_DEFAULT_PORT);
    CHECK(!o.once && !o.host);
    CHECK_EQ_INT(parse(&o, err, "server", "--once", "--port", "7000", "--bind"), -1);
    CHECK_EQ_STR(err, "--bind needs a value");
    CHECK_EQ_INT(parse(&o, err, "server", "--once", "--port", "7000", NULL), 0);
    CHECK(o.once);
    CHECK_EQ_INT(o.port, 7000);
    CHECK_EQ_INT(parse(&o, err, "throughput", "10.0.0.1", "--mib", "64", NULL), 0);
    CHECK_EQ_INT(o.mode, NETTEST_THROUGHPUT);
    CHECK_EQ_STR(o.host, "10.0.0.1");
    CHECK_EQ_INT(o.mib, 64);
    CHECK_EQ_INT(o.seconds, 0);
    CHECK_EQ_INT(parse(&o, err, "latency", "--count", "5", "--size", "1"), -1);
    CHECK_EQ_STR(err, "no HOST given: the address of the machine running the server");
    CHECK_EQ_INT(parse(&o, err, "latency", "h", "--count", "5", NULL), 0);
    CHECK_EQ_INT(o.count, 5);
    CHECK_EQ_INT(o.size, NETTEST_DEFAULT_SIZE);
    CHECK_EQ_INT(parse(&o, err, "--help", NULL, NULL, NULL, NULL), 0);
    CHECK_EQ_INT(o.mode, NETTEST_HELP);
    CHECK_EQ_INT(parse(&o, err, "latency", "h", "--help", NULL, NULL), 0);
    CHECK_EQ_INT(o.mode, NETTEST_HELP);
}

static void test_args_refusals(void)
{
    struct nettest_opts o;
    char err[256];
    CHECK_EQ_INT(parse(&o, err, NULL, NULL, NULL, NULL, NULL), -1);
    CHECK(strstr(err, "no mode given"));
    CHECK_EQ_INT(parse(&o, err, "ping", NULL, NULL, NULL, NULL), -1);
    CHECK_EQ_STR(err, "unknown mode: ping (server, throughput or latency; --help)");
    CHECK_EQ_INT(parse(&o, err, "server", "--port", "0", NULL, NULL), -1);
    CHECK_EQ_STR(err, "--port: not a port number (1-65535): 0");
    CHECK_EQ_INT(parse(&o, err, "server", "--port", "65536", NULL, NULL), -1);
    CHECK_EQ_INT(parse(&o, err, "server", "--port", "-1", NULL, NULL), -1);
    CHECK_EQ_INT(parse(&o, err, "server", "--port", "80x", NULL, NULL), -1);
    CHECK_EQ_INT(parse(&o, err, "server", "--mib", "8", NULL, NULL), -1);
    CHECK_EQ_STR(err, "unknown option for this mode: --mib");
    CHECK_EQ_INT(parse(&o, err, "latency", "h", "--mib", "8", NULL), -1);
    CHECK_EQ_INT(parse(&o, err, "throughput", "h", "--bind", "1.2.3.4", NULL), -1);
    CHECK_EQ_INT(parse(&o, err, "server", "--bind", "1.2.3", NULL, NULL), -1);
    CHECK_EQ_STR(err, "--bind: not an IPv4 or IPv6 address: 1.2.3");
    CHECK_EQ_INT(parse(&o, err, "server", "--bind", "::1", NULL, NULL), 0);
    CHECK_EQ_STR(o.host, "::1");
    CHECK_EQ_INT(parse(&o, err, "throughput", "h", "i", NULL, NULL), -1);
    CHECK_EQ_STR(err, "unexpected argument: i");
    CHECK_EQ_INT(parse(&o, err, "throughput", "h", "--mib", "1", "--seconds"), -1);
    CHECK_EQ_INT(parse(&o, err, "latency", "h", "--size", "65537", NULL), -1);
    CHECK_EQ_STR(err, "--size: not a size in bytes (1-65536): 65537");
    CHECK_EQ_INT(parse(&o, err, "latency", "h", "--count", "99999999999999999999", NULL), -1);
    CHECK_EQ_INT(parse(&o, err, "--version", "x", NULL, NULL, NULL), -1);
    char *argv[] = { "corral-nettest", "throughput", "h", "--mib", "2", "--seconds", "3", NULL };
    CHECK_EQ_INT(nettest_parse_args(7, argv, &o, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "--mib and --seconds exclude each other");
}

static void test_percentile_and_rate(void)
{
    uint64_t s[] = { 50, 10, 40, 30, 20, 100, 90, 80, 70, 60 };
    size_t n = sizeof(s) / sizeof(s[0]);
    CHECK_EQ_INT(nettest_percentile(s, n, 50), 50);
    CHECK_EQ_INT(nettest_percentile(s, n, 0), 10);
    CHECK_EQ_INT(nettest_percentile(s, n, 99), 100);
    CHECK_EQ_INT(nettest_percentile(s, n, 100), 100);
    CHECK_EQ_INT(nettest_percentile(s, n, 90), 90);
    CHECK_EQ_INT(nettest_percentile(s, 0, 50), 0);
    uint64_t one = 7;
    CHECK_EQ_INT(nettest_percentile(&one, 1, 99), 7);
    CHECK(nettest_mib_per_s(1048576, 500000000) > 1.999 &&
          nettest_mib_per_s(1048576, 500000000) < 2.001);
    CHECK(nettest_mib_per_s(100, 0) == 0.0);
}

static void test_hello_round_trip_and_hostile(void)
{
    struct nettest_hello h = { NETTEST_KIND_LATENCY, 64, 1000 }, got;
    uint8_t buf[NETTEST_HELLO_LEN];
    char err[256];
    nettest_hello_encode(&h, buf);
    CHECK_EQ_INT(nettest_hello_decode(buf, &got, err, sizeof(err)), 0);
    CHECK_EQ_INT(got.kind, h.kind);
    CHECK_EQ_INT(got.size, 64);
    CHECK_EQ_INT(got.count, 1000);
    struct nettest_hello bad[] = {
        { NETTEST_KIND_LATENCY, 0, 1 }, { NETTEST_KIND_LATENCY, NETTEST_MAX_SIZE + 1, 1 },
        { NETTEST_KIND_LATENCY, 1, 0 }, { NETTEST_KIND_LATENCY, 1, 0xffffffffu },
        { 3, 1, 1 }, { 0, 0, 0 },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        nettest_hello_encode(&bad[i], buf);
        CHECK_EQ_INT(nettest_hello_decode(buf, &got, err, sizeof(err)), -1);
    }
    memcpy(buf, "HTTP", 4);
    CHECK_EQ_INT(nettest_hello_decode(buf, &got, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "not a corral-nettest client (bad hello)");
}

struct server_run {
    int listen_fd, sessions, rc[4];
    struct nettest_session s[4];
    char err[4][256];
};

static void *server_thread(void *arg)
{
    struct server_run *r = arg;
    for (int i = 0; i < r->sessions; i++)
        r->rc[i] = nettest_serve_one(r->listen_fd, &r->s[i], r->err[i], sizeof(r->err[i]));
    return NULL;
}

static int raw_connect(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    return connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 ? fd : -1;
}

/* A bad client, then throughput, then latency: the same listening socket
 * serves them all, one after the other. */
static void test_loopback_sessions(void)
{
    char err[256];
    struct server_run r = { .sessions = 3 };
    r.listen_fd = nettest_listen("127.0.0.1", 0, err, sizeof(err));
    CHECK(r.listen_fd >= 0);
    if (r.listen_fd < 0)
        return;
    int port = nettest_local_port(r.listen_fd);
    CHECK(port > 0);
    pthread_t t;
    pthread_create(&t, NULL, server_thread, &r);

    int fd = raw_connect(port);
    CHECK(fd >= 0);
    CHECK(write(fd, "GET / HTTP/1.0\r\n\r\n", 18) == 18);
    char c;
    CHECK(read(fd, &c, 1) <= 0); /* the server hung up (EOF, or a reset: bytes left unread) */
    close(fd);

    uint64_t sent = 0, ns = 0;
    fd = nettest_connect("127.0.0.1", (uint16_t)port, err, sizeof(err));
    CHECK(fd >= 0);
    CHECK_EQ_INT(nettest_run_throughput(fd, 3u << 20, 0, &sent, &ns, err, sizeof(err)), 0);
    CHECK_EQ_INT(sent, 3u << 20);
    CHECK(ns > 0);
    close(fd);

    uint64_t rtt[50];
    fd = nettest_connect("127.0.0.1", (uint16_t)port, err, sizeof(err));
    CHECK_EQ_INT(nettest_run_latency(fd, 50, 200, rtt, err, sizeof(err)), 0);
    CHECK(rtt[0] > 0 && rtt[49] > 0);
    close(fd);

    pthread_join(t, NULL);
    close(r.listen_fd);
    CHECK_EQ_INT(r.rc[0], -1);
    CHECK_EQ_STR(r.err[0], "not a corral-nettest client (bad hello)");
    CHECK_EQ_STR(r.s[0].peer, "127.0.0.1");
    CHECK_EQ_INT(r.rc[1], 0);
    CHECK_EQ_INT(r.s[1].hello.kind, NETTEST_KIND_THROUGHPUT);
    CHECK_EQ_INT(r.s[1].bytes, 3u << 20);
    CHECK_EQ_INT(r.rc[2], 0);
    CHECK_EQ_INT(r.s[2].hello.count, 50);
    CHECK_EQ_INT(r.s[2].bytes, 50 * 200);
}

/* Sending for a time: the client stops at the deadline and the server has
 * counted every byte it sent. */
static void test_loopback_timed_throughput(void)
{
    char err[256];
    struct server_run r = { .sessions = 1 };
    r.listen_fd = nettest_listen(NULL, 0, err, sizeof(err));
    CHECK(r.listen_fd >= 0);
    if (r.listen_fd < 0)
        return;
    int port = nettest_local_port(r.listen_fd);
    pthread_t t;
    pthread_create(&t, NULL, server_thread, &r);
    uint64_t sent = 0, ns = 0;
    int fd = nettest_connect("localhost", (uint16_t)port, err, sizeof(err));
    CHECK(fd >= 0);
    CHECK_EQ_INT(nettest_run_throughput(fd, 0, 1, &sent, &ns, err, sizeof(err)), 0);
    close(fd);
    pthread_join(t, NULL);
    close(r.listen_fd);
    CHECK(ns >= 1000000000u);
    CHECK(sent > 0);
    CHECK_EQ_INT(r.s[0].bytes, sent);
}

static void test_connect_and_listen_errors(void)
{
    char err[256];
    int fd = nettest_listen("127.0.0.1", 0, err, sizeof(err));
    int port = nettest_local_port(fd);
    close(fd); /* nobody listens there now */
    CHECK_EQ_INT(nettest_connect("127.0.0.1", (uint16_t)port, err, sizeof(err)), -1);
    CHECK(strstr(err, "cannot connect to 127.0.0.1 port") && strstr(err, "refused"));
    CHECK_EQ_INT(nettest_listen("not-an-address", 0, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "--bind not-an-address: not an IPv4 or IPv6 address");
}

int main(void)
{
    RUN(test_args_modes_and_defaults);
    RUN(test_args_refusals);
    RUN(test_percentile_and_rate);
    RUN(test_hello_round_trip_and_hostile);
    RUN(test_loopback_sessions);
    RUN(test_loopback_timed_throughput);
    RUN(test_connect_and_listen_errors);
    return check_summary("nettest");
}
