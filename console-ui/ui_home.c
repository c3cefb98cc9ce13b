/* ui_home: the home screen (what this machine is and how to reach it,
 * refreshed every two seconds) and the main menu behind it. */
#include <arpa/inet.h>
#include <curses.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "screens.h"
#include "sysconf.h"
#include "sysinfo.h"
#include "ui.h"
#include "vmlist.h"
#include "web_paths.h"

#define REFRESH_MS 2000
#define LABEL_W 11

struct home_facts {
    char manage[256];
    char network[512];
    char kvm[256];
    char cpu[192];
    char memory[96];
    char vms[160];
    char state[256];
    char ssh[160];
    char web[160];
};

/* "ssh root@A" for every IPv4 address of the management interface (br0,
 * or br0.VLAN when the management address is tagged). */
static void management_addresses(char *out, size_t len)
{
    struct ifaddrs *list, *ifa;
    size_t used = 0;

    out[0] = '\0';
    if (getifaddrs(&list) != 0)
        return;
    for (ifa = list; ifa; ifa = ifa->ifa_next) {
        char a[INET_ADDRSTRLEN];
        if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET
            || strncmp(ifa->ifa_name, "br0", 3) != 0)
            continue;
        inet_ntop(AF_INET, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, a, sizeof(a));
        if (used < len)
            used += (size_t)snprintf(out + used, len - used, "%sssh root@%s", used ? "   " : "", a);
    }
    freeifaddrs(list);
    if (!out[0])
        snprintf(out, len, "no address yet (see Network)");
}

static void cpu_line(char *out, size_t len)
{
    static struct cpu_sample last;
    struct cpu_sample now;
    char text[65536], model[128];
    unsigned count, busy = 0;
    bool have_sample = false;

    if (read_small_file("/proc/stat", text, sizeof(text)) > 0
        && cpu_sample_parse(text, &now) == 0) {
        busy = cpu_busy_percent(&last, &now);
        have_sample = last.total != 0;
        last = now;
    }
    read_small_file("/proc/cpuinfo", text, sizeof(text));
    cpuinfo_parse(text, &count, model, sizeof(model));
    if (have_sample)
        snprintf(out, len, "%u x %s, %u%% in use", count, model[0] ? model : "CPU", busy);
    else
        snprintf(out, len, "%u x %s", count, model[0] ? model : "CPU");
}

static void memory_line(char *out, size_t len)
{
    char text[8192];
    uint64_t total, available;

    if (read_small_file("/proc/meminfo", text, sizeof(text)) <= 0
        || meminfo_parse(text, &total, &available) != 0) {
        snprintf(out, len, "unknown (/proc/meminfo unreadable)");
        return;
    }
    snprintf(out, len, "%llu MiB total, %llu MiB in use (%llu%%)",
             (unsigned long long)(total / 1024), (unsigned long long)((total - available) / 1024),
             (unsigned long long)(total ? (total - available) * 100 / total : 0));
}

/* VMs come from corrald through the corral command; when it does not
 * answer, the screen says why instead of guessing. */
static void vms_line(char *out, size_t len)
{
    static struct vm_list list;
    char why[256];

    if (!program_exists("corral"))
        snprintf(out, len, "unknown: the VM manager (corrald) is not in this build");
    else if (vms_fetch(&list, why, sizeof(why)) != 0)
        snprintf(out, len, "unknown: the VM manager does not answer (%.100s)", why);
    else
        snprintf(out, len, "%zu running, %zu defined", list.running, list.count);
}

static void ssh_line(char *out, size_t len)
{
    char path[512];
    bool password_login = sysconf_get_bool(root_path(SYSTEM_CONF, path, sizeof(path)),
                                           SYSCONF_SSH_PASSWORD_LOGIN);

    if (!root_password_is_set())
        snprintf(out, len, "key login only: no root password set (Security)");
    else if (password_login)
        snprintf(out, len, "key or root password login");
    else
        snprintf(out, len, "key login only (password login turned off)");
}

/* corral-web's certificate, so that a browser's first visit can be checked:
 * its SHA-256 in two halves of 16 bytes, one a line. */
static void web_line(char *out, size_t len)
{
    char path[512], fp[128];
    if (read_small_file(root_path(WEB_FINGERPRINT_FILE, path, sizeof(path)), fp, sizeof(fp)) <= 0)
        snprintf(out, len, "not started yet (no certificate)");
    else if (strlen(fp) == 95)
        snprintf(out, len, "SHA-256 %.47s %s", fp, fp + 48);
    else
        snprintf(out, len, "SHA-256 %s", fp);
}

static void gather(struct home_facts *f)
{
    gethostname(ui_ctx.hostname, sizeof(ui_ctx.hostname) - 1);
    management_addresses(f->manage, sizeof(f->manage));
    status_read("network", f->network, sizeof(f->network), "unknown (no status from the boot)");
    status_read("kvm", f->kvm, sizeof(f->kvm), "unknown (no status from the boot)");
    status_read("state", f->state, sizeof(f->state), "unknown (no status from the boot)");
    cpu_line(f->cpu, sizeof(f->cpu));
    memory_line(f->memory, sizeof(f->memory));
    vms_line(f->vms, sizeof(f->vms));
    ssh_line(f->ssh, sizeof(f->ssh));
    web_line(f->web, sizeof(f->web));
}

