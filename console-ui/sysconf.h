/* sysconf: the console UI's reads and writes of system.conf, through the
 * shared conf module (atomic writes; a broken file is reported with its
 * line, never rewritten).  Keys the UI writes:
 *
 *   hostname, net_mode, net_address, net_gateway, net_dns, net_nics,
 *   net_vlan                     read by usr/libexec/corral/network
 *   ssh_password_login = yes|no  read by usr/libexec/corral/ssh
 *   console_lock = yes|no        read here: the menu asks for the root
 *                                password (once one is set) */
#ifndef CORRAL_SETUP_SYSCONF_H
#define CORRAL_SETUP_SYSCONF_H

#include <stdbool.h>
#include <stddef.h>

#define SYSTEM_CONF "/var/lib/corral/system.conf"

/* The value of key in the file at path, or fallback when the file or key
 * is absent.  Returns 0, or -errno/-EINVAL with "path:line: reason" in why
 * (out then holds fallback). */
int sysconf_get(const char *path, const char *key, char *out, size_t len,
                const char *fallback, char *why, size_t why_len);
/* Sets count keys at once (an empty value removes the key) and writes the
 * file atomically (mode 0600); other keys and their order are kept.  A
 * missing file is created.  Returns 0 or -errno with a reason in why. */
int sysconf_update(const char *path, const char *const *keys, const char *const *values,
                   size_t count, char *why, size_t why_len);
/* A yes/no key; fallback when absent or unreadable. */
bool sysconf_get_bool(const char *path, const char *key, bool fallback);

#endif
