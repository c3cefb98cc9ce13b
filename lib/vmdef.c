/* vmdef: the VM definition (see vmdef.h for the keys). */
#include "vmdef.h"
#include "nvram_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB ((uint64_t)1 << 20)

static int vmdef_why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int vmdef_why(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && why_len)
        vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

void vmdef_init(struct vmdef *d)
{
    memset(d, 0, sizeof(*d));
    d->memory_mib = 256;
    d->cpus = 1;
    d->boot = VMDEF_BOOT_KERNEL;
    snprintf(d->firmware, sizeof(d->firmware), "%s", VMDEF_DEFAULT_FIRMWARE);
    snprintf(d->uefi_code, sizeof(d->uefi_code), "%s", VMDEF_DEFAULT_UEFI_CODE);
    d->serial = VMDEF_SERIAL_STDIO;
    d->restart = VMDEF_RESTART_ON_FAILURE;
    d->stop_timeout_s = 60;
    d->jail = true;
    d->cpu_weight = VMDEF_DEFAULT_CPU_WEIGHT;
}

/* ---- names, words and simple values --------------------------------------- */

static bool vmdef_is_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9');
}

bool vmdef_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > VMDEF_NAME_MAX || !vmdef_is_alnum(name[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!vmdef_is_alnum(name[i]) && name[i] != '-')
            return false;
    return true;
}

static bool vmdef_ifname_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > VMDEF_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!vmdef_is_alnum(s[i]) && !strchr("_.-", s[i]))
            return false;
    return true;
}

static int vmdef_hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static bool vmdef_parse_mac(const char *s, uint8_t mac[6])
{
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 6; i++) {
        int hi = vmdef_hex_digit(s[i * 3]), lo = vmdef_hex_digit(s[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
            return false;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void vmdef_format_mac(const uint8_t mac[6], char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
             mac[3], mac[4], mac[5]);
}

void vmdef_nic_mac(const char *vm_name, size_t index, uint8_t mac[6])
{
    /* FNV-1a over name and index: stable across restarts and hosts. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = vm_name; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    h = (h ^ (uint8_t)index) * 0x100000001b3ULL;
    mac[0] = 0x02; /* locally administered, unicast */
    for (int i = 1; i < 6; i++)
        mac[i] = (uint8_t)(h >> (8 * i));
}

static bool vmdef_uuid_valid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_here ? s[i] != '-' : vmdef_hex_digit(s[i]) < 0)
            return false;
    }
    return true;
}

/* Index of s in names[0..n), or -1. */
static int vmdef_lookup_word(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static const char *const vmdef_boot_names[] = { "kernel", "firmware", "uefi" };
static const char *const vmdef_restart_names[] = { "no", "on-failure", "always" };

const char *vmdef_boot_name(enum vmdef_boot b)
{
    return vmdef_boot_names[b];
}

const char *vmdef_restart_name(enum vmdef_restart r)
{
    return vmdef_restart_names[r];
}

/* ---- paths ---------------------------------------------------------------- */

/* Copies src (known to fit) and zeroes the rest of dst, so that two
 * definitions with the same values compare equal byte for byte. */
static void vmdef_store(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src);
    memcpy(dst, src, len);
    memset(dst + len, 0, size - len);
}

static int vmdef_copy_path(char *out, const char *value, const char *base_dir,
                           char *why, size_t why_len)
{
    if (value[0] == '\0')
        return vmdef_why(why, why_len, "empty path");
    char joined[VMDEF_PATH_MAX];
    int n;
    if (value[0] != '/' && base_dir && base_dir[0])
        n = snprintf(joined, sizeof(joined), "%s/%s", base_dir, value);
    else
        n = snprintf(joined, sizeof(joined), "%s", value);
    if (n < 0 || n >= VMDEF_PATH_MAX)
        return vmdef_why(why, why_len, "path longer than %d bytes",
                         VMDEF_PATH_MAX - 1);
    vmdef_store(out, VMDEF_PATH_MAX, joined);
    return 0;
}

/* ---- one key each --------------------------------------------------------- */

typedef int (*vmdef_apply_fn)(struct vmdef *d, const char *value,
                              const char *base_dir, char *why, size_t why_len);

static int vmdef_apply_name(struct vmdef *d, const char *value,
                            const char *base_dir, char *why, size_t why_len)
{
    if (!vmdef_name_valid(value))
        return vmdef_why(why, why_len,
                         "'%.40s' is not a name: 1-%d letters, digits or '-', "
                         "starting with a letter or digit",
                         value, VMDEF_NAME_MAX);
    vmdef_store(d->name, sizeof(d->name), value);
    return 0;
}

