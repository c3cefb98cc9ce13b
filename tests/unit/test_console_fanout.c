/* console_fanout: several readers see the same output, a slow one holds
 * the guest back (has_room false) instead of losing bytes, a stuck one is
 * dropped after CONSOLE_STUCK_MS. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "../../hypervisor/vmm/console_fanout.h"

static void pair(int sv[2])
{
    int rc = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    CHECK_EQ_INT(rc, 0);
    int small = 4096; /* the kernel doubles it; still far below our buffer */
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
}

/* Everything readable on fd now, appended to buf. */
static size_t drain(int fd, uint8_t *buf, size_t have, size_t cap)
{
    for (;;) {
        ssize_t n = read(fd, buf + have, cap - have);
        if (n <= 0)
            return have;
        have += (size_t)n;
    }
}

static void test_two_readers_same_output(void)
{
    struct console_fanout f;
    int a[2], b[2];
    CHECK_EQ_INT(console_fanout_init(&f), 0);
    pair(a);
    pair(b);
    CHECK_EQ_INT(console_fanout_add(&f, a[0]), 0);
    CHECK_EQ_INT(console_fanout_add(&f, b[0]), 0);
    CHECK_EQ_INT(console_fanout_count(&f), 2);
    console_fanout_push(&f, (const uint8_t *)"hello\n", 6, 1);
    uint8_t got[16];
    CHECK_EQ_INT(drain(a[1], got, 0, sizeof(got)), 6);
    CHECK(memcmp(got, "hello\n", 6) == 0);
    CHECK_EQ_INT(drain(b[1], got, 0, sizeof(got)), 6);
    CHECK(memcmp(got, "hello\n", 6) == 0);
    console_fanout_destroy(&f);
    close(a[1]);
    close(b[1]);
}

/* One reader does not read: its bytes wait in its buffer (nothing lost),
 * has_room goes false at the mark, and the fast reader still gets all. */
static void test_slow_reader_loses_nothing(void)
{
    struct console_fanout f;
    int slow[2], fast[2];
    console_fanout_init(&f);
    pair(slow);
    pair(fast);
    console_fanout_add(&f, slow[0]);
    console_fanout_add(&f, fast[0]);
    static uint8_t sent[CONSOLE_READER_BUF], got_slow[CONSOLE_READER_BUF * 2],
        got_fast[CONSOLE_READER_BUF * 2];
    size_t n = 0, have_fast = 0;
    while (console_fanout_has_room(&f) && n < sizeof(sent)) {
        sent[n] = (uint8_t)(n * 7 + n / 251);
        console_fanout_push(&f, &sent[n], 1, 10);
        n++;
        have_fast = drain(fast[1], got_fast, have_fast, sizeof(got_fast));
    }
    CHECK(!console_fanout_has_room(&f));
    CHECK(n > CONSOLE_READER_BUF - CONSOLE_READER_HEADROOM);
    CHECK(n < sizeof(sent));
    int fds[CONSOLE_MAX_READERS];
    bool pending[CONSOLE_MAX_READERS];
    CHECK_EQ_INT(console_fanout_fds(&f, fds, pending, CONSOLE_MAX_READERS), 2);
    CHECK(pending[0]);
    /* the slow reader catches up: flush as poll would, until all is out */
    size_t have_slow = 0;
    for (int round = 0; round < 10000 && have_slow < n; round++) {
        CHECK_EQ_INT(console_fanout_flush(&f, slow[0], 20), 0);
        have_slow = drain(slow[1], got_slow, have_slow, sizeof(got_slow));
    }
    CHECK_EQ_INT(have_slow, n);
    CHECK(memcmp(got_slow, sent, n) == 0);
    CHECK_EQ_INT(have_fast, n);
    CHECK(memcmp(got_fast, sent, n) == 0);
    CHECK(console_fanout_has_room(&f));
    CHECK_EQ_INT(console_fanout_drop_stuck(&f, 10 + CONSOLE_STUCK_MS * 2), 0);
    console_fanout_destroy(&f);
    close(slow[1]);
    close(fast[1]);
}

static void test_stuck_reader_dropped(void)
{
    struct console_fanout f;
    int s[2];
    console_fanout_init(&f);
    pair(s);
    console_fanout_add(&f, s[0]);
    uint8_t chunk[1024] = { 0 };
    for (int i = 0; i < 200; i++) /* past the buffer: the excess is lost */
        console_fanout_push(&f, chunk, sizeof(chunk), 1000);
    CHECK(!console_fanout_has_room(&f));
    CHECK_EQ_INT(console_fanout_drop_stuck(&f, 1000 + CONSOLE_STUCK_MS - 1), 0);
    CHECK_EQ_INT(console_fanout_drop_stuck(&f, 1000 + CONSOLE_STUCK_MS), 1);
    CHECK_EQ_INT(console_fanout_count(&f), 0);
    CHECK(console_fanout_has_room(&f)); /* the guest goes on */
    uint8_t c;
    while (read(s[1], &c, 1) == 1) {
    }
    CHECK_EQ_INT(read(s[1], &c, 1), 0); /* and the reader saw EOF */
    console_fanout_destroy(&f);
    close(s[1]);
}

