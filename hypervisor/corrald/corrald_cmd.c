/* corrald_cmd: the protocol's commands (docs/protocol.md), one handler each.
 * A handler writes exactly one reply: data on success, an error otherwise. */
#include "corrald_cmd.h"

#include "control_proto.h"
#include "corrald_host.h"
#include "cpustat.h"
#include "nvram_file.h"
#include "runcmd.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef void (*corrald_cmd_fn)(struct corrald_request *r);

void corrald_fail(struct corrald_request *r, const char *code, const char *message)
{
    json_writer_free(r->w);
    json_writer_init(r->w, PROTO_MAX_REPLY);
    proto_error_reply(r->w, code, "%s", message);
}

struct corrald_vm *corrald_arg_vm(struct corrald_request *r)
{
    const char *name = proto_arg_string(&r->req, "name");
    char msg[128];
    if (!name) {
        corrald_fail(r, PROTO_E_INVALID, "missing argument \"name\"");
        return NULL;
    }
    struct corrald_vm *vm = corrald_find_vm(r->d, name);
    if (!vm) {
        snprintf(msg, sizeof(msg), "no VM called '%.40s'", name);
        corrald_fail(r, PROTO_E_NOT_FOUND, msg);
    }
    return vm;
}

static void corrald_reply_vm(struct corrald_request *r, const struct corrald_vm *vm)
{
    proto_begin_reply(r->w);
    corrald_write_vm_json(r->w, r->d, vm, CORRALD_VM_WHOLE);
    proto_end_reply(r->w);
}

/* ---- host ----------------------------------------------------------------- */

static void corrald_cpu_model(char *buf, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    snprintf(buf, len, "unknown");
    while (f && fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon)
            continue;
        snprintf(buf, len, "%s", colon + 2);
        buf[strcspn(buf, "\n")] = '\0';
        break;
    }
    if (f)
        fclose(f);
}

/* The IPv4 addresses of every interface but loopback, as "A/PREFIX". */
static void corrald_write_addresses(struct json_writer *w)
{
    struct ifaddrs *list, *ifa;
    json_key(w, "addresses");
    json_begin_array(w);
    if (getifaddrs(&list) == 0) {
        for (ifa = list; ifa; ifa = ifa->ifa_next) {
            char a[INET_ADDRSTRLEN], text[INET_ADDRSTRLEN + 4];
            if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET || !ifa->ifa_netmask ||
                strcmp(ifa->ifa_name, "lo") == 0)
                continue;
            inet_ntop(AF_INET, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, a, sizeof(a));
            uint32_t mask = ntohl(((struct sockaddr_in *)ifa->ifa_netmask)->sin_addr.s_addr);
            snprintf(text, sizeof(text), "%s/%d", a, __builtin_popcount(mask));
            json_begin_object(w);
            json_kv_string(w, "ifname", ifa->ifa_name);
            json_kv_string(w, "address", text);
            json_end_object(w);
        }
        freeifaddrs(list);
    }
    json_end_array(w);
}

/* CPU time since boot (the web client's sampler turns two of these into a
 * percentage), uptime and the state directory's file system. */
static void corrald_write_host_use(struct json_writer *w, const char *state_dir)
{
    char text[4096], name[256] = "";
    struct cpu_sample cpu = { 0, 0 };
    struct sysinfo si;
    struct statvfs fs;
    FILE *f = fopen("/proc/stat", "r");
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    cpu_sample_parse(text, &cpu);
    gethostname(name, sizeof(name) - 1);
    json_kv_string(w, "hostname", name);
    json_kv_int(w, "uptime_s", sysinfo(&si) == 0 ? (int64_t)si.uptime : 0);
    json_kv_int(w, "cpu_busy_ticks", (int64_t)cpu.busy);
    json_kv_int(w, "cpu_total_ticks", (int64_t)cpu.total);
    if (statvfs(state_dir, &fs) == 0) {
        json_kv_int(w, "storage_total_bytes", (int64_t)(fs.f_blocks * fs.f_frsize));
        json_kv_int(w, "storage_used_bytes",
                    (int64_t)((fs.f_blocks - fs.f_bfree) * fs.f_frsize));
    }
    corrald_write_addresses(w);
}

