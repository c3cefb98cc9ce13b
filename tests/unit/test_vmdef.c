/* Unit tests for lib/vmdef.c: the VM definition, with good and
 * bad input, the round trip through conf, and the file checks. */
#include "check.h"
#include "vmdef.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEF_PATH "/defs/web1/vm.conf"

/* Parses text as DEF_PATH into d; returns the rc, the message in msg. */
static int parse_def(const char *text, struct vmdef *d, char *msg, size_t len)
{
    struct conf c;
    struct conf_error err;
    conf_init(&c);
    int rc = conf_parse(text, strlen(text), DEF_PATH, &c, &err);
    if (rc == 0)
        rc = vmdef_from_conf(&c, DEF_PATH, d, &err);
    if (rc < 0)
        conf_error_format(&err, msg, len);
    conf_free(&c);
    return rc;
}

/* Expects text to be refused with exactly this message. */
static void check_refused(const char *text, const char *want)
{
    struct vmdef d;
    char msg[512] = "";
    CHECK_EQ_INT(parse_def(text, &d, msg, sizeof(msg)), -EINVAL);
    CHECK_EQ_STR(msg, want);
}

static void check_accepted(const char *text, struct vmdef *d)
{
    char msg[512] = "";
    int rc = parse_def(text, d, msg, sizeof(msg));
    if (rc != 0)
        fprintf(stderr, "refused: %s\n", msg);
    CHECK_EQ_INT(rc, 0);
}

#define KERNEL_VM "name = web1\nkernel = /k\n"

static void test_full_definition(void)
{
    struct vmdef d;
    check_accepted("name = web-1\n"
                   "uuid = 123E4567-e89b-12d3-a456-426614174000\n"
                   "memory = 1.5G\n"
                   "hugepages = yes\n"
                   "cpus = 4\n"
                   "boot = kernel\n"
                   "kernel = /images/vmlinuz\n"
                   "initrd = initrd.img\n"
                   "cmdline = \"console=ttyS0 root=/dev/vda\"\n"
                   "disk = /vms/root.img\n"
                   "disk = data.img,ro,iops=500,bps=100M\n"
                   "nic =\n"
                   "nic = bridge=br1,mac=52:54:00:AB:cd:01,tap=vm1tap,model=e1000\n"
                   "serial = unix:console.sock\n"
                   "autostart = yes\n"
                   "restart = always\n"
                   "stop_timeout = 120\n"
                   "jail = no\n",
                   &d);
    CHECK_EQ_STR(d.name, "web-1");
    CHECK_EQ_STR(d.uuid, "123e4567-e89b-12d3-a456-426614174000");
    CHECK_EQ_INT(d.memory_mib, 1536);
    CHECK(d.hugepages);
    CHECK_EQ_INT(d.cpus, 4);
    CHECK_EQ_INT(d.boot, VMDEF_BOOT_KERNEL);
    CHECK_EQ_STR(d.kernel, "/images/vmlinuz");
    CHECK_EQ_STR(d.initrd, "/defs/web1/initrd.img"); /* relative to the file */
    CHECK_EQ_STR(d.cmdline, "console=ttyS0 root=/dev/vda");
    CHECK_EQ_INT(d.disk_count, 2);
    CHECK_EQ_STR(d.disks[0].path, "/vms/root.img");
    CHECK(!d.disks[0].readonly);
    CHECK_EQ_INT(d.disks[0].iops, 0);
    CHECK_EQ_STR(d.disks[1].path, "/defs/web1/data.img");
    CHECK(d.disks[1].readonly);
    CHECK_EQ_INT(d.disks[1].iops, 500);
    CHECK_EQ_INT(d.disks[1].bps, 100 << 20);
    CHECK_EQ_INT(d.nic_count, 2);
    CHECK_EQ_STR(d.nics[0].bridge, "br0");
    CHECK(!d.nics[0].has_mac);
    CHECK_EQ_STR(d.nics[0].tap, "");
    CHECK_EQ_STR(d.nics[1].bridge, "br1");
    CHECK(d.nics[1].has_mac);
    CHECK_EQ_INT(d.nics[1].mac[3], 0xab);
    CHECK_EQ_STR(d.nics[1].tap, "vm1tap");
    CHECK_EQ_INT(d.nics[0].model, VMDEF_NIC_VIRTIO);
    CHECK_EQ_INT(d.nics[1].model, VMDEF_NIC_E1000);
    CHECK_EQ_INT(d.serial, VMDEF_SERIAL_UNIX);
    CHECK_EQ_STR(d.serial_path, "/defs/web1/console.sock");
    CHECK(d.autostart);
    CHECK_EQ_INT(d.restart, VMDEF_RESTART_ALWAYS);
    CHECK_EQ_INT(d.stop_timeout_s, 120);
    CHECK(!d.jail);
}

