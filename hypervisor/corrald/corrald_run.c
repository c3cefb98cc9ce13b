/* corrald_run: starting, stopping, supervising and adopting VM processes
 * (the monitor + VMM pair described in corrald.h). */
#include "corrald.h"
#include "clock.h"
#include "control_proto.h"

#include "corrald_cgroup.h"
#include "corrald_cgroup_io.h"
#include "corrald_host.h"
#include "fdio.h"
#include "jail_ids.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static int corrald_pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* ---- starting ------------------------------------------------------------ */

static int corrald_check_memory(struct corrald *d, struct corrald_vm *vm,
                                const char **code, char *why, size_t why_len)
{
    struct corrald_meminfo mi;
    if (corrald_meminfo_read(d->cfg.meminfo_path, &mi) < 0)
        return 0; /* cannot tell: do not block starts on it */
    uint64_t free_mib = corrald_memory_free_for_vms(
        mi.total_mib, d->cfg.memory_reserve_mib, corrald_committed_mib(d));
    if (vm->def.memory_mib <= free_mib)
        return 0;
    *code = PROTO_E_NO_MEMORY;
    snprintf(why, why_len,
             "not enough memory to start %s: it needs %llu MiB, %llu MiB are "
             "free for VMs (host %llu MiB, %llu MiB committed to running VMs, "
             "%llu MiB reserved for the host)",
             vm->name, (unsigned long long)vm->def.memory_mib,
             (unsigned long long)free_mib, (unsigned long long)mi.total_mib,
             (unsigned long long)corrald_committed_mib(d),
             (unsigned long long)d->cfg.memory_reserve_mib);
    return -ENOMEM;
}

static void corrald_clear_run_files(struct corrald *d, const char *name)
{
    static const char *const files[] = { "exit", "vmm.pid", "run.conf", CORRALD_IO_NOTE_FILE,
                                         CORRALD_CONTROL_SOCKET };
    char path[CORRALD_PATH_MAX];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        corrald_run_path(d, name, files[i], path, sizeof(path));
        unlink(path);
    }
}

/* Kept beside run.conf so that a corrald that adopts the VM shows it too. */
static void corrald_write_io_note(struct corrald *d, const struct corrald_vm *vm)
{
    char path[CORRALD_PATH_MAX];
    if (!vm->io_note[0])
        return;
    corrald_run_path(d, vm->name, CORRALD_IO_NOTE_FILE, path, sizeof(path));
    int rc = write_file_atomic(path, vm->io_note, strlen(vm->io_note), 0600);
    if (rc < 0)
        corrald_log("%s: %s (an adopting corrald will not show the io.max note)", path,
                    strerror(-rc));
}

static void corrald_write_run_conf(struct corrald *d, const struct corrald_vm *vm)
{
    char path[CORRALD_PATH_MAX], text[256];
    corrald_run_path(d, vm->name, "run.conf", path, sizeof(path));
    int n = snprintf(text, sizeof(text),
                     "monitor_pid = %ld\nstarted_at = %lld\nmemory_mib = %llu\n"
                     "jail_uid = %u\n",
                     (long)vm->monitor_pid, (long long)vm->started_at,
                     (unsigned long long)vm->committed_mib, vm->jail_uid);
    int rc = write_file_atomic(path, text, (size_t)n, 0600);
    if (rc < 0)
        corrald_log("%s: %s (the VM cannot be adopted after a corrald restart)",
                    path, strerror(-rc));
}

static void corrald_mark_running(struct corrald *d, struct corrald_vm *vm)
{
    vm->state = CORRALD_VM_RUNNING;
    vm->stop_requested = vm->kill_requested = vm->forced = false;
    vm->restart_after_stop = false;
    vm->stop_deadline_ms = 0;
    vm->console_retry_ms = clock_monotonic_ms();
    vm->vmm_pid = 0;
}