/* host.reboot and host.shutdown: init's reboot and poweroff, which stop
 * the VMs (rc.shutdown) first; the reply goes out before that starts. */
static void corrald_host_power(struct corrald_request *r, const char *command)
{
    const char *argv[] = { command, NULL };
    char out[512], msg[600];
    int rc = run_command(argv, NULL, out, sizeof(out), 10000);
    if (rc != 0) {
        snprintf(msg, sizeof(msg), "%s failed (%d): %s", command, rc, out);
        corrald_fail(r, PROTO_E_IO, msg);
        return;
    }
    corrald_log("host %s requested", command);
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_kv_string(r->w, "action", command);
    json_end_object(r->w);
    proto_end_reply(r->w);
}

static void corrald_cmd_host_reboot(struct corrald_request *r)
{
    corrald_host_power(r, "reboot");
}

static void corrald_cmd_host_shutdown(struct corrald_request *r)
{
    corrald_host_power(r, "poweroff");
}

static void corrald_cmd_host_info(struct corrald_request *r)
{
    struct corrald_meminfo mi = { 0, 0 };
    char model[128];
    size_t running = 0;
    corrald_meminfo_read(r->d->cfg.meminfo_path, &mi);
    corrald_cpu_model(model, sizeof(model));
    for (size_t i = 0; i < r->d->vm_count; i++)
        running += r->d->vms[i]->state == CORRALD_VM_RUNNING;
    uint64_t committed = corrald_committed_mib(r->d);
    struct json_writer *w = r->w;
    proto_begin_reply(w);
    json_begin_object(w);
    json_kv_string(w, "version", CORRAL_VERSION);
    json_kv_int(w, "cpus", sysconf(_SC_NPROCESSORS_ONLN));
    json_kv_string(w, "cpu_model", model);
    json_kv_int(w, "memory_total_mib", (int64_t)mi.total_mib);
    json_kv_int(w, "memory_available_mib", (int64_t)mi.available_mib);
    json_kv_int(w, "memory_reserve_mib", (int64_t)r->d->cfg.memory_reserve_mib);
    json_kv_int(w, "memory_committed_mib", (int64_t)committed);
    json_kv_int(w, "memory_free_for_vms_mib",
                (int64_t)corrald_memory_free_for_vms(
                    mi.total_mib, r->d->cfg.memory_reserve_mib, committed));
    json_kv_bool(w, "kvm", access("/dev/kvm", R_OK | W_OK) == 0);
    json_kv_int(w, "vms", (int64_t)r->d->vm_count);
    json_kv_int(w, "vms_running", (int64_t)running);
    corrald_write_host_use(w, r->d->cfg.state_dir);
    json_end_object(w);
    proto_end_reply(w);
}

/* ---- listing -------------------------------------------------------------- */

