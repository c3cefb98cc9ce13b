/* sysconf: system.conf through conf.h (see sysconf.h). */
#include "sysconf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sysconf_load(const char *path, struct conf *c, char *why, size_t why_len)
{
    struct conf_error err;
    int r;

    conf_init(c);
    r = conf_load(path, c, &err);
    if (r == -ENOENT)
        return 0;
    if (r) {
        conf_error_format(&err, why, why_len);
        conf_free(c);
        conf_init(c);
    }
    return r;
}

int sysconf_get(const char *path, enum sysconf_key key, char *out, size_t len,
                char *why, size_t why_len)
{
    struct conf c;
    const char *v;
    int r = sysconf_load(path, &c, why, why_len);

    v = r == 0 ? conf_get(&c, sysconf_key_name(key)) : NULL;
    snprintf(out, len, "%s", v ? v : sysconf_key_info(key)->default_value);
    conf_free(&c);
    return r;
}

int sysconf_update(const char *path, const enum sysconf_key *keys, const char *const *values,
                   size_t count, char *why, size_t why_len)
{
    struct conf c;
    int r = sysconf_load(path, &c, why, why_len);

    for (size_t i = 0; r == 0 && i < count; i++) {
        const char *name = sysconf_key_name(keys[i]);
        if (values[i] && values[i][0])
            r = conf_set(&c, name, values[i]);
        else
            conf_unset(&c, name);
        if (r)
            snprintf(why, why_len, "%s: cannot store this value (%s)", name, strerror(-r));
    }
    if (r == 0) {
        r = conf_write_atomic(path, &c, 0600);
        if (r)
            snprintf(why, why_len, "%s: cannot write: %s", path, strerror(-r));
    }
    conf_free(&c);
    return r;
}

bool sysconf_get_bool(const char *path, enum sysconf_key key)
{
    struct conf c;
    char value[8], why[256];

    sysconf_load(path, &c, why, sizeof(why));
    sysconf_effective_value(&c, key, value, sizeof(value), why, sizeof(why));
    conf_free(&c);
    return strcmp(value, "yes") == 0;
}
