/* ui_vms: Virtual machines.  Everything goes through the corral command
 * (and so through corrald), exactly as on the command line: the list,
 * start, stop, restart, force off, edit, delete, console and log (the
 * create wizard is ui_vm_create.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duration.h"
#include "runcmd.h"
#include "screens.h"
#include "ui.h"
#include "vmform.h"
#include "vmlist.h"

#define CORRAL_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS 150000
#define VMLIST_ACTIONS 2 /* Create, Import: the VMs follow */

int vms_fetch(struct vm_list *list, char *why, size_t len)
{
    const char *argv[] = {"corral", "--json", "vm", "list", NULL};
    char *out = malloc(256 * 1024);
    int status, r;

    if (!out) {
        snprintf(why, len, "out of memory");
        return -ENOMEM;
    }
    status = run_command(argv, NULL, out, 256 * 1024, CORRAL_TIMEOUT_MS);
    if (status < 0) {
        snprintf(why, len, "corral: %s", strerror(-status));
        r = status;
    } else {
        r = vmlist_parse(out, list, why, len);
        /* Not JSON at all: say how corral ended rather than what the JSON
         * reader thought of its output. */
        if (r != 0 && status >= 128)
            snprintf(why, len, "corral was killed by signal %d", status - 128);
        else if (r != 0 && status != 0 && out[0] != '{')
            snprintf(why, len, "corral exited with status %d: %.200s", status,
                     out[0] ? out : "no output");
    }
    free(out);
    return r;
}

/* --- edit ------------------------------------------------------------------------ */

enum { EDIT_MEMORY, EDIT_CPUS, EDIT_AUTOSTART, EDIT_RESTART, EDIT_COUNT };
static const char *const yes_no[] = {"no", "yes"};
static const char *const restart_choices[] = {"no", "on-failure", "always"};

static int check_memory(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_vm_memory(ui_field_value(f, i), why, len);
}

static int check_cpus(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_vm_cpus(ui_field_value(f, i), why, len);
}

static void choice_field(struct ui_field *fl, const char *label, const char *const *choices,
                         size_t count, const char *value)
{
    ui_field_text(fl, label, "", 0);
    fl->kind = UI_FIELD_CHOICE;
    fl->choices = choices;
    fl->choice_count = count;
    for (size_t i = 0; i < count; i++)
        if (strcmp(choices[i], value) == 0)
            fl->choice = i;
}

/* Memory, vCPUs, autostart and restart policy through `corral vm edit`
 * (only what changed); corrald applies them at the VM's next start. */
static void edit_screen(const struct vm_summary *vm)
{
    struct ui_field fields[EDIT_COUNT];
    char intro[160], memory[32], cpus[16], settings[4][80];
    struct ui_form form = {"Edit VM", intro, fields, EDIT_COUNT, NULL, false, 0};
    const char *argv[16];
    struct vmform_edit now, typed;

    snprintf(intro, sizeof(intro), "%s: changes apply at its next start%s.", vm->name,
             vmlist_is_up(vm) ? " (it is running now: stop and start it)" : "");
    snprintf(memory, sizeof(memory), "%lluM", (unsigned long long)vm->memory_mib);
    snprintf(cpus, sizeof(cpus), "%u", vm->cpus);
    ui_field_text(&fields[EDIT_MEMORY], "Memory", memory, 16);
    fields[EDIT_MEMORY].check = check_memory;
    fields[EDIT_MEMORY].hint = "e.g. 512M, 2G";
    ui_field_text(&fields[EDIT_CPUS], "vCPUs", cpus, 4);
    fields[EDIT_CPUS].check = check_cpus;
    choice_field(&fields[EDIT_AUTOSTART], "Start at boot", yes_no, 2, vm->autostart ? "yes" : "no");
    choice_field(&fields[EDIT_RESTART], "Restart", restart_choices, 3,
                 vm->restart[0] ? vm->restart : "on-failure");
    fields[EDIT_RESTART].hint = "when it stops by itself";
    now = (struct vmform_edit){memory, cpus, ui_field_value(&form, EDIT_AUTOSTART),
                               ui_field_value(&form, EDIT_RESTART)};
    if (!ui_form_run(&form))
        return;
    typed = (struct vmform_edit){ui_field_value(&form, EDIT_MEMORY),
                                 ui_field_value(&form, EDIT_CPUS),
                                 ui_field_value(&form, EDIT_AUTOSTART),
                                 ui_field_value(&form, EDIT_RESTART)};
    if (vmform_edit_argv(vm->name, &now, &typed, settings, argv) == 0)
        ui_message("Edit VM", "Nothing was changed.");
    else
        show_command("Edit VM", argv, CORRAL_TIMEOUT_MS);
}

