/* Unit tests: the value checks of system.conf and SSH keys (lib/validate.c);
 * tests/unit/test_sysconf_keys.c checks them through the table and both
 * routes (console UI, answer file). */
#include <errno.h>
#include <stdint.h>

#include "validate.h"
#include "check.h"

static char why[VALIDATE_WHY_MAX];

static void test_ipv4_accepts_dotted_quads(void)
{
    uint32_t a = 0;
    CHECK_EQ_INT(validate_ipv4("192.168.1.10", &a, why, sizeof(why)), 0);
    CHECK_EQ_INT(a, 0xc0a8010a);
    CHECK_EQ_INT(validate_ipv4("0.0.0.0", NULL, why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_ipv4("255.255.255.255", NULL, why, sizeof(why)), 0);
}

static void test_ipv4_refuses_an_octet_over_255_and_says_which(void)
{
    CHECK_EQ_INT(validate_ipv4("300.1.1.1", NULL, why, sizeof(why)), -ERANGE);
    CHECK_EQ_STR(why, "300 is over 255");
    CHECK_EQ_INT(validate_ipv4("1.1.1.256", NULL, why, sizeof(why)), -ERANGE);
    CHECK_EQ_STR(why, "256 is over 255");
    CHECK_EQ_INT(validate_ipv4("1.1.1.1000", NULL, why, sizeof(why)), -ERANGE);
}

static void test_ipv4_refuses_malformed_text(void)
{
    const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", "1.2.3.4 ", " 1.2.3.4",
                         "01.2.3.4", "1.2.3.-4", "1.2.3.4/24"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        CHECK(validate_ipv4(bad[i], NULL, why, sizeof(why)) != 0);
        CHECK(why[0] != '\0');
    }
    CHECK(validate_ipv4(NULL, NULL, why, sizeof(why)) != 0);
}

