/* corrald_vm: the table of VMs, their paths and their JSON description. */
#include "corrald.h"
#include "corrald_cgroup.h"
#include "corrald_cgroup_io.h"
#include "clock.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void corrald_log(const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "corrald: %s\n", msg);
}

void corrald_vm_path(const struct corrald *d, const char *name, const char *file,
                     char *buf, size_t len)
{
    snprintf(buf, len, "%s/vms/%s%s%s", d->cfg.state_dir, name, file ? "/" : "",
             file ? file : "");
}

void corrald_run_path(const struct corrald *d, const char *name, const char *file,
                      char *buf, size_t len)
{
    snprintf(buf, len, "%s/vms/%s%s%s", d->cfg.run_dir, name, file ? "/" : "",
             file ? file : "");
}

struct corrald_vm *corrald_find_vm(struct corrald *d, const char *name)
{
    for (size_t i = 0; i < d->vm_count; i++)
        if (strcmp(d->vms[i]->name, name) == 0)
            return d->vms[i];
    return NULL;
}

struct corrald_vm *corrald_add_vm(struct corrald *d, const char *name)
{
    if (d->vm_count == CORRALD_MAX_VMS || !vmdef_name_valid(name))
        return NULL;
    struct corrald_vm *vm = calloc(1, sizeof(*vm));
    if (!vm)
        return NULL;
    snprintf(vm->name, sizeof(vm->name), "%s", name);
    vmdef_init(&vm->def);
    corrald_run_path(d, name, "last-stop.conf", vm->last_stop_path,
                     sizeof(vm->last_stop_path));
    corrald_load_last_stop(vm);
    vm->pidfd = vm->console_fd = vm->log_fd = -1;
    d->vms[d->vm_count++] = vm;
    return vm;
}

void corrald_remove_vm(struct corrald *d, struct corrald_vm *vm)
{
    for (size_t i = 0; i < d->vm_count; i++) {
        if (d->vms[i] != vm)
            continue;
        d->vms[i] = d->vms[--d->vm_count];
        free(vm);
        return;
    }
}

int corrald_load_def(struct corrald *d, struct corrald_vm *vm, char *why,
                     size_t why_len)
{
    char path[CORRALD_PATH_MAX];
    struct conf_error err;
    static struct vmdef loaded; /* large; corrald is single-threaded */
    corrald_vm_path(d, vm->name, "vm.conf", path, sizeof(path));
    int rc = vmdef_load(path, &loaded, &err);
    if (rc == 0 && strcmp(loaded.name, vm->name) != 0)
        rc = conf_error_set(&err, path, 0,
                            "name: '%s' differs from the directory name '%s'",
                            loaded.name, vm->name);
    if (rc < 0) {
        conf_error_format(&err, why, why_len);
        return rc;
    }
    vm->def = loaded;
    return 0;
}

void corrald_scan_vms(struct corrald *d)
{
    char dir[CORRALD_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/vms", d->cfg.state_dir);
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    for (struct dirent *e; (e = readdir(dh));) {
        if (!vmdef_name_valid(e->d_name) || corrald_find_vm(d, e->d_name))
            continue;
        char conf_path[CORRALD_PATH_MAX], why[512];
        corrald_vm_path(d, e->d_name, "vm.conf", conf_path, sizeof(conf_path));
        FILE *probe = fopen(conf_path, "r");
        if (!probe)
            continue; /* a directory with kept disks but no definition */
        fclose(probe);
        struct corrald_vm *vm = corrald_add_vm(d, e->d_name);
        if (!vm) {
            corrald_log("%s: more than %d VMs; ignored", conf_path, CORRALD_MAX_VMS);
            continue;
        }
        if (corrald_load_def(d, vm, why, sizeof(why)) < 0)
            corrald_log("%s", why); /* listed; start reports it again */
    }
    closedir(dh);
}

uint64_t corrald_committed_mib(const struct corrald *d)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < d->vm_count; i++) {
        const struct corrald_vm *vm = d->vms[i];
        if (vm->state == CORRALD_VM_RUNNING || vm->state == CORRALD_VM_STOPPING ||
            vm->state == CORRALD_VM_RESTARTING)
            sum += vm->committed_mib;
    }
    return sum;
}

