/* corrald_cgroup_io: io.max from the disks' limits (see the .h). */
#include "corrald_cgroup_io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fdio.h"

/* Sum of two limits where 0 means unlimited: unlimited wins. */
static uint64_t corrald_io_add(uint64_t a, uint64_t b)
{
    if (a == 0 || b == 0)
        return 0;
    return a + b < a ? 0 : a + b; /* too large to limit anything */
}

size_t corrald_io_fold(const struct corrald_io_limit *disks, size_t n,
                       struct corrald_io_limit *out)
{
    size_t devices = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < devices && (out[j].major != disks[i].major ||
                               out[j].minor != disks[i].minor))
            j++;
        if (j == devices) {
            out[devices++] = disks[i];
            continue;
        }
        out[j].iops = corrald_io_add(out[j].iops, disks[i].iops);
        out[j].bps = corrald_io_add(out[j].bps, disks[i].bps);
    }
    return devices;
}

static void corrald_io_figure(uint64_t v, char *buf, size_t len)
{
    if (v)
        snprintf(buf, len, "%" PRIu64, v);
    else
        snprintf(buf, len, "max");
}

int corrald_io_max_line(const struct corrald_io_limit *l, char *buf, size_t len)
{
    char bps[24], iops[24];
    corrald_io_figure(l->bps, bps, sizeof(bps));
    corrald_io_figure(l->iops, iops, sizeof(iops));
    int n = snprintf(buf, len, "%u:%u rbps=%s wbps=%s riops=%s wiops=%s", l->major,
                     l->minor, bps, bps, iops, iops);
    return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* The kernel's name of /sys/dev/block/MAJ:MIN ("vda1"), "" if none. */
static void corrald_io_sys_name(const char *sys, char *name, size_t len)
{
    char target[512];
    ssize_t n = readlink(sys, target, sizeof(target) - 1);
    target[n > 0 ? n : 0] = '\0';
    snprintf(name, len, "%s", n > 0 ? basename(target) : "");
}

int corrald_io_device_of(const char *path, unsigned *major, unsigned *minor,
                         char *name, size_t name_len, char *why, size_t why_len)
{
    struct stat st;
    char sys[96], parent[128], text[32];
    if (stat(path, &st) < 0) {
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        return -errno;
    }
    dev_t dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
    *major = major(dev);
    *minor = minor(dev);
    snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", *major, *minor);
    snprintf(name, name_len, "%u:%u", *major, *minor);
    if (access(sys, F_OK) < 0) {
        snprintf(why, why_len, "no block device under it: tmpfs, overlay or another virtual file system");
        return -ENODEV;
    }
    corrald_io_sys_name(sys, name, name_len);
    snprintf(parent, sizeof(parent), "%s/partition", sys);
    if (access(parent, F_OK) < 0)
        return 0; /* a whole disk already */
    /* a partition: io.max wants the disk it is on, the directory above */
    snprintf(parent, sizeof(parent), "%s/../dev", sys);
    int fd = open(parent, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0 || sscanf((text[n] = '\0', text), "%u:%u", major, minor) != 2) {
        snprintf(why, why_len, "%s: no disk above the partition", parent);
        return -ENODEV;
    }
    snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", *major, *minor);
    corrald_io_sys_name(sys, name, name_len);
    return 0;
}

static void corrald_io_note(char *note, size_t note_len, const char *device,
                            const char *why)
{
    size_t used = strlen(note);
    if (used < note_len)
        snprintf(note + used, note_len - used, "%sio.max: not available on %s (%s)",
                 used ? "; " : "", device, why);
}

static int corrald_io_write(const char *group, const char *line)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/io.max", group);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int rc = fd < 0 ? -errno : fdio_write_all(fd, line, strlen(line));
    if (fd >= 0)
        close(fd);
    return rc;
}

void corrald_io_apply(const char *group, const struct vmdef *def, char *note,
                      size_t note_len)
{
    struct corrald_io_limit disks[VMDEF_MAX_DISKS], devices[VMDEF_MAX_DISKS];
    char names[VMDEF_MAX_DISKS][64], why[300], line[160];
    size_t n = 0;
    bool limited = false;
    note[0] = '\0';
    for (size_t i = 0; i < def->disk_count; i++)
        limited |= def->disks[i].iops || def->disks[i].bps;
    if (!limited)
        return;
    for (size_t i = 0; i < def->disk_count; i++) {
        struct corrald_io_limit *d = &disks[n];
        d->iops = def->disks[i].iops;
        d->bps = def->disks[i].bps;
        if (corrald_io_device_of(def->disks[i].path, &d->major, &d->minor, names[n],
                                 sizeof(names[n]), why, sizeof(why)) < 0) {
            if (d->iops || d->bps)
                corrald_io_note(note, note_len, names[n], why);
            continue;
        }
        n++;
    }
    size_t ndev = corrald_io_fold(disks, n, devices);
    for (size_t i = 0; i < ndev; i++) {
        if (!devices[i].iops && !devices[i].bps)
            continue; /* every disk on it is unlimited */
        const char *name = "";
        for (size_t j = 0; j < n && !name[0]; j++)
            if (disks[j].major == devices[i].major && disks[j].minor == devices[i].minor)
                name = names[j];
        int rc = corrald_io_max_line(&devices[i], line, sizeof(line));
        if (rc == 0)
            rc = corrald_io_write(group, line);
        if (rc < 0)
            corrald_io_note(note, note_len, name, strerror(-rc));
    }
}

int corrald_io_read(const char *group, char *buf, size_t len)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/io.max", group);
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -EIO;
    buf[n] = '\0';
    return 0;
}
