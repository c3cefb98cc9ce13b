/* Unit tests for lib/conf.c: parsing (good and hostile input),
 * editing, formatting round trips, atomic writes and the value parsers. */
#include "check.h"
#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB ((uint64_t)1 << 20)

static int parse_str(const char *text, struct conf *c, struct conf_error *err)
{
    conf_init(c);
    return conf_parse(text, strlen(text), "t.conf", c, err);
}

/* Parses text expecting failure; returns the error's line and checks the
 * reason mentions want. */
static int parse_fails(const char *text, size_t len, const char *want)
{
    struct conf c;
    struct conf_error err;
    conf_init(&c);
    int rc = conf_parse(text, len, "t.conf", &c, &err);
    conf_free(&c);
    CHECK_EQ_INT(rc, -EINVAL);
    if (rc != -EINVAL)
        return -1;
    if (!strstr(err.reason, want)) {
        fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", err.reason, want);
        CHECK(0);
    }
    CHECK_EQ_STR(err.path, "t.conf");
    return err.line;
}

static void test_parse_basic(void)
{
    struct conf c;
    struct conf_error err;
    const char *text = "# a comment\n"
                       "\n"
                       "name = web1\n"
                       "  memory=512M  \n"
                       "cmdline = \"console=ttyS0 # not a comment \"\n"
                       "note = plain # trailing comment\n"
                       "esc = \"a\\\"b\\\\c\"\n"
                       "empty =\n"
                       "crlf = x\r\n"
                       "last = no-newline";
    CHECK_EQ_INT(parse_str(text, &c, &err), 0);
    CHECK_EQ_INT(c.count, 8);
    CHECK_EQ_STR(conf_get(&c, "name"), "web1");
    CHECK_EQ_STR(conf_get(&c, "memory"), "512M");
    CHECK_EQ_STR(conf_get(&c, "cmdline"), "console=ttyS0 # not a comment ");
    CHECK_EQ_STR(conf_get(&c, "note"), "plain");
    CHECK_EQ_STR(conf_get(&c, "esc"), "a\"b\\c");
    CHECK_EQ_STR(conf_get(&c, "empty"), "");
    CHECK_EQ_STR(conf_get(&c, "crlf"), "x");
    CHECK_EQ_STR(conf_get(&c, "last"), "no-newline");
    CHECK(conf_get(&c, "absent") == NULL);
    CHECK_EQ_INT(conf_line_of(&c, "name"), 3);
    CHECK_EQ_INT(conf_line_of(&c, "last"), 10);
    CHECK_EQ_INT(conf_line_of(&c, "absent"), 0);
    conf_free(&c);
}

static void test_parse_duplicates_and_lists(void)
{
    struct conf c;
    struct conf_error err;
    CHECK_EQ_INT(parse_str("disk = a\nname = x\ndisk = b\ndisk = c\n", &c, &err), 0);
    const char *vals[2];
    CHECK_EQ_INT(conf_get_all(&c, "disk", vals, 2), 3); /* counts past max */
    CHECK_EQ_STR(vals[0], "a");
    CHECK_EQ_STR(vals[1], "b");
    CHECK_EQ_STR(conf_get(&c, "disk"), "c"); /* the last one wins */
    CHECK_EQ_INT(conf_line_of(&c, "disk"), 4);
    CHECK_EQ_INT(conf_get_all(&c, "none", vals, 2), 0);
    conf_free(&c);
}

