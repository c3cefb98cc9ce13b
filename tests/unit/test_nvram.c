/* nvram: the variables file's check (good, damaged, wrong size) and its
 * creation from a template that never leaves a half-written file. */
#include "check.h"
#include "../../lib/nvram.h"
#include "../../lib/nvram_file.h"
#include "nvram_sample.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEN 0x8000
static uint8_t good[LEN];

static void make_good(void)
{
    nvram_sample(good, LEN);
}

static int check_variant(void (*damage)(uint8_t *), const char *expect)
{
    static uint8_t buf[LEN];
    char err[256] = "";
    memcpy(buf, good, LEN);
    damage(buf);
    int rc = nvram_check(buf, LEN, err, sizeof(err));
    CHECK(strstr(err, "not a UEFI variables file: ") == err);
    if (!strstr(err, expect)) {
        fprintf(stderr, "expected \"%s\" in \"%s\"\n", expect, err);
        CHECK(0);
    }
    return rc;
}

static void bad_signature(uint8_t *b) { b[41] = 'x'; }
static void bad_guid(uint8_t *b) { b[16] ^= 1; }
static void bad_checksum(uint8_t *b) { b[50] ^= 1; }
static void bad_length(uint8_t *b) { nvram_sample_put_le(b + 32, LEN * 2, 8); nvram_sample_fix_checksum(b); }
static void bad_hdrlen(uint8_t *b) { nvram_sample_put_le(b + 48, 0x7fff, 2); nvram_sample_fix_checksum(b); }
static void bad_revision(uint8_t *b) { b[55] = 1; nvram_sample_fix_checksum(b); }
static void bad_blockmap(uint8_t *b) { nvram_sample_put_le(b + 56, 3, 4); nvram_sample_fix_checksum(b); }
static void bad_store_guid(uint8_t *b) { b[72] ^= 1; }
static void bad_store_size(uint8_t *b) { nvram_sample_put_le(b + 88, LEN, 4); }
static void bad_store_format(uint8_t *b) { b[92] = 0; }

static void test_check(void)
{
    char err[256];
    make_good();
    CHECK_EQ_INT(nvram_check(good, LEN, err, sizeof(err)), 0);
    static uint8_t plain[LEN]; /* gEfiVariableGuid: a store without authentication */
    static const uint8_t variable_guid[16] = { 0x16, 0x36, 0xcf, 0xdd, 0x75, 0x32, 0x64, 0x41,
                                               0x98, 0xb6, 0xfe, 0x85, 0x70, 0x7f, 0xfe, 0x7d };
    memcpy(plain, good, LEN);
    memcpy(plain + 72, variable_guid, 16);
    CHECK_EQ_INT(nvram_check(plain, LEN, err, sizeof(err)), 0);
    CHECK_EQ_INT(check_variant(bad_signature, "_FVH"), -EINVAL);
    CHECK_EQ_INT(check_variant(bad_guid, "NV data"), -EINVAL);
    CHECK_EQ_INT(check_variant(bad_checksum, "checksum"), -EINVAL);
    CHECK_EQ_INT(check_variant(bad_length, "the wrong size"), -EINVAL);
    CHECK_EQ_INT(check_variant(bad_hdrlen, "header length"), -EINVAL);
    CHECK_EQ_INT(check_variant(bad_revision, "revision"), -EINVAL);
    CHECK_EQ_INT(check_variant(bad_blockmap, "block map"), -EINVAL);
    CHECK_EQ_INT(check_variant(bad_store_guid, "no variable store"), -EINVAL);
    CHECK_EQ_INT(check_variant(bad_store_size, "size"), -EINVAL);
    CHECK_EQ_INT(check_variant(bad_store_format, "not formatted"), -EINVAL);
    CHECK_EQ_INT(nvram_check(good, LEN - 0x1000, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "the wrong size") != NULL);
    CHECK_EQ_INT(nvram_check(good, 40, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "too small") != NULL);
    CHECK_EQ_INT(nvram_check(good, 0, err, sizeof(err)), -EINVAL);
}

/* Debian's own files, when this machine has the ovmf package. */
static void test_debian_ovmf_vars(void)
{
    char err[256];
    const char *files[] = { "/usr/share/OVMF/OVMF_VARS_4M.fd", "/usr/share/OVMF/OVMF_VARS.fd" };
    for (size_t i = 0; i < 2; i++) {
        if (access(files[i], R_OK))
            continue;
        CHECK_EQ_INT(nvram_file_check(files[i], err, sizeof(err)), 0);
    }
    if (!access("/usr/share/OVMF/OVMF_CODE_4M.fd", R_OK)) {
        CHECK_EQ_INT(nvram_file_check("/usr/share/OVMF/OVMF_CODE_4M.fd", err,
                                      sizeof(err)), -EINVAL);
        CHECK(strstr(err, "/usr/share/OVMF/OVMF_CODE_4M.fd: not a UEFI variables file") == err);
    }
}

static char dir[] = "/tmp/test_nvram.XXXXXX";

static void test_create(void)
{
    char tmpl[256], dest[256], tmp[300], err[256];
    snprintf(tmpl, sizeof(tmpl), "%s/template.fd", dir);
    snprintf(dest, sizeof(dest), "%s/nvram.fd", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", dest);
    make_good();
    int fd = open(tmpl, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_EQ_INT(write(fd, good, LEN), LEN);
    close(fd);
    CHECK_EQ_INT(nvram_file_create(tmpl, dest, err, sizeof(err)), 0);
    uint8_t *back;
    size_t len;
    CHECK_EQ_INT(nvram_file_read(dest, &back, &len, err, sizeof(err)), 0);
    CHECK_EQ_INT(len, LEN);
    CHECK(memcmp(back, good, LEN) == 0);
    free(back);
    CHECK(access(tmp, F_OK) != 0);              /* no temp left */
    struct stat st;
    CHECK_EQ_INT(stat(dest, &st), 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);

    /* a damaged template: dest keeps what it had, no temp file */
    fd = open(tmpl, O_WRONLY | O_TRUNC);
    CHECK_EQ_INT(write(fd, good, 100), 100);
    close(fd);
    CHECK_EQ_INT(nvram_file_create(tmpl, dest, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, tmpl) == err);
    CHECK_EQ_INT(nvram_file_check(dest, err, sizeof(err)), 0);
    CHECK(access(tmp, F_OK) != 0);
    /* a missing template */
    unlink(tmpl);
    CHECK_EQ_INT(nvram_file_create(tmpl, dest, err, sizeof(err)), -ENOENT);
    /* a file over 8 MiB is not read at all */
    fd = open(tmpl, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_EQ_INT(ftruncate(fd, 9 << 20), 0);
    close(fd);
    CHECK_EQ_INT(nvram_file_check(tmpl, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "larger than 8 MiB") != NULL);
    unlink(tmpl);
    /* a directory is not a variables file */
    CHECK_EQ_INT(nvram_file_check(dir, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "not a regular file") != NULL);
    unlink(dest);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    RUN(test_check);
    RUN(test_debian_ovmf_vars);
    RUN(test_create);
    rmdir(dir);
    return check_summary("nvram");
}