/* One uid per running VM (the others' are taken), or 0 with jail = no. */
static int corrald_pick_jail_uid(struct corrald *d, struct corrald_vm *vm,
                                 char *why, size_t why_len)
{
    static unsigned taken[CORRALD_MAX_VMS];
    size_t n = 0;
    vm->jail_uid = 0;
    if (!vm->def.jail || !d->cfg.jail)
        return 0;
    for (size_t i = 0; i < d->vm_count; i++)
        if (d->vms[i] != vm && d->vms[i]->jail_uid &&
            (d->vms[i]->state == CORRALD_VM_RUNNING ||
             d->vms[i]->state == CORRALD_VM_STOPPING))
            taken[n++] = d->vms[i]->jail_uid;
    vm->jail_uid = corrald_jail_uid_pick(taken, n);
    if (vm->jail_uid)
        return 0;
    snprintf(why, why_len, "no jail uid left in " JAIL_UID_RANGE);
    return -EAGAIN;
}

static int corrald_spawn(struct corrald *d, struct corrald_vm *vm, char *why,
                         size_t why_len)
{
    char run_dir[CORRALD_PATH_MAX];
    corrald_run_path(d, vm->name, NULL, run_dir, sizeof(run_dir));
    int rc = fdio_mkdir_p(run_dir, 0700);
    if (rc < 0) {
        snprintf(why, why_len, "%s: %s", run_dir, strerror(-rc));
        return rc;
    }
    rc = corrald_pick_jail_uid(d, vm, why, why_len);
    if (rc < 0)
        return rc;
    char cg_why[600];
    vm->in_cgroup = d->cfg.cgroup_dir[0] &&
                    corrald_cgroup_create(d->cfg.cgroup_dir, vm->name, &vm->def,
                                          cg_why, sizeof(cg_why)) == 0;
    if (!vm->in_cgroup && d->cfg.cgroup_dir[0])
        corrald_log("%s: no resource limits (cgroup v2): %s", vm->name, cg_why);
    vm->io_note[0] = '\0';
    if (vm->in_cgroup) {
        char group[1024];
        snprintf(group, sizeof(group), "%s/%s", d->cfg.cgroup_dir, vm->name);
        corrald_io_apply(group, &vm->def, vm->io_note, sizeof(vm->io_note));
        if (vm->io_note[0])
            corrald_log("%s: %s", vm->name, vm->io_note);
    }
    corrald_clear_run_files(d, vm->name);
    if (vm->def.serial == VMDEF_SERIAL_UNIX)
        unlink(vm->def.serial_path); /* a stale socket would stop the VMM */
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        return -errno;
    }
    if (pid == 0)
        corrald_exec_monitor(d, vm);
    vm->monitor_pid = pid;
    vm->pidfd = corrald_pidfd_open(pid);
    vm->started_at = time(NULL);
    vm->started_ms = clock_monotonic_ms();
    vm->committed_mib = vm->def.memory_mib;
    corrald_mark_running(d, vm);
    corrald_write_run_conf(d, vm);
    corrald_write_io_note(d, vm);
    if (vm->jail_uid)
        corrald_log("%s: started (monitor pid %ld, jailed as uid %u)", vm->name,
                    (long)pid, vm->jail_uid);
    else
        corrald_log("%s: started (monitor pid %ld, not jailed: jail = no)",
                    vm->name, (long)pid);
    return 0;
}

int corrald_start_vm(struct corrald *d, struct corrald_vm *vm, const char **code,
                     char *why, size_t why_len)
{
    struct conf_error err;
    if (vm->state == CORRALD_VM_RUNNING || vm->state == CORRALD_VM_STOPPING) {
        *code = PROTO_E_STATE;
        snprintf(why, why_len, "%s is %s", vm->name, corrald_state_name(vm->state));
        return -EBUSY;
    }
    *code = PROTO_E_INVALID;
    int rc = corrald_load_def(d, vm, why, why_len);
    if (rc < 0)
        return rc;
    char conf_path[CORRALD_PATH_MAX];
    corrald_vm_path(d, vm->name, "vm.conf", conf_path, sizeof(conf_path));
    rc = vmdef_check_files(&vm->def, conf_path, &err);
    if (rc < 0) {
        conf_error_format(&err, why, why_len);
        return rc;
    }
    enum corrald_vm_state was = vm->state;
    vm->state = CORRALD_VM_STOPPED; /* not counted as committed while checking */
    rc = corrald_check_memory(d, vm, code, why, why_len);
    if (rc == 0) {
        *code = PROTO_E_INTERNAL;
        rc = corrald_spawn(d, vm, why, why_len);
    }
    if (rc < 0)
        vm->state = was == CORRALD_VM_RESTARTING ? CORRALD_VM_FAILED : was;
    return rc;
}

/* ---- stopping ------------------------------------------------------------ */