static int corrald_compare_vms(const void *a, const void *b)
{
    const struct corrald_vm *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static void corrald_cmd_vm_list(struct corrald_request *r)
{
    struct corrald *d = r->d;
    qsort(d->vms, d->vm_count, sizeof(d->vms[0]), corrald_compare_vms);
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_key(r->w, "vms");
    json_begin_array(r->w);
    for (size_t i = 0; i < d->vm_count; i++)
        corrald_write_vm_json(r->w, d, d->vms[i], CORRALD_VM_ROW);
    json_end_array(r->w);
    json_end_object(r->w);
    proto_end_reply(r->w);
}

static void corrald_cmd_vm_show(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    if (!vm)
        return;
    proto_begin_reply(r->w);
    corrald_write_vm_json(r->w, r->d, vm, CORRALD_VM_SHOW);
    proto_end_reply(r->w);
}

/* ---- definitions ---------------------------------------------------------- */

/* Applies args.config ("key=value" strings) to def; list keys named there
 * replace their old entries when replace_lists is set. */
static int corrald_apply_config(struct corrald_request *r, struct vmdef *def,
                                const char *base_dir, bool replace_lists)
{
    const struct json_node *list = proto_arg(&r->req, "config");
    char msg[512], why[300];
    bool cleared_disks = false, cleared_nics = false;
    if (list && list->type != JSON_ARRAY) {
        corrald_fail(r, PROTO_E_INVALID, "\"config\" must be an array of strings");
        return -EINVAL;
    }
    for (const struct json_node *n = json_first(&r->req.doc, list); n;
         n = json_next(&r->req.doc, n)) {
        const char *eq = n->type == JSON_STRING ? strchr(n->string, '=') : NULL;
        if (!eq) {
            corrald_fail(r, PROTO_E_INVALID, "config items are \"key=value\" strings");
            return -EINVAL;
        }
        char key[CONF_MAX_KEY];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - n->string), n->string);
        if (replace_lists && !strcmp(key, "disk") && !cleared_disks) {
            def->disk_count = 0;
            cleared_disks = true;
        }
        if (replace_lists && !strcmp(key, "nic") && !cleared_nics) {
            def->nic_count = 0;
            cleared_nics = true;
        }
        if (!strcmp(key, "name") && strcmp(eq + 1, def->name) != 0) {
            corrald_fail(r, PROTO_E_INVALID, "name: a VM cannot be renamed");
            return -EINVAL;
        }
        if (vmdef_set_key(def, key, eq + 1, base_dir, why, sizeof(why)) < 0) {
            snprintf(msg, sizeof(msg), "%s: %s", key, why);
            corrald_fail(r, PROTO_E_INVALID, msg);
            return -EINVAL;
        }
    }
    return 0;
}

int corrald_write_def(struct corrald_request *r, const struct vmdef *def)
{
    char path[CORRALD_PATH_MAX], why[300], msg[700];
    struct conf_error err;
    if (vmdef_check(def, why, sizeof(why)) < 0) {
        corrald_fail(r, PROTO_E_INVALID, why);
        return -EINVAL;
    }
    /* Every file the definition names, checked when it is made or changed
     * (create, edit, disk create) with the words `vm start` would use, so
     * that a typo is found at once and not at the next start. */
    if (vmdef_check_files(def, NULL, &err) < 0) {
        conf_error_format(&err, why, sizeof(why));
        corrald_fail(r, PROTO_E_INVALID, why);
        return -EINVAL;
    }
    struct conf c;
    conf_init(&c);
    int rc = vmdef_to_conf(def, &c);
    corrald_vm_path(r->d, def->name, "vm.conf", path, sizeof(path));
    if (rc == 0)
        rc = conf_write_atomic(path, &c, 0600);
    conf_free(&c);
    if (rc < 0) {
        snprintf(msg, sizeof(msg), "%s: %s", path, strerror(-rc));
        corrald_fail(r, PROTO_E_IO, msg);
    }
    return rc;
}

int corrald_create_sparse(const char *path, uint64_t size, char *why, size_t why_len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc = fd < 0 || ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
    if (fd >= 0)
        close(fd);
    if (rc < 0 && fd >= 0)
        unlink(path);
    if (rc < 0)
        snprintf(why, why_len, "%s: %s", path, strerror(-rc));
    return rc;
}

/* Creates DIR/root.img, sparse, of args.disk_size ("SIZE" or
 * "SIZE,DISK-OPTIONS", e.g. "40G,bus=sata"); adds it as disk 1 with those
 * options, which the definition's parser checks like any disk's. */