static int vmdef_apply_uuid(struct vmdef *d, const char *value,
                            const char *base_dir, char *why, size_t why_len)
{
    if (!vmdef_uuid_valid(value))
        return vmdef_why(why, why_len,
                         "not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    for (int i = 0; i < 36; i++)
        d->uuid[i] = (char)(value[i] >= 'A' && value[i] <= 'F' ? value[i] | 0x20
                                                                : value[i]);
    d->uuid[36] = '\0';
    return 0;
}

static int vmdef_apply_memory(struct vmdef *d, const char *value,
                              const char *base_dir, char *why, size_t why_len)
{
    uint64_t bytes;
    int rc = conf_parse_size(value, MIB, &bytes);
    if (rc == -EINVAL)
        return vmdef_why(why, why_len, "'%.40s' is not a size (e.g. 512M, 2G)",
                         value);
    if (rc < 0 || bytes / MIB > VMDEF_MAX_MEMORY_MIB)
        return vmdef_why(why, why_len, "more than the maximum of %llu MiB",
                         (unsigned long long)VMDEF_MAX_MEMORY_MIB);
    if (bytes % MIB)
        return vmdef_why(why, why_len, "not a whole number of MiB");
    if (bytes / MIB < VMDEF_MIN_MEMORY_MIB)
        return vmdef_why(why, why_len, "less than the minimum of %d MiB",
                         VMDEF_MIN_MEMORY_MIB);
    d->memory_mib = bytes / MIB;
    return 0;
}

/* yes/no keys: also true/false, on/off, 1/0 (conf_parse_bool). */
static int vmdef_parse_yes_no(const char *value, bool *out, char *why,
                              size_t why_len)
{
    int b;
    if (conf_parse_bool(value, &b) < 0)
        return vmdef_why(why, why_len, "'%.40s' is not yes or no", value);
    *out = b;
    return 0;
}

static int vmdef_apply_hugepages(struct vmdef *d, const char *value,
                                 const char *base_dir, char *why, size_t why_len)
{
    return vmdef_parse_yes_no(value, &d->hugepages, why, why_len);
}

/* A whole number from 1 to max into *out, or "'VALUE' is not WHAT from 1
 * to MAX". */
static int vmdef_parse_count(const char *value, unsigned max, const char *what,
                             unsigned *out, char *why, size_t why_len)
{
    uint64_t n;
    if (conf_parse_uint(value, 1, max, &n) < 0)
        return vmdef_why(why, why_len, "'%.40s' is not %s from 1 to %u", value, what,
                         max);
    *out = (unsigned)n;
    return 0;
}

static int vmdef_apply_cpus(struct vmdef *d, const char *value,
                            const char *base_dir, char *why, size_t why_len)
{
    return vmdef_parse_count(value, VMDEF_MAX_CPUS, "a number", &d->cpus, why, why_len);
}

static int vmdef_apply_boot(struct vmdef *d, const char *value,
                            const char *base_dir, char *why, size_t why_len)
{
    int i = vmdef_lookup_word(value, vmdef_boot_names, 3);
    if (i < 0)
        return vmdef_why(why, why_len, "'%.40s' is not kernel, firmware or uefi",
                         value);
    d->boot = (enum vmdef_boot)i;
    return 0;
}

static int vmdef_apply_kernel(struct vmdef *d, const char *value,
                              const char *base_dir, char *why, size_t why_len)
{
    return vmdef_copy_path(d->kernel, value, base_dir, why, why_len);
}

static int vmdef_apply_initrd(struct vmdef *d, const char *value,
                              const char *base_dir, char *why, size_t why_len)
{
    return vmdef_copy_path(d->initrd, value, base_dir, why, why_len);
}

static int vmdef_apply_firmware(struct vmdef *d, const char *value,
                                const char *base_dir, char *why, size_t why_len)
{
    return vmdef_copy_path(d->firmware, value, base_dir, why, why_len);
}

static int vmdef_apply_uefi_code(struct vmdef *d, const char *value,
                                 const char *base_dir, char *why, size_t why_len)
{
    return vmdef_copy_path(d->uefi_code, value, base_dir, why, why_len);
}

/* An empty value clears it (for a VM going back from boot = uefi). */
static int vmdef_apply_nvram(struct vmdef *d, const char *value,
                             const char *base_dir, char *why, size_t why_len)
{
    if (value[0] == '\0') {
        vmdef_store(d->nvram, sizeof(d->nvram), "");
        return 0;
    }
    return vmdef_copy_path(d->nvram, value, base_dir, why, why_len);
}

static int vmdef_apply_hyperv(struct vmdef *d, const char *value,
                              const char *base_dir, char *why, size_t why_len)
{
    int b;
    if (conf_parse_bool(value, &b) < 0)
        return vmdef_why(why, why_len, "'%.40s' is not on or off", value);
    d->hyperv = b;
    return 0;
}

static int vmdef_apply_cmdline(struct vmdef *d, const char *value,
                               const char *base_dir, char *why, size_t why_len)
{
    if (strlen(value) >= VMDEF_CMDLINE_MAX)
        return vmdef_why(why, why_len, "longer than %d bytes",
                         VMDEF_CMDLINE_MAX - 1);
    vmdef_store(d->cmdline, sizeof(d->cmdline), value);
    return 0;
}

/* Splits the next ','-separated item off *rest into item (bounded). */
static int vmdef_next_item(const char **rest, char *item, size_t item_len,
                           char *why, size_t why_len)
{
    const char *comma = strchr(*rest, ',');
    size_t len = comma ? (size_t)(comma - *rest) : strlen(*rest);
    if (len >= item_len)
        return vmdef_why(why, why_len, "'%.40s...' is too long", *rest);
    memcpy(item, *rest, len);
    item[len] = '\0';
    *rest = comma ? comma + 1 : *rest + len;
    return 0;
}

/* Each option of a disk or nic may appear once; names[i] is bit i. */
static int vmdef_option_once(const char *opt, const char *const *names, int n,
                             unsigned *seen, char *why, size_t why_len)
{
    size_t len = strcspn(opt, "=");
    for (int i = 0; i < n; i++) {
        if (strlen(names[i]) != len || strncmp(opt, names[i], len) != 0)
            continue;
        if (*seen & (1u << i))
            return vmdef_why(why, why_len, "%s: given twice", names[i]);
        *seen |= 1u << i;
    }
    return 0;
}

/* ---- SATA: disks on the AHCI controller and CD-ROM drives ----------------- */

static size_t vmdef_sata_ports(const struct vmdef *d)
{
    return vmdef_disks_on_bus(d, VMDEF_BUS_SATA) + d->cdrom_count;
}

/* A disk's bus= and cache= words, indexed by their enums. */
static const char *const vmdef_bus_words[2] = { "virtio", "sata" };
static const char *const vmdef_cache_words[2] = { "none", "writeback" };

/* key's value, one of two words: its index, or -EINVAL saying
 * "KEY: 'VALUE' is not A or B". */
static int vmdef_one_of_two(const char *key, const char *value,
                            const char *const words[2], char *why, size_t why_len)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(value, words[i]) == 0)
            return i;
    return vmdef_why(why, why_len, "%s: '%.20s' is not %s or %s", key, value, words[0],
                     words[1]);
}

