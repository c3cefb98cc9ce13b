/* corrald_monitor: the small process that sits between corrald and each
 * VMM.  corrald forks and re-executes itself as
 *
 *   corral-monitor NAME VMM CONF VM_DIR RUN_DIR
 *
 * (argv[0] is what `pidof corrald` and adoption tell it apart by).  The
 * monitor is its own session and process group and ignores SIGTERM, so a
 * group SIGTERM reaches only the VMM; it forks the VMM (`VMM --config CONF
 * --control RUN_DIR/control.sock`, and `--vnc RUN_DIR/vnc.sock` when the
 * definition gives the VM a display; stdin /dev/null,
 * stdout and stderr into RUN_DIR/vmm.log, working directory VM_DIR), writes
 * RUN_DIR/vmm.pid, waits, and writes the VMM's wait status to RUN_DIR/exit.
 * The VMM dies with its monitor (PR_SET_PDEATHSIG), so no VMM ever runs
 * without one: a second VMM on the same disks would corrupt them. */
#include "corrald.h"

#include <errno.h>
#include <fcntl.h>
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
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    corrald_vm_path(d, vm->name, "vm.conf", conf_path, sizeof(conf_path));
    corrald_vm_path(d, vm->name, NULL, vm_dir, sizeof(vm_dir));
    corrald_run_path(d, vm->name, NULL, run_dir, sizeof(run_dir));
    execl("/proc/self/exe", CORRALD_MONITOR_NAME, vm->name, d->cfg.vmm_path,
          conf_path, vm_dir, run_dir, (char *)NULL);
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

static void corrald_monitor_exec_vmm(const char *vmm, const char *conf_path,
                                     const char *vm_dir, const char *run_dir,
                                     int log_fd, pid_t monitor)
{
    char control[CORRALD_PATH_MAX + 16], vnc[CORRALD_PATH_MAX + 16];
    snprintf(control, sizeof(control), "%s/%s", run_dir, CORRALD_CONTROL_SOCKET);
    snprintf(vnc, sizeof(vnc), "%s/%s", run_dir, CORRALD_VNC_SOCKET);
    bool display = corrald_monitor_has_display(conf_path);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != monitor)
        _exit(127); /* the monitor died before the line above */
    corrald_monitor_signals(SIG_DFL);
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    if (chdir(vm_dir) < 0)
        fprintf(stderr, "corral-monitor: %s: %s\n", vm_dir, strerror(errno));
    if (display)
        execlp(vmm, vmm, "--config", conf_path, "--control", control, "--vnc", vnc,
               (char *)NULL);
    else
        execlp(vmm, vmm, "--config", conf_path, "--control", control, (char *)NULL);
    fprintf(stderr, "corral-monitor: cannot run %s: %s\n", vmm, strerror(errno));
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
    if (argc != 6) {
        fprintf(stderr, "usage: %s NAME VMM CONF VM_DIR RUN_DIR (run by corrald)\n",
                CORRALD_MONITOR_NAME);
        return 2;
    }
    const char *vmm = argv[2], *conf = argv[3], *vm_dir = argv[4], *run_dir = argv[5];
    char log_path[CORRALD_PATH_MAX + 16];
    prctl(PR_SET_NAME, CORRALD_MONITOR_NAME, 0, 0, 0);
    snprintf(log_path, sizeof(log_path), "%s/vmm.log", run_dir);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    pid_t self = getpid(), child = fork();
    if (child == 0)
        corrald_monitor_exec_vmm(vmm, conf, vm_dir, run_dir, log_fd, self);
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
