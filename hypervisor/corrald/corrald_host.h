/* corrald_host: the host's memory and what corrald may commit to VMs.
 *
 * corrald refuses a start when the memory of every VM it has running (or
 * about to restart) plus the new one would exceed the host's total memory
 * minus a reserve kept for the control domain. */
#ifndef CORRAL_CORRALD_HOST_H
#define CORRAL_CORRALD_HOST_H

#include <stddef.h>
#include <stdint.h>

struct corrald_meminfo {
    uint64_t total_mib, available_mib;
};

/* Parses /proc/meminfo text ("MemTotal:  1234 kB" lines); 0 or -EINVAL. */
int corrald_meminfo_parse(const char *text, size_t len, struct corrald_meminfo *out);
/* Reads path (normally /proc/meminfo); 0 or -errno. */
int corrald_meminfo_read(const char *path, struct corrald_meminfo *out);

/* MiB still free for VMs: total - reserve - committed, 0 if negative. */
uint64_t corrald_memory_free_for_vms(uint64_t total_mib, uint64_t reserve_mib,
                                     uint64_t committed_mib);

#endif
