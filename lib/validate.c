/* validate: value checks for system.conf and SSH keys (see validate.h). */
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static int refuse(char *why, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int refuse(char *why, size_t len, int err, const char *fmt, ...)
{
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* One decimal part of a dotted quad at *p; advances *p past it. */
static int parse_octet(const char **p, unsigned *value, char *why, size_t len)
{
    const char *s = *p;
    unsigned v = 0;
    size_t digits = 0;

    while (isdigit((unsigned char)s[digits])) {
        if (digits == 3)
            return refuse(why, len, -ERANGE, "%.4s... is over 255", s);
        v = v * 10 + (unsigned)(s[digits] - '0');
        digits++;
    }
    if (digits == 0)
        return refuse(why, len, -EINVAL, "expected four numbers 0-255 separated by dots");
    if (digits > 1 && s[0] == '0')
        return refuse(why, len, -EINVAL, "%.*s: no leading zeros", (int)digits, s);
    if (v > 255)
        return refuse(why, len, -ERANGE, "%.*s is over 255", (int)digits, s);
    *value = v;
    *p = s + digits;
    return 0;
}

/* A dotted quad at the start of text; *end gets what follows it. */
static int parse_ipv4_prefix(const char *text, uint32_t *addr, const char **end,
                             char *why, size_t len)
{
    const char *p = text;
    uint32_t a = 0;

    for (int i = 0; i < 4; i++) {
        unsigned octet = 0;
        int r = parse_octet(&p, &octet, why, len);
        if (r)
            return r;
        a = a << 8 | octet;
        if (i < 3) {
            if (*p != '.')
                return refuse(why, len, -EINVAL, "expected four numbers 0-255 separated by dots");
            p++;
        }
    }
    *addr = a;
    *end = p;
    return 0;
}

int validate_ipv4(const char *text, uint32_t *addr, char *why, size_t len)
{
    uint32_t a;
    const char *end;
    int r;

    if (!text || !*text)
        return refuse(why, len, -EINVAL, "required, e.g. 192.168.1.10");
    r = parse_ipv4_prefix(text, &a, &end, why, len);
    if (r)
        return r;
    if (*end)
        return refuse(why, len, -EINVAL, "unexpected \"%.16s\" after the address", end);
    if (addr)
        *addr = a;
    return 0;
}

static uint32_t prefix_mask(unsigned prefix)
{
    return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static bool is_unusable_host(uint32_t a)
{
    return a == 0 || (a >> 24) == 127 || (a >> 28) >= 14; /* 0, loopback, multicast, reserved */
}

int validate_ipv4_cidr(const char *text, uint32_t *addr, unsigned *prefix,
                       char *why, size_t len)
{
    uint32_t a, mask;
    const char *end;
    unsigned long p;
    char *num_end;
    int r;

    if (!text || !*text)
        return refuse(why, len, -EINVAL, "required, e.g. 192.168.1.10/24");
    r = parse_ipv4_prefix(text, &a, &end, why, len);
    if (r)
        return r;
    if (*end != '/')
        return refuse(why, len, -EINVAL, "add the prefix length, e.g. /24");
    if (!isdigit((unsigned char)end[1]))
        return refuse(why, len, -EINVAL, "the prefix length after / must be 1-32");
    errno = 0;
    p = strtoul(end + 1, &num_end, 10);
    if (*num_end || errno || p < 1 || p > 32)
        return refuse(why, len, -ERANGE, "the prefix length after / must be 1-32");
    if (is_unusable_host(a))
        return refuse(why, len, -EINVAL, "not a host address (zero, loopback or multicast)");
    mask = prefix_mask((unsigned)p);
    if (p <= 30 && (a & ~mask) == 0)
        return refuse(why, len, -EINVAL, "that is the network address of /%lu", p);
    if (p <= 30 && (a & ~mask) == ~mask)
        return refuse(why, len, -EINVAL, "that is the broadcast address of /%lu", p);
    if (addr)
        *addr = a;
    if (prefix)
        *prefix = (unsigned)p;
    return 0;
}

int validate_gateway(const char *gateway, const char *cidr, char *why, size_t len)
{
    uint32_t gw, a, mask;
    unsigned prefix;
    int r;

    if (!gateway || !*gateway)
        return 0;
    r = validate_ipv4(gateway, &gw, why, len);
    if (r)
        return r;
    if (validate_ipv4_cidr(cidr, &a, &prefix, NULL, 0) != 0)
        return refuse(why, len, -EINVAL, "fix the address first");
    mask = prefix_mask(prefix);
    if ((gw & mask) != (a & mask))
        return refuse(why, len, -EINVAL, "not in the address's subnet (/%u)", prefix);
    if (gw == a)
        return refuse(why, len, -EINVAL, "is the address itself");
    if (prefix <= 30 && ((gw & ~mask) == 0 || (gw & ~mask) == ~mask))
        return refuse(why, len, -EINVAL, "is the network or broadcast address");
    return 0;
}

static bool is_list_separator(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

int validate_dns_list(const char *text, char *why, size_t len)
{
    const char *p = text ? text : "";
    size_t servers = 0;

    for (;;) {
        char one[32];
        size_t n = 0;
        while (is_list_separator(*p))
            p++;
        if (!*p)
            return 0;
        while (p[n] && !is_list_separator(p[n]))
            n++;
        if (n >= sizeof(one))
            return refuse(why, len, -EINVAL, "\"%.20s...\" is not an address", p);
        memcpy(one, p, n);
        one[n] = '\0';
        if (++servers > DNS_MAX_SERVERS)
            return refuse(why, len, -E2BIG, "at most %d servers", DNS_MAX_SERVERS);
        if (validate_ipv4(one, NULL, NULL, 0) != 0) {
            char inner[VALIDATE_WHY_MAX];
            validate_ipv4(one, NULL, inner, sizeof(inner));
            return refuse(why, len, -EINVAL, "%s: %s", one, inner);
        }
        p += n;
    }
}

int validate_hostname(const char *text, char *why, size_t len)
{
    size_t label = 0;

    if (!text || !*text)
        return refuse(why, len, -EINVAL, "required, e.g. corral1");
    if (strlen(text) > HOSTNAME_MAX)
        return refuse(why, len, -E2BIG, "at most %d characters", HOSTNAME_MAX);
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '.') {
            if (label == 0 || p[-1] == '-')
                return refuse(why, len, -EINVAL, "a part between dots is empty or ends in '-'");
            label = 0;
            continue;
        }
        if (!isalnum(c) && c != '-')
            return refuse(why, len, -EINVAL, "'%c' not allowed: letters, digits, '-' and '.' only",
                          isprint(c) ? c : '?');
        if (c == '-' && label == 0)
            return refuse(why, len, -EINVAL, "a part cannot start with '-'");
        label++;
    }
    if (label == 0 || text[strlen(text) - 1] == '-')
        return refuse(why, len, -EINVAL, "cannot end in '.' or '-'");
    return 0;
}

int validate_vlan(const char *text, char *why, size_t len)
{
    unsigned long v = 0;

    if (!text || !*text)
        return 0;
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return refuse(why, len, -EINVAL, "a number %d-%d, or empty for none", VLAN_MIN, VLAN_MAX);
        if (v <= VLAN_MAX)
            v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v < VLAN_MIN || v > VLAN_MAX)
        return refuse(why, len, -ERANGE, "must be %d-%d (empty for none)", VLAN_MIN, VLAN_MAX);
    return 0;
}

static bool name_in(const char *name, size_t n, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(names[i]) == n && strncmp(names[i], name, n) == 0)
            return true;
    return false;
}