static void test_parse_bad_input(void)
{
    CHECK_EQ_INT(parse_fails("a = 1\nno equals sign\n", 22, "expected"), 2);
    CHECK_EQ_INT(parse_fails("Name = x\n", 9, "bad key"), 1);
    CHECK_EQ_INT(parse_fails(" = x\n", 5, "bad key"), 1);
    CHECK_EQ_INT(parse_fails("na me = x\n", 10, "bad key"), 1);
    CHECK_EQ_INT(parse_fails("a = 1\n\nb = \"open\n", 18, "unterminated"), 3);
    CHECK_EQ_INT(parse_fails("b = \"x\" y\n", 10, "after the closing quote"), 1);
    CHECK_EQ_INT(parse_fails("a = 1\nb = x\0y\n", 14, "NUL"), 2);
    CHECK_EQ_INT(parse_fails("b = x\x01y\n", 8, "control character"), 1);
    CHECK_EQ_INT(parse_fails("b = \"x\x1b\"\n", 9, "control character"), 1);

    char key[CONF_MAX_KEY + 8];
    memset(key, 'k', sizeof(key));
    memcpy(key + CONF_MAX_KEY, " = 1\n", 5);
    CHECK_EQ_INT(parse_fails(key, CONF_MAX_KEY + 5, "bad key"), 1);
}

static void test_parse_long_line(void)
{
    size_t len = CONF_MAX_LINE + 10;
    char *text = malloc(len);
    memcpy(text, "ok = 1\nk = ", 11);
    memset(text + 11, 'v', len - 12);
    text[len - 1] = '\n';
    CHECK_EQ_INT(parse_fails(text, len, "line longer"), 2);

    /* Exactly CONF_MAX_LINE bytes is still fine. */
    struct conf c;
    struct conf_error err;
    conf_init(&c);
    size_t ok_len = 7 + CONF_MAX_LINE + 1;
    memset(text + 11, 'v', ok_len - 12);
    text[ok_len - 1] = '\n';
    CHECK_EQ_INT(conf_parse(text, ok_len, "t.conf", &c, &err), 0);
    CHECK_EQ_INT(strlen(conf_get(&c, "k")), CONF_MAX_LINE - 4);
    conf_free(&c);
    free(text);
}

static void test_parse_huge_file(void)
{
    size_t len = CONF_MAX_FILE_BYTES + 1;
    char *text = malloc(len);
    memset(text, '\n', len);
    CHECK_EQ_INT(parse_fails(text, len, "larger than"), 0);
    free(text);
}

static void check_conf_equal(const struct conf *a, const struct conf *b)
{
    CHECK_EQ_INT(a->count, b->count);
    for (size_t i = 0; i < a->count && i < b->count; i++) {
        CHECK_EQ_STR(a->entries[i].key, b->entries[i].key);
        CHECK_EQ_STR(a->entries[i].value, b->entries[i].value);
    }
}

static void test_format_round_trip(void)
{
    struct conf c, back;
    struct conf_error err;
    conf_init(&c);
    const char *values[] = { "plain", "", " lead", "trail ", "has # hash",
                             "\"starts quoted", "back\\slash # and \"q\"",
                             "mid\"quote", "tab\there", "a\\" };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        CHECK_EQ_INT(conf_add(&c, "k", values[i]), 0);
    char *text = conf_format(&c);
    CHECK(text != NULL);
    CHECK_EQ_INT(parse_str(text, &back, &err), 0);
    check_conf_equal(&c, &back);
    free(text);
    conf_free(&back);
    conf_free(&c);
}

static void test_edit(void)
{
    struct conf c;
    struct conf_error err;
    CHECK_EQ_INT(parse_str("a = 1\nb = 2\na = 3\nc = 4\n", &c, &err), 0);
    CHECK_EQ_INT(conf_set(&c, "a", "9"), 0);
    CHECK_EQ_INT(c.count, 3);
    CHECK_EQ_STR(c.entries[0].key, "a");
    CHECK_EQ_STR(c.entries[0].value, "9");
    CHECK_EQ_INT(c.entries[0].line, 0);
    CHECK_EQ_STR(c.entries[2].key, "c");
    CHECK_EQ_INT(conf_set(&c, "d", "new"), 0);
    CHECK_EQ_STR(c.entries[3].key, "d");
    CHECK_EQ_INT(conf_unset(&c, "b"), 1);
    CHECK_EQ_INT(conf_unset(&c, "b"), 0);
    CHECK(conf_get(&c, "b") == NULL);
    CHECK_EQ_INT(conf_set(&c, "Bad", "x"), -EINVAL);
    CHECK_EQ_INT(conf_add(&c, "k", "line\nbreak"), -EINVAL);
    CHECK_EQ_INT(conf_add(&c, "", "x"), -EINVAL);

    char *big = malloc(CONF_MAX_LINE + 1);
    memset(big, 'x', CONF_MAX_LINE);
    big[CONF_MAX_LINE] = '\0';
    CHECK_EQ_INT(conf_add(&c, "k", big), -E2BIG);
    big[CONF_MAX_LINE - 4] = '\0'; /* "k = " + value is exactly the limit */
    CHECK_EQ_INT(conf_add(&c, "k", big), 0);
    free(big);
    conf_free(&c);
}

