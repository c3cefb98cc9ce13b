/* corrald: the VM manager.  One process, one poll loop: the control socket
 * and its clients, one pidfd per VM monitor, one console connection per VM,
 * and timers (stop timeouts, restart backoff, autostart, console retry).
 *
 * Each VM runs as two processes: a small monitor (corrald re-executed as
 * "corral-monitor", its own session; corrald_monitor.c) and the VMM it
 * forks and execs.
 * The monitor waits for the VMM and writes its wait status to
 * RUN/vms/NAME/exit; it outlives a corrald restart, so a new corrald adopts
 * the VM through RUN/vms/NAME/run.conf (monitor pid, start time, memory)
 * and still learns why the VM stopped.  Signals go to the monitor's process
 * group: the monitor ignores SIGTERM, so SIGTERM reaches the VMM alone (it
 * asks the guest to shut down); SIGKILL ends both (a forced stop).
 *
 * Files: STATE/vms/NAME/vm.conf (the definition), STATE/vms/NAME/console.log
 * (+ .1, each at most CORRALD_LOG_MAX bytes), STATE/vms/NAME/nvram.fd (UEFI
 * variables, boot = uefi), RUN/vms/NAME/{run.conf,
 * vmm.pid, exit, vmm.log, console.sock}, RUN/autostart.done (autostart
 * happens once per boot), STATE/corrald.conf (memory_reserve,
 * autostart_parallel). */
#ifndef CORRAL_CORRALD_H
#define CORRAL_CORRALD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "corrald_policy.h"
#include "json.h"
#include "proto.h"
#include "vmdef.h"

#define CORRALD_MAX_CLIENTS 32
#define CORRALD_MAX_VMS 256
#define CORRALD_LOG_MAX (1024 * 1024)
#define CORRALD_DIR_MAX 256  /* state, run directories: paths below fit */
#define CORRALD_PATH_MAX 512
#define CORRALD_MONITOR_NAME "corral-monitor"
#define CORRALD_CONTROL_SOCKET "control.sock" /* in RUN/vms/NAME */
#define CORRALD_IO_NOTE_FILE "io-note"     /* in RUN/vms/NAME: what io.max could not limit */
#define CORRALD_VNC_SOCKET "vnc.sock" /* in RUN/vms/NAME, with a display */
#define CORRALD_NVRAM_FILE "nvram.fd" /* in STATE/vms/NAME, boot = uefi */

struct corrald_config {
    char state_dir[CORRALD_DIR_MAX]; /* /var/lib/corral */
    char run_dir[CORRALD_DIR_MAX];   /* /run/corral */
    char socket_path[CORRALD_PATH_MAX];
    char vmm_path[CORRALD_PATH_MAX];  /* corral-vmm, looked up in PATH */
    char uefi_vars_path[CORRALD_PATH_MAX]; /* template of a new VM's nvram */
    char meminfo_path[CORRALD_PATH_MAX];
    uint64_t memory_reserve_mib;
    unsigned autostart_parallel;
    /* Containment (on in the product; the unit tests' fake VMM runs
     * without): jail VMMs whose definition allows it (--no-jail: never),
     * and give each VM a cgroup under cgroup_dir ("": none). */
    bool jail;
    char cgroup_dir[CORRALD_DIR_MAX]; /* CORRALD_CGROUP_DIR */
};

enum corrald_vm_state {
    CORRALD_VM_STOPPED,
    CORRALD_VM_RUNNING,
    CORRALD_VM_STOPPING,   /* asked to stop, VMM still running */
    CORRALD_VM_RESTARTING, /* waiting out the backoff before a restart */
    CORRALD_VM_FAILED,     /* gave up restarting, or a restart failed */
};

struct corrald_client;

