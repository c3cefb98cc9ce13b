/* seccomp_filter: the jailed VMM's allowlist, run through a small classic
 * BPF interpreter (the instructions the builder emits) on seccomp_data as
 * the kernel would hand it over. */
#include "check.h"
#include "../../hypervisor/vmm/seccomp_filter.h"

#include <linux/audit.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

static struct sock_filter prog[SECCOMP_FILTER_MAX];
static size_t prog_len;

/* Runs the program; returns its action, or 0xdead on a bad program (a
 * jump out of it, an unknown instruction, a load outside seccomp_data). */
static uint32_t run(const struct seccomp_data *d)
{
    uint32_t a = 0;
    for (size_t pc = 0; pc < prog_len; pc++) {
        const struct sock_filter *i = &prog[pc];
        switch (i->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            if (i->k + 4 > sizeof(*d) || i->k % 4)
                return 0xdead;
            memcpy(&a, (const char *)d + i->k, 4);
            break;
        case BPF_JMP | BPF_JEQ | BPF_K:
            pc += a == i->k ? i->jt : i->jf;
            break;
        case BPF_JMP | BPF_JGE | BPF_K:
            pc += a >= i->k ? i->jt : i->jf;
            break;
        case BPF_JMP | BPF_JSET | BPF_K:
            pc += (a & i->k) ? i->jt : i->jf;
            break;
        case BPF_RET | BPF_K:
            return i->k;
        default:
            return 0xdead;
        }
    }
    return 0xdead; /* fell off the end */
}

static uint32_t call(long nr, uint64_t arg0, uint64_t arg1)
{
    struct seccomp_data d = { .nr = (int)nr, .arch = AUDIT_ARCH_X86_64 };
    d.args[0] = arg0;
    d.args[1] = arg1;
    return run(&d);
}

static void test_builds_and_fits(void)
{
    prog_len = seccomp_filter_build(prog, SECCOMP_FILTER_MAX);
    CHECK(prog_len > 0 && prog_len <= SECCOMP_FILTER_MAX);
    struct sock_filter small[8];
    CHECK_EQ_INT(seccomp_filter_build(small, 8), 0);
    /* the allowlist's size, as docs/corral-vmm.md states it */
    CHECK_EQ_INT(seccomp_filter_syscall_count(), 62);
    CHECK_EQ_INT(seccomp_filter_ioctl_count(), 31);
}

static void test_io_on_held_descriptors_is_allowed(void)
{
    static const long ok[] = { SYS_read, SYS_write, SYS_pwritev, SYS_preadv,
                               SYS_fdatasync, SYS_epoll_pwait, SYS_recvmsg,
                               SYS_accept4, SYS_futex, SYS_mmap, SYS_exit_group,
                               SYS_rt_sigreturn, SYS_tgkill, SYS_eventfd2,
                               SYS_io_uring_enter };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        CHECK_EQ_INT(call(ok[i], 0, 0), SECCOMP_RET_ALLOW);
}

static void test_opening_and_escaping_traps(void)
{
    static const long refused[] = { SYS_open, SYS_openat, SYS_socket, SYS_connect,
                                    SYS_execve, SYS_fork, SYS_vfork, SYS_ptrace,
                                    SYS_mount, SYS_unshare, SYS_setns, SYS_kill,
                                    SYS_bpf, SYS_init_module, SYS_setuid,
                                    /* a new or changed ring would bypass the filter */
                                    SYS_io_uring_setup, SYS_io_uring_register, 999 };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        CHECK_EQ_INT(call(refused[i], 0, 0), SECCOMP_RET_TRAP);
}

