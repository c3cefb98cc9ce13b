/* nettest_stats: percentiles and rates (see nettest_stats.h). */
#include "nettest_stats.h"

#include <stdlib.h>

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t nettest_percentile(uint64_t *samples, size_t n, unsigned p)
{
    if (n == 0)
        return 0;
    if (p > 100)
        p = 100;
    qsort(samples, n, sizeof(*samples), compare_u64);
    /* nearest rank: the smallest sample with at least p% at or below it */
    size_t rank = ((size_t)p * n + 99) / 100;
    return samples[rank ? rank - 1 : 0];
}

double nettest_mib_per_s(uint64_t bytes, uint64_t ns)
{
    if (ns == 0)
        return 0.0;
    return ((double)bytes / 1048576.0) / ((double)ns / 1e9);
}
