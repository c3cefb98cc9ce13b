/* Unit tests for corrald's restart policy, backoff and memory accounting. */
#include "check.h"
#include "../../hypervisor/corrald/corrald_host.h"
#include "../../hypervisor/corrald/corrald_policy.h"
#include "jail_ids.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

static struct corrald_exit ended(enum corrald_end end)
{
    struct corrald_exit ex = { .end = end, .code = 0 };
    return ex;
}

static void test_exit_from_status(void)
{
    /* Wait statuses as the kernel encodes them. */
    CHECK_EQ_INT(corrald_exit_from_status(0 << 8).end, CORRALD_END_POWEROFF);
    CHECK_EQ_INT(corrald_exit_from_status(1 << 8).end, CORRALD_END_REBOOT);
    CHECK_EQ_INT(corrald_exit_from_status(2 << 8).end, CORRALD_END_CRASH);
    CHECK_EQ_INT(corrald_exit_from_status(3 << 8).end, CORRALD_END_VMM_ERROR);
    CHECK_EQ_INT(corrald_exit_from_status(4 << 8).end, CORRALD_END_NO_BOOT);
    CHECK_EQ_INT(corrald_exit_from_status(5 << 8).end, CORRALD_END_FORCED);
    CHECK_EQ_INT(corrald_exit_from_status(6 << 8).end, CORRALD_END_VMM_ERROR);
    struct corrald_exit ex = corrald_exit_from_status(127 << 8);
    CHECK_EQ_INT(ex.end, CORRALD_END_VMM_ERROR);
    CHECK_EQ_INT(ex.code, 127);
    ex = corrald_exit_from_status(SIGKILL);
    CHECK_EQ_INT(ex.end, CORRALD_END_SIGNAL);
    CHECK_EQ_INT(ex.code, SIGKILL);
}

static void test_backoff_doubles_and_caps(void)
{
    CHECK_EQ_INT(corrald_backoff_ms(0), 0);
    CHECK_EQ_INT(corrald_backoff_ms(1), 1000);
    CHECK_EQ_INT(corrald_backoff_ms(2), 2000);
    CHECK_EQ_INT(corrald_backoff_ms(3), 4000);
    CHECK_EQ_INT(corrald_backoff_ms(6), 32000);
    CHECK_EQ_INT(corrald_backoff_ms(7), CORRALD_BACKOFF_MAX_MS);
    CHECK_EQ_INT(corrald_backoff_ms(1000), CORRALD_BACKOFF_MAX_MS);
}

static enum corrald_action decide(enum vmdef_restart policy, enum corrald_end end,
                                  bool stop_requested, long run_s)
{
    struct corrald_restart_state st = { 0 };
    unsigned delay = 12345;
    return corrald_decide(policy, ended(end), stop_requested, run_s, &st, &delay);
}

static void test_policy_table(void)
{
    /* A reboot restarts whatever the policy; a stop asked for never does. */
    CHECK_EQ_INT(decide(VMDEF_RESTART_NO, CORRALD_END_REBOOT, false, 100), CORRALD_RESTART);
    CHECK_EQ_INT(decide(VMDEF_RESTART_ALWAYS, CORRALD_END_REBOOT, true, 100),
                 CORRALD_STAY_STOPPED);
    CHECK_EQ_INT(decide(VMDEF_RESTART_ALWAYS, CORRALD_END_CRASH, true, 100),
                 CORRALD_STAY_STOPPED);
    /* Forced off through the VMM's own control socket: on purpose, never
     * restarted (whatever the policy). */
    CHECK_EQ_INT(decide(VMDEF_RESTART_ALWAYS, CORRALD_END_FORCED, false, 100),
                 CORRALD_STAY_STOPPED);
    CHECK_EQ_INT(decide(VMDEF_RESTART_ON_FAILURE, CORRALD_END_FORCED, false, 100),
                 CORRALD_STAY_STOPPED);
    /* Power-off: only always. */
    CHECK_EQ_INT(decide(VMDEF_RESTART_NO, CORRALD_END_POWEROFF, false, 100),
                 CORRALD_STAY_STOPPED);
    CHECK_EQ_INT(decide(VMDEF_RESTART_ON_FAILURE, CORRALD_END_POWEROFF, false, 100),
                 CORRALD_STAY_STOPPED);
    CHECK_EQ_INT(decide(VMDEF_RESTART_ALWAYS, CORRALD_END_POWEROFF, false, 100),
                 CORRALD_RESTART);
    /* Failures: on-failure and always. */
    const enum corrald_end failures[] = { CORRALD_END_CRASH, CORRALD_END_VMM_ERROR,
                                          CORRALD_END_SIGNAL, CORRALD_END_UNKNOWN };
    for (size_t i = 0; i < 4; i++) {
        CHECK_EQ_INT(decide(VMDEF_RESTART_NO, failures[i], false, 100),
                     CORRALD_STAY_STOPPED);
        CHECK_EQ_INT(decide(VMDEF_RESTART_ON_FAILURE, failures[i], false, 100),
                     CORRALD_RESTART);
        CHECK_EQ_INT(decide(VMDEF_RESTART_ALWAYS, failures[i], false, 100),
                     CORRALD_RESTART);
    }
}

