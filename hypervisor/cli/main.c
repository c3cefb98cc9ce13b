/* corral: the command line interface to corrald (see cli.h, docs/cli.md). */
#include "cli.h"
#include "tls_client.h"

#include <signal.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const char *state_dir = getenv("CORRAL_STATE_DIR");
    struct cli cli = { false, proto_socket_path(),
                       state_dir && state_dir[0] ? state_dir : "/var/lib/corral",
                       &tls_client_mbedtls };
    signal(SIGPIPE, SIG_IGN); /* a gone corrald is an error reply, not death */
    return cli_run(&cli, argc, argv);
}
