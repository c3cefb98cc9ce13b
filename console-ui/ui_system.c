/* ui_system: the command shell, the console lock, and running commands
 * for the other screens. */
#include <crypt.h>
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "password.h"
#include "runcmd.h"
#include "screens.h"
#include "sysconf.h"
#include "sysinfo.h"
#include "ui.h"

#define OUTPUT_MAX (512 * 1024)

static bool unlocked_by_password;

bool program_exists(const char *name)
{
    const char *path = getenv("PATH");
    char dir_buf[4096];

    if (strchr(name, '/'))
        return access(name, X_OK) == 0;
    snprintf(dir_buf, sizeof(dir_buf), "%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
    for (char *save = NULL, *dir = strtok_r(dir_buf, ":", &save); dir;
         dir = strtok_r(NULL, ":", &save)) {
        char full[4200];
        snprintf(full, sizeof(full), "%s/%s", dir, name);
        if (access(full, X_OK) == 0)
            return true;
    }
    return false;
}

int show_command(const char *title, const char *const *argv, int timeout_ms)
{
    char *out = malloc(OUTPUT_MAX);
    int status;

    if (!out) {
        ui_message(title, "Not enough memory to run this.");
        return -ENOMEM;
    }
    ui_progress(title, "Running...");
    status = run_command(argv, NULL, out, OUTPUT_MAX, timeout_ms);
    if (status == -ETIMEDOUT)
        snprintf(out, OUTPUT_MAX, "%s did not finish in %d s and was stopped.", argv[0],
                 timeout_ms / 1000);
    else if (status < 0)
        snprintf(out, OUTPUT_MAX, "%s could not run: %s", argv[0], strerror(-status));
    else if (!out[0])
        snprintf(out, OUTPUT_MAX, status == 0 ? "Done." : "Failed (exit status %d).", status);
    ui_view_text(title, out, false);
    free(out);
    return status;
}

/* --- root password and the console lock ----------------------------------- */

static bool read_root_hash(char *hash, size_t len)
{
    char path[512], text[16384];

    if (read_small_file(root_path("/etc/shadow", path, sizeof(path)), text, sizeof(text)) < 0)
        return false;
    return shadow_root_hash(text, hash, len) == 0;
}

bool root_password_is_set(void)
{
    char hash[256];

    return read_root_hash(hash, sizeof(hash)) && shadow_hash_is_password(hash);
}

bool root_password_matches(const char *typed)
{
    char hash[256];
    const char *computed;

    if (!read_root_hash(hash, sizeof(hash)) || !shadow_hash_is_password(hash))
        return false;
    computed = crypt(typed, hash);
    return computed && strcmp(computed, hash) == 0;
}

static int check_root_password(const struct ui_form *f, size_t index, char *why, size_t len)
{
    if (root_password_matches(ui_field_value(f, index)))
        return 0;
    snprintf(why, len, "wrong password");
    return -EACCES;
}

/* Asks for root's password until it is typed (true) or the person goes
 * back (false). */
static bool prompt_root_password(const char *title)
{
    struct ui_field field;
    struct ui_form form = {title, "Type the root password to go on.", &field, 1, NULL, false, 0};
    bool ok;

    ui_field_text(&field, "Root password", "", PASSWORD_MAX_LENGTH);
    field.kind = UI_FIELD_SECRET;
    field.check = check_root_password;
    ok = ui_form_run(&form);
    explicit_bzero(field.edit.text, sizeof(field.edit.text));
    if (ok)
        unlocked_by_password = true;
    return ok;
}

bool console_unlock(const char *why)
{
    char path[512];

    if (unlocked_by_password || !root_password_is_set())
        return true;
    if (!sysconf_get_bool(root_path(SYSTEM_CONF, path, sizeof(path)), SYSCONF_CONSOLE_LOCK))
        return true;
    return prompt_root_password(why);
}

void console_relock(void)
{
    unlocked_by_password = false;
}

/* --- shell ---------------------------------------------------------------------- */

/* The terminal back to our process group after the shell (a job-control
 * shell makes its own group the foreground one). */
static void reclaim_terminal(void)
{
    tcsetpgrp(STDIN_FILENO, getpgrp());
}

/* Why the shell ended when it was not by exit (a signal), else NULL. */
static const char *shell_end_reason(int status, char *buf, size_t len)
{
    if (!WIFSIGNALED(status))
        return NULL;
    snprintf(buf, len, "The shell ended: killed by signal %d (%s). Press Enter to return to "
             "the menu.", WTERMSIG(status), strsignal(WTERMSIG(status)));
    return buf;
}

void shell_run(void)
{
    pid_t pid;
    int status = 0;
    char why[160];

    if (root_password_is_set() && !unlocked_by_password && !prompt_root_password("Command shell"))
        return;
    ui_suspend();
    printf("Corral command shell. Type exit to return to the console menu.\n");
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGTSTP, SIG_DFL);
        signal(SIGTTOU, SIG_DFL);
        signal(SIGTTIN, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "-sh", (char *)NULL);
        perror("corral-setup: /bin/sh");
        _exit(127);
    }
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    reclaim_terminal();
    /* Keys typed for the shell are not for the menu. */
    tcflush(STDIN_FILENO, TCIFLUSH);
    ui_resume();
    if (pid < 0)
        ui_message("Command shell", "Could not start a shell (fork failed).");
    else if (shell_end_reason(status, why, sizeof(why)))
        ui_message("Command shell", why);
}
