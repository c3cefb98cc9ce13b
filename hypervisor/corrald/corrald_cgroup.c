/* corrald_cgroup: per-VM cgroup v2 groups (see corrald_cgroup.h). */
#include "corrald_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"

void corrald_cgroup_limits(const struct vmdef *def, struct corrald_cgroup_limits *out)
{
    uint64_t mib = def->memory_mib + CORRALD_VMM_OVERHEAD_MIB + def->memory_mib / 32;
    out->memory_max = mib << 20;
    if (def->cpu_limit)
        snprintf(out->cpu_max, sizeof(out->cpu_max), "%u %u",
                 def->cpu_limit * (CORRALD_CPU_PERIOD_US / 100), CORRALD_CPU_PERIOD_US);
    else
        snprintf(out->cpu_max, sizeof(out->cpu_max), "max %u", CORRALD_CPU_PERIOD_US);
    out->cpu_weight = def->cpu_weight;
}

static int corrald_cgroup_write(const char *dir, const char *file, const char *text,
                                char *why, size_t why_len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int rc = fd < 0 ? -errno : fdio_write_all(fd, text, strlen(text));
    if (fd >= 0)
        close(fd);
    if (rc < 0 && why)
        snprintf(why, why_len, "%s: %s", path, strerror(-rc));
    return rc;
}

int corrald_cgroup_create(const char *dir, const char *name, const struct vmdef *def,
                          char *why, size_t why_len)
{
    char parent[512], group[512], number[32];
    struct corrald_cgroup_limits l;
    corrald_cgroup_limits(def, &l);
    snprintf(parent, sizeof(parent), "%s/..", dir);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(why, why_len, "%s: %s", dir, strerror(errno));
        return -errno;
    }
    /* the controllers reach the VM groups through each level */
    int rc = corrald_cgroup_write(parent, "cgroup.subtree_control", "+memory +cpu",
                                  why, why_len);
    if (rc == 0)
        rc = corrald_cgroup_write(dir, "cgroup.subtree_control", "+memory +cpu", why,
                                  why_len);
    /* io on its own: without it (no blk-throttle) io.max is missing, and
     * corrald_io_apply says so, but memory and CPU are still limited */
    if (rc == 0 && corrald_cgroup_write(parent, "cgroup.subtree_control", "+io",
                                        NULL, 0) == 0)
        corrald_cgroup_write(dir, "cgroup.subtree_control", "+io", NULL, 0);
    snprintf(group, sizeof(group), "%s/%s", dir, name);
    /* a new group each start, so that its memory.events count this run only
     * (an empty one left behind goes; one that still holds a process stays) */
    rmdir(group);
    if (rc == 0 && mkdir(group, 0755) < 0 && errno != EEXIST) {
        snprintf(why, why_len, "%s: %s", group, strerror(errno));
        rc = -errno;
    }
    snprintf(number, sizeof(number), "%" PRIu64, l.memory_max);
    if (rc == 0)
        rc = corrald_cgroup_write(group, "memory.max", number, why, why_len);
    if (rc == 0)
        rc = corrald_cgroup_write(group, "cpu.max", l.cpu_max, why, why_len);
    snprintf(number, sizeof(number), "%u", l.cpu_weight);
    if (rc == 0)
        rc = corrald_cgroup_write(group, "cpu.weight", number, why, why_len);
    return rc;
}

void corrald_cgroup_remove(const char *dir, const char *name)
{
    char group[512];
    snprintf(group, sizeof(group), "%s/%s", dir, name);
    rmdir(group);
}

int corrald_cgroup_join(const char *dir, const char *name)
{
    char group[512];
    snprintf(group, sizeof(group), "%s/%s", dir, name);
    return corrald_cgroup_write(group, "cgroup.procs", "0", NULL, 0);
}

/* The first number in dir/file after key (or at the start with key ""). */
static int corrald_cgroup_number(const char *group, const char *file, const char *key,
                                 uint64_t *out)
{
    char path[512], text[512];
    snprintf(path, sizeof(path), "%s/%s", group, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return -EIO;
    text[n] = '\0';
    const char *at = key[0] ? strstr(text, key) : text;
    if (!at)
        return -ENOENT;
    at += strlen(key);
    *out = strncmp(at, "max", 3) == 0 ? 0 : strtoull(at, NULL, 10);
    return 0;
}

int corrald_cgroup_read(const char *dir, const char *name, struct corrald_cgroup_usage *u)
{
    char group[512], path[560];
    uint64_t weight = 0;
    snprintf(group, sizeof(group), "%s/%s", dir, name);
    memset(u, 0, sizeof(*u));
    int rc = corrald_cgroup_number(group, "memory.max", "", &u->memory_max);
    if (rc == 0)
        rc = corrald_cgroup_number(group, "memory.current", "", &u->memory_current);
    if (rc == 0)
        rc = corrald_cgroup_number(group, "cpu.stat", "usage_usec ", &u->cpu_usage_us);
    if (rc == 0)
        rc = corrald_cgroup_number(group, "cpu.weight", "", &weight);
    u->cpu_weight = (unsigned)weight;
    snprintf(path, sizeof(path), "%s/cpu.max", group);
    int fd = rc == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    ssize_t n = fd >= 0 ? read(fd, u->cpu_max, sizeof(u->cpu_max) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return rc < 0 ? rc : -EIO;
    u->cpu_max[n] = '\0';
    u->cpu_max[strcspn(u->cpu_max, "\n")] = '\0';
    return 0;
}

int corrald_cgroup_oom_kills(const char *dir, const char *name, uint64_t *kills,
                             uint64_t *memory_max)
{
    char group[512];
    snprintf(group, sizeof(group), "%s/%s", dir, name);
    int rc = corrald_cgroup_number(group, "memory.events", "oom_kill ", kills);
    return rc < 0 ? rc : corrald_cgroup_number(group, "memory.max", "", memory_max);
}
