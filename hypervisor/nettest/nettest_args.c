/* nettest_args: corral-nettest's command line (see nettest_args.h). */
#include "nettest_args.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char nettest_usage[] =
    "Usage: corral-nettest server [--port N] [--bind ADDR] [--once]\n"
    "       corral-nettest throughput HOST [--port N] [--mib N | --seconds N]\n"
    "       corral-nettest latency HOST [--port N] [--count N] [--size BYTES]\n"
    "\n"
    "Measures TCP between two machines (a VM and the control domain, two VMs):\n"
    "run the server on one end and a client on the other.\n"
    "\n"
    "  server       listen on --port (default 5301) and serve clients one at a\n"
    "               time, printing what each did; --once ends after one client;\n"
    "               --bind ADDR listens on one address only (default: all)\n"
    "  throughput   send --mib MiB (default 256), or for --seconds N, and print\n"
    "               MiB/s once the server has received all of it\n"
    "  latency      --count round trips (default 1000) of --size bytes (default\n"
    "               64, at most 65536) each; prints the median and 99th\n"
    "               percentile round-trip time in microseconds\n"
    "\n"
    "  --help       this text        --version   the version\n"
    "\n"
    "Exit status: 0 measured, 1 network error, 2 bad arguments.\n";

static int parse_error(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -1;
}

/* A decimal number in [min, max]; nothing else (no sign, no suffix). */
static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_mode(const char *word, struct nettest_opts *o)
{
    static const struct { const char *name; enum nettest_mode mode; } modes[] = {
        { "server", NETTEST_SERVER },      { "throughput", NETTEST_THROUGHPUT },
        { "latency", NETTEST_LATENCY },    { "--help", NETTEST_HELP },
        { "-h", NETTEST_HELP },            { "--version", NETTEST_VERSION },
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (!strcmp(word, modes[i].name)) {
            o->mode = modes[i].mode;
            return 0;
        }
    return -1;
}

/* One "--name value" option; which ones a mode accepts is checked here. */
static int parse_option(struct nettest_opts *o, const char *name, const char *value,
                        char *err, size_t errlen)
{
    bool client = o->mode != NETTEST_SERVER;
    uint32_t port;
    if (!strcmp(name, "--port")) {
        if (parse_u32(value, 1, 65535, &port))
            return parse_error(err, errlen, "--port: not a port number (1-65535): %s", value);
        o->port = (uint16_t)port;
    } else if (!strcmp(name, "--bind") && !client) {
        struct in6_addr a;
        if (inet_pton(AF_INET, value, &a) != 1 && inet_pton(AF_INET6, value, &a) != 1)
            return parse_error(err, errlen, "--bind: not an IPv4 or IPv6 address: %s", value);
        o->host = value;
    } else if (!strcmp(name, "--mib") && o->mode == NETTEST_THROUGHPUT) {
        if (parse_u32(value, 1, NETTEST_MAX_MIB, &o->mib))
            return parse_error(err, errlen, "--mib: not a size in MiB (1-1048576): %s", value);
    } else if (!strcmp(name, "--seconds") && o->mode == NETTEST_THROUGHPUT) {
        if (parse_u32(value, 1, NETTEST_MAX_SECONDS, &o->seconds))
            return parse_error(err, errlen, "--seconds: not a duration (1-86400): %s", value);
    } else if (!strcmp(name, "--count") && o->mode == NETTEST_LATENCY) {
        if (parse_u32(value, 1, NETTEST_MAX_COUNT, &o->count))
            return parse_error(err, errlen, "--count: not a count (1-10000000): %s", value);
    } else if (!strcmp(name, "--size") && o->mode == NETTEST_LATENCY) {
        if (parse_u32(value, 1, NETTEST_MAX_SIZE, &o->size))
            return parse_error(err, errlen, "--size: not a size in bytes (1-65536): %s", value);
    } else {
        return parse_error(err, errlen, "unknown option for this mode: %s", name);
    }
    return 0;
}

static void set_defaults(struct nettest_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->port = NETTEST_DEFAULT_PORT;
    o->mib = NETTEST_DEFAULT_MIB;
    o->count = NETTEST_DEFAULT_COUNT;
    o->size = NETTEST_DEFAULT_SIZE;
}

int nettest_parse_args(int argc, char **argv, struct nettest_opts *o,
                       char *err, size_t errlen)
{
    set_defaults(o);
    if (argc < 2)
        return parse_error(err, errlen, "%s", "no mode given (server, throughput or latency; --help)");
    if (parse_mode(argv[1], o))
        return parse_error(err, errlen, "unknown mode: %s (server, throughput or latency; --help)", argv[1]);
    if (o->mode == NETTEST_HELP || o->mode == NETTEST_VERSION)
        return argc == 2 ? 0 : parse_error(err, errlen, "unexpected argument: %s", argv[2]);
    int i = 2;
    bool seen_mib = false;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            o->mode = NETTEST_HELP;
            return 0;
        }
        if (!strcmp(a, "--once") && o->mode == NETTEST_SERVER) {
            o->once = true;
        } else if (a[0] == '-') {
            if (i + 1 >= argc)
                return parse_error(err, errlen, "%s needs a value", a);
            if (parse_option(o, a, argv[i + 1], err, errlen))
                return -1;
            seen_mib |= !strcmp(a, "--mib");
            i++;
        } else if (o->mode != NETTEST_SERVER && !o->host) {
            o->host = a;
        } else {
            return parse_error(err, errlen, "unexpected argument: %s", a);
        }
    }
    if (o->mode != NETTEST_SERVER && !o->host)
        return parse_error(err, errlen, "%s", "no HOST given: the address of the machine running the server");
    if (seen_mib && o->seconds)
        return parse_error(err, errlen, "%s", "--mib and --seconds exclude each other");
    return 0;
}