const char *vmdef_disk_cache_name(enum vmdef_disk_cache cache)
{
    return vmdef_cache_words[cache == VMDEF_CACHE_WRITEBACK];
}

/* A disk or drive more on the controller: is there a port left? */
static int vmdef_sata_port_free(const struct vmdef *d, char *why, size_t why_len)
{
    if (vmdef_sata_ports(d) >= VMDEF_MAX_SATA_PORTS)
        return vmdef_why(why, why_len, "more than %d SATA disks and CD-ROM drives",
                         VMDEF_MAX_SATA_PORTS);
    return 0;
}

/* cdrom = ISO | none */
static int vmdef_apply_cdrom(struct vmdef *d, const char *value,
                             const char *base_dir, char *why, size_t why_len)
{
    struct vmdef_cdrom cd = { "" };
    int rc = vmdef_sata_port_free(d, why, why_len);
    if (rc == 0 && value[0] == '\0')
        rc = vmdef_why(why, why_len, "an ISO image's path, or none for an empty drive");
    if (rc == 0 && strcmp(value, "none") != 0)
        rc = vmdef_copy_path(cd.path, value, base_dir, why, why_len);
    if (rc == 0)
        d->cdroms[d->cdrom_count++] = cd;
    return rc;
}

size_t vmdef_disks_on_bus(const struct vmdef *d, enum vmdef_disk_bus bus)
{
    size_t n = 0;
    for (size_t i = 0; i < d->disk_count; i++)
        n += d->disks[i].bus == bus;
    return n;
}

const struct vmdef_disk *vmdef_disk_on_bus(const struct vmdef *d,
                                           enum vmdef_disk_bus bus, size_t index)
{
    for (size_t i = 0; i < d->disk_count; i++)
        if (d->disks[i].bus == bus && index-- == 0)
            return &d->disks[i];
    return NULL;
}

static int vmdef_apply_disk_option(struct vmdef_disk *disk, const char *opt,
                                   unsigned *seen, char *why, size_t why_len)
{
    static const char *const names[] = { "ro", "iops", "bps", "bus", "cache" };
    if (vmdef_option_once(opt, names, 5, seen, why, why_len) < 0)
        return -EINVAL;
    if (strncmp(opt, "bus=", 4) == 0) {
        int i = vmdef_one_of_two("bus", opt + 4, vmdef_bus_words, why, why_len);
        disk->bus = i == 1 ? VMDEF_BUS_SATA : VMDEF_BUS_VIRTIO;
        return i < 0 ? i : 0;
    }
    if (strncmp(opt, "cache=", 6) == 0) {
        int i = vmdef_one_of_two("cache", opt + 6, vmdef_cache_words, why, why_len);
        disk->cache = i == 1 ? VMDEF_CACHE_WRITEBACK : VMDEF_CACHE_NONE;
        return i < 0 ? i : 0;
    }
    if (strcmp(opt, "ro") == 0) {
        disk->readonly = true;
        return 0;
    }
    if (strncmp(opt, "iops=", 5) == 0) {
        if (conf_parse_uint(opt + 5, 1, 1000000000, &disk->iops) < 0)
            return vmdef_why(why, why_len, "iops: not a number from 1 to 10^9");
        return 0;
    }
    if (strncmp(opt, "bps=", 4) == 0) {
        if (conf_parse_size(opt + 4, 1, &disk->bps) < 0 || disk->bps == 0)
            return vmdef_why(why, why_len,
                             "bps: not a size in bytes per second (e.g. 100M)");
        return 0;
    }
    return vmdef_why(why, why_len,
                     "unknown option '%.40s' (ro, iops=N, bps=SIZE, bus=virtio|sata, "
                     "cache=none|writeback)",
                     opt);
}

