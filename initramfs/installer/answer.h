/* answer: what an install is told, from an answer file (unattended) or
 * from the command line and prompts (interactive).
 *
 * An answer file is Corral's `key = value` format (lib/conf.h);
 * the keys are documented in docs/install.md:
 *
 *   disk = vda | /dev/vda | largest | smallest     (required)
 *   wipe = yes             a disk that has partitions may be overwritten
 *   root_password_hash = $6$...                    (crypt(3) hash)
 *   ssh_key = ssh-ed25519 AAAA... (may repeat)
 *   hostname = name
 *   net_mode = dhcp | static, net_address = 192.168.1.10/24,
 *   net_gateway = 192.168.1.1, net_dns = 1.1.1.1,9.9.9.9, net_nics = auto|eth0,...
 *   console = screen | serial   the boot menu's default entry
 *   reboot = yes           reboot when the install is done
 *
 * Unknown keys and bad values are errors with the file's path and line. */
#ifndef CORRAL_INSTALLER_ANSWER_H
#define CORRAL_INSTALLER_ANSWER_H

#include <stddef.h>

#include "bootcfg.h"
#include "conf.h"

#define ANSWER_MAX_KEYS 16

struct answer {
    char disk[64];
    int wipe;
    char root_password_hash[256];
    char ssh_keys[ANSWER_MAX_KEYS][CONF_MAX_LINE];
    size_t ssh_key_count;
    char hostname[64];
    char net_mode[16];
    char net_address[32];
    char net_gateway[32];
    char net_dns[128];
    char net_nics[128];
    enum boot_console console;
    int reboot;
};

void answer_init(struct answer *a);

/* Fills a from parsed answer-file entries; path names the file in errors.
 * Returns 0, or -EINVAL with err set (path, line, reason). */
int answer_from_conf(const struct conf *c, const char *path, struct answer *a,
                     struct conf_error *err);

/* Value checks shared with the interactive path; each returns 1 if ok. */
int valid_hostname(const char *s);
int valid_ipv4(const char *s);
int valid_ipv4_cidr(const char *s);
int valid_password_hash(const char *s);
int valid_ssh_key(const char *s);

/* Puts the answer's settings (hostname, network) into system.conf's
 * entries; keys the answer leaves empty are kept as they are. */
int answer_apply_system_conf(const struct answer *a, struct conf *system);

/* A copy of the shadow file text with root's password field replaced by
 * hash; malloc'd, NULL when out of memory or no root line exists. */
char *shadow_with_root_hash(const char *shadow, const char *hash);

#endif