static int check_nic_name(const char *name, size_t n, char *why, size_t len)
{
    int shown = (int)(n > 16 ? 16 : n);

    if (n > NIC_NAME_MAX)
        return refuse(why, len, -EINVAL, "%.*s...: a NIC name has at most %d characters",
                      shown, name, NIC_NAME_MAX);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
            return refuse(why, len, -EINVAL, "%.*s: not a NIC name (letters, digits, . - _)",
                          shown, name);
    return 0;
}

/* Checks the form of a NIC list and, when names is not NULL, that each
 * NIC is one of names[]. */
static int check_nic_list(const char *text, const char *const *names, size_t count,
                          char *why, size_t len)
{
    const char *p = text ? text : "";
    bool any = false;

    if (strcmp(p, "auto") == 0)
        return 0;
    for (;;) {
        size_t n = 0;
        int r;
        while (is_list_separator(*p))
            p++;
        if (!*p)
            break;
        while (p[n] && !is_list_separator(p[n]))
            n++;
        r = check_nic_name(p, n, why, len);
        if (r)
            return r;
        if (n == 4 && strncmp(p, "auto", 4) == 0)
            return refuse(why, len, -EINVAL, "\"auto\" stands alone, not in a list of NICs");
        if (names && !name_in(p, n, names, count))
            return refuse(why, len, -ENOENT, "no NIC named %.*s", (int)n, p);
        any = true;
        p += n;
    }
    if (!any)
        return refuse(why, len, -EINVAL, "\"auto\" or NIC names, e.g. eth0");
    return 0;
}