static void test_quick_failures_back_off_then_give_up(void)
{
    struct corrald_restart_state st = { 0 };
    unsigned delay = 0;
    struct corrald_exit crash = ended(CORRALD_END_CRASH);
    for (unsigned i = 1; i <= CORRALD_MAX_QUICK_FAILURES; i++) {
        CHECK_EQ_INT(corrald_decide(VMDEF_RESTART_ON_FAILURE, crash, false, 2, &st,
                                    &delay),
                     CORRALD_RESTART);
        CHECK_EQ_INT(delay, corrald_backoff_ms(i));
    }
    CHECK_EQ_INT(corrald_decide(VMDEF_RESTART_ON_FAILURE, crash, false, 2, &st, &delay),
                 CORRALD_GIVE_UP);

    /* A run that lasted resets the count: restart at once. */
    st.quick_failures = 5;
    CHECK_EQ_INT(corrald_decide(VMDEF_RESTART_ON_FAILURE, crash, false,
                                CORRALD_STABLE_SECONDS, &st, &delay),
                 CORRALD_RESTART);
    CHECK_EQ_INT(delay, 0);
    CHECK_EQ_INT(st.quick_failures, 0);
}

static void test_describe_exit(void)
{
    char buf[128];
    struct corrald_exit ex = { .end = CORRALD_END_SIGNAL, .code = SIGKILL };
    corrald_describe_exit(ex, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "VMM killed by signal 9 (Killed)");
    ex.end = CORRALD_END_VMM_ERROR;
    ex.code = 3;
    corrald_describe_exit(ex, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "VMM failed (exit status 3)");
    corrald_describe_exit(ended(CORRALD_END_POWEROFF), buf, sizeof(buf));
    CHECK_EQ_STR(buf, "guest powered off");
}

static void test_meminfo(void)
{
    const char text[] = "MemTotal:        3000000 kB\n"
                        "MemFree:          100000 kB\n"
                        "MemAvailable:    2048000 kB\n";
    struct corrald_meminfo mi;
    CHECK_EQ_INT(corrald_meminfo_parse(text, sizeof(text) - 1, &mi), 0);
    CHECK_EQ_INT(mi.total_mib, 2929);
    CHECK_EQ_INT(mi.available_mib, 2000);
    CHECK_EQ_INT(corrald_meminfo_parse("MemFree: 1 kB\n", 14, &mi), -EINVAL);
    CHECK_EQ_INT(corrald_meminfo_parse("MemTotal: kB\n", 13, &mi), -EINVAL);
    CHECK_EQ_INT(corrald_meminfo_parse("MemTotalX: 5 kB\n", 16, &mi), -EINVAL);
    CHECK_EQ_INT(corrald_meminfo_read("/nonexistent/meminfo", &mi), -ENOENT);
}

static void test_memory_free_for_vms(void)
{
    CHECK_EQ_INT(corrald_memory_free_for_vms(4096, 512, 1024), 2560);
    CHECK_EQ_INT(corrald_memory_free_for_vms(4096, 512, 3584), 0);
    CHECK_EQ_INT(corrald_memory_free_for_vms(4096, 512, 9999), 0); /* overcommitted */
    CHECK_EQ_INT(corrald_memory_free_for_vms(256, 512, 0), 0);
}

static void test_jail_uid_pick(void)
{
    CHECK_EQ_INT(corrald_jail_uid_pick(NULL, 0), JAIL_UID_FIRST);
    unsigned taken[] = { JAIL_UID_FIRST, JAIL_UID_FIRST + 2 };
    CHECK_EQ_INT(corrald_jail_uid_pick(taken, 2), JAIL_UID_FIRST + 1);
    unsigned gap[] = { JAIL_UID_FIRST + 1 };
    CHECK_EQ_INT(corrald_jail_uid_pick(gap, 1), JAIL_UID_FIRST);
    static unsigned all[JAIL_UID_LAST - JAIL_UID_FIRST + 1];
    for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        all[i] = JAIL_UID_FIRST + i;
    CHECK_EQ_INT(corrald_jail_uid_pick(all, sizeof(all) / sizeof(all[0])), 0);
    all[100] = 1; /* not a jail uid: frees JAIL_UID_FIRST + 100 */
    CHECK_EQ_INT(corrald_jail_uid_pick(all, sizeof(all) / sizeof(all[0])),
                 JAIL_UID_FIRST + 100);
}

static void test_sigsys_says_seccomp(void)
{
    char buf[160];
    struct corrald_exit ex = { .end = CORRALD_END_SIGNAL, .code = SIGSYS };
    corrald_describe_exit(ex, buf, sizeof(buf));
    CHECK(strstr(buf, "VMM killed by signal 31") == buf);
    CHECK(strstr(buf, "a system call its jail forbids (seccomp)") != NULL);
}

static void test_oom_kill_says_memory_max(void)
{
    char buf[160];
    struct corrald_exit ex = { CORRALD_END_SIGNAL, SIGKILL, 211812352 };
    corrald_describe_exit(ex, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "VMM killed by the kernel: out of memory in its cgroup "
                      "(memory.max = 211812352 bytes, 202 MiB)");
    ex.code = SIGTERM; /* only a SIGKILL is the OOM killer's */
    corrald_describe_exit(ex, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "VMM killed by signal 15 (Terminated)");
}

int main(void)
{
    RUN(test_oom_kill_says_memory_max);
    RUN(test_jail_uid_pick);
    RUN(test_sigsys_says_seccomp);
    RUN(test_exit_from_status);
    RUN(test_backoff_doubles_and_caps);
    RUN(test_policy_table);
    RUN(test_quick_failures_back_off_then_give_up);
    RUN(test_describe_exit);
    RUN(test_meminfo);
    RUN(test_memory_free_for_vms);
    return check_summary("corrald_policy");
}
