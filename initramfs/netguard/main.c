/* corral-netguard: applies the bridge guard (netguard.h) to br0, from the
 * bridge's ports, its MAC and addresses and system.conf's mgmt_from_vms.
 * Run by /usr/libexec/corral/network at start, when the management address
 * changes (udhcpc's script) and by `network guard`.
 *
 *   corral-netguard [--print] [--bridge NAME]
 *
 * --print shows the rules without applying them. */
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netguard.h"
#include "runcmd.h"
#include "sysconf.h"

#define RULES_MAX 16384

static int read_line(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    int ok = fgets(out, (int)len, f) != NULL;
    fclose(f);
    out[ok ? strcspn(out, "\n") : 0] = '\0';
    return ok ? 0 : -EIO;
}

/* Uplinks: the bridge's ports that are physical NICs (they have a device,
 * as the network script chooses them); every other port is a VM's. */
static int gather_uplinks(const char *bridge, struct netguard_facts *f)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "/sys/class/net/%s/brif", bridge);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "corral-netguard: %s is not a bridge (%s)\n", bridge, strerror(errno));
        return -1;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        snprintf(path, sizeof(path), "/sys/class/net/%.64s/device", e->d_name);
        if (e->d_name[0] != '.' && access(path, F_OK) == 0 && netguard_add_uplink(f, e->d_name))
            fprintf(stderr, "corral-netguard: uplink %s left out (bad name or too many)\n",
                    e->d_name);
    }
    closedir(d);
    return 0;
}

/* The bridge's own addresses and those of its VLAN interfaces (br0.TAG). */
static int is_host_interface(const char *bridge, const char *name)
{
    size_t n = strlen(bridge);
    return strcmp(name, bridge) == 0 || (strncmp(name, bridge, n) == 0 && name[n] == '.');
}

static void gather_addresses(const char *bridge, struct netguard_facts *f)
{
    struct ifaddrs *all;
    char text[INET6_ADDRSTRLEN];
    if (getifaddrs(&all)) {
        fprintf(stderr, "corral-netguard: getifaddrs: %s\n", strerror(errno));
        return;
    }
    for (struct ifaddrs *a = all; a; a = a->ifa_next) {
        if (!a->ifa_addr || !is_host_interface(bridge, a->ifa_name))
            continue;
        if (a->ifa_addr->sa_family == AF_INET &&
            inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, text, sizeof(text)))
            netguard_add_ipv4(f, text);
        else if (a->ifa_addr->sa_family == AF_INET6 &&
                 inet_ntop(AF_INET6, &((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr, text,
                           sizeof(text)))
            netguard_add_ipv6(f, text);
    }
    freeifaddrs(all);
}

static int gather(const char *bridge, struct netguard_facts *f)
{
    char path[PATH_MAX], mac[32];
    memset(f, 0, sizeof(*f));
    if (gather_uplinks(bridge, f))
        return -1;
    snprintf(path, sizeof(path), "/sys/class/net/%s/address", bridge);
    if (read_line(path, mac, sizeof(mac)) == 0 && netguard_set_mac(f, mac))
        fprintf(stderr, "corral-netguard: %s's MAC %s is not one\n", bridge, mac);
    gather_addresses(bridge, f);
    f->mgmt_from_vms = sysconf_get_bool(SYSTEM_CONF, SYSCONF_MGMT_FROM_VMS);
    return 0;
}

/* One ebtables command; the words are netguard's own (no quoting). */
static int ebtables(const char *args, int quiet)
{
    char copy[512], out[1024];
    const char *argv[32] = {"ebtables"};
    size_t n = 1;
    snprintf(copy, sizeof(copy), "%s", args);
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w && n < 31;
         w = strtok_r(NULL, " ", &save))
        argv[n++] = w;
    argv[n] = NULL;
    struct run_request r = {argv, NULL, out, sizeof(out), 10000, true, false, 0};
    int status = run_request(&r);
    if (status != 0 && !quiet)
        fprintf(stderr, "corral-netguard: ebtables %s: %s\n", args,
                status < 0 ? strerror(-status) : out);
    return status;
}

/* Empty chains of our own, jumped to first from INPUT and FORWARD. */
static int prepare_chains(void)
{
    static const char *const chains[][2] = {{NETGUARD_CHAIN_IN, "INPUT"},
                                            {NETGUARD_CHAIN_FWD, "FORWARD"}};
    char cmd[128];
    for (size_t i = 0; i < 2; i++) {
        snprintf(cmd, sizeof(cmd), "-N %s -P RETURN", chains[i][0]);
        ebtables(cmd, 1); /* exists already after the first run */
        snprintf(cmd, sizeof(cmd), "-F %s", chains[i][0]);
        if (ebtables(cmd, 0))
            return -1;
        snprintf(cmd, sizeof(cmd), "-D %s -j %s", chains[i][1], chains[i][0]);
        while (ebtables(cmd, 1) == 0)
            ;
        snprintf(cmd, sizeof(cmd), "-I %s 1 -j %s", chains[i][1], chains[i][0]);
        if (ebtables(cmd, 0))
            return -1;
    }
    return 0;
}

static int apply(const char *rules)
{
    char copy[RULES_MAX];
    int failed = 0;
    if (prepare_chains())
        return -1;
    snprintf(copy, sizeof(copy), "%s", rules);
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        failed |= ebtables(l, 0) != 0;
    return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"print", no_argument, NULL, 'p'}, {"bridge", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},  {NULL, 0, NULL, 0},
    };
    const char *bridge = "br0";
    int print = 0;
    for (int c; (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1;) {
        if (c == 'p')
            print = 1;
        else if (c == 'b')
            bridge = optarg;
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: corral-netguard [--print] [--bridge NAME]   the bridge guard "
                    "(README: Network)\n");
            return c == 'h' ? 0 : 2;
        }
    }
    static struct netguard_facts facts;
    static char rules[RULES_MAX];
    if (gather(bridge, &facts) || netguard_render(&facts, rules, sizeof(rules))) {
        fprintf(stderr, "corral-netguard: no rules for %s\n", bridge);
        return 1;
    }
    if (print) {
        fputs(rules, stdout);
        return 0;
    }
    if (apply(rules)) {
        fprintf(stderr, "corral-netguard: the guard on %s is incomplete\n", bridge);
        return 1;
    }
    printf("corral-netguard: %s guarded (%zu uplink(s), %zu IPv4 and %zu IPv6 address(es), "
           "management from VMs %s)\n", bridge, facts.uplink_count, facts.ipv4_count,
           facts.ipv6_count, facts.mgmt_from_vms ? "allowed" : "refused");
    return 0;
}
