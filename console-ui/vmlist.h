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
    bool display;        /* has a screen: reached with `corral vm vnc` */
    char restart[16];    /* no, on-failure, always */
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

/* Shut-down progress for a VM that was running when the host's shutdown
 * began: "web1: stopping..." while it runs, then "web1: stopped" or, when
 * corrald had to force it off after its stop timeout, "web1: forced off". */
void vmlist_stop_line(const struct vm_summary *vm, char *out, size_t len);
/* True while a VM still runs (running or stopping). */
bool vmlist_is_up(const struct vm_summary *vm);

/* The wizard's fields: 0 or -EINVAL with the reason in why. */
int validate_vm_name(const char *text, char *why, size_t len);
int validate_vm_memory(const char *text, char *why, size_t len);
int validate_vm_cpus(const char *text, char *why, size_t len);
/* A new disk's size ("20G"; a plain number is GiB as for corral disk); empty
 * means no disk. */
int validate_vm_disk_size(const char *text, char *why, size_t len);

#endif