void corrald_stop_vm(struct corrald *d, struct corrald_vm *vm, unsigned timeout_s)
{
    if (vm->state == CORRALD_VM_RESTARTING || vm->state == CORRALD_VM_FAILED) {
        vm->state = CORRALD_VM_STOPPED;
        return;
    }
    if (vm->state != CORRALD_VM_RUNNING && vm->state != CORRALD_VM_STOPPING)
        return;
    char reply[CONTROL_REPLY_MAX];
    vm->stop_requested = true;
    vm->state = CORRALD_VM_STOPPING;
    int64_t deadline = clock_monotonic_ms() + (int64_t)timeout_s * 1000;
    if (!vm->stop_deadline_ms || deadline < vm->stop_deadline_ms)
        vm->stop_deadline_ms = deadline;
    /* "shutdown" on the control socket (it resumes a paused guest first);
     * SIGTERM, which does the same, when the socket does not answer. */
    bool by_socket = corrald_vmm_control(d, vm, "shutdown", reply, sizeof(reply)) == 0;
    if (!by_socket)
        kill(-vm->monitor_pid, SIGTERM);
    vm->paused = false;
    corrald_log("%s: stopping by %s (forced off after %u s)", vm->name,
                by_socket ? "the control socket" : "SIGTERM", timeout_s);
}

void corrald_kill_vm(struct corrald_vm *vm)
{
    if (vm->state == CORRALD_VM_RESTARTING || vm->state == CORRALD_VM_FAILED)
        vm->state = CORRALD_VM_STOPPED;
    if (vm->state != CORRALD_VM_RUNNING && vm->state != CORRALD_VM_STOPPING)
        return;
    vm->stop_requested = vm->kill_requested = true;
    vm->state = CORRALD_VM_STOPPING;
    kill(-vm->monitor_pid, SIGKILL);
}

/* ---- the end of a run ---------------------------------------------------- */

/* Reads "key = N" from a small conf file; false if absent or bad. */
static bool corrald_read_number(const char *path, const char *key, long long *out)
{
    struct conf c;
    struct conf_error err;
    uint64_t v;
    conf_init(&c);
    bool ok = conf_load(path, &c, &err) == 0 && conf_get(&c, key) &&
              conf_parse_uint(conf_get(&c, key), 0, INT64_MAX, &v) == 0;
    conf_free(&c);
    if (ok)
        *out = (long long)v;
    return ok;
}

