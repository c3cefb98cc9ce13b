/* nettest_net: corral-nettest's wire protocol and both of its ends.
 *
 * A client opens a TCP connection and sends a 16-byte hello: "CNT1", then
 * big-endian u32 kind, message size and round-trip count.
 *   throughput (kind 1): the client streams bytes and half-closes; the
 *     server counts them to EOF and answers with the count (u64 BE), so the
 *     client's clock stops only when everything has arrived.
 *   latency (kind 2): count times, the client sends size bytes and the
 *     server echoes them back.
 * The server trusts nothing in the hello: a bad magic, kind, size or count
 * ends that session with a message, never the server.  Both ends give up
 * on a peer that is silent for NETTEST_IO_TIMEOUT_S seconds. */
#ifndef CORRAL_NETTEST_NET_H
#define CORRAL_NETTEST_NET_H

#include <stddef.h>
#include <stdint.h>

#define NETTEST_HELLO_LEN 16
#define NETTEST_KIND_THROUGHPUT 1
#define NETTEST_KIND_LATENCY 2
#define NETTEST_IO_TIMEOUT_S 30

struct nettest_hello {
    uint32_t kind, size, count;
};

void nettest_hello_encode(const struct nettest_hello *h, uint8_t out[NETTEST_HELLO_LEN]);
/* 0, or -1 with the reason in err: wrong magic, kind, size or count. */
int nettest_hello_decode(const uint8_t in[NETTEST_HELLO_LEN], struct nettest_hello *h,
                         char *err, size_t errlen);

/* What the server saw of one client. */
struct nettest_session {
    char peer[64];
    struct nettest_hello hello;
    uint64_t bytes;      /* received (throughput) or echoed (latency) */
    uint64_t ns;         /* from the hello to the end of the session */
};

/* A listening socket on bind (NULL: every address) and port (0: any
 * free port, see nettest_local_port); -1 with err on failure. */
int nettest_listen(const char *bind, uint16_t port, char *err, size_t errlen);
int nettest_local_port(int fd);
/* Accepts one client and serves it to its end.  Returns 0; or -1 with err
 * when the session failed (the listening socket is still good). */
int nettest_serve_one(int listen_fd, struct nettest_session *s, char *err, size_t errlen);

/* A connected socket to host:port; -1 with err ("cannot connect ..."). */
int nettest_connect(const char *host, uint16_t port, char *err, size_t errlen);

/* Sends bytes (or, when seconds is non-zero, for that long) and waits for
 * the server's count.  *sent and *ns say how much in how long. */
int nettest_run_throughput(int fd, uint64_t bytes, uint32_t seconds, uint64_t *sent,
                           uint64_t *ns, char *err, size_t errlen);
/* count round trips of size bytes; rtt_ns[i] is the i-th round trip. */
int nettest_run_latency(int fd, uint32_t count, uint32_t size, uint64_t *rtt_ns,
                        char *err, size_t errlen);

#endif
