/* ui_security: root password, SSH authorized keys, SSH password login and
 * the console lock.  The password is hashed by BusyBox's chpasswd into
 * /etc/shadow, which is a link to /var/lib/corral/shadow (rcS), so an
 * installed system keeps it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "password.h"
#include "runcmd.h"
#include "screens.h"
#include "sysconf.h"
#include "sysinfo.h"
#include "ui.h"
#include "validate.h"

#define AUTHORIZED_KEYS "/var/lib/corral/ssh/authorized_keys"
#define SSH_SCRIPT "/usr/libexec/corral/ssh"
#define KEYS_MAX_BYTES (64 * 1024)
#define MAX_KEYS 64

static const char *conf_path(void)
{
    static char path[512];
    return root_path(SYSTEM_CONF, path, sizeof(path));
}

/* --- root password ------------------------------------------------------------- */

enum { PW_FIRST, PW_SECOND, PW_COUNT };

static int check_first(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return password_check_rules(ui_field_value(f, i), why, len);
}

static int check_second(const struct ui_form *f, size_t i, char *why, size_t len)
{
    if (password_check_rules(ui_field_value(f, PW_FIRST), NULL, 0) != 0)
        return 0; /* the first field shows what is wrong */
    return password_check_pair(ui_field_value(f, PW_FIRST), ui_field_value(f, i), why, len);
}

static void password_screen(void)
{
    struct ui_field fields[PW_COUNT];
    char intro[200];
    struct ui_form form = {"Root password", intro, fields, PW_COUNT, NULL, false, 0};
    char input[PASSWORD_MAX_LENGTH + 8], out[1024];
    const char *argv[] = {"chpasswd", NULL};
    const char *boot_argv[] = {"corral-install", "--boot-password", NULL};
    int status;

    snprintf(intro, sizeof(intro), "At least %d characters. Used for SSH password login, the "
                                   "console lock and the shell.", PASSWORD_MIN_LENGTH);
    ui_field_text(&fields[PW_FIRST], "New password", "", PASSWORD_MAX_LENGTH);
    fields[PW_FIRST].kind = UI_FIELD_SECRET;
    fields[PW_FIRST].check = check_first;
    ui_field_text(&fields[PW_SECOND], "Again", "", PASSWORD_MAX_LENGTH);
    fields[PW_SECOND].kind = UI_FIELD_SECRET;
    fields[PW_SECOND].check = check_second;
    if (!ui_form_run(&form))
        goto wipe;
    snprintf(input, sizeof(input), "root:%.*s\n", PASSWORD_MAX_LENGTH, fields[PW_FIRST].edit.text);
    status = run_command(argv, input, out, sizeof(out), 10000);
    if (status == 0) {
        /* The same password locks the boot menu (GRUB's PBKDF2 form). */
        snprintf(input, sizeof(input), "%.*s\n", PASSWORD_MAX_LENGTH, fields[PW_FIRST].edit.text);
        status = run_command(boot_argv, input, out, sizeof(out), 60000);
        if (status != 0 && !out[0])
            snprintf(out, sizeof(out), "corral-install --boot-password failed.");
    }
    explicit_bzero(input, sizeof(input));
    if (status != 0)
        ui_message(form.title, out[0] ? out : "chpasswd failed: the password was not changed.");
    else
        ui_message(form.title, "The root password is set. It also locks the boot menu.");
wipe:
    explicit_bzero(fields, sizeof(fields));
}

/* --- SSH authorized keys ------------------------------------------------------------ */

static const char *keys_path(void)
{
    static char path[512];
    return root_path(AUTHORIZED_KEYS, path, sizeof(path));
}

/* The file's text (may be empty); false when it exists but cannot be read. */
static bool read_keys(char *text, size_t len)
{
    long r = read_small_file(keys_path(), text, len);
    return r >= 0 || r == -ENOENT;
}

static int write_keys(const char *text, char *why, size_t len)
{
    int r = write_file_atomic(keys_path(), text, strlen(text), 0600);
    if (r)
        snprintf(why, len, "%s: %s", AUTHORIZED_KEYS, strerror(-r));
    return r;
}

static int check_key(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_ssh_public_key(ui_field_value(f, i), why, len);
}

static void add_key_screen(void)
{
    struct ui_field field;
    struct ui_form form = {"Add SSH key", "Paste a public key (one line, e.g. the contents of "
                                          "~/.ssh/id_ed25519.pub). It allows root login over SSH.",
                           &field, 1, NULL, false, 0};
    static char text[KEYS_MAX_BYTES + LINEEDIT_MAX + 2];
    char why[512];
    size_t used;

    ui_field_text(&field, "Public key", "", LINEEDIT_MAX);
    field.check = check_key;
    if (!ui_form_run(&form))
        return;
    if (!read_keys(text, KEYS_MAX_BYTES)) {
        ui_message(form.title, "The authorized keys file cannot be read.");
        return;
    }
    if (strstr(text, field.edit.text)) {
        ui_message(form.title, "This key is already installed.");
        return;
    }
    used = strlen(text);
    snprintf(text + used, sizeof(text) - used, "%s%s\n", used ? "\n" : "", field.edit.text);
    if (write_keys(text, why, sizeof(why)) == 0)
        ui_message(form.title, "Key added: it can log in as root over SSH now.");
    else
        ui_message(form.title, why);
}

