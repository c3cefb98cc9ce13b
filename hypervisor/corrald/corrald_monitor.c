/* corrald_monitor: the small process that sits between corrald and each
 * VMM.  corrald forks and re-executes itself as
 *
 *   corral-monitor NAME VMM CONF VM_DIR RUN_DIR JAIL_UID CGROUP_DIR
 *
 * (argv[0] is what `pidof corrald` and adoption tell it apart by).  The
 * monitor is its own session and process group and ignores SIGTERM, so a
 * group SIGTERM reaches only the VMM; it forks the VMM (`VMM --config CONF
 * --control RUN_DIR/control.sock`, and `--vnc RUN_DIR/vnc.sock` when the
 * definition gives the VM a display; stdin /dev/null,
 * stdout and stderr into RUN_DIR/vmm.log, working directory VM_DIR), writes
 * RUN_DIR/vmm.pid, waits, and writes the VMM's wait status to RUN_DIR/exit.
 * The VMM dies with its monitor (PR_SET_PDEATHSIG), so no VMM ever runs
 * without one: a second VMM on the same disks would corrupt them.
 *
 * With a JAIL_UID (not 0) the VMM is forked into a new PID namespace, as
 * its first process, and run with --jail JAIL_UID: it opens what the
 * definition names, then jails itself before the guest runs (the VMM's
 * jail.h).  Its pid in vmm.pid is the one the host sees.  With a
 * CGROUP_DIR (not "") the VMM joins CGROUP_DIR/NAME (corrald_cgroup.h)
 * before exec. */
#include "corrald.h"
#include "corrald_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void corrald_monitor_signals(void (*disposition)(int))
{
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT };
    sigset_t none;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], disposition);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

void corrald_exec_monitor(const struct corrald *d, const struct corrald_vm *vm)
{
    char conf_path[CORRALD_PATH_MAX], vm_dir[CORRALD_PATH_MAX];
    char run_dir[CORRALD_PATH_MAX];
    setsid();
    corrald_monitor_signals(SIG_IGN); /* group SIGTERM is for the VMM alone */
    /* Not corrald's stdout and stderr: a pipe to the system log, whose
     * reader must see its end when corrald dies (init then starts corrald
     * again: corrald-run); the monitor writes into RUN/vmm.log. */
    int null_fd = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3 && null_fd >= 0; fd++)
        dup2(null_fd, fd);
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    corrald_vm_path(d, vm->name, "vm.conf", conf_path, sizeof(conf_path));
    corrald_vm_path(d, vm->name, NULL, vm_dir, sizeof(vm_dir));
    corrald_run_path(d, vm->name, NULL, run_dir, sizeof(run_dir));
    char uid[16];
    snprintf(uid, sizeof(uid), "%u", vm->jail_uid);
    execl("/proc/self/exe", CORRALD_MONITOR_NAME, vm->name, d->cfg.vmm_path,
          conf_path, vm_dir, run_dir, uid, vm->in_cgroup ? d->cfg.cgroup_dir : "",
          (char *)NULL);
    _exit(127);
}

/* Whether the VM has a screen to serve: its definition says (the VMM
 * reads the same file; one it cannot load fails there, with the reason). */
static bool corrald_monitor_has_display(const char *conf_path)
{
    static struct vmdef def;
    struct conf_error err;
    vmdef_init(&def);
    return vmdef_load(conf_path, &def, &err) == 0 && vmdef_has_display(&def);
}

struct monitor_vmm {
    const char *name, *vmm, *conf_path, *vm_dir, *run_dir, *jail_uid;
    const char *cgroup_dir; /* "": none */
    int log_fd;
    int alive_fd; /* read end of a pipe only the monitor writes to */
};

