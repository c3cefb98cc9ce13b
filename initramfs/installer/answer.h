/* answer: what an install is told, from an answer file (unattended) or
 * from the command line and prompts (interactive).
 *
 * An answer file is Corral's `key = value` format (lib/conf.h);
 * the keys are documented in docs/install.md:
 *
 *   disk = vda | /dev/vda | largest | smallest     (required)
 *   wipe = yes             a disk that has partitions may be overwritten
 *   root_password_hash = $6$...                    (crypt(3) hash)
 *   ssh_key = ssh-ed25519 AAAA... (may repeat)
 *       at least one of these two is required: an install that nobody
 *       can log in to is refused before anything is written
 *   boot_password_pbkdf2 = grub.pbkdf2.sha512...   locks the boot menu
 *   console = screen | serial   the boot menu's default entry
 *   reboot = yes           reboot when the install is done
 *
 * and every key of system.conf (lib/sysconf_keys.h: hostname, net_mode,
 * ...), checked by that table as the console UI checks it, and written
 * into the installed system's system.conf.
 *
 * Unknown keys and bad values are errors with the file's path and line. */
#ifndef CORRAL_INSTALLER_ANSWER_H
#define CORRAL_INSTALLER_ANSWER_H

#include <stddef.h>

#include "bootcfg.h"
#include "conf.h"
#include "pbkdf2.h"
#include "sysconf_keys.h"

#define ANSWER_MAX_KEYS 16

struct answer {
    char disk[64];
    int wipe;
    char root_password_hash[256];
    char boot_password_pbkdf2[GRUB_PBKDF2_MAX];
    char ssh_keys[ANSWER_MAX_KEYS][CONF_MAX_LINE];
    size_t ssh_key_count;
    /* system.conf's keys, indexed by enum sysconf_key; "" when not given */
    char system[SYSCONF_KEY_COUNT][SYSCONF_VALUE_MAX];
    enum boot_console console;
    int reboot;
};

void answer_init(struct answer *a);

/* Fills a from parsed answer-file entries; path names the file in errors.
 * Returns 0, or -EINVAL with err set (path, line, reason). */
int answer_from_conf(const struct conf *c, const char *path, struct answer *a,
                     struct conf_error *err);

/* Whether the installed system can be logged in to: the answer's password
 * hash or keys, else the live session's (its shadow and authorized_keys
 * text, either may be NULL).  0, or -EACCES with what to do in why. */
int answer_check_login(const struct answer *a, const char *live_shadow,
                       const char *live_authorized_keys, char *why, size_t len);

/* 1 when s is a crypt(3) hash root's password may be set to. */
int valid_password_hash(const char *s);

/* Puts the answer's system.conf settings into system's entries; keys the
 * answer leaves out are kept as they are. */
int answer_apply_system_conf(const struct answer *a, struct conf *system);

/* A copy of the shadow file text with root's password field replaced by
 * hash; malloc'd, NULL when out of memory or no root line exists. */
char *shadow_with_root_hash(const char *shadow, const char *hash);

#endif
