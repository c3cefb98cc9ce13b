/* jail: what a VMM started with --jail UID does once it holds every
 * descriptor its VM needs and before the guest runs (Firecracker's jailer
 * and OpenBSD vmd's privilege separation, in-process):
 *
 *   - new mount, IPC, UTS and network namespaces (the PID namespace is
 *     made by whoever starts it: the VMM must be its first process, as
 *     corrald's monitor arranges);
 *   - pivot_root (or, from an initramfs root, MS_MOVE and chroot) into an
 *     empty, read-only tmpfs mounted over JAIL_ROOT;
 *   - the capability bounding set emptied, then uid and gid UID (no
 *     supplementary groups), every capability set cleared;
 *   - no_new_privs, not dumpable;
 *   - the seccomp filter of seccomp_filter.h on every thread, with a
 *     SIGSYS handler that logs a refused call ("corral-vmm: seccomp:
 *     forbidden system call N (name)") on stderr and dies by SIGSYS.
 *
 * Taps and bridges are set up, disks, firmware and /dev/kvm opened and the
 * sockets bound before it: nothing after it opens a path. */
#ifndef CORRAL_JAIL_H
#define CORRAL_JAIL_H

#include <stddef.h>
#include <sys/types.h>

/* The empty directory the jail's tmpfs is mounted over (in its own mount
 * namespace: the host's stays empty). */
#define JAIL_ROOT "/var/empty"

#include "jail_ids.h"

/* 0, or -1 with the step and reason in err (the process must then exit:
 * it may be half jailed). */
int jail_enter(uid_t uid, const char *hostname, char *err, size_t errlen);

/* Whether jail_enter() succeeded in this process. */
int jail_active(void);

#endif
