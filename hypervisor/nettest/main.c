/* corral-nettest: TCP throughput and round-trip latency between two
 * machines (a VM and the control domain, two VMs).  The protocol and both
 * ends are in nettest_net.c; the command line in nettest_args.c. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "nettest_args.h"
#include "nettest_net.h"
#include "nettest_stats.h"

#define ERRLEN 256
#define EXIT_NET 1
#define EXIT_USAGE 2

static int fail(const char *msg)
{
    fprintf(stderr, "corral-nettest: %s\n", msg);
    return EXIT_NET;
}

static void print_session(const struct nettest_session *s)
{
    if (s->hello.kind == NETTEST_KIND_THROUGHPUT)
        printf("server: %s: received %.1f MiB in %.3f s: %.1f MiB/s\n", s->peer,
               (double)s->bytes / 1048576.0, (double)s->ns / 1e9,
               nettest_mib_per_s(s->bytes, s->ns));
    else
        printf("server: %s: echoed %u round trips of %u bytes\n", s->peer,
               s->hello.count, s->hello.size);
    fflush(stdout);
}

static int run_server(const struct nettest_opts *o)
{
    char err[ERRLEN];
    int fd = nettest_listen(o->host, o->port, err, sizeof(err));
    if (fd < 0)
        return fail(err);
    printf("server: listening on port %d\n", nettest_local_port(fd));
    fflush(stdout);
    for (;;) {
        struct nettest_session s;
        int rc = nettest_serve_one(fd, &s, err, sizeof(err));
        if (rc)
            fprintf(stderr, "corral-nettest: client %s: %s\n", s.peer[0] ? s.peer : "?", err);
        else
            print_session(&s);
        if (o->once) {
            close(fd);
            return rc ? EXIT_NET : 0;
        }
    }
}

static int run_throughput(const struct nettest_opts *o)
{
    char err[ERRLEN];
    int fd = nettest_connect(o->host, o->port, err, sizeof(err));
    if (fd < 0)
        return fail(err);
    uint64_t sent = 0, ns = 0;
    int rc = nettest_run_throughput(fd, (uint64_t)o->mib << 20, o->seconds, &sent, &ns,
                                    err, sizeof(err));
    close(fd);
    if (rc)
        return fail(err);
    printf("throughput: %.1f MiB in %.3f s: %.1f MiB/s (%.0f Mbit/s)\n",
           (double)sent / 1048576.0, (double)ns / 1e9, nettest_mib_per_s(sent, ns),
           nettest_mib_per_s(sent, ns) * 8.388608);
    return 0;
}

static int run_latency(const struct nettest_opts *o)
{
    char err[ERRLEN];
    uint64_t *rtt = calloc(o->count, sizeof(*rtt));
    if (!rtt)
        return fail("out of memory for the round-trip times");
    int fd = nettest_connect(o->host, o->port, err, sizeof(err));
    int rc = fd < 0 ? -1 : nettest_run_latency(fd, o->count, o->size, rtt, err, sizeof(err));
    if (fd >= 0)
        close(fd);
    if (!rc) {
        uint64_t min = nettest_percentile(rtt, o->count, 0);
        uint64_t median = nettest_percentile(rtt, o->count, 50);
        uint64_t p99 = nettest_percentile(rtt, o->count, 99);
        uint64_t max = nettest_percentile(rtt, o->count, 100);
        printf("latency: %u round trips of %u bytes: median %.1f us, p99 %.1f us "
               "(min %.1f us, max %.1f us)\n", o->count, o->size, median / 1e3,
               p99 / 1e3, min / 1e3, max / 1e3);
    }
    free(rtt);
    return rc ? fail(err) : 0;
}

int main(int argc, char **argv)
{
    struct nettest_opts o;
    char err[ERRLEN];
    if (nettest_parse_args(argc, argv, &o, err, sizeof(err))) {
        fprintf(stderr, "corral-nettest: %s\n", err);
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN); /* a peer going away is a failed send */
    switch (o.mode) {
    case NETTEST_HELP:       fputs(nettest_usage, stdout); return 0;
    case NETTEST_VERSION:    printf("corral-nettest %s\n", CORRAL_VERSION); return 0;
    case NETTEST_SERVER:     return run_server(&o);
    case NETTEST_THROUGHPUT: return run_throughput(&o);
    case NETTEST_LATENCY:    return run_latency(&o);
    }
    return EXIT_USAGE;
}
