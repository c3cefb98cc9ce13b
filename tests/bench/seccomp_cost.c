/* seccomp_cost: what the jail's seccomp filter adds to each system call the
 * VMM makes while a guest runs, measured on this machine's own CPU (not
 * under nesting, where every figure is inflated and noisy).
 *
 * The jail's other parts cost nothing per call: namespaces, the uid, the
 * dropped capabilities and the chroot are checked when a descriptor is
 * opened, and every descriptor is opened before the jail.  The filter runs
 * on every call, so it is the jail's run-time cost.  Each round forks one
 * child without the filter and one with it (corral-vmm's own program from
 * seccomp_filter.c), in alternating order, and each child times the same
 * calls:
 *   - ioctl KVM_RUN, the call of every VM exit: the filter's first compare;
 *   - ioctl TIOCGWINSZ, the last request in the filter's table (worst case);
 *   - write to an eventfd, how a device signals an interrupt (a call whose
 *     verdict needs no argument, answered by the kernel's action cache).
 * The ioctls go to an eventfd, which refuses them (ENOTTY) after the same
 * entry path: the figure is the difference between the children.
 *
 * Prints one line per call: name, median ns without, with, and the added
 * ns.  Usage: seccomp_cost [ROUNDS] [CALLS_PER_ROUND] */

#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../hypervisor/vmm/seccomp_filter.h"

enum { CALL_KVM_RUN, CALL_TIOCGWINSZ, CALL_EVENTFD_WRITE, CALLS };
static const char *const call_names[CALLS] = {
    "ioctl KVM_RUN (first in the filter)",
    "ioctl TIOCGWINSZ (last in the filter)",
    "write to an eventfd (action cache)",
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void one_call(int kind, int fd)
{
    struct winsize ws;
    uint64_t one = 1;
    switch (kind) {
    case CALL_KVM_RUN:
        (void)!ioctl(fd, KVM_RUN, 0);
        break;
    case CALL_TIOCGWINSZ:
        (void)!ioctl(fd, TIOCGWINSZ, &ws);
        break;
    default:
        (void)!write(fd, &one, sizeof(one));
        break;
    }
}

static double time_calls(int kind, int fd, long n)
{
    double start = now_ns();
    for (long i = 0; i < n; i++)
        one_call(kind, fd);
    return (now_ns() - start) / (double)n;
}

static int install_filter(void)
{
    struct sock_filter insn[SECCOMP_FILTER_MAX];
    size_t len = seccomp_filter_build(insn, SECCOMP_FILTER_MAX);
    struct sock_fprog prog = { .len = (unsigned short)len, .filter = insn };
    if (len == 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* A child that times every call, filtered or not, and writes the figures
 * to the pipe (write and exit_group are allowed by the filter). */
static void child(int out, int filtered, long n)
{
    double ns[CALLS];
    int fd = eventfd(0, EFD_NONBLOCK);
    if (fd < 0 || (filtered && install_filter() != 0))
        _exit(2);
    for (int k = 0; k < CALLS; k++)
        time_calls(k, fd, n / 10); /* warm the caches and the branch predictor */
    for (int k = 0; k < CALLS; k++) {
        ns[k] = time_calls(k, fd, n);
        if (k == CALL_EVENTFD_WRITE) { /* drain, so the counter never fills */
            uint64_t v;
            (void)!read(fd, &v, sizeof(v));
        }
    }
    _exit(write(out, ns, sizeof(ns)) == (ssize_t)sizeof(ns) ? 0 : 3);
}

static int run_child(int filtered, long n, double ns[CALLS])
{
    int p[2], status;
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child(p[1], filtered, n);
    }
    close(p[1]);
    ssize_t got = read(p[0], ns, sizeof(double) * CALLS);
    close(p[0]);
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0 || got != (ssize_t)(sizeof(double) * CALLS))
        return -1;
    return 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 15;
    long n = argc > 2 ? atol(argv[2]) : 200000;
    if (rounds < 1 || rounds > 1000 || n < 10) {
        fprintf(stderr, "usage: seccomp_cost [ROUNDS 1-1000] [CALLS_PER_ROUND >= 10]\n");
        return 2;
    }
    double *plain = calloc((size_t)rounds * CALLS, sizeof(double));
    double *jailed = calloc((size_t)rounds * CALLS, sizeof(double));
    double *added = calloc((size_t)rounds, sizeof(double));
    if (!plain || !jailed || !added)
        return 1;
    for (int r = 0; r < rounds; r++) {
        double a[CALLS], b[CALLS];
        int first = r % 2; /* alternate which child runs first */
        if (run_child(first, n, first ? b : a) != 0 || run_child(!first, n, first ? a : b) != 0) {
            fprintf(stderr, "seccomp_cost: a child failed (is seccomp available?)\n");
            return 1;
        }
        for (int k = 0; k < CALLS; k++) {
            plain[k * rounds + r] = a[k];
            jailed[k * rounds + r] = b[k];
        }
    }
    printf("%d rounds of %ld calls, medians; %zu system calls and %zu ioctl requests "
           "allowed\n", rounds, n, seccomp_filter_syscall_count(), seccomp_filter_ioctl_count());
    for (int k = 0; k < CALLS; k++) {
        for (int r = 0; r < rounds; r++)
            added[r] = jailed[k * rounds + r] - plain[k * rounds + r];
        printf("%s\t%.1f\t%.1f\t%.1f\n", call_names[k], median(plain + k * rounds, rounds),
               median(jailed + k * rounds, rounds), median(added, rounds));
    }
    return 0;
}