static int corrald_create_root_disk(struct corrald_request *r, struct vmdef *def,
                                    const char *dir)
{
    const char *arg = proto_arg_string(&r->req, "disk_size");
    char size_text[32], path[CORRALD_PATH_MAX + 16], disk[CORRALD_PATH_MAX + 80];
    char why[CORRALD_PATH_MAX + 100];
    uint64_t size;
    if (!arg)
        return 0;
    const char *options = strchr(arg, ',');
    size_t size_len = options ? (size_t)(options - arg) : strlen(arg);
    snprintf(size_text, sizeof(size_text), "%.*s", (int)size_len, arg);
    if (size_len >= sizeof(size_text) ||
        conf_parse_size(size_text, (uint64_t)1 << 30, &size) < 0 || size == 0 ||
        size % 512) {
        corrald_fail(r, PROTO_E_INVALID,
                     "disk_size: not a size that is a multiple of 512 (e.g. 20G)");
        return -EINVAL;
    }
    snprintf(path, sizeof(path), "%s/root.img", dir);
    snprintf(disk, sizeof(disk), "%s%s", path, options ? options : "");
    int rc = vmdef_set_key(def, "disk", disk, NULL, why, sizeof(why));
    if (rc < 0) { /* a bad option: refused before anything is made */
        char msg[sizeof(why) + 16];
        snprintf(msg, sizeof(msg), "disk: %s", why);
        corrald_fail(r, PROTO_E_INVALID, msg);
        return rc;
    }
    rc = corrald_create_sparse(path, size, why, sizeof(why));
    if (rc < 0)
        corrald_fail(r, PROTO_E_IO, why);
    return rc;
}

/* boot = uefi and no nvram named: the VM's own DIR/nvram.fd, made from
 * the variables template (OVMF_VARS_4M.fd) unless it is there already (a
 * VM switched back to UEFI keeps its variables), then the definition is
 * written; a file made here is removed again when the definition is
 * refused.  A VM leaving boot = uefi drops its own nvram.fd from the
 * definition (the file stays for its return).  0, or -errno after the
 * error reply. */
static int corrald_write_def_with_nvram(struct corrald_request *r,
                                        struct vmdef *def, const char *dir)
{
    char path[CORRALD_PATH_MAX + 16], why[CORRALD_PATH_MAX * 2 + 200];
    bool made = false;
    snprintf(path, sizeof(path), "%s/%s", dir, CORRALD_NVRAM_FILE);
    if (def->boot != VMDEF_BOOT_UEFI && !strcmp(def->nvram, path))
        def->nvram[0] = '\0';
    if (def->boot == VMDEF_BOOT_UEFI && !def->nvram[0]) {
        if (access(path, F_OK) != 0) {
            int rc = nvram_file_create(r->d->cfg.uefi_vars_path, path, why,
                                       sizeof(why));
            if (rc < 0) {
                corrald_fail(r, rc == -EINVAL ? PROTO_E_INVALID : PROTO_E_IO, why);
                return rc;
            }
            made = true;
        }
        snprintf(def->nvram, sizeof(def->nvram), "%s", path);
    }
    int rc = corrald_write_def(r, def);
    if (rc < 0 && made)
        unlink(path);
    return rc;
}

/* Refuses a bad or taken name (also one whose vm.conf exists without
 * corrald knowing it yet) and a full table; false after an error reply. */
static bool corrald_name_available(struct corrald_request *r, const char *name)
{
    char conf_path[CORRALD_PATH_MAX], msg[CORRALD_PATH_MAX + 64];
    if (!name || !vmdef_name_valid(name)) {
        corrald_fail(r, PROTO_E_INVALID, "name: 1-32 letters, digits or '-', "
                                         "starting with a letter or digit");
        return false;
    }
    corrald_vm_path(r->d, name, "vm.conf", conf_path, sizeof(conf_path));
    if (corrald_find_vm(r->d, name) || access(conf_path, F_OK) == 0) {
        snprintf(msg, sizeof(msg), "a VM called '%s' exists already", name);
        corrald_fail(r, PROTO_E_EXISTS, msg);
        return false;
    }
    if (r->d->vm_count == CORRALD_MAX_VMS) {
        corrald_fail(r, PROTO_E_INVALID, "too many VMs");
        return false;
    }
    return true;
}

/* The definition of a new VM: its console on corrald's socket, the root
 * disk asked for, then args.config; written to DIR/vm.conf. */
