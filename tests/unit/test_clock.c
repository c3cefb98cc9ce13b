/* Unit tests for lib/clock: the monotonic clock in ms and ns. */
#include "check.h"
#include "clock.h"

#include <time.h>

static void test_never_goes_back(void)
{
    uint64_t ns = clock_monotonic_ns();
    int64_t ms = clock_monotonic_ms();
    for (int i = 0; i < 1000; i++) {
        uint64_t ns2 = clock_monotonic_ns();
        int64_t ms2 = clock_monotonic_ms();
        CHECK(ns2 >= ns);
        CHECK(ms2 >= ms);
        ns = ns2;
        ms = ms2;
    }
}

/* Both units read the same clock: ms is ns / 1e6, within the time between
 * the two readings. */
static void test_units_agree(void)
{
    uint64_t before = clock_monotonic_ns();
    int64_t ms = clock_monotonic_ms();
    uint64_t after = clock_monotonic_ns();
    CHECK(ms >= (int64_t)(before / 1000000u));
    CHECK(ms <= (int64_t)(after / 1000000u));
}

static void test_counts_a_sleep(void)
{
    int64_t start = clock_monotonic_ms();
    nanosleep(&(struct timespec){ 0, 30 * 1000000L }, NULL);
    int64_t took = clock_monotonic_ms() - start;
    CHECK(took >= 30);
    CHECK(took < 5000);
}

int main(void)
{
    RUN(test_never_goes_back);
    RUN(test_units_agree);
    RUN(test_counts_a_sleep);
    return check_summary("clock");
}
