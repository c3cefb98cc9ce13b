/* answer: install settings from an answer file (answer.h). */
#include "answer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void answer_init(struct answer *a)
{
    memset(a, 0, sizeof(*a));
    a->console = BOOT_CONSOLE_SCREEN;
}

int valid_hostname(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!alnum && c != '-')
            return 0;
        if (c == '-' && label == 0)
            return 0;
        label++;
    }
    return label > 0 && s[n - 1] != '-';
}

int valid_ipv4(const char *s)
{
    unsigned a[4];
    char tail;
    if (sscanf(s, "%3u.%3u.%3u.%3u%c", &a[0], &a[1], &a[2], &a[3], &tail) != 4)
        return 0;
    for (int i = 0; i < 4; i++)
        if (a[i] > 255)
            return 0;
    return strspn(s, "0123456789.") == strlen(s);
}

int valid_ipv4_cidr(const char *s)
{
    char addr[32];
    const char *slash = strchr(s, '/');
    if (!slash || (size_t)(slash - s) >= sizeof(addr))
        return 0;
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';
    uint64_t prefix;
    return valid_ipv4(addr) && conf_parse_uint(slash + 1, 1, 32, &prefix) == 0;
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

int valid_ssh_key(const char *s)
{
    static const char *const types[] = {"ssh-ed25519 ", "ssh-rsa ", "ecdsa-sha2-nistp256 ",
                                        "ecdsa-sha2-nistp384 ", "ecdsa-sha2-nistp521 "};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t t = strlen(types[i]);
        if (strncmp(s, types[i], t) == 0)
            return strlen(s) > t + 16 && strchr(s, '\n') == NULL;
    }
    return 0;
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

static int valid_net_mode(const char *s)
{
    return strcmp(s, "dhcp") == 0 || strcmp(s, "static") == 0;
}

static int valid_dns_list(const char *s)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (!valid_ipv4(tok))
            return 0;
    return s[0] != '\0';
}

static int valid_nic_list(const char *s)
{
    return s[0] != '\0' &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789,.-_") == strlen(s);
}

static const char *const answer_keys[] = {
    "disk", "wipe", "root_password_hash", "ssh_key", "hostname", "net_mode",
    "net_address", "net_gateway", "net_dns", "net_nics", "console", "reboot",
};

static int check_known_keys(const struct conf *c, const char *path, struct conf_error *err)
{
    for (size_t i = 0; i < c->count; i++) {
        int known = 0;
        for (size_t k = 0; k < sizeof(answer_keys) / sizeof(answer_keys[0]); k++)
            if (strcmp(c->entries[i].key, answer_keys[k]) == 0)
                known = 1;
        if (!known)
            return conf_error_set(err, path, c->entries[i].line, "%s: unknown key",
                                  c->entries[i].key);
    }
    return 0;
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
        if (!valid_ssh_key(keys[i]))
            return answer_bad(c, path, "ssh_key", err,
                              "not an OpenSSH public key (ssh-ed25519/ssh-rsa/ecdsa-sha2-...)");
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

static int check_network(const struct conf *c, const char *path, const struct answer *a,
                         struct conf_error *err)
{
    if (strcmp(a->net_mode, "static") == 0 && a->net_address[0] == '\0')
        return answer_bad(c, path, "net_mode", err, "static needs net_address");
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
        (rc = copy_checked(c, path, "hostname", a->hostname, sizeof(a->hostname),
                           valid_hostname, "not a host name", err)) ||
        (rc = copy_checked(c, path, "net_mode", a->net_mode, sizeof(a->net_mode),
                           valid_net_mode, "not dhcp or static", err)) ||
        (rc = copy_checked(c, path, "net_address", a->net_address, sizeof(a->net_address),
                           valid_ipv4_cidr, "not an IPv4 address/prefix", err)) ||
        (rc = copy_checked(c, path, "net_gateway", a->net_gateway, sizeof(a->net_gateway),
                           valid_ipv4, "not an IPv4 address", err)) ||
        (rc = copy_checked(c, path, "net_dns", a->net_dns, sizeof(a->net_dns),
                           valid_dns_list, "not a comma-separated list of IPv4 addresses", err)) ||
        (rc = copy_checked(c, path, "net_nics", a->net_nics, sizeof(a->net_nics),
                           valid_nic_list, "not auto or a comma-separated list of NICs", err)) ||
        (rc = read_bool(c, path, "wipe", &a->wipe, err)) ||
        (rc = read_bool(c, path, "reboot", &a->reboot, err)) ||
        (rc = read_ssh_keys(c, path, a, err)) || (rc = read_console(c, path, a, err)) ||
        (rc = check_network(c, path, a, err)))
        return rc;
    return 0;
}

int answer_apply_system_conf(const struct answer *a, struct conf *system)
{
    const struct { const char *key, *value; } settings[] = {
        {"hostname", a->hostname},       {"net_mode", a->net_mode},
        {"net_address", a->net_address}, {"net_gateway", a->net_gateway},
        {"net_dns", a->net_dns},         {"net_nics", a->net_nics},
    };
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        if (settings[i].value[0] == '\0')
            continue;
        int rc = conf_set(system, settings[i].key, settings[i].value);
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