/* ---- files ---------------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/corral-test-conf.XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
}

static int count_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void test_write_atomic_and_load(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/vm.conf", tmpdir);
    struct conf c, back;
    struct conf_error err;
    conf_init(&c);
    conf_set(&c, "name", "web1");
    conf_add(&c, "disk", "/a b.img");
    CHECK_EQ_INT(conf_write_atomic(path, &c, 0600), 0);
    struct stat st;
    CHECK_EQ_INT(stat(path, &st), 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    CHECK_EQ_INT(count_dir_entries(tmpdir), 1); /* no temp file left */
    conf_init(&back);
    CHECK_EQ_INT(conf_load(path, &back, &err), 0);
    check_conf_equal(&c, &back);
    CHECK_EQ_INT(back.entries[1].line, 2);
    unlink(path);
    conf_free(&back);
    conf_free(&c);
}

static void check_file_holds(const char *path, const char *want)
{
    char buf[64] = { 0 };
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, sizeof(buf) - 1) >= 0);
    close(fd);
    CHECK_EQ_STR(buf, want);
}

static void test_write_fails_keeps_old_file(void)
{
    char dir[128], path[160];
    snprintf(dir, sizeof(dir), "%s/ro", tmpdir);
    snprintf(path, sizeof(path), "%s/x.conf", dir);
    CHECK_EQ_INT(mkdir(dir, 0700), 0);
    CHECK_EQ_INT(write_file_atomic(path, "old = 1\n", 8, 0644), 0);
    CHECK_EQ_INT(chmod(dir, 0500), 0);
    int rc = write_file_atomic(path, "new = 2\n", 8, 0644);
    if (geteuid() != 0) /* root ignores directory permissions */
        CHECK_EQ_INT(rc, -EACCES);
    chmod(dir, 0700);
    if (rc < 0) {
        check_file_holds(path, "old = 1\n");
        CHECK_EQ_INT(count_dir_entries(dir), 1);
    }
    /* A missing directory fails for everyone, root included. */
    char missing[200];
    snprintf(missing, sizeof(missing), "%s/nodir/x.conf", tmpdir);
    CHECK_EQ_INT(write_file_atomic(missing, "a = 1\n", 6, 0644), -ENOENT);
    unlink(path);
    rmdir(dir);
}

static void test_write_fails_midway_keeps_old_file(void)
{
    /* A file size limit makes write() fail after the temp file exists, for
     * root too: the old file must stay as it was and the temp file go. */
    char path[128];
    snprintf(path, sizeof(path), "%s/limited.conf", tmpdir);
    CHECK_EQ_INT(write_file_atomic(path, "old = 1\n", 8, 0644), 0);
    int before = count_dir_entries(tmpdir);
    struct rlimit saved, small = { 4, 0 };
    CHECK_EQ_INT(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small.rlim_max = saved.rlim_max;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = write_file_atomic(path, "new = 22\n", 9, 0644);
    setrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, old_handler);
    CHECK_EQ_INT(rc, -EFBIG);
    CHECK_EQ_INT(count_dir_entries(tmpdir), before);
    check_file_holds(path, "old = 1\n");
    unlink(path);
}

