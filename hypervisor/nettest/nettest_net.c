/* nettest_net: the protocol and both ends (see nettest_net.h). */
#include "nettest_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fdio.h"
#include "nettest_args.h"

#define CHUNK (128 * 1024)
static const uint8_t hello_magic[4] = { 'C', 'N', 'T', '1' };

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void nettest_hello_encode(const struct nettest_hello *h, uint8_t out[NETTEST_HELLO_LEN])
{
    memcpy(out, hello_magic, 4);
    put_be32(out + 4, h->kind);
    put_be32(out + 8, h->size);
    put_be32(out + 12, h->count);
}

int nettest_hello_decode(const uint8_t in[NETTEST_HELLO_LEN], struct nettest_hello *h,
                         char *err, size_t errlen)
{
    if (memcmp(in, hello_magic, 4)) {
        snprintf(err, errlen, "not a corral-nettest client (bad hello)");
        return -1;
    }
    h->kind = get_be32(in + 4);
    h->size = get_be32(in + 8);
    h->count = get_be32(in + 12);
    if (h->kind == NETTEST_KIND_THROUGHPUT)
        return 0;
    if (h->kind != NETTEST_KIND_LATENCY) {
        snprintf(err, errlen, "unknown test kind %u", h->kind);
        return -1;
    }
    if (h->size < 1 || h->size > NETTEST_MAX_SIZE || h->count < 1 ||
        h->count > NETTEST_MAX_COUNT) {
        snprintf(err, errlen, "latency test out of range: %u round trips of %u bytes",
                 h->count, h->size);
        return -1;
    }
    return 0;
}

static int net_fail(char *err, size_t errlen, const char *what, int e)
{
    snprintf(err, errlen, "%s: %s", what,
             e == EAGAIN || e == EWOULDBLOCK ? "timed out (peer silent)" : strerror(e));
    return -1;
}

/* Exactly len bytes; an EOF before that is an error. */
static int read_exact(int fd, void *buf, size_t len, char *err, size_t errlen)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(fd, (uint8_t *)buf + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return net_fail(err, errlen, "receive", errno);
        if (n == 0) {
            snprintf(err, errlen, "receive: connection closed by the peer");
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

static int send_exact(int fd, const void *buf, size_t len, char *err, size_t errlen)
{
    int rc = fdio_write_all(fd, buf, len);
    return rc < 0 ? net_fail(err, errlen, "send", -rc) : 0;
}

static void set_socket_options(int fd)
{
    struct timeval tv = { .tv_sec = NETTEST_IO_TIMEOUT_S };
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    /* small messages go out at once: latency is what is measured */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* The address to bind: bind_addr (IPv4 or IPv6), or every address, IPv6
 * and IPv4 on one socket.  0, or -1 when bind_addr is not an address. */
static int listen_address(const char *bind_addr, uint16_t port,
                          struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (bind_addr && inet_pton(AF_INET, bind_addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *len = sizeof(*a4);
        return 0;
    }
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    a6->sin6_addr = in6addr_any;
    *len = sizeof(*a6);
    return bind_addr && inet_pton(AF_INET6, bind_addr, &a6->sin6_addr) != 1 ? -1 : 0;
}

/* A kernel without IPv6 (Debian builds it as a module) gets an IPv4 socket
 * on every address instead of the dual-stack one. */
static int listen_socket(const char *bind_addr, uint16_t port,
                         struct sockaddr_storage *ss, socklen_t *len)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 || ss->ss_family != AF_INET6 || bind_addr)
        return fd;
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof(*ss));
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    a4->sin_addr.s_addr = htonl(INADDR_ANY);
    *len = sizeof(*a4);
    return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

int nettest_listen(const char *bind_addr, uint16_t port, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (listen_address(bind_addr, port, &ss, &len)) {
        snprintf(err, errlen, "--bind %s: not an IPv4 or IPv6 address", bind_addr);
        return -1;
    }
    int fd = listen_socket(bind_addr, port, &ss, &len);
    if (fd < 0)
        return net_fail(err, errlen, "socket", errno);
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6) /* IPv4 clients too */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4) < 0) {
        int e = errno;
        close(fd);
        snprintf(err, errlen, "cannot listen on port %u: %s", port, strerror(e));
        return -1;
    }
    return fd;
}

int nettest_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void peer_name(const struct sockaddr_storage *ss, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, sizeof(host));
    else
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host, sizeof(host));
    /* an IPv4 client on the dual-stack socket: show it as IPv4 */
    const char *shown = strncmp(host, "::ffff:", 7) == 0 ? host + 7 : host;
    snprintf(out, len, "%s", shown);
}

static int serve_throughput(int fd, struct nettest_session *s, char *err, size_t errlen)
{
    static uint8_t buf[CHUNK];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return net_fail(err, errlen, "receive", errno);
        if (n == 0)
            break;
        s->bytes += (uint64_t)n;
    }
    uint8_t count[8];
    put_be32(count, (uint32_t)(s->bytes >> 32));
    put_be32(count + 4, (uint32_t)s->bytes);
    return send_exact(fd, count, sizeof(count), err, errlen);
}

