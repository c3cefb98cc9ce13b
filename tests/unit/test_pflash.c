/* pflash: the CFI command set (read array, status, program, erase, CFI,
 * identifier), OVMF's detection sequence, hostile sequences and
 * out-of-range accesses; pflash_dev's file write-back and romd callbacks;
 * the code/variables layout. */
#include "check.h"
#include "../../hypervisor/vmm/pflash.h"
#include "../../hypervisor/vmm/pflash_dev.h"
#include "nvram_sample.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define SIZE (4 * PFLASH_BLOCK_SIZE)

static uint8_t array[SIZE];

static void fresh(struct pflash *f)
{
    for (size_t i = 0; i < SIZE; i++)
        array[i] = (uint8_t)(i * 7 + 1);
    CHECK_EQ_INT(pflash_init(f, array, SIZE, PFLASH_BLOCK_SIZE), 0);
}

static uint8_t rd(struct pflash *f, uint64_t off)
{
    uint8_t b;
    pflash_read(f, off, &b, 1);
    return b;
}

static struct pflash_effect wr(struct pflash *f, uint64_t off, uint8_t v)
{
    return pflash_write(f, off, &v, 1);
}

static void test_init_rejects(void)
{
    struct pflash f;
    CHECK_EQ_INT(pflash_init(&f, array, 0, PFLASH_BLOCK_SIZE), -EINVAL);
    CHECK_EQ_INT(pflash_init(&f, array, SIZE + 1, PFLASH_BLOCK_SIZE), -EINVAL);
    CHECK_EQ_INT(pflash_init(&f, array, SIZE, 3000), -EINVAL);
}

static void test_read_array(void)
{
    struct pflash f;
    fresh(&f);
    CHECK(pflash_romd(&f));
    uint8_t buf[8];
    pflash_read(&f, 0x10, buf, 8);
    CHECK(memcmp(buf, array + 0x10, 8) == 0);
    pflash_read(&f, SIZE - 2, buf, 4); /* reaches past the end */
    CHECK_EQ_INT(buf[0], array[SIZE - 2]);
    CHECK_EQ_INT(buf[2], 0xff);
    CHECK_EQ_INT(buf[3], 0xff);
    pflash_read(&f, UINT64_MAX - 1, buf, 4); /* wraps */
    CHECK_EQ_INT(buf[0], 0xff);
    CHECK_EQ_INT(buf[3], 0xff);
}

/* OVMF's QemuFlashDetected() must end in "FD behaves as FLASH, writable". */
static void test_ovmf_detection(void)
{
    struct pflash f;
    fresh(&f);
    uint64_t at = 0x10;
    uint8_t original = rd(&f, at);
    CHECK(original != 0x00 && original != 0x50 && original != 0x70);
    struct pflash_effect e = wr(&f, at, PFLASH_CMD_CLEAR_STATUS);
    CHECK(!e.romd_changed);
    CHECK_EQ_INT(rd(&f, at), original);    /* not RAM */
    e = wr(&f, at, PFLASH_CMD_READ_STATUS);
    CHECK(e.romd_changed);
    CHECK(!pflash_romd(&f));
    CHECK_EQ_INT(rd(&f, at), 0x00);        /* cleared status: flash */
    wr(&f, at, PFLASH_CMD_PROGRAM);
    e = wr(&f, at, original);
    CHECK_EQ_INT(e.dirty_off, at);
    CHECK_EQ_INT(e.dirty_len, 1);
    wr(&f, at, PFLASH_CMD_READ_STATUS);
    uint8_t status = rd(&f, at);
    CHECK(!(status & PFLASH_STATUS_PROGRAM_ERROR));
    CHECK(status & PFLASH_STATUS_READY);
    e = wr(&f, at, PFLASH_CMD_READ_ARRAY);
    CHECK(e.romd_changed);
    CHECK(e.sync);
    CHECK(pflash_romd(&f));
    CHECK_EQ_INT(rd(&f, at), original);
}

/* QemuFlashWrite: 0x10 and a byte, for each byte, then 0xff. */
static void test_program_sequence(void)
{
    struct pflash f;
    fresh(&f);
    const uint8_t data[] = { 0xde, 0xad, 0xbe, 0xef };
    for (unsigned i = 0; i < sizeof(data); i++) {
        wr(&f, 0x100 + i, PFLASH_CMD_PROGRAM);
        struct pflash_effect e = wr(&f, 0x100 + i, data[i]);
        CHECK(!e.sync);
        CHECK_EQ_INT(rd(&f, 0x100 + i), PFLASH_STATUS_READY); /* status mode */
    }
    struct pflash_effect e = wr(&f, 0x103, PFLASH_CMD_READ_ARRAY);
    CHECK(e.sync);
    CHECK(memcmp(array + 0x100, data, 4) == 0);
    /* 0x40 and a wider write: all its bytes */
    wr(&f, 0x200, PFLASH_CMD_PROGRAM_ALT);
    uint8_t wide[4] = { 1, 2, 3, 4 };
    e = pflash_write(&f, 0x200, wide, 4);
    CHECK_EQ_INT(e.dirty_len, 4);
    CHECK(memcmp(array + 0x200, wide, 4) == 0);
}