static void test_defaults(void)
{
    struct vmdef d;
    check_accepted(KERNEL_VM, &d);
    CHECK_EQ_INT(d.memory_mib, 256);
    CHECK(!d.hugepages);
    CHECK_EQ_INT(d.cpus, 1);
    CHECK_EQ_STR(d.uuid, "");
    CHECK_EQ_STR(d.firmware, VMDEF_DEFAULT_FIRMWARE);
    CHECK_EQ_INT(d.disk_count, 0);
    CHECK_EQ_INT(d.nic_count, 0);
    CHECK_EQ_INT(d.serial, VMDEF_SERIAL_STDIO);
    CHECK(!d.autostart);
    CHECK_EQ_INT(d.restart, VMDEF_RESTART_ON_FAILURE);
    CHECK_EQ_INT(d.stop_timeout_s, 60);
    CHECK(d.jail); /* jailed unless the definition says no */

    check_accepted("name = fw\nboot = firmware\ndisk = /d.img\n", &d);
    CHECK_EQ_INT(d.boot, VMDEF_BOOT_FIRMWARE);
    CHECK_EQ_STR(d.firmware, VMDEF_DEFAULT_FIRMWARE);
}

static void test_bad_names(void)
{
    check_refused("name =\nkernel = /k\n",
                  DEF_PATH ":1: name: '' is not a name: 1-32 letters, digits "
                  "or '-', starting with a letter or digit");
    const char *bad[] = { "-web", "web_1", "web 1", "wéb", "a.b",
                          "abcdefghijabcdefghijabcdefghijabc" /* 33 */ };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(!vmdef_name_valid(bad[i]));
        char text[128];
        struct vmdef d;
        char msg[512];
        snprintf(text, sizeof(text), "kernel = /k\nname = \"%s\"\n", bad[i]);
        CHECK_EQ_INT(parse_def(text, &d, msg, sizeof(msg)), -EINVAL);
        CHECK(strstr(msg, ":2: name: ") != NULL);
    }
    CHECK(vmdef_name_valid("abcdefghijabcdefghijabcdefghijab")); /* 32 */
    CHECK(vmdef_name_valid("9lives"));
    CHECK(vmdef_name_valid("Web-1"));
    check_refused("kernel = /k\n", DEF_PATH ": name: missing");
}

static void test_bad_memory_and_cpus(void)
{
    check_refused(KERNEL_VM "hugepages = 2M\n",
                  DEF_PATH ":3: hugepages: '2M' is not yes or no");
    check_refused(KERNEL_VM "hugepages = no\nhugepages = yes\n",
                  DEF_PATH ":4: hugepages: given twice (first on line 3)");
    check_refused(KERNEL_VM "memory = 8M\n",
                  DEF_PATH ":3: memory: less than the minimum of 16 MiB");
    check_refused(KERNEL_VM "memory = 15\n",
                  DEF_PATH ":3: memory: less than the minimum of 16 MiB");
    check_refused(KERNEL_VM "memory = lots\n",
                  DEF_PATH ":3: memory: 'lots' is not a size (e.g. 512M, 2G)");
    check_refused(KERNEL_VM "memory = -512M\n",
                  DEF_PATH ":3: memory: '-512M' is not a size (e.g. 512M, 2G)");
    check_refused(KERNEL_VM "memory = 99999999999T\n",
                  DEF_PATH ":3: memory: more than the maximum of 4194304 MiB");
    check_refused(KERNEL_VM "memory = 5T\n",
                  DEF_PATH ":3: memory: more than the maximum of 4194304 MiB");
    check_refused(KERNEL_VM "memory = 1000K\n",
                  DEF_PATH ":3: memory: not a whole number of MiB");
    check_refused(KERNEL_VM "memory =\n",
                  DEF_PATH ":3: memory: '' is not a size (e.g. 512M, 2G)");
    check_refused(KERNEL_VM "cpus = 0\n",
                  DEF_PATH ":3: cpus: '0' is not a number from 1 to 64");
    check_refused(KERNEL_VM "cpus = 65\n",
                  DEF_PATH ":3: cpus: '65' is not a number from 1 to 64");
    check_refused(KERNEL_VM "cpus = -1\n",
                  DEF_PATH ":3: cpus: '-1' is not a number from 1 to 64");
    check_refused(KERNEL_VM "stop_timeout = 86401\n",
                  DEF_PATH ":3: stop_timeout: '86401' is not seconds from 0 to 86400");
    check_refused(KERNEL_VM "jail = maybe\n",
                  DEF_PATH ":3: jail: 'maybe' is not yes or no");
    check_refused(KERNEL_VM "cpu_limit = 0\n",
                  DEF_PATH ":3: cpu_limit: '0' is not a percentage of one CPU from 1 to 6400");
    check_refused(KERNEL_VM "cpu_weight = 10001\n",
                  DEF_PATH ":3: cpu_weight: '10001' is not a weight from 1 to 10000");
    check_refused(KERNEL_VM "cpus = 2\ncpu_limit = 201\n",
                  DEF_PATH ":4: cpu_limit: 201% is more than its 2 vCPU(s) can use (100% each)");
    struct vmdef d;
    check_accepted(KERNEL_VM "memory = 16\ncpus = 64\n", &d);
    CHECK_EQ_INT(d.memory_mib, 16);
    CHECK_EQ_INT(d.cpus, 64);
    check_accepted(KERNEL_VM "memory = 4T\n", &d);
    CHECK_EQ_INT(d.memory_mib, 4 << 20);
}