const char *corrald_state_name(enum corrald_vm_state s)
{
    static const char *const names[] = { "stopped", "running", "stopping",
                                         "restarting", "failed" };
    return names[s];
}

const char *corrald_vm_state_name(const struct corrald_vm *vm)
{
    if (vm->state == CORRALD_VM_RUNNING && vm->paused)
        return "paused";
    return corrald_state_name(vm->state);
}

/* Kept in RUN so that a restarted corrald still knows (until reboot). */
static void corrald_save_last_stop(const struct corrald_vm *vm)
{
    struct conf c;
    char number[32];
    conf_init(&c);
    conf_set(&c, "reason", vm->last_stop);
    snprintf(number, sizeof(number), "%d", (int)vm->last_exit.end);
    conf_set(&c, "end", number);
    snprintf(number, sizeof(number), "%d", vm->last_exit.code);
    conf_set(&c, "code", number);
    snprintf(number, sizeof(number), "%lld", (long long)vm->last_stop_at);
    conf_set(&c, "at", number);
    conf_write_atomic(vm->last_stop_path, &c, 0600);
    conf_free(&c);
}

void corrald_load_last_stop(struct corrald_vm *vm)
{
    struct conf c;
    struct conf_error err;
    uint64_t end, at;
    conf_init(&c);
    const char *reason = NULL, *code = NULL;
    if (conf_load(vm->last_stop_path, &c, &err) == 0) {
        reason = conf_get(&c, "reason");
        code = conf_get(&c, "code");
    }
    if (reason && code && conf_get(&c, "end") && conf_get(&c, "at") &&
        conf_parse_uint(conf_get(&c, "end"), 0, CORRALD_END_UNKNOWN, &end) == 0 &&
        conf_parse_uint(conf_get(&c, "at"), 0, INT64_MAX, &at) == 0) {
        snprintf(vm->last_stop, sizeof(vm->last_stop), "%s", reason);
        vm->last_exit.end = (enum corrald_end)end;
        vm->last_exit.code = atoi(code);
        vm->last_stop_at = (time_t)at;
        vm->has_last_stop = true;
    }
    conf_free(&c);
}

void corrald_record_stop(struct corrald_vm *vm, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vm->last_stop, sizeof(vm->last_stop), fmt, ap);
    va_end(ap);
    vm->has_last_stop = true;
    vm->last_stop_at = time(NULL);
    corrald_save_last_stop(vm);
}

static void corrald_write_last_stop(struct json_writer *w,
                                    const struct corrald_vm *vm)
{
    json_key(w, "last_stop");
    if (!vm->has_last_stop) {
        json_null(w);
        return;
    }
    /* Indexed by enum corrald_end: named entries, so that a new end in the
     * enum can never shift the names (a missing one is caught below). */
    static const char *const ends[] = {
        [CORRALD_END_POWEROFF] = "poweroff", [CORRALD_END_REBOOT] = "reboot",
        [CORRALD_END_CRASH] = "crash",       [CORRALD_END_VMM_ERROR] = "vmm-error",
        [CORRALD_END_NO_BOOT] = "no-boot",   [CORRALD_END_SIGNAL] = "signal",
        [CORRALD_END_FORCED] = "forced",     [CORRALD_END_UNKNOWN] = "unknown",
    };
    _Static_assert(sizeof(ends) / sizeof(ends[0]) == CORRALD_END_UNKNOWN + 1,
                   "every corrald_end needs a name");
    json_begin_object(w);
    json_kv_string(w, "reason", vm->last_stop);
    json_kv_string(w, "end", ends[vm->last_exit.end]);
    json_kv_int(w, "code", vm->last_exit.code);
    json_kv_int(w, "at", (int64_t)vm->last_stop_at);
    json_end_object(w);
}