/* "ssh-ed25519 ...AbCdEf me@laptop": type, the end of the key, comment. */
static void key_label(const char *line, char *out, size_t len)
{
    char type[40] = "", blob[1024] = "", comment[80] = "";
    size_t blob_len;

    sscanf(line, "%39s %1023s %79[^\n]", type, blob, comment);
    blob_len = strlen(blob);
    snprintf(out, len, "%.24s ...%.8s %.40s", type, blob + (blob_len > 8 ? blob_len - 8 : 0), comment);
}

static void remove_key_screen(void)
{
    static char text[KEYS_MAX_BYTES];
    char *lines[MAX_KEYS], labels[MAX_KEYS][80], why[512];
    struct menu_item items[MAX_KEYS];
    struct menu m;
    size_t count = 0;
    int chosen;

    if (!read_keys(text, sizeof(text))) {
        ui_message("Remove SSH key", "The authorized keys file cannot be read.");
        return;
    }
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && count < MAX_KEYS;
         l = strtok_r(NULL, "\n", &save)) {
        if (!*l || *l == '#')
            continue;
        lines[count] = l;
        key_label(l, labels[count], sizeof(labels[count]));
        items[count] = (struct menu_item){0, labels[count], l, true};
        count++;
    }
    if (count == 0) {
        ui_message("Remove SSH key", "No SSH key is installed.");
        return;
    }
    menu_init(&m, items, count);
    chosen = ui_menu_run("Remove which key?", &m, NULL);
    if (chosen < 0 || !ui_confirm("Remove SSH key", "Remove this key? It can no longer log in."))
        return;
    {
        static char rest[KEYS_MAX_BYTES];
        size_t used = 0;
        rest[0] = '\0';
        for (size_t i = 0; i < count; i++)
            if (i != (size_t)chosen)
                used += (size_t)snprintf(rest + used, sizeof(rest) - used, "%s\n", lines[i]);
        if (write_keys(rest, why, sizeof(why)) == 0)
            ui_message("Remove SSH key", "Key removed.");
        else
            ui_message("Remove SSH key", why);
    }
}

/* --- switches: SSH password login, console lock ------------------------------------- */

static bool set_switch(const char *title, enum sysconf_key key, bool on)
{
    const enum sysconf_key keys[] = {key};
    const char *values[] = {on ? "yes" : "no"};
    char why[512];

    if (sysconf_update(conf_path(), keys, values, 1, why, sizeof(why)) == 0)
        return true;
    ui_message(title, why);
    return false;
}

static void ssh_password_switch(void)
{
    const char *title = "SSH password login";
    bool on = sysconf_get_bool(conf_path(), SYSCONF_SSH_PASSWORD_LOGIN);
    char question[200], script[512];
    const char *restart[] = {root_path(SSH_SCRIPT, script, sizeof(script)), "restart", NULL};

    snprintf(question, sizeof(question), "SSH password login is %s. Turn it %s? (Open SSH "
                                         "sessions stay.)", on ? "on" : "off", on ? "off" : "on");
    if (!ui_confirm(title, question) || !set_switch(title, SYSCONF_SSH_PASSWORD_LOGIN, !on))
        return;
    show_command(title, restart, 20000);
}

static void console_lock_switch(void)
{
    const char *title = "Console lock";
    bool on = sysconf_get_bool(conf_path(), SYSCONF_CONSOLE_LOCK);
    char question[300];

    snprintf(question, sizeof(question),
             "The console lock is %s. Turn it %s?\n\nWhen on, the menu asks for the root "
             "password (once one is set) before anything can be changed.%s",
             on ? "on" : "off", on ? "off" : "on",
             root_password_is_set() ? "" : "\n\nNo root password is set yet: the lock has "
                                          "no effect until one is.");
    if (ui_confirm(title, question) && set_switch(title, SYSCONF_CONSOLE_LOCK, !on))
        ui_message(title, on ? "The console lock is off." : "The console lock is on.");
}

void security_menu(void)
{
    for (;;) {
        char ssh_label[48], lock_label[48];
        bool pw_login = sysconf_get_bool(conf_path(), SYSCONF_SSH_PASSWORD_LOGIN);
        bool lock = sysconf_get_bool(conf_path(), SYSCONF_CONSOLE_LOCK);
        struct menu_item items[] = {
            {'P', "Root password", "Set root's password (twice). Until one is set, root "
                                   "logs in over SSH with a key only.", true},
            {'A', "Add SSH key", "Allow a public key to log in as root over SSH.", true},
            {'K', "Remove SSH key", "Choose an installed key and remove it.", true},
            {'W', ssh_label, "Allow or refuse root's password over SSH (keys always work).", true},
            {'L', lock_label, "When on, the menu asks for the root password before anything "
                              "can be changed.", true},
        };
        static struct menu m;
        static bool initialised;
        size_t selected = initialised ? m.selected : 0;
        snprintf(ssh_label, sizeof(ssh_label), "SSH passwords: %s", pw_login ? "on" : "off");
        snprintf(lock_label, sizeof(lock_label), "Console lock: %s", lock ? "on" : "off");
        menu_init(&m, items, sizeof(items) / sizeof(items[0]));
        m.selected = selected;
        initialised = true;
        switch (ui_menu_run("Security", &m, NULL)) {
        case -1:
            initialised = false;
            return;
        case 0:
            password_screen();
            break;
        case 1:
            add_key_screen();
            break;
        case 2:
            remove_key_screen();
            break;
        case 3:
            ssh_password_switch();
            break;
        case 4:
            console_lock_switch();
            break;
        }
    }
}
