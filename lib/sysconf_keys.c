/* sysconf_keys: the table of system.conf's keys (see sysconf_keys.h). */
#include "sysconf_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* The docs say the limits validate.h sets, not copies of them. */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static const char *const net_modes[] = {
    [SYSCONF_NET_MODE_DHCP] = "dhcp", [SYSCONF_NET_MODE_STATIC] = "static", NULL};

/* Adapters from the validators' own signatures to the table's. */

static int check_address(const char *value, char *why, size_t len)
{
    return validate_ipv4_cidr(value, NULL, NULL, why, len);
}

/* Alone, a gateway is an address or empty (none); that it lies in the
 * address's subnet is a rule between keys (sysconf_check_conf). */
static int check_gateway_alone(const char *value, char *why, size_t len)
{
    return value[0] ? validate_ipv4(value, NULL, why, len) : 0;
}

static const struct sysconf_key_info keys[SYSCONF_KEY_COUNT] = {
    [SYSCONF_HOSTNAME] = {
        .name = "hostname", .type = SYSCONF_TEXT, .validate = validate_hostname,
        .default_value = "", .default_doc = "from DHCP, else `corral`",
        .values = "letters, digits, `-` and `.`, at most " STRINGIFY(HOSTNAME_MAX) " characters",
        .doc = "this machine's name (banner, shell prompt, DHCP requests)"},
    [SYSCONF_NET_MODE] = {
        .name = "net_mode", .type = SYSCONF_CHOICE, .choices = net_modes,
        .default_value = "dhcp", .values = "`dhcp` or `static`",
        .doc = "how the management address on `br0` is set"},
    [SYSCONF_NET_ADDRESS] = {
        .name = "net_address", .type = SYSCONF_TEXT, .validate = check_address,
        .default_value = "",
        .values = "address/prefix, e.g. `192.168.1.10/24`: a host address, not the subnet's "
                  "network or broadcast address",
        .doc = "the management address when `net_mode = static`"},
    [SYSCONF_NET_GATEWAY] = {
        .name = "net_gateway", .type = SYSCONF_TEXT, .validate = check_gateway_alone,
        .default_value = "", .default_doc = "none",
        .values = "an address in `net_address`'s subnet, e.g. `192.168.1.1`",
        .doc = "the default route (static only)"},
    [SYSCONF_NET_DNS] = {
        .name = "net_dns", .type = SYSCONF_TEXT, .validate = validate_dns_list,
        .default_value = "", .default_doc = "none",
        .values = "up to " STRINGIFY(DNS_MAX_SERVERS) " addresses, separated by commas or blanks",
        .doc = "DNS servers (static only)"},
    [SYSCONF_NET_NICS] = {
        .name = "net_nics", .type = SYSCONF_TEXT, .validate = validate_nic_names,
        .default_value = "auto",
        .values = "`auto`, or NIC names separated by commas or blanks",
        .doc = "the NICs bridged into `br0` (`auto`: the first with a link)"},
    [SYSCONF_NET_VLAN] = {
        .name = "net_vlan", .type = SYSCONF_TEXT, .validate = validate_vlan,
        .default_value = "", .default_doc = "none (untagged)",
        .values = "a VLAN tag " STRINGIFY(VLAN_MIN) "-" STRINGIFY(VLAN_MAX),
        .doc = "tags the management address: it moves to `br0.TAG`; VMs stay untagged"},
    [SYSCONF_SSH_PASSWORD_LOGIN] = {
        .name = "ssh_password_login", .type = SYSCONF_BOOL, .validate = validate_yes_no,
        .default_value = "yes", .values = "`yes` or `no`",
        .doc = "root may log in over SSH with its password, once one is set (applied by "
               "`/usr/libexec/corral/ssh restart`)"},
    [SYSCONF_CONSOLE_LOCK] = {
        .name = "console_lock", .type = SYSCONF_BOOL, .validate = validate_yes_no,
        .default_value = "yes", .values = "`yes` or `no`",
        .doc = "the console UI asks for the root password, once one is set, before changes"},
    [SYSCONF_MGMT_FROM_VMS] = {
        .name = "mgmt_from_vms", .type = SYSCONF_BOOL, .validate = validate_yes_no,
        .default_value = "no", .values = "`yes` or `no`",
        .doc = "VMs on `br0` may reach this machine's SSH (22) and web (80, 443) ports "
               "(applied by `/usr/libexec/corral/network guard`)"},
};

const struct sysconf_key_info *sysconf_key_info(enum sysconf_key key)
{
    return &keys[key];
}

const char *sysconf_key_name(enum sysconf_key key)
{
    return keys[key].name;
}

int sysconf_key_lookup(const char *name)
{
    for (int k = 0; k < SYSCONF_KEY_COUNT; k++)
        if (strcmp(keys[k].name, name) == 0)
            return k;
    return -1;
}

size_t sysconf_choice_count(enum sysconf_key key)
{
    size_t n = 0;

    while (keys[key].choices && keys[key].choices[n])
        n++;
    return n;
}

