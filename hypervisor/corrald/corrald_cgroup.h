/* corrald_cgroup: each running VM's cgroup v2 group, CGROUP/NAME (CGROUP
 * is /sys/fs/cgroup/corral, which rcS's cgroup2 mount provides), with
 *
 *   memory.max  guest RAM + CORRALD_VMM_OVERHEAD_MIB + 1/32 of the RAM
 *               (the VMM's own heap, thread stacks, the screen, KVM's page
 *               tables): a VMM that grows past it is reclaimed, then
 *               killed by the kernel's OOM killer, alone, and corrald
 *               says so (memory.events oom_kill);
 *   cpu.max     cpu_limit percent of one CPU per 100 ms period, or "max";
 *   cpu.weight  cpu_weight.
 *
 * corrald creates the group before the start; the monitor's child joins it
 * before it execs the VMM (the VMM alone is in it); corrald removes it when
 * the VM ends.  io.max mirrors the disks' iops=/bps= where their device
 * allows (corrald_cgroup_io.h). */
#ifndef CORRAL_CORRALD_CGROUP_H
#define CORRAL_CORRALD_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "vmdef.h"

#define CORRALD_CGROUP_DIR "/sys/fs/cgroup/corral"
#define CORRALD_VMM_OVERHEAD_MIB 64
#define CORRALD_CPU_PERIOD_US 100000

struct corrald_cgroup_limits {
    uint64_t memory_max;  /* bytes */
    char cpu_max[32];     /* "QUOTA PERIOD" or "max PERIOD" */
    unsigned cpu_weight;
};

/* Pure: the limits a definition asks for. */
void corrald_cgroup_limits(const struct vmdef *def, struct corrald_cgroup_limits *out);

/* Creates (or reuses) dir/name with def's limits; 0 or -errno with the
 * file at fault in why. */
int corrald_cgroup_create(const char *dir, const char *name, const struct vmdef *def,
                          char *why, size_t why_len);
/* Removes dir/name (it must be empty: the VMM ended). */
void corrald_cgroup_remove(const char *dir, const char *name);
/* Moves the calling process into dir/name; 0 or -errno. */
int corrald_cgroup_join(const char *dir, const char *name);

/* What `vm show` reports: the limits and the current use, read back. */
struct corrald_cgroup_usage {
    uint64_t memory_max, memory_current, cpu_usage_us; /* max: 0 = "max" */
    char cpu_max[32];
    unsigned cpu_weight;
};
int corrald_cgroup_read(const char *dir, const char *name, struct corrald_cgroup_usage *u);

/* How many times the kernel's OOM killer struck in dir/name (memory.events
 * oom_kill) and its memory.max (0 = "max"); 0 or -errno.  Read when its
 * VMM has ended, before the group goes, to tell a SIGKILL from the kernel
 * (out of memory in the group) from anyone else's. */
int corrald_cgroup_oom_kills(const char *dir, const char *name, uint64_t *kills,
                             uint64_t *memory_max);

#endif