/* --- one VM ------------------------------------------------------------------------- */

static void describe_vm(const struct vm_summary *vm, char *out, size_t len)
{
    char uptime[32], screen[160] = "";

    duration_format((long long)vm->uptime_s, uptime, sizeof(uptime));
    if (vm->display)
        snprintf(screen, sizeof(screen), "\nScreen: corral vm vnc %s, then a VNC viewer",
                 vm->name);
    snprintf(out, len, "State: %s\nMemory: %llu MiB   vCPUs: %u\nUptime: %s\nStarts at boot: %s"
             "\nRestart: %s%s%s%s",
             vm->state, (unsigned long long)vm->memory_mib, vm->cpus,
             vm->uptime_s ? uptime : "-", vm->autostart ? "yes" : "no",
             vm->restart[0] ? vm->restart : "-", screen,
             vm->last_stop[0] ? "\nLast stop: " : "", vm->last_stop);
}

static void corral_action(const char *title, const char *verb, const char *name, const char *extra,
                          int timeout_ms)
{
    const char *argv[] = {"corral", "vm", verb, name, extra, NULL};
    show_command(title, argv, timeout_ms);
}

/* True when the VM was deleted. */
static bool delete_vm(const char *name)
{
    char question[200];
    bool disks;
    const char *argv[] = {"corral", "vm", "delete", name, "--yes", NULL, NULL};

    snprintf(question, sizeof(question), "Delete the VM %s? Its definition and console log "
                                         "are removed.", name);
    if (!ui_confirm("Delete VM", question))
        return false;
    disks = ui_confirm("Delete VM", "Delete its disk images in its directory too? (No keeps "
                                    "them.)");
    if (disks)
        argv[5] = "--delete-disks";
    return show_command("Delete VM", argv, CORRAL_TIMEOUT_MS) == 0;
}

/* The VM menu's items, in this order. */
enum { VM_START, VM_STOP, VM_RESTART, VM_KILL, VM_CONSOLE, VM_LOG, VM_EDIT, VM_DELETE };

/* The VMs from corrald; false when it does not answer (said on the
 * screen). */
static bool fetch_vms(struct vm_list *list)
{
    char why[512], text[700];

    if (vms_fetch(list, why, sizeof(why)) == 0)
        return true;
    snprintf(text, sizeof(text), "The VM manager does not answer: %s", why);
    ui_message("Virtual machines", text);
    return false;
}

/* vm gets name's summary from a fresh list; false when it is gone or
 * corrald does not answer. */
static bool vm_refresh(const char *name, struct vm_summary *vm)
{
    static struct vm_list list;

    if (!fetch_vms(&list))
        return false;
    for (size_t i = 0; i < list.count; i++)
        if (strcmp(list.vms[i].name, name) == 0) {
            *vm = list.vms[i];
            return true;
        }
    return false;
}

static void attach_console(const char *name)
{
    const char *console[] = {"corral", "console", name, NULL};
    char banner[128];

    snprintf(banner, sizeof(banner), "Console of %s: Ctrl-] returns to the menu (the VM keeps "
                                     "running).", name);
    run_in_terminal(console, banner, PAUSE_ON_ERROR);
}

/* One action on the VM; false when the VM is gone after it. */
static bool vm_action(const struct vm_summary *vm, int chosen)
{
    const char *log[] = {"corral", "vm", "log", vm->name, NULL};

    switch (chosen) {
    case VM_START:
        corral_action("Start", "start", vm->name, NULL, CORRAL_TIMEOUT_MS);
        break;
    case VM_STOP:
        ui_progress("Stop", "Asking the guest to shut down; it is forced off after its stop "
                            "timeout...");
        corral_action("Stop", "stop", vm->name, "--wait", STOP_TIMEOUT_MS);
        break;
    case VM_RESTART:
        corral_action("Restart", "restart", vm->name, NULL, STOP_TIMEOUT_MS);
        break;
    case VM_KILL:
        if (ui_confirm("Force off", "Force the VM off now, like pulling its power cord?"))
            corral_action("Force off", "kill", vm->name, "--wait", CORRAL_TIMEOUT_MS);
        break;
    case VM_CONSOLE:
        attach_console(vm->name);
        break;
    case VM_LOG: {
        char title[96];
        snprintf(title, sizeof(title), "Console log of %s", vm->name);
        show_log(title, log);
        break;
    }
    case VM_EDIT:
        edit_screen(vm);
        break;
    case VM_DELETE:
        return !delete_vm(vm->name);
    }
    return true;
}

