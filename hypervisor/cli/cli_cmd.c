/* cli_cmd: corral's commands: parse the arguments, ask corrald, print. */
#include "cli.h"
#include "duration.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void cli_print_usage(FILE *to)
{
    static char text[CLI_USAGE_MAX];
    cli_usage_format(cli_commands, cli_command_count, text, sizeof(text));
    fputs(text, to);
}

static const char *cli_next(struct cli_args *a)
{
    return a->pos < a->argc ? a->argv[a->pos++] : NULL;
}

static int cli_usage_error(const char *what)
{
    fprintf(stderr, "corral: %s\n", what);
    cli_print_usage(stderr);
    return 2;
}

/* A command given too few words: says what it takes. */
static int cli_arguments_missing(const struct cli_command *cmd)
{
    char what[160];
    snprintf(what, sizeof(what), "%s%s%s takes %.*s", cmd->group, cmd->sub ? " " : "",
             cmd->sub ? cmd->sub : "", (int)strcspn(cmd->synopsis, "\n"), cmd->synopsis);
    return cli_usage_error(what);
}

/* ---- human output --------------------------------------------------------- */

static long long cli_int(const struct proto_reply *rep, const struct json_node *obj,
                         const char *key)
{
    int64_t v = 0;
    json_get_int(&rep->doc, obj, key, &v);
    return v;
}

static const char *cli_str(const struct proto_reply *rep, const struct json_node *obj,
                           const char *key)
{
    const char *s = json_get_string(&rep->doc, obj, key);
    return s ? s : "";
}

/* A VMM runs: it has a pid and an uptime. */
static bool cli_is_up(const char *state)
{
    return !strcmp(state, "running") || !strcmp(state, "paused");
}

static void cli_print_vm_row(const struct proto_reply *rep, const struct json_node *vm)
{
    char mem[16], up[32] = "-";
    const struct json_node *last = json_get(&rep->doc, vm, "last_stop");
    bool autostart = false;
    json_get_bool(&rep->doc, vm, "autostart", &autostart);
    cli_format_mib(cli_int(rep, vm, "memory_mib"), mem, sizeof(mem));
    if (cli_is_up(cli_str(rep, vm, "state")))
        duration_format(cli_int(rep, vm, "uptime_s"), up, sizeof(up));
    printf("%-20s %-10s %6s %4lld %-9s %-12s %s\n", cli_str(rep, vm, "name"),
           cli_str(rep, vm, "state"), mem, cli_int(rep, vm, "cpus"),
           autostart ? "yes" : "no", up,
           last && last->type == JSON_OBJECT ? cli_str(rep, last, "reason") : "");
}

static void cli_human_list(const struct proto_reply *rep)
{
    const struct json_node *vms = json_get(&rep->doc, rep->data, "vms");
    printf("%-20s %-10s %6s %4s %-9s %-12s %s\n", "NAME", "STATE", "MEMORY", "CPUS",
           "AUTOSTART", "UPTIME", "LAST STOP");
    for (const struct json_node *vm = json_first(&rep->doc, vms); vm;
         vm = json_next(&rep->doc, vm))
        cli_print_vm_row(rep, vm);
}

static void cli_print_list_items(const struct proto_reply *rep,
                                 const struct json_node *def, const char *key,
                                 const char *label)
{
    const struct json_node *list = json_get(&rep->doc, def, key);
    int i = 0;
    for (const struct json_node *n = json_first(&rep->doc, list); n;
         n = json_next(&rep->doc, n), i++) {
        printf("%-12s", i == 0 ? label : "");
        for (const struct json_node *f = json_first(&rep->doc, n); f;
             f = json_next(&rep->doc, f)) {
            if (f->type == JSON_STRING && strchr(f->string, ' '))
                printf(" %s=\"%s\"", f->key, f->string); /* io="O_DIRECT, io_uring" */
            else if (f->type == JSON_STRING && f->string[0])
                printf(" %s=%s", f->key, f->string);
            else if (f->type == JSON_BOOL && f->boolean)
                printf(" %s", f->key);
            else if (f->type == JSON_INT && f->integer)
                printf(" %s=%lld", f->key, (long long)f->integer);
        }
        printf("\n");
    }
}

