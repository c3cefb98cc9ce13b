/* cli_format: small formatting helpers for the human-readable output. */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_format_mib(long long mib, char *buf, size_t len)
{
    static const char units[] = "MGT";
    int u = 0;
    long long whole = mib, tenths = 0;
    while (whole >= 1024 && u < 2) {
        tenths = (whole % 1024) * 10 / 1024;
        whole /= 1024;
        u++;
    }
    if (tenths)
        snprintf(buf, len, "%lld.%lld%c", whole, tenths, units[u]);
    else
        snprintf(buf, len, "%lld%c", whole, units[u]);
}

void cli_nic_spec(const char *arg, char *buf, size_t len)
{
    if (strchr(arg, '=') || arg[0] == '\0')
        snprintf(buf, len, "%s", arg);
    else
        snprintf(buf, len, "bridge=%s", arg);
}

/* The port after the last ':' (or the whole text): 1..65535. */
static int cli_parse_port(const char *text, unsigned *port)
{
    char *end;
    errno = 0;
    unsigned long p = strtoul(text, &end, 10);
    if (!text[0] || *end || errno || p == 0 || p > 65535 || text[0] == '-' ||
        text[0] == '+')
        return -1;
    *port = (unsigned)p;
    return 0;
}

int cli_parse_listen(const char *arg, struct cli_listen *l, char *why, size_t len)
{
    memset(l, 0, sizeof(*l));
    const char *colon = strrchr(arg, ':');
    const char *port = colon ? colon + 1 : arg;
    size_t host_len = colon ? (size_t)(colon - arg) : 0;
    if (cli_parse_port(port, &l->port) < 0) {
        snprintf(why, len, "'%s' is not a port (1-65535)", port);
        return -1;
    }
    if (host_len >= 2 && arg[0] == '[' && arg[host_len - 1] == ']')
        arg++, host_len -= 2; /* [::1]:5900 */
    if (host_len == 0 || (host_len == 9 && !strncmp(arg, "localhost", 9)))
        arg = "127.0.0.1", host_len = 9;
    if (host_len >= sizeof(l->host)) {
        snprintf(why, len, "not an address");
        return -1;
    }
    memcpy(l->host, arg, host_len);
    l->host[host_len] = '\0';
    struct in6_addr a6;
    if (inet_pton(AF_INET, l->host, &l->v4) == 1) {
        l->family = AF_INET;
        if ((ntohl(l->v4.s_addr) >> 24) == 127)
            return 0;
    } else if (inet_pton(AF_INET6, l->host, &a6) == 1) {
        l->family = AF_INET6;
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return 0;
    } else {
        snprintf(why, len, "'%s' is not an IP address", l->host);
        return -1;
    }
    snprintf(why, len, "%s is not a loopback address: the screen has no password, so "
             "it is served on 127.0.0.1 only (reach it with ssh -L)", l->host);
    return -1;
}

socklen_t cli_listen_sockaddr(const struct cli_listen *l, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (l->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)l->port);
        s6->sin6_addr = in6addr_loopback;
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)l->port);
    s4->sin_addr = l->v4;
    return sizeof(*s4);
}
