/* ui_network: management address, host name, NICs, VLAN tag, network test
 * and restart.  Settings go to system.conf (sysconf.h); the network
 * script applies them, as it does at boot. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runcmd.h"
#include "screens.h"
#include "sysconf.h"
#include "sysinfo.h"
#include "ui.h"
#include "validate.h"

#define NETWORK_SCRIPT "/usr/libexec/corral/network"
#define MAX_NICS 16
#define APPLY_TIMEOUT_MS 90000

static const char *conf_path(void)
{
    static char path[512];
    return root_path(SYSTEM_CONF, path, sizeof(path));
}

static void conf_value(enum sysconf_key key, char *out, size_t len)
{
    char why[256];
    sysconf_get(conf_path(), key, out, len, why, sizeof(why));
}

/* Stores keys; false (after saying why) when system.conf cannot be written. */
static bool store(const char *title, const enum sysconf_key *keys, const char *const *values,
                  size_t n)
{
    char why[512];

    if (sysconf_update(conf_path(), keys, values, n, why, sizeof(why)) == 0)
        return true;
    ui_message(title, why);
    return false;
}

/* Runs `network restart` and shows what the management address is now. */
static void apply_network(const char *title)
{
    char script[512], out[4096], status_text[1024], text[6000];
    const char *restart[] = {root_path(NETWORK_SCRIPT, script, sizeof(script)), "restart", NULL};
    int status;

    ui_progress(title, "Applying: restarting the network (DHCP can take up to 20 s)...");
    status = run_command(restart, NULL, out, sizeof(out), APPLY_TIMEOUT_MS);
    status_read("network", status_text, sizeof(status_text), "unknown");
    if (status == 0)
        snprintf(text, sizeof(text), "Network restarted.\n\nNow: %s\n%s", status_text, out);
    else
        snprintf(text, sizeof(text), "The network restart failed (%s).\n\n%s\nNow: %s",
                 status < 0 ? strerror(-status) : "see below", out, status_text);
    ui_message(title, text);
}

/* --- management address -------------------------------------------------------- */

enum { ADDR_MODE, ADDR_ADDRESS, ADDR_GATEWAY, ADDR_DNS, ADDR_COUNT };

static bool static_mode(const struct ui_form *f)
{
    return f->fields[ADDR_MODE].choice == SYSCONF_NET_MODE_STATIC;
}

static int check_address(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return sysconf_check_value(SYSCONF_NET_ADDRESS, ui_field_value(f, i), why, len);
}

/* The gateway is checked with the address it belongs to, as
 * sysconf_check_conf does for a whole file. */
static int check_gateway(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return validate_gateway(ui_field_value(f, i), ui_field_value(f, ADDR_ADDRESS), why, len);
}

static int check_dns(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return sysconf_check_value(SYSCONF_NET_DNS, ui_field_value(f, i), why, len);
}

static void address_screen(void)
{
    struct ui_field fields[ADDR_COUNT];
    struct ui_form form = {"Management address",
                           "How this machine gets its address on br0. DHCP: from the LAN's "
                           "DHCP server. Static: type the address with its prefix length.",
                           fields, ADDR_COUNT, NULL, false, 0};
    char mode[16], address[64], gateway[64], dns[128];
    const enum sysconf_key keys[] = {SYSCONF_NET_MODE, SYSCONF_NET_ADDRESS, SYSCONF_NET_GATEWAY,
                                     SYSCONF_NET_DNS};

    conf_value(SYSCONF_NET_MODE, mode, sizeof(mode));
    conf_value(SYSCONF_NET_ADDRESS, address, sizeof(address));
    conf_value(SYSCONF_NET_GATEWAY, gateway, sizeof(gateway));
    conf_value(SYSCONF_NET_DNS, dns, sizeof(dns));
    ui_field_text(&fields[ADDR_MODE], "Mode", "", 0);
    fields[ADDR_MODE].kind = UI_FIELD_CHOICE;
    fields[ADDR_MODE].choices = sysconf_key_info(SYSCONF_NET_MODE)->choices;
    fields[ADDR_MODE].choice_count = sysconf_choice_count(SYSCONF_NET_MODE);
    fields[ADDR_MODE].choice = sysconf_choice_index(SYSCONF_NET_MODE, mode) ==
                                       SYSCONF_NET_MODE_STATIC
                                   ? SYSCONF_NET_MODE_STATIC
                                   : SYSCONF_NET_MODE_DHCP;
    ui_field_text(&fields[ADDR_ADDRESS], "Address/prefix", address, 18);
    fields[ADDR_ADDRESS].hint = "e.g. 192.168.1.10/24";
    fields[ADDR_ADDRESS].check = check_address;
    ui_field_text(&fields[ADDR_GATEWAY], "Gateway", gateway, 15);
    fields[ADDR_GATEWAY].hint = "e.g. 192.168.1.1 (empty: none)";
    fields[ADDR_GATEWAY].check = check_gateway;
    ui_field_text(&fields[ADDR_DNS], "DNS servers", dns, 50);
    fields[ADDR_DNS].hint = "e.g. 192.168.1.1, 9.9.9.9 (up to 3)";
    fields[ADDR_DNS].check = check_dns;
    for (size_t i = ADDR_ADDRESS; i < ADDR_COUNT; i++)
        fields[i].active = static_mode;
    if (!ui_form_run(&form))
        return;
    {
        /* Static values are kept under DHCP, ready for the next switch. */
        const char *values[] = {ui_field_value(&form, ADDR_MODE), fields[ADDR_ADDRESS].edit.text,
                                fields[ADDR_GATEWAY].edit.text, fields[ADDR_DNS].edit.text};
        if (store(form.title, keys, values, 4))
            apply_network(form.title);
    }
}

