/* cpustat: CPU use from /proc/stat, for the console UI's home screen and
 * corrald's host.info (the web client's graphs). */
#ifndef CORRAL_CPUSTAT_H
#define CORRAL_CPUSTAT_H

#include <stdint.h>

struct cpu_sample {
    uint64_t busy;  /* user + nice + system + irq + softirq + steal */
    uint64_t total; /* busy + idle + iowait */
};

/* From /proc/stat: the aggregate "cpu" line.  0 or -EINVAL. */
int cpu_sample_parse(const char *text, struct cpu_sample *out);
/* Percent of CPU time busy between two samples (0..100); 0 when no time
 * passed. */
unsigned cpu_busy_percent(const struct cpu_sample *before, const struct cpu_sample *after);

#endif