static void test_unknown_and_duplicate_keys(void)
{
    check_refused(KERNEL_VM "\n# c\nmemroy = 1G\n", DEF_PATH ":5: memroy: unknown key");
    check_refused("name = a\nmemory = 1G\nkernel = /k\nmemory = 2G\n",
                  DEF_PATH ":4: memory: given twice (first on line 2)");
    check_refused("name = a\nname = a\nkernel = /k\n",
                  DEF_PATH ":2: name: given twice (first on line 1)");
    struct vmdef d;
    check_accepted(KERNEL_VM "disk = /a\ndisk = /b\nnic =\nnic =\n", &d);
    CHECK_EQ_INT(d.disk_count, 2);
    CHECK_EQ_INT(d.nic_count, 2);
}

static void test_boot_consistency(void)
{
    check_refused("name = a\nboot = bios\n",
                  DEF_PATH ":2: boot: 'bios' is not kernel, firmware or uefi");
    check_refused("name = a\ncpus = 2\n",
                  DEF_PATH ": kernel: missing (needed for boot = kernel)");
    check_refused("name = a\nboot = firmware\ninitrd = /i\n",
                  DEF_PATH ":3: initrd: only used with boot = kernel");
    check_refused("name = a\nkernel = /k\nfirmware = /f.bin\n",
                  DEF_PATH ":3: firmware: only used with boot = firmware");
    check_refused("name = a\nkernel =\n", DEF_PATH ":2: kernel: empty path");
}

static void test_bad_disks(void)
{
    check_refused(KERNEL_VM "disk = ,ro\n", DEF_PATH ":3: disk: empty path");
    check_refused(KERNEL_VM "disk =\n", DEF_PATH ":3: disk: empty path");
    check_refused(KERNEL_VM "disk = /a,rw\n",
                  DEF_PATH ":3: disk: unknown option 'rw' (ro, iops=N, bps=SIZE, bus=virtio|sata, "
                  "cache=none|writeback)");
    check_refused(KERNEL_VM "disk = /a,ro,ro\n", DEF_PATH ":3: disk: ro: given twice");
    check_refused(KERNEL_VM "disk = /a,iops=1,iops=2\n",
                  DEF_PATH ":3: disk: iops: given twice");
    check_refused(KERNEL_VM "disk = /a,iops=0\n",
                  DEF_PATH ":3: disk: iops: not a number from 1 to 10^9");
    check_refused(KERNEL_VM "disk = /a,bps=fast\n",
                  DEF_PATH ":3: disk: bps: not a size in bytes per second (e.g. 100M)");
    char text[2048] = KERNEL_VM;
    for (int i = 0; i < VMDEF_MAX_DISKS + 1; i++)
        strcat(text, "disk = /d\n");
    check_refused(text, DEF_PATH ":19: disk: more than 16 disks");

    char *longpath = malloc(VMDEF_PATH_MAX + 32);
    memcpy(longpath, KERNEL_VM "disk = /", 30);
    memset(longpath + 30, 'p', VMDEF_PATH_MAX);
    strcpy(longpath + 30 + VMDEF_PATH_MAX, "\n");
    struct vmdef d;
    char msg[512];
    CHECK_EQ_INT(parse_def(longpath, &d, msg, sizeof(msg)), -EINVAL);
    CHECK(strstr(msg, ":3: disk: ") != NULL);
    free(longpath);
}

