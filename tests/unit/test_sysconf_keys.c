/* Unit tests: the table of system.conf keys (lib/sysconf_keys.c), and the
 * promise it exists for: the console UI and the installer's answer file
 * give the same verdict on every value.
 *
 * The console UI's route is what its fields call: sysconf_check_value for
 * a key (and validate_gateway with the address, validate_ssh_public_key for
 * a key to add).  The answer file's route is answer_from_conf on a file
 * holding the value.  Each case says what the verdict must be, and both
 * routes must give it; the first six are the inputs on which the two
 * disagreed before the table (issue 13). */
#include <errno.h>
#include <stdlib.h>

#include "../../initramfs/installer/answer.h"
#include "check.h"
#include "sysconf_keys.h"
#include "validate.h"

#define ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPYyJ6OsN4IjjK8n9Uj8zMT1Fwg1cUrVfJ26AgKrCRCk"
#define ED25519_BLOB "AAAAC3NzaC1lZDI1NTE5AAAAIPYyJ6OsN4IjjK8n9Uj8zMT1Fwg1cUrVfJ26AgKrCRCk"
/* Made to the wire format (string type, key, application "ssh:"): no
 * security key is at hand to make real ones. */
#define SK_ED25519 "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIAAB" \
                   "AgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fAAAABHNzaDo= me@fido"
#define SK_ECDSA "sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3Bl" \
                 "bnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f" \
                 "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8AAAAEc3NoOg=="

struct value_case {
    const char *key; /* a system.conf key, or "ssh_key" */
    const char *value;
    int valid;
};

static const struct value_case cases[] = {
    /* The six disagreements, and the verdict both now give. */
    {"ssh_key", "ssh-ed25519 this-is-not-base64-at-all!!", 0},
    {"ssh_key", "ssh-rsa " ED25519_BLOB, 0},
    {"net_address", "192.168.1.0/24", 0},
    {"net_address", "192.168.1.255/24", 0},
    {"net_address", "01.2.3.4/8", 0},
    {"ssh_key", SK_ED25519, 1},
    /* SSH keys. */
    {"ssh_key", ED25519 " me@laptop", 1},
    {"ssh_key", ED25519, 1},
    {"ssh_key", SK_ECDSA, 1},
    {"ssh_key", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7", 1},
    {"ssh_key", "ssh-dss AAAAB3NzaC1kc3M=", 0},
    {"ssh_key", "ssh-ed25519 AAAA", 0},
    {"ssh_key", "ssh-ed25519", 0},
    {"ssh_key", "hello world", 0},
    /* Addresses. */
    {"net_address", "192.168.1.10/24", 1},
    {"net_address", "10.0.0.1/32", 1},
    {"net_address", "10.0.0.0/31", 1},
    {"net_address", "10.0.0.1/8", 1},
    {"net_address", "10.0.0.1/33", 0},
    {"net_address", "10.0.0.1/0", 0},
    {"net_address", "10.0.0.1", 0},
    {"net_address", "10.0.0.1/", 0},
    {"net_address", "300.1.1.1/24", 0},
    {"net_address", "127.0.0.1/8", 0},
    {"net_address", "224.0.0.1/24", 0},
    {"net_address", "", 0},
    {"net_gateway", "192.168.1.1", 1},
    {"net_gateway", "", 1},
    {"net_gateway", "10.0.2", 0},
    {"net_gateway", "010.0.2.1", 0},
    {"net_gateway", "10.0.2.1x", 0},
    {"net_dns", "1.1.1.1,9.9.9.9", 1},
    {"net_dns", "1.1.1.1, 9.9.9.9 8.8.8.8", 1},
    {"net_dns", "", 1},
    {"net_dns", "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4", 0},
    {"net_dns", "1.1.1.1,x", 0},
    {"net_dns", "01.1.1.1", 0},
    /* Names, modes, tags, switches. */
    {"hostname", "corral", 1},
    {"hostname", "a-b.example.com", 1},
    {"hostname", "", 0},
    {"hostname", "a..b", 0},
    {"hostname", "a_b", 0},
    {"hostname", "ab-", 0},
    {"hostname", "a.-b", 0},
    {"hostname", "a234567890123456789012345678901234567890123456789012345678901234", 0},
    {"net_mode", "dhcp", 1},
    {"net_mode", "static", 0}, /* alone: static needs net_address (cross_cases) */
    {"net_mode", "DHCP", 0},
    {"net_mode", "auto", 0},
    {"net_nics", "auto", 1},
    {"net_nics", "eth0,eth1", 1},
    {"net_nics", "eth0 eth1", 1},
    {"net_nics", "eth0/1", 0},
    {"net_nics", "auto,eth0", 0},
    {"net_nics", "averyveryverylongname", 0},
    {"net_vlan", "1", 1},
    {"net_vlan", "4094", 1},
    {"net_vlan", "", 1},
    {"net_vlan", "0", 0},
    {"net_vlan", "4095", 0},
    {"net_vlan", "-1", 0},
    {"net_vlan", "10a", 0},
    {"ssh_password_login", "yes", 1},
    {"ssh_password_login", "off", 1},
    {"ssh_password_login", "maybe", 0},
    {"console_lock", "no", 1},
    {"console_lock", "", 0},
};

/* The console UI's verdict: what its field or its Add SSH key form calls. */
static int ui_accepts(const struct value_case *c)
{
    char why[VALIDATE_WHY_MAX];
    int key = sysconf_key_lookup(c->key);

    if (strcmp(c->key, "ssh_key") == 0)
        return validate_ssh_public_key(c->value, why, sizeof(why)) == 0;
    if (key == SYSCONF_NET_MODE && strcmp(c->value, "static") == 0)
        return 0; /* the form needs an address with it: a case of cross_cases */
    CHECK(key >= 0);
    return key >= 0 && sysconf_check_value((enum sysconf_key)key, c->value, why, sizeof(why)) == 0;
}

/* Every answer file names a disk and a way to log in (answer.h). */
#define ANSWER_HEAD "disk = vda\nroot_password_hash = $6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2\n"

static int answer_accepts(const char *text)
{
    static struct answer a;
    struct conf c;
    struct conf_error err;
    int rc;

    conf_init(&c);
    rc = conf_parse(text, strlen(text), "answer.conf", &c, &err);
    if (rc == 0)
        rc = answer_from_conf(&c, "answer.conf", &a, &err);
    conf_free(&c);
    return rc == 0;
}

static int answer_file_accepts(const struct value_case *c)
{
    char text[1024];

    snprintf(text, sizeof(text), ANSWER_HEAD "%s = \"%s\"\n", c->key, c->value);
    return answer_accepts(text);
}

static void test_both_routes_give_the_same_verdict(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int ui = ui_accepts(&cases[i]), answer = answer_file_accepts(&cases[i]);
        if (ui != cases[i].valid || answer != cases[i].valid)
            fprintf(stderr, "%s = \"%s\": want %s, console UI %s, answer file %s\n",
                    cases[i].key, cases[i].value, cases[i].valid ? "valid" : "refused",
                    ui ? "valid" : "refused", answer ? "valid" : "refused");
        CHECK_EQ_INT(ui, cases[i].valid);
        CHECK_EQ_INT(answer, cases[i].valid);
    }
}