/* The jail and the cgroup's limits and use of a running VM. */
static void cli_print_containment(const struct proto_reply *rep,
                                  const struct json_node *vm)
{
    const struct json_node *lim = json_get(&rep->doc, vm, "limits");
    long long uid = cli_int(rep, vm, "jail_uid");
    if (uid > 0)
        printf("%-12s uid %lld, own namespaces, empty root, seccomp\n", "jail", uid);
    else
        printf("%-12s none (jail = no)\n", "jail");
    if (!lim || lim->type != JSON_OBJECT) {
        printf("%-12s none (no cgroup v2)\n", "limits");
        return;
    }
    char used[16], max[16] = "none";
    cli_format_mib(cli_int(rep, lim, "memory_current") >> 20, used, sizeof(used));
    if (cli_int(rep, lim, "memory_max") > 0)
        cli_format_mib(cli_int(rep, lim, "memory_max") >> 20, max, sizeof(max));
    printf("%-12s %s used of %s\n%-12s cpu.max %s, weight %lld, %lld s used\n",
           "memory.max", used, max, "cpu", cli_str(rep, lim, "cpu_max"),
           cli_int(rep, lim, "cpu_weight"), cli_int(rep, lim, "cpu_usage_us") / 1000000);
    const struct json_node *io = json_get(&rep->doc, lim, "io_max");
    for (const struct json_node *l = io ? json_first(&rep->doc, io) : NULL; l;
         l = json_next(&rep->doc, l))
        printf("%-12s %s\n", "io.max", l->string);
    const char *note = json_get_string(&rep->doc, lim, "io_note");
    if (note)
        printf("%-12s %s\n", "", note);
}

static void cli_human_show(const struct proto_reply *rep)
{
    const struct json_node *vm = rep->data, *def = json_get(&rep->doc, vm, "definition");
    const struct json_node *last = json_get(&rep->doc, vm, "last_stop");
    char mem[16], up[32];
    cli_format_mib(cli_int(rep, vm, "memory_mib"), mem, sizeof(mem));
    duration_format(cli_int(rep, vm, "uptime_s"), up, sizeof(up));
    printf("%-12s %s\n%-12s %s\n", "name", cli_str(rep, vm, "name"), "state",
           cli_str(rep, vm, "state"));
    if (cli_is_up(cli_str(rep, vm, "state"))) {
        printf("%-12s %lld\n%-12s %s\n", "pid", cli_int(rep, vm, "pid"), "uptime", up);
        cli_print_containment(rep, vm);
    }
    printf("%-12s %s\n%-12s %lld\n%-12s %s\n", "memory", mem, "cpus",
           cli_int(rep, vm, "cpus"), "boot", cli_str(rep, def, "boot"));
    static const char *const files[] = { "kernel", "initrd", "cmdline" };
    for (size_t i = 0; i < 3; i++)
        if (cli_str(rep, def, files[i])[0])
            printf("%-12s %s\n", files[i], cli_str(rep, def, files[i]));
    if (!strcmp(cli_str(rep, def, "boot"), "uefi"))
        printf("%-12s %s\n%-12s %s\n", "uefi_code", cli_str(rep, def, "uefi_code"),
               "nvram", cli_str(rep, def, "nvram"));
    bool hyperv = false;
    json_get_bool(&rep->doc, def, "hyperv", &hyperv);
    if (hyperv)
        printf("%-12s %s\n", "hyperv", "on");
    cli_print_list_items(rep, def, "disks", "disks");
    cli_print_list_items(rep, def, "cdroms", "cdroms");
    cli_print_list_items(rep, def, "nics", "nics");
    bool autostart = false;
    json_get_bool(&rep->doc, vm, "autostart", &autostart);
    printf("%-12s %s\n%-12s %s\n%-12s %lld\n", "autostart", autostart ? "yes" : "no",
           "restart", cli_str(rep, vm, "restart"), "restarts",
           cli_int(rep, vm, "restarts"));
    if (last && last->type == JSON_OBJECT)
        printf("%-12s %s\n", "last stop", cli_str(rep, last, "reason"));
    if (!strcmp(cli_str(rep, def, "display"), "std"))
        printf("%-12s corral vm vnc %s (then ssh -L and a VNC viewer)\n", "screen",
               cli_str(rep, vm, "name"));
}

static void cli_human_state(const struct proto_reply *rep)
{
    printf("%s: %s\n", cli_str(rep, rep->data, "name"), cli_str(rep, rep->data, "state"));
}

