/* netguard: the bridge guard's rules (netguard.h). */
#include "netguard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int ifname_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < NETGUARD_IFNAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int netguard_add_uplink(struct netguard_facts *f, const char *ifname)
{
    if (!ifname_ok(ifname))
        return -EINVAL;
    if (f->uplink_count == NETGUARD_MAX_UPLINKS)
        return -E2BIG;
    snprintf(f->uplinks[f->uplink_count++], NETGUARD_IFNAME_MAX, "%s", ifname);
    return 0;
}

int netguard_set_mac(struct netguard_facts *f, const char *mac)
{
    unsigned b[6];
    char end;
    if (strlen(mac) != 17 || sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
                                    &b[3], &b[4], &b[5], &end) != 6 ||
        strspn(mac, "0123456789abcdefABCDEF:") != 17)
        return -EINVAL;
    snprintf(f->host_mac, sizeof(f->host_mac), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1],
             b[2], b[3], b[4], b[5]);
    return 0;
}

/* Kept in inet_ntop's canonical form, so that nothing else reaches the
 * command line. */
static int add_addr(int family, const char *addr, char list[][NETGUARD_ADDR_MAX],
                    size_t *count)
{
    unsigned char raw[16];
    char text[NETGUARD_ADDR_MAX];
    if (inet_pton(family, addr, raw) != 1 || !inet_ntop(family, raw, text, sizeof(text)))
        return -EINVAL;
    if (*count == NETGUARD_MAX_ADDRS)
        return -E2BIG;
    snprintf(list[(*count)++], NETGUARD_ADDR_MAX, "%s", text);
    return 0;
}

int netguard_add_ipv4(struct netguard_facts *f, const char *addr)
{
    return add_addr(AF_INET, addr, f->ipv4, &f->ipv4_count);
}

int netguard_add_ipv6(struct netguard_facts *f, const char *addr)
{
    return add_addr(AF_INET6, addr, f->ipv6, &f->ipv6_count);
}

struct out {
    char *buf;
    size_t len, used;
    int full;
};

__attribute__((format(printf, 2, 3))) static void line(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 1 >= o->len - o->used) {
        o->full = 1;
        return;
    }
    o->used += (size_t)n;
    o->buf[o->used++] = '\n';
    o->buf[o->used] = '\0';
}

/* EtherTypes as numbers: no /etc/ethertypes needed. */
#define ETH_IPV4 "0x0800"
#define ETH_ARP "0x0806"
#define ETH_IPV6 "0x86dd"
#define ETH_VLAN "0x8100"

/* Frames that claim to come from the host: dropped from VM ports whether
 * they are for the host or passed on (both chains). */
static void spoof_rules(struct out *o, const struct netguard_facts *f, const char *chain)
{
    if (f->host_mac[0]) {
        line(o, "-A %s -s %s -j DROP", chain, f->host_mac);
        line(o, "-A %s -p " ETH_ARP " --arp-mac-src %s -j DROP", chain, f->host_mac);
    }
    for (size_t i = 0; i < f->ipv4_count; i++) {
        line(o, "-A %s -p " ETH_ARP " --arp-ip-src %s -j DROP", chain, f->ipv4[i]);
        line(o, "-A %s -p " ETH_IPV4 " --ip-src %s -j DROP", chain, f->ipv4[i]);
    }
    for (size_t i = 0; i < f->ipv6_count; i++)
        line(o, "-A %s -p " ETH_IPV6 " --ip6-src %s -j DROP", chain, f->ipv6[i]);
}

/* What a VM may not send to the host itself. */
static void host_rules(struct out *o, const struct netguard_facts *f)
{
    const char *in = NETGUARD_CHAIN_IN;
    static const int mgmt_ports[] = NETGUARD_MGMT_PORTS;
    /* DHCP server to client: an offer or ack for the host's udhcpc. */
    line(o, "-A %s -p " ETH_IPV4 " --ip-proto 17 --ip-sport 67 --ip-dport 68 -j DROP", in);
    /* ICMPv6 router advertisement (134) and redirect (137). */
    line(o, "-A %s -p " ETH_IPV6 " --ip6-proto 58 --ip6-icmp-type 134 -j DROP", in);
    line(o, "-A %s -p " ETH_IPV6 " --ip6-proto 58 --ip6-icmp-type 137 -j DROP", in);
    line(o, "-A %s -p " ETH_VLAN " -j DROP", in);
    if (f->mgmt_from_vms)
        return;
    for (size_t i = 0; i < sizeof(mgmt_ports) / sizeof(mgmt_ports[0]); i++) {
        line(o, "-A %s -p " ETH_IPV4 " --ip-proto 6 --ip-dport %d -j DROP", in, mgmt_ports[i]);
        line(o, "-A %s -p " ETH_IPV6 " --ip6-proto 6 --ip6-dport %d -j DROP", in, mgmt_ports[i]);
    }
}

int netguard_render(const struct netguard_facts *f, char *buf, size_t len)
{
    struct out o = {buf, len, 0, len == 0};
    static const char *const chains[] = {NETGUARD_CHAIN_IN, NETGUARD_CHAIN_FWD};
    if (len)
        buf[0] = '\0';
    for (size_t c = 0; c < 2; c++) {
        /* Frames from an uplink are not a VM's: they leave the chain. */
        for (size_t i = 0; i < f->uplink_count; i++)
            line(&o, "-A %s -i %s -j RETURN", chains[c], f->uplinks[i]);
        spoof_rules(&o, f, chains[c]);
    }
    host_rules(&o, f);
    return o.full ? -ENOSPC : 0;
}
