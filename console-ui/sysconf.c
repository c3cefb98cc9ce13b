/* sysconf: system.conf through conf.h (see sysconf.h). */
#include "sysconf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

/* Loads path into c; a missing file is an empty configuration. */
static int load_or_empty(const char *path, struct conf *c, char *why, size_t why_len)
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

int sysconf_get(const char *path, const char *key, char *out, size_t len,
                const char *fallback, char *why, size_t why_len)
{
    struct conf c;
    const char *v;
    int r = load_or_empty(path, &c, why, why_len);

    v = r == 0 ? conf_get(&c, key) : NULL;
    snprintf(out, len, "%s", v ? v : fallback);
    conf_free(&c);
    return r;
}

int sysconf_update(const char *path, const char *const *keys, const char *const *values,
                   size_t count, char *why, size_t why_len)
{
    struct conf c;
    int r = load_or_empty(path, &c, why, why_len);

    for (size_t i = 0; r == 0 && i < count; i++) {
        if (values[i] && values[i][0])
            r = conf_set(&c, keys[i], values[i]);
        else
            conf_unset(&c, keys[i]);
        if (r)
            snprintf(why, why_len, "%s: cannot store this value (%s)", keys[i], strerror(-r));
    }
    if (r == 0) {
        r = conf_write_atomic(path, &c, 0600);
        if (r)
            snprintf(why, why_len, "%s: cannot write: %s", path, strerror(-r));
    }
    conf_free(&c);
    return r;
}

bool sysconf_get_bool(const char *path, const char *key, bool fallback)
{
    char value[16], why[64];
    int b;

    if (sysconf_get(path, key, value, sizeof(value), "", why, sizeof(why)) != 0 || !value[0])
        return fallback;
    if (conf_parse_bool(value, &b) != 0)
        return fallback;
    return b != 0;
}