static void test_write_to_directory_path_fails_cleanly(void)
{
    /* rename() onto a non-empty directory fails after the temp file was
     * written: the temp file must be removed and the directory kept. */
    char path[128], inner[160];
    snprintf(path, sizeof(path), "%s/isdir", tmpdir);
    snprintf(inner, sizeof(inner), "%s/keep", path);
    CHECK_EQ_INT(mkdir(path, 0700), 0);
    CHECK_EQ_INT(write_file_atomic(inner, "k = 1\n", 6, 0600), 0);
    int before = count_dir_entries(tmpdir);
    int rc = write_file_atomic(path, "x = 1\n", 6, 0600);
    CHECK(rc == -EISDIR || rc == -ENOTEMPTY || rc == -EEXIST);
    CHECK_EQ_INT(count_dir_entries(tmpdir), before);
    unlink(inner);
    rmdir(path);
}

static void test_load_errors(void)
{
    struct conf c;
    struct conf_error err;
    char path[128], msg[512];
    conf_init(&c);
    snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
    CHECK_EQ_INT(conf_load(path, &c, &err), -ENOENT);
    conf_error_format(&err, msg, sizeof(msg));
    CHECK(strstr(msg, "missing.conf: No such file") != NULL);

    /* A file bigger than the limit is refused, not truncated. */
    snprintf(path, sizeof(path), "%s/huge.conf", tmpdir);
    size_t len = CONF_MAX_FILE_BYTES + 100;
    char *big = malloc(len);
    memset(big, '#', len);
    CHECK_EQ_INT(write_file_atomic(path, big, len, 0600), 0);
    CHECK_EQ_INT(conf_load(path, &c, &err), -EINVAL);
    CHECK(strstr(err.reason, "larger than") != NULL);
    free(big);
    unlink(path);

    snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
    CHECK_EQ_INT(write_file_atomic(path, "a = 1\nb\n", 8, 0600), 0);
    CHECK_EQ_INT(conf_load(path, &c, &err), -EINVAL);
    conf_error_format(&err, msg, sizeof(msg));
    char want[256];
    snprintf(want, sizeof(want), "%s:2: expected 'key = value'", path);
    CHECK_EQ_STR(msg, want);
    unlink(path);
    conf_free(&c);
}

/* ---- value parsers -------------------------------------------------------- */

static void check_size(const char *s, uint64_t unit, int want_rc, uint64_t want)
{
    uint64_t v = 12345;
    int rc = conf_parse_size(s, unit, &v);
    if (rc != want_rc)
        fprintf(stderr, "size \"%s\": rc %d, want %d\n", s, rc, want_rc);
    CHECK_EQ_INT(rc, want_rc);
    CHECK(v == (want_rc == 0 ? want : 12345));
}

static void test_parse_size(void)
{
    check_size("512", MIB, 0, 512 * MIB);
    check_size("512", 1, 0, 512);
    check_size("512M", 1, 0, 512 * MIB);
    check_size("1G", MIB, 0, 1024 * MIB);
    check_size("1.5G", MIB, 0, 1536 * MIB);
    check_size("64K", MIB, 0, 64 * 1024);
    check_size("64k", MIB, 0, 64 * 1024);
    check_size("2T", MIB, 0, 2 * MIB * MIB);
    check_size("2GiB", MIB, 0, 2048 * MIB);
    check_size("2gb", MIB, 0, 2048 * MIB);
    check_size("100B", MIB, 0, 100);
    check_size("0", MIB, 0, 0);
    check_size("16777215T", 1, 0, 16777215 * MIB * MIB);
    check_size("16777216T", 1, -ERANGE, 0);   /* 2^64 */
    check_size("99999999999T", 1, -ERANGE, 0);
    check_size("99999999999999999999", 1, -EINVAL, 0); /* > 2^64 digits */
    check_size("18446744073709551615", 1, 0, UINT64_MAX);
    check_size("17592186044416", MIB, -ERANGE, 0); /* 2^44 MiB = 2^64 */
    check_size("-1", MIB, -EINVAL, 0);
    check_size("-1G", MIB, -EINVAL, 0);
    check_size("+1G", MIB, -EINVAL, 0);
    check_size("", MIB, -EINVAL, 0);
    check_size("G", MIB, -EINVAL, 0);
    check_size("1 G", MIB, -EINVAL, 0);
    check_size(" 1G", MIB, -EINVAL, 0);
    check_size("1X", MIB, -EINVAL, 0);
    check_size("1GG", MIB, -EINVAL, 0);
    check_size("1Bi", MIB, -EINVAL, 0);
    check_size("1.", MIB, -EINVAL, 0);
    check_size(".5G", MIB, -EINVAL, 0);
    check_size("1.5", 1, -EINVAL, 0);      /* not whole bytes */
    check_size("0.3K", 1, -EINVAL, 0);     /* 307.2 bytes */
    check_size("1.1234567G", 1, -EINVAL, 0); /* too many decimals */
    check_size("1.25K", 1, 0, 1280);
}