static int serve_latency(int fd, struct nettest_session *s, char *err, size_t errlen)
{
    uint8_t *buf = malloc(s->hello.size);
    if (!buf)
        return net_fail(err, errlen, "echo buffer", ENOMEM);
    int rc = 0;
    for (uint32_t i = 0; i < s->hello.count && !rc; i++) {
        rc = read_exact(fd, buf, s->hello.size, err, errlen) ||
             send_exact(fd, buf, s->hello.size, err, errlen) ? -1 : 0;
        if (!rc)
            s->bytes += s->hello.size;
    }
    free(buf);
    return rc;
}

int nettest_serve_one(int listen_fd, struct nettest_session *s, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(s, 0, sizeof(*s));
    int fd;
    do
        fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return net_fail(err, errlen, "accept", errno);
    peer_name(&ss, s->peer, sizeof(s->peer));
    set_socket_options(fd);
    uint8_t hello[NETTEST_HELLO_LEN];
    int rc = read_exact(fd, hello, sizeof(hello), err, errlen) ||
             nettest_hello_decode(hello, &s->hello, err, errlen) ? -1 : 0;
    uint64_t t0 = clock_monotonic_ns();
    if (!rc)
        rc = s->hello.kind == NETTEST_KIND_THROUGHPUT ? serve_throughput(fd, s, err, errlen)
                                                      : serve_latency(fd, s, err, errlen);
    s->ns = clock_monotonic_ns() - t0;
    close(fd);
    return rc;
}

int nettest_connect(const char *host, uint16_t port, char *err, size_t errlen)
{
    char service[8];
    snprintf(service, sizeof(service), "%u", port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai) {
        snprintf(err, errlen, "%s: %s", host, gai_strerror(gai));
        return -1;
    }
    int fd = -1, e = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            e = errno;
            close(fd);
            fd = -1;
        } else if (fd < 0) {
            e = errno;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect to %s port %u: %s", host, port, strerror(e));
        return -1;
    }
    set_socket_options(fd);
    return fd;
}

static int send_hello(int fd, uint32_t kind, uint32_t size, uint32_t count,
                      char *err, size_t errlen)
{
    struct nettest_hello h = { .kind = kind, .size = size, .count = count };
    uint8_t buf[NETTEST_HELLO_LEN];
    nettest_hello_encode(&h, buf);
    return send_exact(fd, buf, sizeof(buf), err, errlen);
}

/* Stream until bytes are sent or the deadline (0: none) has passed. */
static int stream_bytes(int fd, uint64_t bytes, uint64_t deadline, uint64_t *sent,
                        char *err, size_t errlen)
{
    static uint8_t buf[CHUNK];
    memset(buf, 0xa5, sizeof(buf));
    *sent = 0;
    while (deadline ? clock_monotonic_ns() < deadline : *sent < bytes) {
        size_t n = sizeof(buf);
        if (!deadline && bytes - *sent < n)
            n = (size_t)(bytes - *sent);
        if (send_exact(fd, buf, n, err, errlen))
            return -1;
        *sent += n;
    }
    return 0;
}

int nettest_run_throughput(int fd, uint64_t bytes, uint32_t seconds, uint64_t *sent,
                           uint64_t *ns, char *err, size_t errlen)
{
    if (send_hello(fd, NETTEST_KIND_THROUGHPUT, 0, 0, err, errlen))
        return -1;
    uint64_t t0 = clock_monotonic_ns();
    uint64_t deadline = seconds ? t0 + (uint64_t)seconds * 1000000000u : 0;
    if (stream_bytes(fd, bytes, deadline, sent, err, errlen))
        return -1;
    if (shutdown(fd, SHUT_WR) < 0)
        return net_fail(err, errlen, "shutdown", errno);
    uint8_t count[8];
    if (read_exact(fd, count, sizeof(count), err, errlen))
        return -1;
    *ns = clock_monotonic_ns() - t0;
    uint64_t got = (uint64_t)get_be32(count) << 32 | get_be32(count + 4);
    if (got != *sent) {
        snprintf(err, errlen, "the server received %llu bytes of %llu sent",
                 (unsigned long long)got, (unsigned long long)*sent);
        return -1;
    }
    return 0;
}

int nettest_run_latency(int fd, uint32_t count, uint32_t size, uint64_t *rtt_ns,
                        char *err, size_t errlen)
{
    uint8_t *out = malloc(size), *in = malloc(size);
    int rc = out && in ? send_hello(fd, NETTEST_KIND_LATENCY, size, count, err, errlen)
                       : net_fail(err, errlen, "message buffers", ENOMEM);
    for (uint32_t i = 0; i < count && !rc; i++) {
        memset(out, (int)(i & 0xff), size);
        uint64_t t0 = clock_monotonic_ns();
        rc = send_exact(fd, out, size, err, errlen) ||
             read_exact(fd, in, size, err, errlen) ? -1 : 0;
        rtt_ns[i] = clock_monotonic_ns() - t0;
        if (!rc && memcmp(in, out, size)) {
            snprintf(err, errlen, "round trip %u: the echo differs from what was sent", i + 1);
            rc = -1;
        }
    }
    free(out);
    free(in);
    return rc;
}