/* --- host name ----------------------------------------------------------------- */

static int check_hostname(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return sysconf_check_value(SYSCONF_HOSTNAME, ui_field_value(f, i), why, len);
}

static void hostname_screen(void)
{
    struct ui_field field;
    struct ui_form form = {"Host name", "The name of this machine (shown here, in the shell "
                                        "prompt and sent to the DHCP server).",
                           &field, 1, NULL, false, 0};
    const enum sysconf_key keys[] = {SYSCONF_HOSTNAME};

    ui_field_text(&field, "Host name", ui_ctx.hostname, HOSTNAME_MAX);
    field.check = check_hostname;
    if (!ui_form_run(&form))
        return;
    {
        const char *values[] = {field.edit.text};
        const char *argv[] = {"hostname", field.edit.text, NULL};
        char out[512];
        int status;
        if (!store(form.title, keys, values, 1))
            return;
        status = run_command(argv, NULL, out, sizeof(out), 5000);
        if (status != 0)
            ui_message(form.title, out[0] ? out : "The host name could not be set.");
        else
            snprintf(ui_ctx.hostname, sizeof(ui_ctx.hostname), "%.63s", field.edit.text);
    }
}

/* A form of one field for one system.conf key; saved, then applied by a
 * network restart. */
struct one_setting {
    const char *title, *intro, *label;
    enum sysconf_key key;
    const char *hint;
    size_t max;
    int (*check)(const struct ui_form *f, size_t index, char *why, size_t len);
    void *data;
};

static void one_setting_screen(const struct one_setting *s)
{
    struct ui_field field;
    struct ui_form form = {s->title, s->intro, &field, 1, s->data, false, 0};
    char current[128];
    const enum sysconf_key keys[] = {s->key};
    const char *values[] = {field.edit.text};

    conf_value(s->key, current, sizeof(current));
    ui_field_text(&field, s->label, current, s->max);
    field.hint = s->hint;
    field.check = s->check;
    if (ui_form_run(&form) && store(form.title, keys, values, 1))
        apply_network(form.title);
}

/* --- NICs ---------------------------------------------------------------------------- */

struct nic_list {
    char names[MAX_NICS][32];
    const char *ptrs[MAX_NICS];
    size_t count;
};

static int compare_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Physical NICs: interfaces in /sys/class/net with a device behind them. */
static void list_nics(struct nic_list *l)
{
    char dir_path[512];
    DIR *d = opendir(root_path("/sys/class/net", dir_path, sizeof(dir_path)));
    struct dirent *e;

    l->count = 0;
    while (d && (e = readdir(d)) && l->count < MAX_NICS) {
        char dev[800];
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(l->names[0]))
            continue;
        snprintf(dev, sizeof(dev), "%s/%s/device", dir_path, e->d_name);
        if (access(dev, F_OK) != 0)
            continue;
        snprintf(l->names[l->count++], sizeof(l->names[0]), "%.31s", e->d_name);
    }
    if (d)
        closedir(d);
    qsort(l->names, l->count, sizeof(l->names[0]), compare_names);
    for (size_t i = 0; i < l->count; i++)
        l->ptrs[i] = l->names[i];
}

/* "eth0 (link up, 52:54:00:12:34:56)" lines for the form's introduction. */
static void describe_nics(const struct nic_list *l, char *out, size_t len)
{
    size_t used = (size_t)snprintf(out, len, "Network adapters found:");

    if (l->count == 0 && used < len)
        snprintf(out + used, len - used, " none (no NIC, or no driver for it).");
    for (size_t i = 0; i < l->count && used < len; i++) {
        char p[512], carrier[8], mac[32], rel[128];
        snprintf(rel, sizeof(rel), "/sys/class/net/%s/carrier", l->names[i]);
        read_small_file(root_path(rel, p, sizeof(p)), carrier, sizeof(carrier));
        snprintf(rel, sizeof(rel), "/sys/class/net/%s/address", l->names[i]);
        read_small_file(root_path(rel, p, sizeof(p)), mac, sizeof(mac));
        used += (size_t)snprintf(out + used, len - used, "%s %s (%s, %s)", i ? "," : "",
                                 l->names[i], strcmp(carrier, "1") == 0 ? "link up" : "no link",
                                 mac[0] ? mac : "no MAC");
    }
}

