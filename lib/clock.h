/* clock: the monotonic clock every program measures time with (timeouts,
 * rates, uptimes, step times): it never jumps when the wall clock is set. */
#ifndef CORRAL_CLOCK_H
#define CORRAL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_monotonic_ms(void);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t clock_monotonic_ns(void);

#endif