struct corrald_vm {
    char name[VMDEF_NAME_MAX + 1];
    struct vmdef def; /* as last loaded from vm.conf */
    enum corrald_vm_state state;
    pid_t monitor_pid, vmm_pid;
    int pidfd;
    time_t started_at;     /* wall clock, for people */
    int64_t started_ms;    /* monotonic, for run length */
    uint64_t committed_mib;
    unsigned jail_uid;     /* its VMM's uid (jail_ids.h); 0: not jailed */
    bool in_cgroup;        /* its VMM runs in CORRALD_CGROUP_DIR/NAME */
    char io_note[256];     /* disks io.max could not limit ("" = none) */
    bool stop_requested, kill_requested, restart_after_stop, forced;
    bool paused;               /* running, its vCPUs held (vm pause) */
    int64_t stop_deadline_ms;  /* 0 = none */
    int64_t restart_at_ms;     /* for CORRALD_VM_RESTARTING */
    struct corrald_restart_state restart_state;
    unsigned restarts;         /* automatic restarts since corrald started */
    bool has_last_stop;
    char last_stop[384];
    time_t last_stop_at;
    struct corrald_exit last_exit;
    char last_stop_path[CORRALD_PATH_MAX]; /* RUN/vms/NAME/last-stop.conf */
    int console_fd;            /* connection to the VMM's console socket */
    int64_t console_retry_ms;
    int log_fd;
    struct corrald_client *console_client;
};

/* An image.upload in progress: the client's bytes go to tmp until size. */
struct corrald_upload {
    int fd; /* tmp, open; -1: no upload */
    uint64_t size, done;
    char tmp[CORRALD_PATH_MAX + 32], dest[CORRALD_PATH_MAX];
    char name[160];
};

struct corrald_client {
    int fd;
    struct proto_linebuf in;
    struct corrald_vm *console_vm; /* set: raw console stream mode */
    bool skipping; /* dropping the rest of a too large request line */
    struct corrald_upload upload;  /* upload.fd >= 0: raw upload mode */
    int pass_fd; /* >= 0: goes with the next reply (SCM_RIGHTS), then closed */
};

struct corrald {
    struct corrald_config cfg;
    struct corrald_vm *vms[CORRALD_MAX_VMS];
    size_t vm_count;
    struct corrald_client clients[CORRALD_MAX_CLIENTS];
    int listen_fd, signal_fd;
    bool shutting_down;  /* SIGTERM: stop every VM, then exit */
    bool exit_now;       /* SIGQUIT: exit, leaving VMs running */
    char autostart_queue[CORRALD_MAX_VMS][VMDEF_NAME_MAX + 1];
    size_t autostart_count;
    int64_t autostart_next_ms;
};

/* corrald_vm.c: the table of VMs and their paths. */
void corrald_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void corrald_vm_path(const struct corrald *d, const char *name, const char *file,
                     char *buf, size_t len);
void corrald_run_path(const struct corrald *d, const char *name, const char *file,
                      char *buf, size_t len);
struct corrald_vm *corrald_find_vm(struct corrald *d, const char *name);
struct corrald_vm *corrald_add_vm(struct corrald *d, const char *name);
void corrald_remove_vm(struct corrald *d, struct corrald_vm *vm);
/* Reloads vm.conf into vm->def; 0 or -errno with "path:line: reason". */
int corrald_load_def(struct corrald *d, struct corrald_vm *vm, char *why,
                     size_t why_len);
/* Loads every STATE/vms/NAME/vm.conf (bad ones are logged and listed). */
void corrald_scan_vms(struct corrald *d);
uint64_t corrald_committed_mib(const struct corrald *d);
const char *corrald_state_name(enum corrald_vm_state s);
/* The state people see: "paused" for a running VM that is paused. */
const char *corrald_vm_state_name(const struct corrald_vm *vm);
/* How much of a VM corrald_write_vm_json writes: vm list's row; a reply's
 * whole VM, its definition too; that and, for vm show, each disk's actual
 * I/O mode, asked of a running VM's VMM. */
enum corrald_vm_json { CORRALD_VM_ROW, CORRALD_VM_WHOLE, CORRALD_VM_SHOW };
void corrald_write_vm_json(struct json_writer *w, const struct corrald *d,
                           const struct corrald_vm *vm, enum corrald_vm_json what);