static int corrald_create_definition(struct corrald_request *r, const char *name,
                                     const char *dir, struct vmdef *def)
{
    char sock[CORRALD_PATH_MAX], serial[CORRALD_PATH_MAX + 8], why[200];
    vmdef_init(def);
    snprintf(def->name, sizeof(def->name), "%s", name);
    corrald_run_path(r->d, name, "console.sock", sock, sizeof(sock));
    snprintf(serial, sizeof(serial), "unix:%s", sock);
    if (vmdef_set_key(def, "serial", serial, NULL, why, sizeof(why)) < 0) {
        corrald_fail(r, PROTO_E_INVALID, why); /* a run dir path too long */
        return -EINVAL;
    }
    int rc = corrald_create_root_disk(r, def, dir);
    if (rc < 0)
        return rc;
    rc = corrald_apply_config(r, def, dir, false);
    if (rc == 0)
        rc = corrald_write_def_with_nvram(r, def, dir);
    if (rc < 0 && proto_arg_string(&r->req, "disk_size")) {
        char disk[CORRALD_PATH_MAX + 16];
        snprintf(disk, sizeof(disk), "%s/root.img", dir);
        unlink(disk); /* made above, for this VM only */
    }
    return rc;
}

static void corrald_cmd_vm_create(struct corrald_request *r)
{
    const char *name = proto_arg_string(&r->req, "name");
    char dir[CORRALD_PATH_MAX], msg[CORRALD_PATH_MAX + 100];
    static struct vmdef def;
    if (!corrald_name_available(r, name))
        return;
    corrald_vm_path(r->d, name, NULL, dir, sizeof(dir));
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(msg, sizeof(msg), "%s: %s", dir, strerror(errno));
        corrald_fail(r, PROTO_E_IO, msg);
        return;
    }
    if (corrald_create_definition(r, name, dir, &def) < 0) {
        rmdir(dir); /* stays if it holds kept disks */
        return;
    }
    struct corrald_vm *vm = corrald_add_vm(r->d, name);
    if (!vm) {
        corrald_fail(r, PROTO_E_INTERNAL, "out of memory");
        return;
    }
    vm->def = def;
    corrald_log("%s: created", name);
    corrald_reply_vm(r, vm);
}

static void corrald_cmd_vm_edit(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    char dir[CORRALD_PATH_MAX], why[600];
    if (!vm)
        return;
    if (corrald_load_def(r->d, vm, why, sizeof(why)) < 0) {
        corrald_fail(r, PROTO_E_INVALID, why);
        return;
    }
    static struct vmdef def;
    def = vm->def;
    corrald_vm_path(r->d, vm->name, NULL, dir, sizeof(dir));
    if (corrald_apply_config(r, &def, dir, true) < 0 ||
        corrald_write_def_with_nvram(r, &def, dir) < 0)
        return;
    vm->def = def;
    corrald_reply_vm(r, vm);
}

/* ---- lifecycle ------------------------------------------------------------ */

static void corrald_cmd_vm_start(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    const char *code;
    char why[700];
    if (!vm)
        return;
    vm->restart_state.quick_failures = 0;
    if (corrald_start_vm(r->d, vm, &code, why, sizeof(why)) < 0) {
        corrald_fail(r, code, why);
        return;
    }
    corrald_reply_vm(r, vm);
}

static unsigned corrald_arg_timeout(struct corrald_request *r,
                                    const struct corrald_vm *vm)
{
    long long t;
    if (proto_arg_int(&r->req, "timeout", &t) && t >= 0 && t <= VMDEF_MAX_STOP_TIMEOUT)
        return (unsigned)t;
    return vm->def.stop_timeout_s;
}

static bool corrald_require_alive(struct corrald_request *r, struct corrald_vm *vm)
{
    char msg[128];
    if (vm->state == CORRALD_VM_RUNNING || vm->state == CORRALD_VM_STOPPING ||
        vm->state == CORRALD_VM_RESTARTING)
        return true;
    snprintf(msg, sizeof(msg), "%s is %s", vm->name, corrald_vm_state_name(vm));
    corrald_fail(r, PROTO_E_STATE, msg);
    return false;
}

