/* console: the Ctrl-A escape on a raw terminal. */
#include <string.h>

#include "check.h"
#include "../../hypervisor/vmm/console.h"

static size_t filter(struct console *c, const char *in, uint8_t *out, bool *quit)
{
    return console_filter_input(c, (const uint8_t *)in, strlen(in), out, quit);
}

static void test_passthrough_without_terminal(void)
{
    struct console c;
    uint8_t out[16];
    bool quit;
    memset(&c, 0, sizeof(c));
    CHECK_EQ_INT(filter(&c, "a\001xb", out, &quit), 4);
    CHECK(!quit);
    CHECK(memcmp(out, "a\001xb", 4) == 0);
}

static void test_escape_on_terminal(void)
{
    struct console c;
    uint8_t out[16];
    bool quit;
    memset(&c, 0, sizeof(c));
    c.tty_raw = true;
    CHECK_EQ_INT(filter(&c, "ab\001\001c", out, &quit), 4);
    CHECK(memcmp(out, "ab\001c", 4) == 0);
    CHECK_EQ_INT(filter(&c, "\001z", out, &quit), 2); /* other: both sent */
    CHECK(memcmp(out, "\001z", 2) == 0);
    CHECK_EQ_INT(filter(&c, "q\001", out, &quit), 1); /* held back ... */
    CHECK(c.escape_pending);
    CHECK_EQ_INT(filter(&c, "y", out, &quit), 2);     /* ... across reads */
    CHECK(memcmp(out, "\001y", 2) == 0);
    CHECK(!quit);
    CHECK_EQ_INT(filter(&c, "hi\001xrest", out, &quit), 2);
    CHECK(quit);
    CHECK(memcmp(out, "hi", 2) == 0);
}

int main(void)
{
    RUN(test_passthrough_without_terminal);
    RUN(test_escape_on_terminal);
    return check_summary("console");
}
