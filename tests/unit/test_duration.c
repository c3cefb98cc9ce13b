/* Unit tests: durations as the CLI and the console UI show them
 * (lib/duration.c). */
#include "check.h"
#include "duration.h"

static void test_duration(void)
{
    char buf[32];
    duration_format(0, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "00:00:00");
    duration_format(59, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "00:00:59");
    duration_format(3723, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "01:02:03");
    duration_format(93784, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "1d 02:03:04");
    duration_format(86400 * 2 + 59, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "2d 00:00:59");
    duration_format(-5, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "00:00:00");
    duration_format(3723, buf, 6); /* truncated, still a string */
    CHECK_EQ_STR(buf, "01:02");
}

int main(void)
{
    RUN(test_duration);
    return check_summary("duration");
}