static void test_ioctl_by_request_number(void)
{
    CHECK_EQ_INT(call(SYS_ioctl, 5, KVM_RUN), SECCOMP_RET_ALLOW);
    CHECK_EQ_INT(call(SYS_ioctl, 5, KVM_IRQFD), SECCOMP_RET_ALLOW);
    CHECK_EQ_INT(call(SYS_ioctl, 5, KVM_GET_DIRTY_LOG), SECCOMP_RET_ALLOW);
    CHECK_EQ_INT(call(SYS_ioctl, 5, TUNSETOFFLOAD), SECCOMP_RET_ALLOW);
    /* no new VM, vCPU or tap attachment from inside */
    CHECK_EQ_INT(call(SYS_ioctl, 5, KVM_CREATE_VM), SECCOMP_RET_TRAP);
    CHECK_EQ_INT(call(SYS_ioctl, 5, KVM_CREATE_VCPU), SECCOMP_RET_TRAP);
    CHECK_EQ_INT(call(SYS_ioctl, 5, TUNSETIFF), SECCOMP_RET_TRAP);
    CHECK_EQ_INT(call(SYS_ioctl, 5, 0), SECCOMP_RET_TRAP);
    /* the kernel reads the request as 32 bits: high bits change nothing */
    CHECK_EQ_INT(call(SYS_ioctl, 5, (1ull << 32) | KVM_RUN), SECCOMP_RET_ALLOW);
}

static void test_clone_only_for_threads(void)
{
    uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                      CLONE_THREAD | CLONE_SYSVSEM;
    CHECK_EQ_INT(call(SYS_clone, thread, 0), SECCOMP_RET_ALLOW);
    CHECK_EQ_INT(call(SYS_clone, SIGCHLD, 0), SECCOMP_RET_TRAP);
    CHECK_EQ_INT(call(SYS_clone, CLONE_VM | CLONE_VFORK, 0), SECCOMP_RET_TRAP);
}

/* A vCPU thread lowers its own priority; nobody else's. */
static void test_priority_of_the_calling_thread_only(void)
{
    CHECK_EQ_INT(call(SYS_setpriority, PRIO_PROCESS, 0), SECCOMP_RET_ALLOW);
    CHECK_EQ_INT(call(SYS_getpriority, PRIO_PROCESS, 0), SECCOMP_RET_ALLOW);
    CHECK_EQ_INT(call(SYS_setpriority, PRIO_PROCESS, 1), SECCOMP_RET_TRAP);
    CHECK_EQ_INT(call(SYS_setpriority, PRIO_PGRP, 0), SECCOMP_RET_TRAP);
    CHECK_EQ_INT(call(SYS_setpriority, PRIO_USER, 0), SECCOMP_RET_TRAP);
    CHECK_EQ_INT(call(SYS_getpriority, PRIO_USER, 100000), SECCOMP_RET_TRAP);
    /* the calls after the blocks still trap, clone still checked */
    CHECK_EQ_INT(call(SYS_sched_setaffinity, 0, 0), SECCOMP_RET_TRAP);
    CHECK_EQ_INT(call(SYS_clone, SIGCHLD, 0), SECCOMP_RET_TRAP);
    CHECK_EQ_STR(seccomp_filter_syscall_name(SYS_setpriority), "setpriority");
}

static void test_foreign_architecture_and_x32_kill(void)
{
    struct seccomp_data d = { .nr = SYS_read, .arch = AUDIT_ARCH_I386 };
    CHECK_EQ_INT(run(&d), SECCOMP_RET_KILL_PROCESS);
    d.arch = AUDIT_ARCH_X86_64;
    d.nr = (int)(0x40000000 | SYS_read);
    CHECK_EQ_INT(run(&d), SECCOMP_RET_KILL_PROCESS);
}

static void test_names_for_the_log(void)
{
    CHECK_EQ_STR(seccomp_filter_syscall_name(SYS_openat), "openat");
    CHECK_EQ_STR(seccomp_filter_syscall_name(SYS_ioctl), "ioctl");
    CHECK_EQ_STR(seccomp_filter_syscall_name(SYS_read), "read");
    CHECK(seccomp_filter_syscall_name(999) == NULL);
}

int main(void)
{
    RUN(test_builds_and_fits);
    RUN(test_io_on_held_descriptors_is_allowed);
    RUN(test_opening_and_escaping_traps);
    RUN(test_ioctl_by_request_number);
    RUN(test_clone_only_for_threads);
    RUN(test_priority_of_the_calling_thread_only);
    RUN(test_foreign_architecture_and_x32_kill);
    RUN(test_names_for_the_log);
    return check_summary("seccomp_filter");
}