static void cli_human_host(const struct proto_reply *rep)
{
    const struct json_node *h = rep->data;
    char total[16], free_mib[16], committed[16], reserve[16];
    bool kvm = false;
    json_get_bool(&rep->doc, h, "kvm", &kvm);
    cli_format_mib(cli_int(rep, h, "memory_total_mib"), total, sizeof(total));
    cli_format_mib(cli_int(rep, h, "memory_free_for_vms_mib"), free_mib, sizeof(free_mib));
    cli_format_mib(cli_int(rep, h, "memory_committed_mib"), committed, sizeof(committed));
    cli_format_mib(cli_int(rep, h, "memory_reserve_mib"), reserve, sizeof(reserve));
    printf("%-18s %s\n%-18s %lld x %s\n%-18s %s\n%-18s %s\n%-18s %s\n%-18s %s\n"
           "%-18s %s\n%-18s %lld of %lld\n",
           "version", cli_str(rep, h, "version"), "cpus", cli_int(rep, h, "cpus"),
           cli_str(rep, h, "cpu_model"), "memory", total, "committed to VMs", committed,
           "reserved for host", reserve, "free for VMs", free_mib, "kvm",
           kvm ? "yes" : "no (/dev/kvm missing)", "VMs running",
           cli_int(rep, h, "vms_running"), cli_int(rep, h, "vms"));
}

static void cli_human_deleted(const struct proto_reply *rep)
{
    const struct json_node *files = json_get(&rep->doc, rep->data, "deleted_files");
    printf("%s: deleted\n", cli_str(rep, rep->data, "name"));
    for (const struct json_node *f = json_first(&rep->doc, files); f;
         f = json_next(&rep->doc, f))
        printf("  removed %s\n", f->string);
}

/* ---- requests ------------------------------------------------------------- */

static int cli_request(const struct cli *cli, struct json_writer *w,
                       void (*human)(const struct proto_reply *rep))
{
    struct proto_reply rep;
    char why[512];
    int rc = cli_call(cli, w, &rep, why, sizeof(why));
    json_writer_free(w);
    if (rc < 0) {
        proto_reply_free(&rep);
        return cli_fail(cli, PROTO_E_IO, "%s", why);
    }
    int status = cli_print_reply(cli, &rep, human);
    proto_reply_free(&rep);
    return status;
}

static int cli_simple(const struct cli *cli, const char *cmd, const char *name,
                      void (*human)(const struct proto_reply *rep))
{
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, cmd);
    if (name)
        json_kv_string(&w, "name", name);
    proto_end_request(&w);
    return cli_request(cli, &w, human);
}

/* Absolute form of a path given on the command line (corrald's working
 * directory is not the user's). */
static void cli_absolute(const char *path, char *buf, size_t len)
{
    char cwd[PATH_MAX];
    size_t cwd_len = 0, path_len = strlen(path);
    if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
        cwd_len = strlen(cwd);
    if (cwd_len == 0 || cwd_len + 1 + path_len >= len) {
        snprintf(buf, len, "%s", path); /* corrald reports what is wrong */
        return;
    }
    memcpy(buf, cwd, cwd_len);
    buf[cwd_len] = '/';
    memcpy(buf + cwd_len + 1, path, path_len + 1);
}

struct cli_create {
    const char *config[64];
    char owned[64][PATH_MAX + 32];
    int count;
    const char *disk_size;
    const char *boot; /* --firmware/--iso: firmware, --uefi: uefi (it wins) */
};

static int cli_create_add(struct cli_create *c, const char *key, const char *value,
                          bool is_path)
{
    if (c->count == 64)
        return cli_usage_error("too many options");
    char path[PATH_MAX];
    if (is_path)
        cli_absolute(value, path, sizeof(path));
    snprintf(c->owned[c->count], sizeof(c->owned[0]), "%s=%s", key,
             is_path ? path : value);
    c->config[c->count] = c->owned[c->count];
    c->count++;
    return 0;
}

