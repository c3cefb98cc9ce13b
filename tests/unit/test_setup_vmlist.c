/* Unit tests: the VM list from corral's JSON and the VM wizard's checks
 * (console-ui/vmlist.c). */
#include <errno.h>

#include "../../console-ui/vmlist.h"
#include "check.h"

static char why[256];

static void test_parses_the_documented_list(void)
{
    static struct vm_list l;
    const char *json =
        "{\"vms\":[{\"name\":\"web1\",\"state\":\"running\",\"memory_mib\":1024,\"cpus\":2,"
        "\"autostart\":true,\"display\":true,\"restart\":\"on-failure\",\"pid\":123,"
        "\"started_at\":1,"
        "\"uptime_s\":93784,\"restarts\":0,\"last_stop\":null},"
        "{\"name\":\"web2\",\"state\":\"stopped\",\"memory_mib\":512,\"cpus\":1,"
        "\"autostart\":false,\"uptime_s\":0,\"last_stop\":{\"reason\":\"stopped by request: "
        "guest powered off\",\"end\":\"poweroff\",\"code\":0,\"at\":5}}]}";
    CHECK_EQ_INT(vmlist_parse(json, &l, why, sizeof(why)), 0);
    CHECK_EQ_INT(l.count, 2);
    CHECK_EQ_INT(l.running, 1);
    CHECK_EQ_STR(l.vms[0].name, "web1");
    CHECK_EQ_STR(l.vms[0].state, "running");
    CHECK_EQ_INT(l.vms[0].memory_mib, 1024);
    CHECK_EQ_INT(l.vms[0].cpus, 2);
    CHECK(l.vms[0].autostart);
    CHECK_EQ_INT(l.vms[0].uptime_s, 93784);
    CHECK_EQ_STR(l.vms[0].last_stop, "");
    CHECK_EQ_STR(l.vms[1].last_stop, "stopped by request: guest powered off");
    CHECK(!l.vms[1].autostart);
    CHECK(l.vms[0].display);
    CHECK(!l.vms[1].display); /* absent: no screen */
}

static void test_empty_list_errors_and_junk(void)
{
    static struct vm_list l;
    CHECK_EQ_INT(vmlist_parse("{\"vms\":[]}", &l, why, sizeof(why)), 0);
    CHECK_EQ_INT(l.count, 0);
    CHECK_EQ_INT(vmlist_parse("{\"error\":{\"code\":\"io-error\",\"message\":\"corrald is not "
                              "running\"}}", &l, why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "corrald is not running");
    CHECK_EQ_INT(vmlist_parse("corral: cannot connect", &l, why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(vmlist_parse("{\"vms\":{}}", &l, why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(vmlist_parse("{\"vms\":[1,{\"state\":\"running\"},{\"name\":\"a\"}]}", &l, why,
                              sizeof(why)), 0);
    CHECK_EQ_INT(l.count, 1); /* entries without a name are left out */
}

static void test_restart_and_stop_progress(void)
{
    static struct vm_list l;
    char line[128];
    const char *json =
        "{\"vms\":[{\"name\":\"a\",\"state\":\"stopping\",\"restart\":\"always\"},"
        "{\"name\":\"b\",\"state\":\"stopped\",\"last_stop\":{\"reason\":\"stopped by "
        "request: forced off after the stop timeout\"}},"
        "{\"name\":\"c\",\"state\":\"stopped\",\"last_stop\":{\"reason\":\"stopped by "
        "request: guest powered off\"}},{\"name\":\"d\",\"state\":\"running\"}]}";
    CHECK_EQ_INT(vmlist_parse(json, &l, why, sizeof(why)), 0);
    CHECK_EQ_INT(l.count, 4);
    CHECK_EQ_INT(l.running, 2);
    CHECK_EQ_STR(l.vms[0].restart, "always");
    CHECK_EQ_STR(l.vms[1].restart, "");
    vmlist_stop_line(&l.vms[0], line, sizeof(line));
    CHECK_EQ_STR(line, "a: stopping...");
    vmlist_stop_line(&l.vms[1], line, sizeof(line));
    CHECK_EQ_STR(line, "b: forced off");
    vmlist_stop_line(&l.vms[2], line, sizeof(line));
    CHECK_EQ_STR(line, "c: stopped");
    vmlist_stop_line(&l.vms[3], line, sizeof(line));
    CHECK_EQ_STR(line, "d: stopping...");
}

static void test_vm_name_with_a_space_is_refused(void)
{
    CHECK_EQ_INT(validate_vm_name("web1", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_vm_name("my vm", why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "no spaces: letters, digits and '-' only");
    CHECK_EQ_INT(validate_vm_name("", why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(validate_vm_name("-web", why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(validate_vm_name("web_1", why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(validate_vm_name("a23456789012345678901234567890123", why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "at most 32 characters");
}

static void test_memory_uses_corralds_rules(void)
{
    CHECK_EQ_INT(validate_vm_memory("512M", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_vm_memory("256", why, sizeof(why)), 0);
    why[0] = '\0';
    CHECK_EQ_INT(validate_vm_memory("0", why, sizeof(why)), -EINVAL);
    CHECK(why[0] != '\0');
    CHECK_EQ_INT(validate_vm_memory("lots", why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(validate_vm_cpus("2", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_vm_cpus("0", why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(validate_vm_cpus("65", why, sizeof(why)), -EINVAL);
}

static void test_disk_size(void)
{
    CHECK_EQ_INT(validate_vm_disk_size("", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_vm_disk_size("20G", why, sizeof(why)), 0);
    CHECK_EQ_INT(validate_vm_disk_size("8", why, sizeof(why)), 0);
    CHECK(validate_vm_disk_size("0", why, sizeof(why)) != 0);
    CHECK(validate_vm_disk_size("100B", why, sizeof(why)) != 0);
    CHECK(validate_vm_disk_size("big", why, sizeof(why)) != 0);
}

int main(void)
{
    RUN(test_parses_the_documented_list);
    RUN(test_empty_list_errors_and_junk);
    RUN(test_restart_and_stop_progress);
    RUN(test_vm_name_with_a_space_is_refused);
    RUN(test_memory_uses_corralds_rules);
    RUN(test_disk_size);
    return check_summary("setup_vmlist");
}
