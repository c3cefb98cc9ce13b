/* ui_install and the VM menu's entry: both hand the terminal to the
 * programs that do the work (corral-install, the corral command), so the
 * console does exactly what those commands do. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "screens.h"
#include "ui.h"

/* Runs argv on the terminal (outside curses) and waits for Enter after it
 * so that its last words can be read.  Returns its exit status or -errno. */
static int run_in_terminal(const char *const *argv)
{
    pid_t pid;
    int status = 0;
    char line[16];

    ui_suspend();
    pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    tcsetpgrp(STDIN_FILENO, getpgrp());
    printf("\n%s finished%s. Press Enter to return to the console menu.", argv[0],
           pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : " with an error");
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin))
        clearerr(stdin);
    ui_resume();
    if (pid < 0)
        return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void install_menu(void)
{
    const char *argv[] = {"corral-install", NULL};

    if (!program_exists(argv[0])) {
        ui_message("Install to disk", "The installer (corral-install) is not part of this "
                                      "build yet.");
        return;
    }
    run_in_terminal(argv);
}

void vms_menu(void)
{
    const char *argv[] = {"corral", "vm", "list", NULL};

    if (!program_exists(argv[0])) {
        ui_message("Virtual machines", "The VM manager (corrald and the corral command) is not "
                                       "part of this build yet.");
        return;
    }
    show_command("Virtual machines", argv, 20000);
}
