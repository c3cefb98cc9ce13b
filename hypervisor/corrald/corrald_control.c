/* corrald_control: corrald as a client of each VMM's control socket,
 * RUN/vms/NAME/control.sock (corral-vmm --control, given by the monitor).
 * Requests are short and synchronous: the VMM answers from its main loop
 * at once (a pause waits at most 2 s for the vCPUs), and a VMM that does
 * not answer within CORRALD_CONTROL_TIMEOUT_MS is treated as having no
 * control socket, so corrald's loop is never held long. */
#include "corrald.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control_conn.h"
#include "control_proto.h"

#define CORRALD_CONTROL_TIMEOUT_MS 3000

int corrald_vmm_control(const struct corrald *d, const struct corrald_vm *vm,
                        const char *cmd, char *reply, size_t len)
{
    char path[CORRALD_PATH_MAX];
    corrald_run_path(d, vm->name, CORRALD_CONTROL_SOCKET, path, sizeof(path));
    int rc = control_conn_call(path, cmd, CORRALD_CONTROL_TIMEOUT_MS, reply, len);
    if (rc < 0)
        snprintf(reply, len, "no answer on %s: %s", path,
                 rc == -ENOENT ? "no control socket (a VMM started by an "
                                 "older corrald?)" : strerror(-rc));
    return rc;
}

/* The VMM's reply "error CODE: message" as the protocol's error code. */
static const char *corrald_control_code(const char *reply)
{
    static const char prefix[] = "error " CONTROL_E_STATE ":";
    return strncmp(reply, prefix, sizeof(prefix) - 1) == 0 ? PROTO_E_STATE
                                                          : PROTO_E_IO;
}

int corrald_pause_vm(struct corrald *d, struct corrald_vm *vm, bool pause,
                     const char **code, char *why, size_t why_len)
{
    char reply[CONTROL_REPLY_MAX];
    if (vm->state != CORRALD_VM_RUNNING) {
        *code = PROTO_E_STATE;
        snprintf(why, why_len, "%s is %s", vm->name, corrald_vm_state_name(vm));
        return -EBUSY;
    }
    int rc = corrald_vmm_control(d, vm, pause ? "pause" : "resume", reply,
                                 sizeof(reply));
    if (rc != 0) {
        *code = rc > 0 ? corrald_control_code(reply) : PROTO_E_IO;
        snprintf(why, why_len, "%s: %s", vm->name,
                 rc > 0 && strlen(reply) > 6 ? reply + 6 : reply);
        return -EIO;
    }
    vm->paused = pause;
    corrald_log("%s: %s", vm->name, pause ? "paused" : "resumed");
    return 0;
}

/* After a corrald restart: is the adopted VM paused? */
void corrald_query_paused(struct corrald *d, struct corrald_vm *vm)
{
    char reply[CONTROL_REPLY_MAX];
    vm->paused = corrald_vmm_control(d, vm, "status", reply, sizeof(reply)) == 0 &&
                 strstr(reply, "\"state\":\"paused\"") != NULL;
}
