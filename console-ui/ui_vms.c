/* ui_vms: Virtual machines.  Everything goes through the corral command
 * (and so through corrald), exactly as on the command line: the list,
 * create, start, stop, restart, force off, delete, console and log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duration.h"
#include "runcmd.h"
#include "screens.h"
#include "ui.h"
#include "vmlist.h"

#define CORRAL_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS 150000
#define IMAGES_DIR "/var/lib/corral/images"
#define INTRO_MAX 76

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

/* --- create ------------------------------------------------------------------------ */

enum { NEW_NAME, NEW_MEMORY, NEW_CPUS, NEW_DISK, NEW_BOOT, NEW_KERNEL, NEW_INITRD, NEW_CMDLINE,
       NEW_AUTOSTART, NEW_COUNT };
static const char *const boot_choices[] = {"kernel", "firmware"};
static const char *const yes_no[] = {"no", "yes"};

static bool kernel_boot(const struct ui_form *f)
{
    return strcmp(ui_field_value(f, NEW_BOOT), "kernel") == 0;
}

/* An image named in the form: a path, or a file name in IMAGES_DIR. */
static void image_path(const char *text, char *out, size_t len)
{
    if (strchr(text, '/'))
        snprintf(out, len, "%s", text);
    else
        snprintf(out, len, "%s/%s", IMAGES_DIR, text);
}

static int check_name(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_vm_name(ui_field_value(f, i), why, len);
}

static int check_memory(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_vm_memory(ui_field_value(f, i), why, len);
}

static int check_cpus(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_vm_cpus(ui_field_value(f, i), why, len);
}

static int check_disk(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_vm_disk_size(ui_field_value(f, i), why, len);
}

static int check_image(const struct ui_form *f, size_t i, char *why, size_t len, bool required)
{
    const char *text = ui_field_value(f, i);
    char path[1024];

    if (!*text) {
        if (!required)
            return 0;
        snprintf(why, len, "required: a file in %s, or a path", IMAGES_DIR);
        return -EINVAL;
    }
    image_path(text, path, sizeof(path));
    if (access(path, R_OK) != 0) {
        snprintf(why, len, "%.200s: %s", path, strerror(errno));
        return -ENOENT;
    }
    return 0;
}

static int check_kernel(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return check_image(f, i, why, len, true);
}

static int check_initrd(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return check_image(f, i, why, len, false);
}

static void choice_field(struct ui_field *fl, const char *label, const char *const *choices,
                         size_t count)
{
    ui_field_text(fl, label, "", 0);
    fl->kind = UI_FIELD_CHOICE;
    fl->choices = choices;
    fl->choice_count = count;
}

/* "Images: a, b, c" for the wizard's introduction. */
static void list_images(char *out, size_t len)
{
    const char *argv[] = {"ls", IMAGES_DIR, NULL};
    char names[1024];
    size_t used;

    used = (size_t)snprintf(out, len, "Images in %s: ", IMAGES_DIR);
    if (run_command(argv, NULL, names, sizeof(names), 5000) != 0 || !names[0]) {
        snprintf(out + used, len - used, "none yet (corral image import)");
        return;
    }
    for (char *p = names; *p; p++)
        if (*p == '\n')
            *p = p[1] ? ',' : '\0';
    snprintf(out + used, len - used, "%s", names);
    /* One line: the form's nine fields fill the rest of a 24-row screen. */
    if (len > INTRO_MAX + 1 && strlen(out) > INTRO_MAX)
        memcpy(out + INTRO_MAX - 3, "...", 4);
}

