/* runcmd: run one of the control domain's commands (the network script,
 * chpasswd, logread, corral, corral-install...) and collect what it
 * printed.  The UI does no system work itself: it asks these commands. */
#ifndef CORRAL_SETUP_RUNCMD_H
#define CORRAL_SETUP_RUNCMD_H

#include <stddef.h>

/* Runs argv (argv[0] looked up in PATH) with input (may be NULL) on its
 * stdin and stdout + stderr collected into out (NUL terminated; what does
 * not fit is dropped, the end of the text kept readable by ending in
 * "..."), for at most timeout_ms (then it is killed).  Returns the exit
 * status 0..255, 128+N when killed by signal N, -ETIMEDOUT, or -errno
 * when it could not run. */
int run_command(const char *const *argv, const char *input, char *out, size_t len,
                int timeout_ms);

#endif
