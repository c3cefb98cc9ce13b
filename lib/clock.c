/* clock: CLOCK_MONOTONIC in the units callers count in (clock.h). */
#include "clock.h"

#include <time.h>

uint64_t clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t clock_monotonic_ms(void)
{
    return (int64_t)(clock_monotonic_ns() / 1000000u);
}