/* One `vm create` option; returns 0, or the exit status of a usage error. */
static int cli_create_option(struct cli_create *c, const char *opt,
                             struct cli_args *a)
{
    static const struct { const char *flag, *key; bool path; } valued[] = {
        { "--memory", "memory", false },   { "--cpus", "cpus", false },
        { "--kernel", "kernel", true },    { "--initrd", "initrd", true },
        { "--cmdline", "cmdline", false }, { "--restart", "restart", false },
        { "--attach", "disk", true },
    };
    if (!strcmp(opt, "--firmware") || !strcmp(opt, "--uefi")) {
        if (!c->boot || !strcmp(opt, "--uefi"))
            c->boot = opt + 2;
        return 0;
    }
    if (!strcmp(opt, "--autostart"))
        return cli_create_add(c, "autostart", "yes", false);
    const char *value = cli_next(a);
    if (!value)
        return cli_usage_error("an option is missing its value");
    if (!strcmp(opt, "--disk")) {
        c->disk_size = value;
        return 0;
    }
    if (!strcmp(opt, "--iso")) {
        /* An installer ISO in a CD-ROM drive (AHCI), as on a real machine:
         * El Torito boots whether or not the ISO is hybrid, and the
         * firmware boots it before the blank disk. */
        if (!c->boot)
            c->boot = "firmware"; /* SeaBIOS unless --uefi */
        return cli_create_add(c, "cdrom", value, true);
    }
    if (!strcmp(opt, "--nic") || !strcmp(opt, "--set")) {
        char spec[256];
        cli_nic_spec(value, spec, sizeof(spec));
        const char *eq = strchr(value, '=');
        if (!strcmp(opt, "--nic"))
            return cli_create_add(c, "nic", spec, false);
        if (!eq)
            return cli_usage_error("--set takes KEY=VALUE");
        snprintf(spec, sizeof(spec), "%.*s", (int)(eq - value), value);
        return cli_create_add(c, spec, eq + 1, false);
    }
    for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
        if (!strcmp(opt, valued[i].flag))
            return cli_create_add(c, valued[i].key, value, valued[i].path);
    return cli_usage_error("vm create: unknown option");
}

static void cli_write_config(struct json_writer *w, const char *const *items, int n)
{
    json_key(w, "config");
    json_begin_array(w);
    for (int i = 0; i < n; i++)
        json_string(w, items[i]);
    json_end_array(w);
}

static int cli_vm_create(const struct cli *cli, const struct cli_command *cmd,
                         const char *name, struct cli_args *a)
{
    static struct cli_create c;
    memset(&c, 0, sizeof(c));
    for (const char *opt; (opt = cli_next(a));) {
        int rc = cli_create_option(&c, opt, a);
        if (rc)
            return rc;
    }
    /* the boot method first, so that --set boot=... may still change it */
    if (c.boot && cli_create_add(&c, "boot", c.boot, false) == 0) {
        memmove(c.config + 1, c.config, (size_t)(c.count - 1) * sizeof(c.config[0]));
        c.config[0] = c.owned[c.count - 1];
    }
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, "vm.create");
    json_kv_string(&w, "name", name);
    if (c.disk_size)
        json_kv_string(&w, "disk_size", c.disk_size);
    cli_write_config(&w, c.config, c.count);
    proto_end_request(&w);
    return cli_request(cli, &w, cli_human_state);
}

static int cli_vm_edit(const struct cli *cli, const struct cli_command *cmd,
                       const char *name, struct cli_args *a)
{
    if (a->pos == a->argc)
        return cli_usage_error("vm edit: give KEY=VALUE settings");
    for (int i = a->pos; i < a->argc; i++)
        if (!strchr(a->argv[i], '='))
            return cli_usage_error("vm edit: settings are KEY=VALUE");
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, "vm.edit");
    json_kv_string(&w, "name", name);
    cli_write_config(&w, (const char *const *)a->argv + a->pos, a->argc - a->pos);
    proto_end_request(&w);
    return cli_request(cli, &w, cli_human_state);
}

/* Polls vm.show until the VM is no longer running or stopping. */
static int cli_wait_stopped(const struct cli *cli, const char *name)
{
    for (;;) {
        struct json_writer w;
        struct proto_reply rep;
        char why[512];
        json_writer_init(&w, PROTO_MAX_REQUEST);
        proto_begin_request(&w, "vm.show");
        json_kv_string(&w, "name", name);
        proto_end_request(&w);
        int rc = cli_call(cli, &w, &rep, why, sizeof(why));
        json_writer_free(&w);
        const char *state = rc == 0 && rep.ok ? cli_str(&rep, rep.data, "state") : "";
        bool done = strcmp(state, "running") != 0 && strcmp(state, "stopping") != 0;
        if (done || rc < 0) {
            int status = rc < 0 ? cli_fail(cli, PROTO_E_IO, "%s", why)
                                : cli_print_reply(cli, &rep, cli_human_state);
            proto_reply_free(&rep);
            return status;
        }
        proto_reply_free(&rep);
        usleep(200 * 1000);
    }
}

