/* ui_install: Install to disk hands the terminal to corral-install (its
 * interactive mode: disk list, confirmation, progress, result), so the
 * console does exactly what the installer does. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "isofile.h"
#include "screens.h"
#include "ui.h"
#include "vmform.h"

int run_in_terminal(const char *const *argv, const char *banner, enum terminal_pause pause)
{
    pid_t pid;
    int status = 0;
    char line[16];
    bool ok;

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
    ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok || pause == PAUSE_ALWAYS) {
        printf("\n%s finished%s. Press Enter to return to the console menu.", argv[0],
               ok ? "" : " with an error");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
            clearerr(stdin);
    }
    /* Keys typed for the program are not for the menu. */
    tcflush(STDIN_FILENO, TCIFLUSH);
    ui_resume();
    if (pid < 0)
        return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The ISO the field names: a file name in the images directory, or a
 * path; it must be an ISO 9660 image. */
static int check_iso(const struct ui_form *f, size_t i, char *why, size_t len)
{
    char path[VMFORM_PATH_MAX];

    if (!*ui_field_value(f, i))
        return isofile_check("", why, len);
    vmform_image_path(VMFORM_IMAGES_DIR, ui_field_value(f, i), path, sizeof(path));
    return isofile_check(path, why, len);
}

/* "Candidates in DIR: a.iso, b.iso" (or how to get one there); the first
 * candidate's name into first ("" when none). */
static void list_candidates(char *out, size_t len, char *first, size_t first_len)
{
    char names[VMFORM_LIST_MAX][VMFORM_NAME_MAX];
    int n = vmform_list_images(VMFORM_IMAGES_DIR, true, names, VMFORM_LIST_MAX);
    size_t used = (size_t)snprintf(out, len, "ISOs in %s: ", VMFORM_IMAGES_DIR);

    first[0] = '\0';
    if (n <= 0) {
        snprintf(out + used, len - used, "none yet: copy the new ISO there (scp, or corral "
                                         "image import), or type its path.");
        return;
    }
    snprintf(first, first_len, "%s", names[0]);
    for (int i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "", names[i]);
}

/* corral-install --upgrade ISO: the new system into the other boot slot. */
static void upgrade_screen(void)
{
    static char intro[VMFORM_LIST_MAX * (VMFORM_NAME_MAX + 2) + 400], path[VMFORM_PATH_MAX];
    char first[VMFORM_NAME_MAX], candidates[sizeof(intro) - 300];
    struct ui_field field;
    struct ui_form form = {"Upgrade from an ISO", intro, &field, 1, NULL, false, 0};
    const char *argv[] = {"corral-install", "--upgrade", path, NULL};

    list_candidates(candidates, sizeof(candidates), first, sizeof(first));
    snprintf(intro, sizeof(intro), "%s\nThe new system goes into the other boot slot and is "
             "tried at the next boot; if it does not come up, this one boots again.", candidates);
    ui_field_text(&field, "ISO file", first, 512);
    field.check = check_iso;
    field.hint = "a name from the list, or a path";
    if (!ui_form_run(&form))
        return;
    vmform_image_path(VMFORM_IMAGES_DIR, field.edit.text, path, sizeof(path));
    run_in_terminal(argv, NULL, PAUSE_ALWAYS);
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
            run_in_terminal(install, NULL, PAUSE_ALWAYS);
            break;
        case 1:
            upgrade_screen();
            break;
        }
    }
}
