/* sysconf: reads and writes of /var/lib/corral/system.conf, through the
 * shared conf module (atomic writes; a broken file is reported with its
 * line, never rewritten).  Its keys, their checks and their defaults are
 * the table in sysconf_keys.h; this module is the file I/O around it. */
#ifndef CORRAL_SYSCONF_H
#define CORRAL_SYSCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "sysconf_keys.h"

#define SYSTEM_CONF "/var/lib/corral/system.conf"

/* Loads path into c (conf_init'ed here); a missing file is an empty
 * configuration.  Returns 0, or -errno/-EINVAL with "path:line: reason" in
 * why (c is then empty). */
int sysconf_load(const char *path, struct conf *c, char *why, size_t why_len);
/* The value of key as written in the file at path (checked or not: a form
 * shows what is there, to be fixed), or the key's default when the file
 * or key is absent.  Returns 0, or -errno/-EINVAL with a reason in why
 * (out then holds the default). */
int sysconf_get(const char *path, enum sysconf_key key, char *out, size_t len,
                char *why, size_t why_len);
/* Sets count keys at once (an empty value removes the key) and writes the
 * file atomically (mode 0600); other keys and their order are kept.  A
 * missing file is created.  Returns 0 or -errno with a reason in why. */
int sysconf_update(const char *path, const enum sysconf_key *keys, const char *const *values,
                   size_t count, char *why, size_t why_len);
/* A yes/no key as its readers take it: the default when absent, bad or
 * unreadable. */
bool sysconf_get_bool(const char *path, enum sysconf_key key);

#endif