void vm_open(const char *name, bool console_first)
{
    char details[512];
    struct menu_item items[] = {
        [VM_START] = {'S', "Start", details, true},
        [VM_STOP] = {'T', "Stop", details, true},
        [VM_RESTART] = {'R', "Restart", details, true},
        [VM_KILL] = {'K', "Force off", details, true},
        [VM_CONSOLE] = {'C', "Console", details, true},
        [VM_LOG] = {'L', "Console log", details, true},
        [VM_EDIT] = {'E', "Edit", details, true},
        [VM_DELETE] = {'D', "Delete", details, true},
    };
    struct vm_summary vm;
    struct menu m;

    menu_init(&m, items, sizeof(items) / sizeof(items[0]));
    if (console_first)
        m.selected = VM_CONSOLE;
    /* The VM's menu stays until Esc: the next action (its console after
     * a start) is a key away, without choosing the VM again. */
    while (vm_refresh(name, &vm)) {
        int chosen;
        describe_vm(&vm, details, sizeof(details));
        chosen = ui_menu_run(vm.name, &m, NULL);
        if (chosen < 0 || !vm_action(&vm, chosen))
            return;
        if (chosen == VM_START || chosen == VM_RESTART)
            m.selected = VM_CONSOLE;
    }
}

/* After the wizard: the new VM's menu, once asked whether to start it. */
void vm_created(const char *name)
{
    char question[160];
    bool start;

    snprintf(question, sizeof(question), "The VM %s is created. Start it now?", name);
    start = ui_confirm("Create a VM", question);

    if (start)
        corral_action("Start", "start", name, NULL, CORRAL_TIMEOUT_MS);
    vm_open(name, start);
}

void vms_menu(void)
{
    static struct vm_list list;
    static struct menu_item items[VMLIST_ACTIONS + VMLIST_MAX];
    static char labels[VMLIST_MAX][64], helps[VMLIST_MAX][512];

    if (!program_exists("corral")) {
        ui_message("Virtual machines", "The VM manager (corrald and the corral command) is not "
                                       "part of this build.");
        return;
    }
    for (;;) {
        struct menu m;
        int chosen;
        if (!fetch_vms(&list))
            return;
        items[0] = (struct menu_item){'N', "Create a VM", "Name, memory, vCPUs, a new disk, "
                                      "boot from a kernel, a disk image or an installer ISO, "
                                      "a NIC on a bridge, start at boot.", true};
        items[1] = (struct menu_item){'I', "Import from USB/disk", "Import an image from a USB "
                                      "stick or disk: its partitions, then the ISOs and disk "
                                      "images on the one chosen (mounted read-only), copied "
                                      "into " VMFORM_IMAGES_DIR " with progress; then a VM "
                                      "that boots from it, if you like.", true};
        for (size_t i = 0; i < list.count; i++) {
            snprintf(labels[i], sizeof(labels[i]), "%-12.12s %s", list.vms[i].name,
                     list.vms[i].state);
            describe_vm(&list.vms[i], helps[i], sizeof(helps[i]));
            items[VMLIST_ACTIONS + i] = (struct menu_item){0, labels[i], helps[i], true};
        }
        menu_init(&m, items, VMLIST_ACTIONS + list.count);
        chosen = ui_menu_run("Virtual machines", &m, NULL);
        if (chosen < 0)
            return;
        if (chosen == 0) {
            char name[VMDEF_NAME_MAX + 1];
            if (vm_create_screen(NULL, name, sizeof(name)))
                vm_created(name);
        } else if (chosen == 1) {
            import_screen();
        } else {
            vm_open(list.vms[chosen - VMLIST_ACTIONS].name, false);
        }
    }
}
