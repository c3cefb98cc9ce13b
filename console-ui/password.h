/* password: the rules for the root password set from the console UI.
 *
 * The password itself is hashed by BusyBox's chpasswd (SHA-512 crypt), not
 * here; these are the rules the UI enforces before handing it over. */
#ifndef CORRAL_SETUP_PASSWORD_H
#define CORRAL_SETUP_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "shadow.h" /* root's hash, shared with corral-web */

#define PASSWORD_MIN_LENGTH 8
#define PASSWORD_MAX_LENGTH 128

/* One entry: length PASSWORD_MIN_LENGTH..PASSWORD_MAX_LENGTH, printable
 * ASCII or UTF-8 bytes, no control characters (chpasswd reads
 * "root:PASSWORD" lines, so a newline would cut it).  0 or -EINVAL with
 * the reason in why. */
int password_check_rules(const char *password, char *why, size_t len);
/* Both entries: the rules on the first, then that the second matches. */
int password_check_pair(const char *first, const char *second, char *why, size_t len);

#endif
