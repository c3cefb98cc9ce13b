/* control_proto: request parsing and line framing of the control socket. */
#include "check.h"
#include "../../lib/control_proto.h"

static struct control_args args;

static int parse(const char *line, enum control_cmd *cmd, const char **code)
{
    char why[160];
    return control_parse(line, strlen(line), cmd, &args, code, why, sizeof(why));
}

static void test_commands(void)
{
    static const char *const names[] = { "status", "pause", "resume",
                                         "shutdown", "stop", "console" };
    for (unsigned i = 0; i < 6; i++) {
        enum control_cmd cmd = CONTROL_STOP;
        const char *code = NULL;
        CHECK_EQ_INT(parse(names[i], &cmd, &code), 0);
        CHECK_EQ_INT(cmd, i);
        CHECK_EQ_STR(control_cmd_name(cmd), names[i]);
    }
    enum control_cmd cmd;
    const char *code;
    CHECK_EQ_INT(parse("  status \r", &cmd, &code), 0); /* blanks, CRLF */
    CHECK_EQ_INT(cmd, CONTROL_STATUS);
}

static void test_bad_requests(void)
{
    enum control_cmd cmd;
    const char *code = NULL;
    char why[160];
    CHECK_EQ_INT(parse("", &cmd, &code), -1);
    CHECK_EQ_STR(code, CONTROL_E_BAD_REQUEST);
    CHECK_EQ_INT(parse("reboot", &cmd, &code), -1);
    CHECK_EQ_STR(code, CONTROL_E_UNKNOWN);
    CHECK_EQ_INT(parse("STATUS", &cmd, &code), -1); /* words are lower case */
    CHECK_EQ_STR(code, CONTROL_E_UNKNOWN);
    CHECK_EQ_INT(parse("statusx", &cmd, &code), -1);
    CHECK_EQ_STR(code, CONTROL_E_UNKNOWN);
    CHECK_EQ_INT(parse("pause now", &cmd, &code), -1);
    CHECK_EQ_STR(code, CONTROL_E_BAD_REQUEST);
    CHECK_EQ_INT(parse("stop\x01", &cmd, &code), -1);
    CHECK_EQ_STR(code, CONTROL_E_BAD_REQUEST);
    CHECK_EQ_INT(control_parse("st\0op", 5, &cmd, &args, &code, why, sizeof(why)), -1);
    CHECK_EQ_STR(code, CONTROL_E_BAD_REQUEST);
    char big[300];
    memset(big, 'a', sizeof(big));
    CHECK_EQ_INT(control_parse(big, sizeof(big), &cmd, &args, &code, why, sizeof(why)), -1);
    CHECK_EQ_STR(code, CONTROL_E_TOO_LONG);
    /* the reason names the word, but not more than 32 bytes of it */
    CHECK_EQ_INT(control_parse(big, 100, &cmd, &args, &code, why, sizeof(why)), -1);
    const char *word = strstr(why, "): ");
    CHECK(word && strlen(word + 3) == 32);
}

/* Each of the n lines is refused as a bad request. */
static void expect_bad_requests(const char *const *bad, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        enum control_cmd cmd;
        const char *code = NULL;
        if (parse(bad[i], &cmd, &code) != -1)
            fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK_EQ_STR(code, CONTROL_E_BAD_REQUEST);
    }
}

static void test_cdrom_requests(void)
{
    enum control_cmd cmd;
    const char *code = NULL;
    CHECK_EQ_INT(parse("cdrom-eject 1", &cmd, &code), 0);
    CHECK_EQ_INT(cmd, CONTROL_CDROM_EJECT);
    CHECK_EQ_INT(args.drive, 1);
    CHECK_EQ_INT(parse(" cdrom-insert 12 /isos/a b.iso \r", &cmd, &code), 0);
    CHECK_EQ_INT(cmd, CONTROL_CDROM_INSERT);
    CHECK_EQ_INT(args.drive, 12);
    CHECK_EQ_STR(args.path, "/isos/a b.iso");
    CHECK_EQ_STR(control_cmd_name(cmd), "cdrom-insert");
    static const char *const bad[] = {
        "cdrom-eject", "cdrom-eject x", "cdrom-eject 100", "cdrom-eject 1 2",
        "cdrom-eject -1", "cdrom-insert 0", "cdrom-insert /a.iso",
        "cdrom-insert 0x1 /a", "cdrom-insert 123 /a",
    };
    expect_bad_requests(bad, sizeof(bad) / sizeof(bad[0]));
    CHECK_EQ_INT(parse("cdrom-ejectx 1", &cmd, &code), -1);
    CHECK_EQ_STR(code, CONTROL_E_UNKNOWN);
}

/* disk N: which disk's I/O mode (every bus, definition order). */
static void test_disk_requests(void)
{
    enum control_cmd cmd;
    const char *code = NULL;
    CHECK_EQ_INT(parse("disk 0", &cmd, &code), 0);
    CHECK_EQ_INT(cmd, CONTROL_DISK);
    CHECK_EQ_INT(args.disk, 0);
    CHECK_EQ_STR(control_cmd_name(cmd), "disk");
    CHECK_EQ_INT(parse(" disk 15 \r", &cmd, &code), 0);
    CHECK_EQ_INT(args.disk, 15);
    CHECK_EQ_INT(parse("disk 99", &cmd, &code), 0); /* past the last: the VMM's no-device */
    CHECK_EQ_INT(args.disk, 99);
    CHECK_EQ_INT(parse("disk 07", &cmd, &code), 0);
    CHECK_EQ_INT(args.disk, 7);
    static const char *const bad[] = {
        "disk", "disk x", "disk -1", "disk +1", "disk 1x", "disk 0x1", "disk 1 2",
        "disk 1 /a", "disk 100", "disk 123", "disk 4294967296", "disk 1.5",
        "disk  1", /* one space between the word and the number */
    };
    expect_bad_requests(bad, sizeof(bad) / sizeof(bad[0]));
    char why[160];
    CHECK_EQ_INT(control_parse("disk 1x", 7, &cmd, &args, &code, why, sizeof(why)), -1);
    CHECK(strstr(why, "usage: disk N") != NULL);
    CHECK_EQ_INT(parse("disks 1", &cmd, &code), -1);
    CHECK_EQ_STR(code, CONTROL_E_UNKNOWN);
    CHECK_EQ_INT(parse("DISK 1", &cmd, &code), -1);
    CHECK_EQ_STR(code, CONTROL_E_UNKNOWN);
}

