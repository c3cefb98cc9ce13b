/* cli_format: small formatting helpers for the human-readable output. */
#include "cli.h"

#include <stdio.h>
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
