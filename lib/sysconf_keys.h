/* sysconf_keys: the schema of /var/lib/corral/system.conf, one row per key.
 *
 * This table is the one place a system.conf key is named, typed, checked,
 * given its default and described.  Everything else reads it:
 *
 *   the console UI     writes keys by their enum and checks fields here;
 *   corral-install     accepts every key in an answer file, checked here,
 *                      and copies it into the installed system.conf;
 *   the boot scripts   read values through `corral-sysconf get KEY`
 *                      (initramfs/sysconf), which refuses an unknown key
 *                      and falls back to the default for a bad value;
 *   the README         its table of keys is `corral-sysconf keys`, kept in
 *                      step by tools/help_docs.py.
 *
 * Adding a key is one row here (and the code that acts on it).  Pure: no
 * I/O; sysconf.h reads and writes the file. */
#ifndef CORRAL_SYSCONF_KEYS_H
#define CORRAL_SYSCONF_KEYS_H

#include <stddef.h>

#include "conf.h"

enum sysconf_key {
    SYSCONF_HOSTNAME,
    SYSCONF_NET_MODE,
    SYSCONF_NET_ADDRESS,
    SYSCONF_NET_GATEWAY,
    SYSCONF_NET_DNS,
    SYSCONF_NET_NICS,
    SYSCONF_NET_VLAN,
    SYSCONF_SSH_PASSWORD_LOGIN,
    SYSCONF_CONSOLE_LOCK,
    SYSCONF_MGMT_FROM_VMS,
    SYSCONF_KEY_COUNT
};

/* net_mode's choices, as indexes into its choices[]. */
enum sysconf_net_mode { SYSCONF_NET_MODE_DHCP, SYSCONF_NET_MODE_STATIC };

enum sysconf_type {
    SYSCONF_TEXT,   /* read as written; validate checks it */
    SYSCONF_CHOICE, /* one of choices[] */
    SYSCONF_BOOL,   /* any spelling conf_parse_bool reads; readers get yes or no */
};

/* Longest value any key takes (the longest is a NIC list). */
#define SYSCONF_VALUE_MAX 256

struct sysconf_key_info {
    const char *name;
    enum sysconf_type type;
    /* TEXT and BOOL: 0 when value is acceptable, else -errno with a reason
     * in why (no key name in it: callers put the key or the field's label
     * in front). */
    int (*validate)(const char *value, char *why, size_t len);
    const char *default_value; /* what an absent key means ("" for nothing) */
    const char *values;        /* docs: the values it takes */
    const char *default_doc;   /* docs: the default, when more than default_value */
    const char *doc;           /* docs: one line on what it does */
    const char *const *choices; /* CHOICE: the values, NULL-terminated */
};

const struct sysconf_key_info *sysconf_key_info(enum sysconf_key key);
const char *sysconf_key_name(enum sysconf_key key);
/* The key called name, or -1 when system.conf has no such key. */
int sysconf_key_lookup(const char *name);

/* How many choices a SYSCONF_CHOICE key has (0 for other keys), and the
 * index of value among them (-1 when it is not one). */
size_t sysconf_choice_count(enum sysconf_key key);
int sysconf_choice_index(enum sysconf_key key, const char *value);

/* The verdict on one value for key, as the console UI and the answer file
 * both give it: 0, or -errno with a reason in why. */
int sysconf_check_value(enum sysconf_key key, const char *value, char *why, size_t len);

/* Checks the system.conf keys among c's entries (other keys are left to
 * the caller: an answer file has its own): each value, then the rules
 * between keys (net_mode = static needs net_address; the gateway lies in
 * that address's subnet).  Returns 0, or -EINVAL with err naming path, the
 * line and "key: reason". */
int sysconf_check_conf(const struct conf *c, const char *path, struct conf_error *err);

/* What a reader of key gets from c: its value when it is valid, else the
 * default (bools as "yes" or "no").  Returns 0, or -EINVAL when a value was
 * present but bad (out then holds the default, why says what was wrong). */
int sysconf_effective_value(const struct conf *c, enum sysconf_key key, char *out,
                            size_t len, char *why, size_t why_len);

/* The Markdown table of every key (key, values, default, what it does) as
 * the README shows it; malloc'd, NULL when out of memory. */
char *sysconf_doc_table(void);

#endif
