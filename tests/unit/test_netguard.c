/* Unit tests for the bridge guard's rules (initramfs/netguard/netguard.c). */
#include <errno.h>
#include <string.h>

#include "../../initramfs/netguard/netguard.h"
#include "check.h"

static struct netguard_facts facts(int mgmt_from_vms)
{
    struct netguard_facts f;
    memset(&f, 0, sizeof(f));
    CHECK_EQ_INT(netguard_add_uplink(&f, "eth0"), 0);
    CHECK_EQ_INT(netguard_set_mac(&f, "52:54:00:12:34:56"), 0);
    CHECK_EQ_INT(netguard_add_ipv4(&f, "10.0.2.15"), 0);
    CHECK_EQ_INT(netguard_add_ipv6(&f, "fe80::5054:ff:fe12:3456"), 0);
    f.mgmt_from_vms = mgmt_from_vms;
    return f;
}

static void test_rules_in_order(void)
{
    static char rules[8192];
    struct netguard_facts f = facts(0);
    CHECK_EQ_INT(netguard_render(&f, rules, sizeof(rules)), 0);
    const char *want =
        "-A CORRAL-GUARD-IN -i eth0 -j RETURN\n"
        "-A CORRAL-GUARD-IN -s 52:54:00:12:34:56 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x0806 --arp-mac-src 52:54:00:12:34:56 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x0806 --arp-ip-src 10.0.2.15 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x0800 --ip-src 10.0.2.15 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x86dd --ip6-src fe80::5054:ff:fe12:3456 -j DROP\n"
        "-A CORRAL-GUARD-FWD -i eth0 -j RETURN\n"
        "-A CORRAL-GUARD-FWD -s 52:54:00:12:34:56 -j DROP\n"
        "-A CORRAL-GUARD-FWD -p 0x0806 --arp-mac-src 52:54:00:12:34:56 -j DROP\n"
        "-A CORRAL-GUARD-FWD -p 0x0806 --arp-ip-src 10.0.2.15 -j DROP\n"
        "-A CORRAL-GUARD-FWD -p 0x0800 --ip-src 10.0.2.15 -j DROP\n"
        "-A CORRAL-GUARD-FWD -p 0x86dd --ip6-src fe80::5054:ff:fe12:3456 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x0800 --ip-proto 17 --ip-sport 67 --ip-dport 68 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x86dd --ip6-proto 58 --ip6-icmp-type 134 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x86dd --ip6-proto 58 --ip6-icmp-type 137 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x8100 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x0800 --ip-proto 6 --ip-dport 22 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x86dd --ip6-proto 6 --ip6-dport 22 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x0800 --ip-proto 6 --ip-dport 80 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x86dd --ip6-proto 6 --ip6-dport 80 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x0800 --ip-proto 6 --ip-dport 443 -j DROP\n"
        "-A CORRAL-GUARD-IN -p 0x86dd --ip6-proto 6 --ip6-dport 443 -j DROP\n";
    CHECK_EQ_STR(rules, want);
}

/* mgmt_from_vms = yes lifts the port rules only: the spoofing, DHCP and
 * router advertisement rules stay. */
static void test_management_allowed(void)
{
    static char rules[8192];
    struct netguard_facts f = facts(1);
    CHECK_EQ_INT(netguard_render(&f, rules, sizeof(rules)), 0);
    CHECK(strstr(rules, "--ip-dport 22") == NULL);
    CHECK(strstr(rules, "--ip6-dport 443") == NULL);
    CHECK(strstr(rules, "--ip-sport 67 --ip-dport 68 -j DROP") != NULL);
    CHECK(strstr(rules, "--arp-ip-src 10.0.2.15 -j DROP") != NULL);
    CHECK(strstr(rules, "--ip6-icmp-type 134 -j DROP") != NULL);
}

/* No uplink (no NIC): every port is a VM's, nothing returns early; no
 * address yet: the MAC rules alone. */
static void test_no_uplink_no_address(void)
{
    static char rules[8192];
    struct netguard_facts f;
    memset(&f, 0, sizeof(f));
    CHECK_EQ_INT(netguard_render(&f, rules, sizeof(rules)), 0);
    CHECK(strstr(rules, "RETURN") == NULL);
    CHECK(strstr(rules, "-s ") == NULL);
    CHECK(strstr(rules, "--ip-dport 22 -j DROP") != NULL);
}

/* Only names and addresses in their own form reach ebtables' command line. */
static void test_facts_are_checked(void)
{
    struct netguard_facts f;
    memset(&f, 0, sizeof(f));
    CHECK_EQ_INT(netguard_add_uplink(&f, "eth0 -j ACCEPT"), -EINVAL);
    CHECK_EQ_INT(netguard_add_uplink(&f, ""), -EINVAL);
    CHECK_EQ_INT(netguard_add_uplink(&f, "a-very-long-ifname"), -EINVAL);
    CHECK_EQ_INT(netguard_set_mac(&f, "52:54:00:12:34"), -EINVAL);
    CHECK_EQ_INT(netguard_set_mac(&f, "52:54:00:12:34:5g"), -EINVAL);
    CHECK_EQ_INT(netguard_set_mac(&f, "52:54:00:12:34:56 "), -EINVAL);
    CHECK_EQ_INT(netguard_set_mac(&f, "52:54:00:AB:cd:56"), 0);
    CHECK_EQ_STR(f.host_mac, "52:54:00:ab:cd:56");
    CHECK_EQ_INT(netguard_add_ipv4(&f, "10.0.2.300"), -EINVAL);
    CHECK_EQ_INT(netguard_add_ipv4(&f, "10.0.2.15 -j ACCEPT"), -EINVAL);
    CHECK_EQ_INT(netguard_add_ipv6(&f, "10.0.2.15"), -EINVAL);
    CHECK_EQ_INT(netguard_add_ipv6(&f, "FE80:0:0::1"), 0);
    CHECK_EQ_STR(f.ipv6[0], "fe80::1");
    for (int i = 0; i < NETGUARD_MAX_UPLINKS; i++)
        CHECK_EQ_INT(netguard_add_uplink(&f, "eth1"), 0);
    CHECK_EQ_INT(netguard_add_uplink(&f, "eth2"), -E2BIG);
    for (int i = 0; i < NETGUARD_MAX_ADDRS; i++)
        CHECK_EQ_INT(netguard_add_ipv4(&f, "10.0.0.1"), 0);
    CHECK_EQ_INT(netguard_add_ipv4(&f, "10.0.0.2"), -E2BIG);
}

static void test_short_buffer(void)
{
    char small[100];
    struct netguard_facts f = facts(0);
    CHECK_EQ_INT(netguard_render(&f, small, sizeof(small)), -ENOSPC);
    CHECK(strlen(small) < sizeof(small));
    CHECK_EQ_INT(netguard_render(&f, small, 0), -ENOSPC);
}

int main(void)
{
    RUN(test_rules_in_order);
    RUN(test_management_allowed);
    RUN(test_no_uplink_no_address);
    RUN(test_facts_are_checked);
    RUN(test_short_buffer);
    return check_summary("netguard");
}