/* bus=sata and cdrom: the AHCI controller's disks and drives, kept in
 * definition order per bus, at most 6 together. */
static void test_sata_and_cdrom(void)
{
    struct vmdef d;
    check_accepted(KERNEL_VM "disk = /v0\ndisk = /s0,bus=sata,ro\ndisk = /v1,bus=virtio\n"
                   "cdrom = /isos/a.iso\ncdrom = none\ncdrom = rel.iso\n", &d);
    CHECK_EQ_INT(d.disk_count, 3);
    CHECK_EQ_INT(d.disks[1].bus, VMDEF_BUS_SATA);
    CHECK(d.disks[1].readonly);
    CHECK_EQ_INT(vmdef_disks_on_bus(&d, VMDEF_BUS_VIRTIO), 2);
    CHECK_EQ_INT(vmdef_disks_on_bus(&d, VMDEF_BUS_SATA), 1);
    CHECK_EQ_STR(vmdef_disk_on_bus(&d, VMDEF_BUS_VIRTIO, 1)->path, "/v1");
    CHECK_EQ_STR(vmdef_disk_on_bus(&d, VMDEF_BUS_SATA, 0)->path, "/s0");
    CHECK(vmdef_disk_on_bus(&d, VMDEF_BUS_SATA, 1) == NULL);
    CHECK_EQ_INT(d.cdrom_count, 3);
    CHECK_EQ_STR(d.cdroms[0].path, "/isos/a.iso");
    CHECK_EQ_STR(d.cdroms[1].path, "");
    CHECK_EQ_STR(d.cdroms[2].path, "/defs/web1/rel.iso");

    check_refused(KERNEL_VM "disk = /a,bus=ide\n",
                  DEF_PATH ":3: disk: bus: 'ide' is not virtio or sata");
    check_refused(KERNEL_VM "disk = /a,bus=sata,bus=sata\n",
                  DEF_PATH ":3: disk: bus: given twice");
    check_refused(KERNEL_VM "cdrom =\n",
                  DEF_PATH ":3: cdrom: an ISO image's path, or none for an empty drive");
    char text[1024] = KERNEL_VM;
    for (int i = 0; i < 3; i++)
        strcat(text, "disk = /d,bus=sata\ncdrom = none\n");
    strcat(text, "disk = /virtio-is-fine\ncdrom = none\n");
    check_refused(text, DEF_PATH ":10: cdrom: more than 6 SATA disks and CD-ROM drives");
}

/* cache = none (the default, O_DIRECT) or writeback, once per disk. */
static void test_disk_cache(void)
{
    struct vmdef d;
    check_accepted(KERNEL_VM "disk = /a\ndisk = /b,cache=writeback\n"
                   "disk = /c,cache=none,bus=sata\n", &d);
    CHECK_EQ_INT(d.disks[0].cache, VMDEF_CACHE_NONE);
    CHECK_EQ_INT(d.disks[1].cache, VMDEF_CACHE_WRITEBACK);
    CHECK_EQ_INT(d.disks[2].cache, VMDEF_CACHE_NONE);
    CHECK_EQ_STR(vmdef_disk_cache_name(d.disks[1].cache), "writeback");
    CHECK_EQ_STR(vmdef_disk_cache_name(d.disks[2].cache), "none");
    check_refused(KERNEL_VM "disk = /a,cache=unsafe\n",
                  DEF_PATH ":3: disk: cache: 'unsafe' is not none or writeback");
    check_refused(KERNEL_VM "disk = /a,cache=none,cache=writeback\n",
                  DEF_PATH ":3: disk: cache: given twice");
    check_refused(KERNEL_VM "disk = /a,cache\n",
                  DEF_PATH ":3: disk: unknown option 'cache' (ro, iops=N, bps=SIZE, "
                  "bus=virtio|sata, cache=none|writeback)");
}