static int vmdef_apply_disk(struct vmdef *d, const char *value,
                            const char *base_dir, char *why, size_t why_len)
{
    if (d->disk_count == VMDEF_MAX_DISKS)
        return vmdef_why(why, why_len, "more than %d disks", VMDEF_MAX_DISKS);
    struct vmdef_disk disk = { 0 };
    char item[VMDEF_PATH_MAX];
    const char *rest = value;
    unsigned seen = 0;
    int rc = vmdef_next_item(&rest, item, sizeof(item), why, why_len);
    if (rc == 0)
        rc = vmdef_copy_path(disk.path, item, base_dir, why, why_len);
    while (rc == 0 && *rest) {
        rc = vmdef_next_item(&rest, item, sizeof(item), why, why_len);
        if (rc == 0)
            rc = vmdef_apply_disk_option(&disk, item, &seen, why, why_len);
    }
    if (rc == 0 && disk.bus == VMDEF_BUS_SATA)
        rc = vmdef_sata_port_free(d, why, why_len);
    if (rc == 0)
        d->disks[d->disk_count++] = disk;
    return rc;
}

static int vmdef_copy_ifname(char *out, const char *opt, const char *s,
                             bool empty_ok, char *why, size_t why_len)
{
    if (!(empty_ok && s[0] == '\0') && !vmdef_ifname_valid(s))
        return vmdef_why(why, why_len,
                         "%s: '%.40s' is not an interface name (1-%d of "
                         "letters, digits, _ . -)",
                         opt, s, VMDEF_IFNAME_MAX);
    vmdef_store(out, VMDEF_IFNAME_MAX + 1, s);
    return 0;
}

static const char *const vmdef_nic_model_names[] = {
    [VMDEF_NIC_VIRTIO] = "virtio",
    [VMDEF_NIC_E1000] = "e1000",
};

const char *vmdef_nic_model_name(enum vmdef_nic_model model)
{
    return vmdef_nic_model_names[model];
}

static int vmdef_parse_nic_model(const char *s, enum vmdef_nic_model *model,
                                 char *why, size_t why_len)
{
    for (size_t m = 0; m < sizeof(vmdef_nic_model_names) / sizeof(vmdef_nic_model_names[0]); m++)
        if (strcmp(s, vmdef_nic_model_names[m]) == 0) {
            *model = (enum vmdef_nic_model)m;
            return 0;
        }
    return vmdef_why(why, why_len, "model: '%.40s' is not virtio or e1000", s);
}

static int vmdef_apply_nic_option(struct vmdef_nic *nic, const char *opt,
                                  unsigned *seen, char *why, size_t why_len)
{
    static const char *const names[] = { "bridge", "tap", "mac", "bps", "pps", "fd",
                                         "model" };
    if (vmdef_option_once(opt, names, 7, seen, why, why_len) < 0)
        return -EINVAL;
    if (strncmp(opt, "model=", 6) == 0)
        return vmdef_parse_nic_model(opt + 6, &nic->model, why, why_len);
    if (strncmp(opt, "bps=", 4) == 0) {
        if (conf_parse_size(opt + 4, 1, &nic->bps) < 0 || nic->bps == 0)
            return vmdef_why(why, why_len,
                             "bps: not a size in bytes per second (e.g. 100M)");
        return 0;
    }
    if (strncmp(opt, "pps=", 4) == 0) {
        if (conf_parse_uint(opt + 4, 1, 1000000000, &nic->pps) < 0)
            return vmdef_why(why, why_len, "pps: not a number from 1 to 10^9");
        return 0;
    }
    if (strncmp(opt, "fd=", 3) == 0) {
        uint64_t fd;
        if (conf_parse_uint(opt + 3, 3, 65535, &fd) < 0)
            return vmdef_why(why, why_len, "fd: not a file descriptor from 3 to 65535");
        nic->has_fd = true;
        nic->fd = (int)fd;
        return 0;
    }
    if (strncmp(opt, "bridge=", 7) == 0)
        return vmdef_copy_ifname(nic->bridge, "bridge", opt + 7, true, why,
                                 why_len);
    if (strncmp(opt, "tap=", 4) == 0)
        return vmdef_copy_ifname(nic->tap, "tap", opt + 4, false, why, why_len);
    if (strncmp(opt, "mac=", 4) == 0) {
        if (!vmdef_parse_mac(opt + 4, nic->mac) || (nic->mac[0] & 1) ||
            !(nic->mac[0] | nic->mac[1] | nic->mac[2] | nic->mac[3] |
              nic->mac[4] | nic->mac[5]))
            return vmdef_why(why, why_len,
                             "mac: '%.40s' is not a unicast MAC "
                             "(xx:xx:xx:xx:xx:xx)",
                             opt + 4);
        nic->has_mac = true;
        return 0;
    }
    return vmdef_why(why, why_len,
                     "unknown option '%.40s' (bridge=IF, mac=MAC, tap=IF, "
                     "bps=SIZE, pps=N, fd=N, model=virtio|e1000)", opt);
}

