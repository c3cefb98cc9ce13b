/* runcmd: run one of the control domain's commands and collect what it
 * printed.  The console UI does no system work itself: it asks commands
 * (the network script, chpasswd, logread, corral, corral-install...); the
 * installer runs sfdisk, mke2fs, mount and the like the same way. */
#ifndef CORRAL_RUNCMD_H
#define CORRAL_RUNCMD_H

#include <stdbool.h>
#include <stddef.h>

struct run_request {
    const char *const *argv; /* argv[0] looked up in PATH */
    const char *input;       /* written to its stdin; NULL: stdin closed */
    char *out;               /* stdout + stderr, NUL terminated */
    size_t len;
    int timeout_ms;          /* then it is killed; < 0: no limit */
    /* When the output does not fit: keep its end (where tools say what
     * went wrong) instead of its start ended by "...". */
    bool keep_tail;
    /* Run it in a session of its own, so that keys typed at the console
     * (Ctrl-C) do not signal it: the console UI's commands. */
    bool own_session;
    int killed_by;           /* out: the signal that ended it, 0 if it exited */
};

/* Runs r->argv until it exits (a daemon it started may hold the output
 * open: its exit, not the end of the output, ends the wait) or the time is
 * up.  Returns the exit status 0..255, 128+N when killed by signal N,
 * -ETIMEDOUT, or -errno when it could not run. */
int run_request(struct run_request *r);

/* The console UI's form: its own session, the output's start kept. */
int run_command(const char *const *argv, const char *input, char *out, size_t len,
                int timeout_ms);

#endif