/* Records (and keeps in RUN/vms/NAME/last-stop.conf) why the VM stopped. */
void corrald_record_stop(struct corrald_vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void corrald_load_last_stop(struct corrald_vm *vm);

/* corrald_run.c: processes. */
/* Checks, then spawns; 0, or -errno with the reply code and reason. */
int corrald_start_vm(struct corrald *d, struct corrald_vm *vm, const char **code,
                     char *why, size_t why_len);
/* SIGTERM now, SIGKILL after timeout_s. */
void corrald_stop_vm(struct corrald *d, struct corrald_vm *vm, unsigned timeout_s);
void corrald_kill_vm(struct corrald_vm *vm);
/* The monitor ended: record why, then restart or not. */
void corrald_vm_ended(struct corrald *d, struct corrald_vm *vm);
/* At startup: take over a VM whose monitor still runs. */
void corrald_adopt_vm(struct corrald *d, struct corrald_vm *vm);
void corrald_run_timers(struct corrald *d);

/* corrald_control.c: requests on the VMM's control socket. */
/* Sends cmd; 0 ("ok"), 1 (an error reply) or -errno (no answer), with
 * the reply or the reason in reply. */
int corrald_vmm_control(const struct corrald *d, const struct corrald_vm *vm,
                        const char *cmd, char *reply, size_t len);
/* vm.pause / vm.resume: 0, or -errno with the reply code and reason. */
int corrald_pause_vm(struct corrald *d, struct corrald_vm *vm, bool pause,
                     const char **code, char *why, size_t why_len);
/* vm.cdrom: eject drive's medium (iso NULL) or insert iso (an absolute
 * path) in a running VM, through its VMM's control socket.  Runtime
 * only: the definition keeps its cdrom = lines. */
int corrald_cdrom_vm(struct corrald *d, struct corrald_vm *vm, unsigned drive,
                     const char *iso, const char **code, char *why, size_t why_len);
void corrald_query_paused(struct corrald *d, struct corrald_vm *vm);
/* How each disk of a running VM does its I/O, as its VMM says (control
 * request "disk N", one connection for them all): io[i] becomes e.g.
 * "O_DIRECT, io_uring", or stays "" where the VMM did not say (not
 * running, no answer, an older VMM without the request: unknown-command). */
#define CORRALD_DISK_IO_MAX 64
void corrald_query_disk_io(const struct corrald *d, const struct corrald_vm *vm,
                           char (*io)[CORRALD_DISK_IO_MAX], size_t n);
/* The VMM's reply to "disk N" as "IO, ENGINE" in out.  Returns 0, or -1
 * (an error reply, or not the JSON it should be: out is then ""). */
int corrald_disk_io_text(const char *reply, char *out, size_t len);

/* corrald_monitor.c: the process between corrald and each VMM. */
void corrald_exec_monitor(const struct corrald *d, const struct corrald_vm *vm)
    __attribute__((noreturn));
/* main() of a process whose argv[0] is CORRALD_MONITOR_NAME. */
int corrald_monitor_main(int argc, char **argv);
bool corrald_is_monitor_of(pid_t pid, const char *name);

/* corrald_console.c: the VMM console connection, log and attached client. */
void corrald_console_connect(struct corrald *d, struct corrald_vm *vm);
void corrald_console_close(struct corrald_vm *vm);
void corrald_console_from_vm(struct corrald *d, struct corrald_vm *vm);
void corrald_console_from_client(struct corrald_client *c);
void corrald_console_attach(struct corrald *d, struct corrald_vm *vm,
                            struct corrald_client *c);

/* corrald_vnc.c: sends the first byte of text with fd attached (the rest
 * follows as usual); 0 or -EPIPE. */
int corrald_send_with_fd(int sock, const char *text, size_t len, int fd);

/* corrald_image.c: the raw bytes of an upload (see image.upload). */
void corrald_upload_feed(struct corrald_client *c, const char *data, size_t n);
void corrald_upload_abort(struct corrald_client *c);

/* corrald_cmd.c: one request, one reply. */
void corrald_handle_request(struct corrald *d, struct corrald_client *c,
                            const char *line, size_t len);
void corrald_send_reply(struct corrald_client *c, struct json_writer *w);
void corrald_client_close(struct corrald_client *c);

/* corrald_server.c */
int corrald_init(struct corrald *d, char *why, size_t why_len);
int corrald_loop(struct corrald *d);

#endif
