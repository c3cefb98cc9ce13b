/* vmlist: the VMs as `corral --json vm list` reports them (docs/cli.md),
 * and the checks of the VM wizard's fields, which are corrald's own rules
 * (vmdef.h), so the console refuses exactly what corrald would. */
#ifndef CORRAL_SETUP_VMLIST_H
#define CORRAL_SETUP_VMLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmdef.h"

#define VMLIST_MAX 128

struct vm_summary {
    char name[VMDEF_NAME_MAX + 1];
    char state[16];
    uint64_t memory_mib;
    unsigned cpus;
    bool autostart;
    uint64_t uptime_s;
    char last_stop[128]; /* why it last stopped, "" when unknown */
};

struct vm_list {
    struct vm_summary vms[VMLIST_MAX];
    size_t count;
    size_t running;
};

/* Parses the --json output of `corral vm list`.  Returns 0, or -EINVAL
 * with the reason in why (an error reply's message when it is one). */
int vmlist_parse(const char *json, struct vm_list *out, char *why, size_t len);

/* The wizard's fields: 0 or -EINVAL with the reason in why. */
int validate_vm_name(const char *text, char *why, size_t len);
int validate_vm_memory(const char *text, char *why, size_t len);
int validate_vm_cpus(const char *text, char *why, size_t len);
/* A new disk's size ("20G"; a plain number is GiB as for corral disk); empty
 * means no disk. */
int validate_vm_disk_size(const char *text, char *why, size_t len);

#endif
