/* corral-setup: the console UI on tty1 and ttyS0.
 *
 *   corral-setup [--tty TTY]
 *
 * Started by /usr/libexec/corral/console (respawned by init), one instance
 * per console.  Environment: CORRAL_SETUP_ROOT puts every file the UI reads
 * or writes under another directory, for trying it out on a development
 * machine (commands are looked up in PATH as usual). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "screens.h"
#include "sysinfo.h"
#include "ui.h"

static void usage(void)
{
    fprintf(stderr, "usage: corral-setup [--tty TTY]\n"
                    "The Corral console UI (see docs/console.md).\n");
}

static void on_terminate(int sig)
{
    ui_stop();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Keys on the console must not kill the UI, and a job-control shell it
 * starts must be able to hand the terminal back. */
static void setup_signals(void)
{
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTSTP, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_terminate);
    signal(SIGHUP, on_terminate);
}

static void read_version(void)
{
    char path[512], text[4096];

    snprintf(ui_ctx.version, sizeof(ui_ctx.version), "%s", CORRAL_VERSION);
    if (read_small_file(root_path("/etc/corral-release", path, sizeof(path)), text, sizeof(text)) > 0) {
        char v[32];
        release_value(text, "CORRAL_VERSION", v, sizeof(v));
        if (v[0])
            snprintf(ui_ctx.version, sizeof(ui_ctx.version), "%s", v);
    }
}

int main(int argc, char **argv)
{
    const char *tty = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tty") == 0 && i + 1 < argc) {
            tty = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "corral-setup: needs a terminal\n");
        return 1;
    }
    setup_signals();
    read_version();
    ui_start(tty);
    home_run();
    ui_stop();
    return 0;
}