static int vmdef_apply_nic(struct vmdef *d, const char *value,
                           const char *base_dir, char *why, size_t why_len)
{
    if (d->nic_count == VMDEF_MAX_NICS)
        return vmdef_why(why, why_len, "more than %d NICs", VMDEF_MAX_NICS);
    struct vmdef_nic nic = { 0 };
    snprintf(nic.bridge, sizeof(nic.bridge), "%s", VMDEF_DEFAULT_BRIDGE);
    const char *rest = value;
    unsigned seen = 0;
    int rc = 0;
    while (rc == 0 && *rest) {
        char item[64];
        rc = vmdef_next_item(&rest, item, sizeof(item), why, why_len);
        if (rc == 0)
            rc = vmdef_apply_nic_option(&nic, item, &seen, why, why_len);
    }
    if (rc == 0)
        d->nics[d->nic_count++] = nic;
    return rc;
}

static int vmdef_apply_serial(struct vmdef *d, const char *value,
                              const char *base_dir, char *why, size_t why_len)
{
    static const char *const prefixes[] = { "unix:", "file:" };
    static const enum vmdef_serial kinds[] = { VMDEF_SERIAL_UNIX,
                                               VMDEF_SERIAL_FILE };
    if (strcmp(value, "stdio") == 0 || strcmp(value, "pty") == 0) {
        d->serial = value[0] == 's' ? VMDEF_SERIAL_STDIO : VMDEF_SERIAL_PTY;
        memset(d->serial_path, 0, sizeof(d->serial_path));
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        if (strncmp(value, prefixes[i], 5) != 0)
            continue;
        int rc = vmdef_copy_path(d->serial_path, value + 5, base_dir, why,
                                 why_len);
        if (rc == 0)
            d->serial = kinds[i];
        return rc;
    }
    return vmdef_why(why, why_len,
                     "'%.40s' is not stdio, pty, unix:PATH or file:PATH", value);
}

static const char *const vmdef_display_names[] = { "auto", "std", "none" };

bool vmdef_has_display(const struct vmdef *d)
{
    if (d->display == VMDEF_DISPLAY_AUTO)
        return d->boot != VMDEF_BOOT_KERNEL;
    return d->display == VMDEF_DISPLAY_STD;
}

/* "auto" is accepted too, so that a written-out default reads back. */
static int vmdef_apply_display(struct vmdef *d, const char *value,
                               const char *base_dir, char *why, size_t why_len)
{
    int i = vmdef_lookup_word(value, vmdef_display_names, 3);
    if (i < 0)
        return vmdef_why(why, why_len, "'%.40s' is not std or none", value);
    d->display = (enum vmdef_display)i;
    return 0;
}

static int vmdef_apply_autostart(struct vmdef *d, const char *value,
                                 const char *base_dir, char *why, size_t why_len)
{
    return vmdef_parse_yes_no(value, &d->autostart, why, why_len);
}

static int vmdef_apply_restart(struct vmdef *d, const char *value,
                               const char *base_dir, char *why, size_t why_len)
{
    int i = vmdef_lookup_word(value, vmdef_restart_names, 3);
    if (i < 0)
        return vmdef_why(why, why_len,
                         "'%.40s' is not no, on-failure or always", value);
    d->restart = (enum vmdef_restart)i;
    return 0;
}

static int vmdef_apply_stop_timeout(struct vmdef *d, const char *value,
                                    const char *base_dir, char *why,
                                    size_t why_len)
{
    uint64_t n;
    if (conf_parse_uint(value, 0, VMDEF_MAX_STOP_TIMEOUT, &n) < 0)
        return vmdef_why(why, why_len, "'%.40s' is not seconds from 0 to %d",
                         value, VMDEF_MAX_STOP_TIMEOUT);
    d->stop_timeout_s = (unsigned)n;
    return 0;
}

static int vmdef_apply_jail(struct vmdef *d, const char *value,
                            const char *base_dir, char *why, size_t why_len)
{
    return vmdef_parse_yes_no(value, &d->jail, why, why_len);
}

static int vmdef_apply_cpu_limit(struct vmdef *d, const char *value,
                                 const char *base_dir, char *why, size_t why_len)
{
    return vmdef_parse_count(value, VMDEF_MAX_CPUS * 100, "a percentage of one CPU",
                             &d->cpu_limit, why, why_len);
}

static int vmdef_apply_cpu_weight(struct vmdef *d, const char *value,
                                  const char *base_dir, char *why, size_t why_len)
{
    return vmdef_parse_count(value, VMDEF_MAX_CPU_WEIGHT, "a weight", &d->cpu_weight,
                             why, why_len);
}

struct vmdef_key {
    const char *key;
    bool is_list;
    vmdef_apply_fn apply;
};