/* The lines corrald sends are the ones the VMM parses back. */
static void test_cdrom_lines_round_trip(void)
{
    char line[CONTROL_LINE_MAX + 1], why[160];
    enum control_cmd cmd;
    const char *code;
    CHECK_EQ_INT(control_cdrom_line(line, sizeof(line), 2, NULL, why, sizeof(why)), 0);
    CHECK_EQ_STR(line, "cdrom-eject 2");
    CHECK_EQ_INT(parse(line, &cmd, &code), 0);
    CHECK_EQ_INT(cmd, CONTROL_CDROM_EJECT);
    CHECK_EQ_INT(args.drive, 2);
    CHECK_EQ_INT(control_cdrom_line(line, sizeof(line), 0, "/isos/a b.iso", why,
                                    sizeof(why)), 0);
    CHECK_EQ_INT(parse(line, &cmd, &code), 0);
    CHECK_EQ_INT(cmd, CONTROL_CDROM_INSERT);
    CHECK_EQ_STR(args.path, "/isos/a b.iso");

    CHECK_EQ_INT(control_cdrom_line(line, sizeof(line), 100, NULL, why, sizeof(why)), -1);
    CHECK_EQ_INT(control_cdrom_line(line, sizeof(line), 0, "rel.iso", why, sizeof(why)), -1);
    CHECK_EQ_INT(control_cdrom_line(line, sizeof(line), 0, "/a\nstop", why, sizeof(why)), -1);
    char longpath[200] = "/";
    memset(longpath + 1, 'p', 150);
    CHECK_EQ_INT(control_cdrom_line(line, sizeof(line), 0, longpath, why, sizeof(why)), -1);
    CHECK(strstr(why, "too long") != NULL);
}

struct lines { char got[8][CONTROL_LINE_MAX + 2]; int n, too_long; bool stop_after_first; bool stop; };

static void on_line(void *ctx, const char *line, size_t len, bool too_long)
{
    struct lines *l = ctx;
    if (too_long) {
        l->too_long++;
        snprintf(l->got[l->n++ % 8], sizeof(l->got[0]), "<too-long>");
    } else {
        snprintf(l->got[l->n++ % 8], sizeof(l->got[0]), "%.*s", (int)len, line);
    }
    if (l->stop_after_first)
        l->stop = true;
}

static void test_linebuf_framing(void)
{
    struct control_linebuf lb = { 0 };
    struct lines l = { 0 };
    /* a request split over reads, two in one read */
    control_linebuf_feed(&lb, "sta", 3, on_line, &l, NULL);
    CHECK_EQ_INT(l.n, 0);
    control_linebuf_feed(&lb, "tus\npause\nres", 13, on_line, &l, NULL);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_STR(l.got[0], "status");
    CHECK_EQ_STR(l.got[1], "pause");
    control_linebuf_feed(&lb, "ume\n", 4, on_line, &l, NULL);
    CHECK_EQ_STR(l.got[2], "resume");
}

static void test_linebuf_too_long_then_carries_on(void)
{
    struct control_linebuf lb = { 0 };
    struct lines l = { 0 };
    char junk[1000];
    memset(junk, 'x', sizeof(junk));
    control_linebuf_feed(&lb, junk, sizeof(junk), on_line, &l, NULL);
    control_linebuf_feed(&lb, junk, sizeof(junk), on_line, &l, NULL);
    CHECK_EQ_INT(l.too_long, 1); /* reported once */
    control_linebuf_feed(&lb, "x\nstatus\n", 9, on_line, &l, NULL);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_STR(l.got[1], "status");
    /* exactly the limit (plus its '\r') is not too long */
    struct lines m = { 0 };
    char edge[CONTROL_LINE_MAX + 2];
    memset(edge, 'y', sizeof(edge));
    edge[CONTROL_LINE_MAX] = '\r';
    edge[CONTROL_LINE_MAX + 1] = '\n';
    control_linebuf_feed(&lb, edge, sizeof(edge), on_line, &m, NULL);
    CHECK_EQ_INT(m.too_long, 0);
    CHECK_EQ_INT(strlen(m.got[0]), CONTROL_LINE_MAX + 1);
}

static void test_linebuf_stops_for_console(void)
{
    struct control_linebuf lb = { 0 };
    struct lines l = { .stop_after_first = true };
    const char *in = "console\nguest input";
    size_t used = control_linebuf_feed(&lb, in, strlen(in), on_line, &l, &l.stop);
    CHECK_EQ_INT(used, 8);
    CHECK_EQ_INT(l.n, 1);
}

int main(void)
{
    RUN(test_commands);
    RUN(test_bad_requests);
    RUN(test_cdrom_requests);
    RUN(test_disk_requests);
    RUN(test_cdrom_lines_round_trip);
    RUN(test_linebuf_framing);
    RUN(test_linebuf_too_long_then_carries_on);
    RUN(test_linebuf_stops_for_console);
    return check_summary("control_proto");
}
