/* ui_logs: Logs: the system log, the kernel's messages and each VM's
 * console log (corral vm log, through corrald like the CLI), as a list to
 * choose from; each opens scrollable, at its end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runcmd.h"
#include "screens.h"
#include "ui.h"
#include "vmlist.h"

#define OUTPUT_MAX (512 * 1024)
#define LOG_TIMEOUT_MS 20000
#define FIXED_LOGS 2

void show_log(const char *title, const char *const *argv)
{
    char *out = malloc(OUTPUT_MAX);
    int status;

    if (!out) {
        ui_message("Logs", "Not enough memory to show the log.");
        return;
    }
    ui_progress(title, "Reading the log...");
    status = run_command(argv, NULL, out, OUTPUT_MAX, LOG_TIMEOUT_MS);
    if (status < 0)
        snprintf(out, OUTPUT_MAX, "The log could not be read: %s", strerror(-status));
    else if (!out[0] && status == 0)
        snprintf(out, OUTPUT_MAX, "(empty)");
    else if (!out[0])
        snprintf(out, OUTPUT_MAX, "%s failed (exit status %d).", argv[0], status);
    ui_view_text(title, out, true);
    free(out);
}

/* The VMs' logs after the fixed ones; a note in the last item's help when
 * corrald does not answer.  Returns how many items there are. */
static size_t add_vm_logs(struct menu_item *items, struct vm_list *list,
                          char labels[][48], char helps[][160], char *why, size_t len)
{
    size_t n = FIXED_LOGS;

    if (!program_exists("corral"))
        return n;
    if (vms_fetch(list, why, len) != 0) {
        items[n++] = (struct menu_item){0, "VM logs: unavailable", why, false};
        return n;
    }
    for (size_t i = 0; i < list->count; i++, n++) {
        snprintf(labels[i], sizeof(labels[i]), "VM %-.20s", list->vms[i].name);
        snprintf(helps[i], sizeof(helps[i]), "The console log of the VM %s (%s): what its "
                 "serial console printed (corral vm log).", list->vms[i].name,
                 list->vms[i].state);
        items[n] = (struct menu_item){0, labels[i], helps[i], true};
    }
    return n;
}

void logs_menu(void)
{
    static struct vm_list list;
    static struct menu_item items[FIXED_LOGS + VMLIST_MAX + 1];
    static char labels[VMLIST_MAX][48], helps[VMLIST_MAX][160];
    char why[512];
    struct menu m;

    items[0] = (struct menu_item){'S', "System log", "Messages from Corral's services and the "
                                  "boot (logread: the last 256 KiB, kept in memory).", true};
    items[1] = (struct menu_item){'K', "Kernel messages", "The kernel's ring buffer (dmesg): "
                                  "drivers, disks, network links, KVM.", true};
    menu_init(&m, items, add_vm_logs(items, &list, labels, helps, why, sizeof(why)));
    for (;;) {
        int chosen = ui_menu_run("Logs", &m, NULL);
        const char *logread[] = {"logread", NULL}, *dmesg[] = {"dmesg", NULL};
        if (chosen < 0)
            return;
        if (!items[chosen].available) {
            ui_message("Logs", why);
        } else if (chosen < FIXED_LOGS) {
            show_log(items[chosen].label, chosen == 0 ? logread : dmesg);
        } else {
            const char *name = list.vms[chosen - FIXED_LOGS].name;
            const char *vm_log[] = {"corral", "vm", "log", name, NULL};
            char title[64];
            snprintf(title, sizeof(title), "Console log of %s", name);
            show_log(title, vm_log);
        }
    }
}