static void test_bad_nics(void)
{
    check_refused(KERNEL_VM "nic = br0\n",
                  DEF_PATH ":3: nic: unknown option 'br0' (bridge=IF, mac=MAC, tap=IF, bps=SIZE, pps=N, fd=N, model=virtio|e1000)");
    check_refused(KERNEL_VM "nic = model=rtl8139\n",
                  DEF_PATH ":3: nic: model: 'rtl8139' is not virtio or e1000");
    check_refused(KERNEL_VM "nic = model=e1000,model=virtio\n",
                  DEF_PATH ":3: nic: model: given twice");
    check_refused(KERNEL_VM "nic = mac=01:00:00:00:00:01\n",
                  DEF_PATH ":3: nic: mac: '01:00:00:00:00:01' is not a unicast "
                  "MAC (xx:xx:xx:xx:xx:xx)");
    check_refused(KERNEL_VM "nic = mac=00:00:00:00:00:00\n",
                  DEF_PATH ":3: nic: mac: '00:00:00:00:00:00' is not a unicast "
                  "MAC (xx:xx:xx:xx:xx:xx)");
    check_refused(KERNEL_VM "nic = mac=52:54:00:zz:00:01\n",
                  DEF_PATH ":3: nic: mac: '52:54:00:zz:00:01' is not a unicast "
                  "MAC (xx:xx:xx:xx:xx:xx)");
    check_refused(KERNEL_VM "nic = tap=averyveryverylongname\n",
                  DEF_PATH ":3: nic: tap: 'averyveryverylongname' is not an "
                  "interface name (1-15 of letters, digits, _ . -)");
    check_refused(KERNEL_VM "nic = tap=\n",
                  DEF_PATH ":3: nic: tap: '' is not an interface name (1-15 of "
                  "letters, digits, _ . -)");
    check_refused(KERNEL_VM "nic = bridge=../x\n",
                  DEF_PATH ":3: nic: bridge: '../x' is not an interface name "
                  "(1-15 of letters, digits, _ . -)");
    check_refused(KERNEL_VM "nic = tap=a,tap=b\n", DEF_PATH ":3: nic: tap: given twice");
    check_refused(KERNEL_VM "nic = fd=2\n",
                  DEF_PATH ":3: nic: fd: not a file descriptor from 3 to 65535");
    check_refused(KERNEL_VM "nic = pps=0\n",
                  DEF_PATH ":3: nic: pps: not a number from 1 to 10^9");
    check_refused(KERNEL_VM "nic = bps=fast\n",
                  DEF_PATH ":3: nic: bps: not a size in bytes per second (e.g. 100M)");
    struct vmdef d;
    check_accepted(KERNEL_VM "nic = fd=7,bps=10M,pps=5000\n", &d);
    CHECK(d.nics[0].has_fd && d.nics[0].fd == 7);
    CHECK_EQ_INT(d.nics[0].bps, 10 << 20);
    CHECK_EQ_INT(d.nics[0].pps, 5000);
    check_accepted(KERNEL_VM "nic = bridge=\n", &d);
    CHECK_EQ_STR(d.nics[0].bridge, "");
}

