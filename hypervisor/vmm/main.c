/* corral-vmm: run one guest on KVM.  Flags and --help; the machine itself
 * is in machine.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_client.h"
#include "jail.h"
#include "machine.h"
#include "vm.h"
#include "vmdef.h"

static const char usage[] =
"usage: corral-vmm --kernel PATH [--initrd PATH] [--cmdline STRING]\n"
"                  | --boot firmware [--firmware PATH]\n"
"                  | --boot uefi --nvram PATH [--uefi-code PATH]\n"
"                  [--hyperv on|off] [--memory MIB] [--cpus N] [--disk PATH[,OPTIONS]]...\n"
"                  [--cdrom ISO|none]...\n"
"                  [--nic [bridge=IF][,mac=MAC][,tap=IF][,fd=N][,model=M]...]...\n"
"                  [--config FILE] [--serial stdio|pty|unix:PATH|file:PATH]\n"
"                  [--name NAME] [--display std|none] [--vnc PATH]\n"
"                  [--control PATH] [--jail UID] [-v] [--help] [--version]\n"
"       corral-vmm --control-send PATH COMMAND...\n"
"\n"
"Runs one virtual machine on /dev/kvm until the guest stops.\n"
"\n"
"  --kernel PATH     Linux kernel to boot: a bzImage (boot protocol 2.06 or\n"
"                    later), or an uncompressed ELF vmlinux entered by PVH\n"
"  --initrd PATH     initramfs loaded below the kernel's initrd_addr_max\n"
"  --cmdline STRING  kernel command line, appended to what the VMM needs:\n"
"                    \"" MACHINE_CMDLINE_PREFIX "\"\n"
"  --boot kernel|firmware|uefi\n"
"                    how the guest starts: the --kernel given (default), a\n"
"                    BIOS (SeaBIOS) from its disks and CDs, or UEFI (OVMF)\n"
"  --firmware PATH   the BIOS image (default " VMDEF_DEFAULT_FIRMWARE ")\n"
"  --uefi-code PATH  OVMF's code, mapped read-only (default\n"
"                    " VMDEF_DEFAULT_UEFI_CODE ")\n"
"  --nvram PATH      the VM's UEFI variables (a copy of OVMF_VARS_4M.fd),\n"
"                    writable flash kept in PATH across restarts\n"
"  --hyperv on|off   Hyper-V enlightenments for Windows guests (default off)\n"
"  --memory MIB      guest RAM in MiB, or with a K/M/G/T suffix (default 256)\n"
"  --cpus N          vCPUs, 1..64 (default 1)\n"
"  --disk PATH[,ro][,iops=N][,bps=SIZE][,bus=virtio|sata][,cache=none|writeback]\n"
"                    a raw disk image as a virtio-blk device (or, with\n"
"                    bus=sata, a SATA disk on the AHCI controller),\n"
"                    read-only with ro, limited to N requests/s and SIZE\n"
"                    bytes/s (e.g. 4M) read and written; cache=writeback\n"
"                    through the host's page cache (default none: O_DIRECT);\n"
"                    repeatable\n"
"  --cdrom ISO|none  an ATAPI CD-ROM drive on the AHCI controller with the\n"
"                    ISO image in it, or empty; repeatable (SATA disks and\n"
"                    drives share 6 ports, disks first)\n"
"  --nic OPTIONS     a NIC on a tap (created, or fd=N inherited): virtio-net,\n"
"                    or with model=e1000 an Intel e1000 (for guests without\n"
"                    virtio drivers), put on bridge=IF (default br0; bridge=\n"
"                    for none), MAC from mac= or derived from the VM name;\n"
"                    bps=SIZE and pps=N limit frame bytes/s and frames/s each\n"
"                    way; repeatable (\"\" for all defaults)\n"
"  --config FILE     a VM definition (key = value; see docs/corral-vmm.md);\n"
"                    flags given as well override it (disks and CD-ROM\n"
"                    drives add to it)\n"
"  --serial TARGET   where the guest's console (COM1) goes: stdio (default;\n"
"                    a terminal is put in raw mode and restored at exit), pty\n"
"                    (path printed on stderr), unix:PATH (a listening socket,\n"
"                    up to 8 clients sharing it), file:PATH (output only)\n"
"  --name NAME       the VM's name (default \"vm\")\n"
"  --display std|none\n"
"                    a screen with keyboard, mouse and tablet, or none\n"
"                    (default: std with firmware boot, none with --kernel)\n"
"  --vnc PATH        serve the screen over RFB (VNC) on a unix socket at\n"
"                    PATH, mode 0600, without authentication (security type\n"
"                    None: only the socket's owner can connect); refused for\n"
"                    a VM without a display (no socket is opened then)\n"
"  --control PATH    serve a control socket (mode 0600) at PATH: one request\n"
"                    a line - status, pause, resume, shutdown (ACPI power\n"
"                    button), stop (at once: status 5), console (the\n"
"                    connection becomes one more console reader)\n"
"  --control-send PATH COMMAND...\n"
"                    send the commands to a running VMM's control socket and\n"
"                    print the replies (after console: relay it); exit 0 if\n"
"                    all were ok, 1 on an error reply, 2 if unreachable\n"
"  --jail UID        once everything is open and before the guest runs,\n"
"                    jail the VMM: uid and gid UID (" JAIL_UID_RANGE "),\n"
"                    new namespaces, an empty root, no capabilities,\n"
"                    no_new_privs, a seccomp filter (see docs/corral-vmm.md);\n"
"                    the VMM must be the first process of a new PID\n"
"                    namespace (corrald starts every VM so)\n"
"  -v, --verbose     log what the VMM does on stderr\n"
"\n"
"Rate limits are token buckets holding one second's worth (the burst);\n"
"requests over the limit wait, in order, and are never dropped.\n"
"\n"
"Only the guest's console is printed unless -v is given; errors name the\n"
"file, device or address at fault.\n"
"\n"
"Signals: SIGTERM (or SIGINT, SIGHUP) asks the guest to shut down by\n"
"pressing its ACPI power button (Ctrl-Alt-Del on its keyboard when the\n"
"guest has no ACPI); if the guest then resets, that ends the shutdown:\n"
"status 0.  SIGKILL stops the guest at once.  On a terminal (--serial\n"
"stdio), Ctrl-A x stops it the same way after restoring the terminal;\n"
"Ctrl-A Ctrl-A sends Ctrl-A.  SIGUSR2 prints the VM exit counters on\n"
"stderr (what reached the VMM by reason, and KVM's own counts; -v prints\n"
"them at the end too), where each vCPU thread is (in the guest, halted\n"
"or running, or in the VMM; and where the half-second halt check last\n"
"found it halted, interrupts on or off), where each virtio disk's queues\n"
"stand and where each virtio NIC's rings stand.\n"
"\n"
"Exit status:\n"
"  0  the guest powered off (ACPI S5, or halted every CPU)\n"
"  1  the guest rebooted by itself (the VMM exits; the caller restarts it)\n"
"  2  the guest crashed: triple fault, KVM internal or emulation error\n"
"  3  the VMM failed: bad arguments, missing files, no KVM (reason on stderr)\n"
"  4  boot = firmware: no disk was bootable (the firmware's message is on\n"
"     the console)\n"
"  5  stopped by force: \"stop\" on the control socket\n";

enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_MEMORY, OPT_CPUS,
       OPT_DISK, OPT_CDROM, OPT_NIC, OPT_CONFIG, OPT_SERIAL, OPT_NAME, OPT_HELP,
       OPT_VERSION, OPT_CONTROL, OPT_CONTROL_SEND, OPT_DISPLAY, OPT_VNC,
       OPT_BOOT, OPT_FIRMWARE, OPT_UEFI_CODE, OPT_NVRAM, OPT_HYPERV, OPT_JAIL };

static const struct option long_opts[] = {
    { "kernel", required_argument, NULL, OPT_KERNEL },
    { "initrd", required_argument, NULL, OPT_INITRD },
    { "cmdline", required_argument, NULL, OPT_CMDLINE },
    { "boot", required_argument, NULL, OPT_BOOT },
    { "firmware", required_argument, NULL, OPT_FIRMWARE },
    { "uefi-code", required_argument, NULL, OPT_UEFI_CODE },
    { "nvram", required_argument, NULL, OPT_NVRAM },
    { "hyperv", required_argument, NULL, OPT_HYPERV },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "cpus", required_argument, NULL, OPT_CPUS },
    { "disk", required_argument, NULL, OPT_DISK },
    { "cdrom", required_argument, NULL, OPT_CDROM },
    { "nic", required_argument, NULL, OPT_NIC },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "serial", required_argument, NULL, OPT_SERIAL },
    { "name", required_argument, NULL, OPT_NAME },
    { "display", required_argument, NULL, OPT_DISPLAY },
    { "vnc", required_argument, NULL, OPT_VNC },
    { "jail", required_argument, NULL, OPT_JAIL },
    { "control", required_argument, NULL, OPT_CONTROL },
    { "control-send", required_argument, NULL, OPT_CONTROL_SEND },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

/* The definition key each flag sets (NULL: not a definition key). */
static const char *flag_key(int opt)
{
    switch (opt) {
    case OPT_KERNEL:  return "kernel";
    case OPT_INITRD:  return "initrd";
    case OPT_CMDLINE: return "cmdline";
    case OPT_BOOT:    return "boot";
    case OPT_FIRMWARE: return "firmware";
    case OPT_UEFI_CODE: return "uefi_code";
    case OPT_NVRAM:   return "nvram";
    case OPT_HYPERV:  return "hyperv";
    case OPT_MEMORY:  return "memory";
    case OPT_CPUS:    return "cpus";
    case OPT_DISK:    return "disk";
    case OPT_CDROM:   return "cdrom";
    case OPT_NIC:     return "nic";
    case OPT_SERIAL:  return "serial";
    case OPT_NAME:    return "name";
    case OPT_DISPLAY: return "display";
    default:          return NULL;
    }
}

