/* screens: the console UI's screens, one file each (ui_*.c), on top of the
 * drawing and input in ui.h. */
#ifndef CORRAL_SETUP_SCREENS_H
#define CORRAL_SETUP_SCREENS_H

#include <stdbool.h>
#include <stddef.h>

/* The home screen until the program ends (it never returns on its own). */
void home_run(void);

/* Main menu entries. */
void network_menu(void);
void security_menu(void);
void logs_menu(void);
void vms_menu(void);
/* Virtual machines > Create a VM (ui_vm_create.c), booting from image (an
 * ISO or a disk image in the images directory) when not NULL.  True when
 * the VM was created; its name is then in name. */
bool vm_create_screen(const char *image, char *name, size_t len);
/* A VM's menu (start, stop, console...) until Esc, the Console item
 * first chosen when console_first. */
void vm_open(const char *name, bool console_first);
/* After the wizard created name: asks whether to start it, then its menu. */
void vm_created(const char *name);
/* Virtual machines > Import an image from a USB stick or disk (ui_import.c). */
void import_screen(void);
void install_menu(void);
void shell_run(void);
/* Reboot (reboot = true) or power off, after a confirmation. */
void power_action(bool reboot);

/* Console lock: true when the console may change things now (no root
 * password set, the lock is off, or the right password was typed since
 * the last return to the home screen). */
bool console_unlock(const char *why);
void console_relock(void);
/* Whether root has a password (a usable hash in /etc/shadow). */
bool root_password_is_set(void);
/* Whether typed is root's password. */
bool root_password_matches(const char *typed);

/* Runs a command that prints a log and shows it scrollable, at its end. */
void show_log(const char *title, const char *const *argv);
/* Runs a command and shows its output as a message or a text view when
 * it is long; returns its exit status (see run_command). */
int show_command(const char *title, const char *const *argv, int timeout_ms);
/* Runs argv on the terminal (outside curses: an installer, a VM's console)
 * after printing banner (may be NULL), and waits for Enter after it so that
 * its last words can be read: always, or only when it failed (a console
 * left with Ctrl-] comes straight back).  Returns its exit status or
 * -errno. */
enum terminal_pause { PAUSE_ALWAYS, PAUSE_ON_ERROR };
int run_in_terminal(const char *const *argv, const char *banner, enum terminal_pause pause);
/* The VMs from corrald (corral --json vm list); 0, or -errno / -EINVAL with
 * the reason in why (corrald not running, say). */
struct vm_list;
int vms_fetch(struct vm_list *list, char *why, size_t len);
/* Whether a program exists (PATH lookup like execvp). */
bool program_exists(const char *name);

#endif
