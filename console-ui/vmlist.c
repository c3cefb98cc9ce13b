/* vmlist: VM list from corral's JSON, and the VM wizard's checks. */
#include "vmlist.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "json.h"

static void copy_string(const struct json_doc *doc, const struct json_node *obj,
                        const char *key, char *out, size_t len)
{
    const char *s = json_get_string(doc, obj, key);
    snprintf(out, len, "%s", s ? s : "");
}

static void parse_one(const struct json_doc *doc, const struct json_node *vm,
                      struct vm_summary *out)
{
    int64_t v;
    bool b;
    const struct json_node *stop = json_get(doc, vm, "last_stop");

    memset(out, 0, sizeof(*out));
    copy_string(doc, vm, "name", out->name, sizeof(out->name));
    copy_string(doc, vm, "state", out->state, sizeof(out->state));
    copy_string(doc, vm, "restart", out->restart, sizeof(out->restart));
    if (json_get_int(doc, vm, "memory_mib", &v) && v > 0)
        out->memory_mib = (uint64_t)v;
    if (json_get_int(doc, vm, "cpus", &v) && v > 0)
        out->cpus = (unsigned)v;
    if (json_get_int(doc, vm, "uptime_s", &v) && v > 0)
        out->uptime_s = (uint64_t)v;
    if (json_get_bool(doc, vm, "autostart", &b))
        out->autostart = b;
    if (json_get_bool(doc, vm, "display", &b))
        out->display = b;
    if (stop && stop->type == JSON_OBJECT)
        copy_string(doc, stop, "reason", out->last_stop, sizeof(out->last_stop));
}

int vmlist_parse(const char *json, struct vm_list *out, char *why, size_t len)
{
    struct json_doc doc;
    const struct json_node *root, *vms, *error;
    int r = -EINVAL;

    out->count = 0;
    out->running = 0;
    if (json_parse(json, strlen(json), &doc, why, len) != 0) {
        json_doc_free(&doc);
        return -EINVAL;
    }
    root = json_root(&doc);
    error = json_get(&doc, root, "error");
    vms = json_get(&doc, root, "vms");
    if (error) {
        const char *message = json_get_string(&doc, error, "message");
        snprintf(why, len, "%s", message ? message : "corral reported an error");
    } else if (!vms || vms->type != JSON_ARRAY) {
        snprintf(why, len, "no \"vms\" list in corral's answer");
    } else {
        r = 0;
        for (const struct json_node *vm = json_first(&doc, vms); vm && out->count < VMLIST_MAX;
             vm = json_next(&doc, vm)) {
            struct vm_summary *s = &out->vms[out->count];
            if (vm->type != JSON_OBJECT)
                continue;
            parse_one(&doc, vm, s);
            if (!s->name[0])
                continue;
            out->count++;
            if (vmlist_is_up(s))
                out->running++;
        }
    }
    json_doc_free(&doc);
    return r;
}

bool vmlist_is_up(const struct vm_summary *vm)
{
    return strcmp(vm->state, "running") == 0 || strcmp(vm->state, "stopping") == 0;
}

void vmlist_stop_line(const struct vm_summary *vm, char *out, size_t len)
{
    const char *how = vmlist_is_up(vm)                   ? "stopping..."
                      : strstr(vm->last_stop, "forced")  ? "forced off"
                                                         : "stopped";

    snprintf(out, len, "%s: %s", vm->name, how);
}

int validate_vm_name(const char *text, char *why, size_t len)
{
    if (!text || !*text) {
        snprintf(why, len, "required, e.g. web1");
        return -EINVAL;
    }
    if (vmdef_name_valid(text))
        return 0;
    if (strlen(text) > VMDEF_NAME_MAX)
        snprintf(why, len, "at most %d characters", VMDEF_NAME_MAX);
    else if (strchr(text, ' '))
        snprintf(why, len, "no spaces: letters, digits and '-' only");
    else
        snprintf(why, len, "letters, digits and '-' only, starting with a letter or digit");
    return -EINVAL;
}

/* One key through corrald's own definition rules. */
static int check_vmdef_key(const char *key, const char *text, char *why, size_t len)
{
    struct vmdef d;

    vmdef_init(&d);
    return vmdef_set_key(&d, key, text ? text : "", NULL, why, len) == 0 ? 0 : -EINVAL;
}

int validate_vm_memory(const char *text, char *why, size_t len)
{
    return check_vmdef_key("memory", text, why, len);
}

int validate_vm_cpus(const char *text, char *why, size_t len)
{
    return check_vmdef_key("cpus", text, why, len);
}

int validate_vm_disk_size(const char *text, char *why, size_t len)
{
    uint64_t bytes;
    int r;

    if (!text || !*text)
        return 0;
    r = conf_parse_size(text, (uint64_t)1 << 30, &bytes);
    if (r == 0 && bytes == 0)
        r = -ERANGE;
    if (r == 0 && bytes % 512 != 0)
        r = -EINVAL;
    if (r)
        snprintf(why, len, "a size such as 20G or 512M (whole 512-byte sectors, not 0)");
    return r;
}