/* vm stop, vm kill, vm restart. */
static int cli_vm_stop(const struct cli *cli, const struct cli_command *cmd,
                       const char *name, struct cli_args *a)
{
    long timeout = -1;
    bool wait = false;
    for (const char *opt; (opt = cli_next(a));) {
        const char *v = !strcmp(opt, "--timeout") ? cli_next(a) : NULL;
        if (!strcmp(opt, "--wait"))
            wait = true;
        else if (!v || (timeout = strtol(v, NULL, 10)) < 0)
            return cli_usage_error("stop options: --timeout SECONDS, --wait");
    }
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, cmd->request);
    json_kv_string(&w, "name", name);
    if (timeout >= 0)
        json_kv_int(&w, "timeout", timeout);
    proto_end_request(&w);
    if (!wait)
        return cli_request(cli, &w, cli_human_state);
    struct proto_reply rep;
    char why[512];
    int rc = cli_call(cli, &w, &rep, why, sizeof(why));
    json_writer_free(&w);
    if (rc < 0 || !rep.ok) {
        int status = rc < 0 ? cli_fail(cli, PROTO_E_IO, "%s", why)
                            : cli_print_reply(cli, &rep, NULL);
        proto_reply_free(&rep);
        return status;
    }
    proto_reply_free(&rep);
    return cli_wait_stopped(cli, name);
}

static bool cli_confirm(const char *question)
{
    char answer[16] = "";
    fprintf(stderr, "%s [y/N] ", question);
    return fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

static int cli_vm_delete(const struct cli *cli, const struct cli_command *cmd,
                         const char *name, struct cli_args *a)
{
    bool yes = false, disks = false;
    for (const char *opt; (opt = cli_next(a));) {
        if (!strcmp(opt, "--yes"))
            yes = true;
        else if (!strcmp(opt, "--delete-disks"))
            disks = true;
        else
            return cli_usage_error("vm delete options: --yes, --delete-disks");
    }
    char question[128];
    snprintf(question, sizeof(question), "Delete VM %s%s?", name,
             disks ? " and its disks" : " (its disks are kept)");
    if (!yes && (!isatty(0) || !cli_confirm(question)))
        return cli_fail(cli, PROTO_E_INVALID, "not deleted%s",
                        isatty(0) ? "" : ": not a terminal, use --yes");
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, "vm.delete");
    json_kv_string(&w, "name", name);
    json_kv_bool(&w, "delete_disks", disks);
    proto_end_request(&w);
    return cli_request(cli, &w, cli_human_deleted);
}

/* The console log is a file of corrald's; read it directly (root only). */
static void cli_human_log(const struct proto_reply *rep)
{
    const struct json_node *log = json_get(&rep->doc, rep->data, "log");
    if (log && log->type == JSON_STRING)
        fputs(log->string, stdout);
}

/* vm log NAME [--bytes N]: the tail of the console log, read by corrald. */
static int cli_vm_log(const struct cli *cli, const struct cli_command *cmd,
                      const char *name, struct cli_args *a)
{
    long bytes = 64 * 1024;
    for (const char *opt; (opt = cli_next(a));) {
        const char *v = !strcmp(opt, "--bytes") ? cli_next(a) : NULL;
        if (!v || (bytes = strtol(v, NULL, 10)) <= 0 || bytes > PROTO_MAX_REPLY / 8)
            return cli_usage_error("vm log options: --bytes N (at most 512K)");
    }
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, cmd->request);
    json_kv_string(&w, "name", name);
    json_kv_int(&w, "bytes", bytes);
    proto_end_request(&w);
    return cli_request(cli, &w, cmd->human);
}

/* ---- disks --------------------------------------------------------------- */

static void cli_human_disk(const struct proto_reply *rep)
{
    char size[16];
    cli_format_mib(cli_int(rep, rep->data, "size_bytes") >> 20, size, sizeof(size));
    printf("%s: %s\n", cli_str(rep, rep->data, "path"), size);
}

