/* corrald_policy: what corrald does when a VM's VMM exits - restart or
 * not, after how long - and how it words the reason.  Pure functions, so
 * the rules can be tested without processes.
 *
 * Rules: a stop someone asked for is never undone; a guest reboot always
 * restarts; a power-off restarts only with restart = always; a crash, a
 * killed VMM, a VMM error or an unknown end restart with on-failure or
 * always.  Runs shorter than CORRALD_STABLE_SECONDS count as quick
 * failures: each one doubles the delay before the next start (1 s, 2 s,
 * 4 s ... at most CORRALD_BACKOFF_MAX_MS); after CORRALD_MAX_QUICK_FAILURES
 * in a row corrald gives up and marks the VM failed.  A run that lasted
 * resets the count, and restarts at once. */
#ifndef CORRAL_CORRALD_POLICY_H
#define CORRAL_CORRALD_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "vmdef.h"

#define CORRALD_STABLE_SECONDS 60
#define CORRALD_BACKOFF_BASE_MS 1000
#define CORRALD_BACKOFF_MAX_MS 60000
#define CORRALD_MAX_QUICK_FAILURES 8

/* corral-vmm's exit statuses (its --help) and the other ways a VM ends. */
enum corrald_end {
    CORRALD_END_POWEROFF,  /* exit 0 */
    CORRALD_END_REBOOT,    /* exit 1 */
    CORRALD_END_CRASH,     /* exit 2: triple fault, KVM internal error */
    CORRALD_END_VMM_ERROR, /* exit 3 or another code: failed to run */
    CORRALD_END_NO_BOOT,   /* exit 4: boot = firmware found no bootable disk */
    CORRALD_END_FORCED,    /* exit 5: forced off ("stop" on its control socket) */
    CORRALD_END_SIGNAL,    /* the VMM was killed by a signal */
    CORRALD_END_UNKNOWN,   /* its monitor died too: no status */
};

struct corrald_exit {
    enum corrald_end end;
    int code; /* exit code or signal number; -1 when unknown */
    /* Not 0: its cgroup's memory.events counted an OOM kill, and this was
     * the group's memory.max (bytes); the SIGKILL was the kernel's. */
    uint64_t oom_memory_max;
};

/* From a waitpid() status of the VMM. */
struct corrald_exit corrald_exit_from_status(int wait_status);

enum corrald_action { CORRALD_STAY_STOPPED, CORRALD_RESTART, CORRALD_GIVE_UP };

struct corrald_restart_state {
    unsigned quick_failures; /* short runs in a row */
};

/* Decides, updating st; *delay_ms is set for CORRALD_RESTART. */
enum corrald_action corrald_decide(enum vmdef_restart policy,
                                   struct corrald_exit ex, bool stop_requested,
                                   long run_seconds,
                                   struct corrald_restart_state *st,
                                   unsigned *delay_ms);

/* Delay before the start that follows n quick failures in a row. */
unsigned corrald_backoff_ms(unsigned quick_failures);

/* The jail uid for a VM that starts now: the lowest of JAIL_UID_FIRST..
 * JAIL_UID_LAST that no running VM holds (taken: theirs, n of them), or 0
 * when all are taken. */
unsigned corrald_jail_uid_pick(const unsigned *taken, size_t n);

/* "guest powered off", "VMM killed by signal 9 (Killed)", ... */
void corrald_describe_exit(struct corrald_exit ex, char *buf, size_t len);

#endif
