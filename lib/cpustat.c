/* cpustat: CPU use from /proc/stat (see cpustat.h). */
#include "cpustat.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cpu_sample_parse(const char *text, struct cpu_sample *out)
{
    unsigned long long v[8] = {0};
    int n;

    if (strncmp(text, "cpu ", 4) != 0)
        return -EINVAL;
    n = sscanf(text + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
               &v[3], &v[4], &v[5], &v[6], &v[7]);
    if (n < 4)
        return -EINVAL;
    /* user nice system idle iowait irq softirq steal */
    out->busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    out->total = out->busy + v[3] + v[4];
    return 0;
}

unsigned cpu_busy_percent(const struct cpu_sample *before, const struct cpu_sample *after)
{
    uint64_t total, busy;

    if (after->total <= before->total || after->busy < before->busy)
        return 0;
    total = after->total - before->total;
    busy = after->busy - before->busy;
    if (busy > total)
        busy = total;
    return (unsigned)((busy * 100 + total / 2) / total);
}
