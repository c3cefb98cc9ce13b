/* corrald_cgroup: the limits a definition asks for, and reading a group's
 * files back (a directory of plain files stands in for cgroupfs). */
#include "check.h"
#include "../../hypervisor/corrald/corrald_cgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_limits_from_the_definition(void)
{
    struct vmdef d;
    struct corrald_cgroup_limits l;
    vmdef_init(&d);
    d.memory_mib = 1024;
    corrald_cgroup_limits(&d, &l);
    /* RAM + 64 MiB + 1/32 of the RAM */
    CHECK_EQ_INT(l.memory_max, (uint64_t)(1024 + 64 + 32) << 20);
    CHECK_EQ_STR(l.cpu_max, "max 100000");
    CHECK_EQ_INT(l.cpu_weight, 100);
    d.cpus = 2;
    d.cpu_limit = 150;
    d.cpu_weight = 500;
    d.memory_mib = 16;
    corrald_cgroup_limits(&d, &l);
    CHECK_EQ_INT(l.memory_max, (uint64_t)(16 + 64) << 20);
    CHECK_EQ_STR(l.cpu_max, "150000 100000");
    CHECK_EQ_INT(l.cpu_weight, 500);
}

static void put(const char *dir, const char *file, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_read_back(void)
{
    char dir[] = "/tmp/test-cgroup-XXXXXX", group[600];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(group, sizeof(group), "%s/web1", dir);
    CHECK_EQ_INT(mkdir(group, 0755), 0);
    put(group, "memory.max", "1174405120\n");
    put(group, "memory.current", "52342784\n");
    put(group, "cpu.max", "150000 100000\n");
    put(group, "cpu.weight", "500\n");
    put(group, "cpu.stat", "usage_usec 8123456\nuser_usec 5000000\nsystem_usec 3\n");
    struct corrald_cgroup_usage u;
    CHECK_EQ_INT(corrald_cgroup_read(dir, "web1", &u), 0);
    CHECK_EQ_INT(u.memory_max, 1174405120);
    CHECK_EQ_INT(u.memory_current, 52342784);
    CHECK_EQ_INT(u.cpu_usage_us, 8123456);
    CHECK_EQ_INT(u.cpu_weight, 500);
    CHECK_EQ_STR(u.cpu_max, "150000 100000");
    put(group, "memory.max", "max\n");
    CHECK_EQ_INT(corrald_cgroup_read(dir, "web1", &u), 0);
    CHECK_EQ_INT(u.memory_max, 0);
    CHECK_EQ_INT(corrald_cgroup_read(dir, "nosuchvm", &u), -ENOENT);
    /* the OOM killer's count, not oom's nor oom_group_kill's */
    uint64_t kills = 99, memory_max = 99;
    put(group, "memory.max", "211812352\n");
    put(group, "memory.events", "low 0\nhigh 0\nmax 41\noom 2\noom_kill 1\n"
                                "oom_group_kill 0\n");
    CHECK_EQ_INT(corrald_cgroup_oom_kills(dir, "web1", &kills, &memory_max), 0);
    CHECK_EQ_INT(kills, 1);
    CHECK_EQ_INT(memory_max, 211812352);
    put(group, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
    CHECK_EQ_INT(corrald_cgroup_oom_kills(dir, "web1", &kills, &memory_max), 0);
    CHECK_EQ_INT(kills, 0);
    put(group, "memory.events", "low 0\n"); /* an old kernel without the key */
    CHECK_EQ_INT(corrald_cgroup_oom_kills(dir, "web1", &kills, &memory_max), -ENOENT);
    CHECK_EQ_INT(corrald_cgroup_oom_kills(dir, "nosuchvm", &kills, &memory_max), -ENOENT);
    /* the group goes when the VM ends */
    static const char *const files[] = { "memory.max", "memory.current", "cpu.max",
                                         "cpu.weight", "cpu.stat", "memory.events" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[700];
        snprintf(path, sizeof(path), "%s/%s", group, files[i]);
        unlink(path);
    }
    corrald_cgroup_remove(dir, "web1");
    CHECK(access(group, F_OK) != 0);
    rmdir(dir);
}

static void test_create_says_which_file_failed(void)
{
    struct vmdef d;
    char why[600];
    vmdef_init(&d);
    CHECK_EQ_INT(corrald_cgroup_create("/nonexistent/corral", "web1", &d, why,
                                       sizeof(why)), -ENOENT);
    CHECK_EQ_STR(why, "/nonexistent/corral: No such file or directory");
}

int main(void)
{
    RUN(test_limits_from_the_definition);
    RUN(test_read_back);
    RUN(test_create_says_which_file_failed);
    return check_summary("corrald_cgroup");
}
