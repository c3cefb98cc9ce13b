/* Fuzz what corral-nettest's server reads from the network, the hello,
 * and its command line parser: any bytes give a decision, never a crash,
 * and an accepted latency hello stays within the bounds the server
 * allocates by. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/nettest/nettest_args.h"
#include "../../hypervisor/nettest/nettest_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_args(const uint8_t *data, size_t size)
{
    /* NUL-separated words become argv[1..] */
    char *copy = malloc(size + 1), *argv[16] = { "corral-nettest" };
    int argc = 1;
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (char *p = copy; argc < 15 && p <= copy + size; p += strlen(p) + 1)
        argv[argc++] = p;
    argv[argc] = NULL;
    struct nettest_opts o;
    char err[256];
    if (nettest_parse_args(argc, argv, &o, err, sizeof(err)) == 0 &&
        o.mode == NETTEST_LATENCY && (o.size == 0 || o.size > NETTEST_MAX_SIZE))
        abort();
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= NETTEST_HELLO_LEN) {
        uint8_t hello[NETTEST_HELLO_LEN];
        memcpy(hello, data, sizeof(hello));
        struct nettest_hello h;
        char err[128];
        if (nettest_hello_decode(hello, &h, err, sizeof(err)) == 0 &&
            h.kind == NETTEST_KIND_LATENCY &&
            (h.size < 1 || h.size > NETTEST_MAX_SIZE || h.count < 1))
            abort();
    }
    fuzz_args(data, size);
    return 0;
}
