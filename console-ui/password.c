/* password: root password rules and the shadow entry (see password.h). */
#include "password.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int password_check_rules(const char *password, char *why, size_t len)
{
    size_t n = password ? strlen(password) : 0;

    if (n < PASSWORD_MIN_LENGTH) {
        snprintf(why, len, "at least %d characters (%zu typed)", PASSWORD_MIN_LENGTH, n);
        return -EINVAL;
    }
    if (n > PASSWORD_MAX_LENGTH) {
        snprintf(why, len, "at most %d characters", PASSWORD_MAX_LENGTH);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)password[i];
        if (c < 0x20 || c == 0x7f) {
            snprintf(why, len, "no control characters");
            return -EINVAL;
        }
    }
    return 0;
}

int password_check_pair(const char *first, const char *second, char *why, size_t len)
{
    int r = password_check_rules(first, why, len);

    if (r)
        return r;
    if (!second || strcmp(first, second) != 0) {
        snprintf(why, len, "the two passwords differ");
        return -EINVAL;
    }
    return 0;
}