int validate_nic_names(const char *text, char *why, size_t len)
{
    return check_nic_list(text, NULL, 0, why, len);
}

int validate_nic_list(const char *text, const char *const *names, size_t count,
                      char *why, size_t len)
{
    static const char *const none[] = {NULL};
    return check_nic_list(text, names ? names : none, names ? count : 0, why, len);
}

int validate_yes_no(const char *text, char *why, size_t len)
{
    int b;

    if (!text || conf_parse_bool(text, &b) != 0)
        return refuse(why, len, -EINVAL, "yes or no");
    return 0;
}

/* --- SSH public keys ------------------------------------------------------- */

static const char *const ssh_key_types[] = {
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes the first out_len bytes of base64 text of n characters (padded
 * to a multiple of 4); returns how many bytes came out, or -1. */
static long base64_decode_head(const char *text, size_t n, unsigned char *out, size_t out_len)
{
    size_t produced = 0;
    unsigned bits = 0, acc = 0;

    if (n == 0 || n % 4 != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int v;
        if (text[i] == '=') {
            if (i < n - 2)
                return -1;
            continue;
        }
        v = base64_value(text[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (produced < out_len)
                out[produced] = (unsigned char)(acc >> bits);
            produced++;
        }
    }
    return (long)(produced < out_len ? produced : out_len);
}

int validate_ssh_public_key(const char *text, char *why, size_t len)
{
    const char *type, *blob;
    size_t type_len, blob_len;
    unsigned char head[64];
    long got;
    bool known = false;

    if (!text || !*text)
        return refuse(why, len, -EINVAL, "paste a public key, e.g. ssh-ed25519 AAAA... me@laptop");
    for (const char *p = text; *p; p++)
        if (iscntrl((unsigned char)*p))
            return refuse(why, len, -EINVAL, "one line only, no control characters");
    type = text;
    while (*type == ' ')
        type++;
    type_len = strcspn(type, " \t");
    for (size_t i = 0; i < sizeof(ssh_key_types) / sizeof(ssh_key_types[0]); i++)
        if (strlen(ssh_key_types[i]) == type_len && strncmp(ssh_key_types[i], type, type_len) == 0)
            known = true;
    if (!known)
        return refuse(why, len, -EINVAL, "starts with a key type such as ssh-ed25519 or ssh-rsa");
    blob = type + type_len;
    while (*blob == ' ' || *blob == '\t')
        blob++;
    blob_len = strcspn(blob, " \t");
    got = base64_decode_head(blob, blob_len, head, sizeof(head));
    if (got < 4 + (long)type_len)
        return refuse(why, len, -EINVAL, "the key data after the type is missing or cut short");
    if (((uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3]) != type_len
        || memcmp(head + 4, type, type_len) != 0)
        return refuse(why, len, -EINVAL, "the key data does not match its type %.*s",
                      (int)type_len, type);
    return 0;
}