/* The static address form: address and gateway checked together. */
static void test_address_and_gateway_together(void)
{
    static const struct { const char *address, *gateway; int valid; } cross_cases[] = {
        {"192.168.1.10/24", "192.168.1.1", 1},
        {"192.168.1.10/24", "", 1},
        {"192.168.1.10/24", "192.168.2.1", 0},
        {"192.168.1.10/24", "192.168.1.10", 0},
        {"192.168.1.10/24", "192.168.1.255", 0},
        {"10.0.0.5/8", "10.200.0.1", 1},
    };
    for (size_t i = 0; i < sizeof(cross_cases) / sizeof(cross_cases[0]); i++) {
        char why[VALIDATE_WHY_MAX], text[256];
        int ui = sysconf_check_value(SYSCONF_NET_ADDRESS, cross_cases[i].address, why,
                                     sizeof(why)) == 0 &&
                 validate_gateway(cross_cases[i].gateway, cross_cases[i].address, why,
                                  sizeof(why)) == 0;
        snprintf(text, sizeof(text), ANSWER_HEAD "net_mode = static\nnet_address = %s\n"
                 "net_gateway = \"%s\"\n", cross_cases[i].address, cross_cases[i].gateway);
        CHECK_EQ_INT(ui, cross_cases[i].valid);
        CHECK_EQ_INT(answer_accepts(text), cross_cases[i].valid);
    }
    CHECK(!answer_accepts(ANSWER_HEAD "net_mode = static\n"));
    CHECK(answer_accepts(ANSWER_HEAD));
}

static void test_every_row_is_complete_and_its_default_passes(void)
{
    for (int k = 0; k < SYSCONF_KEY_COUNT; k++) {
        const struct sysconf_key_info *info = sysconf_key_info((enum sysconf_key)k);
        char why[VALIDATE_WHY_MAX];
        CHECK(info->name && info->default_value && info->values && info->doc);
        CHECK((info->type == SYSCONF_CHOICE) == (info->validate == NULL));
        CHECK((info->type == SYSCONF_CHOICE) == (sysconf_choice_count((enum sysconf_key)k) > 0));
        CHECK_EQ_INT(sysconf_key_lookup(info->name), k);
        CHECK(strchr(info->values, '|') == NULL && strchr(info->doc, '|') == NULL);
        if (info->default_value[0])
            CHECK_EQ_INT(sysconf_check_value((enum sysconf_key)k, info->default_value, why,
                                             sizeof(why)), 0);
    }
    CHECK_EQ_INT(sysconf_key_lookup("net_dns"), SYSCONF_NET_DNS);
    CHECK_EQ_INT(sysconf_key_lookup("colour"), -1);
    CHECK_EQ_INT(sysconf_key_lookup(""), -1);
    CHECK_EQ_INT(sysconf_choice_index(SYSCONF_NET_MODE, "static"), SYSCONF_NET_MODE_STATIC);
    CHECK_EQ_INT(sysconf_choice_index(SYSCONF_NET_MODE, "dhcp"), SYSCONF_NET_MODE_DHCP);
    CHECK_EQ_INT(sysconf_choice_index(SYSCONF_NET_MODE, "auto"), -1);
    CHECK_EQ_INT(sysconf_choice_index(SYSCONF_HOSTNAME, "x"), -1);
}

