/* answer: install settings from an answer file (answer.h). */
#include "answer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "validate.h"

void answer_init(struct answer *a)
{
    memset(a, 0, sizeof(*a));
    a->console = BOOT_CONSOLE_SCREEN;
}

int valid_password_hash(const char *s)
{
    /* The crypt(3) schemes musl and BusyBox verify: MD5, SHA-256, SHA-512,
     * bcrypt.  A hash is "$id$" then salt and hash characters. */
    static const char *const ids[] = {"$1$", "$5$", "$6$", "$2a$", "$2b$", "$2y$"};
    int known = 0;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if (strncmp(s, ids[i], strlen(ids[i])) == 0)
            known = 1;
    size_t n = strlen(s);
    return known && n >= 20 && n < 256 &&
           strspn(s, "$./0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ=") == n;
}

static int answer_bad(const struct conf *c, const char *path, const char *key,
                      struct conf_error *err, const char *what)
{
    return conf_error_set(err, path, conf_line_of(c, key), "%s: %s", key, what);
}

static int copy_checked(const struct conf *c, const char *path, const char *key,
                        char *dst, size_t len, int (*valid)(const char *),
                        const char *what, struct conf_error *err)
{
    const char *v = conf_get(c, key);
    if (!v)
        return 0;
    if (strlen(v) >= len || (valid && !valid(v)))
        return answer_bad(c, path, key, err, what);
    snprintf(dst, len, "%s", v);
    return 0;
}

static int valid_disk_rule(const char *s)
{
    return s[0] != '\0' && strchr(s, ' ') == NULL;
}

/* The installer's own keys; every system.conf key is accepted too. */
static const char *const answer_keys[] = {
    "disk", "wipe", "root_password_hash", "boot_password_pbkdf2", "ssh_key", "console", "reboot",
};

static int is_answer_key(const char *key)
{
    for (size_t k = 0; k < sizeof(answer_keys) / sizeof(answer_keys[0]); k++)
        if (strcmp(key, answer_keys[k]) == 0)
            return 1;
    return sysconf_key_lookup(key) >= 0;
}

static int check_known_keys(const struct conf *c, const char *path, struct conf_error *err)
{
    for (size_t i = 0; i < c->count; i++)
        if (!is_answer_key(c->entries[i].key))
            return conf_error_set(err, path, c->entries[i].line, "%s: unknown key",
                                  c->entries[i].key);
    return 0;
}

/* system.conf's keys: checked by its table, then kept for the install. */
static int read_system_keys(const struct conf *c, const char *path, struct answer *a,
                            struct conf_error *err)
{
    int rc = sysconf_check_conf(c, path, err);
    for (int k = 0; rc == 0 && k < SYSCONF_KEY_COUNT; k++) {
        const char *v = conf_get(c, sysconf_key_name((enum sysconf_key)k));
        if (v)
            snprintf(a->system[k], sizeof(a->system[k]), "%s", v);
    }
    return rc;
}

static int read_bool(const struct conf *c, const char *path, const char *key, int *out,
                     struct conf_error *err)
{
    const char *v = conf_get(c, key);
    if (v && conf_parse_bool(v, out) != 0)
        return answer_bad(c, path, key, err, "not yes or no");
    return 0;
}

static int read_ssh_keys(const struct conf *c, const char *path, struct answer *a,
                         struct conf_error *err)
{
    const char *keys[ANSWER_MAX_KEYS + 1];
    size_t n = conf_get_all(c, "ssh_key", keys, ANSWER_MAX_KEYS + 1);
    if (n > ANSWER_MAX_KEYS)
        return answer_bad(c, path, "ssh_key", err, "too many keys (at most 16)");
    for (size_t i = 0; i < n; i++) {
        char why[VALIDATE_WHY_MAX];
        if (validate_ssh_public_key(keys[i], why, sizeof(why)) != 0)
            return answer_bad(c, path, "ssh_key", err, why);
        snprintf(a->ssh_keys[i], sizeof(a->ssh_keys[i]), "%s", keys[i]);
    }
    a->ssh_key_count = n;
    return 0;
}