static int fact(int y, const char *label, const char *value)
{
    int w = COLS - 4 - LABEL_W - 1;

    ui_text(y, 2, LABEL_W, label, true);
    return ui_wrap(y, 2 + LABEL_W + 1, w, 3, value);
}

static void draw_home(const struct home_facts *f)
{
    char heading[96];
    int y = 4;

    ui_frame("F2 or M: menu   F12 or P: shut down / restart   (updates every 2 s)");
    ui_box(1, 0, LINES - 2, COLS, "Home");
    snprintf(heading, sizeof(heading), "Corral %s - server virtualization", ui_ctx.version);
    ui_text(2, 2, COLS - 4, heading, true);
    y += fact(y, "Hostname:", ui_ctx.hostname);
    y += fact(y, "Manage:", f->manage);
    y += fact(y, "Network:", f->network);
    y += fact(y, "KVM:", f->kvm);
    y += fact(y, "CPU:", f->cpu);
    y += fact(y, "Memory:", f->memory);
    y += fact(y, "VMs:", f->vms);
    y += fact(y, "State:", f->state);
    y += fact(y, "SSH:", f->ssh);
    fact(y, "Web:", f->web);
    refresh();
}

/* --- the main menu --------------------------------------------------------- */

/* One row a choice: the menu shows them in this order, the letter picks
 * one, and its index is what ui_menu_run returns. */
struct main_choice {
    char key;
    const char *label;
    const char *help;
    const char *needs;        /* program without which it is unavailable, or NULL */
    const char *needs_help;   /* the help then: why not */
    void (*open)(void);
};

static void reboot_chosen(void)
{
    power_action(true);
}

static void shut_down_chosen(void)
{
    power_action(false);
}

static const struct main_choice main_choices[] = {
    {'I', "Install",
     "Install Corral on a local disk so that settings, VMs and their disks are kept, then "
     "boot from it without the ISO; or upgrade an installed Corral from a newer ISO.",
     "corral-install",
     "Not available: the installer (corral-install) is not part of this build yet.",
     install_menu},
    {'N', "Network",
     "Management address (DHCP or static), host name, the network adapters VMs share, "
     "VLAN tag, and a network test.", NULL, NULL, network_menu},
    {'S', "Security",
     "Root password, SSH keys, SSH password login and the console lock.", NULL, NULL,
     security_menu},
    {'V', "Virtual machines",
     "Create, start, stop and delete virtual machines; attach to their consoles.",
     "corral",
     "Not available: the VM manager (corrald and the corral command) is not part of this "
     "build yet.",
     vms_menu},
    {'L', "Logs", "The system log and kernel messages, scrollable.", NULL, NULL, logs_menu},
    {'C', "Command shell",
     "A root shell on this console (BusyBox sh). Type exit to come back here. Asks for the "
     "root password once one is set.", NULL, NULL, shell_run},
    {'R', "Reboot",
     "Restart the machine after stopping VMs and services cleanly. Asks first.", NULL, NULL,
     reboot_chosen},
    {'D', "Shut down",
     "Power the machine off after stopping VMs and services cleanly. Asks first.", NULL,
     NULL, shut_down_chosen},
};
#define MAIN_COUNT (sizeof(main_choices) / sizeof(main_choices[0]))

static void main_menu(void)
{
    struct menu_item items[MAIN_COUNT];
    struct menu m;

    for (size_t i = 0; i < MAIN_COUNT; i++) {
        const struct main_choice *c = &main_choices[i];
        bool available = !c->needs || program_exists(c->needs);
        items[i] = (struct menu_item){c->key, c->label,
                                      available ? c->help : c->needs_help, available};
    }
    menu_init(&m, items, MAIN_COUNT);
    for (;;) {
        int chosen = ui_menu_run("Menu", &m, NULL);
        if (chosen < 0)
            return;
        main_choices[chosen].open();
    }
}

static void power_menu(void)
{
    struct menu_item items[] = {
        {'R', "Reboot", "Restart the machine after stopping VMs and services cleanly.", true},
        {'D', "Shut down", "Power the machine off after stopping VMs and services cleanly.", true},
    };
    struct menu m;
    int chosen;

    menu_init(&m, items, 2);
    chosen = ui_menu_run("Shut down / restart", &m, NULL);
    if (chosen >= 0 && console_unlock("Reboot or shut down"))
        power_action(chosen == 0);
}

void home_run(void)
{
    struct home_facts facts;
    bool stale = true;

    for (;;) {
        int key;
        if (stale) {
            gather(&facts);
            stale = false;
        }
        if (ui_too_small()) {
            ui_read_key(REFRESH_MS);
            continue;
        }
        draw_home(&facts);
        key = ui_read_key(REFRESH_MS);
        if (key == UI_KEY_NONE) {
            stale = true;
        } else if (key == KEY_F(2) || key == 'm' || key == 'M' || key == UI_KEY_ENTER) {
            if (console_unlock("Menu"))
                main_menu();
            console_relock();
            stale = true;
        } else if (key == KEY_F(12) || key == 'p' || key == 'P') {
            power_menu();
            console_relock();
            stale = true;
        }
    }
}