static void corrald_monitor_exec_vmm(const struct monitor_vmm *v)
{
    char control[CORRALD_PATH_MAX + 16], vnc[CORRALD_PATH_MAX + 16];
    const char *argv[12];
    int argc = 0;
    snprintf(control, sizeof(control), "%s/%s", v->run_dir, CORRALD_CONTROL_SOCKET);
    snprintf(vnc, sizeof(vnc), "%s/%s", v->run_dir, CORRALD_VNC_SOCKET);
    bool display = corrald_monitor_has_display(v->conf_path);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    /* The monitor died before the line above: its end of the pipe is
     * closed (getppid() cannot tell from inside a new PID namespace). */
    struct pollfd alive = { .fd = v->alive_fd, .events = POLLIN };
    if (poll(&alive, 1, 0) != 0)
        _exit(127);
    corrald_monitor_signals(SIG_DFL);
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0);
    dup2(v->log_fd, 1);
    dup2(v->log_fd, 2);
    close(v->alive_fd);
    int rc = v->cgroup_dir[0] ? corrald_cgroup_join(v->cgroup_dir, v->name) : 0;
    if (rc < 0)
        fprintf(stderr, "corral-monitor: %s/%s: %s (no resource limits)\n",
                v->cgroup_dir, v->name, strerror(-rc));
    if (chdir(v->vm_dir) < 0)
        fprintf(stderr, "corral-monitor: %s: %s\n", v->vm_dir, strerror(errno));
    argv[argc++] = v->vmm;
    argv[argc++] = "--config";
    argv[argc++] = v->conf_path;
    argv[argc++] = "--control";
    argv[argc++] = control;
    if (display) {
        argv[argc++] = "--vnc";
        argv[argc++] = vnc;
    }
    if (strcmp(v->jail_uid, "0") != 0) {
        argv[argc++] = "--jail";
        argv[argc++] = v->jail_uid;
    }
    argv[argc] = NULL;
    execvp(v->vmm, (char *const *)argv);
    fprintf(stderr, "corral-monitor: cannot run %s: %s\n", v->vmm, strerror(errno));
    _exit(127);
}

static void corrald_monitor_write(const char *run_dir, const char *file,
                                  const char *key, long value)
{
    char path[CORRALD_PATH_MAX + 16], text[64];
    snprintf(path, sizeof(path), "%s/%s", run_dir, file);
    int n = snprintf(text, sizeof(text), "%s = %ld\n", key, value);
    write_file_atomic(path, text, (size_t)n, 0600);
}

int corrald_monitor_main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: %s NAME VMM CONF VM_DIR RUN_DIR JAIL_UID CGROUP_DIR "
                "(run by corrald)\n", CORRALD_MONITOR_NAME);
        return 2;
    }
    struct monitor_vmm v = { .name = argv[1], .vmm = argv[2], .conf_path = argv[3],
                             .vm_dir = argv[4], .run_dir = argv[5],
                             .jail_uid = argv[6], .cgroup_dir = argv[7] };
    const char *run_dir = v.run_dir;
    char log_path[CORRALD_PATH_MAX + 16];
    int alive[2];
    prctl(PR_SET_NAME, CORRALD_MONITOR_NAME, 0, 0, 0);
    snprintf(log_path, sizeof(log_path), "%s/vmm.log", run_dir);
    v.log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (pipe2(alive, O_CLOEXEC) < 0)
        return 1;
    v.alive_fd = alive[0];
    /* the next child is the first process of a new PID namespace */
    if (strcmp(v.jail_uid, "0") != 0 && unshare(CLONE_NEWPID) < 0) {
        dprintf(v.log_fd, "corral-monitor: new PID namespace: %s\n", strerror(errno));
        return 1;
    }
    pid_t child = fork();
    if (child == 0) {
        close(alive[1]);
        corrald_monitor_exec_vmm(&v);
    }
    close(alive[0]);
    if (child < 0)
        return 1;
    corrald_monitor_write(run_dir, "vmm.pid", "vmm_pid", child);
    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR)
            return 1;
    corrald_monitor_write(run_dir, "exit", "wait_status", status);
    return 0;
}

/* argv[0] and argv[1] of /proc/PID/cmdline: "corral-monitor" and the VM. */
bool corrald_is_monitor_of(pid_t pid, const char *name)
{
    char path[64], cmdline[256];
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);
    close(fd);
    if (n <= 0)
        return false;
    cmdline[n] = '\0';
    size_t first = strlen(cmdline) + 1;
    return strcmp(cmdline, CORRALD_MONITOR_NAME) == 0 && (ssize_t)first < n &&
           strcmp(cmdline + first, name) == 0;
}