/* QemuFlashEraseBlock: 0x20 then 0xd0, and no read-array after. */
static void test_block_erase(void)
{
    struct pflash f;
    fresh(&f);
    uint8_t before = array[PFLASH_BLOCK_SIZE - 1];
    wr(&f, PFLASH_BLOCK_SIZE + 0x10, PFLASH_CMD_ERASE);
    CHECK_EQ_INT(array[PFLASH_BLOCK_SIZE], (uint8_t)(PFLASH_BLOCK_SIZE * 7 + 1));
    struct pflash_effect e = wr(&f, PFLASH_BLOCK_SIZE + 0x10, PFLASH_CMD_ERASE_CONFIRM);
    CHECK(e.sync);
    CHECK_EQ_INT(e.dirty_off, PFLASH_BLOCK_SIZE);
    CHECK_EQ_INT(e.dirty_len, PFLASH_BLOCK_SIZE);
    for (size_t i = PFLASH_BLOCK_SIZE; i < 2 * PFLASH_BLOCK_SIZE; i++)
        if (array[i] != 0xff) {
            CHECK(array[i] == 0xff);
            break;
        }
    CHECK_EQ_INT(array[PFLASH_BLOCK_SIZE - 1], before);      /* neighbours kept */
    CHECK_EQ_INT(array[2 * PFLASH_BLOCK_SIZE], (uint8_t)(2 * PFLASH_BLOCK_SIZE * 7 + 1));
    CHECK_EQ_INT(rd(&f, 0), PFLASH_STATUS_READY);            /* status until... */
    wr(&f, 0, PFLASH_CMD_READ_ARRAY);                        /* ...read array */
    CHECK_EQ_INT(rd(&f, PFLASH_BLOCK_SIZE), 0xff);
}

static void test_erase_bad_sequence(void)
{
    struct pflash f;
    fresh(&f);
    wr(&f, 0, PFLASH_CMD_ERASE);
    struct pflash_effect e = wr(&f, 0, 0x42);  /* not a confirm */
    CHECK_EQ_INT(e.dirty_len, 0);
    CHECK_EQ_INT(array[0], 1);                 /* nothing erased */
    CHECK_EQ_INT(rd(&f, 0) & 0x30, 0x30);      /* sequence error */
    wr(&f, 0, PFLASH_CMD_CLEAR_STATUS);
    CHECK(pflash_romd(&f));
    wr(&f, 0, PFLASH_CMD_READ_STATUS);
    CHECK_EQ_INT(rd(&f, 0), 0);
    wr(&f, 0, PFLASH_CMD_ERASE);
    wr(&f, 0, PFLASH_CMD_READ_ARRAY);          /* aborted erase */
    CHECK(pflash_romd(&f));
    CHECK_EQ_INT(array[0], 1);
}

static void test_cfi_and_id(void)
{
    struct pflash f;
    fresh(&f);
    wr(&f, 0x55, PFLASH_CMD_CFI_QUERY);
    CHECK(!pflash_romd(&f));
    CHECK_EQ_INT(rd(&f, 0x10), 'Q');
    CHECK_EQ_INT(rd(&f, 0x11), 'R');
    CHECK_EQ_INT(rd(&f, 0x12), 'Y');
    CHECK_EQ_INT(rd(&f, 0x13), 0x01);                     /* Intel/Sharp */
    CHECK_EQ_INT(rd(&f, 0x27), 14);                       /* 16 KiB = 2^14 */
    CHECK_EQ_INT(rd(&f, 0x2d) | rd(&f, 0x2e) << 8, 3);   /* 4 blocks - 1 */
    CHECK_EQ_INT((rd(&f, 0x2f) | rd(&f, 0x30) << 8) * 256, PFLASH_BLOCK_SIZE);
    CHECK_EQ_INT(rd(&f, 0x80), 0);                        /* past the table */
    wr(&f, 0, PFLASH_CMD_READ_ID);
    CHECK_EQ_INT(rd(&f, 0), PFLASH_ID_MANUFACTURER);
    CHECK_EQ_INT(rd(&f, 1), PFLASH_ID_DEVICE);
    CHECK_EQ_INT(rd(&f, PFLASH_BLOCK_SIZE + 2), 0);       /* unlocked */
    struct pflash_effect e = wr(&f, 0, PFLASH_CMD_AMD_RESET);
    CHECK(e.romd_changed);
    CHECK(pflash_romd(&f));
}

