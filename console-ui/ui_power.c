/* ui_power: Reboot and Shut down.  The running VMs are shut down first,
 * cleanly, through corrald as `corral vm stop` does (the guest is asked,
 * and forced off after its stop timeout), with each VM's progress on the
 * screen; then reboot or poweroff hands over to init. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runcmd.h"
#include "screens.h"
#include "ui.h"
#include "vmlist.h"

#define CORRAL_TIMEOUT_MS 20000
/* corrald forces a VM off after its stop timeout; this is only a guard
 * against a VM manager that stops answering. */
#define STOP_ALL_LIMIT_S 900
#define TEXT_MAX 4096

/* The progress screen: a line per VM that was running at the start. */
static void show_stop_progress(const char *title, const struct vm_list *now,
                               const char (*names)[VMDEF_NAME_MAX + 1], size_t count,
                               const char *tail)
{
    char text[TEXT_MAX], line[160];
    size_t used = (size_t)snprintf(text, sizeof(text), "Shutting down the running VMs (each "
                                   "is asked, and forced off after its stop timeout):\n\n");

    for (size_t i = 0; i < count && used < sizeof(text); i++) {
        const struct vm_summary *vm = NULL;
        for (size_t j = 0; j < now->count; j++)
            if (strcmp(now->vms[j].name, names[i]) == 0)
                vm = &now->vms[j];
        if (vm)
            vmlist_stop_line(vm, line, sizeof(line));
        else
            snprintf(line, sizeof(line), "%s: gone", names[i]);
        used += (size_t)snprintf(text + used, sizeof(text) - used, "  %s\n", line);
    }
    if (used < sizeof(text))
        snprintf(text + used, sizeof(text) - used, "\n%s", tail);
    ui_progress(title, text);
}

/* Asks corrald to stop every running VM and shows each one's progress
 * until none runs.  Does nothing when there is no VM manager; when it does
 * not answer, init's shutdown (which stops corrald, and so the VMs) is
 * left to do it. */
static void stop_all_vms(const char *title)
{
    static struct vm_list list;
    static char names[VMLIST_MAX][VMDEF_NAME_MAX + 1];
    char why[512], out[1024];
    size_t count = 0;
    time_t start = time(NULL);

    if (!program_exists("corral") || vms_fetch(&list, why, sizeof(why)) != 0)
        return;
    for (size_t i = 0; i < list.count; i++) {
        const char *argv[] = {"corral", "vm", "stop", list.vms[i].name, NULL};
        if (!vmlist_is_up(&list.vms[i]))
            continue;
        memcpy(names[count++], list.vms[i].name, sizeof(names[0]));
        run_command(argv, NULL, out, sizeof(out), CORRAL_TIMEOUT_MS);
    }
    while (count) {
        bool up = false;
        if (vms_fetch(&list, why, sizeof(why)) != 0)
            break;
        for (size_t i = 0; i < list.count; i++)
            for (size_t j = 0; j < count; j++)
                up |= strcmp(list.vms[i].name, names[j]) == 0 && vmlist_is_up(&list.vms[i]);
        show_stop_progress(title, &list, names, count, up ? "Waiting..." : "All stopped.");
        if (!up || time(NULL) - start > STOP_ALL_LIMIT_S)
            break;
        sleep(1);
    }
    if (count)
        sleep(2); /* the last state stays readable a moment */
}

void power_action(bool reboot)
{
    const char *what = reboot ? "Reboot" : "Shut down";
    const char *argv[] = {reboot ? "reboot" : "poweroff", NULL};
    char out[1024], text[1200];
    int status;

    if (!ui_confirm(what, reboot ? "Reboot this machine now? Running VMs are shut down first."
                                 : "Power this machine off now? Running VMs are shut down first."))
        return;
    stop_all_vms(what);
    ui_progress(what, reboot ? "Rebooting: stopping services cleanly..."
                             : "Shutting down: stopping services cleanly...");
    status = run_command(argv, NULL, out, sizeof(out), 30000);
    if (status == 0) {
        /* init takes over from here and ends this program too. */
        for (int i = 0; i < 120; i++)
            sleep(1);
        snprintf(text, sizeof(text), "%s was requested but the machine is still up after two "
                                     "minutes. See Logs.", what);
    } else {
        snprintf(text, sizeof(text), "%s failed: %s", what, out[0] ? out : strerror(-status));
    }
    ui_message(what, text);
}