/* io: each disk's actual I/O mode (corrald_query_disk_io), "" or NULL
 * where not known: null. */
static void corrald_write_disks(struct json_writer *w, const struct vmdef *def,
                                char (*io)[CORRALD_DISK_IO_MAX])
{
    json_key(w, "disks");
    json_begin_array(w);
    for (size_t i = 0; i < def->disk_count; i++) {
        json_begin_object(w);
        json_kv_string(w, "path", def->disks[i].path);
        json_kv_bool(w, "readonly", def->disks[i].readonly);
        json_kv_int(w, "iops", (int64_t)def->disks[i].iops);
        json_kv_int(w, "bps", (int64_t)def->disks[i].bps);
        json_kv_string(w, "bus", def->disks[i].bus == VMDEF_BUS_SATA ? "sata" : "virtio");
        json_kv_string(w, "cache", vmdef_disk_cache_name(def->disks[i].cache));
        json_key(w, "io");
        if (io && io[i][0])
            json_string(w, io[i]);
        else
            json_null(w);
        json_end_object(w);
    }
    json_end_array(w);
}

/* The CD-ROM drives as defined (what a running VM has in them now may
 * differ after `vm cdrom`): the ISO's path, or "" and empty. */
static void corrald_write_cdroms(struct json_writer *w, const struct vmdef *def)
{
    json_key(w, "cdroms");
    json_begin_array(w);
    for (size_t i = 0; i < def->cdrom_count; i++) {
        json_begin_object(w);
        json_kv_string(w, "path", def->cdroms[i].path);
        json_kv_bool(w, "empty", def->cdroms[i].path[0] == '\0');
        json_end_object(w);
    }
    json_end_array(w);
}

static void corrald_write_nics(struct json_writer *w, const struct vmdef *def)
{
    json_key(w, "nics");
    json_begin_array(w);
    for (size_t i = 0; i < def->nic_count; i++) {
        const struct vmdef_nic *nic = &def->nics[i];
        uint8_t mac[6];
        char text[18];
        if (nic->has_mac)
            memcpy(mac, nic->mac, 6);
        else
            vmdef_nic_mac(def->name, i, mac);
        vmdef_format_mac(mac, text);
        json_begin_object(w);
        json_kv_string(w, "bridge", nic->bridge);
        json_kv_string(w, "mac", text);
        json_kv_string(w, "tap", nic->tap);
        json_kv_string(w, "model", vmdef_nic_model_name(nic->model));
        json_end_object(w);
    }
    json_end_array(w);
}

static void corrald_write_definition(struct json_writer *w, const struct vmdef *def,
                                     char (*disk_io)[CORRALD_DISK_IO_MAX])
{
    static const char *const serials[] = { "stdio", "pty", "unix", "file" };
    json_key(w, "definition");
    json_begin_object(w);
    json_kv_string(w, "uuid", def->uuid);
    json_kv_string(w, "boot", vmdef_boot_name(def->boot));
    json_kv_string(w, "kernel", def->kernel);
    json_kv_string(w, "initrd", def->initrd);
    json_kv_string(w, "cmdline", def->cmdline);
    json_kv_string(w, "firmware", def->firmware);
    json_kv_string(w, "uefi_code", def->uefi_code);
    json_kv_string(w, "nvram", def->nvram);
    json_kv_bool(w, "hyperv", def->hyperv);
    corrald_write_disks(w, def, disk_io);
    corrald_write_cdroms(w, def);
    corrald_write_nics(w, def);
    json_kv_string(w, "serial", serials[def->serial]);
    json_kv_string(w, "serial_path", def->serial_path);
    /* what the VM gets, the default resolved: the CLI offers its screen */
    json_kv_string(w, "display", vmdef_has_display(def) ? "std" : "none");
    json_kv_int(w, "stop_timeout", def->stop_timeout_s);
    json_kv_int(w, "cpu_limit", def->cpu_limit);
    json_kv_int(w, "cpu_weight", def->cpu_weight);
    json_kv_bool(w, "jail", def->jail);
    json_end_object(w);
}

