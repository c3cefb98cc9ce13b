/* bootcfg: the installed disk's GRUB menu and environment block (bootcfg.h). */
#include "bootcfg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pbkdf2.h"

/* GRUB reads this from the ESP ($prefix is (,gpt2)/grub on BIOS, /grub on
 * UEFI; $root is the ESP).  The slot logic runs before the menu, so the
 * entries always name a slot whose kernel is there. */
static const char bootcfg_template[] =
    "# Corral %s boot menu, written by corral-install.\n"
    "# Boot slots a/ and b/ each hold a kernel and an initramfs; grubenv says\n"
    "# which one boots (slot), and an upgrade's new slot is tried once (try_slot).\n"
    "serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1\n"
    "terminal_input console serial\n"
    "terminal_output console serial\n"
    "# The boot menu's password: password.cfg, written with the root password\n"
    "# (corral-install --boot-password).  Entries boot without it; editing one\n"
    "# or the GRUB command line needs it.\n"
    "if [ -f \"${prefix}/" BOOTCFG_PASSWORD_FILE "\" ]; then source \"${prefix}/" BOOTCFG_PASSWORD_FILE "\"; fi\n"
    "set timeout=5\n"
    "set default=%s\n"
    "load_env\n"
    "if [ \"${slot}\" != \"b\" ]; then set slot=a; fi\n"
    "set boot_slot=\"${slot}\"\n"
    "if [ \"${try_slot}\" = \"a\" -o \"${try_slot}\" = \"b\" ]; then\n"
    "    # First boot of an upgrade: try it once.  The system sets slot= when\n"
    "    # it reaches the ready state; if it does not, the next boot is ${slot}.\n"
    "    set boot_slot=\"${try_slot}\"\n"
    "    set try_slot=\n"
    "    save_env try_slot\n"
    "fi\n"
    "if [ \"${boot_slot}\" = \"a\" ]; then set other_slot=b; else set other_slot=a; fi\n"
    "if [ ! -f \"/${boot_slot}/vmlinuz\" ]; then\n"
    "    set boot_slot=\"${other_slot}\"\n"
    "    if [ \"${boot_slot}\" = \"a\" ]; then set other_slot=b; else set other_slot=a; fi\n"
    "fi\n"
    "\n"
    "menuentry \"Corral (slot ${boot_slot})\" --id normal --unrestricted {\n"
    "    linux /${boot_slot}/vmlinuz corral.slot=${boot_slot} console=ttyS0,115200n8 console=tty0 quiet\n"
    "    initrd /${boot_slot}/initrd.img\n"
    "}\n"
    "menuentry \"Corral (slot ${boot_slot}, serial console)\" --id serial --unrestricted {\n"
    "    linux /${boot_slot}/vmlinuz corral.slot=${boot_slot} console=tty0 console=ttyS0,115200n8 quiet\n"
    "    initrd /${boot_slot}/initrd.img\n"
    "}\n"
    "if [ -f \"/${other_slot}/vmlinuz\" ]; then\n"
    "    menuentry \"Corral (previous system: slot ${other_slot})\" --id previous --unrestricted {\n"
    "        linux /${other_slot}/vmlinuz corral.slot=${other_slot} console=ttyS0,115200n8 console=tty0 quiet\n"
    "        initrd /${other_slot}/initrd.img\n"
    "    }\n"
    "fi\n";

int bootcfg_render(const char *version, enum boot_console console, char *buf,
                   size_t len)
{
    const char *entry = console == BOOT_CONSOLE_SERIAL ? "serial" : "normal";
    int n = snprintf(buf, len, bootcfg_template, version, entry);
    return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int bootcfg_password_render(const char *pbkdf2, char *buf, size_t len)
{
    if (!grub_pbkdf2_valid(pbkdf2))
        return -EINVAL;
    int n = snprintf(buf, len,
                     "# The boot menu's password (the root password's PBKDF2), written by\n"
                     "# corral-install --boot-password.\n"
                     "set superusers=\"root\"\n"
                     "password_pbkdf2 root %s\n", pbkdf2);
    return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static int env_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n >= max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static int grubenv_parse_line(const char *line, size_t n, struct grubenv *env)
{
    char text[128];
    if (n == 0 || line[0] == '#')
        return 0;
    if (n >= sizeof(text))
        return -EINVAL;
    memcpy(text, line, n);
    text[n] = '\0';
    char *eq = strchr(text, '=');
    if (!eq)
        return -EINVAL;
    *eq = '\0';
    return grubenv_set(env, text, eq + 1) == 0 ? 0 : -EINVAL;
}

int grubenv_parse(const char *data, size_t len, struct grubenv *env)
{
    size_t header = strlen(GRUBENV_HEADER);
    memset(env, 0, sizeof(*env));
    if (len != GRUBENV_BYTES || memcmp(data, GRUBENV_HEADER, header) != 0)
        return -EINVAL;
    size_t i = header;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
        /* The '#' padding runs to the end without a newline. */
        if (grubenv_parse_line(data + i, n, env) != 0)
            return -EINVAL;
        i += n + 1;
    }
    return 0;
}

const char *grubenv_get(const struct grubenv *env, const char *name)
{
    for (size_t i = 0; i < env->count; i++)
        if (strcmp(env->name[i], name) == 0)
            return env->value[i];
    return NULL;
}

int grubenv_set(struct grubenv *env, const char *name, const char *value)
{
    if (!env_text_ok(name, sizeof(env->name[0])) || name[0] == '\0')
        return strlen(name) >= sizeof(env->name[0]) ? -E2BIG : -EINVAL;
    if (!env_text_ok(value, sizeof(env->value[0])))
        return strlen(value) >= sizeof(env->value[0]) ? -E2BIG : -EINVAL;
    size_t i = 0;
    while (i < env->count && strcmp(env->name[i], name) != 0)
        i++;
    if (i == env->count) {
        if (env->count == GRUBENV_MAX_VARS)
            return -E2BIG;
        env->count++;
        snprintf(env->name[i], sizeof(env->name[i]), "%s", name);
    }
    snprintf(env->value[i], sizeof(env->value[i]), "%s", value);
    return 0;
}

int grubenv_format(const struct grubenv *env, char out[GRUBENV_BYTES])
{
    size_t used = strlen(GRUBENV_HEADER);
    memcpy(out, GRUBENV_HEADER, used);
    for (size_t i = 0; i < env->count; i++) {
        size_t need = strlen(env->name[i]) + 1 + strlen(env->value[i]) + 1;
        if (used + need > GRUBENV_BYTES)
            return -E2BIG;
        char line[128];
        snprintf(line, sizeof(line), "%s=%s\n", env->name[i], env->value[i]);
        memcpy(out + used, line, need);
        used += need;
    }
    memset(out + used, '#', GRUBENV_BYTES - used);
    return 0;
}

int slot_valid(const char *slot)
{
    return slot && (strcmp(slot, "a") == 0 || strcmp(slot, "b") == 0);
}

const char *slot_other(const char *slot)
{
    return strcmp(slot, "a") == 0 ? "b" : "a";
}

const char *slot_from_cmdline(const char *cmdline, char *buf, size_t len)
{
    const char *key = "corral.slot=";
    const char *p = cmdline;
    while ((p = strstr(p, key)) != NULL) {
        if (p == cmdline || p[-1] == ' ') {
            p += strlen(key);
            size_t n = strcspn(p, " \n");
            if (n < len) {
                memcpy(buf, p, n);
                buf[n] = '\0';
                return slot_valid(buf) ? buf : NULL;
            }
            return NULL;
        }
        p += strlen(key);
    }
    return NULL;
}
