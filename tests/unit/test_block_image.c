/* Unit tests for block_image's data path: O_DIRECT where the file system
 * allows it (an ext4 /tmp), buffered where it does not (tmpfs before 6.6),
 * guest buffers of any alignment and length through the bounce buffer, and
 * the fall back to buffered I/O when O_DIRECT refuses even that. */
#include "check.h"
#include "../../hypervisor/vmm/block_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define IMAGE_BYTES (1u << 20)
#define TMPFS_MAGIC_NUMBER 0x01021994

static char disk_path[64];

/* An image of IMAGE_BYTES, every byte its offset's low bits mixed. */
static int make_image(const char *dir)
{
    snprintf(disk_path, sizeof(disk_path), "%s/corral-test-bi-XXXXXX", dir);
    int fd = mkstemp(disk_path);
    CHECK(fd >= 0);
    uint8_t *buf = malloc(IMAGE_BYTES);
    for (size_t i = 0; i < IMAGE_BYTES; i++)
        buf[i] = (uint8_t)(i * 7 + (i >> 9));
    CHECK_EQ_INT(write(fd, buf, IMAGE_BYTES), IMAGE_BYTES);
    free(buf);
    close(fd);
    uint64_t bytes = 0;
    fd = block_image_open(disk_path, false, &bytes);
    CHECK(fd >= 0);
    CHECK(bytes == IMAGE_BYTES);
    return fd;
}

static void drop_image(int fd)
{
    close(fd);
    unlink(disk_path);
}

static uint8_t expected(size_t offset)
{
    return (uint8_t)(offset * 7 + (offset >> 9));
}

static bool on_tmpfs(const char *dir)
{
    struct statfs st;
    return statfs(dir, &st) == 0 && st.f_type == TMPFS_MAGIC_NUMBER;
}

/* Aligned buffers go straight through O_DIRECT. */
static void test_direct_aligned(void)
{
    int fd = make_image("/tmp");
    if (on_tmpfs("/tmp")) {
        drop_image(fd);
        return; /* the ext4 case cannot be tried here */
    }
    CHECK(block_image_use_direct(fd));
    CHECK(block_image_is_direct(fd));
    uint8_t *buf = aligned_alloc(4096, 8192);
    struct iovec iov = { buf, 8192 };
    CHECK_EQ_INT(block_image_transfer(fd, &iov, 1, 4096, false), 0);
    for (size_t i = 0; i < 8192; i++)
        CHECK(buf[i] == expected(4096 + i));
    memset(buf, 0xA5, 8192);
    CHECK_EQ_INT(block_image_transfer(fd, &iov, 1, 65536, true), 0);
    memset(buf, 0, 8192);
    CHECK_EQ_INT(block_image_transfer(fd, &iov, 1, 65536, false), 0);
    CHECK(buf[0] == 0xA5 && buf[8191] == 0xA5);
    CHECK(block_image_is_direct(fd)); /* nothing made it fall back */
    free(buf);
    drop_image(fd);
}

/* Buffers at odd addresses and of odd lengths (whole sectors only in
 * total), more than one bounce buffer's worth, both ways. */