static const struct vmdef_key vmdef_keys[] = {
    { "name", false, vmdef_apply_name },
    { "uuid", false, vmdef_apply_uuid },
    { "memory", false, vmdef_apply_memory },
    { "hugepages", false, vmdef_apply_hugepages },
    { "cpus", false, vmdef_apply_cpus },
    { "boot", false, vmdef_apply_boot },
    { "kernel", false, vmdef_apply_kernel },
    { "initrd", false, vmdef_apply_initrd },
    { "cmdline", false, vmdef_apply_cmdline },
    { "firmware", false, vmdef_apply_firmware },
    { "uefi_code", false, vmdef_apply_uefi_code },
    { "nvram", false, vmdef_apply_nvram },
    { "hyperv", false, vmdef_apply_hyperv },
    { "disk", true, vmdef_apply_disk },
    { "nic", true, vmdef_apply_nic },
    { "cdrom", true, vmdef_apply_cdrom },
    { "serial", false, vmdef_apply_serial },
    { "display", false, vmdef_apply_display },
    { "autostart", false, vmdef_apply_autostart },
    { "restart", false, vmdef_apply_restart },
    { "stop_timeout", false, vmdef_apply_stop_timeout },
    { "jail", false, vmdef_apply_jail },
    { "cpu_limit", false, vmdef_apply_cpu_limit },
    { "cpu_weight", false, vmdef_apply_cpu_weight },
};
#define VMDEF_KEY_COUNT (sizeof(vmdef_keys) / sizeof(vmdef_keys[0]))

static const struct vmdef_key *vmdef_find_key(const char *key)
{
    for (size_t i = 0; i < VMDEF_KEY_COUNT; i++)
        if (strcmp(vmdef_keys[i].key, key) == 0)
            return &vmdef_keys[i];
    return NULL;
}

int vmdef_set_key(struct vmdef *d, const char *key, const char *value,
                  const char *base_dir, char *why, size_t why_len)
{
    const struct vmdef_key *k = vmdef_find_key(key);
    if (!k)
        return vmdef_why(why, why_len, "unknown key");
    return k->apply(d, value, base_dir, why, why_len);
}

/* ---- the whole definition ------------------------------------------------- */

/* uefi_code and nvram belong to boot = uefi, which needs an nvram. */
static int vmdef_check_uefi(const struct vmdef *d, const char **key, char *why,
                            size_t why_len)
{
    bool uefi = d->boot == VMDEF_BOOT_UEFI;
    *key = "uefi_code";
    if (!uefi && strcmp(d->uefi_code, VMDEF_DEFAULT_UEFI_CODE) != 0)
        return vmdef_why(why, why_len, "only used with boot = uefi");
    *key = "nvram";
    if (!uefi && d->nvram[0])
        return vmdef_why(why, why_len, "only used with boot = uefi");
    if (uefi && !d->nvram[0])
        return vmdef_why(why, why_len, "missing (needed for boot = uefi: the "
                         "VM's UEFI variables file, a copy of %s)",
                         VMDEF_DEFAULT_UEFI_VARS);
    return 0;
}

/* Like vmdef_check, with the key at fault returned apart from the reason. */
static int vmdef_check_whole(const struct vmdef *d, const char **key, char *why,
                             size_t why_len)
{
    bool kernel_boot = d->boot == VMDEF_BOOT_KERNEL;
    *key = "name";
    if (d->name[0] == '\0')
        return vmdef_why(why, why_len, "missing");
    *key = "kernel";
    if (kernel_boot && d->kernel[0] == '\0')
        return vmdef_why(why, why_len, "missing (needed for boot = kernel)");
    const char *kernel_only = !kernel_boot && d->kernel[0]   ? "kernel"
                              : !kernel_boot && d->initrd[0] ? "initrd"
                              : !kernel_boot && d->cmdline[0] ? "cmdline"
                                                              : NULL;
    if (kernel_only) {
        *key = kernel_only;
        return vmdef_why(why, why_len, "only used with boot = kernel");
    }
    *key = "firmware";
    if (d->boot != VMDEF_BOOT_FIRMWARE &&
        strcmp(d->firmware, VMDEF_DEFAULT_FIRMWARE) != 0)
        return vmdef_why(why, why_len, "only used with boot = firmware");
    *key = "cpu_limit";
    if (d->cpu_limit > 100 * (d->cpus ? d->cpus : 1))
        return vmdef_why(why, why_len, "%u%% is more than its %u vCPU(s) can use "
                         "(100%% each)", d->cpu_limit, d->cpus ? d->cpus : 1);
    return vmdef_check_uefi(d, key, why, why_len);
}

int vmdef_check(const struct vmdef *d, char *why, size_t why_len)
{
    const char *key;
    char reason[200];
    int rc = vmdef_check_whole(d, &key, reason, sizeof(reason));
    if (rc < 0)
        vmdef_why(why, why_len, "%s: %s", key, reason);
    return rc;
}

