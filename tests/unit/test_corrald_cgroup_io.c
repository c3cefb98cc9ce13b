/* corrald_cgroup_io: io.max lines from the disks' limits, folding disks
 * that share a device, and what happens where there is no block device. */
#include "check.h"
#include "../../hypervisor/corrald/corrald_cgroup_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_line(void)
{
    char buf[160];
    struct corrald_io_limit l = { 8, 0, 500, 100u << 20 };
    CHECK_EQ_INT(corrald_io_max_line(&l, buf, sizeof(buf)), 0);
    CHECK_EQ_STR(buf, "8:0 rbps=104857600 wbps=104857600 riops=500 wiops=500");
    l = (struct corrald_io_limit){ 253, 16, 0, 4096 };
    CHECK_EQ_INT(corrald_io_max_line(&l, buf, sizeof(buf)), 0);
    CHECK_EQ_STR(buf, "253:16 rbps=4096 wbps=4096 riops=max wiops=max");
    l.bps = 0;
    l.iops = 1000000000;
    CHECK_EQ_INT(corrald_io_max_line(&l, buf, sizeof(buf)), 0);
    CHECK_EQ_STR(buf, "253:16 rbps=max wbps=max riops=1000000000 wiops=1000000000");
    CHECK_EQ_INT(corrald_io_max_line(&l, buf, 20), -ENOSPC);
}

static void test_fold(void)
{
    const struct corrald_io_limit disks[] = {
        { 8, 0, 100, 1000 },
        { 254, 0, 7, 0 },
        { 8, 0, 50, 24 },   /* same device: sums */
        { 254, 0, 0, 5 },   /* an unlimited figure stays unlimited */
        { 8, 16, 0, 0 },
        { 8, 0, UINT64_MAX, 1 }, /* a sum past 2^64: unlimited, not wrapped */
    };
    struct corrald_io_limit out[6];
    size_t n = corrald_io_fold(disks, 6, out);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(out[0].major, 8);
    CHECK_EQ_INT(out[0].minor, 0);
    CHECK_EQ_INT(out[0].iops, 0);
    CHECK_EQ_INT(out[0].bps, 1025);
    CHECK_EQ_INT(out[1].major, 254);
    CHECK_EQ_INT(out[1].iops, 0);
    CHECK_EQ_INT(out[1].bps, 0);
    CHECK_EQ_INT(out[2].minor, 16);
    CHECK_EQ_INT(corrald_io_fold(disks, 0, out), 0);
}

static void test_device_of(void)
{
    unsigned major = 1, minor = 1;
    char name[64], why[300];
    CHECK_EQ_INT(corrald_io_device_of("/nonexistent/disk.img", &major, &minor, name,
                                      sizeof(name), why, sizeof(why)), -ENOENT);
    CHECK_EQ_STR(why, "/nonexistent/disk.img: No such file or directory");
    /* procfs has no block device under it */
    CHECK_EQ_INT(corrald_io_device_of("/proc/self/status", &major, &minor, name,
                                      sizeof(name), why, sizeof(why)), -ENODEV);
    CHECK_EQ_INT(major, 0);
    CHECK(strstr(why, "no block device") != NULL);
}

static void test_apply_says_what_it_could_not_limit(void)
{
    char dir[] = "/tmp/test-cgroup-io-XXXXXX", note[256], text[64];
    CHECK(mkdtemp(dir) != NULL);
    struct vmdef d;
    vmdef_init(&d);
    /* no limits: nothing written, nothing to say */
    d.disk_count = 1;
    snprintf(d.disks[0].path, sizeof(d.disks[0].path), "/proc/self/status");
    corrald_io_apply(dir, &d, note, sizeof(note));
    CHECK_EQ_STR(note, "");
    CHECK_EQ_INT(corrald_io_read(dir, text, sizeof(text)), -ENOENT);
    d.disks[0].iops = 100;
    corrald_io_apply(dir, &d, note, sizeof(note));
    CHECK(strncmp(note, "io.max: not available on 0:", 27) == 0);
    CHECK(strstr(note, "(no block device under it: tmpfs") != NULL);
    rmdir(dir);
}

int main(void)
{
    RUN(test_line);
    RUN(test_fold);
    RUN(test_device_of);
    RUN(test_apply_says_what_it_could_not_limit);
    return check_summary("corrald_cgroup_io");
}
