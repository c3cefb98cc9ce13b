/* seccomp_filter: the jailed VMM's system call allowlist (see
 * seccomp_filter.h).  x86-64 only, like the rest of the VMM. */
#include "seccomp_filter.h"

#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define X32_SYSCALL_BIT 0x40000000u

struct allowed_call {
    long nr;
    const char *name;
};

#define CALL(n) { SYS_##n, #n }

/* Every call here is on a descriptor the VMM already holds, or touches
 * only its own memory, threads and signals. */
static const struct allowed_call allowed_calls[] = {
    /* descriptors: disks, taps, sockets, eventfds, timerfds, the log */
    CALL(read), CALL(write), CALL(readv), CALL(writev), CALL(pread64),
    CALL(pwrite64), CALL(preadv), CALL(pwritev), CALL(lseek), CALL(close),
    CALL(fstat), CALL(newfstatat), CALL(fcntl), CALL(flock), CALL(fsync),
    CALL(fdatasync), CALL(fallocate),
    /* disks' requests in flight: only entering rings set up (and locked
     * down, block_ring.h) before the jail.  io_uring_setup and
     * io_uring_register stay refused: a ring made or changed afterwards
     * would carry operations that never pass through this filter. */
    CALL(io_uring_enter),
    /* waiting */
    CALL(poll), CALL(ppoll), CALL(epoll_wait), CALL(epoll_pwait),
    CALL(epoll_ctl), CALL(nanosleep), CALL(clock_nanosleep),
    CALL(clock_gettime), CALL(gettimeofday), CALL(restart_syscall),
    /* the control, console and VNC sockets it listens on (SCM_RIGHTS
     * brings it a CD's image) */
    CALL(accept4), CALL(recvfrom), CALL(recvmsg), CALL(sendto), CALL(sendmsg),
    CALL(shutdown),
    /* devices created as the guest programs them: MSI-X irqfds, the RFB
     * timer; virtio-rng */
    CALL(eventfd2), CALL(timerfd_settime), CALL(timerfd_gettime),
    CALL(getrandom),
    /* memory and threads (musl's malloc and pthreads) */
    CALL(mmap), CALL(munmap), CALL(mremap), CALL(mprotect), CALL(madvise),
    CALL(brk), CALL(futex), CALL(set_robust_list), CALL(sched_yield),
    CALL(exit), CALL(exit_group), CALL(gettid), CALL(getpid),
    /* signals: the vCPU kick, the signalfd's mask, SIGSYS itself */
    CALL(rt_sigaction), CALL(rt_sigprocmask), CALL(rt_sigreturn),
    CALL(tgkill), CALL(tkill),
    /* the control socket's unlink at exit: the jail's root is empty and
     * read-only, so it can only fail */
    CALL(unlink), CALL(unlinkat),
};

/* ioctl requests, by number: the VM's and its vCPUs' runtime calls (none
 * that creates a VM, a vCPU or a device), the tap offloads a guest's
 * virtio-net features set, a block device's size (a CD handed over), the
 * terminal for --serial stdio. */
static const uint32_t allowed_ioctls[] = {
    KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
    KVM_GET_MP_STATE, KVM_SET_MP_STATE, KVM_GET_LAPIC, KVM_SET_LAPIC,
    KVM_GET_MSRS, KVM_SET_MSRS, KVM_SET_FPU, KVM_SET_CPUID2,
    KVM_CHECK_EXTENSION, KVM_IRQ_LINE, KVM_SIGNAL_MSI, KVM_IRQFD,
    KVM_IOEVENTFD, KVM_SET_GSI_ROUTING, KVM_SET_USER_MEMORY_REGION,
    KVM_GET_DIRTY_LOG, KVM_GET_CLOCK, KVM_SET_CLOCK,
    TUNSETOFFLOAD, TUNSETVNETHDRSZ,
    BLKGETSIZE64,
    TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ,
};

#define N_CALLS (sizeof(allowed_calls) / sizeof(allowed_calls[0]))
#define N_IOCTLS (sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]))
_Static_assert(2 * N_IOCTLS + 2 <= 255, "the ioctl block is skipped by one BPF jump");

/* Names of calls the filter refuses that a log reader may meet (the
 * number is printed in any case). */
static const struct allowed_call refused_calls[] = {
    CALL(open), CALL(openat), CALL(socket), CALL(connect), CALL(execve),
    CALL(fork), CALL(vfork), CALL(kill), CALL(ptrace), CALL(mount),
    CALL(unshare), CALL(setns), CALL(bind), CALL(listen), CALL(chdir),
    CALL(io_uring_setup), CALL(io_uring_register),
};