static void test_cidr_needs_a_prefix_of_1_to_32(void)
{
    uint32_t a;
    unsigned p;
    CHECK_EQ_INT(validate_ipv4_cidr("10.0.2.15/24", &a, &p, why, sizeof(why)), 0);
    CHECK_EQ_INT(p, 24);
    CHECK_EQ_INT(a, 0x0a00020f);
    CHECK_EQ_INT(validate_ipv4_cidr("10.0.2.15", NULL, NULL, why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "add the prefix length, e.g. /24");
    CHECK(validate_ipv4_cidr("10.0.2.15/33", NULL, NULL, why, sizeof(why)) != 0);
    CHECK(validate_ipv4_cidr("10.0.2.15/0", NULL, NULL, why, sizeof(why)) != 0);
    CHECK(validate_ipv4_cidr("10.0.2.15/", NULL, NULL, why, sizeof(why)) != 0);
    CHECK(validate_ipv4_cidr("10.0.2.15/2x", NULL, NULL, why, sizeof(why)) != 0);
    CHECK_EQ_INT(validate_ipv4_cidr("300.1.1.1/24", NULL, NULL, why, sizeof(why)), -ERANGE);
    CHECK_EQ_STR(why, "300 is over 255");
    CHECK_EQ_INT(validate_ipv4_cidr("10.0.0.1/32", NULL, NULL, why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_ipv4_cidr("10.0.0.0/31", NULL, NULL, why, sizeof(why)), 0);
}

static void test_cidr_refuses_network_broadcast_and_special_addresses(void)
{
    CHECK(validate_ipv4_cidr("192.168.1.0/24", NULL, NULL, why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "that is the network address of /24");
    CHECK(validate_ipv4_cidr("192.168.1.255/24", NULL, NULL, why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "that is the broadcast address of /24");
    CHECK(validate_ipv4_cidr("127.0.0.1/8", NULL, NULL, why, sizeof(why)) != 0);
    CHECK(validate_ipv4_cidr("224.0.0.1/24", NULL, NULL, why, sizeof(why)) != 0);
    CHECK(validate_ipv4_cidr("0.0.0.0/8", NULL, NULL, why, sizeof(why)) != 0);
}

static void test_gateway_must_be_in_the_subnet(void)
{
    CHECK_EQ_INT(validate_gateway("192.168.1.1", "192.168.1.10/24", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_gateway("", "192.168.1.10/24", why, sizeof(why)), 0);
    CHECK(validate_gateway("192.168.2.1", "192.168.1.10/24", why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "not in the address's subnet (/24)");
    CHECK(validate_gateway("192.168.1.10", "192.168.1.10/24", why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "is the address itself");
    CHECK(validate_gateway("192.168.1.255", "192.168.1.10/24", why, sizeof(why)) != 0);
    CHECK(validate_gateway("192.168.1.1", "bogus", why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "fix the address first");
    CHECK_EQ_INT(validate_gateway("300.1.1.1", "192.168.1.10/24", why, sizeof(why)), -ERANGE);
}

static void test_dns_list(void)
{
    CHECK_EQ_INT(validate_dns_list("", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_dns_list("1.1.1.1", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_dns_list("1.1.1.1, 9.9.9.9 8.8.8.8", why, sizeof(why)), 0);
    CHECK(validate_dns_list("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4", why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "at most 3 servers");
    CHECK(validate_dns_list("1.1.1.1, 300.1.1.1", why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "300.1.1.1: 300 is over 255");
    CHECK(validate_dns_list("1.1.1.1, 123456789012345678901234567890123456", why, sizeof(why)) != 0);
}

static void test_hostname(void)
{
    const char *good[] = {"corral", "corral-1", "host.example.com", "a", "9lives"};
    const char *bad[] = {"", "-corral", "corral-", "cor ral", "cor_ral", "a..b", ".a", "a.",
                         "a.-b", "a-.b",
                         "a234567890123456789012345678901234567890123456789012345678901234"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK_EQ_INT(validate_hostname(good[i], why, sizeof(why)), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(validate_hostname(bad[i], why, sizeof(why)) != 0);
    validate_hostname("cor ral", why, sizeof(why));
    CHECK_EQ_STR(why, "' ' not allowed: letters, digits, '-' and '.' only");
}

static void test_vlan(void)
{
    CHECK_EQ_INT(validate_vlan("", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_vlan("1", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_vlan("4094", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_vlan("0", why, sizeof(why)), -ERANGE);
    CHECK_EQ_INT(validate_vlan("4095", why, sizeof(why)), -ERANGE);
    CHECK_EQ_STR(why, "must be 1-4094 (empty for none)");
    CHECK_EQ_INT(validate_vlan("99999999999999999999", why, sizeof(why)), -ERANGE);
    CHECK_EQ_INT(validate_vlan("12a", why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(validate_vlan("-1", why, sizeof(why)), -EINVAL);
}

static void test_nic_list(void)
{
    const char *const nics[] = {"eth0", "eth1", "enp3s0"};
    CHECK_EQ_INT(validate_nic_list("auto", nics, 3, why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_nic_list("eth0", nics, 3, why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_nic_list("eth1, enp3s0", nics, 3, why, sizeof(why)), 0);
    CHECK(validate_nic_list("eth2", nics, 3, why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "no NIC named eth2");
    CHECK(validate_nic_list("eth", nics, 3, why, sizeof(why)) != 0);
    CHECK(validate_nic_list("", nics, 3, why, sizeof(why)) != 0);
    CHECK(validate_nic_list(" , ", nics, 3, why, sizeof(why)) != 0);
    CHECK(validate_nic_list("eth0", NULL, 0, why, sizeof(why)) != 0);
}

static void test_nic_names_checks_the_form_only(void)
{
    CHECK_EQ_INT(validate_nic_names("auto", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_nic_names("eth0", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_nic_names("eth0,enp3s0 eno1.10", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_nic_names("abcdefghijklmno", why, sizeof(why)), 0);
    CHECK(validate_nic_names("abcdefghijklmnop", why, sizeof(why)) != 0);
    CHECK(validate_nic_names("eth0/1", why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "eth0/1: not a NIC name (letters, digits, . - _)");
    CHECK(validate_nic_names("", why, sizeof(why)) != 0);
    CHECK(validate_nic_names(",", why, sizeof(why)) != 0);
    CHECK(validate_nic_names("auto,eth0", why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "\"auto\" stands alone, not in a list of NICs");
}

static void test_yes_no(void)
{
    CHECK_EQ_INT(validate_yes_no("yes", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_yes_no("off", why, sizeof(why)), 0);
    CHECK(validate_yes_no("maybe", why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "yes or no");
    CHECK(validate_yes_no("", why, sizeof(why)) != 0);
}

static void test_ssh_public_keys(void)
{
    /* A real ed25519 key and an RSA key (from ssh-keygen). */
    const char *ed = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPYyJ6OsN4IjjK8n9Uj8zMT1Fwg1cUrVfJ26"
                     "AgKrCRCk me@laptop";
    const char *rsa_head = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7";
    CHECK_EQ_INT(validate_ssh_public_key(ed, why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_ssh_public_key(rsa_head, why, sizeof(why)), 0);
    /* Wrong type for the blob, cut short, unknown type, junk. */
    CHECK(validate_ssh_public_key("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIPYyJ6OsN4IjjK8n9Uj8zMT1Fwg1cUrVfJ26AgKrCRCk",
                                  why, sizeof(why)) != 0);
    CHECK_EQ_STR(why, "the key data does not match its type ssh-rsa");
    CHECK(validate_ssh_public_key("ssh-ed25519 AAAA", why, sizeof(why)) != 0);
    CHECK(validate_ssh_public_key("ssh-ed25519", why, sizeof(why)) != 0);
    CHECK(validate_ssh_public_key("ssh-dss AAAAB3NzaC1kc3M=", why, sizeof(why)) != 0);
    CHECK(validate_ssh_public_key("hello world", why, sizeof(why)) != 0);
    CHECK(validate_ssh_public_key("", why, sizeof(why)) != 0);
    CHECK(validate_ssh_public_key("ssh-ed25519 AAAAC3Nz!!1lZDI1NTE5AAAAIEHc", why, sizeof(why)) != 0);
    CHECK(validate_ssh_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPYyJ6OsN4IjjK8n9Uj8zMT1Fwg1cUrVfJ26AgKrCRCk x\ny",
                                  why, sizeof(why)) != 0);
}

int main(void)
{
    RUN(test_ipv4_accepts_dotted_quads);
    RUN(test_nic_names_checks_the_form_only);
    RUN(test_yes_no);
    RUN(test_ipv4_refuses_an_octet_over_255_and_says_which);
    RUN(test_ipv4_refuses_malformed_text);
    RUN(test_cidr_needs_a_prefix_of_1_to_32);
    RUN(test_cidr_refuses_network_broadcast_and_special_addresses);
    RUN(test_gateway_must_be_in_the_subnet);
    RUN(test_dns_list);
    RUN(test_hostname);
    RUN(test_vlan);
    RUN(test_nic_list);
    RUN(test_ssh_public_keys);
    return check_summary("setup_validate");
}
