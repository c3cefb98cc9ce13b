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

int shadow_root_hash(const char *shadow_text, char *hash, size_t len)
{
    const char *line = shadow_text;

    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t line_len = end ? (size_t)(end - line) : strlen(line);
        if (line_len > 5 && strncmp(line, "root:", 5) == 0) {
            const char *field = line + 5;
            const char *colon = memchr(field, ':', line_len - 5);
            size_t field_len;
            if (!colon)
                return -EINVAL;
            field_len = (size_t)(colon - field);
            if (field_len >= len)
                return -EINVAL;
            memcpy(hash, field, field_len);
            hash[field_len] = '\0';
            return 0;
        }
        line = end ? end + 1 : NULL;
    }
    return -ENOENT;
}

bool shadow_hash_is_password(const char *hash)
{
    return hash && hash[0] && hash[0] != '*' && hash[0] != '!';
}
