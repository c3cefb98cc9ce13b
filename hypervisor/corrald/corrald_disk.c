/* corrald_disk: disk images of VMs - create (sparse, raw), grow, list.
 * Images made here live in the VM's directory as NAME.img; disks elsewhere
 * (attached by path) are listed but never created or resized here. */
#include "corrald_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* STATE/vms/VM/DISK.img for args.disk, or false after an error reply. */
static bool corrald_disk_path(struct corrald_request *r, const struct corrald_vm *vm,
                              char *path, size_t len)
{
    const char *disk = proto_arg_string(&r->req, "disk");
    char dir[CORRALD_PATH_MAX];
    if (!disk || !vmdef_name_valid(disk)) {
        corrald_fail(r, PROTO_E_INVALID, "disk: a name of 1-32 letters, digits or "
                                         "'-' (the file is NAME.img)");
        return false;
    }
    corrald_vm_path(r->d, vm->name, NULL, dir, sizeof(dir));
    snprintf(path, len, "%s/%s.img", dir, disk);
    return true;
}

/* args.size in bytes (plain number = GiB), or false after an error reply. */
static bool corrald_disk_size(struct corrald_request *r, uint64_t *size)
{
    const char *text = proto_arg_string(&r->req, "size");
    if (!text || conf_parse_size(text, (uint64_t)1 << 30, size) < 0 || *size == 0 ||
        *size % 512 || *size > (uint64_t)INT64_MAX) {
        corrald_fail(r, PROTO_E_INVALID,
                     "size: not a size that is a multiple of 512 (e.g. 20G)");
        return false;
    }
    return true;
}

static void corrald_reply_disk(struct corrald_request *r, const struct corrald_vm *vm,
                               const char *path, uint64_t size, bool attached)
{
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_kv_string(r->w, "vm", vm->name);
    json_kv_string(r->w, "path", path);
    json_kv_int(r->w, "size_bytes", (int64_t)size);
    json_kv_bool(r->w, "attached", attached);
    json_end_object(r->w);
    proto_end_reply(r->w);
}

/* Adds path as the VM's last disk in vm.conf; error reply on failure. */
static int corrald_attach_disk(struct corrald_request *r, struct corrald_vm *vm,
                               const char *path)
{
    char why[CORRALD_PATH_MAX + 100];
    static struct vmdef def;
    int rc = corrald_load_def(r->d, vm, why, sizeof(why));
    if (rc < 0) {
        corrald_fail(r, PROTO_E_INVALID, why);
        return rc;
    }
    def = vm->def;
    rc = vmdef_set_key(&def, "disk", path, NULL, why, sizeof(why));
    if (rc < 0) {
        corrald_fail(r, PROTO_E_INVALID, why);
        return rc;
    }
    rc = corrald_write_def(r, &def);
    if (rc == 0)
        vm->def = def;
    return rc;
}

void corrald_cmd_disk_create(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    char path[CORRALD_PATH_MAX + 48], why[CORRALD_PATH_MAX + 100];
    uint64_t size;
    bool attach = true;
    if (!vm || !corrald_disk_path(r, vm, path, sizeof(path)) ||
        !corrald_disk_size(r, &size))
        return;
    proto_arg_bool(&r->req, "attach", &attach);
    if (corrald_create_sparse(path, size, why, sizeof(why)) < 0) {
        corrald_fail(r, errno == EEXIST ? PROTO_E_EXISTS : PROTO_E_IO, why);
        return;
    }
    if (attach && corrald_attach_disk(r, vm, path) < 0) {
        unlink(path);
        return;
    }
    corrald_log("%s: disk %s created (%llu bytes)", vm->name, path,
                (unsigned long long)size);
    corrald_reply_disk(r, vm, path, size, attach);
}

void corrald_cmd_disk_resize(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    char path[CORRALD_PATH_MAX + 48], msg[CORRALD_PATH_MAX + 160];
    uint64_t size;
    struct stat st;
    if (!vm || !corrald_disk_path(r, vm, path, sizeof(path)) ||
        !corrald_disk_size(r, &size))
        return;
    if (vm->state == CORRALD_VM_RUNNING || vm->state == CORRALD_VM_STOPPING) {
        snprintf(msg, sizeof(msg), "%s is %s; stop it first (a running guest "
                 "would not see the new size)", vm->name, corrald_state_name(vm->state));
        corrald_fail(r, PROTO_E_STATE, msg);
        return;
    }
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(msg, sizeof(msg), "%s: %s", path,
                 errno == ENOENT ? "no such disk" : "not a disk image");
        corrald_fail(r, PROTO_E_NOT_FOUND, msg);
        return;
    }
    if (size < (uint64_t)st.st_size) {
        snprintf(msg, sizeof(msg), "%s is %lld bytes; shrinking would destroy data",
                 path, (long long)st.st_size);
        corrald_fail(r, PROTO_E_INVALID, msg);
        return;
    }
    if (truncate(path, (off_t)size) < 0) {
        snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
        corrald_fail(r, PROTO_E_IO, msg);
        return;
    }
    corrald_reply_disk(r, vm, path, size, true);
}

static void corrald_list_one_disk(struct json_writer *w, const struct corrald_vm *vm,
                                  const char *path, bool attached, bool readonly)
{
    struct stat st;
    bool exists = stat(path, &st) == 0;
    json_begin_object(w);
    json_kv_string(w, "vm", vm->name);
    json_kv_string(w, "path", path);
    json_kv_bool(w, "attached", attached);
    json_kv_bool(w, "readonly", readonly);
    json_kv_bool(w, "exists", exists);
    json_kv_int(w, "size_bytes", exists ? (int64_t)st.st_size : 0);
    json_kv_int(w, "allocated_bytes", exists ? (int64_t)st.st_blocks * 512 : 0);
    json_end_object(w);
}

static bool corrald_is_attached(const struct vmdef *def, const char *path)
{
    for (size_t i = 0; i < def->disk_count; i++)
        if (strcmp(def->disks[i].path, path) == 0)
            return true;
    return false;
}

/* The VM's definition disks, then *.img files in its directory not in it. */
static void corrald_list_vm_disks(struct corrald *d, struct json_writer *w,
                                  const struct corrald_vm *vm)
{
    char dir[CORRALD_PATH_MAX], path[CORRALD_PATH_MAX + 260];
    for (size_t i = 0; i < vm->def.disk_count; i++)
        corrald_list_one_disk(w, vm, vm->def.disks[i].path, true,
                              vm->def.disks[i].readonly);
    corrald_vm_path(d, vm->name, NULL, dir, sizeof(dir));
    DIR *dh = opendir(dir);
    for (struct dirent *e; dh && (e = readdir(dh));) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".img") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (!corrald_is_attached(&vm->def, path))
            corrald_list_one_disk(w, vm, path, false, false);
    }
    if (dh)
        closedir(dh);
}

void corrald_cmd_disk_list(struct corrald_request *r)
{
    const char *only = proto_arg_string(&r->req, "name");
    struct corrald_vm *one = only ? corrald_arg_vm(r) : NULL;
    if (only && !one)
        return;
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_key(r->w, "disks");
    json_begin_array(r->w);
    for (size_t i = 0; i < r->d->vm_count; i++)
        if (!one || r->d->vms[i] == one)
            corrald_list_vm_disks(r->d, r->w, r->d->vms[i]);
    json_end_array(r->w);
    json_end_object(r->w);
    proto_end_reply(r->w);
}