static void cli_human_disk_list(const struct proto_reply *rep)
{
    const struct json_node *disks = json_get(&rep->doc, rep->data, "disks");
    printf("%-16s %8s %8s %-8s %s\n", "VM", "SIZE", "USED", "ATTACHED", "PATH");
    for (const struct json_node *d = json_first(&rep->doc, disks); d;
         d = json_next(&rep->doc, d)) {
        char size[16], used[16];
        bool attached = false, readonly = false;
        json_get_bool(&rep->doc, d, "attached", &attached);
        json_get_bool(&rep->doc, d, "readonly", &readonly);
        cli_format_mib(cli_int(rep, d, "size_bytes") >> 20, size, sizeof(size));
        cli_format_mib(cli_int(rep, d, "allocated_bytes") >> 20, used, sizeof(used));
        printf("%-16s %8s %8s %-8s %s\n", cli_str(rep, d, "vm"), size, used,
               attached ? (readonly ? "ro" : "yes") : "no", cli_str(rep, d, "path"));
    }
}

static void cli_human_image_list(const struct proto_reply *rep)
{
    const struct json_node *images = json_get(&rep->doc, rep->data, "images");
    printf("%-40s %8s %-6s\n", "NAME", "SIZE", "KIND");
    for (const struct json_node *i = json_first(&rep->doc, images); i;
         i = json_next(&rep->doc, i)) {
        char size[16];
        cli_format_mib(cli_int(rep, i, "size_bytes") >> 20, size, sizeof(size));
        printf("%-40s %8s %-6s\n", cli_str(rep, i, "name"), size, cli_str(rep, i, "kind"));
    }
}

static void cli_human_image_deleted(const struct proto_reply *rep)
{
    printf("image %s deleted\n", cli_str(rep, rep->data, "name"));
}

/* ---- the commands: each reads its own words after "group sub" ------------ */

/* A request with at most the VM's name: vm list, vm show, host info... */
static int cli_cmd_simple(const struct cli *cli, const struct cli_command *cmd,
                          const char *name, struct cli_args *a)
{
    return cli_simple(cli, cmd->request, name, cmd->human);
}

/* vm cdrom NAME eject|insert [ISO] [--drive N]: the ISO as an absolute
 * path, since corrald and the VMM do not share our working directory. */
static int cli_vm_cdrom(const struct cli *cli, const struct cli_command *cmd,
                        const char *name, struct cli_args *a)
{
    const char *action = cli_next(a), *iso = NULL;
    char abs[PATH_MAX], *end;
    long drive = 0;
    if (!action || (strcmp(action, "eject") && strcmp(action, "insert")))
        return cli_usage_error("vm cdrom NAME eject|insert [ISO] [--drive N]");
    if (!strcmp(action, "insert") && !(iso = cli_next(a)))
        return cli_arguments_missing(cmd);
    for (const char *opt; (opt = cli_next(a));) {
        const char *v = !strcmp(opt, "--drive") ? cli_next(a) : NULL;
        if (!v || (drive = strtol(v, &end, 10)) < 0 || *end || end == v)
            return cli_usage_error("cdrom options: --drive N (0: the first drive)");
    }
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, cmd->request);
    json_kv_string(&w, "name", name);
    json_kv_string(&w, "action", action);
    if (iso) {
        cli_absolute(iso, abs, sizeof(abs));
        json_kv_string(&w, "iso", abs);
    }
    json_kv_int(&w, "drive", drive);
    proto_end_request(&w);
    return cli_request(cli, &w, cmd->human);
}

static int cli_cmd_disk_list(const struct cli *cli, const struct cli_command *cmd,
                             const char *unused, struct cli_args *a)
{
    const char *vm = cli_next(a);
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, cmd->request);
    if (vm)
        json_kv_string(&w, "name", vm);
    proto_end_request(&w);
    return cli_request(cli, &w, cmd->human);
}

/* disk create and disk resize: VM DISK SIZE; create also --no-attach. */
static int cli_cmd_disk_size(const struct cli *cli, const struct cli_command *cmd,
                             const char *vm, struct cli_args *a)
{
    const char *disk = cli_next(a), *size = cli_next(a), *opt = cli_next(a);
    bool create = !strcmp(cmd->sub, "create");
    if (!disk || !size)
        return cli_arguments_missing(cmd);
    if (opt && (!create || strcmp(opt, "--no-attach")))
        return cli_usage_error(create ? "disk create options: --no-attach"
                                      : "disk resize takes no options");
    struct json_writer w;
    json_writer_init(&w, PROTO_MAX_REQUEST);
    proto_begin_request(&w, cmd->request);
    json_kv_string(&w, "name", vm);
    json_kv_string(&w, "disk", disk);
    json_kv_string(&w, "size", size);
    if (create)
        json_kv_bool(&w, "attach", opt == NULL);
    proto_end_request(&w);
    return cli_request(cli, &w, cmd->human);
}