/* Calls allowed on the calling thread only (which PRIO_PROCESS, who 0):
 * a vCPU thread lowers its own priority (vcpu.c); another thread's, or
 * another process's, stays out of reach. */
static const struct allowed_call own_thread_calls[] = {
    CALL(getpriority), CALL(setpriority),
};

#define N_OWN_THREAD_CALLS (sizeof(own_thread_calls) / sizeof(own_thread_calls[0]))

size_t seccomp_filter_syscall_count(void)
{
    /* and ioctl, clone and the own-thread calls with their argument checks */
    return N_CALLS + 2 + N_OWN_THREAD_CALLS;
}

size_t seccomp_filter_ioctl_count(void)
{
    return N_IOCTLS;
}

const char *seccomp_filter_syscall_name(long nr)
{
    if (nr == SYS_ioctl)
        return "ioctl";
    if (nr == SYS_clone)
        return "clone";
    for (size_t i = 0; i < N_OWN_THREAD_CALLS; i++)
        if (own_thread_calls[i].nr == nr)
            return own_thread_calls[i].name;
    for (size_t i = 0; i < N_CALLS; i++)
        if (allowed_calls[i].nr == nr)
            return allowed_calls[i].name;
    for (size_t i = 0; i < sizeof(refused_calls) / sizeof(refused_calls[0]); i++)
        if (refused_calls[i].nr == nr)
            return refused_calls[i].name;
    return NULL;
}

struct prog {
    struct sock_filter *insn;
    size_t len, max;
};

static void emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    if (p->len < p->max)
        p->insn[p->len] = (struct sock_filter){ code, jt, jf, k };
    p->len++;
}

static void emit_load(struct prog *p, uint32_t offset)
{
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offset);
}

static void emit_ret(struct prog *p, uint32_t action)
{
    emit(p, BPF_RET | BPF_K, 0, 0, action);
}

/* "if A == k: allow" as two instructions: no jump ever spans more than
 * one, so the tables can grow past the 255 of a BPF jump offset. */
static void emit_allow_if(struct prog *p, uint32_t k)
{
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, k);
    emit_ret(p, SECCOMP_RET_ALLOW);
}

/* The low 32 bits of argument n (the kernel takes ioctl's request and
 * clone's flags as 32-bit values). */
static uint32_t arg_low(unsigned n)
{
    return (uint32_t)(offsetof(struct seccomp_data, args) + n * sizeof(uint64_t));
}

/* "if the call is nr: allowed when (which, who) is (PRIO_PROCESS, 0),
 * else trapped"; every path of the block returns. */
static void emit_own_thread_call(struct prog *p, long nr)
{
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 6, (uint32_t)nr);
    emit_load(p, arg_low(0));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 3, PRIO_PROCESS);
    emit_load(p, arg_low(1));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
    emit_ret(p, SECCOMP_RET_ALLOW);
    emit_ret(p, SECCOMP_RET_TRAP);
}

size_t seccomp_filter_build(struct sock_filter *insn, size_t max)
{
    struct prog p = { insn, 0, max };
    emit_load(&p, offsetof(struct seccomp_data, arch));
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    emit_ret(&p, SECCOMP_RET_KILL_PROCESS);
    emit_load(&p, offsetof(struct seccomp_data, nr));
    emit(&p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, X32_SYSCALL_BIT);
    emit_ret(&p, SECCOMP_RET_KILL_PROCESS);
    /* ioctl first, KVM_RUN first in it: every VM exit costs one.  (The
     * plain calls below depend on no argument: the kernel's seccomp action
     * cache answers those without running the program.) */
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(2 * N_IOCTLS + 2), SYS_ioctl);
    emit_load(&p, arg_low(1));
    for (size_t i = 0; i < N_IOCTLS; i++)
        emit_allow_if(&p, allowed_ioctls[i]);
    emit_ret(&p, SECCOMP_RET_TRAP);
    for (size_t i = 0; i < N_CALLS; i++)
        emit_allow_if(&p, (uint32_t)allowed_calls[i].nr);
    /* clone: threads only (pthread_create), never a new process */
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, SYS_clone);
    emit_load(&p, arg_low(0));
    emit(&p, BPF_JMP | BPF_JSET | BPF_K, 0, 1, CLONE_THREAD);
    emit_ret(&p, SECCOMP_RET_ALLOW);
    emit_ret(&p, SECCOMP_RET_TRAP);
    for (size_t i = 0; i < N_OWN_THREAD_CALLS; i++)
        emit_own_thread_call(&p, own_thread_calls[i].nr);
    emit_ret(&p, SECCOMP_RET_TRAP); /* everything else */
    return p.len <= max ? p.len : 0;
}
