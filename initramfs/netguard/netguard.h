/* netguard: the bridge guard's rules.  Guests share br0 with the control
 * domain's management address; these ebtables rules keep a guest from
 * attacking the host through it:
 *
 *   - no DHCP answers (UDP 67 -> 68) and no IPv6 router advertisements or
 *     redirects reach the host from a VM port;
 *   - no frame from a VM port carries the host's MAC (Ethernet or ARP
 *     sender) or the host's IPv4/IPv6 addresses (ARP sender, IP source),
 *     to the host or to anyone else on the bridge;
 *   - the host's management services (NETGUARD_MGMT_PORTS: SSH and the
 *     web server) cannot be reached from a VM port unless system.conf says
 *     mgmt_from_vms = yes;
 *   - VLAN-tagged frames from a VM port never reach the host (VMs are
 *     untagged; net_vlan puts the management address on br0.TAG).
 *
 * A VM port is any bridge port that is not an uplink (a physical NIC):
 * taps need no rule of their own, so a tap that joins later is guarded by
 * the rules already there.  The rules are two user chains, jumped to from
 * the filter table's INPUT (frames for the host) and FORWARD (frames the
 * bridge passes on).  This file is the pure part: facts in, rule lines
 * out; main.c gathers the facts and runs ebtables. */
#ifndef CORRAL_NETGUARD_H
#define CORRAL_NETGUARD_H

#include <stddef.h>

#define NETGUARD_CHAIN_IN "CORRAL-GUARD-IN"
#define NETGUARD_CHAIN_FWD "CORRAL-GUARD-FWD"
#define NETGUARD_MAX_UPLINKS 8
#define NETGUARD_MAX_ADDRS 8
#define NETGUARD_IFNAME_MAX 16 /* IFNAMSIZ */
#define NETGUARD_ADDR_MAX 46   /* INET6_ADDRSTRLEN */
/* The management services: SSH, the web server (http, https). */
#define NETGUARD_MGMT_PORTS {22, 80, 443}

struct netguard_facts {
    char uplinks[NETGUARD_MAX_UPLINKS][NETGUARD_IFNAME_MAX];
    size_t uplink_count;
    char host_mac[18]; /* "" when unknown */
    char ipv4[NETGUARD_MAX_ADDRS][NETGUARD_ADDR_MAX];
    size_t ipv4_count;
    char ipv6[NETGUARD_MAX_ADDRS][NETGUARD_ADDR_MAX];
    size_t ipv6_count;
    int mgmt_from_vms;
};

/* Adders that check what they are given (the rules go to ebtables' command
 * line): 0, -EINVAL for a bad name or address, -E2BIG when full. */
int netguard_add_uplink(struct netguard_facts *f, const char *ifname);
int netguard_set_mac(struct netguard_facts *f, const char *mac);
int netguard_add_ipv4(struct netguard_facts *f, const char *addr);
int netguard_add_ipv6(struct netguard_facts *f, const char *addr);

/* The rules, one ebtables command line (without "ebtables") a line, for
 * chains that exist and are empty: 0, or -ENOSPC. */
int netguard_render(const struct netguard_facts *f, char *buf, size_t len);

#endif