static int cli_cmd_image_import(const struct cli *cli, const struct cli_command *cmd,
                                const char *vm, struct cli_args *a)
{
    const char *from = cli_next(a), *sha = NULL, *name = NULL, *ca = NULL;
    if (!from)
        return cli_arguments_missing(cmd);
    for (const char *opt; (opt = cli_next(a));) {
        const char *v = cli_next(a);
        if (v && !strcmp(opt, "--sha256"))
            sha = v;
        else if (v && !strcmp(opt, "--name"))
            name = v;
        else if (v && !strcmp(opt, "--ca"))
            ca = v;
        else
            return cli_usage_error("image import options: --sha256 SUM, --name NAME, "
                                   "--ca FILE");
    }
    return cli_image_import(cli, from, sha, name, ca);
}

static int cli_cmd_console(const struct cli *cli, const struct cli_command *cmd,
                           const char *name, struct cli_args *a)
{
    return cli_console(cli, name);
}

static int cli_cmd_vnc(const struct cli *cli, const struct cli_command *cmd,
                       const char *name, struct cli_args *a)
{
    const char *opt = cli_next(a), *listen = opt ? cli_next(a) : NULL;
    if (opt && (strcmp(opt, "--listen") || !listen || cli_next(a)))
        return cli_usage_error("vm vnc options: --listen 127.0.0.1:PORT");
    return cli_vnc(cli, name, listen);
}

static int cli_cmd_screenshot(const struct cli *cli, const struct cli_command *cmd,
                              const char *name, struct cli_args *a)
{
    const char *file = cli_next(a);
    if (!file)
        return cli_arguments_missing(cmd);
    if (cli_next(a))
        return cli_usage_error("vm screenshot takes NAME FILE.png");
    return cli_screenshot(cli, name, file);
}

static int cli_cmd_sendkey(const struct cli *cli, const struct cli_command *cmd,
                           const char *name, struct cli_args *a)
{
    if (a->pos >= a->argc)
        return cli_arguments_missing(cmd);
    return cli_sendkey(cli, name, a->argv + a->pos, a->argc - a->pos);
}

/* ---- the table: dispatch and --help -------------------------------------- */

