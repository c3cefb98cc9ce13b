/* shadow: root's entry in shadow text (/etc/shadow), for the programs that
 * check the root password: the console UI's lock and corral-web's login. */
#ifndef CORRAL_SHADOW_H
#define CORRAL_SHADOW_H

#include <stdbool.h>
#include <stddef.h>

/* The hash field of root's line in shadow text (e.g. /etc/shadow), copied
 * into hash (at most len - 1 bytes).  Returns 0, -ENOENT when there is no
 * root line, -EINVAL when the line is malformed or too long. */
int shadow_root_hash(const char *shadow_text, char *hash, size_t len);
/* Whether a shadow hash field is a usable password (not empty, '*' or a
 * locked '!...'). */
bool shadow_hash_is_password(const char *hash);

#endif
