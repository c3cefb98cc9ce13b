/* nettest_args: corral-nettest's command line.
 *
 *   corral-nettest server [--port N] [--bind ADDR] [--once]
 *   corral-nettest throughput HOST [--port N] [--mib N | --seconds N]
 *   corral-nettest latency HOST [--port N] [--count N] [--size BYTES]
 *
 * Parsing is separate from doing, so that every refusal is unit-tested. */
#ifndef CORRAL_NETTEST_ARGS_H
#define CORRAL_NETTEST_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETTEST_DEFAULT_PORT 5301
#define NETTEST_DEFAULT_MIB 256
#define NETTEST_DEFAULT_COUNT 1000
#define NETTEST_DEFAULT_SIZE 64
#define NETTEST_MAX_MIB (1024u * 1024u)   /* 1 TiB */
#define NETTEST_MAX_SECONDS 86400u
#define NETTEST_MAX_COUNT 10000000u
#define NETTEST_MAX_SIZE 65536u

enum nettest_mode {
    NETTEST_HELP,
    NETTEST_VERSION,
    NETTEST_SERVER,
    NETTEST_THROUGHPUT,
    NETTEST_LATENCY,
};

struct nettest_opts {
    enum nettest_mode mode;
    const char *host;    /* client: where the server is; server: --bind */
    uint16_t port;
    bool once;           /* server: end after one client */
    uint32_t mib;        /* throughput: MiB to send (when seconds is 0) */
    uint32_t seconds;    /* throughput: send for this long instead */
    uint32_t count;      /* latency: round trips */
    uint32_t size;       /* latency: bytes per message */
};

/* Returns 0, or -1 with the reason in err (for "corral-nettest: %s"). */
int nettest_parse_args(int argc, char **argv, struct nettest_opts *o,
                       char *err, size_t errlen);

extern const char nettest_usage[];

#endif
