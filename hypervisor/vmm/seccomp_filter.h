/* seccomp_filter: the system calls a jailed corral-vmm may make, as a
 * classic BPF program for seccomp(SECCOMP_SET_MODE_FILTER).  Pure: the
 * tables and the program built from them; jail.c installs it.
 *
 * What is allowed is what the VMM's threads do once the guest runs (vCPU
 * threads: KVM_RUN and the register ioctls; the I/O thread: the disk,
 * tap, socket and timer descriptors it holds; the main thread: signals,
 * the control and console sockets) - never open, socket, exec, mount,
 * ptrace or another VM: every descriptor was opened before the jail.
 * ioctl is allowed only for the request numbers in the table (KVM's by
 * number, the tap's offload settings, the terminal's), clone only for a
 * thread (CLONE_THREAD).  Anything else traps (SECCOMP_RET_TRAP): the
 * SIGSYS handler logs the call and the VMM dies by SIGSYS.  A foreign
 * architecture or an x32 call number kills the process outright. */
#ifndef CORRAL_SECCOMP_FILTER_H
#define CORRAL_SECCOMP_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

/* Longest program seccomp_filter_build() writes. */
#define SECCOMP_FILTER_MAX 512

/* Writes the program into prog (room for max instructions); returns its
 * length, or 0 if it does not fit. */
size_t seccomp_filter_build(struct sock_filter *prog, size_t max);

/* How many system calls and ioctl requests the filter allows. */
size_t seccomp_filter_syscall_count(void);
size_t seccomp_filter_ioctl_count(void);

/* The name of an allowed call or a commonly refused one, or NULL (for
 * log messages). */
const char *seccomp_filter_syscall_name(long nr);

#endif
