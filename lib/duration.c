/* duration: seconds as "1d 02:03:04" (see duration.h). */
#include "duration.h"

#include <stdio.h>

void duration_format(long long seconds, char *buf, size_t len)
{
    if (seconds < 0)
        seconds = 0;
    long long days = seconds / 86400, rest = seconds % 86400;
    if (days)
        snprintf(buf, len, "%lldd %02lld:%02lld:%02lld", days, rest / 3600,
                 rest / 60 % 60, rest % 60);
    else
        snprintf(buf, len, "%02lld:%02lld:%02lld", rest / 3600, rest / 60 % 60,
                 rest % 60);
}