int sysconf_choice_index(enum sysconf_key key, const char *value)
{
    for (size_t i = 0; i < sysconf_choice_count(key); i++)
        if (strcmp(keys[key].choices[i], value) == 0)
            return (int)i;
    return -1;
}

/* "dhcp or static", "a, b or c" */
static int refuse_choice(enum sysconf_key key, char *why, size_t len)
{
    size_t n = sysconf_choice_count(key), used = 0;

    why[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(why + used, len - used, "%s%s",
                                 i == 0 ? "" : i + 1 == n ? " or " : ", ", keys[key].choices[i]);
    return -EINVAL;
}

int sysconf_check_value(enum sysconf_key key, const char *value, char *why, size_t len)
{
    char ignored[8];

    if (!why || !len) {
        why = ignored;
        len = sizeof(ignored);
    }
    if (!value)
        value = "";
    if (strlen(value) >= SYSCONF_VALUE_MAX) {
        snprintf(why, len, "longer than %d characters", SYSCONF_VALUE_MAX - 1);
        return -E2BIG;
    }
    if (keys[key].type == SYSCONF_CHOICE)
        return sysconf_choice_index(key, value) >= 0 ? 0 : refuse_choice(key, why, len);
    return keys[key].validate(value, why, len);
}

static int key_error(const struct conf *c, const char *path, enum sysconf_key key,
                     struct conf_error *err, const char *why)
{
    return conf_error_set(err, path, conf_line_of(c, keys[key].name), "%s: %s",
                          keys[key].name, why);
}

/* net_mode = static needs an address, and the gateway must lie in its
 * subnet.  Under DHCP the static values are kept for the next switch and
 * checked one by one only. */
static int check_static_network(const struct conf *c, const char *path, struct conf_error *err)
{
    const char *mode = conf_get(c, keys[SYSCONF_NET_MODE].name);
    const char *static_mode = net_modes[SYSCONF_NET_MODE_STATIC];
    const char *address = conf_get(c, keys[SYSCONF_NET_ADDRESS].name);
    const char *gateway = conf_get(c, keys[SYSCONF_NET_GATEWAY].name);
    char why[VALIDATE_WHY_MAX];

    if (!mode || strcmp(mode, static_mode) != 0)
        return 0;
    if (!address || !address[0]) {
        snprintf(why, sizeof(why), "%s needs %s", static_mode, keys[SYSCONF_NET_ADDRESS].name);
        return key_error(c, path, SYSCONF_NET_MODE, err, why);
    }
    if (validate_gateway(gateway, address, why, sizeof(why)) != 0)
        return key_error(c, path, SYSCONF_NET_GATEWAY, err, why);
    return 0;
}

int sysconf_check_conf(const struct conf *c, const char *path, struct conf_error *err)
{
    char why[VALIDATE_WHY_MAX];

    for (size_t i = 0; i < c->count; i++) {
        int k = sysconf_key_lookup(c->entries[i].key);
        if (k < 0)
            continue;
        if (sysconf_check_value((enum sysconf_key)k, c->entries[i].value, why, sizeof(why)))
            return conf_error_set(err, path, c->entries[i].line, "%s: %s", keys[k].name, why);
    }
    return check_static_network(c, path, err);
}

int sysconf_effective_value(const struct conf *c, enum sysconf_key key, char *out,
                            size_t len, char *why, size_t why_len)
{
    const char *value = c ? conf_get(c, keys[key].name) : NULL;
    int bad = 0, b;

    if (value && sysconf_check_value(key, value, why, why_len) != 0) {
        bad = -EINVAL;
        value = NULL;
    }
    if (!value)
        value = keys[key].default_value;
    if (keys[key].type == SYSCONF_BOOL && conf_parse_bool(value, &b) == 0)
        value = b ? "yes" : "no";
    snprintf(out, len, "%s", value);
    return bad;
}

/* One row of the docs table into out at *used. */
static void append_doc_row(const struct sysconf_key_info *k, char *out, size_t len, size_t *used)
{
    char dflt[128];

    if (k->default_doc)
        snprintf(dflt, sizeof(dflt), "%s", k->default_doc);
    else if (k->default_value[0])
        snprintf(dflt, sizeof(dflt), "`%s`", k->default_value);
    else
        dflt[0] = '\0';
    *used += (size_t)snprintf(out + *used, len - *used, "| `%s` | %s | %s | %s |\n", k->name,
                              k->values, dflt, k->doc);
}

char *sysconf_doc_table(void)
{
    static const char header[] = "| key | values | default | what it does |\n"
                                 "| --- | --- | --- | --- |\n";
    size_t len = sizeof(header), used;
    char *out;

    for (int k = 0; k < SYSCONF_KEY_COUNT; k++)
        len += strlen(keys[k].name) + strlen(keys[k].values) + strlen(keys[k].doc) + 128 + 16;
    out = malloc(len);
    if (!out)
        return NULL;
    used = (size_t)snprintf(out, len, "%s", header);
    for (int k = 0; k < SYSCONF_KEY_COUNT; k++)
        append_doc_row(&keys[k], out, len, &used);
    return out;
}
