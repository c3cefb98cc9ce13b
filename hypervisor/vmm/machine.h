/* machine: the PC corral-vmm builds from a VM definition - RAM, vCPUs, the
 * board and the devices the device table (devices.h) puts on it, the MP
 * and ACPI tables, the Linux or firmware boot - and the main loop that
 * waits for the guest to stop (signals, console input, the stop pipe, and
 * a periodic check for "every vCPU halted with interrupts off", which is
 * how Linux powers off when it has no ACPI). */
#ifndef CORRAL_MACHINE_H
#define CORRAL_MACHINE_H

#include <stdbool.h>

#include "vmdef.h"

/* What the VMM itself puts before the user's kernel command line. */
#define MACHINE_CMDLINE_PREFIX "console=ttyS0 reboot=k"

/* Where the VMM serves what (NULL: not served). */
struct machine_opts {
    const char *control_path; /* the control socket */
    const char *vnc_path;     /* the RFB server (a VM with a display) */
    unsigned jail_uid;        /* jail (jail.h) as this uid before the guest runs; 0: no */
    bool verbose;
};

/* Runs the VM to the end; returns the exit status (enum vm_exit_status). */
int machine_run(const struct vmdef *def, const struct machine_opts *opts);

#endif
