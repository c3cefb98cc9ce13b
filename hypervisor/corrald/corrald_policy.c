/* corrald_policy: restart decisions and exit descriptions (see the .h). */
#include "corrald_policy.h"
#include "jail_ids.h"

#include <inttypes.h>
#include <signal.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

struct corrald_exit corrald_exit_from_status(int wait_status)
{
    struct corrald_exit ex = { .end = CORRALD_END_UNKNOWN, .code = -1 };
    if (WIFSIGNALED(wait_status)) {
        ex.end = CORRALD_END_SIGNAL;
        ex.code = WTERMSIG(wait_status);
    } else if (WIFEXITED(wait_status)) {
        static const enum corrald_end by_code[] = {
            CORRALD_END_POWEROFF, CORRALD_END_REBOOT, CORRALD_END_CRASH,
            CORRALD_END_VMM_ERROR, CORRALD_END_NO_BOOT, CORRALD_END_FORCED,
        };
        ex.code = WEXITSTATUS(wait_status);
        ex.end = ex.code < (int)(sizeof(by_code) / sizeof(by_code[0]))
                     ? by_code[ex.code] : CORRALD_END_VMM_ERROR;
    }
    return ex;
}

unsigned corrald_backoff_ms(unsigned quick_failures)
{
    if (quick_failures == 0)
        return 0;
    unsigned ms = CORRALD_BACKOFF_BASE_MS;
    for (unsigned i = 1; i < quick_failures && ms < CORRALD_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < CORRALD_BACKOFF_MAX_MS ? ms : CORRALD_BACKOFF_MAX_MS;
}

static bool corrald_policy_wants_restart(enum vmdef_restart policy,
                                         enum corrald_end end)
{
    if (end == CORRALD_END_REBOOT)
        return true;
    if (end == CORRALD_END_POWEROFF)
        return policy == VMDEF_RESTART_ALWAYS;
    if (end == CORRALD_END_NO_BOOT)
        return false; /* the same disks would not boot the next time either */
    if (end == CORRALD_END_FORCED)
        return false; /* someone pulled its plug on purpose */
    return policy != VMDEF_RESTART_NO;
}

enum corrald_action corrald_decide(enum vmdef_restart policy,
                                   struct corrald_exit ex, bool stop_requested,
                                   long run_seconds,
                                   struct corrald_restart_state *st,
                                   unsigned *delay_ms)
{
    if (stop_requested || !corrald_policy_wants_restart(policy, ex.end)) {
        st->quick_failures = 0;
        return CORRALD_STAY_STOPPED;
    }
    if (run_seconds >= CORRALD_STABLE_SECONDS)
        st->quick_failures = 0;
    else
        st->quick_failures++;
    if (st->quick_failures > CORRALD_MAX_QUICK_FAILURES)
        return CORRALD_GIVE_UP;
    *delay_ms = corrald_backoff_ms(st->quick_failures);
    return CORRALD_RESTART;
}

unsigned corrald_jail_uid_pick(const unsigned *taken, size_t n)
{
    for (unsigned uid = JAIL_UID_FIRST; uid <= JAIL_UID_LAST; uid++) {
        bool used = false;
        for (size_t i = 0; i < n && !used; i++)
            used = taken[i] == uid;
        if (!used)
            return uid;
    }
    return 0;
}

void corrald_describe_exit(struct corrald_exit ex, char *buf, size_t len)
{
    switch (ex.end) {
    case CORRALD_END_POWEROFF:
        snprintf(buf, len, "guest powered off");
        return;
    case CORRALD_END_REBOOT:
        snprintf(buf, len, "guest rebooted");
        return;
    case CORRALD_END_CRASH:
        snprintf(buf, len, "guest crashed (triple fault or KVM internal error)");
        return;
    case CORRALD_END_NO_BOOT:
        snprintf(buf, len, "no bootable disk (the firmware's message is in the "
                 "console log)");
        return;
    case CORRALD_END_FORCED:
        snprintf(buf, len, "forced off through its control socket");
        return;
    case CORRALD_END_VMM_ERROR:
        snprintf(buf, len, "VMM failed (exit status %d)", ex.code);
        return;
    case CORRALD_END_SIGNAL:
        if (ex.code == SIGKILL && ex.oom_memory_max) {
            snprintf(buf, len, "VMM killed by the kernel: out of memory in its "
                     "cgroup (memory.max = %" PRIu64 " bytes, %" PRIu64 " MiB)",
                     ex.oom_memory_max, ex.oom_memory_max >> 20);
            return;
        }
        snprintf(buf, len, "VMM killed by signal %d (%s)%s", ex.code,
                 strsignal(ex.code), ex.code == SIGSYS ? ": a system call its "
                 "jail forbids (seccomp)" : "");
        return;
    case CORRALD_END_UNKNOWN:
        snprintf(buf, len, "VMM and its monitor ended; exit status unknown");
        return;
    }
}