/* argv for `corral vm create` from the form (strings point into it). */
static size_t create_argv(const struct ui_form *f, const char **argv, char *kernel, char *initrd,
                          size_t path_len)
{
    size_t n = 0;

    argv[n++] = "corral";
    argv[n++] = "vm";
    argv[n++] = "create";
    argv[n++] = ui_field_value(f, NEW_NAME);
    argv[n++] = "--memory";
    argv[n++] = ui_field_value(f, NEW_MEMORY);
    argv[n++] = "--cpus";
    argv[n++] = ui_field_value(f, NEW_CPUS);
    argv[n++] = "--nic";
    argv[n++] = "br0";
    if (*ui_field_value(f, NEW_DISK)) {
        argv[n++] = "--disk";
        argv[n++] = ui_field_value(f, NEW_DISK);
    }
    if (kernel_boot(f)) {
        image_path(ui_field_value(f, NEW_KERNEL), kernel, path_len);
        argv[n++] = "--kernel";
        argv[n++] = kernel;
        if (*ui_field_value(f, NEW_INITRD)) {
            image_path(ui_field_value(f, NEW_INITRD), initrd, path_len);
            argv[n++] = "--initrd";
            argv[n++] = initrd;
        }
        argv[n++] = "--cmdline";
        argv[n++] = ui_field_value(f, NEW_CMDLINE);
    } else {
        argv[n++] = "--firmware";
    }
    if (strcmp(ui_field_value(f, NEW_AUTOSTART), "yes") == 0)
        argv[n++] = "--autostart";
    argv[n] = NULL;
    return n;
}

static void create_screen(void)
{
    struct ui_field fields[NEW_COUNT];
    char intro[1200], kernel[1024], initrd[1024];
    struct ui_form form = {"Create a VM", intro, fields, NEW_COUNT, NULL};
    const char *argv[32];

    list_images(intro, sizeof(intro));
    ui_field_text(&fields[NEW_NAME], "Name", "", VMDEF_NAME_MAX + 8);
    fields[NEW_NAME].hint = "letters, digits, '-'";
    fields[NEW_NAME].check = check_name;
    ui_field_text(&fields[NEW_MEMORY], "Memory", "256M", 16);
    fields[NEW_MEMORY].check = check_memory;
    ui_field_text(&fields[NEW_CPUS], "vCPUs", "1", 4);
    fields[NEW_CPUS].check = check_cpus;
    ui_field_text(&fields[NEW_DISK], "New disk size", "", 16);
    fields[NEW_DISK].hint = "e.g. 20G; empty: no disk";
    fields[NEW_DISK].check = check_disk;
    choice_field(&fields[NEW_BOOT], "Boot from", boot_choices, 2);
    ui_field_text(&fields[NEW_KERNEL], "Kernel", "", 512);
    fields[NEW_KERNEL].check = check_kernel;
    fields[NEW_KERNEL].active = kernel_boot;
    fields[NEW_KERNEL].hint = "an image name or a path";
    ui_field_text(&fields[NEW_INITRD], "Initrd", "", 512);
    fields[NEW_INITRD].check = check_initrd;
    fields[NEW_INITRD].active = kernel_boot;
    fields[NEW_INITRD].hint = "optional";
    ui_field_text(&fields[NEW_CMDLINE], "Kernel command line", "console=ttyS0", 512);
    fields[NEW_CMDLINE].active = kernel_boot;
    choice_field(&fields[NEW_AUTOSTART], "Start at boot", yes_no, 2);
    if (!ui_form_run(&form))
        return;
    create_argv(&form, argv, kernel, initrd, sizeof(kernel));
    show_command("Create a VM", argv, CORRAL_TIMEOUT_MS);
}

/* --- one VM ------------------------------------------------------------------------- */

static void describe_vm(const struct vm_summary *vm, char *out, size_t len)
{
    char uptime[32];

    duration_format((long long)vm->uptime_s, uptime, sizeof(uptime));
    snprintf(out, len, "State: %s\nMemory: %llu MiB   vCPUs: %u\nUptime: %s\nStarts at boot: %s%s%s",
             vm->state, (unsigned long long)vm->memory_mib, vm->cpus,
             vm->uptime_s ? uptime : "-", vm->autostart ? "yes" : "no",
             vm->last_stop[0] ? "\nLast stop: " : "", vm->last_stop);
}

static void corral_action(const char *title, const char *verb, const char *name, const char *extra,
                          int timeout_ms)
{
    const char *argv[] = {"corral", "vm", verb, name, extra, NULL};
    show_command(title, argv, timeout_ms);
}