static void corrald_cmd_vm_stop(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    if (!vm || !corrald_require_alive(r, vm))
        return;
    corrald_stop_vm(r->d, vm, corrald_arg_timeout(r, vm));
    if (vm->state == CORRALD_VM_STOPPED)
        corrald_record_stop(vm, "stopped by request while waiting to restart");
    corrald_reply_vm(r, vm);
}

static void corrald_cmd_vm_kill(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    if (!vm || !corrald_require_alive(r, vm))
        return;
    corrald_kill_vm(vm);
    corrald_reply_vm(r, vm);
}

/* vm.pause / vm.resume: through the VMM's control socket. */
static void corrald_pause_cmd(struct corrald_request *r, bool pause)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    const char *code;
    char why[384];
    if (!vm)
        return;
    if (corrald_pause_vm(r->d, vm, pause, &code, why, sizeof(why)) < 0)
        corrald_fail(r, code, why);
    else
        corrald_reply_vm(r, vm);
}

static void corrald_cmd_vm_pause(struct corrald_request *r)
{
    corrald_pause_cmd(r, true);
}

static void corrald_cmd_vm_resume(struct corrald_request *r)
{
    corrald_pause_cmd(r, false);
}

/* vm.cdrom {name, action: "eject"|"insert", iso (insert), drive (default 0)} */
static void corrald_cmd_vm_cdrom(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    const char *action = proto_arg_string(&r->req, "action");
    const char *iso = proto_arg_string(&r->req, "iso"), *code;
    long long drive = 0;
    char why[384];
    if (!vm)
        return;
    bool insert = action && !strcmp(action, "insert");
    const char *bad = NULL;
    if (!insert && !(action && !strcmp(action, "eject")))
        bad = "action: eject or insert";
    else if (insert != (iso != NULL))
        bad = "iso: needed by insert, and only by it";
    else if (proto_arg_int(&r->req, "drive", &drive) &&
             (drive < 0 || drive > CONTROL_DRIVE_MAX))
        bad = "drive: 0 to 99";
    if (bad)
        corrald_fail(r, PROTO_E_INVALID, bad);
    else if (corrald_cdrom_vm(r->d, vm, (unsigned)drive, iso, &code, why, sizeof(why)) < 0)
        corrald_fail(r, code, why);
    else
        corrald_reply_vm(r, vm);
}

static void corrald_cmd_vm_restart(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    if (!vm)
        return;
    if (vm->state != CORRALD_VM_RUNNING && vm->state != CORRALD_VM_STOPPING) {
        corrald_cmd_vm_start(r);
        return;
    }
    corrald_stop_vm(r->d, vm, corrald_arg_timeout(r, vm));
    vm->restart_after_stop = true;
    corrald_reply_vm(r, vm);
}

/* Removes path if it is inside dir (never an image kept elsewhere). */
static void corrald_delete_own_file(struct json_writer *w, const char *dir,
                                    const char *path)
{
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) != 0 || path[n] != '/' || strchr(path + n + 1, '/'))
        return;
    if (unlink(path) == 0)
        json_string(w, path);
}

static void corrald_cmd_vm_delete(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    bool delete_disks = false;
    char dir[CORRALD_PATH_MAX], path[CORRALD_PATH_MAX + 16];
    static const char *const own_files[] = { "vm.conf", "console.log",
                                             "console.log.1", CORRALD_NVRAM_FILE };
    if (!vm)
        return;
    if (vm->state == CORRALD_VM_RUNNING || vm->state == CORRALD_VM_STOPPING) {
        snprintf(path, sizeof(path), "%s is %s; stop it first", vm->name,
                 corrald_state_name(vm->state));
        corrald_fail(r, PROTO_E_STATE, path);
        return;
    }
    proto_arg_bool(&r->req, "delete_disks", &delete_disks);
    corrald_vm_path(r->d, vm->name, NULL, dir, sizeof(dir));
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_kv_string(r->w, "name", vm->name);
    json_key(r->w, "deleted_files");
    json_begin_array(r->w);
    for (size_t i = 0; delete_disks && i < vm->def.disk_count; i++)
        corrald_delete_own_file(r->w, dir, vm->def.disks[i].path);
    for (size_t i = 0; i < sizeof(own_files) / sizeof(own_files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, own_files[i]);
        corrald_delete_own_file(r->w, dir, path);
    }
    json_end_array(r->w);
    json_end_object(r->w);
    proto_end_reply(r->w);
    rmdir(dir); /* stays when kept disks are in it */
    corrald_log("%s: deleted", vm->name);
    corrald_remove_vm(r->d, vm);
}