/* The directory part of path into dir ("" when path has none). */
static void vmdef_dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash)
        snprintf(dir, len, "%s", "");
    else if (slash == path)
        snprintf(dir, len, "%s", "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* The first entry for key before entry index 'before', or NULL. */
static const struct conf_entry *vmdef_earlier_entry(const struct conf *c,
                                                    const char *key,
                                                    size_t before)
{
    for (size_t i = 0; i < before; i++)
        if (strcmp(c->entries[i].key, key) == 0)
            return &c->entries[i];
    return NULL;
}

static int vmdef_apply_entry(const struct conf *c, size_t i, const char *path,
                             const char *base_dir, struct vmdef *out,
                             struct conf_error *err)
{
    const struct conf_entry *e = &c->entries[i];
    const struct vmdef_key *k = vmdef_find_key(e->key);
    if (!k)
        return conf_error_set(err, path, e->line, "%s: unknown key", e->key);
    const struct conf_entry *first = vmdef_earlier_entry(c, e->key, i);
    if (!k->is_list && first)
        return conf_error_set(err, path, e->line,
                              "%s: given twice (first on line %d)", e->key,
                              first->line);
    char why[256];
    if (k->apply(out, e->value, base_dir, why, sizeof(why)) < 0)
        return conf_error_set(err, path, e->line, "%s: %s", e->key, why);
    return 0;
}

int vmdef_from_conf(const struct conf *c, const char *path, struct vmdef *out,
                    struct conf_error *err)
{
    char base_dir[VMDEF_PATH_MAX];
    vmdef_dir_of(path, base_dir, sizeof(base_dir));
    vmdef_init(out);
    for (size_t i = 0; i < c->count; i++) {
        int rc = vmdef_apply_entry(c, i, path, base_dir, out, err);
        if (rc < 0)
            return rc;
    }
    const char *key;
    char why[200];
    if (vmdef_check_whole(out, &key, why, sizeof(why)) < 0)
        return conf_error_set(err, path, conf_line_of(c, key), "%s: %s", key,
                              why);
    return 0;
}

int vmdef_load(const char *path, struct vmdef *out, struct conf_error *err)
{
    struct conf c;
    conf_init(&c);
    int rc = conf_load(path, &c, err);
    if (rc == 0)
        rc = vmdef_from_conf(&c, path, out, err);
    conf_free(&c);
    return rc;
}

/* ---- back to conf --------------------------------------------------------- */

static void vmdef_format_disk(const struct vmdef_disk *disk, char *buf,
                              size_t len)
{
    int n = snprintf(buf, len, "%s%s", disk->path, disk->readonly ? ",ro" : "");
    if (disk->iops)
        n += snprintf(buf + n, len - (size_t)n, ",iops=%llu",
                      (unsigned long long)disk->iops);
    if (disk->bps)
        n += snprintf(buf + n, len - (size_t)n, ",bps=%llu",
                      (unsigned long long)disk->bps);
    if (disk->bus == VMDEF_BUS_SATA)
        n += snprintf(buf + n, len - (size_t)n, ",bus=sata");
    if (disk->cache != VMDEF_CACHE_NONE)
        snprintf(buf + n, len - (size_t)n, ",cache=%s", vmdef_disk_cache_name(disk->cache));
}

static void vmdef_format_nic(const struct vmdef_nic *nic, char *buf, size_t len)
{
    int n = snprintf(buf, len, "bridge=%s", nic->bridge);
    if (nic->has_mac) {
        char mac[18];
        vmdef_format_mac(nic->mac, mac);
        n += snprintf(buf + n, len - (size_t)n, ",mac=%s", mac);
    }
    if (nic->tap[0])
        n += snprintf(buf + n, len - (size_t)n, ",tap=%s", nic->tap);
    if (nic->bps)
        n += snprintf(buf + n, len - (size_t)n, ",bps=%llu",
                      (unsigned long long)nic->bps);
    if (nic->pps)
        n += snprintf(buf + n, len - (size_t)n, ",pps=%llu",
                      (unsigned long long)nic->pps);
    /* Only a model other than the default, so existing vm.conf files
     * read back unchanged. */
    if (nic->model != VMDEF_NIC_VIRTIO)
        n += snprintf(buf + n, len - (size_t)n, ",model=%s",
                      vmdef_nic_model_name(nic->model));
    /* An inherited tap (corrald's): written back too, so that a definition
     * round-trips whole (fuzz_vmdef found it dropped). */
    if (nic->has_fd)
        snprintf(buf + n, len - (size_t)n, ",fd=%d", nic->fd);
}

static void vmdef_format_serial(const struct vmdef *d, char *buf, size_t len)
{
    static const char *const kinds[] = { "stdio", "pty", "unix:", "file:" };
    snprintf(buf, len, "%s%s", kinds[d->serial], d->serial_path);
}

struct vmdef_conf_writer {
    struct conf *out;
    int rc;
};

static void vmdef_put(struct vmdef_conf_writer *w, const char *key,
                      const char *value)
{
    if (w->rc == 0)
        w->rc = conf_add(w->out, key, value);
}

static void vmdef_put_number(struct vmdef_conf_writer *w, const char *key,
                             uint64_t n, const char *suffix)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu%s", (unsigned long long)n, suffix);
    vmdef_put(w, key, buf);
}

static void vmdef_put_boot(struct vmdef_conf_writer *w, const struct vmdef *d)
{
    vmdef_put(w, "boot", vmdef_boot_name(d->boot));
    if (d->boot == VMDEF_BOOT_FIRMWARE) {
        vmdef_put(w, "firmware", d->firmware);
        return;
    }
    if (d->boot == VMDEF_BOOT_UEFI) {
        vmdef_put(w, "uefi_code", d->uefi_code);
        vmdef_put(w, "nvram", d->nvram);
        return;
    }
    vmdef_put(w, "kernel", d->kernel);
    if (d->initrd[0])
        vmdef_put(w, "initrd", d->initrd);
    if (d->cmdline[0])
        vmdef_put(w, "cmdline", d->cmdline);
}