/* The VMM's last line on stderr, which says why it failed. */
static void corrald_last_vmm_line(struct corrald *d, const char *name, char *buf,
                                  size_t len)
{
    char path[CORRALD_PATH_MAX], tail[1024];
    buf[0] = '\0';
    corrald_run_path(d, name, "vmm.log", path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof(tail) - 1 ? size - (off_t)sizeof(tail) + 1 : 0;
    ssize_t n = pread(fd, tail, sizeof(tail) - 1, from);
    close(fd);
    if (n <= 0)
        return;
    while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
        n--;
    tail[n] = '\0';
    const char *line = strrchr(tail, '\n');
    snprintf(buf, len, "%.*s", (int)len - 1, line ? line + 1 : tail); /* cut */
}

static struct corrald_exit corrald_read_exit(struct corrald *d, const char *name)
{
    char path[CORRALD_PATH_MAX];
    long long status;
    struct corrald_exit unknown = { .end = CORRALD_END_UNKNOWN, .code = -1 };
    corrald_run_path(d, name, "exit", path, sizeof(path));
    if (!corrald_read_number(path, "wait_status", &status))
        return unknown;
    return corrald_exit_from_status((int)status);
}

/* A SIGKILL in a group whose memory.events counted an OOM kill was the
 * kernel's: the VMM outgrew memory.max (the group is new each start). */
static void corrald_note_oom_kill(struct corrald *d, struct corrald_vm *vm)
{
    uint64_t kills = 0, memory_max = 0;
    if (vm->last_exit.end != CORRALD_END_SIGNAL || vm->last_exit.code != SIGKILL ||
        !vm->in_cgroup ||
        corrald_cgroup_oom_kills(d->cfg.cgroup_dir, vm->name, &kills, &memory_max) < 0)
        return;
    if (kills > 0 && memory_max > 0)
        vm->last_exit.oom_memory_max = memory_max;
}

static void corrald_describe_end(struct corrald *d, struct corrald_vm *vm,
                                 long run_s)
{
    char what[160], detail[256] = "";
    corrald_describe_exit(vm->last_exit, what, sizeof(what));
    /* its last line says why: a failed start, or the call seccomp refused */
    if (vm->last_exit.end == CORRALD_END_VMM_ERROR ||
        (vm->last_exit.end == CORRALD_END_SIGNAL && vm->last_exit.code == SIGSYS))
        corrald_last_vmm_line(d, vm->name, detail, sizeof(detail));
    if (vm->kill_requested)
        corrald_record_stop(vm, "killed by request");
    else if (vm->forced)
        corrald_record_stop(vm, "stopped by request: forced off after the "
                                "stop timeout");
    else if (vm->stop_requested)
        corrald_record_stop(vm, "stopped by request: %s", what);
    else
        corrald_record_stop(vm, "%s after %ld s%s%s", what, run_s,
                            detail[0] ? ": " : "", detail);
    corrald_log("%s: %s", vm->name, vm->last_stop);
}

static void corrald_release_run(struct corrald *d, struct corrald_vm *vm)
{
    if (vm->pidfd >= 0)
        close(vm->pidfd);
    vm->pidfd = -1;
    waitpid(vm->monitor_pid, NULL, WNOHANG); /* ECHILD for adopted ones */
    vm->monitor_pid = vm->vmm_pid = 0;
    vm->stop_deadline_ms = 0;
    vm->paused = false;
    corrald_console_close(vm);
    corrald_clear_run_files(d, vm->name);
    if (d->cfg.cgroup_dir[0])
        corrald_cgroup_remove(d->cfg.cgroup_dir, vm->name);
    vm->in_cgroup = false;
}

static void corrald_after_end(struct corrald *d, struct corrald_vm *vm, long run_s)
{
    unsigned delay_ms = 0;
    bool stop_requested = vm->stop_requested || d->shutting_down;
    if (vm->restart_after_stop && !d->shutting_down) {
        const char *code;
        char why[512];
        if (corrald_start_vm(d, vm, &code, why, sizeof(why)) < 0)
            corrald_record_stop(vm, "restart failed: %s", why);
        return;
    }
    switch (corrald_decide(vm->def.restart, vm->last_exit, stop_requested, run_s,
                           &vm->restart_state, &delay_ms)) {
    case CORRALD_STAY_STOPPED:
        vm->state = CORRALD_VM_STOPPED;
        return;
    case CORRALD_GIVE_UP: {
        char last[sizeof(vm->last_stop)];
        memcpy(last, vm->last_stop, sizeof(last)); /* it is rewritten below */
        vm->state = CORRALD_VM_FAILED;
        corrald_record_stop(vm, "%.300s; gave up after %d quick restarts", last,
                            CORRALD_MAX_QUICK_FAILURES);
        corrald_log("%s: %s", vm->name, vm->last_stop);
        return;
    }
    case CORRALD_RESTART:
        vm->state = CORRALD_VM_RESTARTING;
        vm->restart_at_ms = clock_monotonic_ms() + delay_ms;
        corrald_log("%s: restarting in %u ms", vm->name, delay_ms);
        return;
    }
}

void corrald_vm_ended(struct corrald *d, struct corrald_vm *vm)
{
    long run_s = (long)((clock_monotonic_ms() - vm->started_ms) / 1000);
    vm->last_exit = corrald_read_exit(d, vm->name);
    corrald_note_oom_kill(d, vm);
    corrald_describe_end(d, vm, run_s);
    corrald_release_run(d, vm);
    corrald_after_end(d, vm, run_s);
}

/* ---- adoption ------------------------------------------------------------ */

/* What io.max could not limit, as decided at the start: the definition may
 * have changed since, and only the next start applies it. */
static void corrald_read_io_note(struct corrald *d, struct corrald_vm *vm)
{
    char path[CORRALD_PATH_MAX];
    uint8_t *text = NULL;
    size_t len = 0;
    vm->io_note[0] = '\0';
    corrald_run_path(d, vm->name, CORRALD_IO_NOTE_FILE, path, sizeof(path));
    if (fdio_read_file(path, sizeof(vm->io_note) - 1, &text, &len) == 0) {
        memcpy(vm->io_note, text, len);
        vm->io_note[len] = '\0';
    }
    free(text);
}

void corrald_adopt_vm(struct corrald *d, struct corrald_vm *vm)
{
    char path[CORRALD_PATH_MAX];
    long long pid, started, memory, vmm_pid, jail_uid;
    corrald_run_path(d, vm->name, "run.conf", path, sizeof(path));
    if (!corrald_read_number(path, "monitor_pid", &pid) ||
        !corrald_read_number(path, "started_at", &started) ||
        !corrald_read_number(path, "memory_mib", &memory))
        return;
    vm->monitor_pid = (pid_t)pid;
    vm->started_at = (time_t)started;
    vm->started_ms = clock_monotonic_ms() - (int64_t)(time(NULL) - started) * 1000;
    vm->committed_mib = (uint64_t)memory;
    vm->jail_uid = corrald_read_number(path, "jail_uid", &jail_uid) ? (unsigned)jail_uid : 0;
    if (!corrald_is_monitor_of(vm->monitor_pid, vm->name) ||
        (vm->pidfd = corrald_pidfd_open(vm->monitor_pid)) < 0) {
        /* It ended while no corrald was watching. */
        corrald_vm_ended(d, vm);
        return;
    }
    corrald_mark_running(d, vm);
    vm->in_cgroup = d->cfg.cgroup_dir[0] != '\0'; /* if not, vm show finds no group */
    corrald_run_path(d, vm->name, "vmm.pid", path, sizeof(path));
    if (corrald_read_number(path, "vmm_pid", &vmm_pid))
        vm->vmm_pid = (pid_t)vmm_pid;
    corrald_read_io_note(d, vm);
    corrald_query_paused(d, vm);
    corrald_log("%s: adopted running VM (monitor pid %lld)", vm->name, pid);
}

/* ---- timers -------------------------------------------------------------- */

static void corrald_vm_timers(struct corrald *d, struct corrald_vm *vm, int64_t now)
{
    if (vm->state == CORRALD_VM_STOPPING && vm->stop_deadline_ms &&
        now >= vm->stop_deadline_ms && !vm->forced) {
        vm->forced = true;
        kill(-vm->monitor_pid, SIGKILL);
        corrald_log("%s: did not stop in time; forced off", vm->name);
    }
    if (vm->state == CORRALD_VM_RESTARTING && now >= vm->restart_at_ms) {
        const char *code;
        char why[512];
        vm->restarts++;
        if (corrald_start_vm(d, vm, &code, why, sizeof(why)) < 0) {
            corrald_record_stop(vm, "restart failed: %s", why);
            corrald_log("%s: %s", vm->name, vm->last_stop);
        }
    }
    if (vm->vmm_pid == 0 && vm->state == CORRALD_VM_RUNNING) {
        char path[CORRALD_PATH_MAX];
        long long pid;
        corrald_run_path(d, vm->name, "vmm.pid", path, sizeof(path));
        if (corrald_read_number(path, "vmm_pid", &pid))
            vm->vmm_pid = (pid_t)pid;
    }
    if (vm->state == CORRALD_VM_RUNNING && vm->console_fd < 0 &&
        now >= vm->console_retry_ms)
        corrald_console_connect(d, vm);
}

static void corrald_autostart_tick(struct corrald *d, int64_t now)
{
    if (d->autostart_count == 0 || now < d->autostart_next_ms || d->shutting_down)
        return;
    unsigned started = 0;
    while (d->autostart_count > 0 && started < d->cfg.autostart_parallel) {
        const char *name = d->autostart_queue[--d->autostart_count];
        struct corrald_vm *vm = corrald_find_vm(d, name);
        const char *code;
        char why[512];
        if (!vm || vm->state != CORRALD_VM_STOPPED)
            continue;
        if (corrald_start_vm(d, vm, &code, why, sizeof(why)) < 0) {
            corrald_record_stop(vm, "autostart failed: %s", why);
            corrald_log("%s: %s", vm->name, vm->last_stop);
        }
        started++;
    }
    d->autostart_next_ms = now + 2000; /* let a batch boot before the next */
}

void corrald_run_timers(struct corrald *d)
{
    int64_t now = clock_monotonic_ms();
    for (size_t i = 0; i < d->vm_count; i++)
        corrald_vm_timers(d, d->vms[i], now);
    corrald_autostart_tick(d, now);
}
