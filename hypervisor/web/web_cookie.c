/* web_cookie: the session cookie (see web_cookie.h). */
#include "web_cookie.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int web_cookie_get(const char *header, const char *name, char *out, size_t len)
{
    size_t name_len = strlen(name);
    const char *p = header;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t pair_len = end ? (size_t)(end - p) : strlen(p);
        if (pair_len > name_len && memcmp(p, name, name_len) == 0 && p[name_len] == '=') {
            const char *value = p + name_len + 1;
            size_t value_len = pair_len - name_len - 1;
            while (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
                value_len--;
            if (value_len >= len)
                return -E2BIG;
            memcpy(out, value, value_len);
            out[value_len] = '\0';
            return 0;
        }
        p = end;
    }
    return -ENOENT;
}

int web_cookie_set(char *out, size_t len, const char *id, long max_age_s)
{
    int n = snprintf(out, len, "%s=%s; Path=/; Max-Age=%ld; HttpOnly; Secure; SameSite=Strict",
                     WEB_COOKIE_NAME, id ? id : "", id ? max_age_s : 0L);
    return n < 0 || (size_t)n >= len ? -E2BIG : 0;
}