static int check_nics(const struct ui_form *f, size_t i, char *why, size_t len)
{
    const struct nic_list *l = f->data;
    return validate_nic_list(ui_field_value(f, i), l->ptrs, l->count, why, len);
}

static void nics_screen(void)
{
    struct nic_list nics;
    char intro[1024];
    struct one_setting setting = {"Network adapters", intro, "Bridge br0 uses", SYSCONF_NET_NICS,
                                  "auto (first with a link) or names: eth0, eth1", 100,
                                  check_nics, &nics};

    list_nics(&nics);
    describe_nics(&nics, intro, sizeof(intro));
    one_setting_screen(&setting);
}

/* --- VLAN ------------------------------------------------------------------------------ */

static int check_vlan(const struct ui_form *f, size_t i, char *why, size_t len)
{
    return sysconf_check_value(SYSCONF_NET_VLAN, ui_field_value(f, i), why, len);
}

static void vlan_screen(void)
{
    struct one_setting setting = {"VLAN tag", "A VLAN tag for the management address only (it "
                                              "moves to br0.TAG); VMs stay untagged on br0. "
                                              "Empty: untagged.",
                                  "VLAN tag", SYSCONF_NET_VLAN, "1-4094, empty for none", 4,
                                  check_vlan, NULL};
    one_setting_screen(&setting);
}

/* --- test and restart -------------------------------------------------------------------- */

/* The default gateway from /proc/net/route ("" when there is none). */
static void default_gateway(char *out, size_t len)
{
    char text[8192];

    out[0] = '\0';
    if (read_small_file("/proc/net/route", text, sizeof(text)) <= 0)
        return;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char ifname[32];
        unsigned dest, gw, flags;
        if (sscanf(line, "%31s %x %x %x", ifname, &dest, &gw, &flags) == 4 && dest == 0 && gw) {
            /* /proc/net/route prints the address in network byte order as
             * read on this (little-endian) host. */
            snprintf(out, len, "%u.%u.%u.%u", gw & 0xff, gw >> 8 & 0xff, gw >> 16 & 0xff, gw >> 24);
            return;
        }
    }
}

static size_t append_run(char *out, size_t used, size_t len, const char *heading,
                         const char *const *argv, int timeout_ms)
{
    char result[4096];
    int status = run_command(argv, NULL, result, sizeof(result), timeout_ms);

    if (used >= len)
        return used;
    used += (size_t)snprintf(out + used, len - used, "== %s: %s\n%s\n\n", heading,
                             status == 0 ? "OK" : status == -ETIMEDOUT ? "FAILED (timed out)"
                                                                       : "FAILED",
                             result);
    return used < len ? used : len;
}

static void test_screen(void)
{
    char gateway[32], out[12000];
    size_t used;
    const char *name = "debian.org";

    ui_progress("Test network", "Pinging the gateway and resolving a name...");
    default_gateway(gateway, sizeof(gateway));
    used = (size_t)snprintf(out, sizeof(out), "Network: ");
    status_read("network", out + used, sizeof(out) - used, "unknown");
    used = strlen(out);
    used += (size_t)snprintf(out + used, sizeof(out) - used, "\n\n");
    if (gateway[0]) {
        const char *ping[] = {"ping", "-c", "3", "-W", "2", gateway, NULL};
        char heading[64];
        snprintf(heading, sizeof(heading), "ping gateway %s", gateway);
        used = append_run(out, used, sizeof(out), heading, ping, 15000);
    } else {
        used += (size_t)snprintf(out + used, sizeof(out) - used,
                                 "== ping gateway: FAILED (no default gateway)\n\n");
    }
    {
        const char *lookup[] = {"nslookup", name, NULL};
        char heading[64];
        snprintf(heading, sizeof(heading), "resolve %s", name);
        append_run(out, used, sizeof(out), heading, lookup, 15000);
    }
    ui_view_text("Test network", out, false);
}

void network_menu(void)
{
    struct menu_item items[] = {
        {'A', "Management address", "DHCP or a static address (address/prefix, gateway, DNS "
                                    "servers) for this machine on br0.", true},
        {'H', "Host name", "The name of this machine.", true},
        {'N', "Network adapters", "Which NICs the bridge br0 uses: VMs and the management "
                                  "address share them.", true},
        {'V', "VLAN tag", "Tag the management address with a VLAN (802.1Q).", true},
        {'T', "Test network", "Ping the gateway and resolve a name.", true},
        {'R', "Restart network", "Apply the settings again: the address is renewed and VMs "
                                 "lose their network for a few seconds.", true},
    };
    struct menu m;

    menu_init(&m, items, sizeof(items) / sizeof(items[0]));
    for (;;) {
        switch (ui_menu_run("Network", &m, NULL)) {
        case -1:
            return;
        case 0:
            address_screen();
            break;
        case 1:
            hostname_screen();
            break;
        case 2:
            nics_screen();
            break;
        case 3:
            vlan_screen();
            break;
        case 4:
            test_screen();
            break;
        case 5:
            if (ui_confirm("Restart network", "Restart the network now? VMs lose their "
                                              "network for a few seconds."))
                apply_network("Restart network");
            break;
        }
    }
}
