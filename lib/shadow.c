/* shadow: root's entry in /etc/shadow (see shadow.h). */
#include "shadow.h"

#include <errno.h>
#include <string.h>

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
