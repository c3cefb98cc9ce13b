/* bootcfg: the installed disk's GRUB menu and its environment block.
 *
 * The ESP holds two boot slots, a/ and b/, each a kernel (vmlinuz) and an
 * initramfs (initrd.img), and grub/grub.cfg and grub/grubenv:
 *
 *   slot=a        the slot that boots (known good)
 *   try_slot=b    set by an upgrade: boot b once.  GRUB clears it before
 *                 booting b, so if b never reaches the ready state, the
 *                 next boot is slot a again; when b does reach it, the
 *                 control domain (corral-install --boot-ok) sets slot=b.
 *
 * grub/password.cfg locks the menu (below).
 *
 * grubenv is GRUB's environment block: exactly 1024 bytes, the line
 * "# GRUB Environment Block", then name=value lines, padded with '#'.
 * GRUB's save_env rewrites it in place, so its size never changes. */
#ifndef CORRAL_INSTALLER_BOOTCFG_H
#define CORRAL_INSTALLER_BOOTCFG_H

#include <stddef.h>

#define GRUBENV_BYTES 1024
#define GRUBENV_HEADER "# GRUB Environment Block\n"
#define GRUBENV_MAX_VARS 16

struct grubenv {
    char name[GRUBENV_MAX_VARS][32];
    char value[GRUBENV_MAX_VARS][64];
    size_t count;
};

/* Which menu entry boots by default: the screen or the serial port as the
 * kernel's main console. */
enum boot_console { BOOT_CONSOLE_SCREEN, BOOT_CONSOLE_SERIAL };

/* grub/password.cfg on the ESP, which grub.cfg sources when it is there:
 * GRUB's superuser root with the root password's PBKDF2.  Menu entries
 * are --unrestricted (they boot without it); editing an entry or the GRUB
 * command line asks for it. */
#define BOOTCFG_PASSWORD_FILE "password.cfg"

/* Writes password.cfg for pbkdf2 (grub.pbkdf2.sha512...) into buf.
 * Returns 0, -EINVAL when pbkdf2 is not that form, or -ENOSPC. */
int bootcfg_password_render(const char *pbkdf2, char *buf, size_t len);

/* Writes grub.cfg for version into buf.  Returns 0 or -ENOSPC. */
int bootcfg_render(const char *version, enum boot_console console, char *buf,
                   size_t len);

/* Parses a 1024-byte environment block.  Returns 0, or -EINVAL when data
 * is not one (wrong size or header, a line without '='). */
int grubenv_parse(const char *data, size_t len, struct grubenv *env);
/* NULL when unset. */
const char *grubenv_get(const struct grubenv *env, const char *name);
/* Sets (or with value "" keeps the name with an empty value, as GRUB's
 * save_env does).  Names and values are [A-Za-z0-9_.-]; returns 0,
 * -EINVAL for other characters, -E2BIG when full or too long. */
int grubenv_set(struct grubenv *env, const char *name, const char *value);
/* Formats the block into out (GRUBENV_BYTES, not NUL terminated).
 * Returns 0, or -E2BIG when the variables do not fit. */
int grubenv_format(const struct grubenv *env, char out[GRUBENV_BYTES]);

/* Slots are "a" and "b". */
int slot_valid(const char *slot);
const char *slot_other(const char *slot);

/* The slot to mark as good after a boot: the slot named on the kernel
 * command line (corral.slot=X), or NULL when there is none. */
const char *slot_from_cmdline(const char *cmdline, char *buf, size_t len);

#endif