static int read_console(const struct conf *c, const char *path, struct answer *a,
                        struct conf_error *err)
{
    const char *v = conf_get(c, "console");
    if (!v)
        return 0;
    if (strcmp(v, "serial") == 0)
        a->console = BOOT_CONSOLE_SERIAL;
    else if (strcmp(v, "screen") == 0)
        a->console = BOOT_CONSOLE_SCREEN;
    else
        return answer_bad(c, path, "console", err, "not screen or serial");
    return 0;
}

int answer_from_conf(const struct conf *c, const char *path, struct answer *a,
                     struct conf_error *err)
{
    answer_init(a);
    int rc = check_known_keys(c, path, err);
    if (rc)
        return rc;
    if (!conf_get(c, "disk"))
        return conf_error_set(err, path, 0, "disk: missing (a disk name, largest or smallest)");
    if ((rc = copy_checked(c, path, "disk", a->disk, sizeof(a->disk), valid_disk_rule,
                           "not a disk name, largest or smallest", err)) ||
        (rc = copy_checked(c, path, "root_password_hash", a->root_password_hash,
                           sizeof(a->root_password_hash), valid_password_hash,
                           "not a crypt(3) hash ($6$..., $5$..., $1$... or $2b$...)", err)) ||
        (rc = copy_checked(c, path, "boot_password_pbkdf2", a->boot_password_pbkdf2,
                           sizeof(a->boot_password_pbkdf2), grub_pbkdf2_valid,
                           "not grub.pbkdf2.sha512.N.SALT.HASH (as grub-mkpasswd-pbkdf2 prints it)",
                           err)) ||
        (rc = read_bool(c, path, "wipe", &a->wipe, err)) ||
        (rc = read_bool(c, path, "reboot", &a->reboot, err)) ||
        (rc = read_ssh_keys(c, path, a, err)) || (rc = read_console(c, path, a, err)) ||
        (rc = read_system_keys(c, path, a, err)))
        return rc;
    if (!a->root_password_hash[0] && a->ssh_key_count == 0)
        return conf_error_set(err, path, 0,
                              "root_password_hash or ssh_key: one is required (the installed "
                              "system would have no way to log in)");
    return 0;
}

static int has_authorized_key(const char *text)
{
    char line[CONF_MAX_LINE], why[VALIDATE_WHY_MAX];
    while (text && *text) {
        size_t n = strcspn(text, "\n");
        if (n < sizeof(line)) {
            memcpy(line, text, n);
            line[n] = '\0';
            if (validate_ssh_public_key(line, why, sizeof(why)) == 0)
                return 1;
        }
        text += n + (text[n] == '\n');
    }
    return 0;
}

int answer_check_login(const struct answer *a, const char *live_shadow,
                       const char *live_authorized_keys, char *why, size_t len)
{
    char hash[256];
    if (a->root_password_hash[0] || a->ssh_key_count > 0)
        return 0;
    if (live_shadow && shadow_root_hash(live_shadow, hash, sizeof(hash)) == 0 &&
        shadow_hash_is_password(hash))
        return 0;
    if (has_authorized_key(live_authorized_keys))
        return 0;
    snprintf(why, len, "the installed system would have no way to log in: set a root password "
                       "(the console UI's Security screen, or passwd) or add an SSH key first");
    return -EACCES;
}

int answer_apply_system_conf(const struct answer *a, struct conf *system)
{
    for (int k = 0; k < SYSCONF_KEY_COUNT; k++) {
        if (a->system[k][0] == '\0')
            continue;
        int rc = conf_set(system, sysconf_key_name((enum sysconf_key)k), a->system[k]);
        if (rc)
            return rc;
    }
    return 0;
}

char *shadow_with_root_hash(const char *shadow, const char *hash)
{
    const char *root = strncmp(shadow, "root:", 5) == 0 ? shadow : strstr(shadow, "\nroot:");
    if (!root)
        return NULL;
    if (root != shadow)
        root++;
    const char *field = root + 5;
    const char *field_end = field + strcspn(field, ":\n");
    size_t before = (size_t)(field - shadow), after = strlen(field_end);
    char *out = malloc(before + strlen(hash) + after + 1);
    if (!out)
        return NULL;
    memcpy(out, shadow, before);
    strcpy(out + before, hash);
    strcpy(out + before + strlen(hash), field_end);
    return out;
}