int vmdef_to_conf(const struct vmdef *d, struct conf *out)
{
    struct vmdef_conf_writer w = { out, 0 };
    char buf[VMDEF_PATH_MAX + 96]; /* a disk's options: at most 69 bytes */
    vmdef_put(&w, "name", d->name);
    if (d->uuid[0])
        vmdef_put(&w, "uuid", d->uuid);
    vmdef_put_number(&w, "memory", d->memory_mib, "M");
    /* Only when set: the definitions written before the key existed, and
     * every one that does not use it, stay as they were. */
    if (d->hugepages)
        vmdef_put(&w, "hugepages", "yes");
    vmdef_put_number(&w, "cpus", d->cpus, "");
    vmdef_put_boot(&w, d);
    if (d->hyperv) /* only when set, as hugepages */
        vmdef_put(&w, "hyperv", "on");
    for (size_t i = 0; i < d->disk_count; i++) {
        vmdef_format_disk(&d->disks[i], buf, sizeof(buf));
        vmdef_put(&w, "disk", buf);
    }
    for (size_t i = 0; i < d->nic_count; i++) {
        vmdef_format_nic(&d->nics[i], buf, sizeof(buf));
        vmdef_put(&w, "nic", buf);
    }
    for (size_t i = 0; i < d->cdrom_count; i++)
        vmdef_put(&w, "cdrom", d->cdroms[i].path[0] ? d->cdroms[i].path : "none");
    vmdef_format_serial(d, buf, sizeof(buf));
    vmdef_put(&w, "serial", buf);
    if (d->display != VMDEF_DISPLAY_AUTO)
        vmdef_put(&w, "display", vmdef_display_names[d->display]);
    vmdef_put(&w, "autostart", d->autostart ? "yes" : "no");
    vmdef_put(&w, "restart", vmdef_restart_name(d->restart));
    vmdef_put_number(&w, "stop_timeout", d->stop_timeout_s, "");
    if (!d->jail) /* only when off: the default stays unwritten */
        vmdef_put(&w, "jail", "no");
    if (d->cpu_limit)
        vmdef_put_number(&w, "cpu_limit", d->cpu_limit, "");
    if (d->cpu_weight != VMDEF_DEFAULT_CPU_WEIGHT)
        vmdef_put_number(&w, "cpu_weight", d->cpu_weight, "");
    return w.rc;
}

/* ---- files ---------------------------------------------------------------- */

static int vmdef_check_file(const char *key, const char *file, bool block_ok,
                            bool need_write, const char *def_path,
                            struct conf_error *err)
{
    struct stat st;
    int rc = 0;
    if (stat(file, &st) < 0)
        rc = -errno;
    else if (S_ISDIR(st.st_mode))
        rc = -EISDIR;
    else if (!S_ISREG(st.st_mode) && !(block_ok && S_ISBLK(st.st_mode)))
        rc = -EINVAL;
    else if (access(file, need_write ? R_OK | W_OK : R_OK) < 0)
        rc = -errno;
    if (rc == -EINVAL)
        conf_error_set(err, def_path, 0, "%s: %s: not a regular file", key, file);
    else if (rc < 0)
        conf_error_set(err, def_path, 0, "%s: %s: %s", key, file, strerror(-rc));
    return rc;
}

/* The code image readable; the variables file writable and good. */
static int vmdef_check_uefi_files(const struct vmdef *d, const char *def_path,
                                  struct conf_error *err)
{
    int rc = vmdef_check_file("uefi_code", d->uefi_code, false, false, def_path,
                              err);
    if (!rc)
        rc = vmdef_check_file("nvram", d->nvram, false, true, def_path, err);
    char why[400];
    if (!rc && (rc = nvram_file_check(d->nvram, why, sizeof(why))) < 0)
        conf_error_set(err, def_path, 0, "nvram: %s", why);
    return rc;
}

int vmdef_check_files(const struct vmdef *d, const char *def_path,
                      struct conf_error *err)
{
    int rc = 0;
    if (d->boot == VMDEF_BOOT_KERNEL) {
        rc = vmdef_check_file("kernel", d->kernel, false, false, def_path, err);
        if (rc == 0 && d->initrd[0])
            rc = vmdef_check_file("initrd", d->initrd, false, false, def_path,
                                  err);
    } else if (d->boot == VMDEF_BOOT_FIRMWARE) {
        rc = vmdef_check_file("firmware", d->firmware, false, false, def_path,
                              err);
    } else {
        rc = vmdef_check_uefi_files(d, def_path, err);
    }
    for (size_t i = 0; rc == 0 && i < d->disk_count; i++)
        rc = vmdef_check_file("disk", d->disks[i].path, true,
                              !d->disks[i].readonly, def_path, err);
    for (size_t i = 0; rc == 0 && i < d->cdrom_count; i++)
        if (d->cdroms[i].path[0])
            rc = vmdef_check_file("cdrom", d->cdroms[i].path, true, false,
                                  def_path, err);
    return rc;
}
