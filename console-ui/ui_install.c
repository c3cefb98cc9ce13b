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

static int check_iso(const struct ui_form *f, size_t i, char *why, size_t len)
{
    const char *path = ui_field_value(f, i);

    if (!*path) {
        snprintf(why, len, "required: the path of the new Corral ISO");
        return -EINVAL;
    }
    if (access(path, R_OK) != 0) {
        snprintf(why, len, "%.200s", strerror(errno));
        return -errno;
    }
    return 0;
}

/* corral-install --upgrade ISO: the new system into the other boot slot. */
static void upgrade_screen(void)
{
    struct ui_field field;
    struct ui_form form = {"Upgrade from an ISO",
                           "The new ISO's system goes into the other boot slot and is tried at "
                           "the next boot; if it does not come up, the current one boots again.",
                           &field, 1, NULL};
    const char *argv[] = {"corral-install", "--upgrade", field.edit.text, NULL};

    ui_field_text(&field, "ISO file", "/var/lib/corral/images/", 512);
    field.check = check_iso;
    field.hint = "copy it there first (corral image import URL, or scp)";
    if (ui_form_run(&form))
        run_in_terminal(argv, NULL);
}

void install_menu(void)
{
    const char *install[] = {"corral-install", NULL};
    struct menu_item items[] = {
        {'I', "Install to disk", "The installer lists the disks (size, model), asks you to "
                                 "confirm by typing the disk's name, shows each step's "
                                 "progress, and says what happened.", true},
        {'U', "Upgrade from an ISO", "An installed Corral: put a newer ISO's system into the "
                                     "other boot slot, with automatic rollback.", true},
    };
    struct menu m;

    if (!program_exists(install[0])) {
        ui_message("Install to disk", "The installer (corral-install) is not part of this "
                                      "build yet.");
        return;
    }
    menu_init(&m, items, 2);
    for (;;) {
        switch (ui_menu_run("Install", &m, NULL)) {
        case -1:
            return;
        case 0:
            run_in_terminal(install, NULL);
            break;
        case 1:
            upgrade_screen();
            break;
        }
    }
}
