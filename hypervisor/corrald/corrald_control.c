/* corrald_control: corrald as a client of each VMM's control socket,
 * RUN/vms/NAME/control.sock (corral-vmm --control, given by the monitor).
 * Requests are short and synchronous: the VMM answers from its main loop
 * at once (a pause waits at most 2 s for the vCPUs), and a VMM that does
 * not answer within CORRALD_CONTROL_TIMEOUT_MS is treated as having no
 * control socket, so corrald's loop is never held long. */
#include "corrald.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control_conn.h"
#include "control_proto.h"

#define CORRALD_CONTROL_TIMEOUT_MS 3000

/* cmd, with passed_fd (>= 0) attached. */
static int corrald_vmm_control_fd(const struct corrald *d, const struct corrald_vm *vm,
                                  const char *cmd, int passed_fd, char *reply,
                                  size_t len)
{
    char path[CORRALD_PATH_MAX];
    corrald_run_path(d, vm->name, CORRALD_CONTROL_SOCKET, path, sizeof(path));
    int rc = control_conn_call_fd(path, cmd, passed_fd, CORRALD_CONTROL_TIMEOUT_MS,
                                  reply, len);
    if (rc < 0)
        snprintf(reply, len, "no answer on %s: %s", path,
                 rc == -ENOENT ? "no control socket (a VMM started by an "
                                 "older corrald?)" : strerror(-rc));
    return rc;
}

int corrald_vmm_control(const struct corrald *d, const struct corrald_vm *vm,
                        const char *cmd, char *reply, size_t len)
{
    return corrald_vmm_control_fd(d, vm, cmd, -1, reply, len);
}

/* The VMM's reply "error CODE: message" as the protocol's error code. */
static const char *corrald_control_code(const char *reply)
{
    static const struct { const char *vmm, *proto; } codes[] = {
        { CONTROL_E_STATE, PROTO_E_STATE },     { CONTROL_E_BUSY, PROTO_E_STATE },
        { CONTROL_E_NO_DEVICE, PROTO_E_NOT_FOUND },
        { CONTROL_E_BAD_REQUEST, PROTO_E_INVALID },
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        size_t n = strlen(codes[i].vmm);
        if (strncmp(reply, "error ", 6) == 0 && strncmp(reply + 6, codes[i].vmm, n) == 0 &&
            reply[6 + n] == ':')
            return codes[i].proto;
    }
    return PROTO_E_IO;
}

static int corrald_require_running(const struct corrald_vm *vm, const char **code,
                                   char *why, size_t why_len)
{
    if (vm->state == CORRALD_VM_RUNNING)
        return 0;
    *code = PROTO_E_STATE;
    snprintf(why, why_len, "%s is %s", vm->name, corrald_vm_state_name(vm));
    return -EBUSY;
}

/* Send line to vm's VMM; on an error reply or none, the protocol's code
 * and the VMM's message. */
static int corrald_control_request(struct corrald *d, struct corrald_vm *vm,
                                   const char *line, int passed_fd, const char **code,
                                   char *why, size_t why_len)
{
    char reply[CONTROL_REPLY_MAX];
    int rc = corrald_vmm_control_fd(d, vm, line, passed_fd, reply, sizeof(reply));
    if (rc == 0)
        return 0;
    *code = rc > 0 ? corrald_control_code(reply) : PROTO_E_IO;
    snprintf(why, why_len, "%s: %s", vm->name,
             rc > 0 && strlen(reply) > 6 ? reply + 6 : reply);
    return -EIO;
}

int corrald_pause_vm(struct corrald *d, struct corrald_vm *vm, bool pause,
                     const char **code, char *why, size_t why_len)
{
    int rc = corrald_require_running(vm, code, why, why_len);
    if (rc == 0)
        rc = corrald_control_request(d, vm, pause ? "pause" : "resume", -1, code,
                                     why, why_len);
    if (rc < 0)
        return rc;
    vm->paused = pause;
    corrald_log("%s: %s", vm->name, pause ? "paused" : "resumed");
    return 0;
}

int corrald_cdrom_vm(struct corrald *d, struct corrald_vm *vm, unsigned drive,
                     const char *iso, const char **code, char *why, size_t why_len)
{
    char line[CONTROL_LINE_MAX + 1];
    int rc = corrald_require_running(vm, code, why, why_len);
    if (rc == 0 && control_cdrom_line(line, sizeof(line), drive, iso, why, why_len) < 0) {
        *code = PROTO_E_INVALID;
        rc = -EINVAL;
    }
    /* corrald opens the image, with its rights, and hands it over: a jailed
     * VMM opens no file */
    int iso_fd = -1;
    if (rc == 0 && iso && (iso_fd = open(iso, O_RDONLY | O_CLOEXEC)) < 0) {
        *code = PROTO_E_INVALID; /* as the VMM's own refusal was */
        snprintf(why, why_len, "%s: %s", iso, strerror(errno));
        rc = -errno;
    }
    if (rc == 0)
        rc = corrald_control_request(d, vm, line, iso_fd, code, why, why_len);
    if (iso_fd >= 0)
        close(iso_fd);
    if (rc < 0)
        return rc;
    corrald_log("%s: CD-ROM drive %u: %s%s", vm->name, drive,
                iso ? "inserted " : "medium ejected", iso ? iso : "");
    return 0;
}

int corrald_disk_io_text(const char *reply, char *out, size_t len)
{
    struct json_doc doc;
    const char *io = NULL, *engine = NULL;
    out[0] = '\0';
    if (strncmp(reply, "ok {", 4) != 0)
        return -1;
    if (json_parse(reply + 3, strlen(reply + 3), &doc, NULL, 0) == 0) {
        io = json_get_string(&doc, json_root(&doc), "io");
        engine = json_get_string(&doc, json_root(&doc), "engine");
        if (io && engine)
            snprintf(out, len, "%s, %s", io, engine);
    }
    json_doc_free(&doc);
    return out[0] ? 0 : -1;
}

void corrald_query_disk_io(const struct corrald *d, const struct corrald_vm *vm,
                           char (*io)[CORRALD_DISK_IO_MAX], size_t n)
{
    for (size_t i = 0; i < n; i++)
        io[i][0] = '\0';
    if (vm->state != CORRALD_VM_RUNNING || n == 0)
        return;
    char path[CORRALD_PATH_MAX];
    corrald_run_path(d, vm->name, CORRALD_CONTROL_SOCKET, path, sizeof(path));
    int fd = control_conn_open(path, CORRALD_CONTROL_TIMEOUT_MS);
    if (fd < 0)
        return;
    /* The first error reply or none ends it: an older VMM answers
     * unknown-command, and one that does not answer is not asked again. */
    for (size_t i = 0; i < n; i++) {
        char line[32], reply[CONTROL_REPLY_MAX];
        snprintf(line, sizeof(line), "disk %zu", i);
        if (control_conn_request(fd, line, reply, sizeof(reply)) != 0 ||
            corrald_disk_io_text(reply, io[i], sizeof(io[i])) < 0)
            break;
    }
    close(fd);
}

/* After a corrald restart: is the adopted VM paused? */
void corrald_query_paused(struct corrald *d, struct corrald_vm *vm)
{
    char reply[CONTROL_REPLY_MAX];
    vm->paused = corrald_vmm_control(d, vm, "status", reply, sizeof(reply)) == 0 &&
                 strstr(reply, "\"state\":\"paused\"") != NULL;
}
