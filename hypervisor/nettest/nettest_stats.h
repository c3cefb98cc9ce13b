/* nettest_stats: what corral-nettest reports from its measurements:
 * percentiles of round-trip times and a transfer rate. */
#ifndef CORRAL_NETTEST_STATS_H
#define CORRAL_NETTEST_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The p-th percentile (0..100) of n samples by the nearest-rank method;
 * sorts the samples in place.  0 when n is 0. */
uint64_t nettest_percentile(uint64_t *samples, size_t n, unsigned p);

/* MiB per second for bytes moved in ns nanoseconds (0 when ns is 0). */
double nettest_mib_per_s(uint64_t bytes, uint64_t ns);

#endif