static void test_lock_commands_accepted(void)
{
    struct pflash f;
    fresh(&f);
    wr(&f, 0, PFLASH_CMD_LOCK_SETUP);
    wr(&f, 0, 0x01);                         /* lock: ignored */
    wr(&f, 0, PFLASH_CMD_PROGRAM);
    wr(&f, 0, 0x99);
    CHECK_EQ_INT(array[0], 0x99);            /* still writable */
    CHECK(!(rd(&f, 0) & PFLASH_STATUS_PROGRAM_ERROR));
}

static void test_hostile_writes(void)
{
    struct pflash f;
    fresh(&f);
    uint8_t v[8] = { PFLASH_CMD_PROGRAM };
    struct pflash_effect e = pflash_write(&f, SIZE, v, 1);     /* past the end */
    CHECK(!e.romd_changed && !e.dirty_len);
    CHECK(pflash_romd(&f));
    e = pflash_write(&f, SIZE - 2, v, 4);                       /* straddles */
    CHECK(!e.romd_changed && !e.dirty_len);
    e = pflash_write(&f, 0, v, 0);
    CHECK(!e.romd_changed);
    e = pflash_write(&f, 0, v, 9);
    CHECK(!e.romd_changed);
    e = pflash_write(&f, UINT64_MAX, v, 1);
    CHECK(!e.romd_changed);
    /* a program whose data would run past the end is dropped, the
     * command stays pending */
    wr(&f, SIZE - 1, PFLASH_CMD_PROGRAM);
    e = pflash_write(&f, SIZE - 1, v, 2);
    CHECK_EQ_INT(e.dirty_len, 0);
    CHECK_EQ_INT(array[SIZE - 1], (uint8_t)((SIZE - 1) * 7 + 1));
    /* unknown commands read the array again */
    for (unsigned c = 0; c < 256; c++) {
        fresh(&f);
        uint8_t cmd = (uint8_t)c;
        pflash_write(&f, 0, &cmd, 1);
        bool known = c == 0x10 || c == 0x40 || c == 0x20 || c == 0x60 ||
                     c == 0x70 || c == 0x90 || c == 0x98;
        CHECK(pflash_romd(&f) == !known);
        CHECK_EQ_INT(array[0], 1);       /* no command alone changes data */
    }
}

