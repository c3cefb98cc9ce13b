/* corrald: Corral's VM manager (see corrald.h and docs/cli.md). */
#include "corrald.h"
#include "corrald_cgroup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char corrald_usage[] =
    "usage: corrald [options]\n"
    "\n"
    "Starts, stops, supervises and autostarts Corral's VMs and serves the\n"
    "control socket that `corral` talks to.  Runs in the foreground; logs to\n"
    "stderr.\n"
    "\n"
    "  --state-dir DIR       definitions and disks (default /var/lib/corral)\n"
    "  --run-dir DIR         pid files and sockets (default /run/corral)\n"
    "  --socket PATH         control socket (default /run/corral/corrald.sock)\n"
    "  --vmm PATH            the VMM to run (default corral-vmm, from PATH)\n"
    "  --uefi-vars PATH      the UEFI variables template copied to a new\n"
    "                        boot = uefi VM's nvram.fd (default\n"
    "                        " VMDEF_DEFAULT_UEFI_VARS ")\n"
    "  --memory-reserve SIZE memory kept for the host (default 512M, or\n"
    "                        memory_reserve in STATE/corrald.conf)\n"
    "  --no-jail             run no VMM jailed, whatever its definition says\n"
    "                        (for debugging; see jail = in docs/vm-definition.md)\n"
    "  --help                this text\n"
    "\n"
    "Every VM gets a cgroup v2 group, " CORRALD_CGROUP_DIR "/NAME, with its\n"
    "memory and CPU limits (when cgroup2 is mounted at /sys/fs/cgroup).\n"
    "\n"
    "Its pid is in RUN/corrald.pid (`pidof corrald` also lists the VM\n"
    "monitors, which run the same executable as corral-monitor).\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop every VM (ACPI, then force after its\n"
    "stop_timeout) and exit; SIGQUIT exits at once leaving VMs running (a new\n"
    "corrald adopts them); SIGHUP rescans STATE/vms for new definitions.\n"
    "\n"
    "STATE/corrald.conf keys: memory_reserve (size, plain number = MiB),\n"
    "autostart_parallel (VMs started at once at boot, 1-16, default 2).\n";

static int corrald_read_settings(struct corrald_config *cfg)
{
    char path[CORRALD_PATH_MAX + 16];
    struct conf c;
    struct conf_error err;
    char msg[600];
    uint64_t v;
    snprintf(path, sizeof(path), "%s/corrald.conf", cfg->state_dir);
    conf_init(&c);
    int rc = conf_load(path, &c, &err);
    if (rc == -ENOENT) {
        conf_free(&c);
        return 0;
    }
    const char *reserve = rc == 0 ? conf_get(&c, "memory_reserve") : NULL;
    const char *parallel = rc == 0 ? conf_get(&c, "autostart_parallel") : NULL;
    if (reserve && conf_parse_size(reserve, 1 << 20, &v) < 0)
        rc = conf_error_set(&err, path, conf_line_of(&c, "memory_reserve"),
                            "memory_reserve: not a size");
    else if (reserve)
        cfg->memory_reserve_mib = v >> 20;
    if (rc == 0 && parallel && conf_parse_uint(parallel, 1, 16, &v) < 0)
        rc = conf_error_set(&err, path, conf_line_of(&c, "autostart_parallel"),
                            "autostart_parallel: not a number from 1 to 16");
    else if (rc == 0 && parallel)
        cfg->autostart_parallel = (unsigned)v;
    conf_free(&c);
    if (rc < 0) {
        conf_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "corrald: %s\n", msg);
    }
    return rc;
}

static int corrald_parse_args(int argc, char **argv, struct corrald_config *cfg)
{
    const char *reserve = NULL;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--help")) {
            fputs(corrald_usage, stdout);
            exit(0);
        }
        if (!strcmp(opt, "--no-jail")) {
            cfg->jail = false;
            continue;
        }
        char *dest = !strcmp(opt, "--state-dir") ? cfg->state_dir
                     : !strcmp(opt, "--run-dir") ? cfg->run_dir
                     : !strcmp(opt, "--socket")  ? cfg->socket_path
                     : !strcmp(opt, "--vmm")     ? cfg->vmm_path
                     : !strcmp(opt, "--uefi-vars") ? cfg->uefi_vars_path
                                                 : NULL;
        bool is_reserve = !strcmp(opt, "--memory-reserve");
        if ((!dest && !is_reserve) || i + 1 == argc) {
            fprintf(stderr, "corrald: %s: unknown option or missing value\n%s",
                    opt, corrald_usage);
            return -EINVAL;
        }
        size_t size = dest == cfg->state_dir || dest == cfg->run_dir
                          ? CORRALD_DIR_MAX : CORRALD_PATH_MAX;
        if (dest && strlen(argv[i + 1]) >= size) {
            fprintf(stderr, "corrald: %s: path too long\n", opt);
            return -EINVAL;
        }
        if (dest)
            snprintf(dest, size, "%s", argv[++i]);
        else
            reserve = argv[++i];
    }
    if (corrald_read_settings(cfg) < 0)
        return -EINVAL;
    uint64_t bytes;
    if (reserve && conf_parse_size(reserve, 1 << 20, &bytes) < 0) {
        fprintf(stderr, "corrald: --memory-reserve: '%s' is not a size\n", reserve);
        return -EINVAL;
    }
    if (reserve)
        cfg->memory_reserve_mib = bytes >> 20;
    return 0;
}

int main(int argc, char **argv)
{
    static struct corrald d;
    if (strcmp(argv[0], CORRALD_MONITOR_NAME) == 0)
        return corrald_monitor_main(argc, argv);
    struct corrald_config *cfg = &d.cfg;
    snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/corral");
    snprintf(cfg->run_dir, sizeof(cfg->run_dir), "/run/corral");
    snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", proto_socket_path());
    snprintf(cfg->vmm_path, sizeof(cfg->vmm_path), "corral-vmm");
    snprintf(cfg->uefi_vars_path, sizeof(cfg->uefi_vars_path), "%s",
             VMDEF_DEFAULT_UEFI_VARS);
    snprintf(cfg->meminfo_path, sizeof(cfg->meminfo_path), "/proc/meminfo");
    cfg->memory_reserve_mib = 512;
    cfg->autostart_parallel = 2;
    cfg->jail = true;
    snprintf(cfg->cgroup_dir, sizeof(cfg->cgroup_dir), "%s", CORRALD_CGROUP_DIR);
    if (corrald_parse_args(argc, argv, cfg) < 0)
        return 2;
    char why[600];
    if (corrald_init(&d, why, sizeof(why)) < 0) {
        fprintf(stderr, "corrald: %s\n", why);
        return 1;
    }
    return corrald_loop(&d);
}
