/* ui_install: Install to disk hands the terminal to corral-install (its
 * interactive mode: disk list, confirmation, progress, result), so the
 * console does exactly what the installer does. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "screens.h"
#include "ui.h"

int run_in_terminal(const char *const *argv, const char *banner)
{
    pid_t pid;
    int status = 0;
    char line[16];

    ui_suspend();
    if (banner) {
        printf("%s\n", banner);
        fflush(stdout);
    }
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
    run_in_terminal(argv, NULL);
}