static void corrald_cmd_vm_console(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    char msg[128];
    if (!vm)
        return;
    if (vm->def.serial != VMDEF_SERIAL_UNIX) {
        snprintf(msg, sizeof(msg), "%s's console is not a unix socket "
                                   "(serial = unix:PATH), corrald cannot attach",
                 vm->name);
        corrald_fail(r, PROTO_E_INVALID, msg);
        return;
    }
    if (vm->state != CORRALD_VM_RUNNING) {
        snprintf(msg, sizeof(msg), "%s is %s", vm->name, corrald_state_name(vm->state));
        corrald_fail(r, PROTO_E_STATE, msg);
        return;
    }
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_kv_string(r->w, "name", vm->name);
    json_end_object(r->w);
    proto_end_reply(r->w);
    corrald_console_attach(r->d, vm, r->client);
}

/* ---- dispatch ------------------------------------------------------------- */

static const struct {
    const char *cmd;
    corrald_cmd_fn fn;
} corrald_commands[] = {
    { "host.info", corrald_cmd_host_info }, { "vm.list", corrald_cmd_vm_list },
    { "host.reboot", corrald_cmd_host_reboot },
    { "host.shutdown", corrald_cmd_host_shutdown },
    { "vm.show", corrald_cmd_vm_show },     { "vm.create", corrald_cmd_vm_create },
    { "vm.edit", corrald_cmd_vm_edit },     { "vm.start", corrald_cmd_vm_start },
    { "vm.stop", corrald_cmd_vm_stop },     { "vm.kill", corrald_cmd_vm_kill },
    { "vm.restart", corrald_cmd_vm_restart }, { "vm.delete", corrald_cmd_vm_delete },
    { "vm.console", corrald_cmd_vm_console },
    { "vm.cdrom", corrald_cmd_vm_cdrom },
    { "vm.pause", corrald_cmd_vm_pause },   { "vm.resume", corrald_cmd_vm_resume },
    { "disk.create", corrald_cmd_disk_create },
    { "disk.resize", corrald_cmd_disk_resize },
    { "disk.list", corrald_cmd_disk_list },
    { "vm.log", corrald_cmd_vm_log },
    { "vm.vnc", corrald_cmd_vm_vnc },
    { "image.list", corrald_cmd_image_list },
    { "image.delete", corrald_cmd_image_delete },
    { "image.upload", corrald_cmd_image_upload },
};

static void corrald_dispatch(struct corrald_request *r)
{
    for (size_t i = 0; i < sizeof(corrald_commands) / sizeof(corrald_commands[0]); i++) {
        if (strcmp(r->req.cmd, corrald_commands[i].cmd) == 0) {
            corrald_commands[i].fn(r);
            return;
        }
    }
    char msg[128];
    snprintf(msg, sizeof(msg), "unknown command '%.40s'", r->req.cmd);
    corrald_fail(r, PROTO_E_UNKNOWN_COMMAND, msg);
}

void corrald_handle_request(struct corrald *d, struct corrald_client *c,
                            const char *line, size_t len)
{
    struct json_writer w;
    struct corrald_request r;
    memset(&r, 0, sizeof(r));
    r.d = d;
    r.client = c;
    r.w = &w;
    const char *code;
    char why[256];
    json_writer_init(&w, PROTO_MAX_REPLY);
    if (proto_decode_request(line, len, &r.req, &code, why, sizeof(why)) < 0)
        proto_error_reply(&w, code, "%s", why);
    else
        corrald_dispatch(&r);
    proto_request_free(&r.req);
    corrald_send_reply(c, &w);
    json_writer_free(&w);
}