static void test_reader_limit_and_remove(void)
{
    struct console_fanout f;
    int s[CONSOLE_MAX_READERS + 1][2];
    console_fanout_init(&f);
    for (int i = 0; i <= CONSOLE_MAX_READERS; i++)
        pair(s[i]);
    for (int i = 0; i < CONSOLE_MAX_READERS; i++)
        CHECK_EQ_INT(console_fanout_add(&f, s[i][0]), 0);
    CHECK_EQ_INT(console_fanout_add(&f, s[CONSOLE_MAX_READERS][0]), -EBUSY);
    console_fanout_remove(&f, s[3][0]);
    CHECK_EQ_INT(console_fanout_count(&f), CONSOLE_MAX_READERS - 1);
    CHECK_EQ_INT(console_fanout_add(&f, s[CONSOLE_MAX_READERS][0]), 0);
    /* a reader that went away: no SIGPIPE death (the VMM ignores it too) */
    signal(SIGPIPE, SIG_IGN);
    close(s[0][1]);
    uint8_t x = 'x';
    console_fanout_push(&f, &x, 1, 1);
    console_fanout_destroy(&f);
    for (int i = 1; i <= CONSOLE_MAX_READERS; i++)
        close(s[i][1]);
}

/* Output from before the first reader goes to that reader, then the live
 * output after it, in order; a second reader gets only what follows. */
static void test_early_output_kept_for_the_first_reader(void)
{
    struct console_fanout f;
    int a[2], b[2];
    uint8_t got[64];
    CHECK_EQ_INT(console_fanout_init(&f), 0);
    CHECK_EQ_INT(console_fanout_keep_early(&f), 0);
    pair(a);
    pair(b);
    console_fanout_push(&f, (const uint8_t *)"SeaBIOS ", 8, 1);
    CHECK_EQ_INT(console_fanout_add(&f, a[0]), 0);
    console_fanout_push(&f, (const uint8_t *)"GRUB ", 5, 2); /* queued behind */
    CHECK_EQ_INT(console_fanout_flush(&f, a[0], 3), 0);
    CHECK_EQ_INT(console_fanout_add(&f, b[0]), 0);
    console_fanout_push(&f, (const uint8_t *)"Linux", 5, 4);
    size_t n = drain(a[1], got, 0, sizeof(got));
    CHECK_EQ_INT(n, 18);
    CHECK(memcmp(got, "SeaBIOS GRUB Linux", 18) == 0);
    n = drain(b[1], got, 0, sizeof(got));
    CHECK_EQ_INT(n, 5);
    CHECK(memcmp(got, "Linux", 5) == 0);
    console_fanout_destroy(&f);
    close(a[1]);
    close(b[1]);
}

/* More early output than the buffer: the newest CONSOLE_READER_BUF bytes
 * are kept, oldest dropped; without keep_early nothing is kept. */
static void test_early_output_keeps_the_newest(void)
{
    struct console_fanout f;
    int a[2];
    static uint8_t got[CONSOLE_READER_BUF + 16];
    CHECK_EQ_INT(console_fanout_init(&f), 0);
    CHECK_EQ_INT(console_fanout_keep_early(&f), 0);
    for (unsigned i = 0; i < CONSOLE_READER_BUF + 10; i++) {
        uint8_t byte = (uint8_t)(i % 251);
        console_fanout_push(&f, &byte, 1, 1);
    }
    pair(a);
    CHECK_EQ_INT(console_fanout_add(&f, a[0]), 0);
    size_t n = 0;
    while (n < CONSOLE_READER_BUF) {
        CHECK_EQ_INT(console_fanout_flush(&f, a[0], 2), 0);
        size_t before = n;
        n = drain(a[1], got, n, sizeof(got));
        if (n == before)
            break;
    }
    CHECK_EQ_INT(n, CONSOLE_READER_BUF);
    CHECK_EQ_INT(got[0], 10 % 251);
    CHECK_EQ_INT(got[n - 1], (CONSOLE_READER_BUF + 9) % 251);
    console_fanout_destroy(&f);
    close(a[1]);

    CHECK_EQ_INT(console_fanout_init(&f), 0);
    console_fanout_push(&f, (const uint8_t *)"lost", 4, 1);
    pair(a);
    CHECK_EQ_INT(console_fanout_add(&f, a[0]), 0);
    CHECK_EQ_INT(console_fanout_flush(&f, a[0], 2), 0);
    CHECK_EQ_INT(drain(a[1], got, 0, sizeof(got)), 0);
    console_fanout_destroy(&f);
    close(a[1]);
}

int main(void)
{
    RUN(test_two_readers_same_output);
    RUN(test_slow_reader_loses_nothing);
    RUN(test_stuck_reader_dropped);
    RUN(test_reader_limit_and_remove);
    RUN(test_early_output_kept_for_the_first_reader);
    RUN(test_early_output_keeps_the_newest);
    return check_summary("console_fanout");
}
