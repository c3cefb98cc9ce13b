/* Unit tests for rate_limit: both buckets must agree, nothing is taken
 * when a request is held back, and the timer is armed for when it may go. */
#include "check.h"
#include "../../hypervisor/vmm/rate_limit.h"

#include <poll.h>
#include <sys/timerfd.h>

#define S TOKEN_BUCKET_NS_PER_S

static uint64_t fake_now = 5 * S;
static uint64_t fake_clock(void) { return fake_now; }

static uint64_t armed_ns(const struct rate_limit *rl)
{
    struct itimerspec its;
    CHECK_EQ_INT(timerfd_gettime(rate_limit_fd(rl), &its), 0);
    return (uint64_t)its.it_value.tv_sec * S + (uint64_t)its.it_value.tv_nsec;
}

static void test_unlimited_has_no_timer(void)
{
    struct rate_limit rl;
    CHECK_EQ_INT(rate_limit_init(&rl, 0, 0, fake_clock), 0);
    CHECK_EQ_INT(rate_limit_fd(&rl), -1);
    for (int i = 0; i < 100; i++)
        CHECK(rate_limit_admit(&rl, 1, 1 << 30));
    CHECK_EQ_INT(rl.throttled, 0);
    rate_limit_destroy(&rl);
}

static void test_ops_limit_arms_timer(void)
{
    struct rate_limit rl;
    CHECK_EQ_INT(rate_limit_init(&rl, 0, 10, fake_clock), 0);
    CHECK(rate_limit_fd(&rl) >= 0);
    CHECK_EQ_INT(armed_ns(&rl), 0);
    for (int i = 0; i < 10; i++)
        CHECK(rate_limit_admit(&rl, 1, 1 << 20)); /* bytes unlimited */
    CHECK(!rate_limit_admit(&rl, 1, 0));
    CHECK_EQ_INT(rl.throttled, 1);
    uint64_t armed = armed_ns(&rl);
    CHECK(armed > S / 10 - S / 100 && armed <= S / 10);
    fake_now += S / 10;
    CHECK(rate_limit_admit(&rl, 1, 0));
    rate_limit_cancel(&rl);
    CHECK_EQ_INT(armed_ns(&rl), 0);
    rate_limit_destroy(&rl);
}

/* A request the ops bucket allows but the bytes bucket refuses takes no
 * operation token; the wait is the longer of the two. */
static void test_both_must_agree(void)
{
    struct rate_limit rl;
    CHECK_EQ_INT(rate_limit_init(&rl, 1000, 100, fake_clock), 0);
    CHECK(rate_limit_admit(&rl, 1, 1000));
    CHECK(!rate_limit_admit(&rl, 1, 500));
    CHECK_EQ_INT(rl.ops.tokens, 99);
    uint64_t armed = armed_ns(&rl);
    CHECK(armed > S / 2 - S / 100 && armed <= S / 2);
    fake_now += S / 2;
    CHECK(rate_limit_admit(&rl, 1, 500));
    CHECK_EQ_INT(rl.ops.tokens, 99); /* refilled to 100 meanwhile */
    rate_limit_destroy(&rl);
}

/* The real clock and the real timer: the expiry wakes a poller. */
static void test_timer_fires(void)
{
    struct rate_limit rl;
    CHECK_EQ_INT(rate_limit_init(&rl, 0, 1000, NULL), 0);
    unsigned admitted = 0;
    while (admitted < 5000 && rate_limit_admit(&rl, 1, 0))
        admitted++;
    CHECK(admitted >= 1000 && admitted < 5000);
    struct pollfd p = { .fd = rate_limit_fd(&rl), .events = POLLIN };
    CHECK_EQ_INT(poll(&p, 1, 1000), 1);
    rate_limit_timer_ack(&rl);
    CHECK_EQ_INT(poll(&p, 1, 0), 0); /* consumed */
    rate_limit_timer_ack(&rl);       /* nothing to read: harmless */
    CHECK(rate_limit_admit(&rl, 1, 0));
    rate_limit_destroy(&rl);
}

int main(void)
{
    RUN(test_unlimited_has_no_timer);
    RUN(test_ops_limit_arms_timer);
    RUN(test_both_must_agree);
    RUN(test_timer_fires);
    return check_summary("rate_limit");
}
