/* Unit tests: /proc parsers, system.conf updates and running commands
 * (console-ui/sysinfo.c, lib/runcmd.c) and the system.conf file I/O it uses
 * (lib/sysconf.c). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "runcmd.h"
#include "sysconf.h"
#include "../../console-ui/sysinfo.h"
#include "check.h"

static void test_meminfo(void)
{
    uint64_t total, avail;
    const char *text = "MemTotal:        2013220 kB\nMemFree:         1800000 kB\n"
                       "MemAvailable:    1900000 kB\n";
    CHECK_EQ_INT(meminfo_parse(text, &total, &avail), 0);
    CHECK_EQ_INT(total, 2013220);
    CHECK_EQ_INT(avail, 1900000);
    CHECK_EQ_INT(meminfo_parse("MemTotal: 10 kB\n", &total, &avail), -EINVAL);
    CHECK_EQ_INT(meminfo_parse("MemTotal: 10 kB\nMemAvailable: 20 kB\n", &total, &avail), 0);
    CHECK_EQ_INT(avail, 10); /* never more available than there is */
    CHECK_EQ_INT(meminfo_parse("MemTotal: x\nMemAvailable: 1\n", &total, &avail), -EINVAL);
}

static void test_cpu_samples(void)
{
    struct cpu_sample a, b;
    CHECK_EQ_INT(cpu_sample_parse("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n", &a), 0);
    CHECK_EQ_INT(a.busy, 200);
    CHECK_EQ_INT(a.total, 1000);
    CHECK_EQ_INT(cpu_sample_parse("cpu  150 0 150 1700 0 0 0 0 0 0\n", &b), 0);
    CHECK_EQ_INT(cpu_busy_percent(&a, &b), 10);
    CHECK_EQ_INT(cpu_busy_percent(&b, &a), 0); /* time went backwards: 0, not garbage */
    CHECK_EQ_INT(cpu_busy_percent(&a, &a), 0);
    CHECK_EQ_INT(cpu_sample_parse("intr 1 2 3\n", &a), -EINVAL);
    CHECK_EQ_INT(cpu_sample_parse("cpu  1 2\n", &a), -EINVAL);
}

static void test_cpuinfo(void)
{
    unsigned n;
    char model[16];
    cpuinfo_parse("processor\t: 0\nmodel name\t: AMD EPYC Processor\n\nprocessor\t: 1\n"
                  "model name\t: AMD EPYC Processor\n", &n, model, sizeof(model));
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(model, "AMD EPYC Proces"); /* cut to the buffer */
    cpuinfo_parse("", &n, model, sizeof(model));
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_STR(model, "");
}

static void test_release_value(void)
{
    char v[16];
    release_value("CORRAL_VERSION=0.1.0\nKERNEL=6.1\n", "CORRAL_VERSION", v, sizeof(v));
    CHECK_EQ_STR(v, "0.1.0");
    release_value("CORRAL_VERSION_X=9\n", "CORRAL_VERSION", v, sizeof(v));
    CHECK_EQ_STR(v, "");
}

static char dir[] = "/tmp/corral-setup-test-XXXXXX";

static void test_sysconf_update_keeps_other_keys_and_removes_empty_ones(void)
{
    char path[256], value[64], why[256], text[1024];
    const enum sysconf_key keys[] = {SYSCONF_NET_MODE, SYSCONF_NET_ADDRESS, SYSCONF_NET_GATEWAY};
    const char *values[] = {"static", "10.0.0.5/24", ""};

    snprintf(path, sizeof(path), "%s/system.conf", dir);
    CHECK_EQ_INT(sysconf_get(path, SYSCONF_NET_MODE, value, sizeof(value), why, sizeof(why)), 0);
    CHECK_EQ_STR(value, "dhcp"); /* no file yet: the table's default */
    {
        FILE *f = fopen(path, "w");
        fputs("# settings\nhostname = h1\nnet_gateway = 10.0.0.1\n", f);
        fclose(f);
    }
    CHECK_EQ_INT(sysconf_update(path, keys, values, 3, why, sizeof(why)), 0);
    CHECK(read_small_file(path, text, sizeof(text)) > 0);
    CHECK(strstr(text, "hostname = h1") != NULL);
    CHECK(strstr(text, "net_mode = static") != NULL);
    CHECK(strstr(text, "net_address = 10.0.0.5/24") != NULL);
    CHECK(strstr(text, "net_gateway") == NULL);
    CHECK(sysconf_get_bool(path, SYSCONF_CONSOLE_LOCK));
    {
        const enum sysconf_key k[] = {SYSCONF_CONSOLE_LOCK};
        const char *v[] = {"off"};
        CHECK_EQ_INT(sysconf_update(path, k, v, 1, why, sizeof(why)), 0);
    }
    CHECK(!sysconf_get_bool(path, SYSCONF_CONSOLE_LOCK));
    CHECK_EQ_INT(access(path, R_OK), 0);
}