static void test_direct_unaligned_buffers_bounce(void)
{
    int fd = make_image("/tmp");
    bool direct = block_image_use_direct(fd);
    CHECK(direct || on_tmpfs("/tmp"));
    size_t total = BLOCK_IMAGE_BOUNCE_BYTES * 2 + 1024;
    uint8_t *raw = malloc(total + 64);
    uint8_t *a = raw + 3; /* never aligned */
    struct iovec iov[3] = {
        { a, 100 }, { a + 100, 412 }, { a + 512, total - 512 },
    };
    CHECK_EQ_INT(block_image_transfer(fd, iov, 3, 2048, false), 0);
    for (size_t i = 0; i < total; i++)
        if (a[i] != expected(2048 + i)) {
            CHECK(a[i] == expected(2048 + i));
            break;
        }
    for (size_t i = 0; i < total; i++)
        a[i] = (uint8_t)(i ^ 0x5A);
    CHECK_EQ_INT(block_image_transfer(fd, iov, 3, 4096, true), 0);
    /* Read back aligned, through a second fd without O_DIRECT. */
    int check_fd = open(disk_path, O_RDONLY);
    uint8_t *back = malloc(total);
    CHECK_EQ_INT(pread(check_fd, back, total, 4096), (long)total);
    for (size_t i = 0; i < total; i++)
        if (back[i] != (uint8_t)(i ^ 0x5A)) {
            CHECK(back[i] == (uint8_t)(i ^ 0x5A));
            break;
        }
    CHECK_EQ_INT(pread(check_fd, back, 1, 4096 + total), 1);
    CHECK(back[0] == expected(4096 + total)); /* nothing past the end moved */
    close(check_fd);
    CHECK(block_image_is_direct(fd) == direct); /* bounced, still direct */
    free(back);
    free(raw);
    drop_image(fd);
}

/* An offset O_DIRECT cannot take even bounced: the image goes buffered
 * for good and the request still succeeds. */
static void test_refused_direct_falls_back_to_buffered(void)
{
    int fd = make_image("/tmp");
    if (!block_image_use_direct(fd)) {
        drop_image(fd);
        return;
    }
    uint8_t buf[300];
    struct iovec iov = { buf, sizeof(buf) };
    CHECK_EQ_INT(block_image_transfer(fd, &iov, 1, 77, false), 0);
    for (size_t i = 0; i < sizeof(buf); i++)
        CHECK(buf[i] == expected(77 + i));
    CHECK(!block_image_is_direct(fd));
    drop_image(fd);
}

/* Whether the file system under path takes O_DIRECT, asked directly. */
static bool direct_possible(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECT);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

/* tmpfs refuses O_DIRECT before Linux 6.6 (the appliance's 6.1): the image
 * then stays buffered and works; on newer kernels it goes direct. */
static void test_tmpfs_direct_as_the_kernel_allows(void)
{
    if (!on_tmpfs("/dev/shm"))
        return;
    int fd = make_image("/dev/shm");
    bool possible = direct_possible(disk_path);
    CHECK(block_image_use_direct(fd) == possible);
    CHECK(block_image_is_direct(fd) == possible);
    uint8_t *buf = aligned_alloc(4096, 4096);
    struct iovec iov = { buf, 4096 };
    memset(buf, 0x3C, 4096);
    CHECK_EQ_INT(block_image_transfer(fd, &iov, 1, 4096, true), 0);
    memset(buf, 0, 4096);
    CHECK_EQ_INT(block_image_transfer(fd, &iov, 1, 4096, false), 0);
    CHECK(buf[0] == 0x3C && buf[4095] == 0x3C);
    free(buf);
    drop_image(fd);
}

/* Reading past the end is -EIO, bounced or not; too many entries -EINVAL. */
static void test_errors(void)
{
    int fd = make_image("/tmp");
    block_image_use_direct(fd);
    uint8_t *buf = aligned_alloc(4096, 8192);
    struct iovec iov = { buf, 8192 };
    CHECK_EQ_INT(block_image_transfer(fd, &iov, 1, IMAGE_BYTES - 4096, false), -EIO);
    struct iovec odd = { buf + 1, 4096 };
    CHECK_EQ_INT(block_image_transfer(fd, &odd, 1, IMAGE_BYTES, false), -EIO);
    CHECK_EQ_INT(block_image_transfer(fd, &iov, BLOCK_IMAGE_MAX_IOV + 1, 0, false),
                 -EINVAL);
    CHECK_EQ_INT(block_image_transfer(fd, &iov, -1, 0, false), -EINVAL);
    free(buf);
    drop_image(fd);
}

int main(void)
{
    RUN(test_direct_aligned);
    RUN(test_direct_unaligned_buffers_bounce);
    RUN(test_refused_direct_falls_back_to_buffered);
    RUN(test_tmpfs_direct_as_the_kernel_allows);
    RUN(test_errors);
    return check_summary("block_image");
}