static int fail_usage(const char *fmt, const char *a, const char *b)
{
    fputs("corral-vmm: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputs("\n(see corral-vmm --help)\n", stderr);
    return VM_EXIT_ERROR;
}

static int parse_jail_uid(const char *text, unsigned *uid)
{
    uint64_t v;
    if (conf_parse_uint(text, JAIL_UID_FIRST, JAIL_UID_LAST, &v) < 0)
        return -1;
    *uid = (unsigned)v;
    return 0;
}

struct run_opts {
    bool verbose, done;
    const char *control, *control_send, *vnc;
    unsigned jail_uid;
};

/* First pass: --config, -v, --help, --version, --control(-send); the
 * definition file is loaded before the other flags so that they override
 * it. */
static int first_pass(int argc, char **argv, struct vmdef *def,
                      struct run_opts *ro)
{
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "v", long_opts, NULL)) != -1) {
        if (opt == OPT_CONTROL)
            ro->control = optarg;
        if (opt == OPT_CONTROL_SEND)
            ro->control_send = optarg;
        if (opt == OPT_VNC)
            ro->vnc = optarg;
        if (opt == OPT_JAIL && parse_jail_uid(optarg, &ro->jail_uid))
            return fail_usage("--jail %s: a uid from " JAIL_UID_RANGE "%s", optarg, "");
        if (opt == OPT_HELP || opt == OPT_VERSION) {
            fputs(opt == OPT_HELP ? usage : "corral-vmm " CORRAL_VERSION "\n", stdout);
            ro->done = true;
            return 0;
        }
        if (opt == 'v')
            ro->verbose = true;
        if (opt == '?')
            return fail_usage("unknown option or missing value: %s%s",
                              argv[optind - 1], "");
        if (opt == OPT_CONFIG) {
            struct conf_error cerr;
            char msg[600];
            if (vmdef_load(optarg, def, &cerr)) {
                conf_error_format(&cerr, msg, sizeof(msg));
                return fail_usage("%s%s", msg, "");
            }
        }
    }
    if (ro->control_send)
        return optind < argc ? 0 : fail_usage("--control-send %s: which "
                                              "command?%s", ro->control_send, "");
    if (optind < argc)
        return fail_usage("unexpected argument: %s%s", argv[optind], "");
    return 0;
}