static void test_parse_uint(void)
{
    uint64_t v = 7;
    CHECK_EQ_INT(conf_parse_uint("4", 1, 64, &v), 0);
    CHECK_EQ_INT(v, 4);
    CHECK_EQ_INT(conf_parse_uint("0", 1, 64, &v), -ERANGE);
    CHECK_EQ_INT(conf_parse_uint("65", 1, 64, &v), -ERANGE);
    CHECK_EQ_INT(conf_parse_uint("-1", 0, 64, &v), -EINVAL);
    CHECK_EQ_INT(conf_parse_uint("+1", 0, 64, &v), -EINVAL);
    CHECK_EQ_INT(conf_parse_uint("", 0, 64, &v), -EINVAL);
    CHECK_EQ_INT(conf_parse_uint("1x", 0, 64, &v), -EINVAL);
    CHECK_EQ_INT(conf_parse_uint("99999999999999999999999", 0, UINT64_MAX, &v),
                 -EINVAL);
    CHECK_EQ_INT(v, 4);
}

static void test_parse_bool(void)
{
    int b = -1;
    CHECK_EQ_INT(conf_parse_bool("yes", &b), 0);
    CHECK_EQ_INT(b, 1);
    CHECK_EQ_INT(conf_parse_bool("OFF", &b), 0);
    CHECK_EQ_INT(b, 0);
    CHECK_EQ_INT(conf_parse_bool("1", &b), 0);
    CHECK_EQ_INT(b, 1);
    CHECK_EQ_INT(conf_parse_bool("", &b), -EINVAL);
    CHECK_EQ_INT(conf_parse_bool("yess", &b), -EINVAL);
    CHECK_EQ_INT(b, 1);
}

static void test_error_format(void)
{
    struct conf_error err;
    char buf[64];
    CHECK_EQ_INT(conf_error_set(&err, "vm.conf", 12, "memory: %s", "not a size"),
                 -EINVAL);
    conf_error_format(&err, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "vm.conf:12: memory: not a size");
    conf_error_set(&err, NULL, 0, "plain");
    conf_error_format(&err, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "plain");
    CHECK_EQ_INT(conf_error_set(NULL, "x", 1, "ignored"), -EINVAL);
}

int main(void)
{
    make_tmpdir();
    RUN(test_parse_basic);
    RUN(test_parse_duplicates_and_lists);
    RUN(test_parse_bad_input);
    RUN(test_parse_long_line);
    RUN(test_parse_huge_file);
    RUN(test_format_round_trip);
    RUN(test_edit);
    RUN(test_write_atomic_and_load);
    RUN(test_write_fails_keeps_old_file);
    RUN(test_write_fails_midway_keeps_old_file);
    RUN(test_write_to_directory_path_fails_cleanly);
    RUN(test_load_errors);
    RUN(test_parse_size);
    RUN(test_parse_uint);
    RUN(test_parse_bool);
    RUN(test_error_format);
    CHECK_EQ_INT(rmdir(tmpdir), 0);
    return check_summary("conf");
}