static void test_a_choice_names_its_values_when_refused(void)
{
    char why[VALIDATE_WHY_MAX];

    CHECK_EQ_INT(sysconf_check_value(SYSCONF_NET_MODE, "auto", why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "dhcp or static");
}

static void test_readers_get_the_value_or_the_default(void)
{
    const char *text = "net_mode = static\nnet_vlan = 5000\nssh_password_login = off\n"
                       "net_nics = eth1\n";
    char value[SYSCONF_VALUE_MAX], why[VALIDATE_WHY_MAX];
    struct conf c;
    struct conf_error err;

    conf_init(&c);
    CHECK_EQ_INT(conf_parse(text, strlen(text), "system.conf", &c, &err), 0);
    CHECK_EQ_INT(sysconf_effective_value(&c, SYSCONF_NET_MODE, value, sizeof(value), why,
                                         sizeof(why)), 0);
    CHECK_EQ_STR(value, "static");
    CHECK_EQ_INT(sysconf_effective_value(&c, SYSCONF_NET_VLAN, value, sizeof(value), why,
                                         sizeof(why)), -EINVAL);
    CHECK_EQ_STR(value, "");
    CHECK_EQ_STR(why, "must be 1-4094 (empty for none)");
    CHECK_EQ_INT(sysconf_effective_value(&c, SYSCONF_SSH_PASSWORD_LOGIN, value, sizeof(value),
                                         why, sizeof(why)), 0);
    CHECK_EQ_STR(value, "no"); /* bools read as yes or no, whatever the spelling */
    CHECK_EQ_INT(sysconf_effective_value(&c, SYSCONF_CONSOLE_LOCK, value, sizeof(value), why,
                                         sizeof(why)), 0);
    CHECK_EQ_STR(value, "yes");
    CHECK_EQ_INT(sysconf_effective_value(&c, SYSCONF_NET_NICS, value, sizeof(value), why,
                                         sizeof(why)), 0);
    CHECK_EQ_STR(value, "eth1");
    CHECK_EQ_INT(sysconf_check_conf(&c, "system.conf", &err), -EINVAL);
    CHECK_EQ_INT(err.line, 2);
    CHECK_EQ_STR(err.reason, "net_vlan: must be 1-4094 (empty for none)");
    conf_free(&c);
    CHECK_EQ_INT(sysconf_effective_value(NULL, SYSCONF_NET_NICS, value, sizeof(value), why,
                                         sizeof(why)), 0);
    CHECK_EQ_STR(value, "auto");
}

static void test_a_value_too_long_is_refused(void)
{
    char value[SYSCONF_VALUE_MAX + 1], why[VALIDATE_WHY_MAX];

    memset(value, 'a', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    CHECK_EQ_INT(sysconf_check_value(SYSCONF_NET_NICS, value, why, sizeof(why)), -E2BIG);
    CHECK_EQ_STR(why, "longer than 255 characters");
}

static void test_the_docs_table_has_a_row_per_key(void)
{
    char *table = sysconf_doc_table(), row[96];

    CHECK(table != NULL);
    CHECK(strncmp(table, "| key | values | default |", 26) == 0);
    for (int k = 0; table && k < SYSCONF_KEY_COUNT; k++) {
        snprintf(row, sizeof(row), "\n| `%s` |", sysconf_key_name((enum sysconf_key)k));
        CHECK(strstr(table, row) != NULL);
    }
    CHECK(table && strstr(table, "| `net_mode` | `dhcp` or `static` | `dhcp` |") != NULL);
    free(table);
}

int main(void)
{
    RUN(test_both_routes_give_the_same_verdict);
    RUN(test_address_and_gateway_together);
    RUN(test_every_row_is_complete_and_its_default_passes);
    RUN(test_readers_get_the_value_or_the_default);
    RUN(test_a_choice_names_its_values_when_refused);
    RUN(test_a_value_too_long_is_refused);
    RUN(test_the_docs_table_has_a_row_per_key);
    return check_summary("sysconf_keys");
}