static int apply_flags(int argc, char **argv, struct vmdef *def)
{
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "v", long_opts, NULL)) != -1) {
        const char *key = flag_key(opt);
        char why[256];
        if (key && vmdef_set_key(def, key, optarg, NULL, why, sizeof(why)))
            return fail_usage("--%s: %s", key, why);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct vmdef def;
    struct run_opts ro = { 0 };
    char why[256];

    vm_log_start_clock();
    vmdef_init(&def);
    snprintf(def.name, sizeof(def.name), "vm");
    if (first_pass(argc, argv, &def, &ro))
        return VM_EXIT_ERROR;
    if (ro.done)
        return 0;
    if (ro.control_send)
        return control_client_run(ro.control_send, argv + optind, argc - optind);
    if (apply_flags(argc, argv, &def))
        return VM_EXIT_ERROR;
    if (vmdef_check(&def, why, sizeof(why)))
        return fail_usage("%s%s", why, "");
    if (ro.vnc && !vmdef_has_display(&def))
        return fail_usage("--vnc %s: this VM has no display (display = none)%s",
                          ro.vnc, "");
    struct machine_opts mo = { .control_path = ro.control, .vnc_path = ro.vnc,
                               .verbose = ro.verbose, .jail_uid = ro.jail_uid };
    return machine_run(&def, &mo);
}