static void test_serial_restart_uuid(void)
{
    check_refused(KERNEL_VM "serial = tcp:1234\n",
                  DEF_PATH ":3: serial: 'tcp:1234' is not stdio, pty, unix:PATH "
                  "or file:PATH");
    check_refused(KERNEL_VM "serial = file:\n", DEF_PATH ":3: serial: empty path");
    check_refused(KERNEL_VM "restart = sometimes\n",
                  DEF_PATH ":3: restart: 'sometimes' is not no, on-failure or always");
    check_refused(KERNEL_VM "autostart = maybe\n",
                  DEF_PATH ":3: autostart: 'maybe' is not yes or no");
    check_refused(KERNEL_VM "uuid = 123e4567e89b12d3a456426614174000\n",
                  DEF_PATH ":3: uuid: not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    struct vmdef d;
    check_accepted(KERNEL_VM "serial = pty\n", &d);
    CHECK_EQ_INT(d.serial, VMDEF_SERIAL_PTY);
    check_accepted(KERNEL_VM "serial = file:/var/log/x.log\n", &d);
    CHECK_EQ_INT(d.serial, VMDEF_SERIAL_FILE);
    CHECK_EQ_STR(d.serial_path, "/var/log/x.log");
}

static void check_round_trip(const char *text)
{
    struct vmdef d, back;
    struct conf c;
    struct conf_error err;
    check_accepted(text, &d);
    conf_init(&c);
    CHECK_EQ_INT(vmdef_to_conf(&d, &c), 0);
    char *formatted = conf_format(&c);
    conf_free(&c);
    check_accepted(formatted, &back);
    CHECK(memcmp(&d, &back, sizeof(d)) == 0);
    /* Written out in another directory, the now absolute paths stay. */
    conf_init(&c);
    CHECK_EQ_INT(conf_parse(formatted, strlen(formatted), "x", &c, &err), 0);
    CHECK_EQ_INT(vmdef_from_conf(&c, "/elsewhere/vm.conf", &back, &err), 0);
    CHECK(memcmp(&d, &back, sizeof(d)) == 0);
    conf_free(&c);
    free(formatted);
}

static void test_round_trip(void)
{
    check_round_trip(KERNEL_VM);
    check_round_trip("name = w\nuuid = 123e4567-e89b-12d3-a456-426614174000\n"
                     "memory = 2G\ncpus = 3\nkernel = k\ninitrd = i\n"
                     "cmdline = \"console=ttyS0 # quoted\"\n"
                     "disk = a.img,ro,iops=5,bps=1K\ndisk = /b\n"
                     "nic = mac=02:00:00:00:00:01,tap=t0\nnic = bridge=\n"
                     "serial = unix:s.sock\nautostart = on\nrestart = no\n"
                     "hugepages = on\n"
                     "stop_timeout = 0\n");
    check_round_trip("name = fw\nboot = firmware\nfirmware = /bios.bin\n"
                     "serial = pty\n");
    check_round_trip("name = uefi\nboot = uefi\nuefi_code = /c.fd\nnvram = /n.fd\n"
                     "hyperv = on\n");
    /* fuzz_vmdef's find: an inherited tap fd was not written back */
    check_round_trip("name = we000ernel\nkernel = /vmls=.00M\nnic =\nnic = fd=120\n");
}

static void test_display(void)
{
    struct vmdef d;
    check_accepted(KERNEL_VM, &d);
    CHECK(!vmdef_has_display(&d)); /* direct boot: the serial console */
    check_accepted("name = fw\nboot = firmware\n", &d);
    CHECK(vmdef_has_display(&d));  /* firmware: a screen by default */
    check_accepted("name = fw\nboot = firmware\ndisplay = none\n", &d);
    CHECK(!vmdef_has_display(&d));
    check_accepted(KERNEL_VM "display = std\n", &d);
    CHECK(vmdef_has_display(&d));
    check_refused(KERNEL_VM "display = vga\n",
                  DEF_PATH ":3: display: 'vga' is not std or none");
    check_round_trip(KERNEL_VM "display = std\n");
    check_round_trip(KERNEL_VM "jail = no\n");
    check_round_trip(KERNEL_VM "cpus = 2\ncpu_limit = 150\ncpu_weight = 300\n");
    check_round_trip(KERNEL_VM "nic = model=e1000\nnic = bridge=br1,model=virtio\n"
                     "nic = mac=52:54:00:00:00:09,model=e1000,bps=1M\n");
    check_round_trip(KERNEL_VM "disk = /a,ro,iops=5,bus=sata\ndisk = /b\n"
                     "cdrom = /c.iso\ncdrom = none\n");
    check_round_trip(KERNEL_VM "disk = /a,ro,iops=1000000000,bps=18446744073709551615,"
                     "bus=sata,cache=writeback\ndisk = /b\n");
    check_round_trip("name = fw\nboot = firmware\ndisplay = none\n");
}

static void test_set_key_and_check(void)
{
    struct vmdef d;
    char why[256];
    vmdef_init(&d);
    CHECK_EQ_INT(vmdef_check(&d, why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "name: missing");
    CHECK_EQ_INT(vmdef_set_key(&d, "name", "t1", NULL, why, sizeof(why)), 0);
    CHECK_EQ_INT(vmdef_set_key(&d, "kernel", "bzImage", NULL, why, sizeof(why)), 0);
    CHECK_EQ_STR(d.kernel, "bzImage"); /* no base dir: left relative */
    CHECK_EQ_INT(vmdef_set_key(&d, "disk", "x.img", "/base", why, sizeof(why)), 0);
    CHECK_EQ_STR(d.disks[0].path, "/base/x.img");
    CHECK_EQ_INT(vmdef_check(&d, why, sizeof(why)), 0);
    CHECK_EQ_INT(vmdef_set_key(&d, "colour", "red", NULL, why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "unknown key");
    CHECK_EQ_INT(vmdef_set_key(&d, "memory", "1M", NULL, why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(d.memory_mib, 256); /* unchanged by a refused value */
    /* Setting a shorter value leaves no trace of the longer one. */
    struct vmdef e = d;
    CHECK_EQ_INT(vmdef_set_key(&d, "name", "longer-name", NULL, why, sizeof(why)), 0);
    CHECK_EQ_INT(vmdef_set_key(&d, "name", "t1", NULL, why, sizeof(why)), 0);
    CHECK(memcmp(&d, &e, sizeof(d)) == 0);
}

/* FNV-1a of "web1" and index 0, worked out apart from the code. */
static const char pinned_web1_mac[] = "02:2c:0b:09:2e:89";

static void test_nic_mac(void)
{
    uint8_t a[6], b[6], c[6];
    vmdef_nic_mac("web1", 0, a);
    vmdef_nic_mac("web1", 0, b);
    vmdef_nic_mac("web1", 1, c);
    CHECK(memcmp(a, b, 6) == 0);
    CHECK(memcmp(a, c, 6) != 0);
    CHECK_EQ_INT(a[0], 0x02); /* locally administered, unicast */
    /* Pinned: a MAC must not change across versions (DHCP leases,
     * firewall rules and the guest's own config follow it). */
    char text[18];
    vmdef_format_mac(a, text);
    CHECK_EQ_STR(text, pinned_web1_mac);
    /* Other names differ (among many similar names, no two alike), and
     * every one is unicast (bit 0 clear) and locally administered (bit 1). */
    static uint8_t seen[512][6];
    for (unsigned i = 0; i < 512; i++) {
        char name[16];
        snprintf(name, sizeof(name), "vm%u", i);
        vmdef_nic_mac(name, 0, seen[i]);
        CHECK_EQ_INT(seen[i][0] & 3, 2);
        for (unsigned j = 0; j < i; j++)
            CHECK(memcmp(seen[i], seen[j], 6) != 0);
    }
    vmdef_nic_mac("web2", 0, b);
    CHECK(memcmp(a, b, 6) != 0);
    vmdef_nic_mac("", 0, b); /* an empty name still gives a valid MAC */
    CHECK_EQ_INT(b[0] & 3, 2);
    vmdef_format_mac((const uint8_t[6]){ 0x52, 0x54, 0, 0xab, 0xcd, 1 }, text);
    CHECK_EQ_STR(text, "52:54:00:ab:cd:01");
}

static void write_empty_file(const char *path, mode_t mode)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
    CHECK(fd >= 0);
    close(fd);
}

static void test_check_files(void)
{
    char dir[] = "/tmp/corral-test-vmdef.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char kernel[64], disk[64], text[256], msg[512];
    snprintf(kernel, sizeof(kernel), "%s/bzImage", dir);
    snprintf(disk, sizeof(disk), "%s/root.img", dir);
    write_empty_file(kernel, 0644);
    struct vmdef d;
    struct conf_error err;
    snprintf(text, sizeof(text),
             "name = f\nkernel = %s\ninitrd = %s\ndisk = %s\n", kernel, dir, disk);
    check_accepted(text, &d); /* syntax is fine whether files exist or not */
    CHECK_EQ_INT(vmdef_check_files(&d, "vm.conf", &err), -EISDIR);
    conf_error_format(&err, msg, sizeof(msg));
    char want[256];
    snprintf(want, sizeof(want), "vm.conf: initrd: %s: Is a directory", dir);
    CHECK_EQ_STR(msg, want);

    d.initrd[0] = '\0';
    CHECK_EQ_INT(vmdef_check_files(&d, "vm.conf", &err), -ENOENT);
    conf_error_format(&err, msg, sizeof(msg));
    snprintf(want, sizeof(want), "vm.conf: disk: %s: No such file or directory",
             disk);
    CHECK_EQ_STR(msg, want);

    write_empty_file(disk, 0644);
    CHECK_EQ_INT(vmdef_check_files(&d, "vm.conf", &err), 0);
    unlink(kernel);
    CHECK_EQ_INT(vmdef_check_files(&d, NULL, &err), -ENOENT);
    CHECK(strstr(err.reason, "kernel: ") == err.reason);

    d.boot = VMDEF_BOOT_FIRMWARE;
    snprintf(d.firmware, sizeof(d.firmware), "/dev/null");
    CHECK_EQ_INT(vmdef_check_files(&d, NULL, &err), -EINVAL);
    CHECK(strstr(err.reason, "not a regular file") != NULL);
    unlink(disk);
    CHECK_EQ_INT(rmdir(dir), 0);
}

/* boot = uefi: nvram required, uefi_code and nvram only with it,
 * hyperv on/off, the round trip, and the variables file checked. */
static void test_uefi_and_hyperv(void)
{
    struct vmdef d, back;
    check_accepted("name = web1\nboot = uefi\nnvram = nvram.fd\nhyperv = on\n", &d);
    CHECK_EQ_INT(d.boot, VMDEF_BOOT_UEFI);
    CHECK_EQ_STR(d.nvram, "/defs/web1/nvram.fd");
    CHECK_EQ_STR(d.uefi_code, VMDEF_DEFAULT_UEFI_CODE);
    CHECK(d.hyperv);
    CHECK(vmdef_has_display(&d));
    check_refused("name = web1\nboot = uefi\n",
                  DEF_PATH ": nvram: missing (needed for boot = uefi: the VM's "
                  "UEFI variables file, a copy of " VMDEF_DEFAULT_UEFI_VARS ")");
    check_refused(KERNEL_VM "nvram = /n.fd\n",
                  DEF_PATH ":3: nvram: only used with boot = uefi");
    check_refused("name = web1\nboot = firmware\nuefi_code = /c.fd\n",
                  DEF_PATH ":3: uefi_code: only used with boot = uefi");
    check_refused("name = web1\nboot = uefi\nnvram = /n\nfirmware = /bios\n",
                  DEF_PATH ":4: firmware: only used with boot = firmware");
    check_refused(KERNEL_VM "hyperv = maybe\n",
                  DEF_PATH ":3: hyperv: 'maybe' is not on or off");
    check_accepted(KERNEL_VM "nvram =\n", &back); /* empty: none */
    CHECK_EQ_STR(back.nvram, "");
    check_accepted(KERNEL_VM "hyperv = off\n", &back);
    CHECK(!back.hyperv);

    struct conf c;
    struct conf_error err;
    conf_init(&c);
    CHECK_EQ_INT(vmdef_to_conf(&d, &c), 0);
    CHECK_EQ_STR(conf_get(&c, "hyperv"), "on");
    CHECK_EQ_STR(conf_get(&c, "nvram"), "/defs/web1/nvram.fd");
    CHECK_EQ_INT(vmdef_from_conf(&c, NULL, &back, &err), 0);
    CHECK_EQ_INT(back.boot, VMDEF_BOOT_UEFI);
    CHECK_EQ_STR(back.nvram, d.nvram);
    CHECK_EQ_STR(back.uefi_code, d.uefi_code);
    CHECK(back.hyperv);
    conf_free(&c);
    conf_init(&c);
    d.hyperv = false;
    CHECK_EQ_INT(vmdef_to_conf(&d, &c), 0);
    CHECK(conf_get(&c, "hyperv") == NULL); /* off is the default: not written */
    conf_free(&c);

    /* the files: code readable, nvram a good variables file */
    char dir[] = "/tmp/test_vmdef_uefi.XXXXXX", nv[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(nv, sizeof(nv), "%s/nvram.fd", dir);
    int fd = open(nv, O_WRONLY | O_CREAT, 0600);
    CHECK_EQ_INT(write(fd, "not a volume", 12), 12);
    close(fd);
    snprintf(d.nvram, sizeof(d.nvram), "%s", nv);
    snprintf(d.uefi_code, sizeof(d.uefi_code), "%s", nv); /* any readable file */
    CHECK_EQ_INT(vmdef_check_files(&d, NULL, &err), -EINVAL);
    CHECK(strstr(err.reason, "nvram: ") == err.reason);
    CHECK(strstr(err.reason, "not a UEFI variables file") != NULL);
    snprintf(d.uefi_code, sizeof(d.uefi_code), "%s/missing.fd", dir);
    CHECK_EQ_INT(vmdef_check_files(&d, NULL, &err), -ENOENT);
    CHECK(strstr(err.reason, "uefi_code: ") == err.reason);
    unlink(nv);
    CHECK_EQ_INT(rmdir(dir), 0);
}

int main(void)
{
    RUN(test_full_definition);
    RUN(test_defaults);
    RUN(test_bad_names);
    RUN(test_bad_memory_and_cpus);
    RUN(test_unknown_and_duplicate_keys);
    RUN(test_boot_consistency);
    RUN(test_bad_disks);
    RUN(test_sata_and_cdrom);
    RUN(test_disk_cache);
    RUN(test_bad_nics);
    RUN(test_serial_restart_uuid);
    RUN(test_round_trip);
    RUN(test_display);
    RUN(test_set_key_and_check);
    RUN(test_nic_mac);
    RUN(test_check_files);
    RUN(test_uefi_and_hyperv);
    return check_summary("vmdef");
}
