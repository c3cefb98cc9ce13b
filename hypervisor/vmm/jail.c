/* jail: the VMM drops everything before its guest runs (see jail.h). */
#include "jail.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "seccomp_filter.h"

static int jail_on;

int jail_active(void)
{
    return jail_on;
}

static int jail_fail(char *err, size_t errlen, const char *step)
{
    snprintf(err, errlen, "jail: %s: %s", step, strerror(errno));
    return -1;
}

/* The refused call on stderr (vmm.log under corrald), then the same call
 * again: SIGSYS is blocked inside its own handler, so the kernel resets it
 * to the default action and the VMM dies by SIGSYS (even as the init of
 * its PID namespace), which is what corrald records. */
static void jail_sigsys(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    ucontext_t *uc = ctx;
    const greg_t *r = uc->uc_mcontext.gregs;
    const char *name = seccomp_filter_syscall_name(si->si_syscall);
    char msg[192];
    int n = snprintf(msg, sizeof(msg),
                     "corral-vmm: seccomp: forbidden system call %d (%s, first "
                     "argument 0x%llx): the VMM is killed\n", si->si_syscall,
                     name ? name : "?", (unsigned long long)r[REG_RDI]);
    if (si->si_syscall == SYS_ioctl)
        n = snprintf(msg, sizeof(msg), "corral-vmm: seccomp: forbidden system call "
                     "%d (ioctl, request 0x%llx): the VMM is killed\n",
                     si->si_syscall, (unsigned long long)r[REG_RSI]);
    if (n > 0 && write(2, msg, (size_t)n) < 0) {
        /* nowhere else to say it */
    }
    syscall(si->si_syscall, r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10],
            r[REG_R8], r[REG_R9]);
    syscall(SYS_exit_group, 128 + SIGSYS); /* not reached */
}

static int jail_namespaces(const char *hostname, char *err, size_t errlen)
{
    if (getpid() != 1) {
        snprintf(err, errlen, "jail: the VMM must be the first process of a new "
                 "PID namespace (corrald's monitor starts it so)");
        return -1;
    }
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET) < 0)
        return jail_fail(err, errlen, "unshare");
    if (sethostname(hostname, strlen(hostname)) < 0)
        return jail_fail(err, errlen, "sethostname");
    return 0;
}

/* The tmpfs (the cwd) becomes "/" and the host's tree goes: detached
 * after pivot_root(".", ".") (runc's way); or, where the host's root is
 * the initramfs (rootfs cannot be pivoted: EINVAL, as on the control
 * domain), moved over "/" and chrooted into, as switch_root does - the
 * host's tree then lies under it, reachable by no path, and chroot needs
 * a capability the jail drops and a call seccomp refuses. */
static int jail_new_root(char *err, size_t errlen)
{
    if (syscall(SYS_pivot_root, ".", ".") == 0) {
        if (umount2(".", MNT_DETACH) < 0)
            return jail_fail(err, errlen, "detach the host's root");
        return 0;
    }
    if (errno != EINVAL)
        return jail_fail(err, errlen, "pivot_root");
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
        return jail_fail(err, errlen, "move the new root over /");
    if (chroot(".") < 0)
        return jail_fail(err, errlen, "chroot");
    return 0;
}

static int jail_pivot(char *err, size_t errlen)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return jail_fail(err, errlen, "make / private");
    if (mount("corral-jail", JAIL_ROOT, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k,nr_inodes=1,mode=0555") < 0)
        return jail_fail(err, errlen, "mount tmpfs on " JAIL_ROOT);
    if (chdir(JAIL_ROOT) < 0)
        return jail_fail(err, errlen, "chdir " JAIL_ROOT);
    if (jail_new_root(err, errlen) < 0)
        return -1;
    if (chdir("/") < 0)
        return jail_fail(err, errlen, "chdir /");
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
              MS_NODEV | MS_NOEXEC, NULL) < 0)
        return jail_fail(err, errlen, "remount / read-only");
    return 0;
}

static int jail_drop_privileges(uid_t uid, char *err, size_t errlen)
{
    for (int cap = 0; cap < 64; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return jail_fail(err, errlen, "drop the capability bounding set");
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (setgroups(0, NULL) < 0)
        return jail_fail(err, errlen, "setgroups");
    if (setresgid(uid, uid, uid) < 0)
        return jail_fail(err, errlen, "setresgid");
    if (setresuid(uid, uid, uid) < 0)
        return jail_fail(err, errlen, "setresuid");
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct none[2];
    memset(none, 0, sizeof(none));
    if (syscall(SYS_capset, &hdr, none) < 0)
        return jail_fail(err, errlen, "capset");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return jail_fail(err, errlen, "no_new_privs");
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return jail_fail(err, errlen, "not dumpable");
    return 0;
}

static int jail_seccomp(char *err, size_t errlen)
{
    static struct sock_filter insn[SECCOMP_FILTER_MAX];
    size_t len = seccomp_filter_build(insn, SECCOMP_FILTER_MAX);
    if (len == 0) {
        snprintf(err, errlen, "jail: the seccomp filter does not fit");
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = jail_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        return jail_fail(err, errlen, "SIGSYS handler");
    struct sock_fprog prog = { .len = (unsigned short)len, .filter = insn };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
                &prog) != 0)
        return jail_fail(err, errlen, "seccomp");
    return 0;
}

int jail_enter(uid_t uid, const char *hostname, char *err, size_t errlen)
{
    if (uid == 0) {
        snprintf(err, errlen, "jail: uid 0 is not a jail");
        return -1;
    }
    if (jail_namespaces(hostname, err, errlen) || jail_pivot(err, errlen) ||
        jail_drop_privileges(uid, err, errlen) || jail_seccomp(err, errlen))
        return -1;
    jail_on = 1;
    return 0;
}