static void test_layout(void)
{
    struct pflash_layout l;
    char err[200];
    CHECK_EQ_INT(pflash_layout(3653632, 540672, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.code_base, 0xffc84000ULL);
    CHECK_EQ_INT(l.vars_base, 0xffc00000ULL);
    CHECK_EQ_INT(pflash_layout(1966080, 131072, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.vars_base, 0xffe00000ULL);
    CHECK_EQ_INT(pflash_layout(3653632, 131072, &l, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "OVMF_VARS_4M.fd") != NULL);
    CHECK_EQ_INT(pflash_layout(3653632 + 1, 540672, &l, err, sizeof(err)), -EINVAL);
    CHECK_EQ_INT(pflash_layout(16u << 20, 0, &l, err, sizeof(err)), -EINVAL);
    CHECK_EQ_INT(pflash_layout(12u << 20, 4u << 20, &l, err, sizeof(err)), -EINVAL);
}

/* --- pflash_dev over a real file ---------------------------------------- */

static char tmpdir[] = "/tmp/test_pflash.XXXXXX";

static void write_file(const char *path, const uint8_t *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ_INT(write(fd, buf, len), (long long)len);
    close(fd);
}

static int romd_calls, romd_last;
static int record_romd(void *ctx, bool romd)
{
    (void)ctx;
    romd_calls++;
    romd_last = romd;
    return 0;
}

static void mmio_w(struct pflash_dev *d, uint64_t off, uint8_t v)
{
    pflash_dev_mmio(d, off, &v, 1, true);
}

static void test_dev_writes_reach_file(void)
{
    static uint8_t img[SIZE];
    char path[256], err[256];
    nvram_sample(img, SIZE);
    snprintf(path, sizeof(path), "%s/nvram.fd", tmpdir);
    write_file(path, img, SIZE);
    struct pflash_dev d;
    CHECK_EQ_INT(pflash_dev_open_vars(&d, path, err, sizeof(err)), 0);
    romd_calls = 0;
    pflash_dev_set_romd_fn(&d, record_romd, NULL);
    mmio_w(&d, 0x2000, PFLASH_CMD_ERASE);
    CHECK_EQ_INT(romd_calls, 1);
    CHECK_EQ_INT(romd_last, 0);
    mmio_w(&d, 0x2000, PFLASH_CMD_ERASE_CONFIRM);
    mmio_w(&d, 0x2000, PFLASH_CMD_PROGRAM);
    mmio_w(&d, 0x2000, 0x5a);
    mmio_w(&d, 0x2001, PFLASH_CMD_PROGRAM);
    mmio_w(&d, 0x2001, 0xa5);
    /* already in the file before the sequence ends */
    uint8_t back[4];
    int fd = open(path, O_RDONLY);
    CHECK_EQ_INT(pread(fd, back, 3, 0x2000), 3);
    CHECK_EQ_INT(back[0], 0x5a);
    CHECK_EQ_INT(back[1], 0xa5);
    CHECK_EQ_INT(back[2], 0xff);                     /* erased */
    mmio_w(&d, 0x2001, PFLASH_CMD_READ_ARRAY);
    CHECK_EQ_INT(romd_calls, 2);
    CHECK_EQ_INT(romd_last, 1);
    CHECK(!d.unsynced);                              /* fdatasync'ed */
    uint8_t r = 0;
    pflash_dev_mmio(&d, 0x2001, &r, 1, false);
    CHECK_EQ_INT(r, 0xa5);
    CHECK_EQ_INT(pflash_dev_close(&d), 0);
    /* and it opens again with the change */
    CHECK_EQ_INT(pflash_dev_open_vars(&d, path, err, sizeof(err)), 0);
    CHECK_EQ_INT(d.array[0x2000], 0x5a);
    CHECK_EQ_INT(pflash_dev_close(&d), 0);
    close(fd);
    unlink(path);
}

static void test_dev_rejects_bad_files(void)
{
    static uint8_t img[SIZE];
    char path[256], err[256];
    struct pflash_dev d;
    snprintf(path, sizeof(path), "%s/bad.fd", tmpdir);
    nvram_sample(img, SIZE);
    write_file(path, img, SIZE - PFLASH_BLOCK_SIZE);  /* truncated */
    CHECK_EQ_INT(pflash_dev_open_vars(&d, path, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "the wrong size") != NULL);
    CHECK(strstr(err, path) == err);
    img[40] = 'X';                                    /* bad signature */
    write_file(path, img, SIZE);
    CHECK_EQ_INT(pflash_dev_open_vars(&d, path, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "_FVH") != NULL);
    snprintf(path, sizeof(path), "%s/missing.fd", tmpdir);
    CHECK_EQ_INT(pflash_dev_open_vars(&d, path, err, sizeof(err)), -ENOENT);
    CHECK_EQ_INT(pflash_dev_open_code(&d, path, err, sizeof(err)), -ENOENT);
    snprintf(path, sizeof(path), "%s/code.fd", tmpdir);
    write_file(path, img, 1000);                      /* not whole blocks */
    CHECK_EQ_INT(pflash_dev_open_code(&d, path, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "not a UEFI firmware code image") != NULL);
    unlink(path);
    snprintf(path, sizeof(path), "%s/bad.fd", tmpdir);
    unlink(path);
}

static void test_dev_code_ignores_writes(void)
{
    static uint8_t img[SIZE];
    char path[256], err[256];
    for (size_t i = 0; i < SIZE; i++)
        img[i] = (uint8_t)i;
    snprintf(path, sizeof(path), "%s/code.fd", tmpdir);
    write_file(path, img, SIZE);
    struct pflash_dev d;
    CHECK_EQ_INT(pflash_dev_open_code(&d, path, err, sizeof(err)), 0);
    mmio_w(&d, 0x10, PFLASH_CMD_PROGRAM);
    mmio_w(&d, 0x10, 0x00);
    mmio_w(&d, 0x10, PFLASH_CMD_READ_STATUS);
    uint8_t r;
    pflash_dev_mmio(&d, 0x10, &r, 1, false);
    CHECK_EQ_INT(r, 0x10);                            /* still the image */
    CHECK(pflash_romd(&d.flash));
    CHECK_EQ_INT(pflash_dev_close(&d), 0);
    unlink(path);
}

int main(void)
{
    CHECK(mkdtemp(tmpdir) != NULL);
    RUN(test_init_rejects);
    RUN(test_read_array);
    RUN(test_ovmf_detection);
    RUN(test_program_sequence);
    RUN(test_block_erase);
    RUN(test_erase_bad_sequence);
    RUN(test_cfi_and_id);
    RUN(test_lock_commands_accepted);
    RUN(test_hostile_writes);
    RUN(test_layout);
    RUN(test_dev_writes_reach_file);
    RUN(test_dev_rejects_bad_files);
    RUN(test_dev_code_ignores_writes);
    rmdir(tmpdir);
    return check_summary("pflash");
}