const struct cli_command cli_commands[] = {
    { "host", "info", "", "CPU, memory (free, committed), KVM, version",
      "host.info", false, cli_cmd_simple, cli_human_host },
    { "vm", "list", "", "every VM with its state",
      "vm.list", false, cli_cmd_simple, cli_human_list },
    { "vm", "show", "NAME", "one VM, with its definition",
      "vm.show", true, cli_cmd_simple, cli_human_show },
    { "vm", "create",
      "NAME [--memory SIZE] [--cpus N] [--disk SIZE[,bus=sata]]\n"
      "[--kernel PATH [--initrd PATH] [--cmdline TEXT]\n"
      " | --firmware | --uefi]\n"
      "[--iso PATH] [--attach PATH[,ro]]... [--nic BRIDGE|SPEC]...\n"
      "[--autostart] [--restart no|on-failure|always] [--set KEY=VALUE]...",
      "a new VM; --disk SIZE: its root disk;\n"
      "--iso PATH: an installer ISO in a CD-ROM\n"
      "drive, booted by firmware (SeaBIOS, or\n"
      "OVMF with --uefi: its variables in\n"
      "VMDIR/nvram.fd)",
      "vm.create", true, cli_vm_create, cli_human_state },
    { "vm", "edit", "NAME KEY=VALUE...", "change the definition (next start)",
      "vm.edit", true, cli_vm_edit, cli_human_state },
    { "vm", "start", "NAME", "", "vm.start", true, cli_cmd_simple, cli_human_state },
    { "vm", "stop", "NAME [--timeout SEC] [--wait]", "ACPI shutdown, forced after SEC",
      "vm.stop", true, cli_vm_stop, cli_human_state },
    { "vm", "kill", "NAME [--wait]", "force off now",
      "vm.kill", true, cli_vm_stop, cli_human_state },
    { "vm", "restart", "NAME [--timeout SEC]", "",
      "vm.restart", true, cli_vm_stop, cli_human_state },
    { "vm", "pause", "NAME", "hold the VM's vCPUs (its clock stops)",
      "vm.pause", true, cli_cmd_simple, cli_human_state },
    { "vm", "resume", "NAME", "let a paused VM run on",
      "vm.resume", true, cli_cmd_simple, cli_human_state },
    { "vm", "cdrom", "NAME eject|insert ISO [--drive N]",
      "change a running VM's CD (drive 0\nunless --drive; not kept in vm.conf)",
      "vm.cdrom", true, cli_vm_cdrom, cli_human_state },
    { "vm", "delete", "NAME [--yes] [--delete-disks]", "",
      "vm.delete", true, cli_vm_delete, cli_human_deleted },
    { "vm", "log", "NAME [--bytes N]", "the console log (last N bytes, 64K)",
      "vm.log", true, cli_vm_log, cli_human_log },
    { "vm", "vnc", "NAME [--listen 127.0.0.1:PORT]",
      "serve the VM's screen (VNC, no password)\non a loopback port, for ssh -L",
      NULL, true, cli_cmd_vnc, NULL },
    { "vm", "screenshot", "NAME FILE.png", "write the VM's screen as a PNG",
      NULL, true, cli_cmd_screenshot, NULL },
    { "vm", "sendkey", "NAME KEY...",
      "press keys on the VM's keyboard: ret,\ntab, esc, f2, a, combos like ctrl-alt-del",
      NULL, true, cli_cmd_sendkey, NULL },
    { "disk", "create", "VM DISK SIZE [--no-attach]",
      "sparse VMDIR/DISK.img, added as\nthe VM's last disk unless --no-attach",
      "disk.create", true, cli_cmd_disk_size, cli_human_disk },
    { "disk", "resize", "VM DISK SIZE", "grow VMDIR/DISK.img (VM stopped)",
      "disk.resize", true, cli_cmd_disk_size, cli_human_disk },
    { "disk", "list", "[VM]", "disks with size and space used",
      "disk.list", false, cli_cmd_disk_list, cli_human_disk_list },
    { "image", "import", "PATH|URL [--sha256 SUM] [--name NAME] [--ca FILE]",
      "copy or fetch (http://, https:// with\n--sha256) into STATE/images",
      NULL, false, cli_cmd_image_import, NULL },
    { "image", "list", "", "the images (corrald lists STATE/images)",
      "image.list", false, cli_cmd_simple, cli_human_image_list },
    { "image", "delete", "NAME", "delete an image from STATE/images",
      "image.delete", true, cli_cmd_simple, cli_human_image_deleted },
    { "console", NULL, "NAME",
      "attach to the serial console; Ctrl-]\ndetaches, the VM keeps running",
      NULL, true, cli_cmd_console, NULL },
};
const size_t cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);

/* The global options before the command; -1 to go on, else the exit status. */
static int cli_options(struct cli *cli, struct cli_args *a, const char **word)
{
    while ((*word = cli_next(a)) && (*word)[0] == '-') {
        if (!strcmp(*word, "--json"))
            cli->json = true;
        else if (!strcmp(*word, "--socket") && a->pos < a->argc)
            cli->socket_path = cli_next(a);
        else if (!strcmp(*word, "--help") || !strcmp(*word, "-h")) {
            cli_print_usage(stdout);
            return 0;
        } else if (!strcmp(*word, "--version")) {
            printf("corral %s\n", CORRAL_VERSION);
            return 0;
        } else
            return cli_usage_error("unknown option");
    }
    return -1;
}

int cli_run(struct cli *cli, int argc, char **argv)
{
    struct cli_args a = { argc, argv, 1 };
    const char *group;
    int status = cli_options(cli, &a, &group);
    if (status >= 0)
        return status;
    if (!group)
        return cli_usage_error("give a command");
    if (!cli_group_known(cli_commands, cli_command_count, group))
        return cli_usage_error("unknown command");
    const struct cli_command *cmd = cli_command_find(cli_commands, cli_command_count,
                                                     group, a.pos < argc ? argv[a.pos] : NULL);
    if (!cmd)
        return cli_usage_error(a.pos < argc ? "unknown subcommand" : "give a subcommand");
    if (cmd->sub)
        a.pos++;
    const char *vm = cmd->takes_vm ? cli_next(&a) : NULL;
    if (cmd->takes_vm && !vm)
        return cli_arguments_missing(cmd);
    return cmd->run(cli, cmd, vm, &a);
}