static void test_sysconf_reports_a_broken_file_and_leaves_it(void)
{
    char path[256], value[64], why[256], text[256];
    const enum sysconf_key keys[] = {SYSCONF_HOSTNAME};
    const char *values[] = {"x"};
    FILE *f;

    snprintf(path, sizeof(path), "%s/broken.conf", dir);
    f = fopen(path, "w");
    fputs("hostname = a\nthis line is not key value\n", f);
    fclose(f);
    CHECK(sysconf_get(path, SYSCONF_NET_NICS, value, sizeof(value), why, sizeof(why)) != 0);
    CHECK_EQ_STR(value, "auto");
    CHECK(strstr(why, "broken.conf:2") != NULL);
    CHECK(sysconf_update(path, keys, values, 1, why, sizeof(why)) != 0);
    read_small_file(path, text, sizeof(text));
    CHECK_EQ_STR(text, "hostname = a\nthis line is not key value");
    CHECK(sysconf_get_bool(path, SYSCONF_CONSOLE_LOCK)); /* the default, yes */
}

static void test_run_command_collects_output_and_status(void)
{
    char out[64];
    const char *echo[] = {"sh", "-c", "echo hello; echo oops >&2; exit 3", NULL};
    const char *cat[] = {"cat", NULL};
    const char *missing[] = {"/nonexistent/program", NULL};
    const char *slow[] = {"sleep", "5", NULL};
    const char *chatty[] = {"sh", "-c", "yes 0123456789 | head -c 100000", NULL};

    CHECK_EQ_INT(run_command(echo, NULL, out, sizeof(out), 5000), 3);
    CHECK_EQ_STR(out, "hello\noops\n");
    CHECK_EQ_INT(run_command(cat, "root:secret\n", out, sizeof(out), 5000), 0);
    CHECK_EQ_STR(out, "root:secret\n");
    CHECK_EQ_INT(run_command(missing, NULL, out, sizeof(out), 5000), 127);
    CHECK(strstr(out, "/nonexistent/program") != NULL);
    CHECK_EQ_INT(run_command(slow, NULL, out, sizeof(out), 200), -ETIMEDOUT);
    CHECK_EQ_INT(run_command(chatty, NULL, out, sizeof(out), 5000), 0);
    CHECK_EQ_INT(strlen(out), sizeof(out) - 1);
    CHECK(strcmp(out + sizeof(out) - 4, "...") == 0);
}

static void test_run_command_does_not_wait_for_a_daemon_it_started(void)
{
    char out[64];
    /* The background child keeps the output pipe open for 10 s. */
    const char *daemonish[] = {"sh", "-c", "sleep 10 & echo started", NULL};
    CHECK_EQ_INT(run_command(daemonish, NULL, out, sizeof(out), 3000), 0);
    CHECK_EQ_STR(out, "started\n");
}

static void test_root_path_prefix(void)
{
    char buf[128];
    unsetenv("CORRAL_SETUP_ROOT");
    CHECK_EQ_STR(root_path("/etc/shadow", buf, sizeof(buf)), "/etc/shadow");
    setenv("CORRAL_SETUP_ROOT", "/tmp/fake", 1);
    CHECK_EQ_STR(root_path("/etc/shadow", buf, sizeof(buf)), "/tmp/fake/etc/shadow");
    unsetenv("CORRAL_SETUP_ROOT");
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(test_meminfo);
    RUN(test_cpu_samples);
    RUN(test_cpuinfo);
    RUN(test_release_value);
    RUN(test_sysconf_update_keeps_other_keys_and_removes_empty_ones);
    RUN(test_sysconf_reports_a_broken_file_and_leaves_it);
    RUN(test_run_command_collects_output_and_status);
    RUN(test_run_command_does_not_wait_for_a_daemon_it_started);
    RUN(test_root_path_prefix);
    {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return check_summary("setup_sysinfo");
}