static void delete_vm(const char *name)
{
    char question[200];
    bool disks;
    const char *argv[] = {"corral", "vm", "delete", name, "--yes", NULL, NULL};

    snprintf(question, sizeof(question), "Delete the VM %s? Its definition and console log "
                                         "are removed.", name);
    if (!ui_confirm("Delete VM", question))
        return;
    disks = ui_confirm("Delete VM", "Delete its disk images in its directory too? (No keeps "
                                    "them.)");
    if (disks)
        argv[5] = "--delete-disks";
    show_command("Delete VM", argv, CORRAL_TIMEOUT_MS);
}

static void vm_menu(const struct vm_summary *vm)
{
    char details[512];
    struct menu_item items[] = {
        {'S', "Start", details, true},
        {'T', "Stop", details, true},
        {'R', "Restart", details, true},
        {'K', "Force off", details, true},
        {'C', "Console", details, true},
        {'L', "Console log", details, true},
        {'D', "Delete", details, true},
    };
    const char *console[] = {"corral", "console", vm->name, NULL};
    const char *log[] = {"corral", "vm", "log", vm->name, NULL};
    struct menu m;
    int chosen;

    describe_vm(vm, details, sizeof(details));
    menu_init(&m, items, sizeof(items) / sizeof(items[0]));
    chosen = ui_menu_run(vm->name, &m, NULL);
    switch (chosen) {
    case 0:
        corral_action("Start", "start", vm->name, NULL, CORRAL_TIMEOUT_MS);
        break;
    case 1:
        ui_progress("Stop", "Asking the guest to shut down; it is forced off after its stop "
                            "timeout...");
        corral_action("Stop", "stop", vm->name, "--wait", STOP_TIMEOUT_MS);
        break;
    case 2:
        corral_action("Restart", "restart", vm->name, NULL, STOP_TIMEOUT_MS);
        break;
    case 3:
        if (ui_confirm("Force off", "Force the VM off now, like pulling its power cord?"))
            corral_action("Force off", "kill", vm->name, "--wait", CORRAL_TIMEOUT_MS);
        break;
    case 4: {
        char banner[128];
        snprintf(banner, sizeof(banner), "Console of %s: Ctrl-] returns to the menu (the VM "
                                         "keeps running).", vm->name);
        run_in_terminal(console, banner);
        break;
    }
    case 5:
        show_command("Console log", log, CORRAL_TIMEOUT_MS);
        break;
    case 6:
        delete_vm(vm->name);
        break;
    }
}

void vms_menu(void)
{
    static struct vm_list list;
    static struct menu_item items[VMLIST_MAX + 1];
    static char labels[VMLIST_MAX][64], helps[VMLIST_MAX][512];
    char why[512];

    if (!program_exists("corral")) {
        ui_message("Virtual machines", "The VM manager (corrald and the corral command) is not "
                                       "part of this build.");
        return;
    }
    for (;;) {
        struct menu m;
        int chosen;
        if (vms_fetch(&list, why, sizeof(why)) != 0) {
            char text[700];
            snprintf(text, sizeof(text), "The VM manager does not answer: %s", why);
            ui_message("Virtual machines", text);
            return;
        }
        items[0] = (struct menu_item){'N', "Create a VM", "Name, memory, vCPUs, a new disk, "
                                      "boot from a kernel or the disk (BIOS), start at boot.", true};
        for (size_t i = 0; i < list.count; i++) {
            snprintf(labels[i], sizeof(labels[i]), "%-12.12s %s", list.vms[i].name,
                     list.vms[i].state);
            describe_vm(&list.vms[i], helps[i], sizeof(helps[i]));
            items[i + 1] = (struct menu_item){0, labels[i], helps[i], true};
        }
        menu_init(&m, items, list.count + 1);
        chosen = ui_menu_run("Virtual machines", &m, NULL);
        if (chosen < 0)
            return;
        if (chosen == 0)
            create_screen();
        else
            vm_menu(&list.vms[chosen - 1]);
    }
}
