/* randread DEVICE SECONDS: 4 KiB random reads with O_DIRECT, one at a time
 * (queue depth 1), at 4 KiB-aligned offsets spread over the whole device,
 * for SECONDS; prints how many and the rate.  The guest end of
 * tests/bench/bench_devices.py (BusyBox has no fio), built static with
 * musl by tests/integration/guest.py into the guest initramfs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: randread DEVICE SECONDS\n");
        return 2;
    }
    double seconds = atof(argv[2]);
    int fd = open(argv[1], O_RDONLY | O_DIRECT);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    uint64_t blocks = size / BLOCK, x = 0x9e3779b97f4a7c15ull, ops = 0;
    void *buf;
    if (blocks == 0 || posix_memalign(&buf, BLOCK, BLOCK) != 0) {
        fprintf(stderr, "%s: empty or no memory\n", argv[1]);
        return 1;
    }
    double start = now(), end = start + seconds, t = start;
    while (t < end) {
        for (int i = 0; i < 16; i++) { /* xorshift64 */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (pread(fd, buf, BLOCK, (off_t)(x % blocks) * BLOCK) != BLOCK) {
                perror("pread");
                return 1;
            }
            ops++;
        }
        t = now();
    }
    double dt = t - start;
    printf("RANDREAD ops=%llu seconds=%.3f iops=%.0f mibs=%.2f\n", (unsigned long long)ops, dt,
           ops / dt, ops * (double)BLOCK / 1048576.0 / dt);
    return 0;
}