/* io.max as the kernel has it, one string per device, and what could not
 * be limited (null: nothing). */
static void corrald_write_io_max(struct json_writer *w, const struct corrald *d,
                                 const struct corrald_vm *vm)
{
    char group[1024], text[2048], *at = NULL;
    snprintf(group, sizeof(group), "%s/%s", d->cfg.cgroup_dir, vm->name);
    json_key(w, "io_max");
    json_begin_array(w);
    if (corrald_io_read(group, text, sizeof(text)) == 0)
        for (char *line = strtok_r(text, "\n", &at); line; line = strtok_r(NULL, "\n", &at))
            json_string(w, line);
    json_end_array(w);
    json_key(w, "io_note");
    if (vm->io_note[0])
        json_string(w, vm->io_note);
    else
        json_null(w);
}

/* Its cgroup's limits and use, read back (null: not running, or no
 * group). */
static void corrald_write_limits(struct json_writer *w, const struct corrald *d,
                                 const struct corrald_vm *vm, bool alive)
{
    struct corrald_cgroup_usage u;
    json_key(w, "limits");
    if (!alive || !vm->in_cgroup ||
        corrald_cgroup_read(d->cfg.cgroup_dir, vm->name, &u) < 0) {
        json_null(w);
        return;
    }
    json_begin_object(w);
    json_key(w, "memory_max");
    if (u.memory_max)
        json_int(w, (int64_t)u.memory_max);
    else
        json_null(w);
    json_kv_int(w, "memory_current", (int64_t)u.memory_current);
    json_kv_string(w, "cpu_max", u.cpu_max);
    json_kv_int(w, "cpu_weight", u.cpu_weight);
    json_kv_int(w, "cpu_usage_us", (int64_t)u.cpu_usage_us);
    corrald_write_io_max(w, d, vm);
    json_end_object(w);
}

void corrald_write_vm_json(struct json_writer *w, const struct corrald *d,
                           const struct corrald_vm *vm, enum corrald_vm_json what)
{
    bool alive = vm->state == CORRALD_VM_RUNNING || vm->state == CORRALD_VM_STOPPING;
    json_begin_object(w);
    json_kv_string(w, "name", vm->name);
    json_kv_string(w, "state", corrald_vm_state_name(vm));
    json_kv_int(w, "memory_mib", (int64_t)vm->def.memory_mib);
    json_kv_int(w, "cpus", vm->def.cpus);
    json_kv_bool(w, "autostart", vm->def.autostart);
    json_kv_string(w, "restart", vmdef_restart_name(vm->def.restart));
    json_kv_bool(w, "display", vmdef_has_display(&vm->def));
    json_key(w, "pid");
    if (alive && vm->vmm_pid > 0)
        json_int(w, vm->vmm_pid);
    else
        json_null(w);
    json_key(w, "jail_uid"); /* its VMM's uid; null: not running or jail = no */
    if (alive && vm->jail_uid)
        json_int(w, vm->jail_uid);
    else
        json_null(w);
    corrald_write_limits(w, d, vm, alive);
    json_kv_int(w, "started_at", alive ? (int64_t)vm->started_at : 0);
    json_kv_int(w, "uptime_s", alive ? (clock_monotonic_ms() - vm->started_ms) / 1000 : 0);
    json_kv_int(w, "restarts", vm->restarts);
    corrald_write_last_stop(w, vm);
    if (what != CORRALD_VM_ROW) {
        /* what the VMM made of each disk: only a running one knows */
        char io[VMDEF_MAX_DISKS][CORRALD_DISK_IO_MAX];
        bool ask = what == CORRALD_VM_SHOW;
        if (ask)
            corrald_query_disk_io(d, vm, io, vm->def.disk_count);
        corrald_write_definition(w, &vm->def, ask ? io : NULL);
    }
    json_end_object(w);
}
